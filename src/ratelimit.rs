//! Client-side quotas: callers wait instead of collecting 429s.
//!
//! A quota of N requests per period P means at most N requests in ANY window of length P. A token
//! bucket that starts full with N tokens and refills one every P/N can send N at once and then
//! N-1 more within the same window, almost 2N. So the bucket here holds `burst` tokens (default 1)
//! and refills one every P/(N - burst): in any window of length P it lets through at most
//! `burst + (N - burst) = N` requests.
//!
//! Limiters are shared: every client built for the same account or token, and every clone of it,
//! draws from one limiter (see [`RateLimiter::shared`]).

use crate::spec::RateLimit;
use governor::{clock::DefaultClock, state::InMemoryState, state::NotKeyed, Quota};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// A quota and the limiter that enforces it.
///
/// ```
/// use std::time::Duration;
/// use threatbind::{RateLimiter, spec::RateLimit};
/// let limit = RateLimit { requests: 50, period: Duration::from_secs(60) };
/// let limiter = RateLimiter::new(limit, 1);
/// assert_eq!(limiter.interval(), Duration::from_secs(60) / 49); // 49 gaps after the first request
/// ```
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    burst: u32,
    inner: governor::RateLimiter<NotKeyed, InMemoryState, DefaultClock>,
}

impl RateLimiter {
    /// A limiter for `limit` that may send `burst` requests back to back (clamped to 1..=N).
    pub fn new(limit: RateLimit, burst: u32) -> Self {
        let (quota, burst) = quota(limit, burst);
        Self {
            limit,
            burst,
            inner: governor::RateLimiter::direct(quota),
        }
    }

    /// The limiter shared by everyone using `key` (e.g. `log360-cloud:account:18XXXXX4`) with this
    /// quota. A different quota for the same key gets its own limiter.
    pub fn shared(key: &str, limit: RateLimit, burst: u32) -> Arc<Self> {
        static REGISTRY: OnceLock<Mutex<HashMap<String, Arc<RateLimiter>>>> = OnceLock::new();
        let full_key = format!("{key}|{}/{:?}|{burst}", limit.requests, limit.period);
        let mut map = REGISTRY
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.entry(full_key)
            .or_insert_with(|| Arc::new(Self::new(limit, burst)))
            .clone()
    }

    /// The quota.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Requests that may go back to back.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// Time between requests once the burst is spent.
    pub fn interval(&self) -> Duration {
        interval(self.limit, self.burst)
    }

    /// Waits until a request may be sent.
    pub async fn acquire(&self) {
        self.inner.until_ready().await;
    }
}

fn interval(limit: RateLimit, burst: u32) -> Duration {
    let n = limit.requests.max(1);
    let spread = n.saturating_sub(burst).max(1);
    limit.period / spread
}

fn quota(limit: RateLimit, burst: u32) -> (Quota, u32) {
    let burst = burst.clamp(1, limit.requests.max(1));
    let interval = interval(limit, burst).max(Duration::from_nanos(1));
    let quota = Quota::with_period(interval)
        .expect("interval is positive")
        .allow_burst(NonZeroU32::new(burst).expect("burst >= 1"));
    (quota, burst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    /// Sends as fast as the limiter allows on a fake clock and returns the send times (ns).
    fn greedy(quota: Quota, horizon: Duration) -> Vec<u64> {
        let clock = FakeRelativeClock::default();
        let limiter = governor::RateLimiter::direct_with_clock(quota, clock.clone());
        let step = Duration::from_millis(1);
        let mut now = Duration::ZERO;
        let mut sent = Vec::new();
        while now < horizon {
            if limiter.check().is_ok() {
                sent.push(now.as_nanos() as u64);
            } else {
                clock.advance(step);
                now += step;
            }
        }
        sent
    }

    fn max_in_any_window(sent: &[u64], window: Duration) -> usize {
        let w = window.as_nanos() as u64;
        let mut best = 0;
        let mut start = 0;
        for end in 0..sent.len() {
            while sent[end] - sent[start] >= w {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }

    #[test]
    fn never_more_than_n_in_any_window() {
        for (n, secs, burst) in [
            (50, 60, 1),
            (50, 60, 10),
            (600, 300, 1),
            (600, 300, 100),
            (3, 1, 3),
            (1, 1, 1),
        ] {
            let limit = RateLimit {
                requests: n,
                period: Duration::from_secs(secs),
            };
            let sent = greedy(quota(limit, burst).0, limit.period * 4);
            let max = max_in_any_window(&sent, limit.period);
            assert!(
                max <= n as usize,
                "{n}/{secs}s burst {burst}: {max} in one window"
            );
            // ...and it is not needlessly slow: the steady rate is (N - burst) per period.
            let steady = (n - burst.min(n)).max(1) as usize;
            assert!(
                sent.len() >= 4 * steady,
                "{n}/{secs}s burst {burst}: only {}",
                sent.len()
            );
        }
    }

    #[test]
    fn a_plain_full_bucket_would_break_the_quota() {
        // The naive configuration, for contrast: N tokens refilled every P/N.
        let limit = RateLimit {
            requests: 50,
            period: Duration::from_secs(60),
        };
        let naive = Quota::with_period(limit.period / 50)
            .unwrap()
            .allow_burst(NonZeroU32::new(50).unwrap());
        let sent = greedy(naive, limit.period);
        assert!(max_in_any_window(&sent, limit.period) > 90);
    }

    #[test]
    fn shared_limiters_are_one_per_key_and_quota() {
        let limit = RateLimit {
            requests: 5,
            period: Duration::from_secs(1),
        };
        let a = RateLimiter::shared("test:acct:1", limit, 1);
        let b = RateLimiter::shared("test:acct:1", limit, 1);
        let c = RateLimiter::shared("test:acct:2", limit, 1);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }
}

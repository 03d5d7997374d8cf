//! The one retry policy: jittered exponential backoff for 429, 5xx and connection errors,
//! honouring `Retry-After` and Datadog's `X-RateLimit-Reset`, bounded in attempts and total time.

use reqwest::header::HeaderMap;
use std::time::Duration;

/// How often and how long to retry. Other 4xx answers are never retried.
///
/// ```
/// use std::time::Duration;
/// use threatbind::RetryPolicy;
/// let policy = RetryPolicy { max_attempts: 3, ..RetryPolicy::default() };
/// assert!(policy.delay(1, None) <= policy.max_delay);
/// assert_eq!(policy.delay(1, Some(Duration::from_secs(7))), Duration::from_secs(7));
/// // A hint is never silently shortened: the caller decides whether it fits the budget.
/// assert_eq!(policy.delay(1, Some(Duration::from_secs(3600))), Duration::from_secs(3600));
/// assert_eq!(RetryPolicy::none().max_attempts, 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the first retry (doubled each time, then jittered).
    pub base_delay: Duration,
    /// Longest single wait. A server asking for longer (`Retry-After`) gets an error at once,
    /// saying how long it asked for, rather than a silently shorter wait.
    pub max_delay: Duration,
    /// The time budget of one call, waits for the quota and retries included (`--max-time`):
    /// a wait that would end later fails at once, and an attempt still running is cut off.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(300),
            max_elapsed: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (1-based). A server hint wins, as given; otherwise
    /// [`Self::backoff`] from `base_delay` up to `max_delay`.
    pub fn delay(&self, retry: u32, server_hint: Option<Duration>) -> Duration {
        match server_hint {
            Some(hint) => hint,
            None => self.backoff(retry, self.base_delay, self.max_delay),
        }
    }

    /// Jittered exponential backoff: half of `min(base * 2^(retry-1), cap)` plus a random part
    /// of the other half. A 429 without a hint backs off this way on the quota's scale
    /// (`base` = period / N, `cap` = the period).
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = threatbind::RetryPolicy::default();
    /// let d = p.backoff(10, Duration::from_millis(1200), Duration::from_secs(60));
    /// assert!(d >= Duration::from_secs(30) && d <= Duration::from_secs(60));
    /// ```
    pub fn backoff(&self, retry: u32, base: Duration, cap: Duration) -> Duration {
        let exp = base.saturating_mul(1u32 << (retry.saturating_sub(1)).min(20));
        let capped = exp.min(cap);
        let half = capped / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// Whether an HTTP status is worth retrying: 429 and 5xx.
pub(crate) fn retryable(status: u16) -> bool {
    status == 429 || (500..600).contains(&status)
}

/// The server's wait hint: `Retry-After` (seconds or HTTP date), else `X-RateLimit-Reset`
/// (Datadog: seconds until the window resets).
pub(crate) fn server_hint(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(v) = text("retry-after") {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        // Fractional seconds are not in RFC 9110 but some servers send them.
        if let Ok(secs) = v.parse::<f64>() {
            if secs.is_finite() && secs >= 0.0 {
                return Duration::try_from_secs_f64(secs.min(1e9)).ok();
            }
        }
        if let Ok(when) = chrono::DateTime::parse_from_rfc2822(v) {
            let secs = (when.timestamp() - chrono::Utc::now().timestamp()).max(0);
            return Some(Duration::from_secs(secs as u64));
        }
    }
    text("x-ratelimit-reset")
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_bounded() {
        let p = RetryPolicy::default();
        for retry in 1..10 {
            let exp = p
                .base_delay
                .saturating_mul(1 << (retry - 1))
                .min(p.max_delay);
            let d = p.delay(retry, None);
            assert!(
                d >= exp / 2 && d <= exp,
                "retry {retry}: {d:?} not in [{:?}, {exp:?}]",
                exp / 2
            );
        }
    }

    #[test]
    fn server_hints_are_read() {
        let mut h = HeaderMap::new();
        assert_eq!(server_hint(&h), None);
        h.insert("x-ratelimit-reset", "12".parse().unwrap());
        assert_eq!(server_hint(&h), Some(Duration::from_secs(12)));
        h.insert("retry-after", "3".parse().unwrap());
        assert_eq!(server_hint(&h), Some(Duration::from_secs(3)));
        assert!(retryable(429) && retryable(503) && !retryable(404) && !retryable(401));
    }
}

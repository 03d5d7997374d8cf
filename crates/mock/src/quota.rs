//! Quotas: an exact sliding window per API and credential (at most N accepted requests in any
//! window of the period), the spec's `x-rate-limit` or the one the caller sets.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use threatbind::spec::RateLimit;

/// A refusal: how long until a slot frees, in whole seconds (rounded up, at least 1).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Refused {
    pub retry_after: u64,
}

/// The windows of every credential seen, one lock per scope (an API, or the server).
#[derive(Debug)]
pub(crate) struct Quota {
    scopes: Vec<Mutex<HashMap<String, VecDeque<Instant>>>>,
}

/// Above this many windows in one scope, the idle ones are dropped.
const PRUNE_ABOVE: usize = 10_000;

impl Quota {
    pub fn new(scopes: usize) -> Self {
        Self {
            scopes: (0..scopes).map(|_| Mutex::default()).collect(),
        }
    }

    /// Admits a request of `scope` for `credential` under `limit` at `now`: the slots left in
    /// the window, or the refusal.
    pub fn admit(
        &self,
        scope: usize,
        credential: &str,
        limit: RateLimit,
        now: Instant,
    ) -> Result<u32, Refused> {
        let Some(lock) = self.scopes.get(scope) else {
            return Ok(limit.requests);
        };
        let mut windows = lock.lock().unwrap_or_else(|e| e.into_inner());
        if !windows.contains_key(credential) {
            if windows.len() > PRUNE_ABOVE {
                windows.retain(|_, w| {
                    w.back()
                        .is_some_and(|t| now.duration_since(*t) < limit.period)
                });
            }
            windows.insert(credential.to_owned(), VecDeque::new());
        }
        let Some(window) = windows.get_mut(credential) else {
            return Ok(limit.requests);
        };
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= limit.period)
        {
            window.pop_front();
        }
        let allowed = limit.requests as usize;
        if window.len() < allowed {
            window.push_back(now);
            return Ok((allowed - window.len()) as u32);
        }
        let oldest = window.front().copied().unwrap_or(now);
        let wait = (oldest + limit.period).saturating_duration_since(now);
        Err(Refused {
            retry_after: whole_seconds(wait),
        })
    }
}

fn whole_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

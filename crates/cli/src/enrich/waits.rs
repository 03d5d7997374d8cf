//! Which client of a run waits for its quota, and how long: the library tells each wait as a
//! `tracing` event ([`threatbind::ratelimit::WAIT_EVENT`]); each lookup runs under a subscriber
//! of its own client that notes the wait, then hands every event and span on to the run's
//! subscriber (`-v`), so the log is what it was.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Metadata, Subscriber};

/// The quota waits of one client.
#[derive(Default, Clone, Copy)]
struct Client {
    /// How many waits.
    count: u64,
    /// The longest.
    longest: Duration,
    /// When the slot it waits for frees, while it waits.
    until: Option<Instant>,
}

/// The quota waits of every client of a run, by client index.
#[derive(Clone)]
pub(crate) struct Waits {
    clients: Arc<Mutex<Vec<Client>>>,
}

impl Waits {
    /// Waits of `clients` clients, none yet.
    pub fn new(clients: usize) -> Self {
        Self {
            clients: Arc::new(Mutex::new(vec![Client::default(); clients])),
        }
    }

    fn note(&self, client: usize, wait: Duration) {
        if let Ok(mut clients) = self.clients.lock() {
            if let Some(c) = clients.get_mut(client) {
                c.count += 1;
                c.longest = c.longest.max(wait);
                c.until = Some(Instant::now() + wait);
            }
        }
    }

    /// The subscriber a lookup of `client` runs under: the run's, which also notes its waits.
    pub fn dispatch(&self, client: usize) -> Dispatch {
        let inner = tracing::dispatcher::get_default(Dispatch::clone);
        Dispatch::new(Watch {
            inner,
            client,
            waits: self.clone(),
        })
    }

    /// The clients waiting now: (index, seconds until their next slot).
    pub fn waiting(&self) -> Vec<(usize, u64)> {
        let now = Instant::now();
        let Ok(clients) = self.clients.lock() else {
            return Vec::new();
        };
        clients
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let until = c.until.filter(|u| *u > now)?;
                Some((i, until.duration_since(now).as_secs_f64().ceil() as u64))
            })
            .collect()
    }

    /// Every client that waited: (index, how many waits, the longest).
    pub fn waited(&self) -> Vec<(usize, u64, Duration)> {
        let Ok(clients) = self.clients.lock() else {
            return Vec::new();
        };
        clients
            .iter()
            .enumerate()
            .filter(|(_, c)| c.count > 0)
            .map(|(i, c)| (i, c.count, c.longest))
            .collect()
    }
}

/// The run's subscriber, plus the waits of one client.
struct Watch {
    inner: Dispatch,
    client: usize,
    waits: Waits,
}

fn is_wait(metadata: &Metadata<'_>) -> bool {
    metadata.target() == threatbind::ratelimit::WAIT_EVENT
}

/// Reads `wait_ms`.
struct WaitMs(Option<u64>);

impl Visit for WaitMs {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "wait_ms" {
            self.0 = Some(value);
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "wait_ms" {
            self.0 = u64::try_from(value).ok();
        }
    }
    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl Subscriber for Watch {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if is_wait(metadata) {
            Interest::always()
        } else {
            self.inner.register_callsite(metadata)
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        is_wait(metadata) || self.inner.enabled(metadata)
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        // Its own part: the wait event, INFO. The run's subscriber gives its own hint (the
        // global filter is the most of every subscriber's).
        Some(tracing::level_filters::LevelFilter::INFO)
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.inner.new_span(span)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        self.inner.record(span, values)
    }

    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.inner.record_follows_from(span, follows)
    }

    fn event(&self, event: &Event<'_>) {
        if is_wait(event.metadata()) {
            let mut wait = WaitMs(None);
            event.record(&mut wait);
            if let Some(ms) = wait.0 {
                self.waits.note(self.client, Duration::from_millis(ms));
            }
            if !self.inner.enabled(event.metadata()) {
                return;
            }
        }
        self.inner.event(event)
    }

    fn enter(&self, span: &Id) {
        self.inner.enter(span)
    }

    fn exit(&self, span: &Id) {
        self.inner.exit(span)
    }

    fn clone_span(&self, id: &Id) -> Id {
        self.inner.clone_span(id)
    }

    fn try_close(&self, id: Id) -> bool {
        self.inner.try_close(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::instrument::WithSubscriber;

    #[tokio::test]
    async fn a_wait_is_noted_for_the_client_whose_lookup_waited() {
        let waits = Waits::new(2);
        let limiter = threatbind::RateLimiter::new(threatbind::spec::RateLimit {
            requests: 1,
            period: Duration::from_millis(300),
        });
        async {
            limiter.acquire().await.unwrap().complete();
            limiter.acquire().await.unwrap().complete();
        }
        .with_subscriber(waits.dispatch(1))
        .await;
        let waited = waits.waited();
        assert_eq!(waited.len(), 1, "one client waited");
        assert_eq!(waited[0].0, 1);
        assert!(waited[0].1 >= 1);
        assert!(waited[0].2 > Duration::ZERO);
    }
}

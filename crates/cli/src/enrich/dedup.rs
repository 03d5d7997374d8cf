//! One lookup per distinct (normalised indicator, client): the lines of a list that name the
//! same indicator share the one answer, even while it is in flight. Bounded: the answers of the
//! last [`ENTRIES`] distinct lookups, and [`BYTES`] of them at most, are remembered; an
//! indicator seen again after that is looked up again.

use super::records::Looked;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
use threatbind::Error;
use tokio::sync::OnceCell;

/// The most lookups remembered.
pub(crate) const ENTRIES: usize = 10_000;
/// The most bytes of answers remembered.
pub(crate) const BYTES: usize = 32 * 1024 * 1024;

type Key = (String, usize);
type Cell = Arc<OnceCell<Arc<Looked>>>;

/// The lookups of a run, by (indicator, client index).
#[derive(Default)]
pub(crate) struct Dedup {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    cells: HashMap<Key, Cell>,
    /// Oldest first.
    order: VecDeque<Key>,
    bytes: usize,
    /// Lookups answered from memory.
    shared: u64,
}

impl Dedup {
    /// What client `client` said about `indicator`: remembered, awaited while another line asks
    /// it, or asked now with `ask`. A failure of the machinery is not remembered.
    pub async fn get<F, Fut>(
        &self,
        indicator: &str,
        client: usize,
        ask: F,
    ) -> Result<Arc<Looked>, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Looked, Error>>,
    {
        let key = (indicator.to_owned(), client);
        let cell = {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            match inner.cells.get(&key) {
                Some(cell) => {
                    let cell = cell.clone();
                    inner.shared += 1;
                    cell
                }
                None => {
                    let cell = Cell::default();
                    inner.cells.insert(key.clone(), cell.clone());
                    inner.order.push_back(key.clone());
                    inner.evict();
                    cell
                }
            }
        };
        let mut asked = false;
        let looked = cell
            .get_or_try_init(|| {
                asked = true;
                async { ask().await.map(Arc::new) }
            })
            .await?
            .clone();
        if asked {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            // Counted while remembered (it may have been let go while in flight).
            if inner.cells.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                inner.bytes += looked.size();
                inner.evict();
            }
        }
        Ok(looked)
    }

    /// How many lookups were answered from memory.
    pub fn shared(&self) -> u64 {
        self.inner.lock().map(|i| i.shared).unwrap_or(0)
    }
}

impl Inner {
    /// Lets the oldest go while over a bound.
    fn evict(&mut self) {
        while self.order.len() > ENTRIES || self.bytes > BYTES {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(cell) = self.cells.remove(&oldest) {
                if let Some(looked) = cell.get() {
                    self.bytes = self.bytes.saturating_sub(looked.size());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn looked(answer: &str) -> Looked {
        Looked {
            time: "2025-01-01T00:00:00.000Z".into(),
            outcome: Ok(answer.into()),
        }
    }

    #[tokio::test]
    async fn lines_naming_one_indicator_share_one_lookup_even_in_flight() {
        let dedup = Dedup::default();
        let asked = AtomicUsize::new(0);
        let ask = |answer: &'static str| {
            let asked = &asked;
            move || async move {
                asked.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                Ok(looked(answer))
            }
        };
        let (a, b, c) = tokio::join!(
            dedup.get("evil.example", 0, ask("{\"a\":1}")),
            dedup.get("evil.example", 0, ask("{\"a\":2}")),
            dedup.get("evil.example", 1, ask("{\"a\":3}")),
        );
        assert_eq!(
            asked.load(Ordering::SeqCst),
            2,
            "one per (indicator, client)"
        );
        assert_eq!(a.unwrap().outcome, Ok("{\"a\":1}".to_owned()));
        assert_eq!(b.unwrap().outcome, Ok("{\"a\":1}".to_owned()));
        assert_eq!(c.unwrap().outcome, Ok("{\"a\":3}".to_owned()));
        assert_eq!(dedup.shared(), 1);
    }

    #[tokio::test]
    async fn a_failure_of_the_machinery_is_not_remembered() {
        let dedup = Dedup::default();
        let failed = dedup
            .get("a.example", 0, || async {
                Err(Error::Transport("reset".into()))
            })
            .await;
        assert!(failed.is_err());
        let again = dedup
            .get("a.example", 0, || async { Ok(looked("{}")) })
            .await;
        assert_eq!(again.unwrap().outcome, Ok("{}".to_owned()));
    }

    #[tokio::test]
    async fn memory_is_bounded_by_entries() {
        let dedup = Dedup::default();
        for i in 0..ENTRIES + 5 {
            let _ = dedup
                .get(&format!("{i}.example"), 0, || async { Ok(looked("{}")) })
                .await;
        }
        let inner = dedup.inner.lock().unwrap();
        assert_eq!(inner.cells.len(), 10_000);
        assert_eq!(inner.order.len(), 10_000);
        // The oldest went first.
        assert!(!inner.cells.contains_key(&("0.example".to_owned(), 0)));
        assert!(inner.cells.contains_key(&("5.example".to_owned(), 0)));
    }
}

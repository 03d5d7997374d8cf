//! Answers remembered by request: a valid request's answer is a function of its operation and
//! its request document alone (the data sets are fixed by `--seed` at start), so it is built
//! and serialised once and served from here after that. Token cursors carry the clock and are
//! never remembered. The memory is bounded: past [`MAX_ENTRIES`] answers or [`MAX_BYTES`]
//! bytes it is emptied and refilled by the next requests.

use hyper::body::Bytes;
use std::collections::HashMap;
use std::sync::Mutex;

/// Most answers kept.
pub(crate) const MAX_ENTRIES: usize = 4096;
/// Most bytes of answers kept (keys and bodies).
pub(crate) const MAX_BYTES: usize = 32 << 20;

/// A remembered answer: its status and serialised body (empty: no body).
pub(crate) type Remembered = (u16, Bytes);

#[derive(Debug, Default)]
pub(crate) struct Memo {
    inner: Mutex<Inner>,
}

/// An answer's key: the operation's plan and the request document, serialised.
pub(crate) type Key = (usize, String);

#[derive(Debug, Default)]
struct Inner {
    answers: HashMap<Key, Remembered>,
    bytes: usize,
}

impl Memo {
    /// The answer remembered for `key`.
    pub fn get(&self, key: &Key) -> Option<Remembered> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.answers.get(key).cloned()
    }

    /// Remembers an answer, emptying the memo first when it is full.
    pub fn put(&self, key: Key, answer: Remembered) {
        let size = key.1.len() + answer.1.len();
        if size > MAX_BYTES {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.answers.len() >= MAX_ENTRIES || inner.bytes + size > MAX_BYTES {
            inner.answers.clear();
            inner.bytes = 0;
        }
        if inner.answers.insert(key, answer).is_none() {
            inner.bytes += size;
        }
    }

    /// How many answers are kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .answers
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_by_operation_and_document_and_stays_bounded() {
        let memo = Memo::default();
        let key = |plan: usize, doc: &str| (plan, doc.to_owned());
        memo.put(key(1, "{\"a\":1}"), (200, Bytes::from_static(b"one")));
        assert_eq!(memo.get(&key(1, "{\"a\":1}")).unwrap().1, "one");
        assert!(
            memo.get(&key(2, "{\"a\":1}")).is_none(),
            "another operation"
        );
        assert!(memo.get(&key(1, "{\"a\":2}")).is_none(), "another document");
        for i in 0..MAX_ENTRIES + 10 {
            memo.put(key(3, &i.to_string()), (200, Bytes::new()));
        }
        assert!(memo.len() <= MAX_ENTRIES);
        let big = Bytes::from(vec![b'x'; MAX_BYTES / 2 + 1]);
        memo.put(key(4, "a"), (200, big.clone()));
        memo.put(key(4, "b"), (200, big));
        assert_eq!(memo.len(), 1, "emptied when the bytes would pass the bound");
    }
}

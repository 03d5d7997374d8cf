//! What the send path gives back for a request built from a document: the answer as received,
//! and the dotted paths the specs' extensions use to point into answers and requests. Both the
//! transport and the clients over it read these; neither owns them.

use crate::error::Error;
use serde_json::Value;

/// An answer as received.
#[derive(Debug)]
pub struct RawAnswer {
    /// HTTP status (2xx: errors are [`Error`]s).
    pub status: u16,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body, byte for byte.
    pub body: Vec<u8>,
    /// Set when the body breaks the operation's documented type ([`Error::Decode`], naming the
    /// JSON path). The body is still the vendor's, unchanged.
    pub decode_error: Option<Error>,
}

/// The check of an answer's body against an operation's documented type (generated per API).
pub(crate) type DecodeCheck = fn(&str, &[u8]) -> Option<std::result::Result<(), String>>;

/// The value at a dotted `path` (the whole value for an empty path).
///
/// ```
/// let v = serde_json::json!({"meta": {"has_more": true}});
/// assert_eq!(threatbind::answer::lookup(&v, "meta.has_more"), Some(&serde_json::json!(true)));
/// ```
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(value);
    }
    path.split('.').try_fold(value, |v, k| v.get(k))
}

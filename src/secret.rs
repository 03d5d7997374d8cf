//! Secrets (tokens, API keys) that never print, and the redaction of any text that might carry
//! one (an error body, a header, a URL that a server echoes back).

use std::sync::RwLock;

/// Secrets shorter than this are not redacted from free text (they would match ordinary words).
const MIN_REDACTED_LEN: usize = 6;
/// At most this many distinct secrets are remembered for redaction (oldest forgotten first).
const MAX_REMEMBERED: usize = 256;

/// Each remembered secret with its URL-encoded form (both are redacted).
static KNOWN: RwLock<Vec<(String, String)>> = RwLock::new(Vec::new());

/// A token or key. `Debug` and `Display` print `***`; only [`Secret::expose`] gives the value.
/// Every secret created is also remembered, so that [`redact`] can take it out of any text.
///
/// ```
/// use threatbind::Secret;
/// let token = Secret::new("1000.41d9c2d1");
/// assert_eq!(format!("{token} {token:?}"), "*** ***");
/// assert_eq!(token.expose(), "1000.41d9c2d1");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        remember(&value);
        Self(value)
    }

    /// The value, for putting on the wire. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A stable, non-reversible fingerprint, for keying shared state (rate limiters, caches).
    pub(crate) fn fingerprint(&self) -> u64 {
        fingerprint(&self.0)
    }
}

/// FNV-1a: stable across Rust versions and processes (state files are keyed by it).
pub(crate) fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn remember(value: &str) {
    if value.len() < MIN_REDACTED_LEN {
        return;
    }
    let mut known = KNOWN.write().unwrap_or_else(|e| e.into_inner());
    if known.iter().any(|(k, _)| k == value) {
        return;
    }
    if known.len() >= MAX_REMEMBERED {
        known.remove(0);
    }
    known.push((value.to_owned(), url_encode(value)));
}

/// `text` with every secret this process holds replaced by `***`, also in its URL-encoded form.
///
/// ```
/// use threatbind::{secret::redact, Secret};
/// let key = Secret::new("dd-api-key-0123456789");
/// assert_eq!(redact("bad key dd-api-key-0123456789"), "bad key ***");
/// ```
pub fn redact(text: &str) -> String {
    let known = KNOWN.read().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_owned();
    for (secret, encoded) in known.iter() {
        for form in [secret, encoded] {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), "***");
            }
        }
    }
    out
}

/// `text` percent-encoded except for RFC 3986 unreserved characters.
pub(crate) fn url_encode(text: &str) -> String {
    const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, RESERVED).to_string()
}

/// Checks a value that will travel in an HTTP header (a token, a key, an account id): no
/// control characters (CR, LF, NUL, ...), not empty. `name` is the variable or setting named in
/// the error; the value itself is never shown.
///
/// ```
/// use threatbind::secret::check_header_value;
/// assert!(check_header_value("LOG360_ACCESS_TOKEN", "1000.abc").is_ok());
/// let e = check_header_value("LOG360_ACCESS_TOKEN", "1000.abc\r\nX-Evil: 1").unwrap_err();
/// assert!(matches!(e, threatbind::Error::Config { .. }));
/// assert!(e.to_string().contains("LOG360_ACCESS_TOKEN") && !e.to_string().contains("1000.abc"));
/// ```
pub fn check_header_value(name: &str, value: &str) -> crate::Result<()> {
    if value.is_empty() {
        return Err(crate::Error::config(name, "is empty"));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(crate::Error::config(
            name,
            format!(
                "contains a control character ({}); a header value cannot carry it",
                match c {
                    '\r' => "CR".to_owned(),
                    '\n' => "LF".to_owned(),
                    '\0' => "NUL".to_owned(),
                    other => format!("U+{:04X}", other as u32),
                }
            ),
        ));
    }
    if !value.is_ascii() {
        return Err(crate::Error::config(
            name,
            "contains non-ASCII characters; a header value cannot carry them",
        ));
    }
    Ok(())
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

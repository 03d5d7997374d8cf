//! The one error type of the crate.

use crate::spec::Violation;
use std::time::Duration;

/// Everything that can go wrong, as variants a caller can match. `Display` is one line, names the
/// request (method and URL) where there was one, and never contains a secret: every token or key
/// the crate holds is replaced by `***`, even when a server echoes it back.
///
/// ```
/// use threatbind::{Error, spec::Violation};
/// let e = Error::Validation(vec![Violation::new("body.indicator", "maxLength", "longer than 2048 characters")]);
/// assert_eq!(e.to_string(), "invalid request: indicator: maxLength: longer than 2048 characters");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request breaks a documented rule; nothing was sent.
    #[error("invalid request: {}", join(.0))]
    Validation(Vec<Violation>),
    /// The API answered with an error status.
    #[error("{}HTTP {status}{}{}{}", prefix(request), code.as_ref().map(|c| format!(" [{c}]")).unwrap_or_default(), title.as_ref().map(|t| format!(" {t}")).unwrap_or_default(), detail.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Api {
        /// HTTP status.
        status: u16,
        /// Vendor error code (Log360's numeric code, Nameshield's code).
        code: Option<String>,
        /// Vendor title.
        title: Option<String>,
        /// Vendor detail (Datadog's `errors`, joined).
        detail: Option<String>,
        /// The request: method and URL (no credentials), empty if unknown.
        request: String,
    },
    /// The API answered with a redirect, which none of the bound APIs documents: it was not
    /// followed, so the credentials went to the configured host only.
    #[error("{}HTTP {status}: redirect to {} not followed (none of these APIs documents a redirect; credentials are only sent to the configured host)", prefix(request), location.as_deref().map(|h| format!("host {h}")).unwrap_or_else(|| "an unnamed location".into()))]
    Redirect {
        /// HTTP status (3xx).
        status: u16,
        /// The host named by `Location`, if any.
        location: Option<String>,
        /// The request: method and URL.
        request: String,
    },
    /// Still refused with HTTP 429 when the retry budget ran out, or the server asked to wait
    /// longer than the budget allows.
    #[error("{}rate limited: HTTP 429 after {attempts} attempt{}{}", prefix(request), if *attempts == 1 { "" } else { "s" }, retry_after.map(|d| format!(", server asks to wait {} s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// Attempts made.
        attempts: u32,
        /// The server's last wait hint.
        retry_after: Option<Duration>,
        /// The request: method and URL.
        request: String,
    },
    /// Server errors (5xx) until the retry budget ran out.
    #[error("gave up after {attempts} attempts: {last}")]
    RetriesExhausted {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        last: Box<Error>,
    },
    /// Credentials missing, refused, or not refreshable.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The request did not complete (connection, TLS, timeout, time budget).
    #[error("transport error: {0}")]
    Transport(String),
    /// The answer was larger than the configured bound (`Settings::max_response_bytes`); reading
    /// stopped there.
    #[error(
        "{}the answer is larger than the limit of {limit} bytes (--max-response-bytes)",
        prefix(request)
    )]
    TooLarge {
        /// The bound, in bytes.
        limit: u64,
        /// The request: method and URL.
        request: String,
    },
    /// The answer could not be read as the documented type.
    #[error("could not decode the response: {0}")]
    Decode(String),
    /// The API broke its own paging contract (a repeated cursor, an empty page that says more
    /// follow).
    #[error("the API broke its paging contract: {0}")]
    Protocol(String),
    /// A page walk stopped at `page` (1-based): `reason` says why, `resume` how to go on from there.
    #[error("page {page}: {reason} (resume with {resume})")]
    Pagination {
        /// The page that failed, 1-based.
        page: u64,
        /// Where to start again, as the CLI flag and value (e.g. `--from 101`).
        resume: String,
        /// What went wrong.
        reason: Box<Error>,
    },
    /// A bound chosen by the caller was reached (`--max-pages`).
    #[error("{0}")]
    Budget(String),
    /// Configuration (environment variable or builder value) missing or malformed.
    #[error("configuration: {name}: {problem}")]
    Config {
        /// The variable or setting.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// The quota store (a machine's state files, a Redis server) could not be used while a
    /// request waited for its slot: nothing was sent, and no quota of this process's own was
    /// used in its place.
    #[error("quota store: {0}")]
    QuotaStore(String),
    /// A beta operation was called without opting in.
    #[error("{operation} is a beta operation: enable it first (enable_unstable(\"{operation}\"))")]
    Unstable {
        /// The operationId.
        operation: String,
    },
}

fn prefix(request: &str) -> String {
    if request.is_empty() {
        String::new()
    } else {
        format!("{request}: ")
    }
}

fn join(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// The HTTP status the error carries, if any (the last one, after retries or pages).
    ///
    /// ```
    /// let e = threatbind::Error::RateLimited { attempts: 2, retry_after: None, request: String::new() };
    /// assert_eq!(e.status(), Some(429));
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Redirect { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            Error::RetriesExhausted { last, .. } => last.status(),
            Error::Pagination { reason, .. } => reason.status(),
            _ => None,
        }
    }

    /// A configuration error naming the variable or setting.
    ///
    /// ```
    /// let e = threatbind::Error::config("DD_SITE", "not a site");
    /// assert_eq!(e.to_string(), "configuration: DD_SITE: not a site");
    /// ```
    pub fn config(name: &str, problem: impl Into<String>) -> Self {
        Error::Config {
            name: name.to_owned(),
            problem: problem.into(),
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

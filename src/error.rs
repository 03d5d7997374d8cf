//! The one error type of the crate.

use crate::spec::Violation;
use std::time::Duration;

/// Everything that can go wrong, as variants a caller can match. `Display` is one line and never
/// contains a secret.
///
/// ```
/// use threatbind::{Error, spec::Violation};
/// let e = Error::Validation(vec![Violation::new("body.indicator", "maxLength", "longer than 2048 characters")]);
/// assert_eq!(e.to_string(), "invalid request: indicator: maxLength: longer than 2048 characters");
/// assert_eq!(e.exit_code(), 2);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request breaks a documented rule; nothing was sent.
    #[error("invalid request: {}", join(.0))]
    Validation(Vec<Violation>),
    /// The API answered with an error status.
    #[error("HTTP {status}{}{}{}", code.as_ref().map(|c| format!(" [{c}]")).unwrap_or_default(), title.as_ref().map(|t| format!(" {t}")).unwrap_or_default(), detail.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Api {
        /// HTTP status.
        status: u16,
        /// Vendor error code (Log360's numeric code, Nameshield's code).
        code: Option<String>,
        /// Vendor title.
        title: Option<String>,
        /// Vendor detail (Datadog's `errors`, joined).
        detail: Option<String>,
    },
    /// Still refused with HTTP 429 when the retry budget ran out.
    #[error("rate limited: HTTP 429 after {attempts} attempts{}", retry_after.map(|d| format!(", server asks to wait {}s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// Attempts made.
        attempts: u32,
        /// The server's last wait hint.
        retry_after: Option<Duration>,
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
    /// The request did not complete (connection, TLS, timeout).
    #[error("transport error: {0}")]
    Transport(String),
    /// The answer could not be read as the documented type.
    #[error("could not decode the response: {0}")]
    Decode(String),
    /// Configuration (environment variable or builder value) missing or malformed.
    #[error("configuration: {name}: {problem}")]
    Config {
        /// The variable or setting.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// A beta operation was called without opting in.
    #[error("{operation} is a beta operation: enable it first (enable_unstable(\"{operation}\"))")]
    Unstable {
        /// The operationId.
        operation: String,
    },
}

fn join(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// The `threatbind` CLI's exit code for this error: 2 invalid input, 3 API error,
    /// 4 transport, 5 rate limit or retry budget exhausted.
    ///
    /// ```
    /// assert_eq!(threatbind::Error::Transport("timed out".into()).exit_code(), 4);
    /// ```
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Validation(_) | Error::Config { .. } | Error::Unstable { .. } => 2,
            Error::Api { .. } | Error::Auth(_) | Error::Decode(_) => 3,
            Error::Transport(_) => 4,
            Error::RateLimited { .. } | Error::RetriesExhausted { .. } => 5,
        }
    }

    pub(crate) fn config(name: &str, problem: impl Into<String>) -> Self {
        Error::Config {
            name: name.to_owned(),
            problem: problem.into(),
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

//! The CLI's exit codes: a stable contract scripts depend on (README, `--help`). The library's
//! errors say what went wrong; which code a class of them gets is the CLI's choice, made here.

use threatbind::Error;

/// The output could not be written.
pub(crate) const OUTPUT: u8 = 1;

/// `enrich --fail-on-error`: every input has its record, and some record holds a failure (a
/// refusal of an indicator, a "not found"): for CI gates and cron alerts.
pub(crate) const FAILED_RECORDS: u8 = 8;

/// The credentials were refused: a cron job's alert can tell "rotate the key" from "the
/// vendor failed".
const REFUSED: u8 = 7;

/// The exit code of a run that failed with `error`: 2 invalid input or configuration (nothing
/// sent), 3 the API answered with an error (a redirect included), 4 transport, timeout, an
/// answer too large or a quota store that stopped answering, 5 rate limit, retry or page
/// budget exhausted, 6 an answer that breaks the documented type, 7 the credentials were refused
/// (HTTP 401 or 403, or the token exchange refused them). (8, [`FAILED_RECORDS`], is no error's:
/// enrich chooses it.)
pub(crate) fn code(error: &Error) -> u8 {
    match error {
        Error::Validation(_) | Error::Config { .. } | Error::Unstable { .. } => 2,
        Error::Auth(_) => REFUSED,
        Error::Api {
            status: 401 | 403, ..
        } => REFUSED,
        Error::Api { .. } | Error::Redirect { .. } | Error::Protocol(_) => 3,
        Error::Transport(_) | Error::TooLarge { .. } | Error::QuotaStore(_) => 4,
        Error::RateLimited { .. } | Error::RetriesExhausted { .. } | Error::Budget(_) => 5,
        Error::Decode(_) => 6,
        Error::Pagination { reason, .. } => code(reason),
        // A class added to the library later: an error of the run, not of its input.
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::code;
    use std::time::Duration;
    use threatbind::spec::Violation;
    use threatbind::Error;

    fn api(status: u16) -> Error {
        Error::Api {
            status,
            code: None,
            title: None,
            detail: None,
            request: String::new(),
        }
    }

    #[test]
    fn every_class_of_error_has_its_documented_code() {
        let cases: Vec<(Error, u8)> = vec![
            (
                Error::Validation(vec![Violation::new("body.x", "maxLength", "long")]),
                2,
            ),
            (Error::config("DD_SITE", "not a site"), 2),
            (
                Error::Unstable {
                    operation: "x".into(),
                },
                2,
            ),
            (api(404), 3),
            (
                Error::Redirect {
                    status: 302,
                    location: None,
                    request: String::new(),
                },
                3,
            ),
            (Error::Auth("refused".into()), 7),
            (api(401), 7),
            (api(403), 7),
            (api(429), 3),
            (Error::Protocol("cursor repeated".into()), 3),
            (Error::Transport("timed out".into()), 4),
            (
                Error::TooLarge {
                    limit: 1,
                    request: String::new(),
                },
                4,
            ),
            (Error::QuotaStore("gone".into()), 4),
            (
                Error::RateLimited {
                    attempts: 2,
                    retry_after: Some(Duration::from_secs(1)),
                    request: String::new(),
                },
                5,
            ),
            (
                Error::RetriesExhausted {
                    attempts: 3,
                    last: Box::new(api(503)),
                },
                5,
            ),
            (Error::Budget("--max-pages".into()), 5),
            (Error::Decode("data[1].id".into()), 6),
            (
                Error::Pagination {
                    page: 2,
                    resume: "--page 2".into(),
                    reason: Box::new(Error::Transport("reset".into())),
                },
                4,
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(code(&error), expected, "{error}");
        }
    }
}

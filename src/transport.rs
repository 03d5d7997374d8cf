//! The shared request path of every client. Validation has happened; here a request waits for
//! its quota, gets its credentials, is sent (redirects never followed, answers bounded in size),
//! is checked, and is retried under the one [`RetryPolicy`], within a time budget. Every attempt
//! logs one line at `info` level (method, URL, status, duration, attempt, wait before the next).

use crate::error::{Error, Result};
use crate::ratelimit::RateLimiter;
use crate::retry::{retryable, server_hint, RetryPolicy};
use crate::secret::redact;
use crate::spec::{Operation, Violation};
use futures::future::BoxFuture;
use serde_json::Value;
use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Puts credentials on a request. Implemented per API (Zoho OAuth, bearer token, Datadog keys).
pub trait Authorizer: Send + Sync + std::fmt::Debug {
    /// Adds the credential headers to `request`.
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<()>>;

    /// Called after a 401: forget the current credential. `true` if a fresh one can be
    /// obtained, so the request is worth one more try.
    fn invalidate(&self) -> bool {
        false
    }
}

/// What the hooks of a generated client hold: the API, the runtime (credentials, the account's
/// limiter, the retry policy) and the bounds. Built by the clients' builders only: there is no
/// way to send through a generated client without validation, quota, credentials and retries.
#[derive(Debug, Clone)]
pub struct Hooks {
    pub(crate) api: crate::spec::Api,
    pub(crate) runtime: Runtime,
    pub(crate) max_response_bytes: u64,
    /// Beta operations the caller enabled (normalised ids, see [`normalise`]).
    pub(crate) unstable: Arc<std::collections::BTreeSet<String>>,
}

/// `v2.get_indicator_of_compromise`, `get_indicator_of_compromise`, `v2.GetIndicatorOfCompromise`
/// and `getIndicatorOfCompromise` all name the same operation.
pub(crate) fn normalise(name: &str) -> String {
    crate::spec::generated_key(name.trim_start_matches("v2."))
}

/// What one call left behind, recorded by the hooks for [`send_raw`]: the request line and a
/// typed error (a violation, a redirect, an answer too large, a spent budget) that progenitor
/// would otherwise turn into a string.
#[derive(Default)]
struct Attempt {
    request: String,
    error: Option<Error>,
    /// The operation the hooks saw (its spec id).
    operation: Option<&'static Operation>,
    /// Set by [`capture`]: the pre hook records the request document and sends nothing.
    capture: bool,
    captured: Option<Value>,
}

tokio::task_local! {
    static ATTEMPT: RefCell<Attempt>;
}

const CAPTURED: &str = "captured, not sent";

fn record(f: impl FnOnce(&mut Attempt)) {
    let _ = ATTEMPT.try_with(|cell| f(&mut cell.borrow_mut()));
}

/// `METHOD URL`, the URL without user info and with every known secret redacted.
fn request_line(method: &reqwest::Method, url: &reqwest::Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        // Nothing to take out (the base URL is checked to carry none): no copy of the URL,
        // whose setters serialise it again.
        return redact(&format!("{method} {url}"));
    }
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    redact(&format!("{method} {url}"))
}

/// The pre-request hook of every generated client (wired by `build.rs`): the request, as built,
/// is checked against the spec and its `x-rules`, and a beta operation must have been enabled.
/// Nothing is sent otherwise.
pub async fn pre(
    hooks: &Hooks,
    request: &mut reqwest::Request,
    operation_id: &str,
) -> std::result::Result<(), String> {
    let line = request_line(request.method(), request.url());
    checked(
        hooks,
        request,
        line,
        hooks.api.operation_by_generated_id(operation_id),
    )
}

/// The checks of [`pre`], on `request` whose line is `line`, for `op` (the operation its
/// generated id names).
fn checked(
    hooks: &Hooks,
    request: &reqwest::Request,
    line: String,
    op: Option<&'static Operation>,
) -> std::result::Result<(), String> {
    record(|a| a.request = line);
    let Some(op) = op else {
        return Ok(());
    };
    record(|a| a.operation = Some(op));
    let capturing = ATTEMPT
        .try_with(|cell| cell.borrow().capture)
        .unwrap_or(false);
    if capturing {
        let document = op.request_document(request);
        record(|a| a.captured = Some(document));
        return Err(CAPTURED.to_owned());
    }
    let error = if op.unstable && !hooks.unstable.contains(&normalise(&op.id)) {
        Error::Unstable {
            operation: op.id.clone(),
        }
    } else {
        let document = op.request_document(request);
        if let Some(variable) = op.unset_variable(&document) {
            let error = Error::config(&variable, format!("not set (needed by {})", op.id));
            let message = error.to_string();
            record(|a| a.error = Some(error));
            return Err(message);
        }
        match op.validate_request(&document, chrono::Utc::now()) {
            Ok(()) => {
                warn_deprecated(op);
                return Ok(());
            }
            Err(violations) => Error::Validation(violations),
        }
    };
    let message = error.to_string();
    record(|a| a.error = Some(error));
    Err(message)
}

/// A generated builder's `send()` future: what [`call`] sends and the typed clients' `items`
/// and `pages` walk. Implemented for every such future.
pub trait GeneratedRequest<T>:
    Future<
    Output = std::result::Result<
        progenitor_client::ResponseValue<T>,
        progenitor_client::Error<Self::ErrorBody>,
    >,
>
{
    /// The operation's documented error body.
    type ErrorBody: serde::Serialize;
}

impl<T, E: serde::Serialize, F> GeneratedRequest<T> for F
where
    F: Future<
        Output = std::result::Result<
            progenitor_client::ResponseValue<T>,
            progenitor_client::Error<E>,
        >,
    >,
{
    type ErrorBody = E;
}

/// Runs `request` with `attempt` as its side channel and returns what the hooks recorded.
async fn scoped<T, F: GeneratedRequest<T>>(attempt: Attempt, request: F) -> (F::Output, Attempt) {
    ATTEMPT
        .scope(RefCell::new(attempt), async {
            let outcome = request.await;
            (outcome, ATTEMPT.with(|cell| cell.take()))
        })
        .await
}

/// A value the generated builder could not convert (a typed newtype's length or format).
fn not_built(message: &str) -> Error {
    // The generated builders' own words: "NAME was not initialized" (a required value not
    // given), "conversion to `T` for NAME failed", "error converting supplied value for NAME:
    // ...". The field and the rule are named as the validator names them.
    let (field, rule) = if let Some(name) = message.strip_suffix(" was not initialized") {
        (name, "required")
    } else if let Some((_, rest)) = message.split_once(" for ") {
        (rest.split([' ', ':']).next().unwrap_or(""), "type")
    } else {
        ("", "type")
    };
    let why = match rule {
        "required" => format!("{field} is required and was not given"),
        _ => redact(message),
    };
    Error::Validation(vec![Violation::new(field, rule, why)])
}

/// Sends a request built with a generated client's builder (its `send()` future) and gives its
/// answer, or the one typed [`Error`] of the send path: a [`Error::Validation`] naming the field
/// and the rule, a quota or retry budget spent, the vendor's error, a [`Error::Decode`] naming
/// the JSON path of an answer that breaks the documented type. Every call of a typed client
/// goes through it; library users get the same errors for the calls they build themselves.
///
/// ```no_run
/// # async fn run(client: threatbind::nameshield_cti::NameshieldClient) -> threatbind::Result<()> {
/// let page = threatbind::call(client.generated().list_threat_events().size(500).send()).await?;
/// println!("{} events", page.data.len());
/// # Ok(()) }
/// ```
pub async fn call<T, F: GeneratedRequest<T>>(request: F) -> Result<T> {
    let (outcome, log) = scoped(Attempt::default(), request).await;
    if let Some(error) = log.error {
        return Err(error);
    }
    let operation = log.operation.map_or("request", |op| op.id.as_str());
    let vendor = |status: reqwest::StatusCode, body: Option<Value>| {
        let error = api_error(status.as_u16(), body.as_ref()).at(&log.request);
        if status == reqwest::StatusCode::UNAUTHORIZED {
            Error::Auth(error.to_string())
        } else {
            error
        }
    };
    match outcome {
        Ok(answer) => Ok(answer.into_inner()),
        Err(progenitor_client::Error::ErrorResponse(answer)) => {
            let status = answer.status();
            Err(vendor(
                status,
                serde_json::to_value(answer.into_inner()).ok(),
            ))
        }
        Err(progenitor_client::Error::UnexpectedResponse(response)) => {
            let status = response.status();
            let body = response.bytes().await.ok();
            let parsed = body.and_then(|b| serde_json::from_slice(&b).ok());
            if status.is_success() {
                return Err(Error::Protocol(redact(&format!(
                    "{operation} ({}): status {status} is not documented",
                    log.request
                ))));
            }
            Err(vendor(status, parsed))
        }
        Err(progenitor_client::Error::InvalidResponsePayload(body, e)) => {
            let problem = log
                .operation
                .and_then(|op| (op.api.decode_check())(&op.id, &body))
                .and_then(|r| r.err())
                .unwrap_or_else(|| e.to_string());
            Err(Error::Decode(redact(&format!(
                "{operation} ({}): the answer breaks the documented type {problem}",
                log.request
            ))))
        }
        // A value the generated builder could not take: a required one not given, or one of
        // the wrong type.
        Err(progenitor_client::Error::InvalidRequest(message)) => Err(not_built(&message)),
        Err(progenitor_client::Error::CommunicationError(e))
        | Err(progenitor_client::Error::ResponseBodyError(e))
        | Err(progenitor_client::Error::InvalidUpgrade(e)) => Err(Error::Transport(describe(&e))),
        Err(progenitor_client::Error::Custom(message)) => Err(Error::Transport(redact(&message))),
    }
}

/// Runs a generated builder's `send()` future up to the pre hook and returns the operation and
/// its request document, sending nothing (how the typed clients hand a built request to the
/// spec-driven page walker).
pub(crate) async fn capture<T, F: GeneratedRequest<T>>(
    request: F,
) -> Result<(&'static Operation, Value)> {
    let attempt = Attempt {
        capture: true,
        ..Attempt::default()
    };
    let (outcome, log) = scoped(attempt, request).await;
    match (log.operation, log.captured) {
        (Some(op), Some(document)) => Ok((op, document)),
        _ => match outcome {
            Err(progenitor_client::Error::InvalidRequest(message)) => Err(not_built(&message)),
            _ => Err(Error::Protocol(
                "the request did not reach the send path's hooks".to_owned(),
            )),
        },
    }
}

/// The answer of one attempt, read whole (within the size bound).
struct Answer {
    status: reqwest::StatusCode,
    headers: reqwest::header::HeaderMap,
    version: reqwest::Version,
    body: Vec<u8>,
}

impl Answer {
    fn into_response(self) -> reqwest::Response {
        let mut rebuilt = http::Response::new(self.body);
        *rebuilt.status_mut() = self.status;
        *rebuilt.headers_mut() = self.headers;
        *rebuilt.version_mut() = self.version;
        reqwest::Response::from(rebuilt)
    }
}

/// Why an attempt has no answer.
enum NoAnswer {
    /// The connection failed (retried).
    Transport(reqwest::Error),
    /// The answer was refused (a redirect, too large, a credential that cannot be sent): final.
    Refused(Error),
}

/// Sends once: credentials, the request, then the answer read within the size bound; a
/// redirect is refused, never followed.
async fn send_once(
    hooks: &Hooks,
    http: &reqwest::Client,
    mut request: reqwest::Request,
    line: &str,
) -> std::result::Result<Answer, NoAnswer> {
    hooks
        .runtime
        .auth
        .authorize(&mut request)
        .await
        .map_err(NoAnswer::Refused)?;
    if tracing::enabled!(tracing::Level::DEBUG) {
        tracing::debug!("{line} request headers: {}", shown(request.headers()));
    }
    let mut response = http.execute(request).await.map_err(NoAnswer::Transport)?;
    let status = response.status();
    // Taken, not copied: the body is read from the response without them.
    let headers = std::mem::take(response.headers_mut());
    if tracing::enabled!(tracing::Level::DEBUG) {
        tracing::debug!("{line} answer headers ({status}): {}", shown(&headers));
    }
    if status.is_redirection() {
        let location = headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| response.url().join(l).ok())
            .and_then(|u| u.host_str().map(redact));
        return Err(NoAnswer::Refused(Error::Redirect {
            status: status.as_u16(),
            location,
            request: line.to_owned(),
        }));
    }
    let limit = hooks.max_response_bytes;
    let too_large = || {
        NoAnswer::Refused(Error::TooLarge {
            limit,
            request: line.to_owned(),
        })
    };
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(NoAnswer::Transport)? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(too_large());
        }
        if body.is_empty() {
            // The first chunk becomes the body (without a copy when it owns its bytes alone).
            body = Vec::from(chunk);
        } else {
            body.extend_from_slice(&chunk);
        }
    }
    Ok(Answer {
        status,
        headers,
        version: response.version(),
        body,
    })
}

/// Sends a request for a generated client (wired by `build.rs`): the one send path. Each
/// attempt waits for the account's quota, gets fresh credentials, is sent (no redirect
/// followed, the answer bounded), and is retried under the policy within its time budget; the
/// answer is handed back to the generated code as a response.
pub async fn exec(
    hooks: &Hooks,
    http: &reqwest::Client,
    request: reqwest::Request,
    operation_id: &str,
) -> reqwest::Result<reqwest::Response> {
    match attempts(hooks, http, request, operation_id).await {
        Ok(answer) => Ok(answer.into_response()),
        Err(NoAnswer::Transport(e)) => Err(e),
        Err(NoAnswer::Refused(error)) => Err(refuse(error)),
    }
}

/// Each attempt waits for the account's quota, gets fresh credentials, is sent (no redirect
/// followed, the answer bounded), and is retried under the policy within its time budget.
async fn attempts(
    hooks: &Hooks,
    http: &reqwest::Client,
    request: reqwest::Request,
    operation_id: &str,
) -> std::result::Result<Answer, NoAnswer> {
    let line = request_line(request.method(), request.url());
    record(|a| a.request = line.clone());
    let op_id = hooks
        .api
        .operation_by_generated_id(operation_id)
        .map_or(operation_id, |op| op.id.as_str());
    attempts_of(hooks, http, request, op_id, &line).await
}

/// [`attempts`] of `request` for the operation `op_id`, whose request line is `line`.
async fn attempts_of(
    hooks: &Hooks,
    http: &reqwest::Client,
    request: reqwest::Request,
    op_id: &str,
    line: &str,
) -> std::result::Result<Answer, NoAnswer> {
    hooks
        .runtime
        .attempts(op_id, line, || {
            let request = request.try_clone();
            async {
                match request {
                    Some(request) => send_once(hooks, http, request, line).await,
                    None => Err(NoAnswer::Refused(Error::Transport(format!(
                        "{line}: the request body cannot be replayed"
                    )))),
                }
            }
        })
        .await
}

/// Records `error` for the caller of the generated client and gives the generated code a transport error, so that
/// nothing downstream can mistake the answer for a success.
fn refuse(error: Error) -> reqwest::Error {
    record(|a| a.error = Some(error));
    let mut refused = http::Response::new(Vec::<u8>::new());
    *refused.status_mut() = reqwest::StatusCode::BAD_GATEWAY;
    reqwest::Response::from(refused)
        .error_for_status()
        // A 502 is an error status whatever the body: this is reqwest's documented behaviour,
        // not something an input can change.
        .expect_err("error_for_status refuses a 502")
}

/// How a client sends: its limiter, retry policy, credentials and page bound.
#[derive(Debug, Clone)]
pub(crate) struct Runtime {
    /// The API's quota.
    pub limiter: Option<Arc<RateLimiter>>,
    /// The quotas of operations whose spec states their own, by operationId.
    pub operation_limiters: std::collections::HashMap<String, Arc<RateLimiter>>,
    pub retry: RetryPolicy,
    pub auth: Arc<dyn Authorizer>,
    /// The page bound of the typed clients' walks (Datadog's client has none).
    #[cfg_attr(
        not(any(feature = "log360-cloud", feature = "nameshield-cti")),
        allow(dead_code)
    )]
    pub max_pages: u64,
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

impl Runtime {
    /// Runs attempts until one is final: an answer that is not retried, a refusal, or a spent
    /// budget (attempts, time, a `Retry-After` longer than what is left). The typed error of
    /// a spent budget is recorded for [`Runtime::send`]; the last answer is returned, so that a
    /// caller of the generated client sees the vendor's 429 or 5xx as such.
    async fn attempts<F, Fut>(
        &self,
        op_id: &str,
        line: &str,
        mut attempt: F,
    ) -> std::result::Result<Answer, NoAnswer>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<Answer, NoAnswer>>,
    {
        let started = Instant::now();
        let budget = self.retry.max_elapsed;
        let deadline = started + budget;
        let out_of_time = |what: &str| {
            NoAnswer::Refused(Error::Transport(format!(
                "{line}: gave up {what}: the time budget of {} (--max-time) ran out",
                seconds(budget)
            )))
        };
        let max = self.retry.max_attempts.max(1);
        let mut attempts = 0;
        let mut refreshed = false;
        loop {
            attempts += 1;
            let limiter = self.operation_limiters.get(op_id).or(self.limiter.as_ref());
            let permit = match limiter {
                None => None,
                // A free slot is taken at once; a timer is armed only to wait for one.
                Some(limiter) => match limiter.take_now() {
                    Some(permit) => Some(permit),
                    None => match tokio::time::timeout_at(deadline, limiter.acquire()).await {
                        Ok(permit) => Some(permit.map_err(NoAnswer::Refused)?),
                        Err(_) => return Err(out_of_time("waiting for the quota")),
                    },
                },
            };
            let sent = Instant::now();
            let outcome = tokio::time::timeout_at(deadline, attempt()).await;
            if let Some(permit) = permit {
                permit.release().await;
            }
            let took = sent.elapsed();
            let note = |outcome: &str, wait: Option<Duration>| {
                let next = wait
                    .map(|w| format!(", retrying in {}", seconds(w)))
                    .unwrap_or_default();
                tracing::info!(
                    "{line} -> {outcome} in {} ms (attempt {attempts} of {max}){next}",
                    took.as_millis()
                );
            };
            let Ok(outcome) = outcome else {
                note("no answer", None);
                return Err(out_of_time("waiting for the answer"));
            };
            let answer = match outcome {
                Ok(answer) => answer,
                Err(NoAnswer::Refused(error)) => {
                    note(
                        &error.status().map_or("refused".into(), |s| s.to_string()),
                        None,
                    );
                    return Err(NoAnswer::Refused(error));
                }
                Err(NoAnswer::Transport(e)) => {
                    let delay = self.retry.delay(attempts, None);
                    let left = budget.saturating_sub(started.elapsed());
                    if attempts >= max || delay > left {
                        note("no answer", None);
                        let message = format!("{line}: {}", describe(&e));
                        record(|a| a.error = Some(Error::Transport(message)));
                        return Err(NoAnswer::Transport(e));
                    }
                    note("no answer", Some(delay));
                    tokio::time::sleep(delay).await;
                    continue;
                }
            };
            let status = answer.status.as_u16();
            if status == 401 && !refreshed && self.auth.invalidate() {
                note("401", Some(Duration::ZERO));
                refreshed = true;
                attempts -= 1;
                continue;
            }
            if !retryable(status) {
                note(&status.to_string(), None);
                return Ok(answer);
            }
            let hint = server_hint(&answer.headers);
            let body: Option<Value> = serde_json::from_slice(&answer.body).ok();
            let last = api_error(status, body.as_ref()).at(line);
            let left = budget.saturating_sub(started.elapsed());
            // A server that asks for a wait the budget cannot give fails at once, saying so.
            if let Some(asked) = hint.filter(|h| *h > left || *h > self.retry.max_delay) {
                note(&status.to_string(), None);
                record(|a| a.error = Some(spent(last, attempts, Some(asked), true)));
                return Ok(answer);
            }
            let delay = match (status, hint, limiter) {
                // A 429 without a hint: back off on the quota's scale, up to its period.
                (429, None, Some(limiter)) => {
                    let quota = limiter.limit();
                    let floor = quota.period / quota.requests.max(1);
                    self.retry.backoff(attempts, floor, quota.period)
                }
                _ => self.retry.delay(attempts, hint),
            };
            if attempts >= max || delay > left {
                note(&status.to_string(), None);
                record(|a| a.error = Some(spent(last, attempts, hint, false)));
                return Ok(answer);
            }
            note(&status.to_string(), Some(delay));
            tracing::debug!(operation = op_id, "{last}");
            tokio::time::sleep(delay).await;
        }
    }
}

/// Sends a built request through the hooks (the generic path of the raw client) and
/// returns the answer's bytes; an error status is a typed error, and a success whose body breaks
/// the documented type carries [`Error::Decode`] beside the untouched body.
pub(crate) async fn send_raw(
    hooks: &Hooks,
    http: &reqwest::Client,
    request: reqwest::Request,
    op: &Operation,
    decode: crate::answer::DecodeCheck,
) -> Result<crate::answer::RawAnswer> {
    // The operation the hooks know by this id and the request line, each found once for
    // the checks and the attempts.
    let found = hooks.api.operation_by_generated_id(&op.id);
    let op_id = found.map_or(op.id.as_str(), |op| op.id.as_str());
    let line = request_line(request.method(), request.url());
    let (outcome, log) = ATTEMPT
        .scope(RefCell::new(Attempt::default()), async {
            let outcome = match checked(hooks, &request, line.clone(), found) {
                Err(message) => Err(Error::Validation(vec![Violation::new("", "spec", message)])),
                Ok(()) => match attempts_of(hooks, http, request, op_id, &line).await {
                    Ok(answer) => Ok(answer),
                    Err(NoAnswer::Refused(error)) => Err(error),
                    Err(NoAnswer::Transport(e)) => Err(Error::Transport(describe(&e))),
                },
            };
            (outcome, ATTEMPT.with(|cell| cell.take()))
        })
        .await;
    // A spent budget is recorded beside the last answer it returns.
    if let Some(error) = log.error {
        return Err(error);
    }
    let Answer {
        status,
        headers,
        body,
        ..
    } = outcome?;
    let status = status.as_u16();
    if status >= 300 {
        let parsed: Option<Value> = serde_json::from_slice(&body).ok();
        let error = api_error(status, parsed.as_ref()).at(&log.request);
        return Err(if status == 401 {
            Error::Auth(error.to_string())
        } else {
            error
        });
    }
    let decode_error = match decode(&op.id, &body) {
        Some(Err(problem)) => Some(Error::Decode(redact(&format!(
            "{} ({}): the answer breaks the documented type {problem}",
            op.id, log.request
        )))),
        _ => None,
    };
    Ok(crate::answer::RawAnswer {
        status,
        headers,
        body,
        decode_error,
    })
}

/// The typed error of a spent budget after `last`: 429s are [`Error::RateLimited`], the rest
/// [`Error::RetriesExhausted`]; `asked` is a server wait the budget could not give.
fn spent(last: Error, attempts: u32, hint: Option<Duration>, too_long: bool) -> Error {
    match last {
        Error::Api {
            status: 429,
            request,
            ..
        } => Error::RateLimited {
            attempts,
            retry_after: hint,
            request,
        },
        Error::Api {
            status,
            code,
            title,
            detail,
            request,
        } => Error::RetriesExhausted {
            attempts,
            last: Box::new(Error::Api {
                status,
                code,
                title,
                detail: match (too_long, hint) {
                    (true, Some(asked)) => Some(format!(
                        "{}server asks to wait {} s",
                        detail.map(|d| format!("{d}; ")).unwrap_or_default(),
                        asked.as_secs()
                    )),
                    _ => detail,
                },
                request,
            }),
        },
        other => other,
    }
}

/// Headers for a log line, each `name: value`, a credential (a value marked sensitive, or a
/// header that carries one) as `***`.
fn shown(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .iter()
        .map(|(name, value)| {
            let secret = value.is_sensitive()
                || matches!(
                    name.as_str(),
                    "authorization" | "cookie" | "set-cookie" | "proxy-authorization"
                );
            let value = if secret {
                "***".to_owned()
            } else {
                redact(&String::from_utf8_lossy(value.as_bytes()))
            };
            format!("{name}: {value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What failed in a request that got no answer, with its innermost cause, redacted.
pub(crate) fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out (--timeout, per attempt)"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    redact(&if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    })
}

impl Error {
    /// Names the request on an API error.
    fn at(self, line: &str) -> Self {
        match self {
            Error::Api {
                status,
                code,
                title,
                detail,
                ..
            } => Error::Api {
                status,
                code,
                title,
                detail,
                request: line.to_owned(),
            },
            other => other,
        }
    }
}

/// Reads any vendor's error body: Log360 `{"error":{code,title,detail}}`, Datadog
/// `{"errors":["..."]}` or JSON:API objects `{"errors":[{title,detail,status,source}]}`,
/// Nameshield `{"errors":[{code,message,details}]}` or a single object. One JSON:API error
/// gives the title and the detail (with the parameter, header or pointer its `source` names);
/// several are joined. Every text is redacted: a server that echoes a credential does not get it
/// printed.
pub(crate) fn api_error(status: u16, body: Option<&Value>) -> Error {
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(redact(s)),
        Some(Value::Null) | None => None,
        Some(other) => Some(redact(&other.to_string())),
    };
    let (mut code, mut title, mut detail) = (None, None, None);
    if let Some(body) = body {
        if let Some(e) = body.get("error").filter(|e| e.is_object()) {
            code = text(e.get("code"));
            title = text(e.get("title"));
            detail = text(e.get("detail"));
        } else if let Some(errors) = body.get("errors") {
            let items: Vec<&Value> = match errors {
                Value::Array(list) => list.iter().collect(),
                other => vec![other],
            };
            code = items.iter().find_map(|i| text(i.get("code")));
            title = text(body.get("message"));
            // JSON:API (Datadog's real answers): one error is a title and a detail.
            let jsonapi = |i: &Value| i.get("title").is_some() || i.get("detail").is_some();
            if let ([only], None) = (items.as_slice(), &title) {
                if jsonapi(only) {
                    title = text(only.get("title"));
                    detail = jsonapi_detail(only, &text);
                    return Error::Api {
                        status,
                        code,
                        title,
                        detail,
                        request: String::new(),
                    };
                }
            }
            let mut messages: Vec<String> = items
                .iter()
                .take(MAX_ERRORS_SHOWN)
                .filter_map(|i| match i {
                    Value::String(s) => Some(redact(s)),
                    obj if jsonapi(obj) => {
                        match (text(obj.get("title")), jsonapi_detail(obj, &text)) {
                            (Some(t), Some(d)) => Some(format!("{t}: {d}")),
                            (t, d) => t.or(d),
                        }
                    }
                    obj => {
                        let m = text(obj.get("message"));
                        let d = text(obj.get("details"));
                        match (m, d) {
                            (Some(m), Some(d)) => Some(format!("{m} ({d})")),
                            (m, d) => m.or(d),
                        }
                    }
                })
                .collect();
            // Those left out are counted, never silently dropped.
            let more = items.len().saturating_sub(MAX_ERRORS_SHOWN);
            if more > 0 {
                messages.push(format!("and {more} more"));
            }
            detail = (!messages.is_empty()).then(|| messages.join("; "));
        }
    }
    Error::Api {
        status,
        code,
        title,
        detail,
        request: String::new(),
    }
}

/// The most errors of one answer shown (the rest are counted: `and N more`).
const MAX_ERRORS_SHOWN: usize = 20;

/// A JSON:API error's `detail`, with what its `source` names (`parameter sort[column]`,
/// `header DD-API-KEY`, `pointer /data/type`).
fn jsonapi_detail(item: &Value, text: &dyn Fn(Option<&Value>) -> Option<String>) -> Option<String> {
    let detail = text(item.get("detail"));
    let source = item.get("source").and_then(|s| {
        ["parameter", "header", "pointer"]
            .iter()
            .find_map(|k| text(s.get(*k)).map(|v| format!("{k} {v}")))
    });
    match (detail, source) {
        (Some(d), Some(s)) => Some(format!("{d} ({s})")),
        (d, s) => d.or(s),
    }
}

fn warn_deprecated(op: &Operation) {
    use std::sync::Mutex;
    static WARNED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    if !op.deprecated {
        return;
    }
    let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
    if !warned.contains(&op.id) {
        warned.push(op.id.clone());
        tracing::warn!(operation = %op.id, "deprecated operation: the vendor will remove it");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    #[derive(Debug)]
    struct NoAuth;
    impl Authorizer for NoAuth {
        fn authorize<'a>(&'a self, _: &'a mut reqwest::Request) -> BoxFuture<'a, Result<()>> {
            Box::pin(async { Ok(()) })
        }
    }

    fn runtime(retry: RetryPolicy) -> Runtime {
        Runtime {
            limiter: None,
            operation_limiters: Default::default(),
            retry,
            auth: Arc::new(NoAuth),
            max_pages: 10,
        }
    }

    fn answer(status: u16, headers: &[(&'static str, &str)]) -> Answer {
        let mut map = reqwest::header::HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().unwrap());
        }
        Answer {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            headers: map,
            version: reqwest::Version::HTTP_11,
            body: json!({"error": {"code": "1"}}).to_string().into_bytes(),
        }
    }

    /// Replays `script` (one answer per attempt); reports the final status or the typed error
    /// recorded for a spent budget, and the attempts made.
    async fn replay(rt: &Runtime, script: Vec<Answer>) -> (std::result::Result<u16, Error>, u32) {
        let calls = AtomicU32::new(0);
        let script = std::sync::Mutex::new(script.into_iter());
        let (outcome, log) = ATTEMPT
            .scope(RefCell::new(Attempt::default()), async {
                let outcome = rt
                    .attempts("op", "GET http://test/", || {
                        calls.fetch_add(1, Ordering::SeqCst);
                        let next = script.lock().unwrap().next().expect("script too short");
                        async move { Ok(next) }
                    })
                    .await;
                (outcome, ATTEMPT.with(|cell| cell.take()))
            })
            .await;
        let result = match (log.error, outcome) {
            (Some(error), _) => Err(error),
            (None, Ok(answer)) => Ok(answer.status.as_u16()),
            (None, Err(_)) => panic!("no typed error recorded"),
        };
        (result, calls.load(Ordering::SeqCst))
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_then_backoff_grows() {
        let rt = runtime(RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(2),
            ..RetryPolicy::default()
        });
        let start = tokio::time::Instant::now();
        let (result, calls) = replay(
            &rt,
            vec![
                answer(429, &[("retry-after", "7")]),
                answer(503, &[]),
                answer(500, &[]),
                answer(200, &[]),
            ],
        )
        .await;
        assert_eq!(result.unwrap(), 200);
        assert_eq!(calls, 4);
        // 7 s as asked, then 1-2 s (retry 2: base 2 s doubled = 4 s, jittered to [2, 4]), then [4, 8].
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(7 + 2 + 4) && waited <= Duration::from_secs(7 + 4 + 8),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn budgets_end_in_typed_errors() {
        let rt = runtime(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        });
        let (result, calls) = replay(
            &rt,
            vec![
                answer(429, &[]),
                answer(429, &[]),
                answer(429, &[("retry-after", "5")]),
            ],
        )
        .await;
        assert!(
            matches!(result, Err(Error::RateLimited { attempts: 3, retry_after: Some(d), .. }) if d == Duration::from_secs(5)),
            "{result:?}"
        );
        assert_eq!(calls, 3);
        let (result, _) = replay(
            &rt,
            vec![answer(500, &[]), answer(502, &[]), answer(503, &[])],
        )
        .await;
        assert!(
            matches!(result, Err(Error::RetriesExhausted { attempts: 3, ref last }) if matches!(**last, Error::Api { status: 503, .. })),
            "{result:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn total_time_is_bounded_and_other_4xx_are_not_retried() {
        let rt = runtime(RetryPolicy {
            max_attempts: 10,
            max_elapsed: Duration::from_secs(30),
            ..RetryPolicy::default()
        });
        let (result, calls) = replay(
            &rt,
            vec![
                answer(429, &[("retry-after", "20")]),
                answer(429, &[("retry-after", "20")]),
            ],
        )
        .await;
        // The second wait would end after the 30 s budget: it fails at once, saying so.
        assert!(
            matches!(result, Err(Error::RateLimited { attempts: 2, .. })),
            "{result:?}"
        );
        assert!(result
            .unwrap_err()
            .to_string()
            .contains("server asks to wait 20 s"));
        assert_eq!(calls, 2);
        for status in [400, 401, 403, 404, 422] {
            let (result, calls) = replay(&rt, vec![answer(status, &[])]).await;
            assert_eq!(result.unwrap(), status);
            assert_eq!(calls, 1, "{status} was retried");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_without_a_hint_backs_off_on_the_quota_scale() {
        let mut rt = runtime(RetryPolicy {
            max_attempts: 6,
            ..RetryPolicy::default()
        });
        let quota = crate::spec::RateLimit {
            requests: 10,
            period: Duration::from_secs(20),
        };
        rt.limiter = Some(Arc::new(RateLimiter::new(quota)));
        let start = tokio::time::Instant::now();
        let mut script: Vec<Answer> = (0..5).map(|_| answer(429, &[])).collect();
        script.push(answer(200, &[]));
        let (result, calls) = replay(&rt, script).await;
        assert_eq!((result.unwrap(), calls), (200, 6));
        // Retries wait [1,2], [2,4], [4,8], [8,16], [10,20] s: from period/N up to the period,
        // not the 0.5 s-based backoff meant for server errors (at most 7.75 s in all).
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(25) && waited <= Duration::from_secs(50),
            "{waited:?}"
        );
    }

    #[test]
    fn every_vendor_error_shape_is_read() {
        let log360 = api_error(
            400,
            Some(
                &json!({"error": {"code": "100010404", "title": "Bad Request", "detail": "Rule ID is required."}}),
            ),
        );
        assert_eq!(
            log360.to_string(),
            "HTTP 400 [100010404] Bad Request: Rule ID is required."
        );
        let datadog = api_error(403, Some(&json!({"errors": ["Forbidden", "bad key"]})));
        assert_eq!(datadog.to_string(), "HTTP 403: Forbidden; bad key");
        let ns_list = api_error(
            400,
            Some(
                &json!({"errors": [{"code": "E42", "message": "bad size", "details": "max 500"}]}),
            ),
        );
        assert_eq!(ns_list.to_string(), "HTTP 400 [E42]: bad size (max 500)");
        let ns_one = api_error(
            404,
            Some(&json!({"errors": {"code": "NOT_FOUND", "message": "no event"}})),
        );
        assert_eq!(ns_one.to_string(), "HTTP 404 [NOT_FOUND]: no event");
        let jsonapi = api_error(
            400,
            Some(
                &json!({"errors": [{"status": "400", "title": "Bad Request", "detail": "invalid sort column", "source": {"parameter": "sort[column]"}}]}),
            ),
        );
        assert_eq!(
            jsonapi.to_string(),
            "HTTP 400 Bad Request: invalid sort column (parameter sort[column])"
        );
        let jsonapi_many = api_error(
            403,
            Some(
                &json!({"errors": [{"title": "Forbidden"}, {"title": "Forbidden", "detail": "no key"}, "plain"]}),
            ),
        );
        assert_eq!(
            jsonapi_many.to_string(),
            "HTTP 403: Forbidden; Forbidden: no key; plain"
        );
        assert_eq!(api_error(502, None).to_string(), "HTTP 502");
    }

    /// Review finding 5: errors past the 20 shown are counted, not dropped silently.
    #[test]
    fn errors_past_the_twentieth_are_counted() {
        let errors: Vec<String> = (1..=23).map(|i| format!("e{i}")).collect();
        let error = api_error(400, Some(&json!({ "errors": errors })));
        assert_eq!(
            error.to_string(),
            "HTTP 400: e1; e2; e3; e4; e5; e6; e7; e8; e9; e10; e11; e12; e13; e14; e15; e16; \
             e17; e18; e19; e20; and 3 more"
        );
        let twenty: Vec<String> = (1..=20).map(|i| format!("e{i}")).collect();
        let error = api_error(400, Some(&json!({ "errors": twenty })));
        assert!(error.to_string().ends_with("; e20"), "{error}");
    }
}

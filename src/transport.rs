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

/// The generated clients' inner value: what their hooks need (credentials, size bound).
#[derive(Debug, Clone)]
pub struct Hooks {
    pub(crate) auth: Arc<dyn Authorizer>,
    pub(crate) max_response_bytes: u64,
}

impl Hooks {
    /// Hooks that sign with `auth` and refuse answers larger than `max_response_bytes`.
    pub fn new(auth: Arc<dyn Authorizer>, max_response_bytes: u64) -> Self {
        Self {
            auth,
            max_response_bytes,
        }
    }
}

/// What one attempt left behind, recorded by the hooks for [`Runtime::send`]: the request line,
/// the status and headers of the answer, and a typed error raised inside a hook (a redirect, an
/// answer too large, a credential that cannot be sent), which progenitor would turn into a string.
#[derive(Default)]
struct Attempt {
    request: String,
    status: Option<u16>,
    headers: Option<reqwest::header::HeaderMap>,
    error: Option<Error>,
}

tokio::task_local! {
    static ATTEMPT: RefCell<Attempt>;
}

fn record(f: impl FnOnce(&mut Attempt)) {
    let _ = ATTEMPT.try_with(|cell| f(&mut cell.borrow_mut()));
}

/// `METHOD URL`, the URL without user info and with every known secret redacted.
fn request_line(method: &reqwest::Method, url: &reqwest::Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    redact(&format!("{method} {url}"))
}

/// The pre-request hook of every generated client (wired by `build.rs`): credentials.
pub async fn pre(hooks: &Hooks, request: &mut reqwest::Request) -> std::result::Result<(), String> {
    let line = request_line(request.method(), request.url());
    record(|a| a.request = line);
    match hooks.auth.authorize(request).await {
        Ok(()) => Ok(()),
        Err(e) => {
            let message = redact(&e.to_string());
            record(|a| a.error = Some(e));
            Err(message)
        }
    }
}

/// Sends a request for a generated client (wired by `build.rs`): never follows a redirect, and
/// reads at most `max_response_bytes` of the answer.
pub async fn exec(
    hooks: &Hooks,
    http: &reqwest::Client,
    request: reqwest::Request,
) -> reqwest::Result<reqwest::Response> {
    let line = request_line(request.method(), request.url());
    let mut response = http.execute(request).await?;
    let status = response.status();
    let headers = response.headers().clone();
    record(|a| {
        a.request = line.clone();
        a.status = Some(status.as_u16());
        a.headers = Some(headers.clone());
    });
    if status.is_redirection() {
        let location = headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| response.url().join(l).ok())
            .and_then(|u| u.host_str().map(redact));
        return Err(refuse(Error::Redirect {
            status: status.as_u16(),
            location,
            request: line,
        }));
    }
    let limit = hooks.max_response_bytes;
    let too_large = || {
        refuse(Error::TooLarge {
            limit,
            request: line.clone(),
        })
    };
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.headers_mut() = headers;
    *rebuilt.version_mut() = response.version();
    Ok(reqwest::Response::from(rebuilt))
}

/// Records `error` for [`Runtime::send`] and gives the generated code a transport error, so that
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

/// What one client needs to send: its limiter, retry policy, credentials and page bound.
#[derive(Debug, Clone)]
pub(crate) struct Runtime {
    pub limiter: Option<Arc<RateLimiter>>,
    pub retry: RetryPolicy,
    pub auth: Arc<dyn Authorizer>,
    pub max_pages: u64,
}

enum Failure {
    Status {
        status: u16,
        hint: Option<Duration>,
        body: Option<Value>,
    },
    Transport(String),
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
    /// Sends one operation (`attempt` builds and sends a fresh request each time) and retries it
    /// as the policy allows, all within `retry.max_elapsed`.
    pub(crate) async fn send<T, E, F, Fut>(&self, op: &Operation, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<
            Output = std::result::Result<
                progenitor_client::ResponseValue<T>,
                progenitor_client::Error<E>,
            >,
        >,
        E: serde::Serialize,
    {
        warn_deprecated(op);
        let started = Instant::now();
        let budget = self.retry.max_elapsed;
        let deadline = started + budget;
        let out_of_time = |request: &str, what: &str| {
            let request = if request.is_empty() {
                op.id.as_str()
            } else {
                request
            };
            Error::Transport(format!(
                "{request}: gave up {what}: the time budget of {} (--max-time) ran out",
                seconds(budget)
            ))
        };
        let mut attempts = 0;
        let mut refreshed = false;
        loop {
            attempts += 1;
            let permit = match &self.limiter {
                None => None,
                Some(limiter) => match tokio::time::timeout_at(deadline, limiter.acquire()).await {
                    Ok(permit) => Some(permit?),
                    Err(_) => return Err(out_of_time("", "waiting for the quota")),
                },
            };
            let sent = Instant::now();
            let (outcome, log) = ATTEMPT
                .scope(RefCell::new(Attempt::default()), async {
                    let outcome = tokio::time::timeout_at(deadline, attempt()).await;
                    (outcome, ATTEMPT.with(|cell| cell.take()))
                })
                .await;
            drop(permit);
            let took = sent.elapsed();
            let request = if log.request.is_empty() {
                op.id.clone()
            } else {
                log.request.clone()
            };
            let note = |outcome: &str, wait: Option<Duration>| {
                let next = wait
                    .map(|w| format!(", retrying in {}", seconds(w)))
                    .unwrap_or_default();
                tracing::info!(
                    "{request} -> {outcome} in {} ms (attempt {attempts} of {}){next}",
                    took.as_millis(),
                    self.retry.max_attempts
                );
            };
            let Ok(outcome) = outcome else {
                note("no answer", None);
                return Err(out_of_time(&request, "waiting for the answer"));
            };
            let failure = match outcome {
                Ok(value) => {
                    note(&value.status().as_u16().to_string(), None);
                    return Ok(value.into_inner());
                }
                Err(e) => match classify(e, log).await {
                    Ok(failure) => failure,
                    Err(error) => {
                        note(&error_outcome(&error), None);
                        return Err(error);
                    }
                },
            };
            let (status, hint, last) = match failure {
                Failure::Status { status: 401, .. } if !refreshed && self.auth.invalidate() => {
                    note("401", Some(Duration::ZERO));
                    refreshed = true;
                    attempts -= 1;
                    continue;
                }
                Failure::Status { status, hint, body } if retryable(status) => (
                    Some(status),
                    hint,
                    api_error(status, body.as_ref()).at(&request),
                ),
                Failure::Status {
                    status: 401, body, ..
                } => {
                    note("401", None);
                    let e = api_error(401, body.as_ref()).at(&request);
                    return Err(Error::Auth(e.to_string()));
                }
                Failure::Status { status, body, .. } => {
                    note(&status.to_string(), None);
                    return Err(api_error(status, body.as_ref()).at(&request));
                }
                Failure::Transport(message) => (
                    None,
                    None,
                    Error::Transport(format!("{request}: {message}")),
                ),
            };
            let outcome = status.map_or_else(|| "no answer".to_owned(), |s| s.to_string());
            let left = budget.saturating_sub(started.elapsed());
            // A server that asks for a wait the budget cannot give fails at once, saying so.
            if let Some(asked) = hint.filter(|h| *h > left || *h > self.retry.max_delay) {
                note(&outcome, None);
                return Err(match last {
                    Error::Api { status: 429, .. } => Error::RateLimited {
                        attempts,
                        retry_after: Some(asked),
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
                            detail: Some(format!(
                                "{}server asks to wait {} s",
                                detail.map(|d| format!("{d}; ")).unwrap_or_default(),
                                asked.as_secs()
                            )),
                            request,
                        }),
                    },
                    other => other,
                });
            }
            let delay = match (status, hint, self.limiter.as_ref()) {
                // A 429 without a hint: back off on the quota's scale, up to its period.
                (Some(429), None, Some(limiter)) => {
                    let quota = limiter.limit();
                    let floor = quota.period / quota.requests.max(1);
                    self.retry.backoff(attempts, floor, quota.period)
                }
                _ => self.retry.delay(attempts, hint),
            };
            if attempts >= self.retry.max_attempts || delay > left {
                note(&outcome, None);
                return Err(match last {
                    Error::Api { status: 429, .. } => Error::RateLimited {
                        attempts,
                        retry_after: hint,
                        request,
                    },
                    Error::Transport(m) => Error::Transport(m),
                    other => Error::RetriesExhausted {
                        attempts,
                        last: Box::new(other),
                    },
                });
            }
            note(&outcome, Some(delay));
            tokio::time::sleep(delay).await;
        }
    }
}

fn error_outcome(error: &Error) -> String {
    match error.status() {
        Some(status) => status.to_string(),
        None => "failed".to_owned(),
    }
}

async fn classify<E: serde::Serialize>(
    error: progenitor_client::Error<E>,
    attempt: Attempt,
) -> Result<Failure> {
    use progenitor_client::Error as P;
    // A typed error raised inside a hook wins over what progenitor made of it.
    if let Some(error) = attempt.error {
        return Err(error);
    }
    Ok(match error {
        P::ErrorResponse(response) => {
            let status = response.status().as_u16();
            let hint = server_hint(response.headers());
            let body = serde_json::to_value(response.into_inner()).ok();
            Failure::Status { status, hint, body }
        }
        P::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let hint = server_hint(response.headers());
            let body = response.json::<Value>().await.ok();
            Failure::Status { status, hint, body }
        }
        P::CommunicationError(e) | P::ResponseBodyError(e) => Failure::Transport(describe(&e)),
        P::InvalidResponsePayload(bytes, e) => match (attempt.status, attempt.headers) {
            // An error status whose body is not the documented one (often empty on 429/5xx).
            (Some(status), headers) if status >= 400 => Failure::Status {
                status,
                hint: headers.as_ref().and_then(server_hint),
                body: serde_json::from_slice(&bytes).ok(),
            },
            _ => {
                let request = attempt.request;
                return Err(Error::Decode(redact(&format!("{request}: {e}"))));
            }
        },
        P::InvalidRequest(message) => {
            return Err(Error::Validation(vec![Violation::new("", "type", message)]))
        }
        P::Custom(message) => return Err(Error::Auth(redact(&message))),
        P::InvalidUpgrade(e) => Failure::Transport(describe(&e)),
    })
}

fn describe(e: &reqwest::Error) -> String {
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
/// `{"errors":["..."]}`, Nameshield `{"errors":[{code,message,details}]}` or a single object.
/// Every text is redacted: a server that echoes a credential does not get it printed.
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
            let messages: Vec<String> = items
                .iter()
                .filter_map(|i| match i {
                    Value::String(s) => Some(s.clone()),
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
            detail = (!messages.is_empty()).then(|| messages.join("; "));
            title = text(body.get("message"));
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
    use progenitor_client::{Error as P, ResponseValue};
    use reqwest::header::HeaderMap;
    use reqwest::StatusCode;
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
            retry,
            auth: Arc::new(NoAuth),
            max_pages: 10,
        }
    }

    fn op() -> &'static Operation {
        crate::spec::Api::ALL[0].operations().next().unwrap()
    }

    fn answer(status: u16, headers: &[(&'static str, &str)]) -> P<Value> {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().unwrap());
        }
        P::ErrorResponse(ResponseValue::new(
            json!({"error": {"code": "1"}}),
            StatusCode::from_u16(status).unwrap(),
            map,
        ))
    }

    /// Replays `script` (one answer per attempt) and reports the attempts made.
    async fn replay(
        rt: &Runtime,
        script: Vec<std::result::Result<u32, P<Value>>>,
    ) -> (Result<u32>, u32) {
        let calls = AtomicU32::new(0);
        let script = std::sync::Mutex::new(script.into_iter());
        let result = rt
            .send(op(), || {
                calls.fetch_add(1, Ordering::SeqCst);
                let next = script.lock().unwrap().next().expect("script too short");
                async move { next.map(|v| ResponseValue::new(v, StatusCode::OK, HeaderMap::new())) }
            })
            .await;
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
                Err(answer(429, &[("retry-after", "7")])),
                Err(answer(503, &[])),
                Err(answer(500, &[])),
                Ok(42),
            ],
        )
        .await;
        assert_eq!(result.unwrap(), 42);
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
                Err(answer(429, &[])),
                Err(answer(429, &[])),
                Err(answer(429, &[("retry-after", "5")])),
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
            vec![
                Err(answer(500, &[])),
                Err(answer(502, &[])),
                Err(answer(503, &[])),
            ],
        )
        .await;
        assert!(
            matches!(result, Err(Error::RetriesExhausted { attempts: 3, ref last }) if matches!(**last, Error::Api { status: 503, .. })),
            "{result:?}"
        );
        assert_eq!(result.unwrap_err().exit_code(), 5);
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
                Err(answer(429, &[("retry-after", "20")])),
                Err(answer(429, &[("retry-after", "20")])),
            ],
        )
        .await;
        assert!(
            matches!(result, Err(Error::RateLimited { attempts: 2, .. })),
            "{result:?}"
        );
        assert_eq!(calls, 2);
        for status in [400, 403, 404, 422] {
            let (result, calls) = replay(&rt, vec![Err(answer(status, &[]))]).await;
            assert!(matches!(result, Err(Error::Api { status: s, .. }) if s == status));
            assert_eq!(calls, 1, "{status} was retried");
        }
        let (result, _) = replay(&rt, vec![Err(answer(401, &[]))]).await;
        assert!(matches!(result, Err(Error::Auth(_))), "{result:?}");
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
        let mut script = Vec::new();
        for _ in 0..5 {
            script.push(Err(answer(429, &[])));
        }
        script.push(Ok(7));
        let (result, calls) = replay(&rt, script).await;
        assert_eq!((result.unwrap(), calls), (7, 6));
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
        assert_eq!(api_error(502, None).to_string(), "HTTP 502");
    }
}

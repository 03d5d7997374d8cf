//! The shared request path of every client: validation has happened; here a request waits for
//! its quota, gets its credentials, is sent, and is retried under the one [`RetryPolicy`].

use crate::error::{Error, Result};
use crate::ratelimit::RateLimiter;
use crate::retry::{retryable, server_hint, RetryPolicy};
use crate::spec::{Operation, Violation};
use futures::future::BoxFuture;
use serde_json::Value;
use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;

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

/// The generated clients' inner value: what the pre-request hook needs.
#[derive(Debug, Clone)]
pub struct Hooks {
    pub(crate) auth: Arc<dyn Authorizer>,
}

impl Hooks {
    /// Hooks that sign with `auth`.
    pub fn new(auth: Arc<dyn Authorizer>) -> Self {
        Self { auth }
    }
}

/// The pre-request hook wired into every generated client by `build.rs`.
pub async fn pre_hook(hooks: &Hooks, request: &mut reqwest::Request) -> Result<()> {
    hooks.auth.authorize(request).await
}

tokio::task_local! {
    /// Status and headers of the last answer of the current attempt, recorded by [`post_hook`],
    /// so that an error answer whose body is not the documented one still yields its status.
    static LAST_ANSWER: RefCell<Option<(u16, reqwest::header::HeaderMap)>>;
}

/// The post-response hook wired into every generated client by `build.rs`.
pub fn post_hook(_hooks: &Hooks, result: &reqwest::Result<reqwest::Response>) {
    if let Ok(response) = result {
        let answer = (response.status().as_u16(), response.headers().clone());
        let _ = LAST_ANSWER.try_with(|cell| *cell.borrow_mut() = Some(answer));
    }
}

/// What one client needs to send: its limiter, retry policy and credentials.
#[derive(Debug, Clone)]
pub(crate) struct Runtime {
    pub limiter: Option<Arc<RateLimiter>>,
    pub retry: RetryPolicy,
    pub auth: Arc<dyn Authorizer>,
}

enum Failure {
    Status {
        status: u16,
        hint: Option<std::time::Duration>,
        body: Option<Value>,
    },
    Transport(String),
}

impl Runtime {
    /// Sends one operation (`attempt` builds and sends a fresh request each time) and retries it
    /// as the policy allows.
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
        let started = tokio::time::Instant::now();
        let mut attempts = 0;
        let mut refreshed = false;
        loop {
            attempts += 1;
            if let Some(limiter) = &self.limiter {
                limiter.acquire().await;
            }
            tracing::debug!(operation = %op.id, attempt = attempts, "sending");
            let (outcome, answer) = LAST_ANSWER
                .scope(RefCell::new(None), async {
                    let outcome = attempt().await;
                    (outcome, LAST_ANSWER.with(|cell| cell.borrow_mut().take()))
                })
                .await;
            let failure = match outcome {
                Ok(value) => return Ok(value.into_inner()),
                Err(e) => classify(e, answer).await?,
            };
            let (hint, last) = match failure {
                Failure::Status { status: 401, .. } if !refreshed && self.auth.invalidate() => {
                    refreshed = true;
                    attempts -= 1;
                    continue;
                }
                Failure::Status { status, hint, body } if retryable(status) => {
                    (hint, api_error(status, body.as_ref()))
                }
                Failure::Status {
                    status: 401, body, ..
                } => return Err(Error::Auth(api_error(401, body.as_ref()).to_string())),
                Failure::Status { status, body, .. } => {
                    return Err(api_error(status, body.as_ref()))
                }
                Failure::Transport(message) => (None, Error::Transport(message)),
            };
            let delay = self.retry.delay(attempts, hint);
            let out_of_budget = attempts >= self.retry.max_attempts
                || started.elapsed() + delay > self.retry.max_elapsed;
            if out_of_budget {
                return Err(match last {
                    Error::Api { status: 429, .. } => Error::RateLimited {
                        attempts,
                        retry_after: hint,
                    },
                    Error::Transport(m) => Error::Transport(m),
                    other => Error::RetriesExhausted {
                        attempts,
                        last: Box::new(other),
                    },
                });
            }
            tracing::info!(operation = %op.id, attempt = attempts, wait_ms = delay.as_millis() as u64, error = %last, "retrying");
            tokio::time::sleep(delay).await;
        }
    }
}

async fn classify<E: serde::Serialize>(
    error: progenitor_client::Error<E>,
    answer: Option<(u16, reqwest::header::HeaderMap)>,
) -> Result<Failure> {
    use progenitor_client::Error as P;
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
        P::InvalidResponsePayload(bytes, e) => match answer {
            // An error status whose body is not the documented one (often empty on 429/5xx).
            Some((status, headers)) if status >= 400 => Failure::Status {
                status,
                hint: server_hint(&headers),
                body: serde_json::from_slice(&bytes).ok(),
            },
            _ => return Err(Error::Decode(e.to_string())),
        },
        P::InvalidRequest(message) => {
            return Err(Error::Validation(vec![Violation::new("", "type", message)]))
        }
        P::Custom(message) => return Err(Error::Auth(message)),
        P::InvalidUpgrade(e) => Failure::Transport(describe(&e)),
    })
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
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
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}

/// Reads any vendor's error body: Log360 `{"error":{code,title,detail}}`, Datadog
/// `{"errors":["..."]}`, Nameshield `{"errors":[{code,message,details}]}` or a single object.
pub(crate) fn api_error(status: u16, body: Option<&Value>) -> Error {
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
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
            matches!(result, Err(Error::RateLimited { attempts: 3, retry_after: Some(d) }) if d == Duration::from_secs(5)),
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

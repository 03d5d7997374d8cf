//! The HTTP/1.1 server: accepts connections, turns each request into the operation's answer
//! (route, body bound, credentials, quota, fault, validation, answer), logs one line per
//! request, and stops cleanly.

use super::answers::{self, small};
use super::data::DataSets;
use super::faults::Faults;
use super::memo::Memo;
use super::paging::splice;
use super::plan::Plan;
use super::quota::{Quota, Refused};
use super::routes::{Found, Router};
use super::{vendor, MAX_BODY_BYTES};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use threatbind::raw::lookup;
use threatbind::spec::{RateLimit, Violation};

/// An answer on the wire.
pub(crate) type Answer = Response<Full<Bytes>>;

/// Request counters of one API.
#[derive(Debug, Default)]
pub(crate) struct ApiCounters {
    pub requests: AtomicU64,
    pub rate_limited: AtomicU64,
    pub faults: AtomicU64,
}

/// What the server holds, shared by every connection.
#[derive(Debug)]
pub(crate) struct Shared {
    pub router: Router<usize>,
    pub plans: Vec<Plan>,
    pub sets: DataSets,
    pub quota: Quota,
    pub faults: Faults,
    pub latency: Duration,
    /// When the server started (the clock of token cursors).
    pub started: Instant,
    /// The answers of valid requests, by operation and request document.
    pub memo: Memo,
    /// `http://127.0.0.1:PORT`, to rebuild absolute request URLs.
    pub origin: String,
    pub requests: AtomicU64,
    pub per_api: Vec<ApiCounters>,
}

fn count(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// A JSON answer (`Value::Null`: no body) with extra headers.
fn json(status: u16, body: &Value, headers: &[(&str, String)]) -> Answer {
    raw_json(status, serialized(body), headers)
}

/// The bytes of a JSON body (`Value::Null`: none).
fn serialized(body: &Value) -> Bytes {
    if body.is_null() {
        Bytes::new()
    } else {
        Bytes::from(serde_json::to_vec(body).unwrap_or_default())
    }
}

/// An answer of serialised JSON (empty: no body) with extra headers.
fn raw_json(status: u16, bytes: Bytes, headers: &[(&str, String)]) -> Answer {
    let mut builder = Response::builder().status(status);
    if !bytes.is_empty() {
        builder = builder.header("content-type", "application/json");
    }
    for (name, value) in headers {
        builder = builder.header(*name, value.as_str());
    }
    builder.body(Full::new(bytes)).unwrap_or_else(|_| {
        let mut fallback = Response::new(Full::new(Bytes::new()));
        *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}

/// Serves one request: the answer, after `--latency`, with one log line.
pub(crate) async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Answer {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let (operation, answer) = respond(&shared, request).await;
    if !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }
    tracing::info!(
        target: "threatbind::mock",
        "{method} {path} {} {operation} {}us",
        answer.status().as_u16(),
        started.elapsed().as_micros()
    );
    answer
}

async fn respond(shared: &Shared, request: Request<Incoming>) -> (&str, Answer) {
    count(&shared.requests);
    let (mut parts, body) = request.into_parts();
    let index = match shared.router.find(parts.method.as_str(), parts.uri.path()) {
        Found::Route(index) => *index,
        Found::MethodNotAllowed(allowed) => {
            let text = format!(
                "{} is not allowed here: {}",
                parts.method,
                allowed.join(", ")
            );
            let allow = allowed.join(", ");
            return ("-", json(405, &small(405, &text), &[("allow", allow)]));
        }
        Found::NotFound => {
            let text = "no operation of any spec has this path";
            return ("-", json(404, &small(404, text), &[]));
        }
    };
    let plan = &shared.plans[index];
    let id = plan.op.id.as_str();
    let counters = &shared.per_api[plan.api];
    count(&counters.requests);

    // The body, bounded.
    let declared = parts
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = || {
        let text = format!("the body is larger than {MAX_BODY_BYTES} bytes");
        json(413, &small(413, &text), &[("connection", "close".into())])
    };
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return (id, too_large());
    }
    let bytes = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => return (id, too_large()),
        Err(_) => {
            let violation = Violation::new("body", "read", "the body could not be read");
            return (id, json(400, &plan.errors.bad_request(&[violation]), &[]));
        }
    };

    // Credentials, as the spec's security schemes say.
    let Some(credential) = plan.security.check(&parts.headers, parts.uri.query()) else {
        let (status, body) = &plan.errors.auth;
        return (id, json(*status, body, &[]));
    };

    // Quota, per credential (or server), every operation of the API together.
    if let Some(limit) = plan.limit {
        let (scope, key) = plan.quota_window(&parts.headers, &credential);
        if let Err(refused) = shared.quota.admit(scope, key, limit, Instant::now()) {
            count(&counters.rate_limited);
            return (id, too_many(plan, limit, refused));
        }
    }

    // Injected faults.
    if shared.faults.fail() {
        count(&counters.faults);
        let text = "service unavailable (fault injected by --fail-rate)";
        return (id, json(503, &small(503, text), &[]));
    }

    // Validation: the client's own check, on the request document read from the wire.
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let Ok(url) = reqwest::Url::parse(&format!("{}{target}", shared.origin)) else {
        let violation = Violation::new("", "url", "the request URL is not valid");
        return (id, json(400, &plan.errors.bad_request(&[violation]), &[]));
    };
    let mut wire = reqwest::Request::new(parts.method.clone(), url);
    *wire.headers_mut() = std::mem::take(&mut parts.headers);
    if !bytes.is_empty() {
        *wire.body_mut() = Some(reqwest::Body::from(bytes));
    }
    let document = plan.op.request_document(&wire);
    if let Err(violations) = plan.op.validate_request(&document, chrono::Utc::now()) {
        return (id, json(400, &plan.errors.bad_request(&violations), &[]));
    }

    // A valid request's answer depends on the request alone (but for token cursors, which
    // carry the clock): built once, then remembered.
    let timeless = plan.paging.as_ref().is_none_or(|p| p.timeless());
    let key = timeless.then(|| (index, document.to_string()));
    if let Some((status, body)) = key.as_ref().and_then(|key| shared.memo.get(key)) {
        return (id, raw_json(status, body, &[]));
    }
    let (status, body) = answer(shared, plan, &document);
    if let Some(key) = key {
        shared.memo.put(key, (status, body.clone()));
    }
    (id, raw_json(status, body, &[]))
}

/// The 429: the documented body, `Retry-After` always, and the other quota headers the
/// documented 429 declares (Datadog's `X-RateLimit-*`).
fn too_many(plan: &Plan, limit: RateLimit, refused: Refused) -> Answer {
    let wait = refused.retry_after.to_string();
    let period = limit.period.as_secs() + u64::from(limit.period.subsec_nanos() > 0);
    let mut headers: Vec<(&str, String)> = vec![("retry-after", wait.clone())];
    for name in &plan.errors.too_many_headers {
        let value = match name.to_ascii_lowercase().as_str() {
            "x-ratelimit-limit" => limit.requests.to_string(),
            "x-ratelimit-period" => period.max(1).to_string(),
            "x-ratelimit-remaining" => "0".to_owned(),
            "x-ratelimit-reset" => wait.clone(),
            "x-ratelimit-name" => format!("{}-quota", plan.op.api.stem()),
            _ => continue,
        };
        headers.push((name.as_str(), value));
    }
    json(429, &plan.errors.too_many, &headers)
}

/// The success answer of a valid request, or the documented error the request asks for.
fn answer(shared: &Shared, plan: &Plan, document: &Value) -> (u16, Bytes) {
    let not_found = || {
        let body = plan
            .errors
            .not_found
            .clone()
            .unwrap_or_else(|| small(404, "not found"));
        (404, serialized(&body))
    };
    if let Some(status) = vendor::refusal(plan.op, document) {
        return if status == 404 {
            not_found()
        } else {
            (status, serialized(&small(status, "refused")))
        };
    }
    if let Some(found) = &plan.lookup {
        let id = match lookup(document, &format!("path.{}", found.parameter)) {
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        return match shared.sets.find(found, &id) {
            Some(item) => (plan.success.0, serialized(&item)),
            None => not_found(),
        };
    }
    let clock = shared.started.elapsed().as_secs();
    let paged = plan
        .paging
        .as_ref()
        .and_then(|paging| Some((paging, shared.sets.get(paging.set)?)));
    let mut body = match paged {
        Some((paging, data)) => match paging.page_parts(data, document, clock) {
            Err(refused) => return (400, serialized(&plan.errors.bad_request(&[refused]))),
            Ok((mut body, positions)) => {
                // The page without its items, then the items serialised once and kept.
                vendor::adjust(plan.op, document, &mut body);
                answers::normalize(plan.op, &mut body);
                if let Some(bytes) = splice(&serialized(&body), data, &positions) {
                    return (plan.success.0, Bytes::from(bytes));
                }
                match paging.page(data, document, clock) {
                    Ok(body) => body,
                    Err(refused) => return (400, serialized(&plan.errors.bad_request(&[refused]))),
                }
            }
        },
        None => plan.success.1.clone(),
    };
    vendor::adjust(plan.op, document, &mut body);
    answers::normalize(plan.op, &mut body);
    (plan.success.0, serialized(&body))
}

/// Accepts connections until `stop` fires (or its sender is dropped), then lets open
/// connections finish their request (at most 2 s).
pub(crate) async fn run(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).keep_alive(true);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of descriptors or a reset connection: breathe, go on.
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let service = hyper::service::service_fn(move |request| {
                    let shared = shared.clone();
                    async move { Ok::<_, std::convert::Infallible>(handle(shared, request).await) }
                });
                let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
            _ = &mut stop => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(2), graceful.shutdown()).await;
}

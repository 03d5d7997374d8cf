//! The send path's cost on every operation of every compiled spec: `RawClient::send` (request
//! built from the document, validation, a limiter with a non-binding quota, credentials, the
//! retry wrapper, the bounded read and the typed decode check) against bare `reqwest` sending
//! the same request (method, URL, headers, body, as the loopback server saw the library's) and
//! decoding a `serde_json::Value`.
//!
//! Each operation gets a minimal loopback HTTP/1.1 server answering its fixture's success body,
//! a client of its own and a bare client of its own. Both sides are measured in the same run, in
//! rounds where they run back to back (which goes first alternates): sequential (µs per request)
//! and 64 in flight (requests/s, one task driving `buffer_unordered(64)`). Each figure is the
//! median round of its side and each ratio the median of the rounds' library time over bare
//! time, so that other work on the machine hitting a round does not decide the figure. Then the
//! library's own steps (build, read back, validation, decode, request line) are timed alone, to
//! say where the gap goes. The request sent is the operation's first request fixture
//! (`tests/fixtures/<spec>/<op>/request.*.json`, by name) the library accepts and sends today;
//! an operation with none is listed as skipped, with the reason. Appends to
//! `target/bench-report.md` (the workspace's, whatever `CARGO_TARGET_DIR` says).
//!
//! Run: `cargo bench --bench operations`. `THREATBIND_BENCH_ONLY=<text>` keeps the operations
//! whose `api/operationId` contains the text, `THREATBIND_BENCH_SCALE=<x>` multiplies the
//! request counts (for profiling one operation); either one leaves the report alone.

mod common;

use futures::StreamExt;
use http_body_util::BodyExt;
use serde_json::Value;
use std::future::Future;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use threatbind::raw::RawClient;
use threatbind::spec::{Api, Operation};

/// Requests in flight in the concurrent measure.
const IN_FLIGHT: usize = 64;
/// The goals of issue 21: library cost over bare cost, at most.
const GOAL_SEQUENTIAL: f64 = 1.05;
const GOAL_IN_FLIGHT: f64 = 1.10;

/// Dummy credentials, through the variables and builders the library reads.
const LOG360_TOKEN: &str = "1000.bench-access-token-0000";
const LOG360_ACCOUNT: &str = "18XXXXX4";
const NAMESHIELD_TOKEN: &str = "6f1c3c1e-0000-4000-8000-000000000000";
const DD_API_KEY: &str = "dd-api-key-bench-0000000000";
const DD_APP_KEY: &str = "dd-app-key-bench-0000000000";
const ONPREM_TOKEN: &str = "onprem-auth-token-bench-0000";

/// How many requests each measure makes.
#[derive(Clone, Copy)]
struct Counts {
    warm: usize,
    seq_rounds: usize,
    seq_batch: usize,
    flight_rounds: usize,
    flight_batch: usize,
    steps: usize,
}

impl Counts {
    fn new(measuring: bool, scale: f64) -> Self {
        let n = |base: usize| ((base as f64 * scale).round() as usize).max(1);
        if measuring {
            Counts {
                warm: 50,
                seq_rounds: 2 * n(50),
                seq_batch: 40,
                flight_rounds: 2 * n(10),
                flight_batch: 512,
                steps: n(2000),
            }
        } else {
            // `cargo test --all-targets`: a smoke run.
            Counts {
                warm: 2,
                seq_rounds: 2,
                seq_batch: 3,
                flight_rounds: 2,
                flight_batch: IN_FLIGHT,
                steps: 2,
            }
        }
    }
}

/// The last request the loopback server saw, while capturing.
#[derive(Clone, Debug)]
struct Seen {
    method: reqwest::Method,
    target: String,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

/// A loopback HTTP/1.1 server answering `body` with `status` to every request, keep-alive.
struct Loopback {
    base: String,
    capture: Arc<AtomicBool>,
    seen: Arc<Mutex<Option<Seen>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn serve(status: u16, body: &'static [u8]) -> Loopback {
    use http_body_util::Full;
    use hyper::body::Bytes;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let capture = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(None));
    let (capture2, seen2) = (capture.clone(), seen.clone());
    let accept = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let (capture, seen) = (capture2.clone(), seen2.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: hyper::Request<hyper::body::Incoming>| {
                        let (capture, seen) = (capture.clone(), seen.clone());
                        async move {
                            let (parts, incoming) = request.into_parts();
                            // Read whole, capturing or not: both sides pay the same.
                            let bytes = incoming
                                .collect()
                                .await
                                .map(|c| c.to_bytes())
                                .unwrap_or_default();
                            if capture.load(Ordering::Relaxed) {
                                *seen.lock().unwrap() = Some(Seen {
                                    method: parts.method.clone(),
                                    target: parts
                                        .uri
                                        .path_and_query()
                                        .map_or("/".to_owned(), |p| p.as_str().to_owned()),
                                    headers: parts.headers.clone(),
                                    body: bytes.to_vec(),
                                });
                            }
                            Ok::<_, std::convert::Infallible>(
                                hyper::Response::builder()
                                    .status(status)
                                    .header("content-type", "application/json")
                                    .body(Full::new(Bytes::from_static(body)))
                                    .unwrap(),
                            )
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Loopback {
        base: format!("http://{addr}"),
        capture,
        seen,
        accept,
    }
}

/// The library's client of `api` at `base`, credentials from dummy values, as the CLI builds it.
fn connect(api: Api, base: &str, settings: &threatbind::Settings) -> threatbind::Result<RawClient> {
    let get = |name: &str| -> Option<String> {
        let value = match name {
            "LOG360_ACCESS_TOKEN" => LOG360_TOKEN,
            "LOG360_ACCOUNT_ID" => LOG360_ACCOUNT,
            "NAMESHIELD_TOKEN" => NAMESHIELD_TOKEN,
            "DD_API_KEY" => DD_API_KEY,
            "DD_APP_KEY" => DD_APP_KEY,
            "LOG360_ONPREM_TOKEN" => ONPREM_TOKEN,
            _ => return None,
        };
        Some(value.to_owned())
    };
    let base = format!("{base}{}", api.server_path());
    let settings = settings.clone();
    let mut raw = match api {
        #[cfg(feature = "log360-cloud")]
        Api::Log360Cloud => threatbind::log360_cloud::Log360Client::builder()
            .account_id(LOG360_ACCOUNT)
            .auth(threatbind::log360_cloud::Log360Auth::access_token(
                LOG360_TOKEN,
            ))
            .base_url(base)
            .settings(settings)
            .build()?
            .raw(),
        #[cfg(feature = "nameshield-cti")]
        Api::NameshieldCti => threatbind::nameshield_cti::NameshieldClient::builder()
            .token(NAMESHIELD_TOKEN)
            .base_url(base)
            .settings(settings)
            .build()?
            .raw(),
        #[cfg(feature = "datadog-ioc")]
        Api::DatadogIoc => threatbind::datadog_ioc::DatadogClient::builder()
            .keys(DD_API_KEY, DD_APP_KEY)
            .base_url(base)
            .settings(settings)
            .build()?
            .raw(),
        // Every other API: credentials from its spec's variables (the on-premises ones).
        #[allow(unreachable_patterns)]
        other => threatbind::generic::connect(other, get, &settings, &[], Some(base))?,
    };
    // Beta operations are opted in to, as a caller of them does.
    for op in api.operations().filter(|op| op.unstable) {
        raw.enable_unstable(&op.id);
    }
    Ok(raw)
}

/// One operation to measure: its request fixtures and the success answer served.
struct Case {
    api: Api,
    op: &'static Operation,
    requests: Vec<(String, Value)>,
    response: String,
    status: u16,
    body: &'static [u8],
}

/// An operation not measured, and why.
struct Skipped {
    api: Api,
    op: String,
    reason: String,
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The file names in `dir` starting with `prefix`, sorted.
fn named(dir: &Path, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(prefix) && n.ends_with(".json"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The operation's request fixtures and its first success answer (2xx, lowest status, then by
/// name), or why it cannot be measured.
fn case_of(api: Api, op: &'static Operation) -> Result<Case, String> {
    let dir = fixtures_dir().join(api.stem()).join(&op.id);
    if !dir.is_dir() {
        return Err("no fixtures".to_owned());
    }
    let read = |name: &str| -> Result<Value, String> {
        let text = std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
        serde_json::from_str(&text).map_err(|e| format!("{name}: {e}"))
    };
    let requests = named(&dir, "request.")
        .into_iter()
        .map(|name| read(&name).map(|doc| (name, doc)))
        .collect::<Result<Vec<_>, _>>()?;
    if requests.is_empty() {
        return Err("no request fixture".to_owned());
    }
    let success = named(&dir, "response.2")
        .into_iter()
        .filter_map(|name| {
            let status: u16 = name.split('.').nth(1)?.parse().ok()?;
            (200..300).contains(&status).then_some((status, name))
        })
        .min();
    let Some((status, response)) = success else {
        return Err("no success response fixture".to_owned());
    };
    let body: &'static [u8] = std::fs::read(dir.join(&response))
        .map_err(|e| format!("{response}: {e}"))?
        .leak();
    Ok(Case {
        api,
        op,
        requests,
        response,
        status,
        body,
    })
}

/// The request fixture an operation is measured with.
struct Accepted {
    raw: RawClient,
    /// Its file name.
    request: String,
    document: Value,
    /// The request as the server saw it.
    seen: Seen,
    /// The fixtures before it that the library refused, each with why.
    refused: Vec<String>,
}

/// A client of the case's API at `base` and the first request of the operation it accepts
/// and sends, with the answer decoding (the request the server saw is captured).
async fn trial(
    api: Api,
    op: &'static Operation,
    requests: &[(String, Value)],
    server: &Loopback,
    settings: &threatbind::Settings,
) -> Result<Accepted, String> {
    let raw = connect(api, &server.base, settings).map_err(|e| format!("client: {e}"))?;
    let mut problems = Vec::new();
    for (name, document) in requests {
        server.capture.store(true, Ordering::Relaxed);
        *server.seen.lock().unwrap() = None;
        let outcome = raw.send(op, document).await;
        server.capture.store(false, Ordering::Relaxed);
        match outcome {
            Ok(answer) if answer.decode_error.is_none() => {
                let Some(seen) = server.seen.lock().unwrap().take() else {
                    problems.push(format!("{name}: the server saw no request"));
                    continue;
                };
                return Ok(Accepted {
                    raw,
                    request: name.clone(),
                    document: document.clone(),
                    seen,
                    refused: problems,
                });
            }
            Ok(answer) => problems.push(format!(
                "{name}: the answer does not decode: {}",
                answer
                    .decode_error
                    .map(|e| e.to_string())
                    .unwrap_or_default()
            )),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    Err(problems.join("; "))
}

/// Time of `n` calls of `call`, one after the other.
async fn sequential<F, Fut>(n: usize, call: &F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let started = Instant::now();
    for _ in 0..n {
        call().await;
    }
    started.elapsed()
}

/// Time of `n` calls of `call`, [`IN_FLIGHT`] at a time.
async fn concurrent<F, Fut>(n: usize, call: &F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let started = Instant::now();
    futures::stream::iter(0..n)
        .map(|_| call())
        .buffer_unordered(IN_FLIGHT)
        .for_each(|()| std::future::ready(()))
        .await;
    started.elapsed()
}

/// The figures of one operation.
struct Row {
    api: Api,
    op: String,
    request: String,
    response: String,
    /// Request fixtures tried first and refused by the library, with why.
    refused: Vec<String>,
    /// µs per request.
    seq: Measure,
    /// Requests per second.
    flight: Measure,
    steps: Steps,
}

/// One side-by-side measure: the median round of each side (in the round's unit) and the
/// median of the rounds' cost ratios (library time over bare time, the two run back to back),
/// robust to the machine's other work hitting a round.
struct Measure {
    library: f64,
    bare: f64,
    ratio: f64,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

impl Measure {
    /// From rounds of (library, bare) times of equal request counts; `unit` converts a time.
    fn of(rounds: &[(Duration, Duration)], unit: impl Fn(Duration) -> f64) -> Self {
        Measure {
            library: median(rounds.iter().map(|r| unit(r.0)).collect()),
            bare: median(rounds.iter().map(|r| unit(r.1)).collect()),
            ratio: median(
                rounds
                    .iter()
                    .map(|(lib, dir)| lib.as_secs_f64() / dir.as_secs_f64())
                    .collect(),
            ),
        }
    }
}

/// The library's own steps of one send, each timed alone in a loop (µs per call).
struct Steps {
    /// `RawClient::request`: the request from the document (`RawClient::build`).
    build: f64,
    /// `Operation::request_document`: the built request read back for validation.
    read_back: f64,
    /// `Operation::unset_variable` and `Operation::validate_request` (schema, `x-rules`).
    validate: f64,
    /// `Api::decode_success`: the typed decode check of the answer.
    typed_decode: f64,
    /// `serde_json::from_slice::<Value>`: the bare side's decode, for comparison.
    value_decode: f64,
    /// The request line (URL copy, redaction) and the operation lookup by generated id, done
    /// twice per send (the pre hook and the attempts).
    line_and_lookup: f64,
}

impl Steps {
    /// The steps the bare side has no counterpart of, largest first.
    fn ranked(&self) -> Vec<(&'static str, f64)> {
        let mut steps = vec![
            ("read back (`Operation::request_document`)", self.read_back),
            (
                "validate (`unset_variable` + `validate_request`)",
                self.validate,
            ),
            (
                "build (`RawClient::build`; bare builds one too)",
                self.build,
            ),
            ("request line + operation lookup, x2", self.line_and_lookup),
            (
                "typed decode beyond a `Value` decode",
                self.typed_decode - self.value_decode,
            ),
        ];
        steps.sort_by(|a, b| b.1.total_cmp(&a.1));
        steps
    }
}

impl Row {
    fn seq_ratio(&self) -> f64 {
        self.seq.ratio
    }
    fn flight_ratio(&self) -> f64 {
        self.flight.ratio
    }
}

/// Measures one operation: both sides alternating, sequential then 64 in flight.
async fn measure(
    case: &Case,
    counts: Counts,
    settings: &threatbind::Settings,
) -> Result<Row, String> {
    let server = serve(case.status, case.body).await;
    let Accepted {
        raw,
        request,
        document,
        seen,
        refused,
    } = trial(case.api, case.op, &case.requests, &server, settings)
        .await
        .map_err(|reason| format!("no request fixture is sent: {reason}"))?;
    let op = case.op;

    // The bare side sends what the server saw from the library: method, target, headers
    // (credentials, account header, content type, user agent) and the same JSON body.
    let bare = reqwest::Client::new();
    let url = format!("{}{}", server.base, seen.target);
    let mut headers = seen.headers.clone();
    headers.remove(reqwest::header::HOST);
    headers.remove(reqwest::header::CONTENT_LENGTH);
    let body = document.get("body").cloned();
    if let Some(body) = &body {
        let sent: Value = serde_json::from_slice(&seen.body).map_err(|e| e.to_string())?;
        if sent != *body {
            return Err("the library sent another body than the fixture's".to_owned());
        }
    }

    let library = || async {
        let answer = raw.send(op, &document).await.expect("library answer");
        black_box(answer);
    };
    let direct = || async {
        let mut request = bare
            .request(seen.method.clone(), &url)
            .headers(headers.clone());
        if let Some(body) = &body {
            request = request.json(body);
        }
        let answer = request.send().await.expect("bare answer");
        assert!(answer.status().is_success(), "bare: {}", answer.status());
        let value: Value = answer.json().await.expect("bare json");
        black_box(value);
    };

    // Warm up both: connections, caches, the operation's compiled validators.
    sequential(counts.warm, &library).await;
    sequential(counts.warm, &direct).await;
    let mut rounds = Vec::new();
    for round in 0..counts.seq_rounds {
        let (lib, dir) = if round % 2 == 0 {
            let lib = sequential(counts.seq_batch, &library).await;
            (lib, sequential(counts.seq_batch, &direct).await)
        } else {
            let dir = sequential(counts.seq_batch, &direct).await;
            (sequential(counts.seq_batch, &library).await, dir)
        };
        rounds.push((lib, dir));
    }
    let us = |d: Duration| d.as_secs_f64() * 1e6 / counts.seq_batch as f64;
    let seq = Measure::of(&rounds, us);

    // 64 in flight: both pools opened to 64 connections first.
    concurrent(2 * IN_FLIGHT, &library).await;
    concurrent(2 * IN_FLIGHT, &direct).await;
    let mut rounds = Vec::new();
    for round in 0..counts.flight_rounds {
        let (lib, dir) = if round % 2 == 0 {
            let lib = concurrent(counts.flight_batch, &library).await;
            (lib, concurrent(counts.flight_batch, &direct).await)
        } else {
            let dir = concurrent(counts.flight_batch, &direct).await;
            (concurrent(counts.flight_batch, &library).await, dir)
        };
        rounds.push((lib, dir));
    }
    let rps = |d: Duration| counts.flight_batch as f64 / d.as_secs_f64();
    let flight = Measure::of(&rounds, rps);
    let steps = steps(case, &raw, &document, counts.steps)?;
    Ok(Row {
        api: case.api,
        op: op.id.clone(),
        request,
        refused,
        response: case.response.clone(),
        seq,
        flight,
        steps,
    })
}

/// µs per call of `f`: the fastest of 10 batches of `n / 10` calls (the machine's other work
/// only ever adds time).
fn per_call<T>(n: usize, mut f: impl FnMut() -> T) -> f64 {
    let batch = (n / 10).max(1);
    (0..10)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..batch {
                black_box(f());
            }
            started.elapsed().as_secs_f64() * 1e6 / batch as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// Times the library's own steps of one send of `document`, each alone (see [`Steps`]).
fn steps(case: &Case, raw: &RawClient, document: &Value, n: usize) -> Result<Steps, String> {
    let op = case.op;
    let request = raw.request(op, document).map_err(|e| e.to_string())?;
    let read = op.request_document(&request);
    let line = || {
        let mut url = request.url().clone();
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let line = threatbind::secret::redact(&format!("{} {url}", request.method()));
        (line, case.api.operation_by_generated_id(&op.id))
    };
    Ok(Steps {
        build: per_call(n, || raw.request(op, document)),
        read_back: per_call(n, || op.request_document(&request)),
        validate: per_call(n, || {
            (
                op.unset_variable(&read),
                op.validate_request(&read, chrono::Utc::now()),
            )
        }),
        typed_decode: per_call(n, || case.api.decode_success(&op.id, case.body)),
        value_decode: per_call(n, || serde_json::from_slice::<Value>(case.body)),
        line_and_lookup: 2.0 * per_call(n, line),
    })
}

/// Every operation of every compiled spec: a case, or why not.
fn cases(only: &str) -> (Vec<Case>, Vec<Skipped>) {
    let (mut cases, mut skipped) = (Vec::new(), Vec::new());
    for api in Api::ALL.iter().copied() {
        for op in api.operations() {
            if !format!("{}/{}", api.stem(), op.id).contains(only) {
                continue;
            }
            match case_of(api, op) {
                Ok(case) => cases.push(case),
                Err(reason) => skipped.push(Skipped {
                    api,
                    op: op.id.clone(),
                    reason,
                }),
            }
        }
    }
    (cases, skipped)
}

fn report(rows: &[Row], skipped: &[Skipped], counts: Counts, load: &str) -> String {
    let mut out = format!(
        "## Send path per operation ({} cores; typed `RawClient::send` vs bare reqwest + `serde_json::Value`)\n\n\
         Every operation of every compiled spec with a request fixture the library sends, each to a \
         minimal loopback HTTP/1.1 server answering its fixture's success body. Library: \
         `RawClient::send` (request from the document, validation and `x-rules`, a limiter with a \
         non-binding quota of 1,000,000/s, credentials, retry wrapper, bounded read, typed decode \
         check). Bare: `reqwest::Client::new()` sending the same method, URL, headers and JSON body \
         and decoding a `serde_json::Value`. Sequential: {} rounds of {} requests per side, the \
         two sides back to back in each round and the first of them alternating (µs per request). \
         {IN_FLIGHT} in flight: {} such rounds of {} requests per side, one task driving them with \
         `buffer_unordered({IN_FLIGHT})` (requests/s). Each figure is the median round of its side, \
         each ratio the median of the rounds' library time over bare time (so both ratios read as \
         the library's cost; medians keep the machine's other work out). Goals: at most {GOAL_SEQUENTIAL:.2}x \
         sequential, {GOAL_IN_FLIGHT:.2}x with {IN_FLIGHT} in flight.\n\n\
         Load average at the start: {}.\n\n\
         | api | operationId | seq library µs | seq reqwest µs | ratio | {IN_FLIGHT} in flight library req/s | reqwest req/s | ratio |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
        common::cores(),
        counts.seq_rounds,
        counts.seq_batch,
        counts.flight_rounds,
        counts.flight_batch,
        load,
    );
    for r in rows {
        let mark = |ratio: f64, goal: f64| if ratio > goal { " ✗" } else { "" };
        out.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} | {:.3}{} | {:.0} | {:.0} | {:.3}{} |\n",
            r.api.stem(),
            r.op,
            r.seq.library,
            r.seq.bare,
            r.seq_ratio(),
            mark(r.seq_ratio(), GOAL_SEQUENTIAL),
            r.flight.library,
            r.flight.bare,
            r.flight_ratio(),
            mark(r.flight_ratio(), GOAL_IN_FLIGHT),
        ));
    }
    if rows.is_empty() {
        out.push_str("\nNo operation measured.\n");
    } else {
        let name = |r: &Row| format!("{}/{}", r.api.stem(), r.op);
        let max_by = |f: &dyn Fn(&Row) -> f64| {
            rows.iter()
                .max_by(|a, b| f(a).total_cmp(&f(b)))
                .expect("rows")
        };
        let min_by = |f: &dyn Fn(&Row) -> f64| {
            rows.iter()
                .min_by(|a, b| f(a).total_cmp(&f(b)))
                .expect("rows")
        };
        let worst = [
            (
                "seq library µs (slowest)",
                max_by(&|r| r.seq.library),
                format!("{:.1}", max_by(&|r| r.seq.library).seq.library),
            ),
            (
                "seq reqwest µs (slowest)",
                max_by(&|r| r.seq.bare),
                format!("{:.1}", max_by(&|r| r.seq.bare).seq.bare),
            ),
            (
                "seq ratio (highest)",
                max_by(&Row::seq_ratio),
                format!("{:.3}", max_by(&Row::seq_ratio).seq_ratio()),
            ),
            (
                "64 in flight library req/s (lowest)",
                min_by(&|r| r.flight.library),
                format!("{:.0}", min_by(&|r| r.flight.library).flight.library),
            ),
            (
                "64 in flight reqwest req/s (lowest)",
                min_by(&|r| r.flight.bare),
                format!("{:.0}", min_by(&|r| r.flight.bare).flight.bare),
            ),
            (
                "64 in flight ratio (highest)",
                max_by(&Row::flight_ratio),
                format!("{:.3}", max_by(&Row::flight_ratio).flight_ratio()),
            ),
        ];
        out.push_str("\nWorst per column:\n\n| column | operation | figure |\n|---|---|---:|\n");
        for (column, row, figure) in &worst {
            out.push_str(&format!("| {column} | {} | {figure} |\n", name(row)));
        }
        let over = |f: &dyn Fn(&Row) -> f64, goal: f64| -> Vec<String> {
            rows.iter().filter(|r| f(r) > goal).map(name).collect()
        };
        let verdict = |what: &str, goal: f64, missed: Vec<String>| {
            if missed.is_empty() {
                format!("- {what}: at most {goal:.2}x on every operation: **met**.\n")
            } else {
                format!(
                    "- {what}: at most {goal:.2}x: **not met** on {} of {} operations ({}).\n",
                    missed.len(),
                    rows.len(),
                    missed.join(", ")
                )
            }
        };
        out.push_str("\nGoals:\n\n");
        out.push_str(&verdict(
            "sequential",
            GOAL_SEQUENTIAL,
            over(&Row::seq_ratio, GOAL_SEQUENTIAL),
        ));
        out.push_str(&verdict(
            &format!("{IN_FLIGHT} in flight"),
            GOAL_IN_FLIGHT,
            over(&Row::flight_ratio, GOAL_IN_FLIGHT),
        ));
    }
    if !rows.is_empty() {
        out.push_str(
            "\nThe library's own steps of one send, each timed alone in a loop (µs per call), beside \
             the sequential gap (library µs − reqwest µs). The request line and operation lookup \
             run twice per send (pre hook, attempts), counted twice; the rest of the gap is the \
             transport's (limiter, timers, request copy, credentials, body copy, task-local).\n\n\
             | api | operationId | gap µs | build | read back | validate | typed decode | `Value` decode | line + lookup x2 |\n\
             |---|---|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for r in rows {
            let t = &r.steps;
            out.push_str(&format!(
                "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
                r.api.stem(),
                r.op,
                r.seq.library - r.seq.bare,
                t.build,
                t.read_back,
                t.validate,
                t.typed_decode,
                t.value_decode,
                t.line_and_lookup,
            ));
        }
        let name = |r: &Row| format!("{}/{}", r.api.stem(), r.op);
        let worst_seq = rows
            .iter()
            .max_by(|a, b| a.seq_ratio().total_cmp(&b.seq_ratio()));
        let worst_flight = rows
            .iter()
            .max_by(|a, b| a.flight_ratio().total_cmp(&b.flight_ratio()));
        out.push_str("\nWhere the worst operations' extra time goes (largest step first):\n\n");
        for (what, row) in [("sequential", worst_seq), ("64 in flight", worst_flight)] {
            let Some(row) = row else { continue };
            let steps: Vec<String> = row
                .steps
                .ranked()
                .iter()
                .map(|(step, us)| format!("{step} {us:.1} µs"))
                .collect();
            out.push_str(&format!(
                "- worst {what} ({}, gap {:.1} µs): {}.\n",
                name(row),
                row.seq.library - row.seq.bare,
                steps.join(", ")
            ));
        }
    }
    out.push_str(
        "\nRequest and answer fixtures used (the first request fixture by name that the library \
         sends; those before it that it refuses today are named, with why):\n\n",
    );
    for r in rows {
        let refused = if r.refused.is_empty() {
            String::new()
        } else {
            format!(" (refused first: {})", r.refused.join("; "))
        };
        out.push_str(&format!(
            "- {}/{}: {} -> {}{refused}\n",
            r.api.stem(),
            r.op,
            r.request,
            r.response
        ));
    }
    out.push_str("\nSkipped:\n\n");
    for s in skipped {
        out.push_str(&format!("- {}/{}: {}\n", s.api.stem(), s.op, s.reason));
    }
    #[cfg(feature = "log360-onprem-v1")]
    out.push_str(
        "- log360-onprem-v1 asynchronous flows (`async_jobs::run`: searchLogsAsync or \
         searchAlertsAsync, then getJobResults until the job ends, page after page): not \
         measured as flows, whose time is their deliberate polling waits (1 s, doubling); each \
         of their operations is measured above as one send.\n",
    );
    if skipped.is_empty() && !cfg!(feature = "log360-onprem-v1") {
        out.push_str("- none\n");
    }
    out
}

fn main() {
    let measuring = common::measuring();
    let only = std::env::var("THREATBIND_BENCH_ONLY").unwrap_or_default();
    let scale: f64 = std::env::var("THREATBIND_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let partial = !only.is_empty() || scale != 1.0;
    let counts = Counts::new(measuring, scale);
    let runtime = common::runtime();
    // On the runtime's workers, beside the servers: no third thread on two cores.
    let section = runtime.block_on(async move {
        tokio::spawn(async move {
            threatbind::install_crypto_provider();
            let settings = threatbind::Settings {
                // A quota that never binds: its bookkeeping is measured, not waits.
                rate_limit: Some(threatbind::spec::RateLimit {
                    requests: 1_000_000,
                    period: Duration::from_secs(1),
                }),
                ..threatbind::Settings::default()
            };
            // Other work on the machine shows in the figures: the report says how busy it was.
            let load = std::fs::read_to_string("/proc/loadavg")
                .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_else(|_| "unknown".to_owned());
            let (cases, mut skipped) = cases(&only);
            let mut rows = Vec::new();
            for case in &cases {
                match measure(case, counts, &settings).await {
                    Ok(row) => {
                        eprintln!(
                            "{}/{}: seq {:.1} vs {:.1} µs ({:.3}x), {IN_FLIGHT} in flight {:.0} vs {:.0} req/s ({:.3}x)",
                            row.api.stem(),
                            row.op,
                            row.seq.library,
                            row.seq.bare,
                            row.seq_ratio(),
                            row.flight.library,
                            row.flight.bare,
                            row.flight_ratio()
                        );
                        rows.push(row);
                    }
                    Err(reason) => skipped.push(Skipped {
                        api: case.api,
                        op: case.op.id.clone(),
                        reason,
                    }),
                }
            }
            report(&rows, &skipped, counts, &load)
        })
        .await
        .expect("the benchmark's task")
    });
    if partial {
        println!("{section}\n(THREATBIND_BENCH_ONLY or THREATBIND_BENCH_SCALE set: not added to the report)");
    } else {
        common::report(&section);
    }
}

//! Per-request overhead of the typed client: validation, a limiter with a non-binding quota,
//! the retry wrapper, credentials and the typed decode, against a bare `reqwest` call doing
//! the same request and a `serde_json::Value` decode, to the same loopback server (a minimal
//! HTTP/1.1 server answering the documented event for any request, so that the server costs
//! as little as possible and the clients' own work shows). Both run in rounds, alternating,
//! in one process; the ratio is of the totals. Appends to `target/bench-report.md`.
//!
//! Run: `cargo bench --bench client`.

mod common;

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const TOKEN: &str = "6f1c3c1e-0000-4000-8000-000000000000";
const ID: &str = "2fc25065-4766-5fa1-93a3-471f36599f1d";

/// Serves `body` to every request, keep-alive, until the process ends.
async fn server(body: &'static [u8]) -> String {
    use http_body_util::Full;
    use hyper::body::Bytes;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_request| async move {
                    Ok::<_, std::convert::Infallible>(
                        hyper::Response::builder()
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from_static(body)))
                            .unwrap(),
                    )
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

fn main() {
    let runtime = common::runtime();
    let (requests, rounds) = if common::measuring() {
        (10_000, 5)
    } else {
        (100, 1)
    };
    runtime.block_on(async {
        threatbind::install_crypto_provider();
        let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/nameshield-cti/getThreatEvent/response.200.event.json");
        let body: &'static [u8] = std::fs::read(&fixture).expect("fixture").leak();
        let base = server(body).await;

        let settings = threatbind::Settings {
            // A quota that never binds: its bookkeeping is measured, not waits.
            rate_limit: Some(threatbind::spec::RateLimit {
                requests: 1_000_000,
                period: Duration::from_secs(1),
            }),
            ..threatbind::Settings::default()
        };
        let typed = threatbind::nameshield_cti::NameshieldClient::builder()
            .token(TOKEN)
            .base_url(base.clone())
            .settings(settings)
            .build()
            .expect("client");
        let bare = reqwest::Client::new();
        let url = format!("{base}/cti/v2/events/{ID}");

        let typed_round = || async {
            let started = Instant::now();
            for _ in 0..requests {
                let event = threatbind::call(typed.generated().get_threat_event().id(ID).send())
                    .await
                    .expect("typed answer");
                black_box(event);
            }
            started.elapsed()
        };
        let bare_round = || async {
            let started = Instant::now();
            for _ in 0..requests {
                let answer = bare
                    .get(&url)
                    .bearer_auth(TOKEN)
                    .send()
                    .await
                    .expect("bare answer");
                assert!(answer.status().is_success());
                let value: serde_json::Value = answer.json().await.expect("json");
                black_box(value);
            }
            started.elapsed()
        };
        // Warm up both (connections, caches, the spec's compiled validators).
        let _ = typed_round().await;
        let _ = bare_round().await;
        let (mut typed_total, mut bare_total) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..rounds {
            bare_total += bare_round().await;
            typed_total += typed_round().await;
        }
        let per = |total: Duration| total.as_secs_f64() * 1e6 / (rounds * requests) as f64;
        let ratio = typed_total.as_secs_f64() / bare_total.as_secs_f64();
        let report = format!(
            "## Per-request overhead ({} cores; {rounds} alternating rounds of {requests} sequential requests each)\n\n\
             `GET /cti/v2/events/{{id}}` to a minimal loopback server answering the documented event.\n\n\
             | client | µs per request |\n|---|---|\n\
             | bare reqwest + `serde_json::Value` | {:.1} |\n\
             | typed client (`threatbind::call`: validation, limiter with a non-binding quota, retry wrapper, credentials, typed decode) | {:.1} |\n\n\
             Ratio typed / bare: **{ratio:.3}** (target: at most 1.10).\n",
            common::cores(),
            per(bare_total),
            per(typed_total),
        );
        common::report(&report);
    });
}

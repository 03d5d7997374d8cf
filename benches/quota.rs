//! Quota utilisation and burst latency. The mock enforces exactly N requests per period (an
//! exact sliding window, 429 beyond it); the typed client's limiter is set to the same quota.
//! For T = 5 periods, callers send as fast as the limiter lets them; utilisation is the
//! requests the server accepted / (N × T / period), and every 429 is counted (no retries, so a
//! 429 is never hidden). With 1 and 50 callers in one process, then across 4 processes sharing
//! the machine's quota store (this binary run again as workers), and through Redis when a
//! `redis-server` is installed. Then a burst of N requests on a quiet account against the
//! same burst with the limiter off. Appends to `target/bench-report.md`.
//!
//! Run: `cargo bench --bench quota`.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use threatbind::nameshield_cti::NameshieldClient;
use threatbind::spec::RateLimit;
use threatbind::{QuotaStore, Settings};

const N: u32 = 50;
const PERIODS: u32 = 5;

/// `cargo bench` passes `--bench`; `cargo test --all-targets` runs a quick smoke run (one
/// process, periods of 100 ms, nothing written to the report).
fn measuring() -> bool {
    common::measuring() || std::env::var_os(WORKER).is_some()
}

fn period() -> Duration {
    if measuring() {
        Duration::from_secs(1)
    } else {
        Duration::from_millis(100)
    }
}
const ID: &str = "2fc25065-4766-5fa1-93a3-471f36599f1d";
const WORKER: &str = "THREATBIND_QUOTA_BENCH_WORKER";

fn quota() -> RateLimit {
    RateLimit {
        requests: N,
        period: period(),
    }
}

fn client(
    base: &str,
    token: &str,
    store: QuotaStore,
    limit: Option<RateLimit>,
) -> NameshieldClient {
    let mut settings = Settings {
        rate_limit: limit,
        unlimited: limit.is_none(),
        quota_store: store,
        ..Settings::default()
    };
    settings.retry.max_attempts = 1;
    NameshieldClient::builder()
        .token(token)
        .base_url(base)
        .settings(settings)
        .build()
        .expect("client")
}

/// `callers` tasks sending requests until `end` (a request still waiting for the quota at
/// `end` is dropped unsent).
async fn drive(client: NameshieldClient, callers: usize, end: Instant) {
    let client = Arc::new(client);
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                while Instant::now() < end {
                    let call =
                        threatbind::call(client.generated().get_threat_event().id(ID).send());
                    if tokio::time::timeout_at(end.into(), call).await.is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
}

fn unix_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// Worker mode: `base|store|callers|start unix ms|token`.
async fn worker(spec: &str) {
    let parts: Vec<&str> = spec.split('|').collect();
    let [base, store, callers, start, token] = parts[..] else {
        return;
    };
    let store = if let Some(dir) = store.strip_prefix("machine:") {
        QuotaStore::Machine(PathBuf::from(dir))
    } else {
        QuotaStore::Redis(threatbind::ratelimit::RedisUrl::new(store).expect("redis url"))
    };
    let start: u128 = start.parse().unwrap_or(0);
    let wait = start.saturating_sub(unix_millis());
    tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    let end = Instant::now() + period() * PERIODS;
    let callers: usize = callers.parse().unwrap_or(1);
    drive(client(base, token, store, Some(quota())), callers, end).await;
}

struct Outcome {
    accepted: u64,
    refused: u64,
}

impl Outcome {
    fn utilisation(&self) -> f64 {
        self.accepted as f64 / f64::from(N * PERIODS)
    }
}

/// The requests the mock accepted and refused while `run` ran.
async fn measured<F: std::future::Future<Output = ()>>(
    mock: &threatbind_mock::MockHandle,
    run: F,
) -> Outcome {
    let before = mock.stats();
    run.await;
    let after = mock.stats();
    Outcome {
        accepted: (after.requests - after.rate_limited) - (before.requests - before.rate_limited),
        refused: after.rate_limited - before.rate_limited,
    }
}

/// 4 worker processes (this binary) sharing `store`, `callers` split between them.
async fn processes(base: &str, store: &str, callers: usize, token: &str) {
    let start = unix_millis() + 1500; // all of them started and connected by then
    let children: Vec<Child> = (0..4)
        .map(|i| {
            let share = callers / 4 + usize::from(i < callers % 4);
            Command::new(std::env::current_exe().expect("this binary"))
                .env(
                    WORKER,
                    format!("{base}|{store}|{}|{start}|{token}", share.max(1)),
                )
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("worker")
        })
        .collect();
    tokio::task::spawn_blocking(move || {
        for mut child in children {
            let _ = child.wait();
        }
    })
    .await
    .expect("workers");
}

/// A Redis server on a free port if `redis-server` is installed.
struct Redis(Child, String);

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn redis() -> Option<Redis> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let server = Redis(child, format!("redis://127.0.0.1:{port}"));
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(server);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The time for `N` concurrent requests of a fresh token.
async fn burst(base: &str, token: &str, limit: Option<RateLimit>) -> Duration {
    let client = Arc::new(client(base, token, QuotaStore::InProcess, limit));
    let started = Instant::now();
    let tasks: Vec<_> = (0..N)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                threatbind::call(client.generated().get_threat_event().id(ID).send())
                    .await
                    .expect("burst answer");
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("burst task");
    }
    started.elapsed()
}

fn main() {
    let runtime = common::runtime();
    runtime.block_on(async {
        threatbind::install_crypto_provider();
        if let Ok(spec) = std::env::var(WORKER) {
            return worker(&spec).await;
        }
        let mock = threatbind_mock::serve(
            "127.0.0.1:0".parse().expect("address"),
            threatbind_mock::Options {
                rate_limit: Some(quota()),
                ..Default::default()
            },
        )
        .await
        .expect("mock");
        let base = mock.base_url().to_owned();
        let dir = std::env::temp_dir().join(format!("threatbind-quota-bench-{}", std::process::id()));
        let mut rows = Vec::new();
        let mut token_number = 0;
        let mut token = || {
            token_number += 1;
            format!("6f1c3c1e-0000-4000-8000-{token_number:012}")
        };
        for callers in [1usize, 50] {
            let t = token();
            let outcome = measured(&mock, async {
                let end = Instant::now() + period() * PERIODS;
                drive(client(&base, &t, QuotaStore::InProcess, Some(quota())), callers, end).await
            })
            .await;
            rows.push(("1 process (in-process log)".to_owned(), callers, outcome));
            // A fresh window for the next run.
            tokio::time::sleep(period()).await;
        }
        let machine = format!("machine:{}", dir.display());
        let redis = redis();
        let mut stores = vec![("4 processes (machine store: file lock)", machine)];
        if let Some(server) = &redis {
            stores.push(("4 processes (Redis store)", server.1.clone()));
        }
        if !measuring() {
            stores.clear();
        }
        for (label, store) in &stores {
            for callers in [1usize, 50] {
                let callers = if callers == 1 { 4 } else { callers };
                let t = token();
                let outcome = measured(&mock, processes(&base, store, callers, &t)).await;
                rows.push((label.to_string(), callers, outcome));
                tokio::time::sleep(period()).await;
            }
        }
        let quiet = RateLimit {
            requests: N,
            period: Duration::from_secs(60),
        };
        let (mut limited, mut free) = (Duration::ZERO, Duration::ZERO);
        // Warm up, then alternate which goes first (each burst makes its own connections).
        let _ = burst(&base, &token(), None).await;
        for i in 0..6 {
            if i % 2 == 0 {
                free += burst(&base, &token(), None).await;
                limited += burst(&base, &token(), Some(quiet)).await;
            } else {
                limited += burst(&base, &token(), Some(quiet)).await;
                free += burst(&base, &token(), None).await;
            }
        }
        mock.shutdown().await;
        let _ = std::fs::remove_dir_all(&dir);

        let mut report = format!(
            "## Quota utilisation ({} cores; quota {N} per {} s on both sides, {PERIODS} periods, no retries)\n\n\
             | where | callers | accepted | 429s | utilisation |\n|---|---|---|---|---|\n",
            common::cores(),
            period().as_secs_f64(),
        );
        for (label, callers, outcome) in &rows {
            report.push_str(&format!(
                "| {label} | {callers} | {} | {} | **{:.3}** |\n",
                outcome.accepted,
                outcome.refused,
                outcome.utilisation()
            ));
        }
        if redis.is_none() {
            report.push_str("\nRedis store: not measured (`redis-server` is not installed).\n");
        }
        report.push_str(&format!(
            "\nUtilisation: accepted / ({N} × {PERIODS}) (target: at least 0.99, zero 429s). With 1 caller per \
             process across 4 processes there are 4 callers.\n\n\
             ## Burst latency ({N} concurrent requests on a quiet account, 6 runs each, alternating)\n\n\
             | limiter | mean time for the burst |\n|---|---|\n\
             | off (the physical limit: {N} round trips on loopback) | {:.2} ms |\n\
             | {N} per 60 s, quiet account | {:.2} ms |\n\n\
             Ratio: **{:.2}** (target: at most 1.2).\n",
            free.as_secs_f64() * 1000.0 / 6.0,
            limited.as_secs_f64() * 1000.0 / 6.0,
            limited.as_secs_f64() / free.as_secs_f64(),
        ));
        common::report(&report);
        assert!(rows.iter().all(|(_, _, o)| o.refused == 0), "a 429 under the limiter");
    });
}

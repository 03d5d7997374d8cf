//! `threatbind mock` throughput under a loopback load, and the same spec served by Prism
//! (`@stoplight/prism-cli`, the usual spec-driven mock) in the same run when it is installed
//! (`make bench` installs it under `target/prism`). Both get the same load: 16 connections
//! sending `GET /cti/v2/events?size=10` with a bearer token for a few seconds. Prints a
//! Markdown table and appends it to `target/bench-report.md`.
//!
//! Run: `cargo bench --bench mock` (set `PRISM` to a prism binary to use another one).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 16;
const SECONDS: u64 = 4;
const TOKEN: &str = "6f1c3c1e-0000-4000-8000-000000000000";

struct Load {
    ok: u64,
    other: u64,
    seconds: f64,
}

async fn load(url: String) -> Load {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .expect("client");
    // Warm up (connections, caches).
    for _ in 0..50 {
        let _ = client.get(&url).bearer_auth(TOKEN).send().await;
    }
    let (ok, other) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let started = Instant::now();
    let end = started + Duration::from_secs(SECONDS);
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (client, url, ok, other) = (client.clone(), url.clone(), ok.clone(), other.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < end {
                match client.get(&url).bearer_auth(TOKEN).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        other.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    Load {
        ok: ok.load(Ordering::Relaxed),
        other: other.load(Ordering::Relaxed),
        seconds: started.elapsed().as_secs_f64(),
    }
}

fn prism_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PRISM") {
        return Some(PathBuf::from(p));
    }
    let local =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/prism/node_modules/.bin/prism");
    local.exists().then_some(local)
}

struct Prism(Child);

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_prism(binary: &PathBuf, port: u16) -> Result<Prism, String> {
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs/nameshield-cti.yaml");
    let child = Command::new(binary)
        .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
        .arg(spec)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let prism = Prism(child);
    for _ in 0..600 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(prism);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("Prism did not listen within 60 s".to_owned())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let options = threatbind::mock::Options {
            // The bench measures throughput, not the quota.
            rate_limit: Some(threatbind::spec::RateLimit {
                requests: u32::MAX,
                period: Duration::from_secs(1),
            }),
            ..Default::default()
        };
        let mock = threatbind::mock::serve("127.0.0.1:0".parse().unwrap(), options)
            .await
            .expect("mock");
        let ours = load(format!("{}/cti/v2/events?size=10", mock.base_url())).await;
        mock.shutdown().await;
        let ours_rate = ours.ok as f64 / ours.seconds;
        let mut report = format!(
            "## Mock throughput ({} cores; {CONNECTIONS} connections, {SECONDS} s, GET /cti/v2/events?size=10)\n\n\
             | server | 2xx answers | other | req/s |\n|---|---|---|---|\n\
             | threatbind mock | {} | {} | {ours_rate:.0} |\n",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            ours.ok,
            ours.other,
        );
        match prism_binary() {
            None => report.push_str(
                "\nPrism: not installed (`make bench` installs @stoplight/prism-cli under target/prism; \
                 set PRISM to use another): no ratio.\n",
            ),
            Some(binary) => match start_prism(&binary, 4010).await {
                Err(why) => report.push_str(&format!("\nPrism could not run here: {why}.\n")),
                Ok(prism) => {
                    let theirs = load("http://127.0.0.1:4010/cti/v2/events?size=10".to_owned()).await;
                    drop(prism);
                    let theirs_rate = theirs.ok as f64 / theirs.seconds;
                    report.push_str(&format!(
                        "| Prism ({}) | {} | {} | {theirs_rate:.0} |\n\nRatio (threatbind mock / Prism): **{:.1}x** (target: at least 20x).\n",
                        binary.display(),
                        theirs.ok,
                        theirs.other,
                        if theirs_rate > 0.0 { ours_rate / theirs_rate } else { f64::INFINITY },
                    ));
                }
            },
        }
        println!("{report}");
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-report.md");
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push('\n');
        text.push_str(&report);
        let _ = std::fs::write(&path, text);
    });
}

//! `threatbind mock` throughput under a loopback load, and the same spec served by Prism
//! (`@stoplight/prism-cli`, the usual spec-driven mock) in the same run when it is installed
//! (`make bench` installs it under `target/prism`). Both get the same load: 16 keep-alive
//! HTTP/1.1 connections (a minimal generator, so that the client is not what is measured)
//! sending `GET /cti/v2/events?size=10` with a bearer token for a few seconds. Prints a
//! Markdown table and appends it to `target/bench-report.md`.
//!
//! The mock remembers the answer of a request it has answered (see `crates/mock/src/memo.rs`), so a
//! load that repeats requests measures that path; a second load makes every request distinct
//! (`&customerId=N`, N counting up), so every answer is built and serialised anew: both are
//! reported, beside Prism under the repeated load.
//!
//! Run: `cargo bench --bench mock` (set `PRISM` to a prism binary to use another one).

#[path = "../../../benches/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
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

impl Load {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.seconds
    }
}

/// One keep-alive HTTP/1.1 connection sending the same request until `end`: a load generator
/// light enough not to be what is measured (reqwest's client costs more than a fast server).
async fn connection(addr: String, request: Arc<Request>, end: Instant) -> (u64, u64) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(&addr).await else {
        return (0, 1);
    };
    let _ = stream.set_nodelay(true);
    let (mut ok, mut other) = (0, 0);
    let mut buffer = Vec::with_capacity(64 << 10);
    let mut chunk = vec![0u8; 64 << 10];
    while Instant::now() < end {
        if stream.write_all(&request.bytes()).await.is_err() {
            return (ok, other + 1);
        }
        buffer.clear();
        // Read the head, then exactly Content-Length bytes of body.
        let (head_end, length) = loop {
            let Ok(n) = stream.read(&mut chunk).await else {
                return (ok, other + 1);
            };
            if n == 0 {
                return (ok, other + 1);
            }
            buffer.extend_from_slice(&chunk[..n]);
            if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buffer[..i]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                break (i + 4, length);
            }
        };
        while buffer.len() < head_end + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return (ok, other + 1),
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        if buffer.starts_with(b"HTTP/1.1 2") {
            ok += 1;
        } else {
            other += 1;
        }
    }
    (ok, other)
}

/// The request a connection sends: the same every time, or made distinct by a counter.
struct Request {
    target: String,
    addr: String,
    distinct: bool,
    /// Requests made so far, by every connection.
    counter: std::sync::atomic::AtomicU64,
}

impl Request {
    fn bytes(&self) -> Vec<u8> {
        let target = if self.distinct {
            let n = self
                .counter
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            format!("{}&customerId={n}", self.target)
        } else {
            self.target.clone()
        };
        format!(
            "GET {target} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\nAccept: application/json\r\n\r\n",
            self.addr
        )
        .into_bytes()
    }
}

async fn load(url: String, distinct: bool) -> Load {
    let parsed = reqwest::Url::parse(&url).expect("url");
    let addr = format!(
        "{}:{}",
        parsed.host_str().unwrap_or("127.0.0.1"),
        parsed.port_or_known_default().unwrap_or(80)
    );
    let target = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_owned(),
    };
    let request = Arc::new(Request {
        target,
        addr: addr.clone(),
        distinct,
        counter: Default::default(),
    });
    // Warm up (connections, caches).
    let _ = connection(
        addr.clone(),
        request.clone(),
        Instant::now() + Duration::from_millis(300),
    )
    .await;
    let started = Instant::now();
    let end = started + Duration::from_secs(SECONDS);
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| tokio::spawn(connection(addr.clone(), request.clone(), end)))
        .collect();
    let (mut ok, mut other) = (0, 0);
    for t in tasks {
        if let Ok((o, e)) = t.await {
            ok += o;
            other += e;
        }
    }
    Load {
        ok,
        other,
        seconds: started.elapsed().as_secs_f64(),
    }
}

fn prism_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PRISM") {
        return Some(PathBuf::from(p));
    }
    let local = workspace().join("target/prism/node_modules/.bin/prism");
    local.exists().then_some(local)
}

/// The workspace's root (this crate is crates/mock).
fn workspace() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

struct Prism(Child);

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_prism(binary: &PathBuf, port: u16) -> Result<Prism, String> {
    let spec = workspace().join("specs/nameshield-cti.yaml");
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
    let runtime = common::runtime();
    runtime.block_on(async {
        let options = threatbind_mock::Options {
            // The bench measures throughput, not the quota.
            rate_limit: Some(threatbind::spec::RateLimit {
                requests: u32::MAX,
                period: Duration::from_secs(1),
            }),
            ..Default::default()
        };
        let mock = threatbind_mock::serve("127.0.0.1:0".parse().unwrap(), options)
            .await
            .expect("mock");
        let url = format!("{}/cti/v2/events?size=10", mock.base_url());
        let ours = [load(url.clone(), false).await, load(url, true).await];
        mock.shutdown().await;
        let prism = match prism_binary() {
            None => Err("not installed (`make bench` installs @stoplight/prism-cli under \
                         target/prism; set PRISM to use another)"
                .to_owned()),
            Some(binary) => match start_prism(&binary, 4010).await {
                Err(why) => Err(format!("could not run here: {why}")),
                Ok(prism) => {
                    let url = "http://127.0.0.1:4010/cti/v2/events?size=10".to_owned();
                    let theirs = [load(url.clone(), false).await, load(url, true).await];
                    drop(prism);
                    Ok((binary, theirs))
                }
            },
        };
        let mut report = format!(
            "## Mock throughput ({} cores; {CONNECTIONS} connections, {SECONDS} s, GET /cti/v2/events?size=10)\n\n\
             | load | server | 2xx answers | other | req/s | ratio |\n|---|---|---|---|---|---|\n",
            common::cores(),
        );
        for (i, name) in ["the same request", "every request distinct"].iter().enumerate() {
            let rate = ours[i].rate();
            let ratio = match &prism {
                Ok((_, theirs)) if theirs[i].rate() > 0.0 => {
                    format!("**{:.1}x**", rate / theirs[i].rate())
                }
                _ => "-".to_owned(),
            };
            report.push_str(&format!(
                "| {name} | threatbind mock | {} | {} | {rate:.0} | {ratio} |\n",
                ours[i].ok, ours[i].other
            ));
            if let Ok((binary, theirs)) = &prism {
                report.push_str(&format!(
                    "| {name} | Prism ({}) | {} | {} | {:.0} | 1 |\n",
                    binary.display(),
                    theirs[i].ok,
                    theirs[i].other,
                    theirs[i].rate()
                ));
            }
        }
        match &prism {
            Err(why) => report.push_str(&format!("\nPrism {why}: no ratio.\n")),
            Ok(_) => report.push_str(
                "\nRatio: threatbind mock / Prism under the same load (target: at least 20x). The mock \
                 remembers answers to requests it has seen; under the distinct load every answer is \
                 built anew.\n",
            ),
        }
        common::report(&report);
    });
}

//! `threatbind mock` throughput under a loopback load, and the same spec served by Prism
//! (`@stoplight/prism-cli`, the usual spec-driven mock) in the same run when it is installed
//! (`make bench` installs it under `target/prism`). Both get the same load: 16 keep-alive
//! HTTP/1.1 connections (a minimal generator, so that the client is not what is measured)
//! sending `GET /cti/v2/events?size=10` with a bearer token for a few seconds. Prints a
//! Markdown table and appends it to `target/bench-report.md`.
//!
//! Run: `cargo bench --bench mock` (set `PRISM` to a prism binary to use another one).

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

/// One keep-alive HTTP/1.1 connection sending the same request until `end`: a load generator
/// light enough not to be what is measured (reqwest's client costs more than a fast server).
async fn connection(addr: String, request: Arc<Vec<u8>>, end: Instant) -> (u64, u64) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(&addr).await else {
        return (0, 1);
    };
    let _ = stream.set_nodelay(true);
    let (mut ok, mut other) = (0, 0);
    let mut buffer = Vec::with_capacity(64 << 10);
    let mut chunk = vec![0u8; 64 << 10];
    while Instant::now() < end {
        if stream.write_all(&request).await.is_err() {
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

async fn load(url: String) -> Load {
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
    let request = Arc::new(
        format!(
            "GET {target} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nAccept: application/json\r\n\r\n"
        )
        .into_bytes(),
    );
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

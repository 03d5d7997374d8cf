//! `threatbind enrich` at scale: 10,000 and 1,000,000 indicators against the mock (in this
//! process) with a quota that never binds; throughput and the enrich process's peak RSS
//! (VmHWM, read from /proc while it runs). Flat memory: the peak at 1M lines within 1.2x of
//! the peak at 10k. Appends to `target/bench-report.md`.
//!
//! Run: `cargo bench --bench enrich` (set `ENRICH_BENCH_LINES` to change the large input).

#[path = "../../../benches/common/mod.rs"]
mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Run {
    lines: usize,
    seconds: f64,
    peak_kib: u64,
    records: usize,
}

fn input(dir: &Path, lines: usize) -> PathBuf {
    let path = dir.join(format!("indicators-{lines}.txt"));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("input"));
    for i in 0..lines {
        writeln!(
            file,
            "10.{}.{}.{}",
            (i >> 16) & 0xff,
            (i >> 8) & 0xff,
            i & 0xff
        )
        .expect("write");
    }
    file.flush().expect("flush");
    path
}

/// VmHWM of a running process, in KiB.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn enrich(base: &str, dir: &Path, lines: usize) -> Run {
    let file = input(dir, lines);
    let out = dir.join(format!("records-{lines}.jsonl"));
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_threatbind"))
        .env_clear()
        .env("DD_API_KEY", "bench-api-key")
        .env("DD_APP_KEY", "bench-app-key")
        .args([
            "--base-url",
            base,
            "--rate-limit",
            "1000000/1",
            "--quota-store",
            "process",
        ])
        .args(["enrich", "--provider", "datadog-ioc", "--concurrency", "64"])
        .arg("--input")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("threatbind enrich");
    let mut peak = 0;
    loop {
        if let Some(kib) = peak_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Ok(Some(status)) = child.try_wait() {
            assert!(status.success(), "enrich failed: {status}");
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let seconds = started.elapsed().as_secs_f64();
    let records = std::io::BufRead::lines(std::io::BufReader::new(
        std::fs::File::open(&out).expect("records"),
    ))
    .count();
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&out);
    Run {
        lines,
        seconds,
        peak_kib: peak,
        records,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs a quick smoke run.
    let measuring = common::measuring();
    let (small, large) = if measuring {
        let large = std::env::var("ENRICH_BENCH_LINES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000);
        (10_000, large)
    } else {
        (200, 1_000)
    };
    let runtime = common::runtime();
    let mock = runtime
        .block_on(threatbind_mock::serve(
            "127.0.0.1:0".parse().expect("address"),
            threatbind_mock::Options {
                rate_limit: Some(threatbind::spec::RateLimit {
                    requests: 1_000_000,
                    period: Duration::from_secs(1),
                }),
                ..Default::default()
            },
        ))
        .expect("mock");
    let base = mock.base_url().to_owned();
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/bench-enrich"
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let runs: Vec<Run> = [small, large]
        .iter()
        .map(|n| enrich(&base, &dir, *n))
        .collect();
    let stats = mock.stats();
    runtime.block_on(mock.shutdown());
    let mut report = format!(
        "## Enrich at scale ({} cores; datadog-ioc against the mock, --concurrency 64, a quota that never binds)\n\n\
         | indicators | records | time | records/s | peak RSS |\n|---|---|---|---|---|\n",
        common::cores(),
    );
    for run in &runs {
        report.push_str(&format!(
            "| {} | {} | {:.1} s | {:.0} | {:.1} MiB |\n",
            run.lines,
            run.records,
            run.seconds,
            run.records as f64 / run.seconds,
            run.peak_kib as f64 / 1024.0
        ));
    }
    report.push_str(&format!(
        "\nPeak RSS {} / {} lines: **{:.2}x** (target: at most 1.2). Every input has its record: {}. \
         The mock answered {} requests, {} of them 429.\n",
        runs[1].lines,
        runs[0].lines,
        runs[1].peak_kib as f64 / runs[0].peak_kib.max(1) as f64,
        runs.iter().all(|r| r.records == r.lines),
        stats.requests,
        stats.rate_limited,
    ));
    common::report(&report);
    assert!(
        runs.iter().all(|r| r.records == r.lines),
        "an input without its record"
    );
}

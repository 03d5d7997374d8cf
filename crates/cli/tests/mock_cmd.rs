//! `threatbind mock`: the command serving every API offline (the mock itself is tested in
//! crates/mock).

mod support;

use serde_json::Value;
use std::collections::HashSet;
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::blocking_command as threatbind;

/// The bearer token the mock takes for Nameshield (its spec's example).
const NAMESHIELD_TOKEN: &str = "6f1c3c1e-1111-4000-8000-000000000042";

/// Kills the mock when the test ends, passed or not.
struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_cli_walks_every_page_of_the_mock() {
    let mut child = Child(
        threatbind()
            .args(["mock", "--port", "0", "--seed", "3"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut first = String::new();
    std::io::BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first.trim();
    assert!(base.starts_with("http://127.0.0.1:"), "{first:?}");
    let out = threatbind()
        .env("NAMESHIELD_TOKEN", NAMESHIELD_TOKEN)
        .env("NAMESHIELD_BASE_URL", base)
        .args(["nameshield", "events", "--all", "--output", "jsonl"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 237);
    let ids: HashSet<&str> = lines.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 237);

    // Ctrl-C (SIGINT) stops it cleanly, with 0: it exits by itself with that code. A mock
    // that ignored SIGINT would run on; the guard then kills it (a signal, no code), so
    // that such a bug fails the test instead of hanging it. The guard is no measure of
    // speed: a clean stop takes milliseconds.
    #[cfg(unix)]
    {
        let pid = child.0.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(sent.success());
        let guard = std::time::Instant::now() + Duration::from_secs(120);
        let status = loop {
            if let Some(status) = child.0.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > guard {
                child.0.kill().unwrap();
                break child.0.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.code(), Some(0), "{status}: not stopped by SIGINT");
    }
}

#[test]
fn help_and_exit_codes() {
    let out = threatbind().args(["mock", "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "Exit codes: 0",
        "/api/v2/threat/search/virustotal",
        "--fail-rate",
        "--latency",
        "--seed",
        "--rate-limit",
        "--port",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
    for bad in [
        vec!["mock", "--fail-rate", "2"],
        vec!["mock", "--rate-limit", "many"],
        vec!["mock", "--port", "70000"],
    ] {
        let out = threatbind().args(&bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    // A port in use: cannot bind, 2.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = threatbind()
        .args(["mock", "--port", &port])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen")); // More items than a data set may hold: refused before the address is tried, naming --items.
    let out = threatbind()
        .args(["mock", "--items", "100001", "--port", &port])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("invalid value '100001' for '--items <N>': 100001 is not in 0..=100000"),
        "{stderr}"
    );
}

//! Helpers shared by the client tests: loopback mock servers and fixtures.
#![allow(dead_code)]

pub mod fixtures;
pub mod held;

use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use threatbind::{RetryPolicy, Settings};

/// The workspace's root (where `specs/` and `tests/fixtures/` are), from the tests of any of
/// its crates.
pub fn root() -> &'static Path {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|dir| {
            dir.join("Cargo.lock").exists()
                || dir.join("specs").is_dir() && dir.join("crates").is_dir()
        })
        .unwrap_or(manifest)
}

/// Reads `tests/fixtures/<api>/<op>/<file>`.
pub fn fixture(api: &str, op: &str, file: &str) -> Value {
    let path = root().join("tests/fixtures").join(api).join(op).join(file);
    serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// Every `response.<status>.*.json` of an operation with status >= 400, as (status, body, name).
pub fn error_fixtures(api: &str, op: &str) -> Vec<(u16, Value, String)> {
    let dir = root().join("tests/fixtures").join(api).join(op);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let mut parts = name.split('.');
        if parts.next() != Some("response") {
            continue;
        }
        let status: u16 = parts.next().unwrap().parse().unwrap();
        if status >= 400 {
            out.push((status, fixture(api, op, &name), name));
        }
    }
    out.sort_by(|a, b| a.2.cmp(&b.2));
    out
}

/// Settings for tests: no client-side quota, quick retries.
pub fn fast_settings() -> Settings {
    Settings {
        unlimited: true,
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        timeout: Duration::from_secs(10),
        ..Settings::default()
    }
}

/// A variable lookup over fixed pairs, for `from_vars` constructors.
pub fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |k| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}

/// The commands of a `threatbind` binary, as its help lists them: `[["log360", "whoami"], ...]`.
pub fn cli_commands(binary: &str) -> Vec<Vec<String>> {
    let help = |args: &[&str]| {
        let out = std::process::Command::new(binary)
            .env_clear()
            .args(args)
            .arg("--help")
            .output()
            .expect("the binary runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let names = |text: &str| -> Vec<String> {
        text.lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| *n != "help")
            .map(str::to_owned)
            .collect()
    };
    let mut out = Vec::new();
    for group in names(&help(&[])) {
        for command in names(&help(&[&group])) {
            out.push(vec![group.clone(), command]);
        }
    }
    out
}

/// A child process (a test's server) killed and reaped when dropped.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

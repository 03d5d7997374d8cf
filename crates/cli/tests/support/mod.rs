//! Helpers shared by the CLI's integration tests: running the real `threatbind` binary and
//! reading what it printed. Each test file takes them with `mod support;` (a `tests/support/`
//! folder is not a test crate of its own).

// Each test crate uses some of these helpers, never all: without this, every crate would warn
// about the ones it leaves (and `clippy -D warnings` would fail).
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

/// The binary with nothing of the caller's environment but PATH.
pub fn command() -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_threatbind"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

/// [`command`], blocking.
pub fn blocking_command() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_threatbind"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

/// Runs `threatbind` with exactly `env` (plus PATH) and `args`.
pub async fn run(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = command();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().await.unwrap()
}

/// [`run`] with a quota of the run's own (`THREATBIND_QUOTA_STORE=process`, which `env` may
/// override).
pub async fn run_own_quota(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut all = vec![("THREATBIND_QUOTA_STORE", "process")];
    all.extend_from_slice(env);
    run(&all, args).await
}

/// [`run`] with `stdin` on the binary's standard input.
pub async fn run_with_stdin(env: &[(&str, &str)], args: &[&str], stdin: &[u8]) -> Output {
    use tokio::io::AsyncWriteExt;
    let mut cmd = command();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).await.unwrap();
    drop(input);
    child.wait_with_output().await.unwrap()
}

/// Runs `threatbind ARGS` blocking, with the caller's environment, in `dir` (none: the test's
/// own folder), with `stdin` on its standard input (none: an empty input).
pub fn run_blocking(dir: Option<&Path>, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_threatbind"));
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

/// Variables of owned values as the `(name, value)` pairs [`run`] takes.
pub fn refs<'a>(env: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Bytes as text, invalid UTF-8 replaced.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What the run printed on stdout.
pub fn stdout(o: &Output) -> String {
    text(&o.stdout)
}

/// What the run printed on stderr.
pub fn stderr(o: &Output) -> String {
    text(&o.stderr)
}

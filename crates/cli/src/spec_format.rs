//! What the spec tools share: the `--format`, `--fail-on` and `--ignore` flags, writing a
//! report, reading a spec as it was at a git revision, and finding an operation by its
//! operationId and `--api`.

use clap::{Arg, ArgAction, ArgMatches};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use threatbind::spec::{Api, Operation};
use threatbind_spec_tools::report::{FailOn, Format};

/// The largest spec read, from a file or from git (a guard against reading a device or a huge
/// file by mistake).
pub(crate) const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The `--format` flag of the spec tools; `help` says what `text` prints.
pub(crate) fn format_arg(help: &'static str) -> Arg {
    Arg::new("format")
        .long("format")
        .value_name("FORMAT")
        .value_parser(Format::NAMES)
        .default_value("text")
        .help(help)
        .long_help(format!(
            "{help}\n\
             json: one document, {{\"tool\", \"findings\": [...], \"summary\": {{...}}}} (findings [] when none); \
             jsonl: one finding per line; markdown: a pull-request comment (counts, then a table); \
             github: GitHub Actions annotations (::error file=...,line=...,title=RULE::...); \
             junit: a JUnit XML report (a suite per file, a case per rule); \
             sarif: SARIF 2.1.0 for code scanning (ignored findings as suppressed results)"
        ))
}

/// The `--fail-on` flag: `values` and the default are the tool's.
pub(crate) fn fail_on_arg(values: [&'static str; 3], default: &'static str) -> Arg {
    Arg::new("fail-on")
        .long("fail-on")
        .value_name("LEVEL")
        .value_parser(values)
        .default_value(default)
        .help(format!(
            "Exit 1 when a finding at or above this level is reported ({}; ignored findings never count)",
            values.join(", ")
        ))
}

/// The `--ignore ID` flag (repeatable).
pub(crate) fn ignore_arg(what: &'static str) -> Arg {
    Arg::new("ignore")
        .long("ignore")
        .value_name("ID")
        .action(ArgAction::Append)
        .help(what)
}

/// The format asked for.
pub(crate) fn format(matches: &ArgMatches) -> Format {
    matches
        .get_one::<String>("format")
        .and_then(|f| f.parse().ok())
        .unwrap_or(Format::Text)
}

/// The threshold asked for (`fallback` when absent).
pub(crate) fn fail_on(matches: &ArgMatches, fallback: FailOn) -> FailOn {
    matches
        .get_one::<String>("fail-on")
        .and_then(|f| f.parse().ok())
        .unwrap_or(fallback)
}

/// The ids given with `--ignore`; an id that is not a rule id's shape (lowercase letters,
/// digits and `-`) is refused, naming the flag.
pub(crate) fn ignored(matches: &ArgMatches) -> Result<Vec<String>, String> {
    let ids: Vec<String> = matches
        .get_many::<String>("ignore")
        .map(|ids| ids.cloned().collect())
        .unwrap_or_default();
    for id in &ids {
        let shaped = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !shaped {
            return Err(format!(
                "--ignore {id:?}: a rule id is lowercase letters, digits and '-' (e.g. missing-example)"
            ));
        }
    }
    Ok(ids)
}

/// Writes the report; a reader that went away (`| head`) is not an error.
pub(crate) fn write_out(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// How long `git show` may run before it is stopped (a repository on a hung network mount, a
/// lock held by another git).
pub(crate) const GIT_TIMEOUT: Duration = Duration::from_secs(60);

/// The most of git's stderr kept for its reason (the rest is read and dropped).
const MAX_REASON_BYTES: u64 = 64 * 1024;

/// The text of `path` as it is at the git revision `rev` (`git show REV:./FILE`, run in the
/// file's folder, so a path relative to the current folder works anywhere in a repository).
/// Errors name `flag`, the revision and git's own reason; a file larger than [`MAX_BYTES`] and
/// a git that runs longer than [`GIT_TIMEOUT`] are stopped and said so.
pub(crate) fn git_show(flag: &str, rev: &str, path: &Path) -> Result<String, String> {
    git_show_bounded(flag, rev, path, MAX_BYTES, GIT_TIMEOUT, "git")
}

/// [`git_show`] with its bounds and program given (the tests use small ones).
fn git_show_bounded(
    flag: &str,
    rev: &str,
    path: &Path,
    max_bytes: u64,
    timeout: Duration,
    git: &str,
) -> Result<String, String> {
    if rev.is_empty() || rev.starts_with('-') || rev.contains(':') {
        return Err(format!(
            "{flag} {rev:?}: not a git revision (a commit, branch or tag, e.g. HEAD or main~1)"
        ));
    }
    let name = path
        .file_name()
        .ok_or_else(|| format!("{flag} {rev}: {} names no file", path.display()))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let object = format!("{rev}:./{}", name.to_string_lossy());
    let mut command = Command::new(git);
    command
        .arg("-C")
        .arg(dir)
        .args(["show", "--no-textconv", &object]);
    let ran = match run_bounded(command, max_bytes, timeout) {
        Ok(ran) => ran,
        Err(Bounded::Spawn(e)) => return Err(format!("{flag} {rev}: cannot run git: {e}")),
        Err(Bounded::Wait(e)) => return Err(format!("{flag} {rev}: git did not finish: {e}")),
        Err(Bounded::TimedOut) => {
            return Err(format!(
            "{flag} {rev}: git show {object} (in {}) did not finish within {} s, and was stopped",
            dir.display(),
            timeout.as_secs_f64()
        ))
        }
    };
    // The size first: git is stopped when its output is too large, so it did not succeed.
    if ran.too_large {
        return Err(format!(
            "{flag} {rev}: {} is larger than {} at that revision",
            path.display(),
            size(max_bytes)
        ));
    }
    if !ran.status.success() {
        let reason = String::from_utf8_lossy(&ran.stderr);
        let reason = reason.lines().next().unwrap_or("no reason given").trim();
        return Err(format!(
            "{flag} {rev}: git show {object} (in {}) failed: {reason}",
            dir.display()
        ));
    }
    if let Err(e) = ran.read {
        return Err(format!("{flag} {rev}: reading git's output: {e}"));
    }
    String::from_utf8(ran.stdout).map_err(|_| {
        format!(
            "{flag} {rev}: {} is not UTF-8 text at that revision",
            path.display()
        )
    })
}

/// `64 MiB`, or a count of bytes when not a whole number of MiB.
fn size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// What a bounded run of a command gave.
struct Ran {
    status: std::process::ExitStatus,
    /// At most `max_bytes` + 1 bytes of its stdout.
    stdout: Vec<u8>,
    /// Whether its stdout was larger than `max_bytes` (it was then stopped).
    too_large: bool,
    /// How reading its stdout ended.
    read: std::io::Result<()>,
    /// The start of its stderr.
    stderr: Vec<u8>,
}

/// Why a bounded run gave nothing.
enum Bounded {
    Spawn(std::io::Error),
    Wait(std::io::Error),
    TimedOut,
}

/// Runs `command` (stdin closed), keeping at most `max_bytes` + 1 bytes of its stdout and
/// stopping it as soon as it writes more, or when it runs longer than `timeout`. Its stdout and
/// stderr are read by threads of their own, so neither pipe can fill and hold it up.
fn run_bounded(mut command: Command, max_bytes: u64, timeout: Duration) -> Result<Ran, Bounded> {
    let deadline = Instant::now() + timeout;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(Bounded::Spawn)?;
    let (sender, stdout_read) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let read = out.take(max_bytes + 1).read_to_end(&mut bytes).map(drop);
            let _ = sender.send((bytes, read));
        });
    } else {
        let _ = sender.send((Vec::new(), Ok(())));
    }
    let (err_sender, stderr_read) = mpsc::channel();
    if let Some(mut err) = child.stderr.take() {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            let _ = (&mut err).take(MAX_REASON_BYTES).read_to_end(&mut kept);
            let _ = std::io::copy(&mut err, &mut std::io::sink());
            let _ = err_sender.send(kept);
        });
    }
    let stop = |child: &mut std::process::Child| {
        let _ = child.kill();
        let _ = child.wait();
    };
    // stdout: to its end, or past the bound, or the deadline.
    let remaining = deadline.saturating_duration_since(Instant::now());
    let (stdout, read) = match stdout_read.recv_timeout(remaining) {
        Ok(got) => got,
        Err(_) => {
            stop(&mut child);
            return Err(Bounded::TimedOut);
        }
    };
    let too_large = stdout.len() as u64 > max_bytes;
    if too_large {
        stop(&mut child);
    }
    // The exit: polled until the deadline (stdout is closed, so it is near).
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                stop(&mut child);
                return Err(Bounded::TimedOut);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                stop(&mut child);
                return Err(Bounded::Wait(e));
            }
        }
    };
    // Its stderr, unless something it started still holds the pipe past the deadline.
    let remaining = deadline.saturating_duration_since(Instant::now());
    let stderr = stderr_read.recv_timeout(remaining).unwrap_or_default();
    Ok(Ran {
        status,
        stdout,
        too_large,
        read,
        stderr,
    })
}

/// The operation `id` (given with `flag`, e.g. `--operation`) of every compiled spec, or of
/// the spec whose stem is `api` (`--api`) only. A usage error names the flag: an unknown
/// `--api` (with the stems), an unknown operation (with the operationIds it may have meant: the
/// same but for case, or the operation whose CLI command has that name), an operationId of more
/// than one spec (with their stems, to pick one with `--api`).
pub(crate) fn find_operation(
    flag: &str,
    id: &str,
    api: Option<&str>,
) -> Result<&'static Operation, String> {
    let apis: Vec<Api> = match api {
        Some(stem) => match Api::ALL.iter().find(|a| a.stem() == stem) {
            Some(a) => vec![*a],
            None => {
                let stems: Vec<&str> = Api::ALL.iter().map(|a| a.stem()).collect();
                return Err(format!(
                    "--api: no spec is named {stem:?} (one of: {})",
                    stems.join(", ")
                ));
            }
        },
        None => Api::ALL.to_vec(),
    };
    let found: Vec<&'static Operation> = apis.iter().filter_map(|a| a.operation(id)).collect();
    match found.as_slice() {
        [op] => Ok(op),
        [] => {
            let near: Vec<String> = apis
                .iter()
                .flat_map(|a| a.operations())
                .filter(|op| op.id.eq_ignore_ascii_case(id) || op.cli.name.as_deref() == Some(id))
                .map(|op| op.id.clone())
                .collect();
            let hint = if near.is_empty() {
                String::new()
            } else {
                format!(" (did you mean {}?)", near.join(" or "))
            };
            match api.and(apis.first()) {
                Some(one) => Err(format!(
                    "{flag}: specs/{} has no operation {id:?}{hint}",
                    one.file_name()
                )),
                None => Err(format!("{flag}: no spec has the operation {id:?}{hint}")),
            }
        }
        many => {
            let stems: Vec<&str> = many.iter().map(|op| op.api.stem()).collect();
            Err(format!(
                "{flag}: {id:?} is an operation of {}: add --api with one of them",
                stems.join(" and ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A new folder of the system's temporary one, for this test alone.
    fn folder(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("threatbind-git-show-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
            .args(args)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    #[test]
    fn a_file_too_large_at_the_revision_is_named_as_such() {
        let dir = folder("large");
        git(&dir, &["init", "-q"]);
        // 1 MiB: more than a pipe holds, so git is stopped while it writes.
        std::fs::write(dir.join("big.yaml"), "a".repeat(1024 * 1024)).unwrap();
        std::fs::write(dir.join("small.yaml"), "openapi: 3.0.3\n").unwrap();
        git(&dir, &["add", "big.yaml", "small.yaml"]);
        git(&dir, &["commit", "-q", "-m", "two files"]);
        let big = dir.join("big.yaml");
        let got = git_show_bounded("--against", "HEAD", &big, 1024, GIT_TIMEOUT, "git");
        assert_eq!(
            got,
            Err(format!(
                "--against HEAD: {} is larger than 1024 bytes at that revision",
                big.display()
            ))
        );
        // Within the bound, the text; an unknown revision, git's reason.
        let small = dir.join("small.yaml");
        let got = git_show_bounded("--against", "HEAD", &small, 1024, GIT_TIMEOUT, "git");
        assert_eq!(got, Ok("openapi: 3.0.3\n".to_owned()));
        let got = git_show("--against", "nope", &small).unwrap_err();
        assert!(
            got.starts_with(&format!(
                "--against nope: git show nope:./small.yaml (in {}) failed: fatal:",
                dir.display()
            )),
            "{got}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_git_that_does_not_finish_is_stopped_and_named() {
        use std::os::unix::fs::PermissionsExt;
        let dir = folder("slow");
        // A stand-in for a git that hangs (a lock, a hung mount).
        let slow = dir.join("slow-git");
        std::fs::write(&slow, "#!/bin/sh\nexec sleep 600\n").unwrap();
        std::fs::set_permissions(&slow, std::fs::Permissions::from_mode(0o755)).unwrap();
        let spec = dir.join("a.yaml");
        let got = git_show_bounded(
            "--since",
            "HEAD",
            &spec,
            MAX_BYTES,
            Duration::from_millis(200),
            &slow.display().to_string(),
        );
        assert_eq!(
            got,
            Err(format!(
                "--since HEAD: git show HEAD:./a.yaml (in {}) did not finish within 0.2 s, and was stopped",
                dir.display()
            ))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

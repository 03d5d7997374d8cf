//! What the spec tools share: the `--format`, `--fail-on` and `--ignore` flags, writing a
//! report, reading a spec as it was at a git revision, and finding an operation by its
//! operationId and `--api`.

use clap::{Arg, ArgAction, ArgMatches};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
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

/// The text of `path` as it is at the git revision `rev` (`git show REV:./FILE`, run in the
/// file's folder, so a path relative to the current folder works anywhere in a repository).
/// Errors name `flag`, the revision and git's own reason.
pub(crate) fn git_show(flag: &str, rev: &str, path: &Path) -> Result<String, String> {
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
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["show", "--no-textconv", &object])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{flag} {rev}: cannot run git: {e}"))?;
    let mut bytes = Vec::new();
    let mut reason = Vec::new();
    let read = child
        .stdout
        .take()
        .map(|out| out.take(MAX_BYTES + 1).read_to_end(&mut bytes));
    if bytes.len() as u64 > MAX_BYTES {
        // Not read to its end: git would wait on a full pipe.
        let _ = child.kill();
    }
    if let Some(err) = child.stderr.take() {
        let _ = err.take(64 * 1024).read_to_end(&mut reason);
    }
    let status = child
        .wait()
        .map_err(|e| format!("{flag} {rev}: git did not finish: {e}"))?;
    if !status.success() {
        let reason = String::from_utf8_lossy(&reason);
        let reason = reason.lines().next().unwrap_or("no reason given").trim();
        return Err(format!(
            "{flag} {rev}: git show {object} (in {}) failed: {reason}",
            dir.display()
        ));
    }
    if let Some(Err(e)) = read {
        return Err(format!("{flag} {rev}: reading git's output: {e}"));
    }
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!(
            "{flag} {rev}: {} is larger than {} MiB at that revision",
            path.display(),
            MAX_BYTES / (1024 * 1024)
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        format!(
            "{flag} {rev}: {} is not UTF-8 text at that revision",
            path.display()
        )
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

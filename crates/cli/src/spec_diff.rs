//! `threatbind spec diff OLD NEW`: what changed between two versions of a spec, and whether it
//! breaks the users of a client generated from it.

use clap::{Arg, ArgMatches, Command};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::process::ExitCode;
use threatbind_spec_tools::diff::{diff, load, Change};

/// The largest spec read (a guard against reading a device or a huge file by mistake).
const MAX_BYTES: u64 = 64 * 1024 * 1024;

const AFTER_HELP: &str = "\
Breaking: anything that makes the new API reject a request the old one accepted (removed
operation, parameter, field, server or enum value; new required parameter or field; narrowed
range, length or pattern; changed type or format), or that a client decoding the old answers
would break on (removed status, field or header; new value of a closed enum; a field whose
generated type gains or loses its Option; widened range or length), and changed auth.
Not breaking: additions that are optional, widened request ranges, new request enum values,
changed defaults, deprecations. Descriptions and examples are not compared.

Exit codes: 0 nothing breaks; 1 something breaks; 2 an input cannot be read or is not an
OpenAPI 3.0 spec (the message names the file), or the report cannot be written.";

/// The `diff` subcommand.
pub(crate) fn command() -> Command {
    Command::new("diff")
        .about("Compare two versions of an OpenAPI 3.0 spec and mark the breaking changes")
        .after_help(AFTER_HELP)
        .arg(
            Arg::new("old")
                .value_name("OLD")
                .required(true)
                .value_parser(clap::builder::OsStringValueParser::new())
                .help("The old spec (YAML or JSON file; - for stdin)"),
        )
        .arg(
            Arg::new("new")
                .value_name("NEW")
                .required(true)
                .value_parser(clap::builder::OsStringValueParser::new())
                .help("The new spec (YAML or JSON file; - for stdin)"),
        )
        .arg(crate::spec_format::format_arg(
            "text: a report grouped by operation with a summary line; json: one JSON object per change and line (kind, location, pointer, breaking, detail)",
        ))
}

/// Runs `spec diff`: 0 nothing breaks, 1 something breaks, 2 an input is unusable.
pub(crate) fn run(matches: &ArgMatches) -> ExitCode {
    let path = |name: &str| {
        matches
            .get_one::<OsString>(name)
            .cloned()
            .unwrap_or_default()
    };
    let (old_path, new_path) = (path("old"), path("new"));
    if old_path == "-" && new_path == "-" {
        crate::note("error: only one of OLD and NEW can be - (stdin)");
        return ExitCode::from(2);
    }
    let specs = read_spec(&old_path).and_then(|old| Ok((old, read_spec(&new_path)?)));
    let (old, new) = match specs {
        Ok(pair) => pair,
        Err(message) => {
            crate::note(&format!("error: {message}"));
            return ExitCode::from(2);
        }
    };
    let changes = diff(&old, &new);
    let text = match matches.get_one::<String>("format").map(String::as_str) {
        Some("json") => json_lines(&changes),
        _ => report(&changes),
    };
    let verdict = if changes.iter().any(|c| c.breaking) {
        1
    } else {
        0
    };
    match write_out(&text) {
        Ok(()) => ExitCode::from(verdict),
        Err(e) => {
            crate::note(&format!("error: writing the report: {e}"));
            ExitCode::from(2)
        }
    }
}

/// The name a path is shown as.
fn shown(path: &OsString) -> String {
    if path == "-" {
        "<stdin>".into()
    } else {
        path.to_string_lossy().into_owned()
    }
}

/// Reads and parses one spec; errors name the file.
fn read_spec(path: &OsString) -> Result<serde_json::Value, String> {
    let name = shown(path);
    let mut bytes = Vec::new();
    let read = if path == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_BYTES + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| format!("{name}: cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!(
            "{name}: larger than {} MiB",
            MAX_BYTES / (1024 * 1024)
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("{name}: not UTF-8 text"))?;
    load(&name, &text)
}

/// One JSON object per line.
fn json_lines(changes: &[Change]) -> String {
    changes
        .iter()
        .filter_map(|c| serde_json::to_string(c).ok())
        .map(|line| line + "\n")
        .collect()
}

/// The report: changes grouped by operation (or servers, security, ...), then a summary.
fn report(changes: &[Change]) -> String {
    let mut groups: Vec<(&str, Vec<&Change>)> = Vec::new();
    for change in changes {
        let group = change
            .location
            .split_once(": ")
            .map_or(change.location.as_str(), |(g, _)| g);
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, list)) => list.push(change),
            None => groups.push((group, vec![change])),
        }
    }
    let mut out = String::new();
    for (group, list) in &groups {
        out.push_str(group);
        out.push('\n');
        for change in list {
            let marker = if change.breaking { "BREAKING" } else { "ok" };
            let what = change.location.split_once(": ").map_or("", |(_, w)| w);
            let line = if what.is_empty() {
                format!("  {marker:<8}  {} [{}]\n", change.detail, change.kind)
            } else {
                format!(
                    "  {marker:<8}  {what}: {} [{}]\n",
                    change.detail, change.kind
                )
            };
            out.push_str(&line);
        }
        out.push('\n');
    }
    let breaking = changes.iter().filter(|c| c.breaking).count();
    let noun = if changes.len() == 1 {
        "change"
    } else {
        "changes"
    };
    out.push_str(&format!("{} {noun}, {breaking} breaking\n", changes.len()));
    out
}

/// Writes the report; a reader that went away (`| head`) is not an error: the verdict stands.
fn write_out(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

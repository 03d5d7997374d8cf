//! `threatbind spec check`: recorded requests, answers and HAR captures against the specs
//! (`threatbind_spec_tools::check`, the library's own validator).

use clap::{Arg, ArgAction, ArgMatches, Command};
use std::ffi::OsString;
use std::process::ExitCode;
use threatbind_spec_tools::check::{self, HarOptions, Report};
use threatbind_spec_tools::report::{self, FailOn, Tool};

const AFTER_HELP: &str = "\
A request document is JSON as the fixtures are written: {\"path\": {..}, \"query\": {..},
\"header\": {..}, \"body\": ..}. It is checked against the operation's parameters, body schema and
x-rules; an answer (its body) against the schema the spec documents for its status (--status,
default the operation's success status). With --har, every entry of a HAR 1.2 capture (browser
devtools, mitmproxy, Charles, Burp) whose URL is on a server of a spec is matched to its
operation by method and path, and its request and answer are checked; an entry to a path no
operation of that server has is an undocumented-operation finding; entries to other hosts, and
CORS preflights, are counted and skipped. Time-relative x-rules count from each entry's
startedDateTime (files: --now, else the present).

Each finding names the file (or the capture, #entry, method and URL without its query), the
operation, the JSON pointer of the value, the rule (a JSON Schema keyword, x-rules:<id>,
undocumented-operation, undocumented-status, not-json or open-enum-new-value), and the spec's
file and line.
Credentials (the headers of the specs' security schemes, Authorization, Cookie) are never shown.

Text output: one finding per line on stdout (FILE:LINE: JSON-POINTER: ID: MESSAGE, the line
and pointer in the checked file; for a HAR entry, of its request or answer); every format is
followed by a summary on stderr. --format json is one document (findings and summary, [] when
everything holds).

Finding ids (severity): request-schema, request-rule, response-schema, not-json (error);
undocumented-status, undocumented-operation, open-enum-new-value (warning: an answer's string
that an enum named in the spec's x-open-enums does not list; the library decodes it as an
unknown value). --ignore ID sets one aside (counted).

Exit codes: 0 nothing at or above --fail-on; 1 a finding at or above it; 2 a usage error: an
unknown or ambiguous operation, a file that cannot be read, is not JSON or not a HAR capture
(named on stderr; the other files are still checked).";

/// The `check` subcommand.
pub(crate) fn command() -> Command {
    Command::new("check")
        .about("Check recorded requests, answers or a HAR capture against the specs")
        .after_help(AFTER_HELP)
        .arg(
            Arg::new("operation")
                .long("operation")
                .value_name("OPERATION_ID")
                .conflicts_with("har")
                .help("The operationId the documents are requests to or answers of"),
        )
        .arg(
            Arg::new("api")
                .long("api")
                .value_name("SPEC")
                .requires("operation")
                .help("The spec (file stem, e.g. log360-onprem-v2) of an operationId that two specs share"),
        )
        .arg(
            Arg::new("request")
                .long("request")
                .action(ArgAction::SetTrue)
                .requires("operation")
                .conflicts_with("response")
                .help("FILES are request documents"),
        )
        .arg(
            Arg::new("response")
                .long("response")
                .action(ArgAction::SetTrue)
                .requires("operation")
                .help("FILES are answers' bodies"),
        )
        .arg(
            Arg::new("status")
                .long("status")
                .value_name("N")
                .requires("response")
                .value_parser(clap::value_parser!(u16).range(100..=599))
                .help("The answers' HTTP status (default: the operation's success status)"),
        )
        .arg(
            Arg::new("har")
                .long("har")
                .value_name("CAPTURE.har")
                .value_parser(clap::builder::OsStringValueParser::new())
                .conflicts_with_all(["request", "response", "files"])
                .help("A HAR 1.2 capture: check every exchange with a server of a spec"),
        )
        .arg(
            Arg::new("server-variable")
                .long("server-variable")
                .value_name("NAME=VALUE")
                .action(ArgAction::Append)
                .requires("har")
                .help("A value of a server variable besides the spec's (e.g. host=siem.corp.example for an on-premises install); repeatable"),
        )
        .arg(
            Arg::new("now")
                .long("now")
                .value_name("RFC3339")
                .help("The instant time-relative x-rules count from (default: the present; a HAR entry's own time wins)"),
        )
        .arg(
            Arg::new("files")
                .value_name("FILE")
                .num_args(1..)
                .value_parser(clap::builder::OsStringValueParser::new())
                .help("JSON files to check (- for stdin)"),
        )
        .arg(crate::spec_format::format_arg(
            "text: one line per finding (FILE:LINE: JSON-POINTER: ID: MESSAGE)",
        ))
        .arg(crate::spec_format::fail_on_arg(FailOn::LINT, "warning"))
        .arg(crate::spec_format::ignore_arg(
            "Do not report findings of this id (repeatable); they are counted as ignored",
        ))
}

/// A usage error: the message on stderr, exit 2.
fn usage(message: &str) -> ExitCode {
    crate::note(&format!("error: {message}"));
    ExitCode::from(2)
}

/// Runs `spec check`: 0 everything holds, 1 a finding, 2 a usage error.
pub(crate) fn run(matches: &ArgMatches) -> ExitCode {
    let ids = match crate::spec_format::ignored(matches) {
        Ok(ids) => ids,
        Err(message) => return usage(&message),
    };
    if let Some(id) = ids
        .iter()
        .find(|id| !check::RULES.iter().any(|(r, _, _)| r == id))
    {
        return usage(&format!(
            "--ignore {id:?}: not a finding id of spec check (the ids are listed in --help)"
        ));
    }
    let fail_on = crate::spec_format::fail_on(matches, FailOn::Warning);
    let common = report::Report::new(Tool::Check)
        .ignoring(ids)
        .with_fail_on(fail_on)
        .with_rules(check::rules());
    let output = Output {
        format: crate::spec_format::format(matches),
        fail_on,
        common,
    };
    let now = match matches.get_one::<String>("now") {
        None => None,
        Some(text) => match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(t) => Some(t.with_timezone(&chrono::Utc)),
            Err(e) => {
                return usage(&format!(
                    "--now: {text:?} is not an RFC 3339 time (2026-06-01T00:00:00Z): {e}"
                ))
            }
        },
    };
    if let Some(path) = matches.get_one::<OsString>("har") {
        return run_har(matches, path, now, output);
    }
    let Some(id) = matches.get_one::<String>("operation") else {
        return usage("give --operation OPERATION_ID with --request or --response and FILEs, or --har CAPTURE.har");
    };
    let op = match crate::spec_format::find_operation(
        "--operation",
        id,
        matches.get_one::<String>("api").map(String::as_str),
    ) {
        Ok(op) => op,
        Err(message) => return usage(&message),
    };
    let request = matches.get_flag("request");
    if !request && !matches.get_flag("response") {
        return usage("--operation: say what the files are, --request or --response");
    }
    let files_given: Vec<&OsString> = matches
        .get_many::<OsString>("files")
        .map(Iterator::collect)
        .unwrap_or_default();
    if files_given.is_empty() {
        return usage("--operation: give the FILEs to check (- for stdin)");
    }
    let status = matches
        .get_one::<u16>("status")
        .copied()
        .unwrap_or_else(|| check::success_status(op));
    let now = now.unwrap_or_else(chrono::Utc::now);
    let mut report = Report::default();
    let mut files = Vec::new();
    let mut unusable = false;
    for file in files_given {
        let name = if file == "-" {
            "stdin".to_owned()
        } else {
            file.to_string_lossy().into_owned()
        };
        let text = if file == "-" {
            check::read_text(std::io::stdin().lock(), &name, check::MAX_DOCUMENT_BYTES)
        } else {
            check::read_file(file, check::MAX_DOCUMENT_BYTES)
        };
        let found = text.and_then(|text| {
            if request {
                check::request_text(op, &name, &text, now)
            } else {
                check::response_text(op, &name, status, &text)
            }
        });
        match found {
            Ok(found) => {
                report.summary.checked += 1;
                report.extend(found);
                files.push(name);
            }
            Err(e) => {
                crate::note(&format!("error: {e}"));
                unusable = true;
            }
        }
    }
    finish(&report, &files, None, output, unusable)
}

/// `spec check --har`.
fn run_har(
    matches: &ArgMatches,
    path: &OsString,
    now: Option<chrono::DateTime<chrono::Utc>>,
    output: Output,
) -> ExitCode {
    let mut options = HarOptions {
        now,
        ..HarOptions::default()
    };
    for pair in matches
        .get_many::<String>("server-variable")
        .into_iter()
        .flatten()
    {
        match pair.split_once('=') {
            Some((name, value)) if !name.is_empty() && !value.is_empty() => options
                .variables
                .entry(name.to_owned())
                .or_default()
                .push(value.to_owned()),
            _ => return usage(&format!("--server-variable: {pair:?} is not NAME=VALUE")),
        }
    }
    let name = if path == "-" {
        "stdin".to_owned()
    } else {
        path.to_string_lossy().into_owned()
    };
    let report = if path == "-" {
        check::read_text(std::io::stdin().lock(), &name, check::MAX_HAR_BYTES)
            .and_then(|text| check::har(&name, &text, &options))
    } else {
        check::har_file(path, &options)
    };
    let report = match report {
        Ok(report) => report,
        Err(e) => return usage(&format!("--har: {e}")),
    };
    let s = &report.summary;
    let mut summary = format!(
        "{}: {} checked, {} undocumented, {} to other hosts skipped",
        plural(s.entries, "entry", "entries"),
        s.checked,
        s.undocumented,
        s.other_hosts,
    );
    if !s.skipped_hosts.is_empty() {
        let hosts: Vec<&str> = s.skipped_hosts.keys().map(String::as_str).collect();
        summary.push_str(&format!(" ({})", hosts.join(", ")));
    }
    for (count, one, many) in [
        (
            s.preflights,
            "CORS preflight skipped",
            "CORS preflights skipped",
        ),
        (
            s.unrecorded_answers,
            "answer without a recorded body",
            "answers without a recorded body",
        ),
        (
            s.unreadable,
            "entry without a readable URL or answer",
            "entries without a readable URL or answer",
        ),
    ] {
        if count > 0 {
            summary.push_str(&format!(", {}", plural(count, one, many)));
        }
    }
    finish(&report, &[name], Some(&summary), output, false)
}

/// How the findings are written and judged: `--format`, `--fail-on`, and the common report
/// (`--ignore` applied) they go into.
struct Output {
    format: report::Format,
    fail_on: FailOn,
    common: report::Report,
}

/// Writes the report in the format asked for, then its summary (and `detail`, what a HAR
/// check saw) on stderr, and says how the run ends.
fn finish(
    found: &Report,
    files: &[String],
    detail: Option<&str>,
    output: Output,
    unusable: bool,
) -> ExitCode {
    let mut common = output.common;
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    found.fill(&mut common, &files);
    if let Err(e) = crate::spec_format::write_out(&common.render(output.format)) {
        crate::note(&format!("error: writing the report: {e}"));
        return ExitCode::from(2);
    }
    crate::note(&common.summary_line());
    if let Some(detail) = detail {
        crate::note(detail);
    }
    if unusable {
        ExitCode::from(2)
    } else if common.fails(output.fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

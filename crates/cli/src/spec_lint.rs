//! `threatbind spec lint [FILES...]`: the spec linter (`threatbind_spec_tools::lint`) on the command
//! line, in any report format; or every `x-assumed` statement with `--assumed` (only the new ones
//! with `--since REV`).

use clap::{Arg, ArgAction, ArgMatches, Command};
use std::path::Path;
use std::process::ExitCode;
use threatbind::spec::Api;
use threatbind_spec_tools::lint::{assumed_into, lint_into, severity, RULES};
use threatbind_spec_tools::report::{FailOn, Report, Tool};

const AFTER_HELP: &str = "\
Without FILES, lints every spec compiled into this binary (shown as specs/<file>).
Text output: one finding per line on stdout (FILE:LINE: JSON-POINTER: RULE: MESSAGE); every
format is followed by a summary on stderr (counts per severity, ignored findings).
--format json is one document; jsonl one finding per line (what json printed before).

Accepting a finding: --ignore RULE on the command line, or `x-lint-ignore: [RULE]` on the spec
object the finding is about (or any object above it); ignored findings are counted, not shown.

--assumed lists every x-assumed statement (FILE:LINE: JSON-POINTER: WHY); with --since REV,
only those that are new since the git revision REV (compared with `git show REV:FILE`).

Exit codes: 0 nothing at or above --fail-on (always 0 with --assumed); 1 findings at or above
it; 2 a file that cannot be read or a usage error (named on stderr; the other files are still
checked).";

/// The `lint` subcommand.
pub(crate) fn command() -> Command {
    let rules: String = RULES
        .iter()
        .map(|(id, what)| format!("  {id:<28} {:<7} {what}\n", severity(id).as_str()))
        .collect();
    Command::new("lint")
        .about("Check OpenAPI 3.0.3 specs: structure, references, examples, the project's conventions and extensions")
        .after_help(format!("{AFTER_HELP}\n\nRules (id, severity, what):\n{rules}"))
        .arg(
            Arg::new("files")
                .value_name("FILES")
                .num_args(0..)
                .value_parser(clap::builder::OsStringValueParser::new())
                .help("Spec files (YAML or JSON) to lint; none: every spec compiled into the binary"),
        )
        .arg(
            Arg::new("assumed")
                .long("assumed")
                .action(ArgAction::SetTrue)
                .help("List every x-assumed statement (FILE:LINE: JSON-POINTER: WHY) instead of linting"),
        )
        .arg(
            Arg::new("since")
                .long("since")
                .value_name("REV")
                .requires("assumed")
                .help("With --assumed: only the x-assumed statements that are new since the git revision REV"),
        )
        .arg(crate::spec_format::format_arg(
            "text: one line per finding (FILE:LINE: JSON-POINTER: RULE: MESSAGE)",
        ))
        .arg(crate::spec_format::fail_on_arg(FailOn::LINT, "warning"))
        .arg(crate::spec_format::ignore_arg(
            "Do not report findings of this rule (repeatable); they are counted as ignored",
        ))
}

/// One spec to check: its name as shown, and its text (or why it could not be read).
struct Source {
    name: String,
    text: Result<String, String>,
}

fn sources(matches: &ArgMatches) -> Vec<Source> {
    let files: Vec<&std::ffi::OsString> = matches
        .get_many::<std::ffi::OsString>("files")
        .map(|f| f.collect())
        .unwrap_or_default();
    if files.is_empty() {
        return Api::ALL
            .iter()
            .map(|api| Source {
                name: format!("specs/{}", api.file_name()),
                text: Ok(api.source().to_owned()),
            })
            .collect();
    }
    files
        .into_iter()
        .map(|path| {
            let name = path.to_string_lossy().into_owned();
            let text = std::fs::read_to_string(path).map_err(|e| io_reason(&e));
            Source { name, text }
        })
        .collect()
}

/// An I/O error without the trailing ` (os error N)`.
fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.rsplit_once(" (os error ") {
        Some((reason, _)) => reason.to_owned(),
        None => text,
    }
}

fn usage(message: &str) -> ExitCode {
    crate::note(&format!("error: {message}"));
    ExitCode::from(2)
}

/// Runs `threatbind spec lint`.
pub(crate) fn run(matches: &ArgMatches) -> ExitCode {
    let format = crate::spec_format::format(matches);
    let list_assumed = matches.get_flag("assumed");
    let since = matches.get_one::<String>("since");
    let ids = match crate::spec_format::ignored(matches) {
        Ok(ids) => ids,
        Err(message) => return usage(&message),
    };
    if !list_assumed {
        if let Some(id) = ids.iter().find(|id| !RULES.iter().any(|(r, _)| r == id)) {
            return usage(&format!(
                "--ignore {id:?}: not a rule of spec lint (the rules are listed in --help)"
            ));
        }
    }
    let tool = if list_assumed {
        Tool::Assumed
    } else {
        Tool::Lint
    };
    let fail_on = if list_assumed {
        FailOn::Never
    } else {
        crate::spec_format::fail_on(matches, FailOn::Warning)
    };
    let mut report = Report::new(tool).ignoring(ids).with_fail_on(fail_on);
    if tool == Tool::Lint {
        report = report.with_rules(threatbind_spec_tools::lint::catalogue());
    }
    let mut unreadable = false;
    for source in sources(matches) {
        let text = match source.text {
            Ok(text) => text,
            Err(reason) => {
                crate::note(&format!("error: {}: {reason}", source.name));
                unreadable = true;
                continue;
            }
        };
        if !list_assumed {
            lint_into(&mut report, &source.name, &text);
            continue;
        }
        let before = match since {
            None => None,
            Some(rev) => {
                match crate::spec_format::git_show("--since", rev, Path::new(&source.name)) {
                    Ok(old) => Some(old),
                    Err(message) => {
                        crate::note(&format!("error: {message}"));
                        unreadable = true;
                        continue;
                    }
                }
            }
        };
        assumed_into(&mut report, &source.name, &text, before.as_deref());
    }
    let rendered = report.render(format);
    if let Err(e) = crate::spec_format::write_out(&rendered) {
        crate::note(&format!("error: writing the report: {e}"));
        return ExitCode::from(2);
    }
    crate::note(&report.summary_line());
    if unreadable {
        ExitCode::from(2)
    } else if report.fails(fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

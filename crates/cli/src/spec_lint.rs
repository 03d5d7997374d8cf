//! `threatbind spec lint [FILES...]`: the spec linter (`threatbind_spec_tools::lint`) on the command
//! line: one finding per line, or every `x-assumed` statement with `--assumed`.

use clap::{Arg, ArgAction, ArgMatches, Command};
use std::process::ExitCode;
use threatbind::spec::Api;
use threatbind_spec_tools::lint::{assumptions, lint, RULES};

const AFTER_HELP: &str = "\
Without FILES, lints every spec compiled into this binary (shown as specs/<file>).
Text output: one finding per line on stdout (FILE:LINE: JSON-POINTER: RULE: MESSAGE), then a
summary on stderr. --format json: one JSON object per line (file, line, path, rule, message).

Exit codes: 0 no findings (always 0 with --assumed); 1 findings; 2 a file that cannot be read
(named on stderr; the other files are still checked).";

/// The `lint` subcommand.
pub(crate) fn command() -> Command {
    let rules: String = RULES
        .iter()
        .map(|(id, what)| format!("  {id:<28} {what}\n"))
        .collect();
    Command::new("lint")
        .about("Check OpenAPI 3.0.3 specs: structure, references, examples, the project's conventions and extensions")
        .after_help(format!("{AFTER_HELP}\n\nRules:\n{rules}"))
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
        .arg(crate::spec_format::format_arg(
            "text (one line per finding) or json (one JSON object per line)",
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

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Runs `threatbind spec lint`.
pub(crate) fn run(matches: &ArgMatches) -> ExitCode {
    let json = matches.get_one::<String>("format").map(String::as_str) == Some("json");
    let list_assumed = matches.get_flag("assumed");
    let (mut unreadable, mut count, mut files) = (false, 0usize, 0usize);
    for source in sources(matches) {
        let text = match source.text {
            Ok(text) => text,
            Err(reason) => {
                crate::note(&format!("error: {}: {reason}", source.name));
                unreadable = true;
                continue;
            }
        };
        files += 1;
        if list_assumed {
            for a in assumptions(&source.name, &text) {
                count += 1;
                crate::emit(&if json { to_json(&a) } else { a.to_string() });
            }
        } else {
            for f in lint(&source.name, &text) {
                count += 1;
                crate::emit(&if json { to_json(&f) } else { f.to_string() });
            }
        }
    }
    let what = if list_assumed {
        plural(count, "assumption", "assumptions")
    } else {
        plural(count, "finding", "findings")
    };
    crate::note(&format!("{what} in {}", plural(files, "file", "files")));
    if unreadable {
        ExitCode::from(2)
    } else if count > 0 && !list_assumed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()))
}

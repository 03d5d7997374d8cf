//! `threatbind spec fixtures --scaffold OPERATION_ID`: an operation's fixture files, written
//! from its spec for a maintainer to fill in (`threatbind_spec_tools::fixtures`).

use clap::{Arg, ArgMatches, Command};
use std::path::PathBuf;
use std::process::ExitCode;
use threatbind_spec_tools::fixtures::{scaffold, write, Target};

const AFTER_HELP: &str = "\
Writes into tests/fixtures/<api>/<operationId>/ (or --dir DIR), named as specs/README.md says:
  request.example.json             a request the operation accepts, from the spec's examples
  response.<status>.example.json   one answer per documented status with a JSON body (its
                                   example, else a skeleton of its schema)
  invalid-request.<field>.<keyword>.json
                                   the request with one value that breaks one minimum,
                                   maximum, minLength, maxLength, maxItems, enum or type
  invalid-request.x-rules.<id>.json  the same for each x-rules entry
Each invalid file holds the expect (pointer and rule) the contract tests check; every one is
checked here against the library's validator, and any it does not refuse as named is said.
Existing files are never overwritten: each skipped one is named. Rename the files after what
they hold (request.domain.json) and replace the placeholder values with real ones.

Exit codes: 0 written (or all skipped); 2 a usage error (an unknown or ambiguous operationId,
an unknown --api) or a file that could not be written (as spec lint, diff and check, whose 1
means findings).";

/// The `fixtures` subcommand.
pub(crate) fn command() -> Command {
    Command::new("fixtures")
        .about("Scaffold an operation's fixture files (request, answers, one invalid request per bound, enum, type and x-rule)")
        .after_help(AFTER_HELP)
        .arg_required_else_help(true)
        .arg(
            Arg::new("scaffold")
                .long("scaffold")
                .value_name("OPERATION_ID")
                .required(true)
                .help("The operation whose fixtures to write (its operationId)"),
        )
        .arg(
            Arg::new("api")
                .long("api")
                .value_name("STEM")
                .help("The spec the operation is in (datadog-ioc, ...), when two have that operationId"),
        )
        .arg(
            Arg::new("dir")
                .long("dir")
                .value_name("DIR")
                .value_parser(clap::builder::PathBufValueParser::new())
                .help("Where to write (default: tests/fixtures/<api>/<operationId>)"),
        )
}

/// Runs `spec fixtures`.
pub(crate) fn run(matches: &ArgMatches) -> ExitCode {
    let id = matches
        .get_one::<String>("scaffold")
        .map_or("", String::as_str);
    let api = matches.get_one::<String>("api").map(String::as_str);
    let op = match crate::spec_format::find_operation("--scaffold", id, api) {
        Ok(op) => op,
        Err(e) => {
            eprintln!("threatbind spec fixtures: {e}");
            return ExitCode::from(2);
        }
    };
    let dir = matches
        .get_one::<PathBuf>("dir")
        .cloned()
        .unwrap_or_else(|| {
            PathBuf::from("tests/fixtures")
                .join(op.api.stem())
                .join(&op.id)
        });
    let made = scaffold(&Target::of(op));
    // Said before anything is written: what the validator does not refuse as named.
    let now = chrono::Utc::now();
    for file in &made.files {
        let verdict = if file.name.starts_with("request.") {
            op.validate_request(&file.value, now)
                .err()
                .map(|v| match v.first() {
                    Some(first) => format!("refused ({first})"),
                    None => "refused".to_owned(),
                })
        } else {
            file.expect().and_then(|(path, rule)| {
                match op.validate_request(&file.value["document"], now) {
                    Ok(()) => Some("accepted: make its value break the rule".to_owned()),
                    Err(v) if v.iter().any(|v| v.pointer() == path && v.rule == rule) => None,
                    Err(v) => Some(match v.first() {
                        Some(first) => format!("refused for another reason ({first})"),
                        None => "refused for another reason".to_owned(),
                    }),
                }
            })
        };
        if let Some(verdict) = verdict {
            eprintln!("check by hand: {}: the validator says {verdict}", file.name);
        }
    }
    let done = match write(&dir, &made) {
        Ok(done) => done,
        Err(e) => {
            // 2, as lint, diff and check answer an error of theirs (1 is for findings).
            eprintln!(
                "threatbind spec fixtures: cannot write into {}: {e}",
                dir.display()
            );
            return ExitCode::from(2);
        }
    };
    for path in &done.written {
        println!("wrote {}", path.display());
    }
    for path in &done.skipped {
        println!("skipped {} (it exists)", path.display());
    }
    for note in &made.notes {
        eprintln!("note: {note}");
    }
    eprintln!(
        "{} written, {} skipped in {}",
        done.written.len(),
        done.skipped.len(),
        dir.display()
    );
    ExitCode::SUCCESS
}

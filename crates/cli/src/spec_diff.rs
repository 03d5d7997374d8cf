//! `threatbind spec diff OLD NEW` (or `--against REV FILE`): what changed between two versions of
//! a spec, and whether it breaks the users of a client generated from it.

use clap::{Arg, ArgMatches, Command};
use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use threatbind_spec_tools::diff::{changes_into, diff, load, Version};
use threatbind_spec_tools::report::{FailOn, Format, Report, Tool};

const AFTER_HELP: &str = "\
Breaking: anything that makes the new API reject a request the old one accepted (removed
operation, parameter, field, server or enum value; new required parameter or field; narrowed
range, length or pattern; changed type or format), or that a client decoding the old answers
would break on (removed status, field or header; new value of a closed enum; a field whose
generated type gains or loses its Option; widened range or length), and changed auth.
Not breaking: additions that are optional, widened request ranges, new request enum values,
changed defaults, deprecations. Information: descriptions, summaries and x-notes added,
removed or changed (*-description-changed, ...). Examples are not compared.

--against REV FILE compares FILE with its version at the git revision REV (git show REV:FILE),
without a temporary file. Each change has a stable id (its kind) and a severity: breaking,
non-breaking or info; every format but text gives the line of the change in the new spec, or
in the old one for what was removed. --format json is one document (findings [] when nothing
changed); jsonl one change per line (what json printed before).
Accepting a change: --ignore KIND, or `x-lint-ignore: [KIND]` on the new spec's object (or one
above it); ignored changes are counted, not shown, and never fail the run.

Exit codes: 0 nothing breaks; 1 something breaks; 2 an input cannot be read or is not an
OpenAPI 3.0 spec (the message names the file), git cannot give the revision, or the report
cannot be written. With --fail-on any, any change (information included) exits 1; with --fail-on never, 0.";

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
                .help("The old spec (YAML or JSON file; - for stdin); with --against, the spec file to compare"),
        )
        .arg(
            Arg::new("new")
                .value_name("NEW")
                .required_unless_present("against")
                .conflicts_with("against")
                .value_parser(clap::builder::OsStringValueParser::new())
                .help("The new spec (YAML or JSON file; - for stdin)"),
        )
        .arg(
            Arg::new("against")
                .long("against")
                .value_name("REV")
                .help("Compare the one spec file given with its version at this git revision (e.g. HEAD, main)"),
        )
        .arg(crate::spec_format::format_arg(
            "text: a report grouped by operation with a summary line",
        ))
        .arg(crate::spec_format::fail_on_arg(FailOn::DIFF, "breaking"))
        .arg(crate::spec_format::ignore_arg(
            "Do not report changes of this kind (repeatable, e.g. response-enum-value-added); they are counted as ignored",
        ))
}

/// One side of the diff: its name as shown, its text and its document.
struct Spec {
    name: String,
    text: String,
    document: serde_json::Value,
}

impl Spec {
    fn version(&self) -> Version<'_> {
        Version {
            file: &self.name,
            text: &self.text,
            document: &self.document,
        }
    }
}

fn usage(message: &str) -> ExitCode {
    crate::note(&format!("error: {message}"));
    ExitCode::from(2)
}

/// The two specs: OLD and NEW, or FILE at `--against REV` and FILE.
fn specs(matches: &ArgMatches) -> Result<(Spec, Spec), String> {
    let path = |name: &str| matches.get_one::<OsString>(name).cloned();
    let first = path("old").unwrap_or_default();
    if let Some(rev) = matches.get_one::<String>("against") {
        if first == "-" {
            return Err("--against: give the spec as a file, not - (stdin)".into());
        }
        let new = read_spec(&first)?;
        let old_name = format!("{rev}:{}", new.name);
        let text = crate::spec_format::git_show("--against", rev, Path::new(&first))?;
        let document = load(&old_name, &text)?;
        let old = Spec {
            name: old_name,
            text,
            document,
        };
        return Ok((old, new));
    }
    let second = path("new").unwrap_or_default();
    if first == "-" && second == "-" {
        return Err("only one of OLD and NEW can be - (stdin)".into());
    }
    Ok((read_spec(&first)?, read_spec(&second)?))
}

/// Runs `spec diff`: 0 nothing at or above `--fail-on`, 1 something is, 2 an input is unusable.
pub(crate) fn run(matches: &ArgMatches) -> ExitCode {
    let ids = match crate::spec_format::ignored(matches) {
        Ok(ids) => ids,
        Err(message) => return usage(&message),
    };
    let (old, new) = match specs(matches) {
        Ok(pair) => pair,
        Err(message) => return usage(&message),
    };
    let fail_on = crate::spec_format::fail_on(matches, FailOn::Breaking);
    let format = crate::spec_format::format(matches);
    let changes = diff(&old.document, &new.document);
    let mut report = Report::new(Tool::Diff).ignoring(ids).with_fail_on(fail_on);
    changes_into(&mut report, &changes, old.version(), new.version());
    if let Err(e) = crate::spec_format::write_out(&report.render(format)) {
        crate::note(&format!("error: writing the report: {e}"));
        return ExitCode::from(2);
    }
    if format != Format::Text {
        crate::note(&report.summary_line());
    }
    ExitCode::from(u8::from(report.fails(fail_on)))
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
fn read_spec(path: &OsString) -> Result<Spec, String> {
    let max = crate::spec_format::MAX_BYTES;
    let name = shown(path);
    let mut bytes = Vec::new();
    let read = if path == "-" {
        std::io::stdin()
            .lock()
            .take(max + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| format!("{name}: cannot read: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!("{name}: larger than {} MiB", max / (1024 * 1024)));
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("{name}: not UTF-8 text"))?;
    let document = load(&name, &text)?;
    Ok(Spec {
        name,
        text,
        document,
    })
}

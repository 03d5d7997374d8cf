//! The output flag the spec tools share.

use clap::Arg;

/// The `--format text|json` flag of the spec tools; `help` says what each format prints.
pub(crate) fn format_arg(help: &'static str) -> Arg {
    Arg::new("format")
        .long("format")
        .value_name("FORMAT")
        .value_parser(["text", "json"])
        .default_value("text")
        .help(help)
}

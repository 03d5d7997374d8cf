//! `threatbind spec ...`: tools for the people who edit the specs when a vendor's docs change.

use clap::{ArgMatches, Command};
use std::process::ExitCode;

/// The `spec` command and its subcommands.
pub(crate) fn command() -> Command {
    Command::new("spec")
        .about("The spec tools: lint, breaking-change diff, check recorded traffic (HAR), scaffold fixtures")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(crate::spec_lint::command())
        .subcommand(crate::spec_diff::command())
        .subcommand(crate::spec_check::command())
        .subcommand(crate::spec_fixtures::command())
}

/// Runs a `spec` subcommand; each has its own documented exit codes.
pub(crate) fn run(matches: &ArgMatches) -> ExitCode {
    match matches.subcommand() {
        Some(("lint", m)) => crate::spec_lint::run(m),
        Some(("diff", m)) => crate::spec_diff::run(m),
        Some(("check", m)) => crate::spec_check::run(m),
        Some(("fixtures", m)) => crate::spec_fixtures::run(m),
        _ => ExitCode::from(2),
    }
}

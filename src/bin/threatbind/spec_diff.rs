//! `threatbind spec diff` (being written).

use clap::{ArgMatches, Command};
use std::process::ExitCode;

pub(crate) fn command() -> Command {
    Command::new("diff").about("(being written)")
}

pub(crate) fn run(_matches: &ArgMatches) -> ExitCode {
    ExitCode::from(2)
}

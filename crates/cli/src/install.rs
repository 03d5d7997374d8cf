//! `threatbind completions SHELL` and `threatbind man DIR`: shell completion and man pages,
//! generated from the same command tree the CLI parses with (every derived command and flag,
//! enum values included).

use clap::{Arg, ArgMatches, Command};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// The `completions` command.
pub(crate) fn completions_command() -> Command {
    Command::new("completions")
        .about("Print shell completion for bash, zsh, fish, powershell or elvish")
        .long_about(
            "Print shell completion for bash, zsh, fish, powershell or elvish: every command, \
             flag and enum value. For example, bash: threatbind completions bash > \
             ~/.local/share/bash-completion/completions/threatbind",
        )
        .arg(
            Arg::new("shell")
                .required(true)
                .value_parser(clap::value_parser!(clap_complete::Shell))
                .help("The shell: bash, zsh, fish, powershell or elvish"),
        )
}

/// The `man` command.
pub(crate) fn man_command() -> Command {
    Command::new("man")
        .about("Write a man page per command into DIR (threatbind.1, threatbind-log360.1, ...)")
        .arg(
            Arg::new("dir")
                .required(true)
                .value_name("DIR")
                .value_parser(clap::value_parser!(std::path::PathBuf))
                .help("Folder to write the pages into (created if missing)"),
        )
}

/// Prints the completion script of `shell` for `cli`.
pub(crate) fn completions(mut cli: Command, matches: &ArgMatches) -> ExitCode {
    let Some(shell) = matches.get_one::<clap_complete::Shell>("shell").copied() else {
        return ExitCode::from(2);
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cli, "threatbind", &mut out);
    match std::io::stdout().write_all(&out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(crate::exit::OUTPUT),
    }
}

/// Writes one man page per command of `cli` into the folder `matches` names.
pub(crate) fn man(cli: Command, matches: &ArgMatches) -> ExitCode {
    let Some(dir) = matches.get_one::<std::path::PathBuf>("dir") else {
        return ExitCode::from(2);
    };
    // Built first, so that every subcommand carries the global flags its page must list.
    let mut cli = cli;
    cli.build();
    let written = std::fs::create_dir_all(dir).and_then(|()| pages(&cli, "threatbind", dir));
    match written {
        Ok(count) => {
            eprintln!("{count} man pages written to {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: man: {}: {e}", dir.display());
            ExitCode::from(crate::exit::OUTPUT)
        }
    }
}

/// The page of `command` as `name.1`, then its subcommands' (`name-sub.1`), depth first.
fn pages(command: &Command, name: &str, dir: &Path) -> std::io::Result<usize> {
    let command = command.clone().name(name.to_owned());
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    std::fs::write(dir.join(format!("{name}.1")), page)?;
    let mut count = 1;
    for sub in command.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        count += pages(sub, &format!("{name}-{}", sub.get_name()), dir)?;
    }
    Ok(count)
}

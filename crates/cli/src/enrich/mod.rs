//! `threatbind enrich`: one lookup per indicator of a list, on the library's send path (its
//! validation, shared quota and retries), one JSON Lines record per input in input order.
//! Every input is accounted for: a record says what the vendor said about the indicator, a
//! failure of the machinery stops the run with no record, and `--resume` continues from the
//! output, which one run at a time may write.

mod output;
mod records;

use crate::signals::{self, Stops};
use crate::{connect, note, Global};
use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use futures::StreamExt;
use output::{Rewrite, Sink};
pub(crate) use records::demo;
use records::{
    actions, inputs, lookup, provider_names, providers, with_action, Done, Input, Provider,
};
use std::io::BufRead;
use std::path::PathBuf;
use threatbind::Error;

/// Bound of `--concurrency`.
const MAX_CONCURRENCY: usize = 64;

/// `--action`'s help and default: the providers that take one (`x-enrich.action`), the values
/// of their schemas, and the default they share (if they do).
fn action_help() -> (String, Option<&'static str>) {
    let mut values: Vec<String> = Vec::new();
    let mut defaults: Vec<Option<&'static str>> = Vec::new();
    for (enrich, op) in providers() {
        let Some(action) = &enrich.action else {
            continue;
        };
        defaults.push(action.default.as_deref());
        for value in actions(op) {
            if !values.contains(&value) {
                values.push(value);
            }
        }
    }
    let default = match defaults.split_first() {
        Some((first, rest)) if rest.iter().all(|d| d == first) => *first,
        _ => None,
    };
    let takers = with_action();
    let help = if takers.is_empty() {
        "the analysis asked for (no provider of this build takes one)".to_owned()
    } else {
        format!(
            "{} only: the analysis asked for [one of: {}]",
            takers.join(", "),
            values.join(", ")
        )
    };
    (help, default)
}

pub(crate) fn command() -> Command {
    let (action_help, action_default) = action_help();
    Command::new("enrich")
        .about("Looks up every indicator of a list (one per line) in one threat source")
        .long_about(
            "Looks up every indicator of a list in one threat source. Input: one indicator per \
             line; blank lines and lines starting with # are skipped; the type (IP, DOMAIN, URL) \
             is detected from the value. Output: JSON Lines, one record per input indicator, in \
             input order whatever --concurrency: {\"indicator\":…,\"ok\":true,\"result\":<the \
             vendor's answer>} or {\"indicator\":…,\"ok\":false,\"error\":{\"status\",\"code\",\
             \"detail\"}} when the vendor refused that indicator (not found, invalid for this API). \
             A failure of the machinery (the quota store, the network, TLS, a 5xx or 429 after \
             every retry, credentials refused, --max-time spent) is never a record: the run \
             stops taking lookups, writes those before it, names the cause and exits with its \
             code, and --resume redoes the rest. Requests take the API's quota (shared by every \
             process on this machine; --rate-limit before `enrich` sets it) and its retries. One \
             run at a time writes an --out file (an OS lock).",
        )
        .arg(
            Arg::new("provider")
                .long("provider")
                .required(true)
                .value_parser(clap::builder::PossibleValuesParser::new(provider_names()))
                .ignore_case(true)
                .help("The threat source"),
        )
        .arg(
            Arg::new("action")
                .long("action")
                .default_value(action_default)
                .help(action_help),
        )
        .arg(
            Arg::new("input")
                .long("input")
                .value_parser(value_parser!(PathBuf))
                .default_value("-")
                .help("The indicators, one per line (- for standard input)"),
        )
        .arg(
            // `--out`: the global --output (json, jsonl, table) is a different flag.
            Arg::new("out")
                .long("out")
                .value_parser(value_parser!(PathBuf))
                .default_value("-")
                .help("Where the records go (- for standard output; --resume needs a file). The global --output does not apply: records are always JSON Lines"),
        )
        .arg(
            Arg::new("concurrency")
                .long("concurrency")
                .value_parser(value_parser!(u16).range(1..=MAX_CONCURRENCY as i64))
                .default_value("4")
                .help("Lookups in flight at once (1 to 64); the output order stays the input's"),
        )
        .arg(
            Arg::new("resume")
                .long("resume")
                .action(ArgAction::SetTrue)
                .help("Continue an interrupted run: keep the complete records of --out, redo a torn last one, look up the rest"),
        )
        .arg(
            Arg::new("retry-failed")
                .long("retry-failed")
                .action(ArgAction::SetTrue)
                .requires("resume")
                .help("With --resume: also redo the earlier records whose failure may have passed: every failed record except a refusal of the input itself (not an indicator, against the spec's rules, HTTP 400 or 422); so a \"not found\" and the machinery failures older versions recorded are redone, in place (needs --input FILE)"),
        )
        .after_help(
            "Exit codes: 0 every input has a record (a vendor's \"not found\" is a record); 1 the \
             output could not be written; 2 bad arguments, an unreadable input, an output that \
             does not match it or that another run is writing, nothing sent; 3 the vendor \
             refused the request itself (credentials, HTTP 407 or 408) or redirected it; 4 \
             transport, TLS, timeout, the quota store or --max-time; 5 \
             rate limited or 5xx after every retry (3 to 5: the run stopped at that input, the \
             records before it written: run again with --resume); 128 + the signal's number \
             (130 SIGINT/Ctrl-C, 143 SIGTERM, 129 SIGHUP) when stopped by a signal after the \
             records in flight were written (a second signal stops at once): run again with \
             --resume.",
        )
}

/// One piece of work, in input order: an earlier record kept as it is, or a lookup.
enum Item {
    Keep(String),
    Lookup(Input),
}

/// The work of a `--retry-failed` run: the earlier records, each kept or (when its failure may
/// have passed) looked up again, then the inputs after them. Both files are read again from
/// the start, streamed; `resume_from` has checked that they match.
fn rewrite_items(
    out: &std::path::Path,
    input: &std::path::Path,
    kept: usize,
) -> Result<impl Iterator<Item = std::io::Result<Item>>, Error> {
    let old = output::old_records(out)
        .map_err(|e| Error::config("--out", format!("{}: {e}", out.display())))?;
    let file = std::fs::File::open(input)
        .map_err(|e| Error::config("--input", format!("{}: {e}", input.display())))?;
    let mut lines = inputs(std::io::BufReader::new(file));
    let mut old = old.take(kept);
    Ok(std::iter::from_fn(move || {
        let input = lines.next()?;
        Some(input.and_then(|input| match old.next() {
            Some(record) => {
                let parsed: Option<serde_json::Value> = serde_json::from_str(&record).ok();
                let indicator = parsed
                    .as_ref()
                    .and_then(|v| v.get("indicator"))
                    .and_then(serde_json::Value::as_str);
                // Checked before the run; a file changed since is not paired blindly.
                if indicator != Some(input.indicator.as_str()) {
                    return Err(std::io::Error::other(format!(
                        "line {} changed while the run read it again: its record is for {indicator:?}",
                        input.line
                    )));
                }
                if parsed.as_ref().is_some_and(records::may_have_passed) {
                    Ok(Item::Lookup(input))
                } else {
                    Ok(Item::Keep(record))
                }
            }
            None => Ok(Item::Lookup(input)),
        }))
    }))
}

pub(crate) async fn run(m: &ArgMatches, global: &Global) -> Result<(), Error> {
    // From the start: a stop signal while the output is being checked ends the run before any
    // lookup, never half-way through a rewrite.
    let stops = Stops::listen();
    // `--action` as given; without it, the provider's default (x-enrich.action.default).
    let action = (m.value_source("action") == Some(clap::parser::ValueSource::CommandLine))
        .then(|| m.get_one::<String>("action"))
        .flatten();
    let provider = Provider::new(
        m.get_one::<String>("provider").map_or("", String::as_str),
        action.map(String::as_str),
    )?;
    let concurrency = m.get_one::<u16>("concurrency").copied().unwrap_or(4) as usize;
    let input_path = m.get_one::<PathBuf>("input").cloned().unwrap_or_default();
    let output_path = m.get_one::<PathBuf>("out").cloned().unwrap_or_default();
    let to_stdout = output_path.as_os_str() == "-";
    let from_stdin = input_path.as_os_str() == "-";
    let resume = m.get_flag("resume");
    let retry_failed = m.get_flag("retry-failed");
    if resume && to_stdout {
        return Err(Error::config(
            "--resume",
            "needs --out FILE to continue from",
        ));
    }
    // Read twice (a count for the bar; the records' check then the redo): a regular file only.
    let regular_input =
        !from_stdin && std::fs::metadata(&input_path).is_ok_and(|meta| meta.is_file());
    if retry_failed && !regular_input {
        return Err(Error::config(
            "--retry-failed",
            "needs --input FILE, a regular file (it is read twice: checked against the records, then redone)",
        ));
    }
    let reader: Box<dyn BufRead> = if from_stdin {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(&input_path)
            .map_err(|e| Error::config("--input", format!("{}: {e}", input_path.display())))?;
        Box::new(std::io::BufReader::new(file))
    };
    // Credentials before the output is touched: a configuration error leaves it as it was.
    let mut raw = connect::connect(provider.api, global, &[]).await?;
    crate::run::notices(provider.op);
    if provider.op.unstable {
        // Asking for this provider is the user's opt-in to its beta operation.
        raw.enable_unstable(&provider.op.id);
    }
    // The output is this run's alone from here on (an OS lock, released when the process ends).
    let locked = if to_stdout {
        None
    } else {
        Some(output::open_locked(&output_path)?)
    };
    // The inputs an earlier run finished are checked against its records, then skipped.
    let mut lines = inputs(reader);
    let earlier = match &locked {
        Some(file) if resume => output::resume_from(file, &output_path, &input_path, &mut lines)?,
        _ => output::Earlier {
            kept: 0,
            may_have_passed: 0,
        },
    };
    let done = earlier.kept;
    if earlier.may_have_passed > 0 && !retry_failed {
        note(&format!(
            "enrich: {} of the {done} earlier records failed in a way that may have passed (see --retry-failed)",
            earlier.may_have_passed
        ));
    }
    let (mut sink, items): (Sink, Box<dyn Iterator<Item = std::io::Result<Item>>>) = match locked {
        None => (
            Sink::Stdout(std::io::stdout().lock()),
            Box::new(lines.map(|l| l.map(Item::Lookup))),
        ),
        Some(file) if retry_failed => (
            Sink::Rewrite(Rewrite::new(file, &output_path, done)?),
            Box::new(rewrite_items(&output_path, &input_path, done)?),
        ),
        Some(file) => (
            Sink::file(file, &output_path, resume)?,
            Box::new(lines.map(|l| l.map(Item::Lookup))),
        ),
    };
    // With --retry-failed the earlier records are items again (kept or redone).
    let skipped = if retry_failed { 0 } else { done };

    // The bar's total: the indicators of an input file still to do (counted in one streaming
    // pass, and only when a bar is drawn); standard input has none.
    let total = (std::io::IsTerminal::is_terminal(&std::io::stderr()) && regular_input)
        .then(|| std::fs::File::open(&input_path).ok())
        .flatten()
        .map(|f| {
            let all = inputs(std::io::BufReader::new(f))
                .take_while(Result::is_ok)
                .count();
            all.saturating_sub(skipped) as u64
        });
    let mut progress = crate::progress::Progress::new(total);
    let started = std::time::Instant::now();
    let read_error = std::cell::RefCell::new(None);
    let pending = futures::stream::iter(items.map_while(|item| match item {
        Ok(item) => Some(item),
        Err(e) => {
            *read_error.borrow_mut() = Some(e);
            None
        }
    }))
    // A stop signal: no new lookups start; those in flight finish and are written.
    .take_until(Box::pin(stops.heard(1)))
    .map(|item| async {
        match item {
            Item::Keep(record) => Done::Kept(record),
            Item::Lookup(input) => lookup(&raw, &provider, input).await,
        }
    })
    .buffered(concurrency);
    futures::pin_mut!(pending);
    let (mut ok, mut failed, mut kept) = (0usize, 0usize, 0usize);
    let mut stopped: Option<Error> = None;
    let mut cut_short = false;
    loop {
        let next = tokio::select! {
            next = pending.next() => next,
            // A second signal: stop at once; the lookups in flight are redone by --resume.
            () = stops.heard(2) => {
                cut_short = true;
                None
            }
        };
        let (line, good) = match next {
            None => break,
            Some(Done::Stop(e)) => {
                // Records after this one may have finished, but the output is in input order:
                // they are dropped with the rest and redone by --resume.
                stopped = Some(e);
                break;
            }
            Some(Done::Kept(line)) => {
                kept += 1;
                (line, None)
            }
            Some(Done::Record { line, ok }) => (line, Some(ok)),
        };
        if let Err(e) = sink.write(&line) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                drop(sink);
                std::process::exit(0);
            }
            note(&format!("error: writing output: {e}"));
            drop(sink);
            std::process::exit(crate::exit::OUTPUT.into());
        }
        match good {
            Some(true) => ok += 1,
            Some(false) => failed += 1,
            None => {}
        }
        if let Some(good) = good {
            progress.record(good);
        }
    }
    progress.finish();
    let elapsed = started.elapsed().as_secs_f64();
    let summary = format!(
        "enrich: {} records ({ok} ok, {failed} failed) in {elapsed:.1} s ({:.1}/s){}",
        ok + failed,
        (ok + failed) as f64 / elapsed.max(1e-9),
        match (done, kept) {
            (0, _) => String::new(),
            (_, 0) if !retry_failed => format!("; {done} kept from the earlier run"),
            _ => format!("; {kept} of the {done} earlier records kept as they were"),
        }
    );
    // The output is complete (a --retry-failed rewrite takes its name) before the run ends.
    if let Err(e) = sink.finish() {
        note(&format!(
            "error: writing output: --retry-failed: the rewritten records could not replace {} \
             ({e}); its earlier records are left as they were",
            output_path.display()
        ));
        std::process::exit(crate::exit::OUTPUT.into());
    }
    if let Some(e) = read_error.take() {
        note(&summary);
        return Err(Error::config(
            "--input",
            format!("{}: {e}", input_path.display()),
        ));
    }
    if let Some(e) = stopped {
        note(&format!(
            "{summary}; stopped, no record written for the input that failed or any after it: run again with --resume once the cause is mended"
        ));
        return Err(e);
    }
    if let Some(signal) = stops.first() {
        let how = if cut_short {
            "the lookups in flight were dropped"
        } else {
            "the records in flight were written"
        };
        note(&format!(
            "{summary}; interrupted by {} ({how}): run again with --resume",
            signals::name(signal)
        ));
        std::process::exit(128 + signal);
    }
    note(&summary);
    Ok(())
}

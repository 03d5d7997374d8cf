//! `threatbind enrich`: every indicator of a list looked up in one or more threat sources, for
//! one or more tenants (profiles), on the library's send path (its validation, each account's
//! quota and retries), one record per input line in input order. Indicators are refanged and
//! normalised first (see [`refang`]); one lookup per distinct indicator, provider and profile.
//! Every input is accounted for: a record says what each vendor said about the indicator, a
//! failure of the machinery stops the run with no record, and `--resume` continues from the
//! output, which one run at a time may write.

mod dedup;
mod output;
mod records;
mod refang;
mod waits;

use crate::signals::{self, Stops};
use crate::{connect, note, Global};
use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use futures::StreamExt;
use output::{Rewrite, Sink};
pub(crate) use records::demo;
use records::{
    actions, ask, inputs, provider_names, providers, with_action, Client, Done, Input, Provider,
    Record,
};
use std::io::BufRead;
use std::path::PathBuf;
use threatbind::Error;
use tracing::instrument::WithSubscriber;

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
        .about("Looks up every indicator of a list (one per line) in one or more threat sources, for one or more profiles")
        .long_about(
            "Looks up every indicator of a list in one or more threat sources (--provider a,b), \
             for one or more tenants (--profile acme,globex: each provider once per profile, \
             each with its own credentials and quota, concurrently). Input: one indicator per \
             line; blank lines and lines starting with # are skipped. Each line is refanged \
             ([.] (.) {.} [dot] (dot) {dot} [:] [://] [@] [at], hxxp and hxxps, any case) and \
             normalised (domains and a URL's scheme and host in lower case without a trailing \
             dot, IPv6 compressed) before its type (IP, DOMAIN, URL) is detected; the same \
             indicator on many lines is looked up once per provider and profile (among the last \
             10,000 distinct ones). Output (--out-format jsonl, the default): one record per \
             input line, in input order whatever --concurrency: {\"line\",\"input\":<as \
             written>,\"indicator\":<normalised>,\"type\":\"IP\"|\"DOMAIN\"|\"URL\"|null,\
             \"ok\":<every result ok>,\"results\":[{\"provider\",\"profile\":<name or null>,\
             \"time\",\"ok\":true,\"answer\":<the vendor's answer, untouched>} or {…,\"ok\":\
             false,\"error\":{\"status\",\"code\",\"detail\"}} when the vendor refused that \
             indicator (not found, invalid for this API)]}. --out-format csv: a header row, then \
             one row per input line and result (line, input, indicator, type, provider, profile, \
             time, ok, error, verdict, score: the vendor's score where the spec's x-stix maps \
             one, the verdict left empty as no spec maps one); --out-format stix: one STIX 2.1 \
             bundle of every answer. A failure of the machinery (the quota store, the \
             network, TLS, a 5xx or 429 after every retry, credentials refused, --max-time \
             spent) is never a record: the run stops taking lookups, writes those before it, \
             names the cause and exits with its code, and --resume redoes the rest. Requests \
             take each account's quota (shared by every process on this machine; --rate-limit \
             before `enrich` sets it) and its retries; the progress bar and the summary line \
             name the failures per provider and profile and the quota waits. One run at a time \
             writes an --out file (an OS lock).",
        )
        .arg(
            Arg::new("provider")
                .long("provider")
                .required(true)
                .value_delimiter(',')
                .action(ArgAction::Append)
                .value_parser(clap::builder::PossibleValuesParser::new(provider_names()))
                .ignore_case(true)
                .help("The threat sources, comma-separated (each is asked about every indicator). The global --profile takes several names here too, comma-separated: each provider is asked once per profile"),
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
                .help("Where the records go (- for standard output; --resume needs a file). The global --output does not apply: see --out-format"),
        )
        .arg(
            Arg::new("out-format")
                .long("out-format")
                .value_parser(["jsonl", "csv", "stix"])
                .ignore_case(true)
                .default_value("jsonl")
                .help("jsonl: one record per input line; csv: one row per input line and result, for a spreadsheet (no --resume); stix: one STIX 2.1 bundle of every answer (the vendors' identities, indicators, sightings, as each spec's x-stix maps them; deterministic ids, so a rerun updates what OpenCTI or MISP imported), written when the run ends (no --resume)"),
        )
        .arg(
            Arg::new("fail-on-error")
                .long("fail-on-error")
                .action(ArgAction::SetTrue)
                .help("Exit 8 when every input has its record but some record holds a failure (a vendor's refusal or \"not found\", an input that is no indicator): for CI gates and cron alerts"),
        )
        .arg(
            Arg::new("concurrency")
                .long("concurrency")
                .value_parser(value_parser!(u16).range(1..=MAX_CONCURRENCY as i64))
                .default_value("4")
                .help("Input lines in flight at once (1 to 64), each asking every provider and profile at once; the output order stays the input's"),
        )
        .arg(
            Arg::new("resume")
                .long("resume")
                .action(ArgAction::SetTrue)
                .help("Continue an interrupted run (jsonl): keep the complete records of --out (checked against the input lines and this run's providers and profiles), redo a torn last one, look up the rest"),
        )
        .arg(
            Arg::new("retry-failed")
                .long("retry-failed")
                .action(ArgAction::SetTrue)
                .requires("resume")
                .help("With --resume: also redo the earlier records with a result whose failure may have passed: every failed result except a refusal of the input itself (not an indicator, against the spec's rules, HTTP 400 or 422); so a \"not found\" is redone, in place, every result of its record (needs --input FILE)"),
        )
        .after_help(
            "Exit codes: 0 every input has a record (a vendor's \"not found\" is a record); 1 the \
             output could not be written; 2 bad arguments, an unreadable input, an output that \
             does not match it or that another run is writing, nothing sent; 3 the vendor \
             refused the request itself (HTTP 407 or 408) or redirected it; 4 \
             transport, TLS, timeout, the quota store or --max-time; 5 \
             rate limited or 5xx after every retry; 7 credentials refused (3 to 7: the run \
             stopped at that input, the records before it written: run again with --resume); 8 \
             with --fail-on-error, every input has a record but some record holds a failure; \
             128 + the signal's number \
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
                let written = parsed
                    .as_ref()
                    .and_then(|v| records::record_key(v).ok())
                    .map(|(input, _)| input);
                // Checked before the run; a file changed since is not paired blindly.
                if written != Some(input.written.as_str()) {
                    return Err(std::io::Error::other(format!(
                        "line {} changed while the run read it again: its record is for {written:?}",
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

/// The profiles `enrich` connects with: `--profile a,b` (the global flag), else
/// `THREATBIND_PROFILE` (one name or several), with what named them; none: the environment's
/// credentials.
fn profile_names(m: &ArgMatches) -> Result<(Vec<String>, &'static str), Error> {
    let (text, by) = match m
        .try_get_one::<std::ffi::OsString>("profile")
        .ok()
        .flatten()
    {
        Some(text) => (text.to_string_lossy().into_owned(), "--profile"),
        None => match std::env::var(crate::profiles::ENV) {
            Ok(text) if !text.is_empty() => (text, crate::profiles::ENV),
            _ => return Ok((Vec::new(), crate::profiles::ENV)),
        },
    };
    let mut names: Vec<String> = Vec::new();
    for name in text.split(',').map(str::trim) {
        if name.is_empty() {
            return Err(Error::config(
                by,
                format!("{text:?}: an empty profile name (names are comma-separated: acme,globex)"),
            ));
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    Ok((names, by))
}

/// The providers of `--provider` (each once, in the order given), each sending `action` if it
/// takes one; an `--action` that none of them takes is refused.
fn chosen_providers(m: &ArgMatches, action: Option<&str>) -> Result<Vec<Provider>, Error> {
    let mut names: Vec<String> = Vec::new();
    for name in m.get_many::<String>("provider").into_iter().flatten() {
        let name = name.trim().to_ascii_lowercase();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let takers = with_action();
    let any_taker = names.iter().any(|n| takers.contains(&n.as_str()));
    names
        .iter()
        .map(|name| {
            let takes = takers.contains(&name.as_str());
            // Several providers: --action goes to those that take one.
            Provider::new(name, action.filter(|_| takes || !any_taker))
        })
        .collect()
}

/// The output forms of `--out-format`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Jsonl,
    Csv,
    /// One STIX 2.1 bundle of every answer, written when the run ends.
    Stix,
}

pub(crate) async fn run(m: &ArgMatches, global: &Global) -> Result<(), Error> {
    // From the start: a stop signal while the output is being checked ends the run before any
    // lookup, never half-way through a rewrite.
    let stops = Stops::listen();
    // `--action` as given; without it, each provider's default (x-enrich.action.default).
    let action = (m.value_source("action") == Some(clap::parser::ValueSource::CommandLine))
        .then(|| m.get_one::<String>("action"))
        .flatten();
    let chosen = chosen_providers(m, action.map(String::as_str))?;
    let format = match m
        .get_one::<String>("out-format")
        .map(|f| f.to_ascii_lowercase())
        .as_deref()
    {
        Some("csv") => Format::Csv,
        Some("stix") => Format::Stix,
        _ => Format::Jsonl,
    };
    let fail_on_error = m.get_flag("fail-on-error");
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
    if resume && format != Format::Jsonl {
        return Err(Error::config(
            "--resume",
            "continues JSON Lines records only: --out-format jsonl (the default)",
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
    // Credentials before the output is touched: a configuration error leaves it as it was. One
    // client per provider and profile, each with its account's quota.
    let mut profiles: Vec<Option<crate::profiles::Profile>> = Vec::new();
    let (names, by) = profile_names(m)?;
    for name in names {
        profiles.push(crate::profiles::chosen(Some(name), by)?);
    }
    if profiles.is_empty() {
        profiles.push(None);
    }
    let mut clients: Vec<Client> = Vec::new();
    for provider in chosen {
        crate::run::notices(provider.op);
        for profile in &profiles {
            let mut raw = connect::connect_as(provider.api, global, profile.as_ref(), &[]).await?;
            if provider.op.unstable {
                // Asking for this provider is the user's opt-in to its beta operation.
                raw.enable_unstable(&provider.op.id);
            }
            clients.push(Client {
                provider: provider.clone(),
                profile: profile.as_ref().map(|p| p.name.clone()),
                raw,
            });
        }
    }
    let expected: Vec<(&str, Option<&str>)> = clients
        .iter()
        .map(|c| (c.provider.name(), c.profile.as_deref()))
        .collect();
    // The output is this run's alone from here on (an OS lock, released when the process ends).
    let locked = if to_stdout {
        None
    } else {
        Some(output::open_locked(&output_path)?)
    };
    // The inputs an earlier run finished are checked against its records, then skipped.
    let mut lines = inputs(reader);
    let earlier = match &locked {
        Some(file) if resume => {
            output::resume_from(file, &output_path, &input_path, &expected, &mut lines)?
        }
        _ => output::Earlier::default(),
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
    if format == Format::Csv {
        if let Err(e) = sink.write(output::CSV_HEADER) {
            note(&format!("error: writing output: {e}"));
            std::process::exit(crate::exit::OUTPUT.into());
        }
    }
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
    let dedup = dedup::Dedup::default();
    // --out-format stix: each answer goes into the bundle as it comes (its objects, each id
    // once, are what is held, not the answers).
    let mut bundler =
        (format == Format::Stix).then(|| crate::stix::Bundler::new(chrono::Utc::now()));
    let waits = waits::Waits::new(clients.len());
    let dispatches: Vec<tracing::Dispatch> =
        (0..clients.len()).map(|i| waits.dispatch(i)).collect();
    let (clients, dedup, dispatches) = (&clients, &dedup, &dispatches);
    let pending = futures::stream::iter(items.map_while(|item| match item {
        Ok(item) => Some(item),
        Err(e) => {
            *read_error.borrow_mut() = Some(e);
            None
        }
    }))
    // A stop signal: no new lookups start; those in flight finish and are written.
    .take_until(Box::pin(stops.heard(1)))
    .map(|item| async move {
        match item {
            Item::Keep(record) => Done::Kept(record),
            Item::Lookup(input) => lookup_all(clients, dedup, dispatches, input).await,
        }
    })
    .buffered(concurrency);
    futures::pin_mut!(pending);
    let (mut ok, mut failed, mut kept) = (0usize, 0usize, 0usize);
    // Failed results per client, this run's.
    let mut failures = vec![0usize; clients.len()];
    let mut stopped: Option<Error> = None;
    let mut cut_short = false;
    // The progress bar's word on quota waits, refreshed while a client waits.
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        let next = tokio::select! {
            next = pending.next() => next,
            // A second signal: stop at once; the lookups in flight are redone by --resume.
            () = stops.heard(2) => {
                cut_short = true;
                None
            }
            _ = tick.tick(), if progress.shown() => {
                progress.detail(detail(clients, &failures, &waits));
                continue;
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
            Some(Done::Record(record)) => {
                for (i, looked) in record.results.iter().enumerate() {
                    if looked.outcome.is_err() {
                        failures[i] += 1;
                    }
                }
                let good = record.ok();
                let line = match format {
                    Format::Jsonl => record.jsonl(clients),
                    Format::Csv => output::csv_rows(&record, clients)?,
                    Format::Stix => {
                        if let Some(bundler) = bundler.as_mut() {
                            add_to_bundle(bundler, &record, clients);
                        }
                        ok += usize::from(good);
                        failed += usize::from(!good);
                        progress.record(good);
                        continue;
                    }
                };
                (line, Some(good))
            }
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
            if !good {
                progress.detail(detail(clients, &failures, &waits));
            }
            progress.record(good);
        }
    }
    progress.finish();
    // A bundle of part of the list would import into OpenCTI or MISP as if it were whole: a
    // run stopped by a failure, a signal or an unreadable input writes none (and says so).
    let whole = stopped.is_none() && stops.first().is_none() && read_error.borrow().is_none();
    if let (Some(_), false) = (&bundler, whole) {
        note("enrich: no STIX bundle written: the run did not cover every input (a bundle of part of the list would import as if it were whole)");
    }
    if let Some(bundler) = bundler.filter(|_| whole) {
        let bundle = bundler.finish();
        const SHOWN: usize = 20;
        for warning in bundle.warnings.iter().take(SHOWN) {
            note(&format!("warning: stix: {warning}"));
        }
        if bundle.warnings.len() > SHOWN {
            note(&format!(
                "warning: stix: and {} more",
                bundle.warnings.len() - SHOWN
            ));
        }
        if let Err(e) = sink.write(&bundle.bundle.to_string()) {
            note(&format!("error: writing output: {e}"));
            std::process::exit(crate::exit::OUTPUT.into());
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let summary = format!(
        "enrich: {} records ({ok} ok, {failed} failed) in {elapsed:.1} s ({:.1}/s){}{}",
        ok + failed,
        (ok + failed) as f64 / elapsed.max(1e-9),
        match (done, kept) {
            (0, _) => String::new(),
            (_, 0) if !retry_failed => format!("; {done} kept from the earlier run"),
            _ => format!("; {kept} of the {done} earlier records kept as they were"),
        },
        summary_tail(clients, &failures, &waits, dedup.shared()),
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
    // The earlier run's failed records count too: the output as a whole is what a gate reads.
    let failed_in_output = failed + if retry_failed { 0 } else { earlier.failed };
    if fail_on_error && failed_in_output > 0 {
        note(&format!(
            "{summary}; --fail-on-error: {failed_in_output} record(s) with a failure, exit {}",
            crate::exit::FAILED_RECORDS
        ));
        std::process::exit(crate::exit::FAILED_RECORDS.into());
    }
    note(&summary);
    Ok(())
}

/// Adds the answers of `record` to the STIX bundle: each answer with the request it answered
/// (the indicator as sent), mapped by its operation's `x-stix` (see [`crate::stix`]).
fn add_to_bundle(bundler: &mut crate::stix::Bundler, record: &Record, clients: &[Client]) {
    for (looked, client) in record.results.iter().zip(clients) {
        let Ok(answer) = &looked.outcome else {
            continue;
        };
        let (Ok(body), Ok(request)) = (
            serde_json::from_str::<serde_json::Value>(answer),
            client.provider.document(&record.normal),
        ) else {
            continue;
        };
        bundler.add(crate::stix::Answer {
            operation: client.provider.op,
            request: Some(&request),
            body: &body,
        });
    }
}

/// Every provider and profile asked about `input` at once (each distinct indicator once per
/// client, see [`dedup`]): its record, or the first failure of the machinery.
async fn lookup_all(
    clients: &[Client],
    dedup: &dedup::Dedup,
    dispatches: &[tracing::Dispatch],
    input: Input,
) -> Done {
    let asked = clients.iter().enumerate().map(|(i, client)| {
        let (normal, line) = (&input.normal, input.line);
        let looked = dedup.get(&normal.indicator, i, move || ask(client, normal, line));
        // The lookup's quota waits are noted as this client's.
        looked.with_subscriber(dispatches[i].clone())
    });
    let mut results = Vec::with_capacity(clients.len());
    for looked in futures::future::join_all(asked).await {
        match looked {
            Ok(looked) => results.push(looked),
            Err(e) => return Done::Stop(e),
        }
    }
    Done::Record(Record {
        line: input.line,
        written: input.written,
        normal: input.normal,
        results,
    })
}

/// "LABEL COUNT" of each provider and profile with failed results, in the clients' order.
fn failed_per_client(clients: &[Client], failures: &[usize]) -> Vec<String> {
    failures
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .filter_map(|(i, n)| Some(format!("{} {n}", clients.get(i)?.label())))
        .collect()
}

/// The progress bar's words after the failure count: failures per provider and profile, and
/// the clients waiting for their quota ("log360-threat-analytics acme: next slot in 42 s").
fn detail(clients: &[Client], failures: &[usize], waits: &waits::Waits) -> String {
    let mut parts: Vec<String> = Vec::new();
    let failed = failed_per_client(clients, failures);
    if !failed.is_empty() {
        parts.push(format!("({})", failed.join(", ")));
    }
    for (i, seconds) in waits.waiting() {
        if let Some(client) = clients.get(i) {
            parts.push(format!("{}: next slot in {seconds} s", client.label()));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" {}", parts.join("; "))
    }
}

/// The summary line's end: failed results per provider and profile, the quota waits, and the
/// lookups that duplicate lines shared.
fn summary_tail(
    clients: &[Client],
    failures: &[usize],
    waits: &waits::Waits,
    shared: u64,
) -> String {
    let mut tail = String::new();
    let failed = failed_per_client(clients, failures);
    if !failed.is_empty() {
        tail.push_str(&format!("; failed results: {}", failed.join(", ")));
    }
    let waited: Vec<String> = waits
        .waited()
        .into_iter()
        .filter_map(|(i, count, longest)| {
            Some(format!(
                "{} {count} (longest {:.1} s)",
                clients.get(i)?.label(),
                longest.as_secs_f64()
            ))
        })
        .collect();
    if !waited.is_empty() {
        tail.push_str(&format!("; quota waits: {}", waited.join(", ")));
    }
    if shared > 0 {
        tail.push_str(&format!("; {shared} lookups shared by repeated indicators"));
    }
    tail
}

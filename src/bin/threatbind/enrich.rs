//! `threatbind enrich`: one lookup per indicator of a list, on the library's send path (its
//! validation, shared quota and retries), one JSON Lines record per input in input order.
//! Every input is accounted for; `--resume` continues an interrupted run from its output.

use crate::{connect, json_text, note, Global};
use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use futures::StreamExt;
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use threatbind::indicator::detect;
use threatbind::raw::RawClient;
use threatbind::spec::{Api, Operation};
use threatbind::Error;

/// The threat sources an indicator can be looked up in.
const PROVIDERS: [&str; 3] = [
    "log360-threat-analytics",
    "log360-virustotal",
    "datadog-ioc",
];

/// Bound of `--concurrency`.
const MAX_CONCURRENCY: usize = 64;

pub(crate) fn command() -> Command {
    Command::new("enrich")
        .about("Looks up every indicator of a list (one per line) in one threat source")
        .long_about(
            "Looks up every indicator of a list in one threat source. Input: one indicator per \
             line; blank lines and lines starting with # are skipped; the type (IP, DOMAIN, URL) \
             is detected from the value. Output: JSON Lines, one record per input indicator, in \
             input order whatever --concurrency: {\"indicator\":…,\"ok\":true,\"result\":<the \
             vendor's answer>} or {\"indicator\":…,\"ok\":false,\"error\":{\"status\",\"code\",\
             \"detail\"}}. Requests take the API's quota (shared by every process on this \
             machine; --rate-limit before `enrich` sets it) and its retries.",
        )
        .arg(
            Arg::new("provider")
                .long("provider")
                .required(true)
                .value_parser(PROVIDERS)
                .ignore_case(true)
                .help("The threat source"),
        )
        .arg(
            Arg::new("action")
                .long("action")
                .default_value("INFO")
                .help(format!(
                    "log360-threat-analytics only: the analysis asked for [one of: {}]",
                    actions().join(", ")
                )),
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
                .help("Continue an interrupted run: keep the complete records of --output, redo a torn last one, look up the rest"),
        )
        .after_help(
            "Exit codes: 0 every input has a record (a vendor's \"not found\" is a record); 1 the \
             output could not be written; 2 bad arguments, an unreadable input or an output that \
             does not match it, nothing sent; 130 interrupted (Ctrl-C) after the records in \
             flight were written: run again with --resume.",
        )
}

/// The `action` values of threat analytics, from its spec.
fn actions() -> Vec<String> {
    let Some(op) = Api::Log360Cloud.operation("searchThreatAnalytics") else {
        return Vec::new();
    };
    let doc = op.api.document();
    let body = op
        .raw
        .pointer("/requestBody/content/application~1json/schema")
        .map(|s| threatbind::spec::resolve(doc, s));
    let action = body
        .and_then(|b| b.pointer("/properties/action"))
        .map(|a| threatbind::spec::resolve(doc, a));
    action
        .and_then(|a| a.get("enum"))
        .and_then(Value::as_array)
        .map(|values| {
            values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// What one provider sends for an indicator.
struct Provider {
    api: Api,
    op: &'static Operation,
    name: &'static str,
    action: String,
}

impl Provider {
    fn new(name: &str, action: &str) -> Result<Self, Error> {
        let (name, api, id) = match name.to_ascii_lowercase().as_str() {
            "log360-threat-analytics" => (PROVIDERS[0], Api::Log360Cloud, "searchThreatAnalytics"),
            "log360-virustotal" => (PROVIDERS[1], Api::Log360Cloud, "searchVirusTotal"),
            _ => (PROVIDERS[2], Api::DatadogIoc, "getIndicatorOfCompromise"),
        };
        let op = api
            .operation(id)
            .ok_or_else(|| Error::config("--provider", format!("{id} is not in the spec")))?;
        Ok(Provider {
            api,
            op,
            name,
            action: action.trim().to_ascii_uppercase(),
        })
    }

    /// The request document for `indicator`, or why there is none.
    fn document(&self, indicator: &str) -> Result<Value, String> {
        let kind = detect(indicator);
        match self.name {
            "log360-threat-analytics" => {
                let kind = kind.ok_or("not an IP address, a domain or a URL")?;
                Ok(json!({"body": {
                    "indicator": indicator,
                    "indicator_type": kind.as_str(),
                    "action": self.action,
                }}))
            }
            "log360-virustotal" => {
                kind.ok_or("not an IP address, a domain or a URL")?;
                Ok(json!({"body": {"indicator": indicator}}))
            }
            _ => Ok(json!({"query": {"indicator": indicator}})),
        }
    }
}

/// One input line: its text and where it was.
struct Input {
    line: usize,
    indicator: String,
}

/// The indicators of `reader`, lazily: blank lines and `#` comments skipped, every other line
/// one input (a line that is not UTF-8 is read with replacement characters, never dropped).
fn inputs(reader: impl BufRead) -> impl Iterator<Item = std::io::Result<Input>> {
    let mut reader = reader;
    let mut line = 0usize;
    std::iter::from_fn(move || loop {
        let mut bytes = Vec::new();
        match reader.read_until(b'\n', &mut bytes) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => return Some(Err(e)),
        }
        line += 1;
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        return Some(Ok(Input {
            line,
            indicator: text.to_owned(),
        }));
    })
}

/// The record of one lookup, one line of JSON.
fn record(indicator: &str, outcome: Result<String, (Option<u16>, String, String)>) -> String {
    let name = serde_json::to_string(indicator).unwrap_or_else(|_| "\"\"".into());
    match outcome {
        Ok(body) => {
            let body = json_text::compact(&body);
            // An answer that is not JSON is kept as a string rather than breaking the line.
            let result = if serde_json::from_str::<serde::de::IgnoredAny>(&body).is_ok() {
                body
            } else {
                serde_json::to_string(&body).unwrap_or_default()
            };
            format!("{{\"indicator\":{name},\"ok\":true,\"result\":{result}}}")
        }
        Err((status, code, detail)) => {
            let error = json!({"status": status, "code": code, "detail": detail});
            format!("{{\"indicator\":{name},\"ok\":false,\"error\":{error}}}")
        }
    }
}

/// An error as a record's `status`, `code` and `detail` (secrets redacted).
fn failure(e: &Error) -> (Option<u16>, String, String) {
    let redact = |t: &str| threatbind::secret::redact(t);
    match e {
        Error::Api {
            status,
            code,
            title,
            detail,
            ..
        } => (
            Some(*status),
            code.clone().unwrap_or_else(|| status.to_string()),
            redact(detail.as_deref().or(title.as_deref()).unwrap_or("")),
        ),
        other => {
            let code = match other {
                Error::Validation(_) => "validation",
                Error::RateLimited { .. } => "rate_limited",
                Error::RetriesExhausted { .. } => "retries_exhausted",
                Error::Transport(_) => "transport",
                Error::TooLarge { .. } => "too_large",
                Error::Redirect { .. } => "redirect",
                Error::Auth(_) => "auth",
                _ => "error",
            };
            (other.status(), code.into(), redact(&other.to_string()))
        }
    }
}

async fn lookup(raw: &RawClient, provider: &Provider, input: Input) -> (String, bool) {
    let outcome = match provider.document(&input.indicator) {
        Err(why) => Err((
            None,
            "indicator".to_owned(),
            format!("line {}: {why}", input.line),
        )),
        Ok(doc) => match raw.send(provider.op, &doc).await {
            // A body that breaks its documented type is still the vendor's answer.
            Ok(answer) => Ok(String::from_utf8_lossy(&answer.body).into_owned()),
            Err(e) => Err(failure(&e)),
        },
    };
    let ok = outcome.is_ok();
    (record(&input.indicator, outcome), ok)
}

/// Continues from an earlier run's output: reads its records one by one, each checked against
/// the next input indicator (streamed, so memory stays flat however long the run), cuts a torn
/// last line (one a kill left without its newline, or that is not a whole record) and says how
/// many records are kept. The input is left at the first indicator still to do.
fn resume_from(
    path: &PathBuf,
    input_path: &std::path::Path,
    lines: &mut impl Iterator<Item = std::io::Result<Input>>,
) -> Result<usize, Error> {
    let flag = |e: std::io::Error| Error::config("--out", format!("{}: {e}", path.display()));
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(flag(e)),
    };
    let mut reader = std::io::BufReader::new(&file);
    let (mut kept, mut keep) = (0usize, 0u64);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(flag)?;
        if n == 0 {
            break;
        }
        let parsed: Option<Value> = line
            .ends_with(b"\n")
            .then(|| serde_json::from_slice(&line).ok())
            .flatten();
        let Some(indicator) = parsed
            .as_ref()
            .and_then(|v| v.get("indicator"))
            .and_then(Value::as_str)
        else {
            break;
        };
        let input = match lines.next() {
            Some(Ok(input)) => input,
            Some(Err(e)) => {
                return Err(Error::config(
                    "--input",
                    format!("{}: {e}", input_path.display()),
                ))
            }
            None => {
                return Err(Error::config(
                    "--resume",
                    format!(
                        "{} has more records than the input has indicators",
                        path.display()
                    ),
                ))
            }
        };
        if input.indicator != indicator {
            return Err(Error::config(
                "--resume",
                format!(
                    "record {} of {} is for {indicator:?}, but input line {} is {:?}: not the output of this input",
                    kept + 1,
                    path.display(),
                    input.line,
                    input.indicator
                ),
            ));
        }
        kept += 1;
        keep += n as u64;
    }
    let length = file.metadata().map_err(flag)?.len();
    if keep < length {
        note(&format!(
            "enrich: {} bytes after record {kept} are not a whole record (a torn last line): redone",
            length - keep
        ));
        file.set_len(keep).map_err(flag)?;
    }
    Ok(kept)
}

pub(crate) async fn run(m: &ArgMatches, global: &Global) -> Result<(), Error> {
    let provider = Provider::new(
        m.get_one::<String>("provider").map_or("", String::as_str),
        m.get_one::<String>("action").map_or("INFO", String::as_str),
    )?;
    if provider.name == PROVIDERS[0] && !actions().contains(&provider.action) {
        return Err(Error::config(
            "--action",
            format!(
                "{:?} is not one of: {}",
                provider.action,
                actions().join(", ")
            ),
        ));
    }
    if m.value_source("action") == Some(clap::parser::ValueSource::CommandLine)
        && provider.name != PROVIDERS[0]
    {
        return Err(Error::config(
            "--action",
            format!(
                "applies to log360-threat-analytics only, not {}",
                provider.name
            ),
        ));
    }
    let concurrency = m.get_one::<u16>("concurrency").copied().unwrap_or(4) as usize;
    let input_path = m.get_one::<PathBuf>("input").cloned().unwrap_or_default();
    let output_path = m.get_one::<PathBuf>("out").cloned().unwrap_or_default();
    let to_stdout = output_path.as_os_str() == "-";
    let resume = m.get_flag("resume");
    if resume && to_stdout {
        return Err(Error::config(
            "--resume",
            "needs --out FILE to continue from",
        ));
    }
    let reader: Box<dyn BufRead> = if input_path.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(&input_path)
            .map_err(|e| Error::config("--input", format!("{}: {e}", input_path.display())))?;
        Box::new(std::io::BufReader::new(file))
    };
    // Credentials before the output is touched: a configuration error leaves it as it was.
    let mut raw = connect::connect(provider.api, global, &[])?;
    crate::run::notices(provider.op);
    if provider.op.unstable {
        // Asking for this provider is the user's opt-in to its beta operation.
        raw.enable_unstable(&provider.op.id);
    }
    // The inputs an earlier run finished are checked against its records, then skipped.
    let mut lines = inputs(reader);
    let done = if resume {
        resume_from(&output_path, &input_path, &mut lines)?
    } else {
        0
    };
    let mut out: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout().lock())
    } else {
        let mut open = std::fs::OpenOptions::new();
        open.create(true);
        if resume {
            open.append(true);
        } else {
            open.write(true).truncate(true);
        }
        Box::new(
            open.open(&output_path)
                .map_err(|e| Error::config("--out", format!("{}: {e}", output_path.display())))?,
        )
    };

    // The bar's total: the indicators of an input file still to do (counted in one streaming
    // pass, and only when a bar is drawn); standard input has none.
    let total = (std::io::IsTerminal::is_terminal(&std::io::stderr())
        && input_path.as_os_str() != "-")
        .then(|| std::fs::File::open(&input_path).ok())
        .flatten()
        .map(|f| {
            let all = inputs(std::io::BufReader::new(f))
                .take_while(Result::is_ok)
                .count();
            all.saturating_sub(done) as u64
        });
    let mut progress = crate::progress::Progress::new(total);
    let started = std::time::Instant::now();
    let read_error = std::cell::RefCell::new(None);
    let interrupted = std::cell::Cell::new(false);
    let pending = futures::stream::iter(lines.map_while(|item| match item {
        Ok(input) => Some(input),
        Err(e) => {
            *read_error.borrow_mut() = Some(e);
            None
        }
    }))
    .take_until(Box::pin(async {
        // Ctrl-C: no new lookups start; those in flight finish and are written.
        if tokio::signal::ctrl_c().await.is_ok() {
            interrupted.set(true);
        }
    }))
    .map(|input| lookup(&raw, &provider, input))
    .buffered(concurrency);
    futures::pin_mut!(pending);
    let (mut ok, mut failed) = (0usize, 0usize);
    while let Some((line, good)) = pending.next().await {
        let written = out
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| out.flush());
        if let Err(e) = written {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            note(&format!("error: writing output: {e}"));
            std::process::exit(1);
        }
        progress.record(good);
        if good {
            ok += 1;
        } else {
            failed += 1;
        }
    }
    progress.finish();
    let summary = format!(
        "enrich: {} records ({ok} ok, {failed} failed) in {:.1} s ({:.1}/s){}",
        ok + failed,
        started.elapsed().as_secs_f64(),
        (ok + failed) as f64 / started.elapsed().as_secs_f64().max(1e-9),
        if done == 0 {
            String::new()
        } else {
            format!("; {done} kept from the earlier run")
        }
    );
    if let Some(e) = read_error.take() {
        note(&summary);
        return Err(Error::config(
            "--input",
            format!("{}: {e}", input_path.display()),
        ));
    }
    if interrupted.get() {
        note(&format!("{summary}; interrupted: run again with --resume"));
        std::process::exit(130);
    }
    note(&summary);
    Ok(())
}

//! `threatbind`: the command-line face of the library. Its flags and exit codes are a contract
//! that scripts depend on (see README.md).
//!
//! Exit codes: 0 success (also when a reader such as `head` closed stdout early); 1 the output
//! could not be written; 2 invalid input or configuration (nothing sent); 3 the API answered
//! with an error (a redirect included); 4 transport, timeout or an answer too large; 5 rate
//! limit, retry or page budget exhausted.

mod datadog;
mod log360;
mod nameshield;

use clap::{Parser, Subcommand};
use serde::Serialize;
use std::process::ExitCode;
use std::time::Duration;
use threatbind::spec::RateLimit;
use threatbind::{Error, Settings};

const AFTER_HELP: &str = "\
Environment:
  LOG360_ACCOUNT_ID, LOG360_ACCESS_TOKEN (or LOG360_REFRESH_TOKEN + LOG360_CLIENT_ID +
  LOG360_CLIENT_SECRET), LOG360_REGION (us|eu|in|au|jp) or LOG360_BASE_URL, LOG360_ACCOUNTS_URL
  NAMESHIELD_TOKEN, NAMESHIELD_ENV (prod|ote) or NAMESHIELD_BASE_URL
  DD_API_KEY, DD_APP_KEY, DD_SITE or DD_BASE_URL
  THREATBIND_CACHE_DIR  where the shared quota state and the Zoho token cache live
                        (default $XDG_CACHE_HOME/threatbind or ~/.cache/threatbind)

Safety: redirects are never followed; credentials go over plain http only to loopback
(--allow-http to override); tokens and keys print as ***.

Exit codes: 0 ok; 1 output could not be written; 2 invalid input or configuration, nothing
sent; 3 API error (redirects included); 4 transport, timeout or answer too large; 5 rate limit,
retry or page budget exhausted.";

/// Typed clients for Log360 Cloud, Nameshield CTI and Datadog IoC Explorer.
#[derive(Debug, Parser)]
#[command(name = "threatbind", version, about, long_about = None, after_help = AFTER_HELP)]
struct Cli {
    /// Server URL for the chosen API, replacing the spec's (like *_BASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    base_url: Option<String>,
    /// Client-side quota for this run, N requests per SECONDS (e.g. 50/60); shared by every
    /// threatbind process of this machine using the same account.
    #[arg(long, global = true, value_name = "N/SECONDS", value_parser = parse_rate_limit)]
    rate_limit: Option<RateLimit>,
    /// Timeout of each attempt in seconds (connect and answer); retries get their own.
    #[arg(long, global = true, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
    /// Time budget of the whole command in seconds: quota waits, retries and pages included.
    #[arg(long, global = true, value_name = "SECONDS", value_parser = parse_seconds)]
    max_time: Option<Duration>,
    /// Retries after the first attempt (429, 5xx, connection errors); 0 for none.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=100))]
    retries: Option<u32>,
    /// Largest answer accepted, in bytes (default 64 MiB).
    #[arg(long, global = true, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    max_response_bytes: Option<u64>,
    /// Most pages an --all walk reads (default 10000).
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_pages: Option<u64>,
    /// Allow plain http:// to hosts other than loopback (credentials travel unencrypted).
    #[arg(long, global = true)]
    allow_http: bool,
    /// Log requests and retries on stderr (-vv for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    api: ApiCommand,
}

#[derive(Debug, Subcommand)]
enum ApiCommand {
    /// Log360 Cloud: threat lookups, UEBA, detection rules.
    Log360 {
        #[command(subcommand)]
        op: log360::Command,
    },
    /// Nameshield CTI: threat events.
    Nameshield {
        #[command(subcommand)]
        op: nameshield::Command,
    },
    /// Datadog: IoC Explorer (beta).
    Datadog {
        #[command(subcommand)]
        op: datadog::Command,
    },
}

/// Bounds of every duration flag: 1 ms to 31 days.
const MIN_SECONDS: f64 = 0.001;
const MAX_SECONDS: f64 = 31.0 * 86_400.0;
/// Bound of N in --rate-limit.
const MAX_REQUESTS: u32 = 1_000_000;

fn parse_rate_limit(text: &str) -> Result<RateLimit, String> {
    let (n, secs) = text
        .split_once('/')
        .ok_or("expected N/SECONDS, e.g. 50/60")?;
    let requests: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{n:?} is not a whole number"))?;
    if requests == 0 || requests > MAX_REQUESTS {
        return Err(format!("N must be between 1 and {MAX_REQUESTS}"));
    }
    Ok(RateLimit {
        requests,
        period: parse_seconds(secs)?,
    })
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
        return Err(format!(
            "must be between {MIN_SECONDS} and {MAX_SECONDS} seconds (31 days)"
        ));
    }
    Duration::try_from_secs_f64(seconds).map_err(|e| e.to_string())
}

/// What every command needs from the global flags.
pub(crate) struct Global {
    pub base_url: Option<String>,
    pub settings: Settings,
    /// Where state shared between runs lives (quota windows, the Zoho token), if anywhere.
    pub cache_dir: Option<std::path::PathBuf>,
}

/// `THREATBIND_CACHE_DIR`, else `$XDG_CACHE_HOME/threatbind`, else `$HOME/.cache/threatbind`;
/// none when none of them is set (then nothing is shared between runs).
fn cache_dir() -> Option<std::path::PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("THREATBIND_CACHE_DIR") {
        return Some(dir.into());
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return Some(std::path::PathBuf::from(dir).join("threatbind"));
    }
    var("HOME").map(|home| std::path::PathBuf::from(home).join(".cache/threatbind"))
}

impl Global {
    fn new(cli: &Cli) -> Self {
        let mut settings = Settings::default();
        if let Some(limit) = cli.rate_limit {
            settings.rate_limit = Some(limit);
        }
        if let Some(timeout) = cli.timeout {
            settings.timeout = timeout;
        }
        if let Some(max_time) = cli.max_time {
            settings.retry.max_elapsed = max_time;
        }
        if let Some(retries) = cli.retries {
            settings.retry.max_attempts = retries + 1;
        }
        if let Some(bytes) = cli.max_response_bytes {
            settings.max_response_bytes = bytes;
        }
        if let Some(pages) = cli.max_pages {
            settings.max_pages = pages;
        }
        settings.allow_http = cli.allow_http;
        let cache_dir = cache_dir();
        // One quota per account across every threatbind process of this machine.
        if let Some(dir) = &cache_dir {
            settings.quota_store = threatbind::QuotaStore::Machine(dir.join("quota"));
        }
        Self {
            base_url: cli.base_url.clone(),
            settings,
            cache_dir,
        }
    }
}

/// Writes `text` and a newline on stdout. A reader that went away (`| head -1`) ends the run
/// quietly with 0, as other Unix tools do; any other write error ends it with 1.
pub(crate) fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out
        .write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            note(&format!("error: writing output: {e}"));
            std::process::exit(1)
        }
    }
}

/// Writes a line on stderr; a stderr that cannot be written is not worth a panic.
pub(crate) fn note(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Prints one value as pretty JSON on stdout.
pub(crate) fn print_json<T: Serialize>(value: &T) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Decode(e.to_string()))?;
    emit(&text);
    Ok(())
}

/// Prints items one JSON object per line, as they arrive; an error ends the walk.
pub(crate) async fn print_lines<T, S>(stream: S) -> Result<(), Error>
where
    T: Serialize,
    S: futures::Stream<Item = Result<T, Error>>,
{
    use futures::StreamExt;
    futures::pin_mut!(stream);
    while let Some(item) = stream.next().await {
        let line = serde_json::to_string(&item?).map_err(|e| Error::Decode(e.to_string()))?;
        emit(&line);
    }
    Ok(())
}

/// Parses an enum argument: matched case-insensitively against the values the spec lists for
/// `schema`, then converted with the generated type's `FromStr`. The error lists the spec's values.
pub(crate) fn enum_arg<T: std::str::FromStr>(
    api: threatbind::spec::Api,
    schema: &str,
    flag: &str,
    text: &str,
) -> Result<T, Error> {
    let allowed: Vec<&str> = api
        .document()
        .pointer(&format!("/components/schemas/{schema}/enum"))
        .and_then(serde_json::Value::as_array)
        .map(|values| {
            values
                .iter()
                .filter_map(serde_json::Value::as_str)
                .collect()
        })
        .unwrap_or_default();
    let spelled = allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(text))
        .copied()
        .unwrap_or(text);
    spelled.parse().map_err(|_| {
        let message = format!("{text:?} is not one of {}", allowed.join(", "));
        Error::Validation(vec![threatbind::spec::Violation::new(
            flag, "enum", message,
        )])
    })
}

/// Parses an RFC 3339 date-time argument.
pub(crate) fn time_arg(flag: &str, text: &str) -> Result<chrono::DateTime<chrono::Utc>, Error> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| {
            Error::Validation(vec![threatbind::spec::Violation::new(
                flag,
                "format",
                format!("{text:?} is not an ISO 8601 date-time: {e}"),
            )])
        })
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            let code = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => 0,
                _ => 2,
            };
            // Help and usage errors to a closed or full stream: nothing to say, no panic.
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if cli.verbose > 0 {
        let level = if cli.verbose > 1 {
            tracing::Level::TRACE
        } else {
            tracing::Level::DEBUG
        };
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(level)
            .with_target(false)
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            note(&format!("error: cannot start: {e}"));
            return ExitCode::from(1);
        }
    };
    let global = Global::new(&cli);
    let max_time = cli.max_time;
    let result = runtime.block_on(async {
        let command = async {
            match cli.api {
                ApiCommand::Log360 { op } => log360::run(op, &global).await,
                ApiCommand::Nameshield { op } => nameshield::run(op, &global).await,
                ApiCommand::Datadog { op } => datadog::run(op, &global).await,
            }
        };
        match max_time {
            None => command.await,
            Some(limit) => match tokio::time::timeout(limit, command).await {
                Ok(result) => result,
                Err(_) => Err(Error::Transport(format!(
                    "gave up: the time budget of {} s (--max-time) ran out",
                    limit.as_secs_f64()
                ))),
            },
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            note(&format!(
                "error: {}",
                threatbind::secret::redact(&e.to_string())
            ));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

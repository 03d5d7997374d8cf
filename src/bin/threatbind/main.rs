//! `threatbind`: the command-line face of the library. Its flags and exit codes are a contract
//! that scripts depend on (see README.md).
//!
//! Exit codes: 0 success; 2 invalid input (nothing sent); 3 the API answered with an error;
//! 4 transport or timeout; 5 rate limit or retry budget exhausted.

mod datadog;
mod log360;
mod nameshield;

use clap::{Parser, Subcommand};
use serde::Serialize;
use std::process::ExitCode;
use std::time::Duration;
use threatbind::spec::RateLimit;
use threatbind::{Error, Settings};

/// Typed clients for Log360 Cloud, Nameshield CTI and Datadog IoC Explorer.
///
/// Credentials come from the environment: LOG360_ACCOUNT_ID with LOG360_ACCESS_TOKEN (or
/// LOG360_REFRESH_TOKEN, LOG360_CLIENT_ID, LOG360_CLIENT_SECRET) and LOG360_REGION or
/// LOG360_BASE_URL; NAMESHIELD_TOKEN with NAMESHIELD_ENV (prod|ote) or NAMESHIELD_BASE_URL;
/// DD_API_KEY, DD_APP_KEY with DD_SITE or DD_BASE_URL.
#[derive(Debug, Parser)]
#[command(name = "threatbind", version, about, long_about = None)]
struct Cli {
    /// Server URL for the chosen API, replacing the spec's (like *_BASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    base_url: Option<String>,
    /// Client-side quota for this run, N requests per SECONDS (e.g. 50/60).
    #[arg(long, global = true, value_name = "N/SECONDS", value_parser = parse_rate_limit)]
    rate_limit: Option<RateLimit>,
    /// Per-request timeout in seconds.
    #[arg(long, global = true, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
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

fn parse_rate_limit(text: &str) -> Result<RateLimit, String> {
    let (n, secs) = text
        .split_once('/')
        .ok_or("expected N/SECONDS, e.g. 50/60")?;
    let requests: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{n:?} is not a whole number"))?;
    let seconds: f64 = secs
        .trim()
        .parse()
        .map_err(|_| format!("{secs:?} is not a number of seconds"))?;
    if requests == 0 || !seconds.is_finite() || seconds <= 0.0 {
        return Err("N and SECONDS must be positive".into());
    }
    Ok(RateLimit {
        requests,
        period: Duration::from_secs_f64(seconds),
    })
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err("must be a positive number of seconds".into());
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// What every command needs from the global flags.
pub(crate) struct Global {
    pub base_url: Option<String>,
    pub settings: Settings,
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
        Self {
            base_url: cli.base_url.clone(),
            settings,
        }
    }
}

/// Prints one value as pretty JSON on stdout.
pub(crate) fn print_json<T: Serialize>(value: &T) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Decode(e.to_string()))?;
    println!("{text}");
    Ok(())
}

/// Prints items one JSON object per line, as they arrive; an error ends the walk.
pub(crate) async fn print_lines<T, S>(stream: S) -> Result<(), Error>
where
    T: Serialize,
    S: futures::Stream<Item = Result<T, Error>>,
{
    use futures::StreamExt;
    use std::io::Write;
    futures::pin_mut!(stream);
    let stdout = std::io::stdout();
    while let Some(item) = stream.next().await {
        let line = serde_json::to_string(&item?).map_err(|e| Error::Decode(e.to_string()))?;
        let mut out = stdout.lock();
        writeln!(out, "{line}").map_err(|e| Error::Transport(format!("stdout: {e}")))?;
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
    let cli = Cli::parse();
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
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let global = Global::new(&cli);
    let result = runtime.block_on(async {
        match cli.api {
            ApiCommand::Log360 { op } => log360::run(op, &global).await,
            ApiCommand::Nameshield { op } => nameshield::run(op, &global).await,
            ApiCommand::Datadog { op } => datadog::run(op, &global).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

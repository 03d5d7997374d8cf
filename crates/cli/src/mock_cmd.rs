//! `threatbind mock`: every API served offline from its spec (`threatbind_mock`).

use clap::{Arg, ArgAction, ArgMatches, Command};
use std::ffi::OsString;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;
use threatbind::spec::Api;
use threatbind_mock::{path_of, serve, Options};

/// Longest `--latency`: 31 days, like every other duration flag.
const MAX_LATENCY_MS: u64 = 31 * 86_400 * 1000;

fn fraction(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("{text:?} is not a number from 0 to 1")),
    }
}

/// What the server serves, API by API: the prefix of its paths and its base-URL variable.
fn served() -> String {
    let mut text = String::new();
    for api in Api::ALL {
        let title = api
            .document()
            .pointer("/info/title")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("");
        let prefix = api
            .operations()
            .next()
            .map(|op| {
                let path = path_of(op);
                path.strip_suffix(op.path.as_str()).unwrap_or("").to_owned()
            })
            .unwrap_or_default();
        let variable = crate::connect::variables(*api)
            .into_iter()
            .map(|(name, _)| name)
            .find(|name| name.ends_with("_BASE_URL"))
            .unwrap_or_default();
        let routes: Vec<String> = api
            .operations()
            .map(|op| format!("{} {}", op.method, path_of(op)))
            .collect();
        text.push_str(&format!(
            "  {title}: {variable}=URL{prefix}\n{}",
            routes
                .iter()
                .map(|r| format!("      {r}\n"))
                .collect::<String>()
        ));
    }
    text
}

/// The `mock` command.
pub(crate) fn command() -> Command {
    Command::new("mock")
        .about("Serve every operation of every spec offline, on 127.0.0.1, from the specs alone")
        .after_help(format!(
            "Serves one HTTP/1.1 server on 127.0.0.1 with every operation of every spec under its real\n\
             path (the path of the spec's first server URL, then the operation's):\n{}\n\
             Requests are checked by the clients' own validator (parameters, body schema, x-rules) and\n\
             need the credentials of the spec's security schemes; invalid ones get the vendor's 400,\n\
             missing credentials its 401/403. Answers are the specs' examples; paginated operations\n\
             page a data set of --items items built from --seed. Quotas are the specs' x-rate-limit\n\
             (or --rate-limit), per API and credential, answered 429 with Retry-After.\n\n\
             Output: the first line on stdout is the base URL (http://127.0.0.1:PORT); then one line\n\
             per request on stderr: METHOD PATH STATUS OPERATION MICROSECONDS. Ctrl-C stops it.\n\n\
             Exit codes: 0 stopped (Ctrl-C or SIGTERM); 2 invalid flags, or the address cannot be bound.",
            served()
        ))
        .arg(
            Arg::new("port")
                .long("port")
                .value_name("PORT")
                .default_value("0")
                .value_parser(clap::value_parser!(u16))
                .help("Port to listen on, on 127.0.0.1; 0 picks a free one (printed on the first line)"),
        )
        .arg(
            // Same id and parser as the global client flag, so that it replaces it here.
            Arg::new("rate-limit")
                .long("rate-limit")
                .value_name("N/SECONDS")
                .value_parser(clap::builder::OsStringValueParser::new())
                .help("Replace every operation's quota (x-rate-limit) with N requests per SECONDS, per API and credential (e.g. 5/1)"),
        )
        .arg(
            Arg::new("fail-rate")
                .long("fail-rate")
                .value_name("F")
                .default_value("0")
                .value_parser(fraction)
                .help("Share of requests (0 to 1) answered 503, at random from a generator seeded by --seed"),
        )
        .arg(
            Arg::new("latency")
                .long("latency")
                .value_name("MS")
                .default_value("0")
                .value_parser(clap::value_parser!(u64).range(0..=MAX_LATENCY_MS))
                .help("Milliseconds added before every answer"),
        )
        .arg(
            Arg::new("seed")
                .long("seed")
                .value_name("N")
                .default_value("1")
                .value_parser(clap::value_parser!(u64))
                .help("Seed of the data sets and of --fail-rate: one seed, the same items and the same faults"),
        )
        .arg(
            Arg::new("items")
                .long("items")
                .value_name("N")
                .default_value("237")
                .value_parser(clap::value_parser!(u64).range(0..=threatbind_mock::MAX_ITEMS as u64))
                .help(format!(
                    "Items in the data set of each paginated operation (at most {})",
                    threatbind_mock::MAX_ITEMS
                )),
        )
        .arg(
            Arg::new("quiet")
                .long("quiet")
                .short('q')
                .action(ArgAction::SetTrue)
                .help("No log line per request on stderr (for load tests)"),
        )
}

/// Runs the server until Ctrl-C (or SIGTERM): 0, or 2 when it cannot start.
pub(crate) fn run(matches: &ArgMatches) -> ExitCode {
    let rate_limit = match matches.get_one::<OsString>("rate-limit") {
        None => None,
        Some(raw) => match raw
            .to_str()
            .ok_or_else(|| "is not valid UTF-8".to_owned())
            .and_then(crate::parse_rate_limit)
        {
            Ok(limit) => Some(limit),
            Err(problem) => {
                crate::note(&format!("error: --rate-limit: {problem}"));
                return ExitCode::from(2);
            }
        },
    };
    let options = Options {
        rate_limit,
        fail_rate: matches.get_one::<f64>("fail-rate").copied().unwrap_or(0.0),
        latency: Duration::from_millis(matches.get_one::<u64>("latency").copied().unwrap_or(0)),
        seed: matches.get_one::<u64>("seed").copied().unwrap_or(1),
        items: matches.get_one::<u64>("items").copied().unwrap_or(237) as usize,
    };
    let port = matches.get_one::<u16>("port").copied().unwrap_or(0);
    if !matches.get_flag("quiet") {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .without_time()
            .with_level(false)
            .with_target(false)
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            crate::note(&format!("error: cannot start: {e}"));
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        let mock = match serve(SocketAddr::from(([127, 0, 0, 1], port)), options).await {
            Ok(mock) => mock,
            Err(e) => {
                crate::note(&format!("error: {e}"));
                return ExitCode::from(2);
            }
        };
        {
            // The first line is the base URL; a closed stdout does not stop the server.
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", mock.base_url()).and_then(|()| out.flush());
        }
        stopped().await;
        let stats = mock.stats();
        mock.shutdown().await;
        crate::note(&format!(
            "stopped: {} requests, {} answered 429, {} faults",
            stats.requests, stats.rate_limited, stats.faults
        ));
        ExitCode::SUCCESS
    })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            let interrupted = async {
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                _ = interrupted => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    if tokio::signal::ctrl_c().await.is_err() {
        crate::note("warning: cannot watch Ctrl-C; stop the server with SIGKILL");
        std::future::pending::<()>().await;
    }
}

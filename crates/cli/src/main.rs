//! `threatbind`: the command-line face of the library. Its flags and exit codes are a contract
//! that scripts depend on (see README.md).
//!
//! Exit codes: 0 success (also when a reader such as `head` closed stdout early); 1 the output
//! could not be written; 2 invalid input or configuration (nothing sent); 3 the API answered
//! with an error (a redirect included); 4 transport, timeout or an answer too large; 5 rate
//! limit, retry or page budget exhausted; 6 an answer that breaks the documented type; 7 the
//! credentials were refused (401, 403, or the token exchange).

mod body;
mod connect;
mod demo;
mod derive;
mod enrich;
mod exit;
mod install;
mod json_text;
mod mock_cmd;
mod output;
mod preview;
mod profiles;
mod progress;
mod run;
mod signals;
mod spec_check;
mod spec_diff;
mod spec_fixtures;
mod spec_format;
mod spec_lint;
mod spec_tools;
mod stix;
mod stix_output;
mod times;

use clap::{Arg, ArgAction, ArgMatches, Command};
use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;
use threatbind::spec::{Api, RateLimit};
use threatbind::{Error, Settings};

/// The top-level help's end: every API's variables (from its spec), the cache, the safety
/// rules and the exit codes.
fn after_help() -> String {
    let mut text = String::from("Environment:\n");
    text.extend(Api::ALL.iter().map(|api| connect::env_lines(*api)));
    text.push_str(
        "  THREATBIND_CACHE_DIR     the shared quota state and the Zoho token cache\n\
         \x20                          (default $XDG_CACHE_HOME/threatbind or ~/.cache/threatbind)\n\
         \x20 THREATBIND_QUOTA_STORE   where quotas are kept, like --quota-store\n\
         \x20 THREATBIND_PROFILE       the profile to use, like --profile\n\
         \x20 THREATBIND_CONFIG        the config file of the profiles (default\n\
         \x20                          $XDG_CONFIG_HOME/threatbind/config.toml or ~/.config/threatbind/config.toml)\n\
         \x20 THREATBIND_QUOTA_STORE_CA_FILE\n\
         \x20                          CA file of a rediss:// quota store, like --quota-store-ca-file\n\n\
         Safety: redirects are never followed; credentials go over plain http only to loopback\n\
         (--allow-http to override); tokens and keys print as ***.\n\n",
    );
    text.push_str(EXIT_CODES);
    text
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

/// How an answer is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Output {
    /// The vendor's JSON, every field kept: pretty on a terminal, compact otherwise.
    Json,
    /// One item per line (with --all, the items of every page).
    Jsonl,
    /// One YAML document (with --all, one sequence of every item).
    Yaml,
    /// A header row and one row per item (RFC 4180), nested objects as dotted columns.
    Csv,
    /// One row per item: aligned columns on a terminal, tab-separated otherwise.
    Table,
    /// The body bytes as received.
    Raw,
    /// One STIX 2.1 bundle of the indicators the answer describes (operations with `x-stix`).
    Stix,
}

/// What every command needs from the global flags.
pub(crate) struct Global {
    pub base_url: Option<String>,
    pub settings: Settings,
    /// Where state shared between runs lives (quota windows, the Zoho token), if anywhere.
    pub cache_dir: Option<std::path::PathBuf>,
    /// The variable `cache_dir` came from (`THREATBIND_CACHE_DIR`, `XDG_CACHE_HOME`, `HOME`).
    pub cache_source: &'static str,
    /// The machine's quota store was wanted, but no cache directory is set: the quota is the
    /// run's own.
    pub local_for_want_of_cache: bool,
    /// The output form asked for, if any.
    pub output: Option<Output>,
    /// `--jq`: the program the output goes through, compiled before anything is sent.
    pub jq: Option<output::Jq>,
    /// `--columns`: the columns of csv and table.
    pub columns: Option<Vec<String>>,
    /// `--max-time`, if given.
    pub max_time: Option<Duration>,
    /// Credentials and servers by variable name, in place of the process environment (the
    /// demo's, for its mock); `None`: the environment.
    pub vars: Option<std::collections::HashMap<String, String>>,
    /// The profile `--profile` or `THREATBIND_PROFILE` chose: its variables come before the
    /// environment's (which may not contradict them).
    pub profile: Option<profiles::Profile>,
}

impl Global {
    /// Checks, before anything is sent, that state shared between runs can be kept where the
    /// run will keep it: the cache directory (the machine's quota state and the Zoho token
    /// cache) is created, a Redis store answers. A cache directory that cannot be used stops
    /// the run (exit 2) naming it and what it means; no cache directory at all is said on
    /// stderr. Never a quota of this process's own in silence.
    pub(crate) async fn check_store(&self) -> Result<(), Error> {
        use threatbind::QuotaStore;
        if self.local_for_want_of_cache {
            note("warning: no cache directory (THREATBIND_CACHE_DIR, XDG_CACHE_HOME and HOME are all unset): the quota is this run's own, not shared with other threatbind processes, and the Zoho token cache is off");
        }
        if let (Some(dir), QuotaStore::Machine(_)) = (&self.cache_dir, &self.settings.quota_store) {
            self.check_cache(&dir.join("quota")).map_err(|e| {
                Error::config(
                    self.cache_source,
                    format!(
                        "the cache directory {} cannot be used ({e}): the quota would not be \
                         shared with the other threatbind processes of this machine; set \
                         THREATBIND_CACHE_DIR to a writable directory (or --quota-store process \
                         for a quota of this run's own)",
                        dir.display()
                    ),
                )
            })?;
        }
        if let QuotaStore::Redis(_) = &self.settings.quota_store {
            self.settings
                .quota_store
                .check()
                .await
                .map_err(|e| match e {
                    Error::QuotaStore(why) => Error::config("--quota-store", why),
                    other => other,
                })?;
        }
        Ok(())
    }

    /// Prepares `place` as the library prepares its state directories (created readable by
    /// its owner only, a file written in it); the error says why it cannot be used.
    pub(crate) fn check_cache(&self, place: &std::path::Path) -> Result<(), String> {
        threatbind::ratelimit::prepare_dir(place).map_err(|e| match e {
            Error::Config { problem, .. } => problem,
            other => other.to_string(),
        })
    }

    /// The Zoho token cache's directory, checked: a cache directory that cannot hold it stops
    /// the run (exit 2) naming the variable, rather than leave the cache off in silence.
    pub(crate) fn token_cache(&self) -> Result<Option<std::path::PathBuf>, Error> {
        let Some(dir) = &self.cache_dir else {
            return Ok(None);
        };
        let place = dir.join("tokens");
        self.check_cache(&place).map_err(|e| {
            Error::config(
                self.cache_source,
                format!(
                    "the cache directory {} cannot be used ({e}): the Zoho access token would not \
                     be kept between runs (every run would exchange the refresh token again); set \
                     THREATBIND_CACHE_DIR to a writable directory",
                    dir.display()
                ),
            )
        })?;
        Ok(Some(place))
    }

    /// A variable: from `vars` when set, else from the profile, else the process environment.
    pub(crate) fn var(&self, name: &str) -> Option<String> {
        self.var_as(name, self.profile.as_ref())
    }

    /// [`Global::var`] with `profile` in place of the chosen one (enrich: one per tenant).
    pub(crate) fn var_as(&self, name: &str, profile: Option<&profiles::Profile>) -> Option<String> {
        match &self.vars {
            Some(vars) => vars.get(name).cloned(),
            None => profile
                .and_then(|p| p.get(name))
                .or_else(|| std::env::var(name).ok()),
        }
    }
}

/// `THREATBIND_CACHE_DIR`, else `$XDG_CACHE_HOME/threatbind`, else `$HOME/.cache/threatbind`,
/// with the variable it came from; none when none of them is set (then nothing is shared
/// between runs, and every run says so).
fn cache_dir() -> Option<(std::path::PathBuf, &'static str)> {
    xdg_place(
        "THREATBIND_CACHE_DIR",
        "XDG_CACHE_HOME",
        ".cache",
        "threatbind",
    )
}

/// `$own` as it is, else `$xdg/tail`, else `$HOME/home_dir/tail` (an empty variable counts as
/// unset), with the variable it came from; none when none of them is set.
pub(crate) fn xdg_place(
    own: &'static str,
    xdg: &'static str,
    home_dir: &str,
    tail: &str,
) -> Option<(std::path::PathBuf, &'static str)> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(place) = var(own) {
        return Some((place.into(), own));
    }
    if let Some(dir) = var(xdg) {
        return Some((std::path::PathBuf::from(dir).join(tail), xdg));
    }
    var("HOME").map(|home| {
        (
            std::path::PathBuf::from(home).join(home_dir).join(tail),
            "HOME",
        )
    })
}

/// Reads a global flag through its parser, naming the flag when the value is bad.
fn flag<T>(
    m: &ArgMatches,
    name: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, Error> {
    let Some(raw) = m.get_one::<OsString>(name) else {
        return Ok(None);
    };
    let bad = |problem: String| Error::config(&format!("--{name}"), problem);
    let text = raw
        .to_str()
        .ok_or_else(|| bad("is not valid UTF-8".into()))?;
    parse(text).map(Some).map_err(bad)
}

fn whole(min: u64, max: u64) -> impl Fn(&str) -> Result<u64, String> {
    move |text| match text.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{text:?} is not a whole number from {min} to {max}"
        )),
    }
}

impl Global {
    fn new(m: &ArgMatches) -> Result<Self, Error> {
        let mut settings = Settings {
            rate_limit: flag(m, "rate-limit", parse_rate_limit)?,
            ..Settings::default()
        };
        if let Some(timeout) = flag(m, "timeout", parse_seconds)? {
            settings.timeout = timeout;
        }
        let max_time = flag(m, "max-time", parse_seconds)?;
        if let Some(max_time) = max_time {
            settings.retry.max_elapsed = max_time;
        }
        if let Some(retries) = flag(m, "retries", whole(0, 100))? {
            settings.retry.max_attempts = retries as u32 + 1;
        }
        if let Some(bytes) = flag(m, "max-response-bytes", whole(1, u64::MAX))? {
            settings.max_response_bytes = bytes;
        }
        if let Some(pages) = flag(m, "max-pages", whole(1, u64::MAX))? {
            settings.max_pages = pages;
        }
        settings.allow_http = m.get_flag("allow-http");
        settings.ca_file = flag(m, "ca-file", |t| Ok(std::path::PathBuf::from(t)))?;
        settings.insecure_skip_tls_verify = m.get_flag("insecure-skip-tls-verify");
        if settings.insecure_skip_tls_verify {
            note("warning: --insecure-skip-tls-verify: TLS certificates are NOT verified; anyone on the path can read the credentials and answers");
        }
        let cache = cache_dir();
        let cache_dir = cache.as_ref().map(|(dir, _)| dir.clone());
        let (store, local_for_want_of_cache) = quota_store(m, cache_dir.as_deref())?;
        settings.quota_store = store;
        let mut output = flag(m, "output", |t| {
            match t.trim().to_ascii_lowercase().as_str() {
                "json" => Ok(Output::Json),
                "jsonl" => Ok(Output::Jsonl),
                "yaml" => Ok(Output::Yaml),
                "csv" => Ok(Output::Csv),
                "table" => Ok(Output::Table),
                "raw" => Ok(Output::Raw),
                "stix" => Ok(Output::Stix),
                _ => Err(format!(
                    "{t:?} is not one of json, jsonl, yaml, csv, table, raw, stix"
                )),
            }
        })?;
        if m.get_flag("raw") {
            output = Some(Output::Raw);
        }
        let jq = flag(m, "jq", output::Jq::compile)?;
        if jq.is_some() && output == Some(Output::Stix) {
            return Err(Error::config(
                "--jq",
                "does not apply to --output stix (the bundle is built from the vendor's answer; pipe it to jq)",
            ));
        }
        if jq.is_some() && output == Some(Output::Raw) {
            return Err(Error::config(
                "--jq",
                "does not apply to the body as received (--output raw, --raw)",
            ));
        }
        let columns = flag(m, "columns", output::columns)?;
        if columns.is_some() && !matches!(output, Some(Output::Csv | Output::Table)) {
            return Err(Error::config(
                "--columns",
                "is only for csv and table: add --output csv or --output table",
            ));
        }
        Ok(Self {
            base_url: flag(m, "base-url", |t| Ok(t.to_owned()))?,
            settings,
            cache_dir,
            cache_source: cache.map_or("", |(_, source)| source),
            local_for_want_of_cache,
            output,
            jq,
            columns,
            max_time,
            vars: None,
            // enrich takes several (--profile acme,globex) and connects with each itself.
            profile: match m.subcommand_name() {
                Some("enrich") => None,
                _ => profiles::chosen(flag(m, "profile", |t| Ok(t.to_owned()))?, "--profile")?,
            },
        })
    }
}

/// Where quotas are kept: --quota-store, else THREATBIND_QUOTA_STORE, else one quota per
/// account across every threatbind process of this machine (under the cache directory). The
/// flag is true when the machine's store was wanted but there is no cache directory to keep it
/// in (the quota is then the run's own, which `Global::check_store` says).
fn quota_store(
    m: &ArgMatches,
    cache_dir: Option<&std::path::Path>,
) -> Result<(threatbind::QuotaStore, bool), Error> {
    use threatbind::QuotaStore;
    let (text, name) = match flag(m, "quota-store", |t| Ok(t.to_owned()))? {
        Some(text) => (Some(text), "--quota-store"),
        None => (
            std::env::var("THREATBIND_QUOTA_STORE")
                .ok()
                .filter(|v| !v.is_empty()),
            "THREATBIND_QUOTA_STORE",
        ),
    };
    let ca_file = quota_store_ca_file(m)?;
    let machine = || match cache_dir {
        Some(dir) => (QuotaStore::Machine(dir.join("quota")), false),
        None => (QuotaStore::InProcess, true),
    };
    if let Some((_, source)) = &ca_file {
        let store = match &text {
            Some(text) if text.trim().starts_with("rediss://") => None,
            Some(_) => Some(format!("{name} is not a rediss:// URL")),
            None => Some("the quota store is machine (the default)".to_owned()),
        };
        if let Some(store) = store {
            return Err(Error::config(
                source,
                format!("is for a rediss:// (TLS) quota store, and {store}"),
            ));
        }
    }
    let Some(text) = text else {
        return Ok(machine());
    };
    match text.trim() {
        "machine" => Ok(machine()),
        "process" => Ok((QuotaStore::InProcess, false)),
        url if url.starts_with("redis://") || url.starts_with("rediss://") => {
            use threatbind::ratelimit::RedisUrl;
            // The library's configuration errors, under the flag or variable that set them.
            let under = |name: &str, e: Error| match e {
                Error::Config { problem, .. } => Error::config(name, problem),
                other => Error::config(name, other.to_string()),
            };
            let mut redis = if m.get_flag("allow-insecure-quota-store") {
                RedisUrl::new_allowing_cleartext(url)
            } else {
                RedisUrl::new(url)
            }
            .map_err(|e| under(name, e))?;
            if let Some((file, source)) = ca_file {
                redis = redis.with_ca_file(file).map_err(|e| under(source, e))?;
            }
            if redis.sends_password_in_clear() {
                note(&format!("warning: --allow-insecure-quota-store: the Redis password travels in clear text to {}; anyone on the path can read it", redis.host()));
            }
            Ok((QuotaStore::Redis(redis), false))
        }
        _ => Err(Error::config(
            name,
            format!(
                "{:?} is not machine, process or a redis:// or rediss:// URL",
                without_login(&threatbind::secret::redact(&text))
            ),
        )),
    }
}

/// `text` with what stands between `://` and an `@` before the next `/` (a login, perhaps a
/// password) shown as `***`: a store URL that is not understood is named without its secret.
fn without_login(text: &str) -> String {
    let Some(start) = text.find("://").map(|i| i + 3) else {
        return text.to_owned();
    };
    let end = text[start..].find('/').map_or(text.len(), |i| start + i);
    match text[start..end].rfind('@') {
        Some(at) => format!("{}***{}", &text[..start], &text[start + at..]),
        None => text.to_owned(),
    }
}

/// --quota-store-ca-file, else THREATBIND_QUOTA_STORE_CA_FILE, with where it came from.
fn quota_store_ca_file(
    m: &ArgMatches,
) -> Result<Option<(std::path::PathBuf, &'static str)>, Error> {
    if let Some(file) = flag(m, "quota-store-ca-file", |t| {
        Ok(std::path::PathBuf::from(t))
    })? {
        return Ok(Some((file, "--quota-store-ca-file")));
    }
    Ok(std::env::var_os("THREATBIND_QUOTA_STORE_CA_FILE")
        .filter(|v| !v.is_empty())
        .map(|file| (file.into(), "THREATBIND_QUOTA_STORE_CA_FILE")))
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
            std::process::exit(crate::exit::OUTPUT.into())
        }
    }
}

/// Writes a line on stderr; a stderr that cannot be written is not worth a panic.
pub(crate) fn note(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

pub(crate) fn stdout_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
}

/// The heading of the flags every command takes, below a command's own.
const GLOBAL: &str = "Global options";

fn global_arg(name: &'static str, value: &'static str, help: impl Into<String>) -> Arg {
    Arg::new(name)
        .long(name)
        .global(true)
        .help_heading(GLOBAL)
        .value_name(value)
        .help(help.into())
        .allow_negative_numbers(true)
        .value_parser(clap::builder::OsStringValueParser::new())
}

/// The whole command line: global flags, then one command per API and operation, derived from
/// the specs.
/// `--version`: the version, the commit it was built from, and each API built in with its
/// spec's `info.version`.
fn long_version() -> String {
    let commit = option_env!("THREATBIND_COMMIT").unwrap_or("unknown");
    let mut text = format!(
        "{} (commit {commit})\nAPIs built in:",
        env!("CARGO_PKG_VERSION")
    );
    for api in Api::ALL {
        text.push_str(&format!(
            "\n  {:<20} spec {}",
            api.stem(),
            api.spec_version()
        ));
    }
    text
}

fn cli() -> Command {
    let defaults = Settings::default();
    let mut cli = Command::new("threatbind")
        .version(env!("CARGO_PKG_VERSION"))
        .long_version(long_version())
        .about("Typed clients for Log360 Cloud, Log360 on-premises, Nameshield CTI and Datadog IoC Explorer, and a mock of them all.")
        .after_help(after_help())
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(global_arg("profile", "NAME", "The profile of the config file whose variables to use (like THREATBIND_PROFILE); `threatbind profiles` lists them"))
        .arg(global_arg("base-url", "URL", "Server URL for the chosen API, replacing the spec's (like *_BASE_URL)"))
        .arg(global_arg("rate-limit", "N/SECONDS", "Client-side quota, N requests per SECONDS (e.g. 50/60), replacing the spec's; shared by every process using the same account and --quota-store"))
        .arg(global_arg("quota-store", "STORE", "Where quotas are kept: machine (every threatbind process of this machine; the default), process (this run only), or redis[s]://[[USER]:PASSWORD@]HOST:PORT[/DB] (every process on every machine using that Redis server; checked at start). rediss:// is TLS, verified against the system's roots and --quota-store-ca-file; a password over plain redis:// goes to loopback only unless --allow-insecure-quota-store"))
        .arg(global_arg("quota-store-ca-file", "FILE", "PEM file of certificate authorities to trust, besides the system's, for a rediss:// quota store (like THREATBIND_QUOTA_STORE_CA_FILE)"))
        .arg(Arg::new("allow-insecure-quota-store").long("allow-insecure-quota-store").global(true).help_heading(GLOBAL).action(ArgAction::SetTrue).help("Allow a Redis password over plain redis:// to hosts other than loopback (it travels in clear text; prefer rediss://)"))
        .arg(global_arg("timeout", "SECONDS", "Timeout of each attempt (connect and answer); retries get their own"))
        .arg(global_arg("max-time", "SECONDS", "Time budget of the whole command: quota waits, retries and pages included"))
        .arg(global_arg("retries", "N", format!("Retries after the first attempt (429, 5xx, connection errors); 0 for none [default {}]", defaults.retry.max_attempts.saturating_sub(1))))
        .arg(global_arg("max-response-bytes", "BYTES", format!("Largest answer accepted [default {}]", defaults.max_response_bytes)))
        .arg(global_arg("max-pages", "N", format!("Most pages an --all walk reads [default {}]", defaults.max_pages)))
        .arg(global_arg("output", "FORMAT", "json (the vendor's JSON, every field kept; pretty on a terminal, compact otherwise; with --all, one array of every item), jsonl (one item per line), yaml (one document; with --all, one sequence of every item), csv (RFC 4180: a header row, one row per item, nested objects as dotted columns a.b.c, arrays as their JSON, a text a spreadsheet would run as a formula led by '; the header is every column of the items, with --all the first page's unless --columns is given), table (the same rows, aligned on a terminal, cells cut at 40 characters; tab-separated otherwise), raw (the body bytes as received, like --raw), stix (one STIX 2.1 bundle of the indicators the answer describes, with --all of every page: identity, indicators, sightings; for the operations whose spec maps them, x-stix)"))
        .arg(global_arg("jq", "PROGRAM", "A jq program (jaq) the answer goes through before it is printed: without --all it reads the answer; with --all each item (jsonl, csv, table) or the array of every item (json, yaml). Each value it outputs is printed in the --output form (strings as JSON strings); with csv and table each is a row (an array, one row per element). Checked before anything is sent; `env` is not available"))
        .arg(global_arg("columns", "A,B.C", "The columns of csv and table, in this order; dotted names reach into nested objects, and a name of an object gives its dotted columns [default: the operation's own, else every column of the items]"))
        .arg(Arg::new("dry-run").long("dry-run").global(true).help_heading(GLOBAL).action(ArgAction::SetTrue).help("Check the request and print it (method, URL, headers with credentials as ***, body) instead of sending it; no token is exchanged"))
        .arg(Arg::new("curl").long("curl").global(true).help_heading(GLOBAL).action(ArgAction::SetTrue).help("Check the request and print an equivalent curl command, credentials as references to their variables, instead of sending it"))
        .arg(Arg::new("raw").long("raw").global(true).help_heading(GLOBAL).action(ArgAction::SetTrue).help("Print the body bytes exactly as received"))
        .arg(global_arg("ca-file", "FILE", "PEM file of certificate authorities to trust besides the system's (self-signed on-premises servers; like the CA-file variable an API's --help lists)"))
        .arg(Arg::new("insecure-skip-tls-verify").long("insecure-skip-tls-verify").global(true).help_heading(GLOBAL).action(ArgAction::SetTrue).help("Accept any TLS certificate (expired, self-signed, another host's): anyone on the path can read the credentials; warns on every run"))
        .arg(Arg::new("allow-http").long("allow-http").global(true).help_heading(GLOBAL).action(ArgAction::SetTrue).help("Allow plain http:// to hosts other than loopback (credentials travel unencrypted)"))
        .arg(Arg::new("verbose").short('v').long("verbose").global(true).help_heading(GLOBAL).action(ArgAction::Count).help("Log one line per attempt on stderr; -vv adds the request's and the answer's headers (secrets as ***), -vvv the traces of the libraries below it (tracing)"));
    // One command group per CLI name: specs that share one (an API's V2 and V1) share a group.
    let mut names: Vec<String> = Vec::new();
    for api in Api::ALL {
        let name = derive::api_name(*api);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    for name in names {
        let apis: Vec<Api> = Api::ALL
            .iter()
            .copied()
            .filter(|a| derive::api_name(*a) == name)
            .collect();
        let title = apis
            .iter()
            .filter_map(|a| {
                a.document()
                    .pointer("/info/title")
                    .and_then(serde_json::Value::as_str)
            })
            .collect::<Vec<_>>()
            .join("; ");
        let mut env = String::new();
        for line in apis.iter().flat_map(|a| {
            connect::env_help(*a)
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        }) {
            if !env.lines().any(|l| l == line) {
                env.push_str(&line);
                env.push('\n');
            }
        }
        let mut command = Command::new(name.clone())
            .about(title)
            .subcommand_required(true)
            .arg_required_else_help(true)
            .after_help(env.clone());
        let help = format!("{env}{EXIT_CODES}");
        for op in apis.iter().flat_map(|a| a.operations()) {
            command = command.subcommand(derive::command(op, &name, &help));
        }
        cli = cli.subcommand(command);
    }
    cli.subcommand(spec_tools::command())
        .subcommand(mock_cmd::command())
        .subcommand(enrich::command())
        .subcommand(demo::command())
        .subcommand(
            Command::new("profiles")
                .about("List the profiles of the config file, the APIs each configures and its variables (secrets as ***)"),
        )
        .subcommand(install::completions_command())
        .subcommand(install::man_command())
}

const EXIT_CODES: &str = "\
Exit codes: 0 ok; 1 output could not be written; 2 invalid input or configuration, nothing
sent; 3 API error (redirects included); 4 transport, timeout or answer too large; 5 rate limit,
retry or page budget exhausted; 6 an answer that breaks the documented type (printed anyway);
7 credentials refused (HTTP 401 or 403, or the token exchange refused them); 8 every input
has a record and some record holds a failure (enrich with --fail-on-error).";

/// Finds the operation a command line names and runs it.
async fn dispatch(matches: &ArgMatches, global: &Global) -> Result<(), Error> {
    let Some((api_name, api_matches)) = matches.subcommand() else {
        return Err(Error::config("command", "missing"));
    };
    if api_name == "enrich" {
        return enrich::run(api_matches, global).await;
    }
    if api_name == "demo" {
        return demo::run(api_matches, global).await;
    }
    let Some((op_name, op_matches)) = api_matches.subcommand() else {
        return Err(Error::config("command", "missing"));
    };
    let op = Api::ALL
        .iter()
        .filter(|a| derive::api_name(**a) == api_name)
        .flat_map(|a| a.operations())
        .find(|op| derive::op_name(op) == op_name)
        .ok_or_else(|| {
            Error::config(
                "command",
                format!("{api_name} {op_name} is not an operation"),
            )
        })?;
    if global.output == Some(Output::Stix) {
        stix_output::refuse_unmapped(op)?;
    }
    let api = op.api;
    let (document, servers) = run::document(op, op_matches)?;
    let mut raw = connect::connect(api, global, &servers).await?;
    run::notices(op);
    if op.unstable {
        // Running the command is the user's opt-in to the beta operation.
        raw.enable_unstable(&op.id);
    }
    let flag = |name: &str| {
        op_matches
            .try_get_one::<bool>(name)
            .ok()
            .flatten()
            .copied()
            .unwrap_or(false)
    };
    if flag("curl") {
        return preview::show(&raw, op, &document, preview::Preview::Curl);
    }
    if flag("dry-run") {
        return preview::show(&raw, op, &document, preview::Preview::DryRun);
    }
    let all = flag("all");
    run::execute(&raw, op, document, all, global).await
}

/// `-v`: one line per attempt, from threatbind alone; `-vv`: with the request's and the
/// answer's headers (secrets as `***`); `-vvv`: every library's trace (the HTTP stack's too).
/// Colours only on a terminal, and never under `NO_COLOR`.
fn logging(verbose: u8) {
    use std::io::IsTerminal;
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let ours = match verbose {
        0 => return,
        1 => LevelFilter::INFO,
        _ => LevelFilter::DEBUG,
    };
    let others = if verbose >= 3 {
        LevelFilter::TRACE
    } else {
        LevelFilter::OFF
    };
    let filter = Targets::new()
        .with_default(others)
        .with_target(
            "threatbind",
            if verbose >= 3 {
                LevelFilter::TRACE
            } else {
                ours
            },
        )
        .with_target("threatbind_cli", ours);
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(verbose >= 3)
        .with_ansi(colour);
    tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .init();
}

fn main() -> ExitCode {
    let matches = match cli().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            use clap::error::ErrorKind;
            let code = match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                        2
                    } else {
                        0
                    }
                }
                _ => 2,
            };
            // Help and usage errors to a closed or full stream: nothing to say, no panic.
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if let Some(("spec", spec)) = matches.subcommand() {
        return spec_tools::run(spec);
    }
    if let Some(("mock", mock)) = matches.subcommand() {
        return mock_cmd::run(mock);
    }
    if let Some(("profiles", _)) = matches.subcommand() {
        return match profiles::list() {
            Ok(text) => {
                emit(text.trim_end());
                ExitCode::SUCCESS
            }
            Err(e) => {
                note(&format!("error: {e}"));
                ExitCode::from(exit::code(&e))
            }
        };
    }
    if let Some(("completions", m)) = matches.subcommand() {
        return install::completions(cli(), m);
    }
    if let Some(("man", m)) = matches.subcommand() {
        return install::man(cli(), m);
    }
    logging(matches.get_count("verbose"));
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
    let result = runtime.block_on(async {
        let global = Global::new(&matches)?;
        // A shared store that cannot be used stops the run before anything is sent: never a
        // quota of this process's own in its place.
        // The demo keeps nothing between runs: its quota is its own, on purpose.
        if matches.subcommand_name() != Some("demo") {
            global.check_store().await?;
        }
        let command = dispatch(&matches, &global);
        // --max-time bounds the whole command (pages included), not only each call.
        let Some(max_time) = global.max_time else {
            return command.await;
        };
        match tokio::time::timeout(max_time, command).await {
            Ok(result) => result,
            Err(_) => Err(Error::Transport(format!(
                "gave up: the time budget of {} s (--max-time) ran out",
                max_time.as_secs_f64()
            ))),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            note(&format!(
                "error: {}",
                threatbind::secret::redact(&e.to_string())
            ));
            ExitCode::from(exit::code(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::without_login;

    #[test]
    fn a_store_url_that_is_not_understood_is_named_without_its_login() {
        assert_eq!(
            without_login("Redis://:hunter2@cache.corp:6379/0"),
            "Redis://***@cache.corp:6379/0"
        );
        assert_eq!(
            without_login("redis+tls://admin:p@ss@cache.corp"),
            "redis+tls://***@cache.corp"
        );
        assert_eq!(without_login("memcached://x/a@b"), "memcached://x/a@b");
        assert_eq!(without_login("nonsense"), "nonsense");
    }
}

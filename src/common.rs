//! What every API client shares: transport settings, validation before sending, pagination.

use crate::error::{Error, Result};
use crate::retry::RetryPolicy;
use crate::spec::{Api, RateLimit};
use futures::{stream, Stream, StreamExt};
use std::future::Future;
use std::time::Duration;

/// Transport settings every client takes: quota, retry policy, timeouts and the bounds on
/// answers and page walks.
///
/// ```
/// use std::time::Duration;
/// use threatbind::Settings;
/// let s = Settings { timeout: Duration::from_secs(10), ..Settings::default() };
/// assert!(s.rate_limit.is_none()); // the spec's x-rate-limit applies
/// assert_eq!(s.max_response_bytes, 64 << 20);
/// assert!(!s.allow_http); // plain http only to loopback
/// ```
#[derive(Clone, Debug)]
pub struct Settings {
    /// Overrides the spec's `x-rate-limit` (accounts with other quotas).
    pub rate_limit: Option<RateLimit>,
    /// Turns client-side limiting off (the server's 429s are still retried).
    pub unlimited: bool,
    /// Retries; `retry.max_elapsed` bounds one call, waits and retries included.
    pub retry: RetryPolicy,
    /// Timeout of one attempt (connect and whole request); retries get their own.
    pub timeout: Duration,
    /// Answers larger than this many bytes stop with [`Error::TooLarge`] (default 64 MiB).
    pub max_response_bytes: u64,
    /// Page walks stop with [`Error::Budget`] after this many pages (default 10,000).
    pub max_pages: u64,
    /// Allows `http://` base URLs to hosts other than loopback. Off by default: credentials
    /// would cross the network unencrypted.
    pub allow_http: bool,
    /// Where the quota's log lives: this process (default), or state files shared by every
    /// process of the machine ([`crate::ratelimit::QuotaStore::Machine`]; the CLI's choice).
    pub quota_store: crate::ratelimit::QuotaStore,
    /// A PEM file of certificate authorities to trust besides the system's (self-signed
    /// on-premises servers). An unreadable or invalid file is a configuration error.
    pub ca_file: Option<std::path::PathBuf>,
    /// Accepts any certificate, expired, self-signed or for another host: anyone on the path can
    /// then read the credentials. Off by default; the CLI's `--insecure-skip-tls-verify` warns
    /// on every run.
    pub insecure_skip_tls_verify: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            rate_limit: None,
            unlimited: false,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
            max_response_bytes: 64 << 20,
            max_pages: 10_000,
            allow_http: false,
            quota_store: crate::ratelimit::QuotaStore::InProcess,
            ca_file: None,
            insecure_skip_tls_verify: false,
        }
    }
}

impl Settings {
    /// The HTTP client of every request, token exchanges included: redirects are never followed
    /// (none of the bound APIs documents one, and following would carry the credentials and the
    /// body to another host).
    ///
    /// TLS is rustls with the `ring` provider, installed as the process default when no other
    /// provider is (a program that installs its own first keeps it).
    ///
    /// A client for a plain `http://` server (loopback, or allowed by `allow_http`) never
    /// speaks TLS: it does not read the system's certificate store, which is most of a CLI
    /// call's start-up against a local server.
    pub(crate) fn http_client(&self, url: &str) -> Result<reqwest::Client> {
        crate::tls::install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(self.timeout)
            .timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("threatbind/", env!("CARGO_PKG_VERSION")));
        let plain = url
            .get(..7)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"));
        if plain && self.ca_file.is_none() {
            builder = builder.tls_certs_only(Vec::new());
        }
        if let Some(file) = &self.ca_file {
            let shown = file.display().to_string();
            let pem = std::fs::read(file)
                .map_err(|e| Error::config("ca file", format!("{shown}: {e}")))?;
            let certificates = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    Error::config("ca file", format!("{shown}: no PEM certificate in it"))
                })?;
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        if self.insecure_skip_tls_verify {
            tracing::warn!("TLS certificates are not verified (insecure_skip_tls_verify)");
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        builder
            .build()
            .map_err(|e| Error::config("http client", e.to_string()))
    }
}

/// The quota in force: the override, else the API's `x-rate-limit`.
pub(crate) fn quota_of(api: Api, settings: &Settings) -> Option<RateLimit> {
    if settings.unlimited {
        return None;
    }
    settings
        .rate_limit
        .or_else(|| api.quota().map(|(quota, _)| quota))
}

/// The limiters of the operations whose spec states a quota of their own, by operationId,
/// each keyed by the API's key and the operation (none under an override or `unlimited`).
fn operation_limiters(
    api: Api,
    settings: &Settings,
    key: &str,
) -> Result<std::collections::HashMap<String, std::sync::Arc<crate::RateLimiter>>> {
    let mut out = std::collections::HashMap::new();
    if settings.unlimited || settings.rate_limit.is_some() {
        return Ok(out);
    }
    let api_quota = api.quota().map(|(quota, _)| quota);
    for op in api.operations() {
        if let Some(quota) = op.rate_limit.filter(|q| Some(*q) != api_quota) {
            let limiter = crate::RateLimiter::shared(
                &format!("{key}:{}", op.id),
                quota,
                &settings.quota_store,
            )?;
            out.insert(op.id.clone(), limiter);
        }
    }
    Ok(out)
}

/// Everything a generated client needs to be built and sent through the shared transport:
/// the HTTP client, the checked base URL and the hooks (credentials, the limiter keyed by
/// `quota_key`, the retry policy, the bounds).
pub(crate) struct Connection {
    pub http: reqwest::Client,
    pub base_url: String,
    pub hooks: crate::transport::Hooks,
}

/// Who a quota belongs to: the identity named by the `per:` of the spec's `x-rate-limit`
/// (`account`, `token`, `api-key`) among those the client has, else the first of them. With
/// `per: server` the quota is the server's, whatever API of it is called (an on-premises
/// product's V1 and V2 share one).
pub(crate) fn quota_key(api: Api, host: &str, identities: &[(&str, String)]) -> String {
    let per = api.quota().map(|(_, owner)| owner.as_str());
    if per == Some("server") {
        return format!("server:{host}");
    }
    let chosen = per
        .and_then(|p| identities.iter().find(|(name, _)| *name == p))
        .or(identities.first());
    let who = chosen.map_or_else(String::new, |(name, value)| format!("{name}:{value}"));
    format!("{api}:{host}:{who}")
}

pub(crate) fn connect(
    api: Api,
    identities: &[(&str, String)],
    base_url: &str,
    settings: &Settings,
    auth: std::sync::Arc<dyn crate::transport::Authorizer>,
) -> Result<Connection> {
    let base_url = check_url("base_url", base_url)?;
    check_transport("base_url", &base_url, settings.allow_http)?;
    let http = settings.http_client(&base_url)?;
    let host = reqwest::Url::parse(&base_url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(0)))
        })
        .unwrap_or_default();
    let key = quota_key(api, &host, identities);
    let limiter = quota_of(api, settings)
        .map(|q| crate::RateLimiter::shared(&key, q, &settings.quota_store))
        .transpose()?;
    let runtime = crate::transport::Runtime {
        limiter,
        operation_limiters: operation_limiters(api, settings, &key)?,
        retry: settings.retry.clone(),
        auth,
        max_pages: settings.max_pages,
    };
    Ok(Connection {
        http,
        base_url,
        hooks: crate::transport::Hooks {
            api,
            runtime,
            max_response_bytes: settings.max_response_bytes,
            unstable: Default::default(),
        },
    })
}

/// Checks a URL setting (`*_BASE_URL`), naming the setting when it is not an http(s) URL.
pub(crate) fn check_url(name: &str, url: &str) -> Result<String> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| Error::config(name, format!("{url:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::config(
            name,
            format!("{url:?} is not an http(s) URL"),
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::config(
            name,
            "must not carry a user or password (credentials come from their own variables)",
        ));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// Refuses a plain `http://` URL to anything but a loopback address unless `allow_http`:
/// credentials would cross the network unencrypted.
///
/// ```
/// # use threatbind::common::check_transport;
/// assert!(check_transport("base_url", "http://127.0.0.1:8080/api", false).is_ok());
/// assert!(check_transport("base_url", "http://localhost:8080", false).is_ok());
/// assert!(check_transport("base_url", "https://siem.example.com", false).is_ok());
/// let e = check_transport("base_url", "http://siem.example.com", false).unwrap_err();
/// assert!(matches!(e, threatbind::Error::Config { .. }));
/// assert!(check_transport("base_url", "http://siem.example.com", true).is_ok());
/// ```
pub fn check_transport(name: &str, url: &str, allow_http: bool) -> Result<()> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| Error::config(name, format!("{url:?} is not a URL: {e}")))?;
    if parsed.scheme() != "http" || allow_http {
        return Ok(());
    }
    let host = parsed.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        return Ok(());
    }
    Err(Error::config(
        name,
        format!(
            "{url} is plain http to a host that is not loopback: credentials would travel \
             unencrypted; use https (or --allow-http / Settings::allow_http to accept the risk)"
        ),
    ))
}

/// How a page walk starts and is bounded: the first cursor, the CLI flag that sets it (named in
/// errors, so a user can resume), and the most pages to read.
///
/// ```
/// let walk = threatbind::common::Walk { start: 1, flag: "--from".into(), max_pages: 100 };
/// ```
#[derive(Clone, Debug)]
pub struct Walk {
    /// The first cursor (page number, `from`, offset).
    pub start: i64,
    /// The flag that sets the cursor, named in errors (`--from`).
    pub flag: std::borrow::Cow<'static, str>,
    /// The most pages to read.
    pub max_pages: u64,
}

/// Walks pages: `fetch(cursor)` returns the page's items and, when the server says more
/// follow, the next cursor. The walk is bounded and checked:
/// - at most `walk.max_pages` pages, then [`Error::Budget`];
/// - a next cursor that does not move forward, or an empty page that says more follow, is
///   [`Error::Protocol`] instead of an endless loop or a silent stop;
/// - a failure after the first page is [`Error::Pagination`], naming the page and the flag and
///   value to resume from.
///
/// An error ends the stream after it is yielded.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use futures::TryStreamExt;
/// use threatbind::common::{paginate, Walk};
/// let walk = Walk { start: 0, flag: "--page".into(), max_pages: 10 };
/// let items: Vec<i64> = paginate(walk, |page| async move {
///     Ok((vec![page], (page < 2).then_some(page + 1)))
/// }).try_collect().await.unwrap();
/// assert_eq!(items, [0, 1, 2]);
/// # }
/// ```
pub fn paginate<T, F, Fut>(walk: Walk, mut fetch: F) -> impl Stream<Item = Result<T>>
where
    F: FnMut(i64) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<i64>)>>,
{
    struct State {
        cursor: i64,
        pages: u64,
        done: bool,
        pending: Option<Error>,
        flag: std::borrow::Cow<'static, str>,
    }
    impl State {
        /// `reason` for page `page`, with where to resume (a first page fails as itself).
        fn fail(&self, page: u64, reason: Error) -> Error {
            if page <= 1 && !matches!(reason, Error::Protocol(_) | Error::Budget(_)) {
                return reason;
            }
            Error::Pagination {
                page,
                resume: format!("{} {}", self.flag, self.cursor),
                reason: Box::new(reason),
            }
        }
    }
    let max_pages = walk.max_pages;
    let start = State {
        cursor: walk.start,
        pages: 0,
        done: false,
        pending: None,
        flag: walk.flag,
    };
    stream::unfold(start, move |mut state| {
        let go = !state.done && state.pending.is_none() && state.pages < max_pages;
        let page = go.then(|| fetch(state.cursor));
        async move {
            if let Some(error) = state.pending.take() {
                state.done = true;
                return Some((Err(error), state));
            }
            if state.done {
                return None;
            }
            let number = state.pages + 1;
            let Some(page) = page else {
                state.done = true;
                let reason =
                    Error::Budget(format!("stopped after {max_pages} pages (--max-pages)"));
                return Some((Err(state.fail(number, reason)), state));
            };
            match page.await {
                Err(e) => {
                    state.done = true;
                    Some((Err(state.fail(number, e)), state))
                }
                Ok((items, None)) => {
                    state.done = true;
                    Some((Ok(items), state))
                }
                Ok((items, Some(next))) => {
                    let broken = if items.is_empty() {
                        Some(format!(
                            "page {number} ({} {}) is empty but says more pages follow",
                            state.flag, state.cursor
                        ))
                    } else if next <= state.cursor {
                        Some(format!(
                            "page {number} ({} {}) points to {} {next}, which does not move forward",
                            state.flag, state.cursor, state.flag
                        ))
                    } else {
                        None
                    };
                    if let Some(problem) = broken {
                        // The items read are the caller's; the error follows them.
                        state.pending = Some(state.fail(number, Error::Protocol(problem)));
                        return Some((Ok(items), state));
                    }
                    state.cursor = next;
                    state.pages = number;
                    Some((Ok(items), state))
                }
            }
        }
    })
    .flat_map(|page| match page {
        Ok(items) => stream::iter(items.into_iter().map(Ok)).left_stream(),
        Err(e) => stream::iter(vec![Err(e)]).right_stream(),
    })
}

/// Configuration variables read through a lookup (the environment, or a test's table): a
/// blank value counts as unset.
///
/// ```
/// use threatbind::common::Vars;
/// let vars = Vars::new(|name: &str| (name == "X_TOKEN").then(|| "t".to_owned()));
/// assert_eq!(vars.require("X_TOKEN", "").unwrap(), "t");
/// assert!(vars.require("X_OTHER", " (needed with X_TOKEN)").unwrap_err().to_string().contains("X_OTHER"));
/// ```
pub struct Vars<F>(F);

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    /// Variables looked up by `get`.
    pub fn new(get: F) -> Self {
        Self(get)
    }

    /// The variable's value, unless it is unset or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    /// The variable's value, or a configuration error naming it ("not set" and `why`).
    pub fn require(&self, name: &str, why: &str) -> Result<String> {
        self.get(name)
            .ok_or_else(|| Error::config(name, format!("not set{why}")))
    }

    /// A server URL from the variable, checked (an absolute http or https URL without user or password), if it is set.
    pub fn url(&self, name: &str) -> Result<Option<String>> {
        self.get(name).map(|url| check_url(name, &url)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;

    #[test]
    fn international_hosts_become_their_ascii_form() {
        // url's IDNA (UTS 46, through idna_adapter's unicode-rs backend).
        let url = check_url("base_url", "https://siem.Bücher.example/api").unwrap();
        let parsed = reqwest::Url::parse(&url).unwrap();
        assert_eq!(parsed.host_str(), Some("siem.xn--bcher-kva.example"));
        assert!(
            check_url("base_url", "https://xn--a.example").is_err(),
            "bad punycode"
        );
    }

    fn walk(max_pages: u64) -> Walk {
        Walk {
            start: 0,
            flag: "--page".into(),
            max_pages,
        }
    }

    async fn collect(stream: impl Stream<Item = Result<i64>>) -> (Vec<i64>, Option<Error>) {
        futures::pin_mut!(stream);
        let mut items = Vec::new();
        loop {
            match stream.try_next().await {
                Ok(Some(item)) => items.push(item),
                Ok(None) => return (items, None),
                Err(e) => return (items, Some(e)),
            }
        }
    }

    #[tokio::test]
    async fn a_cursor_that_does_not_move_forward_is_an_error_after_its_items() {
        // The server answers page 0 and then points back to page 0 forever.
        let (items, error) = collect(paginate(walk(100), |cursor| async move {
            Ok((vec![cursor * 10, cursor * 10 + 1], Some(cursor)))
        }))
        .await;
        assert_eq!(items, [0, 1]);
        let error = error.expect("an error, not an endless walk");
        assert!(
            matches!(error, Error::Pagination { page: 1, ref reason, .. } if matches!(**reason, Error::Protocol(_))),
            "{error}"
        );
        assert!(
            error.to_string().contains("does not move forward"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn walks_end_when_the_server_says_so_and_are_bounded() {
        let (items, error) = collect(paginate(walk(100), |cursor| async move {
            Ok((vec![cursor], (cursor < 4).then_some(cursor + 1)))
        }))
        .await;
        assert_eq!((items, error.is_none()), (vec![0, 1, 2, 3, 4], true));
        let (items, error) = collect(paginate(walk(3), |cursor| async move {
            Ok((vec![cursor], Some(cursor + 1)))
        }))
        .await;
        assert_eq!(items, [0, 1, 2]);
        let error = error.unwrap();
        assert!(
            matches!(&error, Error::Pagination { reason, .. } if matches!(**reason, Error::Budget(_))),
            "{error}"
        );
        assert!(
            error.to_string().contains("resume with --page 3"),
            "{error}"
        );
    }

    #[test]
    fn the_quota_belongs_to_whom_the_spec_says() {
        let ids = [("token", "t1".to_owned()), ("account", "a1".to_owned())];
        for api in Api::ALL {
            let per = api.quota().map(|(_, owner)| owner.as_str());
            let key = quota_key(*api, "h:443", &ids);
            match per {
                Some("account") => assert_eq!(key, format!("{api}:h:443:account:a1")),
                Some("token") => assert_eq!(key, format!("{api}:h:443:token:t1")),
                // One quota per server, whichever API of it is called.
                Some("server") => assert_eq!(key, "server:h:443"),
                // No quota documented: the first identity.
                _ => assert_eq!(key, format!("{api}:h:443:token:t1")),
            }
        }
    }

    #[tokio::test]
    async fn a_first_page_error_is_returned_as_is() {
        let (_, error) = collect(paginate(walk(3), |_| async {
            Err::<(Vec<i64>, _), _>(Error::config("X", "bad"))
        }))
        .await;
        assert!(matches!(error, Some(Error::Config { .. })), "{error:?}");
    }
}

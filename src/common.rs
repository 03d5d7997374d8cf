//! What every API client shares: transport settings, validation before sending, pagination.

use crate::error::{Error, Result};
use crate::retry::RetryPolicy;
use crate::spec::{Api, Document, Operation, RateLimit};
use futures::{stream, Stream, StreamExt};
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;
use std::time::Duration;

/// Transport settings every client takes: quota, burst, retry policy, timeout.
///
/// ```
/// use std::time::Duration;
/// use threatbind::Settings;
/// let s = Settings { timeout: Duration::from_secs(10), ..Settings::default() };
/// assert_eq!(s.burst, 1);
/// assert!(s.rate_limit.is_none()); // the spec's x-rate-limit applies
/// ```
#[derive(Clone, Debug)]
pub struct Settings {
    /// Overrides the spec's `x-rate-limit` (accounts with other quotas).
    pub rate_limit: Option<RateLimit>,
    /// Turns client-side limiting off (the server's 429s are still retried).
    pub unlimited: bool,
    /// Requests that may go back to back (see [`crate::ratelimit`]).
    pub burst: u32,
    /// Retries.
    pub retry: RetryPolicy,
    /// Per-request timeout (connect and whole request).
    pub timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            rate_limit: None,
            unlimited: false,
            burst: 1,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
        }
    }
}

impl Settings {
    pub(crate) fn http_client(&self) -> Result<reqwest::Client> {
        reqwest::Client::builder()
            .connect_timeout(self.timeout)
            .timeout(self.timeout)
            .user_agent(concat!("threatbind/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::config("http client", e.to_string()))
    }
}

/// The quota in force: the override, else the first `x-rate-limit` of the API's spec.
pub(crate) fn quota_of(api: Api, settings: &Settings) -> Option<RateLimit> {
    if settings.unlimited {
        return None;
    }
    settings
        .rate_limit
        .or_else(|| api.operations().find_map(|op| op.rate_limit))
}

/// Everything a generated client needs to be built and sent through the shared transport:
/// the HTTP client, the checked base URL, the hooks (credentials) and the runtime (limiter keyed by
/// `limiter_key`, retry policy).
pub(crate) struct Connection {
    pub http: reqwest::Client,
    pub base_url: String,
    pub hooks: crate::transport::Hooks,
    pub runtime: crate::transport::Runtime,
}

pub(crate) fn connect(
    api: Api,
    limiter_key: &str,
    base_url: &str,
    settings: &Settings,
    auth: std::sync::Arc<dyn crate::transport::Authorizer>,
) -> Result<Connection> {
    let base_url = check_url("base_url", base_url)?;
    let http = settings.http_client()?;
    let limiter = quota_of(api, settings)
        .map(|q| crate::RateLimiter::shared(&format!("{api}:{limiter_key}"), q, settings.burst));
    let runtime = crate::transport::Runtime {
        limiter,
        retry: settings.retry.clone(),
        auth: auth.clone(),
    };
    Ok(Connection {
        http,
        base_url,
        hooks: crate::transport::Hooks::new(auth),
        runtime,
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
    Ok(url.trim_end_matches('/').to_owned())
}

/// Validates `value` as the operation's JSON body, then converts it to the generated type.
#[cfg_attr(
    not(any(feature = "log360-cloud", feature = "nameshield-cti")),
    allow(dead_code)
)]
pub(crate) fn validated_body<B: Serialize, T: DeserializeOwned>(
    op: &Operation,
    doc: Document,
    value: &B,
) -> Result<T> {
    let body = serde_json::to_value(value).map_err(|e| Error::Decode(e.to_string()))?;
    let doc = doc.body(body.clone()).into_value();
    op.validate_request(&doc, chrono::Utc::now())
        .map_err(Error::Validation)?;
    serde_json::from_value(body).map_err(|e| {
        Error::Validation(vec![crate::spec::Violation::new(
            "body",
            "type",
            e.to_string(),
        )])
    })
}

/// Validates a query struct (its fields are the operation's query parameters).
#[cfg_attr(
    not(any(feature = "log360-cloud", feature = "nameshield-cti")),
    allow(dead_code)
)]
pub(crate) fn validate_query<Q: Serialize>(op: &Operation, doc: Document, query: &Q) -> Result<()> {
    let value = serde_json::to_value(query).map_err(|e| Error::Decode(e.to_string()))?;
    let doc = doc.query_object(value).into_value();
    op.validate_request(&doc, chrono::Utc::now())
        .map_err(Error::Validation)
}

/// Walks pages: `fetch(cursor)` returns the page's items and the next cursor, if any.
/// An error ends the stream after it is yielded.
#[cfg_attr(
    not(any(feature = "log360-cloud", feature = "nameshield-cti")),
    allow(dead_code)
)]
pub(crate) fn paginate<T, F, Fut>(start: i64, mut fetch: F) -> impl Stream<Item = Result<T>>
where
    F: FnMut(i64) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<i64>)>>,
{
    stream::unfold(Some(start), move |cursor| {
        let page = cursor.map(&mut fetch);
        async move {
            match page?.await {
                Ok((items, next)) => Some((Ok(items), next)),
                Err(e) => Some((Err(e), None)),
            }
        }
    })
    .flat_map(|page| match page {
        Ok(items) => stream::iter(items.into_iter().map(Ok)).left_stream(),
        Err(e) => stream::iter(vec![Err(e)]).right_stream(),
    })
}

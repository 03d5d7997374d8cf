//! Every operation of every spec, served offline from the specs alone (`threatbind mock`).
//!
//! One HTTP/1.1 server on loopback answers each operation under its real path (the path of
//! the spec's first server URL plus the operation's: Log360 Cloud under `/api/v2/...`,
//! Nameshield under `/cti/...`, Datadog under `/api/v2/security/...`). A request is checked
//! as the clients check it before sending — the same [`Operation::request_document`] and
//! [`Operation::validate_request`], so the mock and the client cannot disagree — and for the
//! credentials the spec's `security` asks for. Answers are the spec's examples (or generated
//! from its schemas): errors in each vendor's shape, paginated operations paging a
//! deterministic data set, quotas from `x-rate-limit` with their 429 headers, and optional
//! faults and latency.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use threatbind_mock::{serve, Options};
//! threatbind::install_crypto_provider(); // for the bare reqwest client below
//! let mock = serve("127.0.0.1:0".parse().unwrap(), Options::default()).await.unwrap();
//! let answer = reqwest::Client::new()
//!     .get(format!("{}/cti/v2/events?size=10", mock.base_url()))
//!     .bearer_auth("6f1c3c1e-1111-4000-8000-000000000042")
//!     .send()
//!     .await
//!     .unwrap();
//! assert_eq!(answer.status(), 200);
//! let page: serde_json::Value = answer.json().await.unwrap();
//! assert_eq!(page["data"].as_array().unwrap().len(), 10);
//! assert_eq!(page["total_items"], 237);
//! assert_eq!(mock.stats().requests, 1);
//! mock.shutdown().await;
//! # });
//! ```
//!
//! [`Operation::request_document`]: threatbind::spec::Operation::request_document
//! [`Operation::validate_request`]: threatbind::spec::Operation::validate_request

mod answers;
mod auth;
mod data;
mod faults;
mod memo;
mod paging;
mod plan;
mod quota;
mod routes;
mod select;
mod server;
mod vendor;

pub use routes::{Found, Router};
pub use threatbind::spec::RateLimit;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use threatbind::error::{Error, Result};
use threatbind::spec::{Api, Operation};

/// The largest request body read (1 MiB); a larger one is answered 413.
///
/// ```
/// assert_eq!(threatbind_mock::MAX_BODY_BYTES, 1024 * 1024);
/// ```
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The most items a data set may hold ([`Options::items`], `--items`): a filtered or sorted
/// list is chosen from every item of its data set on each request, so this bounds the work of
/// one request; [`serve`] refuses more rather than answer from a part of the data set.
///
/// ```
/// assert_eq!(threatbind_mock::MAX_ITEMS, 100_000);
/// ```
pub const MAX_ITEMS: usize = 100_000;

/// How the mock behaves beyond the specs.
///
/// ```
/// use std::time::Duration;
/// use threatbind_mock::{Options, RateLimit};
/// let options = Options {
///     rate_limit: Some(RateLimit { requests: 5, period: Duration::from_secs(1) }),
///     fail_rate: 0.1,
///     latency: Duration::from_millis(20),
///     ..Options::default()
/// };
/// assert_eq!(options.seed, 1);
/// assert_eq!(options.items, 237);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Replaces every operation's `x-rate-limit` (and sets one where the spec has none); the
    /// window is still per API and credential. `None`: the specs' quotas.
    pub rate_limit: Option<RateLimit>,
    /// Share of requests (0 to 1) answered 503, drawn from a generator seeded with `seed`.
    pub fail_rate: f64,
    /// Added before every answer.
    pub latency: Duration,
    /// Seeds the data sets and the faults: one seed, one data set and one fault sequence.
    pub seed: u64,
    /// Items in the data set of each paginated operation (at most [`MAX_ITEMS`]).
    pub items: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            rate_limit: None,
            fail_rate: 0.0,
            latency: Duration::ZERO,
            seed: 1,
            items: 237,
        }
    }
}

/// Request counts since the start.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mock = threatbind_mock::serve("127.0.0.1:0".parse().unwrap(), Default::default()).await.unwrap();
/// let stats = mock.stats();
/// assert_eq!(stats.requests, 0);
/// assert!(stats.per_api.values().all(|api| api.rate_limited == 0));
/// # });
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests received, unknown routes included.
    pub requests: u64,
    /// Requests answered 429.
    pub rate_limited: u64,
    /// Requests answered 503 by `fail_rate`.
    pub faults: u64,
    /// The counts of each API's operations.
    pub per_api: BTreeMap<Api, ApiStats>,
}

/// Request counts of one API.
///
/// ```
/// let counts = threatbind_mock::ApiStats::default();
/// assert_eq!(counts.requests, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApiStats {
    /// Requests routed to one of its operations.
    pub requests: u64,
    /// Of which answered 429.
    pub rate_limited: u64,
    /// Of which answered 503 by `fail_rate`.
    pub faults: u64,
}

/// The path an operation is served under: its spec's first server URL's path (variables at
/// their defaults) and the operation's path template.
///
/// ```
/// use threatbind::spec::Api;
/// let op = Api::Log360Cloud.operation("listDetectionRules").unwrap();
/// assert_eq!(threatbind_mock::path_of(op), "/api/v2/detection/rules");
/// let op = Api::DatadogIoc.operation("getIndicatorOfCompromise").unwrap();
/// assert_eq!(threatbind_mock::path_of(op), "/api/v2/security/siem/ioc-explorer/indicator");
/// ```
pub fn path_of(op: &Operation) -> String {
    format!("{}{}", op.api.server_path(), op.path)
}

/// A running mock server. Dropping it stops the server too (without waiting).
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mock = threatbind_mock::serve("127.0.0.1:0".parse().unwrap(), Default::default()).await.unwrap();
/// assert!(mock.base_url().starts_with("http://127.0.0.1:"));
/// assert_ne!(mock.addr().port(), 0);
/// mock.shutdown().await;
/// # });
/// ```
#[derive(Debug)]
pub struct MockHandle {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<server::Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl MockHandle {
    /// `http://ADDRESS:PORT`, with no trailing slash: the base URL of every API (their paths
    /// carry their own prefixes).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let mock = threatbind_mock::serve("127.0.0.1:0".parse().unwrap(), Default::default()).await.unwrap();
    /// assert_eq!(mock.base_url(), format!("http://{}", mock.addr()));
    /// # });
    /// ```
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the server listens on (the port chosen when 0 was asked).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let mock = threatbind_mock::serve("127.0.0.1:0".parse().unwrap(), Default::default()).await.unwrap();
    /// assert!(mock.addr().ip().is_loopback());
    /// # });
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL of an operation on this server.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use threatbind::spec::Api;
    /// let mock = threatbind_mock::serve("127.0.0.1:0".parse().unwrap(), Default::default()).await.unwrap();
    /// let op = Api::NameshieldCti.operation("listThreatEvents").unwrap();
    /// assert_eq!(mock.url(op), format!("{}/cti/v2/events", mock.base_url()));
    /// # });
    /// ```
    pub fn url(&self, op: &Operation) -> String {
        format!("{}{}", self.base_url, path_of(op))
    }

    /// The request counts so far.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// threatbind::install_crypto_provider(); // for the bare reqwest client below
    /// let mock = threatbind_mock::serve("127.0.0.1:0".parse().unwrap(), Default::default()).await.unwrap();
    /// reqwest::get(format!("{}/nowhere", mock.base_url())).await.unwrap();
    /// assert_eq!(mock.stats().requests, 1);
    /// # });
    /// ```
    pub fn stats(&self) -> Stats {
        let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
        let mut stats = Stats {
            requests: load(&self.shared.requests),
            ..Stats::default()
        };
        for (api, counters) in Api::ALL.iter().zip(&self.shared.per_api) {
            let counts = ApiStats {
                requests: load(&counters.requests),
                rate_limited: load(&counters.rate_limited),
                faults: load(&counters.faults),
            };
            stats.rate_limited += counts.rate_limited;
            stats.faults += counts.faults;
            stats.per_api.insert(*api, counts);
        }
        stats
    }

    /// Stops accepting connections and waits for the server to end (open connections get
    /// up to 2 s to finish their request).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// threatbind::install_crypto_provider(); // for the bare reqwest client below
    /// let mock = threatbind_mock::serve("127.0.0.1:0".parse().unwrap(), Default::default()).await.unwrap();
    /// let url = mock.base_url().to_owned();
    /// mock.shutdown().await;
    /// assert!(reqwest::get(url).await.is_err());
    /// # });
    /// ```
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the mock on `addr` (port 0: a free port) and returns once it listens. Every spec
/// is read and every answer prepared here, not per request. Fails with [`Error::Config`] when
/// an option is out of range (`items` above [`MAX_ITEMS`] included), two APIs map to the same
/// route, or the address cannot be bound.
/// Needs a Tokio runtime.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use threatbind_mock::{serve, Options};
/// let bad = Options { fail_rate: 1.5, ..Options::default() };
/// assert!(serve("127.0.0.1:0".parse().unwrap(), bad).await.is_err());
/// let mock = serve("127.0.0.1:0".parse().unwrap(), Options::default()).await.unwrap();
/// // The same port again cannot be bound.
/// assert!(serve(mock.addr(), Options::default()).await.is_err());
/// # });
/// ```
pub async fn serve(addr: SocketAddr, options: Options) -> Result<MockHandle> {
    if !(0.0..=1.0).contains(&options.fail_rate) {
        return Err(Error::config(
            "fail_rate",
            format!("{} is not between 0 and 1", options.fail_rate),
        ));
    }
    if options
        .rate_limit
        .is_some_and(|l| l.requests == 0 || l.period.is_zero())
    {
        return Err(Error::config(
            "rate_limit",
            "needs at least 1 request per a positive period",
        ));
    }
    if options.items > MAX_ITEMS {
        return Err(Error::config(
            "items",
            format!(
                "{} is more than {MAX_ITEMS}, the most items a data set may hold",
                options.items
            ),
        ));
    }
    let (router, plans, sets) = plan::build(&options).map_err(|e| Error::config("specs", e))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Error::config("address", format!("cannot listen on {addr}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::config("address", format!("{addr}: {e}")))?;
    let base_url = format!("http://{addr}");
    let shared = Arc::new(server::Shared {
        router,
        plans,
        sets,
        // One scope per API, and one for the quotas kept per server.
        quota: quota::Quota::new(Api::ALL.len() + 1),
        faults: faults::Faults::new(options.seed, options.fail_rate),
        latency: options.latency,
        started: std::time::Instant::now(),
        memo: Default::default(),
        origin: base_url.clone(),
        requests: Default::default(),
        per_api: Api::ALL.iter().map(|_| Default::default()).collect(),
    });
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(server::run(listener, shared.clone(), stopped));
    Ok(MockHandle {
        addr,
        base_url,
        shared,
        stop: Some(stop),
        task: Some(task),
    })
}

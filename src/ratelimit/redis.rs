//! The Redis quota store: one sliding-window log per quota, a sorted set of slots scored by
//! the Redis server's own clock (`TIME`), so that processes on many machines share one quota
//! whatever their clocks say. Taking a slot and stamping it again are each one atomic Lua
//! script, so no two processes can take the last slot of a window.

use crate::error::{Error, Result};
use crate::spec::RateLimit;
use std::time::Duration;

/// How long connecting, and each script, may take before the store is reported unreachable.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Takes a slot: drops the slots older than the period, then adds ARGV[3] if fewer than
/// ARGV[1] remain; returns -1 when taken, else the microseconds until the oldest slot frees.
const TAKE: &str = r"
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local period = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(period / 1000) + 1000)
  return -1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = tonumber(oldest[2]) + period - now
if wait < 0 then return 0 end
return wait
";

/// Stamps slot ARGV[2] with the server's now (its request completed); the slot frees one
/// period (ARGV[1] microseconds) later.
const RESTAMP: &str = r"
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
return 0
";

/// The scripts, hashed once (they are sent by hash, and loaded when the server lacks them).
static TAKE_SCRIPT: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(TAKE));
static RESTAMP_SCRIPT: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(RESTAMP));

/// The address of a Redis server (`redis://[:PASSWORD@]HOST[:PORT][/DB]`, or `rediss://` for
/// TLS). Its password never shows: `Debug` and `Display` print `***` in its place.
///
/// ```
/// use threatbind::ratelimit::RedisUrl;
/// let url = RedisUrl::new("redis://:hunter2-hunter2@10.0.0.5:6379/0").unwrap();
/// assert_eq!(url.to_string(), "redis://:***@10.0.0.5:6379/0");
/// assert!(!format!("{url:?}").contains("hunter2"));
/// assert!(RedisUrl::new("http://10.0.0.5").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RedisUrl(String);

impl RedisUrl {
    /// Checks the scheme (`redis` or `rediss`) and that the URL names a host.
    pub fn new(url: &str) -> Result<Self> {
        let bad = |why: &str| Error::config("quota store", format!("{why}: {}", shown(url)));
        let parsed = reqwest::Url::parse(url).map_err(|_| bad("not a URL"))?;
        if !matches!(parsed.scheme(), "redis" | "rediss") {
            return Err(bad("not a redis:// or rediss:// URL"));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(bad("names no host"));
        }
        if let Some(password) = parsed.password() {
            // Remembered, so that any error text that quotes it is redacted.
            let _ = crate::Secret::new(password);
        }
        Ok(Self(url.to_owned()))
    }

    /// The URL with its password, for connecting. Never log it.
    fn expose(&self) -> &str {
        &self.0
    }
}

/// `url` with its password (if any) replaced by `***`.
fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(unparsable)".to_owned(),
    }
}

impl std::fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&shown(&self.0))
    }
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedisUrl({self})")
    }
}

/// The log of one quota in a Redis server; connects on first use.
#[derive(Debug)]
pub(super) struct RedisLog {
    pub url: RedisUrl,
    key: String,
    limit: RateLimit,
    connection: tokio::sync::OnceCell<redis::aio::MultiplexedConnection>,
}

impl RedisLog {
    pub fn new(url: &RedisUrl, key: &str, limit: RateLimit) -> Self {
        Self {
            url: url.clone(),
            key: format!("threatbind:quota:{}", super::file_name(key, limit)),
            limit,
            connection: tokio::sync::OnceCell::new(),
        }
    }

    fn problem(&self, e: impl std::fmt::Display) -> Error {
        unusable(&self.url, e)
    }

    async fn connection(&self) -> Result<redis::aio::MultiplexedConnection> {
        self.connection
            .get_or_try_init(|| connect(&self.url))
            .await
            .cloned()
    }

    async fn script(&self, script: &redis::Script, args: &[String]) -> Result<i64> {
        let mut connection = self.connection().await?;
        let mut invocation = script.prepare_invoke();
        invocation.key(&self.key);
        for arg in args {
            invocation.arg(arg);
        }
        match tokio::time::timeout(TIMEOUT, invocation.invoke_async(&mut connection)).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => Err(self.problem(e)),
            Err(_) => Err(self.problem(format!("no answer within {} s", TIMEOUT.as_secs()))),
        }
    }

    fn period_micros(&self) -> String {
        self.limit.period.as_micros().max(1).to_string()
    }

    /// Takes a slot for `id`, or says how long until one frees.
    pub async fn take(&self, id: u64) -> Result<Option<Duration>> {
        let args = [
            self.limit.requests.to_string(),
            self.period_micros(),
            id.to_string(),
        ];
        let answer = self.script(&TAKE_SCRIPT, &args).await?;
        Ok((answer >= 0).then(|| Duration::from_micros(answer as u64)))
    }

    /// Stamps `id`'s slot with the server's now.
    pub async fn restamp(&self, id: u64) -> Result<()> {
        let args = [self.period_micros(), id.to_string()];
        self.script(&RESTAMP_SCRIPT, &args).await.map(|_| ())
    }
}

/// The error of a Redis store that failed: the server (its password as `***`) and why, any
/// secret in the reason redacted.
fn unusable(url: &RedisUrl, why: impl std::fmt::Display) -> Error {
    let why = crate::secret::redact(&why.to_string());
    Error::config(
        "quota store",
        format!("cannot use the Redis server {url}: {why}"),
    )
}

/// Connects and checks the server answers (PING), within [`TIMEOUT`].
pub(super) async fn connect(url: &RedisUrl) -> Result<redis::aio::MultiplexedConnection> {
    let problem = |e: &dyn std::fmt::Display| unusable(url, e);
    let client = redis::Client::open(url.expose()).map_err(|e| problem(&e))?;
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(TIMEOUT))
        .set_response_timeout(Some(TIMEOUT));
    let work = async {
        let mut connection = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| problem(&e))?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map_err(|e| problem(&e))?;
        Ok(connection)
    };
    match tokio::time::timeout(TIMEOUT + TIMEOUT, work).await {
        Ok(result) => result,
        Err(_) => Err(problem(&"no answer in time")),
    }
}

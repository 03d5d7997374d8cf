//! The Redis quota store: one sliding-window log per quota, a sorted set of slots scored by
//! the Redis server's own clock (`TIME`), so that processes on many machines share one quota
//! whatever their clocks say. Taking a slot and stamping it again are each one atomic Lua
//! script, so no two processes can take the last slot of a window.

use super::resp::{Connection, Reply, Target};
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

/// The address of a Redis server, `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]` (no TLS:
/// reach a TLS-only server through a tunnel). Its password never shows: `Debug` and `Display`
/// print `***` in its place.
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
    /// Checks the scheme, the host, the database number and the login.
    pub fn new(url: &str) -> Result<Self> {
        let target = Target::parse(url)
            .map_err(|why| Error::config("quota store", format!("{why}: {}", shown(url))))?;
        if let Some(password) = &target.password {
            // Remembered, so that any error text that quotes it is redacted.
            let _ = crate::Secret::new(password);
        }
        Ok(Self(url.to_owned()))
    }

    /// Where to connect, with the password. Never log it.
    fn target(&self) -> Result<Target> {
        Target::parse(&self.0).map_err(|why| unusable(self, why))
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

/// The log of one quota in a Redis server; connects on first use, and again after a failure.
pub(super) struct RedisLog {
    pub url: RedisUrl,
    key: String,
    limit: RateLimit,
    // One connection, one command at a time: a script is one round trip, far faster than
    // any quota a vendor grants.
    connection: tokio::sync::Mutex<Option<Connection>>,
}

impl std::fmt::Debug for RedisLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLog")
            .field("url", &self.url)
            .field("key", &self.key)
            .finish()
    }
}

impl RedisLog {
    pub fn new(url: &RedisUrl, key: &str, limit: RateLimit) -> Self {
        Self {
            url: url.clone(),
            key: format!("threatbind:quota:{}", super::file_name(key, limit)),
            limit,
            connection: tokio::sync::Mutex::new(None),
        }
    }

    /// Runs `script` (`EVAL`, one key) and gives its integer answer.
    async fn script(&self, script: &str, args: &[String]) -> Result<i64> {
        let mut slot = self.connection.lock().await;
        // Taken out for the exchange and put back only after a good answer: after a failure,
        // whatever was half read goes with it, and the next call reconnects.
        let mut connection = match slot.take() {
            Some(connection) => connection,
            None => connect(&self.url).await?,
        };
        let mut command: Vec<&[u8]> = vec![b"EVAL", script.as_bytes(), b"1", self.key.as_bytes()];
        command.extend(args.iter().map(|a| a.as_bytes()));
        match connection.command(&command, TIMEOUT).await {
            Ok(Reply::Integer(n)) => {
                *slot = Some(connection);
                Ok(n)
            }
            Ok(other) => Err(unusable(
                &self.url,
                format!("the script answered {other:?}"),
            )),
            Err(why) => Err(unusable(&self.url, why)),
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
        let answer = self.script(TAKE, &args).await?;
        Ok((answer >= 0).then(|| Duration::from_micros(answer as u64)))
    }

    /// Stamps `id`'s slot with the server's now.
    pub async fn restamp(&self, id: u64) -> Result<()> {
        let args = [self.period_micros(), id.to_string()];
        self.script(RESTAMP, &args).await.map(|_| ())
    }
}

/// The error of a Redis store that failed: the server (its password as `***`) and why, any
/// secret in the reason redacted.
fn unusable(url: &RedisUrl, why: impl std::fmt::Display) -> Error {
    let why = crate::secret::redact(&why.to_string());
    Error::QuotaStore(format!("cannot use the Redis server {url}: {why}"))
}

/// Connects, logs in and checks the server answers (PING), each step within [`TIMEOUT`].
pub(super) async fn connect(url: &RedisUrl) -> Result<Connection> {
    Connection::open(&url.target()?, TIMEOUT)
        .await
        .map_err(|why| unusable(url, why))
}

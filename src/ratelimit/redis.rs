//! The Redis quota store: one sliding-window log per quota, a sorted set of slots scored by
//! the Redis server's own clock (`TIME`), so that processes on many machines share one quota
//! whatever their clocks say. Taking a slot and stamping it again are each one atomic Lua
//! script, so no two processes can take the last slot of a window.
//!
//! Spoken by the `redis` crate: plain TCP (`redis://`) or TLS through rustls with the `ring`
//! provider (`rediss://`), verified against the system's roots plus an optional CA file.

use crate::error::{Error, Result};
use crate::spec::RateLimit;
use redis::aio::MultiplexedConnection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, OnceLock};
use std::time::Duration;

/// How long connecting (TLS and login included), and each script, may take before the store is
/// reported unreachable.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Takes a slot: drops the slots older than the period, then adds ARGV[3] if fewer than
/// ARGV[1] remain; returns -1 when taken, else the microseconds until the oldest slot frees.
static TAKE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
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
",
    )
});

/// Stamps slot ARGV[2] with the server's now (its request completed); the slot frees one
/// period (ARGV[1] microseconds) later.
static RESTAMP: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
return 0
",
    )
});

/// The address of a Redis server, `redis://` or `rediss://` (TLS)
/// `[[USER]:PASSWORD@]HOST[:PORT][/DB]`, and how it may be reached. Its password never shows:
/// `Debug` and `Display` print `***` in its place.
///
/// A password is never sent in clear text off the machine by default: [`RedisUrl::new`] refuses
/// a `redis://` URL with a password to a host other than loopback (`localhost`, `127.0.0.0/8`,
/// `::1`); use `rediss://`, or accept the risk with [`RedisUrl::new_allowing_cleartext`].
/// A `rediss://` server's certificate is verified against the system's roots, plus those of
/// [`RedisUrl::with_ca_file`].
///
/// ```
/// use threatbind::ratelimit::RedisUrl;
/// let url = RedisUrl::new("rediss://:hunter2-hunter2@cache.example.com:6380/0").unwrap();
/// assert_eq!(url.to_string(), "rediss://:***@cache.example.com:6380/0");
/// assert!(!format!("{url:?}").contains("hunter2"));
/// assert!(url.is_tls());
/// // Without TLS, a password goes to loopback only...
/// assert!(RedisUrl::new("redis://:hunter2-hunter2@127.0.0.1:6379").is_ok());
/// let refused = RedisUrl::new("redis://:hunter2-hunter2@10.0.0.5:6379").unwrap_err();
/// assert!(matches!(refused, threatbind::Error::Config { .. }));
/// assert!(!refused.to_string().contains("hunter2"));
/// // ...unless allowed explicitly.
/// let url = RedisUrl::new_allowing_cleartext("redis://:hunter2-hunter2@10.0.0.5:6379").unwrap();
/// assert!(url.sends_password_in_clear());
/// assert!(RedisUrl::new("http://10.0.0.5").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RedisUrl {
    /// As given, password included: never shown.
    url: String,
    target: Target,
    ca: Option<Arc<CaFile>>,
}

/// A CA file's PEM, read when the URL was made.
#[derive(PartialEq, Eq, Hash)]
struct CaFile {
    path: PathBuf,
    pem: Vec<u8>,
}

impl RedisUrl {
    /// Checks the scheme, the host, the database number and the login, and refuses a password
    /// over plain `redis://` to a host other than loopback (a configuration error, exit code 2;
    /// nothing is sent).
    pub fn new(url: &str) -> Result<Self> {
        let parsed = Self::new_allowing_cleartext(url)?;
        if parsed.sends_password_in_clear() {
            return Err(Error::config(
                "quota store",
                format!(
                    "{parsed} would send its password in clear text to {}, which is not \
                     loopback: use rediss:// (TLS), or accept the risk explicitly \
                     (--allow-insecure-quota-store, RedisUrl::new_allowing_cleartext)",
                    parsed.target.host
                ),
            ));
        }
        Ok(parsed)
    }

    /// Like [`RedisUrl::new`], but a password may travel in clear text over `redis://` to any
    /// host: whoever is on the path can read it. For a network you trust, such as a private
    /// link between two machines.
    ///
    /// ```
    /// use threatbind::ratelimit::RedisUrl;
    /// let url = RedisUrl::new_allowing_cleartext("redis://:pw-pw-pw-pw@cache.internal").unwrap();
    /// assert_eq!(url.host(), "cache.internal");
    /// assert!(url.sends_password_in_clear());
    /// ```
    pub fn new_allowing_cleartext(url: &str) -> Result<Self> {
        let target = Target::parse(url)
            .map_err(|why| Error::config("quota store", format!("{why}: {}", shown(url))))?;
        if let Some(password) = &target.password {
            // Remembered, so that any error text that quotes it is redacted.
            let _ = crate::Secret::new(password);
        }
        Ok(Self {
            url: url.to_owned(),
            target,
            ca: None,
        })
    }

    /// Trusts the certificate authorities of the PEM file `path` besides the system's, for a
    /// `rediss://` server whose certificate a private CA signed. The file is read now: one that
    /// cannot be read or holds no certificate is a configuration error, and so is a CA file
    /// for a `redis://` URL (no TLS to verify).
    ///
    /// ```no_run
    /// use threatbind::{ratelimit::RedisUrl, QuotaStore};
    /// let url = RedisUrl::new("rediss://:pw-pw-pw-pw@redis.internal:6380")?
    ///     .with_ca_file("/etc/ssl/private-ca.pem")?;
    /// let store = QuotaStore::Redis(url);
    /// # Ok::<(), threatbind::Error>(())
    /// ```
    ///
    /// ```
    /// use threatbind::ratelimit::RedisUrl;
    /// let plain = RedisUrl::new("redis://127.0.0.1:6379").unwrap();
    /// assert!(plain.with_ca_file("/etc/ssl/private-ca.pem").is_err());
    /// let tls = RedisUrl::new("rediss://127.0.0.1:6380").unwrap();
    /// let missing = tls.with_ca_file("/no/such/ca.pem").unwrap_err();
    /// assert!(matches!(missing, threatbind::Error::Config { .. }));
    /// ```
    pub fn with_ca_file(mut self, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let shown = path.display();
        let bad = |problem: String| Error::config("quota store CA file", problem);
        if !self.target.tls {
            return Err(bad(format!(
                "{shown} is for a rediss:// (TLS) server, and {self} is plain redis://"
            )));
        }
        let pem = std::fs::read(path).map_err(|e| bad(format!("{shown}: {e}")))?;
        use rustls::pki_types::{pem::PemObject, CertificateDer};
        let certificates = CertificateDer::pem_slice_iter(&pem)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| bad(format!("{shown}: not a PEM file of certificates ({e})")))?;
        if certificates.is_empty() {
            return Err(bad(format!("{shown}: no PEM certificate in it")));
        }
        self.ca = Some(Arc::new(CaFile {
            path: path.to_owned(),
            pem,
        }));
        Ok(self)
    }

    /// The server's host name or address.
    pub fn host(&self) -> &str {
        &self.target.host
    }

    /// Whether the connection is TLS (`rediss://`).
    pub fn is_tls(&self) -> bool {
        self.target.tls
    }

    /// The CA file trusted besides the system's roots, if any.
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca.as_deref().map(|ca| ca.path.as_path())
    }

    /// Whether connecting sends a password in clear text to a host other than loopback
    /// (`redis://` with a password): [`RedisUrl::new`] refuses such a URL.
    pub fn sends_password_in_clear(&self) -> bool {
        self.target.sends_password_in_clear()
    }

    /// The client for this server: the address, the login and the database, and for TLS the
    /// roots to verify the server's certificate against.
    fn client(&self) -> std::result::Result<redis::Client, String> {
        use redis::IntoConnectionInfo;
        let t = &self.target;
        let address = if t.tls {
            redis::ConnectionAddr::TcpTls {
                host: t.host.clone(),
                port: t.port,
                insecure: false,
                tls_params: None,
            }
        } else {
            redis::ConnectionAddr::Tcp(t.host.clone(), t.port)
        };
        let mut login = redis::RedisConnectionInfo::default()
            .set_skip_set_lib_name()
            .set_db(t.database.unwrap_or(0).into());
        if let Some(user) = &t.username {
            login = login.set_username(user);
        }
        if let Some(password) = &t.password {
            login = login.set_password(password);
        }
        let info = address
            .into_connection_info()
            .map_err(|e| e.to_string())?
            .set_redis_settings(login);
        match &self.ca {
            None => redis::Client::open(info).map_err(|e| e.to_string()),
            // redis's root list replaces the system's: give it both.
            Some(ca) => {
                let mut roots = system_roots_pem().to_vec();
                roots.extend_from_slice(b"\n");
                roots.extend_from_slice(&ca.pem);
                let certificates = redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(roots),
                };
                redis::Client::build_with_tls(info, certificates)
                    .map_err(|e| format!("the CA file {}: {e}", ca.path.display()))
            }
        }
    }
}

/// The system's root certificates as PEM, read once per process (those that cannot be read
/// are left out, as for HTTPS).
fn system_roots_pem() -> &'static [u8] {
    static PEM: OnceLock<Vec<u8>> = OnceLock::new();
    PEM.get_or_init(|| {
        use base64::Engine as _;
        let mut pem = String::new();
        for certificate in rustls_native_certs::load_native_certs().certs {
            let text = base64::engine::general_purpose::STANDARD.encode(certificate.as_ref());
            pem.push_str("-----BEGIN CERTIFICATE-----\n");
            for line in text.as_bytes().chunks(64) {
                pem.push_str(std::str::from_utf8(line).unwrap_or_default());
                pem.push('\n');
            }
            pem.push_str("-----END CERTIFICATE-----\n");
        }
        pem.into_bytes()
    })
}

/// Where to connect and how to log in, from a `redis://` or `rediss://` URL.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Target {
    tls: bool,
    host: String,
    port: u16,
    username: Option<String>,
    password: Option<String>,
    database: Option<u32>,
}

impl Target {
    /// Reads `redis[s]://[[USER]:PASSWORD@]HOST[:PORT][/DB]`; the error says what is wrong (it
    /// never quotes the URL, which may hold a password).
    fn parse(url: &str) -> std::result::Result<Self, String> {
        let parsed = reqwest::Url::parse(url).map_err(|_| "not a URL".to_owned())?;
        let tls = match parsed.scheme() {
            "redis" => false,
            "rediss" => true,
            _ => return Err("not a redis:// or rediss:// URL".into()),
        };
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) if d.contains('%') => {
                return Err("names a host that is not ASCII: write it in its xn-- form".into())
            }
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err("names no host".into()),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| "its user or password is not UTF-8 once decoded".to_owned())
        };
        let username = match parsed.username() {
            "" => None,
            u => Some(decode(u)?),
        };
        let password = parsed.password().map(decode).transpose()?;
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err("has a ?query or #fragment, which a Redis URL does not take".into());
        }
        let database = match parsed.path().trim_start_matches('/') {
            "" => None,
            db => Some(
                db.parse()
                    .map_err(|_| "its path is not a database number (/0, /1, ...)".to_owned())?,
            ),
        };
        Ok(Self {
            tls,
            host,
            port: parsed.port().unwrap_or(6379),
            username,
            password,
            database,
        })
    }

    /// `localhost`, `127.0.0.0/8` or `::1`: traffic that never leaves the machine.
    fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    fn sends_password_in_clear(&self) -> bool {
        !self.tls && self.password.is_some() && !self.is_loopback()
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
        f.write_str(&shown(&self.url))
    }
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedisUrl({self}")?;
        if let Some(ca) = self.ca_file() {
            write!(f, ", CA file {}", ca.display())?;
        }
        f.write_str(")")
    }
}

/// The log of one quota in a Redis server; connects on first use, and again after a failure.
pub(super) struct RedisLog {
    pub url: RedisUrl,
    key: String,
    limit: RateLimit,
    // One connection, one script at a time: a script is one round trip, far faster than any
    // quota a vendor grants.
    connection: tokio::sync::Mutex<Option<MultiplexedConnection>>,
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

    /// Runs `script` (one key, `EVALSHA`, loading it once if the server does not have it) and
    /// gives its integer answer, within [`TIMEOUT`].
    async fn script(&self, script: &redis::Script, args: &[String]) -> Result<i64> {
        let mut slot = self.connection.lock().await;
        // Taken out for the exchange and put back only after a good answer: after a failure
        // the connection goes, and the next call reconnects.
        let mut connection = match slot.take() {
            Some(connection) => connection,
            None => connect(&self.url).await?,
        };
        let mut invocation = script.key(&self.key);
        for arg in args {
            invocation.arg(arg);
        }
        match tokio::time::timeout(TIMEOUT, invocation.invoke_async(&mut connection)).await {
            Ok(Ok(n)) => {
                *slot = Some(connection);
                Ok(n)
            }
            Ok(Err(why)) => Err(unusable(&self.url, describe(&why))),
            Err(_) => Err(unusable(&self.url, no_answer())),
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
        let answer = self.script(&TAKE, &args).await?;
        Ok((answer >= 0).then(|| Duration::from_micros(answer as u64)))
    }

    /// Stamps `id`'s slot with the server's now.
    pub async fn restamp(&self, id: u64) -> Result<()> {
        let args = [self.period_micros(), id.to_string()];
        self.script(&RESTAMP, &args).await.map(|_| ())
    }
}

/// The error of a Redis store that failed: the server (its password as `***`) and why, any
/// secret in the reason redacted.
fn unusable(url: &RedisUrl, why: impl std::fmt::Display) -> Error {
    let why = crate::secret::redact(&why.to_string());
    Error::QuotaStore(format!("cannot use the Redis server {url}: {why}"))
}

fn no_answer() -> String {
    format!("no answer within {} s", TIMEOUT.as_secs())
}

/// What went wrong, in words: a refusal by the server says so, a certificate that could not be
/// verified says how to trust it.
fn describe(error: &redis::RedisError) -> String {
    let text = error.to_string();
    match error.kind() {
        // An error answer (`-NOAUTH ...`, `-ERR ...`) or a login refused.
        _ if error.is_timeout() => no_answer(),
        redis::ErrorKind::AuthenticationFailed => format!("the server refused: {text}"),
        _ if error.code().is_some() => format!("the server refused: {text}"),
        _ if text.contains("certificate") => format!(
            "{text} (the server's certificate is not trusted: give its CA with \
             --quota-store-ca-file / RedisUrl::with_ca_file, and check that it names the host)"
        ),
        _ => text,
    }
}

/// Connects (TLS and login included) and checks the server answers `PING`, within [`TIMEOUT`].
pub(super) async fn connect(url: &RedisUrl) -> Result<MultiplexedConnection> {
    // rustls's `ClientConfig::builder()`, which redis calls, needs a process-wide provider.
    crate::tls::install_crypto_provider();
    let client = url.client().map_err(|why| unusable(url, why))?;
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(TIMEOUT))
        .set_response_timeout(Some(TIMEOUT));
    let exchange = async {
        let mut connection = client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        let pong: String = redis::cmd("PING").query_async(&mut connection).await?;
        Ok::<_, redis::RedisError>((connection, pong))
    };
    match tokio::time::timeout(TIMEOUT, exchange).await {
        Ok(Ok((connection, pong))) if pong == "PONG" => Ok(connection),
        Ok(Ok((_, pong))) => Err(unusable(url, format!("PING answered {pong:?}"))),
        Ok(Err(why)) => Err(unusable(url, describe(&why))),
        Err(_) => Err(unusable(url, no_answer())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_login_database_and_tls() {
        let t = Target::parse("redis://user:p%40ss@[::1]:6380/2").unwrap();
        assert_eq!(
            (
                t.tls,
                t.host.as_str(),
                t.port,
                t.username.as_deref(),
                t.password.as_deref(),
                t.database
            ),
            (false, "::1", 6380, Some("user"), Some("p@ss"), Some(2))
        );
        // redis:// is not a special scheme: its host is not put through IDNA.
        let e = Target::parse("redis://cache.bücher.example").err().unwrap();
        assert!(e.contains("xn--"), "{e}");
        let t = Target::parse("redis://:secret@cache.internal").unwrap();
        assert_eq!((t.port, t.username, t.database), (6379, None, None));
        let t = Target::parse("rediss://:secret@cache.internal:6380").unwrap();
        assert!(t.tls && t.port == 6380);
        for bad in ["redis://host/x", "http://host", "redis://", "rediss://"] {
            let e = Target::parse(bad).err().unwrap();
            assert!(!e.contains("secret"), "{e}");
        }
    }

    /// The refusal is decided from the URL alone, before any connection: these hosts are never
    /// contacted.
    #[test]
    fn a_password_in_clear_text_goes_to_loopback_only_unless_allowed() {
        for url in [
            "redis://:pw-7f3a9c@10.1.2.3:6379",
            "redis://user:pw-7f3a9c@cache.example.com",
            "redis://:pw-7f3a9c@[fd00::1]:6379",
            "redis://:pw-7f3a9c@0.0.0.0:6379",
        ] {
            let error = RedisUrl::new(url).unwrap_err();
            let text = error.to_string();
            assert!(matches!(error, Error::Config { .. }), "{text}");
            assert!(
                text.contains("clear text") && text.contains("rediss://"),
                "{text}"
            );
            assert!(!text.contains("pw-7f3a9c"), "{text}");
            let allowed = RedisUrl::new_allowing_cleartext(url).unwrap();
            assert!(allowed.sends_password_in_clear(), "{url}");
        }
        for url in [
            // Loopback: nothing leaves the machine.
            "redis://:pw-7f3a9c@127.0.0.1:6379",
            "redis://:pw-7f3a9c@127.8.9.10:6379",
            "redis://:pw-7f3a9c@localhost:6379",
            "redis://:pw-7f3a9c@[::1]:6379",
            // TLS: the password is encrypted.
            "rediss://:pw-7f3a9c@10.1.2.3:6379",
            // No password: nothing secret to send.
            "redis://10.1.2.3:6379",
        ] {
            let url = RedisUrl::new(url).unwrap();
            assert!(!url.sends_password_in_clear(), "{url}");
        }
    }

    #[test]
    fn a_ca_file_is_read_at_once_and_is_for_tls_only() {
        let dir = std::env::temp_dir().join(format!("threatbind-redis-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let tls = RedisUrl::new("rediss://:pw-7f3a9c@127.0.0.1:6380").unwrap();
        let error = tls.clone().with_ca_file(&empty).unwrap_err().to_string();
        assert!(error.contains("no PEM certificate"), "{error}");
        let error = tls
            .clone()
            .with_ca_file(dir.join("missing.pem"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("missing.pem"), "{error}");
        let plain = RedisUrl::new("redis://127.0.0.1:6379").unwrap();
        let error = plain.with_ca_file(&empty).unwrap_err().to_string();
        assert!(error.contains("rediss://"), "{error}");
        assert!(tls.ca_file().is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_system_roots_are_pem_that_rustls_reads_back() {
        use rustls::pki_types::{pem::PemObject, CertificateDer};
        let pem = system_roots_pem();
        let read = CertificateDer::pem_slice_iter(pem)
            .collect::<std::result::Result<Vec<_>, _>>()
            .unwrap();
        let native = rustls_native_certs::load_native_certs().certs;
        assert_eq!(read, native);
    }
}

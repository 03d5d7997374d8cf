//! Log360 Cloud credentials: a fixed Zoho access token, or a refresh token from which the client
//! obtains the hour-long access token itself, renews it a minute before expiry, and once more
//! after a 401. With a token cache (see [`super::Log360Builder::token_cache`]) the access token
//! outlives the process, so that cron runs do not spend Zoho's limit on token exchanges (the
//! spec's `x-token-limits`).

use crate::error::{Error, Result};
use crate::transport::Authorizer;
use crate::Secret;
use futures::future::BoxFuture;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Reuse a token until this long before it expires.
const EARLY: Duration = Duration::from_secs(60);
/// The names of the variables of Log360 Cloud's credentials and account, from its spec (the
/// OAuth scheme's `x-env` and `x-oauth-env`, the account parameter's `x-env`).
pub(crate) struct Names {
    pub access_token: &'static str,
    pub refresh_token: &'static str,
    pub client_id: &'static str,
    pub client_secret: &'static str,
    pub accounts_url: &'static str,
    pub account_id: &'static str,
    /// The word before the token in `Authorization` (`x-token-prefix`).
    pub scheme: &'static str,
    /// The account's header.
    pub account_header: &'static str,
}

pub(crate) fn names() -> Names {
    let env = crate::spec::Api::Log360Cloud.env();
    let oauth = env.credentials.iter().find(|c| c.oauth);
    let name = |v: Option<&'static crate::spec::model::EnvVar>| v.map_or("", |v| v.name.as_str());
    let o = env.oauth.as_ref();
    let account = env.parameters.first();
    Names {
        access_token: name(oauth.map(|c| &c.variable)),
        refresh_token: name(o.map(|o| &o.refresh_token)),
        client_id: name(o.map(|o| &o.client_id)),
        client_secret: name(o.map(|o| &o.client_secret)),
        accounts_url: name(o.and_then(|o| o.accounts_url.as_ref())),
        account_id: name(account.map(|p| &p.variable)),
        scheme: match oauth.map(|c| &c.carrier) {
            Some(crate::spec::model::Carrier::Authorization { prefix }) => prefix,
            _ => "",
        },
        account_header: account.map_or("", |p| p.name.as_str()),
    }
}
/// Zoho limits the access tokens per refresh token (`x-token-limits`): by default a token younger
/// than this is not thrown away after a 401 (the 401 was for another reason).
pub(crate) const DEFAULT_REFRESH_COOLDOWN: Duration = Duration::from_secs(30);

/// How a Log360 Cloud client authenticates.
///
/// ```
/// use threatbind::log360_cloud::Log360Auth;
/// let auth = Log360Auth::access_token("1000.41d9xxxx");
/// assert_eq!(format!("{auth:?}"), "AccessToken(***)");
/// ```
#[derive(Clone, Debug)]
pub enum Log360Auth {
    /// A Zoho access token, used as is (it expires after an hour).
    AccessToken(Secret),
    /// A Zoho refresh token and the OAuth client it was issued to.
    RefreshToken {
        /// The refresh token.
        refresh_token: Secret,
        /// OAuth client id.
        client_id: String,
        /// OAuth client secret.
        client_secret: Secret,
    },
}

impl Log360Auth {
    /// A fixed access token. A token pasted with its header scheme (`Zoho-oauthtoken 1000.x`)
    /// is accepted; the scheme is sent once.
    ///
    /// ```
    /// use threatbind::log360_cloud::Log360Auth;
    /// let Log360Auth::AccessToken(t) = Log360Auth::access_token("Zoho-oauthtoken 1000.abc") else { panic!() };
    /// assert_eq!(t.expose(), "1000.abc");
    /// ```
    pub fn access_token(token: impl Into<Secret>) -> Self {
        let token = token.into();
        let bare = crate::generic::without_scheme_word(token.expose(), names().scheme);
        Self::AccessToken(Secret::new(bare))
    }

    /// Checks every credential for characters a header cannot carry (CR, LF, NUL, ...), naming
    /// the variable and never showing the value.
    pub(crate) fn check(&self) -> Result<()> {
        use crate::secret::check_header_value as check;
        let n = names();
        match self {
            Self::AccessToken(t) => check(n.access_token, t.expose()),
            Self::RefreshToken {
                refresh_token,
                client_id,
                client_secret,
            } => {
                check(n.refresh_token, refresh_token.expose())?;
                check(n.client_id, client_id)?;
                check(n.client_secret, client_secret.expose())
            }
        }
    }

    /// A refresh token with its OAuth client.
    pub fn refresh_token(
        refresh_token: impl Into<Secret>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        Self::RefreshToken {
            refresh_token: refresh_token.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }
}

#[derive(Debug)]
struct Token {
    value: Secret,
    obtained: Instant,
    expires: Instant,
}

/// An access token as kept in the cache file (mode 0600, never printed).
#[derive(serde::Serialize, serde::Deserialize)]
struct Cached {
    access_token: String,
    /// Unix seconds.
    obtained_at: u64,
    /// Unix seconds.
    expires_at: u64,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The on-disk cache of one refresh token's access token: `<dir>/zoho-<fingerprint>.json`, keyed
/// by the accounts server, the client id and (a fingerprint of) the refresh token, with a lock
/// file so that concurrent runs exchange the refresh token once.
#[derive(Debug)]
struct TokenCache {
    file: PathBuf,
}

impl TokenCache {
    fn new(dir: &Path, token_url: &str, client_id: &str, refresh_token: &Secret) -> Self {
        let key = format!("{token_url}|{client_id}|{:x}", refresh_token.fingerprint());
        let name = format!("zoho-{:016x}.json", crate::secret::fingerprint(&key));
        Self {
            file: dir.join(name),
        }
    }

    fn problem(&self, e: impl std::fmt::Display) -> Error {
        Error::config("token cache", format!("{}: {e}", self.file.display()))
    }

    /// The cached token, if it is readable and still good for `EARLY` more.
    fn read(&self) -> Option<Cached> {
        let text = std::fs::read_to_string(&self.file).ok()?;
        let cached: Cached = serde_json::from_str(&text).ok()?;
        (cached.expires_at > unix_now() + EARLY.as_secs()).then_some(cached)
    }

    fn write(&self, cached: &Cached) -> Result<()> {
        let dir = self.file.parent().unwrap_or(Path::new("."));
        crate::private_fs::dir(dir).map_err(|e| self.problem(e))?;
        let tmp = self
            .file
            .with_extension(format!("tmp{}", std::process::id()));
        let text = serde_json::to_string(cached).map_err(|e| self.problem(e))?;
        crate::private_fs::write(&tmp, text.as_bytes()).map_err(|e| self.problem(e))?;
        std::fs::rename(&tmp, &self.file).map_err(|e| self.problem(e))
    }

    /// Takes the cache's lock (blocking, off the async threads); released when dropped.
    async fn lock(&self) -> Result<std::fs::File> {
        let path = self.file.with_extension("lock");
        let dir = self.file.parent().unwrap_or(Path::new(".")).to_owned();
        let problem =
            |e: std::io::Error| Error::config("token cache", format!("{}: {e}", path.display()));
        let opened = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
                crate::private_fs::dir(&dir)?;
                let file = crate::private_fs::open(&path)?;
                file.lock()?;
                Ok(file)
            })
            .await
        };
        match opened {
            Ok(result) => result.map_err(problem),
            Err(e) => Err(Error::config("token cache", e.to_string())),
        }
    }
}

/// Signs requests with `Authorization: <x-token-prefix> <token>`, refreshing as needed.
#[derive(Debug)]
pub(crate) struct ZohoAuthorizer {
    auth: Log360Auth,
    token_url: String,
    http: reqwest::Client,
    current: Mutex<Option<Token>>,
    refreshing: tokio::sync::Mutex<()>,
    cooldown: Duration,
    cache: Option<TokenCache>,
    /// A token the API refused (401): never taken from the cache again.
    rejected: Mutex<Option<Secret>>,
    /// Zoho's limit on token exchanges per refresh token (the spec's `x-token-limits`), kept
    /// where the account's quota is kept (across processes in the CLI).
    exchanges: Option<Arc<crate::RateLimiter>>,
}

/// The limit on access tokens per refresh token that `api`'s spec states on its OAuth scheme
/// (`x-token-limits.tokens_per_refresh_token`), if any.
pub(crate) fn exchange_limit(api: crate::spec::Api) -> Option<crate::spec::RateLimit> {
    let limit = &api.token_limits()?.tokens_per_refresh_token;
    Some(crate::spec::RateLimit {
        requests: limit.requests,
        period: Duration::from_secs(limit.period_seconds),
    })
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    error: Option<String>,
}

impl ZohoAuthorizer {
    pub(crate) fn new(
        auth: Log360Auth,
        accounts_server: &str,
        http: reqwest::Client,
        cooldown: Duration,
        cache_dir: Option<&Path>,
        exchanges: Option<Arc<crate::RateLimiter>>,
    ) -> Self {
        let token_url = format!("{}/oauth/v2/token", accounts_server.trim_end_matches('/'));
        let cache = match (&auth, cache_dir) {
            (
                Log360Auth::RefreshToken {
                    refresh_token,
                    client_id,
                    ..
                },
                Some(dir),
            ) => Some(TokenCache::new(dir, &token_url, client_id, refresh_token)),
            _ => None,
        };
        Self {
            auth,
            token_url,
            http,
            current: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
            cooldown,
            cache,
            rejected: Mutex::new(None),
            exchanges,
        }
    }

    /// The cache file's path, if there is a cache.
    pub(crate) fn cache_file(&self) -> Option<&Path> {
        self.cache.as_ref().map(|c| c.file.as_path())
    }

    /// Adopts the cached token if it is good and not the one the API refused.
    fn adopt_cached(&self) -> Option<Secret> {
        let cached = self.cache.as_ref()?.read()?;
        let rejected = self.rejected.lock().unwrap_or_else(|e| e.into_inner());
        if rejected.as_ref().map(Secret::expose) == Some(cached.access_token.as_str()) {
            return None;
        }
        drop(rejected);
        let now_unix = unix_now();
        let now = Instant::now();
        let value = Secret::new(cached.access_token);
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(Token {
            value: value.clone(),
            obtained: now
                .checked_sub(Duration::from_secs(
                    now_unix.saturating_sub(cached.obtained_at),
                ))
                .unwrap_or(now),
            expires: now + Duration::from_secs(cached.expires_at.saturating_sub(now_unix)),
        });
        Some(value)
    }

    fn fresh(&self) -> Option<Secret> {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        current
            .as_ref()
            .filter(|t| Instant::now() + EARLY < t.expires)
            .map(|t| t.value.clone())
    }

    async fn token(&self) -> Result<Secret> {
        let (refresh_token, client_id, client_secret) = match &self.auth {
            Log360Auth::AccessToken(token) => return Ok(token.clone()),
            Log360Auth::RefreshToken {
                refresh_token,
                client_id,
                client_secret,
            } => (refresh_token, client_id, client_secret),
        };
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let _one_at_a_time = self.refreshing.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        // One process at a time exchanges the refresh token; the others then find its answer.
        let _cache_lock = match &self.cache {
            Some(cache) => Some(cache.lock().await?),
            None => None,
        };
        if let Some(token) = self.adopt_cached() {
            return Ok(token);
        }
        // Zoho refuses the refresh token for a while once its limit is spent: say so instead.
        let _exchange = match &self.exchanges {
            Some(limiter) => match limiter.try_acquire().await? {
                Ok(permit) => Some(permit),
                Err(wait) => {
                    let limit = limiter.limit();
                    // A budget, not a refusal of the credentials.
                    return Err(Error::Budget(format!(
                        "not refreshing the Zoho access token: Zoho issues at most {} per refresh \
                         token per {} s (x-token-limits) and they are spent; the next in {} s",
                        limit.requests,
                        limit.period.as_secs(),
                        wait.as_secs().max(1)
                    )));
                }
            },
            None => None,
        };
        tracing::info!("POST {} (refreshing the Zoho access token)", self.token_url);
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.expose()),
            ("refresh_token", refresh_token.expose()),
        ];
        let response = self
            .http
            .post(&self.token_url)
            .form(&form)
            .send()
            .await
            // No answer at all (DNS, connection, TLS, time-out): the network failed, not the
            // credentials; a transport error naming its cause.
            .map_err(|e| {
                Error::Transport(format!(
                    "POST {}: the token exchange got no answer: {}",
                    self.token_url,
                    crate::transport::describe(&e.without_url())
                ))
            })?;
        let status = response.status();
        if status.is_redirection() {
            let host = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| response.url().join(l).ok())
                .and_then(|u| u.host_str().map(crate::secret::redact));
            // A redirect like any other (not a refusal of the credentials): not followed.
            return Err(Error::Redirect {
                status: status.as_u16(),
                location: host,
                request: format!("POST {} (the Zoho token exchange)", self.token_url),
            });
        }
        let url = &self.token_url;
        // Only a refusal is `Error::Auth` (the CLI's "credentials refused"): an answer that
        // could not be read is the network's, a 5xx Zoho's own failure, an answer without a
        // token or an error one that breaks the exchange's form.
        let bytes = read_bounded(response, 1 << 20).await.map_err(|e| {
            Error::Transport(format!(
                "POST {url}: the token exchange's answer (HTTP {status}) could not be read: {e}"
            ))
        })?;
        let parsed: Option<TokenAnswer> = serde_json::from_slice(&bytes).ok();
        if status.is_server_error() {
            return Err(Error::Api {
                status: status.as_u16(),
                code: None,
                title: Some("the Zoho token exchange failed".into()),
                detail: parsed
                    .and_then(|a| a.error)
                    .map(|e| crate::secret::redact(&e)),
                request: format!("POST {url}"),
            });
        }
        let answer = parsed.ok_or_else(|| {
            Error::Decode(format!(
                "POST {url}: the token exchange answered HTTP {status} with no JSON token answer"
            ))
        })?;
        let value = match (answer.access_token, answer.error) {
            (Some(token), None) if status.is_success() => {
                crate::secret::check_header_value("the access token Zoho issued", &token)?;
                Secret::new(token)
            }
            (_, Some(error)) => {
                return Err(Error::Auth(crate::secret::redact(&format!(
                    "POST {url}: token refresh failed: HTTP {status}: {error}"
                ))))
            }
            (_, None) if status.is_success() => {
                return Err(Error::Decode(format!(
                    "POST {url}: the token exchange answered HTTP {status} without an access_token"
                )))
            }
            (_, None) => {
                return Err(Error::Auth(format!(
                    "POST {url}: token refresh failed: HTTP {status}"
                )))
            }
        };
        let seconds = match answer.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        // An answer without its lifetime: the one the spec documents (`x-token-limits`).
        .or_else(|| {
            crate::spec::Api::Log360Cloud
                .token_limits()
                .map(|l| l.access_token_lifetime_seconds)
        })
        .unwrap_or(0)
        .min(86_400);
        let now = Instant::now();
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(Token {
            value: value.clone(),
            obtained: now,
            expires: now + Duration::from_secs(seconds),
        });
        if let Some(cache) = &self.cache {
            let now = unix_now();
            let cached = Cached {
                access_token: value.expose().to_owned(),
                obtained_at: now,
                expires_at: now + seconds,
            };
            if let Err(e) = cache.write(&cached) {
                // The token works; only the next run will have to exchange again.
                tracing::warn!("{e}");
            }
        }
        Ok(value)
    }
}

/// Reads at most `limit` bytes of an answer.
async fn read_bounded(
    mut response: reqwest::Response,
    limit: usize,
) -> std::result::Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| e.without_url().to_string())?
    {
        if body.len() + chunk.len() > limit {
            return Err(format!("answer larger than {limit} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl Authorizer for ZohoAuthorizer {
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let token = self.token().await?;
            let mut value = HeaderValue::from_str(&format!(
                "{} {}",
                names().scheme,
                token.expose()
            ))
            .map_err(|_| {
                Error::Decode("the access token has characters a header cannot carry".into())
            })?;
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
            Ok(())
        })
    }

    fn invalidate(&self) -> bool {
        if matches!(self.auth, Log360Auth::AccessToken(_)) {
            return false;
        }
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if current
            .as_ref()
            .is_some_and(|t| t.obtained.elapsed() < self.cooldown)
        {
            return false;
        }
        if let Some(token) = current.take() {
            *self.rejected.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.value);
        }
        true
    }
}

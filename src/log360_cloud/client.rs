//! The Log360 Cloud client: construction, validation before sending, pagination.

use super::auth::{Log360Auth, ZohoAuthorizer, DEFAULT_REFRESH_COOLDOWN};
use super::generated;
use crate::common::{self, Settings};
use crate::error::{Error, Result};
use crate::spec::Api;
use crate::Secret;
use std::sync::Arc;
use std::time::Duration;

const API: Api = Api::Log360Cloud;

/// A Log360 Cloud client for one account. Cheap to clone; clones share the connection pool,
/// the access token and the account's rate limiter (the spec's `x-rate-limit` by default).
///
/// Its requests are the generated builders with the account filled in ([`Prefill`](generated::Prefill)): set what
/// the call is about, send with [`crate::call`] (validated against the spec and its rules,
/// within the quota, signed, retried, the answer checked), or walk every page with
/// [`Self::items`].
///
/// ```no_run
/// # async fn run() -> threatbind::Result<()> {
/// use futures::TryStreamExt;
/// use threatbind::log360_cloud::{threat, generated::types, Log360Client, Prefill};
/// let client = Log360Client::from_env()?.build()?;
/// let answer = threatbind::call(client.search_threat_analytics().body(threat::info("8.8.8.8")).send()).await?;
/// println!("{:?}", answer.data);
/// let rules: Vec<types::DetectionRule> = client
///     .items(client.list_detection_rules().rule_type(types::RuleType::Anomaly).send())
///     .try_collect()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Log360Client {
    inner: generated::Client,
    /// Unset only for calls that take none (`getAccount`, which finds it).
    account_id: Option<String>,
    authorizer: Arc<ZohoAuthorizer>,
}

/// Builds a [`Log360Client`].
///
/// ```
/// use threatbind::log360_cloud::{Log360Client, Log360Auth};
/// let client = Log360Client::builder()
///     .account_id("18XXXXX4")
///     .region("eu").unwrap()
///     .auth(Log360Auth::access_token("1000.xxxx"))
///     .build()
///     .unwrap();
/// assert_eq!(client.base_url(), "https://log360cloud.manageengine.eu/api/v2");
/// ```
#[derive(Clone, Debug)]
pub struct Log360Builder {
    account_id: Option<String>,
    auth: Option<Log360Auth>,
    base_url: String,
    accounts_url: String,
    refresh_cooldown: Duration,
    token_cache: Option<std::path::PathBuf>,
    settings: Settings,
}

impl Default for Log360Builder {
    fn default() -> Self {
        let us = &API.servers()[0];
        Self {
            account_id: None,
            auth: None,
            base_url: us.url.clone(),
            accounts_url: us.accounts_server.clone().unwrap_or_default(),
            refresh_cooldown: DEFAULT_REFRESH_COOLDOWN,
            token_cache: None,
            settings: Settings::default(),
        }
    }
}

impl Log360Builder {
    /// The account id sent in the `account_id` header.
    pub fn account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    /// Credentials.
    pub fn auth(mut self, auth: Log360Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The data centre, one of the spec's `x-region`s (`us`, `eu`, ...). Sets the API host and
    /// the Zoho accounts server.
    pub fn region(mut self, region: &str) -> Result<Self> {
        let variable = crate::generic::server_variable(API);
        let get = |n: &str| (n == variable).then(|| region.to_owned());
        if let (url, Some(server)) = crate::generic::server(API, &get, &[])? {
            self.base_url = url;
            self.accounts_url = server.accounts_server.clone().unwrap_or_default();
        }
        Ok(self)
    }

    /// Replaces the whole server URL (it includes `/api/v2`), e.g. a local mock.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Replaces the Zoho accounts server used to refresh tokens.
    pub fn accounts_url(mut self, url: impl Into<String>) -> Self {
        self.accounts_url = url.into();
        self
    }

    /// After a 401, a refreshed token younger than this is kept (the 401 had another cause):
    /// Zoho limits the access tokens per refresh token (the spec's `x-token-limits`). Default 30 s.
    pub fn refresh_cooldown(mut self, cooldown: Duration) -> Self {
        self.refresh_cooldown = cooldown;
        self
    }

    /// Keeps the access token obtained from a refresh token in `dir` (file mode 0600, keyed by
    /// the accounts server, client id and refresh token), and reuses it across processes until a
    /// minute before it expires: Zoho limits the access tokens per refresh token (the spec's
    /// `x-token-limits`), which a cron job running the CLI every minute would otherwise exhaust. Off by
    /// default in the library; the CLI uses its cache directory.
    ///
    /// ```
    /// use threatbind::log360_cloud::{Log360Client, Log360Auth};
    /// let client = Log360Client::builder()
    ///     .account_id("18XXXXX4")
    ///     .auth(Log360Auth::refresh_token("1000.r", "1000.CLIENT", "secret"))
    ///     .token_cache(std::env::temp_dir().join("threatbind-doc"))
    ///     .build()
    ///     .unwrap();
    /// assert!(client.token_cache_file().unwrap().starts_with(std::env::temp_dir()));
    /// ```
    pub fn token_cache(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.token_cache = Some(dir.into());
        self
    }

    /// Transport settings: quota, retries, timeouts, bounds.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Reads the spec's variables through `get` (see [`Log360Client::from_env`]).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let vars = common::Vars::new(get);
        let n = super::auth::names();
        // Optional here: `getAccount` (whoami) finds it; the calls that need it say so.
        let mut builder = Self {
            account_id: vars.get(n.account_id),
            ..Self::default()
        };
        let (url, server) = crate::generic::server(API, &|name| vars.get(name), &[])?;
        builder.base_url = url;
        if let Some(server) = server {
            builder.accounts_url = server.accounts_server.clone().unwrap_or_default();
        }
        if let Some(url) = vars.url(n.accounts_url)? {
            builder = builder.accounts_url(url);
        }
        let with_refresh = format!(" (needed with {})", n.refresh_token);
        builder.auth = Some(
            match (vars.get(n.access_token), vars.get(n.refresh_token)) {
                (Some(token), _) => Log360Auth::access_token(token),
                (None, Some(refresh)) => Log360Auth::refresh_token(
                    refresh,
                    vars.require(n.client_id, &with_refresh)?,
                    Secret::new(vars.require(n.client_secret, &with_refresh)?),
                ),
                (None, None) => {
                    return Err(Error::config(
                        n.access_token,
                        format!(
                            "not set (or set {}, {}, {})",
                            n.refresh_token, n.client_id, n.client_secret
                        ),
                    ))
                }
            },
        );
        Ok(builder)
    }

    /// The client.
    pub fn build(self) -> Result<Log360Client> {
        let n = super::auth::names();
        let account_id = self.account_id;
        if let Some(id) = &account_id {
            crate::secret::check_header_value(n.account_id, id)?;
        }
        let auth = self
            .auth
            .ok_or_else(|| Error::config(n.access_token, "not set"))?;
        auth.check()?;
        if matches!(auth, Log360Auth::RefreshToken { .. }) {
            common::check_url(n.accounts_url, &self.accounts_url)?;
            common::check_transport(n.accounts_url, &self.accounts_url, self.settings.allow_http)?;
        }
        // Token refreshes use their own plain client: they are not API calls and do not wait on
        // the account's quota.
        let token_http = self.settings.http_client(&self.accounts_url)?;
        let exchanges = match (&auth, super::auth::exchange_limit(API)) {
            (
                Log360Auth::RefreshToken {
                    refresh_token,
                    client_id,
                    ..
                },
                Some(limit),
            ) => {
                let who =
                    crate::secret::fingerprint(&format!("{client_id}|{}", refresh_token.expose()));
                let key = format!("zoho-token:{}:{who:x}", self.accounts_url);
                Some(crate::RateLimiter::shared(
                    &key,
                    limit,
                    &self.settings.quota_store,
                )?)
            }
            _ => None,
        };
        let authorizer = Arc::new(ZohoAuthorizer::new(
            auth,
            &self.accounts_url,
            token_http,
            self.refresh_cooldown,
            self.token_cache.as_deref(),
            exchanges,
        ));
        // The quota is the account's; a client without one (whoami) has a bucket of its own.
        let ids = [(
            "account",
            account_id.clone().unwrap_or_else(|| "(unset)".to_owned()),
        )];
        let c = common::connect(
            API,
            &ids,
            &self.base_url,
            &self.settings,
            authorizer.clone(),
        )?;
        let inner = generated::Client::new_with_client(&c.base_url, c.http, c.hooks);
        Ok(Log360Client {
            inner,
            account_id,
            authorizer,
        })
    }
}

impl Log360Client {
    /// A builder with the US data centre and default settings.
    pub fn builder() -> Log360Builder {
        Log360Builder::default()
    }

    /// A builder from the environment: the account, the data centre or a base URL, and an
    /// access token or a refresh token with its OAuth client, from the variables the spec names
    /// (`threatbind log360 --help` lists them).
    pub fn from_env() -> Result<Log360Builder> {
        crate::generic::check_env_utf8(API)?;
        Log360Builder::from_vars(|name| std::env::var(name).ok())
    }

    crate::raw::client_accessors!("threatbind::log360_cloud::Log360Client", |c| c
        .account_id
        .iter()
        .map(|id| (super::auth::names().account_header.to_owned(), id.clone()))
        .collect());

    /// The account id sent in the account's header, if one was configured.
    ///
    /// ```
    /// use threatbind::log360_cloud::{Log360Auth, Log360Client};
    /// let client = Log360Client::builder().auth(Log360Auth::access_token("t")).build().unwrap();
    /// assert_eq!(client.account_id(), None);
    /// ```
    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    /// Where the access token is cached, if the client has a token cache and a refresh token.
    pub fn token_cache_file(&self) -> Option<&std::path::Path> {
        self.authorizer.cache_file()
    }
}

impl generated::Prefill for Log360Client {
    fn client(&self) -> &generated::Client {
        &self.inner
    }

    fn configured(&self, parameter: &str) -> &str {
        if parameter == super::auth::names().account_header {
            self.account_id.as_deref().unwrap_or("")
        } else {
            ""
        }
    }
}

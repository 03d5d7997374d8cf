//! The Nameshield CTI client.

use super::generated;
use crate::common::{self, Settings};
use crate::error::{Error, Result};
use crate::spec::Api;
use crate::transport::Authorizer;
use crate::Secret;
use futures::future::BoxFuture;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use std::sync::Arc;

const API: Api = Api::NameshieldCti;

/// A Nameshield CTI client for one token. Clones share the token's rate limiter (600 requests
/// per 5 minutes by default).
///
/// Its requests are the generated builders ([`Self::generated`]): send one with
/// [`crate::call`], walk every page with [`Self::items`].
///
/// ```no_run
/// # async fn run() -> threatbind::Result<()> {
/// use futures::TryStreamExt;
/// use threatbind::nameshield_cti::{generated::types, NameshieldClient};
/// let client = NameshieldClient::from_env()?.build()?;
/// let api = client.generated();
/// let event = threatbind::call(api.get_threat_event().id("2fc25065-4766-5fa1-93a3-471f36599f1d").send()).await?;
/// let events: Vec<types::ThreatEvent> = client
///     .items(api.list_threat_events().size(500u64).send())
///     .try_collect()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct NameshieldClient {
    inner: generated::Client,
}

/// Builds a [`NameshieldClient`].
#[derive(Clone, Debug)]
pub struct NameshieldBuilder {
    token: Option<Secret>,
    base_url: String,
    settings: Settings,
}

impl Default for NameshieldBuilder {
    fn default() -> Self {
        Self {
            token: None,
            base_url: API.servers()[0].url.clone(),
            settings: Settings::default(),
        }
    }
}

#[derive(Debug)]
struct Bearer(Secret);

impl Authorizer for Bearer {
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", self.0.expose())).map_err(|_| {
                    Error::config("NAMESHIELD_TOKEN", "has characters a header cannot carry")
                })?;
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
            Ok(())
        })
    }
}

impl NameshieldBuilder {
    /// The bearer token.
    pub fn token(mut self, token: impl Into<Secret>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// `prod` or `ote` (the spec's `x-environment`s).
    pub fn environment(mut self, environment: &str) -> Result<Self> {
        let server = API
            .servers()
            .iter()
            .find(|s| {
                s.environment
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(environment.trim()))
            })
            .ok_or_else(|| {
                let envs: Vec<&str> = API
                    .servers()
                    .iter()
                    .filter_map(|s| s.environment.as_deref())
                    .collect();
                Error::config(
                    "NAMESHIELD_ENV",
                    format!("{environment:?} is not one of {}", envs.join(", ")),
                )
            })?;
        self.base_url = server.url.clone();
        Ok(self)
    }

    /// Replaces the whole server URL.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Transport settings.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Reads `NAMESHIELD_TOKEN`, `NAMESHIELD_ENV` (prod, ote) and `NAMESHIELD_BASE_URL` through `get`.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let vars = common::Vars::new(get);
        let token = vars.require("NAMESHIELD_TOKEN", "")?;
        let token = token.trim();
        let token = match token.get(..7) {
            Some(head) if head.eq_ignore_ascii_case("bearer ") => token[7..].trim_start(),
            _ => token,
        };
        let mut builder = Self::default().token(token);
        if let Some(env) = vars.get("NAMESHIELD_ENV") {
            builder = builder.environment(env.trim())?;
        }
        if let Some(url) = vars.url("NAMESHIELD_BASE_URL")? {
            builder = builder.base_url(url);
        }
        Ok(builder)
    }

    /// The client.
    pub fn build(self) -> Result<NameshieldClient> {
        let token = self
            .token
            .ok_or_else(|| Error::config("NAMESHIELD_TOKEN", "not set"))?;
        crate::secret::check_header_value("NAMESHIELD_TOKEN", token.expose())?;
        let ids = [("token", format!("{:x}", token.fingerprint()))];
        let c = common::connect(
            API,
            &ids,
            &self.base_url,
            &self.settings,
            Arc::new(Bearer(token)),
        )?;
        let inner = generated::Client::new_with_client(&c.base_url, c.http, c.hooks);
        Ok(NameshieldClient {
            inner,
        })
    }
}

impl NameshieldClient {
    /// A builder for production.
    pub fn builder() -> NameshieldBuilder {
        NameshieldBuilder::default()
    }

    /// A builder from `NAMESHIELD_TOKEN`, `NAMESHIELD_ENV`, `NAMESHIELD_BASE_URL`.
    pub fn from_env() -> Result<NameshieldBuilder> {
        common::check_env_utf8("NAMESHIELD_")?;
        NameshieldBuilder::from_vars(|name| std::env::var(name).ok())
    }

    crate::raw::client_accessors!("threatbind::nameshield_cti::NameshieldClient", |_c| Vec::new());
}

//! The Nameshield CTI client: the generated client with the credentials and server its spec
//! names (read by [`crate::generic`]).

use super::generated;
use crate::common::Settings;
use crate::error::Result;
use crate::generic::{self, Values};
use crate::spec::Api;
use crate::Secret;

const API: Api = Api::NameshieldCti;

/// A Nameshield CTI client for one token. Clones share the token's rate limiter (the spec's
/// `x-rate-limit`).
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
#[derive(Clone, Debug, Default)]
pub struct NameshieldBuilder {
    values: Values,
    base_url: Option<String>,
    settings: Settings,
}

impl NameshieldBuilder {
    /// The bearer token.
    pub fn token(mut self, token: impl Into<Secret>) -> Self {
        self.values
            .set(generic::credential_variable(API, "bearerToken"), token);
        self
    }

    /// An environment of the spec's servers (their `x-environment`: `prod`, `ote`).
    pub fn environment(mut self, environment: &str) -> Result<Self> {
        let name = generic::server_variable(API);
        let get = |n: &str| (n == name).then(|| environment.to_owned());
        generic::server(API, &get, &[])?;
        self.values.set_plain(name, environment.trim());
        Ok(self)
    }

    generic::builder_basics!(API);

    /// The client.
    pub fn build(self) -> Result<NameshieldClient> {
        let c = self.values.connect(API, &self.settings, self.base_url)?;
        let inner = generated::Client::new_with_client(&c.base_url, c.http, c.hooks);
        Ok(NameshieldClient { inner })
    }
}

impl NameshieldClient {
    /// A builder for the spec's first server (production).
    pub fn builder() -> NameshieldBuilder {
        NameshieldBuilder::default()
    }

    /// A builder from the environment: the variables the spec names (`threatbind nameshield
    /// --help` lists them).
    pub fn from_env() -> Result<NameshieldBuilder> {
        generic::check_env_utf8(API)?;
        NameshieldBuilder::from_vars(|name| std::env::var(name).ok())
    }

    crate::raw::client_accessors!("threatbind::nameshield_cti::NameshieldClient", |_c| {
        Vec::new()
    });
}

/// Every operation of the generated client, on the client itself:
/// `client.get_threat_event().id(..).call().await`.
impl std::ops::Deref for NameshieldClient {
    type Target = generated::Client;
    fn deref(&self) -> &generated::Client {
        &self.inner
    }
}

//! The Datadog IoC Explorer client.

use super::generated::{self, types};
use crate::common::Settings;
use crate::error::Result;
use crate::generic::{self, Values};
use crate::spec::Api;
use crate::transport::normalise;
use crate::Secret;
use std::collections::BTreeSet;
use std::sync::Arc;

const API: Api = Api::DatadogIoc;

/// A Datadog client for one pair of keys. Beta operations must be enabled first, as in Datadog's
/// own clients.
///
/// ```no_run
/// # async fn run() -> threatbind::Result<()> {
/// use threatbind::datadog_ioc::DatadogClient;
/// let client = DatadogClient::from_env()?.enable_unstable("getIndicatorOfCompromise").build()?;
/// let ioc = client.indicator("8.8.8.8").await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct DatadogClient {
    inner: generated::Client,
    unstable: Arc<BTreeSet<String>>,
}

/// Builds a [`DatadogClient`].
#[derive(Clone, Debug, Default)]
pub struct DatadogBuilder {
    values: Values,
    base_url: Option<String>,
    unstable: BTreeSet<String>,
    settings: Settings,
}

impl DatadogBuilder {
    /// The API key and the application key (the spec's `apiKeyAuth` and `appKeyAuth`).
    pub fn keys(mut self, api_key: impl Into<Secret>, app_key: impl Into<Secret>) -> Self {
        self.values
            .set(generic::credential_variable(API, "apiKeyAuth"), api_key);
        self.values
            .set(generic::credential_variable(API, "appKeyAuth"), app_key);
        self
    }

    /// A Datadog site from the spec's list (`datadoghq.com`, `datadoghq.eu`, `us3.datadoghq.com`, ...).
    pub fn site(mut self, site: &str) -> Result<Self> {
        // The variable of the server variable: its errors name it, as they would from the
        // environment.
        let variable = API
            .env()
            .server_variables
            .first()
            .map_or("", |s| s.variable.name.as_str());
        generic::server(API, &|n| (n == variable).then(|| site.to_owned()), &[])?;
        self.values.set_plain(variable, site.trim());
        Ok(self)
    }

    /// Opts in to a beta operation (`getIndicatorOfCompromise`, or Datadog's
    /// `v2.get_indicator_of_compromise`).
    pub fn enable_unstable(mut self, operation: &str) -> Self {
        self.unstable.insert(normalise(operation));
        self
    }

    generic::builder_basics!(API);

    /// The client.
    pub fn build(self) -> Result<DatadogClient> {
        let mut c = self.values.connect(API, &self.settings, self.base_url)?;
        let unstable = Arc::new(self.unstable);
        c.hooks.unstable = unstable.clone();
        let inner = generated::Client::new_with_client(&c.base_url, c.http, c.hooks);
        Ok(DatadogClient { inner, unstable })
    }
}

impl DatadogClient {
    /// A builder for the spec's default site.
    pub fn builder() -> DatadogBuilder {
        DatadogBuilder::default()
    }

    /// A builder from the environment: the variables the spec names (`threatbind datadog
    /// --help` lists them).
    pub fn from_env() -> Result<DatadogBuilder> {
        generic::check_env_utf8(API)?;
        DatadogBuilder::from_vars(|name| std::env::var(name).ok())
    }

    crate::raw::client_accessors!("threatbind::datadog_ioc::DatadogClient", |_c| Vec::new());

    /// Whether a beta operation was enabled.
    pub fn is_enabled(&self, operation: &str) -> bool {
        self.unstable.contains(&normalise(operation))
    }

    /// Details of one indicator of compromise (`getIndicatorOfCompromise`, beta).
    ///
    /// ```no_run
    /// # async fn run(client: threatbind::datadog_ioc::DatadogClient) -> threatbind::Result<()> {
    /// let answer = client.indicator("8.8.8.8").await?;
    /// let score = answer.data.and_then(|d| d.attributes).and_then(|a| a.data).and_then(|i| i.score);
    /// # Ok(()) }
    /// ```
    pub async fn indicator(&self, indicator: &str) -> Result<types::GetIoCIndicatorResponse> {
        crate::call(
            self.inner
                .get_indicator_of_compromise()
                .indicator(indicator)
                .send(),
        )
        .await
    }
}

/// Every operation of the generated client, on the client itself:
/// `client.get_threat_event().id(..).call().await`.
impl std::ops::Deref for DatadogClient {
    type Target = generated::Client;
    fn deref(&self) -> &generated::Client {
        &self.inner
    }
}

//! The Datadog IoC Explorer client.

use super::generated::{self, types};
use crate::common::{self, Settings};
use crate::error::{Error, Result};
use crate::spec::Api;
use crate::transport::Authorizer;
use crate::Secret;
use futures::future::BoxFuture;
use reqwest::header::HeaderValue;
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
#[derive(Clone, Debug)]
pub struct DatadogBuilder {
    api_key: Option<Secret>,
    app_key: Option<Secret>,
    base_url: String,
    unstable: BTreeSet<String>,
    settings: Settings,
}

fn server_template() -> (&'static str, &'static str, &'static [String]) {
    let server = &API.servers()[0];
    let (default, allowed) = server
        .variables
        .get("site")
        .map(|(d, a)| (d.as_str(), a.as_slice()))
        .unwrap_or(("datadoghq.com", &[]));
    (server.url.as_str(), default, allowed)
}

impl Default for DatadogBuilder {
    fn default() -> Self {
        let (url, default, _) = server_template();
        Self {
            api_key: None,
            app_key: None,
            base_url: url.replace("{site}", default),
            unstable: BTreeSet::new(),
            settings: Settings::default(),
        }
    }
}

use crate::transport::normalise;

impl DatadogBuilder {
    /// The API key (`DD-API-KEY`) and application key (`DD-APPLICATION-KEY`).
    pub fn keys(mut self, api_key: impl Into<Secret>, app_key: impl Into<Secret>) -> Self {
        self.api_key = Some(api_key.into());
        self.app_key = Some(app_key.into());
        self
    }

    /// A Datadog site from the spec's list (`datadoghq.com`, `datadoghq.eu`, `us3.datadoghq.com`, ...).
    pub fn site(mut self, site: &str) -> Result<Self> {
        let (url, _, allowed) = server_template();
        // Matched case-insensitively, like the CLI's enum flags.
        let Some(site) = allowed.iter().find(|s| s.eq_ignore_ascii_case(site.trim())) else {
            return Err(Error::config(
                "DD_SITE",
                format!("{site:?} is not one of {}", allowed.join(", ")),
            ));
        };
        self.base_url = url.replace("{site}", site);
        Ok(self)
    }

    /// Replaces the whole server URL (e.g. a local mock).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Opts in to a beta operation (`getIndicatorOfCompromise`, or Datadog's
    /// `v2.get_indicator_of_compromise`).
    pub fn enable_unstable(mut self, operation: &str) -> Self {
        self.unstable.insert(normalise(operation));
        self
    }

    /// Transport settings.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Reads `DD_API_KEY`, `DD_APP_KEY`, `DD_SITE` (default datadoghq.com) and `DD_BASE_URL`
    /// through `get`.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let vars = common::Vars::new(get);
        let api_key = vars.require("DD_API_KEY", "")?;
        let mut builder = Self::default().keys(api_key, vars.require("DD_APP_KEY", "")?);
        if let Some(site) = vars.get("DD_SITE") {
            builder = builder.site(site.trim())?;
        }
        if let Some(url) = vars.url("DD_BASE_URL")? {
            builder = builder.base_url(url);
        }
        Ok(builder)
    }

    /// The client.
    pub fn build(self) -> Result<DatadogClient> {
        let api_key = self
            .api_key
            .ok_or_else(|| Error::config("DD_API_KEY", "not set"))?;
        let app_key = self
            .app_key
            .ok_or_else(|| Error::config("DD_APP_KEY", "not set"))?;
        crate::secret::check_header_value("DD_API_KEY", api_key.expose())?;
        crate::secret::check_header_value("DD_APP_KEY", app_key.expose())?;
        let ids = [("api-key", format!("{:x}", api_key.fingerprint()))];
        let auth = Arc::new(DatadogKeys { api_key, app_key });
        let mut c = common::connect(API, &ids, &self.base_url, &self.settings, auth)?;
        let unstable = Arc::new(self.unstable);
        c.hooks.unstable = unstable.clone();
        let inner = generated::Client::new_with_client(&c.base_url, c.http, c.hooks);
        Ok(DatadogClient { inner, unstable })
    }
}

#[derive(Debug)]
struct DatadogKeys {
    api_key: Secret,
    app_key: Secret,
}

impl Authorizer for DatadogKeys {
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            for (name, key) in [
                ("dd-api-key", &self.api_key),
                ("dd-application-key", &self.app_key),
            ] {
                let mut value = HeaderValue::from_str(key.expose())
                    .map_err(|_| Error::config(name, "has characters a header cannot carry"))?;
                value.set_sensitive(true);
                request.headers_mut().insert(name, value);
            }
            Ok(())
        })
    }
}

impl DatadogClient {
    /// A builder for the default site, datadoghq.com.
    pub fn builder() -> DatadogBuilder {
        DatadogBuilder::default()
    }

    /// A builder from `DD_API_KEY`, `DD_APP_KEY`, `DD_SITE`, `DD_BASE_URL`.
    pub fn from_env() -> Result<DatadogBuilder> {
        common::check_env_utf8("DD_")?;
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
        crate::call(self.inner.get_indicator_of_compromise().indicator(indicator).send()).await
    }
}

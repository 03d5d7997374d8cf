//! The Nameshield CTI client.

use super::generated::{self, types};
use super::queries::{EventsQuery, SearchV1Query};
use crate::common::{self, Settings};
use crate::error::{Error, Result};
use crate::spec::{Api, Document, Operation};
use crate::transport::Authorizer;
use crate::Secret;
use futures::future::BoxFuture;
use futures::Stream;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use std::sync::Arc;

const API: Api = Api::NameshieldCti;

/// A Nameshield CTI client for one token. Clones share the token's rate limiter (600 requests
/// per 5 minutes by default).
///
/// ```no_run
/// # async fn run() -> threatbind::Result<()> {
/// use futures::TryStreamExt;
/// use threatbind::nameshield_cti::{EventsQuery, NameshieldClient};
/// let client = NameshieldClient::from_env()?.build()?;
/// let events: Vec<_> = client.all_events(EventsQuery::default().sort("date,desc")).try_collect().await?;
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
        let var = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let token =
            var("NAMESHIELD_TOKEN").ok_or_else(|| Error::config("NAMESHIELD_TOKEN", "not set"))?;
        let token = token.trim();
        let token = match token.get(..7) {
            Some(head) if head.eq_ignore_ascii_case("bearer ") => token[7..].trim_start(),
            _ => token,
        };
        let mut builder = Self::default().token(token);
        if let Some(env) = var("NAMESHIELD_ENV") {
            builder = builder.environment(env.trim())?;
        }
        if let Some(url) = var("NAMESHIELD_BASE_URL") {
            builder = builder.base_url(common::check_url("NAMESHIELD_BASE_URL", &url)?);
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

fn op(id: &str) -> &'static Operation {
    API.operation(id)
        .expect("operation is in specs/nameshield-cti.yaml")
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


    /// The token's limiter, shared with every client of the same token.
    pub fn rate_limiter(&self) -> Option<&Arc<crate::RateLimiter>> {
        progenitor_client::ClientInfo::inner(&self.inner).runtime.limiter.as_ref()
    }

    /// One page of threat events (`listThreatEvents`).
    ///
    /// ```no_run
    /// # async fn run(client: threatbind::nameshield_cti::NameshieldClient) -> threatbind::Result<()> {
    /// use threatbind::nameshield_cti::EventsQuery;
    /// let q = EventsQuery::default().sort("date,desc").sort("id,asc").started_at("2024-12-31 15:30:45");
    /// let page = client.events(&q).await?;
    /// println!("{} events, more: {:?}", page.data.len(), page.has_next);
    /// # Ok(()) }
    /// ```
    pub async fn events(&self, query: &EventsQuery) -> Result<types::ThreatEventPage> {
        let doc = Document::new().query_object(common::to_json(query)?);
        self.raw().call(op("listThreatEvents"), doc.into_value()).await
    }

    /// Every threat event matching `query`, page after page until `has_next` is false.
    ///
    /// ```no_run
    /// # async fn run(client: threatbind::nameshield_cti::NameshieldClient) -> threatbind::Result<()> {
    /// use futures::TryStreamExt;
    /// use threatbind::nameshield_cti::EventsQuery;
    /// let events: Vec<_> = client.all_events(EventsQuery { size: Some(500), ..Default::default() }).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn all_events(
        &self,
        query: EventsQuery,
    ) -> impl Stream<Item = Result<types::ThreatEvent>> + '_ {
        let doc = common::to_json(&query).map(|q| Document::new().query_object(q).into_value());
        self.raw().items(op("listThreatEvents"), doc)
    }

    /// One threat event by id (`getThreatEvent`).
    ///
    /// ```no_run
    /// # async fn run(client: threatbind::nameshield_cti::NameshieldClient) -> threatbind::Result<()> {
    /// let event = client.event("2fc25065-4766-5fa1-93a3-471f36599f1d").await?;
    /// println!("{:?}", event.domain);
    /// # Ok(()) }
    /// ```
    pub async fn event(&self, id: &str) -> Result<types::ThreatEvent> {
        let doc = Document::new().path("id", id);
        self.raw().call(op("getThreatEvent"), doc.into_value()).await
    }

    /// One page of the deprecated v1 search (`searchThreatEventsV1`); prefer [`Self::events`].
    ///
    /// ```no_run
    /// # async fn run(client: threatbind::nameshield_cti::NameshieldClient) -> threatbind::Result<()> {
    /// use threatbind::nameshield_cti::{criterion, SearchV1Query};
    /// let q = SearchV1Query { query_parameters: vec![criterion("domain", "ENDS_WITH", ".com")], limit: Some(10), ..Default::default() };
    /// let answer = client.search_v1(&q).await?;
    /// # Ok(()) }
    /// ```
    pub async fn search_v1(&self, query: &SearchV1Query) -> Result<types::SearchResponse> {
        let doc = Document::new().body(common::to_json(query)?);
        self.raw().call(op("searchThreatEventsV1"), doc.into_value()).await
    }

    /// Every result of the deprecated v1 search, walking `offset` by `limit` until `total`.
    ///
    /// ```no_run
    /// # async fn run(client: threatbind::nameshield_cti::NameshieldClient) -> threatbind::Result<()> {
    /// use futures::TryStreamExt;
    /// use threatbind::nameshield_cti::{criterion, SearchV1Query};
    /// let q = SearchV1Query { query_parameters: vec![criterion("domain", "CONTAINS", "exampl")], ..Default::default() };
    /// let events: Vec<_> = client.all_search_v1(q).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn all_search_v1(
        &self,
        query: SearchV1Query,
    ) -> impl Stream<Item = Result<types::ThreatEvent>> + '_ {
        let doc = common::to_json(&query).map(|q| Document::new().body(q).into_value());
        self.raw().items(op("searchThreatEventsV1"), doc)
    }
}

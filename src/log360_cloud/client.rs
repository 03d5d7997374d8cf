//! The Log360 Cloud client: construction, validation before sending, pagination.

use super::auth::{Log360Auth, ZohoAuthorizer, DEFAULT_REFRESH_COOLDOWN};
use super::generated::{self, types};
use super::queries::{
    AnomalyDetailsQuery, DetectionRulesQuery, RecentAnomaliesQuery, RiskProfileQuery, ThreatQuery,
};
use crate::common::{self, Settings};
use crate::error::{Error, Result};
use crate::spec::{Api, Document, Operation};
use crate::Secret;
use futures::Stream;
use std::sync::Arc;
use std::time::Duration;

const API: Api = Api::Log360Cloud;

/// A Log360 Cloud client for one account. Cheap to clone; clones share the connection pool,
/// the access token and the account's rate limiter (50 requests per minute by default).
///
/// ```no_run
/// # async fn run() -> threatbind::Result<()> {
/// use threatbind::log360_cloud::{Log360Client, ThreatQuery};
/// let client = Log360Client::from_env()?.build()?;
/// let answer = client.threat_analytics(&ThreatQuery::info("8.8.8.8")).await?;
/// println!("{answer:?}");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Log360Client {
    inner: generated::Client,
    account_id: String,
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

    /// The data centre: `us`, `eu`, `in`, `au` or `jp` (the spec's `x-region`s). Sets the API host
    /// and the Zoho accounts server.
    pub fn region(mut self, region: &str) -> Result<Self> {
        let regions: Vec<&str> = API
            .servers()
            .iter()
            .filter_map(|s| s.region.as_deref())
            .collect();
        let server = API
            .servers()
            .iter()
            .find(|s| {
                s.region
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(region.trim()))
            })
            .ok_or_else(|| {
                Error::config(
                    "LOG360_REGION",
                    format!("{region:?} is not one of {}", regions.join(", ")),
                )
            })?;
        self.base_url = server.url.clone();
        self.accounts_url = server.accounts_server.clone().unwrap_or_default();
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
    /// Zoho issues at most 10 access tokens per refresh token per 10 minutes. Default 30 s.
    pub fn refresh_cooldown(mut self, cooldown: Duration) -> Self {
        self.refresh_cooldown = cooldown;
        self
    }

    /// Keeps the access token obtained from a refresh token in `dir` (file mode 0600, keyed by
    /// the accounts server, client id and refresh token), and reuses it across processes until a
    /// minute before it expires: Zoho issues at most 10 access tokens per refresh token per 10
    /// minutes, which a cron job running the CLI every minute would otherwise exhaust. Off by
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

    /// Reads `LOG360_*` variables through `get` (see [`Log360Client::from_env`]).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let var = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let account_id = var("LOG360_ACCOUNT_ID")
            .ok_or_else(|| Error::config("LOG360_ACCOUNT_ID", "not set"))?;
        let mut builder = Self::default().account_id(account_id);
        if let Some(region) = var("LOG360_REGION") {
            builder = builder.region(&region)?;
        }
        if let Some(url) = var("LOG360_BASE_URL") {
            builder = builder.base_url(common::check_url("LOG360_BASE_URL", &url)?);
        }
        if let Some(url) = var("LOG360_ACCOUNTS_URL") {
            builder = builder.accounts_url(common::check_url("LOG360_ACCOUNTS_URL", &url)?);
        }
        builder.auth = Some(
            match (var("LOG360_ACCESS_TOKEN"), var("LOG360_REFRESH_TOKEN")) {
                (Some(token), _) => Log360Auth::access_token(token),
                (None, Some(refresh)) => Log360Auth::refresh_token(
                    refresh,
                    var("LOG360_CLIENT_ID").ok_or_else(|| {
                        Error::config(
                            "LOG360_CLIENT_ID",
                            "not set (needed with LOG360_REFRESH_TOKEN)",
                        )
                    })?,
                    Secret::new(var("LOG360_CLIENT_SECRET").ok_or_else(|| {
                        Error::config(
                            "LOG360_CLIENT_SECRET",
                            "not set (needed with LOG360_REFRESH_TOKEN)",
                        )
                    })?),
                ),
                (None, None) => return Err(Error::config(
                    "LOG360_ACCESS_TOKEN",
                    "not set (or set LOG360_REFRESH_TOKEN, LOG360_CLIENT_ID, LOG360_CLIENT_SECRET)",
                )),
            },
        );
        Ok(builder)
    }

    /// The client.
    pub fn build(self) -> Result<Log360Client> {
        let account_id = self
            .account_id
            .ok_or_else(|| Error::config("LOG360_ACCOUNT_ID", "not set"))?;
        crate::secret::check_header_value("LOG360_ACCOUNT_ID", &account_id)?;
        let auth = self
            .auth
            .ok_or_else(|| Error::config("LOG360_ACCESS_TOKEN", "not set"))?;
        auth.check()?;
        if matches!(auth, Log360Auth::RefreshToken { .. }) {
            common::check_url("LOG360_ACCOUNTS_URL", &self.accounts_url)?;
            common::check_transport(
                "LOG360_ACCOUNTS_URL",
                &self.accounts_url,
                self.settings.allow_http,
            )?;
        }
        // Token refreshes use their own plain client: they are not API calls and do not wait on
        // the account's quota.
        let token_http = self.settings.http_client()?;
        let authorizer = Arc::new(ZohoAuthorizer::new(
            auth,
            &self.accounts_url,
            token_http,
            self.refresh_cooldown,
            self.token_cache.as_deref(),
        ));
        let ids = [("account", account_id.clone())];
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

fn op(id: &str) -> &'static Operation {
    API.operation(id)
        .expect("operation is in specs/log360-cloud.yaml")
}

impl Log360Client {
    /// A builder with the US data centre and default settings.
    pub fn builder() -> Log360Builder {
        Log360Builder::default()
    }

    /// A builder from the environment: `LOG360_ACCOUNT_ID`; `LOG360_REGION` (us, eu, in, au, jp)
    /// or `LOG360_BASE_URL`; and `LOG360_ACCESS_TOKEN`, or `LOG360_REFRESH_TOKEN` with
    /// `LOG360_CLIENT_ID` and `LOG360_CLIENT_SECRET` (`LOG360_ACCOUNTS_URL` overrides the Zoho
    /// accounts server).
    pub fn from_env() -> Result<Log360Builder> {
        common::check_env_utf8("LOG360_")?;
        Log360Builder::from_vars(|name| std::env::var(name).ok())
    }

    crate::raw::client_accessors!("threatbind::log360_cloud::Log360Client", |c| vec![(
        "account_id".to_owned(),
        c.account_id.clone()
    )]);


    /// Where the access token is cached, if the client has a token cache and a refresh token.
    pub fn token_cache_file(&self) -> Option<&std::path::Path> {
        self.authorizer.cache_file()
    }

    /// The client's limiter, shared with every client of the same account.
    ///
    /// ```
    /// let client = threatbind::log360_cloud::Log360Client::builder()
    ///     .account_id("18XXXXX4")
    ///     .auth(threatbind::log360_cloud::Log360Auth::access_token("t"))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(client.rate_limiter().unwrap().limit().requests, 50);
    /// ```
    pub fn rate_limiter(&self) -> Option<&Arc<crate::RateLimiter>> {
        progenitor_client::ClientInfo::inner(&self.inner).runtime.limiter.as_ref()
    }

    /// Sends a query operation of this account and decodes its answer.
    async fn query<Q: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        operation: &str,
        query: &Q,
    ) -> Result<T> {
        let doc = self.document().query_object(common::to_json(query)?);
        self.raw().call(op(operation), doc.into_value()).await
    }

    fn document(&self) -> Document {
        Document::new().header("account_id", self.account_id.as_str())
    }

    /// L3C Threat Analytics lookup (`searchThreatAnalytics`).
    ///
    /// ```no_run
    /// # async fn run(client: threatbind::log360_cloud::Log360Client) -> threatbind::Result<()> {
    /// use threatbind::log360_cloud::ThreatQuery;
    /// use threatbind::log360_cloud::generated::types::{ConnectionSection, IndicatorType};
    /// let q = ThreatQuery::connections("8.8.8.8", IndicatorType::Ip, ConnectionSection::HostedUrls, 0, 100, 0);
    /// let answer = client.threat_analytics(&q).await?;
    /// println!("{:?}", answer.data.and_then(|d| d.indicator_type));
    /// # Ok(()) }
    /// ```
    pub async fn threat_analytics(
        &self,
        query: &ThreatQuery,
    ) -> Result<types::ThreatAnalyticsResponse> {
        let doc = self.document().body(common::to_json(query)?);
        self.raw().call(op("searchThreatAnalytics"), doc.into_value()).await
    }

    /// VirusTotal lookup (`searchVirusTotal`); the type of `indicator` is detected by the server.
    ///
    /// ```no_run
    /// # async fn run(client: threatbind::log360_cloud::Log360Client) -> threatbind::Result<()> {
    /// let answer = client.virustotal("https://example.com/download.exe").await?;
    /// let sections = answer.data.map(|d| d.html_info.is_some());
    /// # Ok(()) }
    /// ```
    pub async fn virustotal(&self, indicator: &str) -> Result<types::VirusTotalResponse> {
        let doc = self
            .document()
            .body(serde_json::json!({ "indicator": indicator }));
        self.raw().call(op("searchVirusTotal"), doc.into_value()).await
    }

    /// Anomalies of an entity for one rule (`listEntityRuleAnomalies`), one page.
    ///
    /// ```no_run
    /// # async fn run(client: threatbind::log360_cloud::Log360Client) -> threatbind::Result<()> {
    /// use threatbind::log360_cloud::AnomalyDetailsQuery;
    /// let q = AnomalyDetailsQuery::new("john.doe", "example.com", "1000XXXXXXXXXXX78").limit(200);
    /// let page = client.anomaly_details(&q).await?;
    /// println!("{:?}", page.data.pattern_anomalies.map(|g| g.count));
    /// # Ok(()) }
    /// ```
    pub async fn anomaly_details(
        &self,
        query: &AnomalyDetailsQuery,
    ) -> Result<types::EntityRuleAnomaliesResponse> {
        self.query("listEntityRuleAnomalies", query).await
    }

    /// Risk profile of an entity (`getEntityRiskProfile`).
    ///
    /// ```no_run
    /// # async fn run(client: threatbind::log360_cloud::Log360Client) -> threatbind::Result<()> {
    /// use threatbind::log360_cloud::RiskProfileQuery;
    /// use threatbind::log360_cloud::generated::types::EntityType;
    /// let q = RiskProfileQuery { entity_name: "john.doe".into(), domain_name: "example.com".into(), entity_type: EntityType::User };
    /// println!("risk score {:?}", client.risk_profile(&q).await?.data.risk_score);
    /// # Ok(()) }
    /// ```
    pub async fn risk_profile(
        &self,
        query: &RiskProfileQuery,
    ) -> Result<types::RiskProfileResponse> {
        self.query("getEntityRiskProfile", query).await
    }

    /// Recent anomalies of an entity (`listRecentAnomalies`), one page.
    ///
    /// ```no_run
    /// # async fn run(client: threatbind::log360_cloud::Log360Client) -> threatbind::Result<()> {
    /// use threatbind::log360_cloud::RecentAnomaliesQuery;
    /// let page = client.recent_anomalies(&RecentAnomaliesQuery::new("john.doe", "example.com")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn recent_anomalies(
        &self,
        query: &RecentAnomaliesQuery,
    ) -> Result<types::RecentAnomaliesResponse> {
        self.query("listRecentAnomalies", query).await
    }

    /// Detection rules (`listDetectionRules`), one page.
    ///
    /// ```no_run
    /// # async fn run(client: threatbind::log360_cloud::Log360Client) -> threatbind::Result<()> {
    /// use threatbind::log360_cloud::DetectionRulesQuery;
    /// use threatbind::log360_cloud::generated::types::RuleType;
    /// let q = DetectionRulesQuery { rule_type: Some(RuleType::Anomaly), ..Default::default() };
    /// for rule in client.detection_rules(&q).await?.data {
    ///     println!("{}", rule.rule_id);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn detection_rules(
        &self,
        query: &DetectionRulesQuery,
    ) -> Result<types::DetectionRulesResponse> {
        self.query("listDetectionRules", query).await
    }

    /// Every detection rule matching `query`, page after page (`from`/`limit`, until
    /// `meta.has_more` is false).
    ///
    /// ```no_run
    /// # async fn run(client: threatbind::log360_cloud::Log360Client) -> threatbind::Result<()> {
    /// use futures::TryStreamExt;
    /// use threatbind::log360_cloud::DetectionRulesQuery;
    /// let rules: Vec<_> = client.all_detection_rules(DetectionRulesQuery::default()).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn all_detection_rules(
        &self,
        query: DetectionRulesQuery,
    ) -> impl Stream<Item = Result<types::DetectionRule>> + '_ {
        let doc = common::to_json(&query).map(|q| self.document().query_object(q).into_value());
        self.raw().items(op("listDetectionRules"), doc)
    }

    /// Every page of recent anomalies of an entity (`from`/`limit`, until `meta.has_more` is false).
    ///
    /// ```no_run
    /// # async fn run(client: threatbind::log360_cloud::Log360Client) -> threatbind::Result<()> {
    /// use futures::TryStreamExt;
    /// use threatbind::log360_cloud::RecentAnomaliesQuery;
    /// let pages: Vec<_> = client.recent_anomalies_pages(RecentAnomaliesQuery::new("john.doe", "example.com")).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn recent_anomalies_pages(
        &self,
        query: RecentAnomaliesQuery,
    ) -> impl Stream<Item = Result<types::RecentAnomaliesResponse>> + '_ {
        let doc = common::to_json(&query).map(|q| self.document().query_object(q).into_value());
        self.raw().items(op("listRecentAnomalies"), doc)
    }

    /// Every page of anomaly details of an entity and rule.
    ///
    /// ```no_run
    /// # async fn run(client: threatbind::log360_cloud::Log360Client) -> threatbind::Result<()> {
    /// use futures::TryStreamExt;
    /// use threatbind::log360_cloud::AnomalyDetailsQuery;
    /// let q = AnomalyDetailsQuery::new("john.doe", "example.com", "1000XXXXXXXXXXX78");
    /// let pages: Vec<_> = client.anomaly_details_pages(q).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn anomaly_details_pages(
        &self,
        query: AnomalyDetailsQuery,
    ) -> impl Stream<Item = Result<types::EntityRuleAnomaliesResponse>> + '_ {
        let doc = common::to_json(&query).map(|q| self.document().query_object(q).into_value());
        self.raw().items(op("listEntityRuleAnomalies"), doc)
    }
}

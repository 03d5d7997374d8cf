//! Request values for the Log360 Cloud operations, with constructors for the common cases.
//! They serialise to the documented wire layout; the client validates them against the spec.

use super::generated::types::{
    ConnectionSection, EntityType, IndicatorType, RuleSeverity, RuleType, ThreatAction,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A threat-analytics lookup (`searchThreatAnalytics`). `filter` fields are nested on the wire;
/// `limit` and `from` sit at the top level.
///
/// ```
/// use threatbind::log360_cloud::ThreatQuery;
/// use threatbind::log360_cloud::generated::types::{ConnectionSection, IndicatorType};
/// let q = ThreatQuery::connections("8.8.8.8", IndicatorType::Ip, ConnectionSection::HostedUrls, 0, 25, 0);
/// let body = serde_json::to_value(&q).unwrap();
/// assert_eq!(body["filter"]["section"], "hosted_urls");
/// assert_eq!(body["limit"], 25);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ThreatQuery {
    /// IP address, domain or URL.
    pub indicator: String,
    /// Its type (the server normalises DOMAIN to URL in answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicator_type: Option<IndicatorType>,
    /// The analysis to run.
    pub action: ThreatAction,
    /// Filters for HISTORY and CONNECTIONS.
    #[serde(skip_serializing_if = "ThreatFilter::is_empty")]
    pub filter: ThreatFilter,
    /// Items to return (CONNECTIONS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Offset (CONNECTIONS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
}

/// The nested `filter` object of a [`ThreatQuery`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ThreatFilter {
    /// HISTORY start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// HISTORY end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// CONNECTIONS section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<ConnectionSection>,
    /// CONNECTIONS severity, 0 (malicious) to 4 (trustworthy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<i64>,
}

impl ThreatFilter {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl ThreatQuery {
    /// Any action, no filters.
    pub fn new(indicator: impl Into<String>, action: ThreatAction) -> Self {
        Self {
            indicator: indicator.into(),
            indicator_type: None,
            action,
            filter: ThreatFilter::default(),
            limit: None,
            from: None,
        }
    }

    /// INFO: reputation score, category, key attributes.
    pub fn info(indicator: impl Into<String>) -> Self {
        Self::new(indicator, ThreatAction::Info)
    }

    /// HISTORY between two instants (required for URL and DOMAIN; at most 180 days, start
    /// within the last year).
    pub fn history(indicator: impl Into<String>, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        let mut q = Self::new(indicator, ThreatAction::History);
        q.filter.start_date = Some(rfc3339(start));
        q.filter.end_date = Some(rfc3339(end));
        q
    }

    /// CONNECTIONS of one section, with the four fields the action requires.
    pub fn connections(
        indicator: impl Into<String>,
        indicator_type: IndicatorType,
        section: ConnectionSection,
        severity: i64,
        limit: i64,
        from: i64,
    ) -> Self {
        let mut q = Self::new(indicator, ThreatAction::Connections).indicator_type(indicator_type);
        q.filter.section = Some(section);
        q.filter.severity = Some(severity);
        q.limit = Some(limit);
        q.from = Some(from);
        q
    }

    /// Sets the indicator type.
    pub fn indicator_type(mut self, indicator_type: IndicatorType) -> Self {
        self.indicator_type = Some(indicator_type);
        self
    }
}

/// Query of `listEntityRuleAnomalies` (anomaly details of an entity for one rule).
///
/// ```
/// use threatbind::log360_cloud::AnomalyDetailsQuery;
/// let q = AnomalyDetailsQuery::new("john.doe", "example.com", "1000XXXXXXXXXXX78").limit(100);
/// assert_eq!(q.limit, Some(100));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnomalyDetailsQuery {
    /// Entity (user) name, at most 100 characters.
    pub entity_name: String,
    /// Its domain, at most 100 characters.
    pub domain_name: String,
    /// Anomaly rule id (see `detection_rules` with `rule_type=anomaly`).
    pub rule_id: String,
    /// Range start.
    pub start_time: Option<DateTime<Utc>>,
    /// Range end.
    pub end_time: Option<DateTime<Utc>>,
    /// 1-based start index (default 1, at most 1000).
    pub from: Option<i64>,
    /// Page size (default 50, at most 1000).
    pub limit: Option<i64>,
}

impl AnomalyDetailsQuery {
    /// The three required parameters.
    pub fn new(
        entity_name: impl Into<String>,
        domain_name: impl Into<String>,
        rule_id: impl Into<String>,
    ) -> Self {
        Self {
            entity_name: entity_name.into(),
            domain_name: domain_name.into(),
            rule_id: rule_id.into(),
            start_time: None,
            end_time: None,
            from: None,
            limit: None,
        }
    }

    /// Sets the time range.
    pub fn between(mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        self.start_time = Some(start);
        self.end_time = Some(end);
        self
    }

    /// Sets the page size.
    pub fn limit(mut self, limit: i64) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// Query of `listRecentAnomalies`.
///
/// ```
/// use threatbind::log360_cloud::RecentAnomaliesQuery;
/// let q = RecentAnomaliesQuery::new("john.doe", "example.com");
/// assert_eq!(q.from, None);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecentAnomaliesQuery {
    /// Entity (user) name, at most 100 characters.
    pub entity_name: String,
    /// Its domain, at most 100 characters.
    pub domain_name: String,
    /// Range start.
    pub start_time: Option<DateTime<Utc>>,
    /// Range end.
    pub end_time: Option<DateTime<Utc>>,
    /// 1-based start index (default 1, at most 1000).
    pub from: Option<i64>,
    /// Page size (default 50, at most 1000).
    pub limit: Option<i64>,
}

impl RecentAnomaliesQuery {
    /// The two required parameters.
    pub fn new(entity_name: impl Into<String>, domain_name: impl Into<String>) -> Self {
        Self {
            entity_name: entity_name.into(),
            domain_name: domain_name.into(),
            start_time: None,
            end_time: None,
            from: None,
            limit: None,
        }
    }
}

/// Query of `getEntityRiskProfile`.
///
/// ```
/// use threatbind::log360_cloud::RiskProfileQuery;
/// use threatbind::log360_cloud::generated::types::EntityType;
/// let q = RiskProfileQuery { entity_name: "john.doe".into(), domain_name: "example.com".into(), entity_type: EntityType::User };
/// assert_eq!(serde_json::to_value(&q).unwrap()["entity_type"], "user");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RiskProfileQuery {
    /// Entity name, at most 100 characters.
    pub entity_name: String,
    /// Its domain, at most 100 characters.
    pub domain_name: String,
    /// `user` or `device`.
    pub entity_type: EntityType,
}

/// Query of `listDetectionRules`.
///
/// ```
/// use threatbind::log360_cloud::DetectionRulesQuery;
/// use threatbind::log360_cloud::generated::types::RuleType;
/// let q = DetectionRulesQuery { rule_type: Some(RuleType::Anomaly), ..Default::default() };
/// assert_eq!(serde_json::to_value(&q).unwrap()["rule_type"], "anomaly");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DetectionRulesQuery {
    /// 1-based start index (default 1, at most 10000).
    pub from: Option<i64>,
    /// Page size (default 10, at most 100).
    pub limit: Option<i64>,
    /// Rule status.
    pub status: Option<String>,
    /// Severity.
    pub severity: Option<RuleSeverity>,
    /// Execution type.
    pub execution_type: Option<String>,
    /// `standard`, `anomaly` or `advanced`.
    pub rule_type: Option<RuleType>,
    /// Rule source.
    pub source: Option<String>,
    /// Complexity.
    pub complexity: Option<String>,
    /// Deprecated rules only (or none).
    pub is_deprecated: Option<bool>,
    /// New rules only (or none).
    pub is_new: Option<bool>,
}

//! Request values for the Nameshield CTI operations.

use super::generated::types::{CriticalityFilter, SearchCriteria};
use serde::Serialize;

/// Query of `listThreatEvents` (v2). Serialises with the wire names (`customerId`, `startedAt`).
///
/// ```
/// use threatbind::nameshield_cti::EventsQuery;
/// let q = EventsQuery::default().sort("date,desc").sort("id,asc").started_at("2024-12-31 15:30:45");
/// let wire = serde_json::to_value(&q).unwrap();
/// assert_eq!(wire["sort"], serde_json::json!(["date,desc", "id,asc"]));
/// assert_eq!(wire["startedAt"], "2024-12-31 15:30:45");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsQuery {
    /// Events per page (default 100, at most 500).
    pub size: Option<i64>,
    /// Page, 0-based (default 0).
    pub page: Option<i64>,
    /// Customer whose events to list (default: the token's).
    pub customer_id: Option<i64>,
    /// Sort keys in order, each `attribute[,attribute...][,asc|desc]` (default `date,asc`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sort: Vec<String>,
    /// Only events of this criticality.
    pub criticality: Option<CriticalityFilter>,
    /// Only events whose domain contains this.
    pub domain: Option<String>,
    /// Emitted after, `yyyy-MM-dd HH:mm:ss` UTC.
    pub started_at: Option<String>,
    /// Emitted before, `yyyy-MM-dd HH:mm:ss` UTC.
    pub ended_at: Option<String>,
}

impl EventsQuery {
    /// Adds a sort key (`date,desc`); keys apply in the order added.
    pub fn sort(mut self, key: impl Into<String>) -> Self {
        self.sort.push(key.into());
        self
    }

    /// Events emitted after `yyyy-MM-dd HH:mm:ss` (UTC).
    pub fn started_at(mut self, at: impl Into<String>) -> Self {
        self.started_at = Some(at.into());
        self
    }

    /// Events emitted before `yyyy-MM-dd HH:mm:ss` (UTC).
    pub fn ended_at(mut self, at: impl Into<String>) -> Self {
        self.ended_at = Some(at.into());
        self
    }

    /// Only events of this criticality.
    pub fn criticality(mut self, criticality: CriticalityFilter) -> Self {
        self.criticality = Some(criticality);
        self
    }
}

/// Body of the deprecated `searchThreatEventsV1`.
///
/// ```
/// use threatbind::nameshield_cti::{criterion, SearchV1Query};
/// let q = SearchV1Query { query_parameters: vec![criterion("domain", "ENDS_WITH", ".com")], limit: Some(10), ..Default::default() };
/// assert_eq!(serde_json::to_value(&q).unwrap()["query_parameters"][0]["operator"], "ENDS_WITH");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SearchV1Query {
    /// Search criteria.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub query_parameters: Vec<SearchCriteria>,
    /// Events to return (default 100, at most 500).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Offset (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    /// Customer whose events to search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<i64>,
    /// Only events of this criticality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criticality: Option<CriticalityFilter>,
    /// Include subsidiaries' events (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_customer_children_events: Option<bool>,
    /// Emitted after, `yyyy-MM-dd HH:mm:ss` UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// Emitted before, `yyyy-MM-dd HH:mm:ss` UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
}

/// One v1 search criterion: `name`, `operator` (EQUALS, CONTAINS, ENDS_WITH, IN, GREATER_THAN, ...),
/// `value`.
pub fn criterion(name: &str, operator: &str, value: &str) -> SearchCriteria {
    SearchCriteria {
        name: Some(name.to_owned()),
        operator: Some(operator.to_owned()),
        value: Some(value.to_owned()),
        ..Default::default()
    }
}

//! Threat-analytics request bodies that follow each action's rules (`x-rules` of
//! `searchThreatAnalytics`): the fields an action needs are its arguments. Every other field is
//! set on the returned builder, whose fields are the spec's.

use super::generated::types::{self, builder, ConnectionSection, IndicatorType, ThreatAction};
use chrono::{DateTime, Utc};
use std::num::NonZeroU32;

/// INFO: reputation score, category, key attributes.
///
/// ```
/// use threatbind::log360_cloud::{generated::types::ThreatAnalyticsRequest, threat};
/// let body = ThreatAnalyticsRequest::try_from(threat::info("8.8.8.8")).unwrap();
/// assert_eq!(serde_json::to_value(&body).unwrap()["action"], "INFO");
/// ```
pub fn info(indicator: &str) -> builder::ThreatAnalyticsRequest {
    types::ThreatAnalyticsRequest::builder()
        .indicator(indicator)
        .action(ThreatAction::Info)
}

/// HISTORY between two instants (the spec's rules: required for URL and DOMAIN, at most 180
/// days, start within the last year).
///
/// ```
/// use threatbind::log360_cloud::{generated::types::ThreatAnalyticsRequest, threat};
/// let end = chrono::Utc::now();
/// let body = ThreatAnalyticsRequest::try_from(threat::history("example.com", end - chrono::Duration::days(7), end)).unwrap();
/// assert!(body.filter.unwrap().start_date.is_some());
/// ```
pub fn history(
    indicator: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> builder::ThreatAnalyticsRequest {
    let filter = types::ThreatFilter {
        start_date: Some(start),
        end_date: Some(end),
        ..Default::default()
    };
    filtered(indicator, ThreatAction::History, filter)
}

fn filtered(
    indicator: &str,
    action: ThreatAction,
    filter: types::ThreatFilter,
) -> builder::ThreatAnalyticsRequest {
    types::ThreatAnalyticsRequest::builder()
        .indicator(indicator)
        .action(action)
        .filter(Some(filter))
}

/// CONNECTIONS of one section, with the four fields the action requires.
///
/// ```
/// use std::num::NonZeroU32;
/// use threatbind::log360_cloud::{threat, generated::types::{ConnectionSection, IndicatorType, ThreatAnalyticsRequest}};
/// let limit = NonZeroU32::new(25).unwrap();
/// let body = threat::connections("8.8.8.8", IndicatorType::Ip, ConnectionSection::HostedUrls, 0, limit, 0);
/// let wire = serde_json::to_value(ThreatAnalyticsRequest::try_from(body).unwrap()).unwrap();
/// assert_eq!(wire["filter"]["section"], "hosted_urls");
/// assert_eq!(wire["limit"], 25);
/// ```
pub fn connections(
    indicator: &str,
    indicator_type: IndicatorType,
    section: ConnectionSection,
    severity: i32,
    limit: NonZeroU32,
    from: i32,
) -> builder::ThreatAnalyticsRequest {
    let filter = types::ThreatFilter {
        section: Some(section),
        severity: Some(severity),
        ..Default::default()
    };
    filtered(indicator, ThreatAction::Connections, filter)
        .indicator_type(Some(indicator_type))
        .limit(Some(limit))
        .from(Some(from))
}

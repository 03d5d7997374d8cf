//! The Log360 Cloud client against a local mock server: exact requests, typed answers, errors,
//! validation before sending, token refresh, rate limiting, pagination, tolerant reading.

#![cfg(feature = "log360-cloud")]
mod common;

use common::{error_fixtures, fast_settings, fixture, vars};
use futures::TryStreamExt;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use threatbind::log360_cloud::generated::open_enums::AnomalyType;
use threatbind::log360_cloud::generated::types::{
    ConnectionSection, EntityType, IndicatorType, RuleType, ThreatAction,
};
use threatbind::log360_cloud::*;
use threatbind::spec::RateLimit;
use threatbind::{Error, Settings};
use wiremock::matchers::{
    body_json, body_string_contains, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TOKEN: &str = "1000.secret-access-token";

fn client(server: &MockServer) -> Log360Client {
    Log360Client::builder()
        .account_id("18XXXXX4")
        .base_url(format!("{}/api/v2", server.uri()))
        .auth(Log360Auth::access_token(TOKEN))
        .settings(fast_settings())
        .build()
        .unwrap()
}

#[tokio::test]
async fn threat_analytics_sends_the_documented_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/threat/search/advanced-threat-analytics"))
        .and(header("account_id", "18XXXXX4"))
        .and(header("authorization", format!("Zoho-oauthtoken {TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "indicator": "8.8.8.8", "indicator_type": "IP", "action": "CONNECTIONS",
            "filter": {"section": "hosted_urls", "severity": 0}, "limit": 25, "from": 0
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"indicator": "8.8.8.8", "indicator_type": "IP", "connections": [1, 2]}})))
        .expect(1)
        .mount(&server)
        .await;
    let q = ThreatQuery::connections(
        "8.8.8.8",
        IndicatorType::Ip,
        ConnectionSection::HostedUrls,
        0,
        25,
        0,
    );
    let answer = client(&server).threat_analytics(&q).await.unwrap();
    let data = answer.data.unwrap();
    assert_eq!(data.indicator_type.unwrap().as_str(), "IP");
    assert_eq!(
        data.extra["connections"],
        json!([1, 2]),
        "undocumented fields are kept"
    );
}

#[tokio::test]
async fn domain_answers_come_back_as_url_and_unknown_values_are_kept() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v2/threat/search/advanced-threat-analytics"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture(
            "log360-cloud",
            "searchThreatAnalytics",
            "response.200.domain-normalized.json",
        )))
        .mount(&server)
        .await;
    let q = ThreatQuery::info("example.com").indicator_type(IndicatorType::Domain);
    let answer = client(&server).threat_analytics(&q).await.unwrap();
    assert_eq!(answer.data.unwrap().indicator_type.unwrap().as_str(), "URL");

    Mock::given(path("/api/v2/entities/risk-profile"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                fixture(
                    "log360-cloud",
                    "getEntityRiskProfile",
                    "invalid-response.200.future-anomaly-type.json",
                )["document"]
                    .clone(),
            ),
        )
        .mount(&server)
        .await;
    let q = RiskProfileQuery {
        entity_name: "l3cuser1_1".into(),
        domain_name: "example.com".into(),
        entity_type: EntityType::User,
    };
    let profile = client(&server).risk_profile(&q).await.unwrap();
    let deviation = &profile.data.behavioral_baseline_deviations[0];
    assert_eq!(
        deviation.anomaly_type,
        Some(AnomalyType::Other("geo".into()))
    );
}

#[tokio::test]
async fn virustotal_and_ueba_requests_match_the_docs() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/threat/search/virustotal"))
        .and(body_json(json!({"indicator": "https://example.com/x"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture(
            "log360-cloud",
            "searchVirusTotal",
            "response.200.url-partial.json",
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/entities/anomaly-details"))
        .and(query_param("entity_name", "john.doe"))
        .and(query_param("domain_name", "example.com"))
        .and(query_param("rule_id", "1000XXXXXXXXXXX78"))
        .and(query_param("start_time", "2026-04-01T00:00:00Z"))
        .and(query_param("limit", "200"))
        .and(query_param_is_missing("from"))
        .and(header("account_id", "18XXXXX4"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture(
            "log360-cloud",
            "listEntityRuleAnomalies",
            "response.200.doc-example.json",
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/entities/risk-profile"))
        .and(query_param("entity_type", "device"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture(
            "log360-cloud",
            "getEntityRiskProfile",
            "response.200.doc-example.json",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let vt = c.virustotal("https://example.com/x").await.unwrap();
    assert!(vt.data.unwrap().html_info.is_some());
    let start = "2026-04-01T00:00:00Z".parse().unwrap();
    let end = "2026-04-09T00:00:00Z".parse().unwrap();
    let details = c
        .anomaly_details(
            &AnomalyDetailsQuery::new("john.doe", "example.com", "1000XXXXXXXXXXX78")
                .between(start, end)
                .limit(200),
        )
        .await
        .unwrap();
    let anomalies = details.data.pattern_anomalies.unwrap().anomalies;
    assert_eq!(anomalies[0].score, Some(0.948));
    let q = RiskProfileQuery {
        entity_name: "WS-1".into(),
        domain_name: "example.com".into(),
        entity_type: EntityType::Device,
    };
    assert_eq!(
        c.risk_profile(&q).await.unwrap().data.risk_score,
        Some(100.0)
    );
}

#[tokio::test]
async fn every_documented_error_body_becomes_a_typed_api_error() {
    let mut checked = 0;
    for op in [
        "listEntityRuleAnomalies",
        "getEntityRiskProfile",
        "listRecentAnomalies",
    ] {
        for (status, body, name) in error_fixtures("log360-cloud", op) {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .respond_with(ResponseTemplate::new(status).set_body_json(&body))
                .mount(&server)
                .await;
            let c = Log360Client::builder()
                .account_id("1")
                .base_url(server.uri())
                .auth(Log360Auth::access_token(TOKEN))
                .settings(Settings {
                    retry: threatbind::RetryPolicy::none(),
                    ..fast_settings()
                })
                .build()
                .unwrap();
            let result = match op {
                "listEntityRuleAnomalies" => c
                    .anomaly_details(&AnomalyDetailsQuery::new("a", "b", "c"))
                    .await
                    .map(drop),
                "getEntityRiskProfile" => c
                    .risk_profile(&RiskProfileQuery {
                        entity_name: "a".into(),
                        domain_name: "b".into(),
                        entity_type: EntityType::User,
                    })
                    .await
                    .map(drop),
                _ => c
                    .recent_anomalies(&RecentAnomaliesQuery::new("a", "b"))
                    .await
                    .map(drop),
            };
            let err = result.unwrap_err();
            let expected_code = body["error"]["code"].as_str().unwrap().to_owned();
            let expected_detail = body["error"]["detail"].as_str().unwrap().to_owned();
            match &err {
                Error::Api {
                    status: s,
                    code,
                    detail,
                    ..
                } => {
                    assert_eq!(
                        (*s, code.as_deref(), detail.as_deref()),
                        (
                            status,
                            Some(expected_code.as_str()),
                            Some(expected_detail.as_str())
                        ),
                        "{op}/{name}"
                    );
                }
                Error::RetriesExhausted { last, .. } => assert!(
                    matches!(**last, Error::Api { status: 500, .. }),
                    "{op}/{name}: {err}"
                ),
                other => panic!("{op}/{name}: {other}"),
            }
            assert!(err.to_string().contains(&expected_code), "{err}");
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked}");
}

/// Each case breaks one documented rule; the client must refuse it and send nothing.
#[tokio::test]
async fn every_documented_constraint_is_enforced_before_sending() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let c = client(&server);
    let now = chrono::Utc::now();
    let days = chrono::Duration::days;
    let conn = |section| ThreatQuery::connections("8.8.8.8", IndicatorType::Ip, section, 0, 10, 0);
    let mut cases: Vec<(&str, &str, ThreatQuery)> = vec![
        (
            "indicator",
            "maxLength",
            ThreatQuery::info("a".repeat(2049)),
        ),
        ("indicator", "minLength", ThreatQuery::info("")),
        ("filter.section", "x-rules:connections-required-fields", {
            let mut q = conn(ConnectionSection::Asn);
            q.filter.section = None;
            q
        }),
        ("filter.severity", "x-rules:connections-required-fields", {
            let mut q = conn(ConnectionSection::Asn);
            q.filter.severity = None;
            q
        }),
        ("limit", "x-rules:connections-required-fields", {
            let mut q = conn(ConnectionSection::Asn);
            q.limit = None;
            q
        }),
        ("from", "x-rules:connections-required-fields", {
            let mut q = conn(ConnectionSection::Asn);
            q.from = None;
            q
        }),
        ("filter.severity", "maximum", {
            let mut q = conn(ConnectionSection::Asn);
            q.filter.severity = Some(5);
            q
        }),
        ("filter.severity", "minimum", {
            let mut q = conn(ConnectionSection::Asn);
            q.filter.severity = Some(-1);
            q
        }),
        ("limit", "maximum", {
            let mut q = conn(ConnectionSection::Asn);
            q.limit = Some(101);
            q
        }),
        ("limit", "minimum", {
            let mut q = conn(ConnectionSection::Asn);
            q.limit = Some(0);
            q
        }),
        ("from", "maximum", {
            let mut q = conn(ConnectionSection::Asn);
            q.from = Some(1001);
            q
        }),
        (
            "filter.section",
            "x-rules:section-for-ip",
            conn(ConnectionSection::SubDomains),
        ),
        (
            "filter.section",
            "x-rules:section-for-url-domain",
            ThreatQuery::connections(
                "example.com",
                IndicatorType::Domain,
                ConnectionSection::Asn,
                0,
                10,
                0,
            ),
        ),
        ("filter.section", "x-rules:section-not-file-only", {
            let mut q = conn(ConnectionSection::OutboundUrls);
            q.indicator_type = None;
            q
        }),
        (
            "filter.start_date",
            "x-rules:history-dates-required",
            ThreatQuery::new("https://example.com", ThreatAction::History)
                .indicator_type(IndicatorType::Url),
        ),
        (
            "filter.start_date",
            "x-rules:start-date-within-a-year",
            ThreatQuery::history("https://example.com", now - days(370), now - days(300))
                .indicator_type(IndicatorType::Url),
        ),
        (
            "filter.end_date",
            "x-rules:date-range-at-most-180-days",
            ThreatQuery::history("https://example.com", now - days(200), now - days(10))
                .indicator_type(IndicatorType::Url),
        ),
        (
            "filter.end_date",
            "x-rules:date-range-at-most-180-days",
            ThreatQuery::history("https://example.com", now - days(10), now - days(20))
                .indicator_type(IndicatorType::Url),
        ),
        ("filter.start_date", "format", {
            let mut q = ThreatQuery::new("https://example.com", ThreatAction::History);
            q.filter.start_date = Some("last week".into());
            q
        }),
    ];
    for (field, rule, query) in cases.drain(..) {
        match c.threat_analytics(&query).await {
            Err(Error::Validation(v)) => assert!(
                v.iter().any(|v| v.field() == field && v.rule == rule),
                "{field} {rule}: got {v:?}"
            ),
            other => panic!("{field} {rule}: {other:?}"),
        }
    }

    let ueba: Vec<(&str, &str, AnomalyDetailsQuery)> = vec![
        (
            "entity_name",
            "maxLength",
            AnomalyDetailsQuery::new("u".repeat(101), "d", "r"),
        ),
        (
            "domain_name",
            "maxLength",
            AnomalyDetailsQuery::new("u", "d".repeat(101), "r"),
        ),
        (
            "entity_name",
            "minLength",
            AnomalyDetailsQuery::new("", "d", "r"),
        ),
        (
            "rule_id",
            "minLength",
            AnomalyDetailsQuery::new("u", "d", ""),
        ),
        (
            "limit",
            "maximum",
            AnomalyDetailsQuery::new("u", "d", "r").limit(1001),
        ),
        (
            "limit",
            "minimum",
            AnomalyDetailsQuery::new("u", "d", "r").limit(0),
        ),
        (
            "from",
            "maximum",
            AnomalyDetailsQuery {
                from: Some(1001),
                ..AnomalyDetailsQuery::new("u", "d", "r")
            },
        ),
        (
            "from",
            "minimum",
            AnomalyDetailsQuery {
                from: Some(0),
                ..AnomalyDetailsQuery::new("u", "d", "r")
            },
        ),
        (
            "start_time",
            "x-rules:start-time-not-before-epoch",
            AnomalyDetailsQuery {
                start_time: Some("1969-12-31T23:59:59Z".parse().unwrap()),
                ..AnomalyDetailsQuery::new("u", "d", "r")
            },
        ),
        (
            "end_time",
            "x-rules:end-time-not-before-epoch",
            AnomalyDetailsQuery {
                end_time: Some("1960-01-01T00:00:00Z".parse().unwrap()),
                ..AnomalyDetailsQuery::new("u", "d", "r")
            },
        ),
    ];
    for (field, rule, query) in ueba {
        match c.anomaly_details(&query).await {
            Err(Error::Validation(v)) => assert!(
                v.iter().any(|v| v.field() == field && v.rule == rule),
                "{field} {rule}: got {v:?}"
            ),
            other => panic!("{field} {rule}: {other:?}"),
        }
    }
    let recent = RecentAnomaliesQuery {
        limit: Some(1001),
        ..RecentAnomaliesQuery::new("u", "d")
    };
    assert!(
        matches!(c.recent_anomalies(&recent).await, Err(Error::Validation(v)) if v[0].field() == "limit")
    );
    let risk = RiskProfileQuery {
        entity_name: "u".repeat(101),
        domain_name: "d".into(),
        entity_type: EntityType::User,
    };
    assert!(
        matches!(c.risk_profile(&risk).await, Err(Error::Validation(v)) if v[0].field() == "entity_name")
    );
    for (field, query) in [
        (
            "limit",
            DetectionRulesQuery {
                limit: Some(101),
                ..Default::default()
            },
        ),
        (
            "from",
            DetectionRulesQuery {
                from: Some(10001),
                ..Default::default()
            },
        ),
        (
            "limit",
            DetectionRulesQuery {
                limit: Some(0),
                ..Default::default()
            },
        ),
    ] {
        assert!(
            matches!(c.detection_rules(&query).await, Err(Error::Validation(v)) if v[0].field() == field),
            "{field}"
        );
    }
    let err = c.virustotal(&"x".repeat(2049)).await.unwrap_err();
    assert!(err.to_string().contains("indicator: maxLength"), "{err}");
}

#[tokio::test]
async fn boundary_values_are_accepted_and_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {}})))
        .expect(3)
        .mount(&server)
        .await;
    let c = client(&server);
    let now = chrono::Utc::now();
    let days = chrono::Duration::days;
    // Exactly 180 days, starting 200 days ago (within the year).
    c.threat_analytics(
        &ThreatQuery::history("https://example.com", now - days(200), now - days(20))
            .indicator_type(IndicatorType::Url),
    )
    .await
    .unwrap();
    c.threat_analytics(&ThreatQuery::connections(
        "8.8.8.8",
        IndicatorType::Ip,
        ConnectionSection::Asn,
        4,
        100,
        1000,
    ))
    .await
    .unwrap();
    c.virustotal(&"x".repeat(2048)).await.unwrap();
}

#[tokio::test]
async fn validation_errors_name_the_field_and_the_rule() {
    let server = MockServer::start().await;
    let q = ThreatQuery::connections(
        "8.8.8.8",
        IndicatorType::Ip,
        ConnectionSection::SubDomains,
        0,
        10,
        0,
    );
    let err = client(&server).threat_analytics(&q).await.unwrap_err();
    let line = err.to_string();
    assert!(line.starts_with("invalid request: filter.section: x-rules:section-for-ip: \"sub_domains\" is not allowed here"), "{line}");
    assert_eq!(err.exit_code(), 2);
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_refresh_token_is_exchanged_reused_and_renewed_after_a_401() {
    let api = MockServer::start().await;
    let accounts = MockServer::start().await;
    // Zoho answers two different access tokens, in order.
    let issued = Arc::new(Mutex::new(0));
    let counter = issued.clone();
    Mock::given(method("POST"))
        .and(path("/oauth/v2/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=1000.refresh"))
        .and(body_string_contains("client_id=1000.CLIENT"))
        .respond_with(move |_: &Request| {
            let mut n = counter.lock().unwrap();
            *n += 1;
            ResponseTemplate::new(200).set_body_json(json!({"access_token": format!("1000.access-{n}"), "expires_in": 3600, "api_domain": "https://www.zohoapis.com", "token_type": "Bearer"}))
        })
        .mount(&accounts)
        .await;
    Mock::given(header("authorization", "Zoho-oauthtoken 1000.access-1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": {"code": "401", "title": "Unauthorized", "detail": "token revoked"}}),
        ))
        .mount(&api)
        .await;
    Mock::given(header("authorization", "Zoho-oauthtoken 1000.access-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture(
            "log360-cloud",
            "listDetectionRules",
            "response.200.anomaly-rules.json",
        )))
        .mount(&api)
        .await;
    let c = Log360Client::builder()
        .account_id("1")
        .base_url(api.uri())
        .accounts_url(accounts.uri())
        .auth(Log360Auth::refresh_token(
            "1000.refresh",
            "1000.CLIENT",
            "client-secret",
        ))
        .refresh_cooldown(Duration::ZERO)
        .settings(fast_settings())
        .build()
        .unwrap();
    let rules = c
        .detection_rules(&DetectionRulesQuery::default())
        .await
        .unwrap();
    assert_eq!(rules.data.len(), 2);
    // The renewed token is reused: three more calls, no more refreshes.
    for _ in 0..3 {
        c.detection_rules(&DetectionRulesQuery::default())
            .await
            .unwrap();
    }
    assert_eq!(*issued.lock().unwrap(), 2);
    assert!(
        !format!("{c:?}").contains("1000.refresh") && !format!("{c:?}").contains("client-secret")
    );
}

#[tokio::test]
async fn a_failed_refresh_is_an_auth_error_without_secrets() {
    let accounts = MockServer::start().await;
    Mock::given(path("/oauth/v2/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_code"})))
        .mount(&accounts)
        .await;
    let c = Log360Client::builder()
        .account_id("1")
        .base_url(accounts.uri())
        .accounts_url(accounts.uri())
        .auth(Log360Auth::refresh_token(
            "1000.refresh-secret",
            "id",
            "client-secret",
        ))
        .settings(fast_settings())
        .build()
        .unwrap();
    let err = c.virustotal("8.8.8.8").await.unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("invalid_code")
            && !text.contains("refresh-secret")
            && !text.contains("client-secret"),
        "{text}"
    );
}

#[tokio::test]
async fn server_errors_and_429_are_retried_other_4xx_are_not() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v2/detection/rules"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v2/detection/rules"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v2/detection/rules"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [], "meta": {"has_more": false}})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/api/v2/threat/search/virustotal"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": {"code": "100010001", "title": "Bad Request", "detail": "bad"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    c.detection_rules(&DetectionRulesQuery::default())
        .await
        .unwrap();
    let rules_calls = server.received_requests().await.unwrap().len();
    assert_eq!(rules_calls, 3);
    let err = c.virustotal("8.8.8.8").await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 400, .. }), "{err}");
    assert_eq!(err.exit_code(), 3);
}

#[tokio::test]
async fn connection_errors_are_transport_errors() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let c = Log360Client::builder()
        .account_id("1")
        .base_url(url)
        .auth(Log360Auth::access_token(TOKEN))
        .settings(fast_settings())
        .build()
        .unwrap();
    let err = c.virustotal("8.8.8.8").await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err}");
    assert_eq!(err.exit_code(), 4);
    assert!(!format!("{err:?}").contains(TOKEN));
}

#[tokio::test]
async fn detection_rules_are_walked_across_pages() {
    let server = MockServer::start().await;
    for (from, ids, more) in [
        ("1", vec!["r1", "r2"], true),
        ("3", vec!["r3", "r4"], true),
        ("5", vec!["r5"], false),
    ] {
        let data: Vec<Value> = ids
            .iter()
            .map(|id| json!({"rule_id": id, "rule_type": "anomaly"}))
            .collect();
        Mock::given(path("/api/v2/detection/rules"))
            .and(query_param("from", from))
            .and(query_param("limit", "2"))
            .and(query_param("rule_type", "anomaly"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": data, "meta": {"from": from.parse::<i64>().unwrap(), "limit": 2, "count": ids.len(), "has_more": more}})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let c = client(&server);
    let q = DetectionRulesQuery {
        limit: Some(2),
        rule_type: Some(RuleType::Anomaly),
        ..Default::default()
    };
    let rules: Vec<_> = c.all_detection_rules(q).try_collect().await.unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r.rule_id.as_str()).collect();
    assert_eq!(ids, ["r1", "r2", "r3", "r4", "r5"]);
}

#[tokio::test]
async fn ueba_pages_are_walked_until_has_more_is_false() {
    let server = MockServer::start().await;
    let page = |from: i64, more: bool| json!({"data": {"entity_name": "u", "pattern_anomalies": {"count": 0, "anomalies": []}}, "meta": {"from": from, "limit": 50, "count": 50, "has_more": more}});
    for (from, more) in [(1, true), (51, true), (101, false)] {
        Mock::given(path("/api/v2/entities/recent-anomalies"))
            .and(query_param("from", from.to_string().as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(page(from, more)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let pages: Vec<_> = client(&server)
        .recent_anomalies_pages(RecentAnomaliesQuery::new("u", "d"))
        .try_collect()
        .await
        .unwrap();
    let froms: Vec<i64> = pages
        .iter()
        .map(|p| p.meta.as_ref().unwrap().from.unwrap())
        .collect();
    assert_eq!(froms, [1, 51, 101]);
}

/// Answers 429 whenever more than `quota` requests arrived in the trailing `window`.
struct QuotaKeeper {
    seen: Mutex<Vec<Instant>>,
    quota: usize,
    window: Duration,
}

impl Respond for QuotaKeeper {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap();
        seen.push(now);
        let recent = seen
            .iter()
            .filter(|t| now.duration_since(**t) < self.window)
            .count();
        if recent > self.quota {
            ResponseTemplate::new(429)
        } else {
            ResponseTemplate::new(200).set_body_json(json!({"data": {}}))
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_quota_holds_under_20_concurrent_tasks() {
    let server = MockServer::start().await;
    let keeper = Arc::new(QuotaKeeper {
        seen: Mutex::new(Vec::new()),
        quota: 10,
        window: Duration::from_secs(1),
    });
    let k = keeper.clone();
    Mock::given(path("/api/v2/threat/search/virustotal"))
        .respond_with(move |r: &Request| k.respond(r))
        .mount(&server)
        .await;
    let settings = Settings {
        unlimited: false,
        rate_limit: Some(RateLimit {
            requests: 10,
            period: Duration::from_secs(1),
        }),
        retry: threatbind::RetryPolicy::none(),
        ..fast_settings()
    };
    // Two separately built clients for the same account share one limiter.
    let build = || {
        Log360Client::builder()
            .account_id("quota-test")
            .base_url(format!("{}/api/v2", server.uri()))
            .auth(Log360Auth::access_token(TOKEN))
            .settings(settings.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (build(), build());
    assert!(Arc::ptr_eq(
        a.rate_limiter().unwrap(),
        b.rate_limiter().unwrap()
    ));
    let started = Instant::now();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let c = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { c.virustotal("8.8.8.8").await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().expect("no request may be refused");
    }
    let seen = keeper.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 20);
    // Ten at once, the next ten as soon as the first slots free: a little over one second
    // (a spacing limiter would take almost two), never more than 10 in any second.
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_millis(1500),
        "{took:?}"
    );
}

#[test]
fn from_env_names_the_missing_or_malformed_variable() {
    let err = Log360Builder::from_vars(vars(&[])).unwrap_err();
    assert!(
        matches!(&err, Error::Config { name, .. } if name == "LOG360_ACCOUNT_ID"),
        "{err}"
    );
    let err = Log360Builder::from_vars(vars(&[("LOG360_ACCOUNT_ID", "1")])).unwrap_err();
    assert!(
        matches!(&err, Error::Config { name, .. } if name == "LOG360_ACCESS_TOKEN"),
        "{err}"
    );
    let err = Log360Builder::from_vars(vars(&[
        ("LOG360_ACCOUNT_ID", "1"),
        ("LOG360_REFRESH_TOKEN", "r"),
    ]))
    .unwrap_err();
    assert!(
        matches!(&err, Error::Config { name, .. } if name == "LOG360_CLIENT_ID"),
        "{err}"
    );
    let err = Log360Builder::from_vars(vars(&[
        ("LOG360_ACCOUNT_ID", "1"),
        ("LOG360_ACCESS_TOKEN", "t"),
        ("LOG360_REGION", "mars"),
    ]))
    .unwrap_err();
    assert!(
        matches!(&err, Error::Config { name, .. } if name == "LOG360_REGION"),
        "{err}"
    );
    assert!(err.to_string().contains("us, eu, in, au, jp"), "{err}");
    let err = Log360Builder::from_vars(vars(&[
        ("LOG360_ACCOUNT_ID", "1"),
        ("LOG360_ACCESS_TOKEN", "t"),
        ("LOG360_BASE_URL", "ftp://x"),
    ]))
    .unwrap_err();
    assert!(
        matches!(&err, Error::Config { name, .. } if name == "LOG360_BASE_URL"),
        "{err}"
    );
    for (region, host) in [
        ("us", "manageengine.com"),
        ("in", "manageengine.in"),
        ("jp", "manageengine.jp"),
    ] {
        let pairs: Vec<(&str, String)> = vec![
            ("LOG360_ACCOUNT_ID", "1".into()),
            ("LOG360_ACCESS_TOKEN", "t".into()),
            ("LOG360_REGION", region.into()),
        ];
        let c = Log360Builder::from_vars(|k| {
            pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        })
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.base_url(), format!("https://log360cloud.{host}/api/v2"));
    }
    let c = Log360Builder::from_vars(vars(&[
        ("LOG360_ACCOUNT_ID", "1"),
        ("LOG360_ACCESS_TOKEN", "t"),
        ("LOG360_REGION", "eu"),
        ("LOG360_BASE_URL", "http://127.0.0.1:9/api/v2/"),
    ]))
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(c.base_url(), "http://127.0.0.1:9/api/v2");
}

#[tokio::test]
async fn a_token_about_to_expire_is_renewed_before_use() {
    let api = MockServer::start().await;
    let accounts = MockServer::start().await;
    let issued = Arc::new(Mutex::new(0));
    let counter = issued.clone();
    // Each token lives 50 s: inside the client's one-minute safety margin, so it is renewed
    // before every use instead of being sent to expire mid-request.
    Mock::given(path("/oauth/v2/token"))
        .respond_with(move |_: &Request| {
            let mut n = counter.lock().unwrap();
            *n += 1;
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": format!("short-{n}"), "expires_in": 50}))
        })
        .mount(&accounts)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [], "meta": {"has_more": false}})),
        )
        .mount(&api)
        .await;
    let c = Log360Client::builder()
        .account_id("1")
        .base_url(api.uri())
        .accounts_url(accounts.uri())
        .auth(Log360Auth::refresh_token("r", "id", "s"))
        .settings(fast_settings())
        .build()
        .unwrap();
    c.detection_rules(&DetectionRulesQuery::default())
        .await
        .unwrap();
    c.detection_rules(&DetectionRulesQuery::default())
        .await
        .unwrap();
    assert_eq!(*issued.lock().unwrap(), 2);
    let tokens: Vec<String> = api
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            r.headers
                .get("authorization")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        tokens,
        ["Zoho-oauthtoken short-1", "Zoho-oauthtoken short-2"]
    );
}

/// "Rate limit: 50 requests per minute per account." (every Log360 Cloud page): the default
/// quota, one per account, shared by the clients of that account only.
#[test]
fn the_documented_quota_is_50_a_minute_per_account() {
    let build = |account: &str| {
        Log360Client::builder()
            .account_id(account)
            .auth(Log360Auth::access_token(TOKEN))
            .build()
            .unwrap()
    };
    let (a, same, other) = (build("acct-1"), build("acct-1"), build("acct-2"));
    let limit = a.rate_limiter().unwrap().limit();
    assert_eq!(
        (limit.requests, limit.period),
        (50, Duration::from_secs(60))
    );
    assert!(Arc::ptr_eq(
        a.rate_limiter().unwrap(),
        same.rate_limiter().unwrap()
    ));
    assert!(!Arc::ptr_eq(
        a.rate_limiter().unwrap(),
        other.rate_limiter().unwrap()
    ));
}

//! The Log360 Cloud client against a local mock server: exact requests, typed answers, errors,
//! validation before sending, token refresh, rate limiting, pagination, tolerant reading.

#![cfg(feature = "log360-cloud")]
mod common;

use common::{error_fixtures, fast_settings, fixture, vars};
use futures::TryStreamExt;
use serde_json::{json, Value};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use threatbind::log360_cloud::generated::open_enums::AnomalyType;
use threatbind::log360_cloud::generated::types::{
    self, ConnectionSection, EntityType, IndicatorType, RuleType,
};
use threatbind::log360_cloud::*;
use threatbind::spec::{Api, RateLimit};
use threatbind::{call, Error, Settings};
use wiremock::matchers::{
    body_json, body_string_contains, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "1000.secret-access-token";

async fn virustotal(
    c: &Log360Client,
    indicator: &str,
) -> threatbind::Result<types::VirusTotalResponse> {
    call(
        c.search_virus_total()
            .body_map(|b| b.indicator(indicator))
            .send(),
    )
    .await
}

async fn rules(c: &Log360Client) -> threatbind::Result<types::DetectionRulesResponse> {
    call(c.list_detection_rules().send()).await
}

fn limit(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

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
    let c = client(&server);
    let q = threat::connections(
        "8.8.8.8",
        IndicatorType::Ip,
        ConnectionSection::HostedUrls,
        0,
        limit(25),
        0,
    );
    let answer = call(c.search_threat_analytics().body(q).send())
        .await
        .unwrap();
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
    let c = client(&server);
    let q = threat::info("example.com").indicator_type(Some(IndicatorType::Domain));
    let answer = call(c.search_threat_analytics().body(q).send())
        .await
        .unwrap();
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
    let q = c
        .get_entity_risk_profile()
        .entity_name("l3cuser1_1")
        .domain_name("example.com")
        .entity_type(EntityType::User);
    let profile = call(q.send()).await.unwrap();
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
    let vt = virustotal(&c, "https://example.com/x").await.unwrap();
    assert!(vt.data.unwrap().html_info.is_some());
    let start: chrono::DateTime<chrono::Utc> = "2026-04-01T00:00:00Z".parse().unwrap();
    let end: chrono::DateTime<chrono::Utc> = "2026-04-09T00:00:00Z".parse().unwrap();
    let request = c
        .list_entity_rule_anomalies()
        .entity_name("john.doe")
        .domain_name("example.com")
        .rule_id("1000XXXXXXXXXXX78")
        .start_time(start)
        .end_time(end)
        .limit(200u64);
    let details = call(request.send()).await.unwrap();
    let anomalies = details.data.pattern_anomalies.unwrap().anomalies;
    assert_eq!(anomalies[0].score, Some(0.948));
    let q = c
        .get_entity_risk_profile()
        .entity_name("WS-1")
        .domain_name("example.com")
        .entity_type(EntityType::Device);
    assert_eq!(call(q.send()).await.unwrap().data.risk_score, Some(100.0));
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
                "listEntityRuleAnomalies" => {
                    let q = c.list_entity_rule_anomalies();
                    call(q.entity_name("a").domain_name("b").rule_id("c").send())
                        .await
                        .map(drop)
                }
                "getEntityRiskProfile" => {
                    let q = c
                        .get_entity_risk_profile()
                        .entity_name("a")
                        .domain_name("b");
                    call(q.entity_type(EntityType::User).send()).await.map(drop)
                }
                _ => {
                    let q = c.list_recent_anomalies().entity_name("a").domain_name("b");
                    call(q.send()).await.map(drop)
                }
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

/// Sends `document` for `operation` on the generic path (the CLI's), expecting a refusal.
async fn refused(
    c: &Log360Client,
    operation: &str,
    document: Value,
) -> Vec<threatbind::spec::Violation> {
    let op = Api::Log360Cloud.operation(operation).unwrap();
    match c.raw().send(op, &document).await {
        Err(Error::Validation(v)) => v,
        other => panic!("{operation} {document}: {other:?}"),
    }
}

/// `base` with the value at JSON pointer `at` replaced (`None`: removed).
fn with(base: &Value, at: &str, value: Option<Value>) -> Value {
    let mut doc = base.clone();
    let (parent, key) = at.rsplit_once('/').unwrap();
    let map = doc.pointer_mut(parent).unwrap().as_object_mut().unwrap();
    match value {
        Some(v) => map.insert(key.to_owned(), v),
        None => map.remove(key),
    };
    doc
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
    let day = |n: i64| {
        (now - chrono::Duration::days(n)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let conn = json!({"body": {"indicator": "8.8.8.8", "indicator_type": "IP", "action": "CONNECTIONS",
        "filter": {"section": "asn", "severity": 0}, "limit": 10, "from": 0}});
    let history = |start: Option<String>, end: Option<String>| {
        json!({"body": {"indicator": "https://example.com", "indicator_type": "URL", "action": "HISTORY",
            "filter": {"start_date": start, "end_date": end}}})
    };
    let set = |at: &str, v: Value| with(&conn, at, Some(v));
    let drop = |at: &str| with(&conn, at, None);
    let cases: Vec<(&str, &str, Value)> = vec![
        (
            "indicator",
            "maxLength",
            set("/body/indicator", json!("a".repeat(2049))),
        ),
        ("indicator", "minLength", set("/body/indicator", json!(""))),
        (
            "filter.section",
            "x-rules:connections-required-fields",
            drop("/body/filter/section"),
        ),
        (
            "filter.severity",
            "x-rules:connections-required-fields",
            drop("/body/filter/severity"),
        ),
        (
            "limit",
            "x-rules:connections-required-fields",
            drop("/body/limit"),
        ),
        (
            "from",
            "x-rules:connections-required-fields",
            drop("/body/from"),
        ),
        (
            "filter.severity",
            "maximum",
            set("/body/filter/severity", json!(5)),
        ),
        (
            "filter.severity",
            "minimum",
            set("/body/filter/severity", json!(-1)),
        ),
        ("limit", "maximum", set("/body/limit", json!(101))),
        ("limit", "minimum", set("/body/limit", json!(0))),
        ("from", "maximum", set("/body/from", json!(1001))),
        (
            "filter.section",
            "x-rules:section-for-ip",
            set("/body/filter/section", json!("sub_domains")),
        ),
        (
            "filter.section",
            "x-rules:section-for-url-domain",
            with(
                &set("/body/indicator", json!("example.com")),
                "/body/indicator_type",
                Some(json!("DOMAIN")),
            ),
        ),
        (
            "filter.section",
            "x-rules:section-not-file-only",
            with(
                &set("/body/filter/section", json!("outbound_urls")),
                "/body/indicator_type",
                None,
            ),
        ),
        (
            "filter.start_date",
            "x-rules:history-dates-required",
            with(&history(None, None), "/body/filter", None),
        ),
        (
            "filter.start_date",
            "x-rules:start-date-within-a-year",
            history(Some(day(370)), Some(day(300))),
        ),
        (
            "filter.end_date",
            "x-rules:date-range-at-most-180-days",
            history(Some(day(200)), Some(day(10))),
        ),
        (
            "filter.end_date",
            "x-rules:date-range-at-most-180-days",
            history(Some(day(10)), Some(day(20))),
        ),
        (
            "filter.start_date",
            "format",
            history(Some("last week".into()), Some(day(1))),
        ),
    ];
    for (field, rule, document) in cases {
        let v = refused(&c, "searchThreatAnalytics", document).await;
        assert!(
            v.iter().any(|v| v.field() == field && v.rule == rule),
            "{field} {rule}: got {v:?}"
        );
    }

    let details = json!({"query": {"entity_name": "u", "domain_name": "d", "rule_id": "r"}});
    let set = |at: &str, v: Value| with(&details, at, Some(v));
    let ueba: Vec<(&str, &str, Value)> = vec![
        (
            "entity_name",
            "maxLength",
            set("/query/entity_name", json!("u".repeat(101))),
        ),
        (
            "domain_name",
            "maxLength",
            set("/query/domain_name", json!("d".repeat(101))),
        ),
        (
            "entity_name",
            "minLength",
            set("/query/entity_name", json!("")),
        ),
        ("rule_id", "minLength", set("/query/rule_id", json!(""))),
        ("limit", "maximum", set("/query/limit", json!(1001))),
        ("limit", "minimum", set("/query/limit", json!(0))),
        ("from", "maximum", set("/query/from", json!(1001))),
        ("from", "minimum", set("/query/from", json!(0))),
        (
            "start_time",
            "x-rules:start-time-not-before-epoch",
            set("/query/start_time", json!("1969-12-31T23:59:59Z")),
        ),
        (
            "end_time",
            "x-rules:end-time-not-before-epoch",
            set("/query/end_time", json!("1960-01-01T00:00:00Z")),
        ),
    ];
    for (field, rule, document) in ueba {
        let v = refused(&c, "listEntityRuleAnomalies", document).await;
        assert!(
            v.iter().any(|v| v.field() == field && v.rule == rule),
            "{field} {rule}: got {v:?}"
        );
    }
    let recent = json!({"query": {"entity_name": "u", "domain_name": "d", "limit": 1001}});
    assert_eq!(
        refused(&c, "listRecentAnomalies", recent).await[0].field(),
        "limit"
    );
    let risk = json!({"query": {"entity_name": "u".repeat(101), "domain_name": "d", "entity_type": "user"}});
    assert_eq!(
        refused(&c, "getEntityRiskProfile", risk).await[0].field(),
        "entity_name"
    );
    for (field, value) in [("limit", 101), ("from", 10001), ("limit", 0)] {
        let document = json!({"query": {field: value}});
        assert_eq!(
            refused(&c, "listDetectionRules", document).await[0].field(),
            field
        );
    }
    let long = json!({"body": {"indicator": "x".repeat(2049)}});
    let v = refused(&c, "searchVirusTotal", long).await;
    assert_eq!(
        (v[0].field(), v[0].rule.as_str()),
        ("indicator", "maxLength")
    );
}

/// The typed face refuses the same requests with the same typed error: a range only the spec
/// knows, from the validator; a length typify's newtype already refuses, naming the field.
#[tokio::test]
async fn the_typed_builders_refuse_with_a_validation_error() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let c = client(&server);
    let err = call(c.list_detection_rules().limit(101u64).send())
        .await
        .unwrap_err();
    match &err {
        Error::Validation(v) => {
            assert_eq!((v[0].field(), v[0].rule.as_str()), ("limit", "maximum"))
        }
        other => panic!("{other:?}"),
    }
    let err = virustotal(&c, &"x".repeat(2049)).await.unwrap_err();
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
    assert!(err.to_string().contains("indicator"), "{err}");
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
    let history = threat::history("https://example.com", now - days(200), now - days(20))
        .indicator_type(Some(IndicatorType::Url));
    call(c.search_threat_analytics().body(history).send())
        .await
        .unwrap();
    let connections = threat::connections(
        "8.8.8.8",
        IndicatorType::Ip,
        ConnectionSection::Asn,
        4,
        limit(100),
        1000,
    );
    call(c.search_threat_analytics().body(connections).send())
        .await
        .unwrap();
    virustotal(&c, &"x".repeat(2048)).await.unwrap();
}

#[tokio::test]
async fn validation_errors_name_the_field_and_the_rule() {
    let server = MockServer::start().await;
    let c = client(&server);
    let q = threat::connections(
        "8.8.8.8",
        IndicatorType::Ip,
        ConnectionSection::SubDomains,
        0,
        limit(10),
        0,
    );
    let err = call(c.search_threat_analytics().body(q).send())
        .await
        .unwrap_err();
    let line = err.to_string();
    assert!(line.starts_with("invalid request: filter.section: x-rules:section-for-ip: \"sub_domains\" is not allowed here"), "{line}");
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
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
    let answer = rules(&c).await.unwrap();
    assert_eq!(answer.data.len(), 2);
    // The renewed token is reused: three more calls, no more refreshes.
    for _ in 0..3 {
        rules(&c).await.unwrap();
    }
    assert_eq!(*issued.lock().unwrap(), 2);
    assert!(
        !format!("{c:?}").contains("1000.refresh") && !format!("{c:?}").contains("client-secret")
    );
}

/// A client of the API at `base` whose token comes from a refresh token exchanged at
/// `accounts` (the secrets the tests look for in errors: `refresh-secret`, `client-secret`).
fn refreshing(base: &str, accounts: &str) -> Log360Client {
    Log360Client::builder()
        .account_id("1")
        .base_url(base)
        .accounts_url(accounts)
        .auth(Log360Auth::refresh_token(
            "1000.refresh-secret",
            "id",
            "client-secret",
        ))
        .settings(fast_settings())
        .build()
        .unwrap()
}

/// Only a refusal of the credentials is `Error::Auth`: Zoho failing (5xx), an answer that is
/// no token answer, are not (the CLI tells "rotate the key" from "the vendor failed").
#[tokio::test]
async fn a_zoho_outage_or_a_malformed_token_answer_is_not_a_refusal() {
    for (status, body, expected) in [
        (503u16, r#"{"error":"busy"}"#, "api 503"),
        (500, "<html>oops</html>", "api 500"),
        (200, r#"{"token_type":"Bearer"}"#, "decode"),
        (200, "not json", "decode"),
    ] {
        let accounts = MockServer::start().await;
        Mock::given(path("/oauth/v2/token"))
            .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
            .mount(&accounts)
            .await;
        let c = refreshing(&accounts.uri(), &accounts.uri());
        let err = virustotal(&c, "8.8.8.8").await.unwrap_err();
        let class = match &err {
            Error::Api { status, .. } => format!("api {status}"),
            Error::RetriesExhausted { last, .. } => match last.as_ref() {
                Error::Api { status, .. } => format!("api {status}"),
                other => format!("{other:?}"),
            },
            Error::Decode(_) => "decode".to_owned(),
            other => format!("{other:?}"),
        };
        assert_eq!(class, expected, "{status} {body}: {err}");
        assert!(!format!("{err} {err:?}").contains("refresh-secret"));
    }
}

#[tokio::test]
async fn a_failed_refresh_is_an_auth_error_without_secrets() {
    let accounts = MockServer::start().await;
    Mock::given(path("/oauth/v2/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_code"})))
        .mount(&accounts)
        .await;
    let c = refreshing(&accounts.uri(), &accounts.uri());
    let err = virustotal(&c, "8.8.8.8").await.unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("invalid_code")
            && !text.contains("refresh-secret")
            && !text.contains("client-secret"),
        "{text}"
    );
}

/// A token exchange that gets no answer (nothing listens at the accounts server) is a
/// transport error naming the cause, not refused credentials.
#[tokio::test]
async fn an_unreachable_accounts_server_is_a_transport_error() {
    let api = MockServer::start().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let accounts = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let c = refreshing(&api.uri(), &accounts);
    let err = virustotal(&c, "8.8.8.8").await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(
        matches!(err, Error::Transport(_)) && text.contains("could not connect"),
        "{text}"
    );
    assert!(
        !text.contains("refresh-secret") && !text.contains("client-secret"),
        "{text}"
    );
    assert!(api.received_requests().await.unwrap().is_empty());
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
    rules(&c).await.unwrap();
    let rules_calls = server.received_requests().await.unwrap().len();
    assert_eq!(rules_calls, 3);
    let err = virustotal(&c, "8.8.8.8").await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 400, .. }), "{err}");
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
    let err = virustotal(&c, "8.8.8.8").await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err}");
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
    let q = c
        .list_detection_rules()
        .limit(2u64)
        .rule_type(RuleType::Anomaly);
    let rules: Vec<types::DetectionRule> = c.items(q.send()).try_collect().await.unwrap();
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
    let c = client(&server);
    let q = c.list_recent_anomalies().entity_name("u").domain_name("d");
    let pages: Vec<types::RecentAnomaliesResponse> = c.pages(q.send()).try_collect().await.unwrap();
    let froms: Vec<i64> = pages
        .iter()
        .map(|p| p.meta.as_ref().unwrap().from.unwrap())
        .collect();
    assert_eq!(froms, [1, 51, 101]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_quota_holds_under_20_concurrent_tasks() {
    const QUOTA: usize = 10;
    let window = Duration::from_secs(1);
    // The server refuses (429) a request past 10 in its trailing second. It holds the answers
    // of the first ten until all ten are in flight, so that they count only if the quota's
    // first window went out together; a client that sent them one after another would never
    // fill the gate, and the guard (far past any run, under the client's timeout) opens it.
    let arrivals = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let gate = Arc::new(tokio::sync::watch::channel(false).0);
    let guard_opened = Arc::new(AtomicBool::new(false));
    let url = {
        let (arrivals, gate, guard_opened) = (arrivals.clone(), gate.clone(), guard_opened.clone());
        common::held::serve(move |_| {
            let (arrivals, gate, guard_opened) =
                (arrivals.clone(), gate.clone(), guard_opened.clone());
            async move {
                let (n, refused) = {
                    let mut seen = arrivals.lock().unwrap();
                    let now = Instant::now();
                    seen.push(now);
                    let recent = seen
                        .iter()
                        .filter(|t| now.duration_since(**t) < window)
                        .count();
                    (seen.len(), recent > QUOTA)
                };
                if n == QUOTA {
                    gate.send_replace(true);
                }
                if n <= QUOTA {
                    let mut open = gate.subscribe();
                    let guard = Duration::from_secs(60);
                    if tokio::time::timeout(guard, open.wait_for(|open| *open))
                        .await
                        .is_err()
                    {
                        guard_opened.store(true, Ordering::SeqCst);
                        gate.send_replace(true);
                    }
                }
                if refused {
                    (429, "{}".to_owned())
                } else {
                    (200, json!({"data": {}}).to_string())
                }
            }
        })
        .await
    };
    let settings = Settings {
        unlimited: false,
        rate_limit: Some(RateLimit {
            requests: QUOTA as u32,
            period: window,
        }),
        retry: threatbind::RetryPolicy::none(),
        timeout: Duration::from_secs(120),
        ..fast_settings()
    };
    let build = |account: &str| {
        Log360Client::builder()
            .account_id(account)
            .base_url(format!("{url}/api/v2"))
            .auth(Log360Auth::access_token(TOKEN))
            .settings(settings.clone())
            .build()
            .unwrap()
    };
    // Two separately built clients for the same account share one limiter.
    let (a, b) = (build("quota-test"), build("quota-test"));
    assert!(Arc::ptr_eq(
        a.rate_limiter().unwrap(),
        b.rate_limiter().unwrap()
    ));
    // A quiet account's quota goes at once: ten slots granted now, the eleventh told to wait
    // (a limiter spacing requests a tenth of the period apart would refuse the second).
    let quiet = build("quota-test-quiet");
    let limiter = quiet.rate_limiter().unwrap();
    for i in 0..QUOTA {
        let slot = limiter.try_acquire().await.unwrap();
        assert!(slot.is_ok(), "slot {i} of a quiet account: wait {slot:?}");
    }
    let wait = limiter.try_acquire().await.unwrap().unwrap_err();
    assert!(wait > Duration::ZERO && wait <= window, "{wait:?}");

    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let c = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { virustotal(&c, "8.8.8.8").await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().expect("no request may be refused");
    }
    assert_eq!(arrivals.lock().unwrap().len(), 20);
    assert!(
        !guard_opened.load(Ordering::SeqCst),
        "the first ten requests were never in flight together"
    );
}

#[test]
fn from_env_names_the_missing_or_malformed_variable() {
    // The account id is optional until a call needs it (whoami finds it); a token is not.
    let err = Log360Builder::from_vars(vars(&[])).unwrap_err();
    assert!(
        matches!(&err, Error::Config { name, .. } if name == "LOG360_ACCESS_TOKEN"),
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
    rules(&c).await.unwrap();
    rules(&c).await.unwrap();
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

/// `getAccount` (`GET /api/v2/account`) from a client that has no account id yet, typed.
#[tokio::test]
async fn the_account_id_is_found_without_one() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/account"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": {"account_id": "18XXXXX4"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = Log360Client::builder()
        .base_url(format!("{}/api/v2", server.uri()))
        .auth(Log360Auth::access_token(TOKEN))
        .settings(fast_settings())
        .build()
        .unwrap();
    assert_eq!(c.account_id(), None);
    let answer = call(c.get_account().send()).await.unwrap();
    assert_eq!(answer.0["data"]["account_id"], "18XXXXX4");
    // A call that needs the account id is refused before sending, naming the variable that
    // is missing (as the CLI and RawClient do), not a conversion of an empty value.
    let err = call(c.list_detection_rules().send()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Config { .. })
            && err.to_string().contains("LOG360_ACCOUNT_ID: not set"),
        "{err}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// Zoho issues at most 10 access tokens per refresh token per 10 minutes (the spec's
/// `x-token-limits`): an 11th exchange is not attempted; the error says why and when.
#[tokio::test]
async fn the_zoho_exchange_limit_from_the_spec_is_kept() {
    let api = MockServer::start().await;
    let accounts = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/v2/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "1000.fresh", "expires_in": 3600})),
        )
        .expect(10)
        .mount(&accounts)
        .await;
    Mock::given(path("/api/v2/detection/rules"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&api)
        .await;
    let limit = threatbind::spec::Api::Log360Cloud
        .document()
        .pointer("/components/securitySchemes/zohoOAuth/x-token-limits/tokens_per_refresh_token/requests")
        .and_then(Value::as_u64)
        .unwrap();
    let mut refused = None;
    for attempt in 0..=limit {
        // A new client each time, without a token cache: each must exchange the refresh token.
        let c = Log360Client::builder()
            .account_id("18XXXXX4")
            .base_url(format!("{}/api/v2", api.uri()))
            .accounts_url(accounts.uri())
            .auth(Log360Auth::refresh_token(
                "1000.refresh-limit-test",
                "1000.CLIENT",
                "client-secret",
            ))
            .settings(fast_settings())
            .build()
            .unwrap();
        if let Err(e) = rules(&c).await {
            refused = Some((attempt, e));
            break;
        }
    }
    let (attempt, err) = refused.expect("the exchange after the limit is refused");
    assert_eq!(attempt, limit, "{err}");
    // A spent budget (exit 5 in the CLI), not credentials refused.
    assert!(matches!(err, Error::Budget(_)), "{err:?}");
    assert!(err.to_string().contains("x-token-limits"), "{err}");
}

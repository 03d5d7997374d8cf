//! The Nameshield CTI client against a local mock server.

#![cfg(feature = "nameshield-cti")]
mod common;

use common::{error_fixtures, fast_settings, fixture, vars};
use futures::TryStreamExt;
use serde_json::{json, Value};
use threatbind::nameshield_cti::generated::open_enums::CriticalityLevel;
use threatbind::nameshield_cti::generated::types::CriticalityFilter;
use threatbind::nameshield_cti::*;
use threatbind::{Error, RetryPolicy, Settings};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "6f1c3c1e-1111-4000-8000-000000000042";

fn client(server: &MockServer) -> NameshieldClient {
    NameshieldClient::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .settings(fast_settings())
        .build()
        .unwrap()
}

#[tokio::test]
async fn events_send_repeated_sort_and_the_space_in_started_at() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/cti/v2/events"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture(
            "nameshield-cti",
            "listThreatEvents",
            "response.200.doc-example.json",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let q = EventsQuery::default()
        .criticality(CriticalityFilter::Low)
        .started_at("2024-12-31 15:30:45")
        .sort("date,desc")
        .sort("id,asc");
    let page = client(&server).events(&q).await.unwrap();
    assert_eq!(
        page.data[0].criticality.as_ref().unwrap().level,
        Some(CriticalityLevel::Low)
    );
    let requests = server.received_requests().await.unwrap();
    let query = requests[0].url.query().unwrap().to_owned();
    // Repeated keys in order, and the space of the date-time percent-encoded (%20) or as `+`.
    assert!(
        query.contains("sort=date%2Cdesc&sort=id%2Casc")
            || query.contains("sort=date,desc&sort=id,asc"),
        "{query}"
    );
    assert!(
        query.contains("startedAt=2024-12-31%2015%3A30%3A45")
            || query.contains("startedAt=2024-12-31+15%3A30%3A45")
            || query.contains("startedAt=2024-12-31%2015:30:45"),
        "{query}"
    );
    let pairs: Vec<(String, String)> = requests[0]
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert!(pairs.contains(&("startedAt".into(), "2024-12-31 15:30:45".into())));
    assert!(pairs.contains(&("criticality".into(), "LOW".into())));
}

#[tokio::test]
async fn all_events_walks_pages_until_has_next_is_false() {
    let server = MockServer::start().await;
    for page in 0..3 {
        let event = |n: i64| json!({"id": format!("2fc25065-4766-5fa1-93a3-47100000000{n}"), "type": "DOMAIN_DETECTED", "criticality": {"level": "HIGH", "name": "High"}});
        Mock::given(path("/cti/v2/events"))
            .and(query_param("page", page.to_string().as_str()))
            .and(query_param("size", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "data": [event(page * 2), event(page * 2 + 1)], "current_page": page, "total_pages": 3,
                "total_items": 6, "page_size": 2, "has_next": page < 2, "has_previous": page > 0
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    let q = EventsQuery {
        size: Some(2),
        ..Default::default()
    };
    let events: Vec<_> = client(&server).all_events(q).try_collect().await.unwrap();
    assert_eq!(events.len(), 6);
    assert!(events[5].id.ends_with('5'));
}

#[tokio::test]
async fn v1_search_posts_the_documented_body_and_walks_offsets() {
    let server = MockServer::start().await;
    let results = |from: usize, n: usize| -> Vec<Value> {
        (from..from + n)
            .map(|i| json!({"id": format!("e{i}")}))
            .collect()
    };
    for (offset, n) in [(0, 2), (2, 1)] {
        Mock::given(method("POST"))
            .and(path("/cti/v1/events/search"))
            .and(body_json(json!({
                "query_parameters": [{"name": "domain", "operator": "ENDS_WITH", "value": ".com"}],
                // What the caller set, no more: the server applies its documented defaults.
                "limit": 2, "offset": offset, "started_at": "2023-10-01 00:00:00", "ended_at": "2023-10-31 00:00:00"
            })))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message": "OK", "data": {"limit": 2, "offset": offset, "total": 3, "results": results(offset, n)}})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let q = SearchV1Query {
        query_parameters: vec![criterion("domain", "ENDS_WITH", ".com")],
        limit: Some(2),
        started_at: Some("2023-10-01 00:00:00".into()),
        ended_at: Some("2023-10-31 00:00:00".into()),
        ..Default::default()
    };
    let events: Vec<_> = client(&server)
        .all_search_v1(q)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["e0", "e1", "e2"]);
}

#[tokio::test]
async fn documented_constraints_are_enforced_before_sending() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let c = client(&server);
    let cases: Vec<(&str, &str, EventsQuery)> = vec![
        (
            "size",
            "maximum",
            EventsQuery {
                size: Some(501),
                ..Default::default()
            },
        ),
        (
            "size",
            "minimum",
            EventsQuery {
                size: Some(0),
                ..Default::default()
            },
        ),
        (
            "page",
            "minimum",
            EventsQuery {
                page: Some(-1),
                ..Default::default()
            },
        ),
        (
            "sort.0",
            "pattern",
            EventsQuery::default().sort("name,desc"),
        ),
        (
            "sort.1",
            "pattern",
            EventsQuery::default().sort("date").sort("id,upward"),
        ),
        (
            "startedAt",
            "pattern",
            EventsQuery::default().started_at("2024-12-31T15:30:45Z"),
        ),
        (
            "endedAt",
            "pattern",
            EventsQuery::default().ended_at("31/12/2024 15:30:45"),
        ),
    ];
    for (field, rule, q) in cases {
        match c.events(&q).await {
            Err(Error::Validation(v)) => assert!(
                v.iter().any(|v| v.field() == field && v.rule == rule),
                "{field}: {v:?}"
            ),
            other => panic!("{field}: {other:?}"),
        }
    }
    let v1: Vec<(&str, &str, SearchV1Query)> = vec![
        (
            "limit",
            "maximum",
            SearchV1Query {
                limit: Some(501),
                ..Default::default()
            },
        ),
        (
            "offset",
            "minimum",
            SearchV1Query {
                offset: Some(-1),
                ..Default::default()
            },
        ),
        (
            "started_at",
            "pattern",
            SearchV1Query {
                started_at: Some("2023-10-01".into()),
                ..Default::default()
            },
        ),
    ];
    for (field, rule, q) in v1 {
        match c.search_v1(&q).await {
            Err(Error::Validation(v)) => assert!(
                v.iter().any(|v| v.field() == field && v.rule == rule),
                "{field}: {v:?}"
            ),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(
        matches!(c.event("not-a-uuid").await, Err(Error::Validation(v)) if v[0].field() == "id" && v[0].rule == "format")
    );
}

#[tokio::test]
async fn both_error_shapes_become_typed_errors_and_429_honours_retry_after() {
    let mut checked = 0;
    for op in ["listThreatEvents", "getThreatEvent", "searchThreatEventsV1"] {
        for (status, body, name) in error_fixtures("nameshield-cti", op) {
            let server = MockServer::start().await;
            Mock::given(wiremock::matchers::any())
                .respond_with(ResponseTemplate::new(status).set_body_json(&body))
                .mount(&server)
                .await;
            let c = NameshieldClient::builder()
                .token(TOKEN)
                .base_url(server.uri())
                .settings(Settings {
                    retry: RetryPolicy::none(),
                    ..fast_settings()
                })
                .build()
                .unwrap();
            let result = match op {
                "listThreatEvents" => c.events(&EventsQuery::default()).await.map(drop),
                "getThreatEvent" => c
                    .event("2fc25065-4766-5fa1-93a3-471f36599f1d")
                    .await
                    .map(drop),
                _ => c.search_v1(&SearchV1Query::default()).await.map(drop),
            };
            let err = result.unwrap_err();
            let first = match &body["errors"] {
                Value::Array(list) => list[0].clone(),
                one => one.clone(),
            };
            let (code, message) = (
                first["code"].as_str().unwrap(),
                first["message"].as_str().unwrap(),
            );
            let matches = |e: &Error| matches!(e, Error::Api { status: s, code: Some(c), detail: Some(d), .. } if *s == status && c == code && d.contains(message));
            let ok = matches(&err)
                || matches!(&err, Error::Auth(_) if status == 401)
                || matches!(&err, Error::RateLimited { .. } if status == 429);
            assert!(ok, "{op}/{name}: {err:?}");
            checked += 1;
        }
    }
    assert!(checked >= 7, "{checked}");

    let server = MockServer::start().await;
    Mock::given(path("/cti/v2/events"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(path("/cti/v2/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&server)
        .await;
    client(&server)
        .events(&EventsQuery::default())
        .await
        .unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn unknown_criticality_levels_are_kept() {
    let server = MockServer::start().await;
    let body = fixture(
        "nameshield-cti",
        "listThreatEvents",
        "invalid-response.200.future-criticality-level.json",
    )["document"]
        .clone();
    Mock::given(path("/cti/v2/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let page = client(&server)
        .events(&EventsQuery::default())
        .await
        .unwrap();
    assert_eq!(
        page.data[0].criticality.as_ref().unwrap().level,
        Some(CriticalityLevel::Other("CRITICAL".into()))
    );
}

#[test]
fn environment_and_token_come_from_the_environment() {
    let c = NameshieldBuilder::from_vars(vars(&[("NAMESHIELD_TOKEN", TOKEN)]))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(c.base_url(), "https://api.nameshield.net");
    let c = NameshieldBuilder::from_vars(vars(&[
        ("NAMESHIELD_TOKEN", TOKEN),
        ("NAMESHIELD_ENV", "ote"),
    ]))
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(c.base_url(), "https://ote-api.nameshield.net");
    let err = NameshieldBuilder::from_vars(vars(&[
        ("NAMESHIELD_TOKEN", TOKEN),
        ("NAMESHIELD_ENV", "staging"),
    ]))
    .unwrap_err();
    assert!(
        matches!(&err, Error::Config { name, .. } if name == "NAMESHIELD_ENV"),
        "{err}"
    );
    assert!(err.to_string().contains("prod, ote"), "{err}");
    let err = NameshieldBuilder::from_vars(vars(&[])).unwrap_err();
    assert!(
        matches!(&err, Error::Config { name, .. } if name == "NAMESHIELD_TOKEN"),
        "{err}"
    );
    assert!(!format!("{c:?}").contains(TOKEN));
    // One limiter per token, 600 per 5 minutes from the spec.
    let limiter = c.rate_limiter().unwrap();
    assert_eq!(
        (limiter.limit().requests, limiter.limit().period.as_secs()),
        (600, 300)
    );
    // The same token on the same server: the same limiter (another server has its own quota).
    let same = NameshieldBuilder::from_vars(vars(&[
        ("NAMESHIELD_TOKEN", TOKEN),
        ("NAMESHIELD_ENV", "ote"),
    ]))
    .unwrap()
    .build()
    .unwrap();
    assert!(std::sync::Arc::ptr_eq(
        limiter,
        same.rate_limiter().unwrap()
    ));
}

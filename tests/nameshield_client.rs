//! The Nameshield CTI client against a local mock server.

#![cfg(feature = "nameshield-cti")]
mod common;

use common::{error_fixtures, fast_settings, fixture, vars};
use futures::TryStreamExt;
use serde_json::{json, Value};
use threatbind::nameshield_cti::generated::open_enums::CriticalityLevel;
use threatbind::nameshield_cti::generated::types::{self, CriticalityFilter};
use threatbind::nameshield_cti::*;
use threatbind::spec::Api;
use threatbind::{call, Error, RetryPolicy, Settings};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "6f1c3c1e-1111-4000-8000-000000000042";

fn sort(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

async fn events(c: &NameshieldClient) -> threatbind::Result<types::ThreatEventPage> {
    call(c.generated().list_threat_events().send()).await
}

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
    let c = client(&server);
    let q = c
        .generated()
        .list_threat_events()
        .criticality(CriticalityFilter::Low)
        .started_at("2024-12-31 15:30:45")
        .sort(sort(&["date,desc", "id,asc"]));
    let page = call(q.send()).await.unwrap();
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
    let c = client(&server);
    let q = c.generated().list_threat_events().size(2u64);
    let events: Vec<types::ThreatEvent> = c.items(q.send()).try_collect().await.unwrap();
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
                // The typed body carries the documented default it holds.
                "include_customer_children_events": true,
                "limit": 2, "offset": offset, "started_at": "2023-10-01 00:00:00", "ended_at": "2023-10-31 00:00:00"
            })))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message": "OK", "data": {"limit": 2, "offset": offset, "total": 3, "results": results(offset, n)}})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let c = client(&server);
    let criterion = types::SearchCriteria {
        name: Some("domain".into()),
        operator: Some("ENDS_WITH".into()),
        value: Some(".com".into()),
        ..Default::default()
    };
    let q = c.generated().search_threat_events_v1().body_map(|b| {
        b.query_parameters(vec![criterion])
            .limit(std::num::NonZeroU64::new(2).unwrap())
            .started_at(Some("2023-10-01 00:00:00".parse().unwrap()))
            .ended_at(Some("2023-10-31 00:00:00".parse().unwrap()))
    });
    let events: Vec<types::ThreatEvent> = c.items(q.send()).try_collect().await.unwrap();
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
    let refused = |operation: &'static str, document: Value| {
        let c = c.clone();
        async move {
            let op = Api::NameshieldCti.operation(operation).unwrap();
            match c.raw().send(op, &document).await {
                Err(Error::Validation(v)) => v,
                other => panic!("{operation} {document}: {other:?}"),
            }
        }
    };
    let cases: Vec<(&str, &str, Value)> = vec![
        ("size", "maximum", json!({"size": 501})),
        ("size", "minimum", json!({"size": 0})),
        ("page", "minimum", json!({"page": -1})),
        ("sort.0", "pattern", json!({"sort": ["name,desc"]})),
        ("sort.1", "pattern", json!({"sort": ["date", "id,upward"]})),
        (
            "startedAt",
            "pattern",
            json!({"startedAt": "2024-12-31T15:30:45Z"}),
        ),
        (
            "endedAt",
            "pattern",
            json!({"endedAt": "31/12/2024 15:30:45"}),
        ),
    ];
    for (field, rule, query) in cases {
        let v = refused("listThreatEvents", json!({ "query": query })).await;
        assert!(
            v.iter().any(|v| v.field() == field && v.rule == rule),
            "{field}: {v:?}"
        );
    }
    let v1: Vec<(&str, &str, Value)> = vec![
        ("limit", "maximum", json!({"limit": 501})),
        ("offset", "minimum", json!({"offset": -1})),
        ("started_at", "pattern", json!({"started_at": "2023-10-01"})),
    ];
    for (field, rule, body) in v1 {
        let v = refused("searchThreatEventsV1", json!({ "body": body })).await;
        assert!(
            v.iter().any(|v| v.field() == field && v.rule == rule),
            "{field}: {v:?}"
        );
    }
    let v = refused("getThreatEvent", json!({"path": {"id": "not-a-uuid"}})).await;
    assert_eq!((v[0].field(), v[0].rule.as_str()), ("id", "format"));
    // The typed face: a range only the spec knows is refused by the same validator.
    let err = call(c.generated().list_threat_events().size(501u64).send()).await;
    assert!(
        matches!(&err, Err(Error::Validation(v)) if v[0].field() == "size"),
        "{err:?}"
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
                "listThreatEvents" => events(&c).await.map(drop),
                "getThreatEvent" => {
                    let id = "2fc25065-4766-5fa1-93a3-471f36599f1d";
                    call(c.generated().get_threat_event().id(id).send())
                        .await
                        .map(drop)
                }
                _ => {
                    let q = c.generated().search_threat_events_v1();
                    call(q.body(types::SearchRequest::builder()).send())
                        .await
                        .map(drop)
                }
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
    events(&client(&server)).await.unwrap();
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
    let page = events(&client(&server)).await.unwrap();
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

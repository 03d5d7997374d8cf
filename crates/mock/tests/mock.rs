//! `threatbind_mock` (the CLI's `threatbind mock` is tested with the CLI): every API served offline from its spec, checked by
//! the spec (validator, documented responses) and by the real clients. Loopback only.

#[path = "../../../tests/common/mod.rs"]
mod common;

use common::fast_settings;
use futures::TryStreamExt;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashSet};

use std::time::Duration;
use threatbind::spec::{Api, Document, Operation};
use threatbind_mock::{serve, MockHandle, Options, RateLimit, Router};

const LOG360_TOKEN: &str = "1000.mock-test-token";
const NAMESHIELD_TOKEN: &str = "6f1c3c1e-1111-4000-8000-000000000042";

async fn start(options: Options) -> MockHandle {
    serve("127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap()
}

fn op(api: Api, id: &str) -> &'static Operation {
    api.operation(id).unwrap()
}

/// The credential headers each API's spec asks for (its first security requirement), with
/// Log360 Cloud's own token scheme.
fn credentials(api: Api) -> Vec<(String, String)> {
    let spec = api.document();
    let token = match api.stem() {
        "log360-cloud" => LOG360_TOKEN,
        "nameshield-cti" => NAMESHIELD_TOKEN,
        _ => "mock-token",
    };
    let mut out = Vec::new();
    let requirement = spec.pointer("/security/0").and_then(Value::as_object);
    for name in requirement.into_iter().flat_map(|r| r.keys()) {
        let scheme = &spec["components"]["securitySchemes"][name];
        match scheme["type"].as_str() {
            Some("http") => out.push((
                "authorization".to_owned(),
                format!("{} {token}", scheme["scheme"].as_str().unwrap()),
            )),
            Some("oauth2") if api.stem() == "log360-cloud" => out.push((
                "authorization".to_owned(),
                format!("Zoho-oauthtoken {token}"),
            )),
            Some("oauth2") => out.push(("authorization".to_owned(), format!("Bearer {token}"))),
            Some("apiKey") => out.push((
                scheme["name"].as_str().unwrap().to_owned(),
                format!("mock-{name}"),
            )),
            other => panic!("{api}: scheme type {other:?}"),
        }
    }
    out
}

/// Options whose quota never gets in the way.
fn unlimited() -> Options {
    Options {
        rate_limit: Some(RateLimit {
            requests: 1_000_000,
            period: Duration::from_secs(1),
        }),
        ..Options::default()
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The HTTP request of a request document (`{"header","query","path","body"}`) for `op` on the
/// mock, with the API's credentials when `signed`. `None` when a path parameter is missing
/// (such a document has no URL).
fn request(
    mock: &MockHandle,
    op: &Operation,
    document: &Value,
    signed: bool,
) -> Option<reqwest::Request> {
    let mut url = mock.url(op);
    if let Some(Value::Object(params)) = document.get("path") {
        for (name, value) in params {
            let encoded: String = percent_encoding::utf8_percent_encode(
                &text(value),
                percent_encoding::NON_ALPHANUMERIC,
            )
            .collect();
            url = url.replace(&format!("{{{name}}}"), &encoded);
        }
    }
    if url.contains('{') {
        return None;
    }
    let method = reqwest::Method::from_bytes(op.method.as_bytes()).unwrap();
    let mut builder = plain_http().request(method, &url);
    if let Some(Value::Object(query)) = document.get("query") {
        let mut pairs = Vec::new();
        for (name, value) in query {
            match value {
                Value::Array(items) => pairs.extend(items.iter().map(|i| (name.clone(), text(i)))),
                other => pairs.push((name.clone(), text(other))),
            }
        }
        builder = builder.query(&pairs);
    }
    if let Some(Value::Object(headers)) = document.get("header") {
        for (name, value) in headers {
            builder = builder.header(name.as_str(), text(value));
        }
    }
    if signed {
        for (name, value) in credentials(op.api) {
            builder = builder.header(name.as_str(), value);
        }
    }
    if let Some(body) = document.get("body") {
        builder = builder.json(body);
    }
    Some(builder.build().unwrap())
}

/// The fixtures of an operation whose file name starts with `prefix`, by name.
fn fixtures(op: &Operation, prefix: &str) -> Vec<(String, Value)> {
    let dir = common::root()
        .join("tests/fixtures")
        .join(op.api.stem())
        .join(&op.id);
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with(prefix) && name.ends_with(".json"))
                .map(|name| {
                    let body = std::fs::read_to_string(dir.join(&name)).unwrap();
                    (name, serde_json::from_str(&body).unwrap())
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Sends and reads the answer: status, headers, JSON body (`Null` when empty).
async fn send(request: reqwest::Request) -> (u16, reqwest::header::HeaderMap, Value) {
    let answer = plain_http().execute(request).await.unwrap();
    let status = answer.status().as_u16();
    let headers = answer.headers().clone();
    let bytes = answer.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{status}: not JSON ({e})"))
    };
    (status, headers, body)
}

/// A request that passes the client's own check now (the same check the mock makes).
fn valid_now(op: &Operation, request: &reqwest::Request) -> bool {
    op.validate_request(&op.request_document(request), chrono::Utc::now())
        .is_ok()
}

/// Valid fixtures that a rule relative to today's date makes invalid from a known instant on:
/// (API, operation, fixture, the rule, the instant). Until then they are answered like any
/// other; from then on the validator and the mock both refuse them, naming the rule.
const AGING: &[(&str, &str, &str, &str, &str)] = &[(
    "log360-cloud",
    "searchThreatAnalytics",
    "request.history-url.json",
    // `filter.start_date` 2026-01-01 may be at most 12 months before now.
    "x-rules:start-date-within-a-year",
    "2027-01-01T00:00:00Z",
)];

#[tokio::test]
async fn every_operation_answers_its_valid_fixtures_with_a_documented_success() {
    let mock = start(unlimited()).await;
    let mut answered = BTreeSet::new();
    let mut aging_seen = 0;
    for api in Api::ALL {
        for op in api.operations() {
            for (name, document) in fixtures(op, "request") {
                let request = request(&mock, op, &document, true)
                    .unwrap_or_else(|| panic!("{}/{name}: no URL (a path parameter?)", op.id));
                let now = chrono::Utc::now();
                let checked = op.validate_request(&op.request_document(&request), now);
                let aging = AGING
                    .iter()
                    .find(|a| (a.0, a.1, a.2) == (api.stem(), op.id.as_str(), name.as_str()));
                if let Some((_, _, _, rule, from)) = aging {
                    aging_seen += 1;
                    if now >= from.parse::<chrono::DateTime<chrono::Utc>>().unwrap() {
                        // Aged: refused by the validator and by the mock, naming the rule.
                        let violations = checked.expect_err(&format!("{}/{name}: aged", op.id));
                        assert!(
                            violations.iter().any(|v| v.rule == *rule),
                            "{}/{name}: {violations:?}",
                            op.id
                        );
                        let (status, _, body) = send(request).await;
                        assert_eq!(status, 400, "{}/{name}: {body}", op.id);
                        assert!(body.to_string().contains(rule), "{}/{name}: {body}", op.id);
                        continue;
                    }
                }
                if let Err(violations) = checked {
                    panic!("{}/{name}: a valid fixture refused: {violations:?}", op.id);
                }
                if let Some(cursor) = token_cursor(op) {
                    if threatbind::raw::lookup(&document, &cursor).is_some() {
                        // A token this mock did not hand out: refused, naming the cursor.
                        let (status, _, body) = send(request).await;
                        assert_eq!(status, 400, "{}/{name}: {body}", op.id);
                        assert!(body.to_string().contains("cursor: x-pagination:"), "{body}");
                        continue;
                    }
                }
                let (status, _, body) = send(request).await;
                assert!(
                    (200..300).contains(&status),
                    "{}/{name}: {status} {body}",
                    op.id
                );
                op.validate_response(status, &body)
                    .unwrap_or_else(|v| panic!("{}/{name}: {v:?}\n{body}", op.id));
                // And it decodes into the generated type, as the clients read it.
                if let Some(decoded) = api.roundtrip(&op.id, &serde_json::to_vec(&body).unwrap()) {
                    decoded.unwrap_or_else(|e| panic!("{}/{name}: {e}", op.id));
                }
                answered.insert((api.stem(), op.id.clone()));
            }
        }
    }
    let all: BTreeSet<_> = Api::ALL
        .iter()
        .flat_map(|api| api.operations().map(|op| (api.stem(), op.id.clone())))
        .collect();
    assert_eq!(answered, all, "every operation of every spec answered");
    assert_eq!(aging_seen, AGING.len(), "a listed aging fixture is gone");
}

/// Why an invalid fixture's document is not a refused request on the wire.
#[derive(Clone, Copy, Debug, PartialEq)]
enum OffTheWire {
    /// A path parameter is missing: the document has no URL.
    NoUrl,
    /// Written on the wire it is valid (an integer query value reads back as text): the mock
    /// answers it.
    ValidAsText,
}

/// The invalid fixtures that are not refused requests on the wire: (API, operation, fixture,
/// why). Every other invalid fixture must be refused by the client's check and by the mock.
const OFF_THE_WIRE: &[(&str, &str, &str, OffTheWire)] = &[
    (
        "log360-onprem-v2",
        "getIncident",
        "invalid-request.incident-id-missing.json",
        OffTheWire::NoUrl,
    ),
    (
        "nameshield-cti",
        "getThreatEvent",
        "invalid-request.id-missing.json",
        OffTheWire::NoUrl,
    ),
    (
        "datadog-ioc",
        "getIndicatorOfCompromise",
        "invalid-request.indicator-integer.json",
        OffTheWire::ValidAsText,
    ),
];

#[tokio::test]
async fn invalid_fixtures_get_a_400_in_the_vendors_shape_naming_the_violation() {
    let mock = start(unlimited()).await;
    let mut exercised = 0;
    let mut off_the_wire = Vec::new();
    for api in Api::ALL {
        for op in api.operations() {
            for (name, fixture) in fixtures(op, "invalid-request") {
                let listed = OFF_THE_WIRE
                    .iter()
                    .find(|l| (l.0, l.1, l.2) == (api.stem(), op.id.as_str(), name.as_str()))
                    .map(|l| l.3);
                let Some(request) = request(&mock, op, &fixture["document"], true) else {
                    assert_eq!(listed, Some(OffTheWire::NoUrl), "{}/{name}: no URL", op.id);
                    off_the_wire.push(name);
                    continue;
                };
                let wire = op.request_document(&request);
                let violations = match op.validate_request(&wire, chrono::Utc::now()) {
                    Err(violations) => violations,
                    Ok(()) => {
                        assert_eq!(
                            listed,
                            Some(OffTheWire::ValidAsText),
                            "{}/{name}: valid on the wire: {wire}",
                            op.id
                        );
                        let (status, _, body) = send(request).await;
                        assert!(
                            (200..300).contains(&status),
                            "{}/{name}: valid on the wire, yet {status} {body}",
                            op.id
                        );
                        off_the_wire.push(name);
                        continue;
                    }
                };
                assert_eq!(listed, None, "{}/{name}: refused on the wire", op.id);
                let (status, _, body) = send(request).await;
                assert_eq!(status, 400, "{}/{name}: {body}", op.id);
                // The documented 400 of the operation, else of its API.
                let documented = std::iter::once(op)
                    .chain(api.operations())
                    .find(|o| o.response_schema(400).is_some())
                    .unwrap();
                documented
                    .validate_response(400, &body)
                    .unwrap_or_else(|v| panic!("{}/{name}: {v:?}\n{body}", op.id));
                let said = match api.stem() {
                    "log360-cloud" => text(&body["error"]["detail"]),
                    "nameshield-cti" => text(&body["errors"][0]["message"]),
                    "datadog-ioc" => text(&body["errors"][0]),
                    _ => body.to_string(),
                };
                // The same violation: field and rule (the message may hold the clock's now).
                let named = format!("{}: {}: ", violations[0].field(), violations[0].rule);
                assert!(
                    said.contains(&named),
                    "{}/{name}: {said:?} does not name {named}",
                    op.id
                );
                exercised += 1;
            }
        }
    }
    assert!(
        exercised >= 60,
        "only {exercised} invalid fixtures reached the mock"
    );
    assert_eq!(
        off_the_wire.len(),
        OFF_THE_WIRE.len(),
        "a listed fixture is gone: {off_the_wire:?}"
    );
}

#[tokio::test]
async fn log360_missing_entity_name_gets_the_documented_code_of_that_field() {
    let mock = start(Options::default()).await;
    let op = op(Api::Log360Cloud, "getEntityRiskProfile");
    let doc = json!({"header": {"account_id": "18XXXXX4"}, "query": {"domain_name": "example.com", "entity_type": "user"}});
    let (status, _, body) = send(request(&mock, op, &doc, true).unwrap()).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "100010402", "{body}");
    assert_eq!(body["error"]["title"], "Bad Request");
    let doc = json!({"header": {"account_id": "18XXXXX4"}, "query": {"entity_name": "x", "domain_name": "example.com", "entity_type": "group"}});
    let (status, _, body) = send(request(&mock, op, &doc, true).unwrap()).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "100010405", "{body}");
}

#[tokio::test]
async fn missing_or_wrong_credentials_get_the_documented_401_or_403() {
    let mock = start(unlimited()).await;
    for api in Api::ALL {
        for op in api.operations() {
            let (_, document) = fixtures(op, "request").remove(0);
            let expected = [401, 403]
                .into_iter()
                .find(|s| op.response_schema(*s).is_some())
                .unwrap();
            let (status, _, body) = send(request(&mock, op, &document, false).unwrap()).await;
            assert_eq!(status, expected, "{}: {body}", op.id);
            op.validate_response(status, &body)
                .unwrap_or_else(|v| panic!("{}: {v:?}\n{body}", op.id));
        }
    }
    assert_eq!(
        op(Api::DatadogIoc, "getIndicatorOfCompromise").response_schema(401),
        None,
        "Datadog documents 403 only"
    );
    // Log360's token goes with its own scheme, Nameshield's as a bearer token.
    let log360 = op(Api::Log360Cloud, "listDetectionRules");
    let mut wrong = request(
        &mock,
        log360,
        &json!({"header": {"account_id": "1"}}),
        false,
    )
    .unwrap();
    wrong.headers_mut().insert(
        "authorization",
        format!("Bearer {LOG360_TOKEN}").parse().unwrap(),
    );
    assert_eq!(send(wrong).await.0, 401);
    // Datadog needs both keys.
    let datadog = op(Api::DatadogIoc, "getIndicatorOfCompromise");
    let mut half = request(
        &mock,
        datadog,
        &json!({"query": {"indicator": "8.8.8.8"}}),
        false,
    )
    .unwrap();
    half.headers_mut()
        .insert("dd-api-key", "only-one".parse().unwrap());
    assert_eq!(send(half).await.0, 403);
}

#[tokio::test]
async fn log360_unknown_entity_is_the_documented_404() {
    let mock = start(Options::default()).await;
    for id in [
        "getEntityRiskProfile",
        "listRecentAnomalies",
        "listEntityRuleAnomalies",
    ] {
        let op = op(Api::Log360Cloud, id);
        let doc = json!({"header": {"account_id": "18XXXXX4"}, "query": {
            "entity_name": "unknown-user", "domain_name": "example.com", "entity_type": "user", "rule_id": "1"}});
        let mut doc = doc;
        if id != "getEntityRiskProfile" {
            doc["query"].as_object_mut().unwrap().remove("entity_type");
        }
        if id != "listEntityRuleAnomalies" {
            doc["query"].as_object_mut().unwrap().remove("rule_id");
        }
        let (status, _, body) = send(request(&mock, op, &doc, true).unwrap()).await;
        assert_eq!(status, 404, "{id}: {body}");
        assert_eq!(body["error"]["code"], "100010400");
        assert_eq!(body["error"]["detail"], "Given Entity not found.");
        op.validate_response(404, &body).unwrap();
    }
}

#[tokio::test]
async fn nameshield_events_are_found_by_id_and_unknown_ids_are_404() {
    let mock = start(Options::default()).await;
    let list = op(Api::NameshieldCti, "listThreatEvents");
    let (_, _, page) =
        send(request(&mock, list, &json!({"query": {"size": 5, "page": 3}}), true).unwrap()).await;
    let event = page["data"][2].clone();
    let get = op(Api::NameshieldCti, "getThreatEvent");
    let by_id = json!({"path": {"id": event["id"]}});
    let (status, _, body) = send(request(&mock, get, &by_id, true).unwrap()).await;
    assert_eq!((status, &body), (200, &event));
    let unknown = json!({"path": {"id": "00000000-0000-4000-8000-000000000000"}});
    let (status, _, body) = send(request(&mock, get, &unknown, true).unwrap()).await;
    assert_eq!(status, 404, "{body}");
    get.validate_response(404, &body).unwrap();
    // Not a UUID: the client's own check says 400.
    let bad = json!({"path": {"id": "not-a-uuid"}});
    assert_eq!(send(request(&mock, get, &bad, true).unwrap()).await.0, 400);
}

#[tokio::test]
async fn answers_reflect_what_the_spec_says_the_server_does() {
    let mock = start(Options::default()).await;
    let threat = op(Api::Log360Cloud, "searchThreatAnalytics");
    let domain = json!({"header": {"account_id": "18XXXXX4"}, "body": {
        "indicator": "example.org", "indicator_type": "DOMAIN", "action": "CONNECTIONS",
        "filter": {"section": "sub_domains", "severity": 0}, "limit": 10, "from": 0}});
    let (status, _, body) = send(request(&mock, threat, &domain, true).unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["indicator_type"], "URL",
        "DOMAIN comes back as URL: {body}"
    );
    assert_eq!(body["data"]["indicator"], "example.org");
    assert_eq!(body["data"]["section"], "sub_domains");
    let ip = json!({"header": {"account_id": "18XXXXX4"}, "body": {"indicator": "8.8.8.8", "action": "INFO"}});
    let (_, _, body) = send(request(&mock, threat, &ip, true).unwrap()).await;
    assert_eq!(
        body["data"]["indicator_type"], "IP",
        "the detected type: {body}"
    );

    let ioc = op(Api::DatadogIoc, "getIndicatorOfCompromise");
    let doc =
        json!({"query": {"indicator": "login-verify.example.net", "include_triage_history": true}});
    let (status, _, body) = send(request(&mock, ioc, &doc, true).unwrap()).await;
    assert_eq!(status, 200);
    let data = &body["data"]["attributes"]["data"];
    assert_eq!(data["indicator"], "login-verify.example.net");
    assert_eq!(data["triage_history"], json!([]));
    ioc.validate_response(200, &body).unwrap();

    let vt = op(Api::Log360Cloud, "searchVirusTotal");
    let doc = json!({"header": {"account_id": "18XXXXX4"}, "body": {"indicator": "https://example.com/x"}});
    let (_, _, body) = send(request(&mock, vt, &doc, true).unwrap()).await;
    let sections: BTreeSet<&str> = body["data"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        sections,
        BTreeSet::from([
            "virus_total_info",
            "security_vendor_analysis",
            "html_info",
            "http_response_headers"
        ])
    );
}

#[tokio::test]
async fn the_nameshield_client_walks_every_page_of_the_data_set() {
    use threatbind::nameshield_cti::{generated::types, NameshieldClient};
    let mock = start(Options::default()).await;
    let client = NameshieldClient::builder()
        .token(NAMESHIELD_TOKEN)
        .base_url(mock.base_url())
        .settings(fast_settings())
        .build()
        .unwrap();
    let events: Vec<types::ThreatEvent> = client
        .items(client.generated().list_threat_events().size(50u64).send())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(events.len(), 237);
    let ids: HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), 237, "unique ids");
    // 5 pages of 50 (the last of 37), nothing else.
    assert_eq!(mock.stats().per_api[&Api::NameshieldCti].requests, 5);

    // Another size of data set, another seed: other items.
    let other = start(Options {
        items: 61,
        seed: 2,
        ..Options::default()
    })
    .await;
    let client = NameshieldClient::builder()
        .token(NAMESHIELD_TOKEN)
        .base_url(other.base_url())
        .settings(fast_settings())
        .build()
        .unwrap();
    let again: Vec<types::ThreatEvent> = client
        .items(client.generated().list_threat_events().size(500u64).send())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(again.len(), 61);
    assert_eq!(again[0].id, events[0].id, "the example item comes first");
    assert_ne!(again[5].id, events[5].id, "another seed, other ids");
}

#[tokio::test]
async fn the_nameshield_v1_search_pages_by_offset_with_its_total() {
    use threatbind::nameshield_cti::NameshieldClient;
    let mock = start(Options::default()).await;
    let client = NameshieldClient::builder()
        .token(NAMESHIELD_TOKEN)
        .base_url(mock.base_url())
        .settings(fast_settings())
        .build()
        .unwrap();
    let op = op(Api::NameshieldCti, "searchThreatEventsV1");
    let document = Document::new().body(json!({"limit": 100})).into_value();
    let pages: Vec<_> = client
        .raw()
        .pages(op, document)
        .try_collect()
        .await
        .unwrap();
    let bodies: Vec<Value> = pages
        .iter()
        .map(|p| serde_json::from_slice(&p.body).unwrap())
        .collect();
    let offsets: Vec<&Value> = bodies.iter().map(|b| &b["data"]["offset"]).collect();
    assert_eq!(offsets, [&json!(0), &json!(100), &json!(200)]);
    assert!(bodies
        .iter()
        .all(|b| b["data"]["total"] == 237 && b["data"]["limit"] == 100));
    let results: usize = bodies
        .iter()
        .map(|b| b["data"]["results"].as_array().unwrap().len())
        .sum();
    assert_eq!(results, 237);
}

#[tokio::test]
async fn the_log360_client_walks_detection_rules_and_ueba_pages() {
    use threatbind::log360_cloud::{generated::types, Log360Auth, Log360Client, Prefill};
    let mock = start(Options::default()).await;
    let client = Log360Client::builder()
        .account_id("18XXXXX4")
        .base_url(format!("{}/api/v2", mock.base_url()))
        .auth(Log360Auth::access_token(LOG360_TOKEN))
        .settings(fast_settings())
        .build()
        .unwrap();
    let rules: Vec<types::DetectionRule> = client
        .items(client.list_detection_rules().limit(100u64).send())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rules.len(), 237);
    let ids: HashSet<&str> = rules.iter().map(|r| r.rule_id.as_str()).collect();
    assert_eq!(ids.len(), 237);

    // UEBA: the page is the item, the cursor advances by the page's limit.
    let pages: Vec<types::RecentAnomaliesResponse> = client
        .pages(
            client
                .list_recent_anomalies()
                .entity_name("john.doe")
                .domain_name("example.com")
                .send(),
        )
        .try_collect()
        .await
        .unwrap();
    let froms: Vec<i64> = pages
        .iter()
        .map(|p| p.meta.as_ref().unwrap().from.unwrap())
        .collect();
    assert_eq!(froms, [1, 51, 101, 151, 201]);
    let anomalies: usize = pages
        .iter()
        .map(|p| p.data.pattern_anomalies.as_ref().unwrap().anomalies.len())
        .sum();
    assert_eq!(anomalies, 237);
    assert_eq!(pages[0].data.entity_name.as_deref(), Some("john.doe"));
}

/// The cursor path of an operation paged by tokens (`x-pagination: {advance: token}`).
fn token_cursor(op: &Operation) -> Option<String> {
    let paging = op.raw.get("x-pagination")?;
    (paging.get("advance")? == "token")
        .then(|| paging.get("cursor")?.as_str().map(str::to_owned))?
}

/// The first list of objects in a body (depth first).
fn first_list(value: &Value) -> Option<&Vec<Value>> {
    match value {
        Value::Array(items) if items.iter().any(Value::is_object) => Some(items),
        Value::Object(map) => map.values().find_map(first_list),
        _ => None,
    }
}

#[tokio::test]
async fn token_cursors_walk_the_data_set_and_foreign_ones_are_refused() {
    let paged = Api::ALL
        .iter()
        .flat_map(|api| api.operations())
        .find(|op| token_cursor(op).is_some());
    let Some(op) = paged else {
        return; // no operation pages by tokens in this build
    };
    let cursor = token_cursor(op).unwrap();
    let mock = start(unlimited()).await;
    let first = fixtures(op, "request")
        .into_iter()
        .map(|(_, doc)| doc)
        .find(|doc| {
            threatbind::raw::lookup(doc, &cursor).is_none()
                && valid_now(op, &request(&mock, op, doc, true).unwrap())
        })
        .unwrap();
    // The generic client of the API, its credentials from the spec's variables.
    let variables: Vec<String> = op
        .api
        .env()
        .credentials
        .iter()
        .map(|c| c.variable.name.clone())
        .collect();
    assert!(!variables.is_empty());
    let get = move |name: &str| {
        variables
            .contains(&name.to_owned())
            .then(|| "mock-token".to_owned())
    };
    let root = mock
        .url(op)
        .strip_suffix(op.path.as_str())
        .unwrap()
        .to_owned();
    let raw = threatbind::generic::connect(op.api, get, &fast_settings(), &[], Some(root)).unwrap();
    let pages: Vec<_> = raw.pages(op, first.clone()).try_collect().await.unwrap();
    let bodies: Vec<Value> = pages
        .iter()
        .map(|p| serde_json::from_slice(&p.body).unwrap())
        .collect();
    let sizes: Vec<usize> = bodies
        .iter()
        .map(|b| first_list(b).map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [100, 100, 37], "{}", op.id);
    let last = bodies.last().unwrap();
    assert!(
        !last.to_string().contains("cursor"),
        "no cursor on the last page: {last}"
    );
    for body in &bodies {
        op.validate_response(200, body).unwrap();
    }

    // A token the mock did not hand out is refused, naming the cursor.
    let mut forged = first.clone();
    let (part, name) = cursor.split_once('.').unwrap();
    forged[part][name] = json!("0-0-00000000");
    for rule in &op.rules {
        if let threatbind::spec::RuleKind::ExactlyOne { paths } = &rule.kind {
            for path in paths.iter().filter(|p| **p != cursor) {
                let (part, name) = path.split_once('.').unwrap();
                forged[part].as_object_mut().unwrap().remove(name);
            }
        }
    }
    let (status, _, body) = send(request(&mock, op, &forged, true).unwrap()).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.to_string()
            .contains("is not a cursor this server handed out"),
        "{body}"
    );
}

#[tokio::test]
async fn a_quota_of_5_per_second_refuses_3_of_8_quick_requests() {
    let limit = RateLimit {
        requests: 5,
        period: Duration::from_secs(1),
    };
    let mock = start(Options {
        rate_limit: Some(limit),
        ..Options::default()
    })
    .await;
    let list = op(Api::NameshieldCti, "listThreatEvents");
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let (status, headers, body) = send(request(&mock, list, &json!({}), true).unwrap()).await;
        if status == 429 {
            let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=1).contains(&wait), "{wait}");
            list.validate_response(429, &body).unwrap();
        }
        statuses.push(status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        3,
        "{statuses:?}"
    );
    let stats = mock.stats();
    assert_eq!(stats.rate_limited, 3);
    assert_eq!(stats.per_api[&Api::NameshieldCti].rate_limited, 3);
    assert_eq!(stats.per_api[&Api::NameshieldCti].requests, 8);
    // Per credential: another token has its own window.
    let mut other = request(&mock, list, &json!({}), false).unwrap();
    other
        .headers_mut()
        .insert("authorization", "Bearer another-token".parse().unwrap());
    assert_eq!(send(other).await.0, 200);

    // Datadog's 429 carries the five headers its spec declares.
    let ioc = op(Api::DatadogIoc, "getIndicatorOfCompromise");
    let doc = json!({"query": {"indicator": "8.8.8.8"}});
    let mut last = None;
    for _ in 0..6 {
        last = Some(send(request(&mock, ioc, &doc, true).unwrap()).await);
    }
    let (status, headers, body) = last.unwrap();
    assert_eq!(status, 429);
    ioc.validate_response(429, &body).unwrap();
    for name in [
        "retry-after",
        "x-ratelimit-limit",
        "x-ratelimit-period",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-ratelimit-name",
    ] {
        assert!(headers.contains_key(name), "{name} missing: {headers:?}");
    }
    assert_eq!(headers["x-ratelimit-limit"], "5");
    assert_eq!(headers["x-ratelimit-period"], "1");
    assert_eq!(headers["x-ratelimit-remaining"], "0");
}

#[tokio::test]
async fn without_an_override_the_specs_quota_counts_per_account() {
    let mock = start(Options::default()).await;
    let rules = op(Api::Log360Cloud, "listDetectionRules");
    let account = |id: &str| json!({"header": {"account_id": id}});
    for n in 0..50 {
        let (status, _, _) = send(request(&mock, rules, &account("18XXXXX4"), true).unwrap()).await;
        assert_eq!(status, 200, "request {n}");
    }
    // All operations of the API together: the 51st, on another operation, is refused.
    let profile = op(Api::Log360Cloud, "getEntityRiskProfile");
    let doc = json!({"header": {"account_id": "18XXXXX4"}, "query": {"entity_name": "a", "domain_name": "b.com", "entity_type": "user"}});
    let (status, headers, body) = send(request(&mock, profile, &doc, true).unwrap()).await;
    assert_eq!(status, 429);
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    profile.validate_response(429, &body).unwrap();
    // Another account of the same token has its own 50.
    assert_eq!(
        send(request(&mock, rules, &account("other"), true).unwrap())
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn a_quota_kept_per_server_is_shared_by_the_apis_of_that_server() {
    // Operations whose x-rate-limit says `per: server`, one per API (an on-premises product's
    // V1 and V2): the mock is one server, so they count in one window.
    let mut chosen: Vec<&'static Operation> = Vec::new();
    for api in Api::ALL {
        let per_server = api
            .operations()
            .find(|op| op.quota_owner == Some(threatbind::spec::model::QuotaOwner::Server));
        chosen.extend(per_server);
    }
    // The on-premises V2 and V1 (every API is built for the mock's tests).
    assert_eq!(chosen.len(), 2, "two APIs of one server: {chosen:?}");
    let mock = start(Options::default()).await;
    let limit = chosen[0].rate_limit.unwrap().requests as usize;
    let valid = |op: &Operation| {
        fixtures(op, "request")
            .into_iter()
            .map(|(_, doc)| doc)
            .find(|doc| valid_now(op, &request(&mock, op, doc, true).unwrap()))
            .unwrap()
    };
    let (first, second) = (valid(chosen[0]), valid(chosen[1]));
    for n in 0..limit {
        let (op, doc) = if n % 2 == 0 {
            (chosen[0], &first)
        } else {
            (chosen[1], &second)
        };
        let (status, _, body) = send(request(&mock, op, doc, true).unwrap()).await;
        assert!(
            (200..300).contains(&status),
            "{} request {n}: {status} {body}",
            op.id
        );
    }
    let (status, headers, _) = send(request(&mock, chosen[1], &second, true).unwrap()).await;
    assert_eq!(
        status, 429,
        "{} and {} share one window",
        chosen[0].id, chosen[1].id
    );
    assert!(headers.contains_key("retry-after"));
}

#[tokio::test]
async fn faults_follow_the_fail_rate_and_the_seed() {
    let list = op(Api::NameshieldCti, "listThreatEvents");
    let broken = start(Options {
        fail_rate: 1.0,
        ..Options::default()
    })
    .await;
    assert_eq!(
        send(request(&broken, list, &json!({}), true).unwrap())
            .await
            .0,
        503
    );
    assert_eq!(broken.stats().faults, 1);

    let mut runs = Vec::new();
    for _ in 0..2 {
        let mock = start(Options {
            fail_rate: 0.5,
            seed: 7,
            ..Options::default()
        })
        .await;
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(
                send(request(&mock, list, &json!({}), true).unwrap())
                    .await
                    .0,
            );
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1], "one seed, one sequence");
    assert!(
        runs[0].contains(&503) && runs[0].contains(&200),
        "{:?}",
        runs[0]
    );
    let other_seed = start(Options {
        fail_rate: 0.5,
        seed: 8,
        ..Options::default()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(
            send(request(&other_seed, list, &json!({}), true).unwrap())
                .await
                .0,
        );
    }
    assert_ne!(statuses, runs[0]);
}

/// On tokio's paused clock: the answer comes once the clock has moved by the latency, and
/// the clock moves only by timers (none of the client's), so a mock that ignored the option
/// would answer at 0 ms, whatever the machine's speed.
#[tokio::test(start_paused = true)]
async fn latency_delays_the_answer() {
    let list = op(Api::NameshieldCti, "listThreatEvents");
    let slow = start(Options {
        latency: Duration::from_millis(150),
        ..Options::default()
    })
    .await;
    let started = tokio::time::Instant::now();
    let answer = tokio::spawn(send(request(&slow, list, &json!({}), true).unwrap()));
    // Busy until the mock has the request: an idle runtime would move the clock to the next
    // timer, and the only one pending while the request crosses the socket is the server's
    // 30 s wait for request headers.
    while slow.stats().requests == 0 {
        tokio::task::yield_now().await;
    }
    let (status, _, body) = answer.await.unwrap();
    assert_eq!(status, 200, "{body}");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(150), "{waited:?}");
}

#[tokio::test]
async fn no_input_makes_it_fall_over() {
    let mock = start(Options::default()).await;
    let http = plain_http();
    let base = mock.base_url().to_owned();
    let bearer = format!("Bearer {NAMESHIELD_TOKEN}");
    let zoho = format!("Zoho-oauthtoken {LOG360_TOKEN}");
    let threat = format!("{base}/api/v2/threat/search/advanced-threat-analytics");

    // Not JSON: the body is text, which the body schema refuses, in the vendor's shape.
    let answer = http
        .post(&threat)
        .header("authorization", &zoho)
        .header("account_id", "1")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert!(
        body["error"]["detail"].as_str().unwrap().contains("type"),
        "{body}"
    );
    // Invalid UTF-8 in the body.
    let answer = http
        .post(&threat)
        .header("authorization", &zoho)
        .header("account_id", "1")
        .body(vec![0xff, 0xfe, b'{'])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    // Too large.
    let huge = vec![b' '; threatbind_mock::MAX_BODY_BYTES + 1];
    let answer = http
        .post(&threat)
        .header("authorization", &zoho)
        .header("account_id", "1")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);
    // Paths and queries that are not UTF-8 once decoded.
    let answer = http
        .get(format!("{base}/cti/v2/events/%FF%FE"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let answer = http.get(format!("{base}/%FF/%C0")).send().await.unwrap();
    assert_eq!(answer.status(), 404);
    let body: Value = answer.json().await.unwrap();
    assert!(body["error"].is_object());
    let answer = http
        .get(format!("{base}/cti/v2/events?size=%FF&sort=%00"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    // A known path with another method.
    let answer = http
        .delete(format!("{base}/cti/v2/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 405);
    assert_eq!(answer.headers()["allow"], "GET");
    // Trailing slash, doubled slashes, absurd headers.
    for path in ["/cti/v2/events/", "//cti/v2/events", "/cti/v2//events", "/"] {
        let answer = http
            .get(format!("{base}{path}"))
            .header("authorization", &bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 404, "{path}");
    }
    let answer = http
        .get(format!("{base}/cti/v2/events"))
        .header("authorization", "Bearer")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    // Still serving.
    let answer = http
        .get(format!("{base}/cti/v2/events"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}

#[tokio::test]
async fn two_apis_on_one_route_are_refused_naming_both() {
    let routes = Router::new(vec![
        ("log360-cloud", "GET", "/api/v2/entities/{kind}", 0),
        ("datadog-ioc", "GET", "/api/v2/entities/recent", 1),
    ]);
    let error = routes.unwrap_err();
    assert!(
        error.contains("log360-cloud") && error.contains("datadog-ioc"),
        "{error}"
    );
    // Even with other methods: one path, one API.
    assert!(Router::new(vec![("a", "GET", "/x", 0), ("b", "POST", "/x", 1)]).is_err());
    // The real specs do not collide (serve would have refused).
    start(Options::default()).await.shutdown().await;
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let mock = start(Options::default()).await;
    let url = format!("{}/cti/v2/events", mock.base_url());
    mock.shutdown().await;
    assert!(
        reqwest::get(&url).await.is_err(),
        "nothing listens after shutdown"
    );

    let mock = start(Options::default()).await;
    let url = format!("{}/cti/v2/events", mock.base_url());
    drop(mock);
    let mut refused = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        if reqwest::get(&url).await.is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "nothing listens once the handle is dropped");
}

/// A bare reqwest client for raw requests to the mock (rustls needs a crypto provider: threatbind
/// builds with `ring` and no default one).
fn plain_http() -> reqwest::Client {
    threatbind::install_crypto_provider();
    reqwest::Client::new()
}

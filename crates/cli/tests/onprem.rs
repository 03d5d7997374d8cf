//! Log360 on-premises (V2 and the deprecated V1) against local servers: the derived CLI group,
//! the bearer token, the server root, token pagination, the one quota of a server, the rules.

use serde_json::{json, Value};
use std::process::Output;
use std::time::Duration;
use threatbind::spec::{Api, RateLimit};
use threatbind::Settings;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "onprem-authtoken-5f1e";

/// The generic client of `api` for `server`, from the variables a user sets.
fn connect(api: Api, server: &MockServer, settings: &Settings) -> threatbind::raw::RawClient {
    let uri = server.uri();
    threatbind::generic::connect(
        api,
        |name| match name {
            "LOG360_ONPREM_TOKEN" => Some(TOKEN.to_owned()),
            "LOG360_ONPREM_URL" => Some(uri.clone()),
            _ => None,
        },
        settings,
        &[],
        None,
    )
    .unwrap()
}

async fn run(server: &MockServer, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_threatbind"))
        .env_clear()
        .env("LOG360_ONPREM_TOKEN", TOKEN)
        .env("LOG360_ONPREM_URL", server.uri())
        .args(args)
        .output()
        .await
        .unwrap()
}

/// Three pages: the first answer's cursor beside `data`, the second's inside it, none after.
async fn three_pages(server: &MockServer) {
    let page = |n: u32, cursor: Option<&str>, inside: bool| {
        let mut data = json!({"hits": [{"n": n}]});
        let mut body = json!({});
        if let Some(c) = cursor {
            if inside {
                data["cursor"] = json!(c);
            } else {
                body["cursor"] = json!(c);
            }
        }
        body["data"] = data;
        ResponseTemplate::new(200).set_body_json(body)
    };
    Mock::given(method("POST"))
        .and(path("/api/v2/search"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(|r: &Request| {
            let b: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            b.get("query") == Some(&json!("error")) && b.get("cursor").is_none()
        })
        .respond_with(page(1, Some("c1"), false))
        .expect(1)
        .mount(server)
        .await;
    for (cursor, n, next) in [("c1", 2, Some("c2")), ("c2", 3, None)] {
        Mock::given(method("POST"))
            .and(path("/api/v2/search"))
            .and(body_partial_json(json!({"cursor": cursor})))
            .and(|r: &Request| {
                let b: Value = serde_json::from_slice(&r.body).unwrap_or_default();
                b.get("query").is_none()
            })
            .respond_with(page(n, next, true))
            .expect(1)
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn search_all_follows_the_cursors_without_the_query() {
    let server = MockServer::start().await;
    three_pages(&server).await;
    let out = run(
        &server,
        &[
            "log360-onprem",
            "search",
            "--query",
            "error",
            "--start-time",
            "2026-11-24T00:00:00Z",
            "--end-time",
            "2026-11-25T00:00:00Z",
            "--all",
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ns: Vec<&Value> = lines.iter().map(|l| &l["data"]["hits"][0]["n"]).collect();
    assert_eq!(ns, [&json!(1), &json!(2), &json!(3)]);
}

#[tokio::test]
async fn the_library_walks_the_same_pages() {
    use futures::TryStreamExt;
    let server = MockServer::start().await;
    three_pages(&server).await;
    let api = Api::Log360OnpremV2;
    let raw = connect(api, &server, &Settings::default());
    assert_eq!(raw.base_url(), format!("{}/api/v2", server.uri()));
    let op = api.operation("searchLogs").unwrap();
    let doc = json!({"body": {"query": "error", "start_time": "2026-11-24T00:00:00Z", "end_time": "2026-11-25T00:00:00Z"}});
    let pages: Vec<_> = raw.pages(op, doc).try_collect().await.unwrap();
    assert_eq!(pages.len(), 3);
}

#[tokio::test]
async fn v1_warns_and_the_rules_refuse_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/RestAPI/v1/product/details"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"os_type": "windows"})))
        .expect(1)
        .mount(&server)
        .await;
    let out = run(&server, &["log360-onprem", "product-details"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("deprecated"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"{"os_type":"windows"}"#
    );

    let eleven = (1..=11)
        .map(|i| format!("host{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let out = run(
        &server,
        &["log360-onprem", "disable-device", "--name", &eleven],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at-most-10-devices"));
    let both = run(
        &server,
        &[
            "log360-onprem",
            "search",
            "--query",
            "x",
            "--cursor",
            "c1",
            "--start-time",
            "2026-11-24T00:00:00Z",
            "--end-time",
            "2026-11-25T00:00:00Z",
        ],
    )
    .await;
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("query-or-cursor"));
    // Only the product details reached the server.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// V1 and V2 of one server share one quota (`per: server`).
#[tokio::test]
async fn v1_and_v2_share_the_server_quota() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {}})))
        .mount(&server)
        .await;
    // Two requests per hour: no slot taken in this test frees before it ends.
    let settings = Settings {
        rate_limit: Some(RateLimit {
            requests: 2,
            period: Duration::from_secs(3600),
        }),
        ..Settings::default()
    };
    let v2 = connect(Api::Log360OnpremV2, &server, &settings);
    let v1 = connect(Api::Log360OnpremV1, &server, &settings);
    let agents = Api::Log360OnpremV2.operation("listAgents").unwrap();
    let product = Api::Log360OnpremV1.operation("getProductDetails").unwrap();
    v2.send(agents, &json!({})).await.unwrap();
    v1.send(product, &json!({})).await.unwrap();
    // One request of each version took the server's two slots: a third, by either, has to
    // wait for one. Clients with no time to wait (a budget of zero) say so at once, and send
    // nothing; with a quota per version, each would find a free slot and send its request.
    let no_time = Settings {
        retry: threatbind::RetryPolicy {
            max_elapsed: Duration::ZERO,
            ..settings.retry.clone()
        },
        ..settings.clone()
    };
    for (api, op) in [
        (Api::Log360OnpremV2, agents),
        (Api::Log360OnpremV1, product),
    ] {
        let err = connect(api, &server, &no_time)
            .send(op, &json!({}))
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("gave up waiting for the quota"),
            "{api}: {err}"
        );
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

fn v1_client(server: &MockServer) -> threatbind::raw::RawClient {
    connect(Api::Log360OnpremV1, server, &Settings::default())
}

fn quick() -> threatbind::async_jobs::JobOptions {
    threatbind::async_jobs::JobOptions {
        first_wait: Duration::from_millis(5),
        max_wait: Duration::from_millis(20),
        timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

/// V1 asynchronous search: submitted, polled while RUNNING, then every result page.
#[tokio::test]
async fn an_async_search_is_polled_then_its_pages_streamed() {
    use futures::TryStreamExt;
    use wiremock::matchers::query_param;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/RestAPI/v1/search/async"))
        .and(body_partial_json(json!({"query": "error"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"request_id": 42})))
        .expect(1)
        .mount(&server)
        .await;
    let job = |status: &str| {
        ResponseTemplate::new(200)
            .set_body_json(json!({"total": 1, "requests": [{"request_id": 42, "status": status}]}))
    };
    Mock::given(path("/RestAPI/v1/jobs"))
        .and(query_param("request_id", "42"))
        .respond_with(job("RUNNING"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(path("/RestAPI/v1/jobs"))
        .respond_with(job("SUCCESS"))
        .expect(1)
        .mount(&server)
        .await;
    for (page, next) in [("1", json!(true)), ("2", json!(false))] {
        Mock::given(path("/RestAPI/v1/jobs/results"))
            .and(query_param("request_id", "42"))
            .and(query_param("page_no", page))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "next_page": next,
                "results": {"hits": [{"page": page}], "hits_count_in_current_page": 1}
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    let body = json!({"query": "error"});
    let pages: Vec<_> =
        threatbind::async_jobs::run(v1_client(&server), "searchLogsAsync", body, quick())
            .try_collect()
            .await
            .unwrap();
    assert_eq!(pages.len(), 2);
}

#[tokio::test]
async fn a_failed_or_endless_job_ends_with_an_error() {
    use futures::StreamExt;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"request_id": "r-7"})))
        .mount(&server)
        .await;
    Mock::given(path("/RestAPI/v1/jobs"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"requests": [{"request_id": "r-7", "status": "FAILED"}]})),
        )
        .mount(&server)
        .await;
    let all: Vec<_> =
        threatbind::async_jobs::run(v1_client(&server), "searchAlertsAsync", json!({}), quick())
            .collect()
            .await;
    assert_eq!(all.len(), 1);
    let err = all.into_iter().next().unwrap().unwrap_err();
    assert!(err.to_string().contains("FAILED"), "{err}");

    let running = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"request_id": 9})))
        .mount(&running)
        .await;
    Mock::given(path("/RestAPI/v1/jobs"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"requests": [{"request_id": 9, "status": "RUNNING"}]})),
        )
        .mount(&running)
        .await;
    let options = threatbind::async_jobs::JobOptions {
        timeout: Duration::from_millis(100),
        ..quick()
    };
    let all: Vec<_> =
        threatbind::async_jobs::run(v1_client(&running), "searchLogsAsync", json!({}), options)
            .collect()
            .await;
    let err = all.into_iter().next().unwrap().unwrap_err();
    assert!(matches!(err, threatbind::Error::Budget(_)), "{err}");
}

/// The typed client of a generic API: the generated builders over the generic connection, on
/// the same send path (validation before sending, the bearer token).
#[tokio::test]
async fn the_typed_client_of_an_on_premises_api() {
    use threatbind::log360_onprem_v2::generated::{types, Client};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/incident/7"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": 7}})))
        .expect(1)
        .mount(&server)
        .await;
    let raw = connect(Api::Log360OnpremV2, &server, &Settings::default());
    let client = Client::from_raw(&raw);
    threatbind::call(client.get_incident().incident_id(7).send())
        .await
        .unwrap();
    // Both query and cursor: refused by the spec's rule before anything is sent.
    let body = types::SearchRequest::builder()
        .query(Some("x".to_owned()))
        .cursor(Some("c1".to_owned()))
        .start_time(chrono::Utc::now() - chrono::Duration::hours(1))
        .end_time(chrono::Utc::now());
    let err = threatbind::call(client.search_logs().body(body).send())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("query-or-cursor"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// The documented command line: `search --log-source-id ID...` fills `log_source_ids`.
#[tokio::test]
async fn list_flags_carry_the_documented_singular_names() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/search"))
        .and(body_partial_json(
            json!({"log_source_ids": ["301", "302"], "query": "x"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {}})))
        .expect(1)
        .mount(&server)
        .await;
    let out = run(
        &server,
        &[
            "log360-onprem",
            "search",
            "--query",
            "x",
            "--log-source-id",
            "301",
            "--log-source-id",
            "302",
            "--start-time",
            "2026-11-24T00:00:00Z",
            "--end-time",
            "2026-11-25T00:00:00Z",
        ],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `disable-device --name A --name B` sends one comma-separated `device_name` (the spec's
/// `x-cli: {flag, separator}`), and the at-most-10 rule counts across repeated flags.
#[tokio::test]
async fn disable_device_joins_repeated_names() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/RestAPI/v1/device/disable"))
        .and(wiremock::matchers::body_json(
            json!({"device_name": "ws-fin-07,ws-fin-08"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message": "done"})))
        .expect(1)
        .mount(&server)
        .await;
    let out = run(
        &server,
        &[
            "log360-onprem",
            "disable-device",
            "--name",
            "ws-fin-07",
            "--name",
            "ws-fin-08",
        ],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut args = vec!["log360-onprem", "disable-device"];
    let names: Vec<String> = (1..=11).map(|i| format!("host{i}")).collect();
    for name in &names {
        args.extend(["--name", name.as_str()]);
    }
    let out = run(&server, &args).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at-most-10-devices"));
}

/// The V1 search's cursor is walked too (`x-pagination` on searchLogsV1): `--all` prints one
/// line per hit of every page, and the second request sends the first answer's cursor.
#[tokio::test]
async fn v1_search_all_walks_the_hits_of_every_page() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/RestAPI/v1/search"))
        .and(body_partial_json(json!({"cursor": "page-2"})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"hits": {"hits": [{"n": 3}], "hits_count_in_current_page": 1}}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/RestAPI/v1/search"))
        .and(|r: &Request| {
            serde_json::from_slice::<Value>(&r.body)
                .map(|b| b.get("cursor").is_none())
                .unwrap_or(false)
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "hits": {"hits": [{"n": 1}, {"n": 2}], "hits_count_in_current_page": 2},
            "cursor": "page-2"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let out = run(
        &server,
        &["log360-onprem", "search-v1", "--query", "*", "--all"],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"
    );
}

//! The real `threatbind` binary against local mock servers: flags, output, exit codes.

#[path = "../../../tests/common/mod.rs"]
mod common;
mod support;

use serde_json::{json, Value};
use support::{refs, run, stderr, stdout};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "1000.cli-secret-token";

fn log360_env(server: &MockServer) -> Vec<(&'static str, String)> {
    vec![
        ("LOG360_ACCOUNT_ID", "18XXXXX4".into()),
        ("LOG360_ACCESS_TOKEN", SECRET.into()),
        ("LOG360_BASE_URL", format!("{}/api/v2", server.uri())),
    ]
}

#[tokio::test]
async fn log360_threat_analytics_prints_the_typed_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/threat/search/advanced-threat-analytics"))
        .and(header("account_id", "18XXXXX4"))
        .and(header("authorization", format!("Zoho-oauthtoken {SECRET}").as_str()))
        .and(body_json(json!({"indicator": "8.8.8.8", "indicator_type": "IP", "action": "CONNECTIONS", "filter": {"section": "asn", "severity": 0}, "limit": 10, "from": 0})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"indicator": "8.8.8.8", "indicator_type": "IP", "asn": 15169}})))
        .expect(1)
        .mount(&server)
        .await;
    let env = log360_env(&server);
    let out = run(
        &refs(&env),
        &[
            "-v",
            "log360",
            "threat-analytics",
            "--indicator",
            "8.8.8.8",
            "--indicator-type",
            "IP",
            "--action",
            "CONNECTIONS",
            "--section",
            "asn",
            "--severity",
            "0",
            "--limit",
            "10",
            "--from",
            "0",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let answer: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(answer["data"]["indicator_type"], "IP");
    assert_eq!(answer["data"]["asn"], 15169);
    assert!(
        !stdout(&out).contains(SECRET) && !stderr(&out).contains(SECRET),
        "a secret leaked"
    );
}

#[tokio::test]
async fn invalid_input_exits_2_naming_the_field_and_sends_nothing() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let env = log360_env(&server);
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "log360",
                "threat-analytics",
                "--indicator",
                "8.8.8.8",
                "--action",
                "CONNECTIONS",
                "--indicator-type",
                "IP",
                "--section",
                "asn",
                "--severity",
                "9",
                "--limit",
                "10",
                "--from",
                "0",
            ],
            "--severity: maximum",
        ),
        (
            &[
                "log360",
                "threat-analytics",
                "--indicator",
                "8.8.8.8",
                "--action",
                "CONNECTIONS",
            ],
            "--section: x-rules:connections-required-fields",
        ),
        (
            &[
                "log360",
                "threat-analytics",
                "--indicator",
                "8.8.8.8",
                "--action",
                "LOOKUP",
            ],
            "--action: enum",
        ),
        (
            &[
                "log360",
                "risk-profile",
                "--entity-name",
                "a",
                "--domain-name",
                "b",
                "--entity-type",
                "group",
            ],
            "--entity-type: enum",
        ),
        (
            &[
                "log360",
                "anomaly-details",
                "--entity-name",
                "a",
                "--domain-name",
                "b",
                "--rule-id",
                "r",
                "--limit",
                "1001",
            ],
            "--limit: maximum",
        ),
        (
            &[
                "log360",
                "anomaly-details",
                "--entity-name",
                "a",
                "--domain-name",
                "b",
                "--rule-id",
                "r",
                "--start-time",
                "yesterday",
            ],
            "--start-time: time",
        ),
        (
            &["log360", "detection-rules", "--limit", "101"],
            "--limit: maximum",
        ),
    ];
    for (args, expected) in cases {
        let out = run(&refs(&env), args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // Enum flags list the spec's values.
    let out = run(
        &refs(&env),
        &[
            "log360",
            "threat-analytics",
            "--indicator",
            "8.8.8.8",
            "--action",
            "info",
            "--section",
            "neighbours",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("--section: enum: \"neighbours\" is not one of virtuallyhosted, sub_domains"),
        "{}",
        stderr(&out)
    );
    // Missing flags are usage errors, also 2.
    let out = run(&refs(&env), &["log360", "virustotal"]).await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn missing_or_malformed_credentials_exit_2_naming_the_variable() {
    let out = run(
        &[("LOG360_ACCESS_TOKEN", "t")],
        &["log360", "virustotal", "--indicator", "8.8.8.8"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("LOG360_ACCOUNT_ID"),
        "{}",
        stderr(&out)
    );
    let out = run(
        &[
            ("LOG360_ACCOUNT_ID", "1"),
            ("LOG360_ACCESS_TOKEN", "t"),
            ("LOG360_REGION", "mars"),
        ],
        &["log360", "virustotal", "--indicator", "x"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("LOG360_REGION"), "{}", stderr(&out));
    let out = run(&[], &["nameshield", "events"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("NAMESHIELD_TOKEN"),
        "{}",
        stderr(&out)
    );
    let out = run(
        &[("DD_API_KEY", "k")],
        &["datadog", "ioc", "--indicator", "x"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("DD_APP_KEY"), "{}", stderr(&out));
}

#[tokio::test]
async fn api_errors_exit_3_with_status_code_and_detail() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v2/entities/risk-profile"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {"code": "100010400", "title": "Not Found", "detail": "Given Entity not found."}})))
        .mount(&server)
        .await;
    let env = log360_env(&server);
    let out = run(
        &refs(&env),
        &[
            "log360",
            "risk-profile",
            "--entity-name",
            "ghost",
            "--domain-name",
            "example.com",
            "--entity-type",
            "user",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("404") && err.contains("100010400") && err.contains("Given Entity not found."),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
}

#[tokio::test]
async fn transport_errors_exit_4_and_exhausted_rate_limits_exit_5() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let out = run(
        &[("LOG360_ACCOUNT_ID", "1"), ("LOG360_ACCESS_TOKEN", "t")],
        &[
            "--base-url",
            &dead,
            "--timeout",
            "2",
            "log360",
            "virustotal",
            "--indicator",
            "8.8.8.8",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .mount(&server)
        .await;
    let env = log360_env(&server);
    let out = run(
        &refs(&env),
        &["log360", "virustotal", "--indicator", "8.8.8.8"],
    )
    .await;
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("429"), "{}", stderr(&out));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        5,
        "the default policy makes 5 attempts"
    );
}

#[tokio::test]
async fn all_prints_one_item_per_line_across_pages() {
    let server = MockServer::start().await;
    for (from, ids, more) in [("1", vec!["r1", "r2"], true), ("3", vec!["r3"], false)] {
        let data: Vec<Value> = ids.iter().map(|id| json!({"rule_id": id})).collect();
        Mock::given(path("/api/v2/detection/rules"))
            .and(query_param("from", from))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"data": data, "meta": {"has_more": more}})),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    let env = log360_env(&server);
    let out = run(
        &refs(&env),
        &["log360", "detection-rules", "--limit", "2", "--all"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ids: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["rule_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, ["r1", "r2", "r3"]);
}

#[tokio::test]
async fn base_url_flag_overrides_the_environment() {
    let server = MockServer::start().await;
    Mock::given(path("/custom/threat/search/virustotal"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {}})))
        .expect(1)
        .mount(&server)
        .await;
    let env = log360_env(&server);
    let custom = format!("{}/custom", server.uri());
    let out = run(
        &refs(&env),
        &[
            "--base-url",
            &custom,
            "--rate-limit",
            "5/1",
            "log360",
            "virustotal",
            "--indicator",
            "8.8.8.8",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(
        &refs(&env),
        &[
            "--rate-limit",
            "five",
            "log360",
            "virustotal",
            "--indicator",
            "8.8.8.8",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn nameshield_events_encode_repeated_sort_and_the_space_in_started_at() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/cti/v2/events"))
        .and(header("authorization", "Bearer ns-secret-token"))
        .and(query_param("startedAt", "2024-12-31 15:30:45"))
        .and(query_param("criticality", "LOW"))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::fixture(
            "nameshield-cti",
            "listThreatEvents",
            "response.200.doc-example.json",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let uri = server.uri();
    let env = [
        ("NAMESHIELD_TOKEN", "ns-secret-token"),
        ("NAMESHIELD_BASE_URL", uri.as_str()),
    ];
    let out = run(
        &env,
        &[
            "nameshield",
            "events",
            "--criticality",
            "LOW",
            "--started-at",
            "2024-12-31 15:30:45",
            "--sort",
            "date,desc",
            "--sort",
            "id,asc",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(page["data"][0]["criticality"]["level"], "LOW");
    let requests = server.received_requests().await.unwrap();
    let sorts: Vec<String> = requests[0]
        .url
        .query_pairs()
        .filter(|(k, _)| k == "sort")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(sorts, ["date,desc", "id,asc"]);
    assert!(!requests[0].url.query().unwrap().contains(' '));

    let out = run(
        &env,
        &["nameshield", "events", "--started-at", "31/12/2024"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    // Named by its flag, and in words (the forms it takes), not as the schema's regular
    // expression.
    assert!(
        stderr(&out).contains("--started-at: time")
            && stderr(&out).contains("%Y-%m-%d %H:%M:%S")
            && !stderr(&out).contains("^[0-9]"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn nameshield_v1_search_warns_that_it_is_deprecated() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/cti/v1/events/search"))
        .and(wiremock::matchers::body_partial_json(json!({"query_parameters": [{"name": "domain", "operator": "ENDS_WITH", "value": ".com"}], "limit": 10})))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::fixture("nameshield-cti", "searchThreatEventsV1", "response.200.doc-example.json")))
        .expect(1)
        .mount(&server)
        .await;
    let uri = server.uri();
    let env = [
        ("NAMESHIELD_TOKEN", "t"),
        ("NAMESHIELD_BASE_URL", uri.as_str()),
    ];
    let out = run(
        &env,
        &[
            "nameshield",
            "search-v1",
            "--limit",
            "10",
            "--query",
            "domain:ENDS_WITH:.com",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("deprecated"), "{}", stderr(&out));
    let answer: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(answer["data"]["total"], 1);
    let out = run(&env, &["nameshield", "search-v1", "--query", "domain-only"]).await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn datadog_ioc_is_the_beta_opt_in_and_says_so() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/security/siem/ioc-explorer/indicator"))
        .and(query_param("indicator", "8.8.8.8"))
        .and(header("dd-api-key", "dd-secret-api"))
        .and(header("dd-application-key", "dd-secret-app"))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::fixture(
            "datadog-ioc",
            "getIndicatorOfCompromise",
            "response.200.ip.json",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let env = [
        ("DD_API_KEY", "dd-secret-api"),
        ("DD_APP_KEY", "dd-secret-app"),
        ("DD_SITE", "datadoghq.eu"),
    ];
    let out = run(
        &env,
        &[
            "-v",
            "--base-url",
            &server.uri(),
            "datadog",
            "ioc",
            "--indicator",
            "8.8.8.8",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("beta"), "{}", stderr(&out));
    let answer: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(answer["data"]["attributes"]["data"].is_object());
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains("dd-secret"), "a key leaked");

    let out = run(
        &env,
        &[
            "datadog",
            "ioc",
            "--indicator",
            "8.8.8.8",
            "--site",
            "datadoghq.mars",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--site"), "{}", stderr(&out));
}

#[tokio::test]
async fn ranges_dates_indicator_types_and_empty_values_are_checked_before_sending() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let mut env = log360_env(&server);
    env.extend([
        (
            "NAMESHIELD_TOKEN",
            "3f2c4f5e-1b7a-4d2e-9c1a-5e6f7a8b9c0d".to_owned(),
        ),
        ("NAMESHIELD_BASE_URL", server.uri()),
        ("DD_API_KEY", "dd-api-key-checks".to_owned()),
        ("DD_APP_KEY", "dd-app-key-checks".to_owned()),
        ("DD_BASE_URL", server.uri()),
    ]);
    let ta = ["log360", "threat-analytics", "--indicator"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["datadog", "ioc", "--indicator", ""],
            "indicator: minLength",
        ),
        (
            vec![
                "log360",
                "recent-anomalies",
                "--entity-name",
                "a",
                "--domain-name",
                "b",
                "--start-time",
                "2026-05-02T00:00:00Z",
                "--end-time",
                "2026-05-01T00:00:00Z",
            ],
            "x-rules:start-not-after-end",
        ),
        (
            vec![
                "log360",
                "anomaly-details",
                "--entity-name",
                "a",
                "--domain-name",
                "b",
                "--rule-id",
                "r",
                "--start-time",
                "2026-05-02T00:00:00Z",
                "--end-time",
                "2026-05-01T00:00:00Z",
            ],
            "x-rules:start-not-after-end",
        ),
        (
            vec![
                "nameshield",
                "events",
                "--started-at",
                "2025-01-02 00:00:00",
                "--ended-at",
                "2025-01-01 00:00:00",
            ],
            "x-rules:started-not-after-ended",
        ),
        (
            vec![
                "nameshield",
                "events",
                "--started-at",
                "2026-02-30 00:00:00",
            ],
            "--started-at: time",
        ),
        (
            [
                &ta[..],
                &["example.com", "--indicator-type", "IP", "--action", "INFO"],
            ]
            .concat(),
            "x-rules:indicator-matches-type",
        ),
        (
            [
                &ta[..],
                &["8.8.8.8", "--action", "INFO", "--section", "asn"],
            ]
            .concat(),
            "x-rules:section-only-for-connections",
        ),
        (
            // No --indicator-type: the URL is detected, and HISTORY for a URL needs dates.
            [
                &ta[..],
                &["https://example.com/login", "--action", "HISTORY"],
            ]
            .concat(),
            "x-rules:history-dates-required",
        ),
        (
            [
                &ta[..],
                &[
                    "8.8.8.8",
                    "--action",
                    "CONNECTIONS",
                    "--section",
                    "sub_domains",
                    "--severity",
                    "0",
                    "--limit",
                    "10",
                    "--from",
                    "0",
                ],
            ]
            .concat(),
            "x-rules:section-for-ip",
        ),
    ];
    for (args, expected) in cases {
        let out = run(&refs(&env), &args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[tokio::test]
async fn output_is_what_the_vendor_said() {
    let server = MockServer::start().await;
    // Key order, an empty array, a millisecond timestamp, 1.50 and an unknown field, as sent.
    let body = r#"{"meta": {"has_more": false, "total": 2}, "data": [{"rule_id": "r1", "rule_name": "Logon burst", "severity": "critical", "tags": [], "updated": "2026-01-01T00:00:00.000Z", "weight": 1.50, "new_field": {"z": 1, "a": 2}}, {"rule_id": "r2", "rule_name": "Odd hours", "severity": "attention"}], "zz_unknown": null}"#;
    Mock::given(method("GET"))
        .and(path("/api/v2/detection/rules"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let env = log360_env(&server);
    let args = ["log360", "detection-rules"];
    let out = run(&refs(&env), &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Not a terminal: the body without insignificant whitespace, otherwise unchanged.
    let compact = stdout(&out).trim_end().to_owned();
    assert!(
        compact.starts_with(r#"{"meta":{"has_more":false,"total":2},"data":[{"rule_id":"r1""#),
        "{compact}"
    );
    assert!(compact.contains(r#""tags":[],"updated":"2026-01-01T00:00:00.000Z","weight":1.50,"new_field":{"z":1,"a":2}"#), "{compact}");
    assert!(compact.ends_with(r#""zz_unknown":null}"#), "{compact}");
    // --raw: the bytes as received.
    let out = run(&refs(&env), &["--raw", "log360", "detection-rules"]).await;
    assert_eq!(stdout(&out), format!("{body}\n"));
    // jsonl: one item per line, as sent.
    let out = run(
        &refs(&env),
        &["--output", "jsonl", "log360", "detection-rules"],
    )
    .await;
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains(r#""weight":1.50"#), "{}", lines[0]);
    // table: the spec's columns.
    let out = run(
        &refs(&env),
        &["--output", "table", "log360", "detection-rules"],
    )
    .await;
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "rule_id\trule_name\tseverity\trule_type\tstatus");
    assert_eq!(rows[1], "r1\tLogon burst\tcritical\t\t");
    assert_eq!(rows.len(), 3);
}

#[tokio::test]
async fn an_answer_that_breaks_its_type_is_printed_and_exits_6() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/detection/rules"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": [{"rule_id": "r1"}, {"rule_name": "no id"}], "meta": {"has_more": false}}),
        ))
        .mount(&server)
        .await;
    let env = log360_env(&server);
    let out = run(&refs(&env), &["log360", "detection-rules"]).await;
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(stdout(&out).contains("no id"), "printed anyway");
    let err = stderr(&out);
    assert!(
        err.contains("listDetectionRules") && err.contains("data[1]"),
        "{err}"
    );
}

#[tokio::test]
async fn help_shows_variables_exit_codes_an_example_and_every_flag_has_help() {
    for (api, op) in [
        ("log360", "threat-analytics"),
        ("nameshield", "events"),
        ("datadog", "ioc"),
    ] {
        let out = run(&[], &[api, op, "--help"]).await;
        assert_eq!(out.status.code(), Some(0));
        let help = stdout(&out);
        assert!(
            help.contains("Environment:")
                && help.contains("Exit codes:")
                && help.contains("Example:\n  threatbind"),
            "{help}"
        );
        // Every flag line is followed by its help (long help puts it on the next line).
        let lines: Vec<&str> = help.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.trim_start().starts_with("--") {
                let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
                assert!(!next.is_empty(), "{api} {op}: {line} has no help");
            }
        }
    }
    let out = run(&[], &["log360", "--help"]).await;
    assert!(stdout(&out).contains("LOG360_REFRESH_TOKEN"));
    // A flag that a variable also sets says which.
    let out = run(&[], &["datadog", "ioc", "--help"]).await;
    assert!(stdout(&out).contains("[env: DD_SITE]"), "{}", stdout(&out));
    // Every variable the README lists for an API is in its help, including those a spec's
    // `x-cli.env` does not describe (the on-prem base URL once went missing that way).
    for (api, variables) in [
        (
            "log360",
            &[
                "LOG360_ACCOUNT_ID",
                "LOG360_REGION",
                "LOG360_ACCESS_TOKEN",
                "LOG360_REFRESH_TOKEN",
                "LOG360_CLIENT_ID",
                "LOG360_CLIENT_SECRET",
            ][..],
        ),
        (
            "log360-onprem",
            &[
                "LOG360_ONPREM_URL",
                "LOG360_ONPREM_BASE_URL",
                "LOG360_ONPREM_TOKEN",
                "LOG360_ONPREM_CA_FILE",
            ][..],
        ),
        ("nameshield", &["NAMESHIELD_TOKEN", "NAMESHIELD_ENV"][..]),
        ("datadog", &["DD_API_KEY", "DD_APP_KEY", "DD_SITE"][..]),
    ] {
        let help = stdout(&run(&[], &[api, "--help"]).await);
        for variable in variables {
            assert!(
                help.contains(variable),
                "{api} --help lacks {variable}: {help}"
            );
        }
    }
}

/// Every parameter of every spec, by the command that sends it, and what the CLI offers for it,
/// written out: the flag (progenitor's and heck's kebab case of the parameter's name, as the
/// README shows them: `--entity-name`, `--started-at`; or the spec's `x-cli: {flag}`), or the
/// variable that supplies it instead (`env:NAME`).
#[rustfmt::skip]
const FLAGS: &[(&str, &str, &str)] = &[
    ("log360 threat-analytics", "account_id", "env:LOG360_ACCOUNT_ID"),
    ("log360 virustotal", "account_id", "env:LOG360_ACCOUNT_ID"),
    ("log360 anomaly-details", "account_id", "env:LOG360_ACCOUNT_ID"),
    ("log360 anomaly-details", "entity_name", "--entity-name"),
    ("log360 anomaly-details", "domain_name", "--domain-name"),
    ("log360 anomaly-details", "rule_id", "--rule-id"),
    ("log360 anomaly-details", "start_time", "--start-time"),
    ("log360 anomaly-details", "end_time", "--end-time"),
    ("log360 anomaly-details", "from", "--from"),
    ("log360 anomaly-details", "limit", "--limit"),
    ("log360 risk-profile", "account_id", "env:LOG360_ACCOUNT_ID"),
    ("log360 risk-profile", "entity_name", "--entity-name"),
    ("log360 risk-profile", "domain_name", "--domain-name"),
    ("log360 risk-profile", "entity_type", "--entity-type"),
    ("log360 recent-anomalies", "account_id", "env:LOG360_ACCOUNT_ID"),
    ("log360 recent-anomalies", "entity_name", "--entity-name"),
    ("log360 recent-anomalies", "domain_name", "--domain-name"),
    ("log360 recent-anomalies", "start_time", "--start-time"),
    ("log360 recent-anomalies", "end_time", "--end-time"),
    ("log360 recent-anomalies", "from", "--from"),
    ("log360 recent-anomalies", "limit", "--limit"),
    ("log360 detection-rules", "account_id", "env:LOG360_ACCOUNT_ID"),
    ("log360 detection-rules", "from", "--from"),
    ("log360 detection-rules", "limit", "--limit"),
    ("log360 detection-rules", "status", "--status"),
    ("log360 detection-rules", "severity", "--severity"),
    ("log360 detection-rules", "execution_type", "--execution-type"),
    ("log360 detection-rules", "rule_type", "--rule-type"),
    ("log360 detection-rules", "source", "--source"),
    ("log360 detection-rules", "complexity", "--complexity"),
    ("log360 detection-rules", "is_deprecated", "--is-deprecated"),
    ("log360 detection-rules", "is_new", "--is-new"),
    ("nameshield events", "size", "--size"),
    ("nameshield events", "page", "--page"),
    ("nameshield events", "customerId", "--customer-id"),
    ("nameshield events", "sort", "--sort"),
    ("nameshield events", "criticality", "--criticality"),
    ("nameshield events", "domain", "--domain"),
    ("nameshield events", "startedAt", "--started-at"),
    ("nameshield events", "endedAt", "--ended-at"),
    ("nameshield event", "id", "--id"),
    ("datadog ioc", "indicator", "--indicator"),
    ("datadog ioc", "include_triage_history", "--include-triage-history"),
    ("datadog iocs", "limit", "--limit"),
    ("datadog iocs", "offset", "--offset"),
    ("datadog iocs", "query", "--query"),
    ("datadog iocs", "sort[column]", "--sort-column"),
    ("datadog iocs", "sort[order]", "--sort-order"),
    ("datadog iocs", "ocsf", "--ocsf"),
    ("datadog iocs", "worked_by", "--worked-by"),
    ("datadog iocs", "triage_state", "--triage-state"),
    ("log360-onprem jobs", "request_id", "--request-id"),
    // `x-cli: {flag: id}` in the spec.
    ("log360-onprem incident", "incident_id", "--id"),
    ("log360-onprem incident", "response_type", "--response-type"),
    ("log360-onprem log-sources", "from", "--from"),
    ("log360-onprem log-sources", "to", "--to"),
    ("log360-onprem jobs-v1", "request_id", "--request-id"),
    ("log360-onprem delete-job", "request_id", "--request-id"),
    ("log360-onprem job-results", "request_id", "--request-id"),
    ("log360-onprem job-results", "page_no", "--page-no"),
    ("log360-onprem ticket-profile", "ticket_id", "--ticket-id"),
];

#[tokio::test]
async fn every_parameter_of_every_spec_is_a_flag() {
    use std::collections::BTreeSet;
    use threatbind::spec::Api;
    // The table covers exactly the parameters of the specs: a new one needs its flag written.
    let mut in_specs = BTreeSet::new();
    for api in Api::ALL {
        let doc = api.document();
        let api_name = doc["x-cli"]["name"].as_str().unwrap();
        for op in api.operations() {
            let op_name = op.raw["x-cli"]["name"].as_str().unwrap();
            for p in op.raw["parameters"].as_array().cloned().unwrap_or_default() {
                let p = match p.get("$ref").and_then(Value::as_str) {
                    Some(r) => doc.pointer(&r[1..]).unwrap().clone(),
                    None => p,
                };
                let name = p["name"].as_str().unwrap().to_owned();
                in_specs.insert((format!("{api_name} {op_name}"), name));
            }
        }
    }
    let in_table: BTreeSet<(String, String)> = FLAGS
        .iter()
        .map(|(command, param, _)| (command.to_string(), param.to_string()))
        .collect();
    assert_eq!(in_table.len(), FLAGS.len(), "a parameter listed twice");
    assert_eq!(in_table, in_specs, "the table and the specs' parameters");
    let mut helps = std::collections::HashMap::new();
    for (command, param, expected) in FLAGS {
        if !helps.contains_key(command) {
            let mut args: Vec<&str> = command.split(' ').collect();
            args.push("--help");
            let out = run(&[], &args).await;
            assert_eq!(out.status.code(), Some(0), "{command}: {}", stderr(&out));
            helps.insert(*command, stdout(&out));
        }
        let help = &helps[command];
        match expected.strip_prefix("env:") {
            // Supplied from the environment, and said so in the help.
            Some(var) => assert!(help.contains(var), "{command} ({param}): no {var}\n{help}"),
            // As clap shows a flag with a value: `--page <N>`.
            None => assert!(
                help.contains(&format!("{expected} <")),
                "{command} ({param}): no {expected}\n{help}"
            ),
        }
    }
}

#[tokio::test]
async fn enum_values_from_the_environment_match_like_flags() {
    use threatbind::{
        datadog_ioc::DatadogBuilder, log360_cloud::Log360Builder, nameshield_cti::NameshieldBuilder,
    };
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    let l = Log360Builder::from_vars(vars(&[
        ("LOG360_ACCOUNT_ID", "1"),
        ("LOG360_ACCESS_TOKEN", "1000.t"),
        ("LOG360_REGION", "EU"),
    ]))
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(l.base_url(), "https://log360cloud.manageengine.eu/api/v2");
    let n = NameshieldBuilder::from_vars(vars(&[
        ("NAMESHIELD_TOKEN", "3f2c4f5e-1b7a"),
        ("NAMESHIELD_ENV", "OTE"),
    ]))
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(n.base_url(), "https://ote-api.nameshield.net");
    let d = DatadogBuilder::from_vars(vars(&[
        ("DD_API_KEY", "dd-api-key-x"),
        ("DD_APP_KEY", "dd-app-key-x"),
        ("DD_SITE", "DatadogHQ.EU"),
    ]))
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(d.base_url(), "https://api.datadoghq.eu");
}

#[tokio::test]
async fn typed_answers_keep_unknown_top_level_fields() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": [], "has_next": false, "request_id": "abc", "facets": {"x": 1}}),
        ))
        .mount(&server)
        .await;
    let c = threatbind::nameshield_cti::NameshieldClient::builder()
        .token("3f2c4f5e-1b7a-4d2e-9c1a-5e6f7a8b9c0d")
        .base_url(server.uri())
        .build()
        .unwrap();
    let page = threatbind::call(c.generated().list_threat_events().send())
        .await
        .unwrap();
    assert_eq!(page.extra["request_id"], "abc");
    assert_eq!(page.extra["facets"]["x"], 1);
}

/// The help of every command marks what its spec marks: `deprecated: true` as `[deprecated]`,
/// a beta operation (`x-unstable`) as `[beta]`, and nothing else carries either mark. Read from
/// the specs, so a spec that deprecates an operation changes this test's expectations with it.
#[test]
fn help_marks_exactly_the_operations_the_specs_mark() {
    use threatbind::spec::Api;
    let bin = env!("CARGO_BIN_EXE_threatbind");
    let help = |args: &[&str]| {
        let out = std::process::Command::new(bin)
            .args(args)
            .arg("--help")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let mut seen = 0;
    // `spec` holds the tools for spec editors, `mock` serves the specs: neither is an API.
    for pair in common::cli_commands(bin) {
        let [api, command] = [&pair[0], &pair[1]];
        if api == "spec" || api == "mock" {
            continue;
        }
        {
            let text = help(&[api, command]);
            let first = text.lines().next().unwrap_or("");
            // The operation at that method and path whose CLI name (`x-cli.name`, else its id)
            // is the command: a V1 and a V2 spec may share a path.
            let named = |op: &threatbind::spec::Operation| {
                op.raw.pointer("/x-cli/name").and_then(Value::as_str) == Some(command.as_str())
                    || op.id.eq_ignore_ascii_case(&command.replace('-', ""))
            };
            let op = Api::ALL
                .iter()
                .flat_map(|a| a.operations())
                .find(|op| first.contains(&format!("({} {})", op.method, op.path)) && named(op))
                .unwrap_or_else(|| panic!("{api} {command}: no operation in {first:?}"));
            assert_eq!(
                first.contains("[deprecated]"),
                op.deprecated,
                "{api} {command}"
            );
            assert_eq!(first.contains("[beta]"), op.unstable, "{api} {command}");
            seen += 1;
        }
    }
    let total: usize = Api::ALL.iter().map(|a| a.operations().count()).sum();
    assert_eq!(seen, total, "every operation has a command");
}

/// `log360 whoami` (`GET /api/v2/account`) needs no account id: it is how one finds it. Every
/// other command names the missing variable, exit 2, and sends nothing.
#[tokio::test]
async fn whoami_needs_no_account_id_and_the_others_name_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/account"))
        .and(header(
            "authorization",
            format!("Zoho-oauthtoken {SECRET}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"data":{"account_id":["18XXXXX4","18XXXXX5"]}}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let env: Vec<(&str, String)> = log360_env(&server)
        .into_iter()
        .filter(|(k, _)| *k != "LOG360_ACCOUNT_ID")
        .collect();
    let out = run(&refs(&env), &["log360", "whoami"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        r#"{"data":{"account_id":["18XXXXX4","18XXXXX5"]}}"#
    );
    let requests = server.received_requests().await.unwrap();
    assert!(requests[0].headers.get("account_id").is_none());

    let out = run(&refs(&env), &["log360", "detection-rules"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("LOG360_ACCOUNT_ID"),
        "{}",
        stderr(&out)
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// `--version`: the version, the commit, and every API built in with its spec's version
/// (`info.version`); `-V` stays one line.
#[tokio::test]
async fn version_names_the_commit_and_every_api_with_its_spec_version() {
    use threatbind::spec::Api;
    let out = run(&[], &["--version"]).await;
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let first = text.lines().next().unwrap_or("");
    assert!(
        first.starts_with(&format!(
            "threatbind {} (commit ",
            env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );
    for api in Api::ALL {
        let version = api.document()["info"]["version"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == [api.stem(), "spec", &version]),
            "{api} {version}: {text}"
        );
    }
    let out = run(&[], &["-V"]).await;
    assert_eq!(
        stdout(&out).trim(),
        format!("threatbind {}", env!("CARGO_PKG_VERSION"))
    );
}

/// `completions SHELL` covers every derived command and an enum's values; `man DIR` writes a
/// page per command; an unknown shell is a usage error.
#[tokio::test]
async fn completions_and_man_pages_come_from_the_command_tree() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run(&[], &["completions", shell]).await;
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(
            script.contains("threat-analytics"),
            "{shell}: no derived command"
        );
        assert!(
            script.contains("MEDIUM"),
            "{shell}: no enum value of --criticality"
        );
    }
    let out = run(&[], &["completions", "tcsh"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("tcsh"), "{}", stderr(&out));

    let dir = std::env::temp_dir().join(format!("threatbind-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = run(&[], &["man", dir.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    assert!(
        page("threatbind.1").contains(".TH threatbind 1"),
        "{}",
        page("threatbind.1")
    );
    let events = page("threatbind-nameshield-events.1");
    assert!(
        events.contains("criticality") && events.contains(".SH NAME"),
        "{events}"
    );
    // A command's page lists the flags every command takes too.
    assert!(events.contains(r"quota\-store"), "{events}");
    assert!(page("threatbind-log360-threat-analytics.1").contains(".TH"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// An operation's help puts its own flags first and the flags every command takes under their
/// own heading.
#[tokio::test]
async fn an_operations_own_flags_come_before_the_global_ones() {
    let out = run(&[], &["nameshield", "events", "--help"]).await;
    let help = stdout(&out);
    let own = help.find("--criticality").expect("own flag");
    let heading = help.find("Global options:").expect("global heading");
    let global = help.find("--quota-store <STORE>").expect("global flag");
    assert!(own < heading && heading < global, "{help}");
}

/// A time flag takes ISO 8601 with an offset, a date, epoch seconds, `now` and relative times,
/// and sends the spec's form for the field (Nameshield: `yyyy-MM-dd HH:mm:ss`, UTC); `-v` says
/// what was sent; anything else is refused naming the flag, nothing sent.
#[tokio::test]
async fn times_are_taken_as_people_write_them_and_sent_in_the_vendors_form() {
    let server = MockServer::start().await;
    let page = json!({"data": [], "page": 0, "size": 10, "has_next": false, "total_items": 0});
    Mock::given(method("GET"))
        .and(path("/cti/v2/events"))
        .and(query_param("startedAt", "2024-12-31 14:30:45"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page.clone()))
        .expect(2)
        .mount(&server)
        .await;
    let base = server.uri();
    let env = [
        ("NAMESHIELD_TOKEN", "3f2c4f5e-1b7a"),
        ("NAMESHIELD_BASE_URL", base.as_str()),
        ("THREATBIND_QUOTA_STORE", "process"),
    ];
    for written in ["2024-12-31T15:30:45+01:00", "1735655445"] {
        let out = run(
            &env,
            &["-v", "nameshield", "events", "--started-at", written],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{written}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("--started-at")
                && stderr(&out).contains("\"2024-12-31 14:30:45\""),
            "{}",
            stderr(&out)
        );
    }
    // A relative time: now minus a day, in the vendor's form (the second is the clock's).
    Mock::given(method("GET"))
        .and(path("/cti/v2/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page))
        .mount(&server)
        .await;
    let before = chrono::Utc::now() - chrono::Duration::days(1);
    let out = run(&env, &["nameshield", "events", "--started-at", "-24h"]).await;
    let after = chrono::Utc::now() - chrono::Duration::days(1);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sent: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter_map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "startedAt")
                .map(|(_, v)| v.into_owned())
        })
        .collect();
    let last = sent.last().expect("a startedAt was sent");
    let at = chrono::NaiveDateTime::parse_from_str(last, "%Y-%m-%d %H:%M:%S")
        .expect("the vendor's form")
        .and_utc();
    let second = chrono::Duration::seconds(1);
    assert!(before - second <= at && at <= after + second, "{last}");
    // Not a time: refused before sending, naming the flag.
    let count = sent.len();
    let out = run(&env, &["nameshield", "events", "--started-at", "yesterday"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--started-at") && stderr(&out).contains("not a time"),
        "{}",
        stderr(&out)
    );
    assert_eq!(server.received_requests().await.unwrap().len(), count);
}

/// `--all --output json` is one JSON array of every item of every page (the mock's data set:
/// 237 events), not a document per page.
#[tokio::test]
async fn all_as_json_is_one_array_of_every_item() {
    let mock = threatbind_mock::serve("127.0.0.1:0".parse().unwrap(), Default::default())
        .await
        .unwrap();
    let base = mock.base_url().to_string();
    let env = [
        ("NAMESHIELD_TOKEN", "6f1c3c1e-1111-4000-8000-000000000042"),
        ("NAMESHIELD_BASE_URL", base.as_str()),
        ("THREATBIND_QUOTA_STORE", "process"),
    ];
    let out = run(
        &env,
        &[
            "nameshield",
            "events",
            "--size",
            "100",
            "--all",
            "--output",
            "json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let all: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let items = all.as_array().expect("an array");
    assert_eq!(items.len(), 237);
    assert!(items.iter().all(|e| e.get("id").is_some()), "{all}");
    // Without --output, --all stays one item per line.
    let out = run(&env, &["nameshield", "events", "--size", "100", "--all"]).await;
    assert_eq!(stdout(&out).lines().count(), 237);
    mock.shutdown().await;
}

/// A loopback server that must receive nothing (checked when it is dropped).
async fn silent() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    server
}

/// `--dry-run` and `--curl` check the request, print it and send nothing (no token exchange
/// either); credentials are `***`, or references to their variables for curl.
#[tokio::test]
async fn dry_run_and_curl_show_the_request_and_send_nothing() {
    let server = silent().await;
    let base = server.uri();
    let secret = "3f2c4f5e-1b7a-secret";
    let env = [
        ("NAMESHIELD_TOKEN", secret),
        ("NAMESHIELD_BASE_URL", base.as_str()),
        ("THREATBIND_QUOTA_STORE", "process"),
    ];
    let args = [
        "nameshield",
        "events",
        "--size",
        "10",
        "--started-at",
        "2024-12-31",
    ];
    let out = run(&env, &[&args[..], &["--dry-run"]].concat()).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(
        shown.starts_with(&format!(
            "GET {base}/cti/v2/events?size=10&startedAt=2024-12-31+00%3A00%3A00\n"
        )),
        "{shown}"
    );
    assert!(
        shown.contains("Authorization: Bearer ***") && !shown.contains(secret),
        "{shown}"
    );
    let out = run(&env, &[&args[..], &["--curl"]].concat()).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let curl = stdout(&out);
    assert!(
        curl.starts_with("curl -sS -X GET '")
            && curl.contains("-H \"Authorization: Bearer $NAMESHIELD_TOKEN\"")
            && !curl.contains(secret),
        "{curl}"
    );
    // Checked like a real run: a bad value is exit 2 naming the flag.
    let out = run(&env, &["nameshield", "events", "--size", "0", "--dry-run"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--size"), "{}", stderr(&out));
    // A refresh token is not exchanged to show a request.
    let accounts = silent().await;
    let log360 = format!("{base}/api/v2");
    let accounts_url = accounts.uri();
    let env = [
        ("LOG360_ACCOUNT_ID", "18XXXXX4"),
        ("LOG360_REFRESH_TOKEN", "1000.refresh-secret"),
        ("LOG360_CLIENT_ID", "1000.client"),
        ("LOG360_CLIENT_SECRET", "client-secret"),
        ("LOG360_BASE_URL", log360.as_str()),
        ("LOG360_ACCOUNTS_URL", accounts_url.as_str()),
        ("THREATBIND_QUOTA_STORE", "process"),
    ];
    let out = run(
        &env,
        &[
            "log360",
            "threat-analytics",
            "--indicator",
            "8.8.8.8",
            "--indicator-type",
            "IP",
            "--action",
            "INFO",
            "--dry-run",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(
        shown.contains("\"indicator\": \"8.8.8.8\"") && shown.contains("Zoho-oauthtoken ***"),
        "{shown}"
    );
    assert!(
        !shown.contains("refresh-secret") && !shown.contains("client-secret"),
        "{shown}"
    );
}

/// Refused credentials have their own exit code (7), told apart from other API errors (3): a 401
/// or 403 from the API, and a token exchange that Zoho refuses.
#[tokio::test]
async fn refused_credentials_exit_7() {
    for status in [401u16, 403] {
        let server = MockServer::start().await;
        Mock::given(path("/api/v2/entities/risk-profile"))
            .respond_with(ResponseTemplate::new(status).set_body_json(
                json!({"error": {"code": "100010401", "title": "Unauthorized", "detail": "Invalid OAuth token."}}),
            ))
            .mount(&server)
            .await;
        let env = log360_env(&server);
        let out = run(
            &refs(&env),
            &[
                "log360",
                "risk-profile",
                "--entity-name",
                "john.doe",
                "--domain-name",
                "example.com",
                "--entity-type",
                "user",
            ],
        )
        .await;
        assert_eq!(out.status.code(), Some(7), "{status}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("Invalid OAuth token"),
            "{}",
            stderr(&out)
        );
    }

    let accounts = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/v2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"error": "invalid_code"})))
        .expect(1)
        .mount(&accounts)
        .await;
    let api = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&api)
        .await;
    let api_url = format!("{}/api/v2", api.uri());
    let accounts_url = accounts.uri();
    let env = [
        ("LOG360_ACCOUNT_ID", "18XXXXX4"),
        ("LOG360_REFRESH_TOKEN", "1000.refresh-secret"),
        ("LOG360_CLIENT_ID", "1000.CLIENT"),
        ("LOG360_CLIENT_SECRET", "client-secret"),
        ("LOG360_ACCOUNTS_URL", accounts_url.as_str()),
        ("LOG360_BASE_URL", api_url.as_str()),
    ];
    let out = run(&env, &["log360", "virustotal", "--indicator", "8.8.8.8"]).await;
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert!(stderr(&out).contains("invalid_code"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("refresh-secret") && !stderr(&out).contains("client-secret"));
}

/// Every relative time of one command line counts from the same instant: `-24h` twice is one
/// time, not two a few nanoseconds apart (which broke the on-prem search's start-not-after-end).
#[tokio::test]
async fn relative_times_of_one_command_share_one_present() {
    let out = run(
        &[("LOG360_ONPREM_TOKEN", "onprem-secret")],
        &[
            "log360-onprem",
            "search",
            "--query",
            "error",
            "--start-time",
            "-24h",
            "--end-time",
            "-24h",
            "--dry-run",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = stdout(&out);
    let body: Value = serde_json::from_str(&shown[shown.find('{').unwrap()..]).unwrap();
    assert!(body["start_time"].is_string(), "{shown}");
    assert_eq!(body["start_time"], body["end_time"], "{shown}");
}

/// A field the spec marks as a Unix time (`x-epoch`: the on-premises V1 `from` and `to`, in
/// milliseconds) takes a time as people write it and is sent as the number.
#[tokio::test]
async fn epoch_millisecond_fields_take_times_as_people_write_them() {
    let out = run(
        &[("LOG360_ONPREM_TOKEN", "onprem-secret")],
        &[
            "log360-onprem",
            "search-v1",
            "--query",
            "error",
            "--from",
            "2024-12-31T00:00:00+01:00",
            "--to",
            "1735689600000",
            "--dry-run",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = stdout(&out);
    let body: Value = serde_json::from_str(&shown[shown.find('{').unwrap()..]).unwrap();
    assert_eq!(
        body,
        json!({"query": "error", "from": 1735599600000i64, "to": 1735689600000i64})
    );
    let help = stdout(&run(&[], &["log360-onprem", "search-v1", "--help"]).await);
    assert!(help.contains("sent as epoch milliseconds"), "{help}");
}

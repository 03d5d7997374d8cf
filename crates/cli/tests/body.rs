//! `--body FILE` and `--body -` against a mock server on loopback: the JSON becomes the
//! request's body, flags set fields inside it, and what breaks the spec or is not JSON is
//! refused with exit 2, nothing sent.

mod support;

use serde_json::json;
use std::process::Output;
use support::{refs, run_with_stdin, stderr, stdout};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ROUTE: &str = "/api/v2/threat/search/advanced-threat-analytics";

fn env(server: &MockServer) -> Vec<(&'static str, String)> {
    vec![
        ("THREATBIND_QUOTA_STORE", "process".into()),
        ("LOG360_ACCOUNT_ID", "18XXXXX4".into()),
        ("LOG360_ACCESS_TOKEN", "1000.body-test-token".into()),
        ("LOG360_BASE_URL", format!("{}/api/v2", server.uri())),
    ]
}

/// `threatbind log360 threat-analytics ARGS` against `server`, with `stdin`.
async fn analytics(server: &MockServer, args: &[&str], stdin: &[u8]) -> Output {
    let env = env(server);
    let mut all = vec!["log360", "threat-analytics"];
    all.extend_from_slice(args);
    run_with_stdin(&refs(&env), &all, stdin).await
}

/// A file of this test run holding `text`.
fn file(name: &str, text: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("body-{name}.json"));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A server that answers `sent` (exactly) once.
async fn expecting(sent: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ROUTE))
        .and(body_json(sent))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": {"indicator_type": "IP"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    server
}

/// A server that must receive nothing.
async fn silent() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn the_body_of_a_file_is_sent() {
    let server =
        expecting(json!({"indicator": "8.8.8.8", "indicator_type": "IP", "action": "INFO"})).await;
    let body = file(
        "info",
        r#"{"indicator": "8.8.8.8", "indicator_type": "IP", "action": "INFO"}"#,
    );
    let out = analytics(&server, &["--body", &body], b"").await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), r#"{"data":{"indicator_type":"IP"}}"#);
}

#[tokio::test]
async fn the_body_of_stdin_is_sent() {
    let server = expecting(json!({"indicator": "example.com", "action": "WHOIS_INFO"})).await;
    let out = analytics(
        &server,
        &["--body", "-"],
        br#"{"indicator": "example.com", "action": "WHOIS_INFO"}"#,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[tokio::test]
async fn a_flag_sets_its_field_inside_the_files_body() {
    let server = expecting(json!({
        "indicator": "8.8.8.8",
        "indicator_type": "IP",
        "action": "CONNECTIONS",
        "filter": {"section": "asn", "severity": 2},
        "limit": 10,
        "from": 0
    }))
    .await;
    let body = file(
        "connections",
        r#"{"indicator": "1.1.1.1", "indicator_type": "IP", "action": "CONNECTIONS",
            "filter": {"section": "asn", "severity": 0}, "limit": 10, "from": 0}"#,
    );
    let out = analytics(
        &server,
        &["--body", &body, "--indicator", "8.8.8.8", "--severity", "2"],
        b"",
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[tokio::test]
async fn a_file_that_is_not_json_is_refused_naming_the_flag_and_the_place() {
    let server = silent().await;
    let body = file("broken", "{\"indicator\":\n  8.8.8.8}");
    let out = analytics(&server, &["--body", &body], b"").await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("--body"), "{err}");
    assert!(err.contains("is not JSON"), "{err}");
    // `  8.8` is a number; the second `.` (column 6) is where it stops being JSON.
    assert!(err.contains("at line 2 column 6"), "{err}");
    let out = analytics(&server, &["--body", "-"], b"not json").await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--body: stdin is not JSON: expected ident at line 1 column 2"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_file_that_cannot_be_read_is_refused_naming_the_flag_and_the_path() {
    let server = silent().await;
    let missing = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("body-none.json");
    let missing = missing.display().to_string();
    let out = analytics(&server, &["--body", &missing], b"").await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("--body: {missing} cannot be read")),
        "{err}"
    );
}

#[tokio::test]
async fn a_body_that_breaks_the_spec_is_refused_naming_the_field() {
    let server = silent().await;
    let body = file("no-indicator", r#"{"action": "NOPE"}"#);
    let out = analytics(&server, &["--body", &body], b"").await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(r#"--indicator: required: "indicator" is a required property"#),
        "{err}"
    );
    assert!(
        err.contains(r#"--action: enum: "NOPE" is not one of"#),
        "{err}"
    );
    // Not an object, for an object body: the validator says so, flags or not.
    let body = file("array", "[1]");
    let out = analytics(&server, &["--body", &body, "--indicator", "8.8.8.8"], b"").await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(r#"body: type: [1] is not of type "object""#),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn an_operation_without_a_body_has_no_body_flag() {
    let server = silent().await;
    let env = env(&server);
    let out = run_with_stdin(&refs(&env), &["log360", "whoami", "--body", "-"], b"{}").await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("unexpected argument '--body'"),
        "{}",
        stderr(&out)
    );
}

/// Review finding 3: `--body` reads at most 16 MiB (16777216 bytes). A body of exactly that
/// size is sent; one byte more, from a file or stdin, is refused with exit 2 naming `--body`
/// and the limit, nothing sent.
#[tokio::test]
async fn a_body_larger_than_16_mib_is_refused_naming_the_flag_and_the_limit() {
    const LIMIT: usize = 16_777_216;
    let json = r#"{"indicator": "8.8.8.8", "indicator_type": "IP", "action": "INFO"}"#;
    // The JSON padded with trailing spaces (still JSON) to `size` bytes.
    let padded = |size: usize| format!("{json}{}", " ".repeat(size - json.len()));

    let server =
        expecting(json!({"indicator": "8.8.8.8", "indicator_type": "IP", "action": "INFO"})).await;
    let at_limit = file("at-limit", &padded(LIMIT));
    let out = analytics(&server, &["--body", &at_limit], b"").await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let server = silent().await;
    let over = file("over-limit", &padded(LIMIT + 1));
    let out = analytics(&server, &["--body", &over], b"").await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "--body: {over} is larger than 16 MiB (16777216 bytes), the most a request body may be"
        )),
        "{}",
        stderr(&out)
    );
    let out = analytics(&server, &["--body", "-"], padded(LIMIT + 1).as_bytes()).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "--body: stdin is larger than 16 MiB (16777216 bytes), the most a request body may be"
        ),
        "{}",
        stderr(&out)
    );
    for name in ["at-limit", "over-limit"] {
        let _ = std::fs::remove_file(
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("body-{name}.json")),
        );
    }
}

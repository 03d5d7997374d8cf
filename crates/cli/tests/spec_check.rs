//! `threatbind spec check`: its output, exit codes and usage errors, with the real binary, on
//! the project's fixtures and the capture crates/spec-tools/tests/har/capture.har (the check
//! itself is tested in crates/spec-tools).

mod support;

use std::path::Path;
use std::process::Output;
use support::text;
use threatbind::spec::Api;

/// The spec tools' folder: the paths below are relative to it, as a user would type them.
fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec-tools"))
}

const FIXTURES: &str = "../../tests/fixtures/log360-cloud/searchThreatAnalytics";

/// Runs the binary in the spec tools' folder with `stdin` as its input.
fn threatbind(args: &[&str], stdin: &str) -> Output {
    support::run_blocking(Some(root()), args, Some(stdin))
}

/// The line (1-based) of `spec` whose text, trimmed, is `line`: the oracle of the spec lines.
fn line_of(spec: Api, line: &str) -> usize {
    spec.source()
        .lines()
        .position(|l| l.trim() == line)
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{line:?} is not a line of {spec}"))
}

#[test]
fn a_request_that_holds_exits_0() {
    let file = format!("{FIXTURES}/request.connections-ip.json");
    let out = threatbind(
        &[
            "spec",
            "check",
            "--operation",
            "searchThreatAnalytics",
            "--request",
            &file,
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert!(
        text(&out.stderr).starts_with("0 findings in 1 file"),
        "{}",
        text(&out.stderr)
    );
}

/// A CONNECTIONS request without its section (the fixture
/// invalid-request.connections-without-section.json), as a user would pipe it.
const WITHOUT_SECTION: &str = r#"{
  "header": {"account_id": "18XXXXX4"},
  "body": {
    "indicator": "8.8.8.8",
    "indicator_type": "IP",
    "action": "CONNECTIONS",
    "filter": {"severity": 0},
    "limit": 10,
    "from": 0
  }
}"#;

#[test]
fn a_request_that_breaks_a_rule_is_named_with_pointer_rule_and_spec_line_and_exits_1() {
    let out = threatbind(
        &[
            "spec",
            "check",
            "--operation",
            "searchThreatAnalytics",
            "--request",
            "-",
        ],
        WITHOUT_SECTION,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let rule_line = line_of(Api::Log360Cloud, "- id: connections-required-fields");
    // Line 7 of the input: `filter`, where the section is missing.
    assert_eq!(
        text(&out.stdout),
        format!(
            "stdin:7: /body/filter/section: request-rule: searchThreatAnalytics request: \
             /body/filter/section: x-rules:connections-required-fields: is required here: \
             CONNECTIONS requires filter.section, filter.severity, limit, and from. \
             (specs/log360-cloud.yaml:{rule_line})\n"
        )
    );
}

#[test]
fn an_answer_that_breaks_its_status_schema_is_named_and_json_is_one_document() {
    let answer = "{\"data\": {\n  \"indicator\": \"8.8.8.8\",\n  \"indicator_type\": 4\n}}";
    let out = threatbind(
        &[
            "spec",
            "check",
            "--operation",
            "searchThreatAnalytics",
            "--response",
            "--status",
            "200",
            "--format",
            "json",
            "-",
        ],
        answer,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{doc:#}");
    assert_eq!(findings[0]["id"], "response-schema");
    assert_eq!(findings[0]["severity"], "error");
    assert_eq!(findings[0]["file"], "stdin");
    assert_eq!(findings[0]["line"], 3);
    assert_eq!(findings[0]["pointer"], "/data/indicator_type");
    assert_eq!(findings[0]["operation"], "searchThreatAnalytics");
    let type_line = line_of(Api::Log360Cloud, "ResponseIndicatorType:") + 1;
    assert_eq!(
        findings[0]["message"],
        format!(
            "searchThreatAnalytics response 200: /data/indicator_type: type: 4 is not of type \
             \"string\" (specs/log360-cloud.yaml:{type_line})"
        )
    );
    assert_eq!(doc["summary"]["findings"], 2);
    assert_eq!(doc["summary"]["error"], 2);
}

#[test]
fn json_of_answers_that_hold_is_an_empty_list() {
    let out = threatbind(
        &[
            "spec",
            "check",
            "--operation",
            "searchThreatAnalytics",
            "--response",
            "--format",
            "json",
            &format!("{FIXTURES}/response.200.info.json"),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["findings"], serde_json::json!([]));
    assert_eq!(doc["summary"]["files"], 1);
}

/// Every credential and query value the capture holds.
const SECRETS: [&str; 6] = [
    "ddapikey-0f9e8d7c6b5a49382716",
    "ddappkey-a1b2c3d4e5f6a7b8c9d0",
    "1000.zohoaccesstoken3f2e1d",
    "ns-bearer-5e4d3c2b1a",
    "cookiesecret-91",
    "querysecret-77",
];

#[test]
fn a_har_capture_is_checked_and_no_format_shows_a_credential() {
    let capture = std::fs::read_to_string(root().join("tests/har/capture.har")).unwrap();
    for secret in SECRETS {
        assert!(capture.contains(secret), "the capture holds {secret}");
    }
    let out = threatbind(&["spec", "check", "--har", "tests/har/capture.har"], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let got: Vec<String> = stdout
        .lines()
        .map(|l| l.split(": ").take(3).collect::<Vec<_>>().join(": "))
        .collect();
    assert_eq!(
        got,
        [
            "tests/har/capture.har:113: /log/entries/1/response/content/text: open-enum-new-value",
            "tests/har/capture.har:113: /log/entries/1/response/content/text: response-schema",
            "tests/har/capture.har:153: /log/entries/2/request/postData/text: request-rule",
            "tests/har/capture.har:186: /log/entries/3/request: undocumented-operation",
        ]
    );
    assert!(stdout.contains("maximum: 101 is greater than the maximum of 100"));
    assert!(stdout.contains(
        "request: GET /api/v2/security/siem/ioc-explorer/indicator/history: no operation of \
         specs/datadog-ioc.yaml has this path"
    ));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "7 entries: 4 checked, 1 undocumented, 1 to other hosts skipped (cdn.example.org), \
             1 CORS preflight skipped"
        ),
        "{stderr}"
    );
    for format in [
        "text", "json", "jsonl", "markdown", "github", "junit", "sarif",
    ] {
        let out = threatbind(
            &[
                "spec",
                "check",
                "--har",
                "tests/har/capture.har",
                "--format",
                format,
            ],
            "",
        );
        assert_eq!(out.status.code(), Some(1), "{format}");
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(all.contains("undocumented-operation"), "{format}: {all}");
        for secret in SECRETS {
            assert!(!all.contains(secret), "{format} shows {secret}: {all}");
        }
    }
}

#[test]
fn ignore_and_fail_on_decide_the_exit() {
    let base = ["spec", "check", "--har", "tests/har/capture.har"];
    let ignoring = ["--ignore", "response-schema", "--ignore", "request-rule"];
    let args: Vec<&str> = base.iter().chain(&ignoring).copied().collect();
    // What is left, undocumented-operation and a new value of an open enum (x-open-enums),
    // are warnings: they fail by default...
    let out = threatbind(&args, "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("2 findings in 1 file: 0 errors, 2 warnings, 0 info; 2 ignored"),
        "{}",
        text(&out.stderr)
    );
    // ...and not with --fail-on error.
    let args: Vec<&str> = args.into_iter().chain(["--fail-on", "error"]).collect();
    let out = threatbind(&args, "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // An id that is not one of check's is refused.
    let out = threatbind(
        &["spec", "check", "--har", "x.har", "--ignore", "maximum"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--ignore \"maximum\""),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn usage_errors_exit_2_and_name_the_flag_or_the_file() {
    let cases: [(&[&str], &str, &str); 7] = [
        (
            &["--operation", "noSuchOperation", "--request", "a.json"],
            "",
            "--operation: no spec has the operation \"noSuchOperation\"",
        ),
        (
            &["--operation", "searchthreatanalytics", "--request", "a.json"],
            "",
            "--operation: no spec has the operation \"searchthreatanalytics\" \
             (did you mean searchThreatAnalytics?)",
        ),
        (
            &["--operation", "listJobs", "--request", "a.json"],
            "",
            "--operation: \"listJobs\" is an operation of log360-onprem-v1 and log360-onprem-v2: add --api",
        ),
        (
            &["--operation", "searchThreatAnalytics", "--request", "tests/none.json"],
            "",
            "tests/none.json: cannot be read: No such file or directory",
        ),
        (
            &["--operation", "searchThreatAnalytics", "--request", "-"],
            "{\n  \"body\": ",
            "stdin: not JSON: EOF while parsing a value at line 2 column 10",
        ),
        (
            &["--har", "tests/check.rs"],
            "",
            "--har: tests/check.rs: not JSON: expected value at line 1 column 1",
        ),
        (
            &["--operation", "searchThreatAnalytics", "a.json"],
            "",
            "--request or --response",
        ),
    ];
    for (args, stdin, message) in cases {
        let args: Vec<&str> = ["spec", "check"].iter().chain(args).copied().collect();
        let out = threatbind(&args, stdin);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(message),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    // --api settles a shared operationId.
    let out = threatbind(
        &[
            "spec",
            "check",
            "--operation",
            "listJobs",
            "--api",
            "log360-onprem-v2",
            "--response",
            "../../tests/fixtures/log360-onprem-v2/listJobs/response.200.two-jobs.json",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

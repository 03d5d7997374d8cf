//! `check`: recorded requests, answers and a HAR capture against the specs, on the project's
//! fixtures (tests/fixtures/) and the hand-made capture tests/har/capture.har.

use serde_json::{json, Value};
use threatbind::spec::Api;
use threatbind_spec_tools::check::{self, CheckError, HarOptions, Part};

/// The fixtures of one operation.
const CLOUD: &str = "../../tests/fixtures/log360-cloud/searchThreatAnalytics";

/// The clock of the contract tests, so that fixtures do not age.
fn now() -> chrono::DateTime<chrono::Utc> {
    "2026-06-01T00:00:00Z".parse().unwrap()
}

fn read(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The line (1-based) of the first line of `spec` whose text, trimmed, is `text`: the oracle of
/// the findings' lines, read from the spec as a person would.
fn line_of(spec: Api, text: &str) -> usize {
    spec.source()
        .lines()
        .position(|l| l.trim() == text)
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{text:?} is not a line of {spec}"))
}

/// The line after the first one of `spec` that is `text`.
fn line_after(spec: Api, text: &str) -> usize {
    line_of(spec, text) + 1
}

#[test]
fn a_request_fixture_that_holds_has_no_finding() {
    let op = Api::Log360Cloud.operation("searchThreatAnalytics").unwrap();
    let found = check::request_file(op, format!("{CLOUD}/request.connections-ip.json"), now());
    assert_eq!(found, Ok(vec![]));
}

#[test]
fn a_request_that_breaks_an_x_rule_names_the_pointer_the_rule_and_the_spec_line() {
    let op = Api::Log360Cloud.operation("searchThreatAnalytics").unwrap();
    let fixture = read(&format!(
        "{CLOUD}/invalid-request.connections-without-section.json"
    ));
    let found = check::request(op, "without-section.json", &fixture["document"], now());
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f.source, "without-section.json");
    assert_eq!(f.operation.as_deref(), Some("searchThreatAnalytics"));
    assert_eq!(f.part, Part::Request);
    assert_eq!(f.pointer, "/body/filter/section");
    assert_eq!(f.rule, "x-rules:connections-required-fields");
    assert_eq!(f.spec_file, "specs/log360-cloud.yaml");
    assert_eq!(
        f.spec_pointer,
        "/paths/~1threat~1search~1advanced-threat-analytics/post/x-rules/2"
    );
    assert_eq!(
        f.spec_line,
        Some(line_of(
            Api::Log360Cloud,
            "- id: connections-required-fields"
        ))
    );
    assert!(
        f.message.contains("CONNECTIONS requires filter.section"),
        "{}",
        f.message
    );
}

#[test]
fn a_schema_violation_points_at_the_keyword_in_the_spec() {
    let op = Api::Log360Cloud.operation("searchThreatAnalytics").unwrap();
    let fixture = read(&format!("{CLOUD}/invalid-request.limit-101.json"));
    let found = check::request(op, "limit.json", &fixture["document"], now());
    let rules: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f.pointer.as_str(), f.rule.as_str()))
        .collect();
    assert_eq!(rules, [("/body/limit", "maximum")]);
    assert!(
        found[0].spec_pointer.ends_with("/properties/limit/maximum"),
        "{}",
        found[0].spec_pointer
    );
}

#[test]
fn an_answer_that_breaks_the_schema_of_its_status_is_named() {
    let op = Api::Log360Cloud.operation("searchThreatAnalytics").unwrap();
    let fixture = read(&format!(
        "{CLOUD}/invalid-response.200.indicator-type-number.json"
    ));
    let found = check::response(op, "answer.json", 200, &fixture["document"]);
    let got: Vec<(&str, &str, &str)> = found
        .iter()
        .map(|f| (f.pointer.as_str(), f.rule.as_str(), f.spec_pointer.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "/data/indicator_type",
                "type",
                "/components/schemas/ResponseIndicatorType/type"
            ),
            (
                "/data/indicator_type",
                "enum",
                "/components/schemas/ResponseIndicatorType/enum"
            ),
        ]
    );
    assert_eq!(found[0].status, Some(200));
    assert_eq!(found[0].part, Part::Response);
    assert_eq!(found[0].message, "4 is not of type \"string\"");
    assert_eq!(
        found[0].spec_line,
        Some(line_after(Api::Log360Cloud, "ResponseIndicatorType:"))
    );
    assert_eq!(
        found[0].to_string(),
        format!(
            "answer.json: searchThreatAnalytics response 200: /data/indicator_type: type: \
             4 is not of type \"string\" (specs/log360-cloud.yaml:{})",
            line_after(Api::Log360Cloud, "ResponseIndicatorType:")
        )
    );
}

#[test]
fn the_same_answer_holds_where_it_is_documented() {
    let op = Api::Log360Cloud.operation("searchThreatAnalytics").unwrap();
    let found = check::response_file(op, 200, format!("{CLOUD}/response.200.info.json"));
    assert_eq!(found, Ok(vec![]));
    let found = check::response_file(op, 400, format!("{CLOUD}/response.400.json"));
    assert_eq!(found, Ok(vec![]));
}

#[test]
fn an_undocumented_status_is_a_finding() {
    let op = Api::Log360Cloud.operation("searchThreatAnalytics").unwrap();
    let found = check::response(op, "teapot.json", 418, &json!({}));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule, "undocumented-status");
    assert_eq!(
        found[0].spec_pointer,
        "/paths/~1threat~1search~1advanced-threat-analytics/post/responses"
    );
}

#[test]
fn headers_are_read_as_on_the_wire_and_credentials_never_echoed() {
    let op = Api::Log360Cloud.operation("searchThreatAnalytics").unwrap();
    let token = "1000.a1b2c3d4e5f6.secret";
    // The header named in another case, a credential beside it, and the token pasted by
    // mistake where the indicator type goes: the enum's message would quote it.
    let document = json!({
        "header": {"Account_ID": "18XXXXX4", "Authorization": format!("Zoho-oauthtoken {token}")},
        "body": {"indicator": "8.8.8.8", "indicator_type": token, "action": "INFO"}
    });
    let found = check::request(op, "doc.json", &document, now());
    let rules: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f.pointer.as_str(), f.rule.as_str()))
        .collect();
    assert_eq!(rules, [("/body/indicator_type", "enum")]);
    assert!(
        found[0].message.starts_with("\"***\" is not one of"),
        "{}",
        found[0].message
    );
    let everything = format!("{found:?}");
    assert!(!everything.contains(token), "{everything}");
}

/// What the HAR test compares of a finding: entry, operation, part, pointer, rule.
type Seen<'a> = (Option<usize>, Option<&'a str>, Part, &'a str, &'a str);

#[test]
fn a_har_capture_is_checked_entry_by_entry() {
    let report = check::har_file("tests/har/capture.har", &HarOptions::default()).unwrap();
    let got: Vec<Seen> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.entry,
                f.operation.as_deref(),
                f.part,
                f.pointer.as_str(),
                f.rule.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // The bad answer: a value of an open enum that is the API key echoed (a warning),
            // and a score over 100.
            (
                Some(1),
                Some("getIndicatorOfCompromise"),
                Part::Response,
                "/data/attributes/data/m_signal",
                "open-enum-new-value"
            ),
            (
                Some(1),
                Some("getIndicatorOfCompromise"),
                Part::Response,
                "/data/attributes/data/score",
                "maximum"
            ),
            // A CONNECTIONS request without its section.
            (
                Some(2),
                Some("searchThreatAnalytics"),
                Part::Request,
                "/body/filter/section",
                "x-rules:connections-required-fields"
            ),
            // A path of the Datadog server that no operation has.
            (Some(3), None, Part::Request, "", "undocumented-operation"),
        ]
    );
    let s = &report.summary;
    assert_eq!(
        (
            s.entries,
            s.checked,
            s.findings,
            s.undocumented,
            s.other_hosts,
            s.preflights
        ),
        (7, 4, 4, 1, 1, 1)
    );
    assert_eq!(s.skipped_hosts.get("cdn.example.org"), Some(&1));
    assert_eq!((s.unrecorded_answers, s.unreadable), (0, 0));

    let bad = &report.findings[1];
    assert_eq!(
        bad.exchange.as_deref(),
        Some("GET https://api.datadoghq.eu/api/v2/security/siem/ioc-explorer/indicator")
    );
    assert_eq!(bad.status, Some(200));
    assert_eq!(bad.message, "101 is greater than the maximum of 100");
    assert_eq!(bad.spec_file, "specs/datadog-ioc.yaml");
    assert!(
        bad.spec_pointer.ends_with("/properties/score/maximum"),
        "{}",
        bad.spec_pointer
    );
    assert_eq!(report.findings[0].message.get(..5), Some("\"***\""));

    let undocumented = &report.findings[3];
    assert_eq!(
        undocumented.exchange.as_deref(),
        Some("GET https://api.datadoghq.eu/api/v2/security/siem/ioc-explorer/indicator/history")
    );
    assert_eq!(
        undocumented.message,
        "GET /api/v2/security/siem/ioc-explorer/indicator/history: \
         no operation of specs/datadog-ioc.yaml has this path"
    );
    assert_eq!(undocumented.spec_pointer, "/paths");
    assert_eq!(
        undocumented.spec_line,
        Some(line_of(Api::DatadogIoc, "paths:"))
    );

    // No credential of the capture, and no query value, is in any finding.
    let everything = serde_json::to_string(&report).unwrap();
    for secret in [
        "ddapikey-0f9e8d7c6b5a49382716",
        "ddappkey-a1b2c3d4e5f6a7b8c9d0",
        "1000.zohoaccesstoken3f2e1d",
        "ns-bearer-5e4d3c2b1a",
        "cookiesecret-91",
        "querysecret-77",
    ] {
        assert!(
            std::fs::read_to_string("tests/har/capture.har")
                .unwrap()
                .contains(secret),
            "the capture holds {secret}"
        );
        assert!(!everything.contains(secret), "{secret} in {everything}");
    }
}

/// A capture of two exchanges with an on-premises server (`https://{host}:{port}/api/v2`).
fn onprem_capture() -> String {
    let answer = std::fs::read_to_string(
        "../../tests/fixtures/log360-onprem-v2/getIncident/response.200.incident.json",
    )
    .unwrap();
    json!({"log": {"version": "1.2", "entries": [
        {"startedDateTime": "2026-05-31T10:00:00Z",
         "request": {"method": "GET", "url": "https://siem.corp.example:8400/api/v2/incident/1024",
                     "headers": [{"name": "Authorization", "value": "Bearer onprem-token-4c3b"}]},
         "response": {"status": 200, "content": {"mimeType": "application/json", "text": answer}}},
        {"startedDateTime": "2026-05-31T10:00:01Z",
         "request": {"method": "GET", "url": "https://siem.corp.example:8400/api/v2/incident/latest",
                     "headers": []},
         "response": {"status": 200, "content": {"mimeType": "text/html", "text": "<html></html>"}}}
    ]}})
    .to_string()
}

#[test]
fn a_server_variable_value_puts_a_host_on_a_spec() {
    let capture = onprem_capture();
    let report = check::har("onprem.har", &capture, &HarOptions::default()).unwrap();
    assert_eq!((report.summary.other_hosts, report.summary.checked), (2, 0));

    let mut options = HarOptions::default();
    options
        .variables
        .insert("host".into(), vec!["siem.corp.example".into()]);
    let report = check::har("onprem.har", &capture, &options).unwrap();
    assert_eq!((report.summary.other_hosts, report.summary.checked), (0, 2));
    let got: Vec<(Option<usize>, Option<&str>, &str, &str)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.entry,
                f.operation.as_deref(),
                f.pointer.as_str(),
                f.rule.as_str(),
            )
        })
        .collect();
    // `latest` is no integer id, and the answer is HTML where JSON is documented.
    assert_eq!(
        got,
        [
            (Some(1), Some("getIncident"), "/path/incident_id", "type"),
            (Some(1), Some("getIncident"), "", "not-json"),
        ]
    );
    assert!(!format!("{report:?}").contains("onprem-token-4c3b"));
}

#[test]
fn an_answer_the_capture_does_not_hold_is_counted() {
    let capture = json!({"log": {"entries": [
        {"request": {"method": "GET", "url": "https://api.datadoghq.com/api/v2/security/siem/ioc-explorer/indicator?indicator=1.2.3.4"},
         "response": {"status": 200, "content": {"size": 2100, "mimeType": "application/json"}}},
        {"request": {"method": "GET", "url": "not a url"}, "response": {"status": 200}},
        {"request": {"method": "POST", "url": "https://api.datadoghq.com/api/v2/security/siem/ioc-explorer/indicator"},
         "response": {"status": 0}}
    ]}})
    .to_string();
    let report = check::har("c.har", &capture, &HarOptions::default()).unwrap();
    let s = &report.summary;
    assert_eq!(
        (
            s.entries,
            s.checked,
            s.unrecorded_answers,
            s.unreadable,
            s.undocumented
        ),
        (3, 1, 1, 1, 1)
    );
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["undocumented-operation"]);
    assert_eq!(
        report.findings[0].message,
        "POST /api/v2/security/siem/ioc-explorer/indicator: no operation of \
         specs/datadog-ioc.yaml (the path is documented for GET)"
    );
}

#[test]
fn a_file_that_is_no_capture_is_an_error_naming_it() {
    let options = HarOptions::default();
    assert_eq!(
        check::har("x.har", "{\"log\": {}}", &options),
        Err(CheckError::NotHar {
            file: "x.har".into(),
            reason: "no \"log.entries\" list".into()
        })
    );
    let error = check::har("y.har", "{\n\"log\": [", &options).unwrap_err();
    assert_eq!(
        error.to_string(),
        "y.har: not JSON: EOF while parsing a list at line 2 column 8"
    );
    let error = check::har_file("tests/har/none.har", &options).unwrap_err();
    assert_eq!(
        error.to_string(),
        "tests/har/none.har: cannot be read: No such file or directory"
    );
}

#[test]
fn a_new_value_of_an_open_enum_is_a_warning_not_an_error() {
    // Datadog's spec lists IoCScoreEffect and IoCTriageState in x-open-enums: the library
    // decodes a value they do not list as an unknown one.
    let op = Api::DatadogIoc
        .operation("getIndicatorOfCompromise")
        .unwrap();
    let mut answer = read("tests/recorded/ioc/203.0.113.42.json");
    let ioc = answer.pointer_mut("/data/attributes/data").unwrap();
    ioc["m_signal"] = json!("DOUBLE_SCORE");
    ioc["triage_state"] = json!("escalated");
    ioc["score"] = json!(101);
    let found = check::response(op, "answer.json", 200, &answer);
    let got: Vec<(&str, &str, &str, &str)> = found
        .iter()
        .map(|f| {
            (
                f.pointer.as_str(),
                f.rule.as_str(),
                f.id(),
                f.severity().as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "/data/attributes/data/m_signal",
                "open-enum-new-value",
                "open-enum-new-value",
                "warning"
            ),
            (
                "/data/attributes/data/score",
                "maximum",
                "response-schema",
                "error"
            ),
            (
                "/data/attributes/data/triage_state",
                "open-enum-new-value",
                "open-enum-new-value",
                "warning"
            ),
        ]
    );
    assert_eq!(
        found[0].spec_pointer,
        "/components/schemas/IoCScoreEffect/enum"
    );
    assert!(found[0].message.ends_with(
        "; IoCScoreEffect is open (x-open-enums), so the library decodes it as an unknown value"
    ));
    // A value that is no string does not decode: it stays an error, beside its `type`.
    let ioc = answer.pointer_mut("/data/attributes/data").unwrap();
    ioc["max_trust_score"] = json!(5);
    let found = check::response(op, "answer.json", 200, &answer);
    let got: Vec<(&str, &str, &str)> = found
        .iter()
        .filter(|f| f.pointer == "/data/attributes/data/max_trust_score")
        .map(|f| (f.rule.as_str(), f.id(), f.severity().as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("type", "response-schema", "error"),
            ("enum", "response-schema", "error")
        ]
    );
}

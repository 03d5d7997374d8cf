//! The Datadog IoC Explorer client against a local mock server.

#![cfg(feature = "datadog-ioc")]
mod common;

use common::{fast_settings, fixture, vars};
use serde_json::json;
use threatbind::datadog_ioc::{DatadogBuilder, DatadogClient};
use threatbind::Error;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const OP: &str = "getIndicatorOfCompromise";

fn client(server: &MockServer) -> DatadogClient {
    DatadogClient::builder()
        .keys("dd-api-secret", "dd-app-secret")
        .base_url(server.uri())
        .enable_unstable("v2.get_indicator_of_compromise")
        .settings(fast_settings())
        .build()
        .unwrap()
}

#[tokio::test]
async fn sends_the_documented_request_and_reads_the_typed_answer() {
    let server = MockServer::start().await;
    let indicator = "masscan/1.3 (https://github.com/robertdavidgraham/masscan)";
    Mock::given(method("GET"))
        .and(path("/api/v2/security/siem/ioc-explorer/indicator"))
        .and(query_param("indicator", indicator))
        .and(header("dd-api-key", "dd-api-secret"))
        .and(header("dd-application-key", "dd-app-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture(
            "datadog-ioc",
            OP,
            "response.200.ip.json",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let answer = client(&server).indicator(indicator).await.unwrap();
    let ioc = answer.data.unwrap().attributes.unwrap().data.unwrap();
    assert!(ioc.indicator.is_some());
}

#[tokio::test]
async fn beta_operation_needs_opting_in_and_sends_nothing_otherwise() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let c = DatadogClient::builder()
        .keys("a", "b")
        .base_url(server.uri())
        .build()
        .unwrap();
    let err = c.indicator("8.8.8.8").await.unwrap_err();
    assert!(
        matches!(&err, Error::Unstable { operation } if operation == OP),
        "{err}"
    );
    assert!(err.to_string().contains("beta"), "{err}");
}

#[tokio::test]
async fn unknown_enum_values_and_fields_are_kept_not_errors() {
    let server = MockServer::start().await;
    let mut body = fixture("datadog-ioc", OP, "response.200.ip.json");
    body["data"]["attributes"]["data"]["m_signal"] = json!("STRONGLY_RAISE_SCORE");
    body["data"]["attributes"]["data"]["brand_new_field"] = json!({"x": 1});
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let answer = client(&server).indicator("8.8.8.8").await.unwrap();
    let m_signal = answer
        .data
        .unwrap()
        .attributes
        .unwrap()
        .data
        .unwrap()
        .m_signal
        .unwrap();
    assert!(!m_signal.is_known());
    assert_eq!(m_signal.as_str(), "STRONGLY_RAISE_SCORE");
}

#[tokio::test]
async fn documented_errors_are_typed_and_429_honours_the_reset_header() {
    for (status, name) in [
        (400, "bad-request"),
        (403, "not-authorized"),
        (404, "not-found"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(json!({"errors": [format!("{name} detail")]})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let err = client(&server).indicator("8.8.8.8").await.unwrap_err();
        match &err {
            Error::Api {
                status: s, detail, ..
            } => {
                assert_eq!(*s, status);
                assert_eq!(detail.as_deref(), Some(format!("{name} detail").as_str()));
            }
            other => panic!("{status}: {other}"),
        }
    }
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-ratelimit-reset", "0")
                .set_body_json(json!({"errors": ["Too many requests"]})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture(
            "datadog-ioc",
            OP,
            "response.200.ip.json",
        )))
        .mount(&server)
        .await;
    client(&server).indicator("8.8.8.8").await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[test]
fn sites_come_from_the_spec_and_keys_never_print() {
    let c = DatadogBuilder::from_vars(vars(&[("DD_API_KEY", "k1"), ("DD_APP_KEY", "k2")]))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(c.base_url(), "https://api.datadoghq.com");
    for (site, url) in [
        ("us3.datadoghq.com", "https://api.us3.datadoghq.com"),
        ("ap2.datadoghq.com", "https://api.ap2.datadoghq.com"),
        ("us2.ddog-gov.com", "https://api.us2.ddog-gov.com"),
    ] {
        let c = DatadogBuilder::default()
            .keys("k1", "k2")
            .site(site)
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(c.base_url(), url);
    }
    let err = DatadogBuilder::from_vars(vars(&[
        ("DD_API_KEY", "k1"),
        ("DD_APP_KEY", "k2"),
        ("DD_SITE", "datadoghq.moon"),
    ]))
    .unwrap_err();
    assert!(
        matches!(&err, Error::Config { name, .. } if name == "DD_SITE"),
        "{err}"
    );
    let err = DatadogBuilder::from_vars(vars(&[("DD_API_KEY", "k1")])).unwrap_err();
    assert!(
        matches!(&err, Error::Config { name, .. } if name == "DD_APP_KEY"),
        "{err}"
    );
    let c = DatadogBuilder::default()
        .keys("very-secret-api", "very-secret-app")
        .build()
        .unwrap();
    let debug = format!("{c:?}");
    assert!(!debug.contains("very-secret"), "{debug}");
}

/// Real answers carry `null` in the source lists (Datadog's spec marks them nullable), and the
/// newer triage fields; both decode, and a triage state this version does not know is kept.
#[tokio::test]
async fn null_source_lists_and_triage_fields_decode() {
    use threatbind::datadog_ioc::generated::open_enums::IoCTriageState;
    let server = MockServer::start().await;
    let unknown = fixture(
        "datadog-ioc",
        OP,
        "invalid-response.200.unknown-triage-state.json",
    )["document"]
        .clone();
    Mock::given(query_param("indicator", "cdn-update.example.org"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture(
            "datadog-ioc",
            OP,
            "response.200.null-sources-triaged.json",
        )))
        .mount(&server)
        .await;
    Mock::given(query_param("indicator", "198.51.100.7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(unknown))
        .mount(&server)
        .await;
    let c = client(&server);
    let answer = c.indicator("cdn-update.example.org").await.unwrap();
    let ioc = answer.data.unwrap().attributes.unwrap().data.unwrap();
    assert_eq!(ioc.benign_sources, None);
    assert_eq!(ioc.suspicious_sources.map(|s| s.len()), Some(1));
    assert_eq!(ioc.triage_state, Some(IoCTriageState::Reviewed));
    assert!(ioc.triaged_at.is_some());
    let answer = c.indicator("198.51.100.7").await.unwrap();
    let ioc = answer.data.unwrap().attributes.unwrap().data.unwrap();
    assert_eq!(
        ioc.triage_state,
        Some(IoCTriageState::Other("escalated".into()))
    );
    assert_eq!(ioc.triage_history.len(), 1);
}

/// The typed builders, `client.generated()`, the CLI and `RawClient` refuse a bad value with
/// the same error: `Error::Validation` naming the field and the rule, nothing sent.
#[tokio::test]
async fn the_typed_path_refuses_a_bad_value_as_the_validator_does() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let c = client(&server);
    let rules = |e: Error| match e {
        Error::Validation(v) => v
            .iter()
            .map(|v| (v.path.clone(), v.rule.clone()))
            .collect::<Vec<_>>(),
        other => panic!("not a validation error: {other}"),
    };
    // The typed method and the generated builder: the spec's minLength, at the field.
    let typed = rules(c.indicator("").await.unwrap_err());
    assert_eq!(
        typed,
        vec![("query.indicator".to_owned(), "minLength".to_owned())]
    );
    let generated = c.generated().get_indicator_of_compromise().indicator("");
    let generated = rules(threatbind::call(generated.send()).await.unwrap_err());
    assert_eq!(generated, typed);
    // RawClient, the CLI's path: the same.
    let op = threatbind::spec::Api::DatadogIoc.operation(OP).unwrap();
    let raw = rules(
        c.raw()
            .send(op, &json!({"query": {"indicator": ""}}))
            .await
            .unwrap_err(),
    );
    assert_eq!(raw, typed);
    // A required value not given to the builder: the field and `required`.
    let missing = c.generated().get_indicator_of_compromise();
    let missing = rules(threatbind::call(missing.send()).await.unwrap_err());
    assert_eq!(
        missing,
        vec![("indicator".to_owned(), "required".to_owned())]
    );
}

/// Only credentials are secrets: a site given to the builder (or read from its variable)
/// stays readable in request lines and errors, while the keys are redacted.
#[test]
fn a_site_is_not_redacted_but_the_keys_are() {
    let _client = DatadogClient::builder()
        .keys("dd-api-key-value-1", "dd-app-key-value-2")
        .site("datadoghq.eu")
        .unwrap()
        .build()
        .unwrap();
    let _from_vars = DatadogBuilder::from_vars(vars(&[
        ("DD_API_KEY", "dd-api-key-value-1"),
        ("DD_APP_KEY", "dd-app-key-value-2"),
        ("DD_SITE", "us3.datadoghq.com"),
    ]))
    .unwrap();
    let line = "GET https://api.datadoghq.eu/x https://api.us3.datadoghq.com/y dd-api-key-value-1";
    assert_eq!(
        threatbind::secret::redact(line),
        "GET https://api.datadoghq.eu/x https://api.us3.datadoghq.com/y ***"
    );
}

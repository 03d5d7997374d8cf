//! Datadog's list of indicators of compromise and its error answers, against a loopback mock
//! server (wiremock): the shell-safe `sort[column]` parameter goes out under its real name, and
//! an error answer in either of Datadog's forms (the page's text items, the JSON:API objects
//! Datadog really sends) is shown with its title and detail, not as a bare `HTTP 400`.

#![cfg(feature = "datadog-ioc")]
mod common;

use common::{fast_settings, fixture};
use threatbind::datadog_ioc::generated::types::{
    ListIndicatorsOfCompromiseSortColumn, ListIndicatorsOfCompromiseSortOrder,
    ListIndicatorsOfCompromiseTriageState,
};
use threatbind::datadog_ioc::DatadogClient;
use threatbind::Error;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LIST: &str = "listIndicatorsOfCompromise";
const PATH: &str = "/api/v2/security/siem/ioc-explorer";

fn client(server: &MockServer) -> DatadogClient {
    DatadogClient::builder()
        .keys("dd-api-secret", "dd-app-secret")
        .base_url(server.uri())
        .enable_unstable("v2.list_indicators_of_compromise")
        .settings(fast_settings())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_list_sends_its_bracketed_parameters_and_reads_a_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .and(query_param("sort[column]", "score"))
        .and(query_param("sort[order]", "desc"))
        .and(query_param("limit", "2"))
        .and(query_param("triage_state", "not_reviewed"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture(
            "datadog-ioc",
            LIST,
            "response.200.page.json",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server)
        .list_indicators_of_compromise()
        .sort_column(ListIndicatorsOfCompromiseSortColumn::Score)
        .sort_order(ListIndicatorsOfCompromiseSortOrder::Desc)
        .limit(2)
        .triage_state(ListIndicatorsOfCompromiseTriageState::NotReviewed)
        .call()
        .await
        .unwrap();
    let attributes = page.data.unwrap().attributes.unwrap();
    assert_eq!(attributes.data.len(), 2);
    assert_eq!(attributes.metadata.unwrap().count, Some(2));
    assert_eq!(
        attributes.data[0].indicator.as_deref(),
        Some("203.0.113.42")
    );
}

/// The error a client reports for an answer of `status` carrying `body`.
async fn error_for(status: u16, body: serde_json::Value) -> Error {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    client(&server)
        .list_indicators_of_compromise()
        .call()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_jsonapi_error_shows_its_title_and_detail() {
    let body = fixture("datadog-ioc", LIST, "response.400.jsonapi.json");
    let err = error_for(400, body).await;
    match &err {
        Error::Api {
            status,
            title,
            detail,
            ..
        } => {
            assert_eq!(*status, 400);
            assert_eq!(title.as_deref(), Some("Bad Request"));
            assert_eq!(
                detail.as_deref(),
                Some("invalid sort column: severity (parameter sort[column])")
            );
        }
        other => panic!("not an API error: {other:?}"),
    }
    assert!(
        err.to_string().contains(
            "HTTP 400 Bad Request: invalid sort column: severity (parameter sort[column])"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn the_pages_text_errors_are_still_read() {
    let body = fixture("datadog-ioc", LIST, "response.400.strings.json");
    let err = error_for(400, body).await;
    assert!(err.to_string().contains("HTTP 400: Bad Request"), "{err}");
}

#[tokio::test]
async fn a_forbidden_jsonapi_error_names_the_refusal() {
    let body = fixture("datadog-ioc", LIST, "response.403.jsonapi.json");
    let err = error_for(403, body).await;
    assert!(
        err.to_string()
            .contains("HTTP 403 Forbidden: Failed permission authorization checks"),
        "{err}"
    );
}

#[tokio::test]
async fn an_echoed_key_in_an_error_is_not_printed() {
    let body = serde_json::json!({"errors": [
        {"title": "Forbidden", "detail": "key dd-api-secret is not valid"},
        "dd-app-secret refused",
    ]});
    let err = error_for(403, body).await.to_string();
    assert!(!err.contains("dd-api-secret"), "{err}");
    assert!(!err.contains("dd-app-secret"), "{err}");
    assert!(err.contains("Forbidden: key"), "{err}");
}

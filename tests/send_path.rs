//! One send path: the generated client used directly is validated, quota-limited, signed and
//! retried by the same hooks as the wrappers.

#![cfg(all(feature = "log360-cloud", feature = "datadog-ioc"))]
mod common;

use common::fast_settings;
use serde_json::json;
use std::time::Duration;
use threatbind::log360_cloud::{Log360Auth, Log360Client};
use threatbind::spec::RateLimit;
use threatbind::Settings;
use wiremock::matchers::{any, header};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer, settings: Settings) -> Log360Client {
    Log360Client::builder()
        .account_id("send-path")
        .base_url(format!("{}/api/v2", server.uri()))
        .auth(Log360Auth::access_token("1000.send-path-token"))
        .settings(settings)
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_generated_client_rejects_an_out_of_range_request_before_sending() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let c = client(&server, fast_settings());
    // The spec's maximum for limit is 100; typify's builder takes any u64.
    let err = c
        .generated()
        .list_detection_rules()
        .account_id("send-path")
        .limit(5000u64)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, progenitor_client::Error::InvalidRequest(_)),
        "{err:?}"
    );
    assert!(err.to_string().contains("limit: maximum"), "{err}");
    // A date before 1970 breaks an x-rule, which no schema says.
    let err = c
        .generated()
        .list_recent_anomalies()
        .account_id("send-path")
        .entity_name("a")
        .domain_name("b")
        .start_time(
            "1960-01-01T00:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("start_time"), "{err}");
}

#[tokio::test]
async fn the_generated_client_is_signed_and_respects_the_quota() {
    let server = MockServer::start().await;
    Mock::given(header(
        "authorization",
        "Zoho-oauthtoken 1000.send-path-token",
    ))
    .respond_with(
        ResponseTemplate::new(200).set_body_json(json!({"data": [], "meta": {"has_more": false}})),
    )
    .expect(2)
    .mount(&server)
    .await;
    // A quota no request of this test outlives: a slot taken stays taken.
    let period = Duration::from_secs(3600);
    let settings = Settings {
        unlimited: false,
        rate_limit: Some(RateLimit {
            requests: 2,
            period,
        }),
        ..fast_settings()
    };
    let c = client(&server, settings);
    let limiter = c.rate_limiter().unwrap().clone();
    for _ in 0..2 {
        c.generated()
            .list_detection_rules()
            .account_id("send-path")
            .send()
            .await
            .unwrap();
    }
    // Each generated call took a slot of the account's quota: none is left, and a third call
    // would wait for the first to free (a period after its request).
    let wait = limiter
        .try_acquire()
        .await
        .unwrap()
        .expect_err("the generated calls took no slot of the quota");
    assert!(wait > Duration::ZERO && wait <= period, "{wait:?}");
}

#[tokio::test]
async fn the_generated_client_retries_and_needs_the_beta_opt_in() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {}})))
        .mount(&server)
        .await;
    let builder = threatbind::datadog_ioc::DatadogClient::builder()
        .keys("dd-api-key-send-path", "dd-app-key-send-path")
        .base_url(server.uri())
        .settings(fast_settings());
    let without = builder.clone().build().unwrap();
    let err = without
        .generated()
        .get_indicator_of_compromise()
        .indicator("8.8.8.8")
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("beta"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
    let with = builder
        .enable_unstable("getIndicatorOfCompromise")
        .build()
        .unwrap();
    let answer = with
        .generated()
        .get_indicator_of_compromise()
        .indicator("8.8.8.8")
        .send()
        .await;
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

//! The library as a consumer meets it: every operation is one `call()` giving the typed answer,
//! every paginated one an `items()` stream of typed items (no turbofish, no pinning), a
//! date-time parameter takes a chrono value written in the vendor's form. Against the mock.

#![cfg(all(feature = "nameshield-cti", feature = "log360-onprem-v2"))]
mod common;

use futures::TryStreamExt;
use threatbind::nameshield_cti::{generated::types, NameshieldClient};
use threatbind_mock::{serve, Options};

#[tokio::test]
async fn call_and_items_give_typed_answers_and_every_item() {
    let mock = serve("127.0.0.1:0".parse().unwrap(), Options::default())
        .await
        .unwrap();
    let client = NameshieldClient::builder()
        .token("6f1c3c1e-1111-4000-8000-000000000042")
        .base_url(mock.base_url())
        .settings(common::fast_settings())
        .build()
        .unwrap();
    // One page, typed, through the send path.
    let page: types::ThreatEventPage = client
        .list_threat_events()
        .size(10u64)
        .call()
        .await
        .unwrap();
    assert_eq!(page.data.len(), 10);
    // Every item of every page: the mock's data set has 237 (its default).
    let all: Vec<types::ThreatEvent> = client
        .list_threat_events()
        .size(100u64)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 237);
    let ids: std::collections::BTreeSet<_> = all.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids.len(), 237, "an item was read twice");
    // A chrono instant goes out as the spec's `x-datetime-format` (UTC).
    let at = chrono::DateTime::parse_from_rfc3339("2024-12-31T15:30:45+01:00")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let typed = types::CtiDateTime::try_from(at).unwrap();
    assert_eq!(typed.as_str(), "2024-12-31 14:30:45");
    let since: Vec<types::ThreatEvent> = client
        .list_threat_events()
        .started_at(at)
        .items()
        .try_collect()
        .await
        .unwrap();
    // The mock checks every page's request against the spec (a startedAt not in the
    // vendor's form is a 400, which would end the walk) and does not filter by it: every item.
    assert_eq!(since.len(), 237);
    // A value the spec refuses is the validator's error, nothing sent.
    let before = mock.stats().requests;
    let err = client.list_threat_events().size(0u64).call().await;
    assert!(
        matches!(err, Err(threatbind::Error::Validation(_))),
        "{err:?}"
    );
    assert_eq!(mock.stats().requests, before);
    mock.shutdown().await;
}

#[tokio::test]
async fn an_api_without_a_hand_written_module_is_a_typed_client_from_its_variables() {
    let mock = serve("127.0.0.1:0".parse().unwrap(), Options::default())
        .await
        .unwrap();
    let api = threatbind::spec::Api::Log360OnpremV2;
    let token = api.env().credentials[0].variable.name.clone();
    let base = api.env().api.base_url.clone().unwrap().name;
    let url = format!("{}{}", mock.base_url(), api.server_path());
    let get = |name: &str| {
        if name == token {
            Some("onprem-token".to_owned())
        } else if name == base {
            Some(url.clone())
        } else {
            None
        }
    };
    let client = threatbind::log360_onprem_v2::from_vars(get, &common::fast_settings()).unwrap();
    let agents = client.list_agents().call().await.unwrap();
    assert!(serde_json::to_value(&agents).unwrap().is_object());
    mock.shutdown().await;
}

//! The mock follows what a spec says of a paged list's filters, order and paging fields
//! (`x-mock` filter and sort, `x-pagination`), at any depth of the answer: Datadog's list of
//! indicators of compromise, over HTTP on loopback. The data set is the spec's two example
//! items repeated (237 items by default): even positions the IP address (`not_reviewed`,
//! score 87.5), odd positions the domain (`reviewed`, score 64).

use serde_json::Value;
use threatbind_mock::{serve, MockHandle, Options};

const PATH: &str = "/api/v2/security/siem/ioc-explorer";

async fn start() -> MockHandle {
    serve("127.0.0.1:0".parse().unwrap(), Options::default())
        .await
        .unwrap()
}

/// The answer of the list to `query` (name, value pairs).
async fn list(mock: &MockHandle, query: &[(&str, &str)]) -> (u16, Value) {
    threatbind::install_crypto_provider();
    let answer = reqwest::Client::new()
        .get(format!("{}{PATH}", mock.base_url()))
        .query(query)
        .header("dd-api-key", "mock-api-key")
        .header("dd-application-key", "mock-app-key")
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap())
}

fn items(page: &Value) -> &Vec<Value> {
    page["data"]["attributes"]["data"].as_array().unwrap()
}

fn column<'a>(page: &'a Value, field: &str) -> Vec<&'a Value> {
    items(page).iter().map(|i| &i[field]).collect()
}

#[tokio::test]
async fn paging_fields_are_set_at_any_depth() {
    let mock = start().await;
    let (status, page) = list(&mock, &[("offset", "100"), ("limit", "10")]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(items(&page).len(), 10);
    // Two levels below the items' parent: it was left at the example's 0.
    assert_eq!(page["data"]["attributes"]["paging"]["offset"], 100);
    assert_eq!(page["data"]["attributes"]["metadata"]["count"], 237);
    let (_, last) = list(&mock, &[("offset", "230"), ("limit", "10")]).await;
    assert_eq!(items(&last).len(), 7);
    assert_eq!(last["data"]["attributes"]["paging"]["offset"], 230);
    mock.shutdown().await;
}

#[tokio::test]
async fn triage_state_keeps_only_the_items_in_that_state() {
    let mock = start().await;
    let (_, page) = list(&mock, &[("triage_state", "reviewed"), ("limit", "500")]).await;
    assert_eq!(page["data"]["attributes"]["metadata"]["count"], 118);
    assert_eq!(items(&page).len(), 118);
    assert!(column(&page, "triage_state")
        .iter()
        .all(|s| *s == "reviewed"));
    let (_, page) = list(&mock, &[("triage_state", "not_reviewed"), ("limit", "5")]).await;
    assert_eq!(page["data"]["attributes"]["metadata"]["count"], 119);
    assert_eq!(
        column(&page, "indicator"),
        ["203.0.113.42"; 5].iter().collect::<Vec<_>>()
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn the_query_reads_field_value_terms_and_words() {
    let mock = start().await;
    let (_, page) = list(&mock, &[("query", "indicator_type:domain"), ("limit", "3")]).await;
    assert_eq!(page["data"]["attributes"]["metadata"]["count"], 118);
    assert_eq!(
        column(&page, "indicator_type"),
        ["domain"; 3].iter().collect::<Vec<_>>()
    );
    // Every term must hold: an IP address of the phishing category is none.
    let (_, none) = list(&mock, &[("query", "indicator_type:ip_address phishing")]).await;
    assert_eq!(none["data"]["attributes"]["metadata"]["count"], 0);
    assert!(items(&none).is_empty());
    let (_, scanner) = list(&mock, &[("query", "SCANNER"), ("limit", "1")]).await;
    assert_eq!(scanner["data"]["attributes"]["metadata"]["count"], 119);
    mock.shutdown().await;
}

#[tokio::test]
async fn sort_column_and_order_order_the_whole_list_before_paging() {
    let mock = start().await;
    // Descending score: the 119 IP addresses (87.5) first, then the domains (64); unsorted,
    // positions 117 to 119 would be 64, 87.5, 64.
    let desc = [
        ("sort[column]", "score"),
        ("sort[order]", "desc"),
        ("offset", "117"),
        ("limit", "3"),
    ];
    let (_, page) = list(&mock, &desc).await;
    assert_eq!(
        column(&page, "score"),
        [&Value::from(87.5), &Value::from(87.5), &Value::from(64)]
    );
    let asc = [
        ("sort[column]", "score"),
        ("sort[order]", "asc"),
        ("limit", "2"),
    ];
    let (_, page) = list(&mock, &asc).await;
    assert_eq!(column(&page, "score"), [&Value::from(64), &Value::from(64)]);
    // The column names the item field: last_seen_ts_epoch orders by last_seen.
    let by_time = [("sort[column]", "last_seen_ts_epoch"), ("limit", "1")];
    let (_, page) = list(&mock, &by_time).await;
    assert_eq!(column(&page, "last_seen"), ["2026-05-28T06:30:45Z"]);
    // With a filter: sorted among the kept items only.
    let filtered = [
        ("triage_state", "not_reviewed"),
        ("sort[column]", "score"),
        ("sort[order]", "asc"),
        ("limit", "1"),
    ];
    let (_, page) = list(&mock, &filtered).await;
    assert_eq!(column(&page, "score"), [&Value::from(87.5)]);
    mock.shutdown().await;
}

#[tokio::test]
async fn a_value_outside_the_spec_is_refused_not_filtered() {
    let mock = start().await;
    let (status, body) = list(&mock, &[("triage_state", "escalated")]).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = list(&mock, &[("sort[column]", "severity")]).await;
    assert_eq!(status, 400, "{body}");
    mock.shutdown().await;
}

#[tokio::test]
async fn a_data_set_larger_than_a_list_is_chosen_from_is_refused_at_start() {
    // Filters and sorting choose from every item, so a larger data set is refused rather than
    // answered with the total of a part of it.
    let too_many = Options {
        items: 100_001,
        ..Options::default()
    };
    let refused = serve("127.0.0.1:0".parse().unwrap(), too_many).await.err();
    assert_eq!(
        refused.map(|e| e.to_string()),
        Some(
            "configuration: items: 100001 is more than 100000, the most items a data set may hold"
                .to_owned()
        )
    );
}

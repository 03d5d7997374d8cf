//! Look up an indicator in L3C Threat Analytics and VirusTotal, then list the anomaly rules.
//!
//! ```sh
//! LOG360_ACCOUNT_ID=18XXXXX4 LOG360_REGION=us LOG360_ACCESS_TOKEN=1000.xxxx \
//!   cargo run --example log360 -- 8.8.8.8
//! ```

use futures::TryStreamExt;
use threatbind::call;
use threatbind::log360_cloud::generated::types::{self, IndicatorType, RuleType};
use threatbind::log360_cloud::{threat, Log360Client, Prefill};

#[tokio::main]
async fn main() -> Result<(), threatbind::Error> {
    let indicator = std::env::args().nth(1).unwrap_or_else(|| "8.8.8.8".into());
    let client = Log360Client::from_env()?.build()?;

    let body = threat::info(&indicator).indicator_type(Some(IndicatorType::Ip));
    let info = call(client.search_threat_analytics().body(body).send()).await?;
    println!(
        "L3C: {}",
        serde_json::to_string_pretty(&info).unwrap_or_default()
    );

    let request = client
        .search_virus_total()
        .body_map(|b| b.indicator(indicator.as_str()));
    let vt = call(request.send()).await?;
    println!(
        "VirusTotal: {}",
        serde_json::to_string_pretty(&vt).unwrap_or_default()
    );

    let request = client
        .list_detection_rules()
        .rule_type(RuleType::Anomaly)
        .limit(100u64);
    let rules: Vec<types::DetectionRule> = client.items(request.send()).try_collect().await?;
    println!(
        "{} anomaly rules: {:?}",
        rules.len(),
        rules.iter().map(|r| &r.rule_id).collect::<Vec<_>>()
    );
    Ok(())
}

//! An indicator in L3C Threat Analytics, then every anomaly rule of the account.
//! `LOG360_ACCOUNT_ID=... LOG360_ACCESS_TOKEN=... cargo run --example log360`
use futures::TryStreamExt;
use threatbind::log360_cloud::{generated::types::RuleType, threat, Log360Client, Prefill};

#[tokio::main]
async fn main() -> threatbind::Result<()> {
    let client = Log360Client::from_env()?.build()?;
    let request = client
        .search_threat_analytics()
        .body(threat::info("8.8.8.8"));
    println!("{:?}", request.call().await?.data);
    let rules = client.list_detection_rules().rule_type(RuleType::Anomaly);
    let rules: Vec<_> = rules.items().try_collect().await?;
    println!("{} anomaly rules", rules.len());
    Ok(())
}

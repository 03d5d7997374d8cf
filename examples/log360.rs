//! Look up an indicator in L3C Threat Analytics and VirusTotal, then list the anomaly rules.
//!
//! ```sh
//! LOG360_ACCOUNT_ID=18XXXXX4 LOG360_REGION=us LOG360_ACCESS_TOKEN=1000.xxxx \
//!   cargo run --example log360 -- 8.8.8.8
//! ```

use futures::TryStreamExt;
use threatbind::log360_cloud::generated::types::{IndicatorType, RuleType};
use threatbind::log360_cloud::{DetectionRulesQuery, Log360Client, ThreatQuery};

#[tokio::main]
async fn main() -> Result<(), threatbind::Error> {
    let indicator = std::env::args().nth(1).unwrap_or_else(|| "8.8.8.8".into());
    let client = Log360Client::from_env()?.build()?;

    let info = client
        .threat_analytics(&ThreatQuery::info(&indicator).indicator_type(IndicatorType::Ip))
        .await?;
    println!(
        "L3C: {}",
        serde_json::to_string_pretty(&info).unwrap_or_default()
    );

    let vt = client.virustotal(&indicator).await?;
    println!(
        "VirusTotal: {}",
        serde_json::to_string_pretty(&vt).unwrap_or_default()
    );

    let query = DetectionRulesQuery {
        rule_type: Some(RuleType::Anomaly),
        limit: Some(100),
        ..Default::default()
    };
    let rules: Vec<_> = client.all_detection_rules(query).try_collect().await?;
    println!(
        "{} anomaly rules: {:?}",
        rules.len(),
        rules.iter().map(|r| &r.rule_id).collect::<Vec<_>>()
    );
    Ok(())
}

//! Stream every HIGH threat event of the last month, newest first.
//!
//! ```sh
//! NAMESHIELD_TOKEN=... NAMESHIELD_ENV=prod cargo run --example nameshield
//! ```

use futures::TryStreamExt;
use threatbind::nameshield_cti::generated::types::{self, CriticalityFilter};
use threatbind::nameshield_cti::NameshieldClient;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = NameshieldClient::from_env()?.build()?;
    let since = (chrono::Utc::now() - chrono::Duration::days(30))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let request = client
        .generated()
        .list_threat_events()
        .criticality(CriticalityFilter::High)
        .started_at(since.as_str())
        .sort(vec!["date,desc".to_owned()]);
    let events = client.items::<types::ThreatEvent, _, _>(request.send());
    futures::pin_mut!(events);
    while let Some(event) = events.try_next().await? {
        println!(
            "{} {} {:?}",
            event.id,
            event.domain.unwrap_or_default(),
            event
                .criticality
                .and_then(|c| c.level)
                .map(|l| l.to_string())
        );
    }
    Ok(())
}

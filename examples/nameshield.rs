//! The last 30 days' high-criticality threat events, every page.
//! `NAMESHIELD_TOKEN=... cargo run --example nameshield`
use futures::TryStreamExt;
use threatbind::nameshield_cti::{generated::types::CriticalityFilter, NameshieldClient};

#[tokio::main]
async fn main() -> threatbind::Result<()> {
    let client = NameshieldClient::from_env()?.build()?;
    let since = chrono::Utc::now() - chrono::Duration::days(30);
    let high = client
        .list_threat_events()
        .criticality(CriticalityFilter::High);
    let mut events = high.started_at(since).items();
    while let Some(event) = events.try_next().await? {
        println!("{} {:?} {:?}", event.id, event.domain, event.criticality);
    }
    Ok(())
}

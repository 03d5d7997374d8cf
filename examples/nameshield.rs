//! Stream every HIGH threat event of the last month, newest first.
//!
//! ```sh
//! NAMESHIELD_TOKEN=... NAMESHIELD_ENV=prod cargo run --example nameshield
//! ```

use futures::TryStreamExt;
use threatbind::nameshield_cti::generated::types::CriticalityFilter;
use threatbind::nameshield_cti::{EventsQuery, NameshieldClient};

#[tokio::main]
async fn main() -> Result<(), threatbind::Error> {
    let client = NameshieldClient::from_env()?.build()?;
    let since = (chrono::Utc::now() - chrono::Duration::days(30))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let query = EventsQuery::default()
        .criticality(CriticalityFilter::High)
        .started_at(since)
        .sort("date,desc");
    let events = client.all_events(query);
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

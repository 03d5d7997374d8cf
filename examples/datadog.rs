//! Look up an indicator of compromise in Datadog's IoC Explorer (beta: opted in explicitly).
//!
//! ```sh
//! DD_API_KEY=... DD_APP_KEY=... DD_SITE=datadoghq.eu cargo run --example datadog -- 8.8.8.8
//! ```

use threatbind::datadog_ioc::DatadogClient;

#[tokio::main]
async fn main() -> Result<(), threatbind::Error> {
    let indicator = std::env::args().nth(1).unwrap_or_else(|| "8.8.8.8".into());
    let client = DatadogClient::from_env()?
        .enable_unstable("v2.get_indicator_of_compromise")
        .build()?;
    let answer = client.indicator(&indicator).await?;
    let ioc = answer.data.and_then(|d| d.attributes).and_then(|a| a.data);
    match ioc {
        Some(ioc) => println!(
            "{indicator}: score {:?}, signal effect {:?}",
            ioc.score,
            ioc.m_signal.map(|e| e.to_string())
        ),
        None => println!("{indicator}: no data"),
    }
    Ok(())
}

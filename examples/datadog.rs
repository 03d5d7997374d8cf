//! One indicator in Datadog's IoC Explorer (beta: opted in explicitly).
//! `DD_API_KEY=... DD_APP_KEY=... cargo run --example datadog`
use threatbind::datadog_ioc::DatadogClient;

#[tokio::main]
async fn main() -> threatbind::Result<()> {
    let client = DatadogClient::from_env()?.enable_unstable("getIndicatorOfCompromise");
    let client = client.build()?;
    let request = client.get_indicator_of_compromise().indicator("8.8.8.8");
    let answer = request.call().await?;
    println!("{:?}", answer.data);
    Ok(())
}

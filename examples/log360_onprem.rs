//! The agents of an on-premises Log360 (V2), credentials and server from the spec's variables.
//! `LOG360_ONPREM_URL=https://siem.example:8400 LOG360_ONPREM_TOKEN=... cargo run --example log360_onprem`
#[tokio::main]
async fn main() -> threatbind::Result<()> {
    let client = threatbind::log360_onprem_v2::from_env()?;
    let agents = client.list_agents().call().await?;
    println!("{agents:?}");
    Ok(())
}

//! `threatbind datadog ...`

use crate::{print_json, Global};
use clap::Subcommand;
use threatbind::datadog_ioc::DatadogClient;
use threatbind::Error;

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Details of an indicator of compromise (beta: GET /api/v2/security/siem/ioc-explorer/indicator).
    Ioc {
        /// The indicator value (IP address, domain, ...).
        #[arg(long)]
        indicator: String,
        /// Datadog site (datadoghq.com, datadoghq.eu, us3.datadoghq.com, ...); overrides DD_SITE.
        #[arg(long)]
        site: Option<String>,
    },
}

pub(crate) async fn run(command: Command, global: &Global) -> Result<(), Error> {
    match command {
        Command::Ioc { indicator, site } => {
            let mut builder = DatadogClient::from_env()?.settings(global.settings.clone());
            if let Some(site) = site {
                builder = builder.site(&site)?;
            }
            if let Some(url) = &global.base_url {
                builder = builder.base_url(url.clone());
            }
            // Running this command is the user's opt-in to the beta operation.
            crate::note(
                "notice: getIndicatorOfCompromise is a Datadog beta endpoint and may change",
            );
            let client = builder
                .enable_unstable("getIndicatorOfCompromise")
                .build()?;
            print_json(&client.indicator(&indicator).await?)
        }
    }
}

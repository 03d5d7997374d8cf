//! Datadog IoC Explorer (`specs/datadog-ioc.yaml`): the beta "get an indicator of compromise"
//! endpoint, on every Datadog site.
//!
//! ```
//! use threatbind::datadog_ioc::DatadogClient;
//! let client = DatadogClient::builder()
//!     .keys("api-key", "app-key")
//!     .site("datadoghq.eu").unwrap()
//!     .enable_unstable("v2.get_indicator_of_compromise")
//!     .build()
//!     .unwrap();
//! assert_eq!(client.base_url(), "https://api.datadoghq.eu");
//! ```

mod client;

pub use client::{DatadogBuilder, DatadogClient};

/// The client progenitor generates from `specs/datadog-ioc.yaml` (do not edit: edit the spec).
#[allow(missing_docs, clippy::all, unused_imports)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/datadog_ioc.rs"));
}

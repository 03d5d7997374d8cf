//! Nameshield CTI (`specs/nameshield-cti.yaml`): threat events of your domain monitoring.
//!
//! ```
//! use threatbind::nameshield_cti::NameshieldClient;
//! let client = NameshieldClient::builder().token("6f1c3c1e-0000-4000-8000-000000000000").environment("ote").unwrap().build().unwrap();
//! assert_eq!(client.base_url(), "https://ote-api.nameshield.net");
//! ```

mod client;

pub use client::{NameshieldBuilder, NameshieldClient};

/// The client progenitor generates from `specs/nameshield-cti.yaml` (do not edit: edit the spec).
#[allow(missing_docs, clippy::all, unused_imports)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/nameshield_cti.rs"));
}

//! Log360 Cloud v2 (`specs/log360-cloud.yaml`): threat lookups, UEBA, detection rules.
//!
//! ```
//! use threatbind::log360_cloud::{Log360Client, Log360Auth};
//! let client = Log360Client::builder()
//!     .account_id("18XXXXX4")
//!     .auth(Log360Auth::access_token("1000.xxxx"))
//!     .build()
//!     .unwrap();
//! assert_eq!(client.base_url(), "https://log360cloud.manageengine.com/api/v2");
//! ```

mod auth;
mod client;
pub mod threat;

pub use auth::Log360Auth;
pub use client::{Log360Builder, Log360Client};
pub use generated::Prefill;

/// The client progenitor generates from `specs/log360-cloud.yaml` (do not edit: edit the spec).
#[allow(missing_docs, clippy::all, unused_imports)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/log360_cloud.rs"));
}

//! threatbind: spec-first, typed clients for Log360 Cloud, Nameshield CTI and Datadog IoC Explorer.
#![warn(missing_docs)]
pub mod answer;
#[cfg(feature = "log360-onprem-v1")]
pub mod async_jobs;
pub mod common;
pub mod error;
pub mod generic;
pub mod indicator;
mod json_path;
mod private_fs;
pub mod ratelimit;
pub mod raw;
pub mod retry;
pub mod secret;
pub mod spec;
mod tls;
pub mod tokens;
pub mod transport;

pub use common::Settings;
pub use error::{Error, Result};
pub use ratelimit::{QuotaStore, RateLimiter};
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use tls::install_crypto_provider;
pub use transport::call;

// One module per spec whose feature is on: the hand-written folder `src/<module>/` where an
// API needs more than its spec says (OAuth refresh, account headers), else a module holding
// just the generated client (see build.rs).
include!(concat!(env!("OUT_DIR"), "/modules.rs"));

/// The README's Rust examples, compiled as doctests.
#[cfg(all(doctest, feature = "log360-cloud"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

//! threatbind: spec-first, typed clients for Log360 Cloud, Nameshield CTI and Datadog IoC Explorer.
#![warn(missing_docs)]
pub mod common;
pub mod error;
pub mod indicator;
pub mod ratelimit;
pub mod raw;
pub mod retry;
pub mod secret;
pub mod spec;
pub mod transport;

pub use common::Settings;
pub use error::{Error, Result};
pub use ratelimit::{QuotaStore, RateLimiter};
pub use retry::RetryPolicy;
pub use secret::Secret;

#[cfg(feature = "log360-cloud")]
pub mod log360_cloud;

#[cfg(feature = "datadog-ioc")]
pub mod datadog_ioc;

#[cfg(feature = "nameshield-cti")]
pub mod nameshield_cti;

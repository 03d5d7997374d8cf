//! threatbind
pub mod spec;
#[cfg(feature = "log360-cloud")]
pub mod log360_cloud;

//! Log360 Cloud v2 (`specs/log360-cloud.yaml`).

/// The client progenitor generates from `specs/log360-cloud.yaml` (do not edit: edit the spec).
#[allow(missing_docs, clippy::all, unused_imports)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/log360_cloud.rs"));
}

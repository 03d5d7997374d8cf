//! Nameshield CTI (`specs/nameshield-cti.yaml`): threat events of your domain monitoring.

/// The client progenitor generates from `specs/nameshield-cti.yaml` (do not edit: edit the spec).
#[allow(missing_docs, clippy::all, unused_imports)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/nameshield_cti.rs"));
}

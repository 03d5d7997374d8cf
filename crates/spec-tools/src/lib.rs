//! The spec tools of threatbind: `lint` checks a spec against OpenAPI 3.0 and the project's own
//! rules (its `x-` extensions, examples against their schemas, what is assumed), `diff` says
//! what changed between two versions of a spec and whether a client would break, `check` holds
//! recorded requests, answers and HAR captures against the specs. The CLI's `threatbind spec
//! lint`, `diff` and `check` are these functions; a maintainer's CI, or a user's `cargo test`,
//! can call them too.
//!
//! ```
//! use threatbind::spec::Api;
//! let spec = Api::DatadogIoc;
//! let findings = threatbind_spec_tools::lint::lint(&format!("specs/{}", spec.file_name()), spec.source());
//! assert!(findings.is_empty(), "{findings:?}");
//! ```
#![warn(missing_docs)]

pub mod check;
pub mod diff;
pub mod fixtures;
pub mod lint;
pub mod report;

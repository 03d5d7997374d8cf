//! The breaking-change diff of two OpenAPI 3.0 specs, as seen by a user of a client generated
//! from them (`threatbind spec diff OLD NEW`).
//!
//! [`diff`] walks both documents side by side: servers, security, then every operation (matched
//! by method and path, path-parameter names ignored) with its parameters (matched by name and
//! location; path parameters by position), request body, responses (by status) and response
//! headers, following `$ref`s into `components` (schemas, parameters, request bodies, responses,
//! headers) with a guard against cycles. Each difference becomes a [`Change`].
//!
//! # What is breaking
//!
//! - **Request side** (parameters, request bodies): anything that makes the new API reject a
//!   request the old one accepted: a removed operation, parameter, body field or media type; a
//!   new required parameter or field; an optional one made required; a narrowed range, length,
//!   item count, pattern or enum; `nullable` dropped; `additionalProperties: false` added.
//! - **Response side** (bodies, headers): anything a client decoding the old shape would break
//!   on: a removed status code, media type, field or header; a type or format change; a widened
//!   range, length or pattern; a new enum value, unless the enum's schema is listed in the old
//!   spec's root `x-open-enums` (the generated type keeps unknown values); a value that may
//!   now be `null`; a field whose generated type gains or loses its `Option`: required →
//!   optional, or optional → required while not nullable, or nullable → not while required
//!   (the handwritten layer and callers' code read those types).
//! - **Both sides**: a type or format change, a removed enum value, an introduced or dropped
//!   enum, a renamed path parameter or `operationId` (the generated method and setters change).
//! - **Elsewhere**: a removed server (a Log360 region, a Nameshield environment), server
//!   variable, or server-variable enum value (a Datadog site); a changed server-variable
//!   default; a removed or changed security scheme, a removed security alternative, new scopes,
//!   security where there was none; an enum dropped from `x-open-enums`.
//!
//! Not breaking (reported with `breaking: false`): new operations, optional parameters and
//! fields, servers, sites, statuses and headers; widened request ranges and lengths; new request
//! enum values; changed defaults; deprecations. Descriptions, summaries and `x-notes` that were
//! added, removed or changed are listed as information (`<place>-description-changed`,
//! `<place>-summary-changed`, `<place>-notes-changed`); examples and extensions other than
//! `x-open-enums` are not compared.
//!
//! When the specs are too large or too deeply nested to walk in full, one `diff-incomplete`
//! change (breaking, to be safe) says so.
//!
//! ```
//! use threatbind_spec_tools::diff::{diff, load};
//! let old = load("old.yaml", "openapi: 3.0.3\npaths:\n  /a:\n    get: {operationId: getA}\n").unwrap();
//! let new = load("new.yaml", "openapi: 3.0.3\npaths: {}\n").unwrap();
//! let changes = diff(&old, &new);
//! assert_eq!(changes[0].kind, "operation-removed");
//! assert!(changes[0].breaking);
//! ```

mod context;
mod load;
mod messages;
mod op;
mod open_enums;
mod parameters;
mod prose;
mod report;
mod schema;
mod security;
mod servers;
mod walk;

pub use load::load;
pub use report::{changes_into, severity, Version, INFO_KINDS};

use serde::Serialize;
use serde_json::Value;

/// One difference between two specs.
///
/// ```
/// use threatbind_spec_tools::diff::Change;
/// let change = Change {
///     kind: "parameter-removed".into(),
///     location: "GET /cti/v2/events (listThreatEvents): query parameter size".into(),
///     pointer: "/paths/~1cti~1v2~1events/get/parameters/0".into(),
///     breaking: true,
///     detail: "removed".into(),
/// };
/// let json = serde_json::to_value(&change).unwrap();
/// assert_eq!(json["kind"], "parameter-removed");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// A stable id of the rule, e.g. `parameter-removed`, `request-maximum-lowered`.
    pub kind: String,
    /// Where, for a human: the operation (or `servers`, `security`, `components`), then after
    /// `": "` the item, e.g. `GET /cti/v2/events (listThreatEvents): query parameter size`.
    pub location: String,
    /// The JSON pointer of the item: in the new spec, or in the old one for what was removed.
    /// Where a `$ref` was followed, this is the pointer of its target.
    pub pointer: String,
    /// Whether a user of the generated client is affected (see the module's documentation).
    pub breaking: bool,
    /// What changed, e.g. `maximum 500 → 100`.
    pub detail: String,
}

/// Every difference from `old` to `new`, in a deterministic order: servers, security, then
/// each path (sorted) and method, then `x-open-enums`.
///
/// ```
/// use threatbind_spec_tools::diff::diff;
/// use serde_json::json;
/// let old = json!({"openapi": "3.0.3", "paths": {}, "servers": [{"url": "https://a"}]});
/// let new = json!({"openapi": "3.0.3", "paths": {}, "servers": [{"url": "https://a"}, {"url": "https://b"}]});
/// let changes = diff(&old, &new);
/// assert_eq!(changes.len(), 1);
/// assert_eq!((changes[0].kind.as_str(), changes[0].breaking), ("server-added", false));
/// assert!(diff(&old, &old).is_empty());
/// ```
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut cx = context::Diff::new(old, new);
    servers::root(&mut cx);
    security::root(&mut cx);
    walk::paths(&mut cx);
    open_enums::compare(&mut cx);
    prose::compare(&mut cx);
    cx.finish()
}

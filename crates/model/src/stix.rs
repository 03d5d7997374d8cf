//! `x-stix` on an operation: how its answer maps to STIX 2.1 (`threatbind … --output stix`,
//! enrich's STIX output). The answer's items are indicators; the extension says where the
//! items are, which field holds the indicator's value and its type, the vendor's own id, the
//! score that becomes `confidence`, the counts that become sightings, the first and last seen
//! times and the reference back to the vendor. specs/README.md documents it with one table.
//! An operation opts in with a spec edit; no hand-written code names a vendor.
//!
//! ```
//! let text = "openapi: 3.0.3
//! paths:
//!   /lookup:
//!     get:
//!       operationId: lookUp
//!       x-stix:
//!         source: Things Inc.
//!         items: data
//!         value: indicator
//!         id: id
//!         confidence: {path: score, max: 10}
//!         sightings: [{count: hits, description: Logs that matched.}]
//!         reference: {url: 'https://things.example/i/{id}'}
//! ";
//! let model = threatbind_model::read("specs/things.yaml", text).unwrap();
//! let stix = model.operations["lookUp"].stix.as_ref().unwrap();
//! assert_eq!(stix.value.as_deref(), Some("indicator"));
//! assert_eq!(stix.confidence.as_ref().unwrap().max, 10.0);
//!
//! // A misspelt key is refused, with the file, the line and the pointer.
//! let typo = text.replace("value: indicator", "valeu: indicator");
//! let problems = threatbind_model::read("specs/things.yaml", &typo).unwrap_err();
//! assert!(
//!     problems.to_string().starts_with("specs/things.yaml:6: /paths/~1lookup/get/x-stix: unknown field `valeu`"),
//!     "{problems}"
//! );
//! ```

use super::{pointer_child, Reader};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// `x-stix` on an operation: the answer's items as STIX 2.1 indicators.
///
/// Item paths (`value`, `id`, `first-seen`, ...) are dot-separated fields of one item; `items`
/// is the answer path of the item or of a list of items (`""`: the answer itself).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Stix {
    /// Who said it: the name of the bundle's `identity`, the `source_name` of the external
    /// reference, and part of every deterministic id.
    pub source: String,
    /// The answer path of the item, or of the list of items (`""`: the answer is the item).
    pub items: String,
    /// The item path of the indicator's value.
    pub value: Option<String>,
    /// The request path of the value (`body.indicator`), for answers that do not repeat it;
    /// read when the item has no `value`.
    pub request_value: Option<String>,
    /// The indicator's type when the operation states one; else `type-from`, else detected
    /// from the value.
    #[serde(rename = "type")]
    pub kind: Option<IndicatorKind>,
    /// The item field that names the type, and the vendor's names of types.
    pub type_from: Option<TypeFrom>,
    /// The item path of the vendor's own id of the item (the key of the deterministic ids;
    /// without it, the indicator's type and value are).
    pub id: Option<String>,
    /// The vendor's score that becomes STIX `confidence`.
    pub confidence: Option<Confidence>,
    /// The item path of the time the vendor first saw the indicator (RFC 3339).
    pub first_seen: Option<String>,
    /// The item path of the time the vendor last saw it (RFC 3339).
    pub last_seen: Option<String>,
    /// Item paths of strings (or lists of strings) that become the indicator's `labels`.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Counts of the answer that become `sighting` objects of the indicator.
    #[serde(default)]
    pub sightings: Vec<Sighting>,
    /// The external reference back to the vendor, besides `source` and the vendor's id.
    pub reference: Option<Reference>,
}

/// The type of an indicator, as STIX patterns write it.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum IndicatorKind {
    /// An IP address, version 4 or 6 as the value says.
    Ip,
    /// `ipv4-addr:value`.
    Ipv4Addr,
    /// `ipv6-addr:value`.
    Ipv6Addr,
    /// `domain-name:value`.
    DomainName,
    /// `url:value`.
    Url,
    /// `email-addr:value`.
    EmailAddr,
    /// `network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'`.
    UserAgent,
    /// `file:hashes.'MD5'`.
    FileMd5,
    /// `file:hashes.'SHA-1'`.
    FileSha1,
    /// `file:hashes.'SHA-256'`.
    FileSha256,
    /// Detected from the value: an IP address, a hash (by its length), a URL, an e-mail
    /// address or a domain.
    Detect,
}

/// `type-from`: the item field naming the type, and what the vendor's names mean; a name not
/// listed is detected from the value.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TypeFrom {
    /// The item path of the vendor's type.
    pub path: String,
    /// The vendor's type names to indicator types.
    pub values: BTreeMap<String, IndicatorKind>,
}

/// The vendor's score as STIX `confidence` (0 to 100): `round(score × 100 / max)`, bounded.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Confidence {
    /// The item path of the score (a number).
    pub path: String,
    /// The score that means full confidence (the top of the vendor's scale).
    pub max: f64,
}

/// A count of the answer that becomes a `sighting` of the indicator (none when it is 0 or
/// absent), between the item's first and last seen times.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Sighting {
    /// The item path of the count (an integer).
    pub count: String,
    /// What was counted: the sighting's `description`.
    pub description: String,
}

/// The external reference back to the vendor.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// A URL template: `{value}` is the indicator's value, `{id}` the vendor's id, each
    /// percent-encoded.
    pub url: Option<String>,
    /// A sentence on what the vendor's answer is.
    pub description: Option<String>,
}

/// The placeholders a reference URL template may hold.
const PLACEHOLDERS: [&str; 2] = ["{value}", "{id}"];

/// Whether `path` is a request path: `header.`, `query.`, `path.` or `body` and its fields.
fn is_request_path(path: &str) -> bool {
    path == "body"
        || ["header.", "query.", "path.", "body."]
            .iter()
            .any(|p| path.strip_prefix(p).is_some_and(|rest| !rest.is_empty()))
}

/// Whether `path` is an item path: dot-separated non-empty field names.
fn is_item_path(path: &str) -> bool {
    !path.is_empty() && path.split('.').all(|part| !part.is_empty())
}

impl Reader {
    /// `x-stix` of the operation `op` (at the pointer `at`).
    pub(crate) fn stix(&mut self, op: &Value, at: &str) -> Option<Stix> {
        let here = pointer_child(at, "x-stix");
        let stix: Stix = self.typed(op.get("x-stix")?, &here)?;
        let mut problems = Vec::new();
        if stix.source.trim().is_empty() {
            problems.push("source must name the vendor".to_owned());
        }
        if !stix.items.is_empty() && !is_item_path(&stix.items) {
            problems.push(format!(
                "items: {:?} is not an answer path (fields separated by dots, or \"\" for the answer)",
                stix.items
            ));
        }
        if stix.value.is_none() && stix.request_value.is_none() {
            problems.push("value or request-value must say where the indicator is".to_owned());
        }
        if let Some(path) = stix
            .request_value
            .as_deref()
            .filter(|p| !is_request_path(p))
        {
            problems.push(format!(
                "request-value: {path:?} is not a request path (header.<name>, query.<name>, path.<name>, body or body.<field>)"
            ));
        }
        if stix.kind.is_some() && stix.type_from.is_some() {
            problems.push("type and type-from exclude each other".to_owned());
        }
        let mut item_paths: Vec<(&str, &str)> = Vec::new();
        item_paths.extend(stix.value.as_deref().map(|p| ("value", p)));
        item_paths.extend(
            stix.type_from
                .as_ref()
                .map(|t| ("type-from.path", t.path.as_str())),
        );
        item_paths.extend(stix.id.as_deref().map(|p| ("id", p)));
        item_paths.extend(
            stix.confidence
                .as_ref()
                .map(|c| ("confidence.path", c.path.as_str())),
        );
        item_paths.extend(stix.first_seen.as_deref().map(|p| ("first-seen", p)));
        item_paths.extend(stix.last_seen.as_deref().map(|p| ("last-seen", p)));
        item_paths.extend(stix.labels.iter().map(|p| ("labels", p.as_str())));
        item_paths.extend(
            stix.sightings
                .iter()
                .map(|s| ("sightings.count", s.count.as_str())),
        );
        for (key, path) in item_paths {
            if !is_item_path(path) {
                problems.push(format!(
                    "{key}: {path:?} is not an item path (fields separated by dots)"
                ));
            }
        }
        if let Some(c) = &stix.confidence {
            if !(c.max.is_finite() && c.max > 0.0) {
                problems.push(format!(
                    "confidence.max: {} must be a number above 0 (the top of the vendor's scale)",
                    c.max
                ));
            }
        }
        if stix
            .sightings
            .iter()
            .any(|s| s.description.trim().is_empty())
        {
            problems.push("sightings: each description says what was counted".to_owned());
        }
        match &stix.reference {
            Some(Reference { url: Some(url), .. }) => {
                let stripped = PLACEHOLDERS
                    .iter()
                    .fold(url.clone(), |text, p| text.replace(p, ""));
                if stripped.contains('{') || stripped.contains('}') {
                    problems.push(format!(
                        "reference.url: {url:?} holds a placeholder other than {{value}} and {{id}}"
                    ));
                }
                if url.contains("{id}") && stix.id.is_none() {
                    problems.push("reference.url: {id} needs the operation's id".to_owned());
                }
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    problems.push(format!("reference.url: {url:?} is not an http(s) URL"));
                }
            }
            Some(Reference {
                url: None,
                description: None,
            })
            | None
                if stix.id.is_none() =>
            {
                problems.push(
                    "reference needs url or description when the operation has no id (a STIX external reference says one of them)"
                        .to_owned(),
                );
            }
            _ => {}
        }
        for message in problems {
            self.problems.push((here.clone(), message));
        }
        Some(stix)
    }
}

#[cfg(test)]
mod tests {
    const SPEC: &str = "openapi: 3.0.3
paths:
  /lookup:
    get:
      operationId: lookUp
      x-stix:
        source: Things Inc.
        items: data.attributes
        value: indicator
        type-from: {path: kind, values: {ip_address: ip, domain: domain-name}}
        id: id
        confidence: {path: score, max: 100}
        first-seen: first_seen
        last-seen: last_seen
        labels: [categories]
        sightings: [{count: log_matches, description: Logs that matched.}]
        reference: {url: 'https://things.example/i?q={value}'}
";

    fn problems(text: &str) -> String {
        crate::read("t.yaml", text).unwrap_err().to_string()
    }

    #[test]
    fn every_key_is_typed() {
        let model = crate::read("t.yaml", SPEC).unwrap();
        let stix = model.operations["lookUp"].stix.clone().unwrap();
        assert_eq!(stix.source, "Things Inc.");
        assert_eq!(stix.items, "data.attributes");
        let from = stix.type_from.unwrap();
        assert_eq!(from.path, "kind");
        assert_eq!(from.values["ip_address"], super::IndicatorKind::Ip);
        assert_eq!(from.values["domain"], super::IndicatorKind::DomainName);
        assert_eq!(stix.sightings[0].count, "log_matches");
        assert_eq!(stix.labels, vec!["categories".to_owned()]);
        assert_eq!(
            stix.reference.unwrap().url.as_deref(),
            Some("https://things.example/i?q={value}")
        );
    }

    #[test]
    fn shapes_beyond_serde_are_refused_with_the_rule() {
        let text = SPEC
            .replace("        value: indicator\n", "")
            .replace("type-from:", "type: url\n        type-from:")
            .replace("max: 100", "max: 0")
            .replace("{value}", "{indicator}")
            .replace("items: data.attributes", "items: data..attributes");
        let p = problems(&text);
        for expected in [
            "/paths/~1lookup/get/x-stix: value or request-value must say where the indicator is",
            "/paths/~1lookup/get/x-stix: type and type-from exclude each other",
            "/paths/~1lookup/get/x-stix: confidence.max: 0 must be a number above 0",
            "reference.url: \"https://things.example/i?q={indicator}\" holds a placeholder other than {value} and {id}",
            "items: \"data..attributes\" is not an answer path",
        ] {
            assert!(p.contains(expected), "{expected}\nnot in\n{p}");
        }
    }

    #[test]
    fn an_unknown_type_and_a_misplaced_request_value_are_refused() {
        let p = problems(&SPEC.replace("domain: domain-name", "domain: hostname"));
        assert!(p.contains("unknown variant `hostname`"), "{p}");
        let p = problems(&SPEC.replace("value: indicator", "request-value: indicator"));
        assert!(
            p.contains("request-value: \"indicator\" is not a request path"),
            "{p}"
        );
    }

    #[test]
    fn a_reference_says_something_without_an_id() {
        let p = problems(&SPEC.replace("        id: id\n", "").replace(
            "reference: {url: 'https://things.example/i?q={value}'}",
            "reference: {}",
        ));
        assert!(
            p.contains("reference needs url or description when the operation has no id"),
            "{p}"
        );
    }

    #[test]
    fn x_stix_is_read_on_operations_only() {
        let text = "openapi: 3.0.3\nx-stix: {source: A, items: data, value: v}\npaths: {}\n";
        assert!(
            problems(text).contains("/x-stix: x-stix is read on operations only"),
            "{}",
            problems(text)
        );
    }
}

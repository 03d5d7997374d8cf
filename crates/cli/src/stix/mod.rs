//! STIX 2.1 out: the answers of operations that carry `x-stix` as one bundle of `identity`,
//! `indicator` and `sighting` objects (`--output stix`, enrich's STIX output). Nothing here
//! names a vendor: each operation's `x-stix` (the model's [`Stix`]) says where the indicators
//! are in its answer and which fields say what; specs/README.md has the table.
//!
//! Ids are deterministic, UUIDv5 in [`NAMESPACE`] of `"<stix type>\n<source>\n<key>"`, the key
//! being the vendor's own id of the item, else the indicator's type and value
//! (`ipv4-addr:8.8.8.8`); a sighting's key adds the path of its count. A rerun therefore
//! updates the objects an OpenCTI or MISP import made instead of duplicating them. `created`
//! is the vendor's first-seen time and `modified` its last-seen time where the answer has them
//! (else the time of the run, [`Bundler::new`]'s `now`); the vendor's `identity` has a fixed
//! time ([`IDENTITY_TIME`]) so that a rerun leaves it as it is.

pub mod pattern;

use pattern::{pattern, Kind};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use threatbind::answer::lookup;
use threatbind::spec::model::{Stix, TypeFrom};
use threatbind::spec::Operation;
use uuid::Uuid;

/// The namespace of every id threatbind gives a STIX object (UUIDv5).
pub const NAMESPACE: Uuid = Uuid::from_u128(0x965896da_bbb1_43d5_a44a_43b2a2ba102a);

/// `created` and `modified` of the vendors' `identity` objects.
pub const IDENTITY_TIME: &str = "2024-01-01T00:00:00.000Z";

/// The most items read from one answer (the rest is named in a warning).
const MAX_ITEMS: usize = 100_000;

/// STIX's bound on a sighting's `count`.
const MAX_COUNT: u64 = 999_999_999;

/// The STIX id of an object of `stix_type` from `name`: `<type>--<UUIDv5 of name>`
/// (`id("identity", "identity\nDatadog")` is `identity--15911d09-7054-5664-bdc4-35ab6ed57e14`).
pub fn id(stix_type: &str, name: &str) -> String {
    format!("{stix_type}--{}", Uuid::new_v5(&NAMESPACE, name.as_bytes()))
}

/// A time as STIX writes it: UTC, milliseconds, `Z`.
fn stamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The most warnings of a bundle [`warn`] prints (the rest are counted in one line).
pub const WARNINGS_SHOWN: usize = 20;

/// The lines [`warn`] prints for `warnings`: at most `cap`, each after `prefix`, then
/// `<prefix>and N more` when some were left out: warnings `a`, `b`, `c` with a cap of 2 are
/// `<prefix>a`, `<prefix>b`, `<prefix>and 1 more`.
pub fn warning_lines(prefix: &str, warnings: &[String], cap: usize) -> Vec<String> {
    let mut lines: Vec<String> = warnings
        .iter()
        .take(cap)
        .map(|w| format!("{prefix}{w}"))
        .collect();
    if warnings.len() > cap {
        lines.push(format!("{prefix}and {} more", warnings.len() - cap));
    }
    lines
}

/// Prints the warnings of a bundle on stderr, at most `cap` of them ([`warning_lines`]): a
/// converter may warn about every item of an answer (up to 100,000).
pub fn warn(prefix: &str, warnings: &[String], cap: usize) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    for line in warning_lines(prefix, warnings, cap) {
        // A stderr that cannot be written is not worth a panic.
        let _ = writeln!(err, "{line}");
    }
}

/// One answer to convert: the operation, its request document (`{"body": .., "query": ..}`,
/// read by `x-stix`'s `request-value`) and the answer's body.
#[derive(Clone, Copy, Debug)]
pub struct Answer<'a> {
    /// The operation that answered (its `x-stix` maps the answer).
    pub operation: &'a Operation,
    /// The request document, when known.
    pub request: Option<&'a Value>,
    /// The answer's body.
    pub body: &'a Value,
}

/// Bundles answers: add each, then [`Bundler::finish`].
#[derive(Debug)]
pub struct Bundler {
    now: String,
    objects: Vec<Value>,
    /// The index in `objects` of each id.
    index: HashMap<String, usize>,
    warnings: Vec<String>,
}

/// A bundle and what could not be put in it.
#[derive(Debug)]
pub struct Bundle {
    /// The STIX 2.1 bundle.
    pub bundle: Value,
    /// One line per item left out or field not read (the CLI prints them on stderr).
    pub warnings: Vec<String>,
}

/// What one item says, read through `x-stix`.
struct Item<'a> {
    value: String,
    kind: Kind,
    key: String,
    own_id: Option<String>,
    first_seen: Option<String>,
    last_seen: Option<String>,
    item: &'a Value,
}

/// A string, or a number written as text, at `path` of `value`.
fn text_at(value: &Value, path: &str) -> Option<String> {
    match lookup(value, path)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The RFC 3339 time at `path`, as STIX writes it.
fn time_at(value: &Value, path: Option<&str>) -> Option<String> {
    let text = lookup(value, path?)?.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| stamp(t.with_timezone(&Utc)))
}

/// `{value}` and `{id}` of a reference template, percent-encoded.
fn fill(template: &str, value: &str, own_id: Option<&str>) -> String {
    fn encode(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for b in text.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
    template
        .replace("{value}", &encode(value))
        .replace("{id}", &encode(own_id.unwrap_or("")))
}

impl Bundler {
    /// A bundler for a run at `now` (the time of objects whose answer gives none).
    pub fn new(now: DateTime<Utc>) -> Self {
        Bundler {
            now: stamp(now),
            objects: Vec::new(),
            index: HashMap::new(),
            warnings: Vec::new(),
        }
    }

    /// Adds the indicators of one answer. An operation without `x-stix` adds nothing and says
    /// so in a warning (the CLI refuses `--output stix` there before sending).
    pub fn add(&mut self, answer: Answer<'_>) {
        let op = answer.operation;
        let Some(stix) = &op.stix else {
            self.warnings.push(format!(
                "{}: the operation has no x-stix; its answer is not in the bundle",
                op.id
            ));
            return;
        };
        let identity = id("identity", &format!("identity\n{}", stix.source));
        self.push(json!({
            "type": "identity",
            "spec_version": "2.1",
            "id": identity,
            "created": IDENTITY_TIME,
            "modified": IDENTITY_TIME,
            "name": stix.source,
            "identity_class": "organization",
        }));
        let items: Vec<(usize, &Value)> = match lookup(answer.body, &stix.items) {
            Some(Value::Array(list)) => list.iter().enumerate().collect(),
            Some(item @ Value::Object(_)) => vec![(0, item)],
            _ => {
                self.warnings.push(format!(
                    "{}: no item at {:?} of the answer",
                    op.id, stix.items
                ));
                Vec::new()
            }
        };
        if items.len() > MAX_ITEMS {
            self.warnings.push(format!(
                "{}: {} items; the first {MAX_ITEMS} are in the bundle",
                op.id,
                items.len()
            ));
        }
        for (i, item) in items.into_iter().take(MAX_ITEMS) {
            match self.item(op, stix, answer.request, item) {
                Ok(item) => self.indicator(stix, &identity, &item),
                Err(why) => self
                    .warnings
                    .push(format!("{}: item {i} at {:?}: {why}", op.id, stix.items)),
            }
        }
    }

    /// Reads one item through `x-stix`.
    fn item<'a>(
        &self,
        op: &Operation,
        stix: &Stix,
        request: Option<&Value>,
        item: &'a Value,
    ) -> Result<Item<'a>, String> {
        let value = stix
            .value
            .as_deref()
            .and_then(|p| text_at(item, p))
            .or_else(|| {
                let path = stix.request_value.as_deref()?;
                text_at(request?, path)
            })
            .ok_or_else(|| {
                let mut places: Vec<String> = stix.value.iter().cloned().collect();
                places.extend(stix.request_value.iter().map(|p| format!("request {p}")));
                format!("no indicator value at {}", places.join(" or "))
            })?;
        let kind = match (&stix.kind, &stix.type_from) {
            (Some(kind), _) => *kind,
            (None, Some(TypeFrom { path, values })) => text_at(item, path)
                .and_then(|name| values.get(&name).copied())
                .unwrap_or(threatbind::spec::model::IndicatorKind::Detect),
            (None, None) => threatbind::spec::model::IndicatorKind::Detect,
        };
        let kind = pattern::resolve(kind, &value).ok_or_else(|| {
            format!(
                "{value:?} is not an indicator of a type STIX patterns here cover (IP address, domain, URL, e-mail address, user agent, MD5, SHA-1, SHA-256){}",
                match &op.stix {
                    Some(s) if s.kind.is_some() => " as the spec's type says",
                    _ => "",
                }
            )
        })?;
        let own_id = stix.id.as_deref().and_then(|p| text_at(item, p));
        let key = own_id
            .clone()
            .unwrap_or_else(|| format!("{}:{value}", kind.name()));
        let first_seen = time_at(item, stix.first_seen.as_deref());
        let last_seen = time_at(item, stix.last_seen.as_deref())
            .filter(|last| first_seen.as_ref().is_none_or(|first| last >= first));
        Ok(Item {
            value,
            kind,
            key,
            own_id,
            first_seen,
            last_seen,
            item,
        })
    }

    /// The indicator of one item, and its sightings.
    fn indicator(&mut self, stix: &Stix, identity: &str, item: &Item<'_>) {
        let created = item
            .first_seen
            .clone()
            .or_else(|| item.last_seen.clone())
            .unwrap_or_else(|| self.now.clone());
        let modified = item.last_seen.clone().unwrap_or_else(|| created.clone());
        let indicator_id = id(
            "indicator",
            &format!("indicator\n{}\n{}", stix.source, item.key),
        );
        let mut reference = Map::new();
        reference.insert("source_name".into(), json!(stix.source));
        if let Some(own) = &item.own_id {
            reference.insert("external_id".into(), json!(own));
        }
        if let Some(r) = &stix.reference {
            if let Some(url) = &r.url {
                reference.insert(
                    "url".into(),
                    json!(fill(url, &item.value, item.own_id.as_deref())),
                );
            }
            if let Some(d) = &r.description {
                reference.insert("description".into(), json!(d));
            }
        }
        let mut object = json!({
            "type": "indicator",
            "spec_version": "2.1",
            "id": indicator_id,
            "created_by_ref": identity,
            "created": created,
            "modified": modified,
            "name": item.value,
            "description": stix
                .reference
                .as_ref()
                .and_then(|r| r.description.as_deref())
                .unwrap_or(&stix.source),
            "pattern": pattern(item.kind, &item.value),
            "pattern_type": "stix",
            "pattern_version": "2.1",
            "valid_from": created,
            "external_references": [Value::Object(reference.clone())],
        });
        if let Some(c) = &stix.confidence {
            if let Some(score) = lookup(item.item, &c.path).and_then(Value::as_f64) {
                let confidence = (score * 100.0 / c.max).round().clamp(0.0, 100.0);
                // Bounded to 0..=100 just above: the conversion is exact.
                object["confidence"] = json!(confidence as u8);
            }
        }
        let mut labels: Vec<String> = Vec::new();
        for path in &stix.labels {
            let found: Vec<&Value> = match lookup(item.item, path) {
                Some(Value::Array(list)) => list.iter().collect(),
                Some(one) => vec![one],
                None => Vec::new(),
            };
            for label in found.into_iter().filter_map(Value::as_str).map(str::trim) {
                if !label.is_empty() && !labels.iter().any(|l| l == label) && labels.len() < 100 {
                    labels.push(label.to_owned());
                }
            }
        }
        if !labels.is_empty() {
            object["labels"] = json!(labels);
        }
        self.push(object);
        for sighting in &stix.sightings {
            let Some(count) = lookup(item.item, &sighting.count).and_then(Value::as_u64) else {
                continue;
            };
            if count == 0 {
                continue;
            }
            let mut object = json!({
                "type": "sighting",
                "spec_version": "2.1",
                "id": id(
                    "sighting",
                    &format!("sighting\n{}\n{}\n{}", stix.source, item.key, sighting.count),
                ),
                "created_by_ref": identity,
                "created": created,
                "modified": modified,
                "sighting_of_ref": indicator_id,
                "count": count.min(MAX_COUNT),
                "description": sighting.description,
                "external_references": [Value::Object(reference.clone())],
            });
            if let Some(first) = &item.first_seen {
                object["first_seen"] = json!(first);
            }
            if let Some(last) = &item.last_seen {
                object["last_seen"] = json!(last);
            }
            self.push(object);
        }
    }

    /// Adds `object`; one with the id of an earlier one replaces it when it is newer (its
    /// `modified`), so a bundle holds each id once.
    fn push(&mut self, object: Value) {
        let id = object
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        match self.index.get(&id).copied() {
            Some(i) => {
                let newer =
                    |o: &Value| o.get("modified").and_then(Value::as_str).map(str::to_owned);
                if let Some(kept) = self.objects.get_mut(i) {
                    if newer(&object) > newer(kept) {
                        *kept = object;
                    }
                }
            }
            None => {
                self.index.insert(id, self.objects.len());
                self.objects.push(object);
            }
        }
    }

    /// The bundle: identities first, then indicators and sightings in the answers' order; its
    /// id is UUIDv5 of its objects' ids.
    pub fn finish(self) -> Bundle {
        let mut objects = self.objects;
        objects.sort_by_key(|o| o.get("type").and_then(Value::as_str) != Some("identity"));
        let ids: Vec<&str> = objects
            .iter()
            .filter_map(|o| o.get("id").and_then(Value::as_str))
            .collect();
        let bundle_id = id("bundle", &format!("bundle\n{}", ids.join("\n")));
        Bundle {
            bundle: json!({"type": "bundle", "id": bundle_id, "objects": objects}),
            warnings: self.warnings,
        }
    }
}

/// One bundle of many answers, at `now` (`--output stix` calls this with the pages of a walk).
pub fn bundle<'a>(answers: impl IntoIterator<Item = Answer<'a>>, now: DateTime<Utc>) -> Bundle {
    let mut bundler = Bundler::new(now);
    for answer in answers {
        bundler.add(answer);
    }
    bundler.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_values_are_percent_encoded() {
        assert_eq!(
            fill("https://x.example/s/{value}?id={id}", "a b/'c", Some("7")),
            "https://x.example/s/a%20b%2F%27c?id=7"
        );
    }
}

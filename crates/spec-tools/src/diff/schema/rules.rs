//! The rules on a schema's own values: type and format, `nullable`, `enum`, numeric bounds,
//! lengths and counts, `multipleOf`, `pattern`, `uniqueItems`.

use super::{Field, Walk};
use crate::diff::context::{show, show_opt, Diff, Node};
use crate::diff::open_enums;
use serde_json::Value;

/// Numeric bounds: keyword, kind label, whether it is an upper bound.
const BOUNDS: [(&str, &str, bool); 10] = [
    ("maximum", "maximum", true),
    ("minimum", "minimum", false),
    ("exclusiveMaximum", "exclusive-maximum", true),
    ("exclusiveMinimum", "exclusive-minimum", false),
    ("maxLength", "max-length", true),
    ("minLength", "min-length", false),
    ("maxItems", "max-items", true),
    ("minItems", "min-items", false),
    ("maxProperties", "max-properties", true),
    ("minProperties", "min-properties", false),
];

impl Walk<'_> {
    /// `type` and `format`; false when the types differ (nothing more is compared).
    pub(super) fn types(&self, cx: &mut Diff, old: &Node, new: &Node) -> bool {
        let (old_type, new_type) = (type_of(old), type_of(new));
        if old_type != new_type {
            let detail = format!(
                "type {} → {}",
                old_type.unwrap_or("any"),
                new_type.unwrap_or("any")
            );
            self.push(cx, "type-changed", &new.ptr("type"), true, detail);
            return false;
        }
        let (old_format, new_format) = (old.str("format"), new.str("format"));
        if old_format != new_format {
            let detail = format!(
                "format {} → {}",
                old_format.unwrap_or("none"),
                new_format.unwrap_or("none")
            );
            self.push(cx, "format-changed", &new.ptr("format"), true, detail);
        }
        true
    }

    /// `nullable`: see the module documentation of `diff` for the `Option` rule.
    pub(super) fn nullable(&self, cx: &mut Diff, old: &Node, new: &Node, field: Option<Field>) {
        let (was, is) = (old.flag("nullable"), new.flag("nullable"));
        if was == is {
            return;
        }
        let pointer = new.ptr("nullable");
        if is {
            // Requests: null is accepted as well. Responses: null may come where a value did.
            self.push(
                cx,
                "became-nullable",
                &pointer,
                !self.request(),
                "nullable: no → yes".into(),
            );
            return;
        }
        // Requests: null is rejected now. Responses: the generated type loses its Option,
        // unless the field is optional anyway.
        let loses_option = field.is_none_or(|f| f.new_required);
        let breaking = self.request() || loses_option;
        let detail = if !self.request() && loses_option {
            "nullable: yes → no (the generated type loses its Option)"
        } else {
            "nullable: yes → no"
        };
        self.push(cx, "became-non-nullable", &pointer, breaking, detail.into());
    }

    /// `enum`: values removed and added (open enums of responses tolerate new ones).
    pub(super) fn enums(&self, cx: &mut Diff, old: &Node, new: &Node) {
        let old_values = old.value.get("enum").and_then(Value::as_array);
        let new_values = new.value.get("enum").and_then(Value::as_array);
        match (old_values, new_values) {
            (Some(o), Some(n)) => {
                for (index, value) in o.iter().enumerate().filter(|(_, v)| !n.contains(v)) {
                    let pointer = format!("{}/{index}", old.ptr("enum"));
                    let detail = format!("enum value {} removed", show(value));
                    self.push(cx, "enum-value-removed", &pointer, true, detail);
                }
                let open = old
                    .name
                    .as_deref()
                    .is_some_and(|name| open_enums::list(cx.old).contains(&name));
                for (index, value) in n.iter().enumerate().filter(|(_, v)| !o.contains(v)) {
                    let pointer = format!("{}/{index}", new.ptr("enum"));
                    let (breaking, note) = match (self.request(), open) {
                        (true, _) => (false, ""),
                        (false, true) => (false, " (open enum: kept as an unknown value)"),
                        (false, false) => (true, " (closed enum: old clients fail to decode it)"),
                    };
                    let detail = format!("enum value {} added{note}", show(value));
                    self.push(cx, "enum-value-added", &pointer, breaking, detail);
                }
            }
            (None, Some(n)) => {
                let detail = format!("any value → one of {}", list(n));
                self.push(cx, "enum-added", &new.ptr("enum"), true, detail);
            }
            (Some(o), None) => {
                let detail = format!(
                    "one of {} → any value (the generated enum type goes)",
                    list(o)
                );
                self.push(cx, "enum-removed", &old.ptr("enum"), true, detail);
            }
            (None, None) => {}
        }
    }

    /// Ranges, lengths, counts: narrowing breaks requests, widening breaks responses.
    pub(super) fn bounds(&self, cx: &mut Diff, old: &Node, new: &Node) {
        for (key, label, upper) in BOUNDS {
            let (o, n) = (old.value.get(key), new.value.get(key));
            if o == n {
                continue;
            }
            let flag = |v: Option<&Value>| v.is_none_or(Value::is_boolean);
            let (verb, narrowed) = if flag(o) && flag(n) {
                // OpenAPI 3.0's exclusiveMaximum / exclusiveMinimum: booleans.
                let is_on = |v: Option<&Value>| v.and_then(Value::as_bool) == Some(true);
                match (is_on(o), is_on(n)) {
                    (false, true) => ("added", true),
                    (true, false) => ("removed", false),
                    _ => continue,
                }
            } else {
                match (o.and_then(Value::as_f64), n.and_then(Value::as_f64)) {
                    (None, Some(_)) => ("added", true),
                    (Some(_), None) => ("removed", false),
                    (Some(a), Some(b)) if b < a => ("lowered", upper),
                    (Some(a), Some(b)) if b > a => ("raised", !upper),
                    _ => continue,
                }
            };
            let breaking = narrowed == self.request();
            let pointer = if n.is_some() {
                new.ptr(key)
            } else {
                old.ptr(key)
            };
            let detail = format!("{key} {} → {}", show_opt(o), show_opt(n));
            self.push(cx, &format!("{label}-{verb}"), &pointer, breaking, detail);
        }
        let (o, n) = (
            old.value.get("multipleOf").and_then(Value::as_f64),
            new.value.get("multipleOf").and_then(Value::as_f64),
        );
        if o != n {
            // A request breaks when a value once accepted is not a multiple any more; a
            // response when a value now sent was not a multiple before.
            let divides = |small: Option<f64>, large: Option<f64>| match (small, large) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(s), Some(l)) => s != 0.0 && ((l / s).round() - l / s).abs() < 1e-9,
            };
            let breaking = if self.request() {
                !divides(n, o)
            } else {
                !divides(o, n)
            };
            let detail = format!(
                "multipleOf {} → {}",
                show_opt(old.value.get("multipleOf")),
                show_opt(new.value.get("multipleOf"))
            );
            self.push(
                cx,
                "multiple-of-changed",
                &new.ptr("multipleOf"),
                breaking,
                detail,
            );
        }
    }

    /// `pattern` and `uniqueItems`.
    pub(super) fn text_rules(&self, cx: &mut Diff, old: &Node, new: &Node) {
        let request = self.request();
        match (old.str("pattern"), new.str("pattern")) {
            (None, Some(p)) => self.push(
                cx,
                "pattern-added",
                &new.ptr("pattern"),
                request,
                format!("pattern none → {p}"),
            ),
            (Some(p), None) => self.push(
                cx,
                "pattern-removed",
                &old.ptr("pattern"),
                !request,
                format!("pattern {p} → none"),
            ),
            (Some(a), Some(b)) if a != b => self.push(
                cx,
                "pattern-changed",
                &new.ptr("pattern"),
                true,
                format!("pattern {a} → {b}"),
            ),
            _ => {}
        }
        match (old.flag("uniqueItems"), new.flag("uniqueItems")) {
            (false, true) => self.push(
                cx,
                "unique-items-added",
                &new.ptr("uniqueItems"),
                request,
                "uniqueItems: no → yes".into(),
            ),
            (true, false) => self.push(
                cx,
                "unique-items-removed",
                &new.ptr("uniqueItems"),
                !request,
                "uniqueItems: yes → no".into(),
            ),
            _ => {}
        }
    }
}

/// The declared type, or the one its keywords imply (`properties`: object, `items`: array).
fn type_of<'a>(node: &Node<'a>) -> Option<&'a str> {
    if let Some(t) = node.str("type") {
        return Some(t);
    }
    let has = |key: &str| node.value.get(key).is_some();
    if has("properties") || has("additionalProperties") {
        Some("object")
    } else if has("items") {
        Some("array")
    } else {
        None
    }
}

/// Enum values for a human: `LOW, HIGH`.
fn list(values: &[Value]) -> String {
    values.iter().map(show).collect::<Vec<_>>().join(", ")
}

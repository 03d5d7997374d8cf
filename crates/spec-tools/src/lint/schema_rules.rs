//! What OpenAPI 3.0.3 (and the JSON Schema draft it builds on) asks of one Schema object beyond
//! what the standard's schema checks (types of fields, `required` names that do not repeat, a
//! positive `multipleOf`): `items` for arrays, `required` names that exist, bounds in order,
//! patterns that compile with the ECMA-262 engine the library runs.

use super::{child, Report};
use serde_json::{Map, Value};

/// Checks the Schema object `map` at `pointer`.
pub(crate) fn check(map: &Map<String, Value>, pointer: &str, report: &mut Report) {
    if map.get("type").and_then(Value::as_str) == Some("array") && !map.contains_key("items") {
        report.add(
            pointer,
            "missing-field",
            "a schema of type array needs \"items\"",
        );
    }
    required(map, pointer, report);
    if let Some(pattern) = map.get("pattern").and_then(Value::as_str) {
        if let Err(e) = regress::Regex::new(pattern) {
            report.add(
                &child(pointer, "pattern"),
                "invalid-pattern",
                format!("{pattern:?} is not an ECMA-262 regular expression: {e}"),
            );
        }
    }
    for (low, high) in [
        ("minimum", "maximum"),
        ("minLength", "maxLength"),
        ("minItems", "maxItems"),
        ("minProperties", "maxProperties"),
    ] {
        let (Some(l), Some(h)) = (
            map.get(low).and_then(Value::as_f64),
            map.get(high).and_then(Value::as_f64),
        ) else {
            continue;
        };
        if l > h {
            report.add(
                &child(pointer, low),
                "bad-value",
                format!("{low} {l} is greater than {high} {h}"),
            );
        }
    }
    let flag = |k: &str| map.get(k).and_then(Value::as_bool) == Some(true);
    if flag("readOnly") && flag("writeOnly") {
        report.add(
            &child(pointer, "writeOnly"),
            "bad-value",
            "a schema cannot be both readOnly and writeOnly",
        );
    }
}

/// `required`: each name one of `properties` (unless the schema combines others, whose
/// properties count too).
fn required(map: &Map<String, Value>, pointer: &str, report: &mut Report) {
    let Some(names) = map.get("required").and_then(Value::as_array) else {
        return;
    };
    let here = child(pointer, "required");
    if ["allOf", "anyOf", "oneOf"]
        .iter()
        .any(|k| map.contains_key(*k))
    {
        return;
    }
    let properties = map.get("properties").and_then(Value::as_object);
    for (i, name) in names.iter().enumerate() {
        let Some(name) = name.as_str() else {
            continue;
        };
        if !properties.is_some_and(|p| p.contains_key(name)) {
            report.add(
                &child(&here, &i.to_string()),
                "required-not-defined",
                format!("{name:?} is required but not in the schema's properties"),
            );
        }
    }
}

//! One-step mutations of a valid request document, each breaking one schema keyword at one
//! place: the sites are read off the schema and the document together.

use super::schema_gen::{effective, types_of};
use serde_json::{json, Map, Value};

/// A key no schema of the specs declares.
pub const UNKNOWN: &str = "zz_not_in_the_spec";

/// One way to break a document.
#[derive(Clone, Debug)]
pub struct Mutation {
    /// What is broken, for failure messages (`maxLength + 1`, `required removed`, ...).
    pub what: String,
    /// The keyword that must then fail.
    pub keyword: &'static str,
    /// Dotted path a violation must name (as `Violation::path` writes it).
    pub path: String,
    /// The mutated document.
    pub document: Value,
}

/// Every mutation the schema offers for `document` (valid against `schema`, whose `$ref`s point
/// into `root`).
pub fn mutations(root: &Value, schema: &Value, document: &Value) -> Vec<Mutation> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    walk(root, schema, document, &mut path, document, &mut out);
    unknown_query_parameter(root, schema, document, &mut out);
    out
}

/// The document with `f` applied to the value at `path`.
fn edit(document: &Value, path: &[String], f: impl FnOnce(&mut Value)) -> Value {
    let mut copy = document.clone();
    let mut target = &mut copy;
    for segment in path {
        target = match target {
            Value::Object(map) => map.get_mut(segment).expect("path into the document"),
            Value::Array(list) => {
                let i: usize = segment.parse().expect("array index");
                &mut list[i]
            }
            _ => panic!("path {path:?} goes through a scalar"),
        };
    }
    f(target);
    copy
}

fn dotted(path: &[String]) -> String {
    path.join(".")
}

fn walk(
    root: &Value,
    schema: &Value,
    value: &Value,
    path: &mut Vec<String>,
    document: &Value,
    out: &mut Vec<Mutation>,
) {
    let schema = effective(root, schema);
    // Inside a oneOf/anyOf, a broken branch is reported at the choice, not at the value.
    if schema.contains_key("oneOf") || schema.contains_key("anyOf") || schema.contains_key("not") {
        return;
    }
    // The value at `path` replaced.
    let mut push = |what: String, keyword: &'static str, new: Value| {
        out.push(Mutation {
            what,
            keyword,
            path: dotted(path),
            document: edit(document, path, |v| *v = new),
        });
    };
    let types = types_of(&schema);
    let number = |k: &str| schema.get(k).and_then(Value::as_f64);
    let count = |k: &str| schema.get(k).and_then(Value::as_u64);
    if let Value::String(_) = value {
        if let Some(max) = count("maxLength").filter(|m| *m < 10_000) {
            let long = "x".repeat(max as usize + 1);
            push(format!("{} chars", max + 1), "maxLength", json!(long));
        }
        if let Some(min) = count("minLength").filter(|m| *m > 0) {
            let short = "x".repeat(min as usize - 1);
            push(format!("{} chars", min - 1), "minLength", json!(short));
        }
    }
    if value.is_number() {
        let integer = types.iter().any(|t| t == "integer");
        let past = |bound: f64, up: bool| -> Value {
            let step = if up { 1.0 } else { -1.0 };
            if integer && bound.abs() < 9.0e15 {
                json!((bound + step) as i64)
            } else {
                json!(bound + step * bound.abs().max(1.0))
            }
        };
        if let Some(max) = number("maximum") {
            push(format!("{max} + 1"), "maximum", past(max, true));
        }
        if let Some(max) = number("exclusiveMaximum") {
            push(format!("= exclusive {max}"), "exclusiveMaximum", json!(max));
        }
        if let Some(min) = number("minimum") {
            push(format!("{min} - 1"), "minimum", past(min, false));
        }
        if let Some(min) = number("exclusiveMinimum") {
            push(format!("= exclusive {min}"), "exclusiveMinimum", json!(min));
        }
    }
    if let (Value::String(_), Some(pattern)) =
        (value, schema.get("pattern").and_then(Value::as_str))
    {
        // The specs' patterns are ECMA-262 regexes, as the validator reads them.
        let regex = regress::Regex::new(pattern).expect("pattern compiles");
        let outsider = ["", "x", "!", "0", "a b", "\u{1}"]
            .into_iter()
            .find(|candidate| regex.find(candidate).is_none());
        if let Some(outsider) = outsider {
            push(
                format!("{outsider:?} outside /{pattern}/"),
                "pattern",
                json!(outsider),
            );
        }
    }
    let format = schema.get("format").and_then(Value::as_str);
    let checked = ["date-time", "date", "uuid", "uri", "email", "ipv4", "ipv6"];
    if let (Value::String(_), Some(format)) = (value, format.filter(|f| checked.contains(f))) {
        push(format!("not a {format}"), "format", json!("not-a-value"));
    }
    if let Some(Value::Array(allowed)) = schema.get("enum") {
        let outsider = [json!("zz-not-allowed"), json!(987_654_321), json!(true)]
            .into_iter()
            .find(|v| !allowed.contains(v));
        if let Some(outsider) = outsider {
            push(format!("{outsider} not in the enum"), "enum", outsider);
        }
    }
    if !types.is_empty() {
        let allows = |candidate: &Value| {
            types.iter().any(|t| match t.as_str() {
                "null" => candidate.is_null(),
                "boolean" => candidate.is_boolean(),
                "integer" => candidate.is_i64() || candidate.is_u64(),
                "number" => candidate.is_number(),
                "string" => candidate.is_string(),
                "array" => candidate.is_array(),
                "object" => candidate.is_object(),
                _ => true,
            })
        };
        let wrong = [
            json!("1234"),
            json!(1234),
            json!(true),
            json!([]),
            json!({}),
            Value::Null,
        ]
        .into_iter()
        .find(|v| !allows(v));
        if let Some(wrong) = wrong {
            push(format!("{wrong} of the wrong type"), "type", wrong);
        }
    }
    match value {
        Value::Object(map) => {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for name in required.iter().filter(|n| map.contains_key(**n)) {
                let mut at = path.clone();
                at.push((*name).to_owned());
                out.push(Mutation {
                    what: format!("required {name} removed"),
                    keyword: "required",
                    path: dotted(&at),
                    document: edit(document, path, |v| {
                        if let Value::Object(m) = v {
                            m.remove(*name);
                        }
                    }),
                });
            }
            if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
                let mut at = path.clone();
                at.push(UNKNOWN.to_owned());
                out.push(Mutation {
                    what: format!("unknown {UNKNOWN} added"),
                    keyword: "additionalProperties",
                    path: dotted(&at),
                    document: edit(document, path, |v| {
                        if let Value::Object(m) = v {
                            m.insert(UNKNOWN.to_owned(), json!("1"));
                        }
                    }),
                });
            }
            let empty = Map::new();
            let properties = schema
                .get("properties")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            for (name, child) in map {
                if let Some(child_schema) = properties.get(name) {
                    path.push(name.clone());
                    walk(root, child_schema, child, path, document, out);
                    path.pop();
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    walk(root, item_schema, item, path, document, out);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}

/// An unknown query parameter: beside the declared ones (the query object forbids others), or as
/// the only one of an operation without query parameters (the document then has a part it may
/// not have).
fn unknown_query_parameter(
    root: &Value,
    schema: &Value,
    document: &Value,
    out: &mut Vec<Mutation>,
) {
    let top = effective(root, schema);
    let declared = top.get("properties").and_then(|p| p.get("query")).is_some();
    let mut copy = document.clone();
    if let Value::Object(parts) = &mut copy {
        let query = parts
            .entry("query")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(q) = query {
            q.insert(UNKNOWN.to_owned(), json!("1"));
        }
    }
    let path = if declared {
        format!("query.{UNKNOWN}")
    } else {
        "query".to_owned()
    };
    out.push(Mutation {
        what: format!("unknown query parameter {UNKNOWN} added"),
        keyword: "additionalProperties",
        path,
        document: copy,
    });
}

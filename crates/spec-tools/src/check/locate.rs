//! Where, in a spec, the rule a finding breaks is written: the JSON pointer of the schema
//! keyword, the parameter, the `x-rules` item or the `responses` of the operation, and its line
//! (the model's [`Locator`] over the spec's text).

use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use threatbind::spec::{
    model::Locator, pointer_child, response_key as spec_response_key, Api, Operation,
};

/// How many `$ref`s are followed in a row (the library's own bound).
const MAX_REFS: usize = 16;

/// `pointer` + `/` + `key`, escaped as a JSON pointer wants.
pub(crate) fn child(pointer: &str, key: &str) -> String {
    pointer_child(pointer, key)
}

/// The line of `pointer` (else of its nearest ancestor) in the text of `api`'s spec.
pub(crate) fn line(api: Api, pointer: &str) -> Option<usize> {
    static LOCATORS: OnceLock<BTreeMap<&'static str, Locator>> = OnceLock::new();
    let locators = LOCATORS.get_or_init(|| {
        Api::ALL
            .iter()
            .map(|api| (api.file_name(), Locator::new(api.source())))
            .collect()
    });
    locators.get(api.file_name())?.line(pointer)
}

/// The pointer of the operation object: `/paths/<path>/<method>`.
pub(crate) fn operation(op: &Operation) -> String {
    child(&child("/paths", &op.path), &op.method.to_ascii_lowercase())
}

/// The segments of a JSON pointer, unescaped.
fn segments(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .split('/')
        .skip(1)
        .map(threatbind_model::pointer_key)
        .collect()
}

/// `at`, its `$ref`s followed to their targets (local ones only; a dangling one stays).
fn follow(document: &Value, mut at: String) -> String {
    for _ in 0..MAX_REFS {
        let target = document
            .pointer(&at)
            .and_then(|v| v.get("$ref"))
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'));
        match target {
            Some(target) if document.pointer(target).is_some() => at = target.to_owned(),
            _ => break,
        }
    }
    at
}

/// The schema under `at` that describes the value at `segment` of what `at` describes:
/// a property, the items of an array, the additional properties, else a property of an
/// `allOf`/`anyOf`/`oneOf` branch.
fn descend(document: &Value, at: &str, segment: &str) -> Option<String> {
    let schema = document.pointer(at)?;
    if schema
        .get("properties")
        .and_then(|p| p.get(segment))
        .is_some()
    {
        return Some(child(&child(at, "properties"), segment));
    }
    if segment.parse::<usize>().is_ok() && schema.get("items").is_some_and(Value::is_object) {
        return Some(child(at, "items"));
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        let branches = schema.get(key).and_then(Value::as_array);
        for (i, _) in branches.into_iter().flatten().enumerate() {
            let branch = follow(document, child(&child(at, key), &i.to_string()));
            let has = document
                .pointer(&branch)
                .and_then(|b| b.get("properties"))
                .and_then(|p| p.get(segment))
                .is_some();
            if has {
                return Some(child(&child(&branch, "properties"), segment));
            }
        }
    }
    if schema
        .get("additionalProperties")
        .is_some_and(Value::is_object)
    {
        return Some(child(at, "additionalProperties"));
    }
    None
}

/// The pointer of what states `rule` for the value at `path` (segments) below the schema at
/// `start`: the deepest schema reached, then its `rule` keyword when it has one.
fn in_schema(document: &Value, start: String, path: &[String], rule: &str) -> String {
    let mut at = follow(document, start);
    for segment in path {
        match descend(document, &at, segment) {
            Some(next) => at = follow(document, next),
            None => break,
        }
    }
    if !rule.is_empty() && document.pointer(&at).and_then(|s| s.get(rule)).is_some() {
        at = child(&at, rule);
    }
    at
}

/// The spec pointer of a request finding at `pointer` (of the request document) for `rule`.
pub(crate) fn request(op: &Operation, pointer: &str, rule: &str) -> String {
    let document = op.api.document();
    let at = operation(op);
    if let Some(id) = rule.strip_prefix("x-rules:") {
        let rules = op.raw.get("x-rules").and_then(Value::as_array);
        let index = rules
            .into_iter()
            .flatten()
            .position(|r| r.get("id").and_then(Value::as_str) == Some(id));
        return match index {
            Some(i) => child(&child(&at, "x-rules"), &i.to_string()),
            None => at,
        };
    }
    let path = segments(pointer);
    let Some(part) = path.first() else {
        return at;
    };
    if part == "body" {
        let body = follow(document, child(&at, "requestBody"));
        let schema = child(
            &child(&child(&body, "content"), "application/json"),
            "schema",
        );
        if document.pointer(&schema).is_none() {
            return at;
        }
        return in_schema(document, schema, &path[1..], rule);
    }
    let Some(name) = path.get(1) else {
        return at;
    };
    let parameters = op.raw.get("parameters").and_then(Value::as_array);
    for (i, _) in parameters.into_iter().flatten().enumerate() {
        let parameter_at = follow(document, child(&child(&at, "parameters"), &i.to_string()));
        let Some(parameter) = document.pointer(&parameter_at) else {
            continue;
        };
        let text = |key: &str| parameter.get(key).and_then(Value::as_str);
        if text("in") == Some(part.as_str()) && text("name") == Some(name.as_str()) {
            let schema = child(&parameter_at, "schema");
            if document.pointer(&schema).is_none() {
                return parameter_at;
            }
            return in_schema(document, schema, &path[2..], rule);
        }
    }
    // Not a declared parameter (an unknown query name): the operation's parameters.
    if op.raw.get("parameters").is_some() {
        child(&at, "parameters")
    } else {
        at
    }
}

/// The key of the operation's `responses` that documents `status` (the library's
/// [`spec_response_key`], the validator's choice).
pub(crate) fn response_key(op: &Operation, status: u16) -> Option<String> {
    let responses = op.raw.get("responses")?.as_object()?;
    spec_response_key(responses.keys().map(String::as_str), status).map(str::to_owned)
}

/// The pointer of the JSON schema of the answer documented under `key`, if there is one.
fn response_schema(op: &Operation, key: &str) -> Option<String> {
    let document = op.api.document();
    let response = follow(document, child(&child(&operation(op), "responses"), key));
    let schema = child(
        &child(&child(&response, "content"), "application/json"),
        "schema",
    );
    document.pointer(&schema).map(|_| schema)
}

/// Whether the answer documented under `key` has a JSON body.
pub(crate) fn has_json_body(op: &Operation, key: &str) -> bool {
    response_schema(op, key).is_some()
}

/// The spec pointer of an answer finding at `pointer` (of the body) for `rule`.
pub(crate) fn response(op: &Operation, status: u16, pointer: &str, rule: &str) -> String {
    let responses = child(&operation(op), "responses");
    let Some(key) = response_key(op, status) else {
        return responses;
    };
    match response_schema(op, &key) {
        Some(schema) => in_schema(op.api.document(), schema, &segments(pointer), rule),
        None => child(&responses, &key),
    }
}

/// The name of the schema listed in the spec's root `x-open-enums` whose `enum` is at
/// `spec_pointer` (`/components/schemas/<name>/enum`, where a finding's `$ref`s lead), if any.
pub(crate) fn open_enum(api: Api, spec_pointer: &str) -> Option<String> {
    let path = segments(spec_pointer);
    let [components, schemas, name, keyword] = path.as_slice() else {
        return None;
    };
    if components != "components" || schemas != "schemas" || keyword != "enum" {
        return None;
    }
    let open = api.document().get("x-open-enums")?.as_array()?;
    open.iter()
        .any(|n| n.as_str() == Some(name.as_str()))
        .then(|| name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_unescape() {
        assert_eq!(segments("/a~1b/c~0d"), vec!["a/b", "c~d"]);
        assert!(segments("").is_empty());
    }

    #[test]
    fn a_ref_cycle_ends() {
        let document = serde_json::json!({"a": {"$ref": "#/b"}, "b": {"$ref": "#/a"}});
        let at = follow(&document, "/a".to_owned());
        assert!(at == "/a" || at == "/b");
    }
}

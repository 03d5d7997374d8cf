//! The words of a spec: every `description`, `summary` and `x-notes` that was added, removed or
//! changed, at the same place in both documents. None breaks a client; each is listed as
//! information (a documented contradiction added to a server variable is worth a reviewer's
//! look), with a kind that names the place: `server-variable-description-changed`,
//! `operation-summary-changed`, `parameter-notes-changed`, ...

use super::context::{child, unescape, Diff};
use serde_json::Value;

/// The keys compared, and the word each kind ends with.
const WORDS: &[(&str, &str)] = &[
    ("description", "description"),
    ("summary", "summary"),
    ("x-notes", "notes"),
];

/// Deeper than this, nothing more is compared (specs are far shallower).
const MAX_DEPTH: usize = 64;

/// Compares the words of `old` and `new` at every place both documents have.
pub(super) fn compare(cx: &mut Diff) {
    let (old, new) = (cx.old, cx.new);
    walk(cx, old, new, "", 0);
}

fn walk(cx: &mut Diff, old: &Value, new: &Value, pointer: &str, depth: usize) {
    if depth > MAX_DEPTH || !cx.step() {
        return;
    }
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            for (key, word) in WORDS {
                let (before, after) = (o.get(*key), n.get(*key));
                if before == after || !(is_words(before) && is_words(after)) {
                    continue;
                }
                let at = child(pointer, key);
                let (place, location) = place(cx, pointer);
                let detail = match (before, after) {
                    (None, Some(_)) => "added".to_owned(),
                    (Some(_), None) => "removed".to_owned(),
                    _ => "changed".to_owned(),
                };
                cx.push(
                    &format!("{place}-{word}-changed"),
                    location,
                    &at,
                    false,
                    detail,
                );
            }
            for (key, o_value) in o {
                if let Some(n_value) = n.get(key) {
                    // A property named `description` is a schema, not words: walked as any.
                    walk(cx, o_value, n_value, &child(pointer, key), depth + 1);
                }
            }
        }
        (Value::Array(o), Value::Array(n)) => {
            // Items are matched by what names them (a parameter's place and name, a server's
            // URL, a tag's name), else by position when no item was added or removed.
            for (index, n_value) in n.iter().enumerate() {
                let matched = match identity(n_value) {
                    Some(id) => o
                        .iter()
                        .find(|o_value| identity(o_value) == Some(id.clone())),
                    None if o.len() == n.len() => o.get(index),
                    None => None,
                };
                if let Some(o_value) = matched {
                    walk(
                        cx,
                        o_value,
                        n_value,
                        &child(pointer, &index.to_string()),
                        depth + 1,
                    );
                }
            }
        }
        _ => {}
    }
}

/// What names a list item: `in` and `name` (a parameter), `url` (a server), `name` (a tag),
/// or `$ref`.
fn identity(value: &Value) -> Option<String> {
    let text = |key: &str| value.get(key).and_then(Value::as_str);
    if let Some(name) = text("name") {
        return Some(format!("{}:{name}", text("in").unwrap_or("")));
    }
    text("url").or_else(|| text("$ref")).map(str::to_owned)
}

/// Whether a value is words (text, or a list of notes), or absent.
fn is_words(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::String(_)) => true,
        Some(Value::Array(items)) => items.iter().all(Value::is_string),
        Some(_) => false,
    }
}

/// What the object at `pointer` is (for the kind), and where it is for a human.
fn place(cx: &Diff, pointer: &str) -> (&'static str, String) {
    let parts: Vec<String> = pointer.split('/').skip(1).map(unescape).collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let kind = match parts.as_slice() {
        [] => "spec",
        ["info", ..] => "info",
        [.., "variables", _] => "server-variable",
        ["servers", ..] | [.., "servers", _] => "server",
        ["tags", ..] => "tag",
        ["paths", _, _] => "operation",
        ["paths", _, _, "parameters", _] | ["components", "parameters", _] => "parameter",
        ["paths", _, _, "responses", _] | ["components", "responses", _] => "response",
        ["paths", _, _, "requestBody"] | ["components", "requestBodies", _] => "request-body",
        ["components", "securitySchemes", _] => "security-scheme",
        [.., "properties", _] => "property",
        ["components", "schemas", ..] => "schema",
        _ => "element",
    };
    let location = match parts.as_slice() {
        ["paths", path, method, rest @ ..] => {
            let id = cx
                .new
                .pointer(&format!(
                    "{}/operationId",
                    child(&child("/paths", path), method)
                ))
                .and_then(Value::as_str)
                .unwrap_or("");
            let item = match rest {
                ["parameters", index, ..] => {
                    let at = format!(
                        "{}/parameters/{index}",
                        child(&child("/paths", path), method)
                    );
                    let parameter = cx.new.pointer(&at);
                    let text = |k: &str| {
                        parameter
                            .and_then(|p| p.get(k))
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                    };
                    format!("{} parameter {}", text("in"), text("name"))
                }
                rest => rest.join("/"),
            };
            let mut here = format!("{} {path}", method.to_uppercase());
            if !id.is_empty() {
                here.push_str(&format!(" ({id})"));
            }
            if !item.is_empty() {
                here.push_str(&format!(": {item}"));
            }
            here
        }
        [] => "spec".to_owned(),
        parts => parts.join("/"),
    };
    (kind, location)
}

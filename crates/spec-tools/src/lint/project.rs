//! The project's conventions for every operation (specs/README.md): a stable operationId, a
//! declared tag, a summary, a documented error response, an example on the success answer.

use super::METHODS;
use super::{child, refs, Report};
use serde_json::Value;

/// `^[a-z][A-Za-z0-9]*$`: what generated method names and CLI commands are derived from.
fn is_lower_camel(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

/// Whether a media type carries JSON (`application/json`, `application/problem+json`).
pub(super) fn is_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.to_ascii_lowercase().ends_with("+json")
}

/// Every operation of `paths`: its pointer and object.
pub(super) fn operations(document: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    let paths = document.get("paths").and_then(Value::as_object);
    for (path, item) in paths.into_iter().flatten() {
        if !path.starts_with('/') {
            continue;
        }
        for method in METHODS {
            if let Some(op) = item.get(*method).filter(|o| o.is_object()) {
                out.push((child(&child("/paths", path), method), op));
            }
        }
    }
    out
}

/// Checks every operation of the document.
pub(crate) fn check(document: &Value, report: &mut Report) {
    let declared: Vec<&str> = document
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("name").and_then(Value::as_str))
        .collect();
    let mut ids: Vec<String> = Vec::new();
    for (at, op) in operations(document) {
        operation_id(op, &at, &mut ids, report);
        tags(op, &at, &declared, report);
        let summary = op.get("summary").and_then(Value::as_str).unwrap_or("");
        if summary.trim().is_empty() {
            report.add(&at, "missing-summary", "the operation has no summary");
        }
        if let Some(responses) = op.get("responses").and_then(Value::as_object) {
            let has_error = responses
                .keys()
                .any(|k| k == "default" || k.starts_with('4') || k.starts_with('5'));
            if !has_error {
                report.add(
                    &child(&at, "responses"),
                    "missing-error-response",
                    "the operation documents no 4xx, 5xx or default response",
                );
            }
            example(document, responses, &child(&at, "responses"), report);
        }
    }
}

fn operation_id(op: &Value, at: &str, ids: &mut Vec<String>, report: &mut Report) {
    let Some(id) = op.get("operationId") else {
        report.add(
            at,
            "operation-id-missing",
            "the operation has no operationId",
        );
        return;
    };
    let Some(id) = id.as_str() else {
        return; // wrong-type says so
    };
    let here = child(at, "operationId");
    if !is_lower_camel(id) {
        report.add(
            &here,
            "operation-id-style",
            format!("{id:?} is not lowerCamelCase (^[a-z][A-Za-z0-9]*$)"),
        );
    }
    if ids.iter().any(|seen| seen == id) {
        report.add(
            &here,
            "operation-id-duplicate",
            format!("operationId {id:?} is used by another operation"),
        );
    }
    ids.push(id.to_owned());
}

fn tags(op: &Value, at: &str, declared: &[&str], report: &mut Report) {
    let list = op.get("tags").and_then(Value::as_array);
    if list.is_none_or(|l| l.is_empty()) {
        report.add(at, "missing-tag", "the operation has no tag");
        return;
    }
    for (i, tag) in list.into_iter().flatten().enumerate() {
        if let Some(name) = tag.as_str().filter(|n| !declared.contains(n)) {
            report.add(
                &child(&child(at, "tags"), &i.to_string()),
                "undeclared-tag",
                format!("tag {name:?} is not declared in the root tags"),
            );
        }
    }
}

/// At least one 2xx JSON answer carries `example` or `examples`.
fn example(
    document: &Value,
    responses: &serde_json::Map<String, Value>,
    at: &str,
    report: &mut Report,
) {
    let mut json_media = Vec::new();
    for (status, response) in responses.iter().filter(|(k, _)| k.starts_with('2')) {
        let Some((response, response_at)) = refs::follow(document, response, &child(at, status))
        else {
            continue;
        };
        let content = response.get("content").and_then(Value::as_object);
        for (media_type, media) in content.into_iter().flatten() {
            if is_json(media_type) {
                json_media.push((media, child(&child(&response_at, "content"), media_type)));
            }
        }
    }
    let has_example = json_media
        .iter()
        .any(|(m, _)| m.get("example").is_some() || m.get("examples").is_some());
    if let (false, Some((_, first))) = (has_example, json_media.first()) {
        report.add(
            first,
            "missing-example",
            "the success answer has no example (example or examples)",
        );
    }
}

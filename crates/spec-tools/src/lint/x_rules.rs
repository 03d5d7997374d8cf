//! `x-rules`, `x-pagination`, `x-enrich` and `x-mock` beyond their shapes (the model's, see
//! `model`): every dotted path they name leads to a parameter or body field of the request
//! (`query.from`, `body.filter.section`) or to a field of the success answer (`meta.has_more`).

use super::project::{is_json, operations};
use super::{child, refs, Report, MAX_DEPTH};
use serde_json::Value;

/// Checks every operation's `x-rules` and `x-pagination`.
pub(crate) fn check(document: &Value, report: &mut Report) {
    for (at, op) in operations(document) {
        if let Some(rules) = op.get("x-rules") {
            x_rules(document, op, rules, &child(&at, "x-rules"), report);
        }
        if let Some(paging) = op.get("x-pagination") {
            pagination(document, op, paging, &child(&at, "x-pagination"), report);
        }
        if let Some(enrich) = op.get("x-enrich") {
            enrich_paths(document, op, enrich, &child(&at, "x-enrich"), report);
        }
        if let Some(mock) = op.get("x-mock") {
            mock_paths(document, op, mock, &child(&at, "x-mock"), report);
        }
    }
}

/// `x-enrich` (its shape is the model's, checked by the build): the request paths it writes
/// lead to parameters or body fields, and the action's to an `enum` (the values of `--action`).
fn enrich_paths(document: &Value, op: &Value, enrich: &Value, here: &str, report: &mut Report) {
    const RULE: &str = "x-enrich-unknown-path";
    for key in ["indicator", "type"] {
        if let Some(path) = enrich.get(key).and_then(Value::as_str) {
            if let Err(message) = request_field(document, op, path) {
                report.add(&child(here, key), RULE, message);
            }
        }
    }
    let Some(path) = enrich.pointer("/action/path").and_then(Value::as_str) else {
        return;
    };
    let at = child(&child(here, "action"), "path");
    match request_field(document, op, path) {
        Err(message) => report.add(&at, RULE, message),
        Ok(schema) => {
            let values: Vec<&str> = schema
                .get("enum")
                .and_then(Value::as_array)
                .map(|e| e.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if values.is_empty() {
                report.add(
                    &at,
                    RULE,
                    format!("{path:?} has no enum of text values to take --action from"),
                );
            }
            let default = enrich.pointer("/action/default").and_then(Value::as_str);
            if let Some(default) = default.filter(|d| !values.is_empty() && !values.contains(d)) {
                report.add(
                    &child(&child(here, "action"), "default"),
                    RULE,
                    format!("{default:?} is not one of the values of {path:?}"),
                );
            }
        }
    }
}

/// `x-mock` (its shape is the model's): the request paths its cases, filters and sorting read
/// lead to parameters or body fields.
fn mock_paths(document: &Value, op: &Value, mock: &Value, here: &str, report: &mut Report) {
    const RULE: &str = "x-mock-unknown-path";
    let echoes = mock.get("echo").and_then(Value::as_array);
    for (i, echo) in echoes.into_iter().flatten().enumerate() {
        let at = child(&child(here, "echo"), &i.to_string());
        for key in ["from", "detected"] {
            if let Some(path) = echo.get(key).and_then(Value::as_str) {
                if let Err(message) = request_field(document, op, path) {
                    report.add(&child(&at, key), RULE, message);
                }
            }
        }
        let when = echo.get("when").and_then(Value::as_object);
        for path in when.into_iter().flat_map(|w| w.keys()) {
            if let Err(message) = request_field(document, op, path) {
                report.add(&child(&child(&at, "when"), path), RULE, message);
            }
        }
    }
    let filters = mock.get("filter").and_then(Value::as_array);
    for (i, filter) in filters.into_iter().flatten().enumerate() {
        if let Some(path) = filter.get("from").and_then(Value::as_str) {
            if let Err(message) = request_field(document, op, path) {
                let at = child(&child(here, "filter"), &i.to_string());
                report.add(&child(&at, "from"), RULE, message);
            }
        }
    }
    for (key, path_key) in [
        ("sections", "detected"),
        ("not-found", "path"),
        ("sort", "by"),
        ("sort", "order"),
    ] {
        if let Some(path) = mock
            .get(key)
            .and_then(|m| m.get(path_key))
            .and_then(Value::as_str)
        {
            if let Err(message) = request_field(document, op, path) {
                report.add(&child(&child(here, key), path_key), RULE, message);
            }
        }
    }
}

/// The schema of the request value at a dotted `path`, if the request has one.
fn request_field(document: &Value, op: &Value, path: &str) -> Result<Value, String> {
    let location = path.split('.').next().unwrap_or("");
    if !["header", "query", "path", "body"].contains(&location) {
        return Err(format!(
            "{path:?} must start with header., query., path. or body."
        ));
    }
    if location != "body" && !path.contains('.') {
        return Err(format!("{path:?} names no parameter"));
    }
    threatbind::spec::schema_at(document, op, path)
        .ok_or_else(|| format!("{path:?} names no parameter or body field of the operation"))
}

/// The schema of the success answer (the first 2xx JSON schema).
fn success_schema<'a>(document: &'a Value, op: &'a Value) -> Option<&'a Value> {
    let responses = op.get("responses")?.as_object()?;
    responses
        .iter()
        .filter(|(status, _)| status.starts_with('2'))
        .find_map(|(_, r)| {
            let (r, _) = refs::follow(document, r, "")?;
            r.get("content")?
                .as_object()?
                .iter()
                .find(|(media_type, _)| is_json(media_type))?
                .1
                .get("schema")
        })
}

/// The schema of the answer's field at a dotted `path` (`""` is the whole answer).
fn response_field(document: &Value, op: &Value, path: &str) -> Result<Value, String> {
    let mut current = success_schema(document, op)
        .ok_or_else(|| "the operation has no 2xx JSON answer with a schema".to_owned())?;
    current = refs::follow(document, current, "").map_or(current, |(v, _)| v);
    if path.is_empty() {
        return Ok(current.clone());
    }
    for (depth, segment) in path.split('.').enumerate() {
        if depth > MAX_DEPTH {
            break;
        }
        let next = property(document, current, segment, 0)
            .ok_or_else(|| format!("{path:?} names no field of the success answer"))?;
        current = refs::follow(document, next, "").map_or(next, |(v, _)| v);
    }
    Ok(current.clone())
}

/// The property `name` of `schema`, also among the members of its `allOf`/`anyOf`/`oneOf`.
fn property<'a>(
    document: &'a Value,
    schema: &'a Value,
    name: &str,
    depth: usize,
) -> Option<&'a Value> {
    if depth > 8 {
        return None;
    }
    if let Some(p) = schema.get("properties").and_then(|p| p.get(name)) {
        return Some(p);
    }
    ["allOf", "anyOf", "oneOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .find_map(|member| {
            let member = refs::follow(document, member, "").map_or(member, |(v, _)| v);
            property(document, member, name, depth + 1)
        })
}

/// `x-rules` (its shape is the model's, checked by the build): the paths of every rule lead into
/// the request (or the success answer), and a fixed bound is a date-time.
fn x_rules(document: &Value, op: &Value, rules: &Value, here: &str, report: &mut Report) {
    for (i, rule) in rules.as_array().into_iter().flatten().enumerate() {
        let Some(map) = rule.as_object() else {
            continue;
        };
        let at = child(here, &i.to_string());
        if let Some(bound) = map.get("bound").and_then(Value::as_str) {
            if threatbind::spec::parse_instant(bound).is_none() {
                report.add(
                    &child(&at, "bound"),
                    "x-rules-malformed",
                    format!("bound {bound:?} is not a date-time"),
                );
            }
        }
        rule_paths(document, op, map, &at, report);
    }
}

/// Every path a rule names leads somewhere.
fn rule_paths(
    document: &Value,
    op: &Value,
    map: &serde_json::Map<String, Value>,
    at: &str,
    report: &mut Report,
) {
    const RULE: &str = "x-rules-unknown-path";
    let forbid = map.get("kind").and_then(Value::as_str) == Some("forbid");
    let mut named: Vec<(String, &str)> = Vec::new();
    for key in ["path", "start", "end", "value", "type_path"] {
        if let Some(p) = map.get(key).and_then(Value::as_str) {
            named.push((child(at, key), p));
        }
    }
    if let Some(list) = map.get("paths").and_then(Value::as_array) {
        for (i, p) in list.iter().enumerate() {
            if let Some(p) = p.as_str() {
                named.push((child(&child(at, "paths"), &i.to_string()), p));
            }
        }
    }
    for (here, path) in named {
        let checked = if forbid {
            forbidden_parent(document, op, path)
        } else {
            request_field(document, op, path).map(|_| ())
        };
        if let Err(message) = checked {
            report.add(&here, RULE, message);
        }
    }
    if let Some(when) = map.get("when").and_then(Value::as_object) {
        for path in when.keys() {
            if let Err(message) = request_field(document, op, path) {
                report.add(&child(&child(at, "when"), path), RULE, message);
            }
        }
    }
    if let Some(path) = map.get("response_path").and_then(Value::as_str) {
        if let Err(message) = response_field(document, op, path) {
            report.add(&child(at, "response_path"), RULE, message);
        }
    }
}

/// A field a `forbid` rule names is rightly absent from the schema (the rule is why): its
/// location must exist, and so must the object holding it.
fn forbidden_parent(document: &Value, op: &Value, path: &str) -> Result<(), String> {
    let location = path.split('.').next().unwrap_or("");
    if !["header", "query", "path", "body"].contains(&location) {
        return Err(format!(
            "{path:?} must start with header., query., path. or body."
        ));
    }
    match path.rsplit_once('.') {
        Some((parent, _)) if parent != location || location == "body" => {
            request_field(document, op, parent).map(|_| ())
        }
        _ => Ok(()),
    }
}

fn pagination(document: &Value, op: &Value, paging: &Value, here: &str, report: &mut Report) {
    const RULE: &str = "x-pagination-malformed";
    const UNKNOWN: &str = "x-pagination-unknown-path";
    // The shape (keys, `cursor`, `advance`, types) is the model's.
    let Some(map) = paging.as_object() else {
        return;
    };
    let token = map.get("advance").and_then(Value::as_str) == Some("token");
    if token && !map.contains_key("next") {
        report.add(
            here,
            RULE,
            "x-pagination with advance: token needs \"next\" (where the answer carries the next cursor)",
        );
    }
    if !token && !map.contains_key("more") && !map.contains_key("total") {
        report.add(
            here,
            RULE,
            "x-pagination needs \"more\" or \"total\" to know when to stop",
        );
    }
    let text = |k: &str| map.get(k).and_then(Value::as_str);
    // Request side: where the cursor and the page size go (a token cursor is text), and what a
    // follow-up request leaves out.
    let cursor_type: &[&str] = if token { &["string"] } else { &["integer"] };
    for (key, wanted) in [("cursor", cursor_type), ("limit", &["integer"][..])] {
        let Some(path) = text(key) else {
            continue;
        };
        match request_field(document, op, path) {
            Err(message) => report.add(&child(here, key), UNKNOWN, message),
            Ok(schema) => expect_type(&schema, wanted, &child(here, key), path, report),
        }
    }
    if let Some(path) = text("without") {
        if let Err(message) = request_field(document, op, path) {
            report.add(&child(here, "without"), UNKNOWN, message);
        }
    }
    // Where the next token may be: paths separated by `|`, tried in order.
    for path in text("next").into_iter().flat_map(|n| n.split('|')) {
        match response_field(document, op, path) {
            Err(message) => report.add(&child(here, "next"), UNKNOWN, message),
            Ok(schema) => expect_type(&schema, &["string"], &child(here, "next"), path, report),
        }
    }
    // Answer side: the items, whether more follow, the count, the page size.
    for (key, wanted) in [
        ("items", &["array"][..]),
        ("more", &["boolean"][..]),
        ("total", &["integer"][..]),
        ("page-limit", &["integer"][..]),
    ] {
        let Some(path) = text(key) else {
            continue;
        };
        match response_field(document, op, path) {
            Err(message) => report.add(&child(here, key), UNKNOWN, message),
            // `items: ""`: the whole answer is the one item.
            Ok(_) if key == "items" && path.is_empty() => {}
            Ok(schema) => expect_type(&schema, wanted, &child(here, key), path, report),
        }
    }
}

fn expect_type(schema: &Value, wanted: &[&str], here: &str, path: &str, report: &mut Report) {
    if let Some(found) = schema.get("type").and_then(Value::as_str) {
        if !wanted.contains(&found) {
            report.add(
                here,
                "x-pagination-malformed",
                format!("{path:?} is of type {found}, not {}", wanted.join(" or ")),
            );
        }
    }
}

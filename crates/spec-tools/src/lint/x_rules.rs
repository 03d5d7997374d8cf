//! `x-rules` and `x-pagination`: their shapes (specs/README.md, src/spec/rules.rs, src/raw.rs),
//! and that every dotted path they name leads to a parameter or body field of the request
//! (`query.from`, `body.filter.section`) or to a field of the success answer (`meta.has_more`).

use super::project::{is_json, operations};
use super::{child, refs, Report, MAX_DEPTH};
use serde_json::Value;
use threatbind::spec::Rule;

/// Each kind of rule, with the keys it takes besides `id`, `description`, `when` and `kind`,
/// and which of them it needs.
const KINDS: &[(&str, &[&str], &[&str])] = &[
    ("require", &["paths"], &["paths"]),
    ("forbid", &["paths"], &["paths"]),
    ("allowed_values", &["path", "values"], &["path", "values"]),
    ("exactly_one", &["paths"], &["paths"]),
    (
        "max_list_items",
        &["path", "separator", "max"],
        &["path", "separator", "max"],
    ),
    (
        "datetime_not_before",
        &["path", "bound", "now_minus"],
        &["path"],
    ),
    (
        "datetime_span",
        &["start", "end", "max_days"],
        &["start", "end"],
    ),
    (
        "indicator_type",
        &["value", "type_path"],
        &["value", "type_path"],
    ),
    (
        "response_normalizes",
        &["path", "from", "to", "response_path"],
        &["path", "from", "to", "response_path"],
    ),
];

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

/// `x-mock` (its shape is the model's): the request paths its cases read lead to parameters or
/// body fields.
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
    for (key, path_key) in [("sections", "detected"), ("not-found", "path")] {
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

/// `^[a-z0-9]+(-[a-z0-9]+)*$`.
fn is_kebab_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
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

fn x_rules(document: &Value, op: &Value, rules: &Value, here: &str, report: &mut Report) {
    const RULE: &str = "x-rules-malformed";
    let Some(list) = rules.as_array() else {
        report.add(here, RULE, "x-rules must be a list of rules");
        return;
    };
    let mut ids: Vec<&str> = Vec::new();
    for (i, rule) in list.iter().enumerate() {
        let at = child(here, &i.to_string());
        let Some(map) = rule.as_object() else {
            report.add(&at, RULE, "a rule must be a mapping (id, kind, ...)");
            continue;
        };
        match map.get("id").and_then(Value::as_str) {
            Some(id) if !is_kebab_id(id) => {
                report.add(
                    &child(&at, "id"),
                    RULE,
                    format!("id {id:?} is not kebab-case"),
                );
            }
            Some(id) if ids.contains(&id) => {
                report.add(&child(&at, "id"), RULE, format!("id {id:?} is used twice"));
            }
            _ => {}
        }
        if let Some(id) = map.get("id").and_then(Value::as_str) {
            ids.push(id);
        }
        let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
        let Some((_, keys, needed)) = KINDS.iter().find(|(k, _, _)| *k == kind) else {
            let known: Vec<&str> = KINDS.iter().map(|(k, _, _)| *k).collect();
            report.add(
                &child(&at, "kind"),
                RULE,
                format!("kind {kind:?} is not one of {}", known.join(", ")),
            );
            continue;
        };
        for key in map.keys() {
            let common = ["id", "description", "when", "kind"].contains(&key.as_str());
            if !common && !keys.contains(&key.as_str()) {
                report.add(
                    &child(&at, key),
                    RULE,
                    format!(
                        "{key:?} is not a key of a {kind} rule ({})",
                        keys.join(", ")
                    ),
                );
            }
        }
        for key in needed.iter().filter(|k| !map.contains_key(**k)) {
            report.add(&at, RULE, format!("a {kind} rule needs {key:?}"));
        }
        let parsed = match serde_json::from_value::<Rule>(rule.clone()) {
            Ok(r) => r,
            Err(e) => {
                report.add(&at, RULE, format!("not a rule: {e}"));
                continue;
            }
        };
        rule_values(map, &parsed, &at, report);
        rule_paths(document, op, map, &at, report);
    }
}

/// What the types of a rule cannot say: a bound that parses, one bound only, a positive span.
fn rule_values(map: &serde_json::Map<String, Value>, rule: &Rule, at: &str, report: &mut Report) {
    use threatbind::spec::RuleKind;
    const RULE: &str = "x-rules-malformed";
    match &rule.kind {
        RuleKind::DatetimeNotBefore {
            bound, now_minus, ..
        } => {
            if bound.is_some() == now_minus.is_some() {
                report.add(
                    at,
                    RULE,
                    "a datetime_not_before rule needs bound or now_minus (one)",
                );
            }
            if let Some(b) = bound.as_deref() {
                if threatbind::spec::parse_instant(b).is_none() {
                    report.add(
                        &child(at, "bound"),
                        RULE,
                        format!("bound {b:?} is not a date-time"),
                    );
                }
            }
            if let Some(rel) = map.get("now_minus").and_then(Value::as_object) {
                for k in rel
                    .keys()
                    .filter(|k| !["months", "days"].contains(&k.as_str()))
                {
                    report.add(
                        &child(&child(at, "now_minus"), k),
                        RULE,
                        format!("now_minus takes months or days, not {k:?}"),
                    );
                }
            }
        }
        RuleKind::DatetimeSpan {
            max_days: Some(days),
            ..
        } if *days <= 0 => {
            report.add(&child(at, "max_days"), RULE, "max_days must be positive");
        }
        RuleKind::Require { paths } | RuleKind::Forbid { paths } if paths.is_empty() => {
            report.add(&child(at, "paths"), RULE, "paths must not be empty");
        }
        RuleKind::AllowedValues { values, .. } if values.is_empty() => {
            report.add(&child(at, "values"), RULE, "values must not be empty");
        }
        _ => {}
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
    let allowed = [
        "cursor",
        "items",
        "advance",
        "more",
        "total",
        "limit",
        "page-limit",
        "next",
        "without",
        "expires-seconds",
    ];
    let Some(map) = paging.as_object() else {
        report.add(
            here,
            RULE,
            "x-pagination must be a mapping (cursor, items, advance, ...)",
        );
        return;
    };
    for k in map.keys().filter(|k| !allowed.contains(&k.as_str())) {
        report.add(
            &child(here, k),
            RULE,
            format!(
                "{k:?} is not a key of x-pagination ({})",
                allowed.join(", ")
            ),
        );
    }
    if !map.contains_key("cursor") {
        report.add(
            here,
            RULE,
            "x-pagination needs \"cursor\" (the request path of the page cursor)",
        );
    }
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
    if let Some(v) = map.get("expires-seconds") {
        if v.as_u64().is_none_or(|n| n == 0) {
            report.add(
                &child(here, "expires-seconds"),
                RULE,
                format!("expires-seconds must be a whole number of seconds above 0, not {v}"),
            );
        }
    }
    for (k, v) in map {
        if !v.is_string() && allowed.contains(&k.as_str()) && k != "expires-seconds" {
            report.add(
                &child(here, k),
                RULE,
                format!("{k} must be a string, not {v}"),
            );
        }
    }
    let text = |k: &str| map.get(k).and_then(Value::as_str);
    if let Some(advance) = text("advance") {
        if !["one", "items", "limit", "token"].contains(&advance) {
            report.add(
                &child(here, "advance"),
                RULE,
                format!("advance {advance:?} is not one of one, items, limit, token"),
            );
        }
    }
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

//! What OpenAPI 3.0.3 states in its prose and its JSON Schema does not encode (the standard's
//! schema checks the rest, see `standard`): tags declared once, component names, security
//! requirements naming declared schemes, server URLs whose `{variables}` are declared, a
//! variable's default among its values, an Example's `value` or `externalValue`, and the rules
//! of each Schema object (`schema_rules`). Read at the places the standard's validation found.

use super::standard::Sites;
use super::{child, refs, schema_rules, Report};
use serde_json::{Map, Value};

/// Checks `document` at its `sites`.
pub(crate) fn check(document: &Value, sites: &Sites, report: &mut Report) {
    tags(document, report);
    component_names(document, report);
    for at in &sites.security {
        if let Some(Value::Object(map)) = document.pointer(at) {
            security_requirement(document, map, at, report);
        }
    }
    for at in &sites.servers {
        if let Some(Value::Object(map)) = document.pointer(at) {
            server(map, at, report);
        }
    }
    for at in &sites.examples {
        if let Some(Value::Object(map)) = document.pointer(at) {
            if map.contains_key("value") && map.contains_key("externalValue") {
                report.add(
                    &child(at, "externalValue"),
                    "mutually-exclusive",
                    "\"value\" and \"externalValue\" exclude each other",
                );
            }
        }
    }
    for at in &sites.schemas {
        if let Some(Value::Object(map)) = document.pointer(at) {
            schema_rules::check(map, at, report);
        }
    }
}

fn tags(document: &Value, report: &mut Report) {
    let list = document.get("tags").and_then(Value::as_array);
    let mut seen = Vec::new();
    for (i, tag) in list.into_iter().flatten().enumerate() {
        if let Some(name) = tag.get("name").and_then(Value::as_str) {
            if seen.contains(&name) {
                report.add(
                    &format!("/tags/{i}"),
                    "duplicate-tag",
                    format!("tag {name:?} is declared twice"),
                );
            }
            seen.push(name);
        }
    }
}

fn component_names(document: &Value, report: &mut Report) {
    let Some(components) = document.get("components").and_then(Value::as_object) else {
        return;
    };
    for (section, entries) in components.iter().filter(|(k, _)| !k.starts_with("x-")) {
        let Some(entries) = entries.as_object() else {
            continue;
        };
        for name in entries.keys() {
            let ok = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
            if !ok {
                report.add(
                    &child(&child("/components", section), name),
                    "bad-component-name",
                    format!("{name:?} is not a component name (letters, digits, . - _)"),
                );
            }
        }
    }
}

fn security_requirement(
    document: &Value,
    map: &Map<String, Value>,
    pointer: &str,
    report: &mut Report,
) {
    let schemes = document.pointer("/components/securitySchemes");
    for (name, scopes) in map {
        let here = child(pointer, name);
        let Some(list) = scopes.as_array() else {
            continue; // the standard says so (wrong-type)
        };
        let Some(scheme) = schemes.and_then(|s| s.get(name)) else {
            report.add(
                &here,
                "bad-security-requirement",
                format!("{name:?} is not in components/securitySchemes"),
            );
            continue;
        };
        let scheme = refs::follow(document, scheme, "").map_or(scheme, |(s, _)| s);
        let kind = scheme.get("type").and_then(Value::as_str).unwrap_or("");
        if !list.is_empty() && !matches!(kind, "oauth2" | "openIdConnect") {
            report.add(
                &here,
                "bad-security-requirement",
                format!("{name:?} is an {kind} scheme: its list of scopes must be empty"),
            );
        }
    }
}

fn server(map: &Map<String, Value>, pointer: &str, report: &mut Report) {
    let Some(url) = map.get("url").and_then(Value::as_str) else {
        return;
    };
    let variables = map.get("variables").and_then(Value::as_object);
    let mut rest = url;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        let name = &after[..close];
        if !variables.is_some_and(|v| v.contains_key(name)) {
            report.add(
                &child(pointer, "url"),
                "bad-value",
                format!("the url's {{{name}}} is not in the server's variables"),
            );
        }
        rest = &after[close + 1..];
    }
    for (name, variable) in variables.into_iter().flatten() {
        let (Some(default), Some(values)) = (
            variable.get("default").and_then(Value::as_str),
            variable.get("enum").and_then(Value::as_array),
        ) else {
            continue;
        };
        if !values.is_empty() && !values.iter().any(|v| v.as_str() == Some(default)) {
            report.add(
                &child(&child(&child(pointer, "variables"), name), "default"),
                "bad-value",
                format!("default {default:?} is not one of the variable's enum"),
            );
        }
    }
}

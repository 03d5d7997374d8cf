//! The project's extensions other than `x-rules` and `x-pagination` (see `x_rules`): their
//! shapes and places, as specs/README.md, build.rs and the CLI read them. `x-` keys the project
//! does not define are the vendors' and are left alone.

use super::project::operations;
use super::structure::{type_name, Sites};
use super::{child, refs, Report, MAX_DEPTH};
use serde_json::{Map, Value};
use threatbind_model::names::kebab;

/// The extensions checked here, wherever they appear.
const WATCHED: &[&str] = &["x-assumed", "x-env", "x-cli", "x-unstable", "x-handwritten"];

/// The quota owners `x-rate-limit.per` may name (src/common.rs `quota_key`).
const PER: &[&str] = &["account", "token", "api-key", "server"];

/// Checks every extension of `document`.
pub(crate) fn check(document: &Value, sites: &Sites, report: &mut Report) {
    let operation_at: Vec<String> = operations(document).into_iter().map(|(at, _)| at).collect();
    let mut found = Vec::new();
    watched(document, "", 0, &mut found);
    for (at, key, value) in found {
        let here = child(&at, key);
        match key {
            "x-assumed" => assumed(value, &here, report),
            "x-env" => env(value, &at, &here, sites, report),
            "x-cli" if at.is_empty() => root_cli(value, &here, report),
            "x-cli" if operation_at.contains(&at) => operation_cli(value, &here, report),
            "x-cli" if sites.schemas.contains(&at) => {
                property_cli(document, document.pointer(&at), value, &here, report)
            }
            "x-cli" if sites.parameters.contains(&at) => parameter_cli(value, &here, report),
            "x-cli" => report.add(
                &here,
                "x-cli-malformed",
                "x-cli is read at the root, on operations, parameters and body properties only",
            ),
            "x-unstable" => flag(
                value,
                &here,
                operation_at.contains(&at),
                "an operation",
                report,
            ),
            "x-handwritten" => flag(value, &here, at.is_empty(), "the root", report),
            _ => {}
        }
    }
    command_names(document, report);
    rate_limits(document, report);
    open_enums(document, report);
}

/// Every watched extension: the pointer of the object holding it, its key, its value.
fn watched<'a>(
    value: &'a Value,
    pointer: &str,
    depth: usize,
    out: &mut Vec<(String, &'static str, &'a Value)>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for key in WATCHED {
                if let Some(v) = map.get(*key) {
                    out.push((pointer.to_owned(), key, v));
                }
            }
            for (k, v) in map {
                watched(v, &child(pointer, k), depth + 1, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                watched(v, &child(pointer, &i.to_string()), depth + 1, out);
            }
        }
        _ => {}
    }
}

fn assumed(value: &Value, here: &str, report: &mut Report) {
    match value.as_str() {
        Some(s) if !s.trim().is_empty() => {}
        Some(_) => report.add(
            here,
            "x-assumed-malformed",
            "x-assumed must say why (it is empty)",
        ),
        None => report.add(
            here,
            "x-assumed-malformed",
            format!(
                "x-assumed must be a string saying why, not {}",
                type_name(value)
            ),
        ),
    }
}

/// `^[A-Z_][A-Z0-9_]*$`: an environment variable name.
fn is_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_uppercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// `^[a-z][a-z0-9-]*$`: a command or flag name.
fn is_kebab(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The root's `x-env` roles.
const ROOT_ENV: &[&str] = &["server", "url", "base-url", "ca-file"];

/// A variable: `NAME`, or `{name: NAME, help: text}`.
fn variable(value: &Value, here: &str, report: &mut Report) {
    let name = match value {
        Value::Object(map) => {
            let known = map.keys().all(|k| k == "name" || k == "help");
            let help = map.get("help").is_none_or(Value::is_string);
            map.get("name")
                .and_then(Value::as_str)
                .filter(|_| known && help)
        }
        other => other.as_str(),
    };
    match name {
        Some(name) if is_env_name(name) => {}
        _ => report.add(
            here,
            "x-env-malformed",
            format!(
                "x-env must name an environment variable (A-Z, 0-9, _), as NAME or {{name, help}}, not {value}"
            ),
        ),
    }
}

fn env(value: &Value, at: &str, here: &str, sites: &Sites, report: &mut Report) {
    if at.is_empty() {
        match value.as_object() {
            Some(roles) => {
                for (role, v) in roles {
                    if ROOT_ENV.contains(&role.as_str()) {
                        variable(v, &child(here, role), report);
                    } else {
                        report.add(
                            &child(here, role),
                            "x-env-malformed",
                            format!("the root's x-env has {}, not {role}", ROOT_ENV.join(", ")),
                        );
                    }
                }
            }
            None => report.add(
                here,
                "x-env-malformed",
                "the root's x-env maps server, url, base-url, ca-file to variables",
            ),
        }
        return;
    }
    variable(value, here, report);
    let segments: Vec<&str> = at.split('/').collect();
    let scheme = segments.len() == 4 && at.starts_with("/components/securitySchemes/");
    let variable = segments.len() >= 4
        && segments[segments.len() - 2] == "variables"
        && segments[segments.len() - 4] == "servers";
    if !(scheme || variable || sites.parameters.iter().any(|p| p == at)) {
        report.add(
            here,
            "x-env-malformed",
            "x-env is read at the root, on security schemes, server variables and parameters only",
        );
    }
}

fn flag(value: &Value, here: &str, placed: bool, place: &str, report: &mut Report) {
    let key = super::last_segment(here);
    if !value.is_boolean() {
        report.add(
            here,
            "x-flag-malformed",
            format!("{key} must be true or false, not {}", type_name(value)),
        );
    } else if !placed {
        report.add(
            here,
            "x-flag-malformed",
            format!("{key} is read on {place} only"),
        );
    }
}

/// Checks that `value` is a mapping with only `allowed` keys and the `required` ones; returns
/// the mapping.
fn shape<'a>(
    value: &'a Value,
    here: &str,
    allowed: &[&str],
    required: &[&str],
    rule: &'static str,
    report: &mut Report,
) -> Option<&'a Map<String, Value>> {
    let key = super::last_segment(here);
    let Some(map) = value.as_object() else {
        report.add(
            here,
            rule,
            format!(
                "{key} must be a mapping ({}), not {}",
                allowed.join(", "),
                type_name(value)
            ),
        );
        return None;
    };
    for k in map.keys().filter(|k| !allowed.contains(&k.as_str())) {
        report.add(
            &child(here, k),
            rule,
            format!("{k:?} is not a key of {key} ({})", allowed.join(", ")),
        );
    }
    for k in required.iter().filter(|k| !map.contains_key(**k)) {
        report.add(here, rule, format!("{key} needs {k:?}"));
    }
    Some(map)
}

fn string_in(
    map: &Map<String, Value>,
    key: &str,
    here: &str,
    test: fn(&str) -> bool,
    what: &str,
    rule: &'static str,
    report: &mut Report,
) {
    let Some(v) = map.get(key) else {
        return;
    };
    if !v.as_str().is_some_and(test) {
        report.add(
            &child(here, key),
            rule,
            format!("{key} must be {what}, not {v}"),
        );
    }
}

fn string_list(
    map: &Map<String, Value>,
    key: &str,
    here: &str,
    rule: &'static str,
    report: &mut Report,
) -> Vec<String> {
    let Some(v) = map.get(key) else {
        return Vec::new();
    };
    let list: Option<Vec<String>> = v
        .as_array()
        .filter(|l| !l.is_empty())
        .and_then(|l| l.iter().map(|x| x.as_str().map(str::to_owned)).collect());
    if list.is_none() {
        report.add(
            &child(here, key),
            rule,
            format!("{key} must be a non-empty list of strings"),
        );
    }
    list.unwrap_or_default()
}

fn root_cli(value: &Value, here: &str, report: &mut Report) {
    const RULE: &str = "x-cli-malformed";
    let Some(map) = shape(value, here, &["name"], &[], RULE, report) else {
        return;
    };
    command_name(map, here, report);
}

fn operation_cli(value: &Value, here: &str, report: &mut Report) {
    const RULE: &str = "x-cli-malformed";
    let Some(map) = shape(value, here, &["name", "table"], &[], RULE, report) else {
        return;
    };
    command_name(map, here, report);
    string_list(map, "table", here, RULE, report);
}

/// `x-cli` of a body property: an array of objects written `A:B:C` on one flag.
/// The `name` of a root or operation `x-cli`: a command name.
fn command_name(map: &Map<String, Value>, here: &str, report: &mut Report) {
    string_in(
        map,
        "name",
        here,
        is_kebab,
        "a command name (a-z, 0-9, -)",
        "x-cli-malformed",
        report,
    );
}

/// `x-cli: {flag: NAME}` on a parameter: the flag's name when it is not the parameter's.
fn parameter_cli(value: &Value, here: &str, report: &mut Report) {
    const RULE: &str = "x-cli-malformed";
    let Some(map) = shape(value, here, &["flag"], &["flag"], RULE, report) else {
        return;
    };
    string_in(
        map,
        "flag",
        here,
        is_kebab,
        "a flag name (a-z, 0-9, -)",
        RULE,
        report,
    );
}

fn property_cli(
    document: &Value,
    schema: Option<&Value>,
    value: &Value,
    here: &str,
    report: &mut Report,
) {
    const RULE: &str = "x-cli-malformed";
    let allowed = ["flag", "fields", "separator", "help"];
    // `{flag}` alone names a field's flag; with `fields` it is a list written `A:B:C`; with
    // `separator` alone, a text field whose repeated flag values are joined by it.
    let required: &[&str] = if value.get("fields").is_some() {
        &["flag", "fields", "separator"]
    } else {
        &["flag"]
    };
    let Some(map) = shape(value, here, &allowed, required, RULE, report) else {
        return;
    };
    string_in(
        map,
        "flag",
        here,
        is_kebab,
        "a flag name (a-z, 0-9, -)",
        RULE,
        report,
    );
    string_in(
        map,
        "separator",
        here,
        |s| !s.is_empty(),
        "a non-empty string",
        RULE,
        report,
    );
    string_in(map, "help", here, |_| true, "a string", RULE, report);
    if map.get("fields").is_none() && map.get("separator").is_some() {
        // `{flag, separator}`: a text field whose repeated flag values are joined.
        if schema.and_then(|s| s.get("type")).and_then(Value::as_str) != Some("string") {
            report.add(
                here,
                RULE,
                "x-cli with a separator and no fields belongs on a string",
            );
        }
        return;
    }
    let fields = string_list(map, "fields", here, RULE, report);
    let items = schema
        .filter(|s| s.get("type").and_then(Value::as_str) == Some("array"))
        .and_then(|s| s.get("items"))
        .and_then(|i| refs::follow(document, i, "").map(|(v, _)| v));
    let Some(items) = items else {
        report.add(
            here,
            RULE,
            "x-cli with fields belongs on an array of objects",
        );
        return;
    };
    let properties = items.get("properties").and_then(Value::as_object);
    for (i, field) in fields.iter().enumerate() {
        if !properties.is_some_and(|p| p.contains_key(field)) {
            report.add(
                &child(&child(here, "fields"), &i.to_string()),
                RULE,
                format!("{field:?} is not a property of the array's items"),
            );
        }
    }
}

/// `threatbind <api> <command>`: no two operations may get one command name.
fn command_names(document: &Value, report: &mut Report) {
    let mut seen: Vec<String> = Vec::new();
    for (at, op) in operations(document) {
        let name = match op.pointer("/x-cli/name").and_then(Value::as_str) {
            Some(n) => n.to_owned(),
            None => match op.get("operationId").and_then(Value::as_str) {
                Some(id) => kebab(id),
                None => continue,
            },
        };
        if seen.contains(&name) {
            report.add(
                &at,
                "x-cli-malformed",
                format!("the command name {name:?} is already another operation's"),
            );
        }
        seen.push(name);
    }
}

fn rate_limits(document: &Value, report: &mut Report) {
    const RULE: &str = "x-rate-limit-malformed";
    let mut first_per: Option<(String, String)> = None;
    // The API's quota at the root, then the operations that state their own.
    let sites = std::iter::once((String::new(), document)).chain(operations(document));
    for (at, op) in sites {
        let Some(value) = op.get("x-rate-limit") else {
            continue;
        };
        let here = child(&at, "x-rate-limit");
        let allowed = ["requests", "period_seconds", "per"];
        let Some(map) = shape(value, &here, &allowed, &allowed[..2], RULE, report) else {
            continue;
        };
        for key in ["requests", "period_seconds"] {
            let Some(v) = map.get(key) else {
                continue;
            };
            let ok = v
                .as_u64()
                .is_some_and(|n| n > 0 && u32::try_from(n).is_ok());
            if !ok {
                report.add(
                    &child(&here, key),
                    RULE,
                    format!(
                        "{key} must be a whole number from 1 to {}, not {v}",
                        u32::MAX
                    ),
                );
            }
        }
        let Some(per) = map.get("per") else {
            continue;
        };
        let per_at = child(&here, "per");
        match per.as_str() {
            Some(p) if PER.contains(&p) => match &first_per {
                Some((first, first_at)) if first != p => report.add(
                    &per_at,
                    RULE,
                    format!(
                        "per: {p} differs from per: {first} at {first_at}; one quota owner \
                         serves the whole API"
                    ),
                ),
                Some(_) => {}
                None => first_per = Some((p.to_owned(), per_at.clone())),
            },
            _ => report.add(
                &per_at,
                RULE,
                format!("per must be one of {}, not {per}", PER.join(", ")),
            ),
        }
    }
}

fn open_enums(document: &Value, report: &mut Report) {
    const RULE: &str = "x-open-enums-malformed";
    let Some(value) = document.get("x-open-enums") else {
        return;
    };
    let Some(list) = value.as_array() else {
        report.add(
            "/x-open-enums",
            RULE,
            "x-open-enums must be a list of schema names",
        );
        return;
    };
    let schemas = document.pointer("/components/schemas");
    let mut seen = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let here = child("/x-open-enums", &i.to_string());
        let Some(name) = entry.as_str() else {
            report.add(
                &here,
                RULE,
                format!("entries must be schema names, not {entry}"),
            );
            continue;
        };
        if seen.contains(&name) {
            report.add(&here, RULE, format!("{name:?} is listed twice"));
        }
        seen.push(name);
        let Some(schema) = schemas.and_then(|s| s.get(name)) else {
            report.add(
                &here,
                RULE,
                format!("{name:?} is not in components/schemas"),
            );
            continue;
        };
        let values = schema.get("enum").and_then(Value::as_array);
        match values {
            None => report.add(&here, RULE, format!("{name:?} has no enum")),
            Some(values) if !values.iter().all(Value::is_string) => report.add(
                &here,
                RULE,
                format!("{name:?}: an open enum must have string values"),
            ),
            Some(_) => {}
        }
    }
}

//! The project's extensions beyond their shapes and places (the model's, see `model`): names
//! the CLI and the environment take, commands named once, open enums that exist. `x-` keys the
//! project does not define are the vendors' and are left alone.

use super::project::operations;
use super::standard::Sites;
use super::{child, refs, Report, MAX_DEPTH};
use serde_json::{Map, Value};
use threatbind_model::names::{is_shell_safe, kebab};

/// The rule of a flag name a shell does not pass as typed.
const UNSAFE_FLAG: &str = "flag-not-shell-safe";

/// What a shell-safe flag name is, for the messages.
const SHELL_SAFE: &str = "shell-safe (a-z, 0-9 and -, as in --sort-column)";

/// The extensions checked here, wherever they appear.
const WATCHED: &[&str] = &["x-assumed", "x-notes", "x-env", "x-cli"];

/// Checks every extension of `document`.
pub(crate) fn check(document: &Value, sites: &Sites, report: &mut Report) {
    let operation_at: Vec<String> = operations(document).into_iter().map(|(at, _)| at).collect();
    let mut found = Vec::new();
    watched(document, "", 0, &mut found);
    for (at, key, value) in found {
        let here = child(&at, key);
        match key {
            "x-assumed" => assumed(value, &here, report),
            "x-notes" => notes(value, &here, report),
            "x-env" => {
                for (place, v) in env(value, &at, &here) {
                    variable(v, &place, report);
                }
            }
            "x-cli" if at.is_empty() => root_cli(value, &here, report),
            "x-cli" if operation_at.contains(&at) => operation_cli(value, &here, report),
            "x-cli" if sites.schemas.contains(&at) => {
                property_cli(document, document.pointer(&at), value, &here, report)
            }
            "x-cli" if sites.parameters.contains(&at) => parameter_cli(value, &here, report),
            // Out of its place: the model says so.
            _ => {}
        }
    }
    command_names(document, report);
    derived_flags(document, report);
    open_enums(document, report);
}

/// A parameter without `x-cli: {flag}` is the flag of its name in kebab case, which is
/// shell-safe but empty for a name of no letter or digit (`[]`): such a parameter has no flag.
fn derived_flags(document: &Value, report: &mut Report) {
    for (at, op) in operations(document) {
        let parameters = op.get("parameters").and_then(Value::as_array);
        for (i, parameter) in parameters.into_iter().flatten().enumerate() {
            let Some((parameter, _)) = refs::follow(document, parameter, "") else {
                continue;
            };
            if parameter.pointer("/x-cli/flag").is_some() {
                continue;
            }
            let Some(name) = parameter.get("name").and_then(Value::as_str) else {
                continue;
            };
            if kebab(name).is_empty() {
                report.add(
                    &child(&child(&at, "parameters"), &i.to_string()),
                    UNSAFE_FLAG,
                    format!(
                        "the parameter {name:?} derives no flag name (no letter or digit): \
                         give it x-cli: {{flag: NAME}}, {SHELL_SAFE}"
                    ),
                );
            }
        }
    }
}

/// The `flag` of an `x-cli` is a name a shell passes as typed.
fn flag_name(map: &Map<String, Value>, here: &str, report: &mut Report) {
    // That it is text is the model's.
    let Some(flag) = map.get("flag").and_then(Value::as_str) else {
        return;
    };
    if !is_shell_safe(flag) {
        report.add(
            &child(here, "flag"),
            UNSAFE_FLAG,
            format!("the flag name {flag:?} is not {SHELL_SAFE}: a shell would expand or split it"),
        );
    }
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

/// An `x-assumed` says why (that it is text is the model's).
fn assumed(value: &Value, here: &str, report: &mut Report) {
    if value.as_str().is_some_and(|s| s.trim().is_empty()) {
        report.add(
            here,
            "x-assumed-malformed",
            "x-assumed must say why (it is empty)",
        );
    }
}

/// Every note of an `x-notes` says something (its shape and place are the model's).
fn notes(value: &Value, here: &str, report: &mut Report) {
    let empty = match value {
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items
            .iter()
            .any(|i| i.as_str().is_some_and(|s| s.trim().is_empty())),
        _ => false,
    };
    if empty {
        report.add(here, "x-notes-malformed", "a note of x-notes is empty");
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

/// A variable (`NAME`, or `{name: NAME, help: text}`: the shape is the model's) is named as the
/// environment names variables.
fn variable(value: &Value, here: &str, report: &mut Report) {
    let name = match value {
        Value::Object(map) => map.get("name"),
        other => Some(other),
    };
    match name.and_then(Value::as_str) {
        Some(name) if !is_env_name(name) => report.add(
            here,
            "x-env-malformed",
            format!("x-env must name an environment variable (A-Z, 0-9, _), not {name:?}"),
        ),
        _ => {}
    }
}

/// The variables of an `x-env` (the root's maps its roles to them; the roles and the places
/// are the model's).
fn env<'a>(value: &'a Value, at: &str, here: &str) -> Vec<(String, &'a Value)> {
    if at.is_empty() {
        return value
            .as_object()
            .into_iter()
            .flatten()
            .map(|(role, v)| (child(here, role), v))
            .collect();
    }
    vec![(here.to_owned(), value)]
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
    // That it is text is the model's.
    let Some(v) = map.get(key).filter(|v| v.is_string()) else {
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
    // A list of text is the model's; that it lists something is checked here.
    let list: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect();
    if v.as_array().is_some_and(|l| l.is_empty()) {
        report.add(
            &child(here, key),
            rule,
            format!("{key} must list at least one name"),
        );
    }
    list
}

fn root_cli(value: &Value, here: &str, report: &mut Report) {
    if let Some(map) = value.as_object() {
        command_name(map, here, report);
    }
}

fn operation_cli(value: &Value, here: &str, report: &mut Report) {
    const RULE: &str = "x-cli-malformed";
    let Some(map) = value.as_object() else {
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
    let Some(map) = value.as_object() else {
        return;
    };
    flag_name(map, here, report);
}

fn property_cli(
    document: &Value,
    schema: Option<&Value>,
    value: &Value,
    here: &str,
    report: &mut Report,
) {
    const RULE: &str = "x-cli-malformed";
    // `{flag}` alone names a field's flag; with `fields` it is a list written `A:B:C`; with
    // `separator` alone, a text field whose repeated flag values are joined by it. The keys
    // and `fields` needing a flag are the model's.
    let Some(map) = value.as_object() else {
        return;
    };
    if map.contains_key("fields") && !map.contains_key("separator") {
        report.add(here, RULE, "x-cli with fields needs \"separator\"");
    }
    flag_name(map, here, report);
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
    if !map.contains_key("fields") {
        // `{flag}` alone: any field may name its flag.
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

fn open_enums(document: &Value, report: &mut Report) {
    const RULE: &str = "x-open-enums-malformed";
    let Some(value) = document.get("x-open-enums") else {
        return;
    };
    // A list of names: the model's.
    let Some(list) = value.as_array() else {
        return;
    };
    let schemas = document.pointer("/components/schemas");
    let mut seen = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let here = child("/x-open-enums", &i.to_string());
        let Some(name) = entry.as_str() else {
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

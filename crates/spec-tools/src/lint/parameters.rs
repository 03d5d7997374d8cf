//! The parameters of each operation: no two alike, and the path's `{names}` matching its path
//! parameters, both ways (the Path Item's parameters count for each of its operations).

use super::METHODS;
use super::{child, refs, Report};
use serde_json::Value;

/// A parameter's identity: location and name (header names ignore case).
fn identity(parameter: &Value) -> Option<(String, String)> {
    let location = parameter.get("in")?.as_str()?.to_owned();
    let name = parameter.get("name")?.as_str()?;
    let name = if location == "header" {
        name.to_ascii_lowercase()
    } else {
        name.to_owned()
    };
    Some((location, name))
}

/// The parameters of the list at `pointer` (references followed), with their pointers.
fn list<'a>(document: &'a Value, owner: &'a Value, pointer: &str) -> Vec<(&'a Value, String)> {
    let here = child(pointer, "parameters");
    owner
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, p)| {
            let at = child(&here, &i.to_string());
            refs::follow(document, p, &at).map(|(p, _)| (p, at))
        })
        .collect()
}

/// The `{names}` of a path template.
fn template_names(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        out.push(&after[..close]);
        rest = &after[close + 1..];
    }
    out
}

fn duplicates(parameters: &[(&Value, String)], report: &mut Report) {
    let mut seen: Vec<(String, String)> = Vec::new();
    for (p, at) in parameters {
        let Some(id) = identity(p) else {
            continue;
        };
        if seen.contains(&id) {
            report.add(
                at,
                "duplicate-parameter",
                format!("the {} parameter {:?} is declared twice", id.0, id.1),
            );
        } else {
            seen.push(id);
        }
    }
}

/// Checks every path of the document.
pub(crate) fn check(document: &Value, report: &mut Report) {
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return;
    };
    for (path, item) in paths.iter().filter(|(k, _)| k.starts_with('/')) {
        let item_at = child("/paths", path);
        let shared = list(document, item, &item_at);
        duplicates(&shared, report);
        let names = template_names(path);
        for method in METHODS {
            let Some(operation) = item.get(*method) else {
                continue;
            };
            let op_at = child(&item_at, method);
            let own = list(document, operation, &op_at);
            duplicates(&own, report);
            // The operation's own parameters override the Path Item's of the same identity.
            let own_ids: Vec<_> = own.iter().filter_map(|(p, _)| identity(p)).collect();
            let all: Vec<&(&Value, String)> = own
                .iter()
                .chain(
                    shared
                        .iter()
                        .filter(|(p, _)| identity(p).is_none_or(|id| !own_ids.contains(&id))),
                )
                .collect();
            let declared: Vec<(&str, &str)> = all
                .iter()
                .filter(|(p, _)| p.get("in").and_then(Value::as_str) == Some("path"))
                .filter_map(|(p, at)| Some((p.get("name")?.as_str()?, at.as_str())))
                .collect();
            for name in &names {
                if !declared.iter().any(|(n, _)| n == name) {
                    report.add(
                        &op_at,
                        "path-parameter-mismatch",
                        format!("the path's {{{name}}} has no path parameter {name:?}"),
                    );
                }
            }
            for (name, at) in &declared {
                if !names.contains(name) {
                    report.add(
                        at,
                        "path-parameter-mismatch",
                        format!("path parameter {name:?} is not a {{{name}}} of {path}"),
                    );
                }
            }
        }
    }
}

//! Servers: the root list, and those an operation or path item overrides. A server is matched by
//! its `x-region` (Log360 data centres), else its `x-environment` (Nameshield), else its URL.

use super::context::{child, keys, show, Diff, Doc, Node, Place};
use serde_json::Value;

/// Compares the root `servers`.
pub(super) fn root(cx: &mut Diff) {
    let old = Node::at(cx.old, "/servers".into());
    let new = Node::at(cx.new, "/servers".into());
    compare(cx, &Place::new("servers", ""), old, new);
}

/// Compares two server lists (absent lists are empty). Items are named after `place.item`.
pub(super) fn compare(cx: &mut Diff, place: &Place, old: Option<Node>, new: Option<Node>) {
    let old_entries = entries(cx, Doc::Old, old.as_ref());
    let new_entries = entries(cx, Doc::New, new.as_ref());
    for (key, old_label, old_server) in &old_entries {
        let here = place.with_item(format!("{}{old_label}", place.item));
        match new_entries.iter().find(|(k, _, _)| k == key) {
            None => cx.push(
                "server-removed",
                here.location(""),
                &old_server.pointer,
                true,
                "removed".into(),
            ),
            Some((_, new_label, new_server)) => {
                let here = place.with_item(format!("{}{new_label}", place.item));
                server(cx, &here, old_server, new_server);
            }
        }
    }
    for (key, label, new_server) in &new_entries {
        if !old_entries.iter().any(|(k, _, _)| k == key) {
            let here = place.with_item(format!("{}{label}", place.item));
            cx.push(
                "server-added",
                here.location(""),
                &new_server.pointer,
                false,
                "added".into(),
            );
        }
    }
}

/// Each server of a list: its key, its label, the node.
fn entries<'a>(
    cx: &Diff<'a>,
    which: Doc,
    list: Option<&Node<'a>>,
) -> Vec<(String, String, Node<'a>)> {
    let document = cx.doc(which);
    let Some(list) = list else {
        return Vec::new();
    };
    let count = list.value.as_array().map_or(0, Vec::len);
    let mut out: Vec<(String, String, Node<'a>)> = Vec::new();
    for index in 0..count {
        let Some(node) = list.index(document, index) else {
            continue;
        };
        let url = node.str("url").unwrap_or("").to_owned();
        let (key, label) = if let Some(region) = node.str("x-region") {
            (
                format!("region {region}"),
                format!("{url} (region {region})"),
            )
        } else if let Some(env) = node.str("x-environment") {
            (
                format!("environment {env}"),
                format!("{url} (environment {env})"),
            )
        } else {
            (format!("url {url}"), url)
        };
        // A second server with the same key is compared as the first one only.
        if !out.iter().any(|(k, _, _)| *k == key) {
            out.push((key, label, node));
        }
    }
    out
}

fn server(cx: &mut Diff, place: &Place, old: &Node, new: &Node) {
    let (old_url, new_url) = (old.str("url").unwrap_or(""), new.str("url").unwrap_or(""));
    if old_url != new_url {
        cx.push(
            "server-url-changed",
            place.location(""),
            &new.ptr("url"),
            false,
            format!("url {old_url} → {new_url}"),
        );
    }
    let (old_vars, new_vars) = (old.value.get("variables"), new.value.get("variables"));
    for name in keys(old_vars, new_vars) {
        let here = place.location(&format!(" variable {name}"));
        let old_var = old_vars.and_then(|v| v.get(name));
        let new_var = new_vars.and_then(|v| v.get(name));
        let old_ptr = child(&old.ptr("variables"), name);
        let new_ptr = child(&new.ptr("variables"), name);
        match (old_var, new_var) {
            (Some(_), None) => cx.push(
                "server-variable-removed",
                here,
                &old_ptr,
                true,
                "removed".into(),
            ),
            (None, Some(_)) => cx.push(
                "server-variable-added",
                here,
                &new_ptr,
                false,
                "added".into(),
            ),
            (Some(o), Some(n)) => variable(cx, &here, (o, &old_ptr), (n, &new_ptr)),
            (None, None) => {}
        }
    }
}

fn variable(
    cx: &mut Diff,
    here: &str,
    (old, old_ptr): (&Value, &str),
    (new, new_ptr): (&Value, &str),
) {
    let (old_default, new_default) = (old.get("default"), new.get("default"));
    if old_default != new_default {
        cx.push(
            "server-variable-default-changed",
            here.to_owned(),
            &format!("{new_ptr}/default"),
            true,
            format!(
                "default {} → {} (clients that rely on the default now reach another server)",
                old_default.map_or("none".into(), show),
                new_default.map_or("none".into(), show)
            ),
        );
    }
    match (
        old.get("enum").and_then(Value::as_array),
        new.get("enum").and_then(Value::as_array),
    ) {
        (Some(old_values), Some(new_values)) => {
            for (index, value) in old_values.iter().enumerate() {
                if !new_values.contains(value) {
                    let detail = format!("value {} removed", show(value));
                    cx.push(
                        "server-variable-value-removed",
                        here.to_owned(),
                        &format!("{old_ptr}/enum/{index}"),
                        true,
                        detail,
                    );
                }
            }
            for (index, value) in new_values.iter().enumerate() {
                if !old_values.contains(value) {
                    let detail = format!("value {} added", show(value));
                    cx.push(
                        "server-variable-value-added",
                        here.to_owned(),
                        &format!("{new_ptr}/enum/{index}"),
                        false,
                        detail,
                    );
                }
            }
        }
        (None, Some(_)) => cx.push(
            "server-variable-enum-added",
            here.to_owned(),
            &format!("{new_ptr}/enum"),
            true,
            "any value → only the listed values".into(),
        ),
        (Some(_), None) => cx.push(
            "server-variable-enum-removed",
            here.to_owned(),
            &format!("{old_ptr}/enum"),
            false,
            "only the listed values → any value".into(),
        ),
        (None, None) => {}
    }
}

//! The operations: matched by method and path (path-parameter names ignored); each pair is
//! handed to [`super::parameters`], [`super::messages`], [`super::security`] and
//! [`super::servers`].

use super::context::{Diff, Doc, Node, Place};
use super::op::Op;
use super::{messages, parameters, security, servers};
use serde_json::Value;
use std::collections::BTreeMap;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// `/a/{id}/b` → `/a/{}/b`: paths that differ only in parameter names are one path.
fn normalise(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut in_name = false;
    for c in template.chars() {
        match c {
            '{' if !in_name => {
                in_name = true;
                out.push('{');
            }
            '}' if in_name => {
                in_name = false;
                out.push('}');
            }
            _ if in_name => {}
            _ => out.push(c),
        }
    }
    out
}

/// Every operation of a document, by normalised path then method.
fn operations<'a>(cx: &Diff<'a>, which: Doc) -> BTreeMap<(String, usize), Op<'a>> {
    let document = cx.doc(which);
    let mut out = BTreeMap::new();
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return out;
    };
    let root = Node {
        value: document,
        pointer: String::new(),
        name: None,
    };
    let Some(paths_node) = root.child(document, "paths") else {
        return out;
    };
    for template in paths.keys().filter(|k| !k.starts_with("x-")) {
        let Some(item) = paths_node.child(document, template) else {
            continue;
        };
        for (index, method) in METHODS.iter().enumerate() {
            let Some(node) = item.child(document, method) else {
                continue;
            };
            if !node.value.is_object() {
                continue;
            }
            let key = (normalise(template), index);
            // Two templates with the same shape (invalid OpenAPI): the first one, sorted, counts.
            out.entry(key).or_insert_with(|| Op {
                template: template.clone(),
                item: item.clone(),
                node,
                method,
            });
        }
    }
    out
}

/// Compares every operation.
pub(super) fn paths(cx: &mut Diff) {
    let old_ops = operations(cx, Doc::Old);
    let new_ops = operations(cx, Doc::New);
    let mut keys: Vec<&(String, usize)> = old_ops.keys().chain(new_ops.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        match (old_ops.get(key), new_ops.get(key)) {
            (Some(old), Some(new)) => operation(cx, old, new),
            (Some(old), None) => {
                let moved = old
                    .id()
                    .and_then(|id| new_ops.values().find(|o| o.id() == Some(id)));
                let detail = match moved {
                    Some(o) => format!(
                        "removed (operationId {} is now {} {})",
                        o.id().unwrap_or(""),
                        o.method.to_ascii_uppercase(),
                        o.template
                    ),
                    None => "removed".into(),
                };
                cx.push(
                    "operation-removed",
                    old.label(),
                    &old.node.pointer,
                    true,
                    detail,
                );
            }
            (None, Some(new)) => cx.push(
                "operation-added",
                new.label(),
                &new.node.pointer,
                false,
                "added".into(),
            ),
            (None, None) => {}
        }
    }
}

fn operation(cx: &mut Diff, old: &Op, new: &Op) {
    let group = new.label();
    let here = Place::new(group.clone(), "");
    if old.id() != new.id() {
        let detail = format!(
            "operationId {} → {} (the generated method is renamed)",
            old.id().unwrap_or("none"),
            new.id().unwrap_or("none")
        );
        cx.push(
            "operation-id-changed",
            here.location(""),
            &new.node.ptr("operationId"),
            true,
            detail,
        );
    }
    if !old.node.flag("deprecated") && new.node.flag("deprecated") {
        cx.push(
            "operation-deprecated",
            here.location(""),
            &new.node.ptr("deprecated"),
            false,
            "deprecated".into(),
        );
    }
    operation_servers(cx, &group, old, new);
    security::operation(cx, &group, &old.node, &new.node);
    parameters::compare(cx, &group, old, new);
    messages::request_body(cx, &group, &old.node, &new.node);
    messages::responses(cx, &group, &old.node, &new.node);
}

/// Servers set by the operation or its path item, when either version sets some.
fn operation_servers(cx: &mut Diff, group: &str, old: &Op, new: &Op) {
    let sets =
        |op: &Op| op.node.value.get("servers").is_some() || op.item.value.get("servers").is_some();
    if !sets(old) && !sets(new) {
        return;
    }
    let old_list = effective_servers(cx.doc(Doc::Old), old);
    let new_list = effective_servers(cx.doc(Doc::New), new);
    servers::compare(cx, &Place::new(group, "server "), old_list, new_list);
}

/// The servers of an operation, else of its path item, else of the root.
fn effective_servers<'a>(document: &'a Value, op: &Op<'a>) -> Option<Node<'a>> {
    op.node
        .child(document, "servers")
        .or_else(|| op.item.child(document, "servers"))
        .or_else(|| Node::at(document, "/servers".into()))
}

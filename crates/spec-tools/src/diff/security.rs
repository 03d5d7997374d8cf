//! Authentication: the security schemes of `components`, and the security requirements of the
//! root and of each operation that sets its own.

use super::context::{child, keys, keys_without_extensions, Diff, Doc, Node, Place};
use serde_json::Value;

/// Compares `components.securitySchemes` and the root `security`.
pub(super) fn root(cx: &mut Diff) {
    let old = Node::at(cx.old, "/components/securitySchemes".into());
    let new = Node::at(cx.new, "/components/securitySchemes".into());
    let (old_map, new_map) = (old.as_ref().map(|n| n.value), new.as_ref().map(|n| n.value));
    for name in keys(old_map, new_map) {
        let place = Place::new("security", format!("scheme {name}"));
        let old_scheme = old.as_ref().and_then(|n| n.child(cx.old, name));
        let new_scheme = new.as_ref().and_then(|n| n.child(cx.new, name));
        match (old_scheme, new_scheme) {
            (Some(o), None) => cx.push(
                "security-scheme-removed",
                place.location(""),
                &o.pointer,
                true,
                "removed".into(),
            ),
            (None, Some(n)) => cx.push(
                "security-scheme-added",
                place.location(""),
                &n.pointer,
                false,
                "added".into(),
            ),
            (Some(o), Some(n)) => scheme(cx, &place, &o, &n),
            (None, None) => {}
        }
    }
    let old = Node::at(cx.old, "/security".into());
    let new = Node::at(cx.new, "/security".into());
    requirements(cx, &Place::new("security", ""), old, new);
}

/// Compares the security of an operation, when either version sets its own (else the root's
/// applies to both, and was compared once by [`root`]).
pub(super) fn operation(cx: &mut Diff, group: &str, old_op: &Node, new_op: &Node) {
    if old_op.value.get("security").is_none() && new_op.value.get("security").is_none() {
        return;
    }
    let old = effective(cx.doc(Doc::Old), old_op);
    let new = effective(cx.doc(Doc::New), new_op);
    requirements(cx, &Place::new(group, "security"), old, new);
}

/// The operation's own security, else the root's.
fn effective<'a>(document: &'a Value, op: &Node<'a>) -> Option<Node<'a>> {
    op.child(document, "security")
        .or_else(|| Node::at(document, "/security".into()))
}

/// Field changes that make the old credentials or token requests wrong.
fn scheme(cx: &mut Diff, place: &Place, old: &Node, new: &Node) {
    for field in ["type", "scheme", "in", "name", "openIdConnectUrl"] {
        let normalise = |v: Option<&str>| {
            // HTTP auth schemes and header names are case-insensitive.
            let text = v.unwrap_or("none");
            if field == "scheme" || (field == "name" && old.str("in") == Some("header")) {
                text.to_ascii_lowercase()
            } else {
                text.to_owned()
            }
        };
        let (o, n) = (old.str(field), new.str(field));
        if normalise(o) != normalise(n) {
            let detail = format!("{field} {} → {}", o.unwrap_or("none"), n.unwrap_or("none"));
            cx.push(
                "security-scheme-changed",
                place.location(""),
                &new.ptr(field),
                true,
                detail,
            );
        }
    }
    let Some((old_flows, new_flows)) = old.child(cx.old, "flows").zip(new.child(cx.new, "flows"))
    else {
        return;
    };
    for flow in keys_without_extensions(Some(old_flows.value), Some(new_flows.value)) {
        let here = place.location(&format!(" flow {flow}"));
        match (old_flows.child(cx.old, flow), new_flows.child(cx.new, flow)) {
            (Some(o), None) => cx.push(
                "security-flow-removed",
                here,
                &o.pointer,
                true,
                "removed".into(),
            ),
            (None, Some(n)) => cx.push(
                "security-flow-added",
                here,
                &n.pointer,
                false,
                "added".into(),
            ),
            (Some(o), Some(n)) => self::flow(cx, &here, &o, &n),
            (None, None) => {}
        }
    }
}

fn flow(cx: &mut Diff, here: &str, old: &Node, new: &Node) {
    for field in ["authorizationUrl", "tokenUrl", "refreshUrl"] {
        let (o, n) = (old.str(field), new.str(field));
        if o != n {
            let detail = format!("{field} {} → {}", o.unwrap_or("none"), n.unwrap_or("none"));
            cx.push(
                "security-scheme-changed",
                here.to_owned(),
                &new.ptr(field),
                true,
                detail,
            );
        }
    }
    let (old_scopes, new_scopes) = (old.value.get("scopes"), new.value.get("scopes"));
    for scope in keys(old_scopes, new_scopes) {
        let in_old = old_scopes.and_then(|s| s.get(scope)).is_some();
        let in_new = new_scopes.and_then(|s| s.get(scope)).is_some();
        if in_old && !in_new {
            let pointer = child(&old.ptr("scopes"), scope);
            cx.push(
                "security-flow-scope-removed",
                here.to_owned(),
                &pointer,
                true,
                format!("scope {scope} removed"),
            );
        } else if in_new && !in_old {
            let pointer = child(&new.ptr("scopes"), scope);
            cx.push(
                "security-flow-scope-added",
                here.to_owned(),
                &pointer,
                false,
                format!("scope {scope} added"),
            );
        }
    }
}

/// One alternative of a security requirement: its key (the scheme names, sorted), its
/// schemes with their scopes, and where it is written.
struct Alternative<'a> {
    key: String,
    schemes: Vec<(&'a str, Vec<&'a str>)>,
    pointer: String,
}

fn alternatives<'a>(list: Option<&Node<'a>>) -> Vec<Alternative<'a>> {
    let Some(list) = list else {
        return Vec::new();
    };
    let items = list.value.as_array().map(Vec::as_slice).unwrap_or_default();
    items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| {
            let map = item.as_object()?;
            let schemes: Vec<(&str, Vec<&str>)> = map
                .iter()
                .map(|(name, scopes)| {
                    let scopes = scopes.as_array().map(Vec::as_slice).unwrap_or_default();
                    (
                        name.as_str(),
                        scopes.iter().filter_map(Value::as_str).collect(),
                    )
                })
                .collect();
            let key = if schemes.is_empty() {
                "anonymous (no credentials)".to_owned()
            } else {
                schemes
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(" + ")
            };
            Some(Alternative {
                key,
                schemes,
                pointer: child(&list.pointer, &index.to_string()),
            })
        })
        .collect()
}

fn requirements(cx: &mut Diff, place: &Place, old: Option<Node>, new: Option<Node>) {
    let old_alts = alternatives(old.as_ref());
    let new_alts = alternatives(new.as_ref());
    let here = place.location("");
    let list_pointer = |n: &Option<Node>| n.as_ref().map(|n| n.pointer.clone()).unwrap_or_default();
    if old_alts.is_empty() && !new_alts.is_empty() {
        let detail = format!(
            "no credentials needed → {}",
            new_alts
                .iter()
                .map(|a| a.key.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        );
        cx.push("security-added", here, &list_pointer(&new), true, detail);
        return;
    }
    if new_alts.is_empty() && !old_alts.is_empty() {
        cx.push(
            "security-dropped",
            here,
            &list_pointer(&old),
            false,
            "no credentials needed any more".into(),
        );
        return;
    }
    for alt in &old_alts {
        match new_alts.iter().find(|a| a.key == alt.key) {
            None => {
                let detail = format!("alternative {} removed", alt.key);
                cx.push(
                    "security-requirement-removed",
                    here.clone(),
                    &alt.pointer,
                    true,
                    detail,
                );
            }
            Some(new_alt) => scopes(cx, &here, alt, new_alt),
        }
    }
    for alt in &new_alts {
        if !old_alts.iter().any(|a| a.key == alt.key) {
            let detail = format!("alternative {} added", alt.key);
            cx.push(
                "security-requirement-added",
                here.clone(),
                &alt.pointer,
                false,
                detail,
            );
        }
    }
}

fn scopes(cx: &mut Diff, here: &str, old: &Alternative, new: &Alternative) {
    for (name, new_scopes) in &new.schemes {
        let old_scopes = old
            .schemes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.as_slice())
            .unwrap_or_default();
        let pointer = child(&new.pointer, name);
        for scope in new_scopes.iter().filter(|s| !old_scopes.contains(s)) {
            let detail = format!("{name} needs scope {scope}");
            cx.push(
                "security-scope-added",
                here.to_owned(),
                &pointer,
                true,
                detail,
            );
        }
        for scope in old_scopes.iter().filter(|s| !new_scopes.contains(s)) {
            let detail = format!("{name} no longer needs scope {scope}");
            cx.push(
                "security-scope-removed",
                here.to_owned(),
                &pointer,
                false,
                detail,
            );
        }
    }
}

//! Parameters: matched by location and name (header names in any case), path parameters by
//! their position in the path; an operation's own replace its path item's.

use super::context::{Diff, Doc, Node, Place, Side};
use super::op::Op;
use super::schema;
use serde_json::Value;

/// A parameter with the key it is matched by: its location and name (header names in lower
/// case), or for a path parameter its position in the path.
struct Param<'a> {
    key: (String, String),
    location: String,
    name: String,
    node: Node<'a>,
}

fn collect_params<'a>(cx: &Diff<'a>, which: Doc, op: &Op<'a>) -> Vec<Param<'a>> {
    let document = cx.doc(which);
    let names = path_names(&op.template);
    let mut out: Vec<Param<'a>> = Vec::new();
    for owner in [&op.item, &op.node] {
        let Some(list) = owner.child(document, "parameters") else {
            continue;
        };
        let count = list.value.as_array().map_or(0, Vec::len);
        for index in 0..count {
            let Some(node) = list.index(document, index) else {
                continue;
            };
            let (Some(location), Some(name)) = (node.str("in"), node.str("name")) else {
                continue;
            };
            let key_name = match location {
                "header" => name.to_ascii_lowercase(),
                "path" => match names.iter().position(|n| *n == name) {
                    Some(position) => format!("#{position}"),
                    None => name.to_owned(),
                },
                _ => name.to_owned(),
            };
            let param = Param {
                key: (location.to_owned(), key_name),
                location: location.to_owned(),
                name: name.to_owned(),
                node,
            };
            // An operation's parameter replaces its path item's of the same key.
            match out.iter_mut().find(|p| p.key == param.key) {
                Some(slot) => *slot = param,
                None => out.push(param),
            }
        }
    }
    out
}

/// Compares the parameters of two versions of an operation (its own and its path item's).
pub(super) fn compare(cx: &mut Diff, group: &str, old: &Op, new: &Op) {
    let old_params = collect_params(cx, Doc::Old, old);
    let new_params = collect_params(cx, Doc::New, new);
    for param in &old_params {
        let place = Place::new(
            group,
            format!("{} parameter {}", param.location, param.name),
        );
        match new_params.iter().find(|p| p.key == param.key) {
            None => cx.push(
                "parameter-removed",
                place.location(""),
                &param.node.pointer,
                true,
                "removed".into(),
            ),
            Some(new_param) => parameter(cx, group, param, new_param),
        }
    }
    for param in &new_params {
        if old_params.iter().any(|p| p.key == param.key) {
            continue;
        }
        let place = Place::new(
            group,
            format!("{} parameter {}", param.location, param.name),
        );
        if param.node.flag("required") {
            cx.push(
                "parameter-added-required",
                place.location(""),
                &param.node.pointer,
                true,
                "added, required".into(),
            );
        } else {
            cx.push(
                "parameter-added",
                place.location(""),
                &param.node.pointer,
                false,
                "added, optional".into(),
            );
        }
    }
}

fn parameter(cx: &mut Diff, group: &str, old: &Param, new: &Param) {
    let place = Place::new(group, format!("{} parameter {}", new.location, new.name));
    let here = place.location("");
    if new.location == "path" && old.name != new.name {
        let detail = format!("renamed {} → {} (the wire is unchanged; the generated setter and the CLI flag are renamed)", old.name, new.name);
        cx.push(
            "path-parameter-renamed",
            here.clone(),
            &new.node.ptr("name"),
            true,
            detail,
        );
    }
    match (old.node.flag("required"), new.node.flag("required")) {
        (false, true) => cx.push(
            "parameter-became-required",
            here.clone(),
            &new.node.ptr("required"),
            true,
            "required: no → yes".into(),
        ),
        (true, false) => cx.push(
            "parameter-became-optional",
            here.clone(),
            &new.node.ptr("required"),
            false,
            "required: yes → no".into(),
        ),
        _ => {}
    }
    if !old.node.flag("deprecated") && new.node.flag("deprecated") {
        cx.push(
            "parameter-deprecated",
            here.clone(),
            &new.node.ptr("deprecated"),
            false,
            "deprecated".into(),
        );
    }
    let (old_style, new_style) = (style(old), style(new));
    if old_style != new_style {
        let detail = format!("serialisation {old_style} → {new_style}");
        cx.push(
            "parameter-style-changed",
            here,
            &new.node.pointer,
            true,
            detail,
        );
    }
    let old_schema = param_schema(cx.doc(Doc::Old), &old.node);
    let new_schema = param_schema(cx.doc(Doc::New), &new.node);
    schema::compare(cx, Side::Request, &place, old_schema, new_schema);
}

/// `style=form, explode=true`, the defaults of the location filled in.
fn style(param: &Param) -> String {
    let default = match param.location.as_str() {
        "query" | "cookie" => "form",
        _ => "simple",
    };
    let style = param.node.str("style").unwrap_or(default);
    let explode = param
        .node
        .value
        .get("explode")
        .and_then(Value::as_bool)
        .unwrap_or(style == "form");
    format!("style={style}, explode={explode}")
}

/// The schema of a parameter or header: `schema`, else that of its one `content` entry.
pub(super) fn param_schema<'a>(document: &'a Value, param: &Node<'a>) -> Option<Node<'a>> {
    if let Some(schema) = param.child(document, "schema") {
        return Some(schema);
    }
    let content = param.child(document, "content")?;
    let media = content.value.as_object()?.keys().next()?;
    content.child(document, media)?.child(document, "schema")
}

/// The path-parameter names of a template, in order.
fn path_names(template: &str) -> Vec<&str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

//! Request bodies and responses: media types, their schemas, response statuses and headers.

use super::context::{Diff, Node, Place, Side};
use super::{parameters, schema};
use serde_json::Value;

/// Compares the request bodies of two versions of an operation.
pub(super) fn request_body(cx: &mut Diff, group: &str, old_op: &Node, new_op: &Node) {
    let old = old_op.child(cx.old, "requestBody");
    let new = new_op.child(cx.new, "requestBody");
    let here = Place::new(group, "request body").location("");
    match (old, new) {
        (Some(o), None) => cx.push(
            "request-body-removed",
            here,
            &o.pointer,
            true,
            "removed".into(),
        ),
        (None, Some(n)) if n.flag("required") => cx.push(
            "request-body-added-required",
            here,
            &n.pointer,
            true,
            "added, required".into(),
        ),
        (None, Some(n)) => cx.push(
            "request-body-added",
            here,
            &n.pointer,
            false,
            "added, optional".into(),
        ),
        (Some(o), Some(n)) => {
            match (o.flag("required"), n.flag("required")) {
                (false, true) => cx.push(
                    "request-body-became-required",
                    here,
                    &n.ptr("required"),
                    true,
                    "required: no → yes".into(),
                ),
                (true, false) => cx.push(
                    "request-body-became-optional",
                    here,
                    &n.ptr("required"),
                    false,
                    "required: yes → no".into(),
                ),
                _ => {}
            }
            content(
                cx,
                Side::Request,
                &Place::new(group, "request body"),
                &o,
                &n,
            );
        }
        (None, None) => {}
    }
}

/// The media types of a request body or response, and the schema of each.
fn content(cx: &mut Diff, side: Side, place: &Place, old: &Node, new: &Node) {
    let old_content = old.child(cx.old, "content");
    let new_content = new.child(cx.new, "content");
    let media_types = super::context::keys(
        old_content.as_ref().map(|n| n.value),
        new_content.as_ref().map(|n| n.value),
    );
    let prefix = side.prefix();
    for media in media_types {
        let item = if media == "application/json" {
            place.item.clone()
        } else {
            format!("{} ({media})", place.item)
        };
        let here = place.with_item(item);
        let old_media = old_content.as_ref().and_then(|c| c.child(cx.old, media));
        let new_media = new_content.as_ref().and_then(|c| c.child(cx.new, media));
        match (old_media, new_media) {
            (Some(o), None) => {
                let detail = format!("media type {media} removed");
                cx.push(
                    &format!("{prefix}-media-type-removed"),
                    here.location(""),
                    &o.pointer,
                    true,
                    detail,
                );
            }
            (None, Some(n)) => {
                let detail = format!("media type {media} added");
                cx.push(
                    &format!("{prefix}-media-type-added"),
                    here.location(""),
                    &n.pointer,
                    false,
                    detail,
                );
            }
            (Some(o), Some(n)) => {
                let old_schema = o.child(cx.old, "schema");
                let new_schema = n.child(cx.new, "schema");
                schema::compare(cx, side, &here, old_schema, new_schema);
            }
            (None, None) => {}
        }
    }
}

/// Compares the responses of two versions of an operation, by status.
pub(super) fn responses(cx: &mut Diff, group: &str, old_op: &Node, new_op: &Node) {
    let old = old_op.child(cx.old, "responses");
    let new = new_op.child(cx.new, "responses");
    let old_map = old.as_ref().map(|n| n.value);
    let new_map = new.as_ref().map(|n| n.value);
    for status in super::context::keys_without_extensions(old_map, new_map) {
        let place = Place::new(group, format!("response {status}"));
        let old_response = old.as_ref().and_then(|n| n.child(cx.old, status));
        let new_response = new.as_ref().and_then(|n| n.child(cx.new, status));
        match (old_response, new_response) {
            (Some(o), None) => cx.push(
                "response-status-removed",
                place.location(""),
                &o.pointer,
                true,
                "removed".into(),
            ),
            (None, Some(n)) => cx.push(
                "response-status-added",
                place.location(""),
                &n.pointer,
                false,
                "added".into(),
            ),
            (Some(o), Some(n)) => {
                content(
                    cx,
                    Side::Response,
                    &place.with_item(format!("response {status} body")),
                    &o,
                    &n,
                );
                headers(cx, &place, &o, &n);
            }
            (None, None) => {}
        }
    }
}

/// The headers of a response, matched by name in any case.
fn headers(cx: &mut Diff, place: &Place, old: &Node, new: &Node) {
    let old_names = header_names(old);
    let new_names = header_names(new);
    let old_headers = old.child(cx.old, "headers");
    let new_headers = new.child(cx.new, "headers");
    let mut keys: Vec<&String> = old_names
        .iter()
        .chain(new_names.iter())
        .map(|(k, _)| k)
        .collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let old_name = old_names
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, n)| n.as_str());
        let new_name = new_names
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, n)| n.as_str());
        let shown = new_name.or(old_name).unwrap_or(key);
        let here = place.with_item(format!("{} header {shown}", place.item));
        let old_header = old_name.and_then(|n| old_headers.as_ref()?.child(cx.old, n));
        let new_header = new_name.and_then(|n| new_headers.as_ref()?.child(cx.new, n));
        match (old_header, new_header) {
            (Some(o), None) => cx.push(
                "response-header-removed",
                here.location(""),
                &o.pointer,
                true,
                "removed".into(),
            ),
            (None, Some(n)) => cx.push(
                "response-header-added",
                here.location(""),
                &n.pointer,
                false,
                "added".into(),
            ),
            (Some(o), Some(n)) => {
                match (o.flag("required"), n.flag("required")) {
                    (true, false) => cx.push(
                        "response-header-became-optional",
                        here.location(""),
                        &n.ptr("required"),
                        true,
                        "required: yes → no".into(),
                    ),
                    (false, true) => cx.push(
                        "response-header-became-required",
                        here.location(""),
                        &n.ptr("required"),
                        false,
                        "required: no → yes".into(),
                    ),
                    _ => {}
                }
                let old_schema = parameters::param_schema(cx.old, &o);
                let new_schema = parameters::param_schema(cx.new, &n);
                schema::compare(cx, Side::Response, &here, old_schema, new_schema);
            }
            (None, None) => {}
        }
    }
}

/// The header names of a response: (lower case, as written).
fn header_names(response: &Node) -> Vec<(String, String)> {
    response
        .value
        .get("headers")
        .and_then(Value::as_object)
        .map(|map| {
            map.keys()
                .map(|k| (k.to_ascii_lowercase(), k.clone()))
                .collect()
        })
        .unwrap_or_default()
}

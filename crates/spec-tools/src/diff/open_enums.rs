//! The root `x-open-enums` list: response enums whose generated types keep unknown values.

use super::context::Diff;
use serde_json::Value;

/// Compares the root `x-open-enums` lists: an enum that stops being open is breaking.
pub(super) fn compare(cx: &mut Diff) {
    let (old, new) = (list(cx.old), list(cx.new));
    for name in old.iter().filter(|n| !new.contains(n)) {
        if cx
            .new
            .pointer(&format!("/components/schemas/{name}"))
            .is_some()
        {
            let detail = "no longer in x-open-enums: an unknown value now fails to decode".into();
            cx.push(
                "enum-closed",
                format!("components: schema {name}"),
                "/x-open-enums",
                true,
                detail,
            );
        }
    }
    for name in new.iter().filter(|n| !old.contains(n)) {
        let detail = "added to x-open-enums: unknown values are kept".into();
        cx.push(
            "enum-opened",
            format!("components: schema {name}"),
            "/x-open-enums",
            false,
            detail,
        );
    }
}

/// The schema names listed in the root `x-open-enums`.
pub(super) fn list(document: &Value) -> Vec<&str> {
    document
        .get("x-open-enums")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

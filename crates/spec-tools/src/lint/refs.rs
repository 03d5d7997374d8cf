//! `$ref`: where a reference points, whether it resolves, and whether it points at the right
//! kind of object.

use super::Report;
use serde_json::Value;

/// The longest chain of references followed (`A` → `B` → ...), so cycles end.
const MAX_HOPS: usize = 32;

/// The JSON pointer a local reference names (`#/components/schemas/A` → `/components/schemas/A`),
/// percent-decoded; none for a reference to another document.
pub(super) fn local_pointer(reference: &str) -> Option<String> {
    let fragment = reference.strip_prefix('#')?;
    Some(
        percent_encoding::percent_decode_str(fragment)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// Follows `value`'s `$ref`s (if any) to the object they name: the object and its pointer
/// (`pointer` itself when `value` is not a reference). None when a reference does not resolve
/// or the chain does not end.
pub(super) fn follow<'a>(
    document: &'a Value,
    value: &'a Value,
    pointer: &str,
) -> Option<(&'a Value, String)> {
    let mut current = value;
    let mut at = pointer.to_owned();
    for _ in 0..MAX_HOPS {
        let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
            return Some((current, at));
        };
        at = local_pointer(reference)?;
        current = document.pointer(&at)?;
    }
    None
}

/// The components section whose entries are of the standard's definition `name`, if any.
fn section(name: &str) -> Option<&'static str> {
    Some(match name {
        "Schema" => "schemas",
        "Response" => "responses",
        "Parameter" => "parameters",
        "Example" => "examples",
        "RequestBody" => "requestBodies",
        "Header" => "headers",
        "SecurityScheme" => "securitySchemes",
        "Link" => "links",
        "Callback" => "callbacks",
        _ => return None,
    })
}

/// Checks the reference object `map` at `pointer`, where an object of the standard's
/// definition `expected` (`Schema`, `Parameter`, ...) belongs, when it is known.
pub(super) fn check(
    document: &Value,
    map: &serde_json::Map<String, Value>,
    expected: Option<&str>,
    pointer: &str,
    report: &mut Report,
) {
    let here = super::child(pointer, "$ref");
    for key in map.keys().filter(|k| *k != "$ref") {
        report.add(
            &super::child(pointer, key),
            "ref-siblings",
            format!(
                "{key:?} beside a $ref is ignored in OpenAPI 3.0 (move it into the target, \
                 or wrap the $ref in allOf)"
            ),
        );
    }
    let Some(reference) = map.get("$ref") else {
        return;
    };
    let Some(reference) = reference.as_str() else {
        return; // the standard says so (wrong-type)
    };
    let Some(target) = local_pointer(reference) else {
        report.add(
            &here,
            "unresolved-ref",
            format!("{reference:?} is not a local reference (#/...); only one file is read"),
        );
        return;
    };
    if document.pointer(&target).is_none() {
        report.add(
            &here,
            "unresolved-ref",
            format!("{reference:?} names nothing in this document"),
        );
        return;
    }
    if follow(
        document,
        document.pointer(&target).unwrap_or(&Value::Null),
        &target,
    )
    .is_none()
    {
        report.add(
            &here,
            "unresolved-ref",
            format!("{reference:?} starts a chain of references that does not end"),
        );
        return;
    }
    let Some(expected) = expected else {
        return;
    };
    if let (Some(section), Some(rest)) = (section(expected), target.strip_prefix("/components/")) {
        let actual = rest.split('/').next().unwrap_or("");
        let names_entry = rest.split('/').count() == 2;
        if actual != section && names_entry {
            report.add(
                &here,
                "ref-wrong-kind",
                format!(
                    "{} belongs here, but {reference:?} is in components/{actual}",
                    super::words::a(expected)
                ),
            );
        }
    }
}

//! The diff's changes as findings of the common report ([`crate::report`]): a severity per
//! change, the line of its pointer, the spec's `x-lint-ignore`.

use super::Change;
use crate::report::{spec_ignores, Finding, Report, Severity};
use serde_json::Value;
use threatbind_model::Locator;

/// The kinds that change no behaviour (descriptions, summaries, notes), by the end of their
/// name (`operation-summary-changed`, `server-variable-description-changed`): reported with
/// severity [`Severity::Info`] unless they are breaking.
pub const INFO_KINDS: &[&str] = &["description-changed", "summary-changed", "notes-changed"];

/// The severity of a change: breaking, information (see [`INFO_KINDS`]) or non-breaking.
///
/// ```
/// use threatbind_spec_tools::diff::{severity, Change};
/// use threatbind_spec_tools::report::Severity;
/// let mut change = Change {
///     kind: "request-maximum-lowered".into(),
///     location: "GET /a (getA): query parameter size".into(),
///     pointer: "/paths/~1a/get/parameters/0/schema/maximum".into(),
///     breaking: true,
///     detail: "maximum 500 → 100".into(),
/// };
/// assert_eq!(severity(&change), Severity::Breaking);
/// change.breaking = false;
/// assert_eq!(severity(&change), Severity::NonBreaking);
/// change.kind = "server-variable-description-changed".into();
/// assert_eq!(severity(&change), Severity::Info);
/// ```
pub fn severity(change: &Change) -> Severity {
    if change.breaking {
        Severity::Breaking
    } else if INFO_KINDS.iter().any(|end| change.kind.ends_with(end)) {
        Severity::Info
    } else {
        Severity::NonBreaking
    }
}

/// One version of a spec, as the report of a diff needs it.
#[derive(Clone, Copy, Debug)]
pub struct Version<'a> {
    /// Its name, as shown (a path, `<stdin>`, `REV:path`).
    pub file: &'a str,
    /// Its text (lines are counted in it).
    pub text: &'a str,
    /// The parsed document ([`super::load`]).
    pub document: &'a Value,
}

/// Whether a change's pointer is in the old spec: a removal (or a drop) whose pointer the old
/// spec has, or any pointer only the old spec has.
fn in_old(change: &Change, old: &Value, new: &Value) -> bool {
    let removal = change.kind.contains("removed") || change.kind.contains("dropped");
    let (in_old, in_new) = (
        old.pointer(&change.pointer).is_some(),
        new.pointer(&change.pointer).is_some(),
    );
    in_old && (removal || !in_new)
}

/// The operation of a diff location `GET /path (operationId): item`: its operationId, else
/// `GET /path`; `None` for `servers`, `security`, ...
fn operation(location: &str) -> Option<&str> {
    let group = location.split_once(": ").map_or(location, |(g, _)| g);
    let method = group.split(' ').next()?;
    let methods = [
        "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE",
    ];
    if !methods.contains(&method) {
        return None;
    }
    match group.strip_suffix(')').and_then(|g| g.rsplit_once(" (")) {
        Some((_, id)) if !id.is_empty() => Some(id),
        _ => Some(group),
    }
}

/// Adds `changes` (from `old` to `new`) to `report`: each at the line of its pointer in the
/// new spec, or in the old one for what was removed (then named by the old spec's file), with
/// its [`severity`]. A change is set aside when the new spec's `x-lint-ignore` at its pointer
/// or above lists its kind (for a removal, the old spec's too).
///
/// ```
/// use threatbind_spec_tools::diff::{changes_into, diff, load, Version};
/// use threatbind_spec_tools::report::{Report, Tool};
/// let old_text = "openapi: 3.0.3\npaths:\n  /a:\n    get: {operationId: getA}\n  /b:\n    get: {operationId: getB}\n";
/// let new_text = "openapi: 3.0.3\npaths:\n  /b:\n    get: {operationId: getB}\n  /c:\n    get: {operationId: getC}\n";
/// let (old, new) = (load("old.yaml", old_text).unwrap(), load("new.yaml", new_text).unwrap());
/// let mut report = Report::new(Tool::Diff);
/// changes_into(
///     &mut report,
///     &diff(&old, &new),
///     Version { file: "old.yaml", text: old_text, document: &old },
///     Version { file: "new.yaml", text: new_text, document: &new },
/// );
/// let places: Vec<String> = report.findings().iter().map(|f| format!("{} {}", f.id, f.place())).collect();
/// assert_eq!(places, ["operation-removed old.yaml:4", "operation-added new.yaml:6"]);
/// ```
pub fn changes_into(report: &mut Report, changes: &[Change], old: Version, new: Version) {
    report.file(old.file);
    report.file(new.file);
    let (old_lines, new_lines) = (Locator::new(old.text), Locator::new(new.text));
    for change in changes {
        let from_old = in_old(change, old.document, new.document);
        let (version, lines) = if from_old {
            (old, &old_lines)
        } else {
            (new, &new_lines)
        };
        let finding = Finding::new(
            &change.kind,
            severity(change),
            version.file,
            &change.pointer,
        )
        .line(lines.line(&change.pointer))
        .operation(operation(&change.location))
        .location(Some(&change.location))
        .message(change.detail.clone());
        let spec = if from_old && !spec_ignores(new.document, &change.pointer, &change.kind) {
            old.document
        } else {
            new.document
        };
        report.add(finding, Some(spec));
    }
}

#[cfg(test)]
mod tests {
    use super::operation;

    #[test]
    fn the_operation_of_a_location() {
        assert_eq!(
            operation("GET /events/{id} (getEvent): query parameter size"),
            Some("getEvent")
        );
        assert_eq!(operation("DELETE /a"), Some("DELETE /a"));
        assert_eq!(operation("servers: https://a"), None);
        assert_eq!(operation("security"), None);
    }
}

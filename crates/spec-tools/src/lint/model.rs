//! The project's extensions as the library reads them: every problem of the typed model
//! (`threatbind-model`, which the library's build stops on) is a finding, under the
//! `x-<extension>-malformed` rule of the extension when the catalogue has one, else `x-model`.
//! The shapes are checked there, once; the other checks of this linter go beyond them (paths
//! that must lead into the request or the answer, names the CLI takes, schemas that exist).

use super::{Found, Report};
use serde_json::Value;

/// The rule of each extension whose shape has a rule of its own.
const RULES: &[(&str, &str)] = &[
    ("x-rules", "x-rules-malformed"),
    ("x-rate-limit", "x-rate-limit-malformed"),
    ("x-open-enums", "x-open-enums-malformed"),
    ("x-pagination", "x-pagination-malformed"),
    ("x-assumed", "x-assumed-malformed"),
    ("x-notes", "x-notes-malformed"),
    ("x-env", "x-env-malformed"),
    ("x-oauth-env", "x-env-malformed"),
    ("x-cli", "x-cli-malformed"),
    ("x-unstable", "x-flag-malformed"),
    ("x-handwritten", "x-flag-malformed"),
];

/// The rule of a problem at `pointer`: that of the innermost extension it is in.
fn rule_of(pointer: &str) -> &'static str {
    let extension = pointer
        .rsplit('/')
        .find(|segment| segment.starts_with("x-"))
        .unwrap_or("");
    RULES
        .iter()
        .find(|(key, _)| *key == extension)
        .map_or("x-model", |(_, rule)| rule)
}

/// The model's problems of `document` (parsed from `text`), as findings.
pub(crate) fn check(file: &str, text: &str, document: &Value, report: &mut Report) {
    let Err(problems) = threatbind_model::read_document(file, text, document) else {
        return;
    };
    for problem in problems.problems {
        report.0.push(Found {
            rule: rule_of(&problem.pointer),
            path: problem.pointer,
            message: problem.message,
            line: problem.line,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::rule_of;

    #[test]
    fn a_problem_takes_the_rule_of_its_innermost_extension() {
        assert_eq!(
            rule_of("/paths/~1a/get/x-rules/0/kind"),
            "x-rules-malformed"
        );
        assert_eq!(rule_of("/x-error-codes/x-assumed"), "x-assumed-malformed");
        assert_eq!(rule_of("/paths/~1a/get/x-notes"), "x-notes-malformed");
        assert_eq!(rule_of("/x-error-codes/100"), "x-model");
        assert_eq!(rule_of("/paths/~1a/get/x-mock/echo/0"), "x-model");
    }
}

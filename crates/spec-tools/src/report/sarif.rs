//! SARIF 2.1.0: one run, its driver's rules (the catalogue and every id met), a result per
//! finding, and the ignored findings as suppressed results (code scanning shows them as
//! dismissed).

use super::{Finding, IgnoredBy, Level, Report};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Value};

/// What a path keeps as is in a relative URI reference: unreserved characters and `/`.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

fn level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "note",
    }
}

fn result(finding: &Finding, rules: &[super::Rule], suppressed: Option<IgnoredBy>) -> Value {
    let index = rules.iter().position(|r| r.id == finding.id);
    let mut physical = json!({
        "artifactLocation": {"uri": utf8_percent_encode(&finding.file, PATH).to_string()}
    });
    if let Some(line) = finding.line.filter(|l| *l > 0) {
        physical["region"] = json!({"startLine": line});
    }
    let mut location = json!({"physicalLocation": physical});
    if !finding.pointer.is_empty() {
        location["logicalLocations"] =
            json!([{"fullyQualifiedName": finding.pointer, "kind": "object"}]);
    }
    let mut out = json!({
        "ruleId": finding.id,
        "level": level(finding.severity.level()),
        "message": {"text": format!("{}: {}", finding.subject(), finding.message)},
        "locations": [location],
        "properties": {"severity": finding.severity.as_str()},
    });
    if let Some(index) = index {
        out["ruleIndex"] = json!(index);
    }
    if let Some(operation) = &finding.operation {
        out["properties"]["operation"] = json!(operation);
    }
    if let Some(by) = suppressed {
        let (kind, justification) = match by {
            IgnoredBy::CommandLine => ("external", "--ignore on the command line"),
            IgnoredBy::Spec => ("inSource", "x-lint-ignore in the spec"),
        };
        out["suppressions"] = json!([{"kind": kind, "justification": justification}]);
    }
    out
}

pub(super) fn render(report: &Report) -> String {
    let rules = report.rules();
    let rule_values: Vec<Value> = rules
        .iter()
        .map(|r| {
            let mut rule = json!({
                "id": r.id,
                "defaultConfiguration": {"level": level(r.severity.level())},
                "properties": {"severity": r.severity.as_str()},
            });
            if !r.description.is_empty() {
                rule["shortDescription"] = json!({"text": r.description});
            }
            rule
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, &rules, None))
        .chain(
            report
                .ignored
                .iter()
                .map(|(f, by)| result(f, &rules, Some(*by))),
        )
        .collect();
    let summary = super::write::summary_json(report);
    let document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "threatbind",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rule_values,
            }},
            "automationDetails": {"id": format!("threatbind {}/", report.tool.command())},
            "results": results,
            "properties": {"summary": summary},
        }],
    });
    let mut out = serde_json::to_string_pretty(&document)
        .unwrap_or_else(|e| json!({ "error": e.to_string() }).to_string());
    out.push('\n');
    out
}

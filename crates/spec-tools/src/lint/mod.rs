//! The spec linter: checks an OpenAPI 3.0.3 spec against the standard (the OpenAPI
//! Initiative's JSON Schema of OAS 3.0, embedded, and what the specification states in prose),
//! then the project's own conventions and extensions (`x-rules`, `x-pagination`, ...), and
//! reports every defect with the line it sits on.
//!
//! ```
//! use threatbind_spec_tools::lint::lint;
//! let text = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\nbogus: 1\n";
//! let findings = lint("t.yaml", text);
//! assert_eq!(findings[0].rule, "unknown-key");
//! assert_eq!(findings[0].line, Some(4));
//! ```

mod catalog;
mod examples;
mod extensions;
mod model;
mod parameters;
mod project;
mod prose;
mod refs;
mod schema_rules;
mod standard;
mod words;
mod x_rules;

use serde::Serialize;
use serde_json::Value;

pub use catalog::{catalogue, severity, RULES, WARNINGS};
pub use threatbind_model::Locator;

/// How deep any walk of a document goes: YAML parsers stop at 128 levels, and nothing in a
/// spec nests deeper; walks stop here rather than follow a pathological document.
pub(crate) const MAX_DEPTH: usize = 160;

/// One defect of a spec: where it is, which rule it breaks, and what is wrong.
///
/// ```
/// use threatbind_spec_tools::lint::Finding;
/// let f = Finding {
///     file: "specs/x.yaml".into(),
///     line: Some(12),
///     path: "/paths/~1things/get".into(),
///     rule: "missing-summary".into(),
///     message: "the operation has no summary".into(),
/// };
/// assert_eq!(
///     f.to_string(),
///     "specs/x.yaml:12: /paths/~1things/get: missing-summary: the operation has no summary"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// The file, as the caller named it.
    pub file: String,
    /// The line (1-based) of the key the finding is about, when it could be found.
    pub line: Option<usize>,
    /// The JSON pointer of the value, e.g. `/paths/~1cti~1v2~1events/get/responses`
    /// (`""` is the whole document).
    pub path: String,
    /// The stable id of the rule (one of [`RULES`]), e.g. `unknown-key`.
    pub rule: String,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(
            f,
            ": {}: {}: {}",
            shown_path(&self.path),
            self.rule,
            self.message
        )
    }
}

/// One statement a spec infers rather than reads in the vendor's documentation: an
/// `x-assumed: "<why>"` on any object of the spec.
///
/// ```
/// use threatbind_spec_tools::lint::Assumption;
/// let a = Assumption {
///     file: "specs/x.yaml".into(),
///     line: Some(7),
///     path: "/components/schemas/Thing".into(),
///     why: "not on the page".into(),
/// };
/// assert_eq!(a.to_string(), "specs/x.yaml:7: /components/schemas/Thing: not on the page");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Assumption {
    /// The file, as the caller named it.
    pub file: String,
    /// The line (1-based) of the `x-assumed` key, when it could be found.
    pub line: Option<usize>,
    /// The JSON pointer of the object that carries the `x-assumed`.
    pub path: String,
    /// The reason given.
    pub why: String,
}

impl std::fmt::Display for Assumption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}: {}", shown_path(&self.path), self.why)
    }
}

fn shown_path(path: &str) -> &str {
    if path.is_empty() {
        "(root)"
    } else {
        path
    }
}

/// A finding before its file is known; its line, unless given, comes from the locator.
#[derive(Debug)]
pub(crate) struct Found {
    pub path: String,
    pub rule: &'static str,
    pub message: String,
    pub line: Option<usize>,
}

/// Where the checks put what they find.
#[derive(Debug, Default)]
pub(crate) struct Report(pub Vec<Found>);

impl Report {
    pub(crate) fn add(&mut self, path: &str, rule: &'static str, message: impl Into<String>) {
        self.0.push(Found {
            path: path.to_owned(),
            rule,
            message: message.into(),
            line: None,
        });
    }
}

pub(crate) use threatbind::spec::pointer_child as child;

/// The parsed document, or the finding that says why there is none.
fn parse(text: &str) -> Result<Value, Found> {
    let parse_error = |line: Option<usize>, message: String| Found {
        path: String::new(),
        rule: "parse-error",
        message,
        line,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.trim_start().chars().next();
    if matches!(first, Some('{' | '[')) {
        let json = match serde_json::from_str::<Value>(text) {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        // Flow-style YAML starts with a brace too: give it its chance before failing.
        return serde_yaml_ng::from_str::<Value>(text).map_err(|_| {
            let line = (json.line() > 0).then_some(json.line());
            parse_error(line, format!("not valid JSON: {json}"))
        });
    }
    serde_yaml_ng::from_str::<Value>(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        parse_error(line, format!("not valid YAML: {e}"))
    })
}

fn finish(file: &str, locator: Option<&Locator>, found: Found) -> Finding {
    let line = found
        .line
        .or_else(|| locator.and_then(|l| l.line(&found.path)));
    Finding {
        file: file.to_owned(),
        line,
        path: found.path,
        rule: found.rule.to_owned(),
        message: found.message,
    }
}

/// Every defect of the spec `text` (YAML or JSON), named `file` in the findings, sorted by
/// line. A spec that does not parse gives one `parse-error` finding, at the parser's line.
///
/// ```
/// use threatbind_spec_tools::lint::lint;
/// let bad = "openapi: 3.0.3\ninfo:\n  title: T\npaths: {}\n";
/// let findings = lint("bad.yaml", bad);
/// assert_eq!(findings.len(), 1);
/// assert_eq!(findings[0].rule, "missing-field");
/// assert_eq!(findings[0].line, Some(2));
/// assert!(findings[0].message.contains("version"));
/// ```
pub fn lint(file: &str, text: &str) -> Vec<Finding> {
    let document = match parse(text) {
        Ok(d) => d,
        Err(found) => return vec![finish(file, None, found)],
    };
    let locator = Locator::new(text);
    let mut report = Report::default();
    for (pointer, line) in locator.duplicates() {
        report.0.push(Found {
            path: pointer.clone(),
            rule: "duplicate-key",
            message: format!(
                "{:?} appears twice in this mapping; the parser keeps only the last",
                last_segment(pointer)
            ),
            line: Some(*line),
        });
    }
    if document.is_object() {
        check(&document, &mut report);
        model::check(file, text, &document, &mut report);
    } else {
        report.add(
            "",
            "wrong-type",
            "the document must be a mapping (an OpenAPI object)",
        );
    }
    let mut findings: Vec<Finding> = report
        .0
        .into_iter()
        .map(|f| finish(file, Some(&locator), f))
        .collect();
    findings.sort_by(|a, b| {
        (a.line.unwrap_or(0), &a.path, &a.rule, &a.message).cmp(&(
            b.line.unwrap_or(0),
            &b.path,
            &b.rule,
            &b.message,
        ))
    });
    findings.dedup();
    findings
}

/// The HTTP methods a Path Item may hold.
pub(crate) const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Every check, in order, on a parsed document: the structure from the standard's JSON Schema
/// (which also says where the schemas, parameters and references are), then what OpenAPI
/// states in prose, then the project's own checks.
fn check(document: &Value, report: &mut Report) {
    let sites = standard::check(document, report);
    standard::check_refs(document, &sites, report);
    prose::check(document, &sites, report);
    parameters::check(document, report);
    project::check(document, report);
    extensions::check(document, &sites, report);
    x_rules::check(document, report);
    examples::check(document, &sites, report);
}

/// The last segment of a JSON pointer, unescaped.
pub(crate) fn last_segment(pointer: &str) -> String {
    threatbind_model::pointer_key(pointer.rsplit('/').next().unwrap_or(""))
}

/// Every `x-assumed` of the spec `text` (YAML or JSON), sorted by line; none when the text does
/// not parse (`lint` says why).
///
/// ```
/// use threatbind_spec_tools::lint::assumptions;
/// let text = "openapi: 3.0.3\ncomponents:\n  schemas:\n    A:\n      type: string\n      x-assumed: not on the page\n";
/// let found = assumptions("t.yaml", text);
/// assert_eq!(found[0].path, "/components/schemas/A");
/// assert_eq!(found[0].line, Some(6));
/// assert_eq!(found[0].why, "not on the page");
/// ```
pub fn assumptions(file: &str, text: &str) -> Vec<Assumption> {
    let Ok(document) = parse(text) else {
        return Vec::new();
    };
    let locator = Locator::new(text);
    let mut out = Vec::new();
    collect_assumed(&document, "", 0, &mut |pointer, why| {
        out.push(Assumption {
            file: file.to_owned(),
            line: locator.line(&child(pointer, "x-assumed")),
            path: pointer.to_owned(),
            why: why.to_owned(),
        });
    });
    out.sort_by(|a, b| (a.line.unwrap_or(0), &a.path).cmp(&(b.line.unwrap_or(0), &b.path)));
    out
}

/// Calls `found(pointer of the object, why)` for every string `x-assumed` in `value`.
pub(crate) fn collect_assumed(
    value: &Value,
    pointer: &str,
    depth: usize,
    found: &mut dyn FnMut(&str, &str),
) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            if let Some(Value::String(why)) = map.get("x-assumed") {
                found(pointer, why);
            }
            for (k, v) in map {
                collect_assumed(v, &child(pointer, k), depth + 1, found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_assumed(v, &child(pointer, &i.to_string()), depth + 1, found);
            }
        }
        _ => {}
    }
}

impl From<&Finding> for crate::report::Finding {
    /// The finding in the common report, with its rule's severity.
    fn from(f: &Finding) -> Self {
        crate::report::Finding::new(&f.rule, severity(&f.rule), &f.file, &f.path)
            .line(f.line)
            .message(f.message.clone())
    }
}

impl From<&Assumption> for crate::report::Finding {
    /// The assumption in the common report: id `x-assumed`, severity info, the reason as the
    /// message.
    fn from(a: &Assumption) -> Self {
        crate::report::Finding::new("x-assumed", crate::report::Severity::Info, &a.file, &a.path)
            .line(a.line)
            .message(a.why.clone())
    }
}

/// The spec `text` as a JSON value, or `None` when it does not parse (`lint` says why).
///
/// ```
/// let doc = threatbind_spec_tools::lint::document("a: [1]\n").unwrap();
/// assert_eq!(doc["a"][0], 1);
/// assert!(threatbind_spec_tools::lint::document("a: [").is_none());
/// ```
pub fn document(text: &str) -> Option<Value> {
    parse(text).ok()
}

/// Lints `text` (named `file`) into `report`, honouring the spec's `x-lint-ignore`.
///
/// ```
/// use threatbind_spec_tools::report::{Report, Tool};
/// let text = "openapi: 3.0.3\ninfo: {title: T, version: '1', x-lint-ignore: [unknown-key], bogus: 1}\npaths: {}\n";
/// let mut report = Report::new(Tool::Lint);
/// threatbind_spec_tools::lint::lint_into(&mut report, "t.yaml", text);
/// assert!(report.findings().is_empty());
/// assert_eq!(report.summary().ignored, 1);
/// ```
pub fn lint_into(report: &mut crate::report::Report, file: &str, text: &str) {
    report.file(file);
    let spec = document(text);
    for f in lint(file, text) {
        report.add((&f).into(), spec.as_ref());
    }
}

/// Lists the `x-assumed` of `text` (named `file`) into `report`; with `before` (the text of an
/// earlier version of the spec), only those it lacks: an inference is new when no object at
/// the same pointer gave the same reason before.
///
/// ```
/// use threatbind_spec_tools::report::{Report, Tool};
/// let old = "components:\n  schemas:\n    A: {type: string, x-assumed: no unit}\n";
/// let new = "components:\n  schemas:\n    A: {type: string, x-assumed: no unit}\n    B: {type: string, x-assumed: no page}\n";
/// let mut report = Report::new(Tool::Assumed);
/// threatbind_spec_tools::lint::assumed_into(&mut report, "t.yaml", new, Some(old));
/// assert_eq!(report.findings().len(), 1);
/// assert_eq!(report.findings()[0].pointer, "/components/schemas/B");
/// assert_eq!(report.findings()[0].line, Some(4));
/// ```
pub fn assumed_into(
    report: &mut crate::report::Report,
    file: &str,
    text: &str,
    before: Option<&str>,
) {
    report.file(file);
    let known: Vec<(String, String)> = before
        .map(|old| {
            assumptions(file, old)
                .into_iter()
                .map(|a| (a.path, a.why))
                .collect()
        })
        .unwrap_or_default();
    for a in assumptions(file, text) {
        if !known.iter().any(|(p, w)| *p == a.path && *w == a.why) {
            report.add((&a).into(), None);
        }
    }
}

//! One report for every spec tool (`lint`, `diff`, `check`, the `x-assumed` listing), and the
//! writers of every output format CI systems read: `text`, `json`, `jsonl`, `markdown`,
//! `github`, `junit` and `sarif` (see [`Format`]).
//!
//! # Building a report
//!
//! A tool makes one [`Report`] per run, says which files it looked at ([`Report::file`]), and
//! adds a [`Finding`] per thing it found ([`Report::add`]). A finding names its stable rule id
//! (a lint rule of [`crate::lint::RULES`], a diff kind, a check rule), its [`Severity`], the file
//! and line (1-based, `None` when unknown), the JSON pointer of the spec object (or of the
//! checked document) it is about, the operation when there is one, and a one-sentence message.
//! Findings the user chose to live with are set aside, not lost: [`Report::ignoring`] takes the
//! ids given with `--ignore`, and [`Report::add`] with the spec's document honours its
//! `x-lint-ignore` (see [`spec_ignores`]); both are counted in every format's summary.
//! [`Report::fails`] applies a `--fail-on` threshold ([`FailOn`]) and [`Report::render`]
//! writes a format.
//!
//! ```
//! use threatbind_spec_tools::report::{FailOn, Finding, Format, Report, Severity, Tool};
//! let spec = serde_json::json!({"paths": {"/a": {"get": {"x-lint-ignore": ["missing-summary"]}}}});
//! let mut report = Report::new(Tool::Check).ignoring(["undocumented-operation"]);
//! report.file("capture.har");
//! report.add(
//!     Finding::new("schema-violation", Severity::Error, "capture.har", "/log/entries/3/response")
//!         .line(Some(120))
//!         .operation(Some("listThings"))
//!         .message("body/0/id: 12 is not of type \"string\""),
//!     None,
//! );
//! report.add(Finding::new("undocumented-operation", Severity::Warning, "capture.har", "/log/entries/4"), None);
//! // Accepted in the spec: x-lint-ignore on the operation covers everything beneath it.
//! report.add(Finding::new("missing-summary", Severity::Warning, "s.yaml", "/paths/~1a/get"), Some(&spec));
//! assert_eq!(report.findings().len(), 1);
//! assert_eq!(report.summary().ignored, 2);
//! assert!(report.fails(FailOn::Error));
//! assert_eq!(
//!     report.render(Format::Jsonl),
//!     concat!(
//!         r#"{"id":"schema-violation","severity":"error","file":"capture.har","line":120,"#,
//!         r#""pointer":"/log/entries/3/response","operation":"listThings","location":null,"#,
//!         r#""message":"body/0/id: 12 is not of type \"string\""}"#,
//!         "\n"
//!     )
//! );
//! ```

mod junit;
mod sarif;
mod write;

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// How serious a finding is. Lint and check use `error`, `warning` and `info`; the diff uses
/// `breaking`, `non-breaking` and `info` (a change that alters no behaviour).
///
/// ```
/// use threatbind_spec_tools::report::Severity;
/// assert_eq!(Severity::NonBreaking.as_str(), "non-breaking");
/// assert_eq!(serde_json::to_string(&Severity::Breaking).unwrap(), "\"breaking\"");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// A defect that must be mended (lint, check).
    Error,
    /// A defect that should be mended (lint, check).
    Warning,
    /// Worth knowing; nothing to mend.
    Info,
    /// A change that breaks the users of a client generated from the old spec (diff).
    Breaking,
    /// A change that breaks no user (diff).
    NonBreaking,
}

impl Severity {
    /// The name used in every format: `error`, `warning`, `info`, `breaking`, `non-breaking`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Breaking => "breaking",
            Severity::NonBreaking => "non-breaking",
        }
    }

    /// The level of GitHub's workflow commands and of SARIF: `error`, `warning` or
    /// `note` (GitHub's `notice`).
    fn level(self) -> Level {
        match self {
            Severity::Error | Severity::Breaking => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Info | Severity::NonBreaking => Level::Note,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Error,
    Warning,
    Note,
}

/// The `--fail-on` threshold: which findings make the run fail (exit 1).
///
/// Lint and check take `error`, `warning` (the default: any error or warning fails) or
/// `never`; the diff takes `breaking` (the default), `any` (any change, information included)
/// or `never`. Ignored findings never fail a run.
///
/// ```
/// use threatbind_spec_tools::report::{FailOn, Severity};
/// assert!(FailOn::Warning.fails(Severity::Warning));
/// assert!(!FailOn::Error.fails(Severity::Warning));
/// assert!(!FailOn::Breaking.fails(Severity::NonBreaking));
/// assert!(FailOn::Any.fails(Severity::Info));
/// assert_eq!("breaking".parse::<FailOn>(), Ok(FailOn::Breaking));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    /// Errors (and breaking changes) fail.
    Error,
    /// Errors and warnings (and breaking changes) fail.
    Warning,
    /// Breaking changes (and errors) fail.
    Breaking,
    /// Any finding fails.
    Any,
    /// Nothing fails.
    Never,
}

impl FailOn {
    /// The values lint and check accept.
    pub const LINT: [&'static str; 3] = ["error", "warning", "never"];
    /// The values the diff accepts.
    pub const DIFF: [&'static str; 3] = ["breaking", "any", "never"];

    /// Whether a finding of this severity fails the run.
    pub fn fails(self, severity: Severity) -> bool {
        let level = severity.level();
        match self {
            FailOn::Error | FailOn::Breaking => level == Level::Error,
            FailOn::Warning => level != Level::Note,
            FailOn::Any => true,
            FailOn::Never => false,
        }
    }
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "error" => FailOn::Error,
            "warning" => FailOn::Warning,
            "breaking" => FailOn::Breaking,
            "any" => FailOn::Any,
            "never" => FailOn::Never,
            other => {
                return Err(format!(
                    "--fail-on {other:?}: expected error, warning, breaking, any or never"
                ))
            }
        })
    }
}

/// An output format of the spec tools.
///
/// ```
/// use threatbind_spec_tools::report::Format;
/// assert_eq!("sarif".parse::<Format>(), Ok(Format::Sarif));
/// assert_eq!(Format::NAMES.len(), 7);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// For people: the tool's own lines (lint: `FILE:LINE: POINTER: RULE: MESSAGE`; diff: a
    /// report grouped by operation, then a summary line).
    Text,
    /// One JSON document: `{"tool", "findings": [...], "summary": {...}}`; `findings` is an
    /// empty list when nothing is found.
    Json,
    /// One JSON object per finding and line (nothing when nothing is found).
    Jsonl,
    /// A pull-request comment: a heading with the counts, then a table.
    Markdown,
    /// GitHub Actions workflow commands: `::error file=F,line=N,title=ID::MESSAGE`.
    Github,
    /// A JUnit XML test report: a test suite per file, a test case per rule.
    Junit,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

impl Format {
    /// Every format's name, as `--format` takes it.
    pub const NAMES: [&'static str; 7] = [
        "text", "json", "jsonl", "markdown", "github", "junit", "sarif",
    ];
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "text" => Format::Text,
            "json" => Format::Json,
            "jsonl" => Format::Jsonl,
            "markdown" => Format::Markdown,
            "github" => Format::Github,
            "junit" => Format::Junit,
            "sarif" => Format::Sarif,
            other => {
                return Err(format!(
                    "--format {other:?}: expected one of {}",
                    Format::NAMES.join(", ")
                ))
            }
        })
    }
}

/// The tool a report comes from: it names the report and shapes its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// `threatbind spec lint`.
    Lint,
    /// `threatbind spec lint --assumed`: every `x-assumed` (severity `info`, id `x-assumed`).
    Assumed,
    /// `threatbind spec diff`.
    Diff,
    /// `threatbind spec check`.
    Check,
}

impl Tool {
    /// The command, e.g. `spec lint`.
    pub fn command(self) -> &'static str {
        match self {
            Tool::Lint => "spec lint",
            Tool::Assumed => "spec lint --assumed",
            Tool::Diff => "spec diff",
            Tool::Check => "spec check",
        }
    }

    /// The severities this tool reports, most serious first.
    pub fn severities(self) -> &'static [Severity] {
        match self {
            Tool::Diff => &[Severity::Breaking, Severity::NonBreaking, Severity::Info],
            _ => &[Severity::Error, Severity::Warning, Severity::Info],
        }
    }

    /// The default `--fail-on`: what exits 1 when no threshold is given.
    pub fn default_fail_on(self) -> FailOn {
        match self {
            Tool::Lint | Tool::Check => FailOn::Warning,
            Tool::Diff => FailOn::Breaking,
            Tool::Assumed => FailOn::Never,
        }
    }

    /// The singular and plural nouns of a finding, e.g. `change`/`changes`.
    fn nouns(self) -> (&'static str, &'static str) {
        match self {
            Tool::Diff => ("change", "changes"),
            Tool::Assumed => ("assumption", "assumptions"),
            _ => ("finding", "findings"),
        }
    }
}

/// A rule of a tool's catalogue: its id, its severity, and what it checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The stable id, e.g. `unknown-key`.
    pub id: String,
    /// The severity of its findings.
    pub severity: Severity,
    /// What it checks, in one sentence.
    pub description: String,
}

/// One thing a tool found: which rule, how serious, where, and what.
///
/// ```
/// use threatbind_spec_tools::report::{Finding, Severity};
/// let f = Finding::new("unknown-key", Severity::Error, "specs/x.yaml", "/info/colour")
///     .line(Some(4))
///     .message("\"colour\" is not a field of the info object");
/// assert_eq!(f.to_string(), "specs/x.yaml:4: /info/colour: unknown-key: \"colour\" is not a field of the info object");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The stable id: a lint rule, a diff kind (`request-maximum-lowered`), a check rule.
    pub id: String,
    /// How serious it is.
    pub severity: Severity,
    /// The file, as the user named it (a spec, a HAR capture, a recorded document).
    pub file: String,
    /// The line (1-based) in `file`, when known.
    pub line: Option<usize>,
    /// The JSON pointer of the value it is about (`""` is the whole document).
    pub pointer: String,
    /// The operation it concerns, when there is one (an operationId, or the diff's
    /// `GET /path (operationId)`).
    pub operation: Option<String>,
    /// Where, for a human, when the pointer is not the best way to say it (the diff's
    /// `GET /events (listEvents): query parameter size`; a HAR entry).
    pub location: Option<String>,
    /// What was found, in one sentence.
    pub message: String,
}

impl Finding {
    /// A finding of rule `id` at `pointer` of `file`, with no line, operation, location or
    /// message yet (set them with the methods below).
    pub fn new(id: &str, severity: Severity, file: &str, pointer: &str) -> Finding {
        Finding {
            id: id.to_owned(),
            severity,
            file: file.to_owned(),
            line: None,
            pointer: pointer.to_owned(),
            operation: None,
            location: None,
            message: String::new(),
        }
    }

    /// With this line (1-based).
    pub fn line(mut self, line: Option<usize>) -> Finding {
        self.line = line;
        self
    }

    /// With this operation.
    pub fn operation(mut self, operation: Option<&str>) -> Finding {
        self.operation = operation.map(str::to_owned);
        self
    }

    /// With this location for people.
    pub fn location(mut self, location: Option<&str>) -> Finding {
        self.location = location.map(str::to_owned);
        self
    }

    /// With this message.
    pub fn message(mut self, message: impl Into<String>) -> Finding {
        self.message = message.into();
        self
    }

    /// `file` or `file:line`.
    pub fn place(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line}", self.file),
            None => self.file.clone(),
        }
    }

    /// What it is about, for people: the location, else the operation, else the pointer
    /// (`(root)` for the whole document).
    pub fn subject(&self) -> &str {
        self.location
            .as_deref()
            .or(self.operation.as_deref())
            .unwrap_or(if self.pointer.is_empty() {
                "(root)"
            } else {
                &self.pointer
            })
    }
}

impl std::fmt::Display for Finding {
    /// `FILE[:LINE]: POINTER: ID: MESSAGE`, the lint's line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "(root)"
        } else {
            &self.pointer
        };
        write!(
            f,
            "{}: {pointer}: {}: {}",
            self.place(),
            self.id,
            self.message
        )
    }
}

/// Why a finding was set aside.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IgnoredBy {
    /// `--ignore ID` on the command line.
    CommandLine,
    /// `x-lint-ignore: [ID]` on the spec object, or an object above it.
    Spec,
}

/// The counts of a report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Findings reported (not ignored).
    pub findings: usize,
    /// Of those: errors.
    pub error: usize,
    /// Warnings.
    pub warning: usize,
    /// Information.
    pub info: usize,
    /// Breaking changes.
    pub breaking: usize,
    /// Changes that break nothing.
    pub non_breaking: usize,
    /// Findings set aside by `--ignore` or `x-lint-ignore`.
    pub ignored: usize,
    /// Files looked at.
    pub files: usize,
}

impl Summary {
    /// The count of one severity.
    pub fn count(&self, severity: Severity) -> usize {
        match severity {
            Severity::Error => self.error,
            Severity::Warning => self.warning,
            Severity::Info => self.info,
            Severity::Breaking => self.breaking,
            Severity::NonBreaking => self.non_breaking,
        }
    }
}

/// The most findings a report keeps, and apart from them the most ignored findings it keeps (a
/// bound on memory for a pathological input). Past it, findings are counted as not kept in the
/// text summary and still fail the run when their severity crosses the threshold; ignored
/// findings past it are counted as ignored without being kept.
pub const MAX_FINDINGS: usize = 100_000;

/// The findings of one run of a tool, those set aside, and the files looked at.
#[derive(Clone, Debug)]
pub struct Report {
    tool: Tool,
    findings: Vec<Finding>,
    ignored: Vec<(Finding, IgnoredBy)>,
    files: Vec<String>,
    ignore_ids: BTreeSet<String>,
    rules: Vec<Rule>,
    fail_on: FailOn,
    /// Findings (not ignored) past [`MAX_FINDINGS`], counted, not kept.
    dropped: usize,
    /// The severities of those findings, for [`Report::fails`].
    dropped_severities: BTreeSet<Severity>,
    /// Ignored findings past [`MAX_FINDINGS`], counted, not kept.
    ignored_dropped: usize,
}

impl Report {
    /// An empty report of `tool` with its default threshold. Its rules are the ids it meets,
    /// unless a catalogue is given ([`Report::with_rules`]: lint's is
    /// `threatbind_spec_tools::lint::catalogue()`, check's `check::rules()`).
    pub fn new(tool: Tool) -> Report {
        let rules = Vec::new();
        Report {
            tool,
            findings: Vec::new(),
            ignored: Vec::new(),
            files: Vec::new(),
            ignore_ids: BTreeSet::new(),
            rules,
            fail_on: tool.default_fail_on(),
            dropped: 0,
            dropped_severities: BTreeSet::new(),
            ignored_dropped: 0,
        }
    }

    /// Sets the findings of these ids aside (`--ignore ID`, repeatable).
    pub fn ignoring<I, S>(mut self, ids: I) -> Report
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.ignore_ids.extend(ids.into_iter().map(Into::into));
        self
    }

    /// With this threshold (the JUnit report fails the test cases that cross it).
    pub fn with_fail_on(mut self, fail_on: FailOn) -> Report {
        self.fail_on = fail_on;
        self
    }

    /// With this catalogue of rules (SARIF's `tool.driver.rules`, JUnit's test cases).
    pub fn with_rules(mut self, rules: Vec<Rule>) -> Report {
        self.rules = rules;
        self
    }

    /// Notes that `name` was looked at (once per name).
    pub fn file(&mut self, name: &str) {
        if !self.files.iter().any(|f| f == name) {
            self.files.push(name.to_owned());
        }
    }

    /// Adds a finding, or sets it aside when its id is ignored on the command line or by an
    /// `x-lint-ignore` of `spec` (the document of the finding's file) on the object at its
    /// pointer or above. Its file counts as looked at.
    pub fn add(&mut self, finding: Finding, spec: Option<&Value>) {
        self.file(&finding.file.clone());
        let by = if self.ignore_ids.contains(&finding.id) {
            Some(IgnoredBy::CommandLine)
        } else if spec.is_some_and(|s| spec_ignores(s, &finding.pointer, &finding.id)) {
            Some(IgnoredBy::Spec)
        } else {
            None
        };
        // Each list has its own bound: ignored findings never take the place of a reported one,
        // and one past the bound is counted (its severity kept for `fails`), not lost.
        match by {
            Some(_) if self.ignored.len() >= MAX_FINDINGS => self.ignored_dropped += 1,
            Some(by) => self.ignored.push((finding, by)),
            None if self.findings.len() >= MAX_FINDINGS => {
                self.dropped += 1;
                self.dropped_severities.insert(finding.severity);
            }
            None => self.findings.push(finding),
        }
    }

    /// The tool.
    pub fn tool(&self) -> Tool {
        self.tool
    }

    /// The findings reported, in the order they were added.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The findings set aside, and why.
    pub fn ignored(&self) -> &[(Finding, IgnoredBy)] {
        &self.ignored
    }

    /// The files looked at.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The threshold.
    pub fn fail_on(&self) -> FailOn {
        self.fail_on
    }

    /// The counts.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            findings: self.findings.len(),
            ignored: self.ignored.len() + self.ignored_dropped,
            files: self.files.len(),
            ..Summary::default()
        };
        for f in &self.findings {
            match f.severity {
                Severity::Error => s.error += 1,
                Severity::Warning => s.warning += 1,
                Severity::Info => s.info += 1,
                Severity::Breaking => s.breaking += 1,
                Severity::NonBreaking => s.non_breaking += 1,
            }
        }
        s
    }

    /// Whether a finding crosses `fail_on` (ignored findings never do), those past
    /// [`MAX_FINDINGS`] included.
    pub fn fails(&self, fail_on: FailOn) -> bool {
        self.findings.iter().any(|f| fail_on.fails(f.severity))
            || self.dropped_severities.iter().any(|s| fail_on.fails(*s))
    }

    /// Findings (not ignored) past [`MAX_FINDINGS`]: counted, not kept.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// The report in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Text => write::text(self),
            Format::Json => write::json(self),
            Format::Jsonl => write::jsonl(self),
            Format::Markdown => write::markdown(self),
            Format::Github => write::github(self),
            Format::Junit => junit::render(self),
            Format::Sarif => sarif::render(self),
        }
    }

    /// The summary in words, e.g. `3 findings (2 errors, 1 warning), 1 ignored, in 2 files`.
    pub fn summary_line(&self) -> String {
        write::summary_line(self)
    }

    /// The rules: the catalogue, then every id met that it lacks (with the severity of its
    /// first finding).
    pub fn rules(&self) -> Vec<Rule> {
        let mut rules = self.rules.clone();
        let met = self
            .findings
            .iter()
            .chain(self.ignored.iter().map(|(f, _)| f));
        for f in met {
            if !rules.iter().any(|r| r.id == f.id) {
                rules.push(Rule {
                    id: f.id.clone(),
                    severity: f.severity,
                    description: String::new(),
                });
            }
        }
        rules
    }
}

/// Whether `document` accepts findings of rule `id` at `pointer`: the object at `pointer`, or
/// one above it, has `x-lint-ignore` listing `id`.
///
/// ```
/// use threatbind_spec_tools::report::spec_ignores;
/// let spec = serde_json::json!({"paths": {"/a": {"get": {"x-lint-ignore": ["missing-summary"], "parameters": []}}}});
/// assert!(spec_ignores(&spec, "/paths/~1a/get", "missing-summary"));
/// assert!(spec_ignores(&spec, "/paths/~1a/get/parameters", "missing-summary"));
/// assert!(!spec_ignores(&spec, "/paths/~1a", "missing-summary"));
/// assert!(!spec_ignores(&spec, "/paths/~1a/get", "missing-tag"));
/// ```
pub fn spec_ignores(document: &Value, pointer: &str, id: &str) -> bool {
    let mut at = pointer;
    // A pointer has fewer segments than bytes: the walk up is bounded by its length.
    loop {
        if let Some(ignore) = document
            .pointer(at)
            .and_then(|v| v.get("x-lint-ignore"))
            .and_then(threatbind_model::LintIgnore::of)
        {
            if ignore.0.iter().any(|i| i == id) {
                return true;
            }
        }
        match at.rfind('/') {
            Some(i) => at = &at[..i],
            None => return false,
        }
    }
}

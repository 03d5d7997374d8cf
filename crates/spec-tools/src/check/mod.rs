//! Contract checks of recorded traffic against the specs: a request document (`{"header":..,
//! "query":..,"path":..,"body":..}`, as the fixtures are written) against an operation's schemas
//! and `x-rules`, an answer against the schema of its status, and every exchange of a HAR 1.2
//! capture ([`har()`]) whose URL is on a server of a spec. The library's own validator does the
//! checking (`threatbind::spec`, the one that guards every request the clients send), so a
//! recorded exchange is judged exactly as the client would judge it.
//!
//! Tolerant reading: a string an answer carries for an enum the spec lists in its root
//! `x-open-enums` (e.g. Datadog's `IoCScoreEffect`), but whose `enum` does not list, is decoded by
//! the library as an unknown value, so it is no `response-schema` error but an
//! `open-enum-new-value` warning (the spec lags behind the API; `--fail-on error` lets it pass).
//!
//! Every [`Finding`] names where it was found (the file, or the capture and its entry), the
//! operation, the JSON pointer of the value, the rule, and the spec's file and line.
//!
//! A test in a user's own crate, over a folder of recorded answers:
//!
//! ```
//! use threatbind::spec::Api;
//! use threatbind_spec_tools::check;
//!
//! let op = Api::DatadogIoc.operation("getIndicatorOfCompromise").expect("in the spec");
//! let mut findings = Vec::new();
//! for file in std::fs::read_dir("tests/recorded/ioc").expect("the folder") {
//!     let path = file.expect("a directory entry").path();
//!     findings.extend(check::response_file(op, 200, &path).expect("a JSON file"));
//! }
//! assert!(findings.is_empty(), "{}", check::text(&findings));
//! ```

mod har;
mod locate;

pub use har::{har, har_file, HarOptions, MAX_HAR_BYTES};

use crate::report::{self, Rule, Severity};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use threatbind::spec::{resolve, Api, Operation, Violation};

/// The largest request or answer document read from a file (64 MiB): a larger one is refused
/// with [`CheckError::TooLarge`] rather than read into memory.
pub const MAX_DOCUMENT_BYTES: u64 = 64 << 20;

/// The stable ids of the check's findings, as every output format, `--ignore` and the SARIF
/// rules name them ([`Finding::id`]), with their severity and what they find. A finding's own
/// [`Finding::rule`] is finer: the JSON Schema keyword or the `x-rules` id.
pub const RULES: &[(&str, Severity, &str)] = &[
    (
        "request-schema",
        Severity::Error,
        "a request breaks the schema of its operation's parameters or body",
    ),
    (
        "request-rule",
        Severity::Error,
        "a request breaks one of its operation's x-rules",
    ),
    (
        "response-schema",
        Severity::Error,
        "an answer breaks the schema documented for its status",
    ),
    (
        "not-json",
        Severity::Error,
        "an answer is not JSON where the spec documents a JSON body for its status",
    ),
    (
        "open-enum-new-value",
        Severity::Warning,
        "an answer carries a value the spec does not list for an enum it names in x-open-enums \
         (the library decodes it as an unknown value: tolerated, but worth documenting)",
    ),
    (
        "undocumented-status",
        Severity::Warning,
        "an answer's status is not documented for its operation (no code, class or default)",
    ),
    (
        "undocumented-operation",
        Severity::Warning,
        "an exchange with a server of a spec, to a path or method no operation of it has",
    ),
];

/// [`RULES`] as the common report's catalogue (SARIF's rules, JUnit's test cases).
///
/// ```
/// let rules = threatbind_spec_tools::check::rules();
/// assert_eq!(rules.len(), 7);
/// assert_eq!(rules[0].id, "request-schema");
/// ```
pub fn rules() -> Vec<Rule> {
    RULES
        .iter()
        .map(|(id, severity, what)| Rule {
            id: (*id).to_owned(),
            severity: *severity,
            description: (*what).to_owned(),
        })
        .collect()
}

/// Which half of an exchange a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// The request: its pointer is into the request document (`/body/filter/section`).
    Request,
    /// The answer: its pointer is into the answer's body (`/data/indicator_type`).
    Response,
}

impl Part {
    fn as_str(self) -> &'static str {
        match self {
            Part::Request => "request",
            Part::Response => "response",
        }
    }
}

/// One way a recorded request or answer breaks its spec.
///
/// ```
/// use threatbind_spec_tools::check::{Finding, Part};
/// let f = Finding {
///     source: "recorded/ip.json".into(),
///     line: Some(3),
///     entry: None,
///     exchange: None,
///     operation: Some("getIndicatorOfCompromise".into()),
///     part: Part::Response,
///     status: Some(200),
///     pointer: "/data/attributes/score".into(),
///     rule: "maximum".into(),
///     message: "101 is greater than the maximum of 100".into(),
///     spec_file: "specs/datadog-ioc.yaml".into(),
///     spec_line: Some(321),
///     spec_pointer: "/components/schemas/IoC/properties/score/maximum".into(),
/// };
/// assert_eq!(
///     f.to_string(),
///     "recorded/ip.json: getIndicatorOfCompromise response 200: /data/attributes/score: \
///      maximum: 101 is greater than the maximum of 100 (specs/datadog-ioc.yaml:321)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// The file checked, as the caller named it (the capture, for a HAR entry).
    pub source: String,
    /// The line of the value in the checked file (for a HAR entry, of its request or answer),
    /// when the check read the file's text.
    pub line: Option<usize>,
    /// The index of the entry in the capture's `log.entries` (from 0), for a HAR entry.
    pub entry: Option<usize>,
    /// The exchange of a HAR entry, `METHOD URL`, its URL without query, fragment or user.
    pub exchange: Option<String>,
    /// The operation's `operationId`; `None` for an undocumented operation.
    pub operation: Option<String>,
    /// Whether the request or the answer breaks the spec.
    pub part: Part,
    /// The answer's HTTP status (answers only).
    pub status: Option<u16>,
    /// The JSON pointer of the offending value in the request document or the answer's body
    /// (for `required` and `additionalProperties`, the missing or unexpected field itself).
    pub pointer: String,
    /// The rule broken: a JSON Schema keyword (`maxLength`, `required`, ...), `x-rules:<rule
    /// id>`, or `undocumented-operation`, `undocumented-status`, `not-json`,
    /// `open-enum-new-value` (see [`RULES`]).
    pub rule: String,
    /// What is wrong, in one sentence (credentials never appear in it).
    pub message: String,
    /// The spec, as `specs/<file>`.
    pub spec_file: String,
    /// The line of the spec that states what is broken, when it could be found.
    pub spec_line: Option<usize>,
    /// The JSON pointer, in the spec, of what is broken (a schema keyword, an `x-rules` item,
    /// the operation's `responses`, `paths`).
    pub spec_pointer: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(entry) = self.entry {
            write!(f, "#{entry}")?;
        }
        if let Some(exchange) = &self.exchange {
            write!(f, " {exchange}")?;
        }
        write!(f, ": ")?;
        if let Some(operation) = &self.operation {
            write!(f, "{operation} ")?;
        }
        write!(f, "{}", self.part.as_str())?;
        if let Some(status) = self.status {
            write!(f, " {status}")?;
        }
        let pointer = if self.pointer.is_empty() {
            "(root)"
        } else {
            &self.pointer
        };
        write!(
            f,
            ": {pointer}: {}: {} ({}",
            self.rule, self.message, self.spec_file
        )?;
        if let Some(line) = self.spec_line {
            write!(f, ":{line}")?;
        }
        write!(f, ")")
    }
}

impl Finding {
    /// The finding's stable id (one of [`RULES`]): `request-schema`, `request-rule`,
    /// `response-schema`, or its own rule.
    ///
    /// ```
    /// # use threatbind_spec_tools::check::{Finding, Part};
    /// # let mut f = Finding { source: "a.json".into(), line: None, entry: None, exchange: None,
    /// #     operation: None, part: Part::Request, status: None, pointer: "/body/limit".into(),
    /// #     rule: "maximum".into(), message: String::new(), spec_file: String::new(),
    /// #     spec_line: None, spec_pointer: String::new() };
    /// assert_eq!(f.id(), "request-schema");
    /// f.rule = "x-rules:connections-required-fields".into();
    /// assert_eq!(f.id(), "request-rule");
    /// ```
    pub fn id(&self) -> &str {
        if let Some((id, _, _)) = RULES.iter().find(|(id, _, _)| *id == self.rule) {
            return id;
        }
        match self.part {
            Part::Request if self.rule.starts_with("x-rules:") => "request-rule",
            Part::Request => "request-schema",
            Part::Response => "response-schema",
        }
    }

    /// The severity of its id: the undocumented ones and `open-enum-new-value` are warnings,
    /// the rest errors.
    pub fn severity(&self) -> Severity {
        let id = self.id();
        RULES
            .iter()
            .find(|(known, _, _)| *known == id)
            .map_or(Severity::Error, |(_, severity, _)| *severity)
    }

    /// The JSON pointer of the value in the checked file: the pointer itself for a document;
    /// for a HAR entry, the place of the entry that holds it (`/log/entries/1/response/content/text`).
    ///
    /// ```
    /// # use threatbind_spec_tools::check::{Finding, Part};
    /// # let mut f = Finding { source: "c.har".into(), line: None, entry: Some(1), exchange: None,
    /// #     operation: None, part: Part::Request, status: None, pointer: "/body/limit".into(),
    /// #     rule: "maximum".into(), message: String::new(), spec_file: String::new(),
    /// #     spec_line: None, spec_pointer: String::new() };
    /// assert_eq!(f.file_pointer(), "/log/entries/1/request/postData/text");
    /// f.entry = None;
    /// assert_eq!(f.file_pointer(), "/body/limit");
    /// ```
    pub fn file_pointer(&self) -> String {
        let Some(entry) = self.entry else {
            return self.pointer.clone();
        };
        let part = self.pointer.split('/').nth(1).unwrap_or("");
        let place = match (self.part, part) {
            (Part::Request, "body") => "request/postData/text",
            (Part::Request, "header") => "request/headers",
            (Part::Request, "query" | "path") => "request/url",
            (Part::Request, _) => "request",
            (Part::Response, _) if self.rule == "undocumented-status" => "response/status",
            (Part::Response, _) => "response/content/text",
        };
        format!("/log/entries/{entry}/{place}")
    }

    /// The finding in the spec tools' common report (every output format): its [`id`](Self::id)
    /// and severity, the checked file, line and [`file_pointer`](Self::file_pointer), the
    /// operation, the HAR exchange as its location, and a message that says the rest
    /// (part, status, pointer, rule, what is wrong, the spec's file and line).
    ///
    /// ```
    /// # use threatbind_spec_tools::check::{Finding, Part};
    /// # let f = Finding { source: "a.json".into(), line: Some(4), entry: None, exchange: None,
    /// #     operation: Some("listThings".into()), part: Part::Request, status: None,
    /// #     pointer: "/query/size".into(), rule: "maximum".into(),
    /// #     message: "501 is greater than the maximum of 500".into(),
    /// #     spec_file: "specs/x.yaml".into(), spec_line: Some(60), spec_pointer: String::new() };
    /// assert_eq!(
    ///     f.to_report().to_string(),
    ///     "a.json:4: /query/size: request-schema: listThings request: /query/size: maximum: \
    ///      501 is greater than the maximum of 500 (specs/x.yaml:60)"
    /// );
    /// ```
    pub fn to_report(&self) -> report::Finding {
        let mut message = String::new();
        if let Some(operation) = &self.operation {
            message.push_str(operation);
            message.push(' ');
        }
        message.push_str(self.part.as_str());
        if let Some(status) = self.status {
            message.push_str(&format!(" {status}"));
        }
        if !self.pointer.is_empty() {
            message.push_str(&format!(": {}", self.pointer));
        }
        if self.rule != self.id() {
            message.push_str(&format!(": {}", self.rule));
        }
        message.push_str(&format!(": {} ({}", self.message, self.spec_file));
        if let Some(line) = self.spec_line {
            message.push_str(&format!(":{line}"));
        }
        message.push(')');
        let location = self
            .entry
            .map(|entry| format!("entry {entry}: {}", self.exchange.as_deref().unwrap_or("")));
        report::Finding::new(
            self.id(),
            self.severity(),
            &self.source,
            &self.file_pointer(),
        )
        .line(self.line)
        .operation(self.operation.as_deref())
        .location(location.as_deref())
        .message(message)
    }
}

/// What a check saw, besides its findings.
///
/// ```
/// let summary = threatbind_spec_tools::check::Summary::default();
/// assert_eq!(serde_json::to_value(&summary).unwrap()["findings"], 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Documents, or HAR exchanges, checked against an operation.
    pub checked: usize,
    /// How many findings.
    pub findings: usize,
    /// HAR: the entries of the capture.
    pub entries: usize,
    /// HAR: exchanges with a server of a spec, to no operation of it.
    pub undocumented: usize,
    /// HAR: entries to a host that is no server of any spec, skipped.
    pub other_hosts: usize,
    /// HAR: those hosts, with how many entries each (at most 100 hosts listed).
    pub skipped_hosts: BTreeMap<String, usize>,
    /// HAR: CORS preflights (`OPTIONS` with `Access-Control-Request-Method`), skipped.
    pub preflights: usize,
    /// HAR: answers whose body the capture does not hold (the request was still checked).
    pub unrecorded_answers: usize,
    /// HAR: entries with no URL or method that can be read, or no answer (status 0), skipped
    /// (what could be, the request, was still checked).
    pub unreadable: usize,
}

/// Findings and the summary of one check: the `--format json` document of `threatbind spec
/// check`.
///
/// ```
/// let report = threatbind_spec_tools::check::Report::default();
/// assert_eq!(
///     serde_json::to_value(&report).unwrap()["findings"],
///     serde_json::json!([])
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Every finding, in the order found.
    pub findings: Vec<Finding>,
    /// What was seen.
    pub summary: Summary,
}

impl Report {
    /// Puts the findings in the spec tools' common `report` ([`Finding::to_report`]), with
    /// `files` as the files looked at; `report`'s `--ignore` ids set findings aside.
    ///
    /// ```
    /// use threatbind_spec_tools::{check, report};
    /// let mut common = report::Report::new(report::Tool::Check).with_rules(check::rules());
    /// check::Report::default().fill(&mut common, &["capture.har"]);
    /// assert!(common.render(report::Format::Json).contains("\"findings\": []"));
    /// ```
    pub fn fill(&self, report: &mut report::Report, files: &[&str]) {
        for file in files {
            report.file(file);
        }
        for finding in &self.findings {
            report.add(finding.to_report(), None);
        }
    }

    /// Adds findings (and counts them).
    pub fn extend(&mut self, findings: impl IntoIterator<Item = Finding>) {
        let before = self.findings.len();
        self.findings.extend(findings);
        self.summary.findings += self.findings.len() - before;
    }
}

/// Why a file could not be checked at all (a usage error, not a finding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckError {
    /// The file cannot be read.
    Read {
        /// The file, as named.
        file: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The file is larger than the check reads.
    TooLarge {
        /// The file, as named.
        file: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The file is not JSON.
    NotJson {
        /// The file, as named.
        file: String,
        /// The parser's reason, with the line and column.
        reason: String,
    },
    /// The file is JSON but not a HAR capture (no `log.entries` list).
    NotHar {
        /// The file, as named.
        file: String,
        /// What is missing.
        reason: String,
    },
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckError::Read { file, reason } => write!(f, "{file}: cannot be read: {reason}"),
            CheckError::TooLarge { file, limit } => {
                write!(f, "{file}: larger than {} MiB", limit >> 20)
            }
            CheckError::NotJson { file, reason } => write!(f, "{file}: not JSON: {reason}"),
            CheckError::NotHar { file, reason } => {
                write!(f, "{file}: not a HAR capture: {reason}")
            }
        }
    }
}

impl std::error::Error for CheckError {}

/// Reads at most `limit` bytes of `reader` as UTF-8 text (`name` names it in errors).
///
/// ```
/// use threatbind_spec_tools::check::{read_text, CheckError};
/// assert_eq!(read_text(&b"{}"[..], "-", 10).unwrap(), "{}");
/// assert!(matches!(read_text(&b"{\"a\": 1}"[..], "-", 4), Err(CheckError::TooLarge { .. })));
/// ```
pub fn read_text(reader: impl Read, name: &str, limit: u64) -> Result<String, CheckError> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| CheckError::Read {
            file: name.to_owned(),
            reason: io_reason(&e),
        })?;
    if bytes.len() as u64 > limit {
        return Err(CheckError::TooLarge {
            file: name.to_owned(),
            limit,
        });
    }
    String::from_utf8(bytes).map_err(|e| CheckError::NotJson {
        file: name.to_owned(),
        reason: format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
    })
}

/// Parses `text` as JSON (`name` names it in the error, with the line and column).
///
/// ```
/// let error = threatbind_spec_tools::check::parse_json("{\n  \"a\": }", "a.json").unwrap_err();
/// assert_eq!(error.to_string(), "a.json: not JSON: expected value at line 2 column 8");
/// ```
pub fn parse_json(text: &str, name: &str) -> Result<Value, CheckError> {
    serde_json::from_str(text).map_err(|e| CheckError::NotJson {
        file: name.to_owned(),
        reason: e.to_string(),
    })
}

/// Reads a text file of at most `limit` bytes (`path` names it in errors).
///
/// ```
/// use threatbind_spec_tools::check::{read_file, CheckError};
/// let error = read_file("no/such.json", 10).unwrap_err();
/// assert_eq!(error.to_string(), "no/such.json: cannot be read: No such file or directory");
/// ```
pub fn read_file(path: impl AsRef<Path>, limit: u64) -> Result<String, CheckError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| CheckError::Read {
        file: name.clone(),
        reason: io_reason(&e),
    })?;
    read_text(file, &name, limit)
}

/// An I/O error without the trailing ` (os error N)`.
fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.rsplit_once(" (os error ") {
        Some((reason, _)) => reason.to_owned(),
        None => text,
    }
}

/// Checks a request document of `op` (`{"header":..,"query":..,"path":..,"body":..}`, as the
/// fixtures are written) against its schemas, then its `x-rules` at `now`. Headers are read
/// as on the wire: their names in any case, headers the operation does not declare ignored,
/// credentials (the specs' security schemes, `Authorization`, `Cookie`) never quoted.
///
/// ```
/// use serde_json::json;
/// use threatbind::spec::Api;
/// use threatbind_spec_tools::check;
/// let op = Api::Log360Cloud.operation("searchVirusTotal").unwrap();
/// let doc = json!({"header": {"account_id": "18XXXXX4"}, "body": {"indicator_type": "IP"}});
/// let findings = check::request(op, "a.json", &doc, chrono::Utc::now());
/// assert_eq!(findings[0].pointer, "/body/indicator");
/// assert_eq!(findings[0].rule, "required");
/// assert!(findings[0].spec_line.is_some());
/// ```
pub fn request(op: &Operation, source: &str, document: &Value, now: DateTime<Utc>) -> Vec<Finding> {
    let mut secrets = Vec::new();
    let document = wire_headers(op, document, &mut secrets);
    let mut findings = request_findings(op, source, &document, now);
    redact(&mut findings, &secrets);
    findings
}

/// [`request`] of the JSON text of a document (`source` names it), each finding with the
/// line of its value in the text.
///
/// ```
/// use threatbind::spec::Api;
/// let op = Api::DatadogIoc.operation("getIndicatorOfCompromise").unwrap();
/// let text = "{\"query\": {\n  \"indicator\": 7}}";
/// let found = threatbind_spec_tools::check::request_text(op, "-", text, chrono::Utc::now()).unwrap();
/// assert_eq!((found[0].rule.as_str(), found[0].line), ("type", Some(2)));
/// ```
pub fn request_text(
    op: &Operation,
    source: &str,
    text: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Finding>, CheckError> {
    let document = parse_json(text, source)?;
    let mut findings = request(op, source, &document, now);
    locate_in(text, &mut findings);
    Ok(findings)
}

/// [`request`] of a JSON file (at most [`MAX_DOCUMENT_BYTES`]), each finding with its line.
///
/// ```
/// use threatbind::spec::Api;
/// let op = Api::DatadogIoc.operation("getIndicatorOfCompromise").unwrap();
/// let file = "../../tests/fixtures/datadog-ioc/getIndicatorOfCompromise/request.ip.json";
/// let findings = threatbind_spec_tools::check::request_file(op, file, chrono::Utc::now()).unwrap();
/// assert!(findings.is_empty());
/// ```
pub fn request_file(
    op: &Operation,
    path: impl AsRef<Path>,
    now: DateTime<Utc>,
) -> Result<Vec<Finding>, CheckError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    request_text(op, &name, &read_file(path, MAX_DOCUMENT_BYTES)?, now)
}

/// Checks an answer's body of `op` against the schema documented for `status` (its code, else
/// its class `2XX`, else `default`). A status the operation does not document is a finding
/// (`undocumented-status`); a documented status without a JSON body has nothing to check.
///
/// ```
/// use serde_json::json;
/// use threatbind::spec::Api;
/// use threatbind_spec_tools::check;
/// let op = Api::Log360Cloud.operation("searchThreatAnalytics").unwrap();
/// let body = json!({"data": {"indicator": "8.8.8.8", "indicator_type": 4}});
/// let findings = check::response(op, "answer.json", 200, &body);
/// assert_eq!((findings[0].pointer.as_str(), findings[0].rule.as_str()), ("/data/indicator_type", "type"));
/// ```
pub fn response(op: &Operation, source: &str, status: u16, body: &Value) -> Vec<Finding> {
    response_findings(op, source, status, Some(body)).0
}

/// [`response`] of the JSON text of an answer's body (`source` names it), each finding with
/// the line of its value in the text.
///
/// ```
/// use threatbind::spec::Api;
/// let op = Api::Log360Cloud.operation("searchThreatAnalytics").unwrap();
/// let text = "{\"data\": {\n  \"indicator\": \"8.8.8.8\",\n  \"indicator_type\": 4}}";
/// let found = threatbind_spec_tools::check::response_text(op, "-", 200, text).unwrap();
/// assert_eq!((found[0].pointer.as_str(), found[0].line), ("/data/indicator_type", Some(3)));
/// ```
pub fn response_text(
    op: &Operation,
    source: &str,
    status: u16,
    text: &str,
) -> Result<Vec<Finding>, CheckError> {
    let body = parse_json(text, source)?;
    let mut findings = response(op, source, status, &body);
    locate_in(text, &mut findings);
    Ok(findings)
}

/// [`response`] of a JSON file (at most [`MAX_DOCUMENT_BYTES`]), each finding with its line.
///
/// ```
/// use threatbind::spec::Api;
/// let op = Api::DatadogIoc.operation("getIndicatorOfCompromise").unwrap();
/// let file = "../../tests/fixtures/datadog-ioc/getIndicatorOfCompromise/response.200.ip.json";
/// assert!(threatbind_spec_tools::check::response_file(op, 200, file).unwrap().is_empty());
/// ```
pub fn response_file(
    op: &Operation,
    status: u16,
    path: impl AsRef<Path>,
) -> Result<Vec<Finding>, CheckError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    response_text(op, &name, status, &read_file(path, MAX_DOCUMENT_BYTES)?)
}

/// Sets each finding's line: of its pointer in `text` (the file it names).
fn locate_in(text: &str, findings: &mut [Finding]) {
    if findings.is_empty() {
        return;
    }
    let at = threatbind::spec::model::Locator::new(text);
    for finding in findings {
        finding.line = at.line(&finding.file_pointer());
    }
}

/// The status an answer is checked against when none is given: the operation's lowest
/// documented 2xx code, else 200.
///
/// ```
/// use threatbind::spec::Api;
/// let op = Api::NameshieldCti.operation("listThreatEvents").unwrap();
/// assert_eq!(threatbind_spec_tools::check::success_status(op), 200);
/// ```
pub fn success_status(op: &Operation) -> u16 {
    op.raw
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(key, _)| key.parse::<u16>().ok())
        .filter(|code| (200..300).contains(code))
        .min()
        .unwrap_or(200)
}

/// Findings, one per line (the text output).
///
/// ```
/// assert_eq!(threatbind_spec_tools::check::text(&[]), "");
/// ```
pub fn text(findings: &[Finding]) -> String {
    findings.iter().map(|f| format!("{f}\n")).collect()
}

/// The finding of one validator violation.
fn finding(
    op: &Operation,
    source: &str,
    part: Part,
    status: Option<u16>,
    violation: &Violation,
) -> Finding {
    let spec_pointer = match part {
        Part::Request => locate::request(op, violation.pointer(), &violation.rule),
        Part::Response => locate::response(
            op,
            status.unwrap_or(0),
            violation.pointer(),
            &violation.rule,
        ),
    };
    Finding {
        source: source.to_owned(),
        line: None,
        entry: None,
        exchange: None,
        operation: Some(op.id.clone()),
        part,
        status,
        pointer: violation.pointer().to_owned(),
        rule: violation.rule.clone(),
        message: violation.message.clone(),
        spec_file: spec_file(op.api),
        spec_line: locate::line(op.api, &spec_pointer),
        spec_pointer,
    }
}

/// The spec's file, as the findings name it.
fn spec_file(api: Api) -> String {
    format!("specs/{}", api.file_name())
}

/// The findings of a request document already read as the wire reads it.
fn request_findings(
    op: &Operation,
    source: &str,
    document: &Value,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    match op.validate_request(document, now) {
        Ok(()) => Vec::new(),
        Err(violations) => violations
            .iter()
            .map(|v| finding(op, source, Part::Request, None, v))
            .collect(),
    }
}

/// What checking an answer found: the findings, and whether its body was needed (a JSON body
/// is documented for the status) but not given.
fn response_findings(
    op: &Operation,
    source: &str,
    status: u16,
    body: Option<&Value>,
) -> (Vec<Finding>, bool) {
    let Some(key) = locate::response_key(op, status) else {
        let spec_pointer = locate::child(&locate::operation(op), "responses");
        let finding = Finding {
            source: source.to_owned(),
            line: None,
            entry: None,
            exchange: None,
            operation: Some(op.id.clone()),
            part: Part::Response,
            status: Some(status),
            pointer: String::new(),
            rule: "undocumented-status".to_owned(),
            message: format!("{} documents no answer {status}", op.id),
            spec_file: spec_file(op.api),
            spec_line: locate::line(op.api, &spec_pointer),
            spec_pointer,
        };
        return (vec![finding], false);
    };
    if !locate::has_json_body(op, &key) {
        return (Vec::new(), false);
    }
    let Some(body) = body else {
        return (Vec::new(), true);
    };
    let found = match op.validate_response(status, body) {
        Ok(()) => Vec::new(),
        Err(violations) => violations
            .iter()
            .map(|v| {
                open_enum(
                    finding(op, source, Part::Response, Some(status), v),
                    op.api,
                    body,
                )
            })
            .collect(),
    };
    (found, false)
}

/// An `enum` finding of an answer whose schema the spec lists in `x-open-enums` becomes
/// `open-enum-new-value` (a warning) when the value is a string: the library's types decode a
/// string not listed as an unknown value, so the answer is read, only the spec lags behind the
/// API. Any other value (a number) fails to decode, and stays an error.
fn open_enum(mut finding: Finding, api: Api, body: &Value) -> Finding {
    if finding.rule != "enum" || !body.pointer(&finding.pointer).is_some_and(Value::is_string) {
        return finding;
    }
    if let Some(name) = locate::open_enum(api, &finding.spec_pointer) {
        finding.rule = "open-enum-new-value".to_owned();
        finding.message = format!(
            "{}; {name} is open (x-open-enums), so the library decodes it as an unknown value",
            finding.message
        );
    }
    finding
}

/// The finding of an answer that is not JSON where its status documents a JSON body.
fn not_json(op: &Operation, source: &str, status: u16, reason: &str) -> Finding {
    let spec_pointer = locate::response(op, status, "", "");
    Finding {
        source: source.to_owned(),
        line: None,
        entry: None,
        exchange: None,
        operation: Some(op.id.clone()),
        part: Part::Response,
        status: Some(status),
        pointer: String::new(),
        rule: "not-json".to_owned(),
        message: format!(
            "the answer is not JSON ({reason}); the spec documents a JSON body for {status}"
        ),
        spec_file: spec_file(op.api),
        spec_line: locate::line(op.api, &spec_pointer),
        spec_pointer,
    }
}

/// Names of the headers that carry credentials, lower case: those of every spec's security
/// schemes (the model's [`Carrier::header`](threatbind::spec::model::Carrier::header), and
/// `apiKey` headers of schemes without a variable), plus HTTP's own (`Authorization`,
/// `Proxy-Authorization`, `Cookie`, `Set-Cookie`), which a capture may hold for any host.
fn credential_headers() -> &'static [String] {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<String> = [
            "authorization",
            "proxy-authorization",
            "cookie",
            "set-cookie",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        for api in Api::ALL {
            for credential in &api.env().credentials {
                if let Some((name, _)) = credential.carrier.header() {
                    names.push(name.to_ascii_lowercase());
                }
            }
            names.extend(api_key_names(*api, "header").map(str::to_ascii_lowercase));
        }
        names.sort();
        names.dedup();
        names
    })
}

/// Names of the query parameters that carry credentials (`apiKey` schemes `in: query`).
fn credential_queries() -> &'static [String] {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names = Vec::new();
        for api in Api::ALL {
            names.extend(api_key_names(*api, "query").map(str::to_owned));
        }
        names
    })
}

/// The names of `api`'s `apiKey` security schemes sent `place` (`in: header` or `in: query`),
/// as the spec spells them.
fn api_key_names(api: Api, place: &'static str) -> impl Iterator<Item = &'static str> {
    let schemes = api
        .document()
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    schemes
        .into_iter()
        .flatten()
        .map(move |(_, scheme)| resolve(api.document(), scheme))
        .filter_map(move |scheme| {
            let text = |key: &str| scheme.get(key).and_then(Value::as_str);
            if text("type") == Some("apiKey") && text("in") == Some(place) {
                text("name")
            } else {
                None
            }
        })
}

/// Whether `name` is a header that carries credentials.
fn is_credential_header(name: &str) -> bool {
    credential_headers()
        .iter()
        .any(|c| c.eq_ignore_ascii_case(name))
}

/// Adds a credential's value to `secrets`: the whole value, and the value after its scheme
/// word (`Bearer x`: `x`), which a server may echo alone.
fn add_secret(value: &str, secrets: &mut Vec<String>) {
    let value = value.trim();
    if value.is_empty() {
        return;
    }
    secrets.push(value.to_owned());
    if let Some((_, token)) = value.split_once(' ') {
        let token = token.trim();
        if !token.is_empty() {
            secrets.push(token.to_owned());
        }
    }
}

/// The request document with its headers read as the wire reads them: a header the operation
/// declares takes the spec's spelling of its name; credentials are noted in `secrets` and
/// dropped with every other undeclared header; an emptied `header` part is left out.
fn wire_headers(op: &Operation, document: &Value, secrets: &mut Vec<String>) -> Value {
    let Some(headers) = document.get("header").and_then(Value::as_object) else {
        return document.clone();
    };
    let declared: Vec<&str> = op
        .raw
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| resolve(op.api.document(), p))
        .filter(|p| p.get("in").and_then(Value::as_str) == Some("header"))
        .filter_map(|p| p.get("name").and_then(Value::as_str))
        .collect();
    let mut kept = Map::new();
    for (name, value) in headers {
        if is_credential_header(name) {
            match value {
                Value::String(text) => add_secret(text, secrets),
                other => add_secret(&other.to_string(), secrets),
            }
            continue;
        }
        if let Some(spec_name) = declared.iter().find(|d| d.eq_ignore_ascii_case(name)) {
            kept.insert((*spec_name).to_owned(), value.clone());
        }
    }
    let mut out = document.as_object().cloned().unwrap_or_default();
    if kept.is_empty() {
        out.remove("header");
    } else {
        out.insert("header".into(), Value::Object(kept));
    }
    Value::Object(out)
}

/// Replaces every credential of `secrets` in the findings' messages with `***` (longest
/// first, so that a token inside its `Bearer` value is replaced whole).
fn redact(findings: &mut [Finding], secrets: &[String]) {
    if secrets.is_empty() {
        return;
    }
    let mut secrets: Vec<&String> = secrets.iter().collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for finding in findings {
        for secret in &secrets {
            if finding.message.contains(secret.as_str()) {
                finding.message = finding.message.replace(secret.as_str(), "***");
            }
        }
    }
}

//! The line formats: text, json, jsonl, markdown, github.

use super::{Finding, Report, Severity, Tool};
use serde::Serialize;
use serde_json::json;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `1 error, 0 warnings, 2 info`: the counts of the tool's severities.
fn severity_counts(report: &Report) -> String {
    let summary = report.summary();
    report
        .tool
        .severities()
        .iter()
        .map(|s| {
            let n = summary.count(*s);
            match s {
                Severity::Error => plural(n, "error", "errors"),
                Severity::Warning => plural(n, "warning", "warnings"),
                other => format!("{n} {}", other.as_str()),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn summary_line(report: &Report) -> String {
    let s = report.summary();
    let (one, many) = report.tool.nouns();
    let mut line = format!(
        "{} in {}: {}; {} ignored",
        plural(s.findings, one, many),
        plural(s.files, "file", "files"),
        severity_counts(report),
        s.ignored
    );
    if report.dropped > 0 {
        line.push_str(&format!("; {} more not kept", report.dropped));
    }
    line
}

pub(super) fn text(report: &Report) -> String {
    match report.tool {
        Tool::Diff => diff_text(report),
        Tool::Assumed => report
            .findings
            .iter()
            .map(|f| {
                let pointer = if f.pointer.is_empty() {
                    "(root)"
                } else {
                    &f.pointer
                };
                format!("{}: {pointer}: {}\n", f.place(), f.message)
            })
            .collect(),
        Tool::Lint | Tool::Check => report.findings.iter().map(|f| format!("{f}\n")).collect(),
    }
}

/// The diff's report: changes grouped by operation (or servers, security, ...), then a line
/// of counts.
fn diff_text(report: &Report) -> String {
    let mut groups: Vec<(&str, Vec<&Finding>)> = Vec::new();
    for f in &report.findings {
        let location = f.location.as_deref().unwrap_or(f.pointer.as_str());
        let group = location.split_once(": ").map_or(location, |(g, _)| g);
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, list)) => list.push(f),
            None => groups.push((group, vec![f])),
        }
    }
    let mut out = String::new();
    for (group, list) in &groups {
        out.push_str(group);
        out.push('\n');
        for f in list {
            let marker = match f.severity {
                Severity::Breaking | Severity::Error => "BREAKING",
                Severity::Info => "info",
                _ => "ok",
            };
            let location = f.location.as_deref().unwrap_or("");
            let what = location.split_once(": ").map_or("", |(_, w)| w);
            if what.is_empty() {
                out.push_str(&format!("  {marker:<8}  {} [{}]\n", f.message, f.id));
            } else {
                out.push_str(&format!(
                    "  {marker:<8}  {what}: {} [{}]\n",
                    f.message, f.id
                ));
            }
        }
        out.push('\n');
    }
    let s = report.summary();
    out.push_str(&format!(
        "{}, {} breaking",
        plural(s.findings, "change", "changes"),
        s.breaking
    ));
    if s.info > 0 {
        out.push_str(&format!(", {} info", s.info));
    }
    if s.ignored > 0 {
        out.push_str(&format!(", {} ignored", s.ignored));
    }
    out.push('\n');
    out
}

/// The summary of the json document: `findings`, the count of each of the tool's severities,
/// `ignored`, `files`, in this order.
#[derive(Serialize)]
pub(super) struct SummaryJson {
    findings: usize,
    #[serde(flatten)]
    severities: IndexedCounts,
    ignored: usize,
    files: usize,
}

/// Counts by severity name, in the tool's order.
pub(super) struct IndexedCounts(Vec<(&'static str, usize)>);

impl Serialize for IndexedCounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

pub(super) fn summary_json(report: &Report) -> SummaryJson {
    let s = report.summary();
    SummaryJson {
        findings: s.findings,
        severities: IndexedCounts(
            report
                .tool
                .severities()
                .iter()
                .map(|sev| (sev.as_str(), s.count(*sev)))
                .collect(),
        ),
        ignored: s.ignored,
        files: s.files,
    }
}

#[derive(Serialize)]
struct Document<'r> {
    tool: String,
    findings: &'r [Finding],
    summary: SummaryJson,
}

pub(super) fn json(report: &Report) -> String {
    let document = Document {
        tool: format!("threatbind {}", report.tool.command()),
        findings: &report.findings,
        summary: summary_json(report),
    };
    let mut out = serde_json::to_string_pretty(&document)
        .unwrap_or_else(|e| json!({ "error": e.to_string() }).to_string());
    out.push('\n');
    out
}

pub(super) fn jsonl(report: &Report) -> String {
    report
        .findings
        .iter()
        .filter_map(|f| serde_json::to_string(f).ok())
        .map(|line| line + "\n")
        .collect()
}

/// Text in a markdown table cell: no line breaks, no pipes, no HTML.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text as inline code in a table cell (plain when it holds a backtick).
fn code(text: &str) -> String {
    if text.contains('`') || text.is_empty() {
        cell(text)
    } else {
        format!("`{}`", text.replace('|', "\\|").replace(['\r', '\n'], " "))
    }
}

pub(super) fn markdown(report: &Report) -> String {
    let s = report.summary();
    let (one, many) = report.tool.nouns();
    let mut out = format!(
        "### threatbind {}: {} ({}), {} ignored, {}\n\n",
        report.tool.command(),
        plural(s.findings, one, many),
        severity_counts(report),
        s.ignored,
        plural(s.files, "file", "files"),
    );
    if report.findings.is_empty() {
        out.push_str(&format!("No {many}.\n"));
        return out;
    }
    out.push_str("| Severity | Rule | File | Where | Message |\n");
    out.push_str("| --- | --- | --- | --- | --- |\n");
    for f in &report.findings {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            f.severity.as_str(),
            code(&f.id),
            code(&f.place()),
            cell(f.subject()),
            cell(&f.message)
        ));
    }
    out
}

/// A workflow command's message (GitHub's `escapeData`).
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value (GitHub's `escapeProperty`).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

pub(super) fn github(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let level = match f.severity.level() {
            super::Level::Error => "error",
            super::Level::Warning => "warning",
            super::Level::Note => "notice",
        };
        let mut properties = vec![format!("file={}", property(&f.file))];
        if let Some(line) = f.line {
            properties.push(format!("line={line}"));
        }
        properties.push(format!("title={}", property(&f.id)));
        out.push_str(&format!(
            "::{level} {}::{}\n",
            properties.join(","),
            data(&format!("{}: {}", f.subject(), f.message))
        ));
    }
    out.push_str(&format!(
        "::notice title={}::{}\n",
        property(&format!("threatbind {}", report.tool.command())),
        data(&summary_line(report))
    ));
    out
}

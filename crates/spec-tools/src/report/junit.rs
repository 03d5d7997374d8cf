//! The JUnit XML report: a test suite per file, a test case per rule of the catalogue (and
//! per id met outside it); a test case fails when one of its findings crosses the threshold,
//! and lists the others in its `system-out`.

use super::{Finding, IgnoredBy, Report};

/// Text for XML content or an attribute: the five predefined entities, and the characters
/// XML 1.0 does not allow dropped (a finding may quote a control character of the input).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

struct Case<'r> {
    rule: String,
    failing: Vec<&'r Finding>,
    passing: Vec<&'r Finding>,
    ignored: Vec<(&'r Finding, IgnoredBy)>,
}

pub(super) fn render(report: &Report) -> String {
    let rules = report.rules();
    let mut files: Vec<String> = report.files.clone();
    for f in report
        .findings
        .iter()
        .chain(report.ignored.iter().map(|(f, _)| f))
    {
        if !files.contains(&f.file) {
            files.push(f.file.clone());
        }
    }
    let mut suites = String::new();
    let (mut tests, mut failures) = (0usize, 0usize);
    for file in &files {
        let mut cases: Vec<Case> = rules
            .iter()
            .map(|r| Case {
                rule: r.id.clone(),
                failing: Vec::new(),
                passing: Vec::new(),
                ignored: Vec::new(),
            })
            .collect();
        for f in report.findings.iter().filter(|f| &f.file == file) {
            if let Some(case) = cases.iter_mut().find(|c| c.rule == f.id) {
                if report.fail_on.fails(f.severity) {
                    case.failing.push(f);
                } else {
                    case.passing.push(f);
                }
            }
        }
        for (f, by) in report.ignored.iter().filter(|(f, _)| &f.file == file) {
            if let Some(case) = cases.iter_mut().find(|c| c.rule == f.id) {
                case.ignored.push((f, *by));
            }
        }
        let suite_failures = cases.iter().filter(|c| !c.failing.is_empty()).count();
        let ignored: usize = cases.iter().map(|c| c.ignored.len()).sum();
        tests += cases.len();
        failures += suite_failures;
        suites.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{suite_failures}\" errors=\"0\" skipped=\"0\">\n",
            escape(file),
            cases.len()
        ));
        suites.push_str(&format!(
            "    <properties>\n      <property name=\"ignored\" value=\"{ignored}\"/>\n    </properties>\n"
        ));
        for case in &cases {
            suites.push_str(&case_xml(file, case));
        }
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"threatbind {}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n{suites}</testsuites>\n",
        escape(report.tool.command())
    )
}

fn case_xml(file: &str, case: &Case) -> String {
    let open = format!(
        "    <testcase classname=\"{}\" name=\"{}\"",
        escape(file),
        escape(&case.rule)
    );
    if case.failing.is_empty() && case.passing.is_empty() && case.ignored.is_empty() {
        return format!("{open}/>\n");
    }
    let mut out = format!("{open}>\n");
    if !case.failing.is_empty() {
        let first = &case.failing[0];
        let message = if case.failing.len() == 1 {
            first.message.clone()
        } else {
            format!("{} (and {} more)", first.message, case.failing.len() - 1)
        };
        let body: String = case.failing.iter().map(|f| format!("{f}\n")).collect();
        out.push_str(&format!(
            "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
            escape(first.severity.as_str()),
            escape(&message),
            escape(&body)
        ));
    }
    if !case.passing.is_empty() || !case.ignored.is_empty() {
        let mut body = String::new();
        for f in &case.passing {
            body.push_str(&format!("{} ({})\n", f, f.severity.as_str()));
        }
        for (f, by) in &case.ignored {
            let why = match by {
                IgnoredBy::CommandLine => "--ignore",
                IgnoredBy::Spec => "x-lint-ignore",
            };
            body.push_str(&format!("{f} (ignored by {why})\n"));
        }
        out.push_str(&format!(
            "      <system-out>{}</system-out>\n",
            escape(&body)
        ));
    }
    out.push_str("    </testcase>\n");
    out
}

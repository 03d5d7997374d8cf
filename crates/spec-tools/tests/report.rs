//! The common report of the spec tools (issue 23): every format for a lint run and a diff run,
//! written out literally for small cases (text, jsonl, github, markdown), parsed back for json,
//! junit (roxmltree) and sarif (the official SARIF 2.1.0 schema); thresholds; findings set
//! aside by `--ignore` and `x-lint-ignore`, counted in every format.

#[path = "diff/base.rs"]
mod base;

use base::{edited, BASE};
use serde_json::Value;
use threatbind_spec_tools::diff::{changes_into, diff, load, Version};
use threatbind_spec_tools::lint::{assumed_into, lint_into};
use threatbind_spec_tools::report::{FailOn, Finding, Format, IgnoredBy, Report, Severity, Tool};

/// A spec with one lint finding: `listThings` has no summary (a warning), line 6.
const ONE_WARNING: &str = r#"openapi: 3.0.3
info: {title: T, version: "1"}
tags: [{name: t}]
paths:
  /things:
    get:
      operationId: listThings
      tags: [t]
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: string}, example: x}}}
        "400": {description: bad}
"#;

/// ONE_WARNING and an operation without an operationId (an error), line 13.
fn two_findings() -> String {
    format!(
        "{ONE_WARNING}{}",
        r#"  /other:
    get:
      summary: Other
      tags: [t]
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: string}, example: x}}}
        "400": {description: bad}
"#
    )
}

fn lint_report(text: &str, ignore: &[&str]) -> Report {
    let mut report = Report::new(Tool::Lint)
        .with_rules(threatbind_spec_tools::lint::catalogue())
        .ignoring(ignore.iter().copied());
    lint_into(&mut report, "t.yaml", text);
    report
}

/// The base spec with `size`'s maximum lowered (breaking, line 20 of the new spec), a request
/// enum value added (not breaking, line 90) and the `X-Trace` header parameter removed
/// (breaking, line 21 of the OLD spec).
fn diff_report(fail_on: FailOn, ignore: &[&str], new_text: &str) -> Report {
    let old = load("old.yaml", BASE).unwrap();
    let new = load("new.yaml", new_text).unwrap();
    let mut report = Report::new(Tool::Diff)
        .ignoring(ignore.iter().copied())
        .with_fail_on(fail_on);
    changes_into(
        &mut report,
        &diff(&old, &new),
        Version {
            file: "old.yaml",
            text: BASE,
            document: &old,
        },
        Version {
            file: "new.yaml",
            text: new_text,
            document: &new,
        },
    );
    report
}

fn three_changes() -> String {
    edited(&[
        ("maximum: 500", "maximum: 100"),
        ("enum: [ip, domain]", "enum: [ip, domain, url]"),
        (
            "        - {name: X-Trace, in: header, schema: {type: string}}\n",
            "",
        ),
    ])
}

#[test]
fn a_lint_run_in_text_jsonl_github_and_markdown() {
    let report = lint_report(&two_findings(), &[]);
    assert_eq!(
        report.render(Format::Text),
        "t.yaml:6: /paths/~1things/get: missing-summary: the operation has no summary\n\
         t.yaml:13: /paths/~1other/get: operation-id-missing: the operation has no operationId\n"
    );
    assert_eq!(
        report.render(Format::Jsonl),
        concat!(
            r#"{"id":"missing-summary","severity":"warning","file":"t.yaml","line":6,"pointer":"/paths/~1things/get","operation":null,"location":null,"message":"the operation has no summary"}"#,
            "\n",
            r#"{"id":"operation-id-missing","severity":"error","file":"t.yaml","line":13,"pointer":"/paths/~1other/get","operation":null,"location":null,"message":"the operation has no operationId"}"#,
            "\n"
        )
    );
    assert_eq!(
        report.render(Format::Github),
        "::warning file=t.yaml,line=6,title=missing-summary::/paths/~1things/get: the operation has no summary\n\
         ::error file=t.yaml,line=13,title=operation-id-missing::/paths/~1other/get: the operation has no operationId\n\
         ::notice title=threatbind spec lint::2 findings in 1 file: 1 error, 1 warning, 0 info; 0 ignored\n"
    );
    assert_eq!(
        report.render(Format::Markdown),
        "### threatbind spec lint: 2 findings (1 error, 1 warning, 0 info), 0 ignored, 1 file\n\
         \n\
         | Severity | Rule | File | Where | Message |\n\
         | --- | --- | --- | --- | --- |\n\
         | warning | `missing-summary` | `t.yaml:6` | /paths/~1things/get | the operation has no summary |\n\
         | error | `operation-id-missing` | `t.yaml:13` | /paths/~1other/get | the operation has no operationId |\n"
    );
}

#[test]
fn a_diff_run_in_text_jsonl_github_and_markdown_with_lines_in_both_specs() {
    let report = diff_report(FailOn::Breaking, &[], &three_changes());
    assert_eq!(
        report.render(Format::Text),
        "GET /events/{id} (getEvent)\n\
         \x20 BREAKING  query parameter size: maximum 500 → 100 [request-maximum-lowered]\n\
         \x20 BREAKING  header parameter X-Trace: removed [parameter-removed]\n\
         \n\
         POST /search (search)\n\
         \x20 ok        request body field kind: enum value url added [request-enum-value-added]\n\
         \n\
         3 changes, 2 breaking\n"
    );
    assert_eq!(
        report.render(Format::Jsonl),
        concat!(
            r#"{"id":"request-maximum-lowered","severity":"breaking","file":"new.yaml","line":20,"pointer":"/paths/~1events~1{id}/get/parameters/1/schema/maximum","operation":"getEvent","location":"GET /events/{id} (getEvent): query parameter size","message":"maximum 500 → 100"}"#,
            "\n",
            r#"{"id":"parameter-removed","severity":"breaking","file":"old.yaml","line":21,"pointer":"/paths/~1events~1{id}/get/parameters/2","operation":"getEvent","location":"GET /events/{id} (getEvent): header parameter X-Trace","message":"removed"}"#,
            "\n",
            r#"{"id":"request-enum-value-added","severity":"non-breaking","file":"new.yaml","line":89,"pointer":"/components/schemas/Query/properties/kind/enum/2","operation":"search","location":"POST /search (search): request body field kind","message":"enum value url added"}"#,
            "\n"
        )
    );
    assert_eq!(
        report.render(Format::Github),
        "::error file=new.yaml,line=20,title=request-maximum-lowered::GET /events/{id} (getEvent): query parameter size: maximum 500 → 100\n\
         ::error file=old.yaml,line=21,title=parameter-removed::GET /events/{id} (getEvent): header parameter X-Trace: removed\n\
         ::notice file=new.yaml,line=89,title=request-enum-value-added::POST /search (search): request body field kind: enum value url added\n\
         ::notice title=threatbind spec diff::3 changes in 2 files: 2 breaking, 1 non-breaking, 0 info; 0 ignored\n"
    );
    assert_eq!(
        report.render(Format::Markdown),
        "### threatbind spec diff: 3 changes (2 breaking, 1 non-breaking, 0 info), 0 ignored, 2 files\n\
         \n\
         | Severity | Rule | File | Where | Message |\n\
         | --- | --- | --- | --- | --- |\n\
         | breaking | `request-maximum-lowered` | `new.yaml:20` | GET /events/{id} (getEvent): query parameter size | maximum 500 → 100 |\n\
         | breaking | `parameter-removed` | `old.yaml:21` | GET /events/{id} (getEvent): header parameter X-Trace | removed |\n\
         | non-breaking | `request-enum-value-added` | `new.yaml:89` | POST /search (search): request body field kind | enum value url added |\n"
    );
}

#[test]
fn json_is_one_document_with_a_summary_and_an_empty_list_for_no_change() {
    let report = diff_report(FailOn::Breaking, &[], &three_changes());
    let doc: Value = serde_json::from_str(&report.render(Format::Json)).unwrap();
    assert_eq!(doc["tool"], "threatbind spec diff");
    assert_eq!(doc["findings"].as_array().unwrap().len(), 3);
    assert_eq!(doc["findings"][1]["file"], "old.yaml");
    assert_eq!(doc["findings"][1]["line"], 21);
    assert_eq!(
        doc["summary"],
        serde_json::json!({"findings": 3, "breaking": 2, "non-breaking": 1, "info": 0, "ignored": 0, "files": 2})
    );

    let unchanged = diff_report(FailOn::Breaking, &[], BASE);
    assert_eq!(
        unchanged.render(Format::Json),
        "{\n  \"tool\": \"threatbind spec diff\",\n  \"findings\": [],\n  \"summary\": {\n    \"findings\": 0,\n    \"breaking\": 0,\n    \"non-breaking\": 0,\n    \"info\": 0,\n    \"ignored\": 0,\n    \"files\": 2\n  }\n}\n"
    );
    assert_eq!(unchanged.render(Format::Jsonl), "");

    let lint = lint_report(&two_findings(), &["missing-summary"]);
    let doc: Value = serde_json::from_str(&lint.render(Format::Json)).unwrap();
    assert_eq!(
        doc["summary"],
        serde_json::json!({"findings": 1, "error": 1, "warning": 0, "info": 0, "ignored": 1, "files": 1})
    );
}

fn junit(report: &Report) -> String {
    let xml = report.render(Format::Junit);
    roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("not well-formed: {e}\n{xml}"));
    xml
}

#[test]
fn junit_has_a_suite_per_file_and_a_case_per_rule_failing_on_the_threshold() {
    let report = lint_report(&two_findings(), &[]).with_fail_on(FailOn::Error);
    let xml = junit(&report);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let rules = threatbind_spec_tools::lint::RULES.len().to_string();
    assert_eq!(root.attribute("tests"), Some(rules.as_str()));
    assert_eq!(root.attribute("failures"), Some("1"));
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1);
    assert_eq!(suites[0].attribute("name"), Some("t.yaml"));
    let case = |name: &str| {
        suites[0]
            .children()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no test case {name}"))
    };
    // An error crosses --fail-on error: a failure naming the line.
    let failure = case("operation-id-missing")
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("a failure");
    assert_eq!(
        failure.attribute("message"),
        Some("the operation has no operationId")
    );
    assert_eq!(
        failure.text(),
        Some("t.yaml:13: /paths/~1other/get: operation-id-missing: the operation has no operationId\n")
    );
    // A warning under the threshold passes, shown in system-out.
    let warning = case("missing-summary");
    assert!(!warning.children().any(|n| n.has_tag_name("failure")));
    let out = warning
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .unwrap();
    assert_eq!(
        out.text(),
        Some("t.yaml:6: /paths/~1things/get: missing-summary: the operation has no summary (warning)\n")
    );
    // A rule without findings passes, empty.
    assert_eq!(case("unknown-key").children().count(), 0);
}

#[test]
fn junit_escapes_what_xml_does_not_allow() {
    let mut report = Report::new(Tool::Check);
    report.add(
        Finding::new("bad-<&>", Severity::Error, "a \"b\" & 'c'.har", "/x")
            .message("control \u{1} and \u{1b}[31m gone, <tag> & \"quotes\" kept"),
        None,
    );
    let xml = junit(&report);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(
        failure.attribute("message"),
        Some("control  and [31m gone, <tag> & \"quotes\" kept")
    );
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase"))
        .unwrap();
    assert_eq!(case.attribute("name"), Some("bad-<&>"));
    assert_eq!(case.attribute("classname"), Some("a \"b\" & 'c'.har"));
}

/// The official SARIF 2.1.0 schema (draft-07, `$id`
/// https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json),
/// vendored from the npm package @datadog/datadog-ci 2.48.0
/// (dist/commands/sarif/json-schema/sarif-schema-2.1.0.json, Apache-2.0), which ships it
/// unchanged to validate SARIF uploads; GitHub and OASIS cannot be reached from the build.
fn sarif_validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(include_str!("sarif-schema-2.1.0.json")).expect("the schema parses");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn valid_sarif(report: &Report) -> Value {
    let text = report.render(Format::Sarif);
    let sarif: Value = serde_json::from_str(&text).unwrap();
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{text}");
    sarif
}

#[test]
fn the_schema_refuses_a_broken_sarif_log() {
    // The validator is not vacuous: a result without a message, a bad level, a line 0.
    let broken = serde_json::json!({
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "x"}}, "results": [
            {"ruleId": "a", "level": "fatal", "locations": [{"physicalLocation": {"region": {"startLine": 0}}}]}
        ]}]
    });
    assert!(sarif_validator().iter_errors(&broken).count() >= 3);
}

#[test]
fn sarif_of_a_lint_run_is_valid_with_rules_from_the_catalogue() {
    let report = lint_report(&two_findings(), &["missing-summary"]);
    let sarif = valid_sarif(&report);
    let run = &sarif["runs"][0];
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["name"], "threatbind");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), threatbind_spec_tools::lint::RULES.len());
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let error = &results[0];
    assert_eq!(error["ruleId"], "operation-id-missing");
    assert_eq!(error["level"], "error");
    let index = error["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "operation-id-missing");
    assert_eq!(
        rules[index]["shortDescription"]["text"],
        "an operation without `operationId`"
    );
    let physical = &error["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "t.yaml");
    assert_eq!(physical["region"]["startLine"], 13);
    // The ignored finding is a suppressed result, and counted.
    assert_eq!(results[1]["ruleId"], "missing-summary");
    assert_eq!(results[1]["suppressions"][0]["kind"], "external");
    assert_eq!(run["properties"]["summary"]["ignored"], 1);
}

#[test]
fn sarif_of_a_diff_run_is_valid_with_lines_in_both_specs() {
    let report = diff_report(FailOn::Breaking, &[], &three_changes());
    let sarif = valid_sarif(&report);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let places: Vec<(String, String, u64, String)> = results
        .iter()
        .map(|r| {
            let p = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                p["artifactLocation"]["uri"].as_str().unwrap().to_owned(),
                p["region"]["startLine"].as_u64().unwrap(),
                r["level"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("request-maximum-lowered", "new.yaml", 20, "error"),
        ("parameter-removed", "old.yaml", 21, "error"),
        ("request-enum-value-added", "new.yaml", 89, "note"),
    ];
    let expected: Vec<(String, String, u64, String)> = expected
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), *c, d.to_string()))
        .collect();
    assert_eq!(places, expected);
    // Empty and odd: no results, a file name that must be percent-encoded, no line.
    valid_sarif(&diff_report(FailOn::Breaking, &[], BASE));
    let mut odd = Report::new(Tool::Check);
    odd.add(
        Finding::new("x", Severity::Info, "HEAD:dir/a b%.yaml", "").message("m"),
        None,
    );
    let sarif = valid_sarif(&odd);
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
            ["uri"],
        "HEAD%3Adir/a%20b%25.yaml"
    );
}

#[test]
fn github_escapes_data_and_properties_as_the_toolkit_does() {
    let mut report = Report::new(Tool::Check);
    report.add(
        Finding::new("r", Severity::Warning, "a,b:c%.har", "/x")
            .line(Some(3))
            .location(Some("entry 1"))
            .message("100% sure\r\nsecond line, with: colon"),
        None,
    );
    assert_eq!(
        report.render(Format::Github).lines().next(),
        Some("::warning file=a%2Cb%3Ac%25.har,line=3,title=r::entry 1: 100%25 sure%0D%0Asecond line, with: colon")
    );
}

#[test]
fn markdown_cells_keep_the_table_whole() {
    let mut report = Report::new(Tool::Check);
    report.add(
        Finding::new("r", Severity::Error, "a|b.json", "/x")
            .message("a | pipe,\na line break and <script>"),
        None,
    );
    let md = report.render(Format::Markdown);
    assert_eq!(
        md.lines().last(),
        Some("| error | `r` | `a\\|b.json` | /x | a \\| pipe, a line break and &lt;script&gt; |")
    );
}

#[test]
fn thresholds() {
    let warning_only = lint_report(ONE_WARNING, &[]);
    assert!(warning_only.fails(FailOn::Warning));
    assert!(!warning_only.fails(FailOn::Error));
    assert!(!warning_only.fails(FailOn::Never));
    let both = lint_report(&two_findings(), &[]);
    assert!(both.fails(FailOn::Error));
    assert!(!both.fails(FailOn::Never));

    let non_breaking = diff_report(
        FailOn::Breaking,
        &[],
        &edited(&[("enum: [ip, domain]", "enum: [ip, domain, url]")]),
    );
    assert!(!non_breaking.fails(FailOn::Breaking));
    assert!(non_breaking.fails(FailOn::Any));
    assert!(!non_breaking.fails(FailOn::Never));
    let breaking = diff_report(FailOn::Breaking, &[], &three_changes());
    assert!(breaking.fails(FailOn::Breaking));
    // Ignored findings never fail a run.
    let ignored = diff_report(
        FailOn::Breaking,
        &["request-maximum-lowered", "parameter-removed"],
        &three_changes(),
    );
    assert!(!ignored.fails(FailOn::Breaking));
    assert!(ignored.fails(FailOn::Any));
}

#[test]
fn x_lint_ignore_on_the_object_or_above_sets_findings_aside() {
    // On the operation: its missing summary is accepted; the other operation's error is not
    // covered (x-lint-ignore is on a sibling).
    let text = two_findings().replace(
        "      operationId: listThings\n",
        "      operationId: listThings\n      x-lint-ignore: [missing-summary, operation-id-missing]\n",
    );
    let report = lint_report(&text, &[]);
    let ids: Vec<&str> = report.findings().iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["operation-id-missing"]);
    assert_eq!(report.ignored().len(), 1);
    assert_eq!(report.ignored()[0].1, IgnoredBy::Spec);
    assert_eq!(report.ignored()[0].0.id, "missing-summary");
    assert!(report.render(Format::Markdown).starts_with(
        "### threatbind spec lint: 1 finding (1 error, 0 warnings, 0 info), 1 ignored, 1 file\n"
    ));
    assert!(report
        .render(Format::Github)
        .ends_with("::notice title=threatbind spec lint::1 finding in 1 file: 1 error, 0 warnings, 0 info; 1 ignored\n"));
    let xml = junit(&report);
    assert!(
        xml.contains("<property name=\"ignored\" value=\"1\"/>"),
        "{xml}"
    );
    assert!(xml.contains("(ignored by x-lint-ignore)"), "{xml}");

    // At the root: everything of that rule, anywhere.
    let text = two_findings().replace(
        "openapi: 3.0.3\n",
        "openapi: 3.0.3\nx-lint-ignore: [operation-id-missing]\n",
    );
    let report = lint_report(&text, &[]);
    let ids: Vec<&str> = report.findings().iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["missing-summary"]);
    assert_eq!(report.summary().ignored, 1);

    // A diff change accepted on the new spec's operation.
    let new = three_changes().replace(
        "      operationId: getEvent\n",
        "      operationId: getEvent\n      x-lint-ignore: [parameter-removed]\n",
    );
    let report = diff_report(FailOn::Breaking, &[], &new);
    let ids: Vec<&str> = report.findings().iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["request-maximum-lowered", "request-enum-value-added"]);
    assert_eq!(report.ignored()[0].0.id, "parameter-removed");
    assert!(report
        .render(Format::Text)
        .ends_with("\n2 changes, 1 breaking, 1 ignored\n"));
}

#[test]
fn a_malformed_x_lint_ignore_is_a_lint_finding() {
    let text = ONE_WARNING.replace(
        "      operationId: listThings\n",
        "      operationId: listThings\n      x-lint-ignore: missing-summary\n",
    );
    let report = lint_report(&text, &[]);
    let found: Vec<(&str, Option<usize>, &str)> = report
        .findings()
        .iter()
        .map(|f| (f.id.as_str(), f.line, f.message.as_str()))
        .collect();
    assert!(
        found.contains(&(
            "x-model",
            Some(8),
            "x-lint-ignore is a list of rule ids (non-empty strings)"
        )),
        "{found:?}"
    );
    // Not a list: it accepts nothing.
    assert!(report.findings().iter().any(|f| f.id == "missing-summary"));
}

#[test]
fn assumed_since_keeps_only_new_inferences() {
    let old = "openapi: 3.0.3\ncomponents:\n  schemas:\n    A: {type: string, x-assumed: no unit}\n    B: {type: string, x-assumed: old reason}\n";
    let new = "openapi: 3.0.3\ncomponents:\n  schemas:\n    A: {type: string, x-assumed: no unit}\n    B: {type: string, x-assumed: new reason}\n    C: {type: string, x-assumed: not on the page}\n";
    let mut report = Report::new(Tool::Assumed);
    assumed_into(&mut report, "s.yaml", new, Some(old));
    assert_eq!(
        report.render(Format::Text),
        "s.yaml:5: /components/schemas/B: new reason\ns.yaml:6: /components/schemas/C: not on the page\n"
    );
    let mut all = Report::new(Tool::Assumed);
    assumed_into(&mut all, "s.yaml", new, None);
    assert_eq!(all.findings().len(), 3);
    assert_eq!(all.findings()[0].severity, Severity::Info);
    assert!(!all.fails(FailOn::Warning));
}

/// 100 000 (`MAX_FINDINGS`) findings of `id` and `severity` in `t.yaml`.
fn fill(report: &mut Report, id: &str, severity: Severity) {
    for i in 0..100_000 {
        report.add(Finding::new(id, severity, "t.yaml", &format!("/{i}")), None);
    }
}

#[test]
fn ignored_findings_never_take_the_place_of_a_reported_one() {
    // A capture with many accepted findings, then one error: the error is reported and fails.
    let mut report = Report::new(Tool::Check).ignoring(["noisy"]);
    fill(&mut report, "noisy", Severity::Warning);
    report.add(
        Finding::new("response-schema", Severity::Error, "t.har", "/x"),
        None,
    );
    report.add(
        Finding::new("noisy", Severity::Warning, "t.yaml", "/y"),
        None,
    );
    assert_eq!(report.findings().len(), 1);
    assert_eq!(report.findings()[0].id, "response-schema");
    assert!(report.fails(FailOn::Error));
    // The ignored finding past the bound is counted, not kept.
    assert_eq!(report.summary().ignored, 100_001);
    assert_eq!(report.ignored().len(), 100_000);
}

#[test]
fn a_finding_past_the_bound_still_fails_the_run() {
    let mut report = Report::new(Tool::Check);
    fill(&mut report, "w", Severity::Warning);
    report.add(Finding::new("e", Severity::Error, "t.yaml", "/e"), None);
    assert_eq!(report.findings().len(), 100_000);
    assert_eq!(report.dropped(), 1);
    assert!(report.fails(FailOn::Error));
    assert!(report.summary_line().ends_with("; 1 more not kept"));
    // Below the threshold, a dropped finding fails nothing.
    let mut info = Report::new(Tool::Check);
    fill(&mut info, "w", Severity::Warning);
    info.add(Finding::new("i", Severity::Info, "t.yaml", "/i"), None);
    assert!(!info.fails(FailOn::Error));
}

//! The spec linter: the project's specs lint clean, each rule fires on its small broken spec
//! under tests/lint/ (named after the rule) at the right line, the locator finds every key,
//! and nothing panics (`threatbind spec lint` is tested with the CLI).

use std::path::Path;
use threatbind_spec_tools::lint::{assumptions, lint, Finding, Locator, RULES};

/// This crate's folder (tests/lint/ is under it).
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `specs/*.yaml`, as (shown name, text).
fn specs() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(root().join("../../specs"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = format!("specs/{}", p.file_name().unwrap().to_string_lossy());
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

fn broken(name: &str) -> (String, String) {
    let shown = format!("tests/lint/{name}.yaml");
    let text = std::fs::read_to_string(root().join(&shown)).unwrap();
    (shown, text)
}

fn show(findings: &[Finding]) -> String {
    findings.iter().map(|f| format!("{f}\n")).collect()
}

#[test]
fn every_spec_lints_clean() {
    let mut all: Vec<Finding> = Vec::new();
    for (name, text) in specs() {
        all.extend(lint(&name, &text));
    }
    print!("{}", show(&all));
    assert!(
        all.is_empty(),
        "{} findings in specs/:\n{}",
        all.len(),
        show(&all)
    );
}

#[test]
fn the_minimal_valid_spec_has_no_findings() {
    let (name, text) = broken("valid");
    let findings = lint(&name, &text);
    assert!(findings.is_empty(), "{}", show(&findings));
}

/// The findings of tests/lint/<file>.yaml are exactly `expected` (rule, line) pairs.
fn expect_findings(file: &str, expected: &[(&str, usize)]) {
    let (name, text) = broken(file);
    let findings = lint(&name, &text);
    let mut got: Vec<(&str, usize)> = findings
        .iter()
        .map(|f| (f.rule.as_str(), f.line.unwrap_or(0)))
        .collect();
    got.sort();
    let mut want = expected.to_vec();
    want.sort();
    assert_eq!(got, want, "findings of {name}:\n{}", show(&findings));
    for f in &findings {
        assert_eq!(f.file, name);
        assert!(!f.message.is_empty());
        assert!(f
            .to_string()
            .starts_with(&format!("{name}:{}: ", f.line.unwrap())));
    }
}

macro_rules! rule_test {
    ($test:ident, $file:literal, [$(($rule:literal, $line:literal)),* $(,)?]) => {
        #[test]
        fn $test() {
            expect_findings($file, &[$(($rule, $line)),*]);
        }
    };
}

rule_test!(parse_error, "parse-error", [("parse-error", 12)]);
rule_test!(duplicate_key, "duplicate-key", [("duplicate-key", 13)]);
rule_test!(openapi_version, "openapi-version", [("openapi-version", 1)]);
rule_test!(missing_field, "missing-field", [("missing-field", 2)]);
rule_test!(unknown_key, "unknown-key", [("unknown-key", 35)]);
rule_test!(wrong_type, "wrong-type", [("wrong-type", 4)]);
rule_test!(bad_value, "bad-value", [("bad-value", 33)]);
rule_test!(
    mutually_exclusive,
    "mutually-exclusive",
    [("mutually-exclusive", 25)]
);
rule_test!(
    bad_status_code,
    "bad-status-code",
    [("bad-status-code", 25)]
);
rule_test!(unresolved_ref, "unresolved-ref", [("unresolved-ref", 23)]);
rule_test!(ref_siblings, "ref-siblings", [("ref-siblings", 25)]);
rule_test!(ref_wrong_kind, "ref-wrong-kind", [("ref-wrong-kind", 26)]);
rule_test!(
    path_parameter_not_required,
    "path-parameter-not-required",
    [("path-parameter-not-required", 14)]
);
rule_test!(
    path_parameter_mismatch,
    "path-parameter-mismatch",
    [
        ("path-parameter-mismatch", 9),
        ("path-parameter-mismatch", 14)
    ]
);
rule_test!(
    duplicate_parameter,
    "duplicate-parameter",
    [("duplicate-parameter", 19)]
);
rule_test!(duplicate_tag, "duplicate-tag", [("duplicate-tag", 7)]);
rule_test!(
    invalid_pattern,
    "invalid-pattern",
    [("invalid-pattern", 33)]
);
rule_test!(
    bad_component_name,
    "bad-component-name",
    [("bad-component-name", 35)]
);
rule_test!(
    bad_security_requirement,
    "bad-security-requirement",
    [("bad-security-requirement", 8)]
);
rule_test!(
    required_not_defined,
    "required-not-defined",
    [("required-not-defined", 31)]
);
rule_test!(
    invalid_default,
    "invalid-default",
    [("invalid-default", 37)]
);
rule_test!(
    operation_id_missing,
    "operation-id-missing",
    [("operation-id-missing", 9)]
);
rule_test!(
    operation_id_style,
    "operation-id-style",
    [("operation-id-style", 10)]
);
rule_test!(
    operation_id_duplicate,
    "operation-id-duplicate",
    [("operation-id-duplicate", 28)]
);
rule_test!(missing_tag, "missing-tag", [("missing-tag", 9)]);
rule_test!(undeclared_tag, "undeclared-tag", [("undeclared-tag", 11)]);
rule_test!(missing_summary, "missing-summary", [("missing-summary", 9)]);
rule_test!(
    missing_error_response,
    "missing-error-response",
    [("missing-error-response", 18)]
);
rule_test!(
    missing_example,
    "missing-example",
    [("missing-example", 22)]
);
rule_test!(
    invalid_example,
    "invalid-example",
    [("invalid-example", 26)]
);
rule_test!(
    x_rules_malformed,
    "x-rules-malformed",
    [("x-rules-malformed", 15)]
);
rule_test!(
    x_rules_unknown_path,
    "x-rules-unknown-path",
    [("x-rules-unknown-path", 16)]
);
rule_test!(
    x_rate_limit_malformed,
    "x-rate-limit-malformed",
    [("x-rate-limit-malformed", 13)]
);
rule_test!(
    x_open_enums_malformed,
    "x-open-enums-malformed",
    [("x-open-enums-malformed", 7)]
);
rule_test!(
    x_pagination_malformed,
    "x-pagination-malformed",
    [("x-pagination-malformed", 13)]
);
rule_test!(
    x_pagination_unknown_path,
    "x-pagination-unknown-path",
    [("x-pagination-unknown-path", 15)]
);
rule_test!(
    x_enrich_unknown_path,
    "x-enrich-unknown-path",
    [("x-enrich-unknown-path", 14), ("x-enrich-unknown-path", 15)]
);
rule_test!(
    x_mock_unknown_path,
    "x-mock-unknown-path",
    [("x-mock-unknown-path", 18), ("x-mock-unknown-path", 19)]
);
rule_test!(
    x_assumed_malformed,
    "x-assumed-malformed",
    [("x-assumed-malformed", 34)]
);
rule_test!(
    x_notes_malformed,
    "x-notes-malformed",
    [("x-notes-malformed", 34), ("x-notes-malformed", 35)]
);
rule_test!(
    x_env_malformed,
    "x-env-malformed",
    [("x-env-malformed", 17)]
);
rule_test!(
    x_cli_malformed,
    "x-cli-malformed",
    [("x-cli-malformed", 11)]
);
// `sort[column]` written as its flag, `Size*` as a body field's, and a parameter whose name
// derives no flag; `sort[order]` without x-cli derives `--sort-order`, which is fine.
rule_test!(
    flag_not_shell_safe,
    "flag-not-shell-safe",
    [
        ("flag-not-shell-safe", 16),
        ("flag-not-shell-safe", 21),
        ("flag-not-shell-safe", 43)
    ]
);
rule_test!(
    x_flag_malformed,
    "x-flag-malformed",
    [("x-flag-malformed", 11)]
);

/// The mock's filters and sorting name request values that exist: a parameter renamed in the
/// spec and not in its `x-mock` is caught (Datadog's list, its real text edited).
#[test]
fn mock_filters_and_sorting_read_parameters_that_exist() {
    let (_, text) = specs()
        .into_iter()
        .find(|(name, _)| name == "specs/datadog-ioc.yaml")
        .unwrap();
    let edited = text
        .replace("by: query.sort[column]", "by: query.sort_column")
        .replace("- from: query.triage_state", "- from: query.triage");
    assert_ne!(edited, text);
    let findings = lint("specs/datadog-ioc.yaml", &edited);
    let mut got: Vec<(&str, String)> = findings
        .iter()
        .map(|f| (f.rule.as_str(), f.path.clone()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "x-mock-unknown-path",
                "/paths/~1api~1v2~1security~1siem~1ioc-explorer/get/x-mock/filter/0/from"
                    .to_owned()
            ),
            (
                "x-mock-unknown-path",
                "/paths/~1api~1v2~1security~1siem~1ioc-explorer/get/x-mock/sort/by".to_owned()
            ),
        ],
        "{}",
        show(&findings)
    );
}

#[test]
fn every_rule_has_its_broken_spec_and_every_broken_spec_names_a_rule() {
    for (id, _) in RULES {
        let path = root().join(format!("tests/lint/{id}.yaml"));
        assert!(path.exists(), "rule {id} has no tests/lint/{id}.yaml");
        let (name, text) = broken(id);
        assert!(
            lint(&name, &text).iter().any(|f| f.rule == *id),
            "{name} does not trigger {id}"
        );
    }
    for entry in std::fs::read_dir(root().join("tests/lint")).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let known = RULES.iter().any(|(id, _)| *id == stem);
        assert!(
            known || stem == "valid" || stem == "assumed",
            "tests/lint/{stem}.yaml names no rule"
        );
    }
    let mut ids: Vec<&str> = RULES.iter().map(|(id, _)| *id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), RULES.len(), "a rule id is listed twice");
}

#[test]
fn a_description_split_inside_a_flow_mapping_is_caught() {
    // `description: Foo: bar` inside braces does not even parse; a sentence that goes on to the
    // next line inside braces becomes a key of its own.
    let text = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {type: string, description: Foo: bar}\n";
    let findings = lint("a.yaml", text);
    assert_eq!(findings.len(), 1, "{}", show(&findings));
    assert_eq!(
        (findings[0].rule.as_str(), findings[0].line),
        ("parse-error", Some(6))
    );
    let text = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {type: string, description: The value,\n      which goes on}\n";
    let findings = lint("a.yaml", text);
    assert_eq!(findings.len(), 1, "{}", show(&findings));
    let f = &findings[0];
    assert_eq!((f.rule.as_str(), f.line), ("unknown-key", Some(7)));
    assert_eq!(f.path, "/components/schemas/A/which goes on");
}

/// A spec whose defects (lines 11 to 23) the standard's schema finds inside a `oneOf` (a
/// Parameter or a Reference, a path or a query parameter, schema or content, one security scheme
/// type or another): each is one finding, from the branch the value is meant for.
const ONE_OF_DEFECTS: &str = "openapi: 3.0.3
info: {title: T, version: '1'}
tags: [{name: T}]
paths:
  /things/{id}:
    get:
      operationId: getThing
      summary: Get
      tags: [T]
      parameters:
        - {name: id, in: path, required: false, schema: {type: string}}
        - {name: q, in: query, style: simple, schema: {type: string}}
        - {name: r, in: query}
        - {name: s, in: query, style: form, content: {application/json: {schema: {type: string}}}}
        - {name: t, in: body, schema: {type: string}}
        - {$ref: 7}
      responses:
        '200': {description: ok, headers: {X-A: {schema: {type: strin}}}}
        default: {description: 3}
components:
  securitySchemes:
    h: {type: http}
    k: {type: apiKey, name: key, in: header, scheme: basic}
";

#[test]
fn a_failed_one_of_is_one_finding_from_its_most_specific_branch() {
    let findings = lint("o.yaml", ONE_OF_DEFECTS);
    let got: Vec<(usize, &str, &str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f.line.unwrap_or(0),
                f.path.as_str(),
                f.rule.as_str(),
                f.message.as_str(),
            )
        })
        .collect();
    let want: Vec<(usize, &str, &str, &str)> = vec![
        (
            11,
            "/paths/~1things~1{id}/get/parameters/0",
            "path-parameter-not-required",
            "path parameter \"id\" needs required: true",
        ),
        (
            12,
            "/paths/~1things~1{id}/get/parameters/1/style",
            "bad-value",
            "style \"simple\" is not one of form, spaceDelimited, pipeDelimited, deepObject (in a Parameter object)",
        ),
        (
            13,
            "/paths/~1things~1{id}/get/parameters/2",
            "missing-field",
            "a Parameter or Header object needs \"schema\" or \"content\"",
        ),
        (
            14,
            "/paths/~1things~1{id}/get/parameters/3/style",
            "mutually-exclusive",
            "\"style\" is not allowed here: Some properties are not allowed if content is present",
        ),
        (
            15,
            "/paths/~1things~1{id}/get/parameters/4/in",
            "bad-value",
            "in \"body\" is not one of path, query, header, cookie",
        ),
        (
            16,
            "/paths/~1things~1{id}/get/parameters/5/$ref",
            "wrong-type",
            "\"$ref\" (of a Reference object) must be a string, not a number",
        ),
        (
            18,
            "/paths/~1things~1{id}/get/responses/200/headers/X-A/schema/type",
            "bad-value",
            "type \"strin\" is not one of array, boolean, integer, number, object, string (in a Schema object)",
        ),
        (
            19,
            "/paths/~1things~1{id}/get/responses/default/description",
            "wrong-type",
            "\"description\" (of a Response object) must be a string, not a number",
        ),
        (
            22,
            "/components/securitySchemes/h",
            "missing-field",
            "a Security Scheme (http) object needs \"scheme\"",
        ),
        (
            23,
            "/components/securitySchemes/k/scheme",
            "unknown-key",
            "\"scheme\" is not a field of a Security Scheme (apiKey) object; extensions start with x-",
        ),
    ];
    assert_eq!(got, want, "{}", show(&findings));
}

#[test]
fn json_specs_are_linted_too() {
    let text = r#"{
  "openapi": "3.0.3",
  "info": {"title": "T", "version": "1"},
  "paths": {},
  "component": {}
}"#;
    let findings = lint("t.json", text);
    assert_eq!(findings.len(), 1, "{}", show(&findings));
    assert_eq!(
        (findings[0].rule.as_str(), findings[0].line),
        ("unknown-key", Some(5))
    );
    let findings = lint("t.json", "{\n  \"openapi\": \"3.0.3\",\n  \"info\": {\n}");
    assert_eq!(findings[0].rule, "parse-error");
    assert_eq!(findings[0].line, Some(4));
}

#[test]
fn assumptions_are_listed_with_their_lines() {
    let (name, text) = broken("assumed");
    let found = assumptions(&name, &text);
    let got: Vec<(Option<usize>, &str)> = found.iter().map(|a| (a.line, a.path.as_str())).collect();
    assert_eq!(
        got,
        [
            (Some(13), "/paths/~1things~1{id}/get"),
            (Some(35), "/components/schemas/Thing/properties/size"),
        ]
    );
    assert_eq!(found[1].why, "the page gives no unit");
    assert!(lint(&name, &text).is_empty());
}

#[test]
fn the_locator_finds_every_key_of_every_spec() {
    fn walk(value: &serde_json::Value, pointer: &str, out: &mut Vec<String>) {
        let children: Vec<(String, &serde_json::Value)> = match value {
            serde_json::Value::Object(map) => map
                .iter()
                .map(|(k, v)| (k.replace('~', "~0").replace('/', "~1"), v))
                .collect(),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect(),
            _ => Vec::new(),
        };
        for (k, v) in children {
            let here = format!("{pointer}/{k}");
            out.push(here.clone());
            walk(v, &here, out);
        }
    }
    for (name, text) in specs() {
        let document: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
        let at = Locator::new(&text);
        assert!(at.duplicates().is_empty(), "{name}: {:?}", at.duplicates());
        let mut pointers = Vec::new();
        walk(&document, "", &mut pointers);
        let missing: Vec<&String> = pointers.iter().filter(|p| at.exact(p).is_none()).collect();
        assert!(missing.is_empty(), "{name}: not located: {missing:?}");
    }
}

#[test]
fn the_locator_reads_yaml_as_written() {
    let text = r#"%YAML 1.2
---
# a comment: not a key
root:
  plain: value # comment: still not a key
  "quoted key": 1
  'single ''quoted''': 2
  block: |
    not: a key
    - not an item
  folded: >-
    also: text
  list:
  - a
  -   b: 1
      c: 2
  -
    d: 3
  nested:
    - - x
      - y
  flow: {a: 1, "b c": [x, {d: 4}],
     e: "multi
       line", f: 'it''s'}
  url: https://example.com/a:b
  after: end
"#;
    let at = Locator::new(text);
    let cases = [
        ("/root", 4),
        ("/root/plain", 5),
        ("/root/quoted key", 6),
        ("/root/single 'quoted'", 7),
        ("/root/block", 8),
        ("/root/folded", 11),
        ("/root/list/0", 14),
        ("/root/list/1", 15),
        ("/root/list/1/b", 15),
        ("/root/list/1/c", 16),
        ("/root/list/2", 17),
        ("/root/list/2/d", 18),
        ("/root/nested/0", 20),
        ("/root/nested/0/1", 21),
        ("/root/flow/a", 22),
        ("/root/flow/b c/1/d", 22),
        ("/root/flow/e", 23),
        ("/root/flow/f", 24),
        ("/root/url", 25),
        ("/root/after", 26),
    ];
    for (pointer, line) in cases {
        assert_eq!(at.exact(pointer), Some(line), "{pointer}");
    }
    assert_eq!(at.exact("/root/block/not"), None);
    assert_eq!(at.exact("/a comment"), None);
    assert!(at.duplicates().is_empty());
    // Its reading agrees with the parser's.
    let parsed: serde_json::Value = serde_yaml_ng::from_str(text).unwrap();
    assert_eq!(parsed["root"]["flow"]["e"], "multi line");
    assert_eq!(parsed["root"]["list"][1]["c"], 2);
}

#[test]
fn nothing_panics_on_broken_or_hostile_input() {
    let deep_flow = "[".repeat(10_000);
    let deep_block: String = (0..400).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
    let cyclic = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/B'}\n    B: {$ref: '#/components/schemas/A'}\n    C: {type: object, properties: {c: {$ref: '#/components/schemas/C'}}, example: {c: {c: {}}}}\n    D: {$ref: '#/components/schemas/D'}\n    E: {type: array, items: {$ref: '#/components/schemas/A'}, example: [1]}\n";
    let mut inputs: Vec<String> = vec![
        String::new(),
        "null".into(),
        "[]".into(),
        "42".into(),
        "\u{feff}{}".into(),
        "\u{feff}openapi: 3.0.3\r\ninfo:\r\n  title: T\r\n".into(),
        "a: [1, {b: ".into(),
        "\"unterminated".into(),
        "- - - -".into(),
        "key: 'it''s\n  multi'\n: odd\n? complex\n: value\n".into(),
        "a: &x {b: 1}\nc: *x\n<<: *x\n".into(),
        "openapi: 3.0.3\npaths: {/a: {get: {responses: {'200': {$ref: 7}}, x-rules: [{kind: forbid, paths: [zz]}], x-pagination: {cursor: 3}}}}\n".into(),
        "openapi: 3.0.3\ncomponents: {schemas: {é: {type: string, pattern: '(', example: 1, default: [], x-cli: 3}}}\n".into(),
        deep_flow,
        deep_block,
        cyclic.into(),
    ];
    for (_, text) in specs() {
        let cut: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(211).collect();
        inputs.extend(cut.into_iter().map(|i| text[..i].to_owned()));
    }
    for text in &inputs {
        let _ = lint("x.yaml", text);
        let _ = assumptions("x.yaml", text);
        let _ = Locator::new(text);
    }
    let findings = lint("c.yaml", cyclic);
    assert!(
        findings
            .iter()
            .any(|f| f.rule == "unresolved-ref" && f.path == "/components/schemas/A/$ref"),
        "{}",
        show(&findings)
    );
}

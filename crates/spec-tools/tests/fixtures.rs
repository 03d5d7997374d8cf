//! Fixture scaffolds: for a tiny spec, the files and their contents exactly; for an operation
//! of each API, every invalid request the scaffold writes is refused by the library's
//! validator with the rule it is named for, and its request is accepted.

use chrono::{DateTime, Utc};
use threatbind::spec::Api;
use threatbind_spec_tools::fixtures::{scaffold, Target};

/// The contract tests' clock (tests/contract.rs), so time-relative rules judge alike.
fn now() -> DateTime<Utc> {
    "2026-06-01T00:00:00Z".parse().unwrap()
}

#[test]
fn every_scaffold_of_every_api_is_judged_as_named() {
    let mut problems = Vec::new();
    let mut rules_checked = 0;
    for api in Api::ALL {
        let mut invalid_checked = 0;
        for op in api.operations() {
            let made = scaffold(&Target::of(op));
            for file in &made.files {
                let label = format!("{}/{}/{}", api.stem(), op.id, file.name);
                if file.name.starts_with("request.") {
                    if let Err(v) = op.validate_request(&file.value, now()) {
                        let list: Vec<String> = v
                            .iter()
                            .map(|v| format!("{} at {}", v.rule, v.pointer()))
                            .collect();
                        problems.push(format!("{label}: refused: {}", list.join(", ")));
                    }
                } else if let Some((path, rule)) = file.expect() {
                    invalid_checked += 1;
                    rules_checked += usize::from(rule.starts_with("x-rules:"));
                    match op.validate_request(&file.value["document"], now()) {
                        Ok(()) => problems.push(format!("{label}: accepted")),
                        Err(v) if v.iter().any(|v| v.pointer() == path && v.rule == rule) => {}
                        Err(v) => {
                            let list: Vec<String> = v
                                .iter()
                                .map(|v| format!("{} at {}", v.rule, v.pointer()))
                                .collect();
                            problems.push(format!(
                                "{label}: expected {rule} at {path}, got {}",
                                list.join(", ")
                            ));
                        }
                    }
                }
            }
        }
        if invalid_checked == 0 {
            problems.push(format!("{}: no invalid request scaffolded", api.stem()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(rules_checked > 5, "only {rules_checked} x-rules files");
}

/// tests/fixtures/tiny.yaml: one operation with a parameter of each kind of bound, a body with
/// an enum and a list, an x-rule, and answers with and without an example.
fn tiny() -> (serde_json::Value, Vec<threatbind::spec::Rule>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let document: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
    let mut model = threatbind_model::read_document("tiny.yaml", &text, &document).unwrap();
    let rules = model.operations.remove("findThings").unwrap().rules;
    (document, rules)
}

#[test]
fn the_scaffold_of_a_tiny_spec_is_these_files() {
    let (document, rules) = tiny();
    let operation = document.pointer("/paths/~1things/post").unwrap();
    let target = Target {
        id: "findThings",
        document: &document,
        operation,
        rules: &rules,
    };
    let made = scaffold(&target);
    let texts: Vec<(String, String)> = made
        .files
        .iter()
        .map(|f| (f.name.clone(), f.text()))
        .collect();
    let names: Vec<&str> = texts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "request.example.json",
            "response.200.example.json",
            "response.404.example.json",
            "invalid-request.query-q.minLength.json",
            "invalid-request.query-q.maxLength.json",
            "invalid-request.query-q.type.json",
            "invalid-request.query-limit.minimum.json",
            "invalid-request.query-limit.maximum.json",
            "invalid-request.query-limit.type.json",
            "invalid-request.body-kind.enum.json",
            "invalid-request.body-kind.type.json",
            "invalid-request.body-tags.maxItems.json",
            "invalid-request.body-tags.type.json",
            "invalid-request.x-rules.no-b.json",
        ]
    );
    let text = |name: &str| texts.iter().find(|(n, _)| n == name).unwrap().1.as_str();
    assert_eq!(
        text("request.example.json"),
        "{\n  \"body\": {\n    \"kind\": \"a\",\n    \"tags\": [\n      \"red\"\n    ]\n  },\n  \"query\": {\n    \"q\": \"abc\"\n  }\n}\n"
    );
    assert_eq!(text("response.200.example.json"), "{\n  \"count\": 2\n}\n");
    assert_eq!(
        text("response.404.example.json"),
        "{\n  \"error\": \"x\"\n}\n"
    );
    assert_eq!(
        text("invalid-request.query-q.maxLength.json"),
        "{\n  \"document\": {\n    \"body\": {\n      \"kind\": \"a\",\n      \"tags\": [\n        \"red\"\n      ]\n    },\n    \"query\": {\n      \"q\": \"xxxxxx\"\n    }\n  },\n  \"expect\": {\n    \"path\": \"/query/q\",\n    \"rule\": \"maxLength\"\n  }\n}\n"
    );
    let expected: [(&str, &str, &str, serde_json::Value); 11] = [
        (
            "invalid-request.query-q.minLength.json",
            "/query/q",
            "minLength",
            serde_json::json!(""),
        ),
        (
            "invalid-request.query-q.maxLength.json",
            "/query/q",
            "maxLength",
            serde_json::json!("xxxxxx"),
        ),
        (
            "invalid-request.query-q.type.json",
            "/query/q",
            "type",
            serde_json::json!(12345),
        ),
        (
            "invalid-request.query-limit.minimum.json",
            "/query/limit",
            "minimum",
            serde_json::json!(0),
        ),
        (
            "invalid-request.query-limit.maximum.json",
            "/query/limit",
            "maximum",
            serde_json::json!(11),
        ),
        (
            "invalid-request.query-limit.type.json",
            "/query/limit",
            "type",
            serde_json::json!("not-a-number"),
        ),
        (
            "invalid-request.body-kind.enum.json",
            "/body/kind",
            "enum",
            serde_json::json!("not-one-of-the-values"),
        ),
        (
            "invalid-request.body-kind.type.json",
            "/body/kind",
            "type",
            serde_json::json!(12345),
        ),
        (
            "invalid-request.body-tags.maxItems.json",
            "/body/tags",
            "maxItems",
            serde_json::json!(["red", "red", "red"]),
        ),
        (
            "invalid-request.body-tags.type.json",
            "/body/tags",
            "type",
            serde_json::json!("not-an-object-or-list"),
        ),
        (
            "invalid-request.x-rules.no-b.json",
            "/body/kind",
            "x-rules:no-b",
            serde_json::json!("b"),
        ),
    ];
    for (name, path, rule, value) in &expected {
        let file = made.files.iter().find(|f| f.name == *name).unwrap();
        assert_eq!(file.expect(), Some((*path, *rule)), "{name}");
        assert_eq!(file.value["document"].pointer(path), Some(value), "{name}");
        // The library's validator refuses the value with that keyword (the x-rule is checked
        // through a compiled API's operations in the test above).
        if !rule.starts_with("x-rules:") {
            let dotted = path.trim_start_matches('/').replace('/', ".");
            let schema = threatbind::spec::schema_at(&document, operation, &dotted).unwrap();
            let violations = threatbind::spec::check_schema(&schema, value).unwrap();
            assert!(
                violations.iter().any(|v| v.rule == *rule),
                "{name}: {violations:?}"
            );
        }
    }
    assert_eq!(
        made.notes,
        ["responses default: a fixture names one status; write response.<status>.<name>.json by hand"]
    );
}

#[test]
fn the_scaffold_never_overwrites_and_says_what_it_skipped() {
    let (document, rules) = tiny();
    let operation = document.pointer("/paths/~1things/post").unwrap();
    let target = Target {
        id: "findThings",
        document: &document,
        operation,
        rules: &rules,
    };
    let made = scaffold(&target);
    let dir = std::env::temp_dir().join(format!("threatbind-scaffold-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("request.example.json"), "mine\n").unwrap();
    let done = threatbind_spec_tools::fixtures::write(&dir, &made).unwrap();
    assert_eq!(done.skipped, [dir.join("request.example.json")]);
    assert_eq!(done.written.len(), 13);
    assert_eq!(
        std::fs::read_to_string(dir.join("request.example.json")).unwrap(),
        "mine\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("response.200.example.json")).unwrap(),
        "{\n  \"count\": 2\n}\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

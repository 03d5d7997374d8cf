//! threatbind's own schema validator (`src/spec/keywords.rs`) against the reference, the
//! `jsonschema` crate (a dev-dependency only): the same verdict on every fixture and on every
//! systematic mutation of the valid ones (each leaf replaced by values of other types and
//! edge values, each property removed, an unknown one added), for requests and responses.
//!
//! Then the same for documents generated from every operation's schemas and their one-keyword
//! mutations at each bound (`tests/properties/`: the generator and mutator of the property
//! tests), which reach the fields and limits no fixture holds.
//!
//! The library's verdict is read through the public API: a value is schema-valid when
//! `validate_request`/`validate_response` report nothing but `x-` rules (`x-rules`, which run
//! only on a schema-valid request, and `x-datetime-format`, which the reference ignores).

mod common;

// Only the mutated documents are used here, not what each mutation says it breaks.
#[allow(dead_code)]
#[path = "properties/mutate.rs"]
mod mutate;
#[path = "properties/schema_gen.rs"]
mod schema_gen;

use chrono::{DateTime, Utc};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
use threatbind::spec::{Api, Operation};

fn now() -> DateTime<Utc> {
    "2026-06-01T00:00:00Z".parse().unwrap()
}

/// `(operation, status or None for a request, value)` for every fixture; invalid fixtures
/// contribute their `document`.
fn fixtures() -> Vec<(&'static Operation, Option<u16>, Value)> {
    let (all, problems) = common::fixtures::load();
    assert!(problems.is_empty(), "{problems:?}");
    assert!(all.len() > 100, "only {} fixtures found", all.len());
    all.iter()
        .map(|f| {
            let (status, value) = f.checked();
            (f.op, status, value.clone())
        })
        .collect()
}

fn reference(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("the reference cannot compile {schema}: {e}"))
}

fn ours(op: &Operation, status: Option<u16>, value: &Value) -> bool {
    match status {
        None => match op.validate_request(value, now()) {
            Ok(()) => true,
            Err(found) => found.iter().all(|v| v.rule.starts_with("x-")),
        },
        Some(status) => match op.validate_response(status, value) {
            Ok(()) => true,
            Err(found) => found.iter().all(|v| v.rule.starts_with("x-")),
        },
    }
}

/// Values of every JSON type, and edge values of formats and lengths.
fn replacements() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1),
        json!(1.5),
        json!(2.0),
        json!(100000),
        json!(1e300),
        json!(u64::MAX),
        json!(""),
        json!("x"),
        json!("x".repeat(3000)),
        json!("HIGH"),
        json!("2024-01-01 00:00:00"),
        json!("2024-02-30 00:00:00"),
        json!("2026-02-28T10:00:00Z"),
        json!("2026-02-28T10:00:00.5+01:00"),
        json!("2026-02-28T25:00:00Z"),
        json!("2026-02-28"),
        json!("https://example.com/a?b=1#c"),
        json!("not a uri"),
        json!("123e4567-e89b-12d3-a456-426614174000"),
        json!("123e4567e89b12d3a456426614174000"),
        json!("8.8.8.8"),
        json!([]),
        json!(["x"]),
        json!([1, 2]),
        json!({}),
        json!({"k": "v"}),
    ]
}

/// Every mutation of `value`: each leaf (and each object and array) replaced, each property
/// removed, an unknown property added to each object. Bounded: depth 6, 4000 mutations.
fn mutations(value: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut pointers = Vec::new();
    collect_pointers(value, String::new(), 0, &mut pointers);
    let replacements = replacements();
    for pointer in &pointers {
        for r in &replacements {
            let mut v = value.clone();
            *v.pointer_mut(pointer).unwrap() = r.clone();
            out.push(v);
        }
        let mut v = value.clone();
        if let Some(Value::Object(map)) = v.pointer_mut(pointer) {
            map.insert("zz_unknown".into(), json!(1));
            out.push(v);
        }
        if let Some((parent, key)) = pointer.rsplit_once('/') {
            let mut v = value.clone();
            if let Some(Value::Object(map)) = v.pointer_mut(parent) {
                map.remove(key);
                out.push(v);
            }
        }
        if out.len() > 4000 {
            break;
        }
    }
    out
}

fn collect_pointers(value: &Value, at: String, depth: usize, out: &mut Vec<String>) {
    if depth > 6 {
        return;
    }
    out.push(at.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = k.replace('~', "~0").replace('/', "~1");
                collect_pointers(v, format!("{at}/{key}"), depth + 1, out);
            }
        }
        // The first two items: enough to reach every item schema.
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate().take(2) {
                collect_pointers(v, format!("{at}/{i}"), depth + 1, out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_same_verdict_as_the_reference_on_fixtures_and_their_mutations() {
    let mut compared = 0usize;
    let mut invalid = 0usize;
    let mut disagreements = Vec::new();
    for (op, status, value) in fixtures() {
        let schema = match status {
            None => op.request_schema(),
            Some(s) => op.response_schema(s).expect("a documented status"),
        };
        let reference = reference(&schema);
        let mut values = vec![value.clone()];
        if ours(op, status, &value) {
            values.extend(mutations(&value));
        }
        for v in values {
            let expected = reference.is_valid(&v);
            compared += 1;
            invalid += usize::from(!expected);
            if ours(op, status, &v) != expected && disagreements.len() < 20 {
                let what = status.map_or("request".to_owned(), |s| format!("response {s}"));
                let text = v.to_string();
                let shown: String = text.chars().take(300).collect();
                disagreements.push(format!(
                    "{} {what}: reference says valid={expected}: {shown}",
                    op.id
                ));
            }
        }
    }
    assert!(compared > 20_000, "only {compared} values compared");
    assert!(
        invalid > compared / 4,
        "only {invalid} of {compared} invalid: mutations too weak"
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreement(s), first ones:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

#[test]
fn schemas_with_every_supported_keyword_agree_with_the_reference() {
    // Keywords the specs do not use today, so a spec that starts to use them is covered too.
    let cases = [
        (
            json!({"multipleOf": 0.5}),
            vec![json!(1.5), json!(1.25), json!(3)],
        ),
        (
            json!({"uniqueItems": true}),
            vec![json!([1, 2]), json!([1, 1.0]), json!([{"a": 1}, {"a": 1}])],
        ),
        (
            json!({"minProperties": 1, "maxProperties": 2}),
            vec![json!({}), json!({"a": 1}), json!({"a": 1, "b": 2, "c": 3})],
        ),
        (
            json!({"not": {"type": "string"}}),
            vec![json!("a"), json!(1)],
        ),
        (
            json!({"anyOf": [{"type": "string"}, {"minimum": 3}]}),
            vec![json!("a"), json!(1), json!(5)],
        ),
        (
            json!({"oneOf": [{"type": "integer"}, {"minimum": 3}]}),
            vec![json!(1), json!(5), json!(4.5), json!(1.5)],
        ),
        (
            json!({"exclusiveMinimum": 1, "exclusiveMaximum": 3}),
            vec![json!(1), json!(2), json!(3)],
        ),
        (
            json!({"const": {"a": [1]}}),
            vec![json!({"a": [1.0]}), json!({"a": [2]})],
        ),
        (
            json!({"type": "string", "format": "email"}),
            vec![
                json!("a@example.com"),
                json!("a b@example.com"),
                json!("@example.com"),
            ],
        ),
        (
            json!({"type": "string", "format": "ipv6"}),
            vec![json!("::1"), json!("1::2::3"), json!("8.8.8.8")],
        ),
        (
            json!({"type": "string", "format": "ipv4"}),
            vec![json!("8.8.8.8"), json!("8.8.8"), json!("256.1.1.1")],
        ),
        (
            json!({"type": "string", "format": "date-time"}),
            vec![
                json!("2026-06-30T23:59:60Z"),
                json!("2026-06-30T10:00:60Z"),
                json!("2026-07-01T00:59:60+01:00"),
                json!("2026-06-30T23:59:60-00:30"),
                json!("2026-06-30T10:00:00.123456789+14:00"),
                json!("2026-06-30T10:00:00+24:00"),
            ],
        ),
        (
            json!({"type": "string", "format": "date"}),
            vec![json!("2024-02-29"), json!("2023-02-29"), json!("2024-2-29")],
        ),
        (
            json!({"type": "string", "pattern": "^[a-z]{2}\\d$"}),
            vec![json!("ab1"), json!("ab12"), json!("Ab1")],
        ),
        (
            json!({"type": ["string", "null"], "maxLength": 2}),
            vec![Value::Null, json!("abc"), json!("ab"), json!("ééé")],
        ),
        (
            json!({"type": "array", "items": {"type": "integer"}, "minItems": 1}),
            vec![json!([]), json!([1, 2.0]), json!([1.5])],
        ),
    ];
    let mut disagreements = Vec::new();
    for (schema, values) in cases {
        let reference = reference(&schema);
        let verdicts = threatbind_keywords_verdicts(&schema, &values);
        for (v, ours) in values.iter().zip(verdicts) {
            if ours != reference.is_valid(v) {
                disagreements.push(format!("{schema} / {v}: ours valid={ours}"));
            }
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// Our verdicts for a free-standing schema (`threatbind::spec::check_schema`, the compiler and
/// checker the operations use).
fn threatbind_keywords_verdicts(schema: &Value, values: &[Value]) -> Vec<bool> {
    values
        .iter()
        .map(|v| {
            threatbind::spec::check_schema(schema, v)
                .expect("compiles")
                .is_empty()
        })
        .collect()
}

/// Every operation's request schema and the answer schemas of common statuses, each as the
/// library shows it (`request_schema`/`response_schema`: JSON Schema with `nullable` turned
/// into a `null` type, the spec's components beside it).
fn schemas() -> Vec<(&'static Operation, Option<u16>, Value)> {
    let mut out = Vec::new();
    for api in Api::ALL {
        for op in api.operations() {
            out.push((op, None, op.request_schema()));
            for status in [200u16, 201, 202, 204, 400, 401, 403, 404, 429, 500] {
                if let Some(schema) = op.response_schema(status) {
                    out.push((op, Some(status), schema));
                }
            }
        }
    }
    out
}

#[test]
fn the_same_verdict_on_generated_documents_and_their_mutations() {
    // Deterministic (proptest's fixed-seed runner) and bounded: 8 documents per request
    // schema and per documented answer, each with every one-keyword mutation of it.
    let mut runner = TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let cases = schemas();
    let (mut compared, mut mutated, mut disagreements) = (0usize, 0usize, Vec::new());
    for (op, status, schema) in &cases {
        let reference = reference(schema);
        let strategy = schema_gen::value_of_document(schema.clone());
        for _ in 0..8 {
            let Ok(tree) = strategy.new_tree(&mut runner) else {
                continue;
            };
            let document = tree.current();
            let mut values = vec![document.clone()];
            for m in mutate::mutations(schema, schema, &document) {
                values.push(m.document);
                mutated += 1;
            }
            for v in values {
                compared += 1;
                let expected = reference.is_valid(&v);
                if ours(op, *status, &v) != expected && disagreements.len() < 20 {
                    let text: String = v.to_string().chars().take(300).collect();
                    disagreements.push(format!(
                        "{} {status:?}: reference says valid={expected}: {text}",
                        op.id
                    ));
                }
            }
        }
    }
    assert!(mutated > 1_000, "only {mutated} mutations");
    assert!(
        disagreements.is_empty(),
        "{} disagreement(s) in {compared} values, first ones:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// Every schema object of `value` that has a bound keyword, with its JSON pointer.
fn bounded_schemas<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) => {
            const BOUNDS: [&str; 6] = [
                "minLength",
                "maxLength",
                "minItems",
                "maxItems",
                "minimum",
                "maximum",
            ];
            if BOUNDS
                .iter()
                .any(|k| map.get(*k).is_some_and(Value::is_number))
            {
                out.push((at.clone(), value));
            }
            for (k, v) in map {
                bounded_schemas(v, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                bounded_schemas(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_same_verdict_at_every_bound_the_specs_write() {
    // For each schema with a bound: values at the bound, one inside and one outside it (strings
    // and arrays of that length, numbers), checked by both validators.
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let (mut compared, mut disagreements) = (0usize, Vec::new());
    // The components are in every operation's document: each of their schemas once per API.
    let mut seen = std::collections::HashSet::new();
    for (op, _, document) in schemas() {
        let mut sites = Vec::new();
        bounded_schemas(&document, String::new(), &mut sites);
        let components = document.get("components").cloned().unwrap_or(json!({}));
        for (at, schema) in sites {
            if at.starts_with("/components") && !seen.insert((op.api.stem(), at.clone())) {
                continue;
            }
            let at = format!("{} {}", op.id, at);
            let root = json!({"components": components, "allOf": [schema]});
            let reference = reference(&root);
            let item = schema.get("items").and_then(|items| {
                let root = json!({"components": components, "allOf": [items]});
                let strategy = schema_gen::value_of_document(root);
                strategy.new_tree(&mut runner).ok().map(|t| t.current())
            });
            let mut values = Vec::new();
            for key in [
                "minLength",
                "maxLength",
                "minItems",
                "maxItems",
                "minimum",
                "maximum",
            ] {
                let Some(bound) = schema.get(key).and_then(Value::as_f64) else {
                    continue;
                };
                for n in [bound - 1.0, bound, bound + 1.0] {
                    if key.ends_with("Length") && n >= 0.0 {
                        values.push(json!("a".repeat(n as usize)));
                    } else if key.ends_with("Items") && n >= 0.0 {
                        let one = item.clone().unwrap_or(json!("a"));
                        values.push(Value::Array(vec![one; n as usize]));
                    } else if key.ends_with("imum") {
                        values.push(json!(n));
                        values.push(json!(n + 0.5));
                    }
                }
            }
            for v in values {
                compared += 1;
                let expected = reference.is_valid(&v);
                let ours = threatbind::spec::check_schema(&root, &v)
                    .unwrap_or_else(|e| panic!("{at}: {e}"))
                    .is_empty();
                if ours != expected {
                    let text: String = v.to_string().chars().take(120).collect();
                    disagreements.push(format!("{at}: reference says valid={expected}: {text}"));
                }
            }
        }
    }
    assert!(compared > 100, "only {compared} values at bounds");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

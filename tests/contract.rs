//! Contract tests: every fixture in `tests/fixtures/<spec>/<operationId>/` is checked against its
//! operation's spec (JSON Schema + `x-rules`, through the same validator the client uses) and
//! decoded into the type progenitor generated. Layout and naming: `specs/README.md`.

mod common;

use chrono::{DateTime, Utc};
use common::fixtures::{load, Kind};
use serde_json::Value;
use threatbind::spec::Api;

/// Time-relative rules are checked against this fixed clock so fixtures do not age.
const NOW: &str = "2026-06-01T00:00:00Z";

fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

#[test]
fn every_fixture_names_an_operation_and_every_operation_has_fixtures() {
    let (fixtures, mut problems) = load();
    for api in Api::ALL {
        for op in api.operations() {
            let mine: Vec<_> = fixtures.iter().filter(|f| std::ptr::eq(f.op, op)).collect();
            let has = |k: fn(&Kind) -> bool| mine.iter().any(|f| k(&f.kind));
            if !has(|k| *k == Kind::Request) {
                problems.push(format!("{api}/{}: no valid request fixture", op.id));
            }
            if !has(|k| matches!(k, Kind::Response(s) if *s < 300)) {
                problems.push(format!("{api}/{}: no success response fixture", op.id));
            }
            if !has(|k| matches!(k, Kind::Response(s) if *s >= 400)) {
                problems.push(format!("{api}/{}: no error response fixture", op.id));
            }
            if !has(|k| *k == Kind::InvalidRequest) {
                problems.push(format!("{api}/{}: no invalid request fixture", op.id));
            }
            for rule in op.rules.iter().filter(|r| {
                !matches!(
                    r.kind,
                    threatbind::spec::RuleKind::ResponseNormalizes { .. }
                )
            }) {
                let tag = format!("x-rules:{}", rule.id);
                if !mine
                    .iter()
                    .any(|f| f.kind == Kind::InvalidRequest && f.expect().1 == tag)
                {
                    problems.push(format!(
                        "{api}/{}: rule {} has no invalid fixture",
                        op.id, rule.id
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "fixture problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn valid_fixtures_pass_their_operation_schema_and_rules() {
    let (fixtures, _) = load();
    let mut failures = Vec::new();
    let mut checked = 0;
    for f in &fixtures {
        let result = match f.kind {
            Kind::Request => f.op.validate_request(&f.value, now()),
            Kind::Response(status) => f.op.validate_response(status, &f.value),
            _ => continue,
        };
        checked += 1;
        if let Err(violations) = result {
            let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
            failures.push(format!("{}: {}", f.name(), list.join("; ")));
        }
    }
    assert!(checked > 50, "only {checked} valid fixtures found");
    assert!(
        failures.is_empty(),
        "valid fixtures rejected:\n{}",
        failures.join("\n")
    );
}

#[test]
fn invalid_fixtures_fail_for_the_expected_reason() {
    let (fixtures, _) = load();
    let mut failures = Vec::new();
    let mut checked = 0;
    for f in &fixtures {
        let document = &f.value["document"];
        let result = match f.kind {
            Kind::InvalidRequest => f.op.validate_request(document, now()),
            Kind::InvalidResponse(status) => f.op.validate_response(status, document),
            _ => continue,
        };
        checked += 1;
        let (path, rule) = f.expect();
        if path.is_empty() && rule.is_empty() {
            failures.push(format!("{}: no expect.path / expect.rule", f.name()));
            continue;
        }
        match result {
            Ok(()) => failures.push(format!("{}: accepted, expected {rule} at {path}", f.name())),
            Err(violations) => {
                if !violations
                    .iter()
                    .any(|v| v.pointer() == path && v.rule == rule)
                {
                    let got: Vec<String> = violations
                        .iter()
                        .map(|v| format!("{} at {}", v.rule, v.pointer()))
                        .collect();
                    failures.push(format!(
                        "{}: expected {rule} at {path}, got {}",
                        f.name(),
                        got.join(", ")
                    ));
                }
            }
        }
    }
    assert!(checked > 30, "only {checked} invalid fixtures found");
    assert!(
        failures.is_empty(),
        "invalid fixtures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn fixtures_decode_into_the_generated_types() {
    let (fixtures, _) = load();
    let mut failures = Vec::new();
    let mut decoded = 0;
    for f in &fixtures {
        // The generated decoders of the fixture's API (from build.rs: no table here).
        let api = f.api;
        let id = f.op.id.as_str();
        let bytes = |v: &Value| serde_json::to_vec(v).unwrap();
        let result = match &f.kind {
            Kind::Request => match f.value.get("body") {
                Some(b) => api.decode_request(id, &bytes(b)),
                None => continue,
            },
            Kind::Response(s) if *s < 300 => api.decode_success(id, &bytes(&f.value)),
            Kind::Response(s) => api.decode_error(id, *s, &bytes(&f.value)),
            // Tolerant reading: a value the spec's enum does not list still decodes.
            Kind::InvalidResponse(s) if f.expect().1 == "enum" && *s < 300 => {
                api.decode_success(id, &bytes(&f.value["document"]))
            }
            _ => continue,
        };
        match result {
            Some(Ok(())) => decoded += 1,
            Some(Err(e)) => failures.push(format!("{}: {e}", f.name())),
            None => failures.push(format!("{}: the spec names no type for it", f.name())),
        }
    }
    assert!(
        failures.is_empty(),
        "fixtures that do not decode:\n{}",
        failures.join("\n")
    );
    assert!(decoded > 60, "only {decoded} fixtures decoded");
}

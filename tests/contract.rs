//! Contract tests: every fixture in `tests/fixtures/<spec>/<operationId>/` is checked against its
//! operation's spec (JSON Schema + `x-rules`, through the same validator the client uses) and
//! decoded into the type progenitor generated. Layout and naming: `specs/README.md`.

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::path::{Path, PathBuf};
use threatbind::spec::{Api, Operation};

/// Time-relative rules are checked against this fixed clock so fixtures do not age.
const NOW: &str = "2026-06-01T00:00:00Z";

fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Request,
    Response(u16),
    InvalidRequest,
    InvalidResponse(u16),
}

#[derive(Debug)]
struct Fixture {
    api: Api,
    op: &'static Operation,
    path: PathBuf,
    kind: Kind,
    value: Value,
}

impl Fixture {
    fn name(&self) -> String {
        format!(
            "{}/{}/{}",
            self.api.stem(),
            self.op.id,
            self.path.file_name().unwrap().to_string_lossy()
        )
    }
    fn expect(&self) -> (&str, &str) {
        let e = &self.value["expect"];
        (
            e["path"].as_str().unwrap_or(""),
            e["rule"].as_str().unwrap_or(""),
        )
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn parse_kind(file: &str) -> Result<Kind, String> {
    let stem = file.strip_suffix(".json").ok_or("not a .json file")?;
    let mut parts = stem.split('.');
    let status = |p: Option<&str>| -> Result<u16, String> {
        p.and_then(|s| s.parse().ok())
            .ok_or_else(|| "needs an HTTP status after the kind".into())
    };
    let kind = match parts.next() {
        Some("request") => Kind::Request,
        Some("invalid-request") => Kind::InvalidRequest,
        Some("response") => Kind::Response(status(parts.next())?),
        Some("invalid-response") => Kind::InvalidResponse(status(parts.next())?),
        _ => {
            return Err(
                "must start with request, response, invalid-request or invalid-response".into(),
            )
        }
    };
    Ok(kind)
}

/// Loads every fixture; a folder without an operation or a badly named file is an error.
fn load() -> (Vec<Fixture>, Vec<String>) {
    let mut fixtures = Vec::new();
    let mut problems = Vec::new();
    for api_dir in std::fs::read_dir(root()).unwrap() {
        let api_dir = api_dir.unwrap().path();
        let stem = api_dir.file_name().unwrap().to_string_lossy().into_owned();
        let Some(api) = Api::ALL.iter().copied().find(|a| a.stem() == stem) else {
            problems.push(format!("{stem}: no spec of that name"));
            continue;
        };
        for op_dir in std::fs::read_dir(&api_dir).unwrap() {
            let op_dir = op_dir.unwrap().path();
            let op_id = op_dir.file_name().unwrap().to_string_lossy().into_owned();
            let Some(op) = api.operation(&op_id) else {
                problems.push(format!(
                    "{stem}/{op_id}: no operation with that operationId"
                ));
                continue;
            };
            for file in std::fs::read_dir(&op_dir).unwrap() {
                let path = file.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let kind = match parse_kind(&name) {
                    Ok(k) => k,
                    Err(e) => {
                        problems.push(format!("{stem}/{op_id}/{name}: {e}"));
                        continue;
                    }
                };
                let text = std::fs::read_to_string(&path).unwrap();
                match serde_json::from_str(&text) {
                    Ok(value) => fixtures.push(Fixture {
                        api,
                        op,
                        path,
                        kind,
                        value,
                    }),
                    Err(e) => problems.push(format!("{stem}/{op_id}/{name}: not JSON: {e}")),
                }
            }
        }
    }
    fixtures.sort_by_key(|f| f.path.clone());
    (fixtures, problems)
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

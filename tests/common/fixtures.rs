//! The fixtures of `tests/fixtures/<spec>/<operationId>/<kind>[.<status>].<name>.json`, loaded
//! and named (layout: `specs/README.md`).

use serde_json::Value;
use std::path::PathBuf;
use threatbind::spec::{Api, Operation};

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Request,
    Response(u16),
    InvalidRequest,
    InvalidResponse(u16),
}

#[derive(Debug)]
pub struct Fixture {
    pub api: Api,
    pub op: &'static Operation,
    pub path: PathBuf,
    pub kind: Kind,
    pub value: Value,
}

impl Fixture {
    pub fn name(&self) -> String {
        format!(
            "{}/{}/{}",
            self.api.stem(),
            self.op.id,
            self.path.file_name().unwrap().to_string_lossy()
        )
    }
    pub fn expect(&self) -> (&str, &str) {
        let e = &self.value["expect"];
        (
            e["path"].as_str().unwrap_or(""),
            e["rule"].as_str().unwrap_or(""),
        )
    }
}

pub fn root() -> PathBuf {
    super::root().join("tests/fixtures")
}

pub fn parse_kind(file: &str) -> Result<Kind, String> {
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
pub fn load() -> (Vec<Fixture>, Vec<String>) {
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

impl Fixture {
    /// The status (`None` for a request) and the JSON a validator checks: the fixture itself,
    /// or the `document` of an invalid one.
    pub fn checked(&self) -> (Option<u16>, &Value) {
        match self.kind {
            Kind::Request => (None, &self.value),
            Kind::Response(s) => (Some(s), &self.value),
            Kind::InvalidRequest => (None, &self.value["document"]),
            Kind::InvalidResponse(s) => (Some(s), &self.value["document"]),
        }
    }
}

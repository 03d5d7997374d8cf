//! Every example and default checked against its own schema: media-type `example`/`examples`
//! (JSON media types), parameter and header `example`/`examples`, schema `example` and
//! `default`. Schemas are compiled the way the run-time validator compiles them (`nullable`,
//! local `$ref`s, OpenAPI 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum`).

use super::project::is_json;
use super::standard::Sites;
use super::{child, last_segment, refs, Report};
use serde_json::Value;
use std::collections::HashMap;
use threatbind::spec::{CompiledSchema, SchemaCompiler};

/// Checks every example and default of `document`.
pub(crate) fn check(document: &Value, sites: &Sites, report: &mut Report) {
    let mut validators = Validators::new(document);
    for at in &sites.schemas {
        let Some(schema) = document.pointer(at) else {
            continue;
        };
        for (key, rule) in [
            ("default", "invalid-default"),
            ("example", "invalid-example"),
        ] {
            if let Some(value) = schema.get(key) {
                validators.check(schema, at, value, &child(at, key), rule, report);
            }
        }
    }
    let media = sites.media.iter().filter(|at| is_json(&last_segment(at)));
    for at in media.chain(&sites.parameters) {
        let Some(object) = document.pointer(at) else {
            continue;
        };
        let Some(schema) = object.get("schema") else {
            continue;
        };
        let schema_at = child(at, "schema");
        if let Some(example) = object.get("example") {
            let here = child(at, "example");
            validators.check(
                schema,
                &schema_at,
                example,
                &here,
                "invalid-example",
                report,
            );
        }
        let examples = object.get("examples").and_then(Value::as_object);
        for (name, entry) in examples.into_iter().flatten() {
            let entry_at = child(&child(at, "examples"), name);
            let Some((example, target)) = refs::follow(document, entry, &entry_at) else {
                continue; // unresolved-ref says so
            };
            let Some(value) = example.get("value") else {
                continue;
            };
            // A referenced example is reported where it is used: it may suit another schema.
            let here = if target == entry_at {
                child(&entry_at, "value")
            } else {
                entry_at
            };
            validators.check(schema, &schema_at, value, &here, "invalid-example", report);
        }
    }
}

/// Compiled schemas, by the pointer of the schema; `None` where one does not compile (an
/// unresolved `$ref`, a bad pattern or an unknown keyword, which other rules report).
struct Validators {
    compiler: SchemaCompiler,
    compiled: HashMap<String, Option<CompiledSchema>>,
}

impl Validators {
    fn new(document: &Value) -> Self {
        Validators {
            compiler: SchemaCompiler::new(document),
            compiled: HashMap::new(),
        }
    }

    /// Reports the first way `value` (at `here`) breaks `schema` (at `schema_at`).
    fn check(
        &mut self,
        schema: &Value,
        schema_at: &str,
        value: &Value,
        here: &str,
        rule: &'static str,
        report: &mut Report,
    ) {
        if !self.compiled.contains_key(schema_at) {
            let compiled = self.compiler.compile(schema).ok();
            self.compiled.insert(schema_at.to_owned(), compiled);
        }
        let Some(Some(validator)) = self.compiled.get(schema_at) else {
            return;
        };
        let Some(error) = validator.violations(value).into_iter().next() else {
            return;
        };
        let inside = error.pointer().to_owned();
        let message = error.message;
        let what = if rule == "invalid-default" {
            "default"
        } else {
            "example"
        };
        let place = if inside.is_empty() {
            String::new()
        } else {
            format!(" at {inside}")
        };
        report.add(
            &format!("{here}{inside}"),
            rule,
            format!("the {what} breaks its schema{place}: {message}"),
        );
    }
}

//! How much validating a request before sending costs, side by side with work every request does
//! anyway (serialising its body), in one run. Prints the ratio; `make bench` runs it.
//!
//! Then contract validation: every fixture of `tests/fixtures` (requests and answers) checked
//! against its operation's schema with the compiled validators, in fixtures per second,
//! beside the `jsonschema` crate's compiled validators on the same fixtures (what a user would
//! use instead) and beside compiling the schema for each fixture (what a one-off validation
//! costs). Appends to `target/bench-report.md`.
//!
//! Run: `cargo bench --bench validate`.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};
use threatbind::spec::{Api, Document};

fn time<F: FnMut()>(iterations: u32, mut f: F) -> Duration {
    for _ in 0..iterations / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed() / iterations
}

fn main() {
    let op = Api::Log360Cloud.operation("searchThreatAnalytics").unwrap();
    let now = chrono::Utc::now();
    let body = serde_json::json!({
        "indicator": "https://example.com/login", "indicator_type": "URL", "action": "HISTORY",
        "filter": {"start_date": (now - chrono::Duration::days(30)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "end_date": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)}
    });
    let doc = Document::new()
        .header("account_id", "18XXXXX4")
        .body(body.clone())
        .into_value();
    op.validate_request(&doc, now).expect("valid"); // compiles the validator once

    let n = 20_000;
    let serialise = time(n, || {
        black_box(serde_json::to_vec(black_box(&body)).unwrap());
    });
    let validate = time(n, || {
        black_box(op.validate_request(black_box(&doc), now)).unwrap();
    });
    let first_parse = {
        let start = Instant::now();
        let value: serde_json::Value = serde_yaml_ng::from_str(Api::Log360Cloud.source()).unwrap();
        black_box(value);
        start.elapsed()
    };
    println!(
        "serialise body (baseline)      {:>10.2?} per request",
        serialise
    );
    println!(
        "validate schema + x-rules      {:>10.2?} per request",
        validate
    );
    println!(
        "ratio validate / serialise     {:>10.1}x",
        validate.as_secs_f64() / serialise.as_secs_f64()
    );
    println!("parse log360-cloud.yaml (once) {:>10.2?}", first_parse);
    contract(serialise, validate);
}

/// A fixture: its operation, whether it is a request, its status (answers) and document.
type Fixture = (
    &'static threatbind::spec::Operation,
    Option<u16>,
    serde_json::Value,
);

fn fixtures() -> Vec<Fixture> {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for api in Api::ALL {
        for op in api.operations() {
            let dir = root.join(api.stem()).join(&op.id);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let status = if name.starts_with("request.") || name.starts_with("invalid-request.")
                {
                    None
                } else if let Some(rest) = name
                    .strip_prefix("response.")
                    .or_else(|| name.strip_prefix("invalid-response."))
                {
                    match rest.split('.').next().and_then(|s| s.parse().ok()) {
                        Some(status) => Some(status),
                        None => continue,
                    }
                } else {
                    continue;
                };
                let Ok(text) = std::fs::read_to_string(entry.path()) else {
                    continue;
                };
                if let Ok(value) = serde_json::from_str(&text) {
                    out.push((op, status, value));
                }
            }
        }
    }
    out
}

fn contract(serialise: Duration, validate: Duration) {
    let all = fixtures();
    let now = chrono::Utc::now();
    let compiled = |f: &Fixture| match f.1 {
        None => op_ok(f.0.validate_request(&f.2, now)),
        Some(status) => op_ok(f.0.validate_response(status, &f.2)),
    };
    // The same schema checks, compiling the schema each time (x-rules left out on that side
    // would favour it: the compiled path includes them, so the ratio is conservative).
    let schemas: Vec<Option<serde_json::Value>> = all
        .iter()
        .map(|f| match f.1 {
            None => Some(f.0.request_schema()),
            Some(status) => f.0.response_schema(status),
        })
        .collect();
    // The reference: the `jsonschema` crate (what a user would reach for instead), compiled
    // once per schema, checking the same fixtures (schema only, no x-rules).
    let references: Vec<Option<jsonschema::Validator>> = schemas
        .iter()
        .map(|s| {
            s.as_ref().and_then(|s| {
                jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .should_validate_formats(true)
                    .build(s)
                    .ok()
            })
        })
        .collect();
    let passes = if common::measuring() { 50 } else { 1 };
    let mut verdicts = 0usize;
    let started = Instant::now();
    for _ in 0..passes {
        for f in &all {
            verdicts += usize::from(black_box(compiled(f)));
        }
    }
    let compiled_time = started.elapsed();
    let started = Instant::now();
    for _ in 0..passes {
        for (f, reference) in all.iter().zip(&references) {
            if let Some(reference) = reference {
                verdicts += usize::from(black_box(reference.is_valid(&f.2)));
            }
        }
    }
    let reference_time = started.elapsed();
    // Answers alone: schema checks on both sides (requests add x-rules on ours).
    let answers: Vec<(&Fixture, &jsonschema::Validator)> = all
        .iter()
        .zip(&references)
        .filter(|(f, _)| f.1.is_some())
        .filter_map(|(f, r)| r.as_ref().map(|r| (f, r)))
        .collect();
    let started = Instant::now();
    for _ in 0..passes {
        for (f, _) in &answers {
            verdicts += usize::from(black_box(compiled(f)));
        }
    }
    let answers_time = started.elapsed();
    let started = Instant::now();
    for _ in 0..passes {
        for (f, reference) in &answers {
            verdicts += usize::from(black_box(reference.is_valid(&f.2)));
        }
    }
    let answers_reference_time = started.elapsed();
    let one_off_passes = if common::measuring() { 3 } else { 1 };
    let started = Instant::now();
    for _ in 0..one_off_passes {
        for (f, schema) in all.iter().zip(&schemas) {
            if let Some(schema) = schema {
                if let Ok(found) = threatbind::spec::check_schema(schema, &f.2) {
                    verdicts += usize::from(black_box(found.is_empty()));
                }
            }
        }
    }
    let one_off_time = started.elapsed();
    black_box(verdicts);
    let checked = all.len() as f64;
    let rate = checked * passes as f64 / compiled_time.as_secs_f64();
    let reference_rate = checked * passes as f64 / reference_time.as_secs_f64();
    let one_off_rate = checked * one_off_passes as f64 / one_off_time.as_secs_f64();
    let answered = answers.len() as f64 * passes as f64;
    let answers_rate = answered / answers_time.as_secs_f64();
    let answers_reference_rate = answered / answers_reference_time.as_secs_f64();
    let report = format!(
        "## Validation ({} cores)\n\n\
         | what | figure |\n|---|---|\n\
         | serialise a request body (baseline) | {serialise:.2?} per request |\n\
         | validate the request (schema + x-rules, compiled) | {validate:.2?} per request |\n\
         | ratio validate / serialise | {:.1}x |\n\
         | contract validation, {} fixtures, compiled validators (schema + x-rules) | **{rate:.0} fixtures/s** |\n\
         | the same fixtures, the `jsonschema` crate compiled once per schema (schema only) | {reference_rate:.0} fixtures/s |\n\
         | ratio threatbind / `jsonschema`, all fixtures (ours also runs the x-rules) | {:.2}x |\n\
         | answers only ({} fixtures, schema only on both sides): threatbind | {answers_rate:.0} fixtures/s |\n\
         | answers only: the `jsonschema` crate | {answers_reference_rate:.0} fixtures/s |\n\
         | ratio threatbind / `jsonschema`, answers only | **{:.2}x** |\n\
         | the same fixtures, schema compiled per fixture (`spec::check_schema`) | {one_off_rate:.0} fixtures/s |\n\
         | ratio compiled / compiled per fixture | **{:.0}x** |\n",
        common::cores(),
        validate.as_secs_f64() / serialise.as_secs_f64(),
        all.len(),
        rate / reference_rate,
        answers.len(),
        answers_rate / answers_reference_rate,
        rate / one_off_rate,
    );
    common::report(&report);
}

fn op_ok<T, E>(result: Result<T, E>) -> bool {
    result.is_ok()
}

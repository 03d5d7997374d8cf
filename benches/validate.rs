//! How much validating a request before sending costs, side by side with work every request does
//! anyway (serialising its body), in one run. Prints the ratio; `make bench` runs it.
//!
//! Run: `cargo bench --bench validate`.

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
}

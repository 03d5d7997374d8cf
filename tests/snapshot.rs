//! The generated public API, as a text snapshot (`tests/snapshots/api.txt`): a spec edit that
//! changes a type, a field, a method or a signature shows up here, in review, before it reaches
//! a library user. `make snapshot` accepts the new surface.

#![cfg(all(
    feature = "log360-cloud",
    feature = "nameshield-cti",
    feature = "datadog-ioc"
))]

/// Written by build.rs from the generated modules of every spec.
const SURFACE: &str = include_str!(concat!(env!("OUT_DIR"), "/surface.txt"));
const SNAPSHOT: &str = "tests/snapshots/api.txt";

#[test]
fn the_generated_api_matches_its_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SNAPSHOT);
    if std::env::var_os("THREATBIND_UPDATE_SNAPSHOT").is_some() {
        std::fs::write(&path, SURFACE).unwrap();
        return;
    }
    let saved = std::fs::read_to_string(&path).unwrap_or_default();
    if saved == SURFACE {
        return;
    }
    let old: std::collections::BTreeSet<&str> = saved.lines().collect();
    let new: std::collections::BTreeSet<&str> = SURFACE.lines().collect();
    let mut report: Vec<String> = old.difference(&new).map(|l| format!("- {l}")).collect();
    report.extend(new.difference(&old).map(|l| format!("+ {l}")));
    report.truncate(60);
    panic!(
        "the generated API changed ({} lines differ; run `make snapshot` to accept):\n{}",
        old.symmetric_difference(&new).count(),
        report.join("\n")
    );
}

/// The snapshot names every operation of every spec: it is the surface of the specs, not a
/// stale file.
#[test]
fn the_snapshot_covers_every_operation() {
    use threatbind::spec::Api;
    for api in Api::ALL {
        for op in api.operations() {
            let method = heck_snake(&op.id);
            assert!(
                SURFACE.contains(&format!("::Client::{method}(")),
                "{api:?}/{}: no method {method} in the surface",
                op.id
            );
        }
    }
}

/// `listThreatEvents` -> `list_threat_events` (progenitor's method names).
fn heck_snake(id: &str) -> String {
    let mut out = String::new();
    for (i, c) in id.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

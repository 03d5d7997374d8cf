//! `threatbind spec diff`: the command line of the spec diff (the diff itself is tested in
//! crates/spec-tools).

#[path = "../../spec-tools/tests/diff/base.rs"]
mod base;
mod support;

use base::{edited, BASE};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use support::{stderr as err, stdout as out};

fn file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("threatbind-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `threatbind spec diff ARGS`.
fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut all = vec!["spec", "diff"];
    all.extend_from_slice(args);
    support::run_blocking(None, &all, stdin)
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn identical_specs_exit_0() {
    let spec = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../specs/datadog-ioc.yaml"
    ))
    .to_path_buf();
    let spec = spec.to_str().unwrap();
    let o = run(&[spec, spec], None);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "0 changes, 0 breaking\n");
}

#[test]
fn breaking_change_exits_1_with_a_grouped_report() {
    let old = file("old-1.yaml", BASE);
    let new = file(
        "new-1.yaml",
        &edited(&[
            ("maximum: 500", "maximum: 100"),
            ("default: 100", "default: 50"),
        ]),
    );
    let o = run(&[path_str(&old), path_str(&new)], None);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let text = out(&o);
    assert!(text.starts_with("GET /events/{id} (getEvent)\n"), "{text}");
    assert!(
        text.contains(
            "  BREAKING  query parameter size: maximum 500 → 100 [request-maximum-lowered]\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "  ok        query parameter size: default 100 → 50 [request-default-changed]\n"
        ),
        "{text}"
    );
    assert!(text.ends_with("\n2 changes, 1 breaking\n"), "{text}");
}

#[test]
fn changes_that_break_nothing_exit_0() {
    let old = file("old-0.yaml", BASE);
    let new = file("new-0.yaml", &edited(&[("maximum: 500", "maximum: 1000")]));
    let o = run(&[path_str(&old), path_str(&new)], None);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).ends_with("1 change, 0 breaking\n"), "{}", out(&o));
}

/// `--format jsonl` is what `--format json` printed before issue 23 (one change per line), in
/// the common report's fields (`id` for the old `kind`, `severity` for `breaking`, `message` for
/// `detail`), with the line of the change.
#[test]
fn jsonl_format_prints_one_object_per_line() {
    let old = file("old-j.yaml", BASE);
    let new = file(
        "new-j.yaml",
        &edited(&[
            ("maximum: 500", "maximum: 100"),
            ("enum: [ip, domain]", "enum: [ip, domain, url]"),
        ]),
    );
    let o = run(&["--format", "jsonl", path_str(&old), path_str(&new)], None);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let lines: Vec<Value> = out(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for line in &lines {
        let keys: Vec<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            vec![
                "file",
                "id",
                "line",
                "location",
                "message",
                "operation",
                "pointer",
                "severity"
            ]
        );
    }
    assert_eq!(lines[0]["id"], "request-maximum-lowered");
    assert_eq!(lines[0]["severity"], "breaking");
    assert_eq!(lines[0]["line"], 20);
    assert_eq!(lines[1]["id"], "request-enum-value-added");
    assert_eq!(lines[1]["severity"], "non-breaking");
}

#[test]
fn stdin_can_stand_for_one_spec() {
    let new = file(
        "new-s.yaml",
        &edited(&[("enum: [ip, domain]", "enum: [ip]")]),
    );
    let o = run(&["-", path_str(&new)], Some(BASE));
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(out(&o).contains("request-enum-value-removed"));
    let o = run(&["-", "-"], Some(BASE));
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("only one of OLD and NEW"), "{}", err(&o));
}

#[test]
fn unreadable_or_invalid_input_exits_2_naming_the_file() {
    let good = file("good-2.yaml", BASE);
    let missing = std::env::temp_dir().join("threatbind-diff-no-such-file.yaml");
    let o = run(&[path_str(&good), missing.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("threatbind-diff-no-such-file.yaml: cannot read"),
        "{}",
        err(&o)
    );
    assert_eq!(out(&o), "");
    let swagger = file("swagger-2.yaml", "swagger: '2.0'\npaths: {}\n");
    let o = run(&[path_str(&swagger), path_str(&good)], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("swagger-2.yaml: not an OpenAPI 3.0 spec"),
        "{}",
        err(&o)
    );
    let binary = file("binary-2.yaml", "");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x80]).unwrap();
    let o = run(&[path_str(&good), path_str(&binary)], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("binary-2.yaml: not UTF-8"), "{}", err(&o));
    let dir = std::env::temp_dir();
    let o = run(&[path_str(&good), dir.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    let o = run(&["--format", "xml", path_str(&good), path_str(&good)], None);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn help_documents_the_exit_codes() {
    let o = run(&["--help"], None);
    assert_eq!(o.status.code(), Some(0));
    let text = out(&o);
    for needle in [
        "Exit codes: 0 nothing breaks; 1 something breaks; 2",
        "--format <FORMAT>",
        "- for stdin",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}

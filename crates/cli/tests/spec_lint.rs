//! `threatbind spec lint`: its output and exit codes, on the small broken specs of
//! crates/spec-tools/tests/lint/ (the linter itself is tested in crates/spec-tools).

mod support;

use std::path::Path;
use std::process::Output;
use support::text;
use threatbind::spec::Api;
use threatbind_spec_tools::lint::lint;

/// The spec tools' folder: the paths below are relative to it, as a maintainer would type them.
fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec-tools"))
}

fn threatbind(args: &[&str]) -> Output {
    support::run_blocking(Some(root()), args, None)
}

#[test]
fn cli_reports_findings_with_file_and_line_and_exits_1() {
    let out = threatbind(&["spec", "lint", "tests/lint/unknown-key.yaml"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("tests/lint/unknown-key.yaml:35: /components/schemas/Thing/properties/size/in centimetres: unknown-key: "),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1);
    assert!(
        text(&out.stderr).contains("1 finding in 1 file"),
        "{}",
        text(&out.stderr)
    );
}

/// `--format jsonl` is what `--format json` printed before issue 23 (one finding per line);
/// the fields are the common report's (`id`, `pointer` for the old `rule`, `path`).
#[test]
fn cli_prints_json_lines() {
    let out = threatbind(&[
        "spec",
        "lint",
        "--format",
        "jsonl",
        "tests/lint/path-parameter-mismatch.yaml",
        "tests/lint/valid.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for l in &lines {
        assert_eq!(l["file"], "tests/lint/path-parameter-mismatch.yaml");
        assert_eq!(l["id"], "path-parameter-mismatch");
        assert_eq!(l["severity"], "error");
        assert!(l["line"].is_u64() && l["pointer"].is_string() && l["message"].is_string());
    }
}

#[test]
fn cli_exits_0_on_a_clean_spec() {
    let out = threatbind(&["spec", "lint", "tests/lint/valid.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("0 findings in 1 file"));
}

#[test]
fn cli_names_a_missing_file_and_exits_2() {
    let out = threatbind(&[
        "spec",
        "lint",
        "tests/lint/no-such-spec.yaml",
        "tests/lint/valid.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error: tests/lint/no-such-spec.yaml: No such file or directory"),
        "{stderr}"
    );
}

#[test]
fn cli_without_files_lints_the_compiled_in_specs() {
    let expected: usize = Api::ALL
        .iter()
        .map(|api| lint(&format!("specs/{}", api.file_name()), api.source()).len())
        .sum();
    let out = threatbind(&["spec", "lint"]);
    assert_eq!(
        out.status.code(),
        Some(if expected == 0 { 0 } else { 1 }),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(text(&out.stdout).lines().count(), expected);
    let summary = format!("in {} files", Api::ALL.len());
    assert!(
        text(&out.stderr).contains(&summary),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn cli_lists_assumptions() {
    let out = threatbind(&["spec", "lint", "--assumed", "tests/lint/assumed.yaml"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "tests/lint/assumed.yaml:13: /paths/~1things~1{id}/get: the page names the operation, not its errors: 404 is assumed",
            "tests/lint/assumed.yaml:35: /components/schemas/Thing/properties/size: the page gives no unit",
        ]
    );
    let out = threatbind(&[
        "spec",
        "lint",
        "--assumed",
        "--format",
        "jsonl",
        "tests/lint/assumed.yaml",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let first: serde_json::Value =
        serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(first["line"], 13);
    assert_eq!(first["pointer"], "/paths/~1things~1{id}/get");
    assert_eq!(first["id"], "x-assumed");
    assert!(first["message"]
        .as_str()
        .unwrap()
        .starts_with("the page names"));
}

#[test]
fn cli_help_documents_the_exit_codes_and_the_rules() {
    let out = threatbind(&["spec", "lint", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for needle in [
        "Exit codes: 0",
        "--assumed",
        "--format",
        "unknown-key",
        "x-rules-malformed",
    ] {
        assert!(help.contains(needle), "help lacks {needle}:\n{help}");
    }
}

//! `threatbind spec lint|diff` in CI (issue 23): `--fail-on`, `--ignore`, `--format json` for a
//! diff without change, `spec diff --against REV FILE` and `spec lint --assumed --since REV`
//! against a git repository made here (the report formats themselves are tested in
//! crates/spec-tools/tests/report.rs).

#[path = "../../spec-tools/tests/diff/base.rs"]
mod base;
mod support;

use base::{edited, BASE};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::{stderr as err, stdout as out};

fn threatbind(dir: &Path, args: &[&str]) -> Output {
    support::run_blocking(Some(dir), args, None)
}

/// An empty folder of this test process.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("threatbind-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", err(&o));
}

/// A repository whose first commit has `specs/x.yaml` = `committed`, and whose working file
/// is `working`.
fn repository(name: &str, committed: &str, working: &str) -> PathBuf {
    let dir = folder(name);
    git(&dir, &["init", "-q"]);
    std::fs::create_dir_all(dir.join("specs")).unwrap();
    std::fs::write(dir.join("specs/x.yaml"), committed).unwrap();
    git(&dir, &["add", "specs/x.yaml"]);
    git(&dir, &["commit", "-q", "-m", "first"]);
    std::fs::write(dir.join("specs/x.yaml"), working).unwrap();
    dir
}

fn changed() -> String {
    edited(&[
        ("maximum: 500", "maximum: 100"),
        (
            "        - {name: X-Trace, in: header, schema: {type: string}}\n",
            "",
        ),
    ])
}

#[test]
fn diff_against_a_git_revision_needs_no_temporary_file() {
    let dir = repository("against", BASE, &changed());
    let o = threatbind(
        &dir,
        &[
            "spec",
            "diff",
            "--against",
            "HEAD",
            "specs/x.yaml",
            "--format",
            "jsonl",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let lines: Vec<Value> = out(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let places: Vec<(&str, &str, u64)> = lines
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap(),
                l["file"].as_str().unwrap(),
                l["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [
            ("request-maximum-lowered", "specs/x.yaml", 20),
            ("parameter-removed", "HEAD:specs/x.yaml", 21),
        ]
    );
    // From inside the folder, and with a revision that exists only as a name.
    git(&dir, &["tag", "v1"]);
    let o = threatbind(
        &dir.join("specs"),
        &["spec", "diff", "--against", "v1", "x.yaml"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(
        out(&o).ends_with("\n2 changes, 2 breaking\n"),
        "{}",
        out(&o)
    );
    // The working file unchanged: nothing.
    git(&dir, &["checkout", "-q", "--", "specs/x.yaml"]);
    let o = threatbind(&dir, &["spec", "diff", "--against", "HEAD", "specs/x.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "0 changes, 0 breaking\n");
}

#[test]
fn diff_against_names_what_git_cannot_give() {
    let dir = repository("against-errors", BASE, BASE);
    let o = threatbind(
        &dir,
        &["spec", "diff", "--against", "no-such-rev", "specs/x.yaml"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).starts_with("error: --against no-such-rev: git show no-such-rev:./x.yaml (in specs) failed: fatal: "),
        "{}",
        err(&o)
    );
    std::fs::write(dir.join("specs/new.yaml"), BASE).unwrap();
    let o = threatbind(
        &dir,
        &["spec", "diff", "--against", "HEAD", "specs/new.yaml"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("--against HEAD: git show HEAD:./new.yaml"),
        "{}",
        err(&o)
    );
    let o = threatbind(
        &dir,
        &["spec", "diff", "--against", "--help", "specs/x.yaml"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    let o = threatbind(
        &dir,
        &[
            "spec",
            "diff",
            "--against",
            "HEAD",
            "specs/x.yaml",
            "specs/x.yaml",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("--against"), "{}", err(&o));
    let outside = folder("against-outside");
    std::fs::write(outside.join("x.yaml"), BASE).unwrap();
    let o = threatbind(&outside, &["spec", "diff", "--against", "HEAD", "x.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("--against HEAD: git show HEAD:./x.yaml (in .) failed"),
        "{}",
        err(&o)
    );
}

#[test]
fn assumed_since_lists_only_new_inferences() {
    let old = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {type: string, x-assumed: no unit}\n";
    let new = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {type: string, x-assumed: no unit}\n    B: {type: string, x-assumed: not on the page}\n";
    let dir = repository("since", old, new);
    let o = threatbind(
        &dir,
        &[
            "spec",
            "lint",
            "--assumed",
            "--since",
            "HEAD",
            "specs/x.yaml",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        out(&o),
        "specs/x.yaml:7: /components/schemas/B: not on the page\n"
    );
    assert!(err(&o).starts_with("1 assumption in 1 file"), "{}", err(&o));
    let o = threatbind(&dir, &["spec", "lint", "--assumed", "specs/x.yaml"]);
    assert_eq!(out(&o).lines().count(), 2);
    let o = threatbind(
        &dir,
        &[
            "spec",
            "lint",
            "--assumed",
            "--since",
            "nope",
            "specs/x.yaml",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("error: --since nope: git show nope:./x.yaml"),
        "{}",
        err(&o)
    );
    // --since without --assumed is a usage error.
    let o = threatbind(&dir, &["spec", "lint", "--since", "HEAD", "specs/x.yaml"]);
    assert_eq!(o.status.code(), Some(2));
}

/// One warning (no summary) on line 6.
const WARNING_ONLY: &str = r#"openapi: 3.0.3
info: {title: T, version: "1"}
tags: [{name: t}]
paths:
  /things:
    get:
      operationId: listThings
      tags: [t]
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: string}, example: x}}}
        "400": {description: bad}
"#;

#[test]
fn lint_fail_on_and_ignore() {
    let dir = folder("lint-thresholds");
    std::fs::write(dir.join("w.yaml"), WARNING_ONLY).unwrap();
    let code = |args: &[&str]| {
        let mut all = vec!["spec", "lint", "w.yaml"];
        all.extend_from_slice(args);
        threatbind(&dir, &all).status.code()
    };
    assert_eq!(code(&[]), Some(1));
    assert_eq!(code(&["--fail-on", "warning"]), Some(1));
    assert_eq!(code(&["--fail-on", "error"]), Some(0));
    assert_eq!(code(&["--fail-on", "never"]), Some(0));
    assert_eq!(code(&["--fail-on", "breaking"]), Some(2));
    let o = threatbind(
        &dir,
        &["spec", "lint", "w.yaml", "--ignore", "missing-summary"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "");
    assert_eq!(
        err(&o),
        "0 findings in 1 file: 0 errors, 0 warnings, 0 info; 1 ignored\n"
    );
    let o = threatbind(
        &dir,
        &["spec", "lint", "w.yaml", "--ignore", "missing-summry"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("--ignore \"missing-summry\": not a rule of spec lint"),
        "{}",
        err(&o)
    );
    // x-lint-ignore in the spec, counted in the json summary.
    let accepted = WARNING_ONLY.replace(
        "      tags: [t]\n",
        "      tags: [t]\n      x-lint-ignore: [missing-summary]\n",
    );
    std::fs::write(dir.join("a.yaml"), accepted).unwrap();
    let o = threatbind(&dir, &["spec", "lint", "--format", "json", "a.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let doc: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(doc["findings"], serde_json::json!([]));
    assert_eq!(doc["summary"]["ignored"], 1);
}

#[test]
fn diff_fail_on_and_an_empty_json_document() {
    let dir = folder("diff-thresholds");
    std::fs::write(dir.join("old.yaml"), BASE).unwrap();
    std::fs::write(
        dir.join("added.yaml"),
        edited(&[("enum: [ip, domain]", "enum: [ip, domain, url]")]),
    )
    .unwrap();
    std::fs::write(dir.join("broken.yaml"), changed()).unwrap();
    let code = |new: &str, args: &[&str]| {
        let mut all = vec!["spec", "diff", "old.yaml", new];
        all.extend_from_slice(args);
        threatbind(&dir, &all).status.code()
    };
    assert_eq!(code("added.yaml", &[]), Some(0));
    assert_eq!(code("added.yaml", &["--fail-on", "any"]), Some(1));
    assert_eq!(code("broken.yaml", &[]), Some(1));
    assert_eq!(code("broken.yaml", &["--fail-on", "never"]), Some(0));
    assert_eq!(code("broken.yaml", &["--fail-on", "warning"]), Some(2));
    assert_eq!(
        code(
            "broken.yaml",
            &[
                "--ignore",
                "request-maximum-lowered",
                "--ignore",
                "parameter-removed"
            ]
        ),
        Some(0)
    );
    let o = threatbind(
        &dir,
        &["spec", "diff", "old.yaml", "old.yaml", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        out(&o),
        "{\n  \"tool\": \"threatbind spec diff\",\n  \"findings\": [],\n  \"summary\": {\n    \"findings\": 0,\n    \"breaking\": 0,\n    \"non-breaking\": 0,\n    \"info\": 0,\n    \"ignored\": 0,\n    \"files\": 1\n  }\n}\n"
    );
    let o = threatbind(
        &dir,
        &[
            "spec",
            "diff",
            "old.yaml",
            "broken.yaml",
            "--format",
            "github",
            "--ignore",
            "parameter-removed",
        ],
    );
    assert_eq!(
        out(&o),
        "::error file=broken.yaml,line=20,title=request-maximum-lowered::GET /events/{id} (getEvent): query parameter size: maximum 500 → 100\n\
         ::notice title=threatbind spec diff::1 change in 2 files: 1 breaking, 0 non-breaking, 0 info; 1 ignored\n"
    );
}

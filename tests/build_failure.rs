//! A bad spec stops the build with one line naming the file and the problem, not a panic.
//! Builds a copy of the crate with a broken spec in its own target directory (`target/spec-failure`),
//! so the first run compiles the build dependencies once (about a minute on 2 cores).

use std::path::{Path, PathBuf};
use std::process::Command;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of the crate (sources, specs, manifest) under `target/spec-failure/crate`.
fn crate_copy() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let copy = root.join("target/spec-failure/crate");
    let _ = std::fs::remove_dir_all(&copy);
    for dir in ["src", "specs", "benches"] {
        copy_dir(&root.join(dir), &copy.join(dir));
    }
    for file in ["Cargo.toml", "Cargo.lock", "build.rs", "README.md"] {
        std::fs::copy(root.join(file), copy.join(file)).unwrap();
    }
    copy
}

fn build_with(spec_edit: impl Fn(String) -> String) -> (bool, String) {
    let copy = crate_copy();
    let spec = copy.join("specs/datadog-ioc.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, spec_edit(text)).unwrap();
    let out = Command::new(env!("CARGO"))
        .args([
            "check",
            "--offline",
            "--lib",
            "--no-default-features",
            "--features",
            "datadog-ioc",
        ])
        .env("CARGO_TARGET_DIR", copy.parent().unwrap().join("target"))
        .current_dir(&copy)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_bad_spec_fails_the_build_naming_the_file_and_the_problem() {
    let (ok, stderr) =
        build_with(|t| t.replace("operationId: getIndicatorOfCompromise", "summary2: no id"));
    assert!(!ok, "the build should fail");
    assert!(stderr.contains("error: threatbind: specs/datadog-ioc.yaml: GET /api/v2/security/siem/ioc-explorer/indicator has no operationId"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let (ok, stderr) = build_with(|t| t.replacen("paths:", "paths: [unclosed", 1));
    assert!(!ok);
    assert!(
        stderr.contains("error: threatbind: specs/datadog-ioc.yaml: not valid YAML"),
        "{stderr}"
    );

    let (ok, stderr) = build_with(|t| t.replace("openapi: 3.0.3", "openapi: 3.1.0"));
    assert!(!ok);
    assert!(stderr.contains("specs/datadog-ioc.yaml"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

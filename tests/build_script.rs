//! build.rs, seen from outside: a bad spec stops the build with one line naming the file and the
//! problem (not a panic), and an edited spec regenerates the code while other edits do not.
//! Builds a copy of the crate in its own target directory (`target/spec-failure`), so the first
//! run compiles the dependencies once (one to two minutes on 2 cores).

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

/// A copy of the crate (sources, specs, manifest) under `target/spec-failure/<name>`; every copy
/// shares the target directory `target/spec-failure/target`.
fn crate_copy(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let copy = root.join("target/spec-failure").join(name);
    let _ = std::fs::remove_dir_all(&copy);
    for dir in ["src", "specs", "benches"] {
        copy_dir(&root.join(dir), &copy.join(dir));
    }
    for file in ["Cargo.toml", "Cargo.lock", "build.rs", "README.md"] {
        std::fs::copy(root.join(file), copy.join(file)).unwrap();
    }
    copy
}

fn cargo_check(copy: &Path, features: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO"))
        .args([
            "check",
            "--offline",
            "--lib",
            "--no-default-features",
            "--features",
            features,
        ])
        .env("CARGO_TARGET_DIR", copy.parent().unwrap().join("target"))
        .env("THREATBIND_EXPAND_DIR", copy.join("expanded"))
        .current_dir(copy)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn edit(path: &Path, change: impl Fn(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    let changed = change(text.clone());
    assert_ne!(
        text,
        changed,
        "the edit changed nothing in {}",
        path.display()
    );
    std::fs::write(path, changed).unwrap();
}

fn build_with(spec_edit: impl Fn(String) -> String) -> (bool, String) {
    let copy = crate_copy("broken");
    edit(&copy.join("specs/datadog-ioc.yaml"), spec_edit);
    cargo_check(&copy, "datadog-ioc")
}

#[test]
fn editing_a_spec_regenerates_the_code_and_nothing_else_does() {
    let copy = crate_copy("edited");
    let generated = copy.join("expanded/log360_cloud.rs");
    let (ok, stderr) = cargo_check(&copy, "log360-cloud");
    assert!(ok, "{stderr}");
    let before = std::fs::read_to_string(&generated).unwrap();
    assert!(
        before.contains("longer than 2048 characters")
            && !before.contains("longer than 1024 characters")
    );

    // An edit elsewhere in the crate does not rerun the generator.
    std::fs::remove_file(&generated).unwrap();
    edit(&copy.join("src/lib.rs"), |t| t + "\n// touched\n");
    let (ok, stderr) = cargo_check(&copy, "log360-cloud");
    assert!(ok, "{stderr}");
    assert!(
        !generated.exists(),
        "build.rs reran although no spec changed"
    );

    // Halving the indicator's maxLength in the spec changes the generated validation.
    edit(&copy.join("specs/log360-cloud.yaml"), |t| {
        t.replacen("maxLength: 2048", "maxLength: 1024", 1)
    });
    let (ok, stderr) = cargo_check(&copy, "log360-cloud");
    assert!(ok, "{stderr}");
    let after = std::fs::read_to_string(&generated).unwrap();
    assert!(
        after.contains("longer than 1024 characters"),
        "the new maxLength is not in the generated code"
    );
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

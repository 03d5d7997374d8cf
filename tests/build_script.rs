//! build.rs, seen from outside: a bad spec stops the build with one line naming the file and the
//! problem (not a panic), and an edited spec regenerates the code while other edits do not.
//! Builds copies of the workspace in the tests' own target directory, so the dependencies the suite
//! has already compiled (`make features` checks each API alone; `make test` builds them all) are
//! reused rather than built again beside them: no second copy of every dependency on disk. The
//! copies name their binary `threatbind-copy`, so the suite's own `threatbind` is never replaced.

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

/// The target directory this test binary was built in (`<target>/debug/deps/build_script-…`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

/// A copy of the workspace (the library's sources, specs and manifest, and the crates beside
/// it) under `target/spec-failure/<name>`, built in the suite's own target directory, the CLI's
/// binary named `threatbind-copy`.
fn crate_copy(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let copy = root.join("target/spec-failure").join(name);
    let _ = std::fs::remove_dir_all(&copy);
    for dir in ["src", "specs", "benches", "crates"] {
        copy_dir(&root.join(dir), &copy.join(dir));
    }
    for file in ["Cargo.toml", "Cargo.lock", "build.rs", "README.md"] {
        std::fs::copy(root.join(file), copy.join(file)).unwrap();
    }
    edit(&copy.join("crates/cli/Cargo.toml"), |t| {
        t.replacen(
            "[[bin]]\nname = \"threatbind\"\n",
            "[[bin]]\nname = \"threatbind-copy\"\n",
            1,
        )
    });
    // Another version for the copy's crates: cargo keys its build records by package and
    // version, and a copy at the same version overwrote the checkout's own records in the
    // shared target directory (the checkout's next build then took the copy's for its own).
    edit(&copy.join("Cargo.toml"), |t| {
        let version = format!(
            "[workspace.package]\nversion = \"{}\"",
            env!("CARGO_PKG_VERSION")
        );
        t.replacen(&version, "[workspace.package]\nversion = \"0.0.0-copy\"", 1)
    });
    for manifest in [
        "Cargo.toml",
        "crates/cli/Cargo.toml",
        "crates/mock/Cargo.toml",
        "crates/spec-tools/Cargo.toml",
        "crates/codegen/Cargo.toml",
    ] {
        let path = copy.join(manifest);
        let text = std::fs::read_to_string(&path).unwrap();
        // The workspace's own crates, however their dependency is written (`version = "..." }`
        // or `version = "...", default-features = false }`).
        let text = text
            .replace(
                &format!("version = \"{}\" }}", env!("CARGO_PKG_VERSION")),
                "version = \"0.0.0-copy\" }",
            )
            .replace(
                &format!("version = \"{}\",", env!("CARGO_PKG_VERSION")),
                "version = \"0.0.0-copy\",",
            );
        std::fs::write(&path, text).unwrap();
    }
    copy
}

fn cargo_check(copy: &Path, features: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO"))
        .args([
            "check",
            "--offline",
            "-p",
            "threatbind",
            "--lib",
            "--no-default-features",
            "--features",
            features,
        ])
        .env("CARGO_TARGET_DIR", target_dir())
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

/// Checks a copy of the workspace named `name` (one per test: tests run at once) whose
/// Datadog spec `spec_edit` changed.
fn build_with(name: &str, spec_edit: impl Fn(String) -> String) -> (bool, String) {
    let copy = crate_copy(name);
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
    let (old, new) = ("L3C Threat Analytics", "L3C Threat Intelligence");
    assert!(before.contains(old) && !before.contains(new));
    let count = |text: &str| text.matches(old).count();

    // An edit elsewhere in the crate does not rerun the generator.
    std::fs::remove_file(&generated).unwrap();
    edit(&copy.join("src/lib.rs"), |t| t + "\n// touched\n");
    let (ok, stderr) = cargo_check(&copy, "log360-cloud");
    assert!(ok, "{stderr}");
    assert!(
        !generated.exists(),
        "build.rs reran although no spec changed"
    );

    // Renaming the product in an operation's summary changes the generated documentation.
    edit(&copy.join("specs/log360-cloud.yaml"), |t| {
        t.replacen(
            "summary: Fetch threat analysis data from L3C Threat Analytics",
            "summary: Fetch threat analysis data from L3C Threat Intelligence",
            1,
        )
    });
    let (ok, stderr) = cargo_check(&copy, "log360-cloud");
    assert!(ok, "{stderr}");
    // The generated code follows the spec (whatever words the generator uses for it).
    let after = std::fs::read_to_string(&generated).unwrap();
    assert!(
        after.contains(new) && count(&after) < count(&before),
        "the new summary is not in the generated code"
    );
}

#[test]
fn a_bad_spec_fails_the_build_naming_the_file_and_the_problem() {
    let (ok, stderr) = build_with("broken", |t| {
        t.replace("operationId: getIndicatorOfCompromise", "summary2: no id")
    });
    assert!(!ok, "the build should fail");
    assert!(stderr.contains("error: threatbind: specs/datadog-ioc.yaml: GET /api/v2/security/siem/ioc-explorer/indicator has no operationId"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let (ok, stderr) = build_with("broken", |t| t.replacen("paths:", "paths: [unclosed", 1));
    assert!(!ok);
    assert!(
        stderr.contains("error: threatbind: specs/datadog-ioc.yaml: not valid YAML"),
        "{stderr}"
    );

    let (ok, stderr) = build_with("broken", |t| t.replace("openapi: 3.0.3", "openapi: 3.1.0"));
    assert!(!ok);
    assert!(stderr.contains("specs/datadog-ioc.yaml"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_malformed_extension_fails_the_build_naming_the_file_and_the_line() {
    // A misspelt key of x-cli on the operation: a build error naming its line, not a
    // default taken in silence.
    let (ok, stderr) = build_with("malformed-extension", |t| {
        t.replacen("x-cli: {name: ioc}", "x-cli: {nmae: ioc}", 1)
    });
    assert!(!ok, "the build should fail");
    let line = datadog_line("x-cli: {name: ioc}");
    assert!(
        stderr.contains(&format!(
            "error: threatbind: specs/datadog-ioc.yaml:{line}: /paths/~1api~1v2~1security~1siem~1ioc-explorer~1indicator/get/x-cli: unknown field `nmae`"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The line of the first occurrence of `needle` in the Datadog spec.
fn datadog_line(needle: &str) -> usize {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/datadog-ioc.yaml"),
    )
    .unwrap();
    text.lines()
        .position(|l| l.contains(needle))
        .expect("the needle is in the spec")
        + 1
}

/// A new API is its spec (and its fixtures, for the contract tests) plus one Cargo feature
/// line: the library module, the API registry, the CLI commands, flags, help, validation,
/// credentials and quota all follow. The probe spec is copied into a copy of the workspace with
/// no other edit than the library's feature line, built with that feature on, and its CLI run
/// against a loopback server.
#[test]
fn a_new_spec_and_a_feature_line_are_a_new_api() {
    let copy = crate_copy("probe");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        root.join("tests/probe/probe-api.yaml"),
        copy.join("specs/probe-api.yaml"),
    )
    .unwrap();
    edit(&copy.join("Cargo.toml"), |t| {
        t.replacen("[features]\n", "[features]\nprobe-api = []\n", 1)
    });
    let out = Command::new(env!("CARGO"))
        .args([
            "build",
            "--offline",
            "-p",
            "threatbind-cli",
            "--bin",
            "threatbind-copy",
            "--features",
            "threatbind/probe-api",
        ])
        .env("CARGO_TARGET_DIR", target_dir())
        .current_dir(&copy)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let binary = target_dir().join("debug/threatbind-copy");

    // A loopback server that checks the bearer token and answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 8192];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            let body = r#"{"things":[{"name":"a"},{"name":"b"}]}"#;
            let ok = request
                .to_ascii_lowercase()
                .contains("authorization: bearer probe-token-123");
            log.lock().unwrap().push(request);
            let status = if ok { "200 OK" } else { "401 Unauthorized" };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let run = |args: &[&str]| {
        Command::new(&binary)
            .env_clear()
            .env("PROBE_TOKEN", "probe-token-123")
            .env("PROBE_BASE_URL", &base)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["probe", "list-things", "--limit", "5", "--kind", "ROUND"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), r#"{"things":[{"name":"a"},{"name":"b"}]}"#);
    let first = seen.lock().unwrap()[0].clone();
    assert!(first.starts_with("GET /v1/things?"), "{first}");
    assert!(
        first.contains("limit=5") && first.contains("kind=round"),
        "{first}"
    );
    // Validated from the spec before sending, named by its flag.
    let out = run(&["probe", "list-things", "--limit", "50"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--limit: maximum"));
    assert_eq!(seen.lock().unwrap().len(), 1, "an invalid request was sent");
    // Help: the flags, their bounds, the spec's variables.
    let out = run(&["probe", "list-things", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--limit") && help.contains("max 10") && help.contains("PROBE_TOKEN"),
        "{help}"
    );
    assert!(
        help.contains("--host"),
        "the server variable is a flag: {help}"
    );
}

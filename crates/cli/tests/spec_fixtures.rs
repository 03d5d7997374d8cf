//! `threatbind spec fixtures --scaffold`: with the real binary, the files it writes and skips,
//! and its usage errors (the scaffold itself is tested in crates/spec-tools/tests/fixtures.rs).

mod support;

use std::process::Output;
use support::text;

fn threatbind(args: &[&str]) -> Output {
    support::run_blocking(None, args, None)
}

#[test]
fn scaffold_writes_then_skips_and_names_each_file() {
    let dir = std::env::temp_dir().join(format!("threatbind-cli-scaffold-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let shown = dir.display().to_string();
    let args = [
        "spec",
        "fixtures",
        "--scaffold",
        "getIndicatorOfCompromise",
        "--dir",
        &shown,
    ];
    let first = threatbind(&args);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let out = text(&first.stdout);
    for name in [
        "request.example.json",
        "response.200.example.json",
        "invalid-request.query-indicator.minLength.json",
        "invalid-request.query-indicator.type.json",
    ] {
        assert!(
            out.contains(&format!("wrote {}\n", dir.join(name).display())),
            "{name} not written:\n{out}"
        );
        assert!(dir.join(name).is_file());
    }
    // Every invalid file is refused by the validator as named: nothing to check by hand.
    assert!(
        !text(&first.stderr).contains("check by hand"),
        "{}",
        text(&first.stderr)
    );
    std::fs::write(dir.join("request.example.json"), "{}\n").unwrap();
    let second = threatbind(&args);
    assert_eq!(second.status.code(), Some(0));
    let out = text(&second.stdout);
    assert!(!out.contains("wrote "), "{out}");
    assert!(out.contains(&format!(
        "skipped {} (it exists)\n",
        dir.join("request.example.json").display()
    )));
    assert_eq!(
        std::fs::read_to_string(dir.join("request.example.json")).unwrap(),
        "{}\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unknown_operation_or_api_is_a_usage_error_naming_the_flag() {
    let out = threatbind(&[
        "spec",
        "fixtures",
        "--scaffold",
        "noSuchOperation",
        "--dir",
        "unused",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "threatbind spec fixtures: --scaffold: no spec has the operation \"noSuchOperation\"\n"
    );
    let out = threatbind(&[
        "spec",
        "fixtures",
        "--scaffold",
        "getIndicatorOfCompromise",
        "--api",
        "nope",
        "--dir",
        "unused",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--api: no spec is named \"nope\""));
    assert!(!std::path::Path::new("unused").exists());
}

#[test]
fn a_near_or_ambiguous_operation_is_named_as_spec_check_names_it() {
    let cases: [(&[&str], &str); 3] = [
        (
            &["--scaffold", "getindicatorofcompromise"],
            "--scaffold: no spec has the operation \"getindicatorofcompromise\" \
             (did you mean getIndicatorOfCompromise?)",
        ),
        (
            &[
                "--scaffold",
                "getindicatorofcompromise",
                "--api",
                "datadog-ioc",
            ],
            "--scaffold: specs/datadog-ioc.yaml has no operation \"getindicatorofcompromise\" \
             (did you mean getIndicatorOfCompromise?)",
        ),
        (
            &["--scaffold", "listJobs"],
            "--scaffold: \"listJobs\" is an operation of log360-onprem-v1 and \
             log360-onprem-v2: add --api with one of them",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["spec", "fixtures", "--dir", "unused"];
        all.extend_from_slice(args);
        let out = threatbind(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            text(&out.stderr),
            format!("threatbind spec fixtures: {message}\n"),
            "{args:?}"
        );
    }
    assert!(!std::path::Path::new("unused").exists());
}

#[test]
fn a_folder_that_cannot_be_written_is_exit_2() {
    // --dir under a regular file: no folder can be made there.
    let file =
        std::env::temp_dir().join(format!("threatbind-cli-not-a-dir-{}", std::process::id()));
    std::fs::write(&file, "a file\n").unwrap();
    let dir = file.join("fixtures");
    let shown = dir.display().to_string();
    let out = threatbind(&[
        "spec",
        "fixtures",
        "--scaffold",
        "getIndicatorOfCompromise",
        "--dir",
        &shown,
    ]);
    std::fs::remove_file(&file).unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(&format!(
            "threatbind spec fixtures: cannot write into {shown}: "
        )),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).is_empty(), "{}", text(&out.stdout));
}

#[test]
fn the_help_gives_the_exit_codes() {
    let out = threatbind(&["spec", "fixtures", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains(
        "Exit codes: 0 written (or all skipped); 2 a usage error (an unknown or ambiguous operationId,\n\
         an unknown --api) or a file that could not be written"
    ));
}

//! The README's example, as a user's own `cargo test` would hold it: every recorded answer of a
//! folder against the spec (tests/recorded/ioc holds two of Datadog's IoC answers).

use threatbind::spec::Api;
use threatbind_spec_tools::check;

#[test]
fn recorded_answers_match_the_spec() {
    let op = Api::DatadogIoc
        .operation("getIndicatorOfCompromise")
        .expect("in the spec");
    let mut findings = Vec::new();
    for file in std::fs::read_dir("tests/recorded/ioc").expect("the folder") {
        let path = file.expect("a directory entry").path();
        findings.extend(check::response_file(op, 200, &path).expect("a JSON file"));
    }
    assert!(findings.is_empty(), "{}", check::text(&findings));
}

/// The README shows the test above as it is here, so that its example compiles and passes.
#[test]
fn the_readme_shows_this_test() {
    let source = include_str!("recorded_answers.rs");
    let start = source
        .find("#[test]\nfn recorded_answers_match_the_spec")
        .unwrap();
    let end = start + source[start..].find("\n}\n").unwrap() + 3;
    let readme = include_str!("../../../README.md");
    assert!(
        readme.contains(&source[start..end]),
        "README.md lacks:\n{}",
        &source[start..end]
    );
}

//! `threatbind demo`: the README's first command runs offline and covers every operation of
//! every spec, then enrich of examples/indicators.txt.

use threatbind::spec::Api;

#[test]
fn the_demo_calls_every_operation_of_every_api_and_enriches_the_examples() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_threatbind"))
        .arg("demo")
        .env_clear()
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains('✗'), "{stdout}");
    let mut operations = 0;
    for api in Api::ALL {
        for op in api.operations() {
            operations += 1;
            let line = stdout
                .lines()
                .find(|l| {
                    l.contains(&format!(" {} ", op.id)) || l.ends_with(&format!(" {}", op.id))
                })
                .unwrap_or_else(|| panic!("{} is not in the demo:\n{stdout}", op.id));
            assert!(line.trim_start().starts_with("✓ 2"), "{line}");
        }
    }
    assert!(
        stdout
            .lines()
            .filter(|l| l.trim_start().starts_with('✓'))
            .count()
            >= operations
    );
    // Every example indicator has its line (one of them is deliberately not an indicator).
    let indicators = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/indicators.txt"
    ))
    .unwrap();
    for indicator in indicators
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        assert!(
            stdout
                .lines()
                .any(|l| l.trim_start().starts_with(indicator.trim())),
            "{indicator}: {stdout}"
        );
    }
    assert!(stdout.contains("237 typed events"), "{stdout}");
    // It ends by writing the enrich run as one STIX 2.1 bundle: an identity for the vendor and
    // an indicator per indicator of the list that the vendor answered for.
    let bundle: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/demo/enrich.stix.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(bundle["type"], "bundle");
    let objects = bundle["objects"].as_array().unwrap();
    let count = |kind: &str| objects.iter().filter(|o| o["type"] == kind).count();
    assert_eq!(count("identity"), 1, "{bundle}");
    assert_eq!(count("indicator"), 5, "{bundle}");
    assert!(
        stdout.contains("one STIX 2.1 bundle: 1 identity, "),
        "{stdout}"
    );
    assert!(stdout.contains("0 refused by its quota"), "{stdout}");
}

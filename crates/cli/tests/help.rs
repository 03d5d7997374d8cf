//! Every operation's `--help` of every API: no maintainers' notes (they live in the specs'
//! `x-notes`), and an example line with real values that passes the request's own checks
//! (`--dry-run`: checked and printed, never sent).

mod support;

use support::{run, stderr, stdout};
use threatbind::spec::Api;

/// Dummy credentials for every API, and servers on loopback (a dry run sends nothing anyway).
const ENV: &[(&str, &str)] = &[
    ("THREATBIND_QUOTA_STORE", "process"),
    ("LOG360_ACCESS_TOKEN", "1000.dummy-token"),
    ("LOG360_ACCOUNT_ID", "18XXXXX4"),
    ("LOG360_BASE_URL", "http://127.0.0.1:9/api/v2"),
    ("LOG360_ONPREM_TOKEN", "dummy-onprem-token"),
    ("LOG360_ONPREM_URL", "http://127.0.0.1:9"),
    ("DD_API_KEY", "dummy-api-key"),
    ("DD_APP_KEY", "dummy-app-key"),
    ("DD_BASE_URL", "http://127.0.0.1:9"),
    ("NAMESHIELD_TOKEN", "dummy-nameshield-token"),
    ("NAMESHIELD_BASE_URL", "http://127.0.0.1:9"),
];

/// Words of maintainers' notes that a user's help must not show.
const MAINTAINER_WORDS: &[&str] = &[
    "FACTS.md",
    "Doc contradiction",
    "Doc quirk",
    "x-assumed",
    "x-notes",
    "x-pagination",
    "progenitor",
    "inferred",
    "the page",
    "left open",
    "kept as sent",
    "not bound",
    "is ours",
];

/// Every `(api, operation)` command, as each API's `--help` lists them.
async fn commands() -> Vec<(String, String)> {
    let mut apis: Vec<String> = Vec::new();
    for api in Api::ALL {
        let name = api
            .cli()
            .name
            .clone()
            .unwrap_or_else(|| api.stem().to_owned());
        if !apis.contains(&name) {
            apis.push(name);
        }
    }
    let mut out = Vec::new();
    for api in apis {
        let help = run(&[], &[&api, "--help"]).await;
        assert_eq!(help.status.code(), Some(0), "{}", stderr(&help));
        let text = stdout(&help);
        let listed = text
            .split("Commands:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("threatbind {api} --help lists no commands:\n{text}"));
        for line in listed.lines().take_while(|l| !l.trim().is_empty()) {
            let name = line.split_whitespace().next().unwrap_or_default();
            if name != "help" {
                out.push((api.clone(), name.to_owned()));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_operation_is_listed() {
    // 2 Datadog + 7 Log360 Cloud + 17 Log360 on-premises V1 + 6 V2 + 3 Nameshield.
    assert_eq!(commands().await.len(), 35);
}

#[tokio::test]
async fn no_operation_help_shows_maintainers_notes() {
    for (api, op) in commands().await {
        let help = run(&[], &[&api, &op, "--help"]).await;
        assert_eq!(help.status.code(), Some(0), "{api} {op}: {}", stderr(&help));
        let text = stdout(&help);
        for word in MAINTAINER_WORDS {
            assert!(
                !text.contains(word),
                "threatbind {api} {op} --help shows {word:?}:\n{text}"
            );
        }
    }
}

/// The line after `Example:` of a help text.
fn example_line(help: &str) -> Option<String> {
    let (_, after) = help.split_once("Example:\n")?;
    after.lines().next().map(|l| l.trim().to_owned())
}

#[tokio::test]
async fn every_example_has_real_values_and_passes_a_dry_run() {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_threatbind"));
    // `threatbind` of the example line is this build's binary.
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (api, op) in commands().await {
        let help = stdout(&run(&[], &[&api, &op, "--help"]).await);
        let line = example_line(&help)
            .unwrap_or_else(|| panic!("threatbind {api} {op} --help has no example:\n{help}"));
        assert!(
            line.starts_with(&format!("threatbind {api} {op}")),
            "{line}"
        );
        assert!(!line.contains("VALUE"), "a placeholder in: {line}");
        let mut cmd = tokio::process::Command::new("sh");
        cmd.env_clear().env("PATH", &path);
        for (k, v) in ENV {
            cmd.env(k, v);
        }
        let out = cmd
            .args(["-c", &format!("{line} --dry-run")])
            .output()
            .await
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{line} --dry-run: {}",
            stderr(&out)
        );
        // The request as it would go: to the loopback server of the variables above.
        assert!(
            stdout(&out).contains(" http://127.0.0.1:9/"),
            "{line} --dry-run printed:\n{}",
            stdout(&out)
        );
    }
}

#[tokio::test]
async fn examples_take_their_values_from_the_spec() {
    let help = stdout(&run(&[], &["log360", "threat-analytics", "--help"]).await);
    assert_eq!(
        example_line(&help).unwrap(),
        "threatbind log360 threat-analytics --action CONNECTIONS --section hosted_urls --severity 0 --from 0 --indicator 8.8.8.8 --indicator-type IP --limit 25"
    );
    let help = stdout(&run(&[], &["log360-onprem", "search", "--help"]).await);
    assert_eq!(
        example_line(&help).unwrap(),
        "threatbind log360-onprem search --end-time 2026-05-02T00:00:00Z --log-type Windows --query \"HOSTNAME = 'dc01' AND EVENTID = 4625\" --start-time 2026-05-01T00:00:00Z"
    );
    let help = stdout(&run(&[], &["log360-onprem", "disable-device", "--help"]).await);
    assert_eq!(
        example_line(&help).unwrap(),
        "threatbind log360-onprem disable-device --name ws-fin-07 --name ws-fin-08"
    );
    let help = stdout(&run(&[], &["nameshield", "event", "--help"]).await);
    assert_eq!(
        example_line(&help).unwrap(),
        "threatbind nameshield event --id 2fc25065-4766-5fa1-93a3-471f36599f1d"
    );
}

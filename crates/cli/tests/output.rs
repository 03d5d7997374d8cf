//! What the CLI prints, for a pipeline: `--jq`, `--output yaml|csv|table`, `--columns`, and an
//! answer without items said on stderr. The real binary against wiremock servers on loopback.

mod support;

use serde_json::{json, Value};
use std::process::Output;
use support::{refs, stderr, stdout};
use wiremock::matchers::{any, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ONPREM_TOKEN: &str = "onprem-authtoken-out-7c1d";
const NAMESHIELD_TOKEN: &str = "ns-output-token-42";

/// Runs `threatbind` with exactly `env` (plus PATH, and a quota of the run's own) and `args`.
async fn run(env: &[(&str, &str)], args: &[&str]) -> Output {
    support::run_own_quota(env, args).await
}

/// Two log sources, as the vendor might spell them: keys in this order, a name holding a
/// comma, quotes and a line break, a nested group, an array.
const DEVICES: &str = r#"{"devices": [
  {"name": "dc01, \"main\"\nsite", "ip_address": "10.0.0.5", "host_id": 301, "group": {"kind": "AD", "name": "Domain Controllers"}, "tags": ["a", "b"]},
  {"name": "ws-fin-07", "ip_address": "10.0.4.7", "host_id": "302", "group": {"kind": "local"}, "os": {"family": "windows"}}
]}"#;

/// An on-premises server answering the list of log sources (V1, not paginated) with `body`.
async fn log_sources(body: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/RestAPI/v1/meta/log_sources"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    server
}

/// `threatbind ARGS` against a server answering the log sources with `body` once (checked when
/// the server is dropped, before this returns).
async fn on_log_sources(body: &str, args: &[&str]) -> Output {
    let server = log_sources(body).await;
    let env = onprem_env(&server);
    run(&refs(&env), args).await
}

/// A server that must receive nothing.
async fn silent() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    server
}

fn onprem_env(server: &MockServer) -> Vec<(&'static str, String)> {
    vec![
        ("LOG360_ONPREM_TOKEN", ONPREM_TOKEN.into()),
        ("LOG360_ONPREM_URL", server.uri()),
    ]
}

/// Nameshield's threat events in two pages: e1 and e2, then e3.
async fn two_pages() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/cti/v2/events"))
        .and(query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"data": [{"id": "e3", "criticality": {"level": "HIGH", "name": "High"}}], "current_page": 1, "has_next": false}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/cti/v2/events"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"data": [{"id": "e1", "criticality": {"level": "LOW", "name": "Low"}}, {"id": "e2", "criticality": {"level": "LOW", "name": "Low"}}], "current_page": 0, "has_next": true}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    server
}

fn nameshield_env(server: &MockServer) -> Vec<(&'static str, String)> {
    vec![
        ("NAMESHIELD_TOKEN", NAMESHIELD_TOKEN.into()),
        ("NAMESHIELD_BASE_URL", server.uri()),
    ]
}

#[tokio::test]
async fn jq_reads_the_answer_and_prints_each_output_as_json() {
    let out = on_log_sources(
        DEVICES,
        &[
            "log360-onprem",
            "log-sources",
            "--jq",
            ".devices[] | .ip_address, {host: .host_id}",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Strings stay JSON strings (like jq without -r); compact off a terminal.
    assert_eq!(
        stdout(&out),
        "\"10.0.0.5\"\n{\"host\":301}\n\"10.0.4.7\"\n{\"host\":\"302\"}\n"
    );
    assert!(!stdout(&out).contains(ONPREM_TOKEN) && !stderr(&out).contains(ONPREM_TOKEN));
}

#[tokio::test]
async fn jq_with_all_reads_each_item_in_jsonl_and_the_whole_array_in_json() {
    let server = two_pages().await;
    let env = nameshield_env(&server);
    let out = run(
        &refs(&env),
        &[
            "nameshield",
            "events",
            "--all",
            "--jq",
            "{id, level: .criticality.level}",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "{\"id\":\"e1\",\"level\":\"LOW\"}\n{\"id\":\"e2\",\"level\":\"LOW\"}\n{\"id\":\"e3\",\"level\":\"HIGH\"}\n"
    );

    let server = two_pages().await;
    let env = nameshield_env(&server);
    let out = run(
        &refs(&env),
        &[
            "nameshield",
            "events",
            "--all",
            "--output",
            "json",
            "--jq",
            "[length, map(.id)]",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "[3,[\"e1\",\"e2\",\"e3\"]]\n");
}

#[tokio::test]
async fn a_jq_program_that_does_not_compile_stops_the_run_before_anything_is_sent() {
    let server = silent().await;
    let env = onprem_env(&server);
    for program in [".devices[] |", "env.LOG360_ONPREM_TOKEN", "$ENV"] {
        let out = run(
            &refs(&env),
            &["log360-onprem", "log-sources", "--jq", program],
        )
        .await;
        assert_eq!(out.status.code(), Some(2), "{program}: {}", stderr(&out));
        assert!(stderr(&out).contains("--jq"), "{}", stderr(&out));
        assert!(stdout(&out).is_empty());
        assert!(!stderr(&out).contains(ONPREM_TOKEN));
    }
    let out = run(
        &refs(&env),
        &["log360-onprem", "log-sources", "--jq", ".a |"],
    )
    .await;
    assert!(stderr(&out).contains("expected"), "{}", stderr(&out));
    // `--jq` does not apply to the body as received.
    let out = run(
        &refs(&env),
        &["log360-onprem", "log-sources", "--raw", "--jq", "."],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--jq"), "{}", stderr(&out));
}

#[tokio::test]
async fn a_jq_program_that_fails_on_the_answer_exits_2_naming_jq() {
    let server = log_sources(DEVICES).await;
    let env = onprem_env(&server);
    // `.x` of a string.
    let out = run(
        &refs(&env),
        &[
            "log360-onprem",
            "log-sources",
            "--jq",
            ".devices[0].ip_address.x",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--jq"), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot index"), "{}", stderr(&out));
}

#[tokio::test]
async fn yaml_is_the_vendors_json_as_one_document_and_a_walk_as_one_sequence() {
    let out = on_log_sources(
        DEVICES,
        &["log360-onprem", "log-sources", "--output", "yaml"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let back: Value = serde_yaml_ng::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        back,
        json!({"devices": [
            {"name": "dc01, \"main\"\nsite", "ip_address": "10.0.0.5", "host_id": 301, "group": {"kind": "AD", "name": "Domain Controllers"}, "tags": ["a", "b"]},
            {"name": "ws-fin-07", "ip_address": "10.0.4.7", "host_id": "302", "group": {"kind": "local"}, "os": {"family": "windows"}}
        ]})
    );
    // The vendor's key order is kept.
    assert!(
        stdout(&out).starts_with("devices:\n- name: "),
        "{}",
        stdout(&out)
    );

    let server = two_pages().await;
    let env = nameshield_env(&server);
    let out = run(
        &refs(&env),
        &["nameshield", "events", "--all", "--output", "yaml"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let back: Value = serde_yaml_ng::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        back,
        json!([
            {"id": "e1", "criticality": {"level": "LOW", "name": "Low"}},
            {"id": "e2", "criticality": {"level": "LOW", "name": "Low"}},
            {"id": "e3", "criticality": {"level": "HIGH", "name": "High"}}
        ])
    );
}

/// Reads CSV text back with the csv crate: the header and the rows.
fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[tokio::test]
async fn csv_has_dotted_columns_and_rfc_4180_quoting() {
    let out = on_log_sources(
        DEVICES,
        &["log360-onprem", "log-sources", "--output", "csv"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The spec's columns (name, ip_address, host_id, group), the group object spread.
    let (header, rows) = read_csv(&stdout(&out));
    assert_eq!(
        header,
        ["name", "ip_address", "host_id", "group.kind", "group.name"]
    );
    assert_eq!(
        rows,
        [
            [
                "dc01, \"main\"\nsite",
                "10.0.0.5",
                "301",
                "AD",
                "Domain Controllers"
            ],
            ["ws-fin-07", "10.0.4.7", "302", "local", ""],
        ]
    );
    assert!(
        stdout(&out).contains("\"dc01, \"\"main\"\"\nsite\","),
        "{}",
        stdout(&out)
    );

    // Without the spec's columns (a program shapes the rows): every column, in the order of
    // first appearance, arrays as their JSON.
    let out = on_log_sources(
        DEVICES,
        &[
            "log360-onprem",
            "log-sources",
            "--output",
            "csv",
            "--jq",
            ".devices",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (header, rows) = read_csv(&stdout(&out));
    assert_eq!(
        header,
        [
            "name",
            "ip_address",
            "host_id",
            "group.kind",
            "group.name",
            "tags",
            "os.family"
        ]
    );
    assert_eq!(
        rows,
        [
            [
                "dc01, \"main\"\nsite",
                "10.0.0.5",
                "301",
                "AD",
                "Domain Controllers",
                "[\"a\",\"b\"]",
                ""
            ],
            ["ws-fin-07", "10.0.4.7", "302", "local", "", "", "windows"],
        ]
    );
}

#[tokio::test]
async fn columns_choose_and_order_the_columns_of_csv_and_table() {
    let out = on_log_sources(
        DEVICES,
        &[
            "log360-onprem",
            "log-sources",
            "--output",
            "csv",
            "--columns",
            "os.family, host_id,group.name",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (header, rows) = read_csv(&stdout(&out));
    assert_eq!(header, ["os.family", "host_id", "group.name"]);
    assert_eq!(
        rows,
        [["", "301", "Domain Controllers"], ["windows", "302", ""]]
    );

    let out = on_log_sources(
        DEVICES,
        &[
            "log360-onprem",
            "log-sources",
            "--output",
            "table",
            "--columns",
            "ip_address,group",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Off a terminal: tab-separated; an object's column spread into its dotted columns.
    assert_eq!(
        stdout(&out),
        "ip_address\tgroup.kind\tgroup.name\n10.0.0.5\tAD\tDomain Controllers\n10.0.4.7\tlocal\t\n"
    );

    let server = silent().await;
    let env = onprem_env(&server);
    for form in [
        &["--output", "json"][..],
        &["--output", "yaml"],
        &["--raw"],
        &[],
    ] {
        let mut args = vec!["log360-onprem", "log-sources", "--columns", "name"];
        args.extend(form);
        let out = run(&refs(&env), &args).await;
        assert_eq!(out.status.code(), Some(2), "{form:?}");
        assert!(
            stderr(&out).contains("--columns") && stderr(&out).contains("only for csv and table"),
            "{}",
            stderr(&out)
        );
    }
}

#[tokio::test]
async fn a_table_flattens_objects_and_a_walk_prints_every_item_under_one_header() {
    let server = two_pages().await;
    let env = nameshield_env(&server);
    let out = run(
        &refs(&env),
        &["nameshield", "events", "--all", "--output", "table"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The spec's columns: id, date, type, criticality (spread), domain.
    assert_eq!(
        stdout(&out),
        "id\tdate\ttype\tcriticality.level\tcriticality.name\tdomain\n\
         e1\t\t\tLOW\tLow\t\n\
         e2\t\t\tLOW\tLow\t\n\
         e3\t\t\tHIGH\tHigh\t\n"
    );
}

#[tokio::test]
async fn an_answer_without_items_prints_the_header_and_says_so() {
    for (form, header) in [
        ("csv", "name,ip_address,host_id,group\n"),
        ("table", "name\tip_address\thost_id\tgroup\n"),
    ] {
        let server = log_sources(r#"{"devices": []}"#).await;
        let env = onprem_env(&server);
        let out = run(
            &refs(&env),
            &["log360-onprem", "log-sources", "--output", form],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stdout(&out), header);
        assert!(
            stderr(&out).contains(r#"note: no items: the answer's "devices" is empty"#),
            "{}",
            stderr(&out)
        );
    }
}

#[tokio::test]
async fn the_help_of_output_lists_every_form() {
    let out = run(&[], &["--help"]).await;
    let help = stdout(&out);
    let line = help
        .lines()
        .find(|l| l.trim_start().starts_with("--output"))
        .unwrap_or_default();
    for form in ["json (", "jsonl (", "yaml (", "csv (", "table (", "raw ("] {
        assert!(line.contains(form), "{form}: {line}");
    }
    assert!(help.contains("--jq <PROGRAM>") && help.contains("--columns <A,B.C>"));
}

/// Review finding 1: with csv and table, a program's rows are printed as they come (after the
/// first 1000 settle the columns), never collected to the end: a program that outputs 1500 rows
/// and then fails has printed them all before its error.
#[tokio::test]
async fn csv_and_table_print_a_programs_rows_as_they_come() {
    for (form, header, row) in [("csv", "a", "1"), ("table", "a", "1")] {
        let server = log_sources(DEVICES).await;
        let env = onprem_env(&server);
        let out = run(
            &refs(&env),
            &[
                "log360-onprem",
                "log-sources",
                "--output",
                form,
                "--jq",
                r#"limit(1500; repeat({a: 1})), error("stop")"#,
            ],
        )
        .await;
        assert_eq!(out.status.code(), Some(2), "{form}: {}", stderr(&out));
        assert!(stderr(&out).contains("--jq"), "{}", stderr(&out));
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1501, "{form}");
        assert_eq!(lines[0], header);
        assert!(lines[1..].iter().all(|l| *l == row), "{form}");
    }
}

/// Review finding 1: a program without end (`repeat`) prints its rows until stdout closes, as
/// `| head -3` does; the CLI then exits 0.
#[tokio::test]
async fn a_csv_program_without_end_prints_until_stdout_closes() {
    use tokio::io::AsyncBufReadExt;
    let server = log_sources(DEVICES).await;
    let mut cmd = support::command();
    cmd.env("THREATBIND_QUOTA_STORE", "process")
        .env("LOG360_ONPREM_TOKEN", ONPREM_TOKEN)
        .env("LOG360_ONPREM_URL", server.uri())
        .args([
            "log360-onprem",
            "log-sources",
            "--output",
            "csv",
            "--jq",
            "repeat({a: 1})",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let mut first = Vec::new();
    for _ in 0..3 {
        first.push(lines.next_line().await.unwrap().unwrap());
    }
    drop(lines);
    assert_eq!(first, ["a", "1", "1"]);
    assert_eq!(child.wait().await.unwrap().code(), Some(0));
}

/// Review finding 2: a walk whose page lacks its items says so, with yaml, jsonl and csv
/// through a program too (not "the --jq program output nothing": it never ran).
#[tokio::test]
async fn a_walk_without_items_says_why_in_every_form() {
    for args in [
        &["--output", "csv", "--jq", "{id}"][..],
        &["--output", "table", "--jq", "{id}"][..],
        &["--output", "jsonl", "--jq", "{id}"][..],
        &["--output", "yaml"][..],
        &["--output", "yaml", "--jq", ".[]"][..],
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/cti/v2/events"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                r#"{"data": [], "current_page": 0, "has_next": false}"#,
                "application/json",
            ))
            .expect(1)
            .mount(&server)
            .await;
        let env = nameshield_env(&server);
        let mut all = vec!["nameshield", "events", "--all"];
        all.extend_from_slice(args);
        let out = run(&refs(&env), &all).await;
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(
                r#"note: no items: no page's "data" held any (the last: the answer's "data" is empty)"#
            ),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(!stderr(&out).contains("output nothing"), "{args:?}");
    }
    // A program that ran and output nothing is named.
    let server = two_pages().await;
    let env = nameshield_env(&server);
    let out = run(
        &refs(&env),
        &[
            "nameshield",
            "events",
            "--all",
            "--output",
            "csv",
            "--jq",
            "empty",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("note: no items: the --jq program output nothing"),
        "{}",
        stderr(&out)
    );
}

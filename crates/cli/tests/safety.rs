//! Safe to leave running: credentials never leave their host, no panic on any input, every wait,
//! size and loop bounded, errors a user can act on. The real `threatbind` binary against
//! loopback servers only.

#[path = "../../../tests/common/mod.rs"]
mod common;
mod support;

use serde_json::{json, Value};
use std::ffi::OsString;
use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{blocking_command as binary, text};
use wiremock::matchers::{any, header, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "1000.safety-secret-token";
const DD_API: &str = "dd-api-key-0123456789abcdef";
const DD_APP: &str = "dd-app-key-0123456789abcdef";
const NS_TOKEN: &str = "3f2c4f5e-1b7a-4d2e-9c1a-5e6f7a8b9c0d";

/// Runs `threatbind` with exactly `env` (plus PATH) and `args`.
fn run(env: &[(&str, String)], args: &[&str]) -> Output {
    let mut cmd = binary();
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    cmd.args(args).output().unwrap()
}

async fn run_async(env: Vec<(&'static str, String)>, args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&env, &args)
    })
    .await
    .unwrap()
}

/// Asserts the run's exit code and gives its stderr.
fn exits(out: &Output, code: i32) -> String {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{err}");
    err
}

fn log360_env(base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("LOG360_ACCOUNT_ID", "18XXXXX4".into()),
        ("LOG360_ACCESS_TOKEN", TOKEN.into()),
        ("LOG360_BASE_URL", format!("{base}/api/v2")),
    ]
}

fn datadog_env(base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DD_API_KEY", DD_API.into()),
        ("DD_APP_KEY", DD_APP.into()),
        ("DD_BASE_URL", base.into()),
    ]
}

fn nameshield_env(base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("NAMESHIELD_TOKEN", NS_TOKEN.into()),
        ("NAMESHIELD_BASE_URL", base.into()),
    ]
}

/// Environment variables for one run.
type Env = Vec<(&'static str, String)>;

fn no_secret(out: &Output) {
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    for secret in [TOKEN, DD_API, DD_APP, NS_TOKEN] {
        assert!(!all.contains(secret), "a secret leaked: {all}");
    }
}

/// A fresh directory for one test's cache (quota state, tokens).
fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "threatbind-safety-{name}-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(Instant::now())
}

// ---------------------------------------------------------------------------------------------
// Security

#[tokio::test]
async fn redirects_are_not_followed_and_the_other_host_sees_nothing() {
    let elsewhere = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {}})))
        .expect(0)
        .named("the redirect target")
        .mount(&elsewhere)
        .await;
    let target = format!("{}/stolen", elsewhere.uri());
    let cases: Vec<(Env, Vec<&str>, u16)> = vec![
        (
            vec![],
            vec![
                "log360",
                "threat-analytics",
                "--indicator",
                "8.8.8.8",
                "--action",
                "INFO",
            ],
            307,
        ),
        (
            vec![],
            vec!["datadog", "ioc", "--indicator", "8.8.8.8"],
            302,
        ),
        (vec![], vec!["nameshield", "events"], 301),
        (
            vec![],
            vec![
                "nameshield",
                "search-v1",
                "--query",
                "domain:ENDS_WITH:.com",
            ],
            308,
        ),
    ];
    for (_, args, status) in cases {
        let api = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status).insert_header("location", target.as_str()))
            .expect(1)
            .mount(&api)
            .await;
        let env = match args[0] {
            "log360" => log360_env(&api.uri()),
            "datadog" => datadog_env(&api.uri()),
            _ => nameshield_env(&api.uri()),
        };
        let out = run(&env, &args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
        assert!(
            err.contains(&format!("HTTP {status}")) && err.contains("host 127.0.0.1"),
            "{args:?}: {err}"
        );
        assert!(err.contains("not followed"), "{err}");
        no_secret(&out);
        api.verify().await;
    }
    // The token exchange is not followed either.
    let accounts = MockServer::start().await;
    Mock::given(path("/oauth/v2/token"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", target.as_str()))
        .expect(1)
        .mount(&accounts)
        .await;
    let api = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&api)
        .await;
    let env = vec![
        ("LOG360_ACCOUNT_ID", "18XXXXX4".to_owned()),
        ("LOG360_REFRESH_TOKEN", TOKEN.to_owned()),
        ("LOG360_CLIENT_ID", "1000.CLIENT".to_owned()),
        ("LOG360_CLIENT_SECRET", DD_APP.to_owned()),
        ("LOG360_ACCOUNTS_URL", accounts.uri()),
        ("LOG360_BASE_URL", format!("{}/api/v2", api.uri())),
    ];
    let out = run(&env, &["log360", "virustotal", "--indicator", "8.8.8.8"]);
    let err = exits(&out, 3);
    assert!(
        err.contains("HTTP 302") && err.contains("not followed"),
        "{err}"
    );
    no_secret(&out);
    // `elsewhere` and `api` verify on drop that they saw nothing.
}

#[tokio::test]
async fn plain_http_goes_to_loopback_only_unless_allowed() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {}})))
        .mount(&server)
        .await;
    let port = server.address().port();
    let args = ["log360", "virustotal", "--indicator", "8.8.8.8"];
    // 0.0.0.0 is not a loopback address by name, though Linux connects it to this machine:
    // refused without --allow-http, sent with it, and nothing leaves the machine either way.
    let remote = format!("http://0.0.0.0:{port}");
    let out = run(&log360_env(&remote), &args);
    let err = exits(&out, 2);
    assert!(
        err.contains(&format!("http://0.0.0.0:{port}/api/v2")) && err.contains("--allow-http"),
        "{err}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
    let mut allowed = vec!["--allow-http"];
    allowed.extend(args);
    let out = run(&log360_env(&remote), &allowed);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    // Loopback by address and by name need no flag; https needs none anywhere.
    for base in [server.uri(), format!("http://localhost:{port}")] {
        let out = run(&log360_env(&base), &args);
        assert_eq!(out.status.code(), Some(0), "{base}: {}", text(&out.stderr));
    }
    // The Zoho accounts server follows the same rule.
    let mut env = log360_env(&server.uri());
    env.retain(|(k, _)| *k != "LOG360_ACCESS_TOKEN");
    env.extend([
        ("LOG360_REFRESH_TOKEN", TOKEN.to_owned()),
        ("LOG360_CLIENT_ID", "1000.CLIENT".to_owned()),
        ("LOG360_CLIENT_SECRET", "client-secret".to_owned()),
        ("LOG360_ACCOUNTS_URL", format!("http://0.0.0.0:{port}")),
    ]);
    let out = run(&env, &args);
    let err = exits(&out, 2);
    assert!(err.contains("LOG360_ACCOUNTS_URL"), "{err}");
}

#[tokio::test]
async fn secrets_echoed_by_a_server_print_as_stars() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v2/threat/search/virustotal"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("x-echo", format!("Zoho-oauthtoken {TOKEN}").as_str())
                .set_body_json(json!({"error": {"code": "1", "title": format!("bad {TOKEN}"), "detail": format!("token {TOKEN} refused")}})),
        )
        .mount(&server)
        .await;
    // A redirect whose location carries the token in its host and its query.
    Mock::given(path("/api/v2/entities/risk-profile"))
        .respond_with(ResponseTemplate::new(302).insert_header(
            "location",
            format!("http://{TOKEN}.example/?t={TOKEN}").as_str(),
        ))
        .mount(&server)
        .await;
    let env = log360_env(&server.uri());
    let out = run(
        &env,
        &["-v", "log360", "virustotal", "--indicator", "8.8.8.8"],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("bad ***"),
        "{}",
        text(&out.stderr)
    );
    no_secret(&out);
    let out = run(
        &env,
        &[
            "-v",
            "log360",
            "risk-profile",
            "--entity-name",
            "a",
            "--domain-name",
            "b",
            "--entity-type",
            "user",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("host ***.example"),
        "{}",
        text(&out.stderr)
    );
    no_secret(&out);
    // Datadog keys echoed in an error list.
    let dd = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"errors": [format!("key {DD_API} / {DD_APP} forbidden")]})),
        )
        .mount(&dd)
        .await;
    let out = run(
        &datadog_env(&dd.uri()),
        &["-v", "datadog", "ioc", "--indicator", "8.8.8.8"],
    );
    // A 403: the credentials were refused (7).
    assert_eq!(out.status.code(), Some(7));
    assert!(text(&out.stderr).contains("key *** / *** forbidden"));
    no_secret(&out);
}

#[tokio::test]
async fn control_characters_in_credentials_exit_2_naming_the_variable() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let log360 = ["log360", "virustotal", "--indicator", "8.8.8.8"];
    let refresh = |var: &'static str, value: &str| {
        let mut env = log360_env(&server.uri());
        env.retain(|(k, _)| *k != "LOG360_ACCESS_TOKEN");
        env.extend([
            ("LOG360_REFRESH_TOKEN", TOKEN.to_owned()),
            ("LOG360_CLIENT_ID", "1000.CLIENT".to_owned()),
            ("LOG360_CLIENT_SECRET", "client-secret".to_owned()),
            ("LOG360_ACCOUNTS_URL", server.uri()),
        ]);
        for (k, v) in env.iter_mut() {
            if *k == var {
                *v = value.to_owned();
            }
        }
        env
    };
    for bad in [
        format!("{TOKEN}\r\nX-Injected: 1"),
        format!("{TOKEN}\n"),
        format!("\r{TOKEN}"),
    ] {
        let cases: Vec<(&str, Env, Vec<&str>)> = vec![
            (
                "LOG360_ACCESS_TOKEN",
                {
                    let mut e = log360_env(&server.uri());
                    e[1].1 = bad.clone();
                    e
                },
                log360.to_vec(),
            ),
            (
                "LOG360_ACCOUNT_ID",
                {
                    let mut e = log360_env(&server.uri());
                    e[0].1 = format!("18XX{bad}");
                    e
                },
                log360.to_vec(),
            ),
            (
                "LOG360_REFRESH_TOKEN",
                refresh("LOG360_REFRESH_TOKEN", &bad),
                log360.to_vec(),
            ),
            (
                "LOG360_CLIENT_ID",
                refresh("LOG360_CLIENT_ID", &bad),
                log360.to_vec(),
            ),
            (
                "LOG360_CLIENT_SECRET",
                refresh("LOG360_CLIENT_SECRET", &bad),
                log360.to_vec(),
            ),
            (
                "NAMESHIELD_TOKEN",
                {
                    let mut e = nameshield_env(&server.uri());
                    e[0].1 = format!("{NS_TOKEN}\r\nX: 1");
                    e
                },
                vec!["nameshield", "events"],
            ),
            (
                "DD_API_KEY",
                {
                    let mut e = datadog_env(&server.uri());
                    e[0].1 = bad.clone();
                    e
                },
                vec!["datadog", "ioc", "--indicator", "8.8.8.8"],
            ),
            (
                "DD_APP_KEY",
                {
                    let mut e = datadog_env(&server.uri());
                    e[1].1 = bad.clone();
                    e
                },
                vec!["datadog", "ioc", "--indicator", "8.8.8.8"],
            ),
        ];
        for (var, env, args) in cases {
            let out = run(&env, &args);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{var}: {err}");
            assert!(
                err.contains(var) && err.contains("control character"),
                "{var}: {err}"
            );
            no_secret(&out);
        }
    }
    // NUL cannot travel in an environment variable; the library refuses it as well.
    let err = threatbind::log360_cloud::Log360Client::builder()
        .account_id("18XXXXX4")
        .auth(threatbind::log360_cloud::Log360Auth::access_token(
            "1000.a\0b",
        ))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("NUL"), "{err}");
}

#[tokio::test]
async fn a_token_pasted_with_its_scheme_is_sent_once() {
    let server = MockServer::start().await;
    Mock::given(header(
        "authorization",
        format!("Zoho-oauthtoken {TOKEN}").as_str(),
    ))
    .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {}})))
    .expect(1)
    .mount(&server)
    .await;
    let mut env = log360_env(&server.uri());
    env[1].1 = format!("Zoho-oauthtoken {TOKEN}");
    let out = run(&env, &["log360", "virustotal", "--indicator", "8.8.8.8"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

// ---------------------------------------------------------------------------------------------
// No panic, ever

/// A loopback server that answers every connection with `{}` and closes it.
fn answering_server() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                let mut buf = [0u8; 65536];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                );
            });
        }
    });
    url
}

/// The commands of the binary, as found in its help: `[["log360", "virustotal"], ...]`.
fn commands() -> Vec<Vec<String>> {
    common::cli_commands(env!("CARGO_BIN_EXE_threatbind"))
}

/// The flags of a command and which of them are required, from its help.
fn flags(command: &[String]) -> (Vec<String>, Vec<String>) {
    let args: Vec<&str> = command.iter().map(String::as_str).collect();
    let out = binary().args(&args).arg("--help").output().unwrap();
    let help = text(&out.stdout);
    let all: Vec<String> = help
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("--"))
        .filter_map(|l| l.split_whitespace().next())
        .map(|f| f.trim_end_matches(',').to_owned())
        .filter(|f| f != "--help")
        .collect();
    let usage = help.lines().find(|l| l.starts_with("Usage:")).unwrap_or("");
    let mut required = Vec::new();
    let mut depth = 0;
    for word in usage.split_whitespace() {
        depth += word.matches('[').count() as i32;
        if depth == 0 && word.starts_with("--") {
            required.push(word.to_owned());
        }
        depth -= word.matches(']').count() as i32;
    }
    (all, required)
}

fn plausible(flag: &str) -> &'static str {
    match flag {
        "--indicator" => "8.8.8.8",
        "--action" => "INFO",
        "--entity-type" => "user",
        "--id" => "2fc25065-4766-5fa1-93a3-471f36599f1d",
        "--query" => "domain:ENDS_WITH:.com",
        _ => "x",
    }
}

#[test]
fn hostile_values_never_panic() {
    use std::os::unix::ffi::OsStringExt;
    let base = answering_server();
    let long = "A".repeat(100_000); // one argument may not exceed 128 KiB on Linux
    let values: Vec<OsString> = [
        "1e400",
        "1e20",
        "-1",
        "0",
        "-0",
        "NaN",
        "inf",
        "-inf",
        "18446744073709551616",
        "-9223372036854775809",
        "1/1e300",
        "1/0",
        "0/1",
        "4294967296/1",
        "",
        " ",
        "2026-02-30T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "http://[::1",
        "\u{202e}\u{0}",
        long.as_str(),
    ]
    .iter()
    .map(OsString::from)
    .chain([OsString::from_vec(vec![0xff, 0xfe, b'a'])])
    .filter(|v| !v.as_encoded_bytes().contains(&0))
    .collect();
    let globals = [
        "--timeout",
        "--max-time",
        "--rate-limit",
        "--retries",
        "--max-response-bytes",
        "--max-pages",
        "--base-url",
    ];
    let mut env: Vec<(&str, String)> = log360_env(&base);
    env.extend(datadog_env(&base));
    env.extend(nameshield_env(&base));
    let commands = commands();
    assert!(commands.len() >= 10, "{commands:?}");
    let mut runs = 0;
    let mut cases = Vec::new();
    for command in &commands {
        let (all, required) = flags(command);
        let targets: Vec<String> = all
            .iter()
            .cloned()
            .chain(globals.iter().map(|g| g.to_string()))
            .collect();
        for flag in targets {
            for value in &values {
                let mut args: Vec<OsString> = vec!["--retries".into(), "0".into()];
                args.extend(["--max-time".into(), "5".into()]);
                args.extend(command.iter().map(OsString::from));
                for r in &required {
                    if *r != flag {
                        args.extend([OsString::from(r), OsString::from(plausible(r))]);
                    }
                }
                args.extend([OsString::from(&flag), value.clone()]);
                cases.push(args);
            }
        }
    }
    // Several at a time: the answers come from loopback and each run is short.
    let results: Vec<(Vec<OsString>, Output)> = std::thread::scope(|scope| {
        let chunks: Vec<_> = cases.chunks(cases.len().div_ceil(4)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let env = &env;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|args| {
                            let mut cmd = binary();
                            cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
                            (args.clone(), cmd.args(args).output().unwrap())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    for (args, out) in &results {
        runs += 1;
        let err = text(&out.stderr);
        let shown: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().chars().take(40).collect())
            .collect();
        assert_ne!(out.status.code(), Some(101), "{shown:?}: {err}");
        assert!(out.status.code().is_some(), "{shown:?}: killed by a signal");
        assert!(!err.contains("panicked"), "{shown:?}: {err}");
    }
    assert!(runs > 1000, "only {runs} runs");
}

#[tokio::test]
async fn a_closed_stdout_ends_quietly_and_a_full_disk_is_reported() {
    let server = MockServer::start().await;
    let rules: Vec<Value> = (0..50)
        .map(|i| json!({"rule_id": format!("r{i}"), "rule_name": "x".repeat(2000)}))
        .collect();
    // The answer comes late, so that a reader can go away before anything is written.
    Mock::given(path("/api/v2/detection/rules"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": rules, "meta": {"has_more": false}}))
                .set_delay(Duration::from_millis(300)),
        )
        .mount(&server)
        .await;
    let env = log360_env(&server.uri());
    // (arguments, lines the reader takes before going away). The one JSON answer is a single
    // line, so its reader leaves before it is written; the 50 item lines (100 KB) overflow the
    // pipe after the first, so the writer meets the closed pipe in both cases.
    for (args, lines) in [
        (vec!["log360", "detection-rules"], 0),
        (vec!["log360", "detection-rules", "--all"], 1),
    ] {
        // `| head -1`
        let mut cmd = binary();
        cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
        let mut child = cmd
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::BufRead;
            let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
            for _ in 0..lines {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                assert!(!line.is_empty());
            }
        }
        let out = child.wait_with_output().unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        // `>/dev/full`
        let mut cmd = binary();
        cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
        let out = cmd
            .args(&args)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("error: writing output: No space left on device"),
            "{err}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Errors a user can act on

#[tokio::test]
async fn errors_name_method_url_and_status_and_v_logs_every_attempt() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v2/entities/risk-profile"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"error": {"code": "100010404", "title": "Not Found", "detail": "no such entity"}}),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/api/v2/threat/search/virustotal"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let env = log360_env(&server.uri());
    let out = run(
        &env,
        &[
            "log360",
            "risk-profile",
            "--entity-name",
            "john.doe",
            "--domain-name",
            "example.com",
            "--entity-type",
            "user",
        ],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3));
    let url = format!("GET {}/api/v2/entities/risk-profile?", server.uri());
    assert!(err.contains(&url) && err.contains("HTTP 404"), "{err}");
    let out = run(
        &env,
        &[
            "-v",
            "--retries",
            "2",
            "log360",
            "virustotal",
            "--indicator",
            "8.8.8.8",
        ],
    );
    let err = exits(&out, 5);
    let url = format!("POST {}/api/v2/threat/search/virustotal", server.uri());
    let attempts: Vec<&str> = err
        .lines()
        .filter(|l| l.contains(&url) && l.contains(" -> "))
        .collect();
    assert_eq!(attempts.len(), 3, "{err}");
    for (i, line) in attempts.iter().enumerate() {
        assert!(
            line.contains("-> 503 in ") && line.contains(" ms "),
            "{line}"
        );
        assert!(line.contains(&format!("attempt {} of 3", i + 1)), "{line}");
        assert_eq!(line.contains("retrying in "), i < 2, "{line}");
    }
    assert!(err.lines().last().unwrap().contains(&url), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Time, retries and size bounds

#[tokio::test]
async fn max_time_bounds_the_whole_command() {
    // The server answers after 30 s, twenty times --max-time, and notes when it has: a command
    // that waited for the answer (and only then saw its budget spent) ends after it. The
    // attempt's own timeout is longer, so that only --max-time can end the wait sooner.
    let answered = Arc::new(AtomicBool::new(false));
    let url = {
        let answered = answered.clone();
        common::held::serve(move |_| {
            let answered = answered.clone();
            async move {
                tokio::time::sleep(Duration::from_secs(30)).await;
                answered.store(true, Ordering::SeqCst);
                (200, json!({"data": {}}).to_string())
            }
        })
        .await
    };
    let out = run_async(
        log360_env(&url),
        [
            "--timeout",
            "120",
            "--max-time",
            "1.5",
            "log360",
            "virustotal",
            "--indicator",
            "8.8.8.8",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    let err = exits(&out, 4);
    assert!(err.contains("--max-time"), "{err}");
    assert!(
        !answered.load(Ordering::SeqCst),
        "the command ended after the answer: {err}"
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_fails_at_once_saying_so() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    // The command's own budget bounds any wait: one that waited on the server's word (or part
    // of it) before failing would end "the time budget ... (--max-time) ran out", exit 4; one
    // that failed at once says what the server asked, exit 5.
    let out = run_async(
        log360_env(&server.uri()),
        [
            "--max-time",
            "120",
            "log360",
            "virustotal",
            "--indicator",
            "8.8.8.8",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    let err = exits(&out, 5);
    assert!(err.contains("server asks to wait 3600 s"), "{err}");
    assert!(!err.contains("ran out"), "{err}");
}

#[tokio::test]
async fn answers_larger_than_the_bound_stop_with_a_clear_error() {
    let server = MockServer::start().await;
    let big = json!({"data": {"indicator": "x".repeat(300_000)}});
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(big))
        .mount(&server)
        .await;
    let env = log360_env(&server.uri());
    let args = ["log360", "virustotal", "--indicator", "8.8.8.8"];
    let mut bounded = vec!["--max-response-bytes", "100000"];
    bounded.extend(args);
    let out = run(&env, &bounded);
    let err = exits(&out, 4);
    assert!(
        err.contains("larger than the limit of 100000 bytes"),
        "{err}"
    );
    let out = run(&env, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[tokio::test]
async fn page_walks_are_bounded_checked_and_resumable() {
    // A server that always says there is more.
    let endless = MockServer::start().await;
    Mock::given(path("/api/v2/detection/rules"))
        .respond_with(|req: &Request| {
            let from = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "from")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            ResponseTemplate::new(200).set_body_json(
                json!({"data": [{"rule_id": format!("r{from}")}], "meta": {"has_more": true}}),
            )
        })
        .mount(&endless)
        .await;
    let out = run(
        &log360_env(&endless.uri()),
        &["--max-pages", "3", "log360", "detection-rules", "--all"],
    );
    let err = exits(&out, 5);
    assert_eq!(text(&out.stdout).lines().count(), 3);
    assert!(
        err.contains("stopped after 3 pages (--max-pages)") && err.contains("--from 4"),
        "{err}"
    );
    // An empty page that still says there is more.
    let empty = MockServer::start().await;
    Mock::given(path("/api/v2/detection/rules"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [], "meta": {"has_more": true}})),
        )
        .expect(1)
        .mount(&empty)
        .await;
    let out = run(
        &log360_env(&empty.uri()),
        &["log360", "detection-rules", "--all"],
    );
    let err = exits(&out, 3);
    assert!(err.contains("empty but says more pages follow"), "{err}");
    // A failure at page 3 names the page and where to resume.
    let failing = MockServer::start().await;
    Mock::given(path("/cti/v2/events"))
        .respond_with(|req: &Request| {
            let page: i64 = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "page")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            if page == 2 {
                ResponseTemplate::new(500)
            } else {
                ResponseTemplate::new(200).set_body_json(json!({
                    "data": [{"id": "2fc25065-4766-5fa1-93a3-471f36599f1d"}],
                    "has_next": true
                }))
            }
        })
        .mount(&failing)
        .await;
    let out = run(
        &nameshield_env(&failing.uri()),
        &["--retries", "1", "nameshield", "events", "--all"],
    );
    let err = exits(&out, 5);
    assert_eq!(text(&out.stdout).lines().count(), 2);
    assert!(
        err.contains("page 3:") && err.contains("resume with --page 2"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Log360 access tokens across runs

fn refresh_env(
    api: &MockServer,
    accounts: &MockServer,
    cache: &std::path::Path,
) -> Vec<(&'static str, String)> {
    vec![
        ("LOG360_ACCOUNT_ID", "18XXXXX4".to_owned()),
        ("LOG360_REFRESH_TOKEN", TOKEN.to_owned()),
        ("LOG360_CLIENT_ID", "1000.CLIENT".to_owned()),
        ("LOG360_CLIENT_SECRET", DD_APP.to_owned()),
        ("LOG360_ACCOUNTS_URL", accounts.uri()),
        ("LOG360_BASE_URL", format!("{}/api/v2", api.uri())),
        ("THREATBIND_CACHE_DIR", cache.display().to_string()),
    ]
}

/// A Zoho accounts server issuing `1000.access-1`, `1000.access-2`, ...
async fn zoho() -> (MockServer, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let accounts = MockServer::start().await;
    let issued = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = issued.clone();
    Mock::given(path("/oauth/v2/token"))
        .respond_with(move |_: &Request| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            ResponseTemplate::new(200).set_body_json(
                json!({"access_token": format!("1000.access-{n}"), "expires_in": 3600}),
            )
        })
        .mount(&accounts)
        .await;
    (accounts, issued)
}

fn cache_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir.join("tokens"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn twenty_runs_exchange_the_refresh_token_once() {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::Ordering;
    let (accounts, issued) = zoho().await;
    let api = MockServer::start().await;
    Mock::given(header("authorization", "Zoho-oauthtoken 1000.access-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {}})))
        .expect(20)
        .mount(&api)
        .await;
    let cache = temp_dir("tokens");
    let env = refresh_env(&api, &accounts, &cache);
    // Overlapping, as cron jobs and `xargs -P` runs do.
    let runs: Vec<_> = (0..20)
        .map(|_| {
            run_async(
                env.clone(),
                ["log360", "virustotal", "--indicator", "8.8.8.8"]
                    .map(String::from)
                    .to_vec(),
            )
        })
        .collect();
    for out in futures::future::join_all(runs).await {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        no_secret(&out);
        assert!(!text(&out.stderr).contains("1000.access-1"));
    }
    assert_eq!(issued.load(Ordering::SeqCst), 1);
    let files = cache_files(&cache);
    assert_eq!(files.len(), 1, "{files:?}");
    let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let dir_mode = std::fs::metadata(cache.join("tokens"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o077, 0, "{dir_mode:o}");
    let _ = std::fs::remove_dir_all(&cache);
}

#[tokio::test]
async fn a_401_with_a_cached_token_refreshes_once() {
    use std::sync::atomic::Ordering;
    let (accounts, issued) = zoho().await;
    let api = MockServer::start().await;
    Mock::given(header("authorization", "Zoho-oauthtoken 1000.access-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {}})))
        .up_to_n_times(1)
        .mount(&api)
        .await;
    Mock::given(header("authorization", "Zoho-oauthtoken 1000.access-1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": {"code": "401", "title": "Unauthorized", "detail": "token revoked"}}),
        ))
        .mount(&api)
        .await;
    Mock::given(header("authorization", "Zoho-oauthtoken 1000.access-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {}})))
        .mount(&api)
        .await;
    let cache = temp_dir("revoked");
    let env = refresh_env(&api, &accounts, &cache);
    let args = ["log360", "virustotal", "--indicator", "8.8.8.8"];
    assert_eq!(run(&env, &args).status.code(), Some(0));
    // The cached token is an old one by now (past the refresh cooldown), and revoked.
    let file = cache_files(&cache).pop().unwrap();
    let mut cached: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    cached["obtained_at"] = json!(cached["obtained_at"].as_u64().unwrap() - 1200);
    std::fs::write(&file, cached.to_string()).unwrap();
    let out = run(&env, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(issued.load(Ordering::SeqCst), 2);
    // The new token is the cached one now.
    assert_eq!(run(&env, &args).status.code(), Some(0));
    assert_eq!(issued.load(Ordering::SeqCst), 2);
    let _ = std::fs::remove_dir_all(&cache);
}

// ---------------------------------------------------------------------------------------------
// One quota per account, across processes

/// A server enforcing N per period on arrival times: past it, 429.
async fn strict_server(
    n: usize,
    period: Duration,
) -> (
    MockServer,
    std::sync::Arc<std::sync::Mutex<(Vec<Instant>, usize)>>,
) {
    let server = MockServer::start().await;
    let state = std::sync::Arc::new(std::sync::Mutex::new((Vec::<Instant>::new(), 0usize)));
    let seen = state.clone();
    Mock::given(any())
        .respond_with(move |_: &Request| {
            let now = Instant::now();
            let mut state = seen.lock().unwrap();
            let recent = state
                .0
                .iter()
                .filter(|t| now.duration_since(**t) < period)
                .count();
            state.0.push(now);
            if recent >= n {
                state.1 += 1;
                ResponseTemplate::new(429)
            } else {
                ResponseTemplate::new(200).set_body_json(json!({"data": {}}))
            }
        })
        .mount(&server)
        .await;
    (server, state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_processes_share_one_quota_without_a_429() {
    let period = Duration::from_secs(2);
    let (server, state) = strict_server(10, period).await;
    let cache = temp_dir("quota");
    let mut env = log360_env(&server.uri());
    env.push(("THREATBIND_CACHE_DIR", cache.display().to_string()));
    let children: Vec<_> = (0..20)
        .map(|_| {
            let mut cmd = binary();
            cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .args([
                    "--rate-limit",
                    "10/2",
                    "--retries",
                    "0",
                    "log360",
                    "virustotal",
                    "--indicator",
                    "8.8.8.8",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let (mut arrivals, refused) = state.lock().unwrap().clone();
    assert_eq!(refused, 0, "the server refused {refused} requests");
    assert_eq!(arrivals.len(), 20);
    arrivals.sort();
    // Each request of the second window waited for a slot: it came at least one period after
    // the request whose slot it took (the slot frees a period after that request completed).
    // How soon after is the benchmark's business (benches/quota.rs: utilisation across
    // processes), not a wall-clock bound here.
    for i in 10..20 {
        let waited = arrivals[i] - arrivals[i - 10];
        assert!(
            waited >= period,
            "request {i} came {waited:?} after request {}",
            i - 10
        );
    }
    let _ = std::fs::remove_dir_all(&cache);
}

/// `-v` is one line per attempt from threatbind and nothing from the HTTP library; `-vv` adds
/// the headers, credentials as `***`; stderr that is not a terminal gets no ANSI escapes.
#[tokio::test]
async fn verbose_logs_are_ours_plain_and_without_secrets() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "data": [], "page": 1, "size": 10, "has_next": false, "total_items": 0
        })))
        .mount(&server)
        .await;
    let env = nameshield_env(&server.uri());
    let out = run(&env, &["-v", "nameshield", "events", "--size", "10"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // The run's own warnings (this test's environment has no cache directory) aside.
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("warning: "))
        .collect();
    assert_eq!(lines.len(), 1, "one line per attempt: {err}");
    assert!(
        lines[0].contains("GET ") && lines[0].contains("attempt 1 of"),
        "{err}"
    );
    assert!(
        !err.contains('\u{1b}'),
        "ANSI escapes in a log that is not a terminal: {err:?}"
    );
    assert!(
        !err.contains("hyper") && !err.contains("connecting"),
        "{err}"
    );
    let out = run(&env, &["-vv", "nameshield", "events", "--size", "10"]);
    let err = text(&out.stderr);
    assert!(
        err.contains("request headers: ") && err.contains("authorization: ***"),
        "{err}"
    );
    assert!(err.contains("answer headers (200 OK): "), "{err}");
    assert!(!err.contains("hyper"), "{err}");
    no_secret(&out);
}

//! `threatbind enrich` against loopback servers: one record per input in input order whatever
//! the concurrency, a resumed run that keeps finished records and redoes a torn last line, a
//! SIGKILL mid-run that loses and duplicates nothing, and bad input refused before sending.

#[path = "../../../tests/common/mod.rs"]
mod common;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const IOC_PATH: &str = "/api/v2/security/siem/ioc-explorer/indicator";

/// `threatbind enrich --provider datadog-ioc ARGS` against `base`, with keys and its own cache.
fn command(base: &str, dir: &Path, args: &[&str]) -> Command {
    command_for("datadog-ioc", base, dir, args)
}

/// `threatbind enrich --provider PROVIDER ARGS`, with every API's credentials.
fn command_for(provider: &str, base: &str, dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_threatbind"));
    command
        .env_clear()
        .env("DD_API_KEY", "dd-secret-api")
        .env("DD_APP_KEY", "dd-secret-app")
        .env("LOG360_ACCOUNT_ID", "18XXXXX4")
        .env("LOG360_ACCESS_TOKEN", "1000.log360-secret")
        .env("THREATBIND_CACHE_DIR", dir.join("cache"))
        .args([
            "--base-url",
            base,
            "--retries",
            "0",
            "enrich",
            "--provider",
            provider,
        ])
        .args(args)
        .stdin(Stdio::null());
    command
}

fn enrich(base: &str, dir: &Path, args: &[&str]) -> Output {
    command(base, dir, args).output().unwrap()
}

/// `enrich --input INPUT --out OUT --resume`.
fn resume(base: &str, dir: &Path, input: &Path, out: &Path) -> Output {
    let (input, out) = (input.to_str().unwrap(), out.to_str().unwrap());
    enrich(base, dir, &["--input", input, "--out", out, "--resume"])
}

/// `--input INPUT --out OUT` and `more`.
fn io<'a>(input: &'a Path, out: &'a Path, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(more);
    args
}

/// Records of a JSON Lines file: (indicator, ok).
fn records(text: &str) -> Vec<(String, bool)> {
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}"));
            (v["indicator"].as_str().unwrap().to_owned(), v["ok"] == true)
        })
        .collect()
}

/// A server whose answer for `ioc-<i>` takes longer the earlier the indicator is, so that with
/// concurrency the answers arrive in reverse order.
async fn slow_first_server(n: usize) -> MockServer {
    let server = MockServer::start().await;
    for i in 0..n {
        Mock::given(method("GET"))
            .and(path(IOC_PATH))
            .and(query_param("indicator", format!("ioc-{i}.example.com")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(
                        format!("{{\"data\": {{\"id\": \"{i}\", \"score\": 1.50}}}}"),
                        "application/json",
                    )
                    .set_delay(Duration::from_millis(((n - i) * 15) as u64)),
            )
            .mount(&server)
            .await;
    }
    server
}

fn input(dir: &Path, n: usize) -> std::path::PathBuf {
    let mut text = String::from("# incident 42\n\n");
    for i in 0..n {
        text.push_str(&format!("ioc-{i}.example.com\n"));
        if i % 5 == 0 {
            text.push_str("   \n# a comment\n");
        }
    }
    let file = dir.join("indicators.txt");
    std::fs::write(&file, text).unwrap();
    file
}

fn expected(n: usize) -> Vec<(String, bool)> {
    (0..n)
        .map(|i| (format!("ioc-{i}.example.com"), true))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn records_come_in_input_order_whatever_the_concurrency() {
    let n = 12;
    let server = slow_first_server(n).await;
    let dir = tempdir("order");
    let file = input(&dir, n);
    let out = enrich(
        &server.uri(),
        &dir,
        &["--input", file.to_str().unwrap(), "--concurrency", "8"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(records(&stdout), expected(n));
    // The vendor's answer as sent: `1.50` is not re-encoded to `1.5`.
    assert!(
        stdout.lines().next().unwrap().contains(r#""score":1.50"#),
        "{stdout}"
    );
    // Concurrency was real: the answers arrived out of order, so some were in flight together.
    assert_eq!(server.received_requests().await.unwrap().len(), n);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{n} records ({n} ok, 0 failed)")),
        "{stderr}"
    );
    assert!(!stderr.contains("dd-secret") && !stdout.contains("dd-secret"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vendor_error_is_a_record_and_the_run_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(IOC_PATH))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_raw(r#"{"errors":["indicator not found"]}"#, "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempdir("failures");
    let file = dir.join("in.txt");
    std::fs::write(&file, "unknown.example.com\n").unwrap();
    let out = enrich(&server.uri(), &dir, &["--input", file.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a not-found is a record, not a failed run"
    );
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["ok"], false);
    assert_eq!(line["results"][0]["ok"], false);
    assert_eq!(line["results"][0]["error"]["status"], 404);
    assert!(line["results"][0]["error"]["detail"]
        .as_str()
        .unwrap()
        .contains("not found"));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_arguments_exit_2_and_send_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempdir("bad");
    let missing = dir.join("missing.txt");
    let out = enrich(&server.uri(), &dir, &["--input", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--input") && stderr.contains("missing.txt"),
        "{stderr}"
    );

    let file = input(&dir, 2);
    let out = enrich(
        &server.uri(),
        &dir,
        &["--input", file.to_str().unwrap(), "--resume"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--resume"));

    let out = enrich(
        &server.uri(),
        &dir,
        &["--input", file.to_str().unwrap(), "--action", "STATS"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--action"));

    // An action the spec does not list is refused once, before any lookup.
    let out = command_for(
        "log360-threat-analytics",
        &server.uri(),
        &dir,
        &["--input", file.to_str().unwrap(), "--action", "EVERYTHING"],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--action") && stderr.contains("WHOIS_INFO"),
        "{stderr}"
    );

    // Missing credentials: exit 2, and an earlier run's output is left as it was.
    let kept = dir.join("kept.jsonl");
    std::fs::write(&kept, format!("{}\n", answered("ioc-0.example.com"))).unwrap();
    let out = command(
        &server.uri(),
        &dir,
        &[
            "--input",
            file.to_str().unwrap(),
            "--out",
            kept.to_str().unwrap(),
        ],
    )
    .env_remove("DD_API_KEY")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DD_API_KEY"));
    assert_eq!(std::fs::read_to_string(&kept).unwrap().lines().count(), 1);

    // An output that is not this input's is refused rather than continued.
    let records = dir.join("other.jsonl");
    std::fs::write(
        &records,
        format!("{}\n", answered("someone-else.example.com")),
    )
    .unwrap();
    let out = resume(&server.uri(), &dir, &file, &records);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not the output of this input"));

    // More records than the input has indicators: refused too, and the file left whole.
    let short = dir.join("short.txt");
    std::fs::write(&short, "only-one.example.com\n").unwrap();
    let longer = dir.join("longer.jsonl");
    let two = format!(
        "{}\n{}\n",
        answered("only-one.example.com"),
        answered("another.example.com")
    );
    std::fs::write(&longer, &two).unwrap();
    let out = resume(&server.uri(), &dir, &short, &longer);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("more records than the input"));
    assert_eq!(std::fs::read_to_string(&longer).unwrap(), two);
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_keeps_whole_records_and_redoes_a_torn_last_line() {
    let n = 10;
    let server = slow_first_server(n).await;
    let dir = tempdir("torn");
    let file = input(&dir, n);
    let records_file = dir.join("out.jsonl");
    let args = io(&file, &records_file, &[]);
    let out = enrich(&server.uri(), &dir, &args);
    assert_eq!(out.status.code(), Some(0));
    let full = std::fs::read_to_string(&records_file).unwrap();
    // Cut the file in the middle of record 7: six whole records and a torn seventh.
    let cut = full.match_indices('\n').nth(5).unwrap().0 + 1 + 20;
    std::fs::write(&records_file, &full[..cut]).unwrap();
    let before = server.received_requests().await.unwrap().len();

    let out = enrich(&server.uri(), &dir, &[&args[..], &["--resume"]].concat());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("torn last line"));
    let resumed = std::fs::read_to_string(&records_file).unwrap();
    assert_eq!(records(&resumed), expected(n));
    // Only the four unfinished indicators (the torn one included) were asked for again.
    let after = server.received_requests().await.unwrap().len();
    assert_eq!(after - before, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sigkill_mid_run_loses_and_duplicates_nothing_after_resume() {
    let n = 30;
    let server = uniform_server(Duration::from_millis(40)).await;
    let dir = tempdir("kill");
    let file = input(&dir, n);
    let records_file = dir.join("out.jsonl");
    let args = io(&file, &records_file, &["--concurrency", "2"]);
    let mut child = command(&server.uri(), &dir, &args)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill once some records are written, well before all 30 (about 0.6 s in all).
    wait_for_lines(&records_file, 5).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = records(
        &std::fs::read_to_string(&records_file)
            .unwrap()
            .lines()
            .filter(|l| l.ends_with('}'))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    assert!(
        partial.len() >= 5 && partial.len() < n,
        "killed after {} records",
        partial.len()
    );

    let out = enrich(&server.uri(), &dir, &[&args[..], &["--resume"]].concat());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = std::fs::read_to_string(&records_file).unwrap();
    assert_eq!(records(&all), expected(n));
}

/// A server answering every IoC lookup with `{"data":{}}` after `delay`.
async fn uniform_server(delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(IOC_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"data":{}}"#, "application/json")
                .set_delay(delay),
        )
        .mount(&server)
        .await;
    server
}

/// Waits (at most 20 s) until `file` holds `count` lines.
async fn wait_for_lines(file: &Path, count: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .count()
        < count
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("threatbind-enrich-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The command line of `command` as one shell-quoted string (for `script -c`).
fn shell_line(command: &Command) -> String {
    let quote = |s: &std::ffi::OsStr| format!("'{}'", s.to_string_lossy().replace('\'', r"'\''"));
    std::iter::once(quote(command.get_program()))
        .chain(command.get_args().map(quote))
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_gets_a_progress_bar_and_a_pipe_one_summary_line() {
    let server = uniform_server(Duration::from_millis(5)).await;
    let dir = tempdir("progress");
    let file = input(&dir, 7);
    let out = dir.join("out.jsonl");
    let args = io(&file, &out, &[]);
    // Under a pseudo-terminal (util-linux `script`), stderr is a terminal: the bar shows
    // done/total, the rate, the ETA and the failures, then the summary line.
    let inner = command(&server.uri(), &dir, &args);
    let mut outer = Command::new("script");
    outer.args(["-qec", &shell_line(&inner), "/dev/null"]);
    for (key, value) in inner.get_envs() {
        if let Some(value) = value {
            outer.env(key, value);
        }
    }
    let shown = outer
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux)");
    let screen = String::from_utf8_lossy(&shown.stdout);
    assert_eq!(shown.status.code(), Some(0), "{screen}");
    assert!(screen.contains("7/7"), "{screen}");
    assert!(
        screen.contains("ETA") && screen.contains("0 failed"),
        "{screen}"
    );
    assert!(
        screen.contains("enrich: 7 records (7 ok, 0 failed)"),
        "{screen}"
    );
    assert_eq!(
        records(&std::fs::read_to_string(&out).unwrap()),
        expected(7)
    );
    // Not a terminal: no bar, one summary line.
    let piped = enrich(&server.uri(), &dir, &args);
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(!stderr.contains("ETA"), "{stderr}");
    let summaries: Vec<_> = stderr
        .lines()
        .filter(|l| l.starts_with("enrich:"))
        .collect();
    assert_eq!(summaries.len(), 1, "{stderr}");
    assert!(
        summaries[0].contains("7 records (7 ok, 0 failed)"),
        "{stderr}"
    );
}

/// Mounts `status` with `body` for the IoC lookup of `indicator`, taking precedence over the
/// answers mounted later.
async fn answer(server: &MockServer, indicator: &str, status: u16, body: &str) {
    Mock::given(method("GET"))
        .and(path(IOC_PATH))
        .and(query_param("indicator", indicator))
        .respond_with(
            ResponseTemplate::new(status).set_body_raw(body.to_owned(), "application/json"),
        )
        .with_priority(1)
        .mount(server)
        .await;
}

/// A record of an earlier run of `datadog-ioc` without a profile for the input line `input`,
/// its one result ending with `result` (`"ok":…,"answer"|"error":…`).
fn record(input: &str, result: &str) -> String {
    let ok = result.starts_with(r#""ok":true"#);
    format!(
        r#"{{"line":1,"input":"{input}","indicator":"{input}","type":"DOMAIN","ok":{ok},"results":[{{"provider":"datadog-ioc","profile":null,"time":"2025-01-01T00:00:00.000Z",{result}}}]}}"#
    )
}

/// A record of an earlier run whose one result is an empty answer.
fn answered(input: &str) -> String {
    record(input, r#""ok":true,"answer":{}"#)
}

/// The records of `file`, parsed.
fn parsed(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vendor_outage_or_refused_credentials_stop_the_run_and_are_never_records() {
    // A 503 after every retry (exit 5) and a refused key (401: exit 7) at the 6th of 12 inputs.
    for (status, code) in [(503u16, 5), (401, 7)] {
        let n = 12;
        let server = uniform_server(Duration::from_millis(1)).await;
        answer(
            &server,
            "ioc-5.example.com",
            status,
            r#"{"errors":["nope"]}"#,
        )
        .await;
        let dir = tempdir(&format!("outage-{status}"));
        let file = input(&dir, n);
        let out_file = dir.join("out.jsonl");
        let args = io(&file, &out_file, &["--concurrency", "3"]);
        let out = enrich(&server.uri(), &dir, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        assert!(stderr.contains(&status.to_string()), "{stderr}");
        assert!(stderr.contains("--resume"), "{stderr}");
        assert!(!stderr.contains("dd-secret"), "{stderr}");
        // The five records before the failure, all answers; none for it or after it.
        assert_eq!(
            records(&std::fs::read_to_string(&out_file).unwrap()),
            expected(n)[..5]
        );
        // The outage is over: --resume redoes exactly what is missing.
        server.reset().await;
        let server2 = uniform_server(Duration::from_millis(1)).await;
        let out = enrich(&server2.uri(), &dir, &[&args[..], &["--resume"]].concat());
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            records(&std::fs::read_to_string(&out_file).unwrap()),
            expected(n)
        );
        assert_eq!(server2.received_requests().await.unwrap().len(), n - 5);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_vendor_is_exit_4_with_no_record() {
    // A port nothing listens on: every attempt is refused at connect.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempdir("unreachable");
    let file = input(&dir, 3);
    let out_file = dir.join("out.jsonl");
    let out = enrich(
        &format!("http://127.0.0.1:{port}"),
        &dir,
        &[
            "--input",
            file.to_str().unwrap(),
            "--out",
            out_file.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("transport"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), "");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quota_store_that_breaks_mid_run_stops_it_without_records() {
    let n = 8;
    let server = uniform_server(Duration::from_millis(1)).await;
    let dir = tempdir("store-breaks");
    let file = input(&dir, n);
    let out_file = dir.join("out.jsonl");
    let args = io(&file, &out_file, &["--concurrency", "1"]);
    // Two lookups a second, kept in the machine's state file; the run waits for the quota
    // after the first two.
    let mut run = command(&server.uri(), &dir, &args);
    run.args(["--rate-limit", "2/1"]).stderr(Stdio::piped());
    let child = run.spawn().unwrap();
    wait_for_lines(&out_file, 2).await;
    // The state file becomes unusable (a directory in its place) while the run waits.
    let quota = dir.join("cache/quota");
    let state = std::fs::read_dir(&quota)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "quota"))
        .expect("a state file");
    std::fs::remove_file(&state).unwrap();
    std::fs::create_dir(&state).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("quota store"), "{stderr}");
    let written = parsed(&out_file);
    assert!(written.len() >= 2 && written.len() < n, "{written:?}");
    assert!(written.iter().all(|r| r["ok"] == true), "{written:?}");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        written.len(),
        "a lookup was sent but not written"
    );
    // The store is back: --resume finishes the list, every record an answer.
    std::fs::remove_dir(&state).unwrap();
    let out = enrich(&server.uri(), &dir, &[&args[..], &["--resume"]].concat());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        records(&std::fs::read_to_string(&out_file).unwrap()),
        expected(n)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_on_the_same_output_is_refused_naming_the_first() {
    let n = 20;
    let server = uniform_server(Duration::from_millis(40)).await;
    let dir = tempdir("one-run");
    let file = input(&dir, n);
    let out_file = dir.join("out.jsonl");
    let args = io(&file, &out_file, &["--concurrency", "1"]);
    let first = common::KillOnDrop(
        command(&server.uri(), &dir, &args)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_lines(&out_file, 2).await;
    // A cron job overlapping the first, with and without --resume.
    for extra in [&[][..], &["--resume"][..]] {
        let second = enrich(&server.uri(), &dir, &[&args[..], extra].concat());
        let stderr = String::from_utf8_lossy(&second.stderr);
        assert_eq!(second.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("--out") && stderr.contains("out.jsonl"),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("process {}", first.0.id())),
            "{stderr}"
        );
    }
    let mut first = first;
    assert!(first.0.wait().unwrap().success());
    // Nothing interleaved: the first run's records, once each, in order.
    assert_eq!(
        records(&std::fs::read_to_string(&out_file).unwrap()),
        expected(n)
    );
    assert_eq!(server.received_requests().await.unwrap().len(), n);
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_signals_write_the_records_in_flight_then_exit_128_plus_the_signal() {
    // Ctrl-C, systemd / docker stop / timeout, a closed terminal.
    for (signal, code) in [("INT", 130), ("TERM", 143), ("HUP", 129)] {
        let n = 40;
        let server = uniform_server(Duration::from_millis(60)).await;
        let dir = tempdir(&format!("sig{signal}"));
        let file = input(&dir, n);
        let out_file = dir.join("out.jsonl");
        let args = io(&file, &out_file, &["--concurrency", "4"]);
        let child = command(&server.uri(), &dir, &args)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_lines(&out_file, 4).await;
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "SIG{signal}: {stderr}");
        assert!(
            stderr.contains(&format!("interrupted by SIG{signal}")),
            "{stderr}"
        );
        let written = records(&std::fs::read_to_string(&out_file).unwrap());
        assert!(written.len() < n, "{} records", written.len());
        assert_eq!(written, expected(n)[..written.len()]);
        // Every lookup the vendor answered was written.
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            written.len()
        );
        // --resume finishes the list.
        let out = enrich(&server.uri(), &dir, &[&args[..], &["--resume"]].concat());
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            records(&std::fs::read_to_string(&out_file).unwrap()),
            expected(n)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_failed_redoes_what_may_have_passed_and_keeps_the_rest_as_written() {
    let server = uniform_server(Duration::from_millis(1)).await;
    let dir = tempdir("retry-failed");
    let file = dir.join("in.txt");
    std::fs::write(
        &file,
        "a.example.com\nb.example.com\nc.example.com\nd.example.com\ne.example.com\n",
    )
    .unwrap();
    let out_file = dir.join("out.jsonl");
    // An earlier run's output: an answer, a not-found, a failure an older version recorded for
    // a quota store that was down, a refusal of the input, and nothing yet for e.
    let earlier = [
        record(
            "a.example.com",
            r#""ok":true,"answer":{"data":{"earlier":true}}"#,
        ),
        record(
            "b.example.com",
            r#""ok":false,"error":{"status":404,"code":"404","detail":"not found"}"#,
        ),
        record(
            "c.example.com",
            r#""ok":false,"error":{"status":null,"code":"error","detail":"configuration: quota store: cannot use the Redis server redis://127.0.0.1:1/: Connection refused"}"#,
        ),
        record(
            "d.example.com",
            r#""ok":false,"error":{"status":400,"code":"400","detail":"invalid indicator"}"#,
        ),
    ];
    std::fs::write(&out_file, format!("{}\n", earlier.join("\n"))).unwrap();
    let args = io(&file, &out_file, &["--resume"]);
    // --resume alone keeps them, and says that some may have passed.
    let out = enrich(&server.uri(), &dir, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("2 of the 4 earlier records") && stderr.contains("--retry-failed"),
        "{stderr}"
    );
    let lines: Vec<String> = std::fs::read_to_string(&out_file)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines[..4], earlier);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    // --retry-failed: b and c are asked again; a, d (and now e) are kept byte for byte.
    let out = enrich(
        &server.uri(),
        &dir,
        &[&args[..], &["--retry-failed"]].concat(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let after: Vec<String> = std::fs::read_to_string(&out_file)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(after.len(), 5);
    assert_eq!(after[0], earlier[0]);
    assert_eq!(after[3], earlier[3]);
    assert_eq!(after[4], lines[4]);
    for redone in [&after[1], &after[2]] {
        let v: Value = serde_json::from_str(redone).unwrap();
        assert_eq!(v["ok"], true, "{redone}");
    }
    let asked: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.query().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        asked[1..],
        ["indicator=b.example.com", "indicator=c.example.com"]
    );
    // No file is left beside the output.
    let beside: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        !beside
            .iter()
            .any(|n| n.to_string_lossy().contains(".retry-")),
        "{beside:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_failed_stopped_by_an_outage_leaves_a_whole_output_that_resumes() {
    let server = uniform_server(Duration::from_millis(1)).await;
    // The first redo is answered; the second meets an outage.
    answer(&server, "c.example.com", 503, r#"{"errors":["down"]}"#).await;
    let dir = tempdir("retry-outage");
    let file = dir.join("in.txt");
    std::fs::write(
        &file,
        "a.example.com\nb.example.com\nc.example.com\nd.example.com\n",
    )
    .unwrap();
    let out_file = dir.join("out.jsonl");
    let not_found = |i: &str| {
        record(
            &format!("{i}.example.com"),
            r#""ok":false,"error":{"status":404,"code":"404","detail":"not found"}"#,
        )
    };
    let earlier = [answered("a.example.com"), not_found("b"), not_found("c")];
    std::fs::write(&out_file, format!("{}\n", earlier.join("\n"))).unwrap();
    let args = io(
        &file,
        &out_file,
        &["--resume", "--retry-failed", "--concurrency", "1"],
    );
    let out = enrich(&server.uri(), &dir, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    // a kept, b redone, c as it was (its redo failed): a whole prefix of the input, d to do.
    let lines: Vec<String> = std::fs::read_to_string(&out_file)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0], earlier[0]);
    assert!(lines[1].contains(r#""ok":true"#), "{}", lines[1]);
    assert_eq!(lines[2], earlier[2]);
    // Once the outage is over, the same command finishes the list.
    server.reset().await;
    let server2 = uniform_server(Duration::from_millis(1)).await;
    let out = enrich(&server2.uri(), &dir, &args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done = parsed(&out_file);
    assert_eq!(done.len(), 4);
    assert!(done.iter().all(|r| r["ok"] == true), "{done:?}");
}

#[test]
fn a_cache_directory_that_cannot_be_used_is_refused_naming_it() {
    let dir = tempdir("bad-cache");
    let out = Command::new(env!("CARGO_BIN_EXE_threatbind"))
        .env_clear()
        .env("DD_API_KEY", "dd-secret-api")
        .env("DD_APP_KEY", "dd-secret-app")
        .env("THREATBIND_CACHE_DIR", "/dev/null/x")
        // Never reached: the run stops before sending.
        .args([
            "--base-url",
            "http://127.0.0.1:9",
            "datadog",
            "ioc",
            "--indicator",
            "8.8.8.8",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("THREATBIND_CACHE_DIR") && stderr.contains("/dev/null/x"),
        "{stderr}"
    );
    assert!(stderr.contains("not be shared"), "{stderr}");
    // No cache directory at all: the run goes on, and says what that means.
    let out = Command::new(env!("CARGO_BIN_EXE_threatbind"))
        .env_clear()
        .env("DD_API_KEY", "dd-secret-api")
        .env("DD_APP_KEY", "dd-secret-app")
        .args([
            "--base-url",
            "http://127.0.0.1:9",
            "--retries",
            "0",
            "datadog",
            "ioc",
            "--indicator",
            "8.8.8.8",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: no cache directory"), "{stderr}");
    // A quota of the run's own asked for: nothing to warn about.
    let out = Command::new(env!("CARGO_BIN_EXE_threatbind"))
        .env_clear()
        .env("DD_API_KEY", "dd-secret-api")
        .env("DD_APP_KEY", "dd-secret-app")
        .args([
            "--quota-store",
            "process",
            "--base-url",
            "http://127.0.0.1:9",
            "--retries",
            "0",
        ])
        .args(["datadog", "ioc", "--indicator", "8.8.8.8"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("no cache directory"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_refuses_an_output_with_a_line_that_is_no_record_and_changes_nothing() {
    let server = uniform_server(Duration::from_millis(1)).await;
    let dir = tempdir("not-records");
    let file = input(&dir, 4);
    let out_file = dir.join("out.jsonl");
    // A record, then a whole line that is none (notes saved under the wrong name), then more.
    let text = format!(
        "{}\nmy notes\n{}\n",
        answered("ioc-0.example.com"),
        answered("ioc-1.example.com")
    );
    std::fs::write(&out_file, &text).unwrap();
    let out = resume(&server.uri(), &dir, &file, &out_file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("line 2") && stderr.contains("not a record"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), text);
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_under_nohup_is_still_ignored_and_a_second_signal_stops_at_once() {
    // nohup: the run outlives the terminal that would send SIGHUP.
    let n = 6;
    let server = uniform_server(Duration::from_millis(100)).await;
    let dir = tempdir("nohup");
    let file = input(&dir, n);
    let out_file = dir.join("out.jsonl");
    let args = io(&file, &out_file, &["--concurrency", "1"]);
    let inner = command(&server.uri(), &dir, &args);
    let mut outer = Command::new("nohup");
    outer
        .arg(inner.get_program())
        .args(inner.get_args())
        .env_clear()
        .envs(inner.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = outer.spawn().unwrap();
    wait_for_lines(&out_file, 1).await;
    assert!(Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        records(&std::fs::read_to_string(&out_file).unwrap()),
        expected(n)
    );

    // Two signals: the second does not wait for the lookups in flight (answers take 30 s).
    let slow = uniform_server(Duration::from_secs(30)).await;
    let mut child = command(
        &slow.uri(),
        &dir,
        &[
            "--input",
            file.to_str().unwrap(),
            "--out",
            out_file.to_str().unwrap(),
            // The run's own bound, should no lookup ever start.
            "--max-time",
            "120",
        ],
    )
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Until a lookup is in flight, or the run ended (the checks below then fail): no clock.
    while slow.received_requests().await.unwrap().is_empty() && child.try_wait().unwrap().is_none()
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for _ in 0..2 {
        assert!(Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("dropped"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), "");
}

//! `threatbind enrich` with real IOC lists, against loopback servers: defanged indicators
//! looked up refanged (the line kept as written), one lookup per distinct indicator, several
//! providers and profiles in one run (each server receiving its tenant's credentials), csv
//! out, `--fail-on-error`, and a summary naming failures per provider and quota waits.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use wiremock::matchers::{body_json, header, method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const IOC_PATH: &str = "/api/v2/security/siem/ioc-explorer/indicator";
const THREAT_PATH: &str = "advanced-threat-analytics$";

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "threatbind-enrich-lists-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `threatbind [GLOBAL] enrich ARGS` with nothing of the caller's environment but its own cache.
fn threatbind(dir: &Path, global: &[&str], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_threatbind"));
    command
        .env_clear()
        .env("THREATBIND_CACHE_DIR", dir.join("cache"))
        .args(["--retries", "0"])
        .args(global)
        .arg("enrich")
        .args(args)
        .stdin(Stdio::null());
    command
}

/// `enrich --provider datadog-ioc --input FILE ARGS` against `base` with one pair of keys.
fn datadog(base: &str, dir: &Path, input: &Path, args: &[&str]) -> Output {
    threatbind(
        dir,
        &["--base-url", base],
        &[
            &[
                "--provider",
                "datadog-ioc",
                "--input",
                input.to_str().unwrap(),
            ][..],
            args,
        ]
        .concat(),
    )
    .env("DD_API_KEY", "dd-secret-api")
    .env("DD_APP_KEY", "dd-secret-app")
    .output()
    .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    file
}

fn records(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

fn ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    stderr
}

/// Answers the IoC lookup of `indicator` with `{"data":{"id":"<id>"}}`, exactly once.
async fn ioc_once(server: &MockServer, indicator: &str, id: &str) {
    Mock::given(method("GET"))
        .and(path(IOC_PATH))
        .and(query_param("indicator", indicator))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(r#"{{"data": {{"id": "{id}", "score": 7.50}}}}"#),
            "application/json",
        ))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn defanged_indicators_are_looked_up_refanged_and_the_line_is_kept() {
    let server = MockServer::start().await;
    ioc_once(&server, "1.2.3.4", "ip").await;
    ioc_once(&server, "https://evil.example/a", "url").await;
    ioc_once(&server, "evil.example", "domain").await;
    ioc_once(&server, "2001:db8::1", "ipv6").await;
    let dir = tempdir("defanged");
    let input = write(
        &dir,
        "iocs.txt",
        "1.2.3[.]4\nhxxps://evil[.]example/a\nEvil[dot]Example.\n2001:DB8:0:0::1\n",
    );
    let out = datadog(&server.uri(), &dir, &input, &[]);
    ok(&out);
    let got: Vec<(Value, Value, Value, Value)> = records(&out.stdout)
        .into_iter()
        .map(|r| {
            (
                r["input"].clone(),
                r["indicator"].clone(),
                r["type"].clone(),
                r["results"][0]["answer"]["data"]["id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                json!("1.2.3[.]4"),
                json!("1.2.3.4"),
                json!("IP"),
                json!("ip")
            ),
            (
                json!("hxxps://evil[.]example/a"),
                json!("https://evil.example/a"),
                json!("URL"),
                json!("url")
            ),
            (
                json!("Evil[dot]Example."),
                json!("evil.example"),
                json!("DOMAIN"),
                json!("domain")
            ),
            (
                json!("2001:DB8:0:0::1"),
                json!("2001:db8::1"),
                json!("IP"),
                json!("ipv6")
            ),
        ]
    );
    // The answer untouched: 7.50 stays 7.50.
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(r#""score":7.50"#),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_detected_type_of_the_refanged_indicator_is_what_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(THREAT_PATH))
        .and(body_json(json!({
            "indicator": "https://evil.example/a",
            "indicator_type": "URL",
            "action": "INFO"
        })))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(r#"{"data":{"score":90}}"#, "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempdir("typed");
    let input = write(&dir, "iocs.txt", "hXXps[:]//Evil[.]Example/a\n");
    let out = threatbind(
        &dir,
        &["--base-url", &server.uri()],
        &[
            "--provider",
            "log360-threat-analytics",
            "--input",
            input.to_str().unwrap(),
        ],
    )
    .env("LOG360_ACCOUNT_ID", "18XXXXX4")
    .env("LOG360_ACCESS_TOKEN", "1000.log360-secret")
    .output()
    .unwrap();
    ok(&out);
    let record = &records(&out.stdout)[0];
    assert_eq!(record["input"], "hXXps[:]//Evil[.]Example/a");
    assert_eq!(record["indicator"], "https://evil.example/a");
    assert_eq!(record["type"], "URL");
    assert_eq!(
        record["results"][0]["answer"],
        json!({"data": {"score": 90}})
    );
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn three_lines_of_one_indicator_are_one_lookup_and_three_records() {
    let server = MockServer::start().await;
    ioc_once(&server, "evil.example", "once").await;
    ioc_once(&server, "8.8.8.8", "other").await;
    let dir = tempdir("dedup");
    // One indicator written three ways, with another between them.
    let input = write(
        &dir,
        "iocs.txt",
        "evil.example\n8.8.8.8\nEVIL[.]example.\nevil(.)example\n",
    );
    let out = datadog(&server.uri(), &dir, &input, &["--concurrency", "4"]);
    let stderr = ok(&out);
    let got: Vec<(Value, Value)> = records(&out.stdout)
        .into_iter()
        .map(|r| {
            (
                r["input"].clone(),
                r["results"][0]["answer"]["data"]["id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (json!("evil.example"), json!("once")),
            (json!("8.8.8.8"), json!("other")),
            (json!("EVIL[.]example."), json!("once")),
            (json!("evil(.)example"), json!("once")),
        ]
    );
    assert!(
        stderr.contains("4 records (4 ok, 0 failed)") && stderr.contains("2 lookups shared"),
        "{stderr}"
    );
    server.verify().await;
}

/// A config file with profiles acme and globex: each tenant's Datadog keys and Log360 account,
/// both at the loopback servers `datadog` and `log360` (a profile that configures an API takes
/// all of its variables, the servers included, from the profile).
fn profiles(dir: &Path, datadog: &str, log360: &str) -> PathBuf {
    let file = dir.join("config.toml");
    std::fs::write(
        &file,
        format!(
            r#"
[profiles.acme]
DD_API_KEY = "acme-dd-api"
DD_APP_KEY = "acme-dd-app"
DD_BASE_URL = "{datadog}"
LOG360_ACCOUNT_ID = "1001"
LOG360_ACCESS_TOKEN = "1000.acme-token"
LOG360_BASE_URL = "{log360}"

[profiles.globex]
DD_API_KEY = "globex-dd-api"
DD_APP_KEY = "globex-dd-app"
DD_BASE_URL = "{datadog}"
LOG360_ACCOUNT_ID = "2002"
LOG360_ACCESS_TOKEN = "1000.globex-token"
LOG360_BASE_URL = "{log360}"
"#
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    file
}

#[tokio::test(flavor = "multi_thread")]
async fn two_providers_by_two_profiles_give_four_results_per_record() {
    let datadog = MockServer::start().await;
    let log360 = MockServer::start().await;
    // Each tenant's credentials reach each vendor, once per indicator.
    for (tenant, key) in [("acme", "acme-dd-api"), ("globex", "globex-dd-api")] {
        Mock::given(method("GET"))
            .and(path(IOC_PATH))
            .and(header("DD-API-KEY", key))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                format!(r#"{{"data":{{"tenant":"{tenant}"}}}}"#),
                "application/json",
            ))
            .expect(2)
            .mount(&datadog)
            .await;
    }
    for (tenant, account, token) in [
        ("acme", "1001", "Zoho-oauthtoken 1000.acme-token"),
        ("globex", "2002", "Zoho-oauthtoken 1000.globex-token"),
    ] {
        Mock::given(method("POST"))
            .and(path_regex(THREAT_PATH))
            .and(header("account_id", account))
            .and(header("Authorization", token))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                format!(r#"{{"data":{{"tenant":"{tenant}"}}}}"#),
                "application/json",
            ))
            .expect(2)
            .mount(&log360)
            .await;
    }
    let dir = tempdir("tenants");
    let config = profiles(&dir, &datadog.uri(), &log360.uri());
    let input = write(&dir, "iocs.txt", "8.8.8.8\nevil[.]example\n");
    let out = threatbind(
        &dir,
        &["--profile", "acme,globex"],
        &[
            "--provider",
            "log360-threat-analytics,datadog-ioc",
            "--input",
            input.to_str().unwrap(),
        ],
    )
    .env("THREATBIND_CONFIG", &config)
    .output()
    .unwrap();
    let stderr = ok(&out);
    assert!(
        !stderr.contains("acme-dd") && !stderr.contains("token"),
        "{stderr}"
    );
    let all = records(&out.stdout);
    assert_eq!(all.len(), 2);
    for record in &all {
        let results: Vec<(Value, Value, Value, Value)> = record["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["provider"].clone(),
                    r["profile"].clone(),
                    r["ok"].clone(),
                    r["answer"]["data"]["tenant"].clone(),
                )
            })
            .collect();
        assert_eq!(
            results,
            [
                (
                    json!("log360-threat-analytics"),
                    json!("acme"),
                    json!(true),
                    json!("acme")
                ),
                (
                    json!("log360-threat-analytics"),
                    json!("globex"),
                    json!(true),
                    json!("globex")
                ),
                (
                    json!("datadog-ioc"),
                    json!("acme"),
                    json!(true),
                    json!("acme")
                ),
                (
                    json!("datadog-ioc"),
                    json!("globex"),
                    json!(true),
                    json!("globex")
                ),
            ],
            "{record}"
        );
        for result in record["results"].as_array().unwrap() {
            let time = result["time"].as_str().unwrap();
            assert!(time.len() == 24 && time.ends_with('Z'), "{time}");
        }
    }
    datadog.verify().await;
    log360.verify().await;

    // --resume continues these records with the same providers and profiles, and refuses
    // other ones, changing nothing.
    let out_file = dir.join("out.jsonl");
    let first = all
        .iter()
        .map(|r| format!("{}\n", serde_json::to_string(r).unwrap()))
        .next()
        .unwrap();
    std::fs::write(&out_file, &first).unwrap();
    let resumed = threatbind(
        &dir,
        &["--profile", "acme"],
        &[
            "--provider",
            "log360-threat-analytics,datadog-ioc",
            "--input",
            input.to_str().unwrap(),
            "--out",
            out_file.to_str().unwrap(),
            "--resume",
        ],
    )
    .env("THREATBIND_CONFIG", &config)
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert_eq!(resumed.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--resume") && stderr.contains("--provider and --profile"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), first);
}

/// Answers the IoC lookup of `indicator` as Datadog does (the indicator under
/// data.attributes.data, its score 0-100), exactly once.
async fn datadog_answer(server: &MockServer, indicator: &str, score: u32) {
    Mock::given(method("GET"))
        .and(path(IOC_PATH))
        .and(query_param("indicator", indicator))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(
                r#"{{"data":{{"id":"{indicator}","type":"indicator","attributes":{{"data":{{"id":"ioc-{score}","indicator":"{indicator}","indicator_type":"ip_address","score":{score},"first_seen":"2024-05-01T10:00:00Z","last_seen":"2024-06-01T10:00:00Z","categories":["scanner"],"log_matches":3,"signal_matches":0}}}}}}}}"#
            ),
            "application/json",
        ))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_has_one_row_per_input_and_result() {
    let server = MockServer::start().await;
    datadog_answer(&server, "1.2.3.4", 85).await;
    Mock::given(method("GET"))
        .and(path(IOC_PATH))
        .and(query_param("indicator", "gone.example"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_raw(r#"{"errors":["not found, sorry"]}"#, "application/json"),
        )
        .mount(&server)
        .await;
    let dir = tempdir("csv");
    let input = write(&dir, "iocs.txt", "# a list\n1.2.3[.]4\ngone[.]example\n");
    let out = datadog(&server.uri(), &dir, &input, &["--out-format", "csv"]);
    ok(&out);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(
        lines[0],
        "line,input,indicator,type,provider,profile,time,ok,error,verdict,score"
    );
    // The time (RFC 3339, UTC, milliseconds) is the one column not written out here.
    let without_time = |row: &str| {
        let (head, rest) = row.split_at(row.match_indices(',').nth(5).unwrap().0 + 1);
        let time = &rest[..24];
        assert!(time.ends_with('Z'), "{row}");
        format!("{head}<time>{}", &rest[24..])
    };
    assert_eq!(
        without_time(lines[1]),
        "2,1.2.3[.]4,1.2.3.4,IP,datadog-ioc,,<time>,true,,,85"
    );
    assert_eq!(
        without_time(lines[2]),
        r#"3,gone[.]example,gone.example,DOMAIN,datadog-ioc,,<time>,false,"404: not found, sorry",,"#
    );
}

/// Six indicators: the first answered, the other five not found.
async fn five_of_six_not_found() -> (MockServer, PathBuf, PathBuf) {
    let server = MockServer::start().await;
    ioc_once(&server, "a.example", "a").await;
    Mock::given(method("GET"))
        .and(path(IOC_PATH))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_raw(r#"{"errors":["not found"]}"#, "application/json"),
        )
        .mount(&server)
        .await;
    let dir = tempdir(&format!("fail-on-error-{}", fastrand_suffix()));
    let input = write(
        &dir,
        "iocs.txt",
        "a.example\nb.example\nc.example\nd.example\ne.example\nf.example\n",
    );
    (server, dir, input)
}

/// A distinct name per call within this process.
fn fastrand_suffix() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread")]
async fn fail_on_error_exits_8_when_a_record_failed_and_the_summary_names_the_provider() {
    let (server, dir, input) = five_of_six_not_found().await;
    let out = datadog(&server.uri(), &dir, &input, &[]);
    let stderr = ok(&out);
    assert!(
        stderr.contains("6 records (1 ok, 5 failed)")
            && stderr.contains("failed results: datadog-ioc 5"),
        "{stderr}"
    );
    assert_eq!(records(&out.stdout).len(), 6);

    let (server, dir, input) = five_of_six_not_found().await;
    let out = datadog(&server.uri(), &dir, &input, &["--fail-on-error"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(8), "{stderr}");
    assert!(
        stderr.contains("failed results: datadog-ioc 5") && stderr.contains("--fail-on-error"),
        "{stderr}"
    );
    // Every input still has its record.
    assert_eq!(records(&out.stdout).len(), 6);

    // Nothing failed: --fail-on-error exits 0.
    let server = MockServer::start().await;
    ioc_once(&server, "a.example", "a").await;
    let out = datadog(
        &server.uri(),
        &dir,
        &write(&dir, "one.txt", "a.example\n"),
        &["--fail-on-error"],
    );
    ok(&out);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_summary_names_the_quota_waits_of_each_provider() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(IOC_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_raw(r#"{"data":{}}"#, "application/json"))
        .expect(4)
        .mount(&server)
        .await;
    let dir = tempdir("waits");
    let input = write(&dir, "iocs.txt", "a.example\nb.example\nc.example\n");
    // One lookup per 0.2 s: the second and third wait for their slot.
    let out = threatbind(
        &dir,
        &["--base-url", &server.uri(), "--rate-limit", "1/0.2"],
        &[
            "--provider",
            "datadog-ioc",
            "--input",
            input.to_str().unwrap(),
            "--concurrency",
            "1",
        ],
    )
    .env("DD_API_KEY", "dd-secret-api")
    .env("DD_APP_KEY", "dd-secret-app")
    .output()
    .unwrap();
    let stderr = ok(&out);
    assert!(stderr.contains("quota waits: datadog-ioc "), "{stderr}");
    // Without a binding quota, no waits are named.
    let out = datadog(
        &server.uri(),
        &dir,
        &write(&dir, "one.txt", "d.example\n"),
        &[],
    );
    let stderr = ok(&out);
    assert!(!stderr.contains("quota waits"), "{stderr}");
}

/// The OASIS validator's verdict on a bundle file: "valid", or its errors.
fn validate(file: &Path) -> String {
    const VALIDATE: &str = r#"
import sys
try:
    import stix2validator
except ImportError:
    print("MISSING")
    sys.exit(0)
results = stix2validator.validate_file(sys.argv[1], stix2validator.ValidationOptions(version="2.1"))
errors = [str(getattr(e, "message", e)) for o in results.object_results for e in o.errors]
if results.fatal:
    errors.append(str(getattr(results.fatal, "message", results.fatal)))
print("valid" if results.is_valid and not errors else "INVALID: " + "; ".join(errors))
"#;
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let out = Command::new(&python)
        .args(["-c", VALIDATE])
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("{python}: {e}; `make test-setup` installs stix2-validator"));
    let verdict = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_ne!(
        verdict, "MISSING",
        "the OASIS validator is missing: `make test-setup` installs it (or: {python} -m pip install stix2-validator)"
    );
    verdict
}

#[tokio::test(flavor = "multi_thread")]
async fn stix_is_one_valid_bundle_of_every_answer() {
    let server = MockServer::start().await;
    datadog_answer(&server, "1.2.3.4", 85).await;
    Mock::given(method("GET"))
        .and(path(IOC_PATH))
        .and(query_param("indicator", "gone.example"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_raw(r#"{"errors":["not found"]}"#, "application/json"),
        )
        .mount(&server)
        .await;
    let dir = tempdir("stix");
    let input = write(&dir, "iocs.txt", "1.2.3[.]4\ngone[.]example\n1.2.3.4\n");
    let bundle_file = dir.join("bundle.json");
    let out = datadog(
        &server.uri(),
        &dir,
        &input,
        &[
            "--out-format",
            "stix",
            "--out",
            bundle_file.to_str().unwrap(),
        ],
    );
    let stderr = ok(&out);
    assert!(stderr.contains("3 records (2 ok, 1 failed)"), "{stderr}");
    let bundle: Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle_file).unwrap()).unwrap();
    assert_eq!(bundle["type"], "bundle");
    let objects = bundle["objects"].as_array().unwrap();
    let of_type = |t: &str| -> Vec<&Value> { objects.iter().filter(|o| o["type"] == t).collect() };
    assert_eq!(of_type("identity").len(), 1, "{bundle}");
    assert_eq!(of_type("identity")[0]["name"], "Datadog");
    // The two lines of 1.2.3.4 are one lookup and one indicator; the "not found" none.
    let indicators = of_type("indicator");
    assert_eq!(indicators.len(), 1, "{bundle}");
    assert_eq!(indicators[0]["pattern"], "[ipv4-addr:value = '1.2.3.4']");
    assert_eq!(indicators[0]["confidence"], 85);
    assert_eq!(of_type("sighting").len(), 1, "log_matches 3: {bundle}");
    assert_eq!(validate(&bundle_file), "valid");
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_and_stix_do_not_resume() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempdir("no-resume");
    let input = write(&dir, "iocs.txt", "8.8.8.8\n");
    for format in ["csv", "stix"] {
        let out = datadog(
            &server.uri(),
            &dir,
            &input,
            &[
                "--out-format",
                format,
                "--out",
                dir.join("out").to_str().unwrap(),
                "--resume",
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("--resume") && stderr.contains("jsonl"),
            "{stderr}"
        );
    }
}

/// A run stopped before the end of the list (here by refused credentials) writes no STIX
/// bundle: a bundle of part of the list would import into OpenCTI or MISP as if it were whole.
#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_run_writes_no_stix_bundle() {
    let server = MockServer::start().await;
    datadog_answer(&server, "1.2.3.4", 85).await;
    Mock::given(method("GET"))
        .and(path(IOC_PATH))
        .and(query_param("indicator", "5.6.7.8"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_raw(r#"{"errors":["Unauthorized"]}"#, "application/json"),
        )
        .mount(&server)
        .await;
    let dir = tempdir("stix-stopped");
    let input = write(&dir, "iocs.txt", "1.2.3.4\n5.6.7.8\n");
    let bundle_file = dir.join("bundle.json");
    let out = datadog(
        &server.uri(),
        &dir,
        &input,
        &[
            "--concurrency",
            "1",
            "--out-format",
            "stix",
            "--out",
            bundle_file.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(stderr.contains("no STIX bundle written"), "{stderr}");
    let written = std::fs::read_to_string(&bundle_file).unwrap_or_default();
    assert!(!written.contains("bundle"), "{written}");
}

/// Review finding 6: a profile of enrich's list that is not in the config file is named with
/// what gave the list: THREATBIND_PROFILE when the variable did, --profile when the flag did.
#[test]
fn a_missing_profile_is_named_with_the_flag_or_variable_that_gave_it() {
    let dir = tempdir("missing-profile");
    let config = profiles(&dir, "http://127.0.0.1:9", "http://127.0.0.1:9");
    let input = write(&dir, "iocs.txt", "8.8.8.8\n");
    let args = [
        "--provider",
        "datadog-ioc",
        "--input",
        input.to_str().unwrap(),
    ];
    let out = threatbind(&dir, &[], &args)
        .env("THREATBIND_CONFIG", &config)
        .env("THREATBIND_PROFILE", "acme,initech")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("THREATBIND_PROFILE: there is no profile \"initech\" in"),
        "{stderr}"
    );
    assert!(!stderr.contains("--profile"), "{stderr}");

    let out = threatbind(&dir, &["--profile", "acme,initech"], &args)
        .env("THREATBIND_CONFIG", &config)
        .env("THREATBIND_PROFILE", "globex")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--profile: there is no profile \"initech\" in"),
        "{stderr}"
    );
}

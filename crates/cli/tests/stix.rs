//! STIX 2.1 out (issue 24): every answer fixture of every operation with `x-stix` becomes a
//! bundle that the OASIS validator (`stix2-validator`, installed by `make test-setup`) passes
//! without errors; patterns, escaping and the deterministic ids are pinned with literals.
//!
//! The converter is the CLI's own module, compiled here as it is in the binary.

#[allow(dead_code)]
#[path = "../src/stix/mod.rs"]
mod stix;
mod support;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use stix::pattern::Kind;
use stix::Answer;
use threatbind::spec::{Api, Operation};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn read(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn operation(api: &str, id: &str) -> &'static Operation {
    let api = Api::ALL.iter().find(|a| a.stem() == api).unwrap();
    api.operation(id).unwrap()
}

/// The request fixture of a response fixture: `request.<name>.json`, else
/// `request.<name up to its first '-'>.json`, else none.
fn request_of(dir: &Path, name: &str) -> Option<Value> {
    let first = name.split('-').next().unwrap_or(name);
    [name, first]
        .iter()
        .map(|n| dir.join(format!("request.{n}.json")))
        .find(|p| p.exists())
        .map(|p| read(&p))
}

/// Every (operation, fixture name, request, answer) of every operation with `x-stix`.
fn every_mapped_answer() -> Vec<(&'static Operation, String, Option<Value>, Value)> {
    let mut out = Vec::new();
    for api in Api::ALL {
        for op in api.operations().filter(|op| op.stix.is_some()) {
            let dir = fixtures().join(api.stem()).join(&op.id);
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.starts_with("response.2") && n.ends_with(".json"))
                .collect();
            names.sort();
            assert!(
                !names.is_empty(),
                "{}: no success answer fixture",
                dir.display()
            );
            for file in names {
                let name = file
                    .trim_start_matches("response.")
                    .trim_end_matches(".json")
                    .split_once('.')
                    .map_or(String::new(), |(_, n)| n.to_owned());
                let request = request_of(&dir, &name);
                let answer = read(&dir.join(&file));
                out.push((
                    op,
                    format!("{}/{}/{file}", api.stem(), op.id),
                    request,
                    answer,
                ));
            }
        }
    }
    out
}

fn bundle_of(op: &Operation, request: Option<&Value>, body: &Value) -> stix::Bundle {
    stix::bundle(
        [Answer {
            operation: op,
            request,
            body,
        }],
        now(),
    )
}

fn objects<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == kind)
        .collect()
}

const VALIDATE: &str = r#"
import sys
try:
    import stix2validator
except ImportError:
    print("MISSING")
    sys.exit(0)
options = stix2validator.ValidationOptions(version="2.1")
for path in sys.argv[1:]:
    results = stix2validator.validate_file(path, options)
    print("FILE\t%s\t%s" % (path, "valid" if results.is_valid else "INVALID"))
    if results.fatal:
        print("ERROR\t%s\t%s" % (path, getattr(results.fatal, "message", results.fatal)))
    for o in results.object_results:
        for e in o.errors:
            print("ERROR\t%s\t%s: %s" % (path, o.object_id, getattr(e, "message", e)))
        for w in o.warnings:
            print("WARNING\t%s\t%s" % (path, getattr(w, "message", w)))
"#;

/// The validator's verdict on each file: (errors, warnings) lines. Fails, saying how to
/// install it, when `stix2-validator` is not there.
fn validate(files: &[PathBuf]) -> (Vec<String>, Vec<String>) {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let out = Command::new(&python)
        .arg("-c")
        .arg(VALIDATE)
        .args(files)
        .output()
        .unwrap_or_else(|e| {
            panic!("{python}: {e}; the STIX tests need Python 3 with stix2-validator: `make test-setup` installs it (or: pip install stix2-validator)")
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.starts_with("MISSING"),
        "the STIX tests need the OASIS validator: `make test-setup` installs it (or: {python} -m pip install stix2-validator)"
    );
    assert!(
        out.status.success(),
        "the validator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = 0;
    for line in stdout.lines() {
        match line.split_once('\t') {
            Some(("FILE", _)) => seen += 1,
            Some(("ERROR", rest)) => errors.push(rest.to_owned()),
            Some(("WARNING", rest)) => warnings.push(rest.to_owned()),
            _ => {}
        }
    }
    assert_eq!(
        seen,
        files.len(),
        "the validator did not report every file:\n{stdout}"
    );
    (errors, warnings)
}

#[test]
fn every_fixture_of_every_mapped_operation_is_a_valid_bundle() {
    // The indicators each fixture holds, written out: a mapping that loses items fails here.
    let expected: &[(&str, usize)] = &[
        (
            "datadog-ioc/getIndicatorOfCompromise/response.200.domain.json",
            1,
        ),
        (
            "datadog-ioc/getIndicatorOfCompromise/response.200.ip.json",
            1,
        ),
        (
            "datadog-ioc/getIndicatorOfCompromise/response.200.null-sources-triaged.json",
            1,
        ),
        (
            "datadog-ioc/getIndicatorOfCompromise/response.200.unknown-fields.json",
            1,
        ),
        (
            "datadog-ioc/getIndicatorOfCompromise/response.200.user-agent-sparse.json",
            1,
        ),
        (
            "log360-cloud/searchThreatAnalytics/response.200.domain-normalized.json",
            1,
        ),
        (
            "log360-cloud/searchThreatAnalytics/response.200.info.json",
            1,
        ),
        ("log360-cloud/searchVirusTotal/response.200.domain.json", 1),
        ("log360-cloud/searchVirusTotal/response.200.ip.json", 1),
        (
            "log360-cloud/searchVirusTotal/response.200.url-partial.json",
            1,
        ),
        ("nameshield-cti/getThreatEvent/response.200.event.json", 1),
        (
            "nameshield-cti/listThreatEvents/response.200.doc-example.json",
            1,
        ),
        (
            "nameshield-cti/listThreatEvents/response.200.empty-last-page.json",
            0,
        ),
        (
            "nameshield-cti/searchThreatEventsV1/response.200.doc-example.json",
            1,
        ),
    ];
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stix-bundles");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    let mut found = Vec::new();
    for (op, name, request, answer) in every_mapped_answer() {
        let bundle = bundle_of(op, request.as_ref(), &answer);
        assert!(bundle.warnings.is_empty(), "{name}: {:?}", bundle.warnings);
        let indicators = objects(&bundle.bundle, "indicator").len();
        let identities = objects(&bundle.bundle, "identity").len();
        assert_eq!(identities, 1, "{name}: one identity for the vendor");
        for o in bundle.bundle["objects"].as_array().unwrap() {
            if o["type"] != "identity" {
                assert_eq!(
                    o["created_by_ref"],
                    objects(&bundle.bundle, "identity")[0]["id"],
                    "{name}"
                );
            }
        }
        found.push((name.clone(), indicators));
        let file = dir.join(name.replace('/', "__"));
        std::fs::write(&file, serde_json::to_vec_pretty(&bundle.bundle).unwrap()).unwrap();
        files.push(file);
    }
    let found: Vec<(&str, usize)> = found.iter().map(|(n, c)| (n.as_str(), *c)).collect();
    // Operations added to the specs later (the Datadog list) bring their fixtures in; the ones
    // above stay.
    for (name, count) in expected {
        assert!(
            found.contains(&(name, *count)),
            "{name}: expected {count} indicator(s) in {found:?}"
        );
    }
    let (errors, warnings) = validate(&files);
    for w in &warnings {
        eprintln!("validator warning: {w}");
    }
    assert!(
        errors.is_empty(),
        "the OASIS validator found errors:\n{}",
        errors.join("\n")
    );
}

#[test]
fn the_validator_is_not_a_rubber_stamp() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stix-broken");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("broken.json");
    let op = operation("log360-cloud", "searchThreatAnalytics");
    let mut bundle = bundle_of(op, None, &json!({"data": {"indicator": "8.8.8.8"}})).bundle;
    bundle["objects"][1]["pattern"] = json!("[ipv4-addr:value = 8.8.8.8");
    std::fs::write(&file, serde_json::to_vec(&bundle).unwrap()).unwrap();
    let (errors, _) = validate(&[file]);
    assert!(!errors.is_empty(), "a broken pattern passed the validator");
}

#[test]
fn a_pattern_for_each_type() {
    for (kind, value, expected) in [
        (Kind::Ipv4, "1.2.3.4", "[ipv4-addr:value = '1.2.3.4']"),
        (Kind::Ipv6, "2001:db8::1", "[ipv6-addr:value = '2001:db8::1']"),
        (Kind::Domain, "evil.example", "[domain-name:value = 'evil.example']"),
        (Kind::Url, "https://evil.example/a", "[url:value = 'https://evil.example/a']"),
        (Kind::Email, "a@evil.example", "[email-addr:value = 'a@evil.example']"),
        (
            Kind::UserAgent,
            "masscan/1.3",
            "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'masscan/1.3']",
        ),
        (
            Kind::Md5,
            "d41d8cd98f00b204e9800998ecf8427e",
            "[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']",
        ),
        (
            Kind::Sha1,
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
        ),
        (
            Kind::Sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
        ),
    ] {
        assert_eq!(stix::pattern::pattern(kind, value), expected);
        assert_eq!(stix::pattern::detect(value), Some(kind).filter(|k| *k != Kind::UserAgent), "{value}");
    }
    assert_eq!(stix::pattern::detect("10.0.0.0/8"), Some(Kind::Ipv4));
    assert_eq!(stix::pattern::detect("masscan/1.3 (https://example)"), None);
    assert_eq!(stix::pattern::detect("not an indicator"), None);
}

#[test]
fn quotes_and_backslashes_are_escaped() {
    assert_eq!(stix::pattern::quote(r"it's"), r"'it\'s'");
    assert_eq!(stix::pattern::quote(r"a\b"), r"'a\\b'");
    assert_eq!(
        stix::pattern::pattern(Kind::Url, r"https://evil.example/?q='\"),
        r"[url:value = 'https://evil.example/?q=\'\\']"
    );
}

#[test]
fn ids_are_uuidv5_of_the_vendor_and_its_id() {
    // Python: uuid.uuid5(uuid.UUID("965896da-bbb1-43d5-a44a-43b2a2ba102a"), name).
    assert_eq!(
        stix::id("indicator", "indicator\nDatadog\nip_address:203.0.113.42"),
        "indicator--535fd1d4-d077-51b3-b2cd-f07b869328b8"
    );
    let op = operation("datadog-ioc", "getIndicatorOfCompromise");
    let dir = fixtures().join("datadog-ioc/getIndicatorOfCompromise");
    let answer = read(&dir.join("response.200.ip.json"));
    let bundle = bundle_of(op, None, &answer).bundle;
    assert_eq!(
        objects(&bundle, "identity")[0]["id"],
        "identity--15911d09-7054-5664-bdc4-35ab6ed57e14"
    );
    let indicator = objects(&bundle, "indicator")[0];
    assert_eq!(
        indicator["id"],
        "indicator--535fd1d4-d077-51b3-b2cd-f07b869328b8"
    );
    assert_eq!(indicator["pattern"], "[ipv4-addr:value = '203.0.113.42']");
    assert_eq!(indicator["pattern_type"], "stix");
    assert_eq!(indicator["confidence"], 88); // score 87.5 of 100
    assert_eq!(indicator["created"], "2026-03-02T08:15:00.000Z");
    assert_eq!(indicator["valid_from"], "2026-03-02T08:15:00.000Z");
    assert_eq!(indicator["modified"], "2026-05-30T21:47:12.345Z");
    assert_eq!(indicator["labels"], json!(["scanner"]));
    assert_eq!(
        indicator["external_references"],
        json!([{"source_name": "Datadog", "external_id": "ip_address:203.0.113.42", "description": "Datadog Cloud SIEM IoC Explorer."}])
    );
    let sightings = objects(&bundle, "sighting");
    assert_eq!(sightings.len(), 2);
    assert_eq!(
        sightings[0]["id"],
        "sighting--43c5a364-5a90-5e2e-a387-f4599195170d"
    );
    assert_eq!(sightings[0]["count"], 1532);
    assert_eq!(sightings[0]["sighting_of_ref"], indicator["id"]);
    assert_eq!(sightings[0]["first_seen"], "2026-03-02T08:15:00.000Z");
    assert_eq!(sightings[1]["count"], 4);

    // The list names the same indicator with the same Datadog id: the same STIX ids.
    let op = operation("datadog-ioc", "listIndicatorsOfCompromise");
    let answer =
        read(&fixtures().join("datadog-ioc/listIndicatorsOfCompromise/response.200.page.json"));
    let bundle = bundle_of(op, None, &answer).bundle;
    let indicators = objects(&bundle, "indicator");
    assert_eq!(indicators.len(), 2);
    assert_eq!(
        indicators[0]["id"],
        "indicator--535fd1d4-d077-51b3-b2cd-f07b869328b8"
    );
    assert_eq!(
        objects(&bundle, "sighting")[0]["id"],
        "sighting--43c5a364-5a90-5e2e-a387-f4599195170d"
    );
    // No first-seen time: created and valid_from are the last-seen one.
    assert_eq!(
        indicators[1]["pattern"],
        "[domain-name:value = 'login-verify.example.net']"
    );
    assert_eq!(indicators[1]["created"], "2026-05-28T06:30:45.000Z");
    assert_eq!(indicators[1]["confidence"], 64);
}

#[test]
fn the_same_answer_twice_gives_the_same_ids() {
    for (op, name, request, answer) in every_mapped_answer() {
        let ids = |at: DateTime<Utc>| {
            let b = stix::bundle(
                [Answer {
                    operation: op,
                    request: request.as_ref(),
                    body: &answer,
                }],
                at,
            )
            .bundle;
            let mut ids: Vec<Value> = b["objects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].clone())
                .collect();
            ids.push(b["id"].clone());
            ids
        };
        let later = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(ids(now()), ids(later), "{name}");
    }
}

#[test]
fn times_the_answer_lacks_are_the_run_s_and_offsets_become_utc() {
    let op = operation("log360-cloud", "searchVirusTotal");
    let request = json!({"body": {"indicator": "8.8.8.8"}});
    let bundle = bundle_of(
        op,
        Some(&request),
        &json!({"data": {"virus_total_info": {}}}),
    )
    .bundle;
    let indicator = objects(&bundle, "indicator")[0];
    assert_eq!(
        indicator["id"],
        "indicator--72e2931f-452e-58c0-9515-6fab1d2c7ad9"
    );
    assert_eq!(indicator["created"], "2026-06-01T12:00:00.000Z");
    assert_eq!(indicator["valid_from"], "2026-06-01T12:00:00.000Z");
    assert_eq!(indicator["name"], "8.8.8.8");
    assert_eq!(
        indicator["external_references"][0]["url"],
        "https://www.virustotal.com/gui/search/8.8.8.8"
    );
    assert!(indicator.get("confidence").is_none());

    let op = operation("datadog-ioc", "getIndicatorOfCompromise");
    let answer =
        read(&fixtures().join("datadog-ioc/getIndicatorOfCompromise/response.200.domain.json"));
    let bundle = bundle_of(op, None, &answer).bundle;
    let indicator = objects(&bundle, "indicator")[0];
    assert_eq!(indicator["created"], "2026-05-12T04:02:41.000Z");
    assert_eq!(
        indicator["pattern"],
        "[domain-name:value = 'login-verify.example.net']"
    );
    assert_eq!(indicator["confidence"], 96);
}

#[test]
fn items_without_an_indicator_are_named_not_guessed() {
    let op = operation("datadog-ioc", "getIndicatorOfCompromise");
    let answer = json!({"data": {"attributes": {"data": {"indicator": "not an indicator", "indicator_type": "something_new"}}}});
    let b = bundle_of(op, None, &answer);
    assert!(objects(&b.bundle, "indicator").is_empty());
    assert_eq!(b.warnings.len(), 1, "{:?}", b.warnings);
    assert!(
        b.warnings[0].contains("\"not an indicator\" is not an indicator of a type"),
        "{:?}",
        b.warnings
    );
    // A stated type that the value is not: no false pattern.
    let answer = json!({"data": {"attributes": {"data": {"indicator": "evil.example", "indicator_type": "ip_address"}}}});
    assert!(objects(&bundle_of(op, None, &answer).bundle, "indicator").is_empty());
    // An answer without the items' place.
    let b = bundle_of(op, None, &json!({"errors": ["Bad Request"]}));
    assert!(
        b.warnings[0].contains("no item at \"data.attributes.data\""),
        "{:?}",
        b.warnings
    );
}

#[test]
fn enrich_lookups_make_one_bundle_each_id_once() {
    // As enrich adds them: each provider's operation, the request document of the indicator
    // as sent (its `x-enrich` puts it at body.indicator), the vendor's answer.
    let provider = |name: &str| {
        Api::ALL
            .iter()
            .flat_map(|api| api.operations())
            .find(|op| op.enrich.as_ref().is_some_and(|e| e.provider == name))
            .unwrap()
    };
    let ip = json!({"data": {"virus_total_info": {}}});
    let ta = json!({"data": {"indicator": "example.com", "indicator_type": "URL"}});
    let ip_sent = json!({"body": {"indicator": "8.8.8.8"}});
    let ta_sent = json!({"body": {"indicator": "example.com"}});
    let mut bundler = stix::Bundler::new(now());
    for (name, request, body) in [
        ("log360-virustotal", &ip_sent, &ip),
        ("log360-threat-analytics", &ta_sent, &ta),
        ("log360-virustotal", &ip_sent, &ip),
    ] {
        bundler.add(Answer {
            operation: provider(name),
            request: Some(request),
            body,
        });
    }
    let b = bundler.finish();
    let names: Vec<&Value> = objects(&b.bundle, "identity")
        .iter()
        .map(|o| &o["name"])
        .collect();
    assert_eq!(
        names,
        [&json!("VirusTotal"), &json!("ManageEngine Log360 Cloud")]
    );
    let patterns: Vec<&Value> = objects(&b.bundle, "indicator")
        .iter()
        .map(|o| &o["pattern"])
        .collect();
    assert_eq!(
        patterns,
        [
            &json!("[ipv4-addr:value = '8.8.8.8']"),
            &json!("[domain-name:value = 'example.com']")
        ]
    );
    assert!(b.warnings.is_empty(), "{:?}", b.warnings);
}

/// Review finding 4: a bundle's warnings are printed 20 at most, the rest counted.
#[test]
fn warnings_are_capped_and_the_rest_counted() {
    assert_eq!(stix::WARNINGS_SHOWN, 20);
    let warnings: Vec<String> = (1..=23).map(|i| format!("item {i}")).collect();
    let lines = stix::warning_lines("warning: stix: ", &warnings, 20);
    assert_eq!(lines.len(), 21);
    assert_eq!(lines[0], "warning: stix: item 1");
    assert_eq!(lines[19], "warning: stix: item 20");
    assert_eq!(lines[20], "warning: stix: and 3 more");
    assert_eq!(
        stix::warning_lines("w: ", &warnings[..2], 20),
        ["w: item 1", "w: item 2"]
    );
    assert_eq!(
        stix::warning_lines("w: ", &warnings[..3], 2),
        ["w: item 1", "w: item 2", "w: and 1 more"]
    );
}

#[test]
fn an_object_met_twice_is_kept_once_the_later_winning() {
    let op = operation("datadog-ioc", "getIndicatorOfCompromise");
    let seen = |last: &str| {
        json!({"data": {"attributes": {"data": {"id": "ip_address:203.0.113.42", "indicator": "203.0.113.42",
            "indicator_type": "ip_address", "first_seen": "2026-03-02T08:15:00Z", "last_seen": last, "log_matches": 3}}}})
    };
    let (old, new) = (seen("2026-04-01T00:00:00Z"), seen("2026-05-01T00:00:00Z"));
    // In either order: neither the first nor the last kept, the later modified.
    for order in [[&old, &new], [&new, &old]] {
        let answers = order.map(|body| Answer {
            operation: op,
            request: None,
            body,
        });
        let bundle = stix::bundle(answers, now()).bundle;
        let indicators = objects(&bundle, "indicator");
        assert_eq!(indicators.len(), 1);
        assert_eq!(indicators[0]["modified"], "2026-05-01T00:00:00.000Z");
        assert_eq!(objects(&bundle, "sighting").len(), 1);
        assert_eq!(objects(&bundle, "identity").len(), 1);
    }
}

// The command line: `--output stix`, the real binary against wiremock servers on loopback.

mod cli {
    use super::*;
    use std::process::Output;
    use wiremock::matchers::{any, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const NAMESHIELD_TOKEN: &str = "ns-stix-token-7f2e";

    use crate::support::stderr;

    /// Runs `threatbind` with exactly `env` (plus PATH, and a quota of the run's own).
    async fn run(env: &[(&str, String)], args: &[&str]) -> Output {
        crate::support::run_own_quota(&crate::support::refs(env), args).await
    }

    /// Nameshield's threat events in two pages: e1 then e3.
    async fn two_pages() -> MockServer {
        let server = MockServer::start().await;
        let page = |id: &str, domain: &str, next: bool| {
            json!({"data": [{"id": id, "domain": domain, "date": "2026-05-01T10:00:00.000Z",
                             "type": "DOMAIN_DETECTED", "criticality": {"level": "HIGH", "name": "High"}}],
                   "has_next": next})
        };
        Mock::given(method("GET"))
            .and(path("/cti/v2/events"))
            .and(query_param("page", "1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(page(
                "e3",
                "shop-example.net",
                false,
            )))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/cti/v2/events"))
            .respond_with(ResponseTemplate::new(200).set_body_json(page("e1", "examp1e.com", true)))
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
    async fn a_walk_is_one_bundle_of_every_page() {
        let server = two_pages().await;
        let out = run(
            &nameshield_env(&server),
            &["nameshield", "events", "--all", "--output", "stix"],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let bundle: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(bundle["type"], "bundle");
        let indicators = objects(&bundle, "indicator");
        let ids: Vec<&Value> = indicators.iter().map(|o| &o["id"]).collect();
        // Python: uuid.uuid5(NAMESPACE, "indicator\nNameshield\ne1") and "...\ne3".
        assert_eq!(
            ids,
            [
                &json!("indicator--272c6391-3fe4-5496-bc8b-c0745ccda374"),
                &json!("indicator--c85c4936-dc05-5082-9203-6dab772aaae0")
            ]
        );
        assert_eq!(
            indicators[0]["pattern"],
            "[domain-name:value = 'examp1e.com']"
        );
        assert_eq!(indicators[0]["labels"], json!(["DOMAIN_DETECTED", "HIGH"]));
        assert_eq!(indicators[0]["created"], "2026-05-01T10:00:00.000Z");
        assert_eq!(objects(&bundle, "identity")[0]["name"], "Nameshield");
        assert!(!String::from_utf8_lossy(&out.stdout).contains(NAMESHIELD_TOKEN));
        assert!(!stderr(&out).contains(NAMESHIELD_TOKEN));
        // What the command printed passes the validator too.
        let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stix-cli-walk.json");
        std::fs::write(&file, &out.stdout).unwrap();
        let (errors, _) = validate(&[file]);
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[tokio::test]
    async fn an_operation_without_x_stix_is_refused_before_sending() {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200))
            .expect(0)
            .mount(&server)
            .await;
        let env = vec![
            ("LOG360_ONPREM_TOKEN", "onprem-stix-token".to_owned()),
            ("LOG360_ONPREM_URL", server.uri()),
        ];
        let out = run(&env, &["log360-onprem", "log-sources", "--output", "stix"]).await;
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("--output"), "{err}");
        assert!(err.contains("stix is for the operations whose answer describes indicators (x-stix in their spec)"), "{err}");
        assert!(err.contains("datadog ioc"), "{err}");
        assert!(out.stdout.is_empty());
    }

    /// Review finding 4: `--output stix` prints at most 20 of the converter's warnings (one per
    /// item it could not map), then how many more.
    #[tokio::test]
    async fn the_warnings_of_a_bundle_are_capped_at_20() {
        // Datadog's list of indicators: a value of a type it does not state (detected), which
        // is no indicator, is a warning each.
        let server = MockServer::start().await;
        let items: Vec<Value> = (1..=25)
            .map(|i| json!({"id": format!("x:{i}"), "indicator": format!("not an indicator {i}"), "indicator_type": "other"}))
            .collect();
        Mock::given(method("GET"))
            .and(path("/api/v2/security/siem/ioc-explorer"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"data": {"type": "ioc_explorer", "id": "1", "attributes": {"data": items}}}),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let env = vec![
            ("DD_API_KEY", "dd-stix-api-key".to_owned()),
            ("DD_APP_KEY", "dd-stix-app-key".to_owned()),
            ("DD_BASE_URL", server.uri()),
        ];
        let out = run(&env, &["datadog", "iocs", "--output", "stix"]).await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let err = stderr(&out);
        let warnings: Vec<&str> = err
            .lines()
            .filter(|l| l.starts_with("warning: --output stix: "))
            .collect();
        assert_eq!(warnings.len(), 21, "{err}");
        assert_eq!(warnings[20], "warning: --output stix: and 5 more");
    }

    #[tokio::test]
    async fn jq_does_not_apply_to_a_bundle() {
        let server = two_pages().await;
        // Nothing is asked: the mounted pages expect one request each, so reset them.
        server.reset().await;
        let out = run(
            &nameshield_env(&server),
            &["nameshield", "events", "--output", "stix", "--jq", "."],
        )
        .await;
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("--jq"), "{}", stderr(&out));
        assert!(server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty());
    }
}

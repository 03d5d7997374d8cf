//! `threatbind demo`: the mock started in this process, every operation of every API sent
//! through its client (the same send path as the typed clients: validation, quota,
//! credentials, retries, answer check), then `enrich` of `examples/indicators.txt`. No
//! account, no network: everything stays on loopback.
//!
//! The requests are the project's own valid fixtures (`tests/fixtures/<api>/<operation>/
//! request.*.json`, the first one valid today), so the demo covers whatever the specs bind
//! with no list of its own; it runs from a clone of the repository.

use crate::{connect, enrich, note, Global};
use clap::{ArgMatches, Command};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use threatbind::spec::{Api, Operation};
use threatbind::{Error, QuotaStore};
use threatbind_mock::{Options, RateLimit};

/// The demo's quota, on both sides (the mock and the clients): generous, so that the demo
/// takes seconds; the quotas the specs document are what `threatbind mock` enforces.
const QUOTA: RateLimit = RateLimit {
    requests: 200,
    period: Duration::from_secs(1),
};

pub(crate) fn command() -> Command {
    Command::new("demo")
        .about("Start the mock here, call every operation of every API through its client, then enrich examples/indicators.txt (no account, no network)")
        .after_help(
            "Run from a clone of the repository: the requests are its fixtures (tests/fixtures) \
             and the indicators examples/indicators.txt. Exit codes: 0 every call answered as \
             expected; 1 some did not; 2 the fixtures or the indicators are missing.",
        )
}

fn repository() -> PathBuf {
    // This crate is crates/cli of the workspace.
    let here = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    here.canonicalize().unwrap_or(here)
}

/// Demo values for every variable the specs give a credential or a filled-in parameter
/// (`x-env`): `demo-<name>` for a credential, the parameter's example for a parameter.
fn demo_vars() -> std::collections::HashMap<String, String> {
    let mut vars = std::collections::HashMap::new();
    for api in Api::ALL {
        let env = api.env();
        for c in &env.credentials {
            let name = &c.variable.name;
            vars.insert(name.clone(), format!("demo-{}", name.to_ascii_lowercase()));
        }
        for p in &env.parameters {
            let example = api
                .document()
                .pointer("/components/parameters")
                .and_then(Value::as_object)
                .and_then(|all| all.values().find(|q| q["name"] == p.name.as_str()))
                .and_then(|q| q.get("example"))
                .and_then(Value::as_str)
                .unwrap_or("demo");
            vars.insert(p.variable.name.clone(), example.to_owned());
        }
    }
    vars
}

/// The settings and credentials of the demo's clients, on the mock's server for `api`.
fn demo_global(global: &Global, base_url: &str, api: Api) -> Global {
    let mut settings = global.settings.clone();
    settings.rate_limit = Some(QUOTA);
    settings.quota_store = QuotaStore::InProcess;
    Global {
        base_url: Some(format!("{base_url}{}", api.server_path())),
        settings,
        cache_dir: None,
        cache_source: "",
        local_for_want_of_cache: false,
        output: None,
        jq: None,
        columns: None,
        max_time: None,
        vars: Some(demo_vars()),
        profile: None,
    }
}

/// The first valid request fixture of `op` (by name), as its file name and document.
fn request_fixture(op: &Operation) -> Result<Option<(String, Value)>, Error> {
    let dir = repository()
        .join("tests/fixtures")
        .join(op.api.stem())
        .join(&op.id);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| Error::config("demo", format!("{}: {e} (run from a clone)", dir.display())))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("request.") && name.ends_with(".json"))
        .collect();
    names.sort();
    for name in names {
        let text = std::fs::read_to_string(dir.join(&name))
            .map_err(|e| Error::config("demo", format!("{name}: {e}")))?;
        let Ok(document) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        // A fixture with dates may have aged out of a rule (e.g. "within 30 days"), and a
        // token cursor is only good for the server that handed it out.
        if op.validate_request(&document, chrono::Utc::now()).is_ok()
            && !carries_token_cursor(op, &document)
        {
            return Ok(Some((name, document)));
        }
    }
    Ok(None)
}

/// Whether `document` continues a token-paged walk (`x-pagination` with `advance: token`).
fn carries_token_cursor(op: &Operation, document: &Value) -> bool {
    match &op.pagination {
        Some(p) if p.advance == threatbind::spec::model::Advance::Token => {
            threatbind::raw::lookup(document, &p.cursor).is_some()
        }
        _ => false,
    }
}

/// A short human size.
fn size(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}

/// Every operation of every API, one line each; the number that did not answer 2xx.
async fn every_operation(global: &Global, base_url: &str) -> Result<usize, Error> {
    let mut failed = 0;
    for api in Api::ALL {
        let title = api
            .document()
            .pointer("/info/title")
            .and_then(Value::as_str)
            .unwrap_or(api.stem());
        println!("\n{title}");
        let mut raw = connect::connect(*api, &demo_global(global, base_url, *api), &[]).await?;
        for op in api.operations() {
            if op.unstable {
                raw.enable_unstable(&op.id);
            }
            let marks = match (op.deprecated, op.unstable) {
                (true, _) => " [deprecated]",
                (_, true) => " [beta]",
                _ => "",
            };
            let line = format!("{:<6} {:<52}", op.method.to_uppercase(), op.path);
            let Some((fixture, document)) = request_fixture(op)? else {
                failed += 1;
                println!(
                    "  ✗ ---  {line} {}{marks}: no request fixture valid today",
                    op.id
                );
                continue;
            };
            let started = Instant::now();
            match raw.send(op, &document).await {
                Ok(answer) => println!(
                    "  ✓ {}  {line} {}{marks}  {} in {} ms  ({fixture})",
                    answer.status,
                    op.id,
                    size(answer.body.len()),
                    started.elapsed().as_millis()
                ),
                Err(e) => {
                    failed += 1;
                    println!(
                        "  ✗ {}  {line} {}{marks}: {e}",
                        e.status().unwrap_or(0),
                        op.id
                    );
                }
            }
        }
    }
    Ok(failed)
}

/// The typed client's page walk: every threat event of the mock's data set, pages followed
/// as the spec's `x-pagination` says.
async fn walk_pages(global: &Global, base_url: &str) -> Result<(), Error> {
    use futures::TryStreamExt;
    use threatbind::nameshield_cti::{generated::types::ThreatEvent, NameshieldBuilder};
    let demo = demo_global(global, base_url, Api::NameshieldCti);
    let client = NameshieldBuilder::from_vars(|name| demo.var(name))?
        .settings(demo.settings.clone())
        .base_url(demo.base_url.clone().unwrap_or_default())
        .build()?;
    let started = Instant::now();
    let request = client.generated().list_threat_events().size(100);
    let events: Vec<ThreatEvent> = client
        .items::<ThreatEvent, _, _>(request.send())
        .try_collect()
        .await?;
    println!(
        "\nNameshieldClient::items(list_threat_events().size(100)): {} typed events, every page walked, in {} ms",
        events.len(),
        started.elapsed().as_millis()
    );
    Ok(())
}

/// What one enrich record says, in a few words.
fn verdict(record: &Value) -> String {
    // The demo asks one provider: the record's first result.
    let result = &record["results"][0];
    if result["ok"] != true {
        let detail = result["error"]["detail"].as_str().unwrap_or("");
        return match result["error"]["status"].as_u64() {
            Some(status) => format!("error {status}: {detail}"),
            None => format!("error: {detail}"),
        };
    }
    let data = &result["answer"]["data"];
    let kind = data["indicator_type"].as_str().unwrap_or("?");
    let keys: Vec<&str> = data
        .as_object()
        .map(|m| m.keys().map(String::as_str).take(6).collect())
        .unwrap_or_default();
    format!("{kind:<6} data: {}", keys.join(", "))
}

/// Runs `threatbind enrich --provider PROVIDER --input INPUT --out OUT EXTRA...` (shown as the
/// user would type it) and gives what it wrote.
async fn enrich_into(
    global: &Global,
    provider: &str,
    input: &Path,
    out: &Path,
    extra: &[&str],
) -> Result<String, Error> {
    let mut args: Vec<String> = ["enrich", "--provider", provider, "--input"]
        .map(str::to_owned)
        .to_vec();
    args.push(input.display().to_string());
    args.push("--out".into());
    args.push(out.display().to_string());
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let shown = |p: &Path| {
        p.strip_prefix(repository())
            .unwrap_or(p)
            .display()
            .to_string()
    };
    println!(
        "\nthreatbind enrich --provider {provider} --input {} --out {}{}",
        shown(input),
        shown(out),
        extra.iter().map(|a| format!(" {a}")).collect::<String>()
    );
    let matches = enrich::command()
        .try_get_matches_from(args)
        .map_err(|e| Error::config("demo", e.to_string()))?;
    enrich::run(&matches, global).await?;
    std::fs::read_to_string(out)
        .map_err(|e| Error::config("demo", format!("{}: {e}", out.display())))
}

/// `enrich` of the example indicators with the demo's provider (`x-enrich.demo`), then its
/// records.
async fn enrich_examples(global: &Global, base_url: &str) -> Result<(), Error> {
    let Some((provider, api)) = enrich::demo() else {
        note("demo: no compiled API names the demo's enrich provider (x-enrich demo: true): enrich skipped");
        return Ok(());
    };
    let input = repository().join("examples/indicators.txt");
    let out_dir = repository().join("target/demo");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| Error::config("demo", format!("{}: {e}", out_dir.display())))?;
    let global = demo_global(global, base_url, api);
    let out = out_dir.join("enrich.jsonl");
    let text = enrich_into(&global, provider, &input, &out, &["--concurrency", "4"]).await?;
    for line in text.lines() {
        let record: Value = serde_json::from_str(line).unwrap_or(Value::Null);
        println!(
            "  {:<40} {}",
            record["input"].as_str().unwrap_or("?"),
            verdict(&record)
        );
    }
    // The same run as STIX 2.1, for OpenCTI or MISP.
    let bundle = out_dir.join("enrich.stix.json");
    let text = enrich_into(
        &global,
        provider,
        &input,
        &bundle,
        &["--out-format", "stix"],
    )
    .await?;
    let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let mut kinds: std::collections::BTreeMap<&str, usize> = Default::default();
    for object in parsed["objects"].as_array().into_iter().flatten() {
        *kinds
            .entry(object["type"].as_str().unwrap_or("?"))
            .or_default() += 1;
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    println!(
        "  one STIX 2.1 bundle: {} (import it into OpenCTI or MISP)",
        kinds.join(", ")
    );
    Ok(())
}

pub(crate) async fn run(_m: &ArgMatches, global: &Global) -> Result<(), Error> {
    for needed in ["tests/fixtures", "examples/indicators.txt"] {
        if !Path::new(&repository().join(needed)).exists() {
            return Err(Error::config(
                "demo",
                format!("{needed} is missing: run the demo from a clone of the repository"),
            ));
        }
    }
    let options = Options {
        rate_limit: Some(QUOTA),
        ..Options::default()
    };
    let mock =
        threatbind_mock::serve(std::net::SocketAddr::from(([127, 0, 0, 1], 0)), options).await?;
    println!(
        "threatbind demo: every API served by the mock at {} (from the specs; no account, no network)",
        mock.base_url()
    );
    let started = Instant::now();
    let failed = every_operation(global, mock.base_url()).await?;
    walk_pages(global, mock.base_url()).await?;
    enrich_examples(global, mock.base_url()).await?;
    let stats = mock.stats();
    println!(
        "\nThe mock answered {} requests ({} refused by its quota, {} faults) in {:.1} s.",
        stats.requests,
        stats.rate_limited,
        stats.faults,
        started.elapsed().as_secs_f64()
    );
    mock.shutdown().await;
    if failed > 0 {
        note(&format!(
            "demo: {failed} operations did not answer as expected"
        ));
        std::process::exit(1);
    }
    Ok(())
}

//! What one lookup of `enrich` sends, and what it comes to: a result of the record of its input
//! line (the vendor's answer, or a refusal of that indicator), or a failure of the machinery,
//! which is never a record.

use super::refang::{normalise, Normal};
use crate::json_text;
use serde_json::{json, Value};
use std::io::BufRead;
use std::sync::Arc;
use threatbind::raw::RawClient;
use threatbind::spec::model::Enrich;
use threatbind::spec::{Api, Operation};
use threatbind::Error;

/// The threat sources an indicator can be looked up in: every operation of the compiled APIs
/// whose spec gives it `x-enrich` (specs/README.md), by `--provider` value.
pub(crate) fn providers() -> Vec<(&'static Enrich, &'static Operation)> {
    let mut all: Vec<_> = Api::ALL
        .iter()
        .flat_map(|api| api.operations())
        .filter_map(|op| Some((op.enrich.as_ref()?, op)))
        .collect();
    all.sort_by(|(a, _), (b, _)| a.provider.cmp(&b.provider));
    all
}

/// The `--provider` values, in order.
pub(crate) fn provider_names() -> Vec<&'static str> {
    providers()
        .into_iter()
        .map(|(enrich, _)| enrich.provider.as_str())
        .collect()
}

/// The providers that take `--action`, by `--provider` value.
pub(crate) fn with_action() -> Vec<&'static str> {
    providers()
        .into_iter()
        .filter(|(enrich, _)| enrich.action.is_some())
        .map(|(enrich, _)| enrich.provider.as_str())
        .collect()
}

/// The `--action` values of `op`: the `enum` of the schema at its `x-enrich.action` path.
pub(crate) fn actions(op: &Operation) -> Vec<String> {
    let Some(action) = op.enrich.as_ref().and_then(|e| e.action.as_ref()) else {
        return Vec::new();
    };
    threatbind::spec::schema_at(op.api.document(), &op.raw, &action.path)
        .and_then(|schema| schema.get("enum").cloned())
        .and_then(|values| match values {
            Value::Array(values) => Some(values),
            _ => None,
        })
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// The provider that `threatbind demo` enriches with (`x-enrich.demo`), and its API.
pub(crate) fn demo() -> Option<(&'static str, Api)> {
    providers()
        .into_iter()
        .find(|(enrich, _)| enrich.demo)
        .map(|(enrich, op)| (enrich.provider.as_str(), op.api))
}

/// What one provider sends for an indicator.
#[derive(Clone)]
pub(crate) struct Provider {
    pub api: Api,
    pub op: &'static Operation,
    enrich: &'static Enrich,
    /// The action sent (the enum's spelling), when the provider takes one.
    action: Option<String>,
}

impl Provider {
    /// The provider `name` (any case), sending `action` (`--action`, when given; else the
    /// spec's default) if it takes one.
    pub fn new(name: &str, action: Option<&str>) -> Result<Self, Error> {
        let (enrich, op) = providers()
            .into_iter()
            .find(|(enrich, _)| enrich.provider.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                Error::config(
                    "--provider",
                    format!("{name:?} is not one of: {}", provider_names().join(", ")),
                )
            })?;
        let name = enrich.provider.as_str();
        let action = match (&enrich.action, action) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(Error::config(
                    "--action",
                    format!("applies to {} only, not {name}", with_action().join(", ")),
                ))
            }
            (Some(spec), given) => {
                let allowed = actions(op);
                let wanted = given.or(spec.default.as_deref()).map(str::trim);
                let Some(wanted) = wanted else {
                    return Err(Error::config(
                        "--action",
                        format!("{name} needs one of: {}", allowed.join(", ")),
                    ));
                };
                let found = allowed.iter().find(|a| a.eq_ignore_ascii_case(wanted));
                let Some(found) = found else {
                    return Err(Error::config(
                        "--action",
                        format!(
                            "{:?} is not one of: {}",
                            wanted.to_ascii_uppercase(),
                            allowed.join(", ")
                        ),
                    ));
                };
                Some(found.clone())
            }
        };
        Ok(Provider {
            api: op.api,
            op,
            enrich,
            action,
        })
    }

    /// The `--provider` value.
    pub fn name(&self) -> &'static str {
        self.enrich.provider.as_str()
    }

    /// The request document for `normal`, or why there is none: the indicator, its detected
    /// type and the action at the request paths `x-enrich` gives.
    pub fn document(&self, normal: &Normal) -> Result<Value, String> {
        if self.enrich.detected && normal.kind.is_none() {
            return Err("not an IP address, a domain or a URL".to_owned());
        }
        let mut document = json!({});
        put(
            &mut document,
            &self.enrich.indicator,
            json!(normal.indicator),
        );
        if let (Some(path), Some(kind)) = (&self.enrich.type_path, normal.kind) {
            put(&mut document, path, json!(kind.as_str()));
        }
        if let (Some(spec), Some(action)) = (&self.enrich.action, &self.action) {
            put(&mut document, &spec.path, json!(action));
        }
        Ok(document)
    }
}

/// Writes `value` at the dotted `path` of `document`, making the objects on the way.
fn put(document: &mut Value, path: &str, value: Value) {
    let mut current = document;
    for key in path.split('.') {
        if !current.is_object() {
            *current = json!({});
        }
        let Value::Object(map) = current else {
            return;
        };
        current = map.entry(key).or_insert(Value::Null);
    }
    *current = value;
}

/// One input line: where it was, its text as written, and the indicator it is.
pub(crate) struct Input {
    pub line: usize,
    /// The line as written (surrounding blanks trimmed).
    pub written: String,
    /// Refanged and normalised, with its type.
    pub normal: Normal,
}

/// The indicators of `reader`, lazily: blank lines and `#` comments skipped, every other line
/// one input (a line that is not UTF-8 is read with replacement characters, never dropped).
pub(crate) fn inputs(reader: impl BufRead) -> impl Iterator<Item = std::io::Result<Input>> {
    let mut reader = reader;
    let mut line = 0usize;
    std::iter::from_fn(move || loop {
        let mut bytes = Vec::new();
        match reader.read_until(b'\n', &mut bytes) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => return Some(Err(e)),
        }
        line += 1;
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        return Some(Ok(Input {
            line,
            written: text.to_owned(),
            normal: normalise(text),
        }));
    })
}

/// One provider for one profile (tenant): its own client, credentials and quota.
pub(crate) struct Client {
    pub provider: Provider,
    /// The profile's name; none: the environment's credentials.
    pub profile: Option<String>,
    pub raw: RawClient,
}

impl Client {
    /// How the progress and summary lines name it: the provider, and the profile if any.
    pub fn label(&self) -> String {
        match &self.profile {
            Some(profile) => format!("{} {profile}", self.provider.name()),
            None => self.provider.name().to_owned(),
        }
    }
}

/// A refusal of one indicator: the record's `status`, `code` and `detail`.
pub(crate) type Refusal = (Option<u16>, String, String);

/// What one client said about one indicator, and when.
pub(crate) struct Looked {
    /// When it was said (RFC 3339, UTC).
    pub time: String,
    /// The vendor's answer as JSON text (compacted, every value as sent), or the refusal.
    pub outcome: Result<String, Refusal>,
}

impl Looked {
    fn now(outcome: Result<String, Refusal>) -> Self {
        Self {
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            outcome,
        }
    }

    /// About how many bytes it holds.
    pub fn size(&self) -> usize {
        self.time.len()
            + match &self.outcome {
                Ok(answer) => answer.len(),
                Err((_, code, detail)) => code.len() + detail.len(),
            }
    }
}

/// What a lookup came to.
pub(crate) enum Done {
    /// A record to write.
    Record(Record),
    /// A record of an earlier run, kept as it was.
    Kept(String),
    /// The machinery failed (the quota store, the network, the credentials, the retries or the
    /// time budget): no record; the run stops and `--resume` redoes this input.
    Stop(Error),
}

/// Whether a failed lookup is the word of the vendor, or of its documented rules, on this
/// indicator, and so a record: a request the spec's rules refuse (nothing sent), or a 4xx
/// answer other than those about the credentials (401, 403, 407), a timeout (408) or the quota
/// (429). Everything else (the quota store, the network, TLS, a 5xx or a 429 after every retry,
/// credentials refused, the time budget) is a failure of the machinery.
pub(crate) fn about_the_indicator(e: &Error) -> bool {
    match e {
        Error::Validation(_) => true,
        Error::Api { status, .. } => {
            (400..500).contains(status) && !matches!(status, 401 | 403 | 407 | 408 | 429)
        }
        _ => false,
    }
}

/// Whether a failed result may come out otherwise now: every failure except a refusal of the
/// input itself (not an indicator, against the spec's rules, or HTTP 400 or 422 from the
/// vendor). A "not found" (the vendor may know the indicator now) and the machinery failures
/// that versions before 0.2 wrote as records (transport, quota store, 429, 5xx, credentials)
/// may.
fn result_may_have_passed(result: &Value) -> bool {
    if result.get("ok") == Some(&Value::Bool(true)) {
        return false;
    }
    let error = result.get("error");
    let code = error.and_then(|e| e.get("code")).and_then(Value::as_str);
    let status = error.and_then(|e| e.get("status")).and_then(Value::as_u64);
    !(matches!(code, Some("indicator" | "validation")) || matches!(status, Some(400 | 422)))
}

/// Whether a record of an earlier run is redone by `--retry-failed`: one of its results failed
/// in a way that may have passed (see [`result_may_have_passed`]).
pub(crate) fn may_have_passed(record: &Value) -> bool {
    record
        .get("results")
        .and_then(Value::as_array)
        .is_some_and(|results| results.iter().any(result_may_have_passed))
}

/// The (provider, profile) of each result of a record, in order.
pub(crate) type Sources<'a> = Vec<(&'a str, Option<&'a str>)>;

/// What `--resume` checks a record of an earlier run by: the input line as written, and the
/// (provider, profile) of each result; an error saying what it lacks otherwise.
pub(crate) fn record_key(record: &Value) -> Result<(&str, Sources<'_>), String> {
    let Some(input) = record.get("input").and_then(Value::as_str) else {
        return Err(
            if record.get("indicator").is_some() && record.get("results").is_none() {
                "is a record of an earlier version of threatbind (one provider, no \"input\" and \
             \"results\"): finish that run with that version, or start a new output"
                    .to_owned()
            } else {
                "is not a record of enrich: not this input's output, or damaged".to_owned()
            },
        );
    };
    let Some(results) = record.get("results").and_then(Value::as_array) else {
        return Err("is not a record of enrich: it has no \"results\"".to_owned());
    };
    let results = results
        .iter()
        .map(|r| {
            (
                r.get("provider").and_then(Value::as_str).unwrap_or(""),
                r.get("profile").and_then(Value::as_str),
            )
        })
        .collect();
    Ok((input, results))
}

/// One input line's record: its results, one per client in the clients' order.
pub(crate) struct Record {
    pub line: usize,
    pub written: String,
    pub normal: Normal,
    pub results: Vec<Arc<Looked>>,
}

impl Record {
    /// Whether every result is the vendor's answer.
    pub fn ok(&self) -> bool {
        self.results.iter().all(|r| r.outcome.is_ok())
    }

    /// The record as one line of JSON: `line`, `input` (as written), `indicator` (normalised),
    /// `type` (IP, DOMAIN, URL or null), `ok` (every result ok), `results` (per provider and
    /// profile: `provider`, `profile`, `time`, `ok`, and `answer` untouched or `error`).
    pub fn jsonl(&self, clients: &[Client]) -> String {
        let text = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        let mut out = format!(
            "{{\"line\":{},\"input\":{},\"indicator\":{},\"type\":{},\"ok\":{},\"results\":[",
            self.line,
            text(&self.written),
            text(&self.normal.indicator),
            self.normal
                .kind
                .map_or("null".to_owned(), |k| text(k.as_str())),
            self.ok()
        );
        for (i, (looked, client)) in self.results.iter().zip(clients).enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!(
                "{{\"provider\":{},\"profile\":{},\"time\":{},",
                text(client.provider.name()),
                client.profile.as_deref().map_or("null".to_owned(), text),
                text(&looked.time)
            ));
            match &looked.outcome {
                Ok(answer) => {
                    out.push_str("\"ok\":true,\"answer\":");
                    out.push_str(answer);
                }
                Err((status, code, detail)) => {
                    let error = json!({"status": status, "code": code, "detail": detail});
                    out.push_str(&format!("\"ok\":false,\"error\":{error}"));
                }
            }
            out.push('}');
        }
        out.push_str("]}");
        out
    }
}

/// The vendor's answer as one JSON value: compacted, every number and string as sent; an
/// answer that is not JSON is kept as a string rather than breaking the line.
fn answer_text(body: &[u8]) -> String {
    let body = json_text::compact(&String::from_utf8_lossy(body));
    if serde_json::from_str::<serde::de::IgnoredAny>(&body).is_ok() {
        body
    } else {
        serde_json::to_string(&body).unwrap_or_default()
    }
}

/// A refusal as a record's `status`, `code` and `detail` (secrets redacted).
fn refusal(e: &Error) -> Refusal {
    let redact = |t: &str| threatbind::secret::redact(t);
    match e {
        Error::Api {
            status,
            code,
            title,
            detail,
            ..
        } => (
            Some(*status),
            code.clone().unwrap_or_else(|| status.to_string()),
            redact(detail.as_deref().or(title.as_deref()).unwrap_or("")),
        ),
        other => (
            other.status(),
            "validation".into(),
            redact(&other.to_string()),
        ),
    }
}

/// Asks `client` about `normal` (input line `line`): what it said, or the failure of the
/// machinery that stops the run.
pub(crate) async fn ask(client: &Client, normal: &Normal, line: usize) -> Result<Looked, Error> {
    let outcome = match client.provider.document(normal) {
        Err(why) => Err((None, "indicator".to_owned(), format!("line {line}: {why}"))),
        Ok(doc) => match client.raw.send(client.provider.op, &doc).await {
            // A body that breaks its documented type is still the vendor's answer.
            Ok(answer) => Ok(answer_text(&answer.body)),
            Err(e) if about_the_indicator(&e) => Err(refusal(&e)),
            Err(e) => return Err(e),
        },
    };
    Ok(Looked::now(outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> Error {
        Error::Api {
            status,
            code: None,
            title: None,
            detail: None,
            request: String::new(),
        }
    }

    #[test]
    fn providers_are_unique_and_one_at_most_is_the_demos() {
        let names = provider_names();
        assert!(!names.is_empty());
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(unique, names, "a --provider value twice");
        let demos = providers().iter().filter(|(e, _)| e.demo).count();
        assert!(demos <= 1, "{demos} providers are the demo's");
        // Every action default is one of the values the flag takes.
        for (enrich, op) in providers() {
            if let Some(default) = enrich.action.as_ref().and_then(|a| a.default.as_ref()) {
                assert!(
                    actions(op).contains(default),
                    "{}: {default}",
                    enrich.provider
                );
            }
        }
    }

    #[test]
    fn the_request_is_written_where_x_enrich_says() {
        for (enrich, _) in providers() {
            let provider = Provider::new(&enrich.provider.to_ascii_uppercase(), None).unwrap();
            let document = provider.document(&normalise("8.8.8.8")).unwrap();
            let at = |path: &str| threatbind::raw::lookup(&document, path).cloned();
            assert_eq!(at(&enrich.indicator), Some(json!("8.8.8.8")));
            if let Some(path) = &enrich.type_path {
                assert_eq!(at(path), Some(json!("IP")));
            }
            if let Some(spec) = &enrich.action {
                assert_eq!(
                    at(&spec.path).as_ref(),
                    spec.default.as_ref().map(|d| json!(d)).as_ref()
                );
                let lower = actions(provider.op)[0].to_ascii_lowercase();
                let chosen = Provider::new(&enrich.provider, Some(&lower)).unwrap();
                assert_eq!(
                    chosen.action.as_deref(),
                    Some(actions(provider.op)[0].as_str())
                );
                assert!(Provider::new(&enrich.provider, Some("NO_SUCH_ACTION")).is_err());
            } else {
                let refused = Provider::new(&enrich.provider, Some("ANY")).err().unwrap();
                assert!(refused.to_string().contains("applies to"), "{refused}");
            }
            let not_detected = provider.document(&normalise("not an indicator"));
            assert_eq!(
                not_detected.is_err(),
                enrich.detected,
                "{}",
                enrich.provider
            );
        }
        assert!(Provider::new("no-such-provider", None).is_err());
    }

    #[test]
    fn only_the_vendors_word_on_the_indicator_is_a_record() {
        for status in [400, 404, 409, 410, 422] {
            assert!(about_the_indicator(&api(status)), "{status}");
        }
        for status in [401, 403, 407, 408, 429, 500, 502, 503] {
            assert!(!about_the_indicator(&api(status)), "{status}");
        }
        assert!(about_the_indicator(&Error::Validation(Vec::new())));
        for machinery in [
            Error::QuotaStore("cannot use the Redis server".into()),
            Error::Transport("connection refused".into()),
            Error::Auth("refused".into()),
            Error::RateLimited {
                attempts: 3,
                retry_after: None,
                request: String::new(),
            },
            Error::RetriesExhausted {
                attempts: 3,
                last: Box::new(api(503)),
            },
            Error::config("quota store", "gone"),
        ] {
            assert!(!about_the_indicator(&machinery), "{machinery}");
        }
    }

    #[test]
    fn retry_failed_redoes_a_record_with_a_result_that_may_have_passed() {
        let redo = |results: &str| {
            may_have_passed(
                &serde_json::from_str(&format!(
                    r#"{{"line":1,"input":"a","indicator":"a","type":null,"ok":false,"results":[{results}]}}"#
                ))
                .unwrap(),
            )
        };
        let answer = r#"{"provider":"p","profile":null,"time":"t","ok":true,"answer":{}}"#;
        let failed = |status: &str, code: &str| {
            format!(
                r#"{{"provider":"p","profile":null,"time":"t","ok":false,"error":{{"status":{status},"code":"{code}","detail":"x"}}}}"#
            )
        };
        assert!(!redo(answer));
        assert!(!redo(&failed("null", "indicator")));
        assert!(!redo(&failed("null", "validation")));
        assert!(!redo(&failed("400", "400")));
        assert!(!redo(&format!("{answer},{}", failed("422", "422"))));
        assert!(redo(&failed("404", "404")));
        assert!(redo(&format!("{answer},{}", failed("404", "404"))));
        assert!(redo(&failed("503", "retries_exhausted")));
        // A record of another shape is never redone blindly (resume refuses it first).
        assert!(!may_have_passed(
            &serde_json::from_str(r#"{"indicator":"a","ok":false,"error":{"status":404}}"#)
                .unwrap()
        ));
    }

    #[test]
    fn resume_reads_a_records_input_and_its_providers_and_profiles() {
        let record: Value = serde_json::from_str(
            r#"{"line":3,"input":"a[.]b","indicator":"a.b","results":[{"provider":"p","profile":"acme"},{"provider":"q","profile":null}]}"#,
        )
        .unwrap();
        assert_eq!(
            record_key(&record).unwrap(),
            ("a[.]b", vec![("p", Some("acme")), ("q", None)])
        );
        let old: Value =
            serde_json::from_str(r#"{"indicator":"a","ok":true,"result":{}}"#).unwrap();
        assert!(record_key(&old).unwrap_err().contains("earlier version"));
        assert!(record_key(&json!({"x": 1}))
            .unwrap_err()
            .contains("not a record"));
    }
}

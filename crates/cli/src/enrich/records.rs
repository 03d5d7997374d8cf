//! What one lookup of `enrich` sends, and what it comes to: a record (the vendor's answer, or a
//! refusal of that indicator), or a failure of the machinery, which is never a record.

use crate::json_text;
use serde_json::{json, Value};
use std::io::BufRead;
use threatbind::indicator::detect;
use threatbind::raw::RawClient;
use threatbind::spec::{Api, Operation};
use threatbind::Error;

/// The threat sources an indicator can be looked up in.
pub(crate) const PROVIDERS: [&str; 3] = [
    "log360-threat-analytics",
    "log360-virustotal",
    "datadog-ioc",
];

/// The `action` values of threat analytics, from its spec.
pub(crate) fn actions() -> Vec<String> {
    let Some(op) = Api::Log360Cloud.operation("searchThreatAnalytics") else {
        return Vec::new();
    };
    let doc = op.api.document();
    let body = op
        .raw
        .pointer("/requestBody/content/application~1json/schema")
        .map(|s| threatbind::spec::resolve(doc, s));
    let action = body
        .and_then(|b| b.pointer("/properties/action"))
        .map(|a| threatbind::spec::resolve(doc, a));
    action
        .and_then(|a| a.get("enum"))
        .and_then(Value::as_array)
        .map(|values| {
            values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// What one provider sends for an indicator.
pub(crate) struct Provider {
    pub api: Api,
    pub op: &'static Operation,
    pub name: &'static str,
    action: String,
}

impl Provider {
    pub fn new(name: &str, action: &str) -> Result<Self, Error> {
        let (name, api, id) = match name.to_ascii_lowercase().as_str() {
            "log360-threat-analytics" => (PROVIDERS[0], Api::Log360Cloud, "searchThreatAnalytics"),
            "log360-virustotal" => (PROVIDERS[1], Api::Log360Cloud, "searchVirusTotal"),
            _ => (PROVIDERS[2], Api::DatadogIoc, "getIndicatorOfCompromise"),
        };
        let op = api
            .operation(id)
            .ok_or_else(|| Error::config("--provider", format!("{id} is not in the spec")))?;
        Ok(Provider {
            api,
            op,
            name,
            action: action.trim().to_ascii_uppercase(),
        })
    }

    pub fn action(&self) -> &str {
        &self.action
    }

    /// The request document for `indicator`, or why there is none.
    fn document(&self, indicator: &str) -> Result<Value, String> {
        let kind = detect(indicator);
        match self.name {
            "log360-threat-analytics" => {
                let kind = kind.ok_or("not an IP address, a domain or a URL")?;
                Ok(json!({"body": {
                    "indicator": indicator,
                    "indicator_type": kind.as_str(),
                    "action": self.action,
                }}))
            }
            "log360-virustotal" => {
                kind.ok_or("not an IP address, a domain or a URL")?;
                Ok(json!({"body": {"indicator": indicator}}))
            }
            _ => Ok(json!({"query": {"indicator": indicator}})),
        }
    }
}

/// One input line: its text and where it was.
pub(crate) struct Input {
    pub line: usize,
    pub indicator: String,
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
            indicator: text.to_owned(),
        }));
    })
}

/// What a lookup came to.
pub(crate) enum Done {
    /// A record to write: `ok` when it holds the vendor's answer.
    Record { line: String, ok: bool },
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

/// Whether a failed record of an earlier run may come out otherwise now, and so is redone by
/// `--retry-failed`: every failed record except a refusal of the input itself (not an
/// indicator, against the spec's rules, or HTTP 400 or 422 from the vendor). A "not found"
/// (the vendor may know the indicator now) and the machinery failures that versions before
/// 0.2 wrote as records (transport, quota store, 429, 5xx, credentials) are redone.
pub(crate) fn may_have_passed(record: &Value) -> bool {
    if record.get("ok") == Some(&Value::Bool(true)) {
        return false;
    }
    let error = record.get("error");
    let code = error.and_then(|e| e.get("code")).and_then(Value::as_str);
    let status = error.and_then(|e| e.get("status")).and_then(Value::as_u64);
    !(matches!(code, Some("indicator" | "validation")) || matches!(status, Some(400 | 422)))
}

/// The record of one lookup, one line of JSON.
pub(crate) fn record(
    indicator: &str,
    outcome: Result<String, (Option<u16>, String, String)>,
) -> String {
    let name = serde_json::to_string(indicator).unwrap_or_else(|_| "\"\"".into());
    match outcome {
        Ok(body) => {
            let body = json_text::compact(&body);
            // An answer that is not JSON is kept as a string rather than breaking the line.
            let result = if serde_json::from_str::<serde::de::IgnoredAny>(&body).is_ok() {
                body
            } else {
                serde_json::to_string(&body).unwrap_or_default()
            };
            format!("{{\"indicator\":{name},\"ok\":true,\"result\":{result}}}")
        }
        Err((status, code, detail)) => {
            let error = json!({"status": status, "code": code, "detail": detail});
            format!("{{\"indicator\":{name},\"ok\":false,\"error\":{error}}}")
        }
    }
}

/// A refusal as a record's `status`, `code` and `detail` (secrets redacted).
fn refusal(e: &Error) -> (Option<u16>, String, String) {
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

/// Looks `input` up: a record, or the failure that stops the run.
pub(crate) async fn lookup(raw: &RawClient, provider: &Provider, input: Input) -> Done {
    let outcome = match provider.document(&input.indicator) {
        Err(why) => Err((
            None,
            "indicator".to_owned(),
            format!("line {}: {why}", input.line),
        )),
        Ok(doc) => match raw.send(provider.op, &doc).await {
            // A body that breaks its documented type is still the vendor's answer.
            Ok(answer) => Ok(String::from_utf8_lossy(&answer.body).into_owned()),
            Err(e) if about_the_indicator(&e) => Err(refusal(&e)),
            Err(e) => return Done::Stop(e),
        },
    };
    let ok = outcome.is_ok();
    Done::Record {
        line: record(&input.indicator, outcome),
        ok,
    }
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
    fn retry_failed_redoes_all_but_refusals_of_the_input() {
        let redo = |text: &str| may_have_passed(&serde_json::from_str(text).unwrap());
        assert!(!redo(r#"{"indicator":"a","ok":true,"result":{}}"#));
        assert!(!redo(
            r#"{"indicator":"a","ok":false,"error":{"status":null,"code":"indicator","detail":"line 3: not an IP address"}}"#
        ));
        assert!(!redo(
            r#"{"indicator":"a","ok":false,"error":{"status":null,"code":"validation","detail":"x"}}"#
        ));
        assert!(!redo(
            r#"{"indicator":"a","ok":false,"error":{"status":400,"code":"400","detail":"bad"}}"#
        ));
        assert!(redo(
            r#"{"indicator":"a","ok":false,"error":{"status":404,"code":"404","detail":"not found"}}"#
        ));
        // What versions before this one wrote for a failed quota store.
        assert!(redo(
            r#"{"indicator":"a","ok":false,"error":{"status":null,"code":"error","detail":"configuration: quota store: cannot use the Redis server"}}"#
        ));
        assert!(redo(
            r#"{"indicator":"a","ok":false,"error":{"status":503,"code":"retries_exhausted","detail":"x"}}"#
        ));
    }
}

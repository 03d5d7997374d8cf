//! A built HTTP request read back into the validator's document
//! (`{"header":..,"query":..,"path":..,"body":..}`), so that every request is checked on the send
//! path, whoever built it: a wrapper, the CLI, or the generated client used directly.

use super::{schema, Document, Operation};
use serde_json::Value;

/// The type an OpenAPI schema gives its value (`string` when it does not say).
fn kind<'a>(document: &'a Value, schema: &'a Value) -> &'a str {
    schema::resolve(document, schema)
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string")
}

/// A query or path text as the JSON value its schema declares: `"5000"` for an integer parameter
/// is the number 5000. Text that does not parse stays text, and the schema check reports it.
fn typed(document: &Value, schema: &Value, text: &str) -> Value {
    match kind(document, schema) {
        "integer" => text
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| text.parse::<u64>().map(Value::from))
            .unwrap_or_else(|_| text.into()),
        "number" => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| text.into()),
        "boolean" => match text {
            "true" => true.into(),
            "false" => false.into(),
            other => other.into(),
        },
        _ => text.into(),
    }
}

impl Operation {
    /// The validator's document of a request built for this operation.
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// let op = Api::Log360Cloud.operation("listDetectionRules").unwrap();
    /// let mut request = reqwest::Request::new(
    ///     reqwest::Method::GET,
    ///     "https://host/api/v2/detection/rules?limit=5000&is_new=true".parse().unwrap(),
    /// );
    /// request.headers_mut().insert("account_id", "18XXXXX4".parse().unwrap());
    /// let doc = op.request_document(&request);
    /// assert_eq!(doc["query"]["limit"], 5000);
    /// assert_eq!(doc["query"]["is_new"], true);
    /// let errors = op.validate_request(&doc, chrono::Utc::now()).unwrap_err();
    /// assert_eq!(errors[0].field(), "limit");
    /// ```
    pub fn request_document(&self, request: &reqwest::Request) -> Value {
        let document = self.api.document();
        let mut doc = Document::new();
        let url = request.url();
        let segments: Vec<String> = url
            .path_segments()
            .map(|s| {
                s.map(|seg| {
                    percent_encoding::percent_decode_str(seg)
                        .decode_utf8_lossy()
                        .into_owned()
                })
                .collect()
            })
            .unwrap_or_default();
        let template: Vec<&str> = self.path.trim_matches('/').split('/').collect();
        // The template is the tail of the URL's path (the server URL may carry a prefix).
        let offset = segments.len().saturating_sub(template.len());
        for parameter in schema::parameters(document, &self.raw) {
            let name = parameter.get("name").and_then(Value::as_str).unwrap_or("");
            let schema = parameter.get("schema").unwrap_or(&Value::Null);
            match parameter.get("in").and_then(Value::as_str) {
                Some("query") => {
                    let values: Vec<String> = url
                        .query_pairs()
                        .filter(|(k, _)| k == name)
                        .map(|(_, v)| v.into_owned())
                        .collect();
                    if values.is_empty() {
                        continue;
                    }
                    let value = if kind(document, schema) == "array" {
                        let items = schema::resolve(document, schema)
                            .get("items")
                            .unwrap_or(&Value::Null);
                        Value::Array(values.iter().map(|v| typed(document, items, v)).collect())
                    } else {
                        typed(document, schema, &values[0])
                    };
                    doc = doc.query(name, value);
                }
                Some("header") => {
                    if let Some(v) = request.headers().get(name) {
                        let text = String::from_utf8_lossy(v.as_bytes()).into_owned();
                        doc = doc.header(name, typed(document, schema, &text));
                    }
                }
                Some("path") => {
                    let placeholder = format!("{{{name}}}");
                    if let Some(i) = template.iter().position(|t| *t == placeholder) {
                        if let Some(value) = segments.get(offset + i) {
                            doc = doc.path(name, typed(document, schema, value));
                        }
                    }
                }
                _ => {}
            }
        }
        // Query names the operation does not declare are read back too (as text), so that the
        // validator sees, and refuses, a mistyped or unknown parameter instead of it being sent.
        let declared: Vec<String> = schema::parameters(document, &self.raw)
            .into_iter()
            .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
            .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect();
        for (name, value) in url.query_pairs() {
            if !declared.iter().any(|d| *d == name) {
                doc = doc.query(&name, Value::String(value.into_owned()));
            }
        }
        if let Some(bytes) = request.body().and_then(reqwest::Body::as_bytes) {
            if !bytes.is_empty() {
                let body = serde_json::from_slice(bytes)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()));
                doc = doc.body(body);
            }
        }
        doc.into_value()
    }
}

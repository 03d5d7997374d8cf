//! Answer bodies, from the spec: a response's `example` / `examples` (or its schema's), else a
//! body generated from its schema; the vendor's error shapes with the violation text put where
//! the vendor puts its human-readable text.

use serde_json::{json, Map, Value};
use threatbind::raw::lookup;
use threatbind::spec::model::{ErrorCode, ErrorCodes};
use threatbind::spec::{resolve, Operation, RuleKind, Violation};

/// A step of a path into a JSON value.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Sets the value at a dotted path, creating objects on the way (an empty path replaces all).
pub(crate) fn set_path(value: &mut Value, path: &str, new: Value) {
    let mut current = value;
    for key in path.split('.').filter(|k| !k.is_empty()) {
        if !current.is_object() {
            *current = Value::Object(Map::new());
        }
        let Value::Object(map) = current else { return };
        current = map.entry(key).or_insert(Value::Null);
    }
    *current = new;
}

fn at_steps<'a>(value: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    steps.iter().try_fold(value, |v, step| match step {
        Step::Key(k) => v.get_mut(k.as_str()),
        Step::Index(i) => v.get_mut(*i),
    })
}

/// The response documented under the key `status` (`"400"`), references followed.
fn response<'a>(op: &'a Operation, status: &str) -> Option<&'a Value> {
    let document = op.api.document();
    Some(resolve(document, op.raw.get("responses")?.get(status)?))
}

/// The documented examples of a response, in order: `example`, `examples` (references
/// followed), else the schema's `example`.
fn examples(document: &Value, response: &Value) -> Vec<Value> {
    let Some(media) = response.pointer("/content/application~1json") else {
        return Vec::new();
    };
    if let Some(example) = media.get("example") {
        return vec![example.clone()];
    }
    if let Some(Value::Object(list)) = media.get("examples") {
        let found: Vec<Value> = list
            .values()
            .filter_map(|e| resolve(document, e).get("value").cloned())
            .collect();
        if !found.is_empty() {
            return found;
        }
    }
    media
        .get("schema")
        .and_then(|s| resolve(document, s).get("example"))
        .map(|e| vec![e.clone()])
        .unwrap_or_default()
}

/// What a generated body says where the vendor puts a code, a title and a text.
struct Fill<'a> {
    status: u16,
    text: &'a str,
    /// Every property (error bodies, so the text has a place), or only the required ones.
    full: bool,
}

fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// A value for `schema` (references followed), as small as the schema allows.
fn generate(document: &Value, schema: &Value, key: &str, fill: &Fill, depth: usize) -> Value {
    if depth > 12 {
        return Value::Null;
    }
    let schema = resolve(document, schema);
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.iter().find(|v| !v.is_null()))
    {
        return first.clone();
    }
    if let Some(Value::Array(parts)) = schema.get("allOf") {
        let mut merged = Map::new();
        for part in parts {
            if let Value::Object(map) = generate(document, part, key, fill, depth + 1) {
                merged.extend(map);
            }
        }
        return Value::Object(merged);
    }
    for key_word in ["oneOf", "anyOf"] {
        if let Some(first) = schema
            .get(key_word)
            .and_then(Value::as_array)
            .and_then(|l| l.first())
        {
            return generate(document, first, key, fill, depth + 1);
        }
    }
    let kind = schema.get("type").and_then(Value::as_str).unwrap_or(
        if schema.get("properties").is_some() {
            "object"
        } else {
            ""
        },
    );
    match kind {
        "object" => {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut map = Map::new();
            if let Some(Value::Object(properties)) = schema.get("properties") {
                for (name, property) in properties {
                    if !fill.full && !required.contains(&name.as_str()) {
                        continue;
                    }
                    let value = generate(document, property, name, fill, depth + 1);
                    if !value.is_null() {
                        map.insert(name.clone(), value);
                    }
                }
            }
            Value::Object(map)
        }
        "array" => {
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let count = if fill.full { min.max(1) } else { min };
            let item = schema.get("items").unwrap_or(&Value::Null);
            let items: Vec<Value> = (0..count.min(16))
                .map(|_| generate(document, item, key, fill, depth + 1))
                .filter(|v| !v.is_null())
                .collect();
            Value::Array(items)
        }
        "string" => Value::String(string_for(schema, key, fill)),
        "integer" => json!(schema.get("minimum").and_then(Value::as_i64).unwrap_or(0)),
        "number" => schema.get("minimum").cloned().unwrap_or(json!(0)),
        "boolean" => Value::Bool(false),
        _ => Value::Null,
    }
}

/// A string for a property: the status for a code, its reason for a title, the text for a
/// detail or message, a value of the format; the first candidate the pattern accepts.
fn string_for(schema: &Value, key: &str, fill: &Fill) -> String {
    let screaming = reason(fill.status).to_ascii_uppercase().replace(' ', "_");
    let mut candidates: Vec<String> = match key {
        "code" => vec![screaming, fill.status.to_string()],
        "title" => vec![reason(fill.status).to_owned()],
        "error" => vec![fill.text.to_owned()],
        key if is_text_key(key) => vec![fill.text.to_owned()],
        _ => Vec::new(),
    };
    let format = match schema.get("format").and_then(Value::as_str) {
        Some("date-time") => Some("2026-01-01T00:00:00Z"),
        Some("date") => Some("2026-01-01"),
        Some("uuid") => Some("00000000-0000-4000-8000-000000000000"),
        Some("uri" | "url") => Some("https://example.com/"),
        Some("email") => Some("user@example.com"),
        Some("ipv4") => Some("192.0.2.1"),
        Some("ipv6") => Some("2001:db8::1"),
        _ => None,
    };
    candidates.extend(format.map(str::to_owned));
    candidates.extend(
        ["example", "0", "a", "A", "example.com"]
            .iter()
            .map(|s| s.to_string()),
    );
    candidates.push(fill.status.to_string());
    let pattern = schema
        .get("pattern")
        .and_then(Value::as_str)
        .and_then(|p| regress::Regex::new(p).ok());
    let mut chosen = candidates
        .into_iter()
        .find(|c| pattern.as_ref().is_none_or(|re| re.find(c).is_some()))
        .unwrap_or_default();
    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    while chosen.chars().count() < min {
        chosen.push('x');
    }
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
        chosen = chosen.chars().take(max as usize).collect();
    }
    chosen
}

/// The body documented for `status`: its first example, else one generated from its schema,
/// with the response's description as text. `Value::Null` for a response without a JSON body;
/// `None` when the status is not documented.
pub(crate) fn documented(op: &Operation, status: u16) -> Option<Value> {
    let document = op.api.document();
    let response = response(op, &status.to_string())?;
    if let Some(first) = examples(document, response).into_iter().next() {
        return Some(first);
    }
    let Some(schema) = response.pointer("/content/application~1json/schema") else {
        return Some(Value::Null);
    };
    let description = response
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .lines()
        .next()
        .unwrap_or("")
        .trim();
    let fill = Fill {
        status,
        text: description,
        full: true,
    };
    Some(generate(document, schema, "", &fill, 0))
}

/// The success answer: the lowest documented 2xx status and its first example (else a body
/// generated from its schema, required fields only).
pub(crate) fn success(op: &Operation) -> (u16, Value) {
    let document = op.api.document();
    let responses = op.raw.get("responses").and_then(Value::as_object);
    let status = responses
        .into_iter()
        .flat_map(|r| r.keys())
        .filter_map(|k| match k.as_str() {
            "2XX" | "2xx" => Some(200),
            k => k.parse::<u16>().ok().filter(|s| (200..300).contains(s)),
        })
        .min()
        .unwrap_or(200);
    let key = responses
        .and_then(|r| {
            [status.to_string(), "2XX".into(), "2xx".into()]
                .into_iter()
                .find(|k| r.contains_key(k))
        })
        .unwrap_or_default();
    let Some(response) = response(op, &key) else {
        return (status, json!({}));
    };
    if let Some(first) = examples(document, response).into_iter().next() {
        return (status, first);
    }
    let body = response
        .pointer("/content/application~1json/schema")
        .map(|schema| {
            let fill = Fill {
                status,
                text: "",
                full: false,
            };
            generate(document, schema, "", &fill, 0)
        })
        .unwrap_or(Value::Null);
    (status, body)
}

/// The item schema's example or a generated item (for a data set without an example item).
pub(crate) fn item_of_schema(document: &Value, schema: &Value) -> Value {
    let fill = Fill {
        status: 200,
        text: "",
        full: true,
    };
    generate(document, schema, "", &fill, 0)
}

/// The spec's `response_normalizes` rules: a value the server rewrites comes back rewritten.
pub(crate) fn normalize(op: &Operation, answer: &mut Value) {
    for rule in &op.rules {
        if let RuleKind::ResponseNormalizes {
            from,
            to,
            response_path,
            ..
        } = &rule.kind
        {
            if lookup(answer, response_path) == Some(from) {
                set_path(answer, response_path, to.clone());
            }
        }
    }
}

/// A small JSON body for answers no spec documents (unknown route, wrong method, faults).
pub(crate) fn small(status: u16, text: &str) -> Value {
    json!({"error": {"status": status, "title": reason(status), "detail": text}})
}

/// The error answers of one operation, prepared at start.
#[derive(Debug)]
pub(crate) struct Errors {
    op: &'static Operation,
    /// Missing credentials: the lowest of 401 and 403 the operation documents.
    pub auth: (u16, Value),
    /// The documented 400 examples (the first is the default).
    bad_request: Vec<Value>,
    /// `x-error-codes` of the spec, if any.
    codes: Option<&'static ErrorCodes>,
    /// The documented 404.
    pub not_found: Option<Value>,
    /// The documented 429 and the names of the headers it declares.
    pub too_many: Value,
    pub too_many_headers: Vec<String>,
}

impl Errors {
    pub fn of(op: &'static Operation) -> Self {
        let document = op.api.document();
        let auth = [401, 403]
            .into_iter()
            .find_map(|s| documented(op, s).map(|body| (s, body)))
            .unwrap_or_else(|| (401, small(401, "missing or malformed credentials")));
        // A 400 the operation does not document takes the shape of the API's other 400s.
        let bad_request = std::iter::once(op)
            .chain(op.api.operations())
            .find_map(|o| {
                let list = response(o, "400").map(|r| examples(document, r))?;
                if list.is_empty() {
                    documented(o, 400).map(|b| vec![b])
                } else {
                    Some(list)
                }
            })
            .unwrap_or_else(|| vec![small(400, "")]);
        let too_many = documented(op, 429).unwrap_or_else(|| small(429, "too many requests"));
        let too_many_headers = response(op, "429")
            .and_then(|r| r.get("headers"))
            .and_then(Value::as_object)
            .map(|h| h.keys().cloned().collect())
            .unwrap_or_default();
        Self {
            op,
            auth,
            bad_request,
            codes: op.api.error_codes(),
            not_found: documented(op, 404),
            too_many,
            too_many_headers,
        }
    }

    /// The 400 body for `violations`: the documented example whose vendor code names the
    /// field (by `x-error-codes`), else the first, with its human-readable text (the first
    /// `detail`, else `message`, else a key naming a text such as `ERROR_DESCRIPTION`, else
    /// `error`, else a string in a list) replaced by the violation texts (`field: rule:
    /// message`); a text in a list is repeated, one element per violation.
    ///
    /// A body with no place for a text (an open object nobody documents) gets a `message`,
    /// when the documented 400 schema accepts it.
    pub fn bad_request(&self, violations: &[Violation]) -> Value {
        let mut body = self.choose(violations.first()).clone();
        let texts: Vec<String> = violations.iter().map(ToString::to_string).collect();
        if !put_texts(&mut body, &texts) {
            if let Value::Object(map) = &mut body {
                let mut with_text = map.clone();
                with_text.insert("message".into(), Value::String(texts.join("; ")));
                let with_text = Value::Object(with_text);
                if self.op.validate_response(400, &with_text).is_ok() {
                    return with_text;
                }
            }
        }
        body
    }

    fn choose(&self, violation: Option<&Violation>) -> &Value {
        let first = &self.bad_request[0];
        let (Some(v), Some(codes)) = (violation, self.codes) else {
            return first;
        };
        // The `x-error-codes` entry of an example's vendor code.
        let entry = |example: &Value| -> Option<&'static ErrorCode> {
            let steps = find_key(example, "code")?;
            codes.codes.get(get_steps(example, &steps)?.as_str()?)
        };
        let candidates: Vec<&Value> = self
            .bad_request
            .iter()
            .filter(|example| entry(example).and_then(|e| e.field.as_deref()) == Some(v.field()))
            .collect();
        let wants_required = v.rule == "required";
        candidates
            .iter()
            .find(|example| {
                entry(example).is_some_and(|e| e.detail.contains("required")) == wants_required
            })
            .or(candidates.first())
            .copied()
            .unwrap_or(first)
    }
}

fn get_steps<'a>(value: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    steps.iter().try_fold(value, |v, step| match step {
        Step::Key(k) => v.get(k.as_str()),
        Step::Index(i) => v.get(*i),
    })
}

/// The steps to the first string at `key` (depth first).
fn find_key(value: &Value, key: &str) -> Option<Vec<Step>> {
    find_key_by(value, &|k| k == key)
}

/// The steps to the first string under a key `accept` takes (depth first).
fn find_key_by(value: &Value, accept: &dyn Fn(&str) -> bool) -> Option<Vec<Step>> {
    match value {
        Value::Object(map) => {
            if let Some((k, _)) = map.iter().find(|(k, v)| v.is_string() && accept(k)) {
                return Some(vec![Step::Key(k.clone())]);
            }
            map.iter().find_map(|(k, v)| {
                let mut steps = find_key_by(v, accept)?;
                steps.insert(0, Step::Key(k.clone()));
                Some(steps)
            })
        }
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
            let mut steps = find_key_by(v, accept)?;
            steps.insert(0, Step::Index(i));
            Some(steps)
        }),
        _ => None,
    }
}

/// Whether a key names a human-readable text (`detail`, `message`, `ERROR_DESCRIPTION`, ...).
fn is_text_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["detail", "message", "description"]
        .iter()
        .any(|word| key.contains(word))
}

/// The steps to the first string inside a list.
fn find_listed_string(value: &Value) -> Option<Vec<Step>> {
    match value {
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let mut steps = find_listed_string(v)?;
            steps.insert(0, Step::Key(k.clone()));
            Some(steps)
        }),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
            let mut steps = if v.is_string() {
                Vec::new()
            } else {
                find_listed_string(v)?
            };
            steps.insert(0, Step::Index(i));
            Some(steps)
        }),
        _ => None,
    }
}

/// Puts `texts` where the body's human-readable text is (the first `detail`, else `message`,
/// else a key naming a text, else `error`, else a string in a list); `false` when it has none.
fn put_texts(body: &mut Value, texts: &[String]) -> bool {
    let slot = ["detail", "message"]
        .iter()
        .find_map(|k| find_key(body, k))
        .or_else(|| find_key_by(body, &is_text_key))
        .or_else(|| find_key(body, "error"))
        .or_else(|| find_listed_string(body));
    let Some(slot) = slot else {
        return false;
    };
    // The nearest list on the way: one element per text.
    if let Some(i) = slot.iter().rposition(|s| matches!(s, Step::Index(_))) {
        let Step::Index(element) = slot[i] else {
            return false;
        };
        let rest = &slot[i + 1..];
        if let Some(Value::Array(list)) = at_steps(body, &slot[..i]) {
            let Some(template) = list.get(element).cloned() else {
                return false;
            };
            *list = texts
                .iter()
                .map(|t| {
                    let mut item = template.clone();
                    if let Some(target) = at_steps(&mut item, rest) {
                        *target = Value::String(t.clone());
                    }
                    item
                })
                .collect();
        }
        return true;
    }
    if let Some(target) = at_steps(body, &slot) {
        *target = Value::String(texts.join("; "));
    }
    true
}

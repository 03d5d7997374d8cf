//! Fixture scaffolds (`threatbind spec fixtures --scaffold OPERATION_ID`): the files a new
//! operation's contract tests read (`tests/fixtures/<api>/<operationId>/`, named as
//! `specs/README.md` says), written from the spec for a maintainer to fill in:
//!
//! - `request.example.json`: a request the operation accepts, from the spec's examples (each
//!   required parameter's example, default or first value; the request body's example);
//! - `response.<status>.example.json`: one answer per documented status with a JSON schema,
//!   from its example, or a skeleton of its schema when it has none;
//! - `invalid-request.<field>.<keyword>.json`: that request with one value that breaks one
//!   `minimum`, `maximum`, `minLength`, `maxLength`, `maxItems`, `enum` or `type` of a
//!   parameter or body field, with the `expect` (pointer and rule) the contract tests check;
//! - `invalid-request.x-rules.<rule id>.json`: the same for each `x-rules` entry.
//!
//! Existing files are never overwritten ([`write()`] says which it skipped).
//!
//! ```
//! use threatbind::spec::Api;
//! use threatbind_spec_tools::fixtures::{scaffold, Target};
//! let op = Api::DatadogIoc.operation("getIndicatorOfCompromise").unwrap();
//! let files = scaffold(&Target::of(op)).files;
//! assert_eq!(files[0].name, "request.example.json");
//! let empty = files
//!     .iter()
//!     .find(|f| f.name == "invalid-request.query-indicator.minLength.json")
//!     .unwrap();
//! assert_eq!(empty.value["expect"]["rule"], "minLength");
//! assert_eq!(empty.value["document"]["query"]["indicator"], "");
//! ```

use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use threatbind::spec::{resolve, Operation, Rule, RuleKind};

/// How deep a body's schema is walked for fields, and how deep a skeleton is built.
const MAX_DEPTH: usize = 8;

/// The longest string or list an invalid file is written with (a `maxLength` or `maxItems`
/// above it gets no file: the note says so).
const MAX_LENGTH: u64 = 10_000;

/// The operation to scaffold: where it is in its spec, and its `x-rules` as the model reads
/// them.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    /// The operationId.
    pub id: &'a str,
    /// The whole spec, as JSON (for `$ref`s).
    pub document: &'a Value,
    /// The operation object.
    pub operation: &'a Value,
    /// Its `x-rules`.
    pub rules: &'a [Rule],
}

impl Target<'static> {
    /// An operation of a spec compiled into the library.
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// let op = Api::NameshieldCti.operation("listThreatEvents").unwrap();
    /// assert_eq!(threatbind_spec_tools::fixtures::Target::of(op).id, "listThreatEvents");
    /// ```
    pub fn of(op: &'static Operation) -> Self {
        Target {
            id: &op.id,
            document: op.api.document(),
            operation: &op.raw,
            rules: &op.rules,
        }
    }
}

/// One file of a scaffold.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    /// The file name (`request.example.json`).
    pub name: String,
    /// Its JSON: the document itself, or `{"expect": {...}, "document": ...}` for an invalid one.
    pub value: Value,
}

impl File {
    /// The text written: pretty JSON and a final newline, as the fixtures are.
    pub fn text(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.value).unwrap_or_default();
        text.push('\n');
        text
    }

    /// For an invalid file: the pointer and the rule the validator must report.
    pub fn expect(&self) -> Option<(&str, &str)> {
        let expect = self.value.get("expect")?;
        Some((expect.get("path")?.as_str()?, expect.get("rule")?.as_str()?))
    }
}

/// What [`scaffold`] makes: the files, and what it could not make (said to the maintainer).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scaffold {
    /// The files, the valid request first.
    pub files: Vec<File>,
    /// One sentence per thing left out (a status without a JSON schema, a bound too large).
    pub notes: Vec<String>,
}

/// The request, answers and invalid requests of `target`.
pub fn scaffold(target: &Target<'_>) -> Scaffold {
    let mut out = Scaffold::default();
    let request = valid_request(target);
    out.files.push(File {
        name: "request.example.json".into(),
        value: request.clone(),
    });
    responses(target, &mut out);
    for field in fields(target) {
        invalid_field(&request, &field, &mut out);
    }
    for rule in target.rules {
        match break_rule(target, &request, rule) {
            Some((document, path)) => out.files.push(File {
                name: format!("invalid-request.x-rules.{}.json", slug(&rule.id)),
                value: json!({
                    "expect": {"path": pointer(&path), "rule": format!("x-rules:{}", rule.id)},
                    "document": document,
                }),
            }),
            None if matches!(rule.kind, RuleKind::ResponseNormalizes { .. }) => {}
            None => out.notes.push(format!(
                "x-rules {}: no invalid request made for this kind of rule; write it by hand",
                rule.id
            )),
        }
    }
    out
}

/// One answer per documented status with a JSON body: its example, else a skeleton of its
/// schema.
fn responses(target: &Target<'_>, out: &mut Scaffold) {
    let list = target.operation.get("responses").and_then(Value::as_object);
    for (status, response) in list.into_iter().flatten() {
        let numeric = status.len() == 3 && status.bytes().all(|b| b.is_ascii_digit());
        if !numeric {
            if !status.starts_with("x-") {
                out.notes.push(format!(
                    "responses {status}: a fixture names one status; write response.<status>.<name>.json by hand"
                ));
            }
            continue;
        }
        let response = resolve(target.document, response);
        let Some(media) = response.pointer("/content/application~1json") else {
            out.notes.push(format!(
                "responses {status}: no application/json body; no answer file made"
            ));
            continue;
        };
        let value = example_of(target.document, media).unwrap_or_else(|| {
            sample(
                target.document,
                media.get("schema").unwrap_or(&Value::Null),
                0,
            )
        });
        out.files.push(File {
            name: format!("response.{status}.example.json"),
            value,
        });
    }
}

/// What [`write()`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// The files created.
    pub written: Vec<PathBuf>,
    /// The files that existed and were left as they were.
    pub skipped: Vec<PathBuf>,
}

/// Writes the files of `scaffold` into `dir` (created if needed), never over an existing file.
///
/// ```
/// use threatbind_spec_tools::fixtures::{write, File, Scaffold};
/// let dir = std::env::temp_dir().join(format!("scaffold-doc-{}", std::process::id()));
/// let scaffold = Scaffold {
///     files: vec![File { name: "request.example.json".into(), value: serde_json::json!({}) }],
///     notes: vec![],
/// };
/// assert_eq!(write(&dir, &scaffold).unwrap().written.len(), 1);
/// assert_eq!(write(&dir, &scaffold).unwrap().skipped.len(), 1);
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn write(dir: &Path, scaffold: &Scaffold) -> std::io::Result<Written> {
    std::fs::create_dir_all(dir)?;
    let mut done = Written::default();
    for file in &scaffold.files {
        let path = dir.join(&file.name);
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path);
        match created {
            Ok(mut handle) => {
                std::io::Write::write_all(&mut handle, file.text().as_bytes())?;
                done.written.push(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => done.skipped.push(path),
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// The JSON pointer of a dotted request path (`query.limit` → `/query/limit`).
fn pointer(path: &str) -> String {
    path.split('.').fold(String::new(), |at, key| {
        threatbind::spec::pointer_child(&at, key)
    })
}

/// A file-name part: letters, digits and `-` (`sort[column]` → `sort-column`).
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// The operation's parameters, `$ref`s followed.
fn parameters<'a>(target: &Target<'a>) -> Vec<&'a Value> {
    target
        .operation
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| resolve(target.document, p))
        .collect()
}

/// The JSON request body's media type object, if any.
fn body_media<'a>(target: &Target<'a>) -> Option<&'a Value> {
    let body = resolve(target.document, target.operation.get("requestBody")?);
    body.pointer("/content/application~1json")
}

/// The first example of an object with `example` or `examples` (a media type, a parameter).
fn example_of(document: &Value, object: &Value) -> Option<Value> {
    if let Some(v) = object.get("example") {
        return Some(v.clone());
    }
    let examples = object.get("examples")?.as_object()?;
    let first = resolve(document, examples.values().next()?);
    first.get("value").cloned()
}

/// A value `schema` accepts, for a skeleton: its example, default or first enum value, else
/// the simplest value of its type (an object with its required properties).
fn sample(document: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(document, schema);
    for key in ["example", "default"] {
        if let Some(v) = schema.get(key) {
            return v.clone();
        }
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    if depth >= MAX_DEPTH {
        return Value::Null;
    }
    if let Some(first) = ["allOf", "oneOf", "anyOf"]
        .iter()
        .find_map(|k| schema.get(*k)?.as_array()?.first())
    {
        return sample(document, first, depth + 1);
    }
    let number = |key: &str| schema.get(key).and_then(Value::as_f64);
    match schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("object")
    {
        "string" => {
            let text = match schema.get("format").and_then(Value::as_str) {
                Some("date-time") => "2026-01-01T00:00:00Z".to_owned(),
                Some("date") => "2026-01-01".to_owned(),
                Some("uuid") => "00000000-0000-4000-8000-000000000000".to_owned(),
                Some("ipv4") => "192.0.2.1".to_owned(),
                Some("uri" | "url") => "https://example.com/".to_owned(),
                Some("email") => "someone@example.com".to_owned(),
                _ => {
                    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(1);
                    "x".repeat(usize::try_from(min.clamp(1, 64)).unwrap_or(1))
                }
            };
            Value::from(text)
        }
        "integer" => Value::from(number("minimum").map_or(1, |m| m.ceil() as i64)),
        "number" => json!(number("minimum").unwrap_or(1.0)),
        "boolean" => Value::Bool(false),
        "array" => {
            let count = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let item = schema.get("items").unwrap_or(&Value::Null);
            let count = usize::try_from(count.min(16)).unwrap_or(0);
            Value::Array(vec![sample(document, item, depth + 1); count])
        }
        _ => {
            let mut map = Map::new();
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let properties = schema.get("properties").and_then(Value::as_object);
            for (name, property) in properties.into_iter().flatten() {
                if required.contains(&name.as_str()) {
                    map.insert(name.clone(), sample(document, property, depth + 1));
                }
            }
            Value::Object(map)
        }
    }
}

/// The value at a dotted path of a request document.
fn get<'v>(document: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(document, |at, key| at.get(key))
        .filter(|v| !v.is_null())
}

/// Sets the value at a dotted path, making the objects on the way.
fn set(document: &mut Value, path: &str, value: Value) {
    let mut at = document;
    let mut keys = path.split('.').peekable();
    while let Some(key) = keys.next() {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        let Value::Object(map) = at else {
            return;
        };
        if keys.peek().is_none() {
            map.insert(key.to_owned(), value);
            return;
        }
        at = map
            .entry(key.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// Removes the value at a dotted path (and the objects it leaves empty).
fn remove(document: &mut Value, path: &str) {
    let Some((parent, key)) = path.rsplit_once('.') else {
        if let Value::Object(map) = document {
            map.remove(path);
        }
        return;
    };
    let mut at = &mut *document;
    for segment in parent.split('.') {
        match at.get_mut(segment) {
            Some(next) => at = next,
            None => return,
        }
    }
    if let Value::Object(map) = at {
        map.remove(key);
    }
    if get(document, parent).is_some_and(|v| v.as_object().is_some_and(Map::is_empty)) {
        remove(document, parent);
    }
}

/// The schema at a dotted request path (`query.limit`, `body.filter.section`), if the spec
/// has one.
fn schema_of(target: &Target<'_>, path: &str) -> Option<Value> {
    threatbind::spec::schema_at(target.document, target.operation, path)
}

/// The request the operation accepts: each required parameter's example (or its schema's
/// example, default, first value), the body's example, then what the unconditional `x-rules`
/// require (one of each `exactly_one`, each `require`).
fn valid_request(target: &Target<'_>) -> Value {
    let mut document = Value::Object(Map::new());
    for parameter in parameters(target) {
        let (Some(name), Some(location)) = (
            parameter.get("name").and_then(Value::as_str),
            parameter.get("in").and_then(Value::as_str),
        ) else {
            continue;
        };
        if parameter.get("required").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let value = example_of(target.document, parameter).unwrap_or_else(|| {
            sample(
                target.document,
                parameter.get("schema").unwrap_or(&Value::Null),
                0,
            )
        });
        if let Value::Object(map) = &mut document {
            let part = map
                .entry(location.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(part) = part {
                part.insert(name.to_owned(), value);
            }
        }
    }
    if let Some(media) = body_media(target) {
        let body = example_of(target.document, media).unwrap_or_else(|| {
            sample(
                target.document,
                media.get("schema").unwrap_or(&Value::Null),
                0,
            )
        });
        set(&mut document, "body", body);
    }
    for rule in target.rules.iter().filter(|r| r.when.is_empty()) {
        match &rule.kind {
            RuleKind::Require { paths } => {
                for path in paths {
                    fill(target, &mut document, path);
                }
            }
            RuleKind::ExactlyOne { paths } => {
                let present: Vec<&String> = paths
                    .iter()
                    .filter(|p| get(&document, p).is_some())
                    .collect();
                if present.is_empty() {
                    if let Some(first) = paths.first() {
                        fill(target, &mut document, first);
                    }
                } else {
                    for extra in present.iter().skip(1) {
                        remove(&mut document, extra);
                    }
                }
            }
            _ => {}
        }
    }
    document
}

/// A value the spec gives for a dotted request path: its parameter's example, else a sample
/// of its schema.
fn example_at(target: &Target<'_>, path: &str) -> Option<Value> {
    if let Some((location, name)) = path.split_once('.') {
        let parameter = parameters(target).into_iter().find(|p| {
            p.get("in").and_then(Value::as_str) == Some(location)
                && p.get("name").and_then(Value::as_str) == Some(name)
        });
        if let Some(example) = parameter.and_then(|p| example_of(target.document, p)) {
            return Some(example);
        }
    }
    let schema = schema_of(target, path)?;
    Some(sample(target.document, &schema, 0))
}

/// Sets `path` to a sample of its schema if it is absent.
fn fill(target: &Target<'_>, document: &mut Value, path: &str) {
    if get(document, path).is_some() {
        return;
    }
    if let Some(value) = example_at(target, path) {
        set(document, path, value);
    }
}

/// A field of the request whose schema has keywords to break.
struct Field {
    /// Dotted request path (`query.limit`).
    path: String,
    /// Its schema, `$ref` followed.
    schema: Value,
}

/// Every parameter, and every property of the JSON body (nested objects too, to
/// [`MAX_DEPTH`]).
fn fields(target: &Target<'_>) -> Vec<Field> {
    let mut out = Vec::new();
    for parameter in parameters(target) {
        let (Some(name), Some(location), Some(schema)) = (
            parameter.get("name").and_then(Value::as_str),
            parameter.get("in").and_then(Value::as_str),
            parameter.get("schema"),
        ) else {
            continue;
        };
        if name.contains('.') {
            continue; // a dotted path cannot name it
        }
        out.push(Field {
            path: format!("{location}.{name}"),
            schema: resolve(target.document, schema).clone(),
        });
    }
    if let Some(schema) = body_media(target).and_then(|m| m.get("schema")) {
        body_fields(target.document, schema, "body", 0, &mut out);
    }
    out
}

fn body_fields(document: &Value, schema: &Value, path: &str, depth: usize, out: &mut Vec<Field>) {
    let schema = resolve(document, schema);
    if depth > MAX_DEPTH {
        return;
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    for (name, property) in properties.into_iter().flatten() {
        if name.contains('.') {
            continue;
        }
        let here = format!("{path}.{name}");
        let property = resolve(document, property);
        if property.get("readOnly").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        out.push(Field {
            path: here.clone(),
            schema: property.clone(),
        });
        body_fields(document, property, &here, depth + 1, out);
    }
}

/// A value of another JSON type than `schema`'s `type`.
fn other_type(kind: &str) -> Value {
    match kind {
        "string" => json!(12345),
        "integer" | "number" => json!("not-a-number"),
        "boolean" => json!("yes"),
        _ => json!("not-an-object-or-list"),
    }
}

/// The invalid requests of one field: one per keyword it has.
fn invalid_field(request: &Value, field: &Field, out: &mut Scaffold) {
    let schema = &field.schema;
    let number = |key: &str| schema.get(key).and_then(Value::as_f64);
    let count = |key: &str| schema.get(key).and_then(Value::as_u64);
    let flag = |key: &str| schema.get(key).and_then(Value::as_bool) == Some(true);
    let integer = schema.get("type").and_then(Value::as_str) == Some("integer");
    let as_number = |n: f64| {
        if integer && n.fract() == 0.0 && n.abs() < 9.0e15 {
            json!(n as i64)
        } else {
            json!(n)
        }
    };
    let mut broken: Vec<(&str, Value)> = Vec::new();
    if let Some(m) = number("minimum") {
        broken.push((
            "minimum",
            as_number(if flag("exclusiveMinimum") { m } else { m - 1.0 }),
        ));
    }
    if let Some(m) = number("maximum") {
        broken.push((
            "maximum",
            as_number(if flag("exclusiveMaximum") { m } else { m + 1.0 }),
        ));
    }
    if let Some(n) = count("minLength").filter(|n| *n > 0 && *n <= MAX_LENGTH) {
        broken.push(("minLength", json!("x".repeat(n as usize - 1))));
    }
    match count("maxLength") {
        Some(n) if n < MAX_LENGTH => broken.push(("maxLength", json!("x".repeat(n as usize + 1)))),
        Some(n) => out.notes.push(format!(
            "{}: maxLength {n} is too long for a fixture; no invalid request made",
            field.path
        )),
        None => {}
    }
    match count("maxItems") {
        Some(n) if n < MAX_LENGTH => {
            let item = get(request, &field.path)
                .and_then(|v| v.as_array()?.first().cloned())
                .or_else(|| schema.get("items").map(|i| sample(&Value::Null, i, 0)))
                .unwrap_or(json!("x"));
            broken.push(("maxItems", Value::Array(vec![item; n as usize + 1])));
        }
        Some(n) => out.notes.push(format!(
            "{}: maxItems {n} is too many for a fixture; no invalid request made",
            field.path
        )),
        None => {}
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let outside = match values.first() {
            Some(Value::Number(_)) => {
                let max = values
                    .iter()
                    .filter_map(Value::as_f64)
                    .fold(f64::MIN, f64::max);
                as_number(max + 1.0)
            }
            _ => {
                let mut candidate = "not-one-of-the-values".to_owned();
                while values.iter().any(|v| v.as_str() == Some(&candidate)) {
                    candidate.push('x');
                }
                json!(candidate)
            }
        };
        broken.push(("enum", outside));
    }
    if let Some(kind) = schema.get("type").and_then(Value::as_str) {
        broken.push(("type", other_type(kind)));
    }
    for (keyword, value) in broken {
        let mut document = request.clone();
        set(&mut document, &field.path, value);
        out.files.push(File {
            name: format!("invalid-request.{}.{keyword}.json", slug(&field.path)),
            value: json!({
                "expect": {"path": pointer(&field.path), "rule": keyword},
                "document": document,
            }),
        });
    }
}

/// A value of `path`'s schema other than every one of `values` (for `allowed_values`).
fn outside_of(target: &Target<'_>, path: &str, values: &[Value]) -> Option<Value> {
    let schema = schema_of(target, path)?;
    if let Some(listed) = schema.get("enum").and_then(Value::as_array) {
        return listed.iter().find(|v| !values.contains(v)).cloned();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("integer" | "number") => {
            let max = values.iter().filter_map(Value::as_i64).max().unwrap_or(0);
            Some(json!(max.saturating_add(1)))
        }
        Some("boolean") => [json!(true), json!(false)]
            .into_iter()
            .find(|v| !values.contains(v)),
        _ => {
            let mut candidate = "not-allowed-here".to_owned();
            while values.iter().any(|v| v.as_str() == Some(&candidate)) {
                candidate.push('x');
            }
            Some(json!(candidate))
        }
    }
}

/// `instant` written in the form of `like` (RFC 3339, `yyyy-MM-dd HH:mm:ss` or a date).
fn instant_like(like: Option<&str>, instant: chrono::DateTime<chrono::Utc>) -> String {
    let form = match like {
        Some(t) if t.len() == 10 => "%Y-%m-%d",
        Some(t) if t.contains(' ') => "%Y-%m-%d %H:%M:%S",
        Some(t) if t.contains('.') => "%Y-%m-%dT%H:%M:%S%.3fZ",
        _ => "%Y-%m-%dT%H:%M:%SZ",
    };
    instant.format(form).to_string()
}

/// The valid request changed so it breaks `rule` (its `when` made to hold), and the path the
/// validator names; none for a rule of a kind that checks no request.
fn break_rule(target: &Target<'_>, request: &Value, rule: &Rule) -> Option<(Value, String)> {
    let mut document = request.clone();
    for (path, values) in &rule.when {
        let value = match values {
            threatbind::spec::OneOrMany::One(v) => v.clone(),
            threatbind::spec::OneOrMany::Many(list) => list.first()?.clone(),
        };
        set(&mut document, path, value);
    }
    let text = |document: &Value, path: &str| get(document, path)?.as_str().map(str::to_owned);
    let at = match &rule.kind {
        RuleKind::Require { paths } => {
            let first = paths.first()?;
            remove(&mut document, first);
            first.clone()
        }
        RuleKind::Forbid { paths } => {
            let first = paths.first()?;
            fill(target, &mut document, first);
            if get(&document, first).is_none() {
                // A field the schema does not describe: any value is one too many.
                set(&mut document, first, json!("x"));
            }
            first.clone()
        }
        RuleKind::ExactlyOne { paths } => {
            for path in paths {
                remove(&mut document, path);
            }
            paths.first()?.clone()
        }
        RuleKind::AllowedValues { path, values } => {
            set(&mut document, path, outside_of(target, path, values)?);
            path.clone()
        }
        RuleKind::MaxListItems {
            path,
            separator,
            max,
        } => {
            let item = text(&document, path)
                .and_then(|t| {
                    t.split(separator.as_str())
                        .map(str::trim)
                        .find(|i| !i.is_empty())
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| "x".to_owned());
            if separator.is_empty() || *max as u64 >= MAX_LENGTH {
                return None;
            }
            let list = vec![item; max + 1].join(separator);
            set(&mut document, path, json!(list));
            path.clone()
        }
        RuleKind::DatetimeNotBefore {
            path,
            bound,
            now_minus,
        } => {
            let like = text(&document, path);
            let before = match (bound, now_minus) {
                (Some(b), _) => threatbind::spec::parse_instant(b)? - chrono::TimeDelta::days(1),
                (None, Some(_)) => threatbind::spec::parse_instant("2000-01-01")?,
                (None, None) => return None,
            };
            set(
                &mut document,
                path,
                json!(instant_like(like.as_deref(), before)),
            );
            path.clone()
        }
        RuleKind::DatetimeSpan { start, end, .. } => {
            // The form the spec writes the start in (its value, else its schema's example).
            let like = text(&document, start).or_else(|| {
                example_at(target, start)
                    .as_ref()
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
            let begins = text(&document, start)
                .as_deref()
                .and_then(threatbind::spec::parse_instant)
                .or_else(|| threatbind::spec::parse_instant("2026-01-02"))?;
            set(
                &mut document,
                start,
                json!(instant_like(like.as_deref(), begins)),
            );
            let ends = begins - chrono::TimeDelta::days(1);
            set(
                &mut document,
                end,
                json!(instant_like(like.as_deref(), ends)),
            );
            end.clone()
        }
        RuleKind::IndicatorType { value, type_path } => {
            let stated = text(&document, type_path).or_else(|| {
                schema_of(target, type_path)
                    .map(|s| sample(target.document, &s, 0))
                    .and_then(|v| v.as_str().map(str::to_owned))
            })?;
            set(&mut document, type_path, json!(stated));
            let kind = threatbind::indicator::IndicatorKind::from_name(&stated)?;
            let other = ["192.0.2.1", "example.com", "https://example.com/a"]
                .into_iter()
                .find(|candidate| threatbind::indicator::detect(candidate) != Some(kind))?;
            set(&mut document, value, json!(other));
            value.clone()
        }
        RuleKind::ResponseNormalizes { .. } => return None,
    };
    Some((document, at))
}

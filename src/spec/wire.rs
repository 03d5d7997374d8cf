//! A built HTTP request read back into the validator's document
//! (`{"header":..,"query":..,"path":..,"body":..}`), so that every request is checked on the send
//! path, whoever built it: a wrapper, the CLI, or the generated client used directly.

use super::{schema, Operation};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The type an OpenAPI schema gives a scalar value (`string` when it does not say, or says
/// something a query, path or header text is not read as).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Integer,
    Number,
    Boolean,
    Text,
}

impl Kind {
    /// The kind of `schema` (its `$ref` followed) and, for an `array`, the kind of its items.
    fn of(document: &Value, schema: &Value) -> (Self, Option<Self>) {
        let resolved = schema::resolve(document, schema);
        fn named(schema: &Value) -> &str {
            schema
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("string")
        }
        let scalar = |name: &str| match name {
            "integer" => Kind::Integer,
            "number" => Kind::Number,
            "boolean" => Kind::Boolean,
            _ => Kind::Text,
        };
        let name = named(resolved);
        let items = (name == "array").then(|| {
            let items = resolved.get("items").unwrap_or(&Value::Null);
            scalar(named(schema::resolve(document, items)))
        });
        (scalar(name), items)
    }

    /// A query, path or header text as the JSON value of this kind: `"5000"` for an integer
    /// parameter is the number 5000. Text that does not parse stays text, and the schema check
    /// reports it.
    fn typed(self, text: &str) -> Value {
        match self {
            Kind::Integer => text
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| text.parse::<u64>().map(Value::from))
                .unwrap_or_else(|_| text.into()),
            Kind::Number => text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .unwrap_or_else(|| text.into()),
            Kind::Boolean => match text {
                "true" => true.into(),
                "false" => false.into(),
                other => other.into(),
            },
            Kind::Text => text.into(),
        }
    }
}

/// Where a parameter travels (`in`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Query,
    Header,
    Path,
    /// `cookie`, or no `in` at all: not read from a request.
    Other,
}

/// One declared parameter, as the send path reads it: computed once per operation, so that
/// reading a request back walks no schema.
#[derive(Debug)]
pub(crate) struct Parameter {
    /// `name` (`None` when the spec gives none).
    name: Option<String>,
    /// `in`, as written (`None` when not a string).
    location: Option<String>,
    place: Place,
    /// The kind of its schema (`Text` for an array read whole, as a header or path is).
    kind: Kind,
    /// For an `array` schema, the kind of its items (a query parameter repeats).
    items: Option<Kind>,
    /// For a path parameter, the index of its `{name}` segment in the path template.
    segment: Option<usize>,
    /// For a required parameter the client fills from its configuration (`x-env`), the
    /// variable's name.
    variable: Option<String>,
}

/// The parameters of an operation, in the order the spec lists them, with what reading a
/// request back needs of its path template.
#[derive(Debug)]
pub(crate) struct Parameters {
    list: Vec<Parameter>,
    /// Segments of the path template (`/a/{id}` has 2).
    template_len: usize,
}

impl Parameters {
    fn new(op: &Operation) -> Self {
        let document = op.api.document();
        let filled = &op.api.env().parameters;
        let template: Vec<&str> = op.path.trim_matches('/').split('/').collect();
        let list = schema::parameters(document, &op.raw)
            .into_iter()
            .map(|p| {
                let name = p.get("name").and_then(Value::as_str).map(str::to_owned);
                let location = p.get("in").and_then(Value::as_str).map(str::to_owned);
                let place = match location.as_deref() {
                    Some("query") => Place::Query,
                    Some("header") => Place::Header,
                    Some("path") => Place::Path,
                    _ => Place::Other,
                };
                let (kind, items) = Kind::of(document, p.get("schema").unwrap_or(&Value::Null));
                let placeholder = format!("{{{}}}", name.as_deref().unwrap_or(""));
                let segment = (place == Place::Path)
                    .then(|| template.iter().position(|t| *t == placeholder))
                    .flatten();
                let required = p.get("required").and_then(Value::as_bool) == Some(true);
                let variable = match (required, &name, &location) {
                    (true, Some(name), Some(location)) => filled
                        .iter()
                        .find(|f| f.name == *name && f.place == *location)
                        .map(|f| f.variable.name.clone()),
                    _ => None,
                };
                Parameter {
                    name,
                    location,
                    place,
                    kind,
                    items,
                    segment,
                    variable,
                }
            })
            .collect();
        Self {
            list,
            template_len: template.len(),
        }
    }

    fn declares(&self, place: Place, name: &str) -> bool {
        self.list
            .iter()
            .any(|p| p.place == place && p.name.as_deref() == Some(name))
    }
}

/// `map[part][name] = value`, the part created on first use (as [`super::Document`] does).
fn set(root: &mut Map<String, Value>, part: &str, name: &str, value: Value) {
    let entry = match root.get_mut(part) {
        Some(entry) => entry,
        None => root
            .entry(part)
            .or_insert_with(|| Value::Object(Map::new())),
    };
    if let Value::Object(map) = entry {
        map.insert(name.to_owned(), value);
    }
}

impl Operation {
    /// The operation's parameters as the send path reads them (computed on first use).
    fn wire(&self) -> &Parameters {
        self.wire.get_or_init(|| Parameters::new(self))
    }

    /// Whether the operation declares the header parameter `name`.
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// assert!(Api::Log360Cloud.operation("searchVirusTotal").unwrap().declares_header("account_id"));
    /// ```
    pub fn declares_header(&self, name: &str) -> bool {
        self.wire().declares(Place::Header, name)
    }

    /// The first required parameter the client fills from its configuration (`x-env`) that
    /// `document` lacks, as its variable's name: the caller left that variable unset.
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// let op = Api::Log360Cloud.operation("listDetectionRules").unwrap();
    /// assert_eq!(op.unset_variable(&serde_json::json!({})).as_deref(), Some("LOG360_ACCOUNT_ID"));
    /// let account = Api::Log360Cloud.operation("getAccount").unwrap();
    /// assert_eq!(account.unset_variable(&serde_json::json!({})), None);
    /// ```
    pub fn unset_variable(&self, document: &Value) -> Option<String> {
        self.wire().list.iter().find_map(|p| {
            let variable = p.variable.as_ref()?;
            let (part, name) = (p.location.as_deref()?, p.name.as_deref()?);
            let given = document
                .get(part)
                .and_then(|values| values.get(name))
                .is_some_and(|v| v.as_str() != Some(""));
            (!given).then(|| variable.clone())
        })
    }

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
        let parameters = self.wire();
        let mut doc = Map::new();
        let url = request.url();
        // The query is parsed (and percent-decoded) once.
        let pairs: Vec<(Cow<str>, Cow<str>)> = match url.query() {
            Some(_) => url.query_pairs().collect(),
            None => Vec::new(),
        };
        let segments: Vec<&str> = url
            .path_segments()
            .map(Iterator::collect)
            .unwrap_or_default();
        // The template is the tail of the URL's path (the server URL may carry a prefix).
        let offset = segments.len().saturating_sub(parameters.template_len);
        for parameter in &parameters.list {
            let name = parameter.name.as_deref().unwrap_or("");
            match parameter.place {
                Place::Query => {
                    let mut values = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
                    let Some(first) = values.next() else {
                        continue;
                    };
                    let value = match parameter.items {
                        Some(items) => Value::Array(
                            std::iter::once(first)
                                .chain(values)
                                .map(|v| items.typed(v))
                                .collect(),
                        ),
                        None => parameter.kind.typed(first),
                    };
                    set(&mut doc, "query", name, value);
                }
                Place::Header => {
                    if let Some(v) = request.headers().get(name) {
                        let text = String::from_utf8_lossy(v.as_bytes());
                        set(&mut doc, "header", name, parameter.kind.typed(&text));
                    }
                }
                Place::Path => {
                    let segment = parameter.segment.and_then(|i| segments.get(offset + i));
                    if let Some(segment) = segment {
                        let value =
                            percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
                        set(&mut doc, "path", name, parameter.kind.typed(&value));
                    }
                }
                Place::Other => {}
            }
        }
        // Query names the operation does not declare are read back too (as text), so that the
        // validator sees, and refuses, a mistyped or unknown parameter instead of it being sent.
        for (name, value) in &pairs {
            if !parameters.declares(Place::Query, name) {
                set(
                    &mut doc,
                    "query",
                    name,
                    Value::String(value.clone().into_owned()),
                );
            }
        }
        if let Some(bytes) = request.body().and_then(reqwest::Body::as_bytes) {
            if !bytes.is_empty() {
                let body = serde_json::from_slice(bytes)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()));
                doc.insert("body".into(), body);
            }
        }
        Value::Object(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{schema, Api};
    use serde_json::Value;

    /// The table answers what walking the spec's parameters answers, on every operation.
    #[test]
    fn the_table_matches_the_spec_on_every_operation() {
        for api in Api::ALL.iter().copied() {
            for op in api.operations() {
                let params = schema::parameters(api.document(), &op.raw);
                let table = &op.wire().list;
                assert_eq!(table.len(), params.len(), "{}", op.id);
                for (row, p) in table.iter().zip(&params) {
                    let name = p.get("name").and_then(Value::as_str);
                    assert_eq!(row.name.as_deref(), name, "{}", op.id);
                    if p.get("in").and_then(Value::as_str) == Some("header") {
                        assert!(op.declares_header(name.unwrap_or("")), "{}", op.id);
                    }
                    if row.place == super::Place::Path {
                        assert!(row.segment.is_some(), "{}: {name:?} not in the path", op.id);
                    }
                }
                assert!(!op.declares_header("no-such-header"));
            }
        }
    }
}

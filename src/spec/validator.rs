//! Validation of request documents and response bodies against an operation's spec:
//! the JSON Schema of its parameters and body, then its `x-rules`.

use super::rules::RuleCheck;
use super::{keywords, schema, Operation, Rule};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A request as the rules see it: `{"header": {..}, "query": {..}, "path": {..}, "body": ..}`.
///
/// ```
/// use threatbind::spec::Document;
/// let doc = Document::new().query("limit", 10).header("account_id", "42").into_value();
/// assert_eq!(doc["query"]["limit"], 10);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document(Map<String, Value>);

impl Document {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    fn set(mut self, part: &str, name: &str, value: Value) -> Self {
        if value.is_null() {
            return self;
        }
        let entry = self
            .0
            .entry(part)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(map) = entry {
            map.insert(name.to_owned(), value);
        }
        self
    }

    /// Adds a header parameter.
    pub fn header(self, name: &str, value: impl Into<Value>) -> Self {
        self.set("header", name, value.into())
    }

    /// Adds a query parameter (`null` values are left out).
    pub fn query(self, name: &str, value: impl Into<Value>) -> Self {
        self.set("query", name, value.into())
    }

    /// Adds every field of a serialised struct as query parameters (`null` ones left out).
    pub fn query_object(mut self, value: Value) -> Self {
        if let Value::Object(map) = value {
            for (k, v) in map {
                self = self.query(&k, v);
            }
        }
        self
    }

    /// Adds a path parameter.
    pub fn path(self, name: &str, value: impl Into<Value>) -> Self {
        self.set("path", name, value.into())
    }

    /// Sets the JSON body.
    pub fn body(mut self, value: Value) -> Self {
        self.0.insert("body".into(), value);
        self
    }

    /// The document as JSON.
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// One broken rule: where, which rule, and what is wrong.
///
/// ```
/// use threatbind::spec::Violation;
/// let v = Violation::new("body.filter.section", "enum", "\"x\" is not one of the allowed values");
/// assert_eq!(v.field(), "filter.section");
/// assert_eq!(v.to_string(), "filter.section: enum: \"x\" is not one of the allowed values");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Dotted path in the request document (`body.filter.section`) or response body.
    pub path: String,
    /// The JSON Schema keyword (`maxLength`, `required`, ...) or `x-rules:<rule id>`.
    pub rule: String,
    /// What is wrong with the value.
    pub message: String,
    /// JSON pointer of the value (exact even when a key contains a dot).
    pointer: String,
}

impl Violation {
    /// A violation at a dotted path.
    pub fn new(
        path: impl Into<String>,
        rule: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let path = path.into();
        let pointer = if path.is_empty() {
            String::new()
        } else {
            format!("/{}", path.replace('.', "/"))
        };
        Self {
            path,
            rule: rule.into(),
            message: message.into(),
            pointer,
        }
    }

    fn at(segments: &[String], rule: &str, message: String) -> Self {
        let pointer = segments
            .iter()
            .fold(String::new(), |at, key| schema::pointer_child(&at, key));
        Self {
            path: segments.join("."),
            rule: rule.to_owned(),
            message,
            pointer,
        }
    }

    /// The field as a user names it: the path without its `header.`/`query.`/`path.`/`body.` part.
    pub fn field(&self) -> &str {
        for part in ["header.", "query.", "path.", "body."] {
            if let Some(rest) = self.path.strip_prefix(part) {
                return rest;
            }
        }
        &self.path
    }

    /// The JSON pointer of the path (`/body/filter/section`).
    pub fn pointer(&self) -> &str {
        &self.pointer
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let field = if self.field().is_empty() {
            "request"
        } else {
            self.field()
        };
        write!(f, "{field}: {}: {}", self.rule, self.message)
    }
}

pub(crate) struct Compiled {
    // Compiled schemas are large trees; Debug says only what was compiled.
    request: keywords::Schema,
    responses: BTreeMap<String, keywords::Schema>,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled")
            .field("responses", &self.responses.keys())
            .finish()
    }
}

fn compile(document: &Value, schema: Value) -> Result<keywords::Schema, String> {
    keywords::Schema::compile(&schema::standalone(document, schema))
}

impl Compiled {
    /// The schema documented for `status` (found without building a key: this runs for
    /// every answer).
    fn response(&self, status: u16) -> Option<&keywords::Schema> {
        let key = schema::response_key(self.responses.keys().map(String::as_str), status)?;
        self.responses.get(key)
    }

    fn new(op: &Operation) -> Result<Self, String> {
        let document = op.api.document();
        let request = compile(document, schema::request_schema(document, &op.raw))?;
        let mut responses = BTreeMap::new();
        if let Some(Value::Object(list)) = op.raw.get("responses") {
            for (status, response) in list {
                let response = schema::resolve(document, response);
                if let Some(s) = response.pointer("/content/application~1json/schema") {
                    responses.insert(status.clone(), compile(document, s.clone())?);
                }
            }
        }
        Ok(Self { request, responses })
    }
}

/// Checks `value` against a free-standing OpenAPI 3.0 Schema object with the validator the
/// client uses (its `$ref`s are local pointers into `schema` itself; `nullable` and boolean
/// `exclusiveMinimum`/`exclusiveMaximum` as OpenAPI 3.0 means them). `Err` when the schema does
/// not compile: a keyword an OpenAPI 3.0 schema does not have, a bad pattern, a dangling `$ref`.
///
/// ```
/// use serde_json::json;
/// let schema = json!({"type": "object", "required": ["ip"],
///                     "properties": {"ip": {"type": "string", "format": "ipv4"}}});
/// let found = threatbind::spec::check_schema(&schema, &json!({"ip": "8.8.8"})).unwrap();
/// assert_eq!(found[0].to_string(), "ip: format: \"8.8.8\" is not a \"ipv4\"");
/// assert!(threatbind::spec::check_schema(&json!({"patternProperties": {}}), &json!(1)).is_err());
/// ```
pub fn check_schema(schema: &Value, value: &Value) -> Result<Vec<Violation>, String> {
    Ok(violations(
        &keywords::Schema::compile(&schema::convert(schema))?,
        value,
    ))
}

/// Compiles the schemas of one spec, each once, to check many values (the spec's components
/// converted once for all of them): what the spec tools use to check a spec's own examples.
///
/// ```
/// use serde_json::json;
/// use threatbind::spec::{Api, SchemaCompiler};
/// let compiler = SchemaCompiler::new(Api::DatadogIoc.document());
/// let schema = compiler.compile(&json!({"type": "string", "minLength": 1})).unwrap();
/// assert!(schema.violations(&json!("8.8.8.8")).is_empty());
/// assert_eq!(schema.violations(&json!(""))[0].rule, "minLength");
/// ```
#[derive(Debug)]
pub struct SchemaCompiler {
    components: Option<Value>,
}

impl SchemaCompiler {
    /// A compiler for the schemas of `document` (an OpenAPI 3.0 spec, as JSON).
    pub fn new(document: &Value) -> Self {
        Self {
            components: document.get("components").map(schema::convert),
        }
    }

    /// Compiles `schema` (an OpenAPI 3.0 Schema object of the spec; its `$ref`s to the spec's
    /// components resolve); `Err` says why it does not compile.
    pub fn compile(&self, schema: &Value) -> Result<CompiledSchema, String> {
        let root = schema::with_components(self.components.as_ref(), schema);
        keywords::Schema::compile(&root).map(CompiledSchema)
    }
}

/// A schema compiled by [`SchemaCompiler`].
pub struct CompiledSchema(keywords::Schema);

impl std::fmt::Debug for CompiledSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CompiledSchema")
    }
}

impl CompiledSchema {
    /// How `value` breaks the schema (empty when it holds).
    pub fn violations(&self, value: &Value) -> Vec<Violation> {
        violations(&self.0, value)
    }
}

fn violations(validator: &keywords::Schema, instance: &Value) -> Vec<Violation> {
    validator
        .errors(instance)
        .into_iter()
        .map(|error| {
            let mut message = error.message;
            if message.chars().count() > 200 {
                message = message.chars().take(200).collect::<String>() + "…";
            }
            Violation::at(&error.path, error.keyword, message)
        })
        .collect()
}

impl Operation {
    /// The JSON Schema (2020-12, self-contained: the spec's components under `components`) of
    /// this operation's request document `{"header":..,"query":..,"path":..,"body":..}`: what
    /// [`Self::validate_request`] checks before the `x-rules`.
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// let op = Api::NameshieldCti.operation("listThreatEvents").unwrap();
    /// let schema = op.request_schema();
    /// assert!(schema.pointer("/allOf/0/properties/query/properties/size").is_some());
    /// ```
    pub fn request_schema(&self) -> Value {
        let document = self.api.document();
        schema::standalone(document, schema::request_schema(document, &self.raw))
    }

    /// The JSON Schema of the `application/json` answer documented for `status` (exact, then
    /// `2XX`-style, then `default`), self-contained like [`Self::request_schema`].
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// let op = Api::NameshieldCti.operation("listThreatEvents").unwrap();
    /// assert!(op.response_schema(200).is_some());
    /// assert!(op.response_schema(302).is_none());
    /// ```
    pub fn response_schema(&self, status: u16) -> Option<Value> {
        let document = self.api.document();
        let responses = self.raw.get("responses")?;
        let responses = responses.as_object()?;
        let key = schema::response_key(responses.keys().map(String::as_str), status)?;
        let response = responses.get(key)?;
        let schema = schema::resolve(document, response)
            .pointer("/content/application~1json/schema")?
            .clone();
        Some(schema::standalone(document, schema))
    }

    fn compiled(&self) -> Result<&Compiled, Violation> {
        self.validators
            .get_or_init(|| Compiled::new(self))
            .as_ref()
            .map_err(|e| Violation::new("", "spec", format!("{}: {e}", self.id)))
    }

    /// Checks a request document against the operation's schema, then its `x-rules` at `now`.
    /// Schema violations are reported first; rules run only on a schema-valid document.
    ///
    /// ```
    /// use threatbind::spec::{Api, Document};
    /// let op = Api::Log360Cloud.operation("searchVirusTotal").unwrap();
    /// let doc = Document::new()
    ///     .header("account_id", "18XXXXX4")
    ///     .body(serde_json::json!({"indicator": "8.8.8.8", "indicator_type": "IP"}));
    /// let errors = op.validate_request(&doc.into_value(), chrono::Utc::now()).unwrap_err();
    /// assert_eq!(errors[0].field(), "indicator_type");
    /// ```
    pub fn validate_request(
        &self,
        document: &Value,
        now: DateTime<Utc>,
    ) -> Result<(), Vec<Violation>> {
        let compiled = self.compiled().map_err(|v| vec![v])?;
        let mut found = violations(&compiled.request, document);
        if found.is_empty() {
            // Rules that fill in a value (the indicator type they detect) see a copy; the
            // others read the document as it is.
            let prepared = if self.rules.iter().any(Rule::prepares) {
                let mut copy = document.clone();
                for rule in &self.rules {
                    rule.prepare(&mut copy);
                }
                std::borrow::Cow::Owned(copy)
            } else {
                std::borrow::Cow::Borrowed(document)
            };
            for rule in &self.rules {
                rule.check(&prepared, now, &mut found);
            }
        }
        if found.is_empty() {
            Ok(())
        } else {
            Err(found)
        }
    }

    /// Checks a response body against the schema documented for `status`.
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// let op = Api::Log360Cloud.operation("getEntityRiskProfile").unwrap();
    /// let body = serde_json::json!({"error": {"code": "100010400", "title": "Not Found"}});
    /// assert!(op.validate_response(404, &body).is_ok());
    /// ```
    pub fn validate_response(&self, status: u16, body: &Value) -> Result<(), Vec<Violation>> {
        let compiled = self.compiled().map_err(|v| vec![v])?;
        let Some(validator) = compiled.response(status) else {
            return Err(vec![Violation::new(
                "",
                "status",
                format!("{status} is not documented for {}", self.id),
            )]);
        };
        let found = violations(validator, body);
        if found.is_empty() {
            Ok(())
        } else {
            Err(found)
        }
    }
}

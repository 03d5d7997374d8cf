//! The typed model of a threatbind spec: its `x-` extensions read once, as Rust types, each at
//! the place specs/README.md gives it. A key an extension does not have, a value of the wrong
//! shape, or an extension in a place it is not read is an error naming the file, the line and
//! the JSON pointer; the library's build script stops on it, so a malformed spec never builds.
//!
//! ```
//! let text = "openapi: 3.0.3\nx-rate-limit: {requests: 50, period_seconds: 60, per: account}\npaths:\n  /things:\n    get:\n      operationId: listThings\n      x-pagination: {cursor: query.page, items: data, advance: one, more: has_next}\n";
//! let model = threatbind_model::read("specs/things.yaml", text).unwrap();
//! let op = &model.operations["listThings"];
//! assert_eq!(op.rate_limit.as_ref().unwrap().requests, 50); // the API's quota
//! assert_eq!(op.pagination.as_ref().unwrap().cursor, "query.page");
//!
//! let typo = text.replace("advance: one", "advanse: one");
//! let problems = threatbind_model::read("specs/things.yaml", &typo).unwrap_err();
//! assert!(problems.to_string().starts_with("specs/things.yaml:7: /paths/~1things/get/x-pagination: unknown field `advanse`"), "{problems}");
//! ```
#![warn(missing_docs)]

mod behaviour;
mod env;
mod extensions;
mod locate;
pub mod names;
mod rules;
mod stix;

pub use behaviour::{
    Echo, Enrich, EnrichAction, Filter, FilterMatch, MockAnswer, NotFound, Sections,
    SectionsByIndicatorType, Sort,
};

pub use env::{
    ApiEnv, Carrier, Credential, EnvVar, Environment, OAuthEnv, ParameterEnv, ServerVariableEnv,
};

pub use extensions::LintIgnore;
pub use extensions::{
    Advance, ApiCli, AsyncJob, EpochUnit, ErrorCode, ErrorCodes, FieldCli, Notes, OperationCli,
    Pagination, Quota, QuotaOwner, RateLimit, TokenLimits,
};
pub use locate::Locator;
pub use rules::{OneOrMany, RelativeBound, Rule, RuleKind, RULE_KINDS};
pub use stix::{Confidence, IndicatorKind, Reference, Sighting, Stix, TypeFrom};

use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;

/// The HTTP methods of an OpenAPI path item.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// What a spec says beyond OpenAPI, typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Model {
    /// `x-cli` at the root.
    pub cli: ApiCli,
    /// `x-handwritten: true`: the client has a hand-written module.
    pub handwritten: bool,
    /// `x-open-enums`: response enums that keep unknown values.
    pub open_enums: Vec<String>,
    /// `x-rate-limit` at the root: the API's quota.
    pub rate_limit: Option<RateLimit>,
    /// `x-token-limits` of the security scheme that states them (an OAuth scheme).
    pub token_limits: Option<TokenLimits>,
    /// Every operation, by `operationId`.
    pub operations: BTreeMap<String, OperationModel>,
    /// The environment variables the spec names, by what each configures.
    pub env: Environment,
    /// `x-error-codes` at the root: the vendor's error codes.
    pub error_codes: Option<ErrorCodes>,
}

/// What an operation says beyond OpenAPI, typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OperationModel {
    /// The quota in force: the operation's `x-rate-limit`, else the API's.
    pub rate_limit: Option<RateLimit>,
    /// `x-pagination`.
    pub pagination: Option<Pagination>,
    /// `x-cli`.
    pub cli: OperationCli,
    /// `x-unstable: true` (beta: callers opt in).
    pub unstable: bool,
    /// `x-async-job`: the job this operation submits, and how it is waited for.
    pub async_job: Option<AsyncJob>,
    /// `x-enrich`: `threatbind enrich` looks indicators up with this operation.
    pub enrich: Option<Enrich>,
    /// `x-mock`: what the mock's answer reflects of the request.
    pub mock: Option<MockAnswer>,
    /// `x-sections-by-indicator-type`: the sections of an answer, per indicator type.
    pub sections_by_indicator_type: SectionsByIndicatorType,
    /// `x-rules`: what the request must satisfy beyond its schema.
    pub rules: Vec<Rule>,
    /// `x-notes`: the maintainers' notes on the operation (never shown in `--help`).
    pub notes: Notes,
    /// `x-stix`: how the answer maps to STIX 2.1 indicators.
    pub stix: Option<Stix>,
}

/// One problem of a spec: where (line and JSON pointer) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The line (1-based) of the key, if the text has it.
    pub line: Option<usize>,
    /// The JSON pointer of the extension.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

/// The problems of one spec file, in the order they were found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problems {
    /// The file, as the caller named it.
    pub file: String,
    /// At least one.
    pub problems: Vec<Problem>,
}

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            match p.line {
                Some(line) => write!(f, "{}:{line}: {}: {}", self.file, p.pointer, p.message)?,
                None => write!(f, "{}: {}: {}", self.file, p.pointer, p.message)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// One segment of a JSON pointer as the key it names: `~1` is `/`, `~0` is `~` (the inverse of
/// [`pointer_child`]'s escaping).
///
/// ```
/// assert_eq!(threatbind_model::pointer_key("~1things~1{id}"), "/things/{id}");
/// assert_eq!(threatbind_model::pointer_key("a~01"), "a~1");
/// ```
pub fn pointer_key(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// `pointer` + `/` + `key`, with `~` and `/` escaped as a JSON pointer wants.
///
/// ```
/// assert_eq!(threatbind_model::pointer_child("/paths", "/things/{id}"), "/paths/~1things~1{id}");
/// ```
pub fn pointer_child(pointer: &str, key: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + key.len() + 1);
    out.push_str(pointer);
    out.push('/');
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// Reads the model of the spec `text` (YAML or JSON), named `file` in problems (feature `yaml`,
/// on by default).
#[cfg(feature = "yaml")]
pub fn read(file: &str, text: &str) -> Result<Model, Problems> {
    let document: Value = serde_yaml_ng::from_str(text).map_err(|e| Problems {
        file: file.to_owned(),
        problems: vec![Problem {
            line: e.location().map(|l| l.line()),
            pointer: String::new(),
            message: format!("not valid YAML: {e}"),
        }],
    })?;
    read_document(file, text, &document)
}

/// [`read`] of a spec already parsed into `document` (`text` is read again only to give the
/// lines of problems).
pub fn read_document(file: &str, text: &str, document: &Value) -> Result<Model, Problems> {
    let mut reader = Reader {
        problems: Vec::new(),
    };
    let model = reader.model(document);
    if reader.problems.is_empty() {
        return Ok(model);
    }
    let locator = Locator::new(text);
    let problems = reader
        .problems
        .into_iter()
        .map(|(pointer, message)| Problem {
            line: locator.line(&pointer),
            pointer,
            message,
        })
        .collect();
    Err(Problems {
        file: file.to_owned(),
        problems,
    })
}

/// Reads extensions, collecting every problem (pointer, message).
struct Reader {
    problems: Vec<(String, String)>,
}

impl Reader {
    fn typed<T: DeserializeOwned>(&mut self, value: &Value, at: &str) -> Option<T> {
        match T::deserialize(value) {
            Ok(typed) => Some(typed),
            Err(e) => {
                self.problems.push((at.to_owned(), e.to_string()));
                None
            }
        }
    }

    fn rate_limit(&mut self, value: &Value, at: &str) -> Option<RateLimit> {
        let limit: RateLimit = self.typed(value, at)?;
        if limit.requests == 0 || limit.period_seconds == 0 {
            self.problems.push((
                at.to_owned(),
                "needs requests and period_seconds of at least 1".to_owned(),
            ));
            return None;
        }
        Some(limit)
    }

    fn model(&mut self, document: &Value) -> Model {
        let ext = |key: &str| document.get(key);
        let mut model = Model {
            cli: ext("x-cli")
                .and_then(|v| self.typed(v, "/x-cli"))
                .unwrap_or_default(),
            handwritten: ext("x-handwritten")
                .and_then(|v| self.typed(v, "/x-handwritten"))
                .unwrap_or(false),
            open_enums: ext("x-open-enums")
                .and_then(|v| self.typed(v, "/x-open-enums"))
                .unwrap_or_default(),
            rate_limit: ext("x-rate-limit").and_then(|v| self.rate_limit(v, "/x-rate-limit")),
            token_limits: None,
            operations: BTreeMap::new(),
            env: Environment::default(),
            error_codes: ext("x-error-codes").and_then(|v| self.error_codes(v)),
        };
        if let Some(v) = ext("x-env") {
            let root: Option<env::RootWritten> = self.typed(v, "/x-env");
            model.env.api = root.map(env::RootWritten::typed).unwrap_or_default();
        }
        self.server_variables(document, &mut model.env);
        let schemes = document
            .pointer("/components/securitySchemes")
            .and_then(Value::as_object);
        for (name, scheme) in schemes.into_iter().flatten() {
            if let Some(limits) = scheme.get("x-token-limits") {
                let at = pointer_child(
                    &pointer_child("/components/securitySchemes", name),
                    "x-token-limits",
                );
                model.token_limits = model.token_limits.take().or(self.typed(limits, &at));
            }
            self.credential(name, scheme, &mut model.env);
        }
        let mut first_per: Option<(QuotaOwner, String)> = None;
        let paths = document.get("paths").and_then(Value::as_object);
        for (path, item) in paths.into_iter().flatten() {
            for method in METHODS {
                let Some(op) = item.get(method) else {
                    continue;
                };
                let at = pointer_child(&pointer_child("/paths", path), method);
                let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                let here = |key: &str| pointer_child(&at, key);
                let own = op
                    .get("x-rate-limit")
                    .and_then(|v| self.rate_limit(v, &here("x-rate-limit")));
                // One owner serves the whole API: an operation's own quota counts the same
                // identity (the client keys its limiter by the API's owner).
                if let (Some(own), Some(api)) = (&own, &model.rate_limit) {
                    if own.per != api.per {
                        self.problems.push((
                            here("x-rate-limit"),
                            format!(
                                "per: {} differs from the API's per: {}; one quota owner serves the whole API",
                                own.per.as_str(),
                                api.per.as_str()
                            ),
                        ));
                    }
                } else if let Some(own) = &own {
                    // Without the API's quota, the operations' own ones agree with each other.
                    match &first_per {
                        Some((per, first)) if *per != own.per => self.problems.push((
                            here("x-rate-limit"),
                            format!(
                                "per: {} differs from per: {} at {first}; one quota owner serves the whole API",
                                own.per.as_str(),
                                per.as_str()
                            ),
                        )),
                        Some(_) => {}
                        None => first_per = Some((own.per, here("x-rate-limit"))),
                    }
                }
                let pagination: Option<Pagination> = op
                    .get("x-pagination")
                    .and_then(|v| self.typed(v, &here("x-pagination")));
                if pagination.as_ref().and_then(|p| p.expires_seconds) == Some(0) {
                    self.problems.push((
                        here("x-pagination"),
                        "expires-seconds must be at least 1".to_owned(),
                    ));
                }
                let operation = OperationModel {
                    rate_limit: own.or_else(|| model.rate_limit.clone()),
                    pagination,
                    cli: op
                        .get("x-cli")
                        .and_then(|v| self.typed(v, &here("x-cli")))
                        .unwrap_or_default(),
                    unstable: op
                        .get("x-unstable")
                        .and_then(|v| self.typed(v, &here("x-unstable")))
                        .unwrap_or(false),
                    async_job: op
                        .get("x-async-job")
                        .and_then(|v| self.typed(v, &here("x-async-job"))),
                    enrich: self.enrich(op, &at),
                    mock: self.mock(op, &at),
                    sections_by_indicator_type: self.sections_by_indicator_type(op, &at),
                    rules: self.rules(op, &at),
                    notes: op
                        .get("x-notes")
                        .and_then(|v| self.notes(v, &here("x-notes")))
                        .unwrap_or_default(),
                    stix: self.stix(op, &at),
                };
                model.operations.insert(id.to_owned(), operation);
            }
        }
        self.enrich_across(document);
        self.elsewhere(document, "", 0, &mut model.env);
        self.async_jobs(document, &model);
        model
    }

    /// `x-notes`: a string or a list of strings.
    fn notes(&mut self, value: &Value, at: &str) -> Option<Notes> {
        let notes = Notes::of(value);
        if notes.is_none() {
            self.problems.push((
                at.to_owned(),
                "x-notes is a string or a list of strings".to_owned(),
            ));
        }
        notes
    }

    /// `x-error-codes` at the root: codes are digits, each typed where it is written.
    fn error_codes(&mut self, value: &Value) -> Option<ErrorCodes> {
        let Some(map) = value.as_object() else {
            self.problems.push((
                "/x-error-codes".to_owned(),
                "x-error-codes maps vendor codes to {status, title, field, detail}".to_owned(),
            ));
            return None;
        };
        let mut codes = ErrorCodes::default();
        for (code, entry) in map {
            if code == "x-assumed" {
                // Typed (as text) with every x-assumed.
                codes.assumed = entry.as_str().map(str::to_owned);
                continue;
            }
            let at = pointer_child("/x-error-codes", code);
            if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
                self.problems.push((
                    at.clone(),
                    format!("{code:?} is not a vendor code (digits)"),
                ));
            }
            let Some(entry): Option<ErrorCode> = self.typed(entry, &at) else {
                continue;
            };
            if !(100..=599).contains(&entry.status) {
                self.problems
                    .push((at, format!("status {} is not an HTTP status", entry.status)));
            }
            codes.codes.insert(code.clone(), entry);
        }
        Some(codes)
    }

    /// Every `x-async-job` names operations of the spec.
    fn async_jobs(&mut self, document: &Value, model: &Model) {
        for (id, op) in &model.operations {
            let Some(job) = &op.async_job else { continue };
            for named in [&job.poll, &job.results] {
                if !model.operations.contains_key(named) {
                    let at = operation_pointer(document, id).unwrap_or_default();
                    self.problems.push((
                        pointer_child(&at, "x-async-job"),
                        format!("names {named}, which is not an operationId of this spec"),
                    ));
                }
            }
        }
    }

    /// The credential of a security scheme with `x-env`, and its `x-oauth-env`.
    fn credential(&mut self, name: &str, scheme: &Value, env: &mut Environment) {
        let at = pointer_child("/components/securitySchemes", name);
        let text = |k: &str| scheme.get(k).and_then(Value::as_str).unwrap_or("");
        let prefix: Option<String> = scheme
            .get("x-token-prefix")
            .and_then(|v| self.typed(v, &pointer_child(&at, "x-token-prefix")));
        if prefix.is_some() && text("type") != "oauth2" {
            self.problems.push((
                pointer_child(&at, "x-token-prefix"),
                "x-token-prefix is read on oauth2 schemes only".to_owned(),
            ));
        }
        if let Some(v) = scheme.get("x-oauth-env") {
            let here = pointer_child(&at, "x-oauth-env");
            if text("type") != "oauth2" {
                self.problems.push((
                    here.clone(),
                    "x-oauth-env is read on oauth2 schemes only".to_owned(),
                ));
            }
            let oauth: Option<env::OAuthWritten> = self.typed(v, &here);
            env.oauth = env.oauth.take().or(oauth.map(env::OAuthWritten::typed));
        }
        let Some(v) = scheme.get("x-env") else {
            return;
        };
        let Some(written) = self.typed::<env::Written>(v, &pointer_child(&at, "x-env")) else {
            return;
        };
        let carrier = match (text("type"), text("in")) {
            ("http", _) if text("scheme").eq_ignore_ascii_case("bearer") => {
                Carrier::Authorization {
                    prefix: "Bearer".to_owned(),
                }
            }
            ("oauth2", _) => Carrier::Authorization {
                prefix: prefix.unwrap_or_else(|| "Bearer".to_owned()),
            },
            ("apiKey", "header") => Carrier::Header {
                name: text("name").to_owned(),
            },
            (kind, place) => Carrier::Other {
                kind: format!("{kind} {}{place}", text("scheme")),
            },
        };
        env.credentials.push(Credential {
            scheme: name.to_owned(),
            variable: written.variable(scheme.get("description").and_then(Value::as_str)),
            carrier,
            oauth: text("type") == "oauth2",
        });
    }

    /// The variables of the first server's variables (`x-env` on a server variable).
    fn server_variables(&mut self, document: &Value, env: &mut Environment) {
        let variables = document
            .pointer("/servers/0/variables")
            .and_then(Value::as_object);
        for (name, variable) in variables.into_iter().flatten() {
            let Some(v) = variable.get("x-env") else {
                continue;
            };
            let at = pointer_child(&pointer_child("/servers/0/variables", name), "x-env");
            if let Some(written) = self.typed::<env::Written>(v, &at) {
                env.server_variables.push(ServerVariableEnv {
                    name: name.clone(),
                    variable: written.variable(variable.get("description").and_then(Value::as_str)),
                });
            }
        }
    }

    /// The extensions read anywhere but the root and the operations: `x-cli` of parameters
    /// and body properties, `x-env`, `x-token-limits`, `x-datetime-format`, `x-epoch`, `x-unstable` and
    /// `x-handwritten` out of place.
    fn elsewhere(&mut self, value: &Value, at: &str, depth: usize, env: &mut Environment) {
        if depth > 160 {
            return;
        }
        match value {
            Value::Object(map) => {
                let operation = is_operation(at);
                for (key, v) in map {
                    let here = pointer_child(at, key);
                    match key.as_str() {
                        // A parameter's takes `flag` only; a body property's all of FieldCli.
                        "x-cli" if map.contains_key("in") => {
                            let _: Option<ParameterCli> = self.typed(v, &here);
                        }
                        "x-cli" if at.rsplit('/').nth(1) == Some("properties") => {
                            let cli: Option<FieldCli> = self.typed(v, &here);
                            if cli.is_some_and(|c| c.fields.is_some() && c.flag.is_none()) {
                                self.problems.push((
                                    here.clone(),
                                    "fields needs a flag to be written on".to_owned(),
                                ));
                            }
                        }
                        "x-cli" if !at.is_empty() && !operation => self.problems.push((
                            here.clone(),
                            "x-cli is read at the root, on operations, parameters and body properties only"
                                .to_owned(),
                        )),
                        // A parameter filled from the environment.
                        "x-env"
                            if map.contains_key("in")
                                && !at.starts_with("/components/securitySchemes/") =>
                        {
                            let written: Option<env::Written> = self.typed(v, &here);
                            let text = |k: &str| map.get(k).and_then(Value::as_str).unwrap_or("");
                            if let Some(w) = written {
                                let variable = w.variable(Some(text("description")));
                                if !env.parameters.iter().any(|p| p.variable == variable) {
                                    env.parameters.push(ParameterEnv {
                                        name: text("name").to_owned(),
                                        place: text("in").to_owned(),
                                        variable,
                                    });
                                }
                            }
                        }
                        // Read with their places (root, security schemes, server variables).
                        "x-env" | "x-oauth-env" | "x-token-prefix"
                            if at.is_empty()
                                || at.starts_with("/components/securitySchemes/")
                                || at.starts_with("/servers/0/variables/") => {}
                        "x-env" => self.problems.push((
                            here.clone(),
                            "x-env is read on the root, security schemes, parameters and the first server's variables only".to_owned(),
                        )),
                        "x-oauth-env" | "x-token-prefix" => self.problems.push((
                            here.clone(),
                            format!("{key} is read on oauth2 security schemes only"),
                        )),
                        "x-datetime-format" | "x-region" | "x-accounts-server"
                        | "x-environment" | "x-assumed" => {
                            let _: Option<String> = self.typed(v, &here);
                        }
                        "x-epoch" if map.get("type").and_then(Value::as_str) != Some("integer") => {
                            self.problems.push((
                                here.clone(),
                                "x-epoch is read on integer schemas only".to_owned(),
                            ))
                        }
                        "x-epoch" => {
                            let _: Option<EpochUnit> = self.typed(v, &here);
                        }
                        // Ids of findings to set aside, on any object.
                        "x-lint-ignore" if LintIgnore::of(v).is_none() => self.problems.push((
                            here.clone(),
                            "x-lint-ignore is a list of rule ids (non-empty strings)".to_owned(),
                        )),
                        // Read (typed) with the security schemes.
                        "x-token-limits"
                            if !(at.starts_with("/components/securitySchemes/")
                                && at.matches('/').count() == 3) =>
                        {
                            self.problems.push((
                                here.clone(),
                                "x-token-limits is read on security schemes only".to_owned(),
                            ))
                        }
                        "x-unstable" if !operation => self.problems.push((
                            here.clone(),
                            "x-unstable is read on operations only".to_owned(),
                        )),
                        "x-enrich" | "x-mock" | "x-sections-by-indicator-type" | "x-stix"
                            if !operation =>
                        {
                            self.problems
                                .push((here.clone(), format!("{key} is read on operations only")))
                        }
                        "x-async-job" if !operation => self.problems.push((
                            here.clone(),
                            "x-async-job is read on operations only".to_owned(),
                        )),
                        "x-pagination" if !operation => self.problems.push((
                            here.clone(),
                            "x-pagination is read on operations only".to_owned(),
                        )),
                        // Typed with its operation; elsewhere here, on a parameter or a schema.
                        "x-notes" if operation => {}
                        "x-notes"
                            if map.contains_key("in") || is_schema(at) || is_server_variable(at) =>
                        {
                            self.notes(v, &here);
                        }
                        "x-notes" => self.problems.push((
                            here.clone(),
                            "x-notes is read on operations, parameters, schemas and server variables only"
                                .to_owned(),
                        )),
                        "x-rules" if !operation => self.problems.push((
                            here.clone(),
                            "x-rules is read on operations only".to_owned(),
                        )),
                        "x-handwritten" | "x-open-enums" | "x-error-codes" if !at.is_empty() => self
                            .problems
                            .push((here.clone(), format!("{key} is read at the root only"))),
                        "x-rate-limit" if !at.is_empty() && !operation => self.problems.push((
                            here.clone(),
                            "x-rate-limit is read at the root and on operations only".to_owned(),
                        )),
                        _ => {}
                    }
                    self.elsewhere(v, &here, depth + 1, env);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.elsewhere(v, &pointer_child(at, &i.to_string()), depth + 1, env);
                }
            }
            _ => {}
        }
    }
}

/// `x-cli` of a parameter: the flag's name only.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ParameterCli {
    flag: String,
}

/// The JSON pointer of the operation `id`.
fn operation_pointer(document: &Value, id: &str) -> Option<String> {
    let paths = document.get("paths")?.as_object()?;
    paths.iter().find_map(|(path, item)| {
        METHODS.iter().find_map(|method| {
            (item.get(*method)?.get("operationId")?.as_str()? == id)
                .then(|| pointer_child(&pointer_child("/paths", path), method))
        })
    })
}

/// Whether `pointer` is a schema: one of `components/schemas`, or under a `schema`, a
/// `properties` or an `items`.
fn is_schema(pointer: &str) -> bool {
    pointer.starts_with("/components/schemas/")
        || pointer
            .split('/')
            .any(|s| matches!(s, "schema" | "properties" | "items"))
}

/// Whether `pointer` is a server variable: `/servers/<i>/variables/<name>`, at the root or
/// on a path or an operation.
fn is_server_variable(pointer: &str) -> bool {
    let parts: Vec<&str> = pointer.split('/').collect();
    parts.len() >= 5 && parts[parts.len() - 4] == "servers" && parts[parts.len() - 2] == "variables"
}

/// Whether `pointer` is an operation: `/paths/<path>/<method>`.
fn is_operation(pointer: &str) -> bool {
    let mut parts = pointer.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(""), Some("paths"), Some(_), Some(method), None) if METHODS.contains(&method)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "openapi: 3.0.3
x-rate-limit: {requests: 600, period_seconds: 300, per: token}
x-cli: {name: things}
x-env: {url: THINGS_URL, base-url: {name: THINGS_BASE_URL, help: replaces the server URL}}
paths:
  /things:
    get:
      operationId: listThings
      x-cli: {name: list, table: [id]}
  /things/{id}:
    get:
      operationId: getThing
      x-rate-limit: {requests: 5, period_seconds: 1, per: token}
      parameters:
        - name: id
          in: path
          x-cli: {flag: thing}
";

    #[test]
    fn an_operation_takes_the_apis_quota_unless_it_states_its_own() {
        let model = read("t.yaml", SPEC).unwrap();
        assert_eq!(model.env.api.url.as_ref().unwrap().name, "THINGS_URL");
        assert_eq!(
            model.env.api.base_url.as_ref().unwrap().help,
            "replaces the server URL"
        );
        let list = &model.operations["listThings"];
        assert_eq!(
            list.rate_limit,
            Some(RateLimit {
                requests: 600,
                period_seconds: 300,
                per: QuotaOwner::Token
            })
        );
        assert_eq!(list.cli.table.as_deref(), Some(&["id".to_owned()][..]));
        assert_eq!(
            model.operations["getThing"]
                .rate_limit
                .as_ref()
                .unwrap()
                .requests,
            5
        );
    }

    #[test]
    fn a_misspelt_variable_role_or_one_out_of_place_is_named() {
        let bad = SPEC
            .replace("{url: THINGS_URL,", "{urls: THINGS_URL,")
            .replace(
                "          x-cli: {flag: thing}",
                "          x-cli: {flag: thing}\n          x-env: {name: THING}",
            )
            .replace(
                "      x-cli: {name: list, table: [id]}",
                "      x-cli: {name: list, table: [id]}\n      x-oauth-env: {}",
            );
        let problems = read("specs/t.yaml", &bad).unwrap_err().to_string();
        assert!(
            problems.contains("specs/t.yaml:4: /x-env: unknown field `urls`"),
            "{problems}"
        );
        // `NAME` or `{name, help}`: `{name}` alone is neither.
        assert!(
            problems.contains("/parameters/0/x-env: missing field `help`"),
            "{problems}"
        );
        assert!(
            problems
                .contains("/get/x-oauth-env: x-oauth-env is read on oauth2 security schemes only"),
            "{problems}"
        );
    }

    #[test]
    fn every_malformed_extension_is_named_with_its_line() {
        let bad = SPEC
            .replace("per: token}\nx-cli", "per: tokens}\nx-cli")
            .replace("{flag: thing}", "{flag: thing, sep: \",\"}")
            .replace("{name: list, table: [id]}", "{name: list, table: id}")
            .replace("requests: 5,", "requests: 0,");
        let problems = read("specs/t.yaml", &bad).unwrap_err().to_string();
        let lines: Vec<&str> = problems.lines().collect();
        assert_eq!(lines.len(), 4, "{problems}");
        assert!(
            lines[0].starts_with("specs/t.yaml:2: /x-rate-limit: unknown variant `tokens`"),
            "{problems}"
        );
        assert!(
            lines[1].starts_with("specs/t.yaml:9: /paths/~1things/get/x-cli: invalid type"),
            "{problems}"
        );
        assert!(
            lines[2].starts_with(
                "specs/t.yaml:13: /paths/~1things~1{id}/get/x-rate-limit: needs requests"
            ),
            "{problems}"
        );
        assert!(lines[3].starts_with("specs/t.yaml:17: /paths/~1things~1{id}/get/parameters/0/x-cli: unknown field `sep`"), "{problems}");
    }

    #[test]
    fn an_epoch_unit_is_seconds_or_milliseconds_on_an_integer() {
        let with = |schema: &str| {
            SPEC.replace(
                "          x-cli: {flag: thing}\n",
                &format!("          x-cli: {{flag: thing}}\n          schema: {schema}\n"),
            )
        };
        assert!(read("t.yaml", &with("{type: integer, x-epoch: milliseconds}")).is_ok());
        let problems = read("t.yaml", &with("{type: integer, x-epoch: minutes}"))
            .unwrap_err()
            .to_string();
        assert!(
            problems.contains("t.yaml:18: /paths/~1things~1{id}/get/parameters/0/schema/x-epoch: unknown variant `minutes`"),
            "{problems}"
        );
        let problems = read("t.yaml", &with("{type: string, x-epoch: seconds}"))
            .unwrap_err()
            .to_string();
        assert!(
            problems.contains("x-epoch: x-epoch is read on integer schemas only"),
            "{problems}"
        );
    }

    #[test]
    fn one_owner_serves_the_api_and_fields_need_a_flag() {
        let bad = SPEC.replace(
            "requests: 5, period_seconds: 1, per: token",
            "requests: 5, period_seconds: 1, per: account",
        ) + "components:\n  schemas:\n    Body:\n      properties:\n        q:\n          x-cli: {fields: [a, b], separator: \":\"}\n  responses:\n    Oops:\n      x-cli: {flag: oops}\n";
        let problems = read("t.yaml", &bad).unwrap_err().to_string();
        assert!(
            problems.contains("per: account differs from the API's per: token"),
            "{problems}"
        );
        assert!(
            problems.contains("/components/schemas/Body/properties/q/x-cli: fields needs a flag"),
            "{problems}"
        );
        assert!(
            problems.contains("/components/responses/Oops/x-cli: x-cli is read at the root"),
            "{problems}"
        );
    }

    #[test]
    fn error_codes_are_read_typed_at_the_root() {
        let with = SPEC.to_owned()
            + "x-error-codes:\n  x-assumed: statuses read from titles\n  \"1001\": {status: 400, field: id, detail: Id is required.}\n";
        let model = read("t.yaml", &with).unwrap();
        let codes = model.error_codes.unwrap();
        assert_eq!(codes.assumed.as_deref(), Some("statuses read from titles"));
        assert_eq!(codes.codes["1001"].field.as_deref(), Some("id"));
        let bad = with
            .replace("field: id", "feld: id")
            .replace("\"1001\"", "E1")
            + "components:\n  schemas:\n    A:\n      x-error-codes: {}\n";
        let problems = read("t.yaml", &bad).unwrap_err().to_string();
        assert!(
            problems.contains("t.yaml:20: /x-error-codes/E1: unknown field `feld`"),
            "{problems}"
        );
        assert!(
            problems.contains("x-error-codes is read at the root only"),
            "{problems}"
        );
        let bad = with.replace("\"1001\": {status: 400", "E1: {status: 99");
        let problems = read("t.yaml", &bad).unwrap_err().to_string();
        assert!(
            problems.contains("t.yaml:20: /x-error-codes/E1: \"E1\" is not a vendor code"),
            "{problems}"
        );
        assert!(
            problems.contains("/x-error-codes/E1: status 99 is not an HTTP status"),
            "{problems}"
        );
    }

    #[test]
    fn without_the_apis_quota_the_operations_agree_on_its_owner() {
        let bad = SPEC
            .replace("x-rate-limit: {requests: 600, period_seconds: 300, per: token}\n", "")
            .replace(
                "      x-cli: {name: list, table: [id]}",
                "      x-cli: {name: list, table: [id]}\n      x-rate-limit: {requests: 1, period_seconds: 1, per: account}",
            );
        let problems = read("t.yaml", &bad).unwrap_err().to_string();
        assert!(
            problems.contains("/paths/~1things~1{id}/get/x-rate-limit: per: token differs from per: account at /paths/~1things/get/x-rate-limit"),
            "{problems}"
        );
    }

    #[test]
    fn notes_are_text_on_operations_parameters_schemas_and_server_variables() {
        let with = SPEC
            .replace(
                "      x-cli: {name: list, table: [id]}",
                "      x-cli: {name: list, table: [id]}\n      x-notes: [the page says so, FACTS.md too]",
            )
            .replace(
                "          x-cli: {flag: thing}",
                "          x-cli: {flag: thing}\n          x-notes: the page's name\n          schema: {type: string, x-notes: [inferred]}",
            )
            .replace(
                "paths:\n",
                "servers:\n  - url: https://{site}\n    variables:\n      site: {default: a.example, x-notes: [the page and the clients disagree]}\npaths:\n",
            );
        let model = read("t.yaml", &with).unwrap();
        assert_eq!(
            model.operations["listThings"].notes,
            Notes(vec![
                "the page says so".to_owned(),
                "FACTS.md too".to_owned()
            ])
        );
        assert_eq!(model.operations["getThing"].notes, Notes(Vec::new()));
        let bad = with
            .replace("x-notes: the page's name", "x-notes: {page: 1}")
            .replace("x-notes: [inferred]", "x-notes: [1]")
            .replace("x-notes: [the page and", "x-notes: [2, the page and")
            + "  /other:\n    get:\n      operationId: other\n      x-notes: 3\n      responses:\n        \"200\": {description: ok, x-notes: misplaced}\n";
        let problems = read("t.yaml", &bad).unwrap_err().to_string();
        let lines: Vec<&str> = problems.lines().collect();
        assert_eq!(lines.len(), 5, "{problems}");
        assert!(
            problems.contains(
                "/servers/0/variables/site/x-notes: x-notes is a string or a list of strings"
            ),
            "{problems}"
        );
        assert!(
            problems
                .contains("/paths/~1other/get/x-notes: x-notes is a string or a list of strings"),
            "{problems}"
        );
        assert!(problems.contains("t.yaml:23: /paths/~1things~1{id}/get/parameters/0/x-notes: x-notes is a string or a list of strings"), "{problems}");
        assert!(problems.contains("/paths/~1things~1{id}/get/parameters/0/schema/x-notes: x-notes is a string or a list of strings"), "{problems}");
        assert!(problems.contains("/paths/~1other/get/responses/200/x-notes: x-notes is read on operations, parameters, schemas and server variables only"), "{problems}");
    }

    #[test]
    fn an_extension_out_of_its_place_is_named() {
        let bad = SPEC.replace(
            "      x-cli: {flag: thing}",
            "      x-pagination: {cursor: x, advance: one}",
        );
        let problems = read("t.yaml", &bad).unwrap_err().to_string();
        assert!(
            problems.contains("x-pagination is read on operations only"),
            "{problems}"
        );
    }
}

//! The OpenAPI specs of `specs/`, embedded in the binary and parsed once, with what the
//! handwritten layer reads from them at run time: operations, rate limits, rules, servers.
//!
//! ```
//! use threatbind::spec::Api;
//! let op = Api::Log360Cloud.operation("searchThreatAnalytics").unwrap();
//! assert_eq!(op.method, "POST");
//! assert_eq!(op.rate_limit.unwrap().requests, 50);
//! ```

mod keywords;
mod rules;
mod schema;
mod validator;
mod wire;

pub use rules::{parse_instant, OneOrMany, RelativeBound, Rule, RuleKind};
pub use schema::{pointer_child, response_key, schema_at};
/// The typed model of the specs' `x-` extensions (the `threatbind-model` crate).
pub use threatbind_model as model;
pub use validator::{check_schema, CompiledSchema, Document, SchemaCompiler, Violation};

use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

include!(concat!(env!("OUT_DIR"), "/apis.rs"));

impl Api {
    /// The spec's file stem, e.g. `log360-cloud`.
    pub fn stem(self) -> &'static str {
        self.file_name().trim_end_matches(".yaml")
    }

    /// The parsed spec, as JSON (parsed on first use, then shared).
    pub fn document(self) -> &'static Value {
        &self.parsed().document
    }

    /// One operation, by `operationId`.
    pub fn operation(self, operation_id: &str) -> Option<&'static Operation> {
        self.parsed().operations.get(operation_id)
    }

    /// The operation progenitor calls `generated_id` (`list_detection_rules` for
    /// `listDetectionRules`): case and underscores are ignored.
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// let op = Api::NameshieldCti.operation_by_generated_id("search_threat_events_v1").unwrap();
    /// assert_eq!(op.id, "searchThreatEventsV1");
    /// ```
    pub fn operation_by_generated_id(self, generated_id: &str) -> Option<&'static Operation> {
        let parsed = self.parsed();
        let id = parsed.by_generated_id.get(&generated_key(generated_id))?;
        parsed.operations.get(id)
    }

    /// Every operation, by `operationId`.
    pub fn operations(self) -> impl Iterator<Item = &'static Operation> {
        self.parsed().operations.values()
    }

    /// The path of the spec's first server URL, its variables at their defaults: `/api/v2` of
    /// `https://{host}:{port}/api/v2`, empty for `https://api.{site}`. Where an API's operations
    /// live on a server.
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// assert_eq!(Api::Log360Cloud.server_path(), "/api/v2");
    /// assert_eq!(Api::DatadogIoc.server_path(), "");
    /// ```
    pub fn server_path(self) -> String {
        let Some(server) = self.servers().first() else {
            return String::new();
        };
        let after_scheme = server
            .url
            .split_once("://")
            .map_or(server.url.as_str(), |(_, rest)| rest);
        let mut path = after_scheme
            .find('/')
            .map_or(String::new(), |i| after_scheme[i..].to_owned());
        for (name, (default, _)) in &server.variables {
            path = path.replace(&format!("{{{name}}}"), default);
        }
        path.trim_end_matches('/').to_owned()
    }

    /// The API's quota (`x-rate-limit` at the root of its spec) and whose it is, if the vendor
    /// documents one; an operation may state its own ([`Operation::rate_limit`]).
    ///
    /// ```
    /// use threatbind::spec::{model::QuotaOwner, Api};
    /// let (quota, owner) = Api::NameshieldCti.quota().unwrap();
    /// assert_eq!((quota.requests, quota.period.as_secs(), owner), (600, 300, QuotaOwner::Token));
    /// assert!(Api::DatadogIoc.quota().is_none());
    /// ```
    pub fn quota(self) -> Option<(RateLimit, model::QuotaOwner)> {
        self.parsed().quota
    }

    /// The spec's root `x-cli`: the command's name.
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// assert_eq!(Api::Log360OnpremV2.cli().name.as_deref(), Some("log360-onprem"));
    /// ```
    pub fn cli(self) -> &'static model::ApiCli {
        &self.parsed().cli
    }

    /// The environment variables the spec names, by what each configures (credentials,
    /// the OAuth exchange, parameters, server variables, the API-wide ones).
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// let env = Api::Log360OnpremV2.env();
    /// assert!(env.api.base_url.is_some() && env.credentials.len() == 1);
    /// ```
    pub fn env(self) -> &'static model::Environment {
        &self.parsed().env
    }

    /// The vendor's limits on the token exchange (`x-token-limits` of an OAuth scheme).
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// let limits = Api::Log360Cloud.token_limits().unwrap();
    /// assert_eq!(limits.tokens_per_refresh_token.requests, 10);
    /// ```
    pub fn token_limits(self) -> Option<&'static model::TokenLimits> {
        self.parsed().token_limits.as_ref()
    }

    /// The vendor's error codes (`x-error-codes` at the root of its spec), if it lists them.
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// let codes = Api::Log360Cloud.error_codes().unwrap();
    /// assert_eq!(codes.codes["100010404"].field.as_deref(), Some("rule_id"));
    /// assert!(Api::DatadogIoc.error_codes().is_none());
    /// ```
    pub fn error_codes(self) -> Option<&'static model::ErrorCodes> {
        self.parsed().error_codes.as_ref()
    }

    /// The spec's `servers`, in order.
    pub fn servers(self) -> &'static [Server] {
        &self.parsed().servers
    }

    fn parsed(self) -> &'static Parsed {
        static CELLS: [OnceLock<Parsed>; API_COUNT] = [const { OnceLock::new() }; API_COUNT];
        let index = Api::ALL.iter().position(|a| *a == self).unwrap_or(0);
        CELLS[index].get_or_init(|| {
            Parsed::new(self).unwrap_or_else(|e| {
                // The build already parsed every spec; reaching this means the binary is broken.
                panic!("specs/{}: {e}", self.file_name())
            })
        })
    }
}

impl std::fmt::Display for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.stem())
    }
}

/// A `servers` entry of a spec.
#[derive(Clone, Debug, PartialEq)]
pub struct Server {
    /// The URL, with `{variables}` as written.
    pub url: String,
    /// The description.
    pub description: String,
    /// `x-region` (Log360 Cloud data centres).
    pub region: Option<String>,
    /// `x-accounts-server` (Zoho OAuth server of a Log360 Cloud region).
    pub accounts_server: Option<String>,
    /// `x-environment` (Nameshield: prod, ote).
    pub environment: Option<String>,
    /// Server variables: name to (default, allowed values).
    pub variables: BTreeMap<String, (String, Vec<String>)>,
}

impl Server {
    /// The name a root `x-env: {server: ..}` variable chooses this server by: its `x-region`
    /// or `x-environment`.
    pub fn name(&self) -> Option<&str> {
        self.region.as_deref().or(self.environment.as_deref())
    }
}

/// The `x-rate-limit` of an operation: at most `requests` per `period`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed in one period.
    pub requests: u32,
    /// The period.
    pub period: Duration,
}

/// What the handwritten layer needs to know about one operation.
#[derive(Debug)]
pub struct Operation {
    /// The API it belongs to.
    pub api: Api,
    /// `operationId`.
    pub id: String,
    /// HTTP method, upper case.
    pub method: String,
    /// Path template, relative to the server URL.
    pub path: String,
    /// `deprecated: true`.
    pub deprecated: bool,
    /// `x-unstable: true` (beta: callers opt in).
    pub unstable: bool,
    /// The quota in force (`x-rate-limit` of the operation, else of the API), if the vendor
    /// documents one.
    pub rate_limit: Option<RateLimit>,
    /// Whose quota `rate_limit` is (`per` of that `x-rate-limit`).
    pub quota_owner: Option<model::QuotaOwner>,
    /// `x-pagination`: how a walk of every page proceeds.
    pub pagination: Option<model::Pagination>,
    /// `x-cli`: the command's name and table columns.
    pub cli: model::OperationCli,
    /// `x-async-job`: the job this operation submits ([`crate::async_jobs`]).
    pub async_job: Option<model::AsyncJob>,
    /// `x-enrich`: how `threatbind enrich` looks indicators up with this operation.
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// let providers: Vec<&str> = Api::ALL
    ///     .iter()
    ///     .flat_map(|api| api.operations())
    ///     .filter_map(|op| Some(op.enrich.as_ref()?.provider.as_str()))
    ///     .collect();
    /// assert!(providers.contains(&"datadog-ioc"));
    /// ```
    pub enrich: Option<model::Enrich>,
    /// `x-mock`: what the mock's answer reflects of the request.
    pub mock: Option<model::MockAnswer>,
    /// `x-sections-by-indicator-type`: the sections of an answer, per indicator type.
    pub sections_by_indicator_type: model::SectionsByIndicatorType,
    /// `x-rules`: what a request must satisfy beyond its schema (typed by the model).
    pub rules: Vec<Rule>,
    /// `x-stix`: how the answer maps to STIX 2.1 indicators (`--output stix`).
    pub stix: Option<model::Stix>,
    /// The operation object as written.
    pub raw: Value,
    validators: OnceLock<Result<validator::Compiled, String>>,
    /// The parameters as the send path reads them ([`Operation::request_document`]).
    wire: OnceLock<wire::Parameters>,
}

/// Follows a local `$ref` (`#/components/...`) of `document` to its target; other values are
/// returned as they are.
///
/// ```
/// use threatbind::spec::{resolve, Api};
/// let doc = Api::Log360Cloud.document();
/// let param = serde_json::json!({"$ref": "#/components/parameters/AccountId"});
/// assert_eq!(resolve(doc, &param)["name"], "account_id");
/// ```
pub fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    schema::resolve(document, value)
}

impl Operation {
    /// The `default` of a query or body field, from the schema.
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// let op = Api::Log360Cloud.operation("listRecentAnomalies").unwrap();
    /// assert_eq!(op.default_of("query.limit"), Some(serde_json::json!(50)));
    /// ```
    pub fn default_of(&self, path: &str) -> Option<Value> {
        schema::schema_at(self.api.document(), &self.raw, path)?
            .get("default")
            .cloned()
    }
}

struct Parsed {
    document: Value,
    cli: model::ApiCli,
    env: model::Environment,
    token_limits: Option<model::TokenLimits>,
    error_codes: Option<model::ErrorCodes>,
    quota: Option<(RateLimit, model::QuotaOwner)>,
    servers: Vec<Server>,
    operations: BTreeMap<String, Operation>,
    /// [`generated_key`] of each operationId, to the operationId (every request looks it up).
    by_generated_id: BTreeMap<String, String>,
}

/// An operation name without case or underscores: progenitor's `list_detection_rules` and the
/// spec's `listDetectionRules` meet here.
pub(crate) fn generated_key(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

impl Parsed {
    fn new(api: Api) -> Result<Self, String> {
        let document: Value =
            serde_json::from_str(api.json()).map_err(|e| format!("not valid JSON: {e}"))?;
        // The build read the same model (build.rs): it does not fail here.
        let mut model = model::read_document(api.file_name(), api.source(), &document)
            .map_err(|e| e.to_string())?;
        let servers = document
            .get("servers")
            .and_then(Value::as_array)
            .map(|list| list.iter().map(parse_server).collect())
            .unwrap_or_default();
        let mut operations = BTreeMap::new();
        let paths = document.get("paths").and_then(Value::as_object);
        for (path, item) in paths.into_iter().flatten() {
            for method in [
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ] {
                let Some(raw) = item.get(method) else {
                    continue;
                };
                let id = raw
                    .get("operationId")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{method} {path} has no operationId"))?
                    .to_owned();
                let typed = model.operations.remove(&id).unwrap_or_default();
                let op = Operation {
                    api,
                    id: id.clone(),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    deprecated: raw.get("deprecated").and_then(Value::as_bool) == Some(true),
                    unstable: typed.unstable,
                    rate_limit: typed.rate_limit.as_ref().map(quota_of),
                    quota_owner: typed.rate_limit.map(|limit| limit.per),
                    pagination: typed.pagination,
                    cli: typed.cli,
                    async_job: typed.async_job,
                    enrich: typed.enrich,
                    mock: typed.mock,
                    sections_by_indicator_type: typed.sections_by_indicator_type,
                    rules: typed.rules,
                    stix: typed.stix,
                    raw: raw.clone(),
                    validators: OnceLock::new(),
                    wire: OnceLock::new(),
                };
                operations.insert(id, op);
            }
        }
        let by_generated_id = operations
            .keys()
            .map(|id| (generated_key(id), id.clone()))
            .collect();
        Ok(Parsed {
            cli: std::mem::take(&mut model.cli),
            env: std::mem::take(&mut model.env),
            token_limits: model.token_limits.take(),
            error_codes: model.error_codes.take(),
            quota: model.rate_limit.as_ref().map(|l| (quota_of(l), l.per)),
            document,
            servers,
            operations,
            by_generated_id,
        })
    }
}

fn quota_of(limit: &model::RateLimit) -> RateLimit {
    RateLimit {
        requests: limit.requests,
        period: Duration::from_secs(limit.period_seconds),
    }
}

fn parse_server(v: &Value) -> Server {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let variables = v
        .get("variables")
        .and_then(Value::as_object)
        .map(|vars| {
            vars.iter()
                .map(|(name, var)| {
                    let default = var.get("default").and_then(Value::as_str).unwrap_or("");
                    let allowed = var
                        .get("enum")
                        .and_then(Value::as_array)
                        .map(|e| {
                            e.iter()
                                .filter_map(|x| x.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default();
                    (name.clone(), (default.to_owned(), allowed))
                })
                .collect()
        })
        .unwrap_or_default();
    Server {
        url: text("url").unwrap_or_default(),
        description: text("description").unwrap_or_default(),
        region: text("x-region"),
        accounts_server: text("x-accounts-server"),
        environment: text("x-environment"),
        variables,
    }
}

//! The project's `x-` extensions as Rust types (specs/README.md says what each means). Unknown
//! keys are refused: a misspelt key is an error, never a default in silence.

use serde::Deserialize;
use std::collections::BTreeMap;

/// `x-rate-limit`: at most `requests` per `period_seconds`, counted per `per`. At the root of a
/// spec it is the API's quota; on an operation it overrides the root's for that operation.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests allowed in any window of the period (at least 1).
    pub requests: u32,
    /// The window, in seconds (at least 1).
    pub period_seconds: u64,
    /// Whose quota it is.
    pub per: QuotaOwner,
}

/// Whose requests a quota counts.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum QuotaOwner {
    /// The account (Log360 Cloud's `account_id`).
    Account,
    /// The bearer token.
    Token,
    /// The API key.
    ApiKey,
    /// The server (an on-premises product: every API of that server).
    Server,
}

impl QuotaOwner {
    /// The name the spec writes: `account`, `token`, `api-key`, `server`.
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaOwner::Account => "account",
            QuotaOwner::Token => "token",
            QuotaOwner::ApiKey => "api-key",
            QuotaOwner::Server => "server",
        }
    }
}

/// `x-pagination` of an operation: how a walk of every page proceeds.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Pagination {
    /// The request path of the page cursor (`query.from`, `body.offset`).
    pub cursor: String,
    /// The path of the items in an answer (`""`: the page is the item).
    #[serde(default)]
    pub items: String,
    /// How the cursor moves.
    pub advance: Advance,
    /// A boolean path of the answer: more pages follow.
    pub more: Option<String>,
    /// A count path of the answer: the total of items.
    pub total: Option<String>,
    /// The request path of the page size.
    pub limit: Option<String>,
    /// The answer's path of the page size it used.
    pub page_limit: Option<String>,
    /// Token cursors: the answer's path(s) of the next token (`a|b` tries both).
    pub next: Option<String>,
    /// Token cursors: the request path left out of the next requests.
    pub without: Option<String>,
    /// Token cursors: seconds a token stays usable.
    pub expires_seconds: Option<u64>,
}

/// How a page cursor moves.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Advance {
    /// Page numbers: one at a time.
    One,
    /// By the items read.
    Items,
    /// By the page size.
    Limit,
    /// The answer's token.
    Token,
}

/// `x-cli` at the root of a spec: the API's command and variables.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ApiCli {
    /// The command's name (else the spec's stem).
    pub name: Option<String>,
}

/// `x-cli` on an operation.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OperationCli {
    /// The command's name (else the operationId in kebab case).
    pub name: Option<String>,
    /// The columns of `--output table`.
    pub table: Option<Vec<String>>,
}

/// `x-cli` on a body property (a parameter's takes `flag` only).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FieldCli {
    /// The flag's name, when it is not the field's.
    pub flag: Option<String>,
    /// A text field listing values with this separator (the flag repeats).
    pub separator: Option<String>,
    /// An array of objects written as `A<sep>B<sep>C` on one repeatable flag.
    pub fields: Option<Vec<String>>,
    /// The flag's help, replacing the description.
    pub help: Option<String>,
}

/// `x-token-limits` on an OAuth security scheme: the vendor's limits on the token exchange.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TokenLimits {
    /// How long an access token lives.
    pub access_token_lifetime_seconds: u64,
    /// Exchanges allowed per refresh token.
    pub tokens_per_refresh_token: Quota,
    /// Access tokens alive at once.
    pub active_access_tokens: u32,
}

/// A number of requests in a period.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// Requests allowed in any window of the period.
    pub requests: u32,
    /// The window, in seconds.
    pub period_seconds: u64,
}

/// `x-async-job` on an operation that submits a job: how its job is waited for and its
/// results read. Paths are dot-separated: request paths (`query.request_id`) into the request
/// document, answer paths (`request_id`) into an answer's JSON.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AsyncJob {
    /// The submit answer's path of the job's id.
    pub id: String,
    /// The operation polled for the job's status.
    pub poll: String,
    /// The poll's request path that takes the id.
    pub poll_id: String,
    /// The poll answer's path of the list of jobs.
    pub jobs: String,
    /// A job's path of its id, to find it in the list.
    pub job_id: String,
    /// A job's path of its status.
    pub status: String,
    /// The status of a job that finished.
    pub done: String,
    /// The status of a job that failed.
    pub failed: String,
    /// The operation that gives the result pages.
    pub results: String,
    /// The results request path that takes the id.
    pub results_id: String,
    /// The results request path of the page number (from 1).
    pub page: String,
    /// The results answer's path of "a next page follows" (`true`, or a later page number).
    pub next: String,
}

/// `x-error-codes` at the root of a spec: the vendor's error codes (the `code` of its error
/// bodies), each with the answer it comes with.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct ErrorCodes {
    /// `x-assumed`: what of the list the vendor's pages do not state.
    #[serde(rename = "x-assumed")]
    pub assumed: Option<String>,
    /// Each code (digits), with what it means.
    #[serde(flatten)]
    pub codes: BTreeMap<String, ErrorCode>,
}

/// One vendor error code of `x-error-codes`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ErrorCode {
    /// The HTTP status it comes with.
    pub status: u16,
    /// The title the vendor gives it.
    pub title: Option<String>,
    /// The request field it is about (a parameter or body field's name).
    pub field: Option<String>,
    /// The text of its `detail`.
    pub detail: String,
}

/// `x-notes` on an operation, a parameter or a schema (a body property included): the
/// maintainers' notes about it (doc contradictions, where a fact came from, inferences,
/// remarks on the generator), kept out of `description`, which users read in `--help`.
/// Written as one string or a list of strings; read as the list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Notes(pub Vec<String>);

impl Notes {
    /// The notes of `value`: a string is one note, a list of strings is several; anything else
    /// is `None`.
    ///
    /// ```
    /// use serde_json::json;
    /// use threatbind_model::Notes;
    /// assert_eq!(Notes::of(&json!("one")), Some(Notes(vec!["one".to_owned()])));
    /// assert_eq!(Notes::of(&json!(["a", "b"])).unwrap().0.len(), 2);
    /// assert_eq!(Notes::of(&json!({"a": 1})), None);
    /// ```
    pub fn of(value: &serde_json::Value) -> Option<Notes> {
        match value {
            serde_json::Value::String(one) => Some(Notes(vec![one.clone()])),
            serde_json::Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect::<Option<Vec<String>>>()
                .map(Notes),
            _ => None,
        }
    }
}

/// `x-lint-ignore` on any object of a spec: the ids of the findings (lint rules, diff kinds,
/// check rules) a maintainer has decided to live with, at this object and everything beneath
/// it. The spec tools set them aside and count them as ignored.
///
/// ```yaml
/// x-lint-ignore: [missing-example, response-enum-value-added]
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LintIgnore(pub Vec<String>);

impl LintIgnore {
    /// The ids of `value`: a list of non-empty strings; anything else is `None`.
    ///
    /// ```
    /// use serde_json::json;
    /// use threatbind_model::LintIgnore;
    /// assert_eq!(LintIgnore::of(&json!(["missing-example"])), Some(LintIgnore(vec!["missing-example".to_owned()])));
    /// assert_eq!(LintIgnore::of(&json!("missing-example")), None);
    /// assert_eq!(LintIgnore::of(&json!([""])), None);
    /// ```
    pub fn of(value: &serde_json::Value) -> Option<LintIgnore> {
        value
            .as_array()?
            .iter()
            .map(|i| {
                i.as_str()
                    .filter(|s| !s.trim().is_empty())
                    .map(str::to_owned)
            })
            .collect::<Option<Vec<String>>>()
            .map(LintIgnore)
    }
}

/// `x-epoch` on an integer schema: the value is a Unix time in this unit (the on-premises V1
/// API's `from` and `to` are milliseconds), so a time written as people write it can be sent
/// in it.
#[derive(Clone, Copy, Debug, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EpochUnit {
    /// Seconds since 1970-01-01T00:00:00Z.
    Seconds,
    /// Milliseconds since 1970-01-01T00:00:00Z.
    Milliseconds,
}

impl EpochUnit {
    /// The unit of `schema`'s `x-epoch`, if it has one this model reads.
    ///
    /// ```
    /// use serde_json::json;
    /// use threatbind_model::EpochUnit;
    /// let schema = json!({"type": "integer", "x-epoch": "milliseconds"});
    /// assert_eq!(EpochUnit::of(&schema), Some(EpochUnit::Milliseconds));
    /// assert_eq!(EpochUnit::of(&json!({"type": "integer"})), None);
    /// ```
    pub fn of(schema: &serde_json::Value) -> Option<EpochUnit> {
        serde_json::from_value(schema.get("x-epoch")?.clone()).ok()
    }
}

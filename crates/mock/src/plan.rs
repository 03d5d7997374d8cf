//! Everything the mock needs per operation, prepared once at start from the specs: route,
//! credentials, quota, success answer, paging, error bodies. No spec is read per request.

use super::answers::{self, Errors};
use super::auth::{self, Credential, Security};
use super::data::{lookup_of, DataSets, Lookup};
use super::paging::Paging;
use super::routes::Router;
use super::Options;
use serde_json::Value;
use threatbind::spec::model::QuotaOwner;
use threatbind::spec::{resolve, Api, Operation, RateLimit};

/// Whose requests a quota counts (`per` of `x-rate-limit`).
#[derive(Clone, Debug)]
enum Per {
    /// The account: the value of the operation's account header, else the credential.
    Account(Option<String>),
    /// The token of the `Authorization` header.
    Token,
    /// The API key.
    ApiKey,
    /// The server: one window for every operation that says so, whatever its API (an
    /// on-premises product's V1 and V2 share one; the mock is one server).
    Server,
    /// Not said: whichever credential the request carries.
    Any,
}

/// One operation, ready to answer.
#[derive(Debug)]
pub(crate) struct Plan {
    pub op: &'static Operation,
    /// Position of its API in [`Api::ALL`].
    pub api: usize,
    pub security: Security,
    /// The quota: `--rate-limit`, else the spec's `x-rate-limit`.
    pub limit: Option<RateLimit>,
    per: Per,
    pub success: (u16, Value),
    pub paging: Option<Paging>,
    pub lookup: Option<Lookup>,
    pub errors: Errors,
}

impl Plan {
    /// The window this request counts in: its scope (the API's position in [`Api::ALL`], or
    /// past the end for the server's) and its key within the scope.
    pub fn quota_window<'a>(
        &self,
        headers: &'a http::HeaderMap,
        credential: &'a Credential,
    ) -> (usize, &'a str) {
        if let Per::Server = self.per {
            return (Api::ALL.len(), "server");
        }
        (self.api, self.quota_key(headers, credential))
    }

    /// The value the quota counts for this request.
    fn quota_key<'a>(&self, headers: &'a http::HeaderMap, credential: &'a Credential) -> &'a str {
        let any = || {
            credential
                .token
                .as_deref()
                .or(credential.api_key.as_deref())
                .unwrap_or("")
        };
        match &self.per {
            Per::Account(Some(name)) => auth::header(headers, name).unwrap_or_else(any),
            Per::Token => credential.token.as_deref().unwrap_or_else(any),
            Per::ApiKey => credential.api_key.as_deref().unwrap_or_else(any),
            Per::Account(None) | Per::Any | Per::Server => any(),
        }
    }
}

fn account_header(op: &Operation) -> Option<String> {
    let document = op.api.document();
    op.raw
        .get("parameters")?
        .as_array()?
        .iter()
        .map(|p| resolve(document, p))
        .filter(|p| p.get("in").and_then(Value::as_str) == Some("header"))
        .filter_map(|p| p.get("name").and_then(Value::as_str))
        .find(|name| name.to_ascii_lowercase().contains("account"))
        .map(str::to_owned)
}

/// The plans of every operation of every API, their router and data sets.
pub(crate) fn build(options: &Options) -> Result<(Router<usize>, Vec<Plan>, DataSets), String> {
    let mut sets = DataSets::default();
    let mut plans = Vec::new();
    for (index, api) in Api::ALL.iter().enumerate() {
        for op in api.operations() {
            // Compile the operation's validators now, not on its first request.
            let _ = op.validate_response(0, &Value::Null);
            let success = answers::success(op);
            let paging = Paging::of(
                op,
                success.0,
                &success.1,
                &mut sets,
                options.items,
                options.seed,
            );
            let per = match op.quota_owner {
                Some(QuotaOwner::Account) => Per::Account(account_header(op)),
                Some(QuotaOwner::Token) => Per::Token,
                Some(QuotaOwner::ApiKey) => Per::ApiKey,
                Some(QuotaOwner::Server) => Per::Server,
                None => Per::Any,
            };
            plans.push(Plan {
                op,
                api: index,
                security: Security::of(op),
                limit: options.rate_limit.or(op.rate_limit),
                per,
                success,
                paging,
                lookup: None,
                errors: Errors::of(op),
            });
        }
    }
    // Reading one item of a data set needs every data set built.
    for plan in &mut plans {
        plan.lookup = lookup_of(plan.op, plan.success.0, &sets);
    }
    let router = Router::new(plans.iter().enumerate().map(|(i, plan)| {
        (
            plan.op.api.stem(),
            plan.op.method.as_str(),
            super::path_of(plan.op),
            i,
        )
    }))?;
    Ok((router, plans, sets))
}

//! Any operation of a bound API, from a request document: the generic path the CLI takes. It
//! goes through the same hooks as the typed clients (validation, quota, credentials, retries,
//! bounds) and keeps the answer's bytes exactly as the vendor sent them.

use crate::error::{Error, Result};
use crate::spec::{Api, Operation};
use crate::transport::Hooks;
use serde_json::Value;

/// A client for every operation of one API, built from a typed client (`Log360Client::raw`,
/// `NameshieldClient::raw`, `DatadogClient::raw`), sharing its credentials and quota.
///
/// ```no_run
/// # async fn run() -> threatbind::Result<()> {
/// use threatbind::spec::{Api, Document};
/// let raw = threatbind::nameshield_cti::NameshieldClient::from_env()?.build()?.raw();
/// let op = Api::NameshieldCti.operation("listThreatEvents").unwrap();
/// let answer = raw.send(op, &Document::new().query("size", 10).into_value()).await?;
/// println!("{}", String::from_utf8_lossy(&answer.body));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct RawClient {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    pub(crate) hooks: Hooks,
    /// Header parameters the client supplies itself (Log360's `account_id`).
    pub(crate) fixed: Vec<(String, String)>,
}

/// An answer as received.
#[derive(Debug)]
pub struct RawAnswer {
    /// HTTP status (2xx: errors are [`Error`]s).
    pub status: u16,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body, byte for byte.
    pub body: Vec<u8>,
    /// Set when the body breaks the operation's documented type ([`Error::Decode`], naming the
    /// JSON path). The body is still the vendor's, unchanged.
    pub decode_error: Option<Error>,
}

impl RawClient {
    /// The generic face of a generated client (its HTTP client, server and hooks), with the
    /// header parameters the typed client fills in itself.
    pub(crate) fn of<C: progenitor_client::ClientInfo<Hooks>>(
        client: &C,
        fixed: Vec<(String, String)>,
    ) -> Self {
        Self {
            http: client.client().clone(),
            base_url: client.baseurl().to_owned(),
            hooks: client.inner().clone(),
            fixed,
        }
    }

    /// The API.
    pub fn api(&self) -> Api {
        self.hooks.api
    }

    /// The server URL in use.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Opts in to a beta operation.
    pub fn enable_unstable(&mut self, operation: &str) {
        let mut set = (*self.hooks.unstable).clone();
        set.insert(crate::transport::normalise(operation));
        self.hooks.unstable = std::sync::Arc::new(set);
    }

    /// Header parameters this client fills in itself, by name.
    pub fn fixed_headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fixed.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Sends `op` with `document` (`{"query":..,"path":..,"header":..,"body":..}`, see
    /// [`crate::spec::Document`]). Path and query values are written as the spec says (arrays
    /// repeat their parameter); header parameters this client supplies are added.
    pub async fn send(&self, op: &Operation, document: &Value) -> Result<RawAnswer> {
        let request = self.build(op, document)?;
        crate::transport::send_raw(&self.hooks, &self.http, request, op, op.api.decode_check())
            .await
    }

    /// Sends `op` and decodes its success answer into `T` (the typed clients' one path).
    pub(crate) async fn call<T: serde::de::DeserializeOwned>(
        &self,
        op: &Operation,
        document: Value,
    ) -> Result<T> {
        let answer = self.send(op, &document).await?;
        if let Some(error) = answer.decode_error {
            return Err(error);
        }
        serde_json::from_slice(&answer.body)
            .map_err(|e| Error::Decode(format!("{}: the answer does not decode: {e}", op.id)))
    }

    fn build(&self, op: &Operation, document: &Value) -> Result<reqwest::Request> {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut path = op.path.clone();
        if let Some(Value::Object(params)) = document.get("path") {
            for (name, value) in params {
                let encoded = crate::secret::url_encode(&text(value));
                path = path.replace(&format!("{{{name}}}"), &encoded);
            }
        }
        let method = reqwest::Method::from_bytes(op.method.as_bytes())
            .map_err(|e| Error::config("method", e.to_string()))?;
        let url = format!("{}{path}", self.base_url);
        let mut request = self.http.request(method, &url);
        if let Some(Value::Object(query)) = document.get("query") {
            let mut pairs: Vec<(String, String)> = Vec::new();
            for (name, value) in query {
                match value {
                    Value::Array(items) => {
                        pairs.extend(items.iter().map(|i| (name.clone(), text(i))));
                    }
                    Value::Null => {}
                    other => pairs.push((name.clone(), text(other))),
                }
            }
            request = request.query(&pairs);
        }
        let declared = |name: &str| crate::spec::Operation::declares_header(op, name);
        let given = |name: &str| document.pointer(&format!("/header/{name}")).is_some();
        for (name, value) in &self.fixed {
            if declared(name) && !given(name) {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        if let Some(Value::Object(headers)) = document.get("header") {
            for (name, value) in headers {
                request = request.header(name.as_str(), text(value));
            }
        }
        if let Some(body) = document.get("body") {
            request = request.json(body);
        }
        request
            .build()
            .map_err(|e| Error::config("request", crate::secret::redact(&e.to_string())))
    }
}

/// Decodes an operation's success answer into its generated type (`None`: no named type).
pub(crate) type DecodeCheck = fn(&str, &[u8]) -> Option<std::result::Result<(), String>>;

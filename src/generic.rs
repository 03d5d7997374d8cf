//! A client for any API whose spec's security schemes say all there is to its credentials
//! (`http` bearer, `apiKey` headers), with each scheme's variable in `x-env`. Such an API costs
//! its spec, its fixtures and one Cargo feature line: no hand-written module.
//!
//! The server is the spec's first `servers` entry with its variables' defaults (or the values
//! given), or `<PREFIX>_BASE_URL` where `x-cli.env-prefix` names the prefix.

use crate::error::{Error, Result};
use crate::raw::RawClient;
use crate::secret::{check_header_value, Secret};
use crate::spec::Api;
use crate::transport::Authorizer;
use crate::Settings;
use futures::future::BoxFuture;
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;
use std::sync::Arc;

/// Credentials read off the spec: header name and value (with its scheme prefix).
#[derive(Debug)]
struct Headers(Vec<(HeaderName, String, Secret)>);

impl Authorizer for Headers {
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            for (name, prefix, secret) in &self.0 {
                let mut value = HeaderValue::from_str(&format!("{prefix}{}", secret.expose()))
                    .map_err(|_| {
                        Error::config(name.as_str(), "has characters a header cannot carry")
                    })?;
                value.set_sensitive(true);
                request.headers_mut().insert(name.clone(), value);
            }
            Ok(())
        })
    }
}

/// The environment variables a spec's credentials and server come from, with what each is.
///
/// ```
/// # #[cfg(feature = "nameshield-cti")] {
/// let vars = threatbind::generic::variables(threatbind::spec::Api::NameshieldCti);
/// assert!(vars.iter().any(|(name, _)| name == "NAMESHIELD_TOKEN"));
/// # }
/// ```
pub fn variables(api: Api) -> Vec<(String, String)> {
    let doc = api.document();
    let mut out = Vec::new();
    let schemes = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    for scheme in schemes.into_iter().flat_map(|s| s.values()) {
        if let Some(var) = scheme.get("x-env").and_then(Value::as_str) {
            let what = scheme
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("credential")
                .lines()
                .next()
                .unwrap_or("")
                .to_owned();
            out.push((var.to_owned(), what));
        }
    }
    if let Some(prefix) = api.cli().env_prefix.as_deref() {
        out.push((
            format!("{prefix}_URL"),
            "the server, scheme://host:port (the spec's path is added)".to_owned(),
        ));
        out.push((
            format!("{prefix}_BASE_URL"),
            "replaces the whole server URL".to_owned(),
        ));
        out.push((
            format!("{prefix}_CA_FILE"),
            "PEM certificate authorities to trust (self-signed servers; --ca-file)".to_owned(),
        ));
    }
    out
}

/// A client for `api` from the environment (`get` reads a variable), with `settings`, the server
/// variables given (`[("host", "siem.example")]`) and an optional base URL that replaces the
/// server's.
///
/// ```
/// # #[cfg(feature = "nameshield-cti")] {
/// use threatbind::{generic, spec::Api, Settings};
/// let get = |name: &str| (name == "NAMESHIELD_TOKEN").then(|| "3f2c4f5e-1b7a-4d2e".to_owned());
/// let raw = generic::connect(Api::NameshieldCti, get, &Settings::default(), &[], None).unwrap();
/// assert_eq!(raw.base_url(), "https://api.nameshield.net");
/// # }
/// ```
pub fn connect(
    api: Api,
    get: impl Fn(&str) -> Option<String>,
    settings: &Settings,
    server_values: &[(String, String)],
    base_url: Option<String>,
) -> Result<RawClient> {
    let doc = api.document();
    let mut headers = Vec::new();
    let mut key = String::new();
    let schemes = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    for scheme in schemes.into_iter().flat_map(|s| s.values()) {
        let Some(var) = scheme.get("x-env").and_then(Value::as_str) else {
            continue;
        };
        let value = get(var)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| Error::config(var, "not set"))?;
        check_header_value(var, &value)?;
        let secret = Secret::new(value);
        key.push_str(&format!("{:x}", secret.fingerprint()));
        let text = |k: &str| scheme.get(k).and_then(Value::as_str).unwrap_or("");
        let (name, prefix) = match (text("type"), text("in")) {
            ("http", _) if text("scheme").eq_ignore_ascii_case("bearer") => {
                ("authorization".to_owned(), "Bearer ".to_owned())
            }
            ("apiKey", "header") => (text("name").to_owned(), String::new()),
            (kind, place) => {
                return Err(Error::config(
                    var,
                    format!("the spec's {kind} scheme ({place}) needs a hand-written client"),
                ))
            }
        };
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| Error::config(var, format!("header {name:?}: {e}")))?;
        headers.push((name, prefix, secret));
    }
    let prefix = api.cli().env_prefix.as_deref();
    let var = |suffix: &str| {
        prefix.and_then(|p| {
            let name = format!("{p}_{suffix}");
            get(&name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (name, v.trim().to_owned()))
        })
    };
    let from_env = match (var("BASE_URL"), var("URL")) {
        (Some((_, url)), _) => Some(url),
        (None, Some((name, root))) => {
            let root = crate::common::check_url(&name, &root)?;
            Some(format!(
                "{}{}",
                root.trim_end_matches('/'),
                api.server_path()
            ))
        }
        (None, None) => None,
    };
    let mut settings = settings.clone();
    if settings.ca_file.is_none() {
        settings.ca_file = var("CA_FILE").map(|(_, file)| file.into());
    }
    let settings = &settings;
    let url = match base_url.or(from_env) {
        Some(url) => url,
        None => {
            let server = api
                .servers()
                .first()
                .ok_or_else(|| Error::config("servers", "the spec has none"))?;
            let mut url = server.url.clone();
            for (name, (default, _)) in &server.variables {
                let value = server_values
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(default.as_str(), |(_, v)| v.as_str());
                url = url.replace(&format!("{{{name}}}"), value);
            }
            url
        }
    };
    let c = crate::common::connect(
        api,
        &[("token", key.clone()), ("api-key", key)],
        &url,
        settings,
        Arc::new(Headers(headers)),
    )?;
    Ok(RawClient {
        http: c.http,
        base_url: c.base_url,
        hooks: c.hooks,
        fixed: Vec::new(),
    })
}

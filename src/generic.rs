//! Credentials and servers from the variables a spec names, for every API: each security
//! scheme's credential from its `x-env` (sent as its scheme says: `http` bearer, an OAuth token
//! with its `x-token-prefix`, an `apiKey` header), the server from the root `x-env` (a URL
//! override, a server chosen by name) and the server variables' `x-env`. An API whose spec says
//! all there is to its credentials costs its spec, its fixtures and one Cargo feature line: no
//! hand-written module; the hand-written ones (Log360 Cloud's OAuth refresh) read their
//! variables through the same model.

use crate::common::{check_url, Settings};
use crate::error::{Error, Result};
use crate::raw::RawClient;
use crate::secret::{check_header_value, Secret};
use crate::spec::model::Carrier;
use crate::spec::{Api, Server};
use crate::transport::Authorizer;
use futures::future::BoxFuture;
use reqwest::header::{HeaderName, HeaderValue};
use std::sync::Arc;

/// Credentials read off the spec: header name, scheme word and value.
#[derive(Debug)]
pub(crate) struct Headers(Vec<(HeaderName, String, Secret, String)>);

impl Authorizer for Headers {
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            for (name, prefix, secret, variable) in &self.0 {
                let text = if prefix.is_empty() {
                    secret.expose().to_owned()
                } else {
                    format!("{prefix} {}", secret.expose())
                };
                let mut value = HeaderValue::from_str(&text)
                    .map_err(|_| Error::config(variable, "has characters a header cannot carry"))?;
                value.set_sensitive(true);
                request.headers_mut().insert(name.clone(), value);
            }
            Ok(())
        })
    }
}

/// The environment variables of `api` and what each holds: every variable its spec names,
/// the choices of a server or server variable listed with their default.
///
/// ```
/// # #[cfg(feature = "nameshield-cti")] {
/// let vars = threatbind::generic::variables(threatbind::spec::Api::NameshieldCti);
/// let token = &threatbind::spec::Api::NameshieldCti.env().credentials[0].variable.name;
/// assert!(vars.iter().any(|(name, _)| name == token));
/// # }
/// ```
pub fn variables(api: Api) -> Vec<(String, String)> {
    let env = api.env();
    let choices = |help: &str, names: Vec<&str>| match names.first() {
        Some(first) if names.len() > 1 => {
            format!("{help}: {} (default {first})", names.join(", "))
        }
        _ => help.to_owned(),
    };
    env.variables()
        .into_iter()
        .map(|v| {
            let help = if env.api.server.as_ref() == Some(v) {
                choices(
                    &v.help,
                    api.servers().iter().filter_map(Server::name).collect(),
                )
            } else if let Some(s) = env.server_variables.iter().find(|s| &s.variable == v) {
                let (default, allowed) = api
                    .servers()
                    .first()
                    .and_then(|server| server.variables.get(&s.name))
                    .map(|(d, a)| (d.as_str(), a.iter().map(String::as_str).collect()))
                    .unwrap_or(("", Vec::new()));
                let mut names: Vec<&str> = vec![default];
                names.extend(allowed.into_iter().filter(|a| *a != default));
                choices(&v.help, names)
            } else {
                v.help.clone()
            };
            (v.name.clone(), help)
        })
        .collect()
}

/// Fails naming the first variable of `api` in the process's environment whose value is not
/// UTF-8 (it would otherwise read as unset).
///
/// ```
/// # #[cfg(feature = "nameshield-cti")]
/// threatbind::generic::check_env_utf8(threatbind::spec::Api::NameshieldCti).unwrap();
/// ```
pub fn check_env_utf8(api: Api) -> Result<()> {
    for v in api.env().variables() {
        if std::env::var_os(&v.name).is_some_and(|value| value.to_str().is_none()) {
            return Err(Error::config(&v.name, "is not valid UTF-8"));
        }
    }
    Ok(())
}

/// The value of `name` through `get`, unless unset or blank.
fn value(get: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    crate::common::Vars::new(get).get(name)
}

/// `value` without a leading `prefix ` (a token pasted with its scheme word). Nothing else is
/// trimmed: a control character anywhere is refused by the header check, never dropped.
pub(crate) fn without_scheme_word(value: &str, prefix: &str) -> String {
    match value.get(..prefix.len() + 1) {
        Some(head) if !prefix.is_empty() && head.eq_ignore_ascii_case(&format!("{prefix} ")) => {
            value[prefix.len() + 1..].trim_start().to_owned()
        }
        _ => value.to_owned(),
    }
}

/// The server of `api`: the root `x-env` base URL or URL (the spec's server path added),
/// else the server chosen by the `server` variable (the first by default), its variables from
/// `server_values`, their `x-env` variables, or their defaults. With the chosen server, where
/// one was.
pub(crate) fn server(
    api: Api,
    get: &dyn Fn(&str) -> Option<String>,
    server_values: &[(String, String)],
) -> Result<(String, Option<&'static Server>)> {
    let env = &api.env().api;
    if let Some(var) = &env.base_url {
        if let Some(url) = value(get, &var.name) {
            return Ok((check_url(&var.name, url.trim())?, None));
        }
    }
    if let Some(var) = &env.url {
        if let Some(root) = value(get, &var.name) {
            let root = check_url(&var.name, root.trim())?;
            return Ok((format!("{root}{}", api.server_path()), None));
        }
    }
    let servers = api.servers();
    let chosen = match env
        .server
        .as_ref()
        .and_then(|v| Some((v, value(get, &v.name)?)))
    {
        Some((var, wanted)) => servers
            .iter()
            .find(|s| {
                s.name()
                    .is_some_and(|n| n.eq_ignore_ascii_case(wanted.trim()))
            })
            .ok_or_else(|| {
                let names: Vec<&str> = servers.iter().filter_map(Server::name).collect();
                Error::config(
                    &var.name,
                    format!("{wanted:?} is not one of {}", names.join(", ")),
                )
            })?,
        None => servers
            .first()
            .ok_or_else(|| Error::config("servers", "the spec has none"))?,
    };
    let mut url = chosen.url.clone();
    for (name, (default, allowed)) in &chosen.variables {
        let from_env = api
            .env()
            .server_variables
            .iter()
            .find(|s| &s.name == name)
            .map(|s| &s.variable.name);
        let given = server_values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| (v.clone(), format!("the server variable {name}")))
            .or_else(|| from_env.and_then(|var| Some((value(get, var)?, var.clone()))));
        let value = match given {
            None => default.clone(),
            Some((value, _)) if allowed.is_empty() => value.trim().to_owned(),
            Some((value, source)) => allowed
                .iter()
                .find(|a| a.eq_ignore_ascii_case(value.trim()))
                .cloned()
                .ok_or_else(|| {
                    Error::config(
                        &source,
                        format!("{value:?} is not one of {}", allowed.join(", ")),
                    )
                })?,
        };
        url = url.replace(&format!("{{{name}}}"), &value);
    }
    Ok((url, Some(chosen)))
}

/// The CA file of the root `x-env`, when `settings` has none.
pub(crate) fn ca_file(api: Api, get: &dyn Fn(&str) -> Option<String>, settings: &mut Settings) {
    if settings.ca_file.is_none() {
        if let Some(var) = &api.env().api.ca_file {
            settings.ca_file = value(get, &var.name).map(|f| f.trim().into());
        }
    }
}

/// The credentials of every security scheme with `x-env`, checked, and a fingerprint of them
/// (the quota's identity).
pub(crate) fn credentials(
    api: Api,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<(Headers, String)> {
    let mut headers = Vec::new();
    let mut key = String::new();
    for c in &api.env().credentials {
        let var = &c.variable.name;
        let raw = value(get, var).ok_or_else(|| Error::config(var, "not set"))?;
        let Some((header, prefix)) = c.carrier.header() else {
            let kind = match &c.carrier {
                Carrier::Other { kind } => kind.as_str(),
                _ => "",
            };
            return Err(Error::config(
                var,
                format!("the spec's {kind} scheme needs a hand-written client"),
            ));
        };
        let name = HeaderName::from_bytes(header.as_bytes())
            .map_err(|e| Error::config(var, format!("header {header:?}: {e}")))?;
        let prefix = prefix.to_owned();
        let value = without_scheme_word(&raw, &prefix);
        check_header_value(var, &value)?;
        let secret = Secret::new(value);
        key.push_str(&format!("{:x}", secret.fingerprint()));
        headers.push((name, prefix, secret, var.clone()));
    }
    Ok((Headers(headers), key))
}

/// The parts of a client of `api`: its credentials, its server and its settings, all from the
/// variables `get` reads; `base_url` replaces the server.
pub(crate) fn connection(
    api: Api,
    get: &dyn Fn(&str) -> Option<String>,
    settings: &Settings,
    server_values: &[(String, String)],
    base_url: Option<String>,
) -> Result<crate::common::Connection> {
    let (headers, key) = credentials(api, get)?;
    let url = match base_url {
        Some(url) => url,
        None => server(api, get, server_values)?.0,
    };
    let mut settings = settings.clone();
    ca_file(api, get, &mut settings);
    crate::common::connect(
        api,
        &[("token", key.clone()), ("api-key", key)],
        &url,
        &settings,
        Arc::new(headers),
    )
}

/// A client for `api` from the environment (`get` reads a variable), with `settings`, the server
/// variables given (`[("host", "siem.example")]`) and an optional base URL that replaces the
/// server's.
///
/// ```
/// # #[cfg(feature = "nameshield-cti")] {
/// use threatbind::{generic, spec::Api, Settings};
/// let token = &Api::NameshieldCti.env().credentials[0].variable.name;
/// let get = |name: &str| (name == token).then(|| "3f2c4f5e-1b7a-4d2e".to_owned());
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
    let c = connection(api, &get, settings, server_values, base_url)?;
    Ok(RawClient {
        http: c.http,
        base_url: c.base_url,
        hooks: c.hooks,
        fixed: Vec::new(),
    })
}

/// The values of an API's variables a builder holds: a credential as a [`Secret`] (never
/// shown, redacted wherever it appears), anything else (a site, a base URL) as it is, so that
/// request lines and errors still show it.
// Read by the hand-written builders (Nameshield, Datadog); a build without them leaves it unused.
#[allow(dead_code)]
#[derive(Clone, Debug, Default)]
pub(crate) struct Values(std::collections::BTreeMap<String, Held>);

/// One value of [`Values`].
#[derive(Clone, Debug)]
pub(crate) enum Held {
    Secret(Secret),
    Plain(String),
}

// Read by the hand-written builders (Nameshield, Datadog); a build without them leaves it unused.
#[allow(dead_code)]
impl Values {
    /// Every variable of `api` that `get` has.
    pub(crate) fn of(api: Api, get: &dyn Fn(&str) -> Option<String>) -> Self {
        let mut values = Self::default();
        for v in api.env().variables() {
            if let Some(value) = value(get, &v.name) {
                let held = if api.env().is_secret(&v.name) {
                    Held::Secret(Secret::new(value))
                } else {
                    Held::Plain(value)
                };
                values.0.insert(v.name.clone(), held);
            }
        }
        values
    }

    /// Sets the credential `name` (an empty name, from a spec without that variable, is
    /// ignored).
    pub(crate) fn set(&mut self, name: &str, value: impl Into<Secret>) {
        if !name.is_empty() {
            self.0.insert(name.to_owned(), Held::Secret(value.into()));
        }
    }

    /// Sets `name`, a value that is no secret (a site, a server's name).
    pub(crate) fn set_plain(&mut self, name: &str, value: &str) {
        if !name.is_empty() {
            self.0
                .insert(name.to_owned(), Held::Plain(value.to_owned()));
        }
    }

    /// The value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|held| match held {
            Held::Secret(s) => s.expose().to_owned(),
            Held::Plain(p) => p.clone(),
        })
    }

    /// A connection of `api` from these values (`base_url` replaces the server).
    pub(crate) fn connect(
        &self,
        api: Api,
        settings: &Settings,
        base_url: Option<String>,
    ) -> Result<crate::common::Connection> {
        connection(api, &|n| self.get(n), settings, &[], base_url)
    }
}

/// The variable of the security scheme `scheme` of `api` (empty if the spec has none).
#[allow(dead_code)]
pub(crate) fn credential_variable(api: Api, scheme: &str) -> &'static str {
    api.env()
        .credentials
        .iter()
        .find(|c| c.scheme == scheme)
        .map_or("", |c| c.variable.name.as_str())
}

/// The variable the root `x-env` chooses a server with (empty if none).
#[allow(dead_code)]
pub(crate) fn server_variable(api: Api) -> &'static str {
    api.env()
        .api
        .server
        .as_ref()
        .map_or("", |v| v.name.as_str())
}

/// The methods every builder over [`Values`] shares (`values`, `base_url` and `settings`
/// fields): `base_url`, `settings`, `from_vars`.
#[allow(unused_macros)]
macro_rules! builder_basics {
    ($api:expr) => {
        /// Replaces the whole server URL (e.g. a local mock).
        pub fn base_url(mut self, url: impl Into<String>) -> Self {
            self.base_url = Some(url.into());
            self
        }

        /// Transport settings.
        pub fn settings(mut self, settings: crate::Settings) -> Self {
            self.settings = settings;
            self
        }

        /// Reads the variables the spec names (credentials, server, base URL) through `get`;
        /// a credential unset or a server value not in the spec is refused, naming the variable.
        pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> crate::Result<Self> {
            crate::generic::credentials($api, &get)?;
            crate::generic::server($api, &get, &[])?;
            Ok(Self {
                values: crate::generic::Values::of($api, &get),
                ..Self::default()
            })
        }
    };
}
#[allow(unused_imports)]
pub(crate) use builder_basics;

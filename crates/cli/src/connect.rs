//! Credentials and servers per API: what is not one call. Each API's typed client reads its
//! own environment variables; the CLI adds the global flags and takes the client's generic face.

use crate::Global;
use threatbind::raw::RawClient;
use threatbind::spec::Api;
use threatbind::Error;

/// A client for `api`, from the environment and the global flags; `servers` are the server
/// variables given as flags (Datadog's `--site`).
pub(crate) fn connect(
    api: Api,
    global: &Global,
    servers: &[(String, String)],
) -> Result<RawClient, Error> {
    let settings = global.settings.clone();
    let base_url = global.base_url.clone();
    match api {
        Api::Log360Cloud => {
            use threatbind::log360_cloud::{Log360Builder, Log360Client};
            let b = match global.vars {
                None => Log360Client::from_env()?,
                Some(_) => Log360Builder::from_vars(|name| global.var(name))?,
            };
            let mut b = b.settings(settings);
            if let Some(url) = base_url {
                b = b.base_url(url);
            }
            if let Some(dir) = global.token_cache()? {
                b = b.token_cache(dir);
            }
            Ok(b.build()?.raw())
        }
        Api::NameshieldCti => {
            use threatbind::nameshield_cti::{NameshieldBuilder, NameshieldClient};
            let b = match global.vars {
                None => NameshieldClient::from_env()?,
                Some(_) => NameshieldBuilder::from_vars(|name| global.var(name))?,
            };
            let mut b = b.settings(settings);
            if let Some(url) = base_url {
                b = b.base_url(url);
            }
            Ok(b.build()?.raw())
        }
        Api::DatadogIoc => {
            use threatbind::datadog_ioc::{DatadogBuilder, DatadogClient};
            let b = match global.vars {
                None => DatadogClient::from_env()?,
                Some(_) => DatadogBuilder::from_vars(|name| global.var(name))?,
            };
            let mut b = b.settings(settings);
            if let Some((_, site)) = servers.iter().find(|(name, _)| name == "site") {
                b = b.site(site)?;
            }
            if let Some(url) = base_url {
                b = b.base_url(url);
            }
            Ok(b.build()?.raw())
        }
        // Every other API: credentials and server from its spec (threatbind::generic).
        #[allow(unreachable_patterns)]
        other => threatbind::generic::connect(
            other,
            |name| global.var(name),
            &global.settings,
            servers,
            global.base_url.clone(),
        ),
    }
}

/// The environment variables of `api` and what each holds: every variable the client reads
/// (its security schemes' `x-env`, and the server variables `x-cli.env-prefix` implies), each
/// described by `x-cli.env` where the spec describes it, then any other variable `x-cli.env`
/// names (Log360 Cloud's account and OAuth variables).
pub(crate) fn variables(api: Api) -> Vec<(String, String)> {
    let described = &api.cli().env;
    let mut vars: Vec<(String, String)> = threatbind::generic::variables(api)
        .into_iter()
        .map(|(name, what)| {
            let what = described.get(&name).cloned().unwrap_or(what);
            (name, what)
        })
        .collect();
    for (name, what) in described {
        if !vars.iter().any(|(known, _)| known == name) {
            vars.push((name.clone(), what.clone()));
        }
    }
    vars
}

/// The environment variables of `api`, one help line each.
pub(crate) fn env_lines(api: Api) -> String {
    variables(api)
        .iter()
        .map(|(name, what)| format!("  {name:<24} {what}\n"))
        .collect()
}

/// The help section of `api`'s variables.
pub(crate) fn env_help(api: Api) -> String {
    format!("Environment:\n{}", env_lines(api))
}

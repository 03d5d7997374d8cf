//! Credentials and servers per API: the variables each spec names, read by the library
//! (Log360 Cloud's OAuth exchange by its hand-written client, every other API by
//! `threatbind::generic`); the CLI adds the global flags.

use crate::Global;
use threatbind::raw::RawClient;
use threatbind::spec::Api;
use threatbind::Error;

/// A client for `api`, from the profile, the environment and the global flags; `servers` are
/// the server variables given as flags (Datadog's `--site`). The profile's commands for `api`'s
/// variables run here, once.
pub(crate) async fn connect(
    api: Api,
    global: &Global,
    servers: &[(String, String)],
) -> Result<RawClient, Error> {
    connect_as(api, global, global.profile.as_ref(), servers).await
}

/// [`connect`] with the variables of `profile` in place of the chosen one's (`enrich`, one
/// client per tenant).
pub(crate) async fn connect_as(
    api: Api,
    global: &Global,
    profile: Option<&crate::profiles::Profile>,
    servers: &[(String, String)],
) -> Result<RawClient, Error> {
    if let (None, Some(profile)) = (&global.vars, profile) {
        profile.owns(api)?;
        profile.run_commands(api).await?;
    }
    let var = |name: &str| global.var_as(name, profile);
    let settings = global.settings.clone();
    let base_url = global.base_url.clone();
    if api == Api::Log360Cloud {
        use threatbind::log360_cloud::{Log360Builder, Log360Client};
        let b = match (&global.vars, profile) {
            (None, None) => Log360Client::from_env()?,
            _ => Log360Builder::from_vars(var)?,
        };
        let mut b = b.settings(settings);
        if let Some(url) = base_url {
            b = b.base_url(url);
        }
        if let Some(dir) = global.token_cache()? {
            b = b.token_cache(dir);
        }
        return Ok(b.build()?.raw());
    }
    // Every other API: credentials and server from its spec (threatbind::generic).
    if global.vars.is_none() {
        threatbind::generic::check_env_utf8(api)?;
    }
    threatbind::generic::connect(api, var, &settings, servers, base_url)
}

/// The environment variables of `api` and what each holds: every variable its spec names.
pub(crate) fn variables(api: Api) -> Vec<(String, String)> {
    threatbind::generic::variables(api)
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

//! Profiles: many tenants from one config file, no secrets in the shell.
//!
//! The file is `$THREATBIND_CONFIG`, else `$XDG_CONFIG_HOME/threatbind/config.toml`, else
//! `~/.config/threatbind/config.toml`. A profile is a table `[profiles.NAME]` whose keys are the
//! variables the specs name (the ones `threatbind --help` lists), so there is no second
//! vocabulary; any of them can instead be `<VARIABLE>_COMMAND`, a shell command whose standard
//! output, trimmed, is the value (run at most once per run, only for the API used, never logged).
//! `--profile NAME` or `THREATBIND_PROFILE` chooses one. A variable set by both the profile and
//! the environment to different values stops the run (exit 2): tenants never mix silently.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use threatbind::spec::Api;
use threatbind::Error;

/// The suffix of a key whose value is a command that prints the variable's value.
const COMMAND: &str = "_COMMAND";
/// The longest a value's command may run (a pass or gpg prompt included).
const COMMAND_TIME: Duration = Duration::from_secs(120);
/// The most a value's command may print.
const COMMAND_BYTES: u64 = 64 * 1024;

/// The config file as written: only `[profiles.NAME]` tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Written {
    #[serde(default)]
    profiles: BTreeMap<String, BTreeMap<String, toml::Value>>,
}

/// Where a profile's variable comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Setting {
    /// Written in the file.
    Value(String),
    /// The trimmed standard output of a shell command (`<VARIABLE>_COMMAND`).
    Command(String),
}

/// The config file, read and checked.
pub(crate) struct Config {
    /// Where it was read from.
    pub file: PathBuf,
    /// Every profile: its variables and where each comes from.
    pub profiles: BTreeMap<String, BTreeMap<String, Setting>>,
}

/// The config file's place, and the variable that chose it.
pub(crate) fn config_path() -> Option<(PathBuf, &'static str)> {
    crate::xdg_place(
        "THREATBIND_CONFIG",
        "XDG_CONFIG_HOME",
        ".config",
        "threatbind/config.toml",
    )
}

/// Whether any API's spec names `name`, and whether it is a secret there.
fn variable(name: &str) -> Option<bool> {
    let mut known = None;
    for api in Api::ALL {
        let env = api.env();
        if env.get(name).is_some() {
            known = Some(known.unwrap_or(false) || env.is_secret(name));
        }
    }
    known
}

impl Config {
    /// Reads and checks `file`: TOML with `[profiles.NAME]` tables of string values whose keys
    /// are variables of the specs; a secret written inline needs a file only its owner can
    /// read, a command needs a file only its owner can write. `None` when it does not exist.
    pub(crate) fn read(file: &Path) -> Result<Option<Config>, Error> {
        let place = file.display().to_string();
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::config(&place, format!("cannot be read: {e}"))),
        };
        // toml's own message quotes the line, which may hold a secret: the line, the column
        // and what is wrong only.
        let written: Written = toml::from_str(&text).map_err(|e| {
            let at = e.span().map_or(String::new(), |span| {
                let before = text.get(..span.start).unwrap_or("");
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                format!(" at line {line}, column {column}")
            });
            Error::config(
                &place,
                format!("is not a valid config file{at}: {}", e.message().trim()),
            )
        })?;
        let mut profiles = BTreeMap::new();
        let mut inline_secret = None;
        let mut command = None;
        for (name, keys) in written.profiles {
            let mut settings = BTreeMap::new();
            for (key, value) in keys {
                let at = format!("{place}: [profiles.{name}] {key}");
                let toml::Value::String(value) = value else {
                    return Err(Error::config(&at, "must be a string (in quotes)"));
                };
                let (variable_name, setting) = match key.strip_suffix(COMMAND) {
                    Some(stem) if variable(stem).is_some() => {
                        command.get_or_insert_with(|| at.clone());
                        (stem.to_owned(), Setting::Command(value))
                    }
                    _ => {
                        let Some(secret) = variable(&key) else {
                            return Err(Error::config(
                                &at,
                                "is not a variable of any API: a profile holds the variables \
                                 `threatbind --help` lists (LOG360_REGION, DD_SITE, ...), or \
                                 <VARIABLE>_COMMAND for one read from a command",
                            ));
                        };
                        if secret {
                            inline_secret.get_or_insert_with(|| key.clone());
                        }
                        (key.clone(), Setting::Value(value))
                    }
                };
                if settings.insert(variable_name.clone(), setting).is_some() {
                    return Err(Error::config(
                        &at,
                        format!("sets {variable_name} a second time (as a value and as a command)"),
                    ));
                }
            }
            profiles.insert(name, settings);
        }
        check_mode(file, inline_secret.as_deref(), command.is_some())?;
        Ok(Some(Config {
            file: file.to_owned(),
            profiles,
        }))
    }
}

/// Refuses a file holding `inline_secret` that others can read, and a file with commands that
/// others can write (they would run as the user).
#[cfg(unix)]
fn check_mode(file: &Path, inline_secret: Option<&str>, commands: bool) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    let place = file.display().to_string();
    let mode = std::fs::metadata(file)
        .map_err(|e| Error::config(&place, format!("cannot be read: {e}")))?
        .permissions()
        .mode()
        & 0o7777;
    if let Some(secret) = inline_secret {
        if mode & 0o044 != 0 {
            return Err(Error::config(
                &place,
                format!(
                    "has mode {mode:04o}: it holds {secret} inline and others can read it; \
                     chmod 600 {place}, or read it from a command ({secret}{COMMAND})"
                ),
            ));
        }
    }
    if (commands || inline_secret.is_some()) && mode & 0o022 != 0 {
        return Err(Error::config(
            &place,
            format!(
                "has mode {mode:04o}: others can write it, and what it holds (secrets, commands \
                 that run as you) must be yours alone; chmod 600 {place}"
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_: &Path, _: Option<&str>, _: bool) -> Result<(), Error> {
    Ok(())
}

/// The chosen profile: its variables, and the values its commands printed.
pub(crate) struct Profile {
    /// Its name.
    pub name: String,
    /// The file it was read from.
    pub file: PathBuf,
    settings: BTreeMap<String, Setting>,
    ran: Mutex<BTreeMap<String, String>>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

/// The variable that names the profile when `--profile` does not.
pub(crate) const ENV: &str = "THREATBIND_PROFILE";

/// The profile `name` (else the one `THREATBIND_PROFILE` names), checked against the
/// environment; `None` when neither names one. `by` is what gave `name` (`--profile`, or
/// `THREATBIND_PROFILE` for a name of that variable's list): the errors name it.
pub(crate) fn chosen(name: Option<String>, by: &'static str) -> Result<Option<Profile>, Error> {
    let (name, by) = match name {
        Some(name) => (name, by),
        None => match std::env::var(ENV) {
            Ok(name) if !name.is_empty() => (name, ENV),
            _ => return Ok(None),
        },
    };
    let Some((file, source)) = config_path() else {
        return Err(Error::config(
            by,
            format!(
                "profile {name:?}: no config file (THREATBIND_CONFIG, XDG_CONFIG_HOME and HOME \
                 are all unset)"
            ),
        ));
    };
    let Some(mut config) = Config::read(&file)? else {
        return Err(Error::config(
            by,
            format!(
                "profile {name:?}: there is no config file {} (from {source})",
                file.display()
            ),
        ));
    };
    let Some(settings) = config.profiles.remove(&name) else {
        let known: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
        return Err(Error::config(
            by,
            format!(
                "there is no profile {name:?} in {} (it has: {})",
                file.display(),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        ));
    };
    let profile = Profile {
        name,
        file,
        settings,
        ran: Mutex::new(BTreeMap::new()),
    };
    for (variable, setting) in &profile.settings {
        if let Setting::Value(value) = setting {
            profile.agrees(variable, value)?;
        }
    }
    Ok(Some(profile))
}

impl Profile {
    /// Fails when the environment sets `variable` to something other than `value`.
    fn agrees(&self, variable: &str, value: &str) -> Result<(), Error> {
        match std::env::var(variable) {
            Ok(set) if !set.is_empty() && set != value => Err(Error::config(
                variable,
                format!(
                    "is set by the environment and by profile {:?} ({}) to different values; \
                     unset it, or drop it from the profile (tenants never mix silently)",
                    self.name,
                    self.file.display()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Refuses to mix tenants within one API: when this profile configures `api` (sets any of
    /// its variables), a variable of `api` that the profile leaves unset may not come from the
    /// environment (another tenant's key left exported in the shell would go along with this
    /// tenant's site). A profile that sets none of `api`'s variables leaves it to the
    /// environment.
    pub(crate) fn owns(&self, api: Api) -> Result<(), Error> {
        let env = api.env();
        let variables = env.variables();
        if !variables
            .iter()
            .any(|v| self.settings.contains_key(&v.name))
        {
            return Ok(());
        }
        for v in variables {
            if self.settings.contains_key(&v.name) {
                continue;
            }
            if std::env::var_os(&v.name).is_some_and(|value| !value.is_empty()) {
                return Err(Error::config(
                    &v.name,
                    format!(
                        "is set by the environment, and profile {:?} ({}) configures this API \
                         without it; add it to the profile or unset it (tenants never mix \
                         silently)",
                        self.name,
                        self.file.display()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The profile's value of `variable`: written in the file, or printed by its command once
    /// [`Profile::run_commands`] ran it.
    pub(crate) fn get(&self, variable: &str) -> Option<String> {
        match self.settings.get(variable)? {
            Setting::Value(value) => Some(value.clone()),
            Setting::Command(_) => self.ran.lock().ok()?.get(variable).cloned(),
        }
    }

    /// Runs the commands of `api`'s variables that have not run yet, keeping what they print.
    pub(crate) async fn run_commands(&self, api: Api) -> Result<(), Error> {
        for v in api.env().variables() {
            let Some(Setting::Command(command)) = self.settings.get(&v.name) else {
                continue;
            };
            if self
                .ran
                .lock()
                .map(|r| r.contains_key(&v.name))
                .unwrap_or(false)
            {
                continue;
            }
            let key = format!("{}{COMMAND}", v.name);
            let value = run(command).await.map_err(|why| {
                Error::config(
                    &key,
                    format!(
                        "of profile {:?} ({}): {why}",
                        self.name,
                        self.file.display()
                    ),
                )
            })?;
            self.agrees(&v.name, &value)?;
            if let Ok(mut ran) = self.ran.lock() {
                ran.insert(v.name.clone(), value);
            }
        }
        Ok(())
    }
}

/// Runs `command` with the shell: its trimmed standard output, or why there is none. Standard
/// error stays the user's (prompts, the command's own errors); nothing of the output is logged.
async fn run(command: &str) -> Result<String, String> {
    use tokio::io::AsyncReadExt;
    let mut child = shell(command)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot be started: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("has no standard output")?;
    let finished = async {
        let mut bytes = Vec::new();
        (&mut stdout)
            .take(COMMAND_BYTES + 1)
            .read_to_end(&mut bytes)
            .await
            .map_err(|e| format!("could not be read: {e}"))?;
        if bytes.len() as u64 > COMMAND_BYTES {
            return Err(format!("printed more than {COMMAND_BYTES} bytes"));
        }
        let status = child.wait().await.map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("failed ({status})"));
        }
        let text = String::from_utf8(bytes).map_err(|_| "printed text that is not UTF-8")?;
        let value = text.trim();
        if value.is_empty() {
            return Err("printed nothing".to_owned());
        }
        Ok(value.to_owned())
    };
    tokio::time::timeout(COMMAND_TIME, finished)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "did not finish within {} s",
                COMMAND_TIME.as_secs()
            ))
        })
}

#[cfg(unix)]
fn shell(command: &str) -> tokio::process::Command {
    let mut shell = tokio::process::Command::new("sh");
    shell.arg("-c").arg(command);
    shell
}

#[cfg(not(unix))]
fn shell(command: &str) -> tokio::process::Command {
    let mut shell = tokio::process::Command::new("cmd");
    shell.arg("/C").arg(command);
    shell
}

/// `threatbind profiles`: every profile of the config file, the APIs each configures and its
/// variables, secrets as `***` and commands as what they are.
pub(crate) fn list() -> Result<String, Error> {
    let Some((file, source)) = config_path() else {
        return Err(Error::config(
            "THREATBIND_CONFIG",
            "no config file: THREATBIND_CONFIG, XDG_CONFIG_HOME and HOME are all unset",
        ));
    };
    let Some(config) = Config::read(&file)? else {
        return Ok(format!(
            "no config file at {} (from {source}); a profile is a [profiles.NAME] table of the \
             variables `threatbind --help` lists\n",
            file.display()
        ));
    };
    let mut text = format!("{}:\n", config.file.display());
    if config.profiles.is_empty() {
        text.push_str("  no profiles\n");
    }
    for (name, settings) in &config.profiles {
        let mut apis: Vec<String> = Vec::new();
        for api in Api::ALL {
            let configures = api
                .env()
                .variables()
                .iter()
                .any(|v| settings.contains_key(&v.name));
            let cli = crate::derive::api_name(*api);
            if configures && !apis.contains(&cli) {
                apis.push(cli);
            }
        }
        text.push_str(&format!(
            "{name}\n  APIs: {}\n",
            if apis.is_empty() {
                "none".to_owned()
            } else {
                apis.join(", ")
            }
        ));
        for (key, setting) in settings {
            let shown = match setting {
                Setting::Command(_) => "*** (from a command)".to_owned(),
                Setting::Value(_) if variable(key).unwrap_or(true) => "***".to_owned(),
                Setting::Value(value) => value.clone(),
            };
            text.push_str(&format!("  {key} = {shown}\n"));
        }
    }
    Ok(text)
}

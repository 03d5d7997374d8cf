//! The environment variables a spec names, each stated once at the place it configures: a
//! security scheme's credential (`x-env`), an OAuth scheme's refresh-token exchange
//! (`x-oauth-env`), a parameter filled from the environment (`x-env`), a server variable
//! (`x-env`), and the API-wide ones at the root (`x-env`: the server chosen by name, the URL
//! overrides, the CA file).

use serde::Deserialize;

/// A variable as a spec writes it: `NAME`, or `{name: NAME, help: "..."}` where the description
/// of the place does not make a good one-line help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Written {
    Name(String),
    Full(Full),
}

impl<'de> Deserialize<'de> for Written {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(name) => Ok(Written::Name(name)),
            object @ serde_json::Value::Object(_) => Full::deserialize(object)
                .map(Written::Full)
                .map_err(D::Error::custom),
            other => Err(D::Error::custom(format!(
                "a variable is NAME or {{name: NAME, help: text}}, not {other}"
            ))),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Full {
    name: String,
    help: String,
}

impl Written {
    /// The variable, its help from `description` when the spec gives none.
    pub(crate) fn variable(self, description: Option<&str>) -> EnvVar {
        match self {
            Written::Name(name) => EnvVar {
                name,
                help: first_line(description.unwrap_or("")),
            },
            Written::Full(Full { name, help }) => EnvVar { name, help },
        }
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    // The first sentence, without its full stop: help reads as a noun phrase.
    let sentence = line.split(". ").next().unwrap_or(line);
    sentence.trim_end_matches('.').to_owned()
}

/// One environment variable and its one-line help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable's name (`DD_API_KEY`).
    pub name: String,
    /// What it holds, for `--help`.
    pub help: String,
}

/// `x-env` at the root of a spec: the API-wide variables.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RootWritten {
    server: Option<Written>,
    url: Option<Written>,
    base_url: Option<Written>,
    ca_file: Option<Written>,
}

/// The API-wide variables (`x-env` at the root).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiEnv {
    /// Chooses a server by its name (`x-region` or `x-environment` of the spec's servers).
    pub server: Option<EnvVar>,
    /// The server's scheme, host and port; the spec's server path is added.
    pub url: Option<EnvVar>,
    /// Replaces the whole server URL.
    pub base_url: Option<EnvVar>,
    /// A PEM file of certificate authorities to trust.
    pub ca_file: Option<EnvVar>,
}

impl RootWritten {
    pub(crate) fn typed(self) -> ApiEnv {
        let var = |w: Option<Written>| w.map(|w| w.variable(None));
        ApiEnv {
            server: var(self.server),
            url: var(self.url),
            base_url: var(self.base_url),
            ca_file: var(self.ca_file),
        }
    }
}

/// `x-oauth-env` on an OAuth security scheme: the variables of a refresh-token exchange.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct OAuthWritten {
    refresh_token: Written,
    client_id: Written,
    client_secret: Written,
    accounts_url: Option<Written>,
}

/// The variables of an OAuth refresh-token exchange (`x-oauth-env`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthEnv {
    /// The refresh token.
    pub refresh_token: EnvVar,
    /// The OAuth client's id.
    pub client_id: EnvVar,
    /// The OAuth client's secret.
    pub client_secret: EnvVar,
    /// Replaces the accounts server the exchange goes to.
    pub accounts_url: Option<EnvVar>,
}

impl OAuthWritten {
    pub(crate) fn typed(self) -> OAuthEnv {
        OAuthEnv {
            refresh_token: self.refresh_token.variable(None),
            client_id: self.client_id.variable(None),
            client_secret: self.client_secret.variable(None),
            accounts_url: self.accounts_url.map(|w| w.variable(None)),
        }
    }
}

/// How a security scheme's credential is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Carrier {
    /// `Authorization: <prefix> <value>` (`http` bearer: `Bearer`; OAuth: `x-token-prefix`,
    /// else `Bearer`).
    Authorization {
        /// The scheme word before the value.
        prefix: String,
    },
    /// An `apiKey` header, by its name as the spec writes it.
    Header {
        /// The header's name.
        name: String,
    },
    /// Anything else (an `apiKey` in a query or cookie, `http` basic): no generic client.
    Other {
        /// What the spec says, for the error.
        kind: String,
    },
}

impl Carrier {
    /// The header the credential goes in and the word before its value (`("Authorization",
    /// "Bearer")`, `("DD-API-KEY", "")`); `None` for a scheme no generic client can send.
    ///
    /// ```
    /// use threatbind_model::Carrier;
    /// let bearer = Carrier::Authorization { prefix: "Bearer".into() };
    /// assert_eq!(bearer.header(), Some(("Authorization", "Bearer")));
    /// ```
    pub fn header(&self) -> Option<(&str, &str)> {
        match self {
            Carrier::Authorization { prefix } => Some(("Authorization", prefix)),
            Carrier::Header { name } => Some((name, "")),
            Carrier::Other { .. } => None,
        }
    }
}

/// A security scheme whose credential comes from a variable (`x-env`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// The scheme's name in `components/securitySchemes`.
    pub scheme: String,
    /// The variable.
    pub variable: EnvVar,
    /// How it is sent.
    pub carrier: Carrier,
    /// Whether it is an OAuth scheme (its token may come from a refresh-token exchange).
    pub oauth: bool,
}

/// A parameter the client fills from a variable (`x-env` on a parameter: Log360 Cloud's
/// `account_id` header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterEnv {
    /// The parameter's name.
    pub name: String,
    /// Where it goes (`header`, `query`, ...).
    pub place: String,
    /// The variable.
    pub variable: EnvVar,
}

/// A server variable with a variable of the environment (`x-env` on a server variable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerVariableEnv {
    /// The server variable's name (`site`).
    pub name: String,
    /// The variable.
    pub variable: EnvVar,
}

/// Every variable of a spec, in one place.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    /// The credentials, in the order of the security schemes.
    pub credentials: Vec<Credential>,
    /// The refresh-token exchange of the OAuth scheme, if the spec states one.
    pub oauth: Option<OAuthEnv>,
    /// Parameters filled from the environment.
    pub parameters: Vec<ParameterEnv>,
    /// Server variables with a variable (first server).
    pub server_variables: Vec<ServerVariableEnv>,
    /// The API-wide variables.
    pub api: ApiEnv,
}

impl Environment {
    /// Every variable, in a stable order: credentials, OAuth, parameters, server variables,
    /// then the API-wide ones.
    pub fn variables(&self) -> Vec<&EnvVar> {
        let mut out: Vec<&EnvVar> = self.credentials.iter().map(|c| &c.variable).collect();
        if let Some(o) = &self.oauth {
            out.extend([&o.refresh_token, &o.client_id, &o.client_secret]);
            out.extend(o.accounts_url.as_ref());
        }
        out.extend(self.parameters.iter().map(|p| &p.variable));
        out.extend(self.server_variables.iter().map(|s| &s.variable));
        let a = &self.api;
        out.extend(
            [&a.server, &a.url, &a.base_url, &a.ca_file]
                .into_iter()
                .flatten(),
        );
        out
    }

    /// Whether `name` holds a secret: a security scheme's credential, or the refresh token or
    /// client secret of the OAuth exchange (never a server, an account id or a file path).
    ///
    /// ```
    /// let env = threatbind_model::Environment::default();
    /// assert!(!env.is_secret("ANYTHING"));
    /// ```
    pub fn is_secret(&self, name: &str) -> bool {
        self.credentials.iter().any(|c| c.variable.name == name)
            || self
                .oauth
                .as_ref()
                .is_some_and(|o| o.refresh_token.name == name || o.client_secret.name == name)
    }

    /// The variable named `name`, if the spec has it.
    pub fn get(&self, name: &str) -> Option<&EnvVar> {
        self.variables().into_iter().find(|v| v.name == name)
    }
}

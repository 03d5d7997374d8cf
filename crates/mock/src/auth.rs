//! Credentials, read from each operation's `security` (else the spec's) and the spec's
//! `securitySchemes`: which headers a request must carry, and the credential its quota counts.

use serde_json::Value;
use threatbind::spec::{resolve, Operation};

/// One security scheme, as a request satisfies it.
#[derive(Clone, Debug)]
enum Scheme {
    /// `Authorization: <scheme> <token>` (http bearer/basic, oauth2, openIdConnect).
    Authorization { scheme: String },
    /// An API key in a header.
    Header(String),
    /// An API key in the query.
    Query(String),
    /// An API key in a cookie.
    Cookie(String),
}

/// The credentials a request carried: the token of its `Authorization` header and the first
/// API key, whichever the operation asks for.
#[derive(Clone, Debug, Default)]
pub(crate) struct Credential {
    pub token: Option<String>,
    pub api_key: Option<String>,
}

/// The alternatives of an operation's `security` (any one will do), each a set of schemes that
/// must all be present. No alternative, or an empty one: no credentials needed.
#[derive(Clone, Debug)]
pub(crate) struct Security {
    alternatives: Vec<Vec<Scheme>>,
}

impl Security {
    pub fn of(op: &Operation) -> Self {
        let document = op.api.document();
        let requirements = op
            .raw
            .get("security")
            .or_else(|| document.get("security"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let schemes = document.pointer("/components/securitySchemes");
        let alternatives = requirements
            .iter()
            .filter_map(Value::as_object)
            .map(|requirement| {
                requirement
                    .keys()
                    .filter_map(|name| {
                        let scheme = resolve(document, schemes?.get(name)?);
                        parse(op, name, scheme)
                    })
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>();
        // An empty requirement (`{}`) makes credentials optional.
        if alternatives.iter().any(Vec::is_empty) {
            return Self {
                alternatives: Vec::new(),
            };
        }
        Self { alternatives }
    }

    /// The credential of the first alternative the request satisfies; `None` when it satisfies
    /// none (missing or malformed credentials).
    pub fn check(&self, headers: &http::HeaderMap, query: Option<&str>) -> Option<Credential> {
        if self.alternatives.is_empty() {
            return Some(Credential::default());
        }
        self.alternatives.iter().find_map(|schemes| {
            let mut credential = Credential::default();
            for scheme in schemes {
                match scheme {
                    Scheme::Authorization { scheme } => {
                        let value = header(headers, "authorization")?;
                        let (given, token) = value.split_once(' ')?;
                        let token = token.trim();
                        if !given.eq_ignore_ascii_case(scheme) || token.is_empty() {
                            return None;
                        }
                        credential.token = Some(token.to_owned());
                    }
                    Scheme::Header(name) => {
                        let value = header(headers, name)?;
                        credential.api_key.get_or_insert(value.to_owned());
                    }
                    Scheme::Query(name) => {
                        let value = query_value(query?, name)?;
                        credential.api_key.get_or_insert(value);
                    }
                    Scheme::Cookie(name) => {
                        let cookies = header(headers, "cookie")?;
                        let value = cookies.split(';').find_map(|c| {
                            let (k, v) = c.trim().split_once('=')?;
                            (k == name && !v.is_empty()).then(|| v.to_owned())
                        })?;
                        credential.api_key.get_or_insert(value);
                    }
                }
            }
            Some(credential)
        })
    }
}

fn parse(op: &Operation, name: &str, scheme: &Value) -> Option<Scheme> {
    let text = |k: &str| scheme.get(k).and_then(Value::as_str).unwrap_or("");
    match text("type") {
        "http" => Some(Scheme::Authorization {
            scheme: match text("scheme") {
                "" => "Bearer".to_owned(),
                s => s.to_owned(),
            },
        }),
        "oauth2" | "openIdConnect" => Some(Scheme::Authorization {
            // The spec's `x-token-prefix` (Log360 Cloud: "Send the access token as
            // `Authorization: Zoho-oauthtoken <token>`"), else `Bearer`.
            scheme: op
                .api
                .env()
                .credentials
                .iter()
                .find(|c| c.scheme == name)
                .and_then(|c| match &c.carrier {
                    threatbind::spec::model::Carrier::Authorization { prefix } => {
                        Some(prefix.clone())
                    }
                    _ => None,
                })
                .unwrap_or_else(|| "Bearer".to_owned()),
        }),
        "apiKey" => {
            let key = text("name").to_owned();
            match text("in") {
                "header" => Some(Scheme::Header(key)),
                "query" => Some(Scheme::Query(key)),
                "cookie" => Some(Scheme::Cookie(key)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A header's value as text, when present, valid text and not blank.
pub(crate) fn header<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn query_value(query: &str, name: &str) -> Option<String> {
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(&text.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (decode(k) == name && !v.is_empty()).then(|| decode(v))
    })
}

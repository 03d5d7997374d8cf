//! Log360 Cloud credentials: a fixed Zoho access token, or a refresh token from which the client
//! obtains the hour-long access token itself, renews it before expiry, and once more after a 401.

use crate::error::{Error, Result};
use crate::transport::Authorizer;
use crate::Secret;
use futures::future::BoxFuture;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Renew this long before the token expires.
const EARLY: Duration = Duration::from_secs(300);
/// Zoho allows 10 access tokens per refresh token per 10 minutes: by default a token younger
/// than this is not thrown away after a 401 (the 401 was for another reason).
pub(crate) const DEFAULT_REFRESH_COOLDOWN: Duration = Duration::from_secs(30);

/// How a Log360 Cloud client authenticates.
///
/// ```
/// use threatbind::log360_cloud::Log360Auth;
/// let auth = Log360Auth::access_token("1000.41d9xxxx");
/// assert_eq!(format!("{auth:?}"), "AccessToken(***)");
/// ```
#[derive(Clone, Debug)]
pub enum Log360Auth {
    /// A Zoho access token, used as is (it expires after an hour).
    AccessToken(Secret),
    /// A Zoho refresh token and the OAuth client it was issued to.
    RefreshToken {
        /// The refresh token.
        refresh_token: Secret,
        /// OAuth client id.
        client_id: String,
        /// OAuth client secret.
        client_secret: Secret,
    },
}

impl Log360Auth {
    /// A fixed access token.
    pub fn access_token(token: impl Into<Secret>) -> Self {
        Self::AccessToken(token.into())
    }

    /// A refresh token with its OAuth client.
    pub fn refresh_token(
        refresh_token: impl Into<Secret>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        Self::RefreshToken {
            refresh_token: refresh_token.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }
}

#[derive(Debug)]
struct Token {
    value: Secret,
    obtained: Instant,
    expires: Instant,
}

/// Signs requests with `Authorization: Zoho-oauthtoken <token>`, refreshing as needed.
#[derive(Debug)]
pub(crate) struct ZohoAuthorizer {
    auth: Log360Auth,
    token_url: String,
    http: reqwest::Client,
    current: Mutex<Option<Token>>,
    refreshing: tokio::sync::Mutex<()>,
    cooldown: Duration,
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    error: Option<String>,
}

impl ZohoAuthorizer {
    pub(crate) fn new(
        auth: Log360Auth,
        accounts_server: &str,
        http: reqwest::Client,
        cooldown: Duration,
    ) -> Self {
        let token_url = format!("{}/oauth/v2/token", accounts_server.trim_end_matches('/'));
        Self {
            auth,
            token_url,
            http,
            current: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
            cooldown,
        }
    }

    fn fresh(&self) -> Option<Secret> {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        current
            .as_ref()
            .filter(|t| Instant::now() + EARLY < t.expires)
            .map(|t| t.value.clone())
    }

    async fn token(&self) -> Result<Secret> {
        let (refresh_token, client_id, client_secret) = match &self.auth {
            Log360Auth::AccessToken(token) => return Ok(token.clone()),
            Log360Auth::RefreshToken {
                refresh_token,
                client_id,
                client_secret,
            } => (refresh_token, client_id, client_secret),
        };
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let _one_at_a_time = self.refreshing.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        tracing::debug!("refreshing the Zoho access token");
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.expose()),
            ("refresh_token", refresh_token.expose()),
        ];
        let response = self
            .http
            .post(&self.token_url)
            .form(&form)
            .send()
            .await
            .map_err(|e| Error::Auth(format!("token refresh failed: {}", e.without_url())))?;
        let status = response.status();
        let answer: TokenAnswer = response.json().await.map_err(|_| {
            Error::Auth(format!(
                "token refresh failed: HTTP {status}, unreadable answer"
            ))
        })?;
        let value = match (answer.access_token, answer.error) {
            (Some(token), None) if status.is_success() => Secret::new(token),
            (_, error) => {
                return Err(Error::Auth(format!(
                    "token refresh failed: HTTP {status}: {}",
                    error.unwrap_or_else(|| "no access_token in the answer".into())
                )))
            }
        };
        let seconds = match answer.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .unwrap_or(3600);
        let now = Instant::now();
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(Token {
            value: value.clone(),
            obtained: now,
            expires: now + Duration::from_secs(seconds),
        });
        Ok(value)
    }
}

impl Authorizer for ZohoAuthorizer {
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let token = self.token().await?;
            let mut value = HeaderValue::from_str(&format!("Zoho-oauthtoken {}", token.expose()))
                .map_err(|_| {
                Error::Auth("the access token has characters a header cannot carry".into())
            })?;
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
            Ok(())
        })
    }

    fn invalidate(&self) -> bool {
        if matches!(self.auth, Log360Auth::AccessToken(_)) {
            return false;
        }
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if current
            .as_ref()
            .is_some_and(|t| t.obtained.elapsed() < self.cooldown)
        {
            return false;
        }
        *current = None;
        true
    }
}

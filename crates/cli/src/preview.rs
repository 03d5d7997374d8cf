//! `--dry-run` and `--curl`: the request a command would send, checked as it would be, shown
//! and not sent. No credential is shown (`***`, or a reference to its variable for curl), no
//! token is exchanged, nothing leaves the machine.

use crate::{emit, json_text};
use serde_json::Value;
use threatbind::raw::RawClient;
use threatbind::spec::{Api, Operation};
use threatbind::Error;

/// What is shown instead of sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Preview {
    /// The method, URL, headers (credentials `***`) and body.
    DryRun,
    /// An equivalent curl command, credentials as references to their variables.
    Curl,
}

/// The credentials `api` sends on every request: header, the word before the value, the
/// variable holding it.
fn credentials(api: Api) -> Vec<(String, String, String)> {
    api.env()
        .credentials
        .iter()
        .filter_map(|c| {
            let (header, prefix) = c.carrier.header()?;
            let word = if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix} ")
            };
            Some((header.to_owned(), word, c.variable.name.clone()))
        })
        .collect()
}

/// `text` as one single-quoted shell word.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Validates the request of `op` for `document` as the send path would, then shows it.
pub(crate) fn show(
    raw: &RawClient,
    op: &'static Operation,
    document: &Value,
    how: Preview,
) -> Result<(), Error> {
    let request = raw
        .request(op, document)
        .map_err(|e| crate::run::name_flags(op, e))?;
    let read = op.request_document(&request);
    if let Some(variable) = op.unset_variable(&read) {
        return Err(Error::config(
            &variable,
            format!("not set (needed by {})", op.id),
        ));
    }
    op.validate_request(&read, chrono::Utc::now())
        .map_err(|v| crate::run::name_flags(op, Error::Validation(v)))?;
    let body = request
        .body()
        .and_then(|b| b.as_bytes())
        .map(|b| String::from_utf8_lossy(b).into_owned());
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(name, value)| {
            let shown = if value.is_sensitive() {
                "***".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), shown)
        })
        .collect();
    match how {
        Preview::DryRun => {
            emit(&format!("{} {}", request.method(), request.url()));
            for (name, value) in &headers {
                emit(&format!("{name}: {value}"));
            }
            for (header, word, _) in credentials(op.api) {
                emit(&format!("{header}: {word}***"));
            }
            if let Some(body) = body {
                emit("");
                emit(&json_text::pretty(&body));
            }
        }
        Preview::Curl => {
            let mut words = vec![
                "curl".to_owned(),
                "-sS".to_owned(),
                "-X".to_owned(),
                request.method().to_string(),
                quoted(request.url().as_str()),
            ];
            for (name, value) in &headers {
                words.push("-H".to_owned());
                words.push(quoted(&format!("{name}: {value}")));
            }
            for (header, word, variable) in credentials(op.api) {
                words.push("-H".to_owned());
                words.push(format!("\"{header}: {word}${variable}\""));
            }
            if let Some(body) = body {
                words.push("--data-raw".to_owned());
                words.push(quoted(&body));
            }
            emit(&words.join(" "));
        }
    }
    Ok(())
}

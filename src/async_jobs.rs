//! Log360 on-premises V1 asynchronous searches and alerts: submit, poll the job with backoff
//! until it succeeds or fails, then stream its result pages. Several calls, so hand-written; each
//! one is an operation of `specs/log360-onprem-v1.yaml` sent on the one send path (validation,
//! the server's quota, credentials, retries).

use crate::error::{Error, Result};
use crate::raw::{RawAnswer, RawClient};
use crate::spec::{Api, Operation};
use futures::{Stream, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::time::Instant;

/// How a job is waited for.
///
/// ```
/// let options = threatbind::async_jobs::JobOptions::default();
/// assert_eq!(options.first_wait, std::time::Duration::from_secs(1));
/// ```
#[derive(Clone, Debug)]
pub struct JobOptions {
    /// The wait before the second poll; each next wait doubles it.
    pub first_wait: Duration,
    /// The longest wait between two polls.
    pub max_wait: Duration,
    /// How long the job may run before the wait ends with [`Error::Budget`].
    pub timeout: Duration,
    /// The most result pages read ([`Error::Budget`] after them).
    pub max_pages: u64,
}

impl Default for JobOptions {
    fn default() -> Self {
        Self {
            first_wait: Duration::from_secs(1),
            max_wait: Duration::from_secs(30),
            timeout: Duration::from_secs(30 * 60),
            max_pages: 10_000,
        }
    }
}

fn op(id: &str) -> Result<&'static Operation> {
    Api::Log360OnpremV1
        .operation(id)
        .ok_or_else(|| Error::config("operation", format!("{id} is not in the V1 spec")))
}

fn json_of(answer: &RawAnswer) -> Value {
    serde_json::from_slice(&answer.body).unwrap_or(Value::Null)
}

/// The request id as the API spells it in a query (`42` or `"a1b2"`).
fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Submits `submit` (`searchLogsAsync` or `searchAlertsAsync`) with `body`, waits for its job,
/// and gives every result page (`getJobResults`, page after page while `next_page` says so).
/// A job that FAILED, or still runs after `options.timeout`, ends the stream with an error.
///
/// ```no_run
/// # async fn run() -> threatbind::Result<()> {
/// use futures::TryStreamExt;
/// use threatbind::{async_jobs, generic, spec::Api, Settings};
/// let raw = generic::connect(Api::Log360OnpremV1, |n| std::env::var(n).ok(), &Settings::default(), &[], None)?;
/// let body = serde_json::json!({"query": "error"});
/// let pages: Vec<_> = async_jobs::run(raw, "searchLogsAsync", body, async_jobs::JobOptions::default())
///     .try_collect()
///     .await?;
/// # Ok(()) }
/// ```
pub fn run(
    client: RawClient,
    submit: &str,
    body: Value,
    options: JobOptions,
) -> impl Stream<Item = Result<RawAnswer>> + 'static {
    let submit = submit.to_owned();
    let waiting = {
        let (client, options) = (client.clone(), options.clone());
        async move {
            let answer = client.send(op(&submit)?, &json!({ "body": body })).await?;
            let id = json_of(&answer)
                .get("request_id")
                .cloned()
                .filter(|id| !id.is_null())
                .ok_or_else(|| {
                    Error::Protocol(format!("{submit}: the answer carries no request_id"))
                })?;
            wait(&client, &id_text(&id), &options).await?;
            Ok::<String, Error>(id_text(&id))
        }
    };
    futures::stream::once(waiting).flat_map(move |waited| match waited {
        Ok(id) => results(client.clone(), id, options.max_pages).left_stream(),
        Err(e) => futures::stream::iter(vec![Err(e)]).right_stream(),
    })
}

/// Polls `listJobs` until the job's status is SUCCESS (Ok) or FAILED (an error).
async fn wait(client: &RawClient, id: &str, options: &JobOptions) -> Result<()> {
    let jobs = op("listJobs")?;
    let deadline = Instant::now() + options.timeout;
    let mut pause = options.first_wait;
    loop {
        let answer = client
            .send(jobs, &json!({"query": {"request_id": id}}))
            .await?;
        let listed = json_of(&answer);
        let job = listed
            .get("requests")
            .and_then(Value::as_array)
            .and_then(|all| {
                all.iter()
                    .find(|j| j.get("request_id").map(id_text).as_deref() == Some(id))
                    .or(all.first())
            })
            .cloned()
            .unwrap_or(Value::Null);
        match job.get("status").and_then(Value::as_str) {
            Some("SUCCESS") => return Ok(()),
            Some("FAILED") => {
                return Err(Error::Protocol(format!(
                    "the job {id} FAILED on the server: {job}"
                )))
            }
            _ => {}
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Error::Budget(format!(
                "the job {id} still runs after {} s (JobOptions::timeout)",
                options.timeout.as_secs()
            )));
        }
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 2).min(options.max_wait);
    }
}

/// The result pages of a finished job, from page 1 while `next_page` is true or names a later
/// page.
fn results(
    client: RawClient,
    id: String,
    max_pages: u64,
) -> impl Stream<Item = Result<RawAnswer>> + 'static {
    futures::stream::unfold(Some(1_u64), move |page| {
        let (client, id) = (client.clone(), id.clone());
        async move {
            let page = page?;
            if page > max_pages {
                let error = Error::Budget(format!(
                    "stopped after {max_pages} result pages of job {id}"
                ));
                return Some((Err(error), None));
            }
            let sent = match op("getJobResults") {
                Ok(op) => {
                    let doc = json!({"query": {"request_id": id, "page_no": page}});
                    client.send(op, &doc).await
                }
                Err(e) => Err(e),
            };
            match sent {
                Err(e) => Some((Err(e), None)),
                Ok(answer) => {
                    let next = match json_of(&answer).get("next_page") {
                        Some(Value::Bool(true)) => Some(page + 1),
                        Some(Value::Number(n)) => n.as_u64().filter(|n| *n > page),
                        Some(Value::String(s)) => s.parse().ok().filter(|n| *n > page),
                        _ => None,
                    };
                    Some((Ok(answer), next))
                }
            }
        }
    })
}

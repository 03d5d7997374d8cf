//! Asynchronous jobs (Log360 on-premises V1's searches and alerts): submit, poll the job with
//! backoff until it succeeds or fails, then stream its result pages, each step as the
//! submitting operation's `x-async-job` says. Every call is an operation of its spec sent on
//! the one send path (validation, the server's quota, credentials, retries).

use crate::error::{Error, Result};
use crate::raw::{lookup, RawAnswer, RawClient};
use crate::spec::model::AsyncJob;
use crate::spec::Operation;
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

/// An operation of the submitting operation's spec (the model checked that it exists).
fn op(submit: &Operation, id: &str) -> Result<&'static Operation> {
    submit.api.operation(id).ok_or_else(|| {
        Error::config(
            "operation",
            format!("{id} is not in the {} spec", submit.api),
        )
    })
}

/// A request document with `value` at the request path `path` (`query.request_id`).
fn request(path: &str, value: Value) -> Value {
    let mut document = Value::Object(Default::default());
    let mut at = &mut document;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let Value::Object(map) = at else { break };
        if parts.peek().is_none() {
            map.insert(part.to_owned(), value);
            break;
        }
        at = map
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Default::default()));
    }
    document
}

/// `submit`'s `x-async-job`, or a configuration error naming it.
fn job_of(submit: &'static Operation) -> Result<&'static AsyncJob> {
    submit.async_job.as_ref().ok_or_else(|| {
        Error::config(
            "operation",
            format!("{} submits no job (no x-async-job)", submit.id),
        )
    })
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

/// Submits `submit` (an operation of `client`'s API with `x-async-job`: Log360 on-premises V1's
/// asynchronous searches and alerts) with `body`, waits for its job, and gives every result
/// page. A job that failed, or still runs after `options.timeout`, ends the stream with an error.
///
/// ```no_run
/// # async fn run() -> threatbind::Result<()> {
/// use futures::TryStreamExt;
/// use threatbind::{async_jobs, generic, spec::Api, Settings};
/// let raw = generic::connect(Api::Log360OnpremV1, |n| std::env::var(n).ok(), &Settings::default(), &[], None)?;
/// let submit = Api::Log360OnpremV1.operations().find(|op| op.async_job.is_some()).unwrap();
/// let body = serde_json::json!({"query": "error"});
/// let pages: Vec<_> = async_jobs::run(raw, &submit.id, body, async_jobs::JobOptions::default())
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
    let submit = client.api().operation(submit).ok_or_else(|| {
        Error::config(
            "operation",
            format!("{submit} is not in the {} spec", client.api()),
        )
    });
    let waiting = {
        let (client, options) = (client.clone(), options.clone());
        async move {
            let submit = submit?;
            let job = job_of(submit)?;
            let answer = client.send(submit, &json!({ "body": body })).await?;
            let id = lookup(&json_of(&answer), &job.id)
                .cloned()
                .filter(|id| !id.is_null())
                .ok_or_else(|| {
                    Error::Protocol(format!("{}: the answer carries no {}", submit.id, job.id))
                })?;
            wait(&client, submit, job, &id_text(&id), &options).await?;
            Ok::<_, Error>((submit, job, id_text(&id)))
        }
    };
    futures::stream::once(waiting).flat_map(move |waited| match waited {
        Ok((submit, job, id)) => {
            results(client.clone(), submit, job, id, options.max_pages).left_stream()
        }
        Err(e) => futures::stream::iter(vec![Err(e)]).right_stream(),
    })
}

/// Polls the job's status until it is done (Ok) or failed (an error).
async fn wait(
    client: &RawClient,
    submit: &Operation,
    job: &AsyncJob,
    id: &str,
    options: &JobOptions,
) -> Result<()> {
    let jobs = op(submit, &job.poll)?;
    let deadline = Instant::now() + options.timeout;
    let mut pause = options.first_wait;
    loop {
        let answer = client.send(jobs, &request(&job.poll_id, json!(id))).await?;
        let listed = json_of(&answer);
        let found = lookup(&listed, &job.jobs)
            .and_then(Value::as_array)
            .and_then(|all| {
                all.iter()
                    .find(|j| lookup(j, &job.job_id).map(id_text).as_deref() == Some(id))
                    .or(all.first())
            })
            .cloned()
            .unwrap_or(Value::Null);
        match lookup(&found, &job.status).and_then(Value::as_str) {
            Some(s) if s == job.done => return Ok(()),
            Some(s) if s == job.failed => {
                return Err(Error::Protocol(format!(
                    "the job {id} {s} on the server: {found}"
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

/// The result pages of a finished job, from page 1 while the answer says a next page follows
/// (`true`, or a later page number).
fn results(
    client: RawClient,
    submit: &'static Operation,
    job: &'static AsyncJob,
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
            let sent = match op(submit, &job.results) {
                Ok(op) => {
                    let mut doc = request(&job.results_id, json!(id));
                    let page_doc = request(&job.page, json!(page));
                    merge(&mut doc, page_doc);
                    client.send(op, &doc).await
                }
                Err(e) => Err(e),
            };
            match sent {
                Err(e) => Some((Err(e), None)),
                Ok(answer) => {
                    let next = match lookup(&json_of(&answer), &job.next) {
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

/// `from`'s fields into `into`, object by object.
fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

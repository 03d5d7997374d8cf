//! Walking pages that hand out a cursor token (`x-pagination: {advance: token, ...}`): the
//! next request carries the token the previous answer gave (at one of the `next` paths), leaves
//! out what the token replaces (`without`, e.g. the query), and the walk ends when no token
//! comes back. A token the server forgets after `expires-seconds` unused is checked before each
//! request: a consumer that stalled gets [`Error::Pagination`] saying so, not a silent stop.

use crate::answer::{lookup, RawAnswer};
use crate::error::{Error, Result};
use crate::spec::model::Pagination;
use futures::Stream;
use serde_json::Value;
use std::time::Duration;
use tokio::time::Instant;

/// How a token walk is laid out in the spec.
struct Layout {
    /// Request part and name of the cursor (`body`, `cursor`).
    cursor: (String, String),
    /// Answer paths where the next token may be, in order.
    next: Vec<String>,
    /// Request part and name left out once a token is sent.
    without: Option<(String, String)>,
    /// How long the server keeps a token unused.
    expires: Option<Duration>,
}

fn split(path: &str) -> (String, String) {
    match path.split_once('.') {
        Some((part, name)) => (part.to_owned(), name.to_owned()),
        None => ("query".to_owned(), path.to_owned()),
    }
}

impl Layout {
    fn of(paging: &Pagination) -> Self {
        Layout {
            cursor: split(&paging.cursor),
            next: paging
                .next
                .as_deref()
                .unwrap_or("")
                .split('|')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            without: paging
                .without
                .as_deref()
                .filter(|w| !w.is_empty())
                .map(split),
            expires: paging.expires_seconds.map(Duration::from_secs),
        }
    }

    /// The next token in an answer, if any.
    fn next_token(&self, body: &[u8]) -> Option<String> {
        let parsed: Value = serde_json::from_slice(body).ok()?;
        self.next
            .iter()
            .filter_map(|path| lookup(&parsed, path).and_then(Value::as_str))
            .find(|t| !t.is_empty())
            .map(str::to_owned)
    }

    /// `document` for the page after `token`: the token set, what it replaces left out.
    fn follow(&self, document: &mut Value, token: &str) {
        let Value::Object(root) = document else {
            return;
        };
        if let Some((part, name)) = &self.without {
            if let Some(Value::Object(map)) = root.get_mut(part) {
                map.remove(name);
            }
        }
        let (part, name) = &self.cursor;
        let entry = root
            .entry(part.clone())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Value::Object(map) = entry {
            map.insert(name.clone(), Value::String(token.to_owned()));
        }
    }
}

/// Whether a token obtained at `obtained` has been left unused longer than `limit` at `now`.
///
/// ```
/// use std::time::Duration;
/// use tokio::time::Instant;
/// let t = Instant::now();
/// let five = Some(Duration::from_secs(300));
/// assert!(!threatbind::tokens::expired(t, t + Duration::from_secs(299), five));
/// assert!(threatbind::tokens::expired(t, t + Duration::from_secs(301), five));
/// assert!(!threatbind::tokens::expired(t, t + Duration::from_secs(9999), None));
/// ```
pub fn expired(obtained: Instant, now: Instant, limit: Option<Duration>) -> bool {
    limit.is_some_and(|limit| now.saturating_duration_since(obtained) > limit)
}

struct State {
    document: Value,
    /// The token of the next page and when it came.
    token: Option<(String, Instant)>,
    pages: u64,
    done: bool,
    seen: std::collections::HashSet<String>,
}

/// Every page of a token walk from `document` (see the module's description), each page's
/// request sent by `send`, bounded by `max_pages`.
pub(crate) fn pages<S>(
    send: S,
    document: Value,
    paging: &Pagination,
    max_pages: u64,
) -> impl Stream<Item = Result<RawAnswer>> + 'static
where
    S: Fn(Value) -> futures::future::BoxFuture<'static, Result<RawAnswer>> + Clone + 'static,
{
    let layout = std::sync::Arc::new(Layout::of(paging));
    let flag = format!("--{}", crate::spec::model::names::kebab(&layout.cursor.1));
    let start = State {
        document,
        token: None,
        pages: 0,
        done: false,
        seen: Default::default(),
    };
    futures::stream::unfold(start, move |mut state| {
        let (send, layout, flag) = (send.clone(), layout.clone(), flag.clone());
        async move {
            if state.done {
                return None;
            }
            let page = state.pages + 1;
            let resume = |token: &Option<(String, Instant)>| match token {
                Some((t, _)) => format!("{flag} {t}"),
                None => "the first page".to_owned(),
            };
            let stop = |state: &mut State, reason: Error| {
                state.done = true;
                if page == 1 {
                    return reason;
                }
                Error::Pagination {
                    page,
                    resume: resume(&state.token),
                    reason: Box::new(reason),
                }
            };
            if state.pages >= max_pages {
                let reason =
                    Error::Budget(format!("stopped after {max_pages} pages (--max-pages)"));
                return Some((Err(stop(&mut state, reason)), state));
            }
            if let Some((_, obtained)) = &state.token {
                if expired(*obtained, Instant::now(), layout.expires) {
                    let seconds = layout.expires.map_or(0, |d| d.as_secs());
                    let reason = Error::Protocol(format!(
                        "the cursor of page {page} was left unused for more than {seconds} s, \
                         after which the server forgets it: start the walk again"
                    ));
                    return Some((Err(stop(&mut state, reason)), state));
                }
            }
            let answer = match send(state.document.clone()).await {
                Ok(answer) => answer,
                Err(e) => return Some((Err(stop(&mut state, e)), state)),
            };
            state.pages = page;
            match layout.next_token(&answer.body) {
                None => state.done = true,
                Some(token) if !state.seen.insert(token.clone()) => {
                    let reason = Error::Protocol(format!(
                        "page {page} hands out a cursor already used: the walk would not end"
                    ));
                    return Some((Err(stop(&mut state, reason)), state));
                }
                Some(token) => {
                    layout.follow(&mut state.document, &token);
                    state.token = Some((token, Instant::now()));
                }
            }
            Some((Ok(answer), state))
        }
    })
}

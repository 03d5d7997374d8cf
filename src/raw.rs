//! Any operation of a bound API, from a request document: the generic path the CLI takes. It
//! goes through the same hooks as the typed clients (validation, quota, credentials, retries,
//! bounds) and keeps the answer's bytes exactly as the vendor sent them.

pub use crate::answer::{lookup, RawAnswer};
/// `startedAt` -> `started-at`: how the CLI names a command or a field (progenitor's case
/// conversion, from the model).
pub use crate::spec::model::names::kebab;

use crate::error::{Error, Result};
use crate::spec::{Api, Operation};
use crate::transport::Hooks;
use serde_json::Value;

/// The accessors every typed client shares: its generic face ([`RawClient`]), its generated
/// client (guarded by the same hooks as every typed method) and its server URL. `$path` names
/// the client type in the examples; `$fixed` the header parameters it fills in itself.
/// (A build with no hand-written client leaves it unused.)
#[allow(unused_macros)]
macro_rules! client_accessors {
    ($path:literal, |$this:ident| $fixed:expr) => {
        /// A client for any operation of this API from a request document, sharing this
        /// client's credentials, quota and settings (the CLI's path).
        #[doc = concat!("```no_run\n# fn f(client: ", $path, ") {\nlet raw = client.raw();\nprintln!(\"{}\", raw.base_url());\n# }\n```")]
        pub fn raw(&self) -> crate::raw::RawClient {
            let $this = self;
            crate::raw::RawClient::of(&self.inner, $fixed)
        }

        /// The generated client, for calls the typed methods do not cover. It is guarded like
        /// them: each request is validated against the spec (and its beta opt-in), waits for
        /// the quota, is signed and retried by the same hooks.
        #[doc = concat!("```no_run\n# fn f(client: ", $path, ") {\nlet generated = client.generated();\n# }\n```")]
        pub fn generated(&self) -> &generated::Client {
            &self.inner
        }

        /// Every item of every page of a request built with this client's builders (the
        /// request is checked, then walked as the spec's `x-pagination` says; see
        /// [`crate::raw::RawClient::items_of`]).
        #[doc = concat!("```no_run\n# async fn f(client: ", $path, ") {\nuse futures::StreamExt;\n# let request = async { Err::<progenitor_client::ResponseValue<()>, progenitor_client::Error<()>>(progenitor_client::Error::Custom(String::new())) };\nlet mut items = std::pin::pin!(client.items::<serde_json::Value, _, _>(request));\nwhile let Some(item) = items.next().await { println!(\"{:?}\", item); }\n# }\n```")]
        pub fn items<'a, T, R, F>(
            &self,
            request: F,
        ) -> impl futures::Stream<Item = crate::Result<T>> + 'a
        where
            T: serde::de::DeserializeOwned + 'static,
            R: 'a,
            F: crate::transport::GeneratedRequest<R> + 'a,
        {
            self.raw().items_of(request)
        }

        /// Every page of a request built with this client's builders, each decoded into its
        /// documented type (see [`crate::raw::RawClient::pages_of`]).
        #[doc = concat!("```no_run\n# async fn f(client: ", $path, ") {\n# let request = async { Err::<progenitor_client::ResponseValue<()>, progenitor_client::Error<()>>(progenitor_client::Error::Custom(String::new())) };\nlet pages = client.pages(request);\n# }\n```")]
        pub fn pages<'a, T, F>(
            &self,
            request: F,
        ) -> impl futures::Stream<Item = crate::Result<T>> + 'a
        where
            T: serde::de::DeserializeOwned + 'static,
            F: crate::transport::GeneratedRequest<T> + 'a,
        {
            self.raw().pages_of(request)
        }

        /// The limiter of this client's quota (the spec's `x-rate-limit`, per account or
        /// token as its `per:` says), shared with every client of the same credentials;
        /// `None` when the quota is off.
        #[doc = concat!("```no_run\n# fn f(client: ", $path, ") {\nif let Some(limiter) = client.rate_limiter() {\n    println!(\"{} requests per {:?}\", limiter.limit().requests, limiter.limit().period);\n}\n# }\n```")]
        pub fn rate_limiter(&self) -> Option<&std::sync::Arc<crate::RateLimiter>> {
            progenitor_client::ClientInfo::inner(&self.inner)
                .runtime
                .limiter
                .as_ref()
        }

        /// The server URL in use.
        #[doc = concat!("```no_run\n# fn f(client: ", $path, ") {\nassert!(client.base_url().starts_with(\"http\"));\n# }\n```")]
        pub fn base_url(&self) -> &str {
            progenitor_client::ClientInfo::baseurl(&self.inner)
        }
    };
}
#[allow(unused_imports)]
pub(crate) use client_accessors;

/// A client for every operation of one API, built from a typed client (`Log360Client::raw`,
/// `NameshieldClient::raw`, `DatadogClient::raw`), sharing its credentials and quota.
///
/// ```no_run
/// # async fn run() -> threatbind::Result<()> {
/// use threatbind::spec::{Api, Document};
/// let raw = threatbind::nameshield_cti::NameshieldClient::from_env()?.build()?.raw();
/// let op = Api::NameshieldCti.operation("listThreatEvents").unwrap();
/// let answer = raw.send(op, &Document::new().query("size", 10).into_value()).await?;
/// println!("{}", String::from_utf8_lossy(&answer.body));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct RawClient {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    pub(crate) hooks: Hooks,
    /// Header parameters the client supplies itself (Log360's `account_id`).
    pub(crate) fixed: Vec<(String, String)>,
}

impl RawClient {
    /// The generic face of a generated client (its HTTP client, server and hooks), with the
    /// header parameters the typed client fills in itself (unused by a build with neither a
    /// hand-written client nor a paginated operation).
    #[allow(dead_code)]
    pub(crate) fn of<C: progenitor_client::ClientInfo<Hooks>>(
        client: &C,
        fixed: Vec<(String, String)>,
    ) -> Self {
        Self {
            http: client.client().clone(),
            base_url: client.baseurl().to_owned(),
            hooks: client.inner().clone(),
            fixed,
        }
    }

    /// The API.
    pub fn api(&self) -> Api {
        self.hooks.api
    }

    /// The server URL in use.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Opts in to a beta operation.
    pub fn enable_unstable(&mut self, operation: &str) {
        let mut set = (*self.hooks.unstable).clone();
        set.insert(crate::transport::normalise(operation));
        self.hooks.unstable = std::sync::Arc::new(set);
    }

    /// Header parameters this client fills in itself, by name.
    pub fn fixed_headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fixed.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Sends `op` with `document` (`{"query":..,"path":..,"header":..,"body":..}`, see
    /// [`crate::spec::Document`]). Path and query values are written as the spec says (arrays
    /// repeat their parameter); header parameters this client supplies are added.
    pub async fn send(&self, op: &Operation, document: &Value) -> Result<RawAnswer> {
        let request = self.build(op, document)?;
        crate::transport::send_raw(&self.hooks, &self.http, request, op, op.api.decode_check())
            .await
    }

    /// Every page of `op` from `document`, as the spec's `x-pagination` says: the cursor is set
    /// in the document page after page, while the answer says more follow. Bounded and checked
    /// like every walk ([`crate::common::paginate`]: `max_pages`, repeated cursors, empty pages
    /// that say more, the page and flag to resume from). An operation without `x-pagination`
    /// gives its one page.
    pub fn pages(
        &self,
        op: &'static Operation,
        document: Value,
    ) -> impl futures::Stream<Item = Result<RawAnswer>> + 'static {
        use futures::StreamExt;
        let client = self.clone();
        use crate::spec::model::Advance;
        let Some(paging) = op.pagination.as_ref() else {
            // One page: the operation is not paginated.
            let once = async move { client.send(op, &document).await };
            return futures::stream::once(once).left_stream().left_stream();
        };
        if paging.advance == Advance::Token {
            let max_pages = client.hooks.runtime.max_pages;
            let send = move |document: Value| {
                let client = client.clone();
                Box::pin(async move { client.send(op, &document).await })
                    as futures::future::BoxFuture<'static, Result<RawAnswer>>
            };
            return crate::tokens::pages(send, document, paging, max_pages)
                .right_stream()
                .left_stream();
        }
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let cursor = paging.cursor.clone();
        let (part, name) = match cursor.split_once('.') {
            Some((p, n)) => (p.to_owned(), n.to_owned()),
            None => ("query".to_owned(), cursor.clone()),
        };
        let number = |path: &str| {
            lookup(&document, path)
                .and_then(Value::as_i64)
                .or_else(|| op.default_of(path).and_then(|v| v.as_i64()))
        };
        let start = number(&cursor).unwrap_or(0);
        let limit = number(&text(&paging.limit));
        let walk = crate::common::Walk {
            start,
            flag: format!("--{}", kebab(&name)).into(),
            max_pages: self.hooks.runtime.max_pages,
        };
        let advance = paging.advance;
        let (more, total) = (text(&paging.more), text(&paging.total));
        let (page_limit, items_path) = (text(&paging.page_limit), paging.items.clone());
        crate::common::paginate(walk, move |position| {
            let mut doc = document.clone();
            if let Value::Object(root) = &mut doc {
                let part = root
                    .entry(part.clone())
                    .or_insert_with(|| Value::Object(serde_json::Map::new()));
                if let Value::Object(map) = part {
                    map.insert(name.clone(), Value::from(position));
                }
            }
            let (more, total, page_limit, items_path) = (
                more.clone(),
                total.clone(),
                page_limit.clone(),
                items_path.clone(),
            );
            let client = client.clone();
            async move {
                let answer = client.send(op, &doc).await?;
                let parsed: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
                let count = items(&answer.body, &items_path).len() as i64;
                let step = match advance {
                    Advance::One => 1,
                    Advance::Limit => lookup(&parsed, &page_limit)
                        .and_then(Value::as_i64)
                        .or(limit)
                        .unwrap_or(1)
                        .max(1),
                    Advance::Items | Advance::Token => count,
                };
                let next = position + step;
                let has_more = if !more.is_empty() {
                    lookup(&parsed, &more).and_then(Value::as_bool) == Some(true)
                } else {
                    lookup(&parsed, &total)
                        .and_then(Value::as_i64)
                        .is_some_and(|t| next < t)
                };
                // An empty page that says more follow is the walk's to report.
                let page = if count == 0 && has_more {
                    Vec::new()
                } else {
                    vec![answer]
                };
                Ok((page, has_more.then_some(next)))
            }
        })
        .right_stream()
    }

    /// Every item of every page of `op` (the `items` of its `x-pagination`; a whole page when
    /// that is empty), decoded into `T`.
    #[cfg_attr(
        not(any(feature = "log360-cloud", feature = "nameshield-cti")),
        allow(dead_code)
    )]
    pub(crate) fn items<T: serde::de::DeserializeOwned + 'static>(
        &self,
        op: &'static Operation,
        document: Result<Value>,
    ) -> impl futures::Stream<Item = Result<T>> + 'static {
        use futures::StreamExt;
        let document = match document {
            Ok(document) => document,
            Err(e) => return futures::stream::iter(vec![Err(e)]).left_stream(),
        };
        let path = op
            .pagination
            .as_ref()
            .map(|p| p.items.clone())
            .unwrap_or_default();
        self.pages(op, document)
            .flat_map(move |page| {
                let decoded: Vec<Result<T>> = match page {
                    Err(e) => vec![Err(e)],
                    Ok(answer) => match answer.decode_error {
                        Some(e) => vec![Err(e)],
                        None => items(&answer.body, &path)
                            .iter()
                            .map(|item| {
                                serde_json::from_str(item).map_err(|e| {
                                    Error::Decode(format!(
                                        "{}: an item does not decode: {e}",
                                        op.id
                                    ))
                                })
                            })
                            .collect(),
                    },
                };
                futures::stream::iter(decoded)
            })
            .right_stream()
    }

    /// Every item of every page of a request built with a generated client's builder (its
    /// `send()` future, which is run up to the checks and not sent): the spec's
    /// `x-pagination` says where the cursor goes, how it advances and when to stop.
    pub fn items_of<'a, T, R, F>(&self, request: F) -> impl futures::Stream<Item = Result<T>> + 'a
    where
        T: serde::de::DeserializeOwned + 'static,
        R: 'a,
        F: crate::transport::GeneratedRequest<R> + 'a,
    {
        self.captured(request, |client, op, document| {
            client.items(op, Ok(document))
        })
    }

    /// Every page of a request built with a generated client's builder, each decoded into its
    /// documented type `T` (see [`Self::items_of`]).
    pub fn pages_of<'a, T, F>(&self, request: F) -> impl futures::Stream<Item = Result<T>> + 'a
    where
        T: serde::de::DeserializeOwned + 'static,
        F: crate::transport::GeneratedRequest<T> + 'a,
    {
        use futures::StreamExt;
        self.captured(request, |client, op, document| {
            client.pages(op, document).map(move |page| {
                let answer = page?;
                if let Some(error) = answer.decode_error {
                    return Err(error);
                }
                serde_json::from_slice(&answer.body).map_err(|e| {
                    Error::Decode(format!("{}: the answer does not decode: {e}", op.id))
                })
            })
        })
    }

    /// The stream `then` makes of the operation and request document `request` captures, or
    /// the one error that stopped the capture.
    fn captured<'a, T, R, F, S>(
        &self,
        request: F,
        then: impl Fn(RawClient, &'static Operation, Value) -> S + 'a,
    ) -> impl futures::Stream<Item = Result<T>> + 'a
    where
        F: crate::transport::GeneratedRequest<R> + 'a,
        S: futures::Stream<Item = Result<T>> + 'a,
        T: 'a,
        R: 'a,
    {
        use futures::StreamExt;
        let client = self.clone();
        futures::stream::once(crate::transport::capture(request)).flat_map(move |captured| {
            match captured {
                Ok((op, document)) => then(client.clone(), op, document).left_stream(),
                Err(e) => futures::stream::iter(vec![Err(e)]).right_stream(),
            }
        })
    }

    /// The request `send` would send for `op` and `document`, built and not sent (nothing is
    /// validated yet: the hooks do that on sending). For inspecting how a document is encoded.
    ///
    /// ```no_run
    /// # fn f(raw: threatbind::raw::RawClient) -> threatbind::Result<()> {
    /// use threatbind::spec::{Api, Document};
    /// let op = Api::NameshieldCti.operation("listThreatEvents").unwrap();
    /// let request = raw.request(op, &Document::new().query("size", 10).into_value())?;
    /// assert_eq!(request.url().query(), Some("size=10"));
    /// # Ok(()) }
    /// ```
    pub fn request(&self, op: &Operation, document: &Value) -> Result<reqwest::Request> {
        self.build(op, document)
    }

    fn build(&self, op: &Operation, document: &Value) -> Result<reqwest::Request> {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut path = op.path.clone();
        if let Some(Value::Object(params)) = document.get("path") {
            for (name, value) in params {
                let encoded = crate::secret::url_encode(&text(value));
                path = path.replace(&format!("{{{name}}}"), &encoded);
            }
        }
        let method = reqwest::Method::from_bytes(op.method.as_bytes())
            .map_err(|e| Error::config("method", e.to_string()))?;
        let mut request = match url_on(&self.base_url, &path) {
            // The base URL parsed once, the path set on it: the same URL as the text parsed.
            Some(url) => self.http.request(method, url),
            None => self
                .http
                .request(method, format!("{}{path}", self.base_url).as_str()),
        };
        if let Some(Value::Object(query)) = document.get("query") {
            let mut pairs: Vec<(String, String)> = Vec::new();
            for (name, value) in query {
                match value {
                    Value::Array(items) => {
                        pairs.extend(items.iter().map(|i| (name.clone(), text(i))));
                    }
                    Value::Null => {}
                    other => pairs.push((name.clone(), text(other))),
                }
            }
            request = request.query(&pairs);
        }
        let declared = |name: &str| crate::spec::Operation::declares_header(op, name);
        let given = |name: &str| {
            document
                .get("header")
                .and_then(|headers| headers.get(name))
                .is_some()
        };
        for (name, value) in &self.fixed {
            if declared(name) && !given(name) {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        if let Some(Value::Object(headers)) = document.get("header") {
            for (name, value) in headers {
                request = request.header(name.as_str(), text(value));
            }
        }
        if let Some(body) = document.get("body") {
            request = request.json(body);
        }
        request
            .build()
            .map_err(|e| Error::config("request", crate::secret::redact(&e.to_string())))
    }
}

/// `{base_url}{path}` as a URL, from `base_url` parsed once per thread (a client sends many
/// requests to one server): `None` when setting the path on the parsed base could give
/// another URL than parsing the text (a base with a query, fragment or unusual spelling, a
/// path that does not start with `/` or holds `?` or `#`); the caller parses the text then.
fn url_on(base_url: &str, path: &str) -> Option<reqwest::Url> {
    use std::cell::RefCell;
    /// The parsed base and whether its text has no path (`https://host`: `/` is not a prefix).
    type Base = Option<(reqwest::Url, bool)>;
    thread_local! {
        static LAST: RefCell<Option<(String, Base)>> = const { RefCell::new(None) };
    }
    if !path.starts_with('/') || path.contains(['?', '#']) {
        return None;
    }
    let parse = || -> Base {
        let url = reqwest::Url::parse(base_url).ok()?;
        if url.query().is_some() || url.fragment().is_some() || url.cannot_be_a_base() {
            return None;
        }
        if url.as_str() == base_url {
            Some((url, false))
        } else if url.path() == "/" && url.as_str().strip_suffix('/') == Some(base_url) {
            Some((url, true))
        } else {
            None
        }
    };
    let (mut url, bare) = LAST.with(|last| {
        let mut last = last.borrow_mut();
        match last.as_ref() {
            Some((text, base)) if text == base_url => base.clone(),
            _ => {
                let base = parse();
                *last = Some((base_url.to_owned(), base.clone()));
                base
            }
        }
    })?;
    if bare {
        url.set_path(path);
    } else {
        let full = format!("{}{path}", url.path());
        url.set_path(&full);
    }
    Some(url)
}

/// The items of an answer at `path` (the answer itself for an empty path), each as the vendor
/// spelled it.
///
/// ```
/// let body = br#"{"data": [{"id": 1.50}, {"id": 2}], "meta": {}}"#;
/// assert_eq!(threatbind::raw::items(body, "data"), [r#"{"id": 1.50}"#, r#"{"id": 2}"#]);
/// ```
pub fn items(body: &[u8], path: &str) -> Vec<String> {
    use serde_json::value::RawValue;
    let Ok(text) = std::str::from_utf8(body) else {
        return Vec::new();
    };
    let Ok(mut current) = serde_json::from_str::<&RawValue>(text) else {
        return Vec::new();
    };
    for key in path.split('.').filter(|k| !k.is_empty()) {
        let Ok(map) =
            serde_json::from_str::<std::collections::HashMap<String, &RawValue>>(current.get())
        else {
            return Vec::new();
        };
        match map.get(key) {
            Some(next) => current = next,
            None => return Vec::new(),
        }
    }
    if path.is_empty() {
        return vec![current.get().to_owned()];
    }
    match serde_json::from_str::<Vec<&RawValue>>(current.get()) {
        Ok(list) => list.iter().map(|i| i.get().to_owned()).collect(),
        Err(_) => vec![current.get().to_owned()],
    }
}

#[cfg(test)]
mod tests {
    use super::url_on;

    /// Setting the path on the parsed base gives the URL parsing the text gives, or declines.
    #[test]
    fn a_url_on_the_parsed_base_is_the_url_of_the_text() {
        let bases = [
            "https://api.nameshield.net",
            "https://api.nameshield.net/",
            "http://127.0.0.1:8080/api/v2",
            "https://log360cloud.manageengine.com/api/v2/",
            "https://HOST.example.com:443/Api",
            "https://xn--bcher-kva.example/x",
            "https://bücher.example/x",
            "http://[::1]:9/a/b",
            "https://host/a?x=1",
            "https://host/a#f",
            "https://host/a/./b/../c",
            "https://host/a%20b",
            "https://host/a b",
        ];
        let paths = [
            "/detection/rules",
            "/events/1234",
            "/a/%2E%2E/b",
            "/a/../b",
            "/a/./b",
            "/a//b",
            "/a\\b",
            "/caf%C3%A9/x%2Fy",
            "/café/ x",
            "/{id}/x",
            "/",
            "",
            "x",
            "/a?b",
            "/a#b",
        ];
        for base in bases {
            for path in paths {
                let text = reqwest::Url::parse(&format!("{base}{path}")).ok();
                // Twice: the second from the thread's parsed base.
                for _ in 0..2 {
                    if let Some(url) = url_on(base, path) {
                        assert_eq!(Some(url), text, "{base} + {path}");
                    }
                }
            }
        }
        assert!(url_on("https://api.nameshield.net", "/events").is_some());
        assert!(url_on("http://127.0.0.1:8080/api/v2", "/x/y").is_some());
    }
}

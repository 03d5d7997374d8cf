//! A HAR 1.2 capture (browser devtools, mitmproxy, Charles, Burp) against the specs: every
//! entry whose URL is on a server of a spec is matched to its operation by method and path
//! template, and its request and answer are checked; an entry to a path no operation of that
//! server has is an `undocumented-operation` finding; other hosts are counted and skipped.

use super::{
    add_secret, credential_queries, is_credential_header, locate, not_json, redact,
    request_findings, response_findings, spec_file, CheckError, Finding, Part, Report,
};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use threatbind::spec::{Api, Operation};
use url::Url;

/// The largest capture read (256 MiB): a larger one is refused with
/// [`CheckError::TooLarge`] rather than read into memory.
pub const MAX_HAR_BYTES: u64 = 256 << 20;

/// How many URLs one server of a spec expands to (every combination of its variables' values);
/// combinations beyond are not matched.
const MAX_URLS_PER_SERVER: usize = 1024;

/// How many distinct skipped hosts [`super::Summary::skipped_hosts`] lists.
const MAX_HOSTS_LISTED: usize = 100;

/// What a HAR check needs besides the capture.
///
/// ```
/// use threatbind_spec_tools::check::HarOptions;
/// let mut options = HarOptions::default();
/// // An on-premises server: its host is a variable of the spec with no list of values.
/// options.variables.entry("host".into()).or_default().push("siem.corp.example".into());
/// ```
#[derive(Clone, Debug, Default)]
pub struct HarOptions {
    /// Values of server variables besides the spec's own (its `enum`, else its `default`), by
    /// the variable's name: the host of an on-premises install, say.
    pub variables: BTreeMap<String, Vec<String>>,
    /// The instant time-relative `x-rules` count from for an entry without a readable
    /// `startedDateTime` (an entry with one is checked at that instant); `None`: the present.
    pub now: Option<DateTime<Utc>>,
}

/// One URL a server of a spec stands for: the API's requests go to `path` + a path template.
#[derive(Debug)]
struct Base {
    api: Api,
    scheme: String,
    host: String,
    port: Option<u16>,
    /// The server's path, without a trailing `/` (`/api/v2`, or empty).
    path: String,
}

/// Every URL the servers of every spec stand for, with the values of their variables.
fn bases(options: &HarOptions) -> Vec<Base> {
    let mut out = Vec::new();
    for api in Api::ALL.iter().copied() {
        for server in api.servers() {
            let mut urls = vec![server.url.clone()];
            for (name, (default, allowed)) in &server.variables {
                let mut values: Vec<&String> = if allowed.is_empty() {
                    vec![default]
                } else {
                    allowed.iter().collect()
                };
                values.extend(options.variables.get(name).into_iter().flatten());
                values.sort();
                values.dedup();
                let placeholder = format!("{{{name}}}");
                urls = urls
                    .iter()
                    .flat_map(|url| {
                        values
                            .iter()
                            .map(|v| url.replace(&placeholder, v))
                            .collect::<Vec<_>>()
                    })
                    .take(MAX_URLS_PER_SERVER)
                    .collect();
            }
            for url in urls {
                let Ok(parsed) = Url::parse(&url) else {
                    continue;
                };
                let Some(host) = parsed.host_str() else {
                    continue;
                };
                out.push(Base {
                    api,
                    scheme: parsed.scheme().to_owned(),
                    host: host.to_ascii_lowercase(),
                    port: parsed.port_or_known_default(),
                    path: parsed.path().trim_end_matches('/').to_owned(),
                });
            }
        }
    }
    out
}

/// The base `url` is on (the one with the longest path), and the path after it.
fn base_of<'a>(bases: &'a [Base], url: &Url) -> Option<(&'a Base, String)> {
    let host = url.host_str()?.to_ascii_lowercase();
    let path = url.path();
    bases
        .iter()
        .filter(|b| {
            b.scheme == url.scheme()
                && b.host == host
                && b.port == url.port_or_known_default()
                && path.starts_with(&b.path)
                && matches!(path.as_bytes().get(b.path.len()), None | Some(b'/'))
        })
        .max_by_key(|b| b.path.len())
        .map(|b| (b, path[b.path.len()..].to_owned()))
}

/// How many literal segments of `template` match `path` (both relative to the server), or
/// `None` when it does not match; a `{parameter}` segment matches any non-empty segment.
fn template_match(template: &str, path: &str) -> Option<usize> {
    let template: Vec<&str> = template.trim_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_matches('/').split('/').collect();
    if template.len() != path.len() {
        return None;
    }
    let mut literals = 0;
    for (t, p) in template.iter().zip(&path) {
        if t.starts_with('{') && t.ends_with('}') {
            if p.is_empty() {
                return None;
            }
        } else {
            let decoded = percent_encoding::percent_decode_str(p).decode_utf8_lossy();
            if *t != decoded {
                return None;
            }
            literals += 1;
        }
    }
    Some(literals)
}

/// The operation of `api` for `method` and `path`, else the methods the path is documented
/// for (empty: no operation has the path).
fn operation_of(api: Api, method: &str, path: &str) -> Result<&'static Operation, Vec<String>> {
    let mut best: Option<(usize, &'static Operation)> = None;
    let mut methods = Vec::new();
    for op in api.operations() {
        let Some(literals) = template_match(&op.path, path) else {
            continue;
        };
        if op.method != method {
            methods.push(op.method.clone());
            continue;
        }
        if best.is_none_or(|(most, _)| literals > most) {
            best = Some((literals, op));
        }
    }
    best.map(|(_, op)| op).ok_or_else(|| {
        methods.sort();
        methods.dedup();
        methods
    })
}

/// The text at `key` of `value`.
fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// The `{name, value}` pairs of a HAR `headers` list.
fn pairs(list: Option<&Value>) -> impl Iterator<Item = (&str, &str)> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|h| Some((text(h, "name")?, text(h, "value")?)))
}

/// `url` as a finding shows it: without user, password, query or fragment.
fn shown(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// A recorded request as the library's send path reads one (`Operation::request_document`):
/// its method, URL, headers (credentials noted in `secrets`) and body.
fn wire_request(
    method: &str,
    url: &Url,
    request: &Value,
    secrets: &mut Vec<String>,
) -> Option<reqwest::Request> {
    let method = reqwest::Method::from_bytes(method.as_bytes()).ok()?;
    let mut built = reqwest::Request::new(method, url.clone());
    for (name, value) in pairs(request.get("headers")) {
        if is_credential_header(name) {
            add_secret(value, secrets);
        }
        // HTTP/2 pseudo-headers (`:authority`) and malformed ones are no parameters.
        let (Ok(name), Ok(value)) = (
            reqwest::header::HeaderName::from_bytes(name.as_bytes()),
            reqwest::header::HeaderValue::from_str(value),
        ) else {
            continue;
        };
        built.headers_mut().append(name, value);
    }
    for (name, value) in url.query_pairs() {
        if credential_queries().iter().any(|c| *c == name) {
            add_secret(&value, secrets);
        }
    }
    if let Some(body) = request.get("postData").and_then(|p| text(p, "text")) {
        if !body.is_empty() {
            *built.body_mut() = Some(reqwest::Body::from(body.as_bytes().to_vec()));
        }
    }
    Some(built)
}

/// The answer's body as text: `None` when the capture does not hold it.
fn answer_text(response: &Value) -> Option<String> {
    let content = response.get("content")?;
    let body = text(content, "text")?;
    if body.is_empty() {
        return None;
    }
    if text(content, "encoding") == Some("base64") {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .ok()?;
        return Some(String::from_utf8_lossy(&bytes).into_owned());
    }
    Some(body.to_owned())
}

/// Checks every entry of the HAR capture `text` (`source` names it in findings).
///
/// ```
/// use threatbind_spec_tools::check::{har, HarOptions};
/// let capture = r#"{"log": {"version": "1.2", "entries": [
///   {"request": {"method": "GET", "url": "https://example.org/", "headers": []},
///    "response": {"status": 200, "headers": [], "content": {"size": 0, "mimeType": "text/html"}}}
/// ]}}"#;
/// let report = har("capture.har", capture, &HarOptions::default()).unwrap();
/// assert_eq!((report.summary.entries, report.summary.other_hosts), (1, 1));
/// assert!(report.findings.is_empty());
/// assert!(har("x.har", "{}", &HarOptions::default()).is_err());
/// ```
pub fn har(source: &str, text: &str, options: &HarOptions) -> Result<Report, CheckError> {
    let capture = super::parse_json(text, source)?;
    let entries = capture
        .get("log")
        .ok_or_else(|| CheckError::NotHar {
            file: source.to_owned(),
            reason: "no \"log\" object".to_owned(),
        })?
        .get("entries")
        .and_then(Value::as_array)
        .ok_or_else(|| CheckError::NotHar {
            file: source.to_owned(),
            reason: "no \"log.entries\" list".to_owned(),
        })?;
    let bases = bases(options);
    let mut report = Report::default();
    report.summary.entries = entries.len();
    for (index, entry) in entries.iter().enumerate() {
        check_entry(source, index, entry, &bases, options, &mut report);
    }
    super::locate_in(text, &mut report.findings);
    Ok(report)
}

/// [`har`] of a file.
///
/// ```
/// use threatbind_spec_tools::check::{har_file, HarOptions};
/// let report = har_file("tests/har/capture.har", &HarOptions::default()).unwrap();
/// assert!(report.summary.checked > 0);
/// ```
pub fn har_file(path: impl AsRef<Path>, options: &HarOptions) -> Result<Report, CheckError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    har(&name, &super::read_file(path, MAX_HAR_BYTES)?, options)
}

/// Checks one entry of a capture into `report`.
fn check_entry(
    source: &str,
    index: usize,
    entry: &Value,
    bases: &[Base],
    options: &HarOptions,
    report: &mut Report,
) {
    let request = entry.get("request").unwrap_or(&Value::Null);
    let method = text(request, "method").map(str::to_ascii_uppercase);
    let url = text(request, "url").and_then(|u| Url::parse(u).ok());
    let (Some(method), Some(url)) = (method, url) else {
        report.summary.unreadable += 1;
        return;
    };
    let Some((base, path)) = base_of(bases, &url) else {
        report.summary.other_hosts += 1;
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let listed = report.summary.skipped_hosts.len();
        if let Some(count) = report.summary.skipped_hosts.get_mut(&host) {
            *count += 1;
        } else if listed < MAX_HOSTS_LISTED {
            report.summary.skipped_hosts.insert(host, 1);
        }
        return;
    };
    let preflight = method == "OPTIONS"
        && pairs(request.get("headers"))
            .any(|(name, _)| name.eq_ignore_ascii_case("access-control-request-method"));
    if preflight {
        report.summary.preflights += 1;
        return;
    }
    let exchange = format!("{method} {}", shown(&url));
    let place = |mut findings: Vec<Finding>| {
        for f in &mut findings {
            f.entry = Some(index);
            f.exchange = Some(exchange.clone());
        }
        findings
    };
    let op = match operation_of(base.api, &method, &path) {
        Ok(op) => op,
        Err(methods) => {
            report.summary.undocumented += 1;
            let message = if methods.is_empty() {
                format!(
                    "{method} {path}: no operation of {} has this path",
                    spec_file(base.api)
                )
            } else {
                format!(
                    "{method} {path}: no operation of {} (the path is documented for {})",
                    spec_file(base.api),
                    methods.join(", ")
                )
            };
            let spec_pointer = "/paths".to_owned();
            report.extend(place(vec![Finding {
                source: source.to_owned(),
                line: None,
                entry: None,
                exchange: None,
                operation: None,
                part: Part::Request,
                status: None,
                pointer: String::new(),
                rule: "undocumented-operation".to_owned(),
                message,
                spec_file: spec_file(base.api),
                spec_line: locate::line(base.api, &spec_pointer),
                spec_pointer,
            }]));
            return;
        }
    };
    report.summary.checked += 1;
    let now = text(entry, "startedDateTime")
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .or(options.now)
        .unwrap_or_else(Utc::now);
    let mut secrets = Vec::new();
    let mut findings = match wire_request(&method, &url, request, &mut secrets) {
        Some(built) => request_findings(op, source, &op.request_document(&built), now),
        None => Vec::new(),
    };
    let response = entry.get("response").unwrap_or(&Value::Null);
    let status = response
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| *s != 0);
    match status {
        None => report.summary.unreadable += 1,
        Some(status) => match answer_text(response) {
            None => {
                let (found, needed) = response_findings(op, source, status, None);
                report.summary.unrecorded_answers += usize::from(needed);
                findings.extend(found);
            }
            Some(body) => match serde_json::from_str::<Value>(&body) {
                Ok(body) => findings.extend(response_findings(op, source, status, Some(&body)).0),
                Err(e) => {
                    let (found, needed) = response_findings(op, source, status, None);
                    findings.extend(found);
                    if needed {
                        findings.push(not_json(op, source, status, &e.to_string()));
                    }
                }
            },
        },
    }
    redact(&mut findings, &secrets);
    report.extend(place(findings));
}

#[cfg(test)]
mod tests {
    use super::template_match;

    #[test]
    fn templates_match_by_segment() {
        assert_eq!(template_match("/a/{id}", "/a/7"), Some(1));
        assert_eq!(template_match("/a/b", "/a/b/"), Some(2));
        assert_eq!(template_match("/a/{id}", "/a/"), None);
        assert_eq!(template_match("/a/{id}", "/a/7/c"), None);
        assert_eq!(template_match("/a/b%20c", "/a/b%20c"), None);
        assert_eq!(template_match("/a/b c", "/a/b%20c"), Some(2));
    }
}

//! The per-API choices of the mock, each reproducing a sentence of a spec. What an answer
//! reflects of its request and which requests get a documented 404 are data: an operation's
//! `x-mock` (specs/README.md), each case quoting the sentence it reproduces, read here
//! generically. Everything else — routes, credentials, validation, error shapes, paging,
//! quotas — is read from the specs by the generic modules.
//!
//! Generic, so not here: an unknown id read by a path parameter answers the operation's
//! documented 404 (`data.rs`: Nameshield `getThreatEvent`, "No such event"), and a request
//! value the spec's `response_normalizes` rule rewrites comes back rewritten (`answers.rs`:
//! Log360 "When DOMAIN is supplied, the server ... returns indicator_type "URL"").

use super::answers::set_path;
use serde_json::{Map, Value};
use threatbind::indicator::detect;
use threatbind::raw::lookup;
use threatbind::spec::Operation;

/// A documented error status this request gets instead of its success answer: the 404 of an
/// operation whose `x-mock.not-found` names the request (its value at `path` starts with
/// `prefix`; the model has checked that the operation documents a 404).
pub(crate) fn refusal(op: &Operation, document: &Value) -> Option<u16> {
    let not_found = op.mock.as_ref()?.not_found.as_ref()?;
    lookup(document, &not_found.path)
        .and_then(Value::as_str)
        .is_some_and(|value| value.starts_with(&not_found.prefix))
        .then_some(404)
}

/// Request values a success answer reflects, as the operation's `x-mock` says (each case quotes
/// the sentence of the spec it reproduces).
pub(crate) fn adjust(op: &Operation, document: &Value, answer: &mut Value) {
    let Some(mock) = &op.mock else {
        return;
    };
    let at = |path: &str| lookup(document, path);
    let detected = |path: &str| {
        at(path)
            .and_then(Value::as_str)
            .and_then(detect)
            .map(|kind| kind.as_str())
    };
    for echo in mock.echo.iter().filter(|echo| echo.applies(at)) {
        let value = echo
            .from
            .as_deref()
            .and_then(at)
            .cloned()
            .or_else(|| {
                let kind = detected(echo.detected.as_deref()?)?;
                Some(Value::String(kind.to_owned()))
            })
            .or_else(|| echo.value.clone());
        if let Some(value) = value {
            set_path(answer, &echo.to, value);
        }
    }
    if let Some(sections) = &mock.sections {
        let listed =
            detected(&sections.detected).and_then(|kind| op.sections_by_indicator_type.get(kind));
        if let Some(listed) = listed {
            let data: Map<String, Value> = listed
                .iter()
                .map(|name| (name.clone(), Value::Object(Map::new())))
                .collect();
            set_path(answer, &sections.to, Value::Object(data));
        }
    }
}

//! The per-API choices of the mock, each reproducing a sentence of a spec (quoted above it).
//! Everything else — routes, credentials, validation, error shapes, paging, quotas — is read
//! from the specs by the generic modules. APIs and operations are named by spec stem and
//! `operationId`, so a build without some API still compiles.
//!
//! Generic, so not here: an unknown id read by a path parameter answers the operation's
//! documented 404 (`data.rs`: Nameshield `getThreatEvent`, "No such event"), and a request
//! value the spec's `response_normalizes` rule rewrites comes back rewritten (`answers.rs`:
//! Log360 "When DOMAIN is supplied, the server ... returns indicator_type "URL"").

use super::answers::set_path;
use serde_json::{Map, Value};
use threatbind::indicator::detect;
use threatbind::raw::lookup;
use threatbind::spec::{Api, Operation};

/// The scheme word of the `Authorization` header for an OAuth scheme.
pub(crate) fn oauth2_scheme(api: Api, _scheme: &str) -> &'static str {
    match api.stem() {
        // log360-cloud.yaml, securitySchemes.zohoOAuth: "Send the access token as
        // `Authorization: Zoho-oauthtoken <token>`" (info: "note: the `Zoho-oauthtoken`
        // prefix, not `Bearer`").
        "log360-cloud" => "Zoho-oauthtoken",
        _ => "Bearer",
    }
}

/// A documented error status this request gets instead of its success answer.
pub(crate) fn refusal(op: &Operation, document: &Value) -> Option<u16> {
    // log360-cloud.yaml, responses.EntityNotFound: "The entity does not exist.", with the
    // example `{"error": {"code": "100010400", "title": "Not Found", "detail": "Given Entity not
    // found."}}`. The mock knows no entities: a name starting with `unknown` is one that does
    // not exist.
    if op.api.stem() == "log360-cloud"
        && documents(op, 404)
        && lookup(document, "query.entity_name")
            .and_then(Value::as_str)
            .is_some_and(|name| name.starts_with("unknown"))
    {
        return Some(404);
    }
    None
}

fn documents(op: &Operation, status: u16) -> bool {
    op.raw
        .get("responses")
        .and_then(|r| r.get(status.to_string()))
        .is_some()
}

/// Request values a success answer reflects, where the spec says the answer is about them.
pub(crate) fn adjust(op: &Operation, document: &Value, answer: &mut Value) {
    let text = |path: &str| lookup(document, path).and_then(Value::as_str);
    let copy = |answer: &mut Value, from: &str, to: &str| {
        if let Some(value) = lookup(document, from) {
            set_path(answer, to, value.clone());
        }
    };
    match (op.api.stem(), op.id.as_str()) {
        ("log360-cloud", "searchThreatAnalytics") => {
            // "Fetches threat analysis data from L3C Threat Analytics for a given indicator":
            // the answer is about the indicator asked for.
            copy(answer, "body.indicator", "data.indicator");
            // indicator_type: the stated one, else the detected one (rule
            // indicator-matches-type: "the server detects it too"). "When DOMAIN is supplied,
            // the server normalizes the indicator and returns indicator_type "URL"" is the
            // spec's `response_normalizes` rule, applied after this by the generic answers.
            let stated = text("body.indicator_type").map(str::to_owned);
            let detected = text("body.indicator")
                .and_then(detect)
                .map(|k| k.as_str().to_owned());
            if let Some(kind) = stated.or(detected) {
                set_path(answer, "data.indicator_type", Value::String(kind));
            }
            // "CONNECTIONS (connected items of one section)": the answer names the section.
            if text("body.action") == Some("CONNECTIONS") {
                copy(answer, "body.filter.section", "data.section");
            }
        }
        ("log360-cloud", "searchVirusTotal") => {
            // "The sections returned under `data` vary by the detected type"
            // (x-sections-by-indicator-type lists them per type).
            let kind = text("body.indicator").and_then(detect);
            let sections = kind.and_then(|k| {
                op.raw
                    .pointer(&format!("/x-sections-by-indicator-type/{}", k.as_str()))
                    .and_then(Value::as_array)
            });
            if let Some(sections) = sections {
                let data: Map<String, Value> = sections
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|s| (s.to_owned(), Value::Object(Map::new())))
                    .collect();
                set_path(answer, "data", Value::Object(data));
            }
        }
        ("log360-cloud", "listEntityRuleAnomalies") => {
            // "Retrieves anomaly details for a specified entity and rule ID".
            copy(answer, "query.entity_name", "data.entity_name");
            copy(answer, "query.rule_id", "data.rule_id");
        }
        ("log360-cloud", "listRecentAnomalies" | "getEntityRiskProfile") => {
            // "Retrieves recent anomaly details for a specified entity" / "a comprehensive risk
            // profile for a specified entity".
            copy(answer, "query.entity_name", "data.entity_name");
        }
        ("datadog-ioc", "getIndicatorOfCompromise") => {
            // "The indicator value to look up": the answer describes that indicator.
            copy(answer, "query.indicator", "data.attributes.data.indicator");
            // include_triage_history: "Also return the indicator's full triage history
            // (`triage_history`)" — "Datadog returns it only when asked for".
            if lookup(document, "query.include_triage_history") == Some(&Value::Bool(true)) {
                set_path(
                    answer,
                    "data.attributes.data.triage_history",
                    Value::Array(Vec::new()),
                );
            }
        }
        _ => {}
    }
}

//! Every spec is valid OpenAPI 3.0 and every operation carries what the project promises:
//! an operationId, a declared tag, a documented error response, an example, a summary.

use serde_json::Value;
use threatbind::spec::Api;

#[test]
fn every_spec_is_openapi_3_0_and_every_operation_is_complete() {
    let mut problems = Vec::new();
    for api in Api::ALL {
        let spec: openapiv3::OpenAPI = serde_yaml_ng::from_str(api.source())
            .unwrap_or_else(|e| panic!("{api}: not OpenAPI 3.0: {e}"));
        assert!(
            spec.openapi.starts_with("3.0."),
            "{api}: openapi {}",
            spec.openapi
        );
        assert!(!spec.servers.is_empty(), "{api}: no servers");
        let declared: Vec<&str> = spec.tags.iter().map(|t| t.name.as_str()).collect();
        let doc = api.document();
        let mut count = 0;
        for (path, method, op) in spec.operations() {
            count += 1;
            let name = format!("{api} {} {path}", method.to_uppercase());
            if op.operation_id.is_none() {
                problems.push(format!("{name}: no operationId"));
            }
            if op.tags.is_empty() || op.tags.iter().any(|t| !declared.contains(&t.as_str())) {
                problems.push(format!("{name}: needs a tag declared in `tags`"));
            }
            if op.summary.is_none() || op.description.is_none() {
                problems.push(format!("{name}: needs a summary and a description"));
            }
            let raw = &doc["paths"][path][method];
            let responses = raw["responses"].as_object().cloned().unwrap_or_default();
            if !responses
                .keys()
                .any(|s| s.starts_with('4') || s.starts_with('5'))
            {
                problems.push(format!("{name}: no documented error response"));
            }
            let success = responses
                .iter()
                .find(|(s, _)| s.starts_with('2'))
                .map(|(_, r)| r);
            let media = success.and_then(|r| r.pointer("/content/application~1json"));
            let has_example =
                media.is_some_and(|m| m.get("example").is_some() || m.get("examples").is_some());
            if !has_example {
                problems.push(format!("{name}: success response has no example"));
            }
            // The quota in force (the operation's own or the API's, through the model).
            let quota = op
                .operation_id
                .as_deref()
                .and_then(|id| api.operation(id))
                .and_then(|op| op.rate_limit);
            if quota.is_none() {
                let description = doc["info"]["description"].as_str().unwrap_or("");
                if let Err(why) = states_the_rate_limit(description) {
                    problems.push(format!("{name}: no x-rate-limit, and {why}"));
                }
            }
        }
        assert!(count > 0, "{api}: no operations");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The words of `text`, without the punctuation around them (`429,` is `429`, `` `x` `` is `x`).
fn words(text: &str) -> Vec<&str> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// What a spec without `x-rate-limit` must say about its quota: a paragraph of its description
/// that starts with the words "Rate limit" (`Rate limit:`, `Rate limit (vendor):`) and either
/// gives the quota, a number of requests per a unit of time ("600 requests per 5 minutes"), or
/// says that the vendor documents no number and that refusals come as HTTP 429.
fn states_the_rate_limit(description: &str) -> Result<(), String> {
    let statement = description
        .split("\n\n")
        .map(str::trim)
        .find(|p| {
            p.strip_prefix("Rate limit")
                .is_some_and(|rest| rest.starts_with(':') || rest.starts_with(" ("))
        })
        .ok_or("its description has no paragraph starting \"Rate limit:\"")?;
    let w = words(statement);
    let unit = |word: &str| {
        ["second", "minute", "hour", "day"]
            .iter()
            .any(|u| word == *u || word.strip_suffix('s') == Some(u))
    };
    let number = |word: &str| !word.is_empty() && word.chars().all(|c| c.is_ascii_digit());
    // "<N> requests per [<M>] <unit>"
    let quota = (0..w.len()).any(|i| {
        let at = |k: usize| w.get(i + k).copied().unwrap_or("");
        let after = if number(at(3)) { 4 } else { 3 };
        number(at(0)) && at(1) == "requests" && at(2) == "per" && unit(at(after))
    });
    let no_number = w.windows(2).any(|x| x == ["no", "number"]) && w.contains(&"429");
    if quota || no_number {
        Ok(())
    } else {
        Err(format!(
            "its rate limit paragraph gives neither N requests per unit of time nor says that \
             no number is documented and refusals are HTTP 429: {statement:?}"
        ))
    }
}

#[test]
fn a_rate_limit_statement_is_read_as_one() {
    for said in [
        "Rate limit: 50 requests per minute per account, all operations together.",
        "Rate limit: 600 requests per 5 minutes per token; a refusal carries `Retry-After`.",
        "A.\n\nRate limit (EventLog Analyzer): 60 requests per minute for all endpoints.",
        "Rate limit: the page documents no number, so there is no `x-rate-limit`; the client \
         relies on the server's HTTP 429.",
    ] {
        assert_eq!(states_the_rate_limit(said), Ok(()), "{said}");
    }
    for said in [
        // Words that merely contain "rate".
        "The client is generated from a separate page; accurate examples.",
        // Rate limits named, the quota not.
        "Rate limit: the vendor has one.",
        "Rate limit: 50 requests, it seems.",
        "Rate limit: no number is documented.",
        "Rate limits apply: 50 requests per minute.",
        "See below. Rate limit: 50 requests per minute.",
    ] {
        assert!(states_the_rate_limit(said).is_err(), "{said}");
    }
}

#[test]
fn every_example_in_a_spec_is_valid_for_its_schema() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for api in Api::ALL {
        let doc = api.document();
        for op in api.operations() {
            let responses = op.raw["responses"].as_object().cloned().unwrap_or_default();
            for (status, response) in responses {
                let Ok(code) = status.parse::<u16>() else {
                    continue;
                };
                let response = match response.get("$ref").and_then(Value::as_str) {
                    Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap().clone(),
                    None => response,
                };
                let Some(media) = response.pointer("/content/application~1json") else {
                    continue;
                };
                let mut examples: Vec<Value> = media.get("example").cloned().into_iter().collect();
                for (_, e) in media
                    .get("examples")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let e = match e.get("$ref").and_then(Value::as_str) {
                        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap(),
                        None => e,
                    };
                    examples.extend(e.get("value").cloned());
                }
                for example in examples {
                    checked += 1;
                    if let Err(v) = op.validate_response(code, &example) {
                        problems.push(format!("{api}/{} {status}: {:?}", op.id, v));
                    }
                }
            }
        }
    }
    assert!(checked > 10, "only {checked} examples");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The generated newtypes carry the spec's `maxLength`: read it from the spec, then check the
/// generated type accepts exactly that many characters and no more. Editing the number in the
/// spec regenerates the type (build.rs reruns on spec changes) and this test follows.
/// The spec's maxLength holds on every path: the generated types are plain strings (no
/// newtype with a message of its own), and the send path's validator refuses one character
/// more, naming the field and the rule.
#[cfg(feature = "log360-cloud")]
#[test]
fn the_validator_enforces_the_spec_max_length() {
    let doc = Api::Log360Cloud.document();
    let max = doc
        .pointer("/components/schemas/ThreatAnalyticsRequest/properties/indicator/maxLength")
        .and_then(Value::as_u64)
        .unwrap() as usize;
    let op = Api::Log360Cloud.operation("searchThreatAnalytics").unwrap();
    let request = |indicator: String| {
        serde_json::json!({
            "header": {"account_id": "18XXXXX4"},
            "body": {"indicator": indicator, "indicator_type": "URL", "action": "INFO"}
        })
    };
    let at_max = format!("https://example.com/{}", "a".repeat(max - 20));
    assert_eq!(at_max.len(), max);
    assert!(op
        .validate_request(&request(at_max.clone()), chrono::Utc::now())
        .is_ok());
    let violations = op
        .validate_request(&request(format!("a{at_max}")), chrono::Utc::now())
        .unwrap_err();
    let rules: Vec<(&str, &str)> = violations
        .iter()
        .map(|v| (v.path.as_str(), v.rule.as_str()))
        .collect();
    assert!(
        rules.contains(&("body.indicator", "maxLength")),
        "{rules:?}"
    );
}

/// A comma inside an unquoted flow-mapping value (`{description: a, b}`) silently makes `b` a
/// key with no value: the document is then not the one it looks like, and every other check
/// still passes. No key of a spec, outside `x-` extensions and examples, is without a value.
#[test]
fn no_spec_key_is_a_stray_fragment_of_a_sentence() {
    fn walk(value: &Value, path: &mut Vec<String>, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    if k.starts_with("x-") || k == "example" || k == "examples" || k == "default" {
                        continue;
                    }
                    path.push(k.clone());
                    if v.is_null() {
                        out.push(path.join("/"));
                    }
                    walk(v, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(i.to_string());
                    walk(v, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut stray = Vec::new();
    for api in Api::ALL {
        let mut path = vec![api.stem().to_owned()];
        walk(api.document(), &mut path, &mut stray);
    }
    assert!(
        stray.is_empty(),
        "keys without a value (an unquoted comma?): {stray:?}"
    );
}

/// Every variable a spec names (its model's environment) is in the README's table, and the
/// model has every variable the specs write (an `x-env` or `x-oauth-env` it missed would be a
/// variable the client never reads).
#[test]
fn the_readme_lists_every_variable_the_specs_name() {
    let readme = include_str!("../README.md");
    fn written(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("x-env", Value::String(name)) => out.push(name.clone()),
                        ("x-env", Value::Object(m)) if m.contains_key("help") => {
                            out.extend(m.get("name").and_then(Value::as_str).map(str::to_owned))
                        }
                        _ => {}
                    }
                    if k == "x-oauth-env" || (k == "x-env" && !map.contains_key("in")) {
                        // The roles' variables: `{role: {name, help}}`.
                        for role in v.as_object().into_iter().flat_map(|m| m.values()) {
                            out.extend(role.get("name").and_then(Value::as_str).map(str::to_owned));
                        }
                    }
                    written(v, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| written(v, out)),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    let mut unread = Vec::new();
    for api in Api::ALL {
        let known: Vec<&str> = api
            .env()
            .variables()
            .into_iter()
            .map(|v| v.name.as_str())
            .collect();
        assert!(!known.is_empty(), "{api} names no variable");
        let mut names = Vec::new();
        written(api.document(), &mut names);
        unread.extend(
            names
                .iter()
                .filter(|n| !known.contains(&n.as_str()))
                .cloned(),
        );
        missing.extend(
            known
                .into_iter()
                .filter(|n| !readme.contains(&format!("`{n}`")))
                .map(str::to_owned),
        );
    }
    assert!(
        unread.is_empty(),
        "written in a spec, not in its model: {unread:?}"
    );
    assert!(missing.is_empty(), "not in README.md: {missing:?}");
}

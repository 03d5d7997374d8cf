//! Property tests over every operation of every spec: documents generated from each operation's
//! own JSON Schema (tests/properties/schema_gen.rs) are accepted, encoded on the wire as the spec
//! says and read back unchanged; one-keyword mutations of them are rejected, naming the field;
//! generated answers round-trip through the generated models. Nothing is sent: the clients point
//! at a loopback address that is never contacted (`RawClient::request` only builds).

#[path = "properties/mutate.rs"]
mod mutate;
#[path = "properties/schema_gen.rs"]
mod schema_gen;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;
use threatbind::raw::RawClient;
use threatbind::spec::{Api, Operation};

/// Few cases (every case covers every operation), little shrinking, nothing written to disk:
/// the whole file runs in seconds.
fn config() -> Config {
    Config {
        cases: 24,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Every operation of every spec compiled in.
fn operations() -> Vec<&'static Operation> {
    Api::ALL.iter().flat_map(|api| api.operations()).collect()
}

/// A raw client of `api` against a loopback address that nothing listens on and nothing calls.
fn raw_client(api: Api) -> RawClient {
    let base = "http://127.0.0.1:9";
    match api {
        #[cfg(feature = "log360-cloud")]
        Api::Log360Cloud => threatbind::log360_cloud::Log360Client::builder()
            .account_id("18XXXXX4")
            .auth(threatbind::log360_cloud::Log360Auth::access_token("t"))
            .base_url(format!("{base}/api/v2"))
            .build()
            .expect("Log360 client")
            .raw(),
        #[cfg(feature = "nameshield-cti")]
        Api::NameshieldCti => threatbind::nameshield_cti::NameshieldClient::builder()
            .token("6f1c3c1e-0000-4000-8000-000000000000")
            .base_url(base)
            .build()
            .expect("Nameshield client")
            .raw(),
        #[cfg(feature = "datadog-ioc")]
        Api::DatadogIoc => threatbind::datadog_ioc::DatadogClient::builder()
            .keys("a", "b")
            .base_url(base)
            .build()
            .expect("Datadog client")
            .raw(),
        // A spec without a hand-written module: the generic client, any credential (and no CA
        // file or server variable: the base URL is given).
        other => threatbind::generic::connect(
            other,
            |name| {
                let setting = ["_CA_FILE", "_URL"].iter().any(|s| name.ends_with(s));
                (!setting).then(|| "dummy".to_owned())
            },
            &threatbind::Settings::default(),
            &[],
            Some(base.to_owned()),
        )
        .expect("generic client"),
    }
}

fn clients() -> BTreeMap<Api, RawClient> {
    Api::ALL
        .iter()
        .map(|api| (*api, raw_client(*api)))
        .collect()
}

/// Runs a property and turns its failure into a panic with the reason and the smallest input.
fn check<S: Strategy>(
    name: &str,
    strategy: &S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let mut runner = TestRunner::new(config());
    match runner.run(strategy, test) {
        Ok(()) => {}
        Err(TestError::Fail(reason, _)) => panic!("{name}: {reason}"),
        Err(TestError::Abort(reason)) => panic!("{name}: aborted: {reason}"),
    }
}

fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

fn show(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Request documents of `op`, from its own request schema.
fn documents(op: &Operation) -> BoxedStrategy<Value> {
    schema_gen::value_of_document(op.request_schema())
}

/// Request documents of `op` that `validate_request` accepts (its `x-rules` hold too).
fn accepted_documents(op: &'static Operation, now: DateTime<Utc>) -> BoxedStrategy<Value> {
    documents(op)
        .prop_filter("x-rules reject every generated document", move |doc| {
            op.validate_request(doc, now).is_ok()
        })
        .boxed()
}

/// The type a schema gives a value (`any` when it gives none; `null` left out); its `$ref`s
/// point into `root`.
fn kind_of(root: &Value, schema: &Value) -> String {
    let schema = schema_gen::effective(root, schema);
    schema_gen::types_of(&schema)
        .into_iter()
        .find(|t| t != "null")
        .unwrap_or_else(|| "any".to_owned())
}

/// What a header can carry: visible ASCII, tab, and bytes above 0x7f (UTF-8).
fn header_carries(text: &str) -> bool {
    text.chars()
        .all(|c| c == '\t' || (c >= ' ' && c != '\u{7f}'))
}

/// A query, path or header value as text on the wire.
fn wire_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Text from the wire as the JSON value the spec's type makes of it (text that is not of the
/// type stays text).
fn as_typed(root: &Value, schema: &Value, text: String) -> Value {
    match kind_of(root, schema).as_str() {
        "integer" => text
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| text.parse::<u64>().map(Value::from))
            .unwrap_or(Value::String(text)),
        "number" => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::String(text), Value::Number),
        "boolean" if text == "true" => Value::Bool(true),
        "boolean" if text == "false" => Value::Bool(false),
        _ => Value::String(text),
    }
}

/// The document the send path's hook must read back from the request built for `document`, by
/// the spec's wire rules: parameters travel as text and come back as their declared type; a
/// query array repeats its parameter (a scalar parameter keeps the first); nulls and empty
/// arrays are not sent; path values exist only where the template has their placeholder; the
/// client fills in its own headers where the document has none; the body is JSON. Undeclared
/// parameters the URL or headers carry stay in, as text.
fn expected_on_the_wire(op: &Operation, raw: &RawClient, document: &Value) -> Value {
    let schema = op.request_schema();
    let any = json!({});
    let mut parts = Map::new();
    for part in ["header", "query", "path"] {
        let Some(Value::Object(values)) = document.get(part) else {
            continue;
        };
        let mut carried = Map::new();
        for (name, value) in values {
            let pointer = format!("/allOf/0/properties/{part}/properties/{name}");
            let parameter = schema.pointer(&pointer);
            if part == "path" && (parameter.is_none() || !op.path.contains(&format!("{{{name}}}")))
            {
                continue;
            }
            let parameter = parameter.unwrap_or(&any);
            let texts: Vec<String> = match value {
                Value::Null => continue,
                Value::Array(items) if part == "query" => items.iter().map(wire_text).collect(),
                other => vec![wire_text(other)],
            };
            let wire = if part == "query" && kind_of(&schema, parameter) == "array" {
                let items = schema_gen::effective(&schema, parameter)
                    .get("items")
                    .cloned()
                    .unwrap_or(json!({}));
                Value::Array(
                    texts
                        .into_iter()
                        .map(|t| as_typed(&schema, &items, t))
                        .collect(),
                )
            } else {
                match texts.into_iter().next() {
                    Some(first) => as_typed(&schema, parameter, first),
                    None => continue,
                }
            };
            if wire != json!([]) {
                carried.insert(name.clone(), wire);
            }
        }
        if !carried.is_empty() {
            parts.insert(part.to_owned(), Value::Object(carried));
        }
    }
    for (name, value) in raw.fixed_headers() {
        if op.declares_header(name) && document.pointer(&format!("/header/{name}")).is_none() {
            let headers = parts
                .entry("header")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(headers) = headers {
                headers.insert(name.to_owned(), json!(value));
            }
        }
    }
    if let Some(body) = document.get("body") {
        parts.insert("body".to_owned(), body.clone());
    }
    Value::Object(parts)
}

/// The built request's method and path are the operation's: the server's path, then the
/// template with each `{name}` holding the document's value.
fn check_method_and_path(
    op: &Operation,
    raw: &RawClient,
    request: &reqwest::Request,
    document: &Value,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(request.method().as_str(), op.method.as_str(), "{}", op.id);
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let segments: Vec<String> = request
        .url()
        .path_segments()
        .map(|s| s.map(decode).collect())
        .unwrap_or_default();
    let base = reqwest::Url::parse(raw.base_url()).expect("base URL");
    let prefix: Vec<String> = base
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).map(decode).collect())
        .unwrap_or_default();
    let template: Vec<&str> = op.path.trim_matches('/').split('/').collect();
    prop_assert_eq!(
        segments.len(),
        prefix.len() + template.len(),
        "{}: {} for {}",
        op.id,
        request.url(),
        op.path
    );
    prop_assert_eq!(&segments[..prefix.len()], &prefix[..], "{}", op.id);
    for (segment, expected) in segments[prefix.len()..].iter().zip(&template) {
        match expected.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            Some(name) => {
                let value = document
                    .pointer(&format!("/path/{name}"))
                    .ok_or_else(|| fail(format!("{}: no path value {name}", op.id)))?;
                prop_assert_eq!(segment, &wire_text(value), "{}: {{{}}}", op.id, name);
            }
            None => prop_assert_eq!(segment, expected, "{}: {}", op.id, request.url()),
        }
    }
    Ok(())
}

/// An accepted document is built into a request of the operation's method and path, and the
/// send path's hook reads that request back into the same document, which it accepts. False
/// when no request can carry the document (a header with a control character), which the
/// client then refuses to build.
fn check_encoding(
    op: &Operation,
    raw: &RawClient,
    document: &Value,
    now: DateTime<Utc>,
) -> Result<bool, TestCaseError> {
    let built = raw.request(op, document);
    let headers = document.get("header").and_then(Value::as_object);
    let carried = headers
        .into_iter()
        .flatten()
        .all(|(_, v)| header_carries(&wire_text(v)));
    if !carried {
        // A header value with a control character: no HTTP request can carry it, and the
        // client says so instead of sending something else.
        prop_assert!(
            built.is_err(),
            "{}: a header no request can carry was built: {}",
            op.id,
            show(document)
        );
        return Ok(false);
    }
    let request = built.map_err(|e| fail(format!("{}: {e}: {}", op.id, show(document))))?;
    check_method_and_path(op, raw, &request, document)?;
    let back = op.request_document(&request);
    let expected = expected_on_the_wire(op, raw, document);
    prop_assert_eq!(
        &back,
        &expected,
        "{}: read back from {} {}",
        op.id,
        request.method(),
        request.url()
    );
    if let Err(violations) = op.validate_request(&back, now) {
        return Err(fail(format!(
            "{}: the hook rejects what was accepted: {violations:?}",
            op.id
        )));
    }
    Ok(true)
}

/// Counts, per operation, how often a property exercised it.
#[derive(Default)]
struct Coverage(RefCell<BTreeMap<String, usize>>);

impl Coverage {
    fn hit(&self, op: &Operation) {
        *self
            .0
            .borrow_mut()
            .entry(format!("{}/{}", op.api, op.id))
            .or_default() += 1;
    }

    fn has(&self, op: &Operation) -> bool {
        self.0
            .borrow()
            .contains_key(&format!("{}/{}", op.api, op.id))
    }

    fn assert_every(&self, what: &str, ops: &[&Operation]) {
        let seen = self.0.borrow();
        let missing: Vec<String> = ops
            .iter()
            .map(|op| format!("{}/{}", op.api, op.id))
            .filter(|key| seen.get(key).copied().unwrap_or(0) == 0)
            .collect();
        assert!(missing.is_empty(), "{what}: never exercised: {missing:?}");
    }
}

#[test]
fn valid_requests_are_accepted_and_encoded_as_the_spec_says() {
    let now = Utc::now();
    let ops = operations();
    let clients = clients();
    // Per operation: any schema-valid document, and one the x-rules accept too.
    let strategy: Vec<_> = ops
        .iter()
        .map(|op| (documents(op), accepted_documents(op, now)))
        .collect();
    let (validated, encoded) = (Coverage::default(), Coverage::default());
    check("valid requests", &strategy, |cases| {
        for (op, (document, accepted)) in ops.iter().zip(cases) {
            // Schema-valid by construction: only an x-rule may reject it.
            if let Err(violations) = op.validate_request(&document, now) {
                let schema: Vec<_> = violations
                    .iter()
                    .filter(|v| !v.rule.starts_with("x-rules:"))
                    .collect();
                prop_assert!(
                    schema.is_empty(),
                    "{}: a schema-valid document is rejected for {schema:?}: {}",
                    op.id,
                    show(&document)
                );
                // And only by the operation's own rules.
                for v in &violations {
                    let id = v.rule.trim_start_matches("x-rules:");
                    prop_assert!(
                        op.rules.iter().any(|r| r.id == id),
                        "{}: {} is not one of its x-rules",
                        op.id,
                        v.rule
                    );
                }
            } else {
                check_encoding(op, &clients[&op.api], &document, now)?;
            }
            validated.hit(op);
            if check_encoding(op, &clients[&op.api], &accepted, now)? {
                encoded.hit(op);
            }
        }
        Ok(())
    });
    validated.assert_every("validated", &ops);
    encoded.assert_every("accepted and encoded", &ops);
}

#[test]
fn mutated_requests_are_rejected_before_sending() {
    let now = Utc::now();
    let ops = operations();
    let clients = clients();
    let strategy: Vec<_> = ops
        .iter()
        .map(|op| (accepted_documents(op, now), any::<Index>(), any::<Index>()))
        .collect();
    let (rejected, by_hook) = (Coverage::default(), Coverage::default());
    let kinds = RefCell::new(BTreeMap::<&'static str, usize>::new());
    check("mutated requests", &strategy, |cases| {
        for (op, (document, pick_keyword, pick_site)) in ops.iter().zip(cases) {
            let schema = op.request_schema();
            // A keyword first, then one of its sites: every kind of mistake gets its turn,
            // however many nodes the document has.
            let mut by_keyword: BTreeMap<&str, Vec<mutate::Mutation>> = BTreeMap::new();
            for site in mutate::mutations(&schema, &schema, &document) {
                by_keyword.entry(site.keyword).or_default().push(site);
            }
            let keywords: Vec<Vec<mutate::Mutation>> = by_keyword.into_values().collect();
            prop_assert!(!keywords.is_empty(), "{}: nothing to mutate", op.id);
            let sites: &Vec<mutate::Mutation> = pick_keyword.get(&keywords);
            let mutation = pick_site.get(sites);
            *kinds.borrow_mut().entry(mutation.keyword).or_default() += 1;
            let context = || {
                format!(
                    "{}: {} at {:?}: {}",
                    op.id,
                    mutation.what,
                    mutation.path,
                    show(&mutation.document)
                )
            };
            let Err(violations) = op.validate_request(&mutation.document, now) else {
                return Err(fail(format!("accepted: {}", context())));
            };
            prop_assert!(
                violations
                    .iter()
                    .any(|v| v.path == mutation.path && v.rule == mutation.keyword),
                "no {} violation at {:?}: {violations:?}; {}",
                mutation.keyword,
                mutation.path,
                context()
            );
            rejected.hit(op);
            // The send path checks the request as built: what the wire carries of the mutation
            // must be rejected there too.
            let raw = &clients[&op.api];
            let Ok(request) = raw.request(op, &mutation.document) else {
                continue;
            };
            let seen = op.request_document(&request);
            let wire = expected_on_the_wire(op, raw, &mutation.document);
            if op.validate_request(&wire, now).is_ok() {
                // The wire does not carry this mutation: the client fills in the header it
                // removed, or the parameter's type turns the wrong-typed text back into a value.
                continue;
            }
            prop_assert!(
                op.validate_request(&seen, now).is_err(),
                "the send path's hook accepts {} {} read as {} ({})",
                request.method(),
                request.url(),
                show(&seen),
                context()
            );
            by_hook.hit(op);
        }
        Ok(())
    });
    rejected.assert_every("mutated and rejected", &ops);
    // Every operation's mutations reached the send path's hook and were refused there (an
    // unknown query name included: it is read back from the URL and refused).
    by_hook.assert_every("mutated and rejected by the send path's hook", &ops);
    // The common mistakes all came up (pattern and format sites are rarer: not required).
    let kinds = kinds.into_inner();
    for keyword in [
        "required",
        "type",
        "enum",
        "maxLength",
        "minLength",
        "maximum",
        "minimum",
        "additionalProperties",
    ] {
        assert!(
            kinds.contains_key(keyword),
            "no {keyword} mutation was tried: {kinds:?}"
        );
    }
}

/// Whether the answer of `status` is a named schema (`$ref` to `#/components/schemas/`): the
/// answers that have a generated type, which `Api::roundtrip` must then check.
fn has_named_type(op: &Operation, status: u16) -> bool {
    let document = op.api.document();
    let responses = op.raw.get("responses");
    let response = [status.to_string(), format!("{}XX", status / 100)]
        .iter()
        .find_map(|k| responses.and_then(|r| r.get(k)))
        .map(|r| threatbind::spec::resolve(document, r));
    response
        .and_then(|r| r.pointer("/content/application~1json/schema/$ref"))
        .and_then(Value::as_str)
        .is_some_and(|r| r.starts_with("#/components/schemas/"))
}

/// The documented 2xx statuses of `op` that have a JSON answer.
fn success_statuses(op: &Operation) -> Vec<u16> {
    op.raw
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|r| r.keys())
        .filter(|k| k.starts_with('2'))
        .map(|k| k.parse().unwrap_or(200))
        .filter(|status| op.response_schema(*status).is_some())
        .collect()
}

#[test]
fn responses_round_trip_through_the_typed_models() {
    let ops = operations();
    let cases: Vec<(&'static Operation, u16)> = ops
        .iter()
        .flat_map(|op| success_statuses(op).into_iter().map(move |s| (*op, s)))
        .collect();
    let strategy: Vec<BoxedStrategy<Value>> = cases
        .iter()
        .map(|(op, status)| {
            schema_gen::value_of_document(op.response_schema(*status).expect("schema"))
        })
        .collect();
    let (exercised, typed) = (Coverage::default(), Coverage::default());
    let untyped = Coverage::default();
    check("responses", &strategy, |answers| {
        for ((op, status), answer) in cases.iter().zip(answers) {
            let context = || format!("{} {status}: {}", op.id, show(&answer));
            if let Err(violations) = op.validate_response(*status, &answer) {
                return Err(fail(format!(
                    "generated answer not valid: {violations:?}: {}",
                    context()
                )));
            }
            exercised.hit(op);
            let body = serde_json::to_vec(&answer).expect("JSON");
            let again = match op.api.roundtrip(&op.id, &body) {
                None => {
                    // No generated type to check: only for an answer without a named schema.
                    prop_assert!(
                        !has_named_type(op, *status),
                        "{} {status}: a named answer type has no round-trip check",
                        op.id
                    );
                    untyped.hit(op);
                    continue;
                }
                Some(Err(e)) => {
                    return Err(fail(format!("does not round-trip: {e}: {}", context())))
                }
                Some(Ok(again)) => again,
            };
            if let Err(violations) = op.validate_response(*status, &again) {
                return Err(fail(format!(
                    "re-encoded answer {} not valid: {violations:?}: {}",
                    show(&again),
                    context()
                )));
            }
            // Encoding the typed value is a fixed point: a second trip changes nothing.
            let body = serde_json::to_vec(&again).expect("JSON");
            match op.api.roundtrip(&op.id, &body) {
                Some(Ok(third)) => prop_assert_eq!(&third, &again, "{}", context()),
                other => return Err(fail(format!("second trip: {other:?}: {}", context()))),
            }
            typed.hit(op);
        }
        Ok(())
    });
    exercised.assert_every("answers generated and validated", &ops);
    // Every operation whose answers have a generated type went through it.
    let missed: Vec<&str> = cases
        .iter()
        .filter(|(op, status)| has_named_type(op, *status) && !typed.has(op))
        .map(|(op, _)| op.id.as_str())
        .collect();
    assert!(missed.is_empty(), "never round-tripped: {missed:?}");
}

/// The generator itself on keywords the specs do not all use: each generated value keeps them.
#[test]
fn the_generator_keeps_the_keywords_of_a_schema() {
    let schema = json!({
        "$defs": {"node": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string", "pattern": "^\\d{3}-[a-z]+$"},
            "next": {"$ref": "#/$defs/node"}}}},
        "type": "object",
        "additionalProperties": false,
        "required": ["c", "n", "s", "u", "d", "choice", "list", "node"],
        "properties": {
            "c": {"const": "fixed"},
            "n": {"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 9, "multipleOf": 2},
            "f": {"type": ["number", "null"], "minimum": -1.5, "maximum": 1.5},
            "s": {"type": "string", "minLength": 45, "maxLength": 50},
            "u": {"type": "string", "format": "uuid"},
            "d": {"type": "string", "format": "date"},
            "t": {"type": "string", "format": "date-time", "maxLength": 20},
            "choice": {"oneOf": [{"type": "boolean"}, {"type": "string", "enum": ["a", "b"]}]},
            "list": {"type": "array", "minItems": 1, "maxItems": 2, "uniqueItems": true,
                     "items": {"allOf": [{"type": "integer", "minimum": 0}, {"maximum": 3}]}},
            "node": {"$ref": "#/$defs/node"}
        }
    });
    let strategy = schema_gen::value_of_document(schema);
    let nodes = RefCell::new(0usize);
    check("generator", &strategy, |v| {
        prop_assert_eq!(&v["c"], &json!("fixed"));
        prop_assert!(v["n"] == json!(6) || v["n"] == json!(8), "{}", v["n"]);
        if let Some(f) = v.get("f").filter(|f| !f.is_null()) {
            let f = f.as_f64().expect("number");
            prop_assert!((-1.5..=1.5).contains(&f), "{f}");
        }
        let s = v["s"].as_str().expect("string").chars().count();
        prop_assert!((45..=50).contains(&s), "{s}");
        let u = v["u"].as_str().expect("uuid");
        prop_assert!(uuid::Uuid::parse_str(u).is_ok(), "{u}");
        let d = v["d"].as_str().expect("date");
        prop_assert!(
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok(),
            "{d}"
        );
        if let Some(t) = v.get("t") {
            let t = t.as_str().expect("date-time");
            prop_assert!(t.len() == 20 && t.ends_with('Z'), "{t}");
            let parsed = DateTime::parse_from_rfc3339(t).map_err(|e| fail(e.to_string()))?;
            prop_assert!(
                (1970..2100).contains(&chrono::Datelike::year(&parsed)),
                "{t}"
            );
        }
        prop_assert!(
            v["choice"].is_boolean() || v["choice"] == json!("a") || v["choice"] == json!("b"),
            "{}",
            v["choice"]
        );
        let list = v["list"].as_array().expect("array");
        prop_assert!((1..=2).contains(&list.len()));
        prop_assert!(list.len() < 2 || list[0] != list[1]);
        for item in list {
            prop_assert!((0..=3).contains(&item.as_i64().expect("integer")));
        }
        let mut node = &v["node"];
        let mut depth = 0;
        while node.is_object() {
            let name = node["name"].as_str().expect("name");
            let (digits, letters) = name.split_once('-').expect("dash");
            prop_assert!(digits.len() == 3 && digits.chars().all(|c| c.is_ascii_digit()));
            prop_assert!(!letters.is_empty() && letters.chars().all(|c| c.is_ascii_lowercase()));
            node = node.get("next").unwrap_or(&Value::Null);
            depth += 1;
            prop_assert!(depth < 30, "the recursion is not bounded");
        }
        *nodes.borrow_mut() += depth;
        let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
        let declared = ["c", "n", "f", "s", "u", "d", "t", "choice", "list", "node"];
        prop_assert!(
            keys.iter().all(|k| declared.contains(&k.as_str())),
            "{keys:?}"
        );
        Ok(())
    });
    assert!(nodes.into_inner() > 0, "no node was generated");
}

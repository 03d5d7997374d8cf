//! A proptest `Strategy` of JSON values valid against a JSON Schema (2020-12, as the library
//! converts the specs' OpenAPI 3.0 schemas): driven by the schema alone, no per-operation code.
//!
//! Supported: `type` (a name or a list, `null` included), `properties` / `required` /
//! `additionalProperties` (only declared properties are generated, optional ones sometimes left
//! out; a pure map gets a few entries of its value schema), `items` / `minItems` / `maxItems` /
//! `uniqueItems`, `enum`, `const`, `default`, `minimum` / `maximum` / `exclusiveMinimum` /
//! `exclusiveMaximum` / `multipleOf`, `minLength` / `maxLength` (in chars), `pattern`, `format`
//! (`date-time`, `date`, `uuid`, `uri`, `email`, `ipv4`, `ipv6`, `hostname`), the project's
//! `x-datetime-format` (a real instant in that chrono format), `oneOf` / `anyOf` (one branch),
//! `allOf` (merged), and `$ref` to anywhere in the root (nesting is bounded, so recursive schemas
//! end).

use proptest::prelude::*;
use proptest::strategy::Union;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Below this nesting, optional properties, array items and map entries stop being generated.
const SOFT_DEPTH: usize = 6;
/// Below this nesting the generator gives up (a cycle of required properties: no finite value).
const HARD_DEPTH: usize = 24;
/// Longest generated string, unless `minLength` needs more.
const MAX_STRING: usize = 40;
/// Most items generated in an array above its `minItems`.
const EXTRA_ITEMS: usize = 3;
/// Unbounded integers and numbers stay within this distance of zero (or of their one bound).
const SPAN: i64 = 1_000_000;
/// Instants are drawn between 1970-01-01 and 2100-01-01 (exclusive), in seconds.
const LAST_SECOND: i64 = 4_102_444_800;

/// Values of `schema`, whose `$ref`s point into `root` (`#/components/schemas/X`).
fn value_of(root: &Arc<Value>, schema: &Value) -> BoxedStrategy<Value> {
    generate(root, schema, 0)
}

/// Values valid against a self-contained schema document (its own root).
pub fn value_of_document(document: Value) -> BoxedStrategy<Value> {
    let root = Arc::new(document);
    let schema = (*root).clone();
    value_of(&root, &schema)
}

/// The schema with its `$ref` chain followed and its `allOf` parts merged in: one object whose
/// keywords all apply at once. A boolean schema gives `{}` (true) or `{"not": {}}` (false).
pub fn effective(root: &Value, schema: &Value) -> Map<String, Value> {
    effective_at(root, schema, 0)
}

fn effective_at(root: &Value, schema: &Value, depth: usize) -> Map<String, Value> {
    let mut map = match schema {
        Value::Object(map) => map.clone(),
        Value::Bool(false) => return json!({"not": {}}).as_object().cloned().unwrap_or_default(),
        _ => return Map::new(),
    };
    if depth > HARD_DEPTH {
        return map;
    }
    if let Some(Value::String(reference)) = map.remove("$ref") {
        let target = reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .cloned()
            .unwrap_or_else(|| panic!("unresolved $ref {reference}"));
        let target = effective_at(root, &target, depth + 1);
        // Keywords beside a $ref apply too (2020-12): both sets hold.
        map = merge(target, map);
    }
    if let Some(Value::Array(parts)) = map.remove("allOf") {
        for part in parts {
            map = merge(map, effective_at(root, &part, depth + 1));
        }
    }
    map
}

/// Two schemas that must both hold, as one (conflicting property schemas become an `allOf`;
/// bounds take the tighter value; other keywords keep the first one's).
fn merge(mut into: Map<String, Value>, other: Map<String, Value>) -> Map<String, Value> {
    for (key, value) in other {
        let Some(existing) = into.get_mut(&key) else {
            into.insert(key, value);
            continue;
        };
        match key.as_str() {
            "properties" => {
                if let (Value::Object(mine), Value::Object(theirs)) = (existing, value) {
                    for (name, s) in theirs {
                        match mine.get_mut(&name) {
                            Some(m) => *m = json!({"allOf": [m.clone(), s]}),
                            None => {
                                mine.insert(name, s);
                            }
                        }
                    }
                }
            }
            "required" => {
                if let (Value::Array(mine), Value::Array(theirs)) = (existing, value) {
                    for name in theirs {
                        if !mine.contains(&name) {
                            mine.push(name);
                        }
                    }
                }
            }
            "minimum" | "exclusiveMinimum" | "minLength" | "minItems"
                if value.as_f64() > existing.as_f64() =>
            {
                *existing = value;
            }
            "maximum" | "exclusiveMaximum" | "maxLength" | "maxItems"
                if value.as_f64() < existing.as_f64() =>
            {
                *existing = value;
            }
            "type" => {
                // Both type sets hold: keep the types they share.
                let names = |v: &Value| -> Vec<Value> {
                    match v {
                        Value::Array(list) => list.clone(),
                        other => vec![other.clone()],
                    }
                };
                let theirs = names(&value);
                let shared: Vec<Value> = names(existing)
                    .into_iter()
                    .filter(|t| {
                        theirs.contains(t) || (t == "integer" && theirs.contains(&json!("number")))
                    })
                    .collect();
                *existing = Value::Array(shared);
            }
            _ => {}
        }
    }
    into
}

/// The JSON types a schema allows (`type`, or what its keywords imply; empty: any).
pub fn types_of(schema: &Map<String, Value>) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => {
            let has = |keys: &[&str]| keys.iter().any(|k| schema.contains_key(*k));
            if has(&["properties", "required", "additionalProperties"]) {
                vec!["object".into()]
            } else if has(&["items", "minItems", "maxItems"]) {
                vec!["array".into()]
            } else if has(&["minLength", "maxLength", "pattern", "format"]) {
                vec!["string".into()]
            } else if has(&["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]) {
                vec!["number".into()]
            } else {
                Vec::new()
            }
        }
    }
}

fn generate(root: &Arc<Value>, schema: &Value, depth: usize) -> BoxedStrategy<Value> {
    let schema = effective(root, schema);
    if depth > HARD_DEPTH {
        return Just(Value::Null).boxed();
    }
    if let Some(value) = schema.get("const") {
        return Just(value.clone()).boxed();
    }
    if let Some(Value::Array(values)) = schema.get("enum") {
        if !values.is_empty() {
            return proptest::sample::select(values.clone()).boxed();
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(branches)) = schema.get(key) {
            let mut base = schema.clone();
            base.remove(key);
            let options: Vec<BoxedStrategy<Value>> = branches
                .iter()
                .map(|branch| {
                    let merged = merge(base.clone(), effective(root, branch));
                    generate(root, &Value::Object(merged), depth)
                })
                .collect();
            if !options.is_empty() {
                return Union::new(options).boxed();
            }
        }
    }
    let types = types_of(&schema);
    let mut options: Vec<(u32, BoxedStrategy<Value>)> = Vec::new();
    if types.is_empty() {
        options.push((1, any_value()));
    }
    for t in &types {
        let strategy = match t.as_str() {
            "null" => {
                // Null is one value: draw it less often than the others.
                options.push((1, Just(Value::Null).boxed()));
                continue;
            }
            "boolean" => any::<bool>().prop_map(Value::from).boxed(),
            "integer" => integer(&schema),
            "number" => number(&schema),
            "string" => string(&schema),
            "array" => array(root, &schema, depth),
            "object" => object(root, &schema, depth),
            other => panic!("unknown JSON Schema type {other:?}"),
        };
        options.push((4, strategy));
    }
    if let Some(default) = schema.get("default") {
        options.push((1, Just(default.clone()).boxed()));
    }
    Union::new_weighted(options).boxed()
}

/// Any small JSON value (a schema without constraints).
fn any_value() -> BoxedStrategy<Value> {
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-SPAN..SPAN).prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        text(0, 12),
    ];
    prop_oneof![
        4 => scalar.clone(),
        1 => proptest::collection::vec(scalar.clone(), 0..3).prop_map(Value::Array),
        1 => proptest::collection::btree_map("[a-z][a-z0-9_]{0,6}", scalar, 0..3)
            .prop_map(|m| Value::Object(m.into_iter().collect())),
    ]
    .boxed()
}

fn number_at(schema: &Map<String, Value>, key: &str) -> Option<f64> {
    schema.get(key).and_then(Value::as_f64)
}

fn integer(schema: &Map<String, Value>) -> BoxedStrategy<Value> {
    let clamp = |x: f64| x.clamp(i64::MIN as f64, i64::MAX as f64);
    let mut low = number_at(schema, "minimum").map(|m| clamp(m.ceil()) as i64);
    if let Some(m) = number_at(schema, "exclusiveMinimum") {
        let bound = clamp(m.floor()) as i64 + 1;
        low = Some(low.map_or(bound, |l| l.max(bound)));
    }
    let mut high = number_at(schema, "maximum").map(|m| clamp(m.floor()) as i64);
    if let Some(m) = number_at(schema, "exclusiveMaximum") {
        let bound = clamp(m.ceil()) as i64 - 1;
        high = Some(high.map_or(bound, |h| h.min(bound)));
    }
    // An unbounded integer also takes the extremes of its format (int32, else int64).
    let (full_low, full_high) = match schema.get("format").and_then(Value::as_str) {
        Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    };
    let unbounded = low.is_none() && high.is_none();
    let (low, high) = match (low, high) {
        (Some(l), Some(h)) => (l, h),
        (Some(l), None) => (l, l.saturating_add(SPAN)),
        (None, Some(h)) => (h.saturating_sub(SPAN), h),
        (None, None) => (-SPAN, SPAN),
    };
    assert!(low <= high, "integer schema with no value: {schema:?}");
    let values = if unbounded {
        prop_oneof![
            8 => values_between(low, high),
            1 => values_between(full_low, full_high),
        ]
        .boxed()
    } else {
        values_between(low, high)
    };
    let step = number_at(schema, "multipleOf").filter(|m| *m >= 1.0 && m.fract() == 0.0);
    match step {
        Some(step) => {
            let step = step as i64;
            let first = low.div_euclid(step) + i64::from(low.rem_euclid(step) != 0);
            let last = high.div_euclid(step);
            assert!(first <= last, "no multiple of {step} in [{low}, {high}]");
            (first..=last)
                .prop_map(move |k| Value::from(k * step))
                .boxed()
        }
        None => values.prop_map(Value::from).boxed(),
    }
}

/// Integers in `[low, high]`, the bounds themselves often: they are where off-by-one mistakes
/// live.
fn values_between(low: i64, high: i64) -> BoxedStrategy<i64> {
    prop_oneof![
        1 => Just(low),
        1 => Just(high),
        6 => low..=high,
    ]
    .boxed()
}

fn number(schema: &Map<String, Value>) -> BoxedStrategy<Value> {
    let exclusive_low = number_at(schema, "exclusiveMinimum");
    let exclusive_high = number_at(schema, "exclusiveMaximum");
    let inclusive_low = number_at(schema, "minimum");
    let inclusive_high = number_at(schema, "maximum");
    let span = SPAN as f64;
    let (low, high) = match (
        inclusive_low.or(exclusive_low),
        inclusive_high.or(exclusive_high),
    ) {
        (Some(l), Some(h)) => (l, h),
        (Some(l), None) => (l, l + span),
        (None, Some(h)) => (h - span, h),
        (None, None) => (-span, span),
    };
    let inside = move |x: &f64| {
        exclusive_low.is_none_or(|b| *x > b)
            && exclusive_high.is_none_or(|b| *x < b)
            && inclusive_low.is_none_or(|b| *x >= b)
            && inclusive_high.is_none_or(|b| *x <= b)
    };
    let fractional = prop_oneof![
        1 => Just(low),
        1 => Just(high),
        6 => low..=high,
    ]
    .prop_filter("outside the number's bounds", inside)
    .prop_map(Value::from);
    // A number the vendor writes without a fraction (`"risk_score": 100`) is a JSON integer.
    let (first, last) = (low.ceil(), high.floor());
    if first > last || first.abs() > 1.0e15 || last.abs() > 1.0e15 {
        return fractional.boxed();
    }
    let whole = (first as i64..=last as i64)
        .prop_filter("outside the number's bounds", move |n| inside(&(*n as f64)))
        .prop_map(Value::from);
    prop_oneof![3 => fractional, 1 => whole].boxed()
}

/// Characters for free text: mostly plain, with what encoders get wrong (reserved URL
/// characters, quotes, backslashes, non-ASCII, astral).
fn text_char() -> BoxedStrategy<char> {
    prop_oneof![
        8 => proptest::char::range('a', 'z'),
        2 => proptest::char::range('A', 'Z'),
        2 => proptest::char::range('0', '9'),
        3 => proptest::sample::select(vec![
            ' ', '-', '_', '.', '/', ':', '%', '+', '&', '=', '?', '#', '"', '\\', '\'', '~',
            '@', ',', ';', '[', ']', '{', '}', '<', '>', '|', '!', '$', '*', '(', ')',
        ]),
        1 => proptest::sample::select(vec!['é', 'ß', 'Ж', '中', '日', '\u{a0}', '\u{2028}', '😀']),
    ]
    .boxed()
}

/// Free text of `min..=max` chars; one string in eight may hold control characters too.
fn text(min: usize, max: usize) -> BoxedStrategy<Value> {
    let control = proptest::sample::select(vec!['\t', '\n', '\r', '\u{0}', '\u{1f}', '\u{7f}']);
    let rough = prop_oneof![6 => text_char(), 1 => control];
    prop_oneof![
        7 => proptest::collection::vec(text_char(), min..=max),
        1 => proptest::collection::vec(rough, min..=max),
    ]
    .prop_map(|chars| Value::String(chars.into_iter().collect()))
    .boxed()
}

/// A regex pattern as proptest's generator wants it: no anchors, and the ASCII meaning of the
/// ECMA-262 shorthand classes (regex-syntax would read `\d` as any Unicode digit).
fn generator_pattern(pattern: &str) -> String {
    let body = pattern.strip_prefix('^').unwrap_or(pattern);
    let body = match body.strip_suffix('$') {
        Some(rest) if !rest.ends_with('\\') || rest.ends_with("\\\\") => rest,
        _ => body,
    };
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('w') => out.push_str("[A-Za-z0-9_]"),
            Some('W') => out.push_str("[^A-Za-z0-9_]"),
            Some('s') => out.push_str("[ \\t\\n\\r\\x0B\\x0C]"),
            Some('S') => out.push_str("[^ \\t\\n\\r\\x0B\\x0C]"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn instant() -> impl Strategy<Value = chrono::DateTime<chrono::Utc>> {
    (0..LAST_SECOND).prop_map(|s| {
        chrono::DateTime::from_timestamp(s, 0).unwrap_or_else(|| panic!("{s} is not an instant"))
    })
}

fn string(schema: &Map<String, Value>) -> BoxedStrategy<Value> {
    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = schema
        .get("maxLength")
        .and_then(Value::as_u64)
        .map_or(usize::MAX, |m| m as usize);
    assert!(min <= max, "string schema with no value: {schema:?}");
    let base: BoxedStrategy<String> =
        if let Some(format) = schema.get("x-datetime-format").and_then(Value::as_str) {
            let format = format.to_owned();
            instant()
                .prop_map(move |t| t.format(&format).to_string())
                .boxed()
        } else if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            proptest::string::string_regex(&generator_pattern(pattern))
                .unwrap_or_else(|e| panic!("pattern {pattern:?}: {e}"))
                .boxed()
        } else {
            match schema.get("format").and_then(Value::as_str) {
                Some("date-time") => instant()
                    .prop_map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .boxed(),
                Some("date") => instant()
                    .prop_map(|t| t.format("%Y-%m-%d").to_string())
                    .boxed(),
                Some("uuid") => any::<[u8; 16]>()
                    .prop_map(|b| uuid::Uuid::from_bytes(b).hyphenated().to_string())
                    .boxed(),
                Some("uri" | "url") => {
                    "(https?)://[a-z][a-z0-9]{0,8}\\.(com|net|example)(/[a-z0-9._~-]{0,8}){0,3}"
                        .prop_map(|s| s.to_owned())
                        .boxed()
                }
                Some("email") => "[a-z][a-z0-9.]{0,8}[a-z0-9]@[a-z][a-z0-9]{0,8}\\.(com|org)"
                    .prop_map(|s| s.to_owned())
                    .boxed(),
                Some("hostname") => "[a-z][a-z0-9]{0,8}(\\.[a-z][a-z0-9]{0,8}){0,2}"
                    .prop_map(|s| s.to_owned())
                    .boxed(),
                Some("ipv4") => any::<[u8; 4]>()
                    .prop_map(|b| std::net::Ipv4Addr::from(b).to_string())
                    .boxed(),
                Some("ipv6") => any::<[u16; 8]>()
                    .prop_map(|b| std::net::Ipv6Addr::from(b).to_string())
                    .boxed(),
                // Formats JSON Schema does not check (OpenAPI's int64, byte, password...): free text.
                _ => {
                    let high = max.min(min.max(MAX_STRING));
                    return prop_oneof![
                        1 => text(min, min),
                        1 => text(high, high),
                        6 => text(min, high),
                    ]
                    .boxed();
                }
            }
        };
    base.prop_filter("outside the string's length bounds", move |s| {
        let n = s.chars().count();
        n >= min && n <= max
    })
    .prop_map(Value::String)
    .boxed()
}

fn array(root: &Arc<Value>, schema: &Map<String, Value>, depth: usize) -> BoxedStrategy<Value> {
    let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = schema
        .get("maxItems")
        .and_then(Value::as_u64)
        .map_or(usize::MAX, |m| m as usize);
    assert!(min <= max, "array schema with no value: {schema:?}");
    let high = if depth >= SOFT_DEPTH {
        min
    } else {
        max.min(min + EXTRA_ITEMS)
    };
    let items = schema.get("items").cloned().unwrap_or(json!({}));
    let unique = schema.get("uniqueItems").and_then(Value::as_bool) == Some(true);
    proptest::collection::vec(generate(root, &items, depth + 1), min..=high)
        .prop_filter("repeated items in a uniqueItems array", move |list| {
            !unique || list.iter().enumerate().all(|(i, v)| !list[..i].contains(v))
        })
        .prop_map(Value::Array)
        .boxed()
}

fn object(root: &Arc<Value>, schema: &Map<String, Value>, depth: usize) -> BoxedStrategy<Value> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let empty = Map::new();
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut names = Vec::new();
    let mut fields: Vec<BoxedStrategy<Option<Value>>> = Vec::new();
    for (name, property) in properties {
        let value = generate(root, property, depth + 1);
        let field = if required.contains(&name.as_str()) {
            value.prop_map(Some).boxed()
        } else if depth >= SOFT_DEPTH {
            Just(None).boxed()
        } else {
            proptest::option::weighted(0.6, value).boxed()
        };
        names.push(name.clone());
        fields.push(field);
    }
    for name in &required {
        assert!(
            properties.contains_key(*name),
            "required {name:?} is not among the declared properties: {schema:?}"
        );
    }
    // Where the schema gives the undeclared properties a schema of their own (a map, or the
    // fields an answer may add), a few of them; none where it forbids them or says nothing.
    let declared: Vec<String> = properties.keys().cloned().collect();
    let entries = match schema.get("additionalProperties") {
        Some(extra @ Value::Object(_)) if depth < SOFT_DEPTH => {
            let most = if properties.is_empty() { 2 } else { 1 };
            proptest::collection::btree_map(
                "[a-z][a-z0-9_.]{0,7}",
                generate(root, extra, depth + 1),
                0..=most,
            )
            .prop_map(move |mut m| {
                m.retain(|k, _| !declared.contains(k));
                m
            })
            .boxed()
        }
        _ => Just(Default::default()).boxed(),
    };
    (fields, entries)
        .prop_map(move |(values, entries)| {
            let mut map: Map<String, Value> = entries.into_iter().collect();
            for (name, value) in names.iter().zip(values) {
                if let Some(value) = value {
                    map.insert(name.clone(), value);
                }
            }
            Value::Object(map)
        })
        .boxed()
}

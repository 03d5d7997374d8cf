//! Reading a spec for the diff: YAML or JSON text to a JSON value, checked to be OpenAPI 3.0.

use serde_json::{Map, Number, Value};
use serde_yaml_ng::Value as Yaml;

/// Parses `text` (YAML or JSON) and checks that it is an OpenAPI 3.0 document: an object with
/// `openapi: 3.0.x` and a `paths` object. Errors name `file`.
///
/// YAML mapping keys that are not strings (an unquoted `200:` status) are read as their text.
///
/// ```
/// use threatbind_spec_tools::diff::load;
/// let spec = load("a.yaml", "openapi: 3.0.3\npaths:\n  /a:\n    get:\n      responses:\n        200: {description: ok}\n").unwrap();
/// assert!(spec.pointer("/paths/~1a/get/responses/200").is_some());
/// let err = load("b.json", r#"{"openapi": "3.1.0", "paths": {}}"#).unwrap_err();
/// assert!(err.starts_with("b.json: "), "{err}");
/// assert!(load("c.yaml", "just: text").unwrap_err().contains("c.yaml"));
/// ```
pub fn load(file: &str, text: &str) -> Result<Value, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value = parse(text).map_err(|e| format!("{file}: {e}"))?;
    check(&value).map_err(|e| format!("{file}: not an OpenAPI 3.0 spec: {e}"))?;
    Ok(value)
}

fn parse(text: &str) -> Result<Value, String> {
    if text.trim_start().starts_with('{') {
        if let Ok(value) = serde_json::from_str::<Value>(text) {
            return Ok(value);
        }
    }
    let yaml: Yaml =
        serde_yaml_ng::from_str(text).map_err(|e| format!("not valid YAML or JSON: {e}"))?;
    Ok(to_json(yaml))
}

/// YAML to JSON: keys become their text, numbers JSON numbers (non-finite ones `null`), tags
/// are dropped.
fn to_json(yaml: Yaml) -> Value {
    match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Yaml::Mapping(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                out.insert(key_text(key), to_json(value));
            }
            Value::Object(out)
        }
        Yaml::Tagged(tagged) => to_json(tagged.value),
    }
}

fn key_text(key: Yaml) -> String {
    match to_json(key) {
        Value::String(s) => s,
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn check(value: &Value) -> Result<(), String> {
    let root = value
        .as_object()
        .ok_or("the document is not a mapping (object)")?;
    let version = match root.get("openapi") {
        None => return Err("no `openapi` field".into()),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let is_3_0 = version.strip_prefix("3.0").is_some_and(|rest| {
        rest.is_empty()
            || rest
                .strip_prefix('.')
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    });
    if !is_3_0 {
        return Err(format!("`openapi` is {version:?}, not 3.0.x"));
    }
    match root.get("paths") {
        Some(Value::Object(_)) => Ok(()),
        Some(_) => Err("`paths` is not a mapping (object)".into()),
        None => Err("no `paths` field".into()),
    }
}

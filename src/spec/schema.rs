//! OpenAPI 3.0 schemas turned into JSON Schema (2020-12) documents a validator can compile.

use serde_json::{json, Map, Value};

/// Follows a local `$ref` (`#/components/...`) to its target; other values are returned as is.
pub(crate) fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    let mut current = value;
    for _ in 0..16 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(r) => match r.strip_prefix('#').and_then(|p| document.pointer(p)) {
                Some(target) => current = target,
                None => return current,
            },
            None => return current,
        }
    }
    current
}

/// OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a `null` type (and enum member).
pub(crate) fn convert(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out: Map<String, Value> =
                map.iter().map(|(k, v)| (k.clone(), convert(v))).collect();
            if map.get("nullable").and_then(Value::as_bool) == Some(true) {
                if let Some(Value::String(t)) = out.get("type").cloned() {
                    out.insert("type".into(), json!([t, "null"]));
                }
                if let Some(Value::Array(values)) = out.get_mut("enum") {
                    values.push(Value::Null);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(convert).collect()),
        other => other.clone(),
    }
}

/// A compilable document: `schema` plus the spec's converted components, so that
/// `#/components/schemas/X` references resolve.
pub(crate) fn standalone(document: &Value, schema: Value) -> Value {
    let components = document.get("components").map(convert);
    with_components(components.as_ref(), &schema)
}

/// [`standalone`] with the components already converted (a caller compiling many schemas of
/// one spec converts them once).
pub(crate) fn with_components(components: Option<&Value>, schema: &Value) -> Value {
    let mut root = Map::new();
    root.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    if let Some(components) = components {
        root.insert("components".into(), components.clone());
    }
    root.insert("allOf".into(), json!([convert(schema)]));
    Value::Object(root)
}

/// The operation's parameters, with `$ref`s followed.
pub(crate) fn parameters<'a>(document: &'a Value, operation: &'a Value) -> Vec<&'a Value> {
    operation
        .get("parameters")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(|p| resolve(document, p)).collect())
        .unwrap_or_default()
}

/// The schema of the request body (`application/json`), if any, and whether it is required.
pub(crate) fn request_body<'a>(
    document: &'a Value,
    operation: &'a Value,
) -> Option<(&'a Value, bool)> {
    let body = resolve(document, operation.get("requestBody")?);
    let schema = body.pointer("/content/application~1json/schema")?;
    Some((
        schema,
        body.get("required").and_then(Value::as_bool) == Some(true),
    ))
}

/// The JSON Schema of a request document `{"header":..,"query":..,"path":..,"body":..}`.
pub(crate) fn request_schema(document: &Value, operation: &Value) -> Value {
    let mut parts: Map<String, Value> = Map::new();
    let mut required_parts = Vec::new();
    for location in ["header", "query", "path"] {
        let mut props = Map::new();
        let mut required = Vec::new();
        for p in parameters(document, operation) {
            if p.get("in").and_then(Value::as_str) != Some(location) {
                continue;
            }
            let Some(name) = p.get("name").and_then(Value::as_str) else {
                continue;
            };
            props.insert(name.into(), p.get("schema").cloned().unwrap_or(json!({})));
            if p.get("required").and_then(Value::as_bool) == Some(true) {
                required.push(json!(name));
            }
        }
        if props.is_empty() {
            continue;
        }
        if !required.is_empty() {
            required_parts.push(json!(location));
        }
        // Unknown headers are normal on the wire; unknown query or path names are mistakes.
        let additional = location == "header";
        parts.insert(
            location.into(),
            json!({"type": "object", "properties": props, "required": required,
                   "additionalProperties": additional}),
        );
    }
    if let Some((schema, required)) = request_body(document, operation) {
        parts.insert("body".into(), schema.clone());
        if required {
            required_parts.push(json!("body"));
        }
    }
    json!({"type": "object", "properties": parts, "required": required_parts,
           "additionalProperties": false})
}

/// The schema of the value at a request-document path (`query.limit`, `body.filter.section`)
/// of `operation` (as JSON) in `document`, its `$ref` followed.
///
/// ```
/// use threatbind::spec::{schema_at, Api};
/// let op = Api::Log360Cloud.operation("searchThreatAnalytics").unwrap();
/// let limit = schema_at(Api::Log360Cloud.document(), &op.raw, "body.indicator").unwrap();
/// assert_eq!(limit["type"], "string");
/// ```
pub fn schema_at(document: &Value, operation: &Value, path: &str) -> Option<Value> {
    let mut segments = path.split('.');
    let location = segments.next()?;
    let mut current: Value = if location == "body" {
        request_body(document, operation)?.0.clone()
    } else {
        let name = segments.next()?;
        parameters(document, operation)
            .into_iter()
            .find(|p| {
                p.get("in").and_then(Value::as_str) == Some(location)
                    && p.get("name").and_then(Value::as_str) == Some(name)
            })?
            .get("schema")?
            .clone()
    };
    for segment in segments {
        current = resolve(document, &current)
            .get("properties")?
            .get(segment)?
            .clone();
    }
    Some(resolve(document, &current).clone())
}

/// `pointer` + `/` + `key`, with `~` and `/` escaped as a JSON pointer wants (the model's,
/// which names the places of the specs' extensions the same way).
///
/// ```
/// assert_eq!(threatbind::spec::pointer_child("/paths", "/things/{id}"), "/paths/~1things~1{id}");
/// ```
pub use threatbind_model::pointer_child;

/// Which of `keys` (an operation's response keys) documents `status`: the exact code, then
/// its class (`2XX`), then `default` (the choice the validator makes).
///
/// ```
/// use threatbind::spec::response_key;
/// assert_eq!(response_key(["default", "4XX", "404"], 429), Some("4XX"));
/// assert_eq!(response_key(["200"], 201), None);
/// ```
pub fn response_key<'a, I>(keys: I, status: u16) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
    I::IntoIter: Clone,
{
    let keys = keys.into_iter();
    let class = [b'0' + (status / 100 % 10) as u8, b'X', b'X'];
    let exact = |k: &&str| k.parse::<u16>() == Ok(status);
    keys.clone()
        .find(exact)
        .or_else(|| keys.clone().find(|k| k.as_bytes() == class))
        .or_else(|| keys.clone().find(|k| *k == "default"))
}

#[cfg(test)]
mod tests {
    use super::{pointer_child as child, response_key};

    #[test]
    fn a_status_finds_its_code_then_its_class_then_default() {
        let keys = ["default", "4XX", "404", "200"];
        assert_eq!(response_key(keys, 404), Some("404"));
        assert_eq!(response_key(keys, 429), Some("4XX"));
        assert_eq!(response_key(keys, 500), Some("default"));
        assert_eq!(response_key(["200"], 201), None);
    }

    #[test]
    fn pointer_keys_are_escaped() {
        assert_eq!(child("/a", "b/c~d"), "/a/b~1c~0d");
    }
}

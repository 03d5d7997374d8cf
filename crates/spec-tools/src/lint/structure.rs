//! The OpenAPI 3.0.3 structure: walks the document by object type (see `openapi`) and checks
//! every key, every value's JSON type, the required fields, and the constraints the
//! specification states in prose (status codes, path parameters required, mutually exclusive
//! fields, schema bounds). Records where schemas, media types and parameters sit, for the
//! checks that need them.

use super::openapi::{scheme_type, styles_for, Kind, Type};
use super::{child, refs, Report, MAX_DEPTH};
use serde_json::{Map, Value};

/// Where the walk met the objects later checks read.
#[derive(Debug, Default)]
pub(crate) struct Sites {
    /// Every Schema object (not references), by pointer.
    pub schemas: Vec<String>,
    /// Every Media Type object.
    pub media: Vec<String>,
    /// Every Parameter and Header object (not references).
    pub parameters: Vec<String>,
}

/// Checks the structure of `document`; returns where its schemas, media types and parameters
/// are.
pub(crate) fn check(document: &Value, report: &mut Report) -> Sites {
    let mut walk = Walk {
        document,
        report,
        sites: Sites::default(),
    };
    walk.value(Kind::Obj(Type::OpenApi), document, "", 0);
    walk.sites
}

struct Walk<'a, 'r> {
    document: &'a Value,
    report: &'r mut Report,
    sites: Sites,
}

/// The JSON type of a value, for messages.
pub(super) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// `name` with its indefinite article: "an OpenAPI", "a Schema".
pub(super) fn a(name: &str) -> String {
    let vowel = name.starts_with(['A', 'E', 'I', 'O', 'U', 'X']);
    format!("{} {name}", if vowel { "an" } else { "a" })
}

fn is_count(value: &Value) -> bool {
    value.as_u64().is_some() || value.as_f64().is_some_and(|f| f >= 0.0 && f.fract() == 0.0)
}

/// Whether `key` is a response key OpenAPI 3.0.3 allows.
fn is_status(key: &str) -> bool {
    if key == "default" {
        return true;
    }
    let b = key.as_bytes();
    b.len() == 3
        && (b'1'..=b'5').contains(&b[0])
        && ((b[1].is_ascii_digit() && b[2].is_ascii_digit()) || &b[1..] == b"XX")
}

impl Walk<'_, '_> {
    fn add(&mut self, pointer: &str, rule: &'static str, message: impl Into<String>) {
        self.report.add(pointer, rule, message);
    }

    fn wrong_type(&mut self, pointer: &str, kind: Kind, value: &Value) {
        let name = super::last_segment(pointer);
        let shown = if pointer.is_empty() {
            "the document".to_owned()
        } else {
            format!("{name:?}")
        };
        self.add(
            pointer,
            "wrong-type",
            format!(
                "{shown} must be {}, not {}",
                kind.describe(),
                type_name(value)
            ),
        );
    }

    /// Checks `value` at `pointer` against `kind`.
    fn value(&mut self, kind: Kind, value: &Value, pointer: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match kind {
            Kind::Any => {}
            Kind::Str if !value.is_string() => self.wrong_type(pointer, kind, value),
            Kind::Bool if !value.is_boolean() => self.wrong_type(pointer, kind, value),
            Kind::Number if !value.is_number() => self.wrong_type(pointer, kind, value),
            Kind::Count if !is_count(value) => self.wrong_type(pointer, kind, value),
            Kind::Str | Kind::Bool | Kind::Number | Kind::Count => {}
            Kind::OneOf(allowed) => match value.as_str() {
                None => self.wrong_type(pointer, kind, value),
                Some(s) if !allowed.contains(&s) => {
                    let name = super::last_segment(pointer);
                    self.add(
                        pointer,
                        "bad-value",
                        format!("{name} {s:?} is not one of {}", allowed.join(", ")),
                    );
                }
                Some(_) => {}
            },
            Kind::Obj(t) => self.object(t, value, pointer, depth),
            Kind::RefOr(t) => match value.as_object() {
                Some(map) if map.contains_key("$ref") => {
                    refs::check(self.document, map, t, pointer, self.report);
                }
                _ => self.object(t, value, pointer, depth),
            },
            Kind::List(item) | Kind::NonEmptyList(item) => {
                let Some(items) = value.as_array() else {
                    return self.wrong_type(pointer, kind, value);
                };
                if items.is_empty() && matches!(kind, Kind::NonEmptyList(_)) {
                    let name = super::last_segment(pointer);
                    self.add(pointer, "bad-value", format!("{name} must not be empty"));
                }
                for (i, v) in items.iter().enumerate() {
                    self.value(*item, v, &child(pointer, &i.to_string()), depth + 1);
                }
            }
            Kind::Map(item) => {
                let Some(map) = value.as_object() else {
                    return self.wrong_type(pointer, kind, value);
                };
                for (k, v) in map {
                    self.value(*item, v, &child(pointer, k), depth + 1);
                }
            }
            Kind::BoolOrSchema => {
                if !value.is_boolean() {
                    self.value(Kind::RefOr(Type::Schema), value, pointer, depth);
                }
            }
        }
    }

    /// Checks an object of type `ty` (not a reference) at `pointer`.
    fn object(&mut self, ty: Type, value: &Value, pointer: &str, depth: usize) {
        let Some(map) = value.as_object() else {
            return self.wrong_type(pointer, Kind::Obj(ty), value);
        };
        let ty = match ty {
            Type::SecurityScheme => {
                match map
                    .get("type")
                    .and_then(Value::as_str)
                    .and_then(scheme_type)
                {
                    Some(t) => t,
                    None => {
                        // Without a known `type` the other fields cannot be judged.
                        self.fixed_fields(Type::SecurityScheme, map, pointer, depth, false);
                        return;
                    }
                }
            }
            other => other,
        };
        match ty {
            Type::Paths => self.paths(map, pointer, depth),
            Type::Responses => self.responses(map, pointer, depth),
            Type::Callback => {
                for (k, v) in map.iter().filter(|(k, _)| !k.starts_with("x-")) {
                    self.value(Kind::Obj(Type::PathItem), v, &child(pointer, k), depth + 1);
                }
            }
            Type::SecurityRequirement => self.security_requirement(map, pointer),
            _ => self.fixed_fields(ty, map, pointer, depth, true),
        }
        match ty {
            Type::OpenApi => self.root(map),
            Type::Components => self.component_names(map, pointer),
            Type::Server => self.server(map, pointer),
            Type::ServerVariable => self.server_variable(map, pointer),
            Type::Parameter | Type::Header => {
                self.parameter(ty, map, pointer);
                self.sites.parameters.push(pointer.to_owned());
            }
            Type::Media => {
                self.exclusive(map, pointer, "example", "examples");
                self.sites.media.push(pointer.to_owned());
            }
            Type::Example => self.exclusive(map, pointer, "value", "externalValue"),
            Type::Schema => {
                super::schema_rules::check(map, pointer, self.report);
                self.sites.schemas.push(pointer.to_owned());
            }
            _ => {}
        }
    }

    /// Unknown keys, each field's value, and the required fields.
    fn fixed_fields(
        &mut self,
        ty: Type,
        map: &Map<String, Value>,
        pointer: &str,
        depth: usize,
        unknown: bool,
    ) {
        for (key, v) in map {
            let here = child(pointer, key);
            match ty.field(key) {
                Some(field) => self.value(field.kind, v, &here, depth + 1),
                None if key.starts_with("x-") && ty.extensible() => {}
                None if unknown => self.unknown(ty, key, &here),
                None => {}
            }
        }
        for field in ty.fields().iter().filter(|f| f.required) {
            if !map.contains_key(field.name) {
                self.add(
                    pointer,
                    "missing-field",
                    format!("{} object needs {:?}", a(ty.name()), field.name),
                );
            }
        }
    }

    fn unknown(&mut self, ty: Type, key: &str, pointer: &str) {
        let hint = if key.starts_with("x-") {
            format!("; {} object takes no extensions", a(ty.name()))
        } else if key.contains(char::is_whitespace) || key.contains(':') {
            "; a sentence split by `: ` or by a line break inside `{...}`? Quote the text"
                .to_owned()
        } else {
            "; extensions start with x-".to_owned()
        };
        self.add(
            pointer,
            "unknown-key",
            format!("{key:?} is not a field of {} object{hint}", a(ty.name())),
        );
    }

    fn root(&mut self, map: &Map<String, Value>) {
        if let Some(version) = map.get("openapi").and_then(Value::as_str) {
            let ok = version.strip_prefix("3.0.").is_some_and(|patch| {
                !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit())
            });
            if !ok {
                self.add(
                    "/openapi",
                    "openapi-version",
                    format!("openapi {version:?} is not 3.0.x (this linter reads OpenAPI 3.0.3)"),
                );
            }
        }
        let tags = map.get("tags").and_then(Value::as_array);
        let mut seen = Vec::new();
        for (i, tag) in tags.into_iter().flatten().enumerate() {
            if let Some(name) = tag.get("name").and_then(Value::as_str) {
                if seen.contains(&name) {
                    self.add(
                        &format!("/tags/{i}"),
                        "duplicate-tag",
                        format!("tag {name:?} is declared twice"),
                    );
                }
                seen.push(name);
            }
        }
    }

    fn paths(&mut self, map: &Map<String, Value>, pointer: &str, depth: usize) {
        for (key, v) in map {
            let here = child(pointer, key);
            if key.starts_with('/') {
                self.value(Kind::Obj(Type::PathItem), v, &here, depth + 1);
            } else if !key.starts_with("x-") {
                self.add(
                    &here,
                    "bad-value",
                    format!("path {key:?} must begin with /"),
                );
            }
        }
    }

    fn responses(&mut self, map: &Map<String, Value>, pointer: &str, depth: usize) {
        let mut any = false;
        for (key, v) in map {
            let here = child(pointer, key);
            if key.starts_with("x-") {
                continue;
            }
            any = true;
            if is_status(key) {
                self.value(Kind::RefOr(Type::Response), v, &here, depth + 1);
            } else {
                self.add(
                    &here,
                    "bad-status-code",
                    format!("{key:?} is not a status: default, 1XX to 5XX, or a code 100 to 599"),
                );
            }
        }
        if !any {
            self.add(pointer, "missing-field", "responses lists no status");
        }
    }

    fn security_requirement(&mut self, map: &Map<String, Value>, pointer: &str) {
        let schemes = self.document.pointer("/components/securitySchemes");
        for (name, scopes) in map {
            let here = child(pointer, name);
            let Some(list) = scopes.as_array() else {
                self.wrong_type(&here, Kind::List(&Kind::Str), scopes);
                continue;
            };
            for (i, s) in list.iter().enumerate() {
                if !s.is_string() {
                    self.wrong_type(&child(&here, &i.to_string()), Kind::Str, s);
                }
            }
            let Some(scheme) = schemes.and_then(|s| s.get(name)) else {
                self.add(
                    &here,
                    "bad-security-requirement",
                    format!("{name:?} is not in components/securitySchemes"),
                );
                continue;
            };
            let scheme = refs::follow(self.document, scheme, "").map_or(scheme, |(s, _)| s);
            let kind = scheme.get("type").and_then(Value::as_str).unwrap_or("");
            if !list.is_empty() && !matches!(kind, "oauth2" | "openIdConnect") {
                self.add(
                    &here,
                    "bad-security-requirement",
                    format!("{name:?} is an {kind} scheme: its list of scopes must be empty"),
                );
            }
        }
    }

    fn component_names(&mut self, map: &Map<String, Value>, pointer: &str) {
        for (section, entries) in map.iter().filter(|(k, _)| !k.starts_with("x-")) {
            let Some(entries) = entries.as_object() else {
                continue;
            };
            for name in entries.keys() {
                let ok = !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
                if !ok {
                    self.add(
                        &child(&child(pointer, section), name),
                        "bad-component-name",
                        format!("{name:?} is not a component name (letters, digits, . - _)"),
                    );
                }
            }
        }
    }

    fn server(&mut self, map: &Map<String, Value>, pointer: &str) {
        let Some(url) = map.get("url").and_then(Value::as_str) else {
            return;
        };
        let variables = map.get("variables").and_then(Value::as_object);
        let mut rest = url;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                break;
            };
            let name = &after[..close];
            if !variables.is_some_and(|v| v.contains_key(name)) {
                self.add(
                    &child(pointer, "url"),
                    "bad-value",
                    format!("the url's {{{name}}} is not in the server's variables"),
                );
            }
            rest = &after[close + 1..];
        }
    }

    fn server_variable(&mut self, map: &Map<String, Value>, pointer: &str) {
        let (Some(default), Some(values)) = (
            map.get("default").and_then(Value::as_str),
            map.get("enum").and_then(Value::as_array),
        ) else {
            return;
        };
        if !values.is_empty() && !values.iter().any(|v| v.as_str() == Some(default)) {
            self.add(
                &child(pointer, "default"),
                "bad-value",
                format!("default {default:?} is not one of the variable's enum"),
            );
        }
    }

    fn exclusive(&mut self, map: &Map<String, Value>, pointer: &str, a: &str, b: &str) {
        if map.contains_key(a) && map.contains_key(b) {
            self.add(
                &child(pointer, b),
                "mutually-exclusive",
                format!("{a} and {b} exclude each other"),
            );
        }
    }

    /// Parameter and Header rules the field table cannot say.
    fn parameter(&mut self, ty: Type, map: &Map<String, Value>, pointer: &str) {
        self.exclusive(map, pointer, "example", "examples");
        match (map.contains_key("schema"), map.get("content")) {
            (true, Some(_)) => self.exclusive(map, pointer, "schema", "content"),
            (false, None) => self.add(
                pointer,
                "missing-field",
                format!("{} object needs \"schema\" or \"content\"", a(ty.name())),
            ),
            (_, Some(Value::Object(content))) if content.len() != 1 => self.add(
                &child(pointer, "content"),
                "bad-value",
                "content must hold exactly one media type",
            ),
            _ => {}
        }
        let location = match ty {
            Type::Header => "header",
            _ => map.get("in").and_then(Value::as_str).unwrap_or(""),
        };
        if let Some(style) = map.get("style").and_then(Value::as_str) {
            let allowed = styles_for(location);
            if !allowed.contains(&style) && !location.is_empty() {
                self.add(
                    &child(pointer, "style"),
                    "bad-value",
                    format!(
                        "style {style:?} is not allowed in the {location}: {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
        if ty == Type::Parameter
            && location == "path"
            && map.get("required").and_then(Value::as_bool) != Some(true)
        {
            let name = map.get("name").and_then(Value::as_str).unwrap_or("");
            self.add(
                pointer,
                "path-parameter-not-required",
                format!("path parameter {name:?} needs required: true"),
            );
        }
    }
}

//! A JSON Schema validator for exactly the keywords an OpenAPI 3.0 Schema Object has, compiled
//! once into a tree of nodes and checked without allocating when the value is valid.
//!
//! Why not the `jsonschema` crate: it implements every draft, remote references and two regex
//! engines, and was the largest crate of a release build (about a quarter of its CPU time) for
//! the ~25 keywords a spec can use. This module covers those keywords completely, refuses to
//! compile any other assertion keyword (so a spec cannot silently lose a rule), and is checked
//! against `jsonschema` by `tests/keywords.rs` on every fixture and on generated values.
//!
//! Semantics are JSON Schema 2020-12's for the keywords below, with OpenAPI 3.0's two
//! differences: `exclusiveMinimum`/`exclusiveMaximum` may be booleans modifying
//! `minimum`/`maximum`, and `nullable` (turned into a `null` type by `schema::convert`).
//! `$ref` is local (`#/...`) only. One extension is checked too: `x-datetime-format`
//! (`%Y-%m-%d %H:%M:%S`), a string that must be a real instant in that form (a `pattern` lets
//! `2026-02-30 00:00:00` through). Formats checked: `date-time`, `date`, `time`, `uri`, `uuid`,
//! `ipv4`, `ipv6`, `email`; others (`int64`, `double`, ...) are annotations, as the draft says.

use super::schema::pointer_child as child;
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// Keywords that say something about documents but assert nothing (JSON Schema annotations,
/// OpenAPI's extra fields, and containers of definitions).
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$comment",
    "$defs",
    "definitions",
    "components",
    "title",
    "description",
    "default",
    "example",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "nullable",
    "discriminator",
    "xml",
    "externalDocs",
];

/// How deep checking may nest (schemas inside schemas, through `$ref`s): a `$ref` cycle that
/// consumes no part of the value ends here with an error instead of a stack overflow.
const MAX_DEPTH: usize = 128;

type Id = usize;

#[derive(Clone, Copy, Default)]
struct Types(u8);

impl Types {
    const NAMES: [&'static str; 7] = [
        "null", "boolean", "object", "array", "number", "string", "integer",
    ];

    fn bit(name: &str) -> Option<u8> {
        Self::NAMES.iter().position(|n| *n == name).map(|i| 1 << i)
    }

    fn admits(self, value: &Value) -> bool {
        let bit = match value {
            Value::Null => 1,
            Value::Bool(_) => 2,
            Value::Object(_) => 4,
            Value::Array(_) => 8,
            Value::String(_) => 32,
            Value::Number(n) => {
                // "integer" is any number without a fractional part (1.0 too).
                return self.0 & 16 != 0 || (self.0 & 64 != 0 && is_integer(n));
            }
        };
        self.0 & bit != 0
    }

    fn describe(self) -> String {
        let names: Vec<String> = Self::NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, n)| format!("{n:?}"))
            .collect();
        names.join(" or ")
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    DateTime,
    Date,
    Time,
    Uri,
    Uuid,
    Ipv4,
    Ipv6,
    Email,
}

impl Format {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "date-time" => Self::DateTime,
            "date" => Self::Date,
            "time" => Self::Time,
            "uri" => Self::Uri,
            "uuid" => Self::Uuid,
            "ipv4" => Self::Ipv4,
            "ipv6" => Self::Ipv6,
            "email" => Self::Email,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::DateTime => "date-time",
            Self::Date => "date",
            Self::Time => "time",
            Self::Uri => "uri",
            Self::Uuid => "uuid",
            Self::Ipv4 => "ipv4",
            Self::Ipv6 => "ipv6",
            Self::Email => "email",
        }
    }

    fn admits(self, text: &str) -> bool {
        match self {
            Self::DateTime => text
                .find(['T', 't'])
                .is_some_and(|t| is_date(&text[..t]) && is_time(&text[t + 1..])),
            Self::Date => is_date(text),
            Self::Time => is_time(text),
            Self::Uri => is_uri(text),
            Self::Uuid => is_uuid(text),
            Self::Ipv4 => !text.contains(':') && text.parse::<std::net::Ipv4Addr>().is_ok(),
            Self::Ipv6 => text.parse::<std::net::Ipv6Addr>().is_ok(),
            Self::Email => is_email(text),
        }
    }
}

#[derive(Clone, Copy)]
struct Bound {
    limit: f64,
    // The limit exactly, when it is an integer (compared without rounding).
    exact: Option<i128>,
    exclusive: bool,
}

#[derive(Default)]
enum Additional {
    #[default]
    Any,
    Schema(Id),
}

/// One compiled schema. `None`/empty fields are keywords the schema does not have.
#[derive(Default)]
struct Node {
    // A boolean schema `false` (or `not: {}`): nothing is valid.
    nothing: bool,
    types: Option<Types>,
    enumeration: Option<Vec<Value>>,
    constant: Option<Value>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<(String, regress::Regex)>,
    format: Option<Format>,
    // `x-datetime-format` (`%Y-%m-%d %H:%M:%S`): the text must be a real instant in it.
    datetime_format: Option<String>,
    minimum: Option<Bound>,
    maximum: Option<Bound>,
    multiple_of: Option<f64>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    unique_items: bool,
    items: Option<Id>,
    properties: Vec<(String, Id)>,
    required: Vec<String>,
    additional: Additional,
    min_properties: Option<u64>,
    max_properties: Option<u64>,
    all_of: Vec<Id>,
    any_of: Vec<Id>,
    one_of: Vec<Id>,
    not: Option<Id>,
    reference: Option<Id>,
}

impl Node {
    /// The schema of property `key`, if `properties` names it (a linear search: objects in
    /// the specs have a few dozen properties at most, and it measured faster than a binary
    /// search).
    fn property(&self, key: &str) -> Option<Id> {
        self.properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, id)| *id)
    }
}

/// A compiled schema.
pub(crate) struct Schema {
    nodes: Vec<Node>,
}

/// One way a value breaks a schema: where (the path of the value, as keys and indexes), the
/// keyword, and what is wrong. For `required` and `additionalProperties` the path ends with
/// the property itself.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Error {
    pub(crate) path: Vec<String>,
    pub(crate) keyword: &'static str,
    pub(crate) message: String,
}

struct Compiler<'a> {
    root: &'a Value,
    nodes: Vec<Node>,
    by_ref: HashMap<String, Id>,
}

impl Schema {
    /// Compiles `root`; its `$ref`s are JSON pointers into `root` itself.
    pub(crate) fn compile(root: &Value) -> Result<Self, String> {
        let mut compiler = Compiler {
            root,
            nodes: Vec::new(),
            by_ref: HashMap::new(),
        };
        compiler.compile(root, "#", 0)?;
        Ok(Schema {
            nodes: compiler.nodes,
        })
    }

    /// Whether `value` is valid (no error is built).
    pub(crate) fn is_valid(&self, value: &Value) -> bool {
        self.valid(0, value, 0)
    }

    /// Every way `value` breaks the schema (empty when it is valid).
    pub(crate) fn errors(&self, value: &Value) -> Vec<Error> {
        let mut out = Vec::new();
        if !self.is_valid(value) {
            self.collect(0, value, &mut Vec::new(), &mut out, 0);
            if out.is_empty() {
                // The two walks agree by construction (and by tests); should they ever not,
                // the value is still refused.
                out.push(Error {
                    path: Vec::new(),
                    keyword: "schema",
                    message: format!("{} breaks its schema", show(value)),
                });
            }
        }
        out
    }

    fn valid(&self, id: Id, value: &Value, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let node = &self.nodes[id];
        if node.nothing {
            return false;
        }
        if let Some(types) = node.types {
            if !types.admits(value) {
                return false;
            }
        }
        if let Some(values) = &node.enumeration {
            if !values.iter().any(|v| equal(v, value)) {
                return false;
            }
        }
        if let Some(c) = &node.constant {
            if !equal(c, value) {
                return false;
            }
        }
        let inner = depth + 1;
        match value {
            Value::String(s) => {
                if node.min_length.is_some() || node.max_length.is_some() {
                    let n = s.chars().count() as u64;
                    if node.min_length.is_some_and(|m| n < m)
                        || node.max_length.is_some_and(|m| n > m)
                    {
                        return false;
                    }
                }
                if let Some((_, re)) = &node.pattern {
                    if re.find(s).is_none() {
                        return false;
                    }
                }
                if let Some(f) = node.format {
                    if !f.admits(s) {
                        return false;
                    }
                }
                if let Some(f) = &node.datetime_format {
                    if chrono::NaiveDateTime::parse_from_str(s, f).is_err() {
                        return false;
                    }
                }
            }
            Value::Number(n) => {
                if node.minimum.is_some_and(|b| !at_least(n, b))
                    || node.maximum.is_some_and(|b| !at_most(n, b))
                    || node.multiple_of.is_some_and(|m| !multiple_of(n, m))
                {
                    return false;
                }
            }
            Value::Array(items) => {
                let n = items.len() as u64;
                if node.min_items.is_some_and(|m| n < m) || node.max_items.is_some_and(|m| n > m) {
                    return false;
                }
                if node.unique_items && !unique(items) {
                    return false;
                }
                if let Some(item) = node.items {
                    if !items.iter().all(|v| self.valid(item, v, inner)) {
                        return false;
                    }
                }
            }
            Value::Object(map) => {
                let n = map.len() as u64;
                if node.min_properties.is_some_and(|m| n < m)
                    || node.max_properties.is_some_and(|m| n > m)
                {
                    return false;
                }
                if !node.required.iter().all(|k| map.contains_key(k)) {
                    return false;
                }
                for (key, v) in map {
                    let ok = match node.property(key) {
                        Some(s) => self.valid(s, v, inner),
                        None => match node.additional {
                            Additional::Any => true,
                            Additional::Schema(s) => self.valid(s, v, inner),
                        },
                    };
                    if !ok {
                        return false;
                    }
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
        node.all_of.iter().all(|s| self.valid(*s, value, inner))
            && (node.any_of.is_empty() || node.any_of.iter().any(|s| self.valid(*s, value, inner)))
            && (node.one_of.is_empty()
                || node
                    .one_of
                    .iter()
                    .filter(|s| self.valid(**s, value, inner))
                    .take(2)
                    .count()
                    == 1)
            && node.not.is_none_or(|s| !self.valid(s, value, inner))
            && node.reference.is_none_or(|s| self.valid(s, value, inner))
    }

    fn collect(
        &self,
        id: Id,
        value: &Value,
        path: &mut Vec<String>,
        out: &mut Vec<Error>,
        depth: usize,
    ) {
        let mut report = |keyword: &'static str, message: String| {
            out.push(Error {
                path: path.clone(),
                keyword,
                message,
            })
        };
        if depth > MAX_DEPTH {
            report("$ref", "the schema nests too deeply to check".into());
            return;
        }
        let node = &self.nodes[id];
        let shown = || show(value);
        if node.nothing {
            report("false", format!("{} is not allowed here", shown()));
            return;
        }
        if let Some(types) = node.types {
            if !types.admits(value) {
                report(
                    "type",
                    format!("{} is not of type {}", shown(), types.describe()),
                );
            }
        }
        if let Some(values) = &node.enumeration {
            if !values.iter().any(|v| equal(v, value)) {
                let list: Vec<String> = values.iter().map(show).collect();
                report(
                    "enum",
                    format!("{} is not one of {}", shown(), list.join(", ")),
                );
            }
        }
        if let Some(c) = &node.constant {
            if !equal(c, value) {
                report("const", format!("{} is not {}", shown(), show(c)));
            }
        }
        match value {
            Value::String(s) => {
                let n = s.chars().count() as u64;
                if let Some(m) = node.min_length.filter(|m| n < *m) {
                    report(
                        "minLength",
                        format!("{} is shorter than {m} characters", shown()),
                    );
                }
                if let Some(m) = node.max_length.filter(|m| n > *m) {
                    report(
                        "maxLength",
                        format!("{} is longer than {m} characters", shown()),
                    );
                }
                if let Some((text, re)) = &node.pattern {
                    if re.find(s).is_none() {
                        report("pattern", format!("{} does not match {text:?}", shown()));
                    }
                }
                if let Some(f) = node.format.filter(|f| !f.admits(s)) {
                    report("format", format!("{} is not a {:?}", shown(), f.name()));
                }
                if let Some(f) = &node.datetime_format {
                    if chrono::NaiveDateTime::parse_from_str(s, f).is_err() {
                        report(
                            "x-datetime-format",
                            format!("{} is not a real date-time ({f})", shown()),
                        );
                    }
                }
            }
            Value::Number(n) => {
                if let Some(b) = node.minimum.filter(|b| !at_least(n, *b)) {
                    let how = if b.exclusive {
                        "less than or equal to"
                    } else {
                        "less than"
                    };
                    report(
                        "minimum",
                        format!("{n} is {how} the minimum of {}", show_bound(b)),
                    );
                }
                if let Some(b) = node.maximum.filter(|b| !at_most(n, *b)) {
                    let how = if b.exclusive {
                        "greater than or equal to"
                    } else {
                        "greater than"
                    };
                    report(
                        "maximum",
                        format!("{n} is {how} the maximum of {}", show_bound(b)),
                    );
                }
                if let Some(m) = node.multiple_of.filter(|m| !multiple_of(n, *m)) {
                    report("multipleOf", format!("{n} is not a multiple of {m}"));
                }
            }
            Value::Array(items) => {
                let n = items.len() as u64;
                if let Some(m) = node.min_items.filter(|m| n < *m) {
                    report("minItems", format!("{} has fewer than {m} items", shown()));
                }
                if let Some(m) = node.max_items.filter(|m| n > *m) {
                    report("maxItems", format!("{} has more than {m} items", shown()));
                }
                if node.unique_items && !unique(items) {
                    report("uniqueItems", format!("{} has repeated items", shown()));
                }
                if let Some(item) = node.items {
                    for (i, v) in items.iter().enumerate() {
                        if !self.valid(item, v, depth + 1) {
                            path.push(i.to_string());
                            self.collect(item, v, path, out, depth + 1);
                            path.pop();
                        }
                    }
                }
            }
            Value::Object(map) => {
                let n = map.len() as u64;
                if let Some(m) = node.min_properties.filter(|m| n < *m) {
                    report(
                        "minProperties",
                        format!("the object has fewer than {m} properties"),
                    );
                }
                if let Some(m) = node.max_properties.filter(|m| n > *m) {
                    report(
                        "maxProperties",
                        format!("the object has more than {m} properties"),
                    );
                }
                for key in node.required.iter().filter(|k| !map.contains_key(*k)) {
                    path.push(key.clone());
                    out.push(Error {
                        path: path.clone(),
                        keyword: "required",
                        message: format!("{key:?} is a required property"),
                    });
                    path.pop();
                }
                for (key, v) in map {
                    let schema = match node.property(key) {
                        Some(s) => Some(s),
                        None => match node.additional {
                            Additional::Any => None,
                            Additional::Schema(s) => Some(s),
                        },
                    };
                    let Some(schema) = schema else { continue };
                    if self.valid(schema, v, depth + 1) {
                        continue;
                    }
                    path.push(key.clone());
                    if self.nodes[schema].nothing && node.property(key).is_none() {
                        out.push(Error {
                            path: path.clone(),
                            keyword: "additionalProperties",
                            message: format!(
                                "{key:?} is not a known property (none other is allowed)"
                            ),
                        });
                    } else {
                        self.collect(schema, v, path, out, depth + 1);
                    }
                    path.pop();
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
        for s in node.all_of.iter().chain(&node.reference) {
            self.collect(*s, value, path, out, depth + 1);
        }
        if !node.any_of.is_empty() && !node.any_of.iter().any(|s| self.valid(*s, value, depth + 1))
        {
            out.push(Error {
                path: path.clone(),
                keyword: "anyOf",
                message: format!("{} is valid under none of the allowed schemas", show(value)),
            });
        }
        if !node.one_of.is_empty() {
            let passing = node
                .one_of
                .iter()
                .filter(|s| self.valid(**s, value, depth + 1))
                .take(2)
                .count();
            if passing != 1 {
                let what = if passing == 0 {
                    "none"
                } else {
                    "more than one"
                };
                out.push(Error {
                    path: path.clone(),
                    keyword: "oneOf",
                    message: format!(
                        "{} is valid under {what} of the schemas (exactly one is required)",
                        show(value)
                    ),
                });
            }
        }
        if node.not.is_some_and(|s| self.valid(s, value, depth + 1)) {
            out.push(Error {
                path: path.clone(),
                keyword: "not",
                message: format!("{} is valid under a schema it must not match", show(value)),
            });
        }
    }
}

impl Compiler<'_> {
    fn compile(&mut self, schema: &Value, at: &str, depth: usize) -> Result<Id, String> {
        if depth > MAX_DEPTH {
            return Err(format!("{at}: schemas nest more than {MAX_DEPTH} deep"));
        }
        let id = self.nodes.len();
        self.nodes.push(Node::default());
        let node = match schema {
            Value::Bool(b) => Node {
                nothing: !b,
                ..Node::default()
            },
            Value::Object(map) => self.node(map, at, depth)?,
            other => {
                return Err(format!(
                    "{at}: a schema is an object or a boolean, not {}",
                    show(other)
                ))
            }
        };
        self.nodes[id] = node;
        Ok(id)
    }

    fn node(&mut self, map: &Map<String, Value>, at: &str, depth: usize) -> Result<Node, String> {
        let mut node = Node::default();
        for (key, value) in map {
            let here = child(at, key);
            let bad = |what: &str| Err(format!("{here}: {key} must be {what}"));
            match key.as_str() {
                "type" => {
                    let names: Vec<&str> = match value {
                        Value::String(s) => vec![s.as_str()],
                        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                        _ => return bad("a type name or a list of them"),
                    };
                    let mut bits = 0;
                    for name in names {
                        match Types::bit(name) {
                            Some(b) => bits |= b,
                            None => return Err(format!("{here}: unknown type {name:?}")),
                        }
                    }
                    node.types = Some(Types(bits));
                }
                "enum" => match value {
                    Value::Array(list) => node.enumeration = Some(list.clone()),
                    _ => return bad("a list"),
                },
                "const" => node.constant = Some(value.clone()),
                "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties"
                | "maxProperties" => {
                    let n = count(value)
                        .ok_or_else(|| format!("{here}: {key} must be a count (0 or more)"))?;
                    let slot = match key.as_str() {
                        "minLength" => &mut node.min_length,
                        "maxLength" => &mut node.max_length,
                        "minItems" => &mut node.min_items,
                        "maxItems" => &mut node.max_items,
                        "minProperties" => &mut node.min_properties,
                        _ => &mut node.max_properties,
                    };
                    *slot = Some(n);
                }
                "uniqueItems" => match value {
                    Value::Bool(b) => node.unique_items = *b,
                    _ => return bad("a boolean"),
                },
                "pattern" => {
                    let Some(text) = value.as_str() else {
                        return bad("a string");
                    };
                    let re = regress::Regex::new(text).map_err(|e| {
                        format!("{here}: {text:?} is not an ECMA-262 regular expression: {e}")
                    })?;
                    node.pattern = Some((text.to_owned(), re));
                }
                "x-datetime-format" => {
                    let Some(text) = value.as_str() else {
                        return bad("a chrono format string");
                    };
                    node.datetime_format = Some(text.to_owned());
                }
                "format" => {
                    let Some(name) = value.as_str() else {
                        return bad("a string");
                    };
                    node.format = Format::from_name(name);
                }
                // Read together after the loop: each bound depends on two keywords.
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {}
                "multipleOf" => match value.as_f64() {
                    Some(m) if m > 0.0 => node.multiple_of = Some(m),
                    _ => return bad("a number above 0"),
                },
                "items" => node.items = Some(self.compile(value, &here, depth + 1)?),
                "properties" => {
                    let Value::Object(props) = value else {
                        return bad("an object");
                    };
                    for (name, s) in props {
                        let id = self.compile(s, &child(&here, name), depth + 1)?;
                        node.properties.push((name.clone(), id));
                    }
                }
                "required" => {
                    let Some(list) = value.as_array() else {
                        return bad("a list of names");
                    };
                    node.required = list
                        .iter()
                        .map(|v| v.as_str().map(str::to_owned))
                        .collect::<Option<_>>()
                        .ok_or_else(|| format!("{here}: required must be a list of names"))?;
                }
                "additionalProperties" => match value {
                    Value::Bool(true) => node.additional = Additional::Any,
                    _ => {
                        node.additional =
                            Additional::Schema(self.compile(value, &here, depth + 1)?)
                    }
                },
                "allOf" | "anyOf" | "oneOf" => {
                    let Some(list) = value.as_array().filter(|l| !l.is_empty()) else {
                        return bad("a non-empty list of schemas");
                    };
                    let mut ids = Vec::with_capacity(list.len());
                    for (i, s) in list.iter().enumerate() {
                        ids.push(self.compile(s, &format!("{here}/{i}"), depth + 1)?);
                    }
                    match key.as_str() {
                        "allOf" => node.all_of = ids,
                        "anyOf" => node.any_of = ids,
                        _ => node.one_of = ids,
                    }
                }
                "not" => node.not = Some(self.compile(value, &here, depth + 1)?),
                "$ref" => {
                    let Some(target) = value.as_str() else {
                        return bad("a string");
                    };
                    node.reference = Some(self.reference(target, &here, depth)?);
                }
                k if k.starts_with("x-") || ANNOTATIONS.contains(&k) => {}
                other => {
                    return Err(format!(
                        "{here}: {other:?} is not a keyword of an OpenAPI 3.0 schema (threatbind \
                         cannot check it, so it refuses the schema rather than ignore a rule)"
                    ))
                }
            }
        }
        node.minimum = bound(map, "minimum", "exclusiveMinimum")
            .map_err(|what| format!("{}: {what}", child(at, "minimum")))?;
        node.maximum = bound(map, "maximum", "exclusiveMaximum")
            .map_err(|what| format!("{}: {what}", child(at, "maximum")))?;
        Ok(node)
    }

    fn reference(&mut self, target: &str, at: &str, depth: usize) -> Result<Id, String> {
        if let Some(id) = self.by_ref.get(target) {
            return Ok(*id);
        }
        let pointer = target
            .strip_prefix('#')
            .ok_or_else(|| format!("{at}: {target:?} is not a local reference (#/...)"))?;
        let schema = self
            .root
            .pointer(pointer)
            .ok_or_else(|| format!("{at}: {target:?} points at nothing"))?;
        // Registered before compiling, so a schema that refers to itself compiles once.
        let id = self.nodes.len();
        self.by_ref.insert(target.to_owned(), id);
        let compiled = self.compile(schema, target, depth + 1)?;
        debug_assert_eq!(compiled, id);
        Ok(id)
    }
}

fn count(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|f| *f >= 0.0 && f.fract() == 0.0)
            .map(|f| f as u64)
    })
}

/// The lower (or upper) bound from `plain` (`minimum`) and `exclusive` (`exclusiveMinimum`): a
/// boolean `exclusive` modifies `plain` (OpenAPI 3.0), a number is a bound of its own
/// (2020-12); with both numbers, the tighter one wins.
fn bound(map: &Map<String, Value>, plain: &str, exclusive: &str) -> Result<Option<Bound>, String> {
    let number = |v: &Value| -> Result<Bound, String> {
        let n = v
            .as_number()
            .ok_or_else(|| format!("{} is not a number", show(v)))?;
        Ok(Bound {
            limit: n.as_f64().unwrap_or(f64::NAN),
            exact: exact(n),
            exclusive: false,
        })
    };
    let inclusive = map.get(plain).map(number).transpose()?;
    match map.get(exclusive) {
        None | Some(Value::Bool(false)) => Ok(inclusive),
        Some(Value::Bool(true)) => match inclusive {
            Some(b) => Ok(Some(Bound {
                exclusive: true,
                ..b
            })),
            None => Err(format!("{exclusive}: true needs {plain}")),
        },
        Some(v) => {
            let strict = Bound {
                exclusive: true,
                ..number(v)?
            };
            let lower = plain == "minimum";
            Ok(Some(match inclusive {
                // The tighter of the two: for a lower bound, the larger limit (an equal one
                // is tighter when exclusive).
                Some(b)
                    if (lower && b.limit > strict.limit) || (!lower && b.limit < strict.limit) =>
                {
                    b
                }
                _ => strict,
            }))
        }
    }
}

fn exact(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e30)
                .map(|f| f as i128)
        })
}

fn is_integer(n: &Number) -> bool {
    n.is_i64()
        || n.is_u64()
        || n.as_f64()
            .is_some_and(|f| f.fract() == 0.0 && f.is_finite())
}

/// -1, 0, 1 as `n` is below, at or above the bound's limit.
fn compare(n: &Number, b: Bound) -> std::cmp::Ordering {
    match (exact(n), b.exact) {
        (Some(a), Some(l)) => a.cmp(&l),
        _ => n
            .as_f64()
            .unwrap_or(f64::NAN)
            .partial_cmp(&b.limit)
            .unwrap_or(std::cmp::Ordering::Equal),
    }
}

fn at_least(n: &Number, b: Bound) -> bool {
    let o = compare(n, b);
    o.is_gt() || (o.is_eq() && !b.exclusive)
}

fn at_most(n: &Number, b: Bound) -> bool {
    let o = compare(n, b);
    o.is_lt() || (o.is_eq() && !b.exclusive)
}

fn multiple_of(n: &Number, m: f64) -> bool {
    if let (Some(a), true) = (exact(n), m.fract() == 0.0 && m < 1e30) {
        return a % (m as i128) == 0;
    }
    let q = n.as_f64().unwrap_or(f64::NAN) / m;
    q.is_finite() && (q - q.round()).abs() <= q.abs() * f64::EPSILON * 4.0
}

fn show_bound(b: Bound) -> String {
    match b.exact {
        Some(e) => e.to_string(),
        None => b.limit.to_string(),
    }
}

/// JSON equality as JSON Schema means it: numbers by value (1 equals 1.0).
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (exact(x), exact(y)) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

fn unique(items: &[Value]) -> bool {
    // Quadratic, as arrays in answers are short; bounded by the answer size limit.
    items
        .iter()
        .enumerate()
        .all(|(i, a)| items[i + 1..].iter().all(|b| !equal(a, b)))
}

/// A value as a message shows it: compact JSON, cut at 80 characters.
fn show(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        text.chars().take(80).collect::<String>() + "…"
    } else {
        text
    }
}

fn digits(text: &str, n: usize) -> Option<u32> {
    (text.len() == n && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())?
}

/// RFC 3339 `full-date`: `2026-02-28`, a real day.
fn is_date(text: &str) -> bool {
    let mut parts = text.split('-');
    let (Some(y), Some(m), Some(d), None) = (
        parts.next().and_then(|p| digits(p, 4)),
        parts.next().and_then(|p| digits(p, 2)),
        parts.next().and_then(|p| digits(p, 2)),
        parts.next(),
    ) else {
        return false;
    };
    chrono::NaiveDate::from_ymd_opt(y as i32, m, d).is_some()
}

/// RFC 3339 `full-time`: `23:59:60.5+01:00`, offset required; a leap second (`:60`) only at
/// 23:59 UTC, the only minute that can have one.
fn is_time(text: &str) -> bool {
    let two = |at: usize| text.get(at..at + 2).and_then(|t| digits(t, 2));
    let bytes = text.as_bytes();
    if bytes.len() < 9 || bytes[2] != b':' || bytes[5] != b':' {
        return false;
    }
    let (Some(h), Some(m), Some(s)) = (two(0), two(3), two(6)) else {
        return false;
    };
    let mut rest = &text[8..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    // The offset east of UTC, in minutes.
    let offset = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let at = text.len() - 5;
            match (two(at), two(at + 3)) {
                (Some(oh), Some(om)) if oh < 24 && om < 60 => {
                    let minutes = i64::from(oh * 60 + om);
                    if *sign == b'-' {
                        -minutes
                    } else {
                        minutes
                    }
                }
                _ => return false,
            }
        }
        _ => return false,
    };
    if h >= 24 || m >= 60 || s > 60 {
        return false;
    }
    s < 60 || (i64::from(h * 60 + m) - offset).rem_euclid(24 * 60) == 23 * 60 + 59
}

/// RFC 3986 `URI` (absolute: a scheme): the scheme's syntax, only URI characters after it,
/// and whole percent-escapes.
fn is_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut s = scheme.bytes();
    if !s.next().is_some_and(|b| b.is_ascii_alphabetic())
        || !s.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return false;
    }
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            if !(i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit())
            {
                return false;
            }
            i += 3;
            continue;
        }
        let allowed = b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b);
        if !allowed {
            return false;
        }
        i += 1;
    }
    true
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// `local@domain`: one `@`, neither side empty, no spaces, a domain of dot-separated labels.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.chars().any(|c| c.is_whitespace() || c == '@')
        && !domain.is_empty()
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(schema: Value, value: Value) -> Vec<Error> {
        let s = Schema::compile(&schema).unwrap();
        let errors = s.errors(&value);
        assert_eq!(s.is_valid(&value), errors.is_empty(), "{schema} / {value}");
        errors
    }

    #[test]
    fn required_and_unknown_properties_name_the_field() {
        let schema = json!({"type": "object", "properties": {"a": {"type": "string"}},
                            "required": ["a", "b"], "additionalProperties": false});
        let errors = check(schema, json!({"a": "x", "c": 1}));
        let found: Vec<(String, &str)> = errors
            .iter()
            .map(|e| (e.path.join("."), e.keyword))
            .collect();
        assert_eq!(
            found,
            [
                ("b".into(), "required"),
                ("c".into(), "additionalProperties")
            ]
        );
    }

    #[test]
    fn openapi_exclusive_bounds_and_exact_integers() {
        let schema = json!({"type": "integer", "minimum": 1, "exclusiveMinimum": true,
                            "maximum": 9007199254740993u64});
        assert_eq!(check(schema.clone(), json!(1))[0].keyword, "minimum");
        assert!(check(schema.clone(), json!(2)).is_empty());
        assert!(check(schema.clone(), json!(9007199254740993u64)).is_empty());
        assert_eq!(
            check(schema.clone(), json!(9007199254740994u64))[0].keyword,
            "maximum"
        );
        assert!(check(schema, json!(2.0)).is_empty(), "2.0 is an integer");
    }

    #[test]
    fn refs_resolve_and_cycles_are_bounded() {
        let root = json!({"components": {"schemas": {
            "Node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}},
            "Loop": {"$ref": "#/components/schemas/Loop"}}},
            "properties": {"n": {"$ref": "#/components/schemas/Node"},
                           "l": {"$ref": "#/components/schemas/Loop"}}});
        assert!(check(root.clone(), json!({"n": {"next": {"next": {}}}})).is_empty());
        assert_eq!(
            check(root.clone(), json!({"n": {"next": 1}}))[0].path,
            ["n", "next"]
        );
        assert!(
            !check(root, json!({"l": 1})).is_empty(),
            "a pure cycle ends, invalid"
        );
    }

    #[test]
    fn unknown_assertions_and_bad_patterns_are_refused() {
        let e = Schema::compile(&json!({"patternProperties": {}}))
            .err()
            .unwrap();
        assert!(e.contains("patternProperties"), "{e}");
        let e = Schema::compile(&json!({"pattern": "("})).err().unwrap();
        assert!(e.contains("ECMA-262"), "{e}");
        assert!(Schema::compile(&json!({"$ref": "#/nowhere"})).is_err());
    }

    #[test]
    fn formats() {
        for (format, good, bad) in [
            (
                "date-time",
                "2026-02-28T23:59:60.25Z",
                "2026-02-30T00:00:00Z",
            ),
            (
                "date-time",
                "2026-03-01T00:59:60+01:00",
                "2026-02-28T23:59:60+01:00",
            ),
            ("date-time", "2026-02-28t10:00:00z", "2026-02-28 10:00:00Z"),
            ("date", "2024-02-29", "2023-02-29"),
            (
                "uri",
                "https://example.com/a?b=%20#c",
                "https://example.com/a b",
            ),
            ("uri", "urn:isbn:0451450523", "/relative/path"),
            (
                "uuid",
                "123e4567-e89b-12d3-a456-426614174000",
                "123e4567e89b12d3a456426614174000",
            ),
            ("ipv4", "192.0.2.1", "192.0.2.256"),
            ("ipv6", "2001:db8::1", "2001:db8:::1"),
            ("email", "soc@example.com", "soc@@example.com"),
        ] {
            let schema = json!({"type": "string", "format": format});
            assert!(
                check(schema.clone(), json!(good)).is_empty(),
                "{format} {good}"
            );
            assert_eq!(
                check(schema, json!(bad))[0].keyword,
                "format",
                "{format} {bad}"
            );
        }
        // Unknown formats are annotations.
        assert!(check(json!({"format": "int64"}), json!(1.5)).is_empty());
    }

    #[test]
    fn datetime_formats_are_real_instants() {
        let schema = json!({"type": "string", "x-datetime-format": "%Y-%m-%d %H:%M:%S"});
        assert!(check(schema.clone(), json!("2024-02-29 23:59:59")).is_empty());
        let errors = check(schema, json!("2023-02-29 00:00:00"));
        assert_eq!(errors[0].keyword, "x-datetime-format");
        assert!(
            errors[0].message.contains("%Y-%m-%d"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn combinators() {
        let schema = json!({"oneOf": [{"type": "integer"}, {"type": "number"}]});
        assert_eq!(check(schema.clone(), json!(1))[0].keyword, "oneOf");
        assert!(check(schema, json!(1.5)).is_empty());
        let schema =
            json!({"anyOf": [{"maxLength": 1}, {"pattern": "^a"}], "not": {"const": "ab"}});
        assert!(check(schema.clone(), json!("b")).is_empty());
        assert_eq!(check(schema.clone(), json!("ab"))[0].keyword, "not");
        assert_eq!(check(schema, json!("bb"))[0].keyword, "anyOf");
        assert_eq!(check(json!({"enum": [1, "a"]}), json!(1.0)), vec![]);
        assert_eq!(
            check(json!({"uniqueItems": true}), json!([1, 1.0]))[0].keyword,
            "uniqueItems"
        );
    }
}

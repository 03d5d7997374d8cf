//! The structure of OpenAPI 3.0, from the standard: every spec is validated against the OpenAPI
//! Initiative's JSON Schema of OAS 3.0 (2021-09-28), embedded, by the `jsonschema` crate. Each
//! error of the validator becomes one finding at the pointer of the value it is about, under a
//! stable rule id (`missing-field`, `unknown-key`, `wrong-type`, `bad-value`, ...). A `oneOf`
//! that no branch satisfies (a Schema or a Reference, a path or a query parameter) is reported
//! once, from its most specific branch: the Reference where the object has a `$ref`, the branch
//! its `in` or `type` names, else the one the document went deepest into.
//!
//! The same validation says where the document's objects are (which values are Schemas, Media
//! Types, Parameters, References and what each Reference stands for): the checks that need
//! them read [`Sites`] instead of walking the document by an object model of their own.

use super::words::a;
use super::{child, last_segment, refs, Found, Report, MAX_DEPTH};
use jsonschema::error::ValidationErrorKind;
use jsonschema::{OutputUnit, ValidationError, Validator};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// The OpenAPI Initiative's JSON Schema of OAS 3.0 ("id":
/// `https://spec.openapis.org/oas/3.0/schema/2021-09-28`), byte for byte as the PyPI package
/// openapi-spec-validator 0.9.0 ships it (`resources/schemas/v3.0/schema.json`); see
/// `schemas/README.md` beside this crate's `src/` for its checksum and how to update it.
const OAS_3_0: &str = include_str!("../../schemas/oas-3.0-2021-09-28.json");

/// The schema, parsed once, and its compiled validator.
struct Standard {
    schema: Value,
    validator: Validator,
}

/// The compiled standard, or why it did not compile (a defect of this crate, tested).
fn standard() -> Result<&'static Standard, &'static str> {
    static STANDARD: OnceLock<Result<Standard, String>> = OnceLock::new();
    STANDARD
        .get_or_init(|| {
            let schema: Value = serde_json::from_str(OAS_3_0).map_err(|e| e.to_string())?;
            let validator = jsonschema::validator_for(&schema).map_err(|e| e.to_string())?;
            Ok(Standard { schema, validator })
        })
        .as_ref()
        .map_err(String::as_str)
}

/// Where the validation met the objects later checks read, by pointer, sorted.
#[derive(Debug, Default)]
pub(crate) struct Sites {
    /// Every Schema object (not references).
    pub schemas: Vec<String>,
    /// Every Media Type object.
    pub media: Vec<String>,
    /// Every Parameter and Header object (not references).
    pub parameters: Vec<String>,
    /// Every Server object.
    pub servers: Vec<String>,
    /// Every Example object (not references).
    pub examples: Vec<String>,
    /// Every Security Requirement object.
    pub security: Vec<String>,
    /// Every Reference object, with the definition (`Schema`, `Parameter`, ...) that belongs
    /// where it stands, when the standard names one.
    pub refs: Vec<(String, Option<String>)>,
}

/// Validates `document` against the standard, reports its errors, and says where its objects
/// are.
pub(crate) fn check(document: &Value, report: &mut Report) -> Sites {
    let standard = match standard() {
        Ok(s) => s,
        Err(e) => {
            report.add(
                "",
                "bad-value",
                format!(
                    "the embedded OpenAPI 3.0 schema did not compile ({e}): structure not checked"
                ),
            );
            return Sites::default();
        }
    };
    let mut leaves = Vec::new();
    for error in standard.validator.iter_errors(document) {
        flatten(standard, document, &error, &mut leaves, 0);
    }
    // "More than one branch holds" is noise where the same value has a precise error.
    let precise: BTreeSet<String> = leaves
        .iter()
        .filter(|l| !matches!(l.kind, LeafKind::Ambiguous(_)))
        .map(|l| l.at.clone())
        .collect();
    leaves.retain(|l| !matches!(l.kind, LeafKind::Ambiguous(_)) || !precise.contains(&l.at));
    let mut found: BTreeMap<(String, &'static str), Vec<String>> = BTreeMap::new();
    for leaf in &leaves {
        for (path, rule, message) in describe(standard, document, leaf) {
            let messages = found.entry((path, rule)).or_default();
            if !messages.contains(&message) {
                messages.push(message);
            }
        }
    }
    // One finding per place and rule: several of one kind (two missing fields) read as one.
    for ((path, rule), messages) in found {
        report.0.push(Found {
            path,
            rule,
            message: messages.join("; "),
            line: None,
        });
    }
    sites(standard, document)
}

/// One error of the validator that no `oneOf` hides any more.
#[derive(Debug)]
struct Leaf {
    /// The instance's pointer.
    at: String,
    /// The canonical location of the keyword in the standard (`/definitions/Info/required`).
    keyword_at: String,
    kind: LeafKind,
}

#[derive(Debug)]
enum LeafKind {
    /// `type`.
    Type,
    /// `required`, one or more names any one of which would do.
    Required(Vec<String>),
    /// `additionalProperties: false`: the keys it did not expect.
    Additional(Vec<String>),
    /// `enum`.
    Enum,
    /// `pattern`.
    Pattern(String),
    /// `format`.
    Format(String),
    /// `not: {required: [...]}`: the keys that must not all be present.
    Not(Vec<String>),
    /// `oneOf` with more than one branch holding: said only where nothing more precise is.
    Ambiguous(String),
    /// One of these values, at the pointer of the leaf (an `in` or a `type` no branch takes).
    OneOfValues(Vec<String>),
    /// Anything else, in the validator's words.
    Other(String),
}

/// The name of the definition a `$ref` of the standard names (`#/definitions/Schema` →
/// `Schema`).
fn definition_of(reference: Option<&Value>) -> Option<&str> {
    reference?.as_str()?.strip_prefix("#/definitions/")
}

/// The segments of a JSON pointer.
fn depth_of(pointer: &str) -> usize {
    pointer.matches('/').count()
}

/// Puts the leaves of `error` into `out`, resolving every `oneOf`/`anyOf` to its most specific
/// branch.
fn flatten(
    standard: &Standard,
    document: &Value,
    error: &ValidationError<'_>,
    out: &mut Vec<Leaf>,
    depth: usize,
) {
    let at = error.instance_path().as_str().to_owned();
    let keyword_at = error.schema_path().as_str().to_owned();
    let kind = match error.kind() {
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context }
            if depth < MAX_DEPTH =>
        {
            let branches = standard.schema.pointer(&keyword_at);
            match choose(document, &at, branches, context) {
                Choice::Branch(errors) => {
                    for e in errors {
                        flatten(standard, document, e, out, depth + 1);
                    }
                    return;
                }
                Choice::AnyOf(names) => LeafKind::Required(names),
                Choice::Values(here, options) => {
                    out.push(Leaf {
                        at: here,
                        keyword_at,
                        kind: LeafKind::OneOfValues(options),
                    });
                    return;
                }
            }
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => LeafKind::Ambiguous(error.to_string()),
        ValidationErrorKind::Type { .. } => LeafKind::Type,
        ValidationErrorKind::Required { property } => LeafKind::Required(vec![property
            .as_str()
            .map_or_else(|| property.to_string(), str::to_owned)]),
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            LeafKind::Additional(unexpected.clone())
        }
        ValidationErrorKind::Enum { .. } => LeafKind::Enum,
        ValidationErrorKind::Pattern { pattern } => LeafKind::Pattern(pattern.clone()),
        ValidationErrorKind::Format { format } => LeafKind::Format(format.clone()),
        ValidationErrorKind::Not { schema } => {
            let names: Vec<String> = schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect();
            if names.is_empty() {
                LeafKind::Other(error.to_string())
            } else {
                LeafKind::Not(names)
            }
        }
        _ => LeafKind::Other(error.to_string()),
    };
    // `pattern` with `format: regex` is the project's own check (invalid-pattern), with the
    // ECMA-262 engine the library runs: reported there, not twice.
    if matches!(&kind, LeafKind::Format(f) if f == "regex") {
        return;
    }
    out.push(Leaf {
        at,
        keyword_at,
        kind,
    });
}

enum Choice<'c> {
    /// The errors of the branch that says most about what is wrong.
    Branch(&'c [ValidationError<'static>]),
    /// Every branch asks only for a field at the value itself: one of these names is missing.
    AnyOf(Vec<String>),
    /// Every branch refuses the value's `in` or `type` (at this pointer): it must be one of
    /// these.
    Values(String, Vec<String>),
}

/// Whether `errors` say the value is of another kind than the branch describes: of another
/// JSON type, or with an `in` or a `type` the branch does not take (a query parameter judged
/// as a path parameter, an apiKey scheme as an http one).
fn wrong_kind(errors: &[ValidationError<'static>], at: &str) -> bool {
    errors.iter().any(|e| {
        let here = e.instance_path().as_str();
        match e.kind() {
            ValidationErrorKind::Type { .. } => here == at,
            ValidationErrorKind::Enum { .. } => {
                here == format!("{at}/in") || here == format!("{at}/type")
            }
            _ => false,
        }
    })
}

/// The branch of a failed `oneOf`/`anyOf` (at `at`; its branches in the standard are
/// `branches`) to report.
fn choose<'c>(
    document: &Value,
    at: &str,
    branches: Option<&Value>,
    context: &'c [Vec<ValidationError<'static>>],
) -> Choice<'c> {
    let definition =
        |i: usize| definition_of(branches.and_then(|b| b.get(i)).and_then(|b| b.get("$ref")));
    let is_reference = |i: &usize| definition(*i) == Some("Reference");
    let has_ref = document
        .pointer(at)
        .and_then(Value::as_object)
        .is_some_and(|m| m.contains_key("$ref"));
    let all: Vec<usize> = (0..context.len()).collect();
    let mut candidates: Vec<usize> = all
        .iter()
        .copied()
        .filter(|i| is_reference(i) == has_ref)
        .collect();
    if candidates.is_empty() {
        candidates = all;
    }
    let fitting: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|i| !wrong_kind(&context[*i], at))
        .collect();
    if fitting.is_empty() && candidates.len() > 1 {
        if let Some(values) = discriminator_values(&candidates, context, at) {
            return values;
        }
    } else if !fitting.is_empty() {
        candidates = fitting;
    }
    let only_required_here = |errors: &[ValidationError<'static>]| {
        !errors.is_empty()
            && errors.iter().all(|e| {
                e.instance_path().as_str() == at
                    && matches!(e.kind(), ValidationErrorKind::Required { .. })
            })
    };
    if candidates.len() > 1 && candidates.iter().all(|i| only_required_here(&context[*i])) {
        let mut names = Vec::new();
        for i in &candidates {
            for e in &context[*i] {
                if let ValidationErrorKind::Required { property } = e.kind() {
                    let name = property
                        .as_str()
                        .map_or_else(|| property.to_string(), str::to_owned);
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
            }
        }
        return Choice::AnyOf(names);
    }
    // The branch the document went deepest into, then the one with the fewest errors.
    let score = |i: &usize| {
        let errors = &context[*i];
        let deepest = errors
            .iter()
            .map(|e| depth_of(e.instance_path().as_str()))
            .max()
            .unwrap_or(0);
        // A branch refused only for lacking its own field (`content`) says least.
        (
            only_required_here(errors),
            std::cmp::Reverse(deepest),
            errors.len(),
            *i,
        )
    };
    let best = candidates.iter().min_by_key(|i| score(i)).copied();
    Choice::Branch(best.and_then(|i| context.get(i)).map_or(&[], Vec::as_slice))
}

/// When every branch refuses the value for an `enum` at one child (`in`, `type`): that child
/// and every value some branch takes.
fn discriminator_values<'c>(
    candidates: &[usize],
    context: &'c [Vec<ValidationError<'static>>],
    at: &str,
) -> Option<Choice<'c>> {
    let mut here: Option<String> = None;
    let mut values: Vec<String> = Vec::new();
    for i in candidates {
        let (pointer, options) = context[*i].iter().find_map(|e| match e.kind() {
            ValidationErrorKind::Enum { options } => {
                let pointer = e.instance_path().as_str();
                let child_of_at = pointer
                    .strip_prefix(at)
                    .is_some_and(|rest| rest == "/in" || rest == "/type");
                child_of_at.then(|| (pointer.to_owned(), options.clone()))
            }
            _ => None,
        })?;
        if here.get_or_insert_with(|| pointer.clone()) != &pointer {
            return None;
        }
        for option in options.as_array().into_iter().flatten() {
            let shown = option
                .as_str()
                .map_or_else(|| option.to_string(), str::to_owned);
            if !values.contains(&shown) {
                values.push(shown);
            }
        }
    }
    Some(Choice::Values(here?, values))
}

/// The OpenAPI object a keyword of the standard belongs to (`/definitions/Info/required` →
/// "an Info object"), as the specification names it.
fn object(keyword_at: &str) -> String {
    let name = keyword_at
        .rsplit_once("/definitions/")
        .map_or("OpenAPI", |(_, rest)| rest.split('/').next().unwrap_or(""));
    let shown = match name {
        "PathItem" => "Path Item",
        "MediaType" => "Media Type",
        "RequestBody" => "Request Body",
        "ExternalDocumentation" => "External Documentation",
        "ServerVariable" => "Server Variable",
        "SecurityScheme" => "Security Scheme",
        "SecurityRequirement" => "Security Requirement",
        "APIKeySecurityScheme" => "Security Scheme (apiKey)",
        "HTTPSecurityScheme" => "Security Scheme (http)",
        "OAuth2SecurityScheme" => "Security Scheme (oauth2)",
        "OpenIdConnectSecurityScheme" => "Security Scheme (openIdConnect)",
        "OAuthFlows" => "OAuth Flows",
        "ImplicitOAuthFlow" => "OAuth Flow (implicit)",
        "PasswordOAuthFlow" => "OAuth Flow (password)",
        "ClientCredentialsFlow" => "OAuth Flow (clientCredentials)",
        "AuthorizationCodeOAuthFlow" => "OAuth Flow (authorizationCode)",
        "ParameterLocation" => "Parameter",
        "SchemaXORContent" => "Parameter or Header",
        "ExampleXORExamples" => "Media Type, Parameter or Header",
        other => other,
    };
    format!("{} object", a(shown))
}

/// The JSON type of a value, for messages.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// The types a `type` keyword allows, for messages ("a string", "a mapping or a boolean").
fn allowed_types(keyword: Option<&Value>) -> String {
    let one = |t: &str| match t {
        "object" => "a mapping",
        "array" => "a list",
        "string" => "a string",
        "boolean" => "a boolean",
        "integer" => "an integer",
        "number" => "a number",
        "null" => "null",
        _ => "another type",
    };
    match keyword {
        Some(Value::String(t)) => one(t).to_owned(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(one)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "another type".to_owned(),
    }
}

/// A value as a message shows it: strings quoted, the rest as JSON, long ones cut.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(57).collect::<String>())
    } else {
        text
    }
}

/// The findings (pointer, rule, message) of one leaf.
fn describe(
    standard: &Standard,
    document: &Value,
    leaf: &Leaf,
) -> Vec<(String, &'static str, String)> {
    let at = leaf.at.as_str();
    let value = document.pointer(at).unwrap_or(&Value::Null);
    let keyword = standard.schema.pointer(&leaf.keyword_at);
    let name = last_segment(at);
    let what = object(&leaf.keyword_at);
    let in_parameter_location = leaf.keyword_at.contains("/definitions/ParameterLocation/");
    let one = |rule: &'static str, message: String| vec![(at.to_owned(), rule, message)];
    match &leaf.kind {
        LeafKind::Type => {
            let subject = if at.is_empty() {
                "the document".to_owned()
            } else {
                format!("{name:?}")
            };
            let keyword_at = leaf
                .keyword_at
                .replace("/patternProperties/", "/properties/");
            let parent = keyword_at
                .strip_suffix("/type")
                .and_then(|p| p.rsplit_once("/properties/"))
                .map(|(owner, _)| format!(" (of {})", object(owner)))
                .unwrap_or_else(|| format!(" ({})", object(&leaf.keyword_at)));
            one(
                "wrong-type",
                format!(
                    "{subject}{parent} must be {}, not {}",
                    allowed_types(keyword),
                    type_name(value)
                ),
            )
        }
        LeafKind::Required(names) if in_parameter_location && names == &["required"] => {
            let parameter = value.get("name").and_then(Value::as_str).unwrap_or("");
            one(
                "path-parameter-not-required",
                format!("path parameter {parameter:?} needs required: true"),
            )
        }
        LeafKind::Required(names) => {
            let names: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
            one(
                "missing-field",
                format!("{what} needs {}", names.join(" or ")),
            )
        }
        LeafKind::Additional(keys) => {
            let responses = leaf.keyword_at.starts_with("/definitions/Responses/");
            let paths = leaf.keyword_at.starts_with("/definitions/Paths/");
            keys.iter()
                .map(|key| {
                    let here = child(at, key);
                    if responses {
                        (
                            here,
                            "bad-status-code",
                            format!(
                                "{key:?} is not a status: default, 1XX to 5XX, or a code 100 to 599"
                            ),
                        )
                    } else if paths {
                        (here, "bad-value", format!("path {key:?} must begin with /"))
                    } else {
                        (here, "unknown-key", unknown(&what, key))
                    }
                })
                .collect()
        }
        LeafKind::Enum if in_parameter_location && name == "required" => {
            let parameter = document
                .pointer(at.rsplit_once('/').map_or("", |(p, _)| p))
                .and_then(|p| p.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let place = at.rsplit_once('/').map_or("", |(p, _)| p).to_owned();
            vec![(
                place,
                "path-parameter-not-required",
                format!("path parameter {parameter:?} needs required: true"),
            )]
        }
        LeafKind::Enum => {
            let options: Vec<String> = keyword
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_owned))
                .collect();
            let parent = at.rsplit_once('/').map_or("", |(p, _)| p);
            let owner = object(
                leaf.keyword_at
                    .rsplit_once("/properties/")
                    .map_or("", |(o, _)| o),
            );
            let owner = if parent.is_empty() && !leaf.keyword_at.contains("/definitions/") {
                "an OpenAPI object".to_owned()
            } else {
                owner
            };
            one(
                "bad-value",
                format!(
                    "{name} {} is not one of {} (in {owner})",
                    shown(value),
                    options.join(", ")
                ),
            )
        }
        LeafKind::Pattern(_) if at == "/openapi" => one(
            "openapi-version",
            format!(
                "openapi {} is not 3.0.x (this linter reads OpenAPI 3.0.3)",
                shown(value)
            ),
        ),
        LeafKind::Pattern(pattern) => one(
            "bad-value",
            format!("{name} {} does not match {pattern}", shown(value)),
        ),
        LeafKind::Format(format) => one(
            "bad-value",
            format!("{name} {} is not a valid {format}", shown(value)),
        ),
        LeafKind::Not(names) if names.len() > 1 => {
            let last = names.last().map_or("", String::as_str);
            let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
            vec![(
                child(at, last),
                "mutually-exclusive",
                format!("{} exclude each other", quoted.join(" and ")),
            )]
        }
        LeafKind::Not(names) => {
            let key = names.first().map_or("", String::as_str);
            let why = reason(standard, &leaf.keyword_at).unwrap_or("OpenAPI forbids it here");
            vec![(
                child(at, key),
                "mutually-exclusive",
                format!("{key:?} is not allowed here: {why}"),
            )]
        }
        LeafKind::OneOfValues(options) => one(
            "bad-value",
            format!(
                "{name} {} is not one of {}",
                shown(value),
                options.join(", ")
            ),
        ),
        LeafKind::Ambiguous(message) | LeafKind::Other(message) => {
            one("bad-value", format!("{message} (in {what})"))
        }
    }
}

/// The `description` of the nearest schema around a keyword of the standard: its reason, in
/// the standard's words.
fn reason<'s>(standard: &'s Standard, keyword_at: &str) -> Option<&'s str> {
    let mut at = keyword_at;
    while let Some((parent, _)) = at.rsplit_once('/') {
        if let Some(d) = standard
            .schema
            .pointer(parent)
            .and_then(|s| s.get("description"))
            .and_then(Value::as_str)
        {
            return Some(d);
        }
        at = parent;
    }
    None
}

/// The message of a key `what` does not take.
fn unknown(what: &str, key: &str) -> String {
    let hint = if key.starts_with("x-") {
        format!("; {what} takes no extensions")
    } else if key.contains(char::is_whitespace) || key.contains(':') {
        "; a sentence split by `: ` or by a line break inside `{...}`? Quote the text".to_owned()
    } else {
        "; extensions start with x-".to_owned()
    };
    format!("{key:?} is not a field of {what}{hint}")
}

/// Where the document's objects are, by what the standard's validation applied to each value:
/// the definition (`#/definitions/Schema`, ...) evaluated at a value is its type, a value with a
/// `$ref` being a Reference. The evaluation tree is walked with a bounded stack.
fn sites(standard: &Standard, document: &Value) -> Sites {
    let evaluation = standard.validator.evaluate(document);
    let mut found: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    let mut references: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<(OutputUnit<'_>, usize)> = vec![(evaluation.root(), 0)];
    while let Some((unit, depth)) = stack.pop() {
        let at = unit.instance_location().as_str();
        let fragment = unit
            .schema_location()
            .split_once('#')
            .map_or("", |(_, f)| f);
        let has_ref = document
            .pointer(at)
            .and_then(Value::as_object)
            .map(|m| m.contains_key("$ref"));
        if let Some(definition) = fragment.strip_prefix("/definitions/") {
            let kept = [
                "Schema",
                "MediaType",
                "Parameter",
                "Header",
                "Server",
                "Example",
                "SecurityRequirement",
            ];
            match kept.iter().find(|k| **k == definition) {
                Some(kind) if has_ref == Some(false) || *kind == "SecurityRequirement" => {
                    found.entry(kind).or_default().insert(at.to_owned());
                }
                _ if definition == "Reference" && has_ref == Some(true) => {
                    references.insert(at.to_owned());
                }
                _ => {}
            }
        }
        if fragment.ends_with("/oneOf") {
            // A Reference stands where the oneOf's other definition belongs (read in the
            // standard: the evaluation keeps only the branch that held).
            let keyword = percent_encoding::percent_decode_str(fragment).decode_utf8_lossy();
            let names: Vec<&str> = standard
                .schema
                .pointer(&keyword)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|branch| definition_of(branch.get("$ref")))
                .collect();
            if names.contains(&"Reference") {
                if let Some(other) = names.iter().find(|n| **n != "Reference") {
                    expected.insert(at.to_owned(), (*other).to_owned());
                }
            }
        }
        if depth < 8 * MAX_DEPTH {
            stack.extend(unit.children().map(|c| (c, depth + 1)));
        }
    }
    let mut take = |kinds: &[&'static str]| -> Vec<String> {
        let mut out: BTreeSet<String> = BTreeSet::new();
        for kind in kinds {
            out.extend(found.remove(kind).unwrap_or_default());
        }
        out.into_iter().collect()
    };
    Sites {
        schemas: take(&["Schema"]),
        media: take(&["MediaType"]),
        parameters: take(&["Parameter", "Header"]),
        servers: take(&["Server"]),
        examples: take(&["Example"]),
        security: take(&["SecurityRequirement"]),
        refs: references
            .into_iter()
            .map(|at| {
                let kind = expected.get(&at).cloned();
                (at, kind)
            })
            .collect(),
    }
}

/// Checks every Reference object the standard found: siblings, target, kind.
pub(crate) fn check_refs(document: &Value, sites: &Sites, report: &mut Report) {
    for (at, expected) in &sites.refs {
        if let Some(Value::Object(map)) = document.pointer(at) {
            refs::check(document, map, expected.as_deref(), at, report);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_standard_compiles_and_is_the_2021_09_28_schema() {
        let standard = standard().expect("the embedded schema compiles");
        assert_eq!(
            standard.schema["id"],
            "https://spec.openapis.org/oas/3.0/schema/2021-09-28"
        );
    }

    #[test]
    fn sites_name_schemas_parameters_and_what_each_reference_stands_for() {
        let document: Value = serde_json::from_str(
            r##"{"openapi": "3.0.3", "info": {"title": "T", "version": "1"},
            "paths": {"/a/{id}": {"get": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "responses": {"200": {"description": "ok", "content": {"application/json":
                    {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/A"}}}}}}}}},
            "components": {"schemas": {"A": {"type": "string"}},
                "parameters": {"Id": {"name": "id", "in": "path", "required": true,
                    "schema": {"type": "string"}}}}}"##,
        )
        .unwrap();
        let mut report = Report::default();
        let sites = check(&document, &mut report);
        assert!(report.0.is_empty(), "{:?}", report.0);
        assert_eq!(
            sites.schemas,
            [
                "/components/parameters/Id/schema",
                "/components/schemas/A",
                "/paths/~1a~1{id}/get/responses/200/content/application~1json/schema",
            ]
        );
        assert_eq!(sites.parameters, ["/components/parameters/Id"]);
        assert_eq!(
            sites.media,
            ["/paths/~1a~1{id}/get/responses/200/content/application~1json"]
        );
        assert_eq!(
            sites.refs,
            [
                (
                    "/paths/~1a~1{id}/get/parameters/0".to_owned(),
                    Some("Parameter".to_owned())
                ),
                (
                    "/paths/~1a~1{id}/get/responses/200/content/application~1json/schema/items"
                        .to_owned(),
                    Some("Schema".to_owned())
                ),
            ]
        );
    }
}

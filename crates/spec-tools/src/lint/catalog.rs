//! The catalogue of rules: every stable rule id the linter reports, with what it checks, and
//! the severity of its findings.

use crate::report::{Rule, Severity};

/// Every rule the linter knows, by stable id, with what it checks.
///
/// ```
/// use threatbind_spec_tools::lint::RULES;
/// assert!(RULES.iter().any(|(id, _)| *id == "unknown-key"));
/// ```
pub const RULES: &[(&str, &str)] = &[
    // OpenAPI 3.0.3: the structure from the OpenAPI Initiative's JSON Schema of OAS 3.0
    // (missing-field, unknown-key, wrong-type, bad-value, openapi-version, mutually-exclusive,
    // bad-status-code, path-parameter-not-required), the rest from the specification's prose.
    ("parse-error", "the text is not valid YAML or JSON"),
    (
        "duplicate-key",
        "a key appears twice in one mapping (the parser keeps the last)",
    ),
    ("openapi-version", "`openapi` is not 3.0.x"),
    (
        "missing-field",
        "a field the OpenAPI object requires is absent",
    ),
    (
        "unknown-key",
        "a key that is not a field of its OpenAPI object and not an `x-` extension",
    ),
    ("wrong-type", "a value of the wrong JSON type"),
    (
        "bad-value",
        "a value outside what OpenAPI 3.0.3 allows (enumerations, bounds, formats)",
    ),
    (
        "mutually-exclusive",
        "two fields that exclude each other (`example`/`examples`, `schema`/`content`, ...)",
    ),
    (
        "bad-status-code",
        "a response key that is not `default`, `1XX`..`5XX` or a three-digit code",
    ),
    (
        "unresolved-ref",
        "a `$ref` that does not resolve in the document",
    ),
    (
        "ref-siblings",
        "keys beside a `$ref` (OpenAPI 3.0 ignores them)",
    ),
    (
        "ref-wrong-kind",
        "a `$ref` to the wrong components section (a parameter pointing at a schema)",
    ),
    (
        "path-parameter-not-required",
        "a path parameter without `required: true`",
    ),
    (
        "path-parameter-mismatch",
        "a `{name}` of the path without its path parameter, or the reverse",
    ),
    (
        "duplicate-parameter",
        "two parameters with the same name and location",
    ),
    ("duplicate-tag", "a tag declared twice"),
    (
        "invalid-pattern",
        "a `pattern` that is not a valid ECMA-262 regular expression",
    ),
    (
        "bad-component-name",
        "a components key outside `^[a-zA-Z0-9.\\-_]+$`",
    ),
    (
        "bad-security-requirement",
        "a security requirement naming an undeclared scheme, or scopes for a scheme without any",
    ),
    (
        "required-not-defined",
        "a `required` name missing from the schema's `properties`",
    ),
    (
        "invalid-default",
        "a schema `default` its own schema rejects",
    ),
    // The project's conventions
    ("operation-id-missing", "an operation without `operationId`"),
    (
        "operation-id-style",
        "an `operationId` that is not lowerCamelCase (`^[a-z][A-Za-z0-9]*$`)",
    ),
    ("operation-id-duplicate", "an `operationId` used twice"),
    ("missing-tag", "an operation without a tag"),
    (
        "undeclared-tag",
        "an operation tag missing from the root `tags`",
    ),
    ("missing-summary", "an operation without a summary"),
    (
        "missing-error-response",
        "an operation without a 4xx, 5xx or default response",
    ),
    (
        "missing-example",
        "a 2xx JSON response without `example` or `examples`",
    ),
    ("invalid-example", "an example its own schema rejects"),
    // The project's extensions
    ("x-rules-malformed", "an `x-rules` entry of the wrong shape"),
    (
        "x-rules-unknown-path",
        "an `x-rules` path naming no parameter or body field",
    ),
    (
        "x-rate-limit-malformed",
        "an `x-rate-limit` of the wrong shape",
    ),
    (
        "x-open-enums-malformed",
        "an `x-open-enums` entry naming no enum schema",
    ),
    (
        "x-pagination-malformed",
        "an `x-pagination` of the wrong shape",
    ),
    (
        "x-pagination-unknown-path",
        "an `x-pagination` path naming no parameter or response field",
    ),
    (
        "x-enrich-unknown-path",
        "an `x-enrich` path naming no parameter or body field, or an action without an enum",
    ),
    (
        "x-mock-unknown-path",
        "an `x-mock` request path naming no parameter or body field",
    ),
    (
        "x-assumed-malformed",
        "an `x-assumed` that is not a non-empty string",
    ),
    (
        "x-notes-malformed",
        "an `x-notes` that is not a string or a list of non-empty strings, or one out of its place",
    ),
    (
        "x-env-malformed",
        "an `x-env` that is not an environment variable name",
    ),
    (
        "x-cli-malformed",
        "an `x-cli` of the wrong shape, or two commands of one name",
    ),
    (
        "flag-not-shell-safe",
        "an `x-cli` flag name that a shell does not pass as typed (only a-z, 0-9 and `-`: \
         `--sort[column]` is a glob), or a parameter whose name derives no flag",
    ),
    (
        "x-flag-malformed",
        "an `x-unstable` or `x-handwritten` that is not a boolean",
    ),
    (
        "x-model",
        "an extension the typed model (`threatbind-model`, which the build stops on) refuses \
         and no rule above names: an unknown key, a value of the wrong shape, one out of its place",
    ),
];

/// The rules whose findings are warnings (conventions and dead text, which a spec can live
/// with); every other rule's are errors.
///
/// ```
/// use threatbind_spec_tools::lint::{severity, WARNINGS};
/// use threatbind_spec_tools::report::Severity;
/// assert!(WARNINGS.contains(&"missing-summary"));
/// assert_eq!(severity("missing-summary"), Severity::Warning);
/// assert_eq!(severity("unknown-key"), Severity::Error);
/// ```
pub const WARNINGS: &[&str] = &[
    "ref-siblings",
    "duplicate-tag",
    "operation-id-style",
    "missing-tag",
    "undeclared-tag",
    "missing-summary",
    "missing-error-response",
    "missing-example",
];

/// The severity of a rule's findings: [`Severity::Warning`] for the [`WARNINGS`],
/// [`Severity::Error`] for every other rule.
pub fn severity(id: &str) -> Severity {
    if WARNINGS.contains(&id) {
        Severity::Warning
    } else {
        Severity::Error
    }
}

/// The catalogue as report rules (SARIF's `tool.driver.rules`, JUnit's test cases).
pub fn catalogue() -> Vec<Rule> {
    RULES
        .iter()
        .map(|(id, what)| Rule {
            id: (*id).to_owned(),
            severity: severity(id),
            description: (*what).to_owned(),
        })
        .collect()
}

//! `threatbind_spec_tools::diff` (`threatbind spec diff` is tested with the CLI): one test per rule, each on a pair of
//! small specs (a base spec and a copy with one edit), then the real specs.

#[path = "diff/base.rs"]
mod base;

use base::{edited, BASE};
use serde_json::{json, Value};
use threatbind_spec_tools::diff::{diff, load, Change};

const GET: &str = "GET /events/{id} (getEvent)";
const SEARCH: &str = "POST /search (search)";

fn parse(file: &str, text: &str) -> Value {
    load(file, text).unwrap_or_else(|e| panic!("{e}"))
}

/// The changes from `BASE` to `BASE` with `edits`.
fn changes(edits: &[(&str, &str)]) -> Vec<Change> {
    diff(&parse("old.yaml", BASE), &parse("new.yaml", &edited(edits)))
}

/// The one change of `kind` (there must be exactly one).
fn only<'c>(changes: &'c [Change], kind: &str) -> &'c Change {
    let found: Vec<&Change> = changes.iter().filter(|c| c.kind == kind).collect();
    assert_eq!(found.len(), 1, "one {kind} expected in {changes:#?}");
    found[0]
}

/// Asserts the edit gives exactly one change, of `kind`, at `location`, `breaking` or not.
fn assert_one(edits: &[(&str, &str)], kind: &str, location: &str, breaking: bool) -> Change {
    let all = changes(edits);
    assert_eq!(all.len(), 1, "{all:#?}");
    let change = only(&all, kind);
    assert_eq!(change.location, location, "{change:#?}");
    assert_eq!(change.breaking, breaking, "{change:#?}");
    change.clone()
}

// --- operations and paths -------------------------------------------------------------------

#[test]
fn identical_specs_have_no_changes() {
    assert_eq!(changes(&[]), vec![]);
}

#[test]
fn removed_operation_is_breaking() {
    // POST /search becomes PUT /search: the POST is gone, the PUT is new.
    let all = changes(&[(
        "    post:\n      operationId: search",
        "    put:\n      operationId: search",
    )]);
    assert_eq!(all.len(), 2, "{all:#?}");
    let removed = only(&all, "operation-removed");
    assert_eq!(
        (removed.location.as_str(), removed.breaking),
        (SEARCH, true)
    );
    assert_eq!(removed.pointer, "/paths/~1search/post");
    assert_eq!(
        removed.detail,
        "removed (operationId search is now PUT /search)"
    );
    let added = only(&all, "operation-added");
    assert_eq!(
        (added.location.as_str(), added.breaking),
        ("PUT /search (search)", false)
    );
}

#[test]
fn new_operation_is_not_breaking() {
    let c = assert_one(
        &[("components:\n", "  /health:\n    get:\n      operationId: health\n      responses: {\"200\": {description: ok}}\ncomponents:\n")],
        "operation-added",
        "GET /health (health)",
        false,
    );
    assert_eq!(c.pointer, "/paths/~1health/get");
}

#[test]
fn changed_operation_id_is_breaking() {
    let c = assert_one(
        &[("operationId: getEvent", "operationId: fetchEvent")],
        "operation-id-changed",
        "GET /events/{id} (fetchEvent)",
        true,
    );
    assert_eq!(
        c.detail,
        "operationId getEvent → fetchEvent (the generated method is renamed)"
    );
}

#[test]
fn path_parameter_names_are_normalised_and_a_rename_is_reported() {
    let all = changes(&[
        ("/events/{id}:", "/events/{eventId}:"),
        ("{name: id, in: path", "{name: eventId, in: path"),
    ]);
    assert!(
        all.iter().all(|c| !c.kind.starts_with("operation-")),
        "{all:#?}"
    );
    let c = only(&all, "path-parameter-renamed");
    assert_eq!(
        c.location,
        "GET /events/{eventId} (getEvent): path parameter eventId"
    );
    assert!(c.breaking);
    assert_eq!(all.len(), 1, "{all:#?}");
}

#[test]
fn deprecating_an_operation_is_not_breaking() {
    assert_one(
        &[(
            "      summary: Get an event",
            "      deprecated: true\n      summary: Get an event",
        )],
        "operation-deprecated",
        GET,
        false,
    );
}

#[test]
fn descriptions_summaries_and_notes_are_information_and_examples_are_not_compared() {
    let change = |kind: &str, location: &str, pointer: &str, detail: &str| Change {
        kind: kind.into(),
        location: location.into(),
        pointer: pointer.into(),
        breaking: false,
        detail: detail.into(),
    };
    assert_eq!(
        changes(&[
            ("summary: Get an event", "summary: Fetch one event"),
            (
                "description: Returns one event.",
                "description: Returns the event."
            ),
            ("example: {id: \"1\"}", "example: {id: \"2\"}"),
            ("description: page size", "description: events per page"),
            (
                "variables:\n      site: {default",
                "variables:\n      site: {x-notes: the docs list a gov site the page denies, default",
            ),
        ]),
        vec![
            change(
                "operation-description-changed",
                GET,
                "/paths/~1events~1{id}/get/description",
                "changed"
            ),
            change(
                "operation-summary-changed",
                GET,
                "/paths/~1events~1{id}/get/summary",
                "changed"
            ),
            change(
                "parameter-description-changed",
                "GET /events/{id} (getEvent): query parameter size",
                "/paths/~1events~1{id}/get/parameters/1/description",
                "changed"
            ),
            change(
                "server-variable-notes-changed",
                "servers/0/variables/site",
                "/servers/0/variables/site/x-notes",
                "added"
            ),
        ]
    );
    // They are information, never breaking nor a failure of --fail-on breaking.
    use threatbind_spec_tools::diff::severity;
    use threatbind_spec_tools::report::Severity;
    let all = changes(&[("summary: Get an event", "summary: Fetch one event")]);
    assert_eq!(severity(&all[0]), Severity::Info);
}

// --- parameters -----------------------------------------------------------------------------

#[test]
fn removed_parameter_is_breaking() {
    let c = assert_one(
        &[(
            "        - {name: X-Trace, in: header, schema: {type: string}}\n",
            "",
        )],
        "parameter-removed",
        &format!("{GET}: header parameter X-Trace"),
        true,
    );
    assert_eq!(c.pointer, "/paths/~1events~1{id}/get/parameters/2");
}

#[test]
fn removed_referenced_parameter_is_breaking() {
    let c = assert_one(
        &[("        - {$ref: \"#/components/parameters/Sort\"}\n", "")],
        "parameter-removed",
        &format!("{GET}: query parameter sort"),
        true,
    );
    assert_eq!(c.pointer, "/components/parameters/Sort");
}

#[test]
fn new_optional_parameter_is_not_breaking() {
    assert_one(
        &[(
            "        - {name: X-Trace",
            "        - {name: fields, in: query, schema: {type: string}}\n        - {name: X-Trace",
        )],
        "parameter-added",
        &format!("{GET}: query parameter fields"),
        false,
    );
}

#[test]
fn new_required_parameter_is_breaking() {
    assert_one(
        &[("        - {name: X-Trace", "        - {name: tenant, in: query, required: true, schema: {type: string}}\n        - {name: X-Trace")],
        "parameter-added-required",
        &format!("{GET}: query parameter tenant"),
        true,
    );
}

#[test]
fn parameter_that_became_required_is_breaking_and_the_reverse_is_not() {
    assert_one(
        &[(
            "{name: X-Trace, in: header,",
            "{name: X-Trace, in: header, required: true,",
        )],
        "parameter-became-required",
        &format!("{GET}: header parameter X-Trace"),
        true,
    );
    let all = diff(
        &parse(
            "new.yaml",
            &edited(&[(
                "{name: X-Trace, in: header,",
                "{name: X-Trace, in: header, required: true,",
            )]),
        ),
        &parse("old.yaml", BASE),
    );
    assert_eq!(all.len(), 1);
    assert!(!only(&all, "parameter-became-optional").breaking);
}

#[test]
fn header_names_match_in_any_case_and_path_item_parameters_count() {
    // `size` moves from the operation to its path item, and the header's case changes.
    let size = "- {name: size, in: query, description: page size, schema: {type: integer, format: int64, minimum: 1, maximum: 500, default: 100}}\n";
    let all = changes(&[
        (&format!("        {size}"), ""),
        (
            "  /events/{id}:\n    get:\n",
            &format!("  /events/{{id}}:\n    parameters:\n      {size}    get:\n"),
        ),
        ("{name: X-Trace, in: header", "{name: x-trace, in: header"),
    ]);
    assert_eq!(all, vec![]);
}

#[test]
fn changed_serialisation_style_is_breaking() {
    assert_one(
        &[(
            "{name: sort, in: query,",
            "{name: sort, in: query, style: spaceDelimited,",
        )],
        "parameter-style-changed",
        &format!("{GET}: query parameter sort"),
        true,
    );
}

// --- ranges, lengths, patterns, types (request side) ----------------------------------------

#[test]
fn lowered_maximum_of_a_parameter_is_breaking() {
    let c = assert_one(
        &[("maximum: 500", "maximum: 100")],
        "request-maximum-lowered",
        &format!("{GET}: query parameter size"),
        true,
    );
    assert_eq!(c.detail, "maximum 500 → 100");
    assert_eq!(
        c.pointer,
        "/paths/~1events~1{id}/get/parameters/1/schema/maximum"
    );
}

#[test]
fn raised_maximum_of_a_parameter_is_not_breaking() {
    assert_one(
        &[("maximum: 500", "maximum: 1000")],
        "request-maximum-raised",
        &format!("{GET}: query parameter size"),
        false,
    );
}

#[test]
fn raised_minimum_in_a_request_body_is_breaking() {
    let c = assert_one(
        &[(
            "{type: integer, minimum: 1, maximum: 100",
            "{type: integer, minimum: 5, maximum: 100",
        )],
        "request-minimum-raised",
        &format!("{SEARCH}: request body field limit"),
        true,
    );
    assert_eq!(
        c.pointer,
        "/components/schemas/Query/properties/limit/minimum"
    );
}

#[test]
fn exclusive_bound_is_breaking_on_requests() {
    assert_one(
        &[("exclusiveMaximum: false", "exclusiveMaximum: true")],
        "request-exclusive-maximum-added",
        &format!("{SEARCH}: request body field limit"),
        true,
    );
}

#[test]
fn lowered_max_length_is_breaking_and_a_raised_one_is_not() {
    assert_one(
        &[("maxLength: 200", "maxLength: 50")],
        "request-max-length-lowered",
        &format!("{SEARCH}: request body field text"),
        true,
    );
    assert_one(
        &[("maxLength: 200", "maxLength: 500")],
        "request-max-length-raised",
        &format!("{SEARCH}: request body field text"),
        false,
    );
}

#[test]
fn raised_min_length_is_breaking() {
    assert_one(
        &[(
            "minLength: 1, maxLength: 200",
            "minLength: 3, maxLength: 200",
        )],
        "request-min-length-raised",
        &format!("{SEARCH}: request body field text"),
        true,
    );
}

#[test]
fn lowered_max_items_is_breaking() {
    assert_one(
        &[("maxItems: 50", "maxItems: 20")],
        "request-max-items-lowered",
        &format!("{SEARCH}: request body field ids"),
        true,
    );
}

#[test]
fn changed_pattern_is_breaking() {
    let c = assert_one(
        &[("pattern: \"^[a-z]+$\"", "pattern: \"^[a-z0-9]+$\"")],
        "request-pattern-changed",
        &format!("{SEARCH}: request body field text"),
        true,
    );
    assert_eq!(c.detail, "pattern ^[a-z]+$ → ^[a-z0-9]+$");
}

#[test]
fn changed_type_or_format_is_breaking() {
    assert_one(
        &[(
            "{name: X-Trace, in: header, schema: {type: string}}",
            "{name: X-Trace, in: header, schema: {type: integer}}",
        )],
        "request-type-changed",
        &format!("{GET}: header parameter X-Trace"),
        true,
    );
    assert_one(
        &[("format: int64, minimum: 1", "format: int32, minimum: 1")],
        "request-format-changed",
        &format!("{GET}: query parameter size"),
        true,
    );
}

#[test]
fn changed_default_is_reported_but_not_breaking() {
    assert_one(
        &[("default: 100", "default: 50")],
        "request-default-changed",
        &format!("{GET}: query parameter size"),
        false,
    );
}

#[test]
fn forbidding_unknown_fields_is_breaking() {
    let all = diff(
        &parse(
            "new.yaml",
            &edited(&[("      additionalProperties: false\n", "")]),
        ),
        &parse("old.yaml", BASE),
    );
    let c = only(&all, "request-additional-properties-forbidden");
    assert!(c.breaking);
    assert_eq!(c.location, format!("{SEARCH}: request body"));
}

// --- request bodies ---------------------------------------------------------------------------

#[test]
fn request_field_that_became_required_through_refs_is_breaking() {
    let c = assert_one(
        &[("      required: [text]\n", "      required: [text, kind]\n")],
        "request-field-became-required",
        &format!("{SEARCH}: request body field kind"),
        true,
    );
    assert_eq!(c.pointer, "/components/schemas/Query/required");
}

#[test]
fn new_required_request_field_is_breaking_and_an_optional_one_is_not() {
    assert_one(
        &[
            (
                "      required: [text]\n",
                "      required: [text, tenant]\n",
            ),
            (
                "        filter: {$ref",
                "        tenant: {type: string}\n        filter: {$ref",
            ),
        ],
        "request-required-field-added",
        &format!("{SEARCH}: request body field tenant"),
        true,
    );
    assert_one(
        &[(
            "        filter: {$ref",
            "        tenant: {type: string}\n        filter: {$ref",
        )],
        "request-field-added",
        &format!("{SEARCH}: request body field tenant"),
        false,
    );
}

#[test]
fn removed_request_field_is_breaking() {
    assert_one(
        &[("        kind: {type: string, enum: [ip, domain]}\n", "")],
        "request-field-removed",
        &format!("{SEARCH}: request body field kind"),
        true,
    );
}

#[test]
fn request_enum_value_removed_is_breaking_and_one_added_is_not() {
    let c = assert_one(
        &[("enum: [ip, domain]", "enum: [ip]")],
        "request-enum-value-removed",
        &format!("{SEARCH}: request body field kind"),
        true,
    );
    assert_eq!(c.detail, "enum value domain removed");
    assert_eq!(
        c.pointer,
        "/components/schemas/Query/properties/kind/enum/1"
    );
    assert_one(
        &[("enum: [ip, domain]", "enum: [ip, domain, url]")],
        "request-enum-value-added",
        &format!("{SEARCH}: request body field kind"),
        false,
    );
    assert_one(
        &[("enum: [asc, desc]", "enum: [asc]")],
        "request-enum-value-removed",
        &format!("{GET}: query parameter sort"),
        true,
    );
}

#[test]
fn change_inside_a_recursive_schema_is_found_and_the_walk_ends() {
    let c = assert_one(
        &[(
            "        field: {type: string}\n",
            "        field: {type: string, maxLength: 10}\n",
        )],
        "request-max-length-added",
        &format!("{SEARCH}: request body field filter.field"),
        true,
    );
    assert_eq!(
        c.pointer,
        "/components/schemas/Filter/properties/field/maxLength"
    );
}

#[test]
fn request_body_that_became_required_is_breaking() {
    let all = diff(
        &parse(
            "new.yaml",
            &edited(&[("    Search:\n      required: true\n", "    Search:\n")]),
        ),
        &parse("old.yaml", BASE),
    );
    assert_eq!(all.len(), 1, "{all:#?}");
    let c = only(&all, "request-body-became-required");
    assert!(c.breaking);
    assert_eq!(c.location, format!("{SEARCH}: request body"));
}

#[test]
fn removed_request_media_type_is_breaking() {
    let all = changes(&[(
        "    Search:\n      required: true\n      content:\n        application/json:",
        "    Search:\n      required: true\n      content:\n        application/xml:",
    )]);
    assert_eq!(all.len(), 2, "{all:#?}");
    let removed = only(&all, "request-media-type-removed");
    assert_eq!(removed.location, format!("{SEARCH}: request body"));
    assert!(removed.breaking);
    assert_eq!(
        removed.pointer,
        "/components/requestBodies/Search/content/application~1json"
    );
    let added = only(&all, "request-media-type-added");
    assert_eq!(
        added.location,
        format!("{SEARCH}: request body (application/xml)")
    );
    assert!(!added.breaking);
}

#[test]
fn nullable_request_field_is_not_breaking() {
    assert_one(
        &[(
            "kind: {type: string, enum",
            "kind: {type: string, nullable: true, enum",
        )],
        "request-became-nullable",
        &format!("{SEARCH}: request body field kind"),
        false,
    );
}

// --- responses ------------------------------------------------------------------------------

#[test]
fn removed_response_field_is_breaking_on_every_operation_using_it() {
    let all = changes(&[(
        "        score: {type: number, minimum: 0, maximum: 100}\n",
        "",
    )]);
    let locations: Vec<(&str, &str, bool)> = all
        .iter()
        .map(|c| (c.kind.as_str(), c.location.as_str(), c.breaking))
        .collect();
    assert_eq!(
        locations,
        vec![
            (
                "response-field-removed",
                "GET /events/{id} (getEvent): response 200 body field score",
                true
            ),
            (
                "response-field-removed",
                "POST /search (search): response 200 body field data[].score",
                true
            ),
        ]
    );
    assert_eq!(all[0].pointer, "/components/schemas/Event/properties/score");
}

#[test]
fn new_response_field_is_not_breaking() {
    let all = changes(&[(
        "        id: {type: string}\n        name:",
        "        id: {type: string}\n        source: {type: string}\n        name:",
    )]);
    assert_eq!(all.len(), 2);
    assert!(
        all.iter()
            .all(|c| c.kind == "response-field-added" && !c.breaking),
        "{all:#?}"
    );
}

#[test]
fn new_value_of_a_closed_response_enum_is_breaking() {
    let all = changes(&[("enum: [LOW, HIGH]", "enum: [LOW, HIGH, CRITICAL]")]);
    let c = &all[0];
    assert_eq!(
        (c.kind.as_str(), c.breaking),
        ("response-enum-value-added", true)
    );
    assert_eq!(c.location, format!("{GET}: response 200 body field level"));
    assert_eq!(c.pointer, "/components/schemas/Level/enum/2");
}

#[test]
fn new_value_of_an_open_response_enum_is_not_breaking() {
    let all = changes(&[("enum: [OPEN, CLOSED]", "enum: [OPEN, CLOSED, SNOOZED]")]);
    assert_eq!(all.len(), 2);
    assert!(
        all.iter()
            .all(|c| c.kind == "response-enum-value-added" && !c.breaking),
        "{all:#?}"
    );
    assert_eq!(
        all[0].location,
        format!("{GET}: response 200 body field status")
    );
}

#[test]
fn removed_response_enum_value_is_breaking_even_when_open() {
    let all = changes(&[("enum: [OPEN, CLOSED]", "enum: [OPEN]")]);
    assert!(
        all.iter()
            .all(|c| c.kind == "response-enum-value-removed" && c.breaking),
        "{all:#?}"
    );
}

#[test]
fn response_field_that_became_nullable_is_breaking() {
    let all = changes(&[(
        "        name: {type: string, maxLength: 100}",
        "        name: {type: string, maxLength: 100, nullable: true}",
    )]);
    let c = &all[0];
    assert_eq!(
        (c.kind.as_str(), c.breaking),
        ("response-became-nullable", true)
    );
    assert_eq!(c.location, format!("{GET}: response 200 body field name"));
}

#[test]
fn response_field_that_became_optional_is_breaking() {
    let all = changes(&[("      required: [id, name]", "      required: [id]")]);
    let c = &all[0];
    assert_eq!(
        (c.kind.as_str(), c.breaking),
        ("response-field-became-optional", true)
    );
    assert_eq!(c.location, format!("{GET}: response 200 body field name"));
}

#[test]
fn response_field_that_was_nullable_and_became_required_is_breaking() {
    let all = changes(&[
        (
            "      required: [id, name]",
            "      required: [id, name, note]",
        ),
        (
            "note: {type: string, nullable: true}",
            "note: {type: string}",
        ),
    ]);
    let kinds: Vec<(&str, bool)> = all
        .iter()
        .take(2)
        .map(|c| (c.kind.as_str(), c.breaking))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("response-field-became-required", true),
            ("response-became-non-nullable", true)
        ]
    );
    assert_eq!(
        all[0].location,
        format!("{GET}: response 200 body field note")
    );
}

#[test]
fn widened_response_range_is_breaking_and_a_narrowed_one_is_not() {
    let all = changes(&[(
        "{type: number, minimum: 0, maximum: 100}",
        "{type: number, minimum: 0, maximum: 1000}",
    )]);
    assert!(
        all.iter()
            .all(|c| c.kind == "response-maximum-raised" && c.breaking),
        "{all:#?}"
    );
    let all = changes(&[(
        "{type: string, maxLength: 100}",
        "{type: string, maxLength: 50}",
    )]);
    assert!(
        all.iter()
            .all(|c| c.kind == "response-max-length-lowered" && !c.breaking),
        "{all:#?}"
    );
}

#[test]
fn response_type_change_inside_an_array_is_breaking() {
    let all = changes(&[(
        "tags: {type: array, maxItems: 10, items: {type: string}}",
        "tags: {type: array, maxItems: 10, items: {type: integer}}",
    )]);
    assert_eq!(all.len(), 2);
    assert!(all
        .iter()
        .all(|c| c.kind == "response-type-changed" && c.breaking));
    assert_eq!(
        all[0].location,
        format!("{GET}: response 200 body field tags[]")
    );
    assert_eq!(
        all[1].location,
        format!("{SEARCH}: response 200 body field data[].tags[]")
    );
    assert_eq!(all[0].detail, "type string → integer");
}

#[test]
fn removed_response_status_is_breaking_and_a_new_one_is_not() {
    let c = assert_one(
        &[(
            "        \"404\": {$ref: \"#/components/responses/NotFound\"}\n",
            "",
        )],
        "response-status-removed",
        &format!("{GET}: response 404"),
        true,
    );
    assert_eq!(c.pointer, "/components/responses/NotFound");
    assert_one(
        &[(
            "        \"404\": {$ref",
            "        \"429\": {description: slow down}\n        \"404\": {$ref",
        )],
        "response-status-added",
        &format!("{GET}: response 429"),
        false,
    );
}

#[test]
fn renamed_field_of_a_referenced_error_response_is_breaking() {
    let all = changes(&[(
        "        message: {type: string}\n",
        "        text: {type: string}\n",
    )]);
    assert_eq!(all.len(), 2, "{all:#?}");
    let removed = only(&all, "response-field-removed");
    assert_eq!(
        removed.location,
        format!("{GET}: response 404 body field message")
    );
    assert!(removed.breaking);
    assert_eq!(
        removed.pointer,
        "/components/schemas/Error/properties/message"
    );
    assert!(!only(&all, "response-field-added").breaking);
}

#[test]
fn removed_response_header_is_breaking_and_a_new_one_is_not() {
    let c = assert_one(&[("          headers:\n            X-Rate-Limit: {$ref: \"#/components/headers/RateLimit\"}\n", "")], "response-header-removed", &format!("{GET}: response 200 header X-Rate-Limit"), true);
    assert_eq!(c.pointer, "/components/headers/RateLimit");
    assert_one(
        &[(
            "            X-Rate-Limit: {$ref",
            "            Retry-After: {schema: {type: integer}}\n            X-Rate-Limit: {$ref",
        )],
        "response-header-added",
        &format!("{GET}: response 200 header Retry-After"),
        false,
    );
}

#[test]
fn response_header_that_became_optional_or_changed_type_is_breaking() {
    assert_one(
        &[("RateLimit: {required: true,", "RateLimit: {")],
        "response-header-became-optional",
        &format!("{GET}: response 200 header X-Rate-Limit"),
        true,
    );
    assert_one(
        &[(
            "requests per minute, schema: {type: integer}",
            "requests per minute, schema: {type: string}",
        )],
        "response-type-changed",
        &format!("{GET}: response 200 header X-Rate-Limit"),
        true,
    );
}

// --- servers and security -------------------------------------------------------------------

#[test]
fn server_variable_losing_a_site_is_breaking_and_gaining_one_is_not() {
    let c = assert_one(
        &[("enum: [example.com, example.eu]", "enum: [example.com]")],
        "server-variable-value-removed",
        "servers: https://api.{site} variable site",
        true,
    );
    assert_eq!(c.detail, "value example.eu removed");
    assert_eq!(c.pointer, "/servers/0/variables/site/enum/1");
    assert_one(
        &[(
            "enum: [example.com, example.eu]",
            "enum: [example.com, example.eu, example.jp]",
        )],
        "server-variable-value-added",
        "servers: https://api.{site} variable site",
        false,
    );
}

#[test]
fn changed_default_site_is_breaking() {
    assert_one(
        &[("default: example.com, enum", "default: example.eu, enum")],
        "server-variable-default-changed",
        "servers: https://api.{site} variable site",
        true,
    );
}

const REGIONS: &str = r#"
openapi: 3.0.3
info: {title: Regions, version: "1"}
servers:
  - {url: "https://us.example.com/api", x-region: us}
  - {url: "https://eu.example.com/api", x-region: eu}
paths: {}
"#;

#[test]
fn region_removed_is_breaking_and_region_added_is_not() {
    let two = parse("two.yaml", REGIONS);
    let one = parse(
        "one.yaml",
        &REGIONS.replace(
            "  - {url: \"https://eu.example.com/api\", x-region: eu}\n",
            "",
        ),
    );
    let removed = diff(&two, &one);
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].kind, "server-removed");
    assert_eq!(
        removed[0].location,
        "servers: https://eu.example.com/api (region eu)"
    );
    assert!(removed[0].breaking);
    let added = diff(&one, &two);
    assert_eq!(
        (added[0].kind.as_str(), added[0].breaking),
        ("server-added", false)
    );
    // The host of a region moved: the region is still there.
    let moved = parse(
        "moved.yaml",
        &REGIONS.replace("eu.example.com", "example.eu"),
    );
    let c = diff(&two, &moved);
    assert_eq!(
        (c[0].kind.as_str(), c[0].breaking, c.len()),
        ("server-url-changed", false, 1)
    );
}

#[test]
fn removed_security_scheme_is_breaking() {
    let all = changes(&[
        (
            "    apiKey: {type: apiKey, in: header, name: X-Api-Key}\n",
            "    token: {type: http, scheme: bearer}\n",
        ),
        ("  - apiKey: []", "  - token: []"),
    ]);
    let removed = only(&all, "security-scheme-removed");
    assert_eq!(
        (removed.location.as_str(), removed.breaking),
        ("security: scheme apiKey", true)
    );
    assert!(only(&all, "security-requirement-removed").breaking);
    assert!(!only(&all, "security-requirement-added").breaking);
}

#[test]
fn changed_auth_header_is_breaking() {
    let c = assert_one(
        &[("name: X-Api-Key}", "name: X-Key}")],
        "security-scheme-changed",
        "security: scheme apiKey",
        true,
    );
    assert_eq!(c.detail, "name X-Api-Key → X-Key");
}

#[test]
fn security_on_an_open_operation_is_breaking() {
    let open = edited(&[(
        "      operationId: search\n",
        "      operationId: search\n      security: []\n",
    )]);
    let all = diff(&parse("old.yaml", &open), &parse("new.yaml", BASE));
    let c = only(&all, "security-added");
    assert_eq!(
        (c.location.as_str(), c.breaking),
        ("POST /search (search): security", true)
    );
    let all = diff(&parse("new.yaml", BASE), &parse("old.yaml", &open));
    assert!(!only(&all, "security-dropped").breaking);
}

#[test]
fn new_scope_on_an_alternative_is_breaking() {
    let c = assert_one(
        &[("  - apiKey: []", "  - apiKey: [events.read]")],
        "security-scope-added",
        "security",
        true,
    );
    assert_eq!(c.detail, "apiKey needs scope events.read");
}

#[test]
fn extensions_are_not_statuses_or_paths() {
    assert_eq!(
        changes(&[
            (
                "        \"404\": {$ref",
                "        x-note: {description: not a status}\n        \"404\": {$ref"
            ),
            (
                "paths:\n",
                "paths:\n  x-generated: {get: {operationId: nope}}\n"
            ),
        ]),
        vec![]
    );
}

const ONE_OF: &str = r##"
openapi: 3.0.3
info: {title: Shapes, version: "1"}
paths:
  /shape:
    get:
      operationId: getShape
      responses:
        "200":
          description: A shape.
          content:
            application/json:
              schema:
                oneOf:
                  - {$ref: "#/components/schemas/Circle"}
                  - {$ref: "#/components/schemas/Square"}
components:
  schemas:
    Circle: {type: object, properties: {radius: {type: number}}}
    Square: {type: object, properties: {side: {type: number}}}
"##;

#[test]
fn new_one_of_member_in_a_response_is_breaking_and_a_changed_member_is_followed() {
    let old = parse("old.yaml", ONE_OF);
    let added = ONE_OF.replace(
        "                  - {$ref: \"#/components/schemas/Square\"}\n",
        "                  - {$ref: \"#/components/schemas/Square\"}\n                  - {type: string}\n",
    );
    let all = diff(&old, &parse("new.yaml", &added));
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(
        (
            all[0].kind.as_str(),
            all[0].location.as_str(),
            all[0].breaking
        ),
        (
            "response-one-of-member-added",
            "GET /shape (getShape): response 200 body<oneOf #2>",
            true
        )
    );
    let renamed = ONE_OF.replace("properties: {side:", "properties: {length:");
    let all = diff(&old, &parse("new.yaml", &renamed));
    let removed = only(&all, "response-field-removed");
    assert_eq!(
        removed.location,
        "GET /shape (getShape): response 200 body<oneOf Square> field side"
    );
}

#[test]
fn removed_response_media_type_is_breaking() {
    let all = changes(&[(
        "          content:\n            application/json:\n              schema: {$ref: \"#/components/schemas/Event\"}",
        "          content:\n            text/csv:\n              schema: {$ref: \"#/components/schemas/Event\"}",
    )]);
    let c = only(&all, "response-media-type-removed");
    assert_eq!(
        (c.location.as_str(), c.breaking),
        ("GET /events/{id} (getEvent): response 200 body", true)
    );
    assert!(!only(&all, "response-media-type-added").breaking);
}

// --- x-open-enums, limits, loading ----------------------------------------------------------

#[test]
fn closing_an_open_enum_is_breaking_and_opening_one_is_not() {
    assert_one(
        &[("x-open-enums: [Status]", "x-open-enums: [Status, Level]")],
        "enum-opened",
        "components: schema Level",
        false,
    );
    assert_one(
        &[("x-open-enums: [Status]", "x-open-enums: []")],
        "enum-closed",
        "components: schema Status",
        true,
    );
}

#[test]
fn diff_is_deterministic() {
    let edits = [
        ("maximum: 500", "maximum: 100"),
        ("enum: [ip, domain]", "enum: [ip]"),
        ("enum: [example.com, example.eu]", "enum: [example.com]"),
    ];
    let first = changes(&edits);
    assert_eq!(first.len(), 3);
    assert_eq!(first, changes(&edits));
    assert_eq!(first[0].kind, "server-variable-value-removed");
}

#[test]
fn a_fan_out_of_refs_stops_with_one_incomplete_change() {
    // S0 has two fields referencing S1, which has two referencing S2, ...: 2^40 paths.
    let mut schemas = String::new();
    for i in 0..40 {
        schemas.push_str(&format!("    S{i}: {{type: object, properties: {{a: {{$ref: \"#/components/schemas/S{}\"}}, b: {{$ref: \"#/components/schemas/S{}\"}}}}}}\n", i + 1, i + 1));
    }
    schemas.push_str("    S40: {type: string}\n");
    let spec = format!("openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n    get:\n      operationId: a\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/S0'}}\ncomponents:\n  schemas:\n{schemas}");
    let old = parse("fan.yaml", &spec);
    // Unchanged, each pair of schemas is compared once.
    assert_eq!(diff(&old, &old), vec![]);
    // Changed at the bottom, every one of the 2^40 paths leads to a change.
    let new = parse(
        "fan.yaml",
        &spec.replace("S40: {type: string}", "S40: {type: integer}"),
    );
    let all = diff(&old, &new);
    let incomplete: Vec<&Change> = all.iter().filter(|c| c.kind == "diff-incomplete").collect();
    assert_eq!(incomplete.len(), 1, "{incomplete:#?}");
    assert!(incomplete[0].breaking);
    assert!(all
        .iter()
        .all(|c| c.kind == "diff-incomplete" || c.kind == "response-type-changed"));
}

#[test]
fn a_deep_chain_of_refs_stops_with_one_incomplete_change() {
    let mut schemas = String::new();
    for i in 0..150 {
        schemas.push_str(&format!(
            "    S{i}: {{properties: {{next: {{$ref: \"#/components/schemas/S{}\"}}}}}}\n",
            i + 1
        ));
    }
    schemas.push_str("    S150: {type: string}\n");
    let spec = format!("openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n    get:\n      operationId: a\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/S0'}}\ncomponents:\n  schemas:\n{schemas}");
    let doc = parse("deep.yaml", &spec);
    let all = diff(&doc, &doc);
    assert_eq!(
        all.iter().map(|c| c.kind.as_str()).collect::<Vec<_>>(),
        vec!["diff-incomplete"]
    );
}

#[test]
fn load_accepts_json_and_unquoted_status_codes_and_names_the_file_in_errors() {
    let json = parse(
        "a.json",
        r#"{"openapi": "3.0.0", "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}}}"#,
    );
    let yaml = parse("a.yaml", "openapi: 3.0.0\npaths:\n  /a:\n    get:\n      responses:\n        200: {description: ok}\n");
    assert_eq!(json, yaml);
    for (text, problem) in [
        ("openapi: 3.1.0\npaths: {}\n", "not 3.0.x"),
        ("swagger: '2.0'\npaths: {}\n", "no `openapi`"),
        ("openapi: 3.0.3\n", "no `paths`"),
        ("openapi: 3.0.3\npaths: []\n", "`paths` is not"),
        ("- a\n- b\n", "not a mapping"),
        ("key: [unclosed\n", "not valid YAML or JSON"),
        ("", "not a mapping"),
    ] {
        let err = load("specs/x.yaml", text).unwrap_err();
        assert!(err.starts_with("specs/x.yaml: "), "{err}");
        assert!(err.contains(problem), "{text:?}: {err}");
    }
}

#[test]
fn odd_shapes_never_panic() {
    let odd = [
        json!({"openapi": "3.0.3", "paths": {}}),
        json!({"openapi": "3.0.3", "paths": {"/a": 5, "/b/{x}": {"get": 1, "post": {"parameters": "x", "responses": [], "requestBody": 3}}}, "servers": 7, "security": {}, "components": {"securitySchemes": []}}),
        json!({"openapi": "3.0.3", "paths": {"/b/{y}": {"parameters": [1, {"in": "path"}, {"name": "y", "in": "path", "schema": 5}], "post": {"parameters": [{"$ref": "#/nowhere"}, {"$ref": "other.yaml#/x"}],
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}},
            "responses": {"200": {"headers": 4, "content": {"application/json": {"schema": {"type": ["string"], "enum": "x", "required": 5, "properties": [], "items": 3, "allOf": {}, "oneOf": [5, {"$ref": 7}], "maximum": "big", "pattern": 1}}}}}}}},
            "servers": [{"url": 5, "variables": {"v": {"enum": "x", "default": []}}}, 3],
            "security": [{"a": "x"}, 5, {}], "x-open-enums": "A",
            "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}, "securitySchemes": {"s": {"flows": {"implicit": {"scopes": []}}}}}}),
        json!({"openapi": "3.0.3", "paths": {"/b/{z}": {"post": {"requestBody": {"$ref": "#/components/requestBodies/R"},
            "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}}},
            "components": {"requestBodies": {"R": {"$ref": "#/components/requestBodies/R"}}, "schemas": {"A": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}}, "additionalProperties": {"$ref": "#/components/schemas/A"}, "allOf": [{"$ref": "#/components/schemas/A"}]}}}}),
        parse("base.yaml", BASE),
    ];
    for old in &odd {
        for new in &odd {
            let _ = diff(old, new);
        }
    }
}

// --- the real specs -------------------------------------------------------------------------

fn real_specs() -> Vec<(String, Value)> {
    let dir =
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs")).to_path_buf();
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) == Some("yaml") {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((name.clone(), parse(&name, &text)));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 3, "{out:?}");
    out
}

#[test]
fn every_real_spec_against_itself_has_no_changes() {
    for (name, spec) in real_specs() {
        assert_eq!(diff(&spec, &spec), vec![], "{name}");
    }
}

fn nameshield() -> Value {
    let path = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../specs/nameshield-cti.yaml"
    ))
    .to_path_buf();
    parse(
        "nameshield-cti.yaml",
        &std::fs::read_to_string(path).unwrap(),
    )
}

fn events_parameters(spec: &mut Value) -> &mut Vec<Value> {
    spec.pointer_mut("/paths/~1cti~1v2~1events/get/parameters")
        .and_then(Value::as_array_mut)
        .expect("listThreatEvents has parameters")
}

#[test]
fn nameshield_new_optional_query_parameter_is_not_breaking() {
    let old = nameshield();
    let mut new = old.clone();
    events_parameters(&mut new)
        .push(json!({"name": "brand", "in": "query", "schema": {"type": "string"}}));
    let all = diff(&old, &new);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0].kind, "parameter-added");
    assert_eq!(
        all[0].location,
        "GET /cti/v2/events (listThreatEvents): query parameter brand"
    );
    assert!(!all[0].breaking);
    assert_eq!(all[0].pointer, "/paths/~1cti~1v2~1events/get/parameters/8");
}

#[test]
fn nameshield_removed_size_parameter_is_breaking() {
    let old = nameshield();
    let mut new = old.clone();
    events_parameters(&mut new).retain(|p| p["name"] != "size");
    let all = diff(&old, &new);
    assert_eq!(all.len(), 1, "{all:#?}");
    let c = &all[0];
    assert_eq!(c.kind, "parameter-removed");
    assert_eq!(
        c.location,
        "GET /cti/v2/events (listThreatEvents): query parameter size"
    );
    assert_eq!(c.pointer, "/paths/~1cti~1v2~1events/get/parameters/0");
    assert!(c.breaking);
}

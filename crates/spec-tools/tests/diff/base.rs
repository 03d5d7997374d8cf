//! The base spec of the diff tests, and its edits (shared with the CLI's `spec diff` tests).
#![allow(dead_code)]

/// The base spec most tests edit: two operations, `$ref`d schemas, parameters, headers, a
/// server variable, a closed and an open enum, a recursive schema.
pub const BASE: &str = r##"
openapi: 3.0.3
info: {title: Test API, version: "1"}
servers:
  - url: https://api.{site}
    description: one site
    variables:
      site: {default: example.com, enum: [example.com, example.eu]}
security:
  - apiKey: []
x-open-enums: [Status]
paths:
  /events/{id}:
    get:
      operationId: getEvent
      summary: Get an event
      description: Returns one event.
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: size, in: query, description: page size, schema: {type: integer, format: int64, minimum: 1, maximum: 500, default: 100}}
        - {name: X-Trace, in: header, schema: {type: string}}
        - {$ref: "#/components/parameters/Sort"}
      responses:
        "200":
          description: The event.
          headers:
            X-Rate-Limit: {$ref: "#/components/headers/RateLimit"}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Event"}
              example: {id: "1"}
        "404": {$ref: "#/components/responses/NotFound"}
  /search:
    post:
      operationId: search
      requestBody: {$ref: "#/components/requestBodies/Search"}
      responses:
        "200":
          description: The events found.
          content:
            application/json:
              schema:
                type: object
                properties:
                  data: {type: array, items: {$ref: "#/components/schemas/Event"}}
components:
  securitySchemes:
    apiKey: {type: apiKey, in: header, name: X-Api-Key}
  parameters:
    Sort: {name: sort, in: query, schema: {type: string, enum: [asc, desc]}}
  headers:
    RateLimit: {required: true, description: requests per minute, schema: {type: integer}}
  responses:
    NotFound:
      description: No such event.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
  requestBodies:
    Search:
      required: true
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Query"}
  schemas:
    Error:
      type: object
      properties:
        message: {type: string}
    Event:
      type: object
      required: [id, name]
      properties:
        id: {type: string}
        name: {type: string, maxLength: 100}
        score: {type: number, minimum: 0, maximum: 100}
        note: {type: string, nullable: true}
        level: {$ref: "#/components/schemas/Level"}
        status: {$ref: "#/components/schemas/Status"}
        tags: {type: array, maxItems: 10, items: {type: string}}
    Level: {type: string, description: closed, enum: [LOW, HIGH]}
    Status: {type: string, description: open (x-open-enums), enum: [OPEN, CLOSED]}
    Query:
      type: object
      additionalProperties: false
      required: [text]
      properties:
        text: {type: string, minLength: 1, maxLength: 200, pattern: "^[a-z]+$"}
        limit: {type: integer, minimum: 1, maximum: 100, exclusiveMaximum: false}
        kind: {type: string, enum: [ip, domain]}
        ids: {type: array, minItems: 1, maxItems: 50, items: {type: string}}
        filter: {$ref: "#/components/schemas/Filter"}
    Filter:
      type: object
      properties:
        field: {type: string}
        and: {type: array, items: {$ref: "#/components/schemas/Filter"}}
"##;

/// `BASE` with each `(from, to)` replaced; each `from` must occur exactly once.
pub fn edited(edits: &[(&str, &str)]) -> String {
    let mut text = BASE.to_owned();
    for (from, to) in edits {
        assert_eq!(
            text.matches(from).count(),
            1,
            "{from:?} must occur once in BASE"
        );
        text = text.replacen(from, to, 1);
    }
    text
}

//! Operation extensions for behaviour a plain OpenAPI document cannot express: which operations
//! `threatbind enrich` looks indicators up with and how it writes the request (`x-enrich`),
//! what the mock's answer reflects of the request (`x-mock`), and the sections an answer holds
//! per indicator type (`x-sections-by-indicator-type`). specs/README.md documents each. An
//! operation opts in with a spec edit; no hand-written crate names operations.
//!
//! ```
//! let text = "openapi: 3.0.3
//! paths:
//!   /lookup:
//!     get:
//!       operationId: lookUp
//!       x-enrich: {provider: things, indicator: query.value, detected: true}
//!       x-mock:
//!         echo:
//!           - {from: query.value, to: data.value, description: The answer is about the value asked for.}
//! ";
//! let model = threatbind_model::read("specs/things.yaml", text).unwrap();
//! let op = &model.operations["lookUp"];
//! assert_eq!(op.enrich.as_ref().unwrap().indicator, "query.value");
//! assert_eq!(op.mock.as_ref().unwrap().echo[0].to, "data.value");
//!
//! // A misspelt key is refused, with the file, the line and the pointer.
//! let typo = text.replace("detected: true", "detect: true");
//! let problems = threatbind_model::read("specs/things.yaml", &typo).unwrap_err();
//! assert!(
//!     problems.to_string().starts_with("specs/things.yaml:6: /paths/~1lookup/get/x-enrich: unknown field `detect`"),
//!     "{problems}"
//! );
//! ```

use super::{pointer_child, Reader, METHODS};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// `x-enrich` on an operation: `threatbind enrich --provider <provider>` looks each indicator
/// up with this operation, writing the request as said here.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Enrich {
    /// The `--provider` value (kebab case, unique among the compiled APIs).
    pub provider: String,
    /// The request path the indicator is written at (`body.indicator`, `query.indicator`).
    pub indicator: String,
    /// The request path the detected type (`IP`, `DOMAIN`, `URL`) is written at, when the type
    /// of the indicator is detected.
    #[serde(rename = "type")]
    pub type_path: Option<String>,
    /// An indicator whose type is not detected is refused, never sent (the operation takes IP
    /// addresses, domains and URLs only).
    #[serde(default)]
    pub detected: bool,
    /// `--action`: where its value goes; the values are the `enum` of the schema there.
    pub action: Option<EnrichAction>,
    /// The provider `threatbind demo` enriches its example indicators with (one at most).
    #[serde(default)]
    pub demo: bool,
}

/// Where `--action` goes and its value when the flag is not given.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EnrichAction {
    /// The request path of the action (`body.action`).
    pub path: String,
    /// The value sent without `--action` (one of the schema's `enum`).
    pub default: Option<String>,
}

/// `x-mock` on an operation: what the mock's success answer reflects of the request, and which
/// requests it answers with a documented error instead. Each case says the sentence of the spec
/// it reproduces.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MockAnswer {
    /// Request values (or facts about them) written into the answer, in order.
    #[serde(default)]
    pub echo: Vec<Echo>,
    /// The sections of the answer, by the detected type of a request value.
    pub sections: Option<Sections>,
    /// Requests answered with the operation's documented 404.
    pub not_found: Option<NotFound>,
    /// The request values that narrow a paged list (the operation's `x-pagination` items).
    #[serde(default)]
    pub filter: Vec<Filter>,
    /// The request values that order a paged list.
    pub sort: Option<Sort>,
}

/// How a filter compares the request's value with an item.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FilterMatch {
    /// The item's value at `field` is the request's value (or, for a list, holds it).
    #[default]
    Equals,
    /// The request's text is search terms separated by spaces, all of which an item meets:
    /// `field:value` as `equals` does on that field (a dotted path of the item), a bare term
    /// by any text of the item containing it (case ignored).
    Search,
}

/// One filter of a paged list: the items the answer keeps for the request's value at `from`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// The request path of the value (`query.triage_state`).
    pub from: String,
    /// The item's field compared (a dotted path in the item); `equals` needs it.
    pub field: Option<String>,
    /// How the value is compared (`equals` when not given).
    #[serde(default, rename = "match")]
    pub matching: FilterMatch,
    /// The sentence of the spec this reproduces.
    pub description: String,
}

/// The order of a paged list: by the item field that the request's value at `by` names (through
/// `fields`), descending when the value at `order` is `descending`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Sort {
    /// The request path of the column (`query.sort[column]`).
    pub by: String,
    /// The request path of the order (`query.sort[order]`).
    pub order: Option<String>,
    /// The order value that means descending (`desc`); any other is ascending.
    pub descending: Option<String>,
    /// Each column value to the item field it orders by (a dotted path in the item).
    pub fields: BTreeMap<String, String>,
    /// The sentence of the spec this reproduces.
    pub description: String,
}

/// One value written into the answer at `to`: the request's value at `from`, else the detected
/// type of the request's value at `detected`, else `value`; nothing when none of them is there.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Echo {
    /// The answer path written (`data.indicator`).
    pub to: String,
    /// The request path copied (`body.indicator`).
    pub from: Option<String>,
    /// The request path whose detected indicator type (`IP`, `DOMAIN`, `URL`) is written.
    pub detected: Option<String>,
    /// A value written as it is.
    pub value: Option<Value>,
    /// Only when every listed request path holds one of its values.
    #[serde(default)]
    pub when: BTreeMap<String, Vec<Value>>,
    /// The sentence of the spec this reproduces.
    pub description: String,
}

impl Echo {
    /// Whether a request meets `when`, `lookup` reading its values by path.
    pub fn applies<'a>(&self, lookup: impl Fn(&str) -> Option<&'a Value>) -> bool {
        self.when
            .iter()
            .all(|(path, values)| lookup(path).is_some_and(|v| values.contains(v)))
    }
}

/// The answer's sections: at `to`, one empty object per section that the operation's
/// `x-sections-by-indicator-type` lists for the detected type of the request's value at
/// `detected`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Sections {
    /// The request path whose type is detected.
    pub detected: String,
    /// The answer path of the sections.
    pub to: String,
    /// The sentence of the spec this reproduces.
    pub description: String,
}

/// A request whose value at `path` is text starting with `prefix` names something that does
/// not exist: the mock answers the operation's documented 404.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NotFound {
    /// The request path (`query.entity_name`).
    pub path: String,
    /// The text such values start with (`unknown`).
    pub prefix: String,
    /// The sentence of the spec this reproduces.
    pub description: String,
}

/// `x-sections-by-indicator-type`: indicator type (`IP`, `DOMAIN`, `URL`) to the names of the
/// sections an answer holds for it.
pub type SectionsByIndicatorType = BTreeMap<String, Vec<String>>;

/// Whether `path` is a request path: `header.`, `query.`, `path.` or `body` and its fields.
fn is_request_path(path: &str) -> bool {
    path == "body"
        || ["header.", "query.", "path.", "body."]
            .iter()
            .any(|p| path.strip_prefix(p).is_some_and(|rest| !rest.is_empty()))
}

const NOT_A_REQUEST_PATH: &str =
    "is not a request path (header.<name>, query.<name>, path.<name>, body or body.<field>)";

impl Reader {
    /// `x-enrich` of the operation `op` (at the pointer `at`).
    pub(crate) fn enrich(&mut self, op: &Value, at: &str) -> Option<Enrich> {
        let here = pointer_child(at, "x-enrich");
        let enrich: Enrich = self.typed(op.get("x-enrich")?, &here)?;
        let kebab = !enrich.provider.is_empty()
            && enrich
                .provider
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !kebab {
            self.problems.push((
                here.clone(),
                format!(
                    "provider {:?} must be kebab case (a-z, 0-9, -): it is a --provider value",
                    enrich.provider
                ),
            ));
        }
        let mut paths = vec![("indicator", &enrich.indicator)];
        paths.extend(enrich.type_path.iter().map(|p| ("type", p)));
        paths.extend(enrich.action.iter().map(|a| ("action.path", &a.path)));
        for (i, (key, path)) in paths.iter().enumerate() {
            if !is_request_path(path) {
                self.problems.push((
                    here.clone(),
                    format!("{key}: {path:?} {NOT_A_REQUEST_PATH}"),
                ));
            } else if paths[..i].iter().any(|(_, p)| p == path) {
                self.problems
                    .push((here.clone(), format!("{key}: {path:?} is written already")));
            }
        }
        Some(enrich)
    }

    /// `x-mock` of the operation `op` (at the pointer `at`).
    pub(crate) fn mock(&mut self, op: &Value, at: &str) -> Option<MockAnswer> {
        let here = pointer_child(at, "x-mock");
        let mock: MockAnswer = self.typed(op.get("x-mock")?, &here)?;
        for (i, echo) in mock.echo.iter().enumerate() {
            let at = pointer_child(&pointer_child(&here, "echo"), &i.to_string());
            if echo.from.is_none() && echo.detected.is_none() && echo.value.is_none() {
                self.problems.push((
                    at.clone(),
                    "an echo needs from, detected or value (what is written)".to_owned(),
                ));
            }
            let read = echo
                .from
                .iter()
                .chain(&echo.detected)
                .chain(echo.when.keys());
            for path in read.filter(|p| !is_request_path(p)) {
                self.problems
                    .push((at.clone(), format!("{path:?} {NOT_A_REQUEST_PATH}")));
            }
        }
        if let Some(sections) = &mock.sections {
            if !is_request_path(&sections.detected) {
                self.problems.push((
                    pointer_child(&here, "sections"),
                    format!("{:?} {NOT_A_REQUEST_PATH}", sections.detected),
                ));
            }
            if op.get("x-sections-by-indicator-type").is_none() {
                self.problems.push((
                    pointer_child(&here, "sections"),
                    "sections needs the operation's x-sections-by-indicator-type".to_owned(),
                ));
            }
        }
        for (i, filter) in mock.filter.iter().enumerate() {
            let at = pointer_child(&pointer_child(&here, "filter"), &i.to_string());
            if !is_request_path(&filter.from) {
                self.problems.push((
                    at.clone(),
                    format!("{:?} {NOT_A_REQUEST_PATH}", filter.from),
                ));
            }
            if filter.matching == FilterMatch::Equals && filter.field.is_none() {
                self.problems.push((
                    at,
                    "an equals filter needs field (the item's field compared)".to_owned(),
                ));
            }
        }
        if let Some(sort) = &mock.sort {
            let at = pointer_child(&here, "sort");
            for path in std::iter::once(&sort.by).chain(&sort.order) {
                if !is_request_path(path) {
                    self.problems
                        .push((at.clone(), format!("{path:?} {NOT_A_REQUEST_PATH}")));
                }
            }
            if sort.fields.is_empty() {
                self.problems.push((
                    at,
                    "sort needs fields (each column's item field)".to_owned(),
                ));
            }
        }
        if (!mock.filter.is_empty() || mock.sort.is_some()) && op.get("x-pagination").is_none() {
            self.problems.push((
                here.clone(),
                "filter and sort act on a paged list: they need the operation's x-pagination"
                    .to_owned(),
            ));
        }
        if let Some(not_found) = &mock.not_found {
            let at = pointer_child(&here, "not-found");
            if !is_request_path(&not_found.path) {
                self.problems.push((
                    at.clone(),
                    format!("{:?} {NOT_A_REQUEST_PATH}", not_found.path),
                ));
            }
            if op.pointer("/responses/404").is_none() {
                self.problems.push((
                    at,
                    "not-found needs a documented 404 response to answer".to_owned(),
                ));
            }
        }
        Some(mock)
    }

    /// `x-sections-by-indicator-type` of the operation `op` (at the pointer `at`).
    pub(crate) fn sections_by_indicator_type(
        &mut self,
        op: &Value,
        at: &str,
    ) -> SectionsByIndicatorType {
        let here = pointer_child(at, "x-sections-by-indicator-type");
        op.get("x-sections-by-indicator-type")
            .and_then(|v| self.typed(v, &here))
            .unwrap_or_default()
    }

    /// What holds across the operations of a spec: `--provider` values are unique, and one
    /// operation at most is the demo's.
    pub(crate) fn enrich_across(&mut self, document: &Value) {
        let mut providers: Vec<&str> = Vec::new();
        let mut demo: Option<String> = None;
        let paths = document.get("paths").and_then(Value::as_object);
        for (path, item) in paths.into_iter().flatten() {
            for method in METHODS {
                let Some(enrich) = item.get(method).and_then(|op| op.get("x-enrich")) else {
                    continue;
                };
                let here = pointer_child(
                    &pointer_child(&pointer_child("/paths", path), method),
                    "x-enrich",
                );
                if let Some(name) = enrich.get("provider").and_then(Value::as_str) {
                    if providers.contains(&name) {
                        self.problems.push((
                            here.clone(),
                            format!("provider {name:?} is another operation's already"),
                        ));
                    }
                    providers.push(name);
                }
                if enrich.get("demo") == Some(&Value::Bool(true)) {
                    match &demo {
                        Some(first) => self.problems.push((
                            here,
                            format!("demo: true is {first}'s already (one provider at most)"),
                        )),
                        None => demo = Some(here),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::read;

    const SPEC: &str = "openapi: 3.0.3
paths:
  /search:
    post:
      operationId: search
      x-enrich:
        provider: search-one
        indicator: body.indicator
        type: body.indicator_type
        detected: true
        action: {path: body.action, default: INFO}
        demo: true
      x-sections-by-indicator-type:
        IP: [whois, files]
      x-mock:
        echo:
          - {from: body.indicator_type, detected: body.indicator, to: data.indicator_type, description: \"The type stated, else detected.\"}
          - {from: body.filter.section, to: data.section, when: {body.action: [CONNECTIONS]}, description: The section asked for.}
        sections: {detected: body.indicator, to: data, description: Sections by type.}
      responses:
        \"404\": {description: Not found}
  /lookup:
    get:
      operationId: lookUp
      x-enrich: {provider: look-up, indicator: query.indicator}
      x-mock:
        not-found: {path: query.name, prefix: unknown, description: The entity does not exist.}
        echo:
          - {to: data.history, value: [], when: {query.history: [true]}, description: Only when asked for.}
      responses:
        \"404\": {description: No such entity}
";

    #[test]
    fn behaviour_is_read_typed() {
        let model = read("t.yaml", SPEC).unwrap();
        let search = &model.operations["search"];
        let enrich = search.enrich.as_ref().unwrap();
        assert_eq!(enrich.type_path.as_deref(), Some("body.indicator_type"));
        assert!(enrich.detected && enrich.demo);
        assert_eq!(
            enrich.action.as_ref().unwrap().default.as_deref(),
            Some("INFO")
        );
        assert_eq!(search.sections_by_indicator_type["IP"], ["whois", "files"]);
        let mock = search.mock.as_ref().unwrap();
        assert_eq!(
            mock.echo[1].when["body.action"],
            [serde_json::json!("CONNECTIONS")]
        );
        let look_up = &model.operations["lookUp"];
        let enrich = look_up.enrich.as_ref().unwrap();
        assert!(!enrich.detected && !enrich.demo && enrich.action.is_none());
        let mock = look_up.mock.as_ref().unwrap();
        assert_eq!(mock.not_found.as_ref().unwrap().prefix, "unknown");
        assert_eq!(mock.echo[0].value, Some(serde_json::json!([])));
    }

    const LIST: &str = "openapi: 3.0.3
paths:
  /things:
    get:
      operationId: listThings
      x-pagination: {cursor: query.offset, items: data, advance: items}
      x-mock:
        filter:
          - {from: query.state, field: state, description: Filter by state.}
          - {from: query.q, match: search, description: A field:value query.}
        sort:
          by: query.sort[column]
          order: query.sort[order]
          descending: desc
          fields: {score: attributes.score}
          description: Sorted by the column.
";

    #[test]
    fn filters_and_sorting_are_read_typed_and_checked() {
        use super::FilterMatch;
        let model = read("t.yaml", LIST).unwrap();
        let mock = model.operations["listThings"].mock.as_ref().unwrap();
        assert_eq!(mock.filter[0].from, "query.state");
        assert_eq!(mock.filter[0].field.as_deref(), Some("state"));
        assert_eq!(mock.filter[0].matching, FilterMatch::Equals);
        assert_eq!(mock.filter[1].matching, FilterMatch::Search);
        let sort = mock.sort.as_ref().unwrap();
        assert_eq!(sort.by, "query.sort[column]");
        assert_eq!(sort.descending.as_deref(), Some("desc"));
        assert_eq!(sort.fields["score"], "attributes.score");
        let bad = LIST
            .replace("{from: query.state, field: state,", "{from: state,")
            .replace("fields: {score: attributes.score}", "fields: {}")
            .replace("match: search", "match: regex");
        let problems = read("t.yaml", &bad).unwrap_err().to_string();
        assert!(
            problems.contains("t.yaml:7: /paths/~1things/get/x-mock: unknown variant `regex`"),
            "{problems}"
        );
        let bad = LIST
            .replace("{from: query.state, field: state,", "{from: state,")
            .replace("fields: {score: attributes.score}", "fields: {}")
            .replace(
                "      x-pagination: {cursor: query.offset, items: data, advance: items}\n",
                "",
            );
        let problems = read("t.yaml", &bad).unwrap_err().to_string();
        for expected in [
            "/paths/~1things/get/x-mock/filter/0: \"state\" is not a request path",
            "/paths/~1things/get/x-mock/filter/0: an equals filter needs field",
            "/paths/~1things/get/x-mock/sort: sort needs fields",
            "/paths/~1things/get/x-mock: filter and sort act on a paged list: they need the operation's x-pagination",
        ] {
            assert!(problems.contains(expected), "{expected}\n{problems}");
        }
    }

    #[test]
    fn a_typo_is_refused_with_its_line() {
        let typo = SPEC.replace("prefix: unknown", "prefx: unknown");
        let problems = read("specs/t.yaml", &typo).unwrap_err().to_string();
        assert!(
            problems
                .starts_with("specs/t.yaml:26: /paths/~1lookup/get/x-mock: unknown field `prefx`"),
            "{problems}"
        );
        let typo = SPEC.replace("IP: [whois, files]", "IP: whois");
        let problems = read("specs/t.yaml", &typo).unwrap_err().to_string();
        assert!(
            problems.starts_with(
                "specs/t.yaml:13: /paths/~1search/post/x-sections-by-indicator-type: invalid type"
            ),
            "{problems}"
        );
    }

    #[test]
    fn what_cannot_work_is_named() {
        let bad = SPEC
            .replace("provider: look-up", "provider: search-one, demo: true")
            .replace("indicator: query.indicator", "indicator: indicator")
            .replace("type: body.indicator_type", "type: body.indicator")
            .replace("{to: data.history, value: []", "{to: data.history")
            .replace(
                "      x-sections-by-indicator-type:\n        IP: [whois, files]\n",
                "",
            );
        let problems = read("t.yaml", &bad).unwrap_err().to_string();
        for expected in [
            "t.yaml:6: /paths/~1search/post/x-enrich: type: \"body.indicator\" is written already",
            "/paths/~1search/post/x-mock/sections: sections needs the operation's x-sections-by-indicator-type",
            "/paths/~1lookup/get/x-enrich: indicator: \"indicator\" is not a request path",
            "/paths/~1lookup/get/x-mock/echo/0: an echo needs from, detected or value",
            // The operations are read in the order of their paths.
            "/paths/~1search/post/x-enrich: provider \"search-one\" is another operation's already",
            "/paths/~1search/post/x-enrich: demo: true is /paths/~1lookup/get/x-enrich's already",
        ] {
            assert!(problems.contains(expected), "{expected}\n{problems}");
        }
    }

    #[test]
    fn not_found_needs_a_documented_404_and_extensions_their_place() {
        let bad = SPEC
            .replace("No such entity", "OK")
            .replace("\"404\": {description: OK}", "\"200\": {description: OK}")
            + "components:\n  schemas:\n    Thing:\n      x-mock: {echo: []}\n";
        let problems = read("t.yaml", &bad).unwrap_err().to_string();
        assert!(
            problems
                .contains("/paths/~1lookup/get/x-mock/not-found: not-found needs a documented 404"),
            "{problems}"
        );
        assert!(
            problems
                .contains("/components/schemas/Thing/x-mock: x-mock is read on operations only"),
            "{problems}"
        );
    }
}

//! `x-rules` on an operation: the documented rules a JSON Schema cannot express (specs/README.md
//! lists the kinds). Each rule is typed here: a kind this version does not know, a key its kind
//! does not take, a key it needs that is missing, an id twice or a bound that cannot hold is a
//! problem of the spec, so a rule is never skipped in silence. The library checks requests with
//! these types (`threatbind::spec::Rule` is [`Rule`]).
//!
//! ```
//! let text = "openapi: 3.0.3
//! paths:
//!   /things:
//!     get:
//!       operationId: listThings
//!       x-rules:
//!         - id: from-at-most-a-year-ago
//!           description: The page keeps a year of history.
//!           kind: datetime_not_before
//!           path: query.from
//!           now_minus: {months: 12}
//! ";
//! let model = threatbind_model::read("specs/things.yaml", text).unwrap();
//! let rule = &model.operations["listThings"].rules[0];
//! assert!(matches!(
//!     rule.kind,
//!     threatbind_model::RuleKind::DatetimeNotBefore { now_minus: Some(threatbind_model::RelativeBound { months: 12, days: 0 }), .. }
//! ));
//!
//! let typo = text.replace("now_minus: {months: 12}", "now_minus: {month: 12}");
//! let problems = threatbind_model::read("specs/things.yaml", &typo).unwrap_err();
//! assert!(
//!     problems.to_string().starts_with("specs/things.yaml:7: /paths/~1things/get/x-rules/0: unknown field `month`"),
//!     "{problems}"
//! );
//! ```

use super::{pointer_child, Reader};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One entry of an operation's `x-rules`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Stable kebab-case name, used in errors (`x-rules:<id>`) and tests.
    pub id: String,
    /// The documentation sentence the rule encodes.
    pub description: String,
    /// The rule applies only when every path holds one of its values.
    pub when: BTreeMap<String, OneOrMany>,
    /// What is checked.
    pub kind: RuleKind,
}

/// The kinds of rule, as the spec writes them.
pub const RULE_KINDS: [&str; 9] = [
    "require",
    "forbid",
    "allowed_values",
    "datetime_not_before",
    "datetime_span",
    "indicator_type",
    "exactly_one",
    "max_list_items",
    "response_normalizes",
];

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = Map::<String, Value>::deserialize(d)?;
        let id = match map.remove("id") {
            Some(Value::String(id)) => id,
            Some(other) => return Err(D::Error::custom(format!("id must be text, not {other}"))),
            None => return Err(D::Error::missing_field("id")),
        };
        let description = match map.remove("description") {
            Some(v) => String::deserialize(v).map_err(D::Error::custom)?,
            None => String::new(),
        };
        let when = match map.remove("when") {
            Some(v) => BTreeMap::deserialize(v).map_err(D::Error::custom)?,
            None => BTreeMap::new(),
        };
        let kind = RuleKind::deserialize(Value::Object(map)).map_err(D::Error::custom)?;
        Ok(Rule {
            id,
            description,
            when,
            kind,
        })
    }
}

/// A single value or a list of values in `when`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A list: any of them matches.
    Many(Vec<Value>),
    /// One value.
    One(Value),
}

impl OneOrMany {
    /// Whether `value` is the one value, or one of the list.
    pub fn contains(&self, value: &Value) -> bool {
        match self {
            OneOrMany::Many(list) => list.contains(value),
            OneOrMany::One(v) => v == value,
        }
    }
}

/// The kinds of rule (`kind:`), each with the keys it takes.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RuleKind {
    /// Each path must be present and not null.
    Require {
        /// Document paths (at least one).
        paths: Vec<String>,
    },
    /// Each path must be absent.
    Forbid {
        /// Document paths (at least one).
        paths: Vec<String>,
    },
    /// If present, the value must be one of `values`.
    AllowedValues {
        /// Document path.
        path: String,
        /// Allowed values (at least one).
        values: Vec<Value>,
    },
    /// If present, the instant must not be before the bound.
    DatetimeNotBefore {
        /// Document path.
        path: String,
        /// A fixed bound (RFC 3339); this or `now_minus`.
        #[serde(default)]
        bound: Option<String>,
        /// A bound relative to now; this or `bound`.
        #[serde(default)]
        now_minus: Option<RelativeBound>,
    },
    /// If both are present: start <= end, and end - start <= `max_days` days (when given).
    DatetimeSpan {
        /// Path of the start.
        start: String,
        /// Path of the end.
        end: String,
        /// Longest allowed range, in days (at least 1).
        #[serde(default)]
        max_days: Option<i64>,
    },
    /// The value at `value` must be of the kind stated at `type_path` (IP, DOMAIN, URL). When
    /// no kind is stated, the kind detected from the value stands in for it while the other
    /// rules are checked (it is not sent).
    IndicatorType {
        /// Path of the indicator.
        value: String,
        /// Path of its stated type.
        type_path: String,
    },
    /// Exactly one of the paths must be present (`query` unless `cursor`, never both).
    ExactlyOne {
        /// Document paths.
        paths: Vec<String>,
    },
    /// If present, the text holds at most `max` items separated by `separator`
    /// (`device_name`: at most 10 comma-separated names).
    MaxListItems {
        /// Document path.
        path: String,
        /// The separator between items.
        separator: String,
        /// The most items.
        max: usize,
    },
    /// Informational: the server rewrites a request value in its answer.
    ResponseNormalizes {
        /// Request path.
        path: String,
        /// Request value.
        from: Value,
        /// Value in the answer.
        to: Value,
        /// Path in the success body.
        response_path: String,
    },
}

/// `now_minus: {months: 12}` or `{days: 30}`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RelativeBound {
    /// Calendar months.
    #[serde(default)]
    pub months: u32,
    /// Days.
    #[serde(default)]
    pub days: i64,
}

/// `^[a-z0-9]+(-[a-z0-9]+)*$`.
fn is_kebab_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Reader {
    /// `x-rules` of the operation `op` (at the pointer `at`): the rules that read, every
    /// problem of the others named.
    pub(crate) fn rules(&mut self, op: &Value, at: &str) -> Vec<Rule> {
        let Some(value) = op.get("x-rules") else {
            return Vec::new();
        };
        let here = pointer_child(at, "x-rules");
        let Some(list) = value.as_array() else {
            self.problems
                .push((here, "x-rules must be a list of rules".to_owned()));
            return Vec::new();
        };
        let mut rules: Vec<Rule> = Vec::new();
        for (i, entry) in list.iter().enumerate() {
            let at = pointer_child(&here, &i.to_string());
            let Some(map) = entry.as_object() else {
                self.problems
                    .push((at, "a rule must be a mapping (id, kind, ...)".to_owned()));
                continue;
            };
            match map.get("kind") {
                Some(Value::String(kind)) if RULE_KINDS.contains(&kind.as_str()) => {}
                Some(kind) => {
                    self.problems.push((
                        pointer_child(&at, "kind"),
                        format!("kind {kind} is not one of {}", RULE_KINDS.join(", ")),
                    ));
                    continue;
                }
                None => {
                    self.problems.push((
                        at,
                        format!("missing field `kind` ({})", RULE_KINDS.join(", ")),
                    ));
                    continue;
                }
            }
            let Some(rule): Option<Rule> = self.typed(entry, &at) else {
                continue;
            };
            let id_at = pointer_child(&at, "id");
            if !is_kebab_id(&rule.id) {
                self.problems
                    .push((id_at, format!("id {:?} is not kebab-case", rule.id)));
            } else if rules.iter().any(|r| r.id == rule.id) {
                self.problems
                    .push((id_at, format!("id {:?} is used twice", rule.id)));
            }
            self.rule_values(&rule, map, &at);
            rules.push(rule);
        }
        rules
    }

    /// What the types of a rule cannot say: one bound, a positive span, lists not empty.
    fn rule_values(&mut self, rule: &Rule, map: &Map<String, Value>, at: &str) {
        let mut problem = |key: &str, message: &str| {
            let at = if map.contains_key(key) {
                pointer_child(at, key)
            } else {
                at.to_owned()
            };
            self.problems.push((at, message.to_owned()));
        };
        match &rule.kind {
            RuleKind::DatetimeNotBefore {
                bound, now_minus, ..
            } if bound.is_some() == now_minus.is_some() => problem(
                "bound",
                "a datetime_not_before rule needs bound or now_minus (one)",
            ),
            RuleKind::DatetimeSpan {
                max_days: Some(days),
                ..
            } if *days <= 0 => problem("max_days", "max_days must be positive"),
            RuleKind::Require { paths } | RuleKind::Forbid { paths } if paths.is_empty() => {
                problem("paths", "paths must not be empty")
            }
            RuleKind::AllowedValues { values, .. } if values.is_empty() => {
                problem("values", "values must not be empty")
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{read, RuleKind};

    const SPEC: &str = "openapi: 3.0.3
paths:
  /things:
    post:
      operationId: searchThings
      x-rules:
        - id: section-for-connections
          description: The section is read for CONNECTIONS only.
          when: {body.action: [CONNECTIONS], body.kind: IP}
          kind: require
          paths: [body.filter.section]
        - id: span
          kind: datetime_span
          start: body.from
          end: body.to
          max_days: 180
        - id: normalised
          kind: response_normalizes
          path: body.type
          from: DOMAIN
          to: URL
          response_path: data.type
";

    #[test]
    fn rules_are_read_typed() {
        let model = read("t.yaml", SPEC).unwrap();
        let rules = &model.operations["searchThings"].rules;
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].id, "section-for-connections");
        assert!(rules[0].when["body.kind"].contains(&serde_json::json!("IP")));
        assert!(rules[0].when["body.action"].contains(&serde_json::json!("CONNECTIONS")));
        assert_eq!(
            rules[0].kind,
            RuleKind::Require {
                paths: vec!["body.filter.section".into()]
            }
        );
        assert!(matches!(
            rules[1].kind,
            RuleKind::DatetimeSpan {
                max_days: Some(180),
                ..
            }
        ));
        assert_eq!(rules[2].description, "");
    }

    #[test]
    fn a_malformed_rule_is_named_with_its_line() {
        let bad = SPEC
            .replace("kind: require", "kind: required")
            .replace("max_days: 180", "max_days: 0")
            .replace(
                "response_path: data.type",
                "response_path: data.type\n          extra: 1",
            )
            .replace("id: span", "id: Span");
        let problems = read("specs/t.yaml", &bad).unwrap_err().to_string();
        let lines: Vec<&str> = problems.lines().collect();
        assert_eq!(lines.len(), 4, "{problems}");
        assert!(
            lines[0].starts_with(
                "specs/t.yaml:10: /paths/~1things/post/x-rules/0/kind: kind \"required\" is not one of require,"
            ),
            "{problems}"
        );
        assert!(
            lines[1].starts_with(
                "specs/t.yaml:12: /paths/~1things/post/x-rules/1/id: id \"Span\" is not kebab-case"
            ),
            "{problems}"
        );
        assert!(
            lines[2].starts_with(
                "specs/t.yaml:16: /paths/~1things/post/x-rules/1/max_days: max_days must be positive"
            ),
            "{problems}"
        );
        assert!(
            lines[3].starts_with(
                "specs/t.yaml:17: /paths/~1things/post/x-rules/2: unknown field `extra`"
            ),
            "{problems}"
        );
    }

    #[test]
    fn what_a_kind_needs_is_named() {
        let bad = SPEC
            .replace(
                "          max_days: 180\n",
                "          max_days: 180\n          bound: x\n",
            )
            .replace("id: normalised", "id: section-for-connections")
            .replace("          to: URL\n", "")
            + "  /other:\n    get:\n      operationId: other\n      x-rules: {id: a}\n";
        let problems = read("t.yaml", &bad).unwrap_err().to_string();
        for expected in [
            "/x-rules/1: unknown field `bound`",
            "/x-rules/2: missing field `to`",
            "/paths/~1other/get/x-rules: x-rules must be a list of rules",
        ] {
            assert!(problems.contains(expected), "{expected}\n{problems}");
        }
        let twice = SPEC.replace("id: normalised", "id: section-for-connections");
        let problems = read("t.yaml", &twice).unwrap_err().to_string();
        assert!(
            problems.contains("/x-rules/2/id: id \"section-for-connections\" is used twice"),
            "{problems}"
        );
    }

    #[test]
    fn x_rules_is_read_on_operations_only() {
        let bad = SPEC.to_owned() + "components:\n  schemas:\n    A:\n      x-rules: []\n";
        let problems = read("t.yaml", &bad).unwrap_err().to_string();
        assert!(
            problems.contains("/components/schemas/A/x-rules: x-rules is read on operations only"),
            "{problems}"
        );
    }
}

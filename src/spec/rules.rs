//! The `x-rules` extension: the documented rules a JSON Schema cannot express.
//! The format is described in `specs/README.md`.

use super::validator::Violation;
use chrono::{DateTime, Months, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use serde_json::Value;

/// One entry of an operation's `x-rules`: the model's type (`threatbind-model`), read and
/// checked when the library is built, so a malformed rule never reaches a request.
///
/// ```
/// use threatbind::spec::{Api, RuleKind};
/// let op = Api::Log360Cloud.operation("searchThreatAnalytics").unwrap();
/// let rule = op.rules.iter().find(|r| r.id == "date-range-at-most-180-days").unwrap();
/// assert!(matches!(rule.kind, RuleKind::DatetimeSpan { max_days: Some(180), .. }));
/// ```
pub use threatbind_model::Rule;
pub use threatbind_model::{OneOrMany, RelativeBound, RuleKind};

/// The value at a dotted path of the document (`body.filter.section`), if present and not null.
pub(crate) fn lookup<'a>(document: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = document;
    for segment in path.split('.') {
        current = current.get(segment)?;
    }
    (!current.is_null()).then_some(current)
}

/// Parses a date-time as RFC 3339, or as `yyyy-MM-dd HH:mm:ss` / `yyyy-MM-ddTHH:mm:ss` /
/// `yyyy-MM-dd` in UTC: the forms the specs' date rules read.
///
/// ```
/// let t = threatbind::spec::parse_instant("2024-12-31 15:30:45").unwrap();
/// assert_eq!(t.to_rfc3339(), "2024-12-31T15:30:45+00:00");
/// assert!(threatbind::spec::parse_instant("yesterday").is_none());
/// ```
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// What the validator does with a rule of the model.
pub(crate) trait RuleCheck {
    /// Whether the rule's `when` holds for the document.
    fn applies(&self, document: &Value) -> bool;
    /// Whether [`Self::prepare`] may change a document.
    fn prepares(&self) -> bool;
    /// Fills in what the rule derives (a detected indicator type) in the document the other
    /// rules see.
    fn prepare(&self, document: &mut Value);
    /// Checks the rule against a request document, at time `now`.
    fn check(&self, document: &Value, now: DateTime<Utc>, out: &mut Vec<Violation>);
}

impl RuleCheck for Rule {
    fn applies(&self, document: &Value) -> bool {
        self.when
            .iter()
            .all(|(path, values)| lookup(document, path).is_some_and(|v| values.contains(v)))
    }

    fn prepares(&self) -> bool {
        matches!(self.kind, RuleKind::IndicatorType { .. })
    }

    fn prepare(&self, document: &mut Value) {
        let RuleKind::IndicatorType { value, type_path } = &self.kind else {
            return;
        };
        if lookup(document, type_path).is_some() {
            return;
        }
        let detected = lookup(document, value)
            .and_then(Value::as_str)
            .and_then(crate::indicator::detect);
        let (Some(kind), Some((parent, leaf))) = (detected, type_path.rsplit_once('.')) else {
            return;
        };
        let mut target = &mut *document;
        for segment in parent.split('.') {
            match target.get_mut(segment) {
                Some(next) => target = next,
                None => return,
            }
        }
        if let Value::Object(map) = target {
            map.insert(leaf.to_owned(), Value::from(kind.as_str()));
        }
    }

    fn check(&self, document: &Value, now: DateTime<Utc>, out: &mut Vec<Violation>) {
        if !self.applies(document) {
            return;
        }
        let mut fail = |path: &str, message: String| {
            out.push(Violation::new(
                path,
                format!("x-rules:{}", self.id),
                message,
            ));
        };
        match &self.kind {
            RuleKind::Require { paths } => {
                for path in paths.iter().filter(|p| lookup(document, p).is_none()) {
                    fail(path, format!("is required here: {}", self.description));
                }
            }
            RuleKind::Forbid { paths } => {
                for path in paths.iter().filter(|p| lookup(document, p).is_some()) {
                    fail(path, format!("is not accepted: {}", self.description));
                }
            }
            RuleKind::ExactlyOne { paths } => {
                let present: Vec<&String> = paths
                    .iter()
                    .filter(|p| lookup(document, p).is_some())
                    .collect();
                match present.as_slice() {
                    [_] => {}
                    [] if paths.is_empty() => {}
                    [] => fail(
                        &paths[0],
                        format!(
                            "one of {} is required: {}",
                            paths.join(", "),
                            self.description
                        ),
                    ),
                    [_, second, ..] => fail(
                        second,
                        format!(
                            "only one of {} may be given: {}",
                            paths.join(", "),
                            self.description
                        ),
                    ),
                }
            }
            RuleKind::MaxListItems {
                path,
                separator,
                max,
            } => {
                if let Some(text) = lookup(document, path).and_then(Value::as_str) {
                    let count = if separator.is_empty() {
                        1
                    } else {
                        text.split(separator.as_str())
                            .filter(|item| !item.trim().is_empty())
                            .count()
                    };
                    if count > *max {
                        fail(
                            path,
                            format!("{count} items, at most {max}: {}", self.description),
                        );
                    }
                }
            }
            RuleKind::AllowedValues { path, values } => {
                if let Some(v) = lookup(document, path).filter(|v| !values.contains(v)) {
                    fail(
                        path,
                        format!("{v} is not allowed here: {}", self.description),
                    );
                }
            }
            RuleKind::DatetimeNotBefore {
                path,
                bound,
                now_minus,
            } => {
                let Some(text) = lookup(document, path).and_then(Value::as_str) else {
                    return;
                };
                let Some(value) = parse_instant(text) else {
                    return fail(path, format!("{text:?} is not a date-time"));
                };
                let limit = match (bound, now_minus) {
                    (Some(b), _) => parse_instant(b),
                    (None, Some(rel)) => now
                        .checked_sub_months(Months::new(rel.months))
                        .and_then(|t| t.checked_sub_signed(TimeDelta::days(rel.days))),
                    (None, None) => None,
                };
                if let Some(limit) = limit.filter(|l| value < *l) {
                    fail(
                        path,
                        format!(
                            "{text} is before {}: {}",
                            limit.to_rfc3339(),
                            self.description
                        ),
                    );
                }
            }
            RuleKind::DatetimeSpan {
                start,
                end,
                max_days,
            } => {
                let get = |p: &str| {
                    lookup(document, p)
                        .and_then(Value::as_str)
                        .and_then(parse_instant)
                };
                let (Some(s), Some(e)) = (get(start), get(end)) else {
                    return;
                };
                if e < s {
                    fail(end, format!("{e} is before {start} ({s})"));
                } else if let Some(max_days) = max_days.filter(|m| e - s > TimeDelta::days(*m)) {
                    let days = (e - s).num_days();
                    fail(
                        end,
                        format!(
                            "range of {days} days exceeds {max_days}: {}",
                            self.description
                        ),
                    );
                }
            }
            RuleKind::IndicatorType { value, type_path } => {
                let stated = lookup(document, type_path).and_then(Value::as_str);
                let text = lookup(document, value).and_then(Value::as_str);
                let (Some(stated), Some(text)) = (stated, text) else {
                    return;
                };
                let Some(wanted) = crate::indicator::IndicatorKind::from_name(stated) else {
                    return;
                };
                let found = crate::indicator::detect(text);
                if found != Some(wanted) {
                    let shown: String = text.chars().take(80).collect();
                    let is = found.map_or("no IP address, domain or URL".to_owned(), |k| {
                        format!("a {}", k.as_str())
                    });
                    fail(
                        value,
                        format!("{shown:?} is {is}, not a {stated} ({type_path} says {stated})"),
                    );
                }
            }
            RuleKind::ResponseNormalizes { .. } => {}
        }
    }
}

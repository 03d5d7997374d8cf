//! Which items of a paged list an answer holds, and in which order, as the operation's
//! `x-mock` says: each `filter` keeps the items whose field matches the request's value at its
//! `from` (`equals`: the same value, or a list holding it; `search`: every term of the text,
//! `field:value` on that field of the item, a bare term in any text of the item), and `sort`
//! orders them by the item field its column names, descending for its `descending` value.
//! A filter whose request value is absent keeps every item; so does a search of no terms.

use super::data::DataSet;
use serde_json::Value;
use std::cmp::Ordering;
use threatbind::raw::lookup;
use threatbind::spec::model::{Filter, FilterMatch, Sort};

/// The most terms of a search that are read (the rest are ignored).
const MAX_TERMS: usize = 32;

/// How deep a bare search term looks into an item.
const MAX_DEPTH: usize = 16;

/// The filters and sorting of one operation.
#[derive(Debug, Default)]
pub(crate) struct Select {
    filters: Vec<Filter>,
    sort: Option<Sort>,
}

impl Select {
    /// The `x-mock` filters and sorting of an operation.
    pub fn new(filters: &[Filter], sort: Option<&Sort>) -> Self {
        Self {
            filters: filters.to_vec(),
            sort: sort.cloned(),
        }
    }

    /// The positions of `data`'s items that the request `document` keeps, in the order it asks
    /// for; `None` when it asks for neither a filter nor an order (every item, as stored).
    pub fn positions(&self, data: &DataSet, document: &Value) -> Option<Vec<usize>> {
        let filters: Vec<(&Filter, &Value)> = self
            .filters
            .iter()
            .filter_map(|f| Some((f, lookup(document, &f.from)?)))
            .collect();
        let order = self.sort.as_ref().and_then(|sort| {
            let column = lookup(document, &sort.by).and_then(Value::as_str)?;
            let field = sort.fields.get(column)?;
            let descending = match (&sort.order, &sort.descending) {
                (Some(path), Some(word)) => {
                    lookup(document, path).and_then(Value::as_str) == Some(word.as_str())
                }
                _ => false,
            };
            Some((field.as_str(), descending))
        });
        if filters.is_empty() && order.is_none() {
            return None;
        }
        // Every item: `serve` bounds a data set by `MAX_ITEMS`, so the total a page reports is
        // the count of all the items kept, never of a part.
        let mut kept: Vec<(usize, Value)> = (0..data.len())
            .map(|i| (i, data.item(i)))
            .filter(|(_, item)| filters.iter().all(|(f, v)| keeps(f, v, item)))
            .collect();
        if let Some((field, descending)) = order {
            // Stable: items of one value keep their stored order; items without it go last.
            kept.sort_by(
                |(_, a), (_, b)| match (lookup(a, field), lookup(b, field)) {
                    (Some(x), Some(y)) => {
                        let o = compare(x, y);
                        if descending {
                            o.reverse()
                        } else {
                            o
                        }
                    }
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                },
            );
        }
        Some(kept.into_iter().map(|(i, _)| i).collect())
    }
}

/// Whether `item` meets the filter `f` for the request's value `wanted`.
fn keeps(f: &Filter, wanted: &Value, item: &Value) -> bool {
    match f.matching {
        FilterMatch::Equals => f
            .field
            .as_deref()
            .is_some_and(|field| lookup(item, field).is_some_and(|v| same(v, &text(wanted)))),
        FilterMatch::Search => {
            let query = text(wanted);
            query
                .split_whitespace()
                .take(MAX_TERMS)
                .all(|term| match term.split_once(':') {
                    Some((field, value)) if !field.is_empty() => {
                        lookup(item, field).is_some_and(|v| same(v, value))
                    }
                    _ => contains(item, &term.to_lowercase(), 0),
                })
        }
    }
}

/// A request value as text (`reviewed`, `5`, `true`).
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether an item's value is `wanted` (as text), or a list holding it.
fn same(value: &Value, wanted: &str) -> bool {
    match value {
        Value::Array(items) => items.iter().any(|i| !i.is_array() && same(i, wanted)),
        Value::String(s) => s == wanted,
        Value::Number(n) => n.as_f64().is_some() && wanted.parse::<f64>().ok() == n.as_f64(),
        Value::Bool(b) => wanted.parse::<bool>().ok() == Some(*b),
        Value::Null | Value::Object(_) => false,
    }
}

/// Whether some text of `value` contains `term` (lower case), case ignored.
fn contains(value: &Value, term: &str, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match value {
        Value::String(s) => s.to_lowercase().contains(term),
        Value::Array(items) => items.iter().any(|i| contains(i, term, depth + 1)),
        Value::Object(map) => map.values().any(|v| contains(v, term, depth + 1)),
        _ => false,
    }
}

/// The order of two item values: numbers by value, text by its characters (RFC 3339 times
/// among them), a list by its first value, other kinds in a fixed order.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => match (x.first(), y.first()) {
            (Some(x), Some(y)) => compare(x, y),
            (x, y) => x.is_none().cmp(&y.is_none()).reverse(),
        },
        (x, y) => rank(x).cmp(&rank(y)),
    }
}

fn rank(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filter(from: &str, field: Option<&str>, matching: FilterMatch) -> Filter {
        Filter {
            from: from.to_owned(),
            field: field.map(str::to_owned),
            matching,
            description: "d".to_owned(),
        }
    }

    #[test]
    fn equals_matches_the_value_or_a_list_holding_it() {
        let f = filter("query.state", Some("state"), FilterMatch::Equals);
        let item = json!({"state": "reviewed", "tags": ["a", "b"], "n": 5});
        assert!(keeps(&f, &json!("reviewed"), &item));
        assert!(!keeps(&f, &json!("not_reviewed"), &item));
        let tags = filter("query.tag", Some("tags"), FilterMatch::Equals);
        assert!(keeps(&tags, &json!("b"), &item));
        assert!(!keeps(&tags, &json!("c"), &item));
        let n = filter("query.n", Some("n"), FilterMatch::Equals);
        assert!(keeps(&n, &json!(5), &item));
        // An item without the field is not kept.
        assert!(!keeps(&f, &json!("reviewed"), &json!({"other": 1})));
    }

    #[test]
    fn a_search_needs_every_term() {
        let f = filter("query.query", None, FilterMatch::Search);
        let item = json!({"indicator": "203.0.113.42", "indicator_type": "ip_address", "as": {"org": "Example Hosting"}});
        assert!(keeps(&f, &json!("indicator_type:ip_address"), &item));
        assert!(!keeps(&f, &json!("indicator_type:domain"), &item));
        assert!(keeps(&f, &json!("hosting 203.0"), &item));
        assert!(!keeps(&f, &json!("hosting 198.51"), &item));
        // A term is one word: `as.org:Example` is not the whole organisation name.
        assert!(!keeps(&f, &json!("as.org:Example Hosting"), &item));
        assert!(keeps(&f, &json!(""), &item));
    }

    #[test]
    fn values_compare_as_their_kind() {
        assert_eq!(compare(&json!(2), &json!(10)), Ordering::Less);
        assert_eq!(compare(&json!(87.5), &json!(64)), Ordering::Greater);
        assert_eq!(
            compare(
                &json!("2026-03-02T08:15:00Z"),
                &json!("2026-05-30T21:47:12Z")
            ),
            Ordering::Less
        );
        assert_eq!(
            compare(&json!(["phishing"]), &json!(["scanner"])),
            Ordering::Less
        );
    }
}

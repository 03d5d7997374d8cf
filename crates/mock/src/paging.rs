//! Paging as each operation's `x-pagination` says: the request's cursor (`from` 1-based,
//! `page` 0-based with a size, `offset` + `limit`, or a token the previous answer handed out)
//! slices the operation's data set, and the page's own fields (`has_more`, `count`,
//! `total_items`, `offset`, the next token, ...) say the truth.

use super::answers::{item_of_schema, set_path};
use super::data::{schema_key, DataSet, DataSets};
use super::select::Select;
use serde_json::{Map, Value};
use threatbind::raw::lookup;
use threatbind::spec::model::Advance as Walked;
use threatbind::spec::{resolve, Operation, Violation};

/// How the cursor moves (`advance` of `x-pagination`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Advance {
    /// Page numbers.
    One,
    /// Offsets, by the items read or by the limit.
    Offset,
    /// A token from the previous answer (`advance: token`).
    Token,
}

/// Where a page's list of items goes, until [`Paging::splice`] puts the serialised items there.
pub(crate) const ITEMS_MARK: &str = "\u{0}threatbind-mock-items\u{0}";

/// The serialised `body`, its [`ITEMS_MARK`] replaced by the serialised items at `positions`
/// of `data` (a JSON array); `None` if the mark is not found once.
pub(crate) fn splice(body: &[u8], data: &DataSet, positions: &[usize]) -> Option<Vec<u8>> {
    let mark = serde_json::to_vec(ITEMS_MARK).ok()?;
    let at = body
        .windows(mark.len())
        .position(|w| w == mark.as_slice())?;
    // Exactly once: a request value that a rule copied into the answer could carry it too.
    if body[at + 1..]
        .windows(mark.len())
        .any(|w| w == mark.as_slice())
    {
        return None;
    }
    let items: Vec<_> = positions.iter().map(|i| data.rendered(*i)).collect();
    let mut out = Vec::with_capacity(body.len() + items.iter().map(|i| i.len() + 1).sum::<usize>());
    out.extend_from_slice(&body[..at]);
    out.push(b'[');
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item);
    }
    out.push(b']');
    out.extend_from_slice(&body[at + mark.len()..]);
    Some(out)
}

/// The paging of one operation, prepared at start.
#[derive(Debug)]
pub(crate) struct Paging {
    cursor: String,
    /// The cursor's first value (its schema's `minimum`: 1 for a 1-based `from`).
    base: i64,
    default_cursor: i64,
    size: Option<String>,
    default_size: i64,
    advance: Advance,
    /// Where the list of items sits in a page.
    items: Vec<String>,
    more: Option<String>,
    total: Option<String>,
    page_limit: Option<String>,
    /// Token paging: where answers may carry the next token (`next`), the one this mock
    /// writes first, and how long a token lives unused (`expires-seconds`).
    next: Vec<String>,
    expires: Option<u64>,
    seed: u64,
    /// The data set.
    pub set: usize,
    /// The success example, its list emptied.
    template: Value,
    /// The items a request keeps, and their order (`x-mock` filter and sort).
    select: Select,
}

/// The schema of a request-document path (`query.from`, `body.offset`), references followed.
fn request_schema_at(op: &'static Operation, path: &str) -> Option<&'static Value> {
    let document = op.api.document();
    let mut segments = path.split('.');
    let part = segments.next()?;
    let raw: &'static Value = &op.raw;
    let mut current = if part == "body" {
        resolve(
            document,
            resolve(document, raw.get("requestBody")?)
                .pointer("/content/application~1json/schema")?,
        )
    } else {
        let name = segments.next()?;
        let parameter = raw
            .get("parameters")?
            .as_array()?
            .iter()
            .map(|p| resolve(document, p))
            .find(|p| {
                p.get("in").and_then(Value::as_str) == Some(part)
                    && p.get("name").and_then(Value::as_str) == Some(name)
            })?;
        resolve(document, parameter.get("schema")?)
    };
    for segment in segments {
        current = resolve(document, current.get("properties")?.get(segment)?);
    }
    Some(current)
}

/// The steps to the first non-empty list of objects in `value` (through objects only).
fn first_list(value: &Value) -> Option<Vec<String>> {
    let Value::Object(map) = value else {
        return None;
    };
    for (key, field) in map {
        match field {
            Value::Array(items) if items.iter().any(Value::is_object) => {
                return Some(vec![key.clone()]);
            }
            Value::Object(_) => {
                if let Some(mut steps) = first_list(field) {
                    steps.insert(0, key.clone());
                    return Some(steps);
                }
            }
            _ => {}
        }
    }
    None
}

/// The schema of the list at `steps` in the success body: its `items`, as written.
fn item_schema<'a>(document: &'a Value, body: &'a Value, steps: &[String]) -> Option<&'a Value> {
    let mut current = resolve(document, body);
    for step in steps {
        current = resolve(document, current.get("properties")?.get(step)?);
    }
    current.get("items")
}

/// What a page says about itself.
struct Facts {
    more: bool,
    previous: bool,
    total: i64,
    pages: i64,
    page: i64,
    size: i64,
    count: i64,
    cursor: i64,
}

/// The deepest object of a page whose paging fields are set.
const MAX_TELL_DEPTH: usize = 8;

/// Sets the paging fields of every object of a page, at any depth (`meta.has_more`,
/// `data.attributes.paging.offset`), the list of items aside (it is the mark here).
fn tell_everywhere(value: &mut Value, facts: &Facts, depth: usize) {
    if depth > MAX_TELL_DEPTH {
        return;
    }
    if let Value::Object(map) = value {
        tell(map, facts);
        for child in map.values_mut() {
            tell_everywhere(child, facts, depth + 1);
        }
    }
}

/// Sets the paging fields a container already has (same JSON type), by their usual names.
fn tell(container: &mut Map<String, Value>, facts: &Facts) {
    for (key, value) in container.iter_mut() {
        let number = match key.as_str() {
            "total" | "total_items" | "total_count" | "total_elements" | "totalItems" => {
                Some(facts.total)
            }
            "total_pages" | "totalPages" => Some(facts.pages),
            "current_page" | "page" | "page_number" | "currentPage" => Some(facts.page),
            "page_size" | "size" | "limit" | "per_page" | "pageSize" => Some(facts.size),
            "count" => Some(facts.count),
            "from" | "offset" | "start" => Some(facts.cursor),
            _ => None,
        };
        let flag = match key.as_str() {
            "has_more" | "has_next" | "hasMore" | "hasNext" => Some(facts.more),
            "has_previous" | "has_prev" | "hasPrevious" => Some(facts.previous),
            _ => None,
        };
        match (value, number, flag) {
            (v @ Value::Number(_), Some(n), _) => *v = Value::from(n),
            (v @ Value::Bool(_), _, Some(b)) => *v = Value::Bool(b),
            _ => {}
        }
    }
}

impl Paging {
    /// The paging of `op`, if it has `x-pagination`, with its data set built in `sets`.
    pub fn of(
        op: &'static Operation,
        status: u16,
        example: &Value,
        sets: &mut DataSets,
        count: usize,
        seed: u64,
    ) -> Option<Self> {
        let spec = op.pagination.as_ref()?;
        let text = |v: &Option<String>| v.clone().filter(|t| !t.is_empty());
        let cursor = Some(spec.cursor.clone()).filter(|c| !c.is_empty())?;
        let cursor_schema = request_schema_at(op, &cursor);
        let base = cursor_schema
            .and_then(|s| s.get("minimum"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let default_cursor = cursor_schema
            .and_then(|s| s.get("default"))
            .and_then(Value::as_i64)
            .unwrap_or(base);
        let part = cursor.split('.').next().unwrap_or("query");
        let size = text(&spec.limit).or_else(|| {
            ["limit", "size", "page_size", "per_page"]
                .iter()
                .map(|name| format!("{part}.{name}"))
                .find(|path| request_schema_at(op, path).is_some())
        });
        let default_size = size
            .as_deref()
            .and_then(|path| request_schema_at(op, path))
            .and_then(|s| s.get("default"))
            .and_then(Value::as_i64)
            .unwrap_or(100)
            .max(1);
        let items: Vec<String> = match Some(spec.items.clone()).filter(|i| !i.is_empty()) {
            Some(path) => path.split('.').map(str::to_owned).collect(),
            // The page is the item: page the first list it holds.
            None => first_list(example)?,
        };
        let document = op.api.document();
        let body_schema = resolve(document, op.raw.get("responses")?.get(status.to_string())?)
            .pointer("/content/application~1json/schema")?;
        let item = item_schema(document, body_schema, &items);
        let key = item.map_or_else(
            || format!("{}:{}", op.api.stem(), op.id),
            |s| schema_key(op, s),
        );
        let examples: Vec<Value> = lookup(example, &items.join("."))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let set = sets.build(
            &key,
            &examples,
            || item.map_or(Value::Object(Map::new()), |s| item_of_schema(document, s)),
            count,
            seed,
        );
        let mut template = example.clone();
        set_path(&mut template, &items.join("."), Value::Array(Vec::new()));
        Some(Self {
            cursor,
            base,
            default_cursor,
            size,
            default_size,
            advance: match spec.advance {
                Walked::One => Advance::One,
                Walked::Token => Advance::Token,
                Walked::Items | Walked::Limit => Advance::Offset,
            },
            items,
            more: text(&spec.more),
            total: text(&spec.total),
            page_limit: text(&spec.page_limit),
            next: {
                // The example's place for the token first, then the others.
                let mut next: Vec<String> = text(&spec.next)
                    .unwrap_or_default()
                    .split('|')
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect();
                next.sort_by_key(|p| lookup(example, p).is_none());
                next
            },
            expires: spec.expires_seconds,
            seed,
            set,
            template,
            select: op
                .mock
                .as_ref()
                .map(|m| Select::new(&m.filter, m.sort.as_ref()))
                .unwrap_or_default(),
        })
    }

    /// A token for the page starting at `start`, handed out at `clock` (seconds since start):
    /// opaque to clients, checked when it comes back.
    fn token(&self, start: i64, clock: u64) -> String {
        let check = super::faults::mix(self.seed ^ super::faults::mix(start as u64) ^ clock);
        format!("{start:x}-{clock:x}-{:08x}", check >> 32)
    }

    /// The start of the page a token stands for, if this mock handed it out and it has not
    /// expired.
    fn redeem(&self, token: &str, clock: u64) -> Result<i64, Violation> {
        let refuse = |why: String| Violation::new(self.cursor.as_str(), "x-pagination", why);
        let parts: Vec<&str> = token.split('-').collect();
        let decoded = match parts.as_slice() {
            [start, issued, _] => i64::from_str_radix(start, 16)
                .ok()
                .zip(u64::from_str_radix(issued, 16).ok()),
            _ => None,
        };
        let Some((start, issued)) = decoded.filter(|(s, i)| self.token(*s, *i) == token) else {
            return Err(refuse(format!(
                "{token:?} is not a cursor this server handed out"
            )));
        };
        if let Some(expires) = self.expires {
            if clock.saturating_sub(issued) > expires {
                return Err(refuse(format!(
                    "the cursor expired: unused for more than {expires} s"
                )));
            }
        }
        Ok(start)
    }

    /// Whether a page depends on the request alone (token cursors carry the clock).
    pub fn timeless(&self) -> bool {
        self.advance != Advance::Token
    }

    /// The page `document` asks for, out of `data`, at `clock` (seconds since the start); a
    /// token cursor this mock did not hand out, or that expired, is refused.
    pub fn page(&self, data: &DataSet, document: &Value, clock: u64) -> Result<Value, Violation> {
        let (mut body, positions) = self.page_parts(data, document, clock)?;
        set_path(
            &mut body,
            &self.items.join("."),
            Value::Array(positions.iter().map(|i| data.item(*i)).collect()),
        );
        Ok(body)
    }

    /// The page `document` asks for, its list of items left as [`ITEMS_MARK`], and the
    /// positions in `data` of the items that go there (see [`splice`]): the items the
    /// request's filters keep, in the order it asks for, paged.
    pub fn page_parts(
        &self,
        data: &DataSet,
        document: &Value,
        clock: u64,
    ) -> Result<(Value, Vec<usize>), Violation> {
        let selected = self.select.positions(data, document);
        let number = |path: &str| lookup(document, path).and_then(Value::as_i64);
        let cursor = match self.advance {
            Advance::Token => match lookup(document, &self.cursor).and_then(Value::as_str) {
                Some(token) => self.redeem(token, clock)?,
                None => 0,
            },
            _ => number(&self.cursor).unwrap_or(self.default_cursor),
        };
        let size = self
            .size
            .as_deref()
            .and_then(number)
            .unwrap_or(self.default_size)
            .max(1);
        let total = selected.as_ref().map_or(data.len(), Vec::len) as i64;
        let steps = cursor.saturating_sub(self.base).max(0);
        let (start, page) = match self.advance {
            Advance::One => (steps.saturating_mul(size), steps),
            Advance::Offset | Advance::Token => (steps, steps / size),
        };
        let end = start.saturating_add(size).min(total);
        let range = if start < total {
            start as usize..end as usize
        } else {
            0..0
        };
        let facts = Facts {
            more: start < total && end < total,
            previous: start > 0,
            total,
            pages: if total == 0 {
                0
            } else {
                (total - 1) / size + 1
            },
            page,
            size,
            count: range.len() as i64,
            cursor,
        };
        let mut body = self.template.clone();
        let path = self.items.join(".");
        set_path(&mut body, &path, Value::String(ITEMS_MARK.to_owned()));
        // The page's own fields, wherever they are: at its top, in its objects (`meta`),
        // beside the list, deeper (`data.attributes.paging.offset`).
        tell_everywhere(&mut body, &facts, 0);
        if let Some(more) = &self.more {
            set_path(&mut body, more, Value::Bool(facts.more));
        }
        if let Some(total_path) = &self.total {
            set_path(&mut body, total_path, Value::from(total));
        }
        if let Some(limit) = &self.page_limit {
            set_path(&mut body, limit, Value::from(size));
        }
        if self.advance == Advance::Token {
            // "absent on the last page".
            for path in &self.next {
                remove_path(&mut body, path);
            }
            if let (true, Some(path)) = (facts.more, self.next.first()) {
                set_path(&mut body, path, Value::String(self.token(end, clock)));
            }
        }
        let positions = match selected {
            Some(kept) => kept[range].to_vec(),
            None => range.collect(),
        };
        Ok((body, positions))
    }
}

fn remove_path(value: &mut Value, path: &str) {
    let (parent, key) = match path.rsplit_once('.') {
        Some((parent, key)) => (lookup_mut(value, parent), key),
        None => (Some(value), path),
    };
    if let Some(Value::Object(map)) = parent {
        map.remove(key);
    }
}

fn lookup_mut<'a>(value: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    path.split('.')
        .filter(|k| !k.is_empty())
        .try_fold(value, |v, k| v.get_mut(k))
}

#[cfg(test)]
mod splice_tests {
    use super::*;

    fn data() -> DataSets {
        let mut sets = DataSets::default();
        let example = serde_json::json!({"id": "a-1", "name": "first \"quoted\""});
        sets.build("k", &[example], || Value::Null, 5, 7);
        sets
    }

    #[test]
    fn spliced_items_are_the_items_serialised() {
        let sets = data();
        let set = sets.get(0).unwrap();
        let body = serde_json::json!({"meta": {"total": 5}, "data": ITEMS_MARK});
        let bytes = serde_json::to_vec(&body).unwrap();
        let spliced: Value =
            serde_json::from_slice(&splice(&bytes, set, &[1, 2, 3]).unwrap()).unwrap();
        let mut expected = body.clone();
        expected["data"] = Value::Array(set.slice(1..4));
        assert_eq!(spliced, expected);
        // An empty page is an empty list.
        let empty: Value = serde_json::from_slice(&splice(&bytes, set, &[]).unwrap()).unwrap();
        assert_eq!(empty["data"], serde_json::json!([]));
    }

    #[test]
    fn a_mark_found_twice_or_not_at_all_is_not_spliced() {
        let sets = data();
        let set = sets.get(0).unwrap();
        let twice = serde_json::json!({"data": ITEMS_MARK, "echo": ITEMS_MARK});
        assert!(splice(&serde_json::to_vec(&twice).unwrap(), set, &[0]).is_none());
        let none = serde_json::json!({"data": []});
        assert!(splice(&serde_json::to_vec(&none).unwrap(), set, &[0]).is_none());
    }
}

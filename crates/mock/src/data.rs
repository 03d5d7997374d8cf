//! The deterministic data sets behind paginated operations: N items per item schema, cloned
//! from the spec's example items with varied ids and names (from the seed). Operations whose
//! items share a schema (`$ref`) share a data set, and an operation that reads one item by a
//! path parameter (`GET /events/{id}`) looks it up there.

use super::faults::mix;
use hyper::body::Bytes;
use serde_json::Value;
use std::collections::HashMap;
use threatbind::spec::{resolve, Operation};

/// One data set: `count` items made on demand from the example items (the examples first,
/// then varied copies), and the positions of their `id`s. Only the ids are kept, so a large
/// data set costs little memory.
#[derive(Debug)]
pub(crate) struct DataSet {
    examples: Vec<Value>,
    count: usize,
    seed: u64,
    by_id: HashMap<String, usize>,
    /// Items serialised on first use, for the first [`MAX_RENDERED`] items: a page is
    /// assembled from them instead of building and serialising every item anew.
    rendered: Vec<std::sync::OnceLock<Bytes>>,
}

/// How many items of a data set are kept serialised (more are serialised on each use).
pub(crate) const MAX_RENDERED: usize = 100_000;

impl DataSet {
    /// How many items.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Item `i` (the same for the same seed, every time).
    pub fn item(&self, i: usize) -> Value {
        let mut item = self.examples[i % self.examples.len()].clone();
        if i >= self.examples.len() {
            vary(&mut item, i, mix(self.seed ^ mix(i as u64)), 0);
        }
        item
    }

    /// Item `i`, serialised (kept after the first time for the first items).
    pub fn rendered(&self, i: usize) -> Bytes {
        let render = || Bytes::from(serde_json::to_vec(&self.item(i)).unwrap_or_default());
        match self.rendered.get(i) {
            Some(cell) => cell.get_or_init(render).clone(),
            None => render(),
        }
    }

    /// Items `range`.
    #[cfg(test)]
    pub fn slice(&self, range: std::ops::Range<usize>) -> Vec<Value> {
        range
            .filter(|i| *i < self.count)
            .map(|i| self.item(i))
            .collect()
    }
}

/// Every data set, by the key of its item schema.
#[derive(Debug, Default)]
pub(crate) struct DataSets {
    sets: Vec<DataSet>,
    by_key: HashMap<String, usize>,
}

/// How an operation reads one item of a data set: the path parameter holding its id.
#[derive(Clone, Debug)]
pub(crate) struct Lookup {
    pub parameter: String,
    pub set: usize,
}

impl DataSets {
    /// The data set of `key`, built on first use from `examples` (or `fallback` when the spec
    /// has no example item): `count` items, the examples first, then varied copies.
    pub fn build(
        &mut self,
        key: &str,
        examples: &[Value],
        fallback: impl FnOnce() -> Value,
        count: usize,
        seed: u64,
    ) -> usize {
        if let Some(&index) = self.by_key.get(key) {
            return index;
        }
        let examples = if examples.is_empty() {
            vec![fallback()]
        } else {
            examples.to_vec()
        };
        let mut set = DataSet {
            examples,
            count,
            seed,
            by_id: HashMap::new(),
            rendered: (0..count.min(MAX_RENDERED))
                .map(|_| std::sync::OnceLock::new())
                .collect(),
        };
        set.by_id = (0..count)
            .filter_map(|i| Some((set.item(i).get("id")?.as_str()?.to_owned(), i)))
            .collect();
        self.sets.push(set);
        self.by_key.insert(key.to_owned(), self.sets.len() - 1);
        self.sets.len() - 1
    }

    /// The index of the data set of `key`, if one was built.
    pub fn index(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    /// A data set.
    pub fn get(&self, set: usize) -> Option<&DataSet> {
        self.sets.get(set)
    }

    /// The item whose `id` is `id` (else whose field `parameter` is `id`).
    pub fn find(&self, lookup: &Lookup, id: &str) -> Option<Value> {
        let set = self.sets.get(lookup.set)?;
        if let Some(&i) = set.by_id.get(id) {
            return Some(set.item(i));
        }
        if !set.by_id.is_empty() {
            return None;
        }
        (0..set.count)
            .map(|i| set.item(i))
            .find(|item| item.get(&lookup.parameter).and_then(Value::as_str) == Some(id))
    }
}

/// The key of an item schema: its `$ref` within its spec, else the operation.
pub(crate) fn schema_key(op: &Operation, item_schema: &Value) -> String {
    match item_schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => format!("{}{reference}", op.api.stem()),
        None => format!("{}:{}", op.api.stem(), op.id),
    }
}

/// The lookup of an operation without paging that answers one item of a data set: exactly
/// one path parameter, and a success schema that is the data set's item schema.
pub(crate) fn lookup_of(op: &Operation, status: u16, sets: &DataSets) -> Option<Lookup> {
    if op.pagination.is_some() {
        return None;
    }
    let document = op.api.document();
    let path_parameters: Vec<&Value> = op
        .raw
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| resolve(document, p))
        .filter(|p| p.get("in").and_then(Value::as_str) == Some("path"))
        .collect();
    let [parameter] = path_parameters.as_slice() else {
        return None;
    };
    let schema = resolve(document, op.raw.get("responses")?.get(status.to_string())?)
        .pointer("/content/application~1json/schema")?;
    let set = sets.index(&schema_key(op, schema))?;
    Some(Lookup {
        parameter: parameter.get("name")?.as_str()?.to_owned(),
        set,
    })
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Makes item `i` its own: string ids (`id`, `*_id`) new (a UUID stays a UUID), and at the top
/// level the `domain` and the names numbered.
fn vary(value: &mut Value, i: usize, seed: u64, depth: usize) {
    let mut draws = 0u64;
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if let Value::String(text) = field {
                    if key == "id" || key.ends_with("_id") {
                        *text = if is_uuid(text) {
                            draws += 1;
                            let a = mix(seed.wrapping_add(draws)).to_be_bytes();
                            let b = mix(seed.wrapping_add(draws) ^ 0x5555).to_be_bytes();
                            let mut bytes = [0u8; 16];
                            bytes[..8].copy_from_slice(&a);
                            bytes[8..].copy_from_slice(&b);
                            uuid::Builder::from_random_bytes(bytes)
                                .into_uuid()
                                .to_string()
                        } else {
                            format!("{text}-{i}")
                        };
                    } else if depth == 0 && key == "domain" {
                        *text = format!("n{i}.{text}");
                    } else if depth == 0 && key.ends_with("name") {
                        *text = format!("{text}-{i}");
                    }
                } else {
                    vary(field, i, mix(seed ^ draws.wrapping_add(7)), depth + 1);
                    draws += 1;
                }
            }
        }
        Value::Array(items) => {
            for (n, item) in items.iter_mut().enumerate() {
                vary(item, i, mix(seed ^ (n as u64 + 1)), depth + 1);
            }
        }
        _ => {}
    }
}

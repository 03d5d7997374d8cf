//! What every part of the walk shares: the two documents, the changes found so far, the work
//! budget, and the helpers that name places (locations and JSON pointers) and follow `$ref`s.

use super::Change;
use serde_json::Value;
use std::collections::HashSet;

/// A schema comparison: side, old pointer, new pointer, whether the new version requires the
/// field (for fields).
pub(super) type PairKey = (Side, String, String, Option<bool>);

/// Schema comparisons allowed in one diff before it gives up (a DAG of `$ref`s whose schemas
/// changed can fan out; unchanged ones are compared once, see [`Diff::is_clean`]).
const MAX_STEPS: usize = 1_000_000;
/// Changes listed before the diff gives up.
const MAX_CHANGES: usize = 100_000;
/// Schema nesting followed before giving up (inline nesting plus distinct `$ref`s).
pub(super) const MAX_DEPTH: usize = 100;
/// `$ref` hops followed from one value.
const MAX_HOPS: usize = 32;

/// The shared state of one diff.
pub(super) struct Diff<'a> {
    pub old: &'a Value,
    pub new: &'a Value,
    changes: Vec<Change>,
    steps: usize,
    incomplete: bool,
    /// Schema pairs compared in full without a change: met again, they are skipped.
    clean: HashSet<PairKey>,
}

impl<'a> Diff<'a> {
    pub fn new(old: &'a Value, new: &'a Value) -> Self {
        Diff {
            old,
            new,
            changes: Vec::new(),
            steps: 0,
            incomplete: false,
            clean: HashSet::new(),
        }
    }

    /// Records a change (once the diff gave up, nothing more is recorded).
    pub fn push(
        &mut self,
        kind: &str,
        location: String,
        pointer: &str,
        breaking: bool,
        detail: String,
    ) {
        if self.incomplete {
            return;
        }
        if self.changes.len() >= MAX_CHANGES {
            self.give_up(&format!("more than {MAX_CHANGES} changes"));
            return;
        }
        self.changes.push(Change {
            kind: kind.to_owned(),
            location,
            pointer: pointer.to_owned(),
            breaking,
            detail,
        });
    }

    /// Counts one schema comparison; false once the diff gave up (the budget is spent, or
    /// [`Diff::give_up`] was called): then nothing more is compared.
    pub fn step(&mut self) -> bool {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            self.give_up(&format!("more than {MAX_STEPS} schema comparisons"));
        }
        !self.incomplete
    }

    /// Notes, once, that the rest of the specs is not compared.
    pub fn give_up(&mut self, why: &str) {
        if !self.incomplete {
            self.incomplete = true;
            self.changes.push(Change {
                kind: "diff-incomplete".into(),
                location: "spec".into(),
                pointer: String::new(),
                breaking: true,
                detail: format!(
                    "the comparison stopped early ({why}); changes past that point are not listed"
                ),
            });
        }
    }

    /// How many changes were found so far.
    pub fn count(&self) -> usize {
        self.changes.len()
    }

    /// Whether this pair of schemas was compared in full before, without a change.
    pub fn is_clean(&self, key: &PairKey) -> bool {
        self.clean.contains(key)
    }

    /// Records that this pair of schemas was compared in full without a change.
    pub fn mark_clean(&mut self, key: PairKey) {
        if !self.incomplete {
            self.clean.insert(key);
        }
    }

    pub fn finish(self) -> Vec<Change> {
        self.changes
    }
}

/// Which document a value comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Doc {
    Old,
    New,
}

impl<'a> Diff<'a> {
    pub fn doc(&self, which: Doc) -> &'a Value {
        match which {
            Doc::Old => self.old,
            Doc::New => self.new,
        }
    }
}

/// Which way data flows: what the client sends, or what it decodes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum Side {
    Request,
    Response,
}

impl Side {
    /// The prefix of the change kinds of this side.
    pub fn prefix(self) -> &'static str {
        match self {
            Side::Request => "request",
            Side::Response => "response",
        }
    }
}

/// A value of a spec with the JSON pointer where it is written (the target of any `$ref`
/// followed to reach it) and the name of the last `components/schemas` entry on the way.
#[derive(Clone)]
pub(super) struct Node<'a> {
    pub value: &'a Value,
    pub pointer: String,
    pub name: Option<String>,
}

impl<'a> Node<'a> {
    /// The value at `pointer` of `document` (absent: `null`), `$ref`s followed.
    pub fn at(document: &'a Value, pointer: String) -> Option<Node<'a>> {
        let value = document.pointer(&pointer)?;
        Some(follow(document, value, pointer))
    }

    /// The member `key` of this node, `$ref`s followed.
    pub fn child(&self, document: &'a Value, key: &str) -> Option<Node<'a>> {
        let value = self.value.get(key)?;
        Some(follow(document, value, child(&self.pointer, key)))
    }

    /// The element `index` of this node's array, `$ref`s followed.
    pub fn index(&self, document: &'a Value, index: usize) -> Option<Node<'a>> {
        let value = self.value.get(index)?;
        Some(follow(
            document,
            value,
            child(&self.pointer, &index.to_string()),
        ))
    }

    /// `self.value[key]` as a string.
    pub fn str(&self, key: &str) -> Option<&'a str> {
        self.value.get(key).and_then(Value::as_str)
    }

    /// `self.value[key]` as a boolean (absent: false).
    pub fn flag(&self, key: &str) -> bool {
        self.value.get(key).and_then(Value::as_bool) == Some(true)
    }

    /// The pointer of member `key` of this node (whether present or not).
    pub fn ptr(&self, key: &str) -> String {
        child(&self.pointer, key)
    }

    /// The `$ref` this node could not follow (external, or pointing nowhere), if any.
    pub fn dangling_ref(&self) -> Option<&'a str> {
        self.value.get("$ref").and_then(Value::as_str)
    }
}

/// Follows local `$ref`s from `value` (written at `pointer`) to their target.
pub(super) fn follow<'a>(document: &'a Value, value: &'a Value, pointer: String) -> Node<'a> {
    let mut node = Node {
        value,
        pointer,
        name: None,
    };
    for _ in 0..MAX_HOPS {
        let Some(reference) = node.value.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(target_pointer) = reference.strip_prefix('#') else {
            break;
        };
        let Some(target) = document.pointer(target_pointer) else {
            break;
        };
        if let Some(name) = target_pointer.strip_prefix("/components/schemas/") {
            if !name.contains('/') {
                node.name = Some(unescape(name));
            }
        }
        node.value = target;
        node.pointer = target_pointer.to_owned();
    }
    node
}

/// The JSON pointer of member `key` under `pointer`.
pub(super) fn child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// A JSON pointer segment unescaped (`~1` → `/`, `~0` → `~`).
pub(super) fn unescape(segment: &str) -> String {
    threatbind_model::pointer_key(segment)
}

/// A value for a human: strings bare, anything else as JSON.
pub(super) fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An optional value for a human (`none` when absent).
pub(super) fn show_opt(value: Option<&Value>) -> String {
    value.map(show).unwrap_or_else(|| "none".into())
}

/// The keys of two JSON objects (either may be absent or not an object), each once, sorted.
pub(super) fn keys<'v>(old: Option<&'v Value>, new: Option<&'v Value>) -> Vec<&'v str> {
    let mut all: Vec<&str> = [old, new]
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|map| map.keys().map(String::as_str))
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// [`keys`] without the extensions (`x-...`), for the maps that allow them (responses, flows).
pub(super) fn keys_without_extensions<'v>(
    old: Option<&'v Value>,
    new: Option<&'v Value>,
) -> Vec<&'v str> {
    let mut all = keys(old, new);
    all.retain(|k| !k.starts_with("x-"));
    all
}

/// Where changes of one item are reported: the group (an operation such as
/// `GET /a (getA)`, or `servers`, `security`, `components`) and the item within it.
#[derive(Clone)]
pub(super) struct Place {
    pub group: String,
    pub item: String,
}

impl Place {
    pub fn new(group: impl Into<String>, item: impl Into<String>) -> Self {
        Place {
            group: group.into(),
            item: item.into(),
        }
    }

    /// The location of this place, with `suffix` appended to the item.
    pub fn location(&self, suffix: &str) -> String {
        let item = format!("{}{suffix}", self.item);
        if item.is_empty() {
            self.group.clone()
        } else {
            format!("{}: {item}", self.group)
        }
    }

    /// The same group, another item.
    pub fn with_item(&self, item: impl Into<String>) -> Place {
        Place::new(self.group.clone(), item)
    }
}

//! Schemas: one schema of the old spec against one of the new, on the request or the response
//! side, descending into properties, items, `additionalProperties` and `allOf`/`oneOf`/`anyOf`
//! members, `$ref`s followed and cycles cut.

mod rules;

use super::context::{keys, show_opt, Diff, Node, Place, Side, MAX_DEPTH};
use serde_json::{json, Value};
use std::sync::LazyLock;

/// The schema that allows anything: what a missing schema means.
static ANY: LazyLock<Value> = LazyLock::new(|| json!({}));

/// Compares two schemas (a missing one allows anything) of the item at `place`.
pub(super) fn compare(
    cx: &mut Diff,
    side: Side,
    place: &Place,
    old: Option<Node>,
    new: Option<Node>,
) {
    let (old, new) = match (old, new) {
        (None, None) => return,
        (Some(o), None) => {
            let any = any_at(&o.pointer);
            (o, any)
        }
        (None, Some(n)) => {
            let any = any_at(&n.pointer);
            (any, n)
        }
        (Some(o), Some(n)) => (o, n),
    };
    let mut walk = Walk {
        side,
        place,
        path: Vec::new(),
        stack: Vec::new(),
        lowest_cut: usize::MAX,
    };
    walk.schema(cx, &old, &new, None);
}

fn any_at(pointer: &str) -> Node<'static> {
    Node {
        value: &ANY,
        pointer: pointer.to_owned(),
        name: None,
    }
}

/// A step from a schema into a part of it.
enum Seg {
    Field(String),
    Items,
    Extra,
    Member(String),
}

/// A field of an object: whether the new version requires it (for the `Option` of its
/// generated type).
#[derive(Clone, Copy)]
struct Field {
    new_required: bool,
}

struct Walk<'p> {
    side: Side,
    place: &'p Place,
    path: Vec<Seg>,
    /// The (old, new) pointers being compared, outermost first: a pair met again is a cycle.
    stack: Vec<(String, String)>,
    /// The outermost stack index a cycle was cut at, in the comparison under way.
    lowest_cut: usize,
}

impl Walk<'_> {
    /// The location of the current path, e.g. `...: response 200 body field data[].id`.
    fn location(&self) -> String {
        // Steps before the first field attach to the item (`body[]`, `body<oneOf A>`); the
        // rest follows `field` (`field data[].criticality.level`).
        let first_field = self
            .path
            .iter()
            .position(|seg| matches!(seg, Seg::Field(_)))
            .unwrap_or(self.path.len());
        let (before, after) = self.path.split_at(first_field);
        let mut suffix = render(before);
        if !after.is_empty() {
            suffix.push_str(" field ");
            suffix.push_str(&render(after));
        }
        self.place.location(&suffix)
    }

    fn kind(&self, rule: &str) -> String {
        format!("{}-{rule}", self.side.prefix())
    }

    fn push(&self, cx: &mut Diff, rule: &str, pointer: &str, breaking: bool, detail: String) {
        cx.push(&self.kind(rule), self.location(), pointer, breaking, detail);
    }

    fn request(&self) -> bool {
        self.side == Side::Request
    }

    fn schema(&mut self, cx: &mut Diff, old: &Node, new: &Node, field: Option<Field>) {
        if !cx.step() {
            return;
        }
        if self.path.len() >= MAX_DEPTH {
            cx.give_up(&format!("schemas nested deeper than {MAX_DEPTH} levels"));
            return;
        }
        let pair = (old.pointer.clone(), new.pointer.clone());
        if let Some(target) = self.stack.iter().position(|p| *p == pair) {
            // A cycle: the pair is being compared further up; what lies below it is incomplete
            // until that comparison ends.
            self.lowest_cut = self.lowest_cut.min(target);
            return;
        }
        // Only real schemas are remembered (the `{}` standing for a missing one has no place).
        let any = |n: &Node| std::ptr::eq(n.value, &*ANY);
        let key = (!any(old) && !any(new)).then(|| {
            (
                self.side,
                pair.0.clone(),
                pair.1.clone(),
                field.map(|f| f.new_required),
            )
        });
        if key.as_ref().is_some_and(|k| cx.is_clean(k)) {
            return;
        }
        let (depth, changes_before, outer_cut) = (self.stack.len(), cx.count(), self.lowest_cut);
        self.lowest_cut = usize::MAX;
        self.stack.push(pair);
        self.compare(cx, old, new, field);
        self.stack.pop();
        // Clean and complete: no change, and no cycle cut at a pair above this one.
        if let Some(key) = key {
            if cx.count() == changes_before && self.lowest_cut >= depth {
                cx.mark_clean(key);
            }
        }
        self.lowest_cut = self.lowest_cut.min(outer_cut);
    }

    fn compare(&mut self, cx: &mut Diff, old: &Node, new: &Node, field: Option<Field>) {
        if old.dangling_ref().is_some() || new.dangling_ref().is_some() {
            // A reference this diff cannot follow (another file): only its text is compared.
            let (o, n) = (old.dangling_ref(), new.dangling_ref());
            if o != n {
                let detail = format!("$ref {} → {}", o.unwrap_or("none"), n.unwrap_or("none"));
                self.push(cx, "ref-changed", &new.pointer, true, detail);
            }
            return;
        }
        if !self.types(cx, old, new) {
            return;
        }
        self.nullable(cx, old, new, field);
        self.enums(cx, old, new);
        self.bounds(cx, old, new);
        self.text_rules(cx, old, new);
        if self.request() && old.value.get("default") != new.value.get("default") {
            let detail = format!(
                "default {} → {}",
                show_opt(old.value.get("default")),
                show_opt(new.value.get("default"))
            );
            self.push(cx, "default-changed", &new.ptr("default"), false, detail);
        }
        self.properties(cx, old, new);
        self.additional(cx, old, new);
        if old.value.get("items").is_some() || new.value.get("items").is_some() {
            let old_items = old
                .child(cx.old, "items")
                .unwrap_or_else(|| any_at(&old.ptr("items")));
            let new_items = new
                .child(cx.new, "items")
                .unwrap_or_else(|| any_at(&new.ptr("items")));
            self.path.push(Seg::Items);
            self.schema(cx, &old_items, &new_items, None);
            self.path.pop();
        }
        for keyword in ["allOf", "oneOf", "anyOf"] {
            self.members(cx, keyword, old, new);
        }
    }

    /// `properties` and `required`: fields removed, added, made required or optional.
    fn properties(&mut self, cx: &mut Diff, old: &Node, new: &Node) {
        let old_props = old.child(cx.old, "properties");
        let new_props = new.child(cx.new, "properties");
        let (old_required, new_required) = (required(old.value), required(new.value));
        let mut names = keys(
            old_props.as_ref().map(|n| n.value),
            new_props.as_ref().map(|n| n.value),
        );
        names.extend(old_required.iter().chain(new_required.iter()).copied());
        names.sort_unstable();
        names.dedup();
        for name in names {
            let old_prop = old_props.as_ref().and_then(|p| p.child(cx.old, name));
            let new_prop = new_props.as_ref().and_then(|p| p.child(cx.new, name));
            let (old_r, new_r) = (old_required.contains(&name), new_required.contains(&name));
            let in_old = old_prop.is_some() || old_r;
            let in_new = new_prop.is_some() || new_r;
            self.path.push(Seg::Field(name.to_owned()));
            let old_ptr = old_prop
                .as_ref()
                .map_or_else(|| old.ptr("required"), |p| p.pointer.clone());
            let new_ptr = new_prop
                .as_ref()
                .map_or_else(|| new.ptr("required"), |p| p.pointer.clone());
            match (in_old, in_new) {
                (true, false) => self.push(cx, "field-removed", &old_ptr, true, "removed".into()),
                (false, true) => match (self.request(), new_r) {
                    (true, true) => self.push(
                        cx,
                        "required-field-added",
                        &new_ptr,
                        true,
                        "added, required".into(),
                    ),
                    (true, false) => {
                        self.push(cx, "field-added", &new_ptr, false, "added, optional".into())
                    }
                    (false, _) => self.push(cx, "field-added", &new_ptr, false, "added".into()),
                },
                (true, true) => {
                    let old_schema = old_prop.unwrap_or_else(|| any_at(&old_ptr));
                    let new_schema = new_prop.unwrap_or_else(|| any_at(&new_ptr));
                    self.required_change(cx, (old_r, new_r), &new_schema, &new.ptr("required"));
                    let field = Field {
                        new_required: new_r,
                    };
                    self.schema(cx, &old_schema, &new_schema, Some(field));
                }
                (false, false) => {}
            }
            self.path.pop();
        }
    }

    fn required_change(
        &self,
        cx: &mut Diff,
        (was, is): (bool, bool),
        new_schema: &Node,
        pointer: &str,
    ) {
        match (was, is, self.request()) {
            (false, true, true) => self.push(
                cx,
                "field-became-required",
                pointer,
                true,
                "required: no → yes".into(),
            ),
            (true, false, true) => self.push(
                cx,
                "field-became-optional",
                pointer,
                false,
                "required: yes → no".into(),
            ),
            (true, false, false) => {
                let detail =
                    "required: yes → no (it may be absent; the generated field becomes an Option)";
                self.push(cx, "field-became-optional", pointer, true, detail.into());
            }
            (false, true, false) => {
                // The generated field loses its Option unless the field is nullable.
                let nullable = new_schema.flag("nullable");
                let detail = if nullable {
                    "required: no → yes"
                } else {
                    "required: no → yes (the generated field loses its Option)"
                };
                self.push(
                    cx,
                    "field-became-required",
                    pointer,
                    !nullable,
                    detail.into(),
                );
            }
            _ => {}
        }
    }

    fn additional(&mut self, cx: &mut Diff, old: &Node, new: &Node) {
        let (o, n) = (
            old.value.get("additionalProperties"),
            new.value.get("additionalProperties"),
        );
        let allows = |v: Option<&Value>| v != Some(&Value::Bool(false));
        if self.request() && allows(o) != allows(n) {
            let pointer = new.ptr("additionalProperties");
            if allows(o) {
                self.push(
                    cx,
                    "additional-properties-forbidden",
                    &pointer,
                    true,
                    "unknown fields: accepted → rejected".into(),
                );
            } else {
                self.push(
                    cx,
                    "additional-properties-allowed",
                    &pointer,
                    false,
                    "unknown fields: rejected → accepted".into(),
                );
            }
        }
        if o.is_some_and(Value::is_object) && n.is_some_and(Value::is_object) {
            if let (Some(old_extra), Some(new_extra)) = (
                old.child(cx.old, "additionalProperties"),
                new.child(cx.new, "additionalProperties"),
            ) {
                self.path.push(Seg::Extra);
                self.schema(cx, &old_extra, &new_extra, None);
                self.path.pop();
            }
        }
    }

    /// `allOf`/`oneOf`/`anyOf`: members matched by the schema they reference, else by position.
    fn members(&mut self, cx: &mut Diff, keyword: &str, old: &Node, new: &Node) {
        let old_members = members(cx.old, old, keyword);
        let new_members = members(cx.new, new, keyword);
        let label = match keyword {
            "allOf" => "all-of",
            "oneOf" => "one-of",
            _ => "any-of",
        };
        for (key, node) in &old_members {
            self.path.push(Seg::Member(format!("{keyword} {key}")));
            match new_members.iter().find(|(k, _)| k == key) {
                None => self.push(
                    cx,
                    &format!("{label}-member-removed"),
                    &node.pointer,
                    true,
                    "removed".into(),
                ),
                Some((_, new_node)) => self.schema(cx, node, new_node, None),
            }
            self.path.pop();
        }
        for (key, node) in &new_members {
            if old_members.iter().any(|(k, _)| k == key) {
                continue;
            }
            // allOf: one more constraint (requests) ; oneOf/anyOf: one more shape (responses).
            let breaking = (keyword == "allOf") == self.request();
            self.path.push(Seg::Member(format!("{keyword} {key}")));
            self.push(
                cx,
                &format!("{label}-member-added"),
                &node.pointer,
                breaking,
                "added".into(),
            );
            self.path.pop();
        }
    }
}

fn required(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Steps as text: `data[].criticality.level`, `.*` for `additionalProperties`, `<oneOf A>`.
fn render(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Field(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Seg::Items => out.push_str("[]"),
            Seg::Extra => out.push_str(".*"),
            Seg::Member(label) => {
                out.push('<');
                out.push_str(label);
                out.push('>');
            }
        }
    }
    out
}

/// The members of `keyword`, each keyed by the name of the schema it references, else `#index`.
fn members<'a>(document: &'a Value, node: &Node<'a>, keyword: &str) -> Vec<(String, Node<'a>)> {
    let Some(list) = node.child(document, keyword) else {
        return Vec::new();
    };
    let raw = list.value.as_array().map(Vec::as_slice).unwrap_or_default();
    let mut out: Vec<(String, Node<'a>)> = Vec::new();
    for (index, item) in raw.iter().enumerate() {
        let Some(member) = list.index(document, index) else {
            continue;
        };
        let key = item
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
            .map_or_else(|| format!("#{index}"), str::to_owned);
        if !out.iter().any(|(k, _)| *k == key) {
            out.push((key, member));
        }
    }
    out
}

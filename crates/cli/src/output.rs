//! Turns an answer (or the pages of an `--all` walk) into the form asked for: `--output json,
//! jsonl, yaml, csv, table, raw`, through a `--jq` program if one is given, with the columns of
//! `--columns` (else the spec's `x-cli.table`, else every column of the items).
//!
//! Values keep the vendor's key order (jaq's values are ordered maps): csv and table columns
//! come in the order they first appear.
//!
//! Nothing is collected without bound: csv and table rows are printed as they come. When neither
//! `--columns` nor the spec names the columns, the header is every column of the first rows: the
//! first answer's (or page's) items, or with `--jq` the program's outputs on the first answer (or
//! page), at most [`SETTLE_ROWS`] of them; a column that appears only later is left out (said
//! once on stderr). An aligned table (on a terminal) is aligned in blocks of [`TABLE_BLOCK`] rows.

use crate::{emit, note, Output};
use jaq_core::data::JustLut;
use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Ctx, Native, Vars};
use jaq_json::{Num, Val};
use serde_json::Value;
use threatbind::spec::Operation;
use threatbind::Error;

/// Widest cell of an aligned table (on a terminal), in characters, ellipsis included.
const MAX_CELL: usize = 40;
/// Deepest nesting flattened to dotted columns or written as YAML; deeper values are written as
/// their compact JSON text.
const MAX_DEPTH: usize = 64;
/// Rows of csv or table that settle the columns (when nothing names them) before any is
/// printed; later rows are printed as they come, so a `--jq` program without end prints in
/// bounded memory.
pub(crate) const SETTLE_ROWS: usize = 1000;
/// Rows of an aligned table (on a terminal) kept to measure the widths: each block of this many
/// rows is aligned on its own and printed.
const TABLE_BLOCK: usize = 1000;
/// The column of an item that is not an object (a string that a `--jq` program output).
const VALUE_COLUMN: &str = "value";

/// The value type of the `--jq` programs.
type Data = JustLut<Val>;

/// A `--jq` program, compiled when the global flags are read (before anything is sent).
pub(crate) struct Jq {
    filter: jaq_core::compile::Filter<Native<Data>>,
}

impl Jq {
    /// Compiles `code` with jq's standard library, except `env` (the credentials live in the
    /// environment: a program must not be able to print them). The error is jaq's message.
    pub(crate) fn compile(code: &str) -> Result<Self, String> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs())
            .filter(|(name, _, _)| *name != "env");
        let arena = Arena::default();
        let modules = Loader::new(defs)
            .load(&arena, File { code, path: () })
            .map_err(|errors| {
                errors
                    .into_iter()
                    .map(|(_, e)| load_error(code, e))
                    .collect::<Vec<_>>()
                    .join("; ")
            })?;
        let filter = jaq_core::Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errors| {
                errors
                    .into_iter()
                    .flat_map(|(_, list)| list)
                    .map(|(name, undefined)| {
                        let what = undefined.as_str();
                        let hint = if name == "env" || name == "$ENV" {
                            " (the environment holds credentials: it is not readable from --jq)"
                        } else {
                            ""
                        };
                        format!("undefined {what} {name}{hint}")
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })?;
        Ok(Self { filter })
    }

    /// Runs the program on `input`, handing each output to `each` as it comes (a program may
    /// output without end: nothing is collected). A runtime error names `--jq`.
    fn run(&self, input: Val, mut each: impl FnMut(Val) -> Result<(), Error>) -> Result<(), Error> {
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new([]));
        for out in self.filter.id.run((ctx, input)) {
            match out {
                Ok(v) => each(v)?,
                Err(exn) => {
                    let why = match exn.get_err() {
                        Ok(e) => e.to_string(),
                        Err(exn) => match exn.get_halt() {
                            Ok(code) => format!("the program halted (code {code})"),
                            Err(_) => "the program stopped unexpectedly".to_owned(),
                        },
                    };
                    return Err(Error::config("--jq", why));
                }
            }
        }
        Ok(())
    }
}

/// jaq's parse error, with the character where it happened.
fn load_error(code: &str, e: jaq_core::load::Error<&str>) -> String {
    use jaq_core::load::Error as E;
    let at = |rest: &str| {
        let offset = (rest.as_ptr() as usize)
            .checked_sub(code.as_ptr() as usize)
            .filter(|o| *o <= code.len())
            .unwrap_or(code.len());
        code.get(..offset).map_or(0, |s| s.chars().count()) + 1
    };
    match e {
        E::Io(list) => list
            .into_iter()
            .map(|(path, why)| format!("cannot load {path}: {why}"))
            .collect::<Vec<_>>()
            .join("; "),
        E::Lex(list) => list
            .into_iter()
            .map(|(expect, rest)| format!("expected {} at character {}", expect.as_str(), at(rest)))
            .collect::<Vec<_>>()
            .join("; "),
        E::Parse(list) => list
            .into_iter()
            .map(|(expect, rest)| {
                if rest.is_empty() {
                    format!("expected {} at the end", expect.as_str())
                } else {
                    format!("expected {} at character {}", expect.as_str(), at(rest))
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// Where the items of `op`'s answer are: the spec's `x-pagination.items`; else the one array
/// of non-scalar values the documented answer holds through its objects' properties (the
/// `devices` of a list of log sources); else `""`, the answer itself is the one item (none, or
/// several arrays: a record, not a list).
pub(crate) fn items_path(op: &Operation) -> String {
    if let Some(paging) = &op.pagination {
        return paging.items.clone();
    }
    let Some(schema) = op.response_schema(200) else {
        return String::new();
    };
    let mut found = Vec::new();
    arrays(&schema, &schema, &mut Vec::new(), &mut found, 0);
    found.dedup();
    match found.as_slice() {
        [one] => one.clone(),
        _ => String::new(),
    }
}

/// The dotted paths of the arrays of non-scalar items under `schema`, through properties and
/// `allOf`/`anyOf`/`oneOf` (never into an array's items).
fn arrays(
    root: &Value,
    schema: &Value,
    path: &mut Vec<String>,
    found: &mut Vec<String>,
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    let schema = threatbind::spec::resolve(root, schema);
    for key in ["allOf", "anyOf", "oneOf"] {
        for member in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            arrays(root, member, path, found, depth + 1);
        }
    }
    let is = |s: &Value, name: &str| match s.get("type") {
        Some(Value::String(t)) => t == name,
        Some(Value::Array(ts)) => ts.iter().any(|t| t == name),
        _ => false,
    };
    if is(schema, "array") || schema.get("items").is_some() {
        let item = schema
            .get("items")
            .map(|i| threatbind::spec::resolve(root, i));
        let scalar = item.is_some_and(|i| {
            ["string", "number", "integer", "boolean"]
                .iter()
                .any(|t| is(i, t))
        });
        if !scalar && !path.is_empty() {
            found.push(path.join("."));
        }
        return;
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, sub) in properties {
            path.push(name.clone());
            arrays(root, sub, path, found, depth + 1);
            path.pop();
        }
    }
}

/// A JSON text as a jaq value, keys in the vendor's order (serde_json's reader: its nesting
/// limit holds for hostile answers).
fn parse(text: &[u8]) -> Result<Val, String> {
    serde_json::from_slice::<Val>(text).map_err(|e| e.to_string())
}

/// The items at `path` of `doc`, or why there are none.
fn items_at(doc: Val, path: &str) -> Result<Vec<Val>, String> {
    let mut at = doc;
    for key in path.split('.').filter(|k| !k.is_empty()) {
        let next = match &at {
            Val::Obj(o) => o.get(&Val::from(key.to_owned())).cloned(),
            _ => None,
        };
        at = next.ok_or_else(|| format!("the answer has no {path:?}"))?;
    }
    match at {
        Val::Arr(list) if list.is_empty() => Err(format!("the answer's {path:?} is empty")),
        Val::Arr(list) if !path.is_empty() => Ok(list.as_ref().clone()),
        Val::Null if !path.is_empty() => Err(format!("the answer's {path:?} is null")),
        other => Ok(vec![other]),
    }
}

/// A value as compact JSON text (jaq's writer).
fn compact(v: &Val) -> String {
    v.to_string()
}

/// A value as JSON indented by two spaces.
fn pretty(v: &Val) -> String {
    let pp = jaq_json::write::Pp {
        indent: Some("  ".to_owned()),
        sep_space: true,
        ..Default::default()
    };
    let mut out = Vec::new();
    match jaq_json::write::write(&mut out, &pp, 0, v) {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(_) => compact(v),
    }
}

/// The text of a string value, or the compact JSON of any other.
fn text(v: &Val) -> String {
    match v {
        Val::TStr(b) | Val::BStr(b) => String::from_utf8_lossy(b).into_owned(),
        other => compact(other),
    }
}

/// One item as cells by dotted column: nested objects become `a.b.c`, arrays their compact
/// JSON text, null an empty cell; an item that is no object is one `value` cell.
pub(crate) fn flatten(item: &Val) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match item {
        Val::Obj(o) if !o.is_empty() => walk("", o, &mut out, 0),
        other => out.push((VALUE_COLUMN.to_owned(), cell(other))),
    }
    out
}

fn walk(prefix: &str, object: &jaq_json::Map, out: &mut Vec<(String, String)>, depth: usize) {
    for (key, value) in object {
        let name = format!("{prefix}{}", text(key));
        match value {
            Val::Obj(o) if !o.is_empty() && depth < MAX_DEPTH => {
                walk(&format!("{name}."), o, out, depth + 1)
            }
            other => out.push((name, cell(other))),
        }
    }
}

fn cell(v: &Val) -> String {
    match v {
        Val::Null => String::new(),
        other => text(other),
    }
}

/// A jaq value as a YAML value (order kept; numbers as numbers where YAML can hold them).
fn yaml(v: &Val, depth: usize) -> serde_yaml_ng::Value {
    use serde_yaml_ng::Value as Y;
    match v {
        Val::Null => Y::Null,
        Val::Bool(b) => Y::Bool(*b),
        Val::Num(n) => number(n),
        Val::TStr(_) | Val::BStr(_) => Y::String(text(v)),
        _ if depth >= MAX_DEPTH => Y::String(compact(v)),
        Val::Arr(list) => Y::Sequence(list.iter().map(|i| yaml(i, depth + 1)).collect()),
        Val::Obj(o) => Y::Mapping(
            o.iter()
                .map(|(k, v)| (Y::String(text(k)), yaml(v, depth + 1)))
                .collect(),
        ),
    }
}

fn number(n: &Num) -> serde_yaml_ng::Value {
    use serde_yaml_ng::Value as Y;
    let spelled = n.to_string();
    if let Ok(i) = spelled.parse::<i64>() {
        Y::Number(i.into())
    } else if let Ok(u) = spelled.parse::<u64>() {
        Y::Number(u.into())
    } else if let Ok(f) = spelled.parse::<f64>() {
        Y::Number(f.into())
    } else {
        Y::String(spelled)
    }
}

/// One YAML document (or a sequence's entries) without its final newline.
fn yaml_text(v: &serde_yaml_ng::Value) -> Result<String, Error> {
    serde_yaml_ng::to_string(v)
        .map(|t| t.trim_end_matches('\n').to_owned())
        .map_err(|e| Error::Decode(format!("the answer cannot be written as YAML: {e}")))
}

/// A cell of a tab-separated table: tabs and line breaks become spaces.
fn tsv_cell(text: &str) -> String {
    text.replace(['\t', '\n', '\r'], " ")
}

/// A cell of an aligned table: on one line, at most [`MAX_CELL`] characters.
fn aligned_cell(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= MAX_CELL {
        one_line
    } else {
        let mut cut: String = one_line.chars().take(MAX_CELL - 1).collect();
        cut.push('…');
        cut
    }
}

/// The rows of an aligned table, each cell padded to its column's widest.
fn align(rows: &[Vec<String>]) -> Vec<String> {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let n = cell.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(n),
                None => widths.push(n),
            }
        }
    }
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    let pad = widths.get(i).copied().unwrap_or(0);
                    line.push_str(&format!("{cell:<pad$}  "));
                }
            }
            line.trim_end().to_owned()
        })
        .collect()
}

/// `cell` as a spreadsheet should show it: a text that a spreadsheet would run as a formula
/// (first character `=`, `+`, `-`, `@`, tab or carriage return, and not a number) gets a leading
/// `'`, as OWASP advises for CSV files; indicators and answers come from outside and are opened
/// in Excel, LibreOffice or Google Sheets.
pub(crate) fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.trim().parse::<f64>().is_err() {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// One CSV record (RFC 4180 quoting, formulas defused by [`spreadsheet_safe`]) without its
/// line end.
pub(crate) fn csv_record(cells: &[String]) -> Result<String, Error> {
    let cells: Vec<std::borrow::Cow<'_, str>> = cells.iter().map(|c| spreadsheet_safe(c)).collect();
    let cells = &cells;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    writer
        .write_record(cells.iter().map(|c| c.as_bytes()))
        .map_err(|e| Error::Decode(format!("a CSV row cannot be written: {e}")))?;
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::Decode(format!("a CSV row cannot be written: {e}")))?;
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

/// Prints an answer, or the pages of a walk, in one form. Feed it with [`Self::page`], end
/// with [`Self::finish`].
pub(crate) struct Printer<'a> {
    form: Output,
    jq: Option<&'a Jq>,
    /// An `--all` walk (else one answer).
    all: bool,
    /// An `--all` walk, as given (`all` is cleared to print a program's outputs of a walk).
    walk: bool,
    /// Pretty JSON and an aligned table (stdout is a terminal).
    terminal: bool,
    /// The columns of csv and table: `--columns`, the spec's, or the first rows'.
    columns: Option<Vec<String>>,
    /// Whether `columns` came from `--columns` or the spec (else from the first rows).
    fixed: bool,
    header_done: bool,
    /// Rows (csv, table) or items (json and yaml walks) printed.
    count: usize,
    /// Rows of an aligned table, kept until the widths are known.
    table: Vec<Vec<String>>,
    /// Items of a walk that a `--jq` program reads as one array (json, yaml).
    buffered: Vec<Val>,
    /// A `--all --output json` array was opened.
    open: bool,
    /// Why the last answer (or page) held no items: said when nothing was printed.
    why_empty: Option<String>,
    /// A `--jq` program ran on at least one input (then an empty output is the program's).
    ran: bool,
    /// Rows of csv or table that wait for the columns to be settled (at most [`SETTLE_ROWS`]).
    pending: Vec<Vec<(String, String)>>,
    /// Where the items of the answers are (said when there are none).
    items_path: String,
    /// The columns were settled by the first rows.
    settled: bool,
    /// Columns of later pages left out (said once).
    left_out_said: bool,
}

impl<'a> Printer<'a> {
    /// A printer of `op`'s answers in `form`; `columns` is `--columns` (else the spec's, when
    /// no program reshapes the items).
    pub(crate) fn new(
        form: Output,
        jq: Option<&'a Jq>,
        columns: Option<&[String]>,
        op: &Operation,
        all: bool,
    ) -> Self {
        // A program chooses the shape of the rows: the spec's columns are for its items.
        let columns = columns
            .map(<[String]>::to_vec)
            .or_else(|| op.cli.table.clone().filter(|_| jq.is_none()))
            .filter(|c| !c.is_empty());
        Printer {
            form,
            jq,
            all,
            walk: all,
            terminal: crate::stdout_is_terminal(),
            fixed: columns.is_some(),
            columns,
            header_done: false,
            count: 0,
            table: Vec::new(),
            buffered: Vec::new(),
            open: false,
            why_empty: None,
            ran: false,
            pending: Vec::new(),
            items_path: items_path(op),
            settled: false,
            left_out_said: false,
        }
    }

    /// Prints one answer (or one page of a walk).
    pub(crate) fn page(&mut self, body: &[u8]) -> Result<(), Error> {
        match self.form {
            Output::Raw => {
                emit(&String::from_utf8_lossy(body));
                Ok(())
            }
            Output::Json | Output::Jsonl if self.jq.is_none() => {
                self.json_as_sent(body);
                Ok(())
            }
            _ => self.parsed(body),
        }
    }

    /// json and jsonl without a program: the vendor's text re-spaced, never re-encoded.
    fn json_as_sent(&mut self, body: &[u8]) {
        let text = String::from_utf8_lossy(body);
        match (self.form, self.all) {
            (Output::Json, false) => emit(&if self.terminal {
                crate::json_text::pretty(&text)
            } else {
                crate::json_text::compact(&text)
            }),
            (Output::Json, true) => {
                // One JSON array of every item, streamed item by item. A walk that stops early
                // leaves it unclosed (and exits non-zero): never a complete-looking array.
                if !self.open {
                    emit("[");
                    self.open = true;
                }
                for item in threatbind::raw::items(body, &self.items_path) {
                    let item = crate::json_text::compact(&item);
                    emit(&if self.count == 0 {
                        item
                    } else {
                        format!(",{item}")
                    });
                    self.count += 1;
                }
            }
            _ => {
                for item in threatbind::raw::items(body, &self.items_path) {
                    emit(&crate::json_text::compact(&item));
                }
            }
        }
    }

    /// Every form that reads the answer as values: a program, yaml, csv, table.
    fn parsed(&mut self, body: &[u8]) -> Result<(), Error> {
        let doc = if body.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            Some(parse(body).map_err(|e| {
                Error::Decode(format!(
                    "the answer is not JSON ({e}): --output raw prints it as received"
                ))
            })?)
        };
        // What a program reads, and what is printed, per the form and the walk.
        let items_path = self.items_path.clone();
        let items = |doc: Option<Val>| -> Result<Vec<Val>, String> {
            match doc {
                None => Err("the answer is empty".to_owned()),
                Some(doc) => items_at(doc, &items_path),
            }
        };
        match (self.form, self.all) {
            (Output::Json | Output::Yaml, false) | (Output::Jsonl, false) => {
                let Some(doc) = doc else {
                    return Ok(());
                };
                match self.jq {
                    Some(jq) => jq.run(doc, |v| {
                        self.value(&v)?;
                        Ok(())
                    }),
                    None => self.value(&doc),
                }
            }
            (Output::Json | Output::Yaml, true) => {
                for item in self.items_or_why(items(doc)) {
                    if self.jq.is_some() {
                        self.buffered.push(item);
                    } else {
                        self.value(&item)?;
                    }
                }
                Ok(())
            }
            (Output::Jsonl, true) => {
                for item in self.items_or_why(items(doc)) {
                    match self.jq {
                        Some(jq) => {
                            self.ran = true;
                            jq.run(item, |v| self.value(&v))?
                        }
                        None => self.value(&item)?,
                    }
                }
                Ok(())
            }
            (Output::Csv | Output::Table, _) => {
                // A program's outputs are printed as they come (after the first rows settle the
                // columns): a program may output without end.
                match (self.jq, self.all) {
                    (Some(jq), false) => match doc {
                        Some(doc) => {
                            self.ran = true;
                            jq.run(doc, |v| self.spread(v))?;
                        }
                        None => self.why_empty = Some("the answer is empty".to_owned()),
                    },
                    (Some(jq), true) => {
                        for item in self.items_or_why(items(doc)) {
                            self.ran = true;
                            jq.run(item, |v| self.spread(v))?;
                        }
                    }
                    (None, _) => {
                        let list = self.items_or_why(items(doc));
                        self.pending.extend(list.iter().map(flatten));
                    }
                }
                // The end of the first answer (or page) settles the columns.
                let rows = std::mem::take(&mut self.pending);
                self.rows(rows)
            }
            // --output stix is the bundle's (crate::stix_output), never a printer's.
            (Output::Raw | Output::Stix, _) => Ok(()),
        }
    }

    /// The items of a page, or none with the reason kept for [`Self::finish`].
    fn items_or_why(&mut self, items: Result<Vec<Val>, String>) -> Vec<Val> {
        match items {
            Ok(list) => list,
            Err(why) => {
                self.why_empty = Some(why);
                Vec::new()
            }
        }
    }

    /// One output of a `--jq` program as csv or table rows (an array: one row per element):
    /// kept while the columns are not settled (at most [`SETTLE_ROWS`] rows), else printed.
    fn spread(&mut self, v: Val) -> Result<(), Error> {
        match v {
            Val::Arr(list) => self.pending.extend(list.iter().map(flatten)),
            other => self.pending.push(flatten(&other)),
        }
        if self.settled || self.pending.len() >= SETTLE_ROWS {
            let rows = std::mem::take(&mut self.pending);
            self.rows(rows)?;
        }
        Ok(())
    }

    /// Why nothing was printed, for the note of [`Self::finish`].
    fn why_none(&self) -> String {
        if self.jq.is_some() && self.ran {
            "the --jq program output nothing".to_owned()
        } else if self.walk {
            match &self.why_empty {
                Some(why) => format!("no page's {:?} held any (the last: {why})", self.items_path),
                None => format!("no page's {:?} held any", self.items_path),
            }
        } else {
            self.why_empty
                .clone()
                .unwrap_or_else(|| "the answer held none".to_owned())
        }
    }

    /// Prints one value: json (pretty on a terminal), jsonl, or yaml.
    fn value(&mut self, v: &Val) -> Result<(), Error> {
        match self.form {
            Output::Yaml => {
                let text = if self.all {
                    // An entry of the walk's one sequence.
                    yaml_text(&serde_yaml_ng::Value::Sequence(vec![yaml(v, 0)]))?
                } else {
                    let doc = yaml_text(&yaml(v, 0))?;
                    if self.count > 0 {
                        format!("---\n{doc}")
                    } else {
                        doc
                    }
                };
                emit(&text);
            }
            Output::Json if self.terminal => emit(&pretty(v)),
            _ => emit(&compact(v)),
        }
        self.count += 1;
        Ok(())
    }

    /// Prints rows of csv or table cells, the header first.
    fn rows(&mut self, rows: Vec<Vec<(String, String)>>) -> Result<(), Error> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut union: Vec<&str> = Vec::new();
        for (name, _) in rows.iter().flatten() {
            if !union.contains(&name.as_str()) {
                union.push(name);
            }
        }
        if !self.settled {
            // The first rows settle the columns: every column they hold, or the named ones
            // with a column that names an object spread into its dotted columns.
            self.settled = true;
            self.columns = Some(match &self.columns {
                None => union.iter().map(|n| (*n).to_owned()).collect(),
                Some(named) => named
                    .iter()
                    .flat_map(|c| {
                        let prefix = format!("{c}.");
                        let under: Vec<String> = union
                            .iter()
                            .filter(|n| n.starts_with(&prefix))
                            .map(|n| (*n).to_owned())
                            .collect();
                        if union.contains(&c.as_str()) || under.is_empty() {
                            vec![c.clone()]
                        } else {
                            under
                        }
                    })
                    .collect(),
            });
        }
        let columns = self.columns.clone().unwrap_or_default();
        if !self.fixed && !self.left_out_said {
            if let Some(first) = union.iter().find(|n| !columns.iter().any(|c| c == *n)) {
                note(&format!(
                    "note: columns that were not in the first page's items are left out (such as {first:?}); --columns chooses them"
                ));
                self.left_out_said = true;
            }
        }
        self.header()?;
        for row in rows {
            let cells: Vec<String> = columns
                .iter()
                .map(|c| {
                    row.iter()
                        .find(|(name, _)| name == c)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                })
                .collect();
            self.line(cells)?;
            self.count += 1;
        }
        Ok(())
    }

    /// The header row, once (nothing when no column is known).
    fn header(&mut self) -> Result<(), Error> {
        if self.header_done {
            return Ok(());
        }
        self.header_done = true;
        match &self.columns {
            Some(columns) if !columns.is_empty() => self.line(columns.clone()),
            _ => Ok(()),
        }
    }

    fn line(&mut self, cells: Vec<String>) -> Result<(), Error> {
        match self.form {
            Output::Csv => emit(&csv_record(&cells)?),
            Output::Table if self.terminal => {
                self.table
                    .push(cells.iter().map(|c| aligned_cell(c)).collect());
                if self.table.len() >= TABLE_BLOCK {
                    for line in align(&std::mem::take(&mut self.table)) {
                        emit(&line);
                    }
                }
            }
            _ => emit(
                &cells
                    .iter()
                    .map(|c| tsv_cell(c))
                    .collect::<Vec<_>>()
                    .join("\t"),
            ),
        }
        Ok(())
    }

    /// Ends the output: closes a json array, writes what waited for the last page, and says on
    /// stderr why a csv or table had no items, or a walk (yaml, jsonl, a program's json) printed
    /// nothing while a page lacked its items.
    pub(crate) fn finish(mut self) -> Result<(), Error> {
        match self.form {
            Output::Json | Output::Yaml if self.all => {
                if let Some(jq) = self.jq {
                    // On no item at all, the missing items are the reason, not the program.
                    self.ran = !self.buffered.is_empty();
                    let array = Val::Arr(jaq_json::Rc::new(std::mem::take(&mut self.buffered)));
                    self.all = false;
                    jq.run(array, |v| self.value(&v))?;
                } else if self.form == Output::Json {
                    if !self.open {
                        emit("[");
                    }
                    emit("]");
                } else if self.count == 0 {
                    emit("[]");
                }
            }
            Output::Csv | Output::Table => {
                // Rows that waited for the columns (a program's first outputs).
                let rows = std::mem::take(&mut self.pending);
                self.rows(rows)?;
                if self.count == 0 {
                    self.header()?;
                    note(&format!("note: no items: {}", self.why_none()));
                }
                if !self.table.is_empty() {
                    for line in align(&self.table) {
                        emit(&line);
                    }
                }
            }
            _ => {}
        }
        if self.count == 0
            && self.why_empty.is_some()
            && matches!(self.form, Output::Json | Output::Yaml | Output::Jsonl)
        {
            note(&format!("note: no items: {}", self.why_none()));
        }
        Ok(())
    }
}

/// `--columns a,b.c`: the names, trimmed, none empty.
pub(crate) fn columns(text: &str) -> Result<Vec<String>, String> {
    let names: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    if names.is_empty() {
        return Err("names no column: write --columns a,b.c".to_owned());
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn val(text: &str) -> Val {
        parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn nested_objects_become_dotted_columns_in_the_vendors_order() {
        let item = val(
            r#"{"z": 1, "a": {"level": "LOW", "deep": {"x": null}}, "l": [1, {"b": 2}], "e": {}, "s": "t"}"#,
        );
        assert_eq!(
            flatten(&item),
            [
                ("z".to_owned(), "1".to_owned()),
                ("a.level".to_owned(), "LOW".to_owned()),
                ("a.deep.x".to_owned(), String::new()),
                ("l".to_owned(), r#"[1,{"b":2}]"#.to_owned()),
                ("e".to_owned(), "{}".to_owned()),
                ("s".to_owned(), "t".to_owned()),
            ]
        );
        assert_eq!(
            flatten(&val(r#""plain""#)),
            [("value".to_owned(), "plain".to_owned())]
        );
    }

    #[test]
    fn items_say_why_there_are_none() {
        assert_eq!(
            items_at(val(r#"{"data": []}"#), "data"),
            Err(r#"the answer's "data" is empty"#.to_owned())
        );
        assert_eq!(
            items_at(val(r#"{"meta": {}}"#), "data.results"),
            Err(r#"the answer has no "data.results""#.to_owned())
        );
        assert_eq!(items_at(val(r#"{"a": 1}"#), "").map(|l| l.len()), Ok(1));
    }

    #[test]
    fn cells_a_spreadsheet_would_run_are_defused_and_numbers_kept() {
        let row = [
            "=HYPERLINK(\"http://evil.example\")",
            "+1+cmd|' /C calc'!A0",
            "-2",
            "-1.5e3",
            "@SUM(A1)",
            "\tx",
            "8.8.8.8",
            "a=b",
        ]
        .map(str::to_owned);
        assert_eq!(
            csv_record(&row).unwrap(),
            "\"'=HYPERLINK(\"\"http://evil.example\"\")\",'+1+cmd|' /C calc'!A0,-2,-1.5e3,'@SUM(A1),'\tx,8.8.8.8,a=b"
        );
    }

    #[test]
    fn aligned_cells_are_padded_and_capped() {
        let long = "x".repeat(50);
        let cell = aligned_cell(&long);
        assert_eq!(cell.chars().count(), 40);
        assert!(cell.ends_with('…'));
        assert_eq!(
            align(&[
                vec!["id".into(), "name".into()],
                vec!["12345".into(), "a".into()]
            ]),
            ["id     name", "12345  a"]
        );
    }

    #[test]
    fn a_program_that_does_not_compile_says_why() {
        assert!(Jq::compile(".data[] | {id}").is_ok());
        let e = Jq::compile(".a |").err().unwrap();
        assert!(e.contains("expected"), "{e}");
        let e = Jq::compile("env.HOME").err().unwrap();
        assert!(e.contains("not readable from --jq"), "{e}");
    }

    #[test]
    fn the_items_of_an_unpaginated_list_come_from_its_documented_answer() {
        use threatbind::spec::Api;
        let path = |api: Api, id: &str| items_path(api.operation(id).unwrap());
        // Log360 on-premises V1: the log sources are the answer's `devices`.
        assert_eq!(path(Api::Log360OnpremV1, "listLogSources"), "devices");
        // A record with several lists is one item.
        assert_eq!(path(Api::Log360Cloud, "getEntityRiskProfile"), "");
        // Paginated: the spec's x-pagination.items.
        assert_eq!(path(Api::NameshieldCti, "listThreatEvents"), "data");
    }
}

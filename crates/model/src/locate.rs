//! Where a JSON pointer sits in a YAML (or JSON) text: the line of its key. The parser gives no
//! positions for values, so this reads the text's structure itself: block mappings, `- `
//! sequences, flow collections (`{a: 1, b: [x]}`, JSON), quoted and plain scalars, block
//! scalars (`|`, `>`) and comments. It also sees every key twice written in one mapping, which
//! the parser silently merges. Anchors, tags and explicit keys (`? `) are skipped, not followed.

use crate::pointer_child as child;

/// How deep a text is read (deeper structure is left out).
const MAX_DEPTH: usize = 160;
use std::collections::hash_map::Entry;
use std::collections::HashMap;

/// The line of every key of a YAML or JSON text, by JSON pointer.
///
/// ```
/// use threatbind_model::Locator;
/// let text = "paths:\n  /things:\n    get:\n      tags: [a, b]\n      responses: {\"200\": {description: ok}}\n";
/// let at = Locator::new(text);
/// assert_eq!(at.line("/paths/~1things/get"), Some(3));
/// assert_eq!(at.line("/paths/~1things/get/tags/1"), Some(4));
/// assert_eq!(at.line("/paths/~1things/get/responses/200/description"), Some(5));
/// // A pointer the text does not hold gives the line of its nearest ancestor.
/// assert_eq!(at.line("/paths/~1things/get/summary"), Some(3));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Locator {
    lines: HashMap<String, usize>,
    duplicates: Vec<(String, usize)>,
}

impl Locator {
    /// Reads the structure of `text`. Never fails: what it cannot read is left out.
    ///
    /// ```
    /// use threatbind_model::Locator;
    /// let at = Locator::new("{\"a\": {\n  \"b\": 1}}");
    /// assert_eq!(at.line("/a/b"), Some(2));
    /// assert_eq!(Locator::new("").line("/x"), None);
    /// ```
    pub fn new(text: &str) -> Self {
        // A byte-order mark sits on line 1 and is no part of the first key.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut scan = Scan::new(text.as_bytes());
        scan.document();
        Locator {
            lines: scan.lines,
            duplicates: scan.duplicates,
        }
    }

    /// The line (1-based) of the key at `pointer`, else of its nearest ancestor that has one.
    ///
    /// ```
    /// use threatbind_model::Locator;
    /// let at = Locator::new("a:\n  - x: 1\n    y: 2\n");
    /// assert_eq!(at.line("/a/0/y"), Some(3));
    /// assert_eq!(at.line(""), Some(1));
    /// ```
    pub fn line(&self, pointer: &str) -> Option<usize> {
        let mut current = pointer;
        loop {
            if let Some(line) = self.lines.get(current) {
                return Some(*line);
            }
            match current.rfind('/') {
                Some(i) => current = &current[..i],
                None => return None,
            }
        }
    }

    /// The line (1-based) of exactly the key or item at `pointer`, if the text holds it.
    ///
    /// ```
    /// use threatbind_model::Locator;
    /// let at = Locator::new("a: {b: [1, 2]}\n");
    /// assert_eq!(at.exact("/a/b/1"), Some(1));
    /// assert_eq!(at.exact("/a/c"), None);
    /// ```
    pub fn exact(&self, pointer: &str) -> Option<usize> {
        self.lines.get(pointer).copied()
    }

    /// Keys written twice in one mapping: the pointer and the line of the second occurrence.
    ///
    /// ```
    /// use threatbind_model::Locator;
    /// let at = Locator::new("a: 1\nb: 2\na: 3\n");
    /// assert_eq!(at.duplicates(), &[("/a".to_owned(), 3)]);
    /// ```
    pub fn duplicates(&self) -> &[(String, usize)] {
        &self.duplicates
    }
}

/// The reader: the text, where each line starts, and what was found.
struct Scan<'a> {
    text: &'a [u8],
    starts: Vec<usize>,
    lines: HashMap<String, usize>,
    duplicates: Vec<(String, usize)>,
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t' || b == b'\r'
}

fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

impl<'a> Scan<'a> {
    fn new(text: &'a [u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Scan {
            text,
            starts,
            lines: HashMap::new(),
            duplicates: Vec::new(),
        }
    }

    fn byte(&self, pos: usize) -> Option<u8> {
        self.text.get(pos).copied()
    }

    fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The line (0-based) holding byte `pos`.
    fn line_of(&self, pos: usize) -> usize {
        self.starts.partition_point(|s| *s <= pos).saturating_sub(1)
    }

    /// The offset just past the last byte of line `l` (before its newline).
    fn line_end(&self, l: usize) -> usize {
        match self.starts.get(l + 1) {
            Some(next) => next - 1,
            None => self.text.len(),
        }
    }

    /// Leading spaces of line `l`.
    fn indent(&self, l: usize) -> usize {
        let start = self.starts[l];
        self.text[start..self.line_end(l)]
            .iter()
            .take_while(|b| **b == b' ')
            .count()
    }

    /// The first byte of line `l` that is not a space or tab.
    fn first_content(&self, l: usize) -> usize {
        let (start, end) = (self.starts[l], self.line_end(l));
        (start..end)
            .find(|i| !is_space(self.text[*i]))
            .unwrap_or(end)
    }

    /// Whether line `l` holds nothing but spaces or a comment.
    fn is_blank(&self, l: usize) -> bool {
        let pos = self.first_content(l);
        pos >= self.line_end(l) || self.text[pos] == b'#'
    }

    /// The first line from `l` on that holds content.
    fn next_content(&self, mut l: usize) -> Option<usize> {
        while l < self.line_count() {
            if !self.is_blank(l) {
                return Some(l);
            }
            l += 1;
        }
        None
    }

    /// The first line from `l` on that holds content indented at most `parent` (the lines
    /// in between belong to a node indented deeper).
    fn skip_block(&self, mut l: usize, parent: isize) -> usize {
        while l < self.line_count() && (self.is_blank(l) || self.indent(l) as isize > parent) {
            l += 1;
        }
        l
    }

    /// Whether `pos` is at the end of its line or at a comment.
    fn at_line_end(&self, pos: usize) -> bool {
        matches!(self.byte(pos), None | Some(b'\n' | b'#'))
    }

    fn skip_spaces(&self, mut pos: usize) -> usize {
        while self.byte(pos).is_some_and(is_space) {
            pos += 1;
        }
        pos
    }

    fn record(&mut self, pointer: String, line: usize) {
        match self.lines.entry(pointer) {
            Entry::Occupied(seen) => self.duplicates.push((seen.key().clone(), line + 1)),
            Entry::Vacant(new) => {
                new.insert(line + 1);
            }
        }
    }

    /// Whether `pos` starts a block sequence entry (`- ` or a lone `-`).
    fn is_dash(&self, pos: usize) -> bool {
        self.byte(pos) == Some(b'-') && self.byte(pos + 1).is_none_or(|b| is_space(b) || b == b'\n')
    }

    fn document(&mut self) {
        let mut l = 0;
        // Directives and the document start marker.
        while let Some(n) = self.next_content(l) {
            let pos = self.first_content(n);
            let rest = &self.text[pos..self.line_end(n)];
            if rest.starts_with(b"%") || rest == b"---" || rest.starts_with(b"--- ") {
                l = n + 1;
            } else {
                break;
            }
        }
        if let Some(n) = self.next_content(l) {
            self.record(String::new(), n);
            let pos = self.first_content(n);
            self.node(pos, -1, "", 0);
        }
    }

    /// A block node whose content starts at `pos`, inside a parent indented `parent`; returns
    /// the first line after it.
    fn node(&mut self, pos: usize, parent: isize, pointer: &str, depth: usize) -> usize {
        let l = self.line_of(pos);
        if depth > MAX_DEPTH {
            return self.skip_block(l + 1, parent);
        }
        let column = pos - self.starts[l];
        match self.byte(pos) {
            _ if self.is_dash(pos) => self.sequence(pos, column, pointer, depth),
            Some(b'{' | b'[') => {
                let end = self.flow(pos, pointer, depth);
                self.line_of(end.saturating_sub(1).max(pos)) + 1
            }
            Some(b'|' | b'>') => self.skip_block(l + 1, parent),
            Some(b'&' | b'!') => {
                // An anchor or a tag, then the node itself.
                let mut p = pos;
                while self.byte(p).is_some_and(|b| !is_space(b) && b != b'\n') {
                    p += 1;
                }
                let p = self.skip_spaces(p);
                if self.at_line_end(p) {
                    match self.next_content(l + 1) {
                        Some(n) if self.indent(n) as isize > parent => {
                            let start = self.first_content(n);
                            self.node(start, parent, pointer, depth + 1)
                        }
                        _ => l + 1,
                    }
                } else {
                    self.node(p, parent, pointer, depth + 1)
                }
            }
            Some(b'"' | b'\'') => {
                let (_, end) = self.quoted(pos);
                if self.block_key(pos).is_some() && self.line_of(end) == l {
                    self.mapping(pos, column, pointer, depth)
                } else {
                    self.skip_block(self.line_of(end.saturating_sub(1).max(pos)) + 1, parent)
                }
            }
            _ => {
                if self.block_key(pos).is_some() {
                    self.mapping(pos, column, pointer, depth)
                } else {
                    self.skip_block(l + 1, parent)
                }
            }
        }
    }

    /// After a key ending at `pos`: the offset past its `:` when one follows (a value
    /// indicator: `:` then a space, the line's end, or in JSON any value).
    fn key_colon(&self, pos: usize) -> Option<usize> {
        let p = self.skip_spaces(pos);
        (self.byte(p) == Some(b':')).then_some(p + 1)
    }

    /// The key of a block mapping entry at `pos`, and the offset past its `:`.
    fn block_key(&self, pos: usize) -> Option<(String, usize)> {
        match self.byte(pos)? {
            b'"' | b'\'' => {
                let (key, end) = self.quoted(pos);
                let after = self.key_colon(end)?;
                let next = self.byte(after);
                next.is_none_or(|b| is_space(b) || b == b'\n')
                    .then_some((key, after))
            }
            b'?' | b'#' => None,
            _ => {
                let end = self.line_end(self.line_of(pos));
                let mut i = pos;
                while i < end {
                    let b = self.text[i];
                    if b == b'#' && i > pos && is_space(self.text[i - 1]) {
                        return None;
                    }
                    if b == b':' && (i + 1 >= end || is_space(self.text[i + 1])) {
                        let key = String::from_utf8_lossy(&self.text[pos..i]);
                        return Some((key.trim_end().to_owned(), i + 1));
                    }
                    i += 1;
                }
                None
            }
        }
    }

    /// A block mapping whose first key starts at `pos`, its keys in column `column`.
    fn mapping(&mut self, pos: usize, column: usize, pointer: &str, depth: usize) -> usize {
        let mut start = pos;
        loop {
            let l = self.line_of(start);
            let next = match self.block_key(start) {
                Some((key, after)) => {
                    let here = child(pointer, &key);
                    self.record(here.clone(), l);
                    self.value(after, l, column, &here, depth)
                }
                // Not a key (the text is not YAML the parser accepts): skip the line.
                None => l + 1,
            };
            let n = self.skip_block(next, column as isize);
            if n >= self.line_count()
                || self.indent(n) != column
                || self.is_dash(self.starts[n] + column)
            {
                return n;
            }
            start = self.starts[n] + column;
        }
    }

    /// The value of a block mapping entry whose `:` ends at `after` on line `l`, the key in
    /// column `column`; returns the first line after it.
    fn value(&mut self, after: usize, l: usize, column: usize, here: &str, depth: usize) -> usize {
        let value = self.skip_spaces(after);
        if !self.at_line_end(value) {
            return self.node(value, column as isize, here, depth + 1);
        }
        match self.next_content(l + 1) {
            Some(n) if self.indent(n) > column => {
                let first = self.first_content(n);
                self.node(first, column as isize, here, depth + 1)
            }
            // `key:` then `- item` lines in the key's own column.
            Some(n) if self.indent(n) == column && self.is_dash(self.starts[n] + column) => {
                self.sequence(self.starts[n] + column, column, here, depth + 1)
            }
            _ => l + 1,
        }
    }

    /// A block sequence whose first `-` is at `pos`, in column `column`.
    fn sequence(&mut self, pos: usize, column: usize, pointer: &str, depth: usize) -> usize {
        let mut dash = pos;
        let mut index = 0usize;
        loop {
            let l = self.line_of(dash);
            let here = child(pointer, &index.to_string());
            self.record(here.clone(), l);
            let value = self.skip_spaces(dash + 1);
            let next = if self.at_line_end(value) {
                match self.next_content(l + 1) {
                    Some(n) if self.indent(n) > column => {
                        let first = self.first_content(n);
                        self.node(first, column as isize, &here, depth + 1)
                    }
                    _ => l + 1,
                }
            } else {
                self.node(value, column as isize, &here, depth + 1)
            };
            let n = self.skip_block(next, column as isize);
            if n >= self.line_count()
                || self.indent(n) != column
                || !self.is_dash(self.starts[n] + column)
            {
                return n;
            }
            dash = self.starts[n] + column;
            index += 1;
        }
    }

    /// Skips spaces, line breaks and comments inside a flow collection.
    fn flow_space(&self, mut pos: usize) -> usize {
        loop {
            match self.byte(pos) {
                Some(b) if is_space(b) || b == b'\n' => pos += 1,
                Some(b'#')
                    if pos == 0
                        || self
                            .byte(pos - 1)
                            .is_some_and(|b| is_space(b) || b == b'\n') =>
                {
                    pos = self.line_end(self.line_of(pos));
                }
                _ => return pos,
            }
        }
    }

    /// A flow node at `pos` (a collection or a scalar); returns the offset past it.
    fn flow(&mut self, pos: usize, pointer: &str, depth: usize) -> usize {
        if depth > MAX_DEPTH {
            return self.skip_flow(pos);
        }
        match self.byte(pos) {
            Some(b'{') => self.flow_mapping(pos, pointer, depth),
            Some(b'[') => self.flow_sequence(pos, pointer, depth),
            Some(b'"' | b'\'') => self.quoted(pos).1,
            _ => self.plain(pos).1,
        }
    }

    fn flow_mapping(&mut self, pos: usize, pointer: &str, depth: usize) -> usize {
        let mut p = pos + 1;
        loop {
            p = self.flow_space(p);
            match self.byte(p) {
                None => return p,
                Some(b'}') => return p + 1,
                Some(b',') => {
                    p += 1;
                    continue;
                }
                Some(b']') => return p + 1,
                _ => {}
            }
            let key_line = self.line_of(p);
            let (key, after) = match self.byte(p) {
                Some(b'"' | b'\'') => self.quoted(p),
                Some(b'{' | b'[') => (String::new(), self.skip_flow(p)),
                Some(b'?') if self.byte(p + 1).is_some_and(|b| is_space(b) || b == b'\n') => {
                    let start = self.flow_space(p + 1);
                    self.plain(start)
                }
                _ => self.plain(p),
            };
            let here = child(pointer, &key);
            self.record(here.clone(), key_line);
            let mut q = self.flow_space(after);
            if self.byte(q) == Some(b':') {
                q = self.flow_space(q + 1);
                if !matches!(self.byte(q), Some(b',' | b'}') | None) {
                    q = self.flow(q, &here, depth + 1);
                }
            }
            p = q.max(p + 1);
        }
    }

    fn flow_sequence(&mut self, pos: usize, pointer: &str, depth: usize) -> usize {
        let mut p = pos + 1;
        let mut index = 0usize;
        loop {
            p = self.flow_space(p);
            match self.byte(p) {
                None => return p,
                Some(b']' | b'}') => return p + 1,
                Some(b',') => {
                    p += 1;
                    index += 1;
                    continue;
                }
                _ => {}
            }
            let here = child(pointer, &index.to_string());
            self.record(here.clone(), self.line_of(p));
            let end = self.flow(p, &here, depth + 1);
            let mut q = self.flow_space(end);
            if self.byte(q) == Some(b':') {
                // `[key: value]`, a one-entry mapping: its value is not located.
                q = self.flow_space(q + 1);
                q = match self.byte(q) {
                    Some(b'{' | b'[') => self.skip_flow(q),
                    Some(b'"' | b'\'') => self.quoted(q).1,
                    Some(b',' | b']') | None => q,
                    _ => self.plain(q).1,
                };
            }
            p = q.max(p + 1);
        }
    }

    /// Past the end of a flow collection at `pos`, without reading it (too deep).
    fn skip_flow(&self, pos: usize) -> usize {
        let mut depth = 0usize;
        let mut p = pos;
        while let Some(b) = self.byte(p) {
            match b {
                b'"' | b'\'' => {
                    p = self.quoted(p).1;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return p + 1;
                    }
                }
                _ => {}
            }
            p += 1;
        }
        p
    }

    /// A plain scalar in a flow collection: its text (lines folded into spaces) and the offset
    /// past it.
    fn plain(&self, pos: usize) -> (String, usize) {
        let mut out = Vec::new();
        let mut p = pos;
        while let Some(b) = self.byte(p) {
            let next = self.byte(p + 1);
            let ends_value =
                |n: Option<u8>| n.is_none_or(|n| is_space(n) || n == b'\n' || is_flow_indicator(n));
            if is_flow_indicator(b) || (b == b':' && ends_value(next)) {
                break;
            }
            if b == b'#' && p > pos && self.byte(p - 1).is_some_and(is_space) {
                break;
            }
            if b == b'\n' {
                // Line folding: the break and the next line's indentation become one space.
                while out.last().is_some_and(|c: &u8| is_space(*c)) {
                    out.pop();
                }
                let q = self.flow_space(p + 1);
                if matches!(self.byte(q), None | Some(b',' | b']' | b'}' | b':')) {
                    p = q;
                    break;
                }
                out.push(b' ');
                p = q;
                continue;
            }
            out.push(b);
            p += 1;
        }
        while out.last().is_some_and(|c: &u8| is_space(*c)) {
            out.pop();
        }
        (String::from_utf8_lossy(&out).into_owned(), p)
    }

    /// A quoted scalar at `pos`: its text and the offset past the closing quote.
    fn quoted(&self, pos: usize) -> (String, usize) {
        let quote = self.byte(pos).unwrap_or(b'"');
        let mut out: Vec<u8> = Vec::new();
        let mut p = pos + 1;
        while let Some(b) = self.byte(p) {
            match b {
                b'\'' if quote == b'\'' => {
                    if self.byte(p + 1) == Some(b'\'') {
                        out.push(b'\'');
                        p += 2;
                        continue;
                    }
                    return (String::from_utf8_lossy(&out).into_owned(), p + 1);
                }
                b'"' if quote == b'"' => {
                    return (String::from_utf8_lossy(&out).into_owned(), p + 1);
                }
                b'\\' if quote == b'"' => {
                    p = self.escape(p + 1, &mut out);
                    continue;
                }
                b'\n' => {
                    while out.last().is_some_and(|c: &u8| is_space(*c)) {
                        out.pop();
                    }
                    out.push(b' ');
                    p = self.skip_spaces(p + 1);
                    continue;
                }
                _ => out.push(b),
            }
            p += 1;
        }
        (String::from_utf8_lossy(&out).into_owned(), p)
    }

    /// One escape of a double-quoted scalar, after its `\`: appends it, returns the offset
    /// past it.
    fn escape(&self, pos: usize, out: &mut Vec<u8>) -> usize {
        let Some(b) = self.byte(pos) else {
            return pos;
        };
        let simple = match b {
            b'n' => Some(b'\n'),
            b't' => Some(b'\t'),
            b'r' => Some(b'\r'),
            b'0' => Some(0),
            b'"' | b'\\' | b'/' | b' ' => Some(b),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            return pos + 1;
        }
        let digits = match b {
            b'x' => 2,
            b'u' => 4,
            b'U' => 8,
            b'\n' => return self.skip_spaces(pos + 1),
            _ => {
                out.push(b);
                return pos + 1;
            }
        };
        let hex = self
            .text
            .get(pos + 1..pos + 1 + digits)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32);
        match hex {
            Some(c) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                pos + 1 + digits
            }
            None => pos + 1,
        }
    }
}

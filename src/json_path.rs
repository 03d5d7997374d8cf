//! The JSON path (`data[1].rule_id`) of the place where a JSON text broke the type it was
//! decoded into, read off the position in `serde_json`'s error.
//!
//! Decoding with the plain `serde_json` deserializer and locating the problem afterwards, only
//! when there is one, shares one instantiation of every generated type's `Deserialize` with
//! the typed clients (a path-tracking deserializer doubled them: a sixth of the library's
//! machine code and ~15 s of a release build).

/// `at <path>: <error>` for a decode error of `text`; the path is `.` for the whole text.
pub(crate) fn describe(text: &[u8], error: &serde_json::Error) -> String {
    format!("at {}: {error}", path_at(text, offset(text, error)))
}

/// The byte offset of the value `serde_json` failed on: its line and column (both counted
/// from 1, the column in bytes: the last byte read) turned into an index of `text`.
fn offset(text: &[u8], error: &serde_json::Error) -> usize {
    let line_start = if error.line() <= 1 {
        0
    } else {
        text.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(error.line() - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    let mut at = (line_start + error.column()).saturating_sub(1);
    // A value refused on sight (a map where a list belongs) is reported before it is read:
    // the position is then on the space, `:` or `,` in front of it.
    while text
        .get(at)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b':' | b','))
    {
        at += 1;
    }
    at
}

/// One open container on the way to the position.
struct Frame {
    array: bool,
    // The element being read: its index (arrays) or key (objects).
    index: usize,
    key: Option<String>,
    // Objects: past the `:` of the current member (in its value), not in its key.
    in_value: bool,
}

/// The path of the innermost value whose text contains byte `pos` (its closing bracket
/// included: a missing field is reported there). Text that is not JSON ends the walk where
/// it stops making sense; the path so far is returned.
fn path_at(text: &[u8], pos: usize) -> String {
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < text.len() && i <= pos {
        match text[i] {
            open @ (b'{' | b'[') => {
                if i == pos {
                    return render(&stack, true);
                }
                stack.push(Frame {
                    array: open == b'[',
                    index: 0,
                    key: None,
                    in_value: open == b'[',
                });
            }
            b'}' | b']' => {
                if i == pos {
                    return render(&stack, false);
                }
                stack.pop();
            }
            b'"' => {
                let end = string_end(text, i);
                let is_key = stack.last().is_some_and(|f| !f.array && !f.in_value);
                if is_key {
                    let key = serde_json::from_slice::<String>(&text[i..=end.min(text.len() - 1)])
                        .unwrap_or_else(|_| {
                            String::from_utf8_lossy(&text[i + 1..end]).into_owned()
                        });
                    if let Some(top) = stack.last_mut() {
                        top.key = Some(key);
                    }
                }
                if pos <= end {
                    return render(&stack, !is_key);
                }
                i = end;
            }
            b':' => {
                if let Some(top) = stack.last_mut() {
                    top.in_value = true;
                }
            }
            b',' => {
                if let Some(top) = stack.last_mut() {
                    if top.array {
                        top.index += 1;
                    } else {
                        top.in_value = false;
                        top.key = None;
                    }
                }
                if i == pos {
                    return render(&stack, false);
                }
            }
            b' ' | b'\t' | b'\n' | b'\r' => {
                if i == pos {
                    return render(&stack, false);
                }
            }
            // A number, `true`, `false` or `null`.
            _ => {
                if i == pos {
                    return render(&stack, true);
                }
            }
        }
        i += 1;
    }
    render(&stack, true)
}

/// The index of the quote closing the string that opens at `start` (or the last byte).
fn string_end(text: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    text.len().saturating_sub(1)
}

/// `data[1].rule_id`: every open container's current element, the innermost one's only when
/// the position is inside that element (not at the container's own bracket or comma).
fn render(stack: &[Frame], inside_element: bool) -> String {
    let mut out = String::new();
    for (n, frame) in stack.iter().enumerate() {
        let last = n + 1 == stack.len();
        if last && !inside_element {
            break;
        }
        if frame.array {
            out.push_str(&format!("[{}]", frame.index));
        } else if let Some(key) = frame.key.as_ref().filter(|_| frame.in_value || last) {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(key);
        }
    }
    if out.is_empty() {
        ".".to_owned()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::describe;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Rule {
        rule_id: String,
        severity: Option<u8>,
        tags: Option<Vec<Kind>>,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    enum Kind {
        #[serde(rename = "a")]
        A,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Page {
        data: Vec<Rule>,
        meta: Option<serde_json::Value>,
    }

    fn problem(text: &str) -> String {
        let e = serde_json::from_slice::<Page>(text.as_bytes()).unwrap_err();
        describe(text.as_bytes(), &e)
    }

    #[test]
    fn names_the_place_of_each_kind_of_mistake() {
        for (text, path) in [
            (
                r#"{"data": [{"rule_id": "r1"}, {"rule_name": "no id"}]}"#,
                "data[1]",
            ),
            (r#"{"data": [{"rule_id": 5}]}"#, "data[0].rule_id"),
            (
                r#"{"data": [{"rule_id": "r", "severity": 300}]}"#,
                "data[0].severity",
            ),
            (
                r#"{"data": [{"rule_id": "r", "tags": ["a", "b"]}]}"#,
                "data[0].tags[1]",
            ),
            (r#"{"meta": {"x": "y"}}"#, "."),
            (r#"{"data": {"rule_id": "r"}}"#, "data"),
            (
                "{\n  \"data\": [\n    {\"rule_id\": \"a\\\"b\"},\n    {\"rule_id\": null}\n  ]\n}",
                "data[1].rule_id",
            ),
            (r#"{"da\"ta": 1, "data": [true]}"#, "data[0]"),
        ] {
            let got = problem(text);
            assert!(got.starts_with(&format!("at {path}: ")), "{text}: {got}");
        }
    }

    #[test]
    fn text_that_is_not_json_gets_the_path_so_far_and_serde_json_s_reason() {
        for (text, path) in [
            ("", "."),
            ("{", "."),
            ("{\"data\": [", "data"),
            ("\"", "."),
            ("{\"data\": [1,,]}", "data[0]"),
            ("]]]", "."),
            ("{\"a\"::}", "."),
        ] {
            let reason = serde_json::from_slice::<Page>(text.as_bytes())
                .unwrap_err()
                .to_string();
            assert_eq!(problem(text), format!("at {path}: {reason}"), "{text:?}");
        }
    }
}

//! JSON text re-spaced without being re-encoded: keys keep their order, numbers and strings
//! their exact spelling. Used to print what the vendor sent.

/// Each byte of `text`, and whether it is inside a string (quotes included).
fn scan(text: &str) -> Vec<(u8, bool)> {
    let mut out = Vec::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in text.as_bytes() {
        let inside = in_string || b == b'"';
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        }
        out.push((b, inside));
    }
    out
}

fn text_of(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `text` without insignificant whitespace.
pub(crate) fn compact(text: &str) -> String {
    text_of(
        scan(text)
            .into_iter()
            .filter(|(b, inside)| *inside || !b.is_ascii_whitespace())
            .map(|(b, _)| b)
            .collect(),
    )
}

/// `text` indented by two spaces per level, one member or element per line.
pub(crate) fn pretty(text: &str) -> String {
    let tokens = scan(&compact(text));
    let mut out = Vec::with_capacity(tokens.len() * 2);
    let mut depth = 0usize;
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', depth * 2));
    };
    let mut i = 0;
    while i < tokens.len() {
        let (b, inside) = tokens[i];
        i += 1;
        if inside {
            out.push(b);
            continue;
        }
        match b {
            b'{' | b'[' => {
                let close = if b == b'{' { b'}' } else { b']' };
                if tokens.get(i).map(|t| t.0) == Some(close) {
                    out.extend([b, close]);
                    i += 1;
                    continue;
                }
                out.push(b);
                depth += 1;
                newline(&mut out, depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(b);
            }
            b',' => {
                out.push(b);
                newline(&mut out, depth);
            }
            b':' => out.extend(b": "),
            other => out.push(other),
        }
    }
    text_of(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_and_order_are_kept() {
        let sent = r#"{ "z": 1.50, "a": [ ], "t": "2026-01-01T00:00:00.000Z", "s": "a , \" { b", "n": 1e5, "o": {} }"#;
        let c = compact(sent);
        assert_eq!(
            c,
            r#"{"z":1.50,"a":[],"t":"2026-01-01T00:00:00.000Z","s":"a , \" { b","n":1e5,"o":{}}"#
        );
        let p = pretty(sent);
        assert_eq!(compact(&p), c);
        assert!(p.contains("\n  \"z\": 1.50,\n"), "{p}");
        // Both are still the same JSON.
        let a: serde_json::Value = serde_json::from_str(sent).unwrap();
        assert_eq!(a, serde_json::from_str::<serde_json::Value>(&p).unwrap());
    }
}

//! JSON text re-spaced without being re-encoded: keys keep their order, numbers and strings
//! their exact spelling. Used to print what the vendor sent.

/// Calls `f` for each byte outside strings (with `in_string == false`) and inside them.
fn tokens(text: &str, mut f: impl FnMut(u8, bool)) {
    let mut in_string = false;
    let mut escaped = false;
    for &b in text.as_bytes() {
        if in_string {
            f(b, true);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else {
            if b == b'"' {
                in_string = true;
                f(b, true);
                continue;
            }
            f(b, false);
        }
    }
}

/// `text` without insignificant whitespace.
pub(crate) fn compact(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    tokens(text, |b, in_string| {
        if in_string || !b.is_ascii_whitespace() {
            out.push(b);
        }
    });
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `text` indented by two spaces per level, one member or element per line.
pub(crate) fn pretty(text: &str) -> String {
    let compacted = compact(text);
    let bytes = compacted.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 2);
    let mut depth = 0usize;
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', depth * 2));
    };
    let mut i = 0;
    let mut in_string = false;
    let mut escaped = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                out.push(b);
            }
            b'{' | b'[' => {
                let close = if b == b'{' { b'}' } else { b']' };
                if bytes.get(i + 1) == Some(&close) {
                    out.extend([b, close]);
                    i += 2;
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
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
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

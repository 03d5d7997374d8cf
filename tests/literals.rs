//! No hand-written crate restates a name a spec declares: an operationId, an environment
//! variable, a header, a token word, a server's name or a server variable's value. Those come from the model (`threatbind::spec`), so a docs change is a
//! spec edit and nothing else. Tests may name them (they pin what the specs say); the code the
//! library, the CLI, the mock and the spec tools run may not.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use threatbind::spec::{model::Carrier, resolve, Api};

/// What each name is, by the name (headers in lower case: HTTP compares them so).
fn declared() -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for api in Api::ALL {
        for op in api.operations() {
            names.insert(op.id.clone(), format!("an operationId of {api}"));
            let parameters = op
                .raw
                .get("parameters")
                .and_then(|p| p.as_array())
                .into_iter()
                .flatten();
            for p in parameters {
                let p = resolve(api.document(), p);
                if p["in"] == "header" {
                    if let Some(name) = p["name"].as_str() {
                        names.insert(name.to_ascii_lowercase(), format!("a header of {api}"));
                    }
                }
            }
        }
        let env = api.env();
        for v in env.variables() {
            names.insert(v.name.clone(), format!("a variable of {api}"));
        }
        for c in &env.credentials {
            match &c.carrier {
                Carrier::Header { name } => {
                    names.insert(name.to_ascii_lowercase(), format!("a header of {api}"));
                }
                Carrier::Authorization { prefix } if prefix != "Bearer" => {
                    names.insert(prefix.clone(), format!("the token word of {api}"));
                }
                _ => {}
            }
        }
        // Servers: their names (regions, environments), their variables' defaults and values.
        for server in api.servers() {
            // `in` (India) is also OpenAPI's own key of a parameter's place, which the code
            // reads as such.
            if let Some(name) = server.name().filter(|n| *n != "in") {
                names.insert(name.to_owned(), format!("a server of {api}"));
            }
            for (default, allowed) in server.variables.values() {
                // `localhost` (the on-prem default host) is also the loopback name the
                // transport checks, a fact of its own.
                for value in std::iter::once(default).chain(allowed) {
                    if value != "localhost" {
                        names.insert(value.clone(), format!("a server value of {api}"));
                    }
                }
            }
        }
    }
    names
}

/// The string literals of Rust source `text` (comments skipped; a `#[cfg(test)]` module and
/// what follows it are tests), with their lines.
fn literals(text: &str) -> Vec<(usize, String)> {
    let text = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    let bytes = text.as_bytes();
    let (mut i, mut line, mut out) = (0, 1, Vec::new());
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    line += usize::from(bytes[i] == b'\n');
                    i += 1;
                }
                i += 2;
                continue;
            }
            // A char literal such as '"' is not a string.
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => {
                i += 3;
                continue;
            }
            b'\'' if bytes.get(i + 1) == Some(&b'\\') && bytes.get(i + 3) == Some(&b'\'') => {
                i += 4;
                continue;
            }
            b'r' if matches!(bytes.get(i + 1), Some(b'"' | b'#'))
                && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) =>
            {
                let mut hashes = 0;
                let mut j = i + 1;
                while bytes.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if bytes.get(j) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let start = j + 1;
                let end = text[start..].find(&close).map_or(text.len(), |e| start + e);
                out.push((line, text[start..end].to_owned()));
                line += text[start..end].matches('\n').count();
                i = end + close.len();
                continue;
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                let end = j.min(bytes.len());
                out.push((line, text[start..end].to_owned()));
                line += text[start..end].matches('\n').count();
                i = end + 1;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The hand-written code of every crate: the library's src/ and build script, and each
/// member's src/.
fn hand_written() -> Vec<PathBuf> {
    let root = common::root();
    let mut files = vec![root.join("build.rs")];
    rust_files(&root.join("build"), &mut files);
    rust_files(&root.join("src"), &mut files);
    let members = std::fs::read_dir(root.join("crates")).unwrap();
    for member in members.flatten() {
        rust_files(&member.path().join("src"), &mut files);
    }
    files.sort();
    files
}

#[test]
fn no_hand_written_crate_names_a_spec_fact() {
    let names = declared();
    assert!(
        names.len() > 50,
        "the specs declare more names than {names:?}"
    );
    let files = hand_written();
    assert!(files.len() > 40, "found only {files:?}");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (line, literal) in literals(&text) {
            let hit = names.get(&literal).or_else(|| {
                names
                    .get(&literal.to_ascii_lowercase())
                    .filter(|w| w.starts_with("a header"))
            });
            if let Some(what) = hit {
                let shown = file.strip_prefix(common::root()).unwrap_or(file);
                found.push(format!("{}:{line}: {literal:?} is {what}", shown.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "name these through the model instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_sees_the_literals_it_must_and_skips_comments_and_tests() {
    let source = r##"
// "inComment"
let a = "plain"; /* "inBlock" */
let b = r#"raw "quoted""#;
let c = '"'; let d = "after\"escape";
#[cfg(test)]
mod tests { const X: &str = "inTests"; }
"##;
    let seen: Vec<(usize, String)> = literals(source);
    assert_eq!(
        seen,
        vec![
            (3, "plain".to_owned()),
            (4, "raw \"quoted\"".to_owned()),
            (5, "after\\\"escape".to_owned()),
        ]
    );
}

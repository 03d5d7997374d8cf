//! `--body FILE` and `--body -` (stdin): the request body as JSON, for an operation that has
//! one. The flags set their fields inside it (a flag wins), and the whole is then checked as
//! flags alone are: by the library's validation on the send path, violations named.

use clap::{Arg, ArgAction, ArgMatches};
use serde_json::{Map, Value};
use std::ffi::OsString;
use std::io::Read;
use threatbind::Error;

/// The flag's name (`--body`).
const FLAG: &str = "body";

/// The largest `--body` read, in bytes (16 MiB): a larger file or stdin is refused (exit 2)
/// after reading one byte more, never read whole into memory.
pub(crate) const MAX_BODY: u64 = 16 * 1024 * 1024;

/// The `--body` flag of an operation with a request body.
pub(crate) fn arg() -> Arg {
    Arg::new(FLAG)
        .long(FLAG)
        .value_name("FILE")
        .action(ArgAction::Set)
        .value_parser(clap::builder::OsStringValueParser::new())
        .help("The request body: a JSON file, or - for stdin; the flags set fields inside it (a flag wins), and the whole is checked as flags are")
}

/// The JSON of `--body`, when the command has the flag and it was given. A file (or stdin)
/// that cannot be read, is larger than [`MAX_BODY`], or is not JSON, is a configuration error
/// naming `--body` and the path, the limit, or the parse error with its line and column.
fn read(matches: &ArgMatches) -> Result<Option<Value>, Error> {
    // Commands without a request body have no `--body`: nothing to read.
    let Ok(Some(given)) = matches.try_get_one::<OsString>(FLAG) else {
        return Ok(None);
    };
    let bad = |problem: String| Error::config("--body", problem);
    // At most one byte more than the limit is read: enough to know it is passed.
    let mut bytes = Vec::new();
    let shown = if given == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_BODY + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("stdin cannot be read: {e}")))?;
        "stdin".to_owned()
    } else {
        let path = std::path::Path::new(given);
        let shown = path.display().to_string();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_BODY + 1).read_to_end(&mut bytes))
            .map_err(|e| bad(format!("{shown} cannot be read: {e}")))?;
        shown
    };
    if bytes.len() as u64 > MAX_BODY {
        return Err(bad(format!(
            "{shown} is larger than 16 MiB ({MAX_BODY} bytes), the most a request body may be"
        )));
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| bad(format!("{shown} is not JSON: {e}")))
}

/// `top` laid over `base`: objects are merged key by key (recursively), anything else in `top`
/// replaces what `base` has there.
fn overlay(base: Value, top: Value) -> Value {
    match (base, top) {
        (Value::Object(mut base), Value::Object(top)) => {
            for (key, value) in top {
                let merged = match base.remove(&key) {
                    Some(old) => overlay(old, value),
                    None => value,
                };
                base.insert(key, merged);
            }
            Value::Object(base)
        }
        (_, top) => top,
    }
}

/// Puts the body of `--body`, when given, under the fields the flags set in `doc`'s `body`
/// (a flag wins). A body that is not an object keeps its value, flags or not: the validator
/// refuses it for an object body, naming it.
pub(crate) fn merge(matches: &ArgMatches, doc: &mut Map<String, Value>) -> Result<(), Error> {
    let Some(file) = read(matches)? else {
        return Ok(());
    };
    let body = match doc.remove("body") {
        Some(flags) if file.is_object() => overlay(file, flags),
        _ => file,
    };
    doc.insert("body".to_owned(), body);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::overlay;
    use serde_json::json;

    #[test]
    fn a_flag_wins_over_the_file_and_the_files_other_fields_stay() {
        let file = json!({"action": "CONNECTIONS", "filter": {"section": "asn", "severity": 0}, "limit": 10});
        let flags = json!({"filter": {"severity": 2}, "limit": 25});
        assert_eq!(
            overlay(file, flags),
            json!({"action": "CONNECTIONS", "filter": {"section": "asn", "severity": 2}, "limit": 25})
        );
        // A flag sets its field path even where the file has something else.
        assert_eq!(
            overlay(json!({"filter": 3}), json!({"filter": {"section": "asn"}})),
            json!({"filter": {"section": "asn"}})
        );
    }
}

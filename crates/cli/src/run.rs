//! The one generic executor: parsed flags -> request document -> the library's send path ->
//! the vendor's answer on stdout. `--all` follows the spec's `x-pagination`.

use crate::derive::{self, Flag, Kind, Target};
use crate::output;
use crate::{note, Global, Output};
use serde_json::{Map, Value};
use std::ffi::OsString;
use threatbind::raw::RawClient;
use threatbind::spec::{Operation, Violation};
use threatbind::Error;

/// An invalid flag value: named by its flag.
fn invalid(flag: &Flag, rule: &str, message: String) -> Error {
    Error::Validation(vec![Violation::new(
        format!("--{}", flag.long),
        rule,
        message,
    )])
}

fn text_of(flag: &Flag, raw: &OsString) -> Result<String, Error> {
    raw.to_str()
        .map(str::to_owned)
        .ok_or_else(|| invalid(flag, "utf-8", "is not valid UTF-8".into()))
}

/// A flag's text as the JSON value its schema wants.
fn typed(flag: &Flag, text: &str) -> Result<Value, Error> {
    Ok(match &flag.kind {
        Kind::Text => Value::from(text),
        Kind::Integer => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| invalid(flag, "type", format!("{text:?} is not a whole number")))?,
        Kind::Number => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| invalid(flag, "type", format!("{text:?} is not a number")))?,
        Kind::Boolean => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Value::Bool(true),
            "false" | "no" | "0" => Value::Bool(false),
            _ => {
                return Err(invalid(
                    flag,
                    "type",
                    format!("{text:?} is not true or false"),
                ))
            }
        },
        Kind::Time(form) => {
            let at = crate::times::instant(text, form, crate::times::now()).ok_or_else(|| {
                invalid(
                    flag,
                    "time",
                    format!(
                        "{text:?} is not a time: write ISO 8601 with an offset (2024-12-31T15:30:45Z), YYYY-MM-DD, epoch seconds, now, or -30m, -24h, -7d{}",
                        match form {
                            crate::times::Form::Pattern(p) => format!(", or the vendor's {p} (UTC)"),
                            _ => String::new(),
                        }
                    ),
                )
            })?;
            let sent = form.value(at);
            tracing::info!("--{} {text:?} is sent as {sent}", flag.long);
            sent
        }
        Kind::Enum(values) => match values.iter().find(|v| v.eq_ignore_ascii_case(text.trim())) {
            Some(v) => Value::from(v.as_str()),
            None => {
                return Err(invalid(
                    flag,
                    "enum",
                    format!("{text:?} is not one of {}", values.join(", ")),
                ))
            }
        },
    })
}

fn insert(root: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = root;
    for key in parents {
        let entry = current
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else { return };
        current = next;
    }
    current.insert(last.clone(), value);
}

/// A body field's path in the request document.
fn in_body(path: &[String]) -> Vec<String> {
    std::iter::once("body".to_owned())
        .chain(path.iter().cloned())
        .collect()
}

/// The request document of `op` from the parsed flags, and the server variables asked for.
pub(crate) fn document(
    op: &Operation,
    matches: &clap::ArgMatches,
) -> Result<(Value, Vec<(String, String)>), Error> {
    let mut doc = Map::new();
    let mut servers = Vec::new();
    for flag in derive::flags(op) {
        let Some(values) = matches.get_many::<OsString>(&flag.long) else {
            continue;
        };
        let texts: Vec<String> = values
            .map(|v| text_of(&flag, v))
            .collect::<Result<_, _>>()?;
        match &flag.target {
            Target::Server(name) => {
                if let Some(t) = texts.last() {
                    typed(&flag, t)?;
                    servers.push((name.clone(), t.trim().to_owned()));
                }
            }
            Target::Joined { path, separator } => {
                insert(&mut doc, &in_body(path), Value::from(texts.join(separator)));
            }
            Target::Items {
                path,
                fields,
                separator,
            } => {
                let mut items = Vec::new();
                for t in &texts {
                    let parts: Vec<&str> =
                        t.splitn(fields.len().max(1), separator.as_str()).collect();
                    if parts.len() != fields.len() {
                        return Err(invalid(
                            &flag,
                            "format",
                            format!("{t:?} is not {}", fields.join(separator).to_uppercase()),
                        ));
                    }
                    let item: Map<String, Value> = fields
                        .iter()
                        .zip(parts)
                        .map(|(f, p)| (f.clone(), Value::from(p)))
                        .collect();
                    items.push(Value::Object(item));
                }
                insert(&mut doc, &in_body(path), Value::Array(items));
            }
            target => {
                let value = if flag.multiple {
                    Value::Array(
                        texts
                            .iter()
                            .map(|t| typed(&flag, t))
                            .collect::<Result<_, _>>()?,
                    )
                } else {
                    match texts.last() {
                        Some(t) => typed(&flag, t)?,
                        None => continue,
                    }
                };
                match target {
                    Target::Param { part, name } => {
                        insert(&mut doc, &[part.to_string(), name.clone()], value)
                    }
                    Target::Body(path) => insert(&mut doc, &in_body(path), value),
                    _ => {}
                }
            }
        }
    }
    // `--body FILE`: the file's JSON, under the fields the flags set.
    crate::body::merge(matches, &mut doc)?;
    // An operation with a body sends one, even when no flag filled it.
    if op.raw.get("requestBody").is_some() && !doc.contains_key("body") {
        doc.insert("body".into(), Value::Object(Map::new()));
    }
    Ok((Value::Object(doc), servers))
}

/// Names violations by their flag (`--severity`) instead of their place in the request.
pub(crate) fn name_flags(op: &Operation, error: Error) -> Error {
    let Error::Validation(violations) = error else {
        return error;
    };
    let flags = derive::flags(op);
    Error::Validation(
        violations
            .into_iter()
            .map(
                |v| match flags.iter().find(|f| f.pointer() == v.pointer()) {
                    Some(flag) => {
                        // A pattern is the spec's business; the user gets the documented form.
                        let message = match v.message.split_once(" does not match ") {
                            Some((value, _)) if v.rule == "pattern" => {
                                format!("{value} is not in the documented form: {}", flag.help)
                            }
                            _ => v.message.clone(),
                        };
                        Violation::new(format!("--{}", flag.long), v.rule.clone(), message)
                    }
                    None => v,
                },
            )
            .collect(),
    )
}

/// Runs one operation (every page with `--all`) and prints what the vendor said, in the form
/// of `--output`, through `--jq`, with the columns of `--columns` (see [`crate::output`]).
pub(crate) async fn execute(
    raw: &RawClient,
    op: &'static Operation,
    doc: Value,
    all: bool,
    global: &Global,
) -> Result<(), Error> {
    let form = global
        .output
        .unwrap_or(if all { Output::Jsonl } else { Output::Json });
    if form == Output::Stix {
        return stix(raw, op, doc, all).await;
    }
    let mut printer =
        output::Printer::new(form, global.jq.as_ref(), global.columns.as_deref(), op, all);
    if op.pagination.is_none() || !all {
        let answer = raw.send(op, &doc).await.map_err(|e| name_flags(op, e))?;
        printer.page(&answer.body)?;
        printer.finish()?;
        return answer.decode_error.map_or(Ok(()), Err);
    }
    let pages = raw.pages(op, doc);
    futures::pin_mut!(pages);
    use futures::StreamExt;
    while let Some(page) = pages.next().await {
        let answer = page.map_err(|e| name_flags(op, e))?;
        printer.page(&answer.body)?;
        if let Some(e) = answer.decode_error {
            return Err(e);
        }
    }
    printer.finish()
}

/// `--output stix`: the answer (every page with `--all`) as one STIX 2.1 bundle.
async fn stix(raw: &RawClient, op: &'static Operation, doc: Value, all: bool) -> Result<(), Error> {
    let mut gather = crate::stix_output::Gather::new(op, doc.clone());
    if op.pagination.is_none() || !all {
        let answer = raw.send(op, &doc).await.map_err(|e| name_flags(op, e))?;
        gather.page(&answer.body)?;
        gather.finish()?;
        return answer.decode_error.map_or(Ok(()), Err);
    }
    let pages = raw.pages(op, doc);
    futures::pin_mut!(pages);
    use futures::StreamExt;
    while let Some(page) = pages.next().await {
        let answer = page.map_err(|e| name_flags(op, e))?;
        gather.page(&answer.body)?;
        if let Some(e) = answer.decode_error {
            return Err(e);
        }
    }
    gather.finish()
}

/// Prints the vendor's notice for a deprecated or beta operation, from the spec's flags.
pub(crate) fn notices(op: &Operation) {
    if op.deprecated {
        note(&format!(
            "warning: {} ({} {}) is deprecated by the vendor and may be removed",
            op.id, op.method, op.path
        ));
    }
    if op.unstable {
        note(&format!(
            "notice: {} is a beta endpoint of the vendor and may change",
            op.id
        ));
    }
}

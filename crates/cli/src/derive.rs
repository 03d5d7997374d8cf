//! The CLI's commands and flags, derived from the specs: one subcommand per API (`x-cli.name`),
//! one per operation (`x-cli.name`, else the operationId in kebab case), one flag per parameter
//! and per top-level body field (the fields of a nested object too), with help from the
//! descriptions, enum values, defaults and required-ness from the schemas. A new parameter in a
//! spec is a new flag, with no other edit.

use clap::{Arg, ArgAction, Command};
use serde_json::Value;
use threatbind::spec::{resolve, Api, Operation};

/// Where a flag's value goes in the request document.
#[derive(Clone, Debug)]
pub(crate) enum Target {
    /// `query.<name>`, `path.<name>`, `header.<name>`.
    Param { part: &'static str, name: String },
    /// A body field, by its path of keys.
    Body(Vec<String>),
    /// Items of a body array, written `A<sep>B<sep>C` for the item's `fields` (`x-cli` on the
    /// array property).
    Items {
        path: Vec<String>,
        fields: Vec<String>,
        separator: String,
    },
    /// A text body field that lists values with a separator (`x-cli: {flag, separator}` on a
    /// string property): the flag is repeatable and its values are joined.
    Joined {
        path: Vec<String>,
        separator: String,
    },
    /// A server variable (Datadog's `site`).
    Server(String),
}

/// The JSON type a flag's text becomes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    Text,
    Integer,
    Number,
    Boolean,
    /// One of these (matched case-insensitively, sent as spelled here).
    Enum(Vec<String>),
    /// A date or a time, written as people write them, sent in the spec's form.
    Time(crate::times::Form),
}

/// One derived flag.
#[derive(Clone, Debug)]
pub(crate) struct Flag {
    /// The long name, without `--`.
    pub long: String,
    pub target: Target,
    pub kind: Kind,
    pub multiple: bool,
    pub required: bool,
    pub help: String,
}

impl Flag {
    /// The JSON pointer of the value in the request document (how violations name it).
    pub fn pointer(&self) -> String {
        match &self.target {
            Target::Param { part, name } => format!("/{part}/{name}"),
            Target::Body(path) | Target::Items { path, .. } | Target::Joined { path, .. } => {
                format!("/body/{}", path.join("/"))
            }
            Target::Server(name) => format!("/server/{name}"),
        }
    }
}

pub(crate) use threatbind::raw::kebab;

fn first_sentence(text: &str) -> String {
    let text = text.split("\n\n").next().unwrap_or("").replace('\n', " ");
    let text = text.trim();
    match text.find(". ") {
        Some(i) if i < 200 => text[..=i].to_owned(),
        _ => text.chars().take(240).collect(),
    }
}

fn kind_of(doc: &Value, schema: &Value) -> (Kind, bool) {
    let schema = resolve(doc, schema);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values = values
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        return (Kind::Enum(values), false);
    }
    if matches!(
        schema.get("type").and_then(Value::as_str),
        Some("string" | "integer")
    ) {
        if let Some(form) = crate::times::Form::of(schema) {
            return (Kind::Time(form), false);
        }
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("integer") => (Kind::Integer, false),
        Some("number") => (Kind::Number, false),
        Some("boolean") => (Kind::Boolean, false),
        Some("array") => {
            let (kind, _) = kind_of(doc, schema.get("items").unwrap_or(&Value::Null));
            (kind, true)
        }
        _ => (Kind::Text, false),
    }
}

fn help_of(doc: &Value, description: Option<&str>, schema: &Value, kind: &Kind) -> String {
    let schema = resolve(doc, schema);
    let description = description
        .or_else(|| schema.get("description").and_then(Value::as_str))
        .map(first_sentence)
        .unwrap_or_default();
    let mut help = description;
    if let Kind::Enum(values) = kind {
        help.push_str(&format!(" [one of: {}]", values.join(", ")));
    }
    let mut bounds = Vec::new();
    for (key, label) in [
        ("minimum", "min"),
        ("maximum", "max"),
        ("minLength", "min length"),
        ("maxLength", "max length"),
    ] {
        if let Some(v) = schema.get(key) {
            bounds.push(format!("{label} {v}"));
        }
    }
    if let Some(d) = schema.get("default") {
        bounds.push(format!("default {d}"));
    }
    if let Kind::Time(form) = kind {
        bounds.push(form.help());
    } else if let Some(f) = schema.get("format").and_then(Value::as_str) {
        bounds.push(format!("format {f}"));
    }
    if !bounds.is_empty() {
        help.push_str(&format!(" [{}]", bounds.join(", ")));
    }
    help.trim().to_owned()
}

/// A flag's text as given (the run checks it against the spec, naming the flag), with the
/// values an enum allows listed for shell completion.
#[derive(Clone)]
struct Choices(Vec<String>);

impl clap::builder::TypedValueParser for Choices {
    type Value = std::ffi::OsString;

    fn parse_ref(
        &self,
        _cmd: &Command,
        _arg: Option<&Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        Ok(value.to_owned())
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        (!self.0.is_empty()).then(|| {
            Box::new(self.0.iter().map(clap::builder::PossibleValue::new))
                as Box<dyn Iterator<Item = _>>
        })
    }
}

/// The flags of an operation, in the order the spec gives them.
pub(crate) fn flags(op: &Operation) -> Vec<Flag> {
    let doc = op.api.document();
    let mut out: Vec<Flag> = Vec::new();
    let params = op.raw.get("parameters").and_then(Value::as_array);
    for p in params.into_iter().flatten().map(|p| resolve(doc, p)) {
        let name = p.get("name").and_then(Value::as_str).unwrap_or("");
        // A value the client supplies from its configuration (`x-env`) is not a flag.
        let place = p.get("in").and_then(Value::as_str).unwrap_or("");
        let filled = &op.api.env().parameters;
        if filled.iter().any(|f| f.name == name && f.place == place) {
            continue;
        }
        let part = match p.get("in").and_then(Value::as_str) {
            Some("query") => "query",
            Some("path") => "path",
            Some("header") => "header",
            _ => continue,
        };
        let schema = p.get("schema").unwrap_or(&Value::Null);
        let (kind, multiple) = kind_of(doc, schema);
        let has_default = resolve(doc, schema).get("default").is_some();
        // `x-cli: {flag: id}` on a parameter names its flag (the documented command line).
        let long = p
            .pointer("/x-cli/flag")
            .and_then(Value::as_str)
            .map_or_else(|| kebab(name), str::to_owned);
        out.push(Flag {
            long,
            target: Target::Param {
                part,
                name: name.to_owned(),
            },
            help: help_of(
                doc,
                p.get("description").and_then(Value::as_str),
                schema,
                &kind,
            ),
            kind,
            multiple,
            required: p.get("required").and_then(Value::as_bool) == Some(true) && !has_default,
        });
    }
    let body = op
        .raw
        .get("requestBody")
        .map(|b| resolve(doc, b))
        .and_then(|b| b.pointer("/content/application~1json/schema"))
        .map(|s| resolve(doc, s));
    if let Some(body) = body {
        body_flags(doc, body, &mut Vec::new(), true, &mut out);
    }
    for server in op.api.servers() {
        for (name, (default, values)) in &server.variables {
            if out.iter().any(|f| f.long == kebab(name)) {
                continue;
            }
            let env = op
                .api
                .env()
                .server_variables
                .iter()
                .find(|s| &s.name == name)
                .map(|s| format!(" [env: {}]", s.variable.name))
                .unwrap_or_default();
            // A variable with an `enum` takes one of its values; one without takes any text.
            let (kind, choices) = if values.is_empty() {
                (Kind::Text, String::new())
            } else {
                (
                    Kind::Enum(values.clone()),
                    format!(" [one of: {}]", values.join(", ")),
                )
            };
            out.push(Flag {
                long: kebab(name),
                target: Target::Server(name.clone()),
                kind,
                multiple: false,
                required: false,
                help: format!("Server {name}{choices} [default {default}]{env}"),
            });
        }
    }
    out
}

fn body_flags(doc: &Value, schema: &Value, path: &mut Vec<String>, top: bool, out: &mut Vec<Flag>) {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, prop) in props {
        let resolved = resolve(doc, prop);
        path.push(name.clone());
        let is_object = resolved.get("properties").is_some();
        if is_object && top {
            // One level of nesting (Log360's `filter`): its fields are flags of their own.
            body_flags(doc, resolved, path, false, out);
        } else if let Some(cli) = prop.get("x-cli").filter(|c| c.get("fields").is_some()) {
            let text = |k: &str| cli.get(k).and_then(Value::as_str).unwrap_or("");
            out.push(Flag {
                long: text("flag").to_owned(),
                target: Target::Items {
                    path: path.clone(),
                    fields: cli
                        .get("fields")
                        .and_then(Value::as_array)
                        .map(|f| {
                            f.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default(),
                    separator: text("separator").to_owned(),
                },
                kind: Kind::Text,
                multiple: true,
                required: false,
                help: text("help").to_owned(),
            });
        } else if !is_object {
            let (kind, multiple) = kind_of(doc, prop);
            // `x-cli: {flag}` names the flag (a list's singular: `--log-source-id ID...`).
            let named = prop.pointer("/x-cli/flag").and_then(Value::as_str);
            // `x-cli: {flag, separator}` on a text field: repeatable, the values joined.
            let joined = prop.pointer("/x-cli/separator").and_then(Value::as_str);
            let long = if let Some(named) = named {
                named.to_owned()
            } else if out.iter().any(|f| f.long == kebab(name)) {
                kebab(&path.join("-"))
            } else {
                kebab(name)
            };
            out.push(Flag {
                long,
                target: match joined {
                    Some(separator) => Target::Joined {
                        path: path.clone(),
                        separator: separator.to_owned(),
                    },
                    None => Target::Body(path.clone()),
                },
                help: help_of(
                    doc,
                    prop.get("description").and_then(Value::as_str),
                    prop,
                    &kind,
                ),
                kind,
                multiple: multiple || joined.is_some(),
                required: top && required.contains(&name.as_str()),
            });
        }
        path.pop();
    }
}

/// The CLI name of an API (`x-cli.name`, else the spec's stem).
pub(crate) fn api_name(api: Api) -> String {
    api.cli()
        .name
        .clone()
        .unwrap_or_else(|| api.stem().to_owned())
}

/// The CLI name of an operation (`x-cli.name`, else the operationId in kebab case).
pub(crate) fn op_name(op: &Operation) -> String {
    op.cli.name.clone().unwrap_or_else(|| kebab(&op.id))
}

/// The JSON schema of an operation's request body, resolved.
fn body_schema(op: &Operation) -> Option<&Value> {
    let doc = op.api.document();
    op.raw
        .get("requestBody")
        .map(|b| resolve(doc, b))
        .and_then(|b| b.pointer("/content/application~1json/schema"))
        .map(|s| resolve(doc, s))
}

/// The spec's example of an operation's request body: the media type's `example`, else the
/// first of its `examples` by name.
fn body_example(op: &Operation) -> Option<&Value> {
    let doc = op.api.document();
    let media = op
        .raw
        .get("requestBody")
        .map(|b| resolve(doc, b))
        .and_then(|b| b.pointer("/content/application~1json"))?;
    if let Some(example) = media.get("example") {
        return Some(example);
    }
    let first = media.get("examples")?.as_object()?.values().next()?;
    resolve(doc, first).get("value")
}

/// A schema's own example of a value: its `example`, else its `default`, else its first
/// `enum` value.
fn schema_example(doc: &Value, schema: &Value) -> Option<Value> {
    let schema = resolve(doc, schema);
    ["example", "default"]
        .iter()
        .find_map(|k| schema.get(*k).cloned())
        .or_else(|| {
            schema
                .get("enum")
                .and_then(Value::as_array)
                .and_then(|v| v.first().cloned())
        })
}

/// The text of an example value on the command line.
fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// The example values of one flag, from the spec: the parameter's `example` (else the first of
/// its `examples` by name, else its schema's example, default or first enum value); for a body field, its value in the operation's
/// request example, else its schema's. A list (a repeatable flag) gives one value per item.
fn example_values(op: &Operation, flag: &Flag) -> Vec<String> {
    let doc = op.api.document();
    let each = |v: &Value| -> Vec<String> {
        match v {
            Value::Array(items) if flag.multiple => items.iter().map(text).collect(),
            other => vec![text(other)],
        }
    };
    let in_body = |path: &[String]| {
        let pointer = format!("/{}", path.join("/"));
        let from_example = body_example(op).and_then(|e| e.pointer(&pointer)).cloned();
        from_example.or_else(|| {
            let mut schema = body_schema(op)?;
            for key in path {
                schema = resolve(doc, schema.get("properties")?.get(key)?);
            }
            schema_example(doc, schema)
        })
    };
    match &flag.target {
        Target::Param { name, .. } => op
            .raw
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| resolve(doc, p))
            .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|p| {
                p.get("example")
                    .or_else(|| {
                        let first = p.get("examples")?.as_object()?.values().next()?;
                        resolve(doc, first).get("value")
                    })
                    .cloned()
                    .or_else(|| schema_example(doc, p.get("schema")?))
            })
            .map(|v| each(&v))
            .unwrap_or_default(),
        Target::Body(path) => in_body(path).map(|v| each(&v)).unwrap_or_default(),
        Target::Joined { path, separator } => in_body(path)
            .map(|v| {
                text(&v)
                    .split(separator.as_str())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        Target::Items {
            path,
            fields,
            separator,
        } => in_body(path)
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|item| {
                fields
                    .iter()
                    .map(|f| item.get(f).map(text).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(separator)
            })
            .collect(),
        Target::Server(_) => Vec::new(),
    }
}

/// `value` as one shell word: bare when it is plain, else quoted.
fn shell_word(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:/,@%+=-".contains(c));
    if plain {
        value.to_owned()
    } else if !value.contains('\'') {
        format!("'{value}'")
    } else if !value.contains(['"', '$', '`', '\\', '!']) {
        format!("\"{value}\"")
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

/// The example command line of an operation: every required flag, and every body field of the
/// operation's request example, with values from the spec (placeholders only where the spec
/// has none: `--help` tests refuse them).
fn example(op: &Operation, api: &str, flags: &[Flag]) -> String {
    let mut line = format!("threatbind {api} {}", op_name(op));
    for flag in flags {
        let values = example_values(op, flag);
        let in_example = !matches!(flag.target, Target::Param { .. } | Target::Server(_))
            && !values.is_empty()
            && body_example(op).is_some_and(|e| {
                let path = match &flag.target {
                    Target::Body(p)
                    | Target::Joined { path: p, .. }
                    | Target::Items { path: p, .. } => p,
                    _ => return false,
                };
                e.pointer(&format!("/{}", path.join("/"))).is_some()
            });
        if !flag.required && !in_example {
            continue;
        }
        let values = if values.is_empty() {
            vec![match &flag.kind {
                Kind::Enum(values) => values.first().cloned().unwrap_or_default(),
                Kind::Time(_) => "-24h".into(),
                Kind::Boolean => "true".into(),
                _ => "VALUE".into(),
            }]
        } else {
            values
        };
        for value in values {
            line.push_str(&format!(" --{} {}", flag.long, shell_word(&value)));
        }
    }
    line
}

/// The `threatbind <api> <operation>` command of an operation.
pub(crate) fn command(op: &'static Operation, api: &str, exit_codes: &str) -> Command {
    let flags = flags(op);
    let summary = op.raw.get("summary").and_then(Value::as_str).unwrap_or("");
    let mut about = format!("{summary} ({} {})", op.method, op.path);
    if op.deprecated {
        about.push_str(" [deprecated]");
    }
    if op.unstable {
        about.push_str(" [beta]");
    }
    let description = op
        .raw
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut command = Command::new(op_name(op))
        .about(about.clone())
        .long_about(format!("{about}\n\n{}", description.trim()))
        .after_help(format!(
            "Example:\n  {}\n\n{exit_codes}",
            example(op, api, &flags)
        ));
    for flag in &flags {
        // A required body field may come from `--body` instead (the validator checks it).
        let in_body = matches!(
            flag.target,
            Target::Body(_) | Target::Joined { .. } | Target::Items { .. }
        );
        let mut arg = Arg::new(flag.long.clone())
            .long(flag.long.clone())
            .help(flag.help.clone())
            .required(flag.required && !in_body)
            .allow_negative_numbers(true)
            .value_parser(Choices(match &flag.kind {
                Kind::Enum(values) => values.clone(),
                Kind::Boolean => vec!["true".to_owned(), "false".to_owned()],
                _ => Vec::new(),
            }))
            .hide_possible_values(true)
            .value_name(match &flag.kind {
                Kind::Integer => "N",
                Kind::Number => "NUMBER",
                Kind::Boolean => "true|false",
                Kind::Enum(_) => "VALUE",
                Kind::Text => "TEXT",
                Kind::Time(_) => "TIME",
            })
            // `--started-at -24h`: a relative time is a value, not a flag.
            .allow_hyphen_values(matches!(flag.kind, Kind::Time(_)));
        if flag.required && in_body {
            arg = arg.required_unless_present("body");
        }
        arg = if flag.multiple {
            arg.action(ArgAction::Append)
        } else {
            arg.action(ArgAction::Set)
        };
        command = command.arg(arg);
    }
    if op.raw.get("requestBody").is_some() {
        command = command.arg(crate::body::arg());
    }
    if let Some(p) = &op.pagination {
        let items = p.items.as_str();
        let what = if items.is_empty() {
            "one page per line".to_owned()
        } else {
            format!("one item of `{items}` per line")
        };
        command = command.arg(Arg::new("all").long("all").action(ArgAction::SetTrue).help(
            format!("Walk every page ({what}, --output jsonl unless set)"),
        ));
    }
    command
}

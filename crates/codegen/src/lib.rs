//! What the library's build script derives from its specs (`build.rs` calls [`run`]): one
//! typed client per OpenAPI spec in `specs/` with progenitor, and beside it the `Api` registry,
//! the calls of every builder, the decode tables and the API surface.
//!
//! For each `specs/*.yaml` whose Cargo feature (the file's stem) is on: parse it with `openapiv3`, generate with progenitor,
//! add an open enum (one that keeps unknown values) for every schema named in the spec's
//! `x-open-enums`, format with prettyplease and write `$OUT_DIR/<module>.rs`, which
//! `src/<module>/mod.rs` includes as `generated`. A bad spec stops the build with one line naming
//! the file and the problem. `THREATBIND_EXPAND_DIR=<dir>` also writes a copy there (`make expand`).

use std::{env, fmt::Write as _, fs, path::Path, process};

mod calls;
mod surface;

/// Every `specs/*.yaml`, by stem, sorted: the list of APIs is the folder, not a table here.
fn spec_stems() -> Vec<String> {
    let mut stems: Vec<String> = fs::read_dir("specs")
        .unwrap_or_else(|e| fail("specs", &e.to_string()))
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".yaml").map(str::to_owned)
        })
        .collect();
    stems.sort();
    stems
}

/// `log360-cloud` -> `Log360Cloud`.
fn variant(stem: &str) -> String {
    stem.split(|c: char| !c.is_ascii_alphanumeric())
        .map(|part| {
            let mut cs = part.chars();
            cs.next()
                .map(|f| f.to_ascii_uppercase().to_string() + cs.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Generates everything for the specs of the package being built (the current directory,
/// as cargo runs build scripts), into `$OUT_DIR`, and tells cargo what to watch. A bad spec
/// prints its problems and exits the build script with status 1.
///
/// ```no_run
/// // The whole of the library's build.rs, inside its `fn main`:
/// threatbind_codegen::run();
/// ```
pub fn run() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=specs");
    println!("cargo:rerun-if-env-changed=THREATBIND_EXPAND_DIR");
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let expand_dir = env::var("THREATBIND_EXPAND_DIR")
        .ok()
        .filter(|d| !d.is_empty());
    let mut registry = Vec::new();
    let mut surface = String::new();
    for stem in spec_stems() {
        let path = format!("specs/{stem}.yaml");
        println!("cargo:rerun-if-changed={path}");
        let module = stem.replace('-', "_");
        let feature = format!("CARGO_FEATURE_{}", module.to_uppercase());
        if env::var_os(&feature).is_none() {
            continue;
        }
        let code = match generate(&path, &module) {
            Ok(code) => code,
            Err(problem) => {
                eprintln!("error: threatbind: {path}: {problem}");
                process::exit(1);
            }
        };
        write(&Path::new(&out_dir).join(format!("{module}.rs")), &code);
        match syn::parse_file(&code) {
            Ok(file) => surface.push_str(&surface::render(&module, &file)),
            Err(e) => fail(&path, &format!("generated code does not parse: {e}")),
        }
        if let Some(dir) = &expand_dir {
            fs::create_dir_all(dir).unwrap_or_else(|e| fail(dir, &e.to_string()));
            write(&Path::new(dir).join(format!("{module}.rs")), &code);
        }
        registry.push((stem.clone(), module));
    }
    write(&Path::new(&out_dir).join("surface.txt"), &surface);
    write(
        &Path::new(&out_dir).join("apis.rs"),
        &registry_source(&registry),
    );
    write(
        &Path::new(&out_dir).join("modules.rs"),
        &modules_source(&registry),
    );
}

/// The module of each API: the hand-written folder `src/<module>/` of a spec that says
/// `x-handwritten: true` (credentials the spec cannot describe: OAuth refresh, account headers),
/// else just its generated client (credentials from the spec's security schemes, through
/// `threatbind::generic`).
fn modules_source(apis: &[(String, String)]) -> String {
    let manifest = env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let mut out = String::new();
    for (stem, module) in apis {
        let folder = format!("{manifest}/src/{module}/mod.rs");
        let path = format!("specs/{stem}.yaml");
        let handwritten = fs::read_to_string(&path)
            .ok()
            .and_then(|text| threatbind_model::read(&path, &text).ok())
            .is_some_and(|model| model.handwritten);
        if handwritten {
            let _ = writeln!(out, "#[path = {folder:?}]\npub mod {module};");
        } else {
            let v = variant(stem);
            let _ = writeln!(
                out,
                "/// `specs/{stem}.yaml`: the generated client, its credentials and server from the\n\
                 /// variables the spec names (`threatbind::generic`).\n\
                 pub mod {module} {{\n\
                 /// The client progenitor generates from the spec.\n\
                 #[allow(missing_docs, clippy::all, unused_imports)]\n\
                 pub mod generated {{ include!(concat!(env!(\"OUT_DIR\"), \"/{module}.rs\")); }}\n\
                 /// The client, from the environment (the variables `threatbind::spec::Api::{v}.env()` names).\n\
                 pub fn from_env() -> crate::Result<generated::Client> {{\n\
                 crate::generic::check_env_utf8(crate::spec::Api::{v})?;\n\
                 from_vars(|name| std::env::var(name).ok(), &crate::Settings::default())\n}}\n\
                 /// The client, from the variables `get` reads, with `settings`.\n\
                 pub fn from_vars(get: impl Fn(&str) -> Option<String>, settings: &crate::Settings) -> crate::Result<generated::Client> {{\n\
                 let c = crate::generic::connection(crate::spec::Api::{v}, &get, settings, &[], None)?;\n\
                 Ok(generated::Client::new_with_client(&c.base_url, c.http, c.hooks))\n}}\n}}"
            );
        }
    }
    out
}

/// The `Api` enum: one variant per spec whose feature is on, with its file and embedded text.
fn registry_source(apis: &[(String, String)]) -> String {
    let manifest = env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let (mut variants, mut all, mut files, mut sources, mut decoders) = (
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    );
    let mut roundtrips = String::new();
    let mut jsons = String::new();
    let mut versions = String::new();
    let mut request_decoders = String::new();
    let mut error_decoders = String::new();
    for (stem, module) in apis {
        let v = variant(stem);
        let document = fs::read_to_string(format!("specs/{stem}.yaml"))
            .ok()
            .and_then(|t| serde_yaml_ng::from_str::<serde_json::Value>(&t).ok());
        // The spec as JSON, which the library parses at run time: a tenth of YAML's cost, paid
        // by every CLI start.
        let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
        let json = document.as_ref().map(|d| d.to_string()).unwrap_or_default();
        write(&Path::new(&out_dir).join(format!("{stem}.json")), &json);
        let info_version = document
            .as_ref()
            .and_then(|d| d.pointer("/info/version"))
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned();
        let _ = writeln!(versions, "Api::{v} => {info_version:?},");
        let title = document
            .and_then(|d| {
                d.pointer("/info/title")
                    .and_then(|t| t.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| stem.clone());
        let _ = writeln!(variants, "/// {title} (`specs/{stem}.yaml`).\n{v},");
        let _ = writeln!(all, "Api::{v},");
        let _ = writeln!(files, "Api::{v} => \"{stem}.yaml\",");
        let _ = writeln!(
            sources,
            "Api::{v} => include_str!(\"{manifest}/specs/{stem}.yaml\"),"
        );
        let _ = writeln!(
            jsons,
            "Api::{v} => include_str!(concat!(env!(\"OUT_DIR\"), \"/{stem}.json\")),"
        );
        let _ = writeln!(
            decoders,
            "Api::{v} => crate::{module}::generated::decode_success,"
        );
        let _ = writeln!(
            request_decoders,
            "Api::{v} => crate::{module}::generated::decode_request(operation_id, body),"
        );
        let _ = writeln!(
            error_decoders,
            "Api::{v} => crate::{module}::generated::decode_error(operation_id, status, body),"
        );
        let _ = writeln!(
            roundtrips,
            "Api::{v} => crate::{module}::generated::roundtrip_success(operation_id, body),"
        );
    }
    let n = apis.len();
    format!(
        r#"
/// One bound API: one file in `specs/` (the variants are generated from that folder).
///
/// ```
/// use threatbind::spec::Api;
/// assert_eq!(Api::NameshieldCti.file_name(), "nameshield-cti.yaml");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Api {{
{variants}
}}

/// How many APIs this build has.
pub(crate) const API_COUNT: usize = {n};

impl Api {{
    /// Every API compiled into this build.
    pub const ALL: &'static [Api] = &[{all}];

    /// The spec's file name in `specs/` (its stem also names the fixture folder).
    pub fn file_name(self) -> &'static str {{
        match self {{ {files} }}
    }}

    /// The spec's `info.version`: the version of the vendor's API it describes.
    pub fn spec_version(self) -> &'static str {{
        match self {{ {versions} }}
    }}

    /// The spec as written (YAML).
    pub fn source(self) -> &'static str {{
        match self {{ {sources} }}
    }}

    /// The spec as JSON, converted at build time (what the library parses at run time).
    pub(crate) fn json(self) -> &'static str {{
        match self {{ {jsons} }}
    }}

    /// Decodes a success answer of `operation_id` into its generated type, re-encodes it and
    /// checks the typed value survives the trip; the re-encoded JSON, or why not. `None` when
    /// the answer has no named type.
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// let body = b"{{\"data\": [], \"has_next\": false}}";
    /// let again = Api::NameshieldCti.roundtrip("listThreatEvents", body).unwrap().unwrap();
    /// assert_eq!(again["has_next"], false);
    /// ```
    pub fn roundtrip(self, operation_id: &str, body: &[u8]) -> Option<Result<serde_json::Value, String>> {{
        match self {{ {roundtrips} }}
    }}

    /// Decodes a request body of `operation_id` into its generated type; the error names the
    /// JSON path. `None` when the spec names no type for it.
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// let body = b"{{\"indicator\": \"8.8.8.8\"}}";
    /// assert_eq!(Api::Log360Cloud.decode_request("searchVirusTotal", body), Some(Ok(())));
    /// ```
    pub fn decode_request(self, operation_id: &str, body: &[u8]) -> Option<Result<(), String>> {{
        match self {{ {request_decoders} }}
    }}

    /// Decodes a success answer of `operation_id` into its generated type; the error names the
    /// JSON path. `None` when the spec names no type for it.
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// let body = b"{{\"data\": 7}}";
    /// assert!(Api::NameshieldCti.decode_success("listThreatEvents", body).unwrap().is_err());
    /// ```
    pub fn decode_success(self, operation_id: &str, body: &[u8]) -> Option<Result<(), String>> {{
        (self.decode_check())(operation_id, body)
    }}

    /// Decodes an error answer of `operation_id` with `status` into its generated type.
    ///
    /// ```
    /// use threatbind::spec::Api;
    /// let body = b"{{\"errors\": [\"Bad Request\"]}}";
    /// assert_eq!(Api::DatadogIoc.decode_error("getIndicatorOfCompromise", 400, body), Some(Ok(())));
    /// ```
    pub fn decode_error(self, operation_id: &str, status: u16, body: &[u8]) -> Option<Result<(), String>> {{
        match self {{ {error_decoders} }}
    }}

    /// The generated decode check of this API's success answers.
    pub(crate) fn decode_check(self) -> crate::answer::DecodeCheck {{
        match self {{ {decoders} }}
    }}
}}
"#
    )
}

fn fail(what: &str, problem: &str) -> ! {
    eprintln!("error: threatbind: {what}: {problem}");
    process::exit(1)
}

fn write(path: &Path, code: &str) {
    fs::write(path, code).unwrap_or_else(|e| fail(&path.display().to_string(), &e.to_string()));
}

/// `value` without the string constraints (`minLength`, `maxLength`, `pattern`) of inline
/// schemas, so that the generator makes plain `String`s instead of checked newtypes. A named
/// string schema (`components/schemas/CtiDateTime`) keeps its type and its conversions; integer
/// bounds stay (typify turns `minimum: 1` into a `NonZero` type, which callers already pass).
fn unconstrained(mut value: serde_json::Value) -> serde_json::Value {
    fn walk(value: &mut serde_json::Value, depth: usize, named: bool) {
        if depth > 200 {
            return;
        }
        match value {
            serde_json::Value::Object(map) => {
                let string = map.get("type").and_then(|t| t.as_str()) == Some("string");
                if string && !named && !map.contains_key("enum") {
                    for key in ["minLength", "maxLength", "pattern"] {
                        map.remove(key);
                    }
                }
                for (key, v) in map.iter_mut() {
                    if key != "example" && key != "examples" {
                        walk(v, depth + 1, false);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                items.iter_mut().for_each(|v| walk(v, depth + 1, false))
            }
            _ => {}
        }
    }
    let named = value
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut());
    for schema in named.into_iter().flat_map(|s| s.values_mut()) {
        walk(schema, 0, true);
    }
    for key in ["paths", "components"] {
        if let Some(part) = value.get_mut(key) {
            if key == "components" {
                // Parameters, request bodies, responses: inline.
                for (name, v) in part.as_object_mut().into_iter().flatten() {
                    if name != "schemas" {
                        walk(v, 0, false);
                    }
                }
            } else {
                walk(part, 0, false);
            }
        }
    }
    value
}

/// Generates the module source for one spec, or says what is wrong with it.
fn generate(path: &str, module: &str) -> Result<String, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let raw: serde_json::Value =
        serde_yaml_ng::from_str(&text).map_err(|e| format!("not valid YAML: {e}"))?;
    // The generated types carry no value constraints: the send path checks every request
    // against the spec (one validator, one error naming the field and the rule), where a typed
    // newtype's conversion would refuse with a message of its own and no rule.
    let spec: openapiv3::OpenAPI = serde_json::from_value(unconstrained(raw.clone()))
        .map_err(|e| format!("not a valid OpenAPI 3.0 document: {e}"))?;
    if !spec.openapi.starts_with("3.0.") {
        return Err(format!("openapi must be 3.0.x, found {}", spec.openapi));
    }
    for (route, method, op) in spec.operations() {
        if op.operation_id.is_none() {
            return Err(format!(
                "{} {route} has no operationId",
                method.to_uppercase()
            ));
        }
    }
    // The project's extensions, typed: one that is malformed or out of its place stops the
    // build, each problem on its own line with the file, the line and the pointer.
    let model = match threatbind_model::read_document(path, &text, &raw) {
        Ok(model) => model,
        Err(problems) => {
            for line in problems.to_string().lines() {
                eprintln!("error: threatbind: {line}");
            }
            return Err(format!(
                "{} malformed extension(s), listed above",
                problems.problems.len()
            ));
        }
    };

    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_derive("PartialEq")
        // Every request of the generated client goes through the shared transport
        // (src/transport.rs): `Expected` makes a missing hook implementation a compile error.
        .with_inner_type(tokens("crate::transport::Hooks")?)
        .with_hooks(progenitor::HooksMode::Expected);
    let mut open_enums = String::new();
    for name in &model.open_enums {
        let values = enum_values(&raw, name)?;
        let rust_path = format!("crate::{module}::generated::open_enums::{name}");
        settings.with_replacement(
            name,
            &rust_path,
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        );
        open_enums.push_str(&open_enum_source(module, name, &values));
    }

    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor cannot generate a client: {e}"))?;
    let ast: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    let mut code = prettyplease::unparse(&ast);
    // `call()` and `items()` on every request builder, inside progenitor's `builder` module
    // (they read the builder's client), and the date-time conversions.
    let (calls, dates) = calls::source(&ast, &raw, &model);
    let calls_ast: syn::File =
        syn::parse_str(&calls).map_err(|e| format!("call code does not parse: {e}"))?;
    let marker = "\npub mod builder {\n";
    if !code.contains(marker) {
        return Err("progenitor's output has no top-level builder module".to_owned());
    }
    code = code.replacen(
        marker,
        &format!("{marker}{}\n", prettyplease::unparse(&calls_ast)),
        1,
    );
    let dates_ast: syn::File =
        syn::parse_str(&dates).map_err(|e| format!("date code does not parse: {e}"))?;
    code.push('\n');
    code.push_str(&prettyplease::unparse(&dates_ast));
    let open_ast: syn::File = syn::parse_str(&format!(
        "/// Response enums that keep values this version does not know (`Other`).\n\
         pub mod open_enums {{ {open_enums} }}"
    ))
    .map_err(|e| format!("open enum code does not parse: {e}"))?;
    code.push('\n');
    code.push_str(&prettyplease::unparse(&open_ast));
    let hooks_ast: syn::File =
        syn::parse_str(HOOKS).map_err(|e| format!("hook code does not parse: {e}"))?;
    code.push('\n');
    code.push_str(&prettyplease::unparse(&hooks_ast));
    if let Some(prefill) = prefill_source(&raw) {
        let prefill_ast: syn::File =
            syn::parse_str(&prefill).map_err(|e| format!("prefill code does not parse: {e}"))?;
        code.push('\n');
        code.push_str(&prettyplease::unparse(&prefill_ast));
    }
    let decode_ast: syn::File = syn::parse_str(&decode_source(&raw))
        .map_err(|e| format!("decode table does not parse: {e}"))?;
    code.push('\n');
    code.push_str(&prettyplease::unparse(&decode_ast));
    Ok(code)
}

/// The hooks of every generated client: credentials before sending, and the one `exec` that
/// refuses redirects and bounds the answer's size.
const HOOKS: &str = r#"
impl Client {
    /// The typed client of this API over a client of its generic face
    /// (`threatbind::generic::connect`, a typed client's `raw()`): the same credentials,
    /// quota, settings and hooks.
    pub fn from_raw(raw: &crate::raw::RawClient) -> Self {
        Self::new_with_client(raw.base_url(), raw.http.clone(), raw.hooks.clone())
    }
}

impl progenitor_client::ClientHooks<crate::transport::Hooks> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &progenitor_client::OperationInfo,
    ) -> std::result::Result<(), progenitor_client::Error<E>> {
        use progenitor_client::ClientInfo;
        crate::transport::pre(self.inner(), request, info.operation_id)
            .await
            .map_err(progenitor_client::Error::InvalidRequest)
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &progenitor_client::OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        use progenitor_client::ClientInfo;
        crate::transport::exec(self.inner(), self.client(), request, info.operation_id).await
    }
}
"#;

/// The type a `$ref`'d schema becomes: typify's Pascal case of its name (`APIErrorResponse`
/// becomes `ApiErrorResponse`, the model's `names::pascal`), when the name is a plain identifier.
fn ref_type(schema: Option<&serde_json::Value>) -> Option<String> {
    let name = schema
        .and_then(|s| s.get("$ref"))
        .and_then(|r| r.as_str())
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric()))?;
    Some(threatbind_model::names::pascal(name))
}

/// The `Prefill` trait of an API whose operations take parameters the client fills in from its
/// configuration (a parameter with `x-env`, such as Log360's `account_id` header): one builder
/// per operation with those set, so a caller sets only what the call is about. `None` when no
/// parameter has `x-env`.
fn prefill_source(raw: &serde_json::Value) -> Option<String> {
    use threatbind_model::names::{pascal, snake};
    let resolve = |v: &serde_json::Value| -> serde_json::Value {
        match v.get("$ref").and_then(|r| r.as_str()) {
            Some(r) if r.starts_with('#') => raw.pointer(&r[1..]).cloned().unwrap_or_default(),
            _ => v.clone(),
        }
    };
    let mut methods = String::new();
    let mut any = false;
    for item in raw.get("paths")?.as_object()?.values() {
        let shared: Vec<serde_json::Value> = item
            .get("parameters")
            .and_then(|p| p.as_array())
            .into_iter()
            .flatten()
            .map(resolve)
            .collect();
        for (method, op) in item.as_object().into_iter().flatten() {
            let Some(id) = op.get("operationId").and_then(|v| v.as_str()) else {
                continue;
            };
            if method == "parameters" {
                continue;
            }
            let params = shared.iter().cloned().chain(
                op.get("parameters")
                    .and_then(|p| p.as_array())
                    .into_iter()
                    .flatten()
                    .map(resolve),
            );
            let mut fills = String::new();
            let mut names = Vec::new();
            for p in params {
                let (Some(name), Some(_)) =
                    (p.get("name").and_then(|n| n.as_str()), p.get("x-env"))
                else {
                    continue;
                };
                let _ = write!(fills, ".{}(self.configured({name:?}))", snake(name));
                names.push(format!("`{name}`"));
            }
            any |= !names.is_empty();
            let summary = op
                .get("summary")
                .and_then(|s| s.as_str())
                .unwrap_or(id)
                .replace('\\', "")
                .replace('"', "'");
            let filled = if names.is_empty() {
                String::new()
            } else {
                format!(", with {} filled in", names.join(", "))
            };
            let _ = writeln!(
                methods,
                "#[doc = \"{summary} (`{id}`){filled}.\"]\n\
                 fn {snake}(&self) -> builder::{pascal}<'_> {{ self.client().{snake}(){fills} }}",
                snake = snake(id),
                pascal = pascal(id),
            );
        }
    }
    any.then(|| {
        format!(
            r#"
/// Request builders with the parameters the client fills in from its configuration (those
/// the spec marks `x-env`): send them with `threatbind::call`, walk their pages with the
/// client's `items` and `pages`.
pub trait Prefill {{
    /// The generated client the builders come from.
    fn client(&self) -> &Client;
    /// The configured value of a parameter the client fills in.
    fn configured(&self, parameter: &str) -> &str;
    {methods}
}}
"#
        )
    })
}

/// Each operation's bodies decoded into their generated types, so that the generic path (the
/// CLI) checks an answer as the typed client would, and the contract tests need no table of
/// types: `decode_success`, `decode_request` and `decode_error`.
fn decode_source(raw: &serde_json::Value) -> String {
    let resolve = |v: &serde_json::Value| -> serde_json::Value {
        match v.get("$ref").and_then(|r| r.as_str()) {
            Some(r)
                if r.starts_with("#/components/responses/")
                    || r.starts_with("#/components/requestBodies/") =>
            {
                raw.pointer(&r[1..]).cloned().unwrap_or_default()
            }
            _ => v.clone(),
        }
    };
    let (mut success, mut request, mut error) = (String::new(), String::new(), String::new());
    let mut roundtrip = String::new();
    for item in raw
        .get("paths")
        .and_then(|p| p.as_object())
        .into_iter()
        .flat_map(|p| p.values())
    {
        for op in item.as_object().into_iter().flat_map(|o| o.values()) {
            let Some(id) = op.get("operationId").and_then(|v| v.as_str()) else {
                continue;
            };
            let json = "/content/application~1json/schema";
            if let Some(body) = op.get("requestBody").map(resolve) {
                if let Some(name) = ref_type(body.pointer(json)) {
                    let _ = writeln!(request, "{id:?} => Some(check::<types::{name}>(body)),");
                }
            }
            for (status, response) in op
                .get("responses")
                .and_then(|r| r.as_object())
                .into_iter()
                .flatten()
            {
                let response = resolve(response);
                let Some(name) = ref_type(response.pointer(json)) else {
                    continue;
                };
                if status.starts_with('2') {
                    let _ = writeln!(success, "{id:?} => Some(check::<types::{name}>(body)),");
                    let _ = writeln!(roundtrip, "{id:?} => Some(again::<types::{name}>(body)),");
                } else if let Ok(code) = status.parse::<u16>() {
                    let _ = writeln!(
                        error,
                        "({id:?}, {code}) => Some(check::<types::{name}>(body)),"
                    );
                }
            }
        }
    }
    format!(
        r#"
fn check<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<(), String> {{
    serde_json::from_slice::<T>(body)
        .map(drop)
        .map_err(|e| crate::json_path::describe(body, &e))
}}

/// Decodes a success answer of `operation_id` into its generated type: the answer check of the
/// generic path. `None` when the answer has no named type; the error names the JSON path.
#[allow(unused_variables)]
pub fn decode_success(operation_id: &str, body: &[u8]) -> Option<Result<(), String>> {{
    match operation_id {{
        {success}
        _ => None,
    }}
}}

fn again<T: serde::de::DeserializeOwned + serde::Serialize + PartialEq>(
    body: &[u8],
) -> Result<serde_json::Value, String> {{
    let first: T = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let text = serde_json::to_vec(&first).map_err(|e| e.to_string())?;
    let second: T = serde_json::from_slice(&text).map_err(|e| format!("re-encoded: {{e}}"))?;
    if first != second {{
        return Err("decoding the re-encoded value gives another value".to_owned());
    }}
    serde_json::from_slice(&text).map_err(|e| e.to_string())
}}

/// Decodes a success answer of `operation_id` into its generated type, encodes it again, and
/// checks that decoding that gives the same value: the typed model round-trips. The re-encoded
/// JSON is returned. `None` when the answer has no named type.
#[allow(unused_variables)]
pub fn roundtrip_success(operation_id: &str, body: &[u8]) -> Option<Result<serde_json::Value, String>> {{
    match operation_id {{
        {roundtrip}
        _ => None,
    }}
}}

/// Decodes a request body of `operation_id` into its generated type.
#[allow(unused_variables)]
pub fn decode_request(operation_id: &str, body: &[u8]) -> Option<Result<(), String>> {{
    match operation_id {{
        {request}
        _ => None,
    }}
}}

/// Decodes an error answer of `operation_id` with `status` into its generated type.
#[allow(unused_variables)]
pub fn decode_error(operation_id: &str, status: u16, body: &[u8]) -> Option<Result<(), String>> {{
    match (operation_id, status) {{
        {error}
        _ => None,
    }}
}}
"#
    )
}

fn tokens(path: &str) -> Result<proc_macro2::TokenStream, String> {
    path.parse().map_err(|e| format!("bad path {path}: {e}"))
}

fn enum_values(raw: &serde_json::Value, name: &str) -> Result<Vec<String>, String> {
    let schema = raw
        .pointer(&format!("/components/schemas/{name}"))
        .ok_or_else(|| format!("x-open-enums names {name}, which is not in components/schemas"))?;
    let values = schema
        .get("enum")
        .and_then(|e| e.as_array())
        .ok_or_else(|| format!("x-open-enums names {name}, which has no enum"))?;
    values
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("{name}: open enums must have string values"))
        })
        .collect()
}

/// `RAISE_SCORE` -> `RaiseScore`, `time` -> `Time`.
fn variant_name(value: &str) -> String {
    let mut out = String::new();
    for part in value.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// Source of an enum that decodes every string: known values to variants, the rest to `Other`.
fn open_enum_source(module: &str, name: &str, values: &[String]) -> String {
    let mut variants = String::new();
    let mut to_str = String::new();
    let mut from_str = String::new();
    for value in values {
        let variant = variant_name(value);
        let _ = writeln!(variants, "/// `{value}`\n{variant},");
        let _ = writeln!(to_str, "Self::{variant} => {value:?},");
        let _ = writeln!(from_str, "{value:?} => Self::{variant},");
    }
    format!(
        r#"
/// `{name}`: the documented values, plus [`{name}::Other`] for any value added later.
///
/// ```
/// use threatbind::{module}::generated::open_enums::{name};
/// let unknown: {name} = serde_json::from_str("\"SOMETHING_NEW\"").unwrap();
/// assert!(!unknown.is_known());
/// assert_eq!(unknown.as_str(), "SOMETHING_NEW");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum {name} {{
{variants}
    /// A value the spec does not list (kept as sent).
    Other(String),
}}

impl {name} {{
    /// The value as sent on the wire.
    pub fn as_str(&self) -> &str {{
        match self {{
{to_str}
            Self::Other(value) => value,
        }}
    }}

    /// Whether the value is one the spec lists.
    pub fn is_known(&self) -> bool {{
        !matches!(self, Self::Other(_))
    }}
}}

impl From<&str> for {name} {{
    fn from(value: &str) -> Self {{
        match value {{
{from_str}
            other => Self::Other(other.to_owned()),
        }}
    }}
}}

impl std::str::FromStr for {name} {{
    type Err = std::convert::Infallible;
    fn from_str(value: &str) -> Result<Self, Self::Err> {{
        Ok(Self::from(value))
    }}
}}

impl std::fmt::Display for {name} {{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{
        f.write_str(self.as_str())
    }}
}}

impl serde::Serialize for {name} {{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{
        serializer.serialize_str(self.as_str())
    }}
}}

impl<'de> serde::Deserialize<'de> for {name} {{
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{
        let value = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
        Ok(Self::from(value.as_ref()))
    }}
}}
"#
    )
}

//! The calls a library user makes, generated beside progenitor's builders: on every request
//! builder, `call()` (the typed answer or the one typed error, through the send path) and, on
//! a paginated operation (`x-pagination`), `items()` (a stream of typed items over every page,
//! boxed: no turbofish, no pinning); on every named string schema with `x-datetime-format`,
//! `TryFrom<chrono::DateTime<Utc>>`, so a builder takes a chrono value and the vendor's form is
//! written for it.

use quote::ToTokens;
use std::fmt::Write as _;

/// The request builders of `ast` (progenitor's top-level `builder` module): each builder's
/// name and the success type its `send()` gives (`types::ThreatEvent`).
fn builders(ast: &syn::File) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let module = ast.items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref(),
        _ => None,
    });
    for item in module.into_iter().flat_map(|(_, items)| items) {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let syn::Type::Path(self_ty) = &*block.self_ty else {
            continue;
        };
        let Some(name) = self_ty.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        for member in &block.items {
            let syn::ImplItem::Fn(f) = member else {
                continue;
            };
            if f.sig.ident != "send" {
                continue;
            }
            if let Some(success) = success_type(&f.sig.output) {
                out.push((name.clone(), success));
            }
        }
    }
    out
}

/// `T` of `-> Result<ResponseValue<T>, Error<E>>`.
fn success_type(output: &syn::ReturnType) -> Option<String> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let first_arg = |ty: &syn::Type| -> Option<syn::Type> {
        let syn::Type::Path(p) = ty else { return None };
        let last = p.path.segments.last()?;
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
    };
    let response_value = first_arg(ty)?;
    let success = first_arg(&response_value)?;
    Some(success.to_token_stream().to_string().replace(' ', ""))
}

/// The JSON schema `value` with a local `$ref` followed.
fn resolve<'a>(raw: &'a serde_json::Value, value: &'a serde_json::Value) -> &'a serde_json::Value {
    match value.get("$ref").and_then(|r| r.as_str()) {
        Some(r) if r.starts_with('#') => raw.pointer(&r[1..]).unwrap_or(value),
        _ => value,
    }
}

/// The Rust type of one item of a paginated operation: the page's own type when the items are
/// the page, else the named schema of the array at `items` (a `serde_json::Value` for an
/// inline one).
fn item_type(
    raw: &serde_json::Value,
    op: &serde_json::Value,
    items: &str,
    success: &str,
) -> String {
    if items.is_empty() {
        return success.to_owned();
    }
    let responses = op.get("responses").and_then(|r| r.as_object());
    let schema = responses.and_then(|r| {
        ["200", "201"].iter().find_map(|code| {
            let response = resolve(raw, r.get(*code)?);
            response.pointer("/content/application~1json/schema")
        })
    });
    let mut at = schema.map(|s| resolve(raw, s));
    for part in items.split('.') {
        at = at
            .and_then(|s| s.get("properties"))
            .and_then(|p| p.get(part))
            .map(|s| resolve(raw, s));
    }
    let named = at
        .and_then(|array| array.get("items"))
        .and_then(|i| i.get("$ref"))
        .and_then(|r| r.as_str())
        .and_then(|r| r.strip_prefix("#/components/schemas/"));
    match named {
        Some(name) => format!("types::{}", threatbind_model::names::pascal(name)),
        None => "::serde_json::Value".to_owned(),
    }
}

/// The source of the calls, to go inside progenitor's `builder` module, and the date-time
/// conversions, to go at the top of the generated file.
pub fn source(
    ast: &syn::File,
    raw: &serde_json::Value,
    model: &threatbind_model::Model,
) -> (String, String) {
    let mut calls = String::new();
    let by_builder: std::collections::BTreeMap<String, &str> = model
        .operations
        .keys()
        .map(|id| (threatbind_model::names::pascal(id), id.as_str()))
        .collect();
    let operations = operations(raw);
    for (builder, success) in builders(ast) {
        let _ = writeln!(
            calls,
            "impl<'a> {builder}<'a> {{\n\
             /// Sends the request through the send path (validation, quota, credentials,\n\
             /// retries, bounds) and gives the typed answer, or the one typed error.\n\
             pub async fn call(self) -> crate::Result<{success}> {{ crate::call(self.send()).await }}"
        );
        let paging = by_builder.get(&builder).and_then(|id| {
            let pagination = model.operations.get(*id)?.pagination.as_ref()?;
            Some((*id, pagination))
        });
        if let Some((id, pagination)) = paging {
            if let Some(op) = operations.get(id) {
                let item = item_type(raw, op, &pagination.items, &success);
                let _ = writeln!(
                    calls,
                    "/// Every item of every page, typed, walked as the spec's `x-pagination` says\n\
                     /// (each page sent like [`Self::call`]; bounded by the client's `max_pages`).\n\
                     pub fn items(self) -> ::std::pin::Pin<Box<dyn ::futures::Stream<Item = crate::Result<{item}>> + Send + 'a>> {{\n\
                     let raw = crate::raw::RawClient::of(self.client, Vec::new());\n\
                     Box::pin(raw.items_of(self.send()))\n}}"
                );
            }
        }
        calls.push_str("}\n");
    }
    let mut dates = String::new();
    let schemas = raw
        .pointer("/components/schemas")
        .and_then(|s| s.as_object());
    for (name, schema) in schemas.into_iter().flatten() {
        let Some(format) = schema.get("x-datetime-format").and_then(|f| f.as_str()) else {
            continue;
        };
        let ty = threatbind_model::names::pascal(name);
        let _ = writeln!(
            dates,
            "impl ::std::convert::TryFrom<::chrono::DateTime<::chrono::Utc>> for types::{ty} {{\n\
             type Error = <Self as ::std::convert::TryFrom<::std::string::String>>::Error;\n\
             /// The instant written as the spec's `x-datetime-format` says ({format:?}, UTC).\n\
             fn try_from(at: ::chrono::DateTime<::chrono::Utc>) -> ::std::result::Result<Self, Self::Error> {{\n\
             Self::try_from(at.format({format:?}).to_string())\n}}\n}}"
        );
    }
    (calls, dates)
}

/// Every operation object of the spec, by operationId.
fn operations(raw: &serde_json::Value) -> std::collections::BTreeMap<String, serde_json::Value> {
    let mut out = std::collections::BTreeMap::new();
    let paths = raw.get("paths").and_then(|p| p.as_object());
    for item in paths.into_iter().flat_map(|p| p.values()) {
        for (method, op) in item.as_object().into_iter().flatten() {
            if method == "parameters" {
                continue;
            }
            if let Some(id) = op.get("operationId").and_then(|i| i.as_str()) {
                out.insert(id.to_owned(), op.clone());
            }
        }
    }
    out
}

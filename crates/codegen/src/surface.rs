//! A text rendering of the public surface of a generated module: its types with their fields and
//! variants, its functions and methods with their signatures, the traits it implements. Written
//! to `$OUT_DIR/surface.txt`; `tests/snapshot.rs` compares it with `tests/snapshots/api.txt`, so
//! a spec edit shows its effect on the library in review.

use quote::ToTokens;
use std::fmt::Write as _;

/// The surface of one generated module, one item or member per line.
pub fn render(module: &str, file: &syn::File) -> String {
    let mut out = format!("# {module}\n");
    items(&mut out, module, &file.items);
    out
}

fn tokens(t: &impl ToTokens) -> String {
    let text = t.to_token_stream().to_string();
    let mut s = text
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" ::", "::")
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" <", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("& ", "&")
        .replace("' ", "'")
        .replace(" (", "(")
        .replace(" : ", ": ")
        .replace(",>", ">")
        .replace(",)", ")");
    while s.contains("  ") {
        s = s.replace("  ", " ");
    }
    s
}

/// A signature as `name(args) -> ret`, without the leading `fn`.
fn signature(sig: &syn::Signature) -> String {
    let text = tokens(sig);
    text.strip_prefix("fn ").unwrap_or(&text).to_owned()
}

/// `ty` qualified by the module path unless it is already an absolute path.
fn qualified(path: &str, ty: &str) -> String {
    if ty.starts_with("::") || ty.starts_with("crate::") {
        ty.to_owned()
    } else {
        format!("{path}::{ty}")
    }
}

fn public(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

fn items(out: &mut String, path: &str, list: &[syn::Item]) {
    for item in list {
        match item {
            syn::Item::Mod(m) if public(&m.vis) => {
                if let Some((_, inner)) = &m.content {
                    items(out, &format!("{path}::{}", m.ident), inner);
                }
            }
            syn::Item::Struct(s) if public(&s.vis) => {
                let name = format!("{path}::{}{}", s.ident, tokens(&s.generics));
                match &s.fields {
                    syn::Fields::Named(fields) => {
                        let _ = writeln!(out, "struct {name}");
                        for f in fields.named.iter().filter(|f| public(&f.vis)) {
                            if let Some(id) = &f.ident {
                                let _ = writeln!(out, "  {id}: {}", tokens(&f.ty));
                            }
                        }
                    }
                    other => {
                        let _ = writeln!(out, "struct {name}{}", tokens(other));
                    }
                }
            }
            syn::Item::Enum(e) if public(&e.vis) => {
                let _ = writeln!(out, "enum {path}::{}", e.ident);
                for v in &e.variants {
                    let _ = writeln!(out, "  {}{}", v.ident, tokens(&v.fields));
                }
            }
            syn::Item::Trait(t) if public(&t.vis) => {
                let _ = writeln!(out, "trait {path}::{}", t.ident);
                for member in &t.items {
                    if let syn::TraitItem::Fn(f) = member {
                        let _ = writeln!(out, "  fn {}", signature(&f.sig));
                    }
                }
            }
            syn::Item::Fn(f) if public(&f.vis) => {
                let _ = writeln!(out, "fn {path}::{}", signature(&f.sig));
            }
            syn::Item::Impl(i) => {
                let ty = qualified(path, &tokens(&i.self_ty));
                match &i.trait_ {
                    Some((_, t, _)) => {
                        let _ = writeln!(out, "impl {} for {ty}", tokens(t));
                    }
                    None => {
                        for member in &i.items {
                            if let syn::ImplItem::Fn(f) = member {
                                if public(&f.vis) {
                                    let _ = writeln!(out, "fn {ty}::{}", signature(&f.sig));
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

//! Words of lint's messages, shared by the checks that write them.

/// `name` with its indefinite article: "an OpenAPI", "a Schema".
pub(super) fn a(name: &str) -> String {
    let vowel = name.starts_with(['A', 'E', 'I', 'O', 'U', 'X']);
    format!("{} {name}", if vowel { "an" } else { "a" })
}

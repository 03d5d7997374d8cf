//! The one case conversion of the project, progenitor's own (heck): the generated methods and
//! types, the CLI's commands and flags, and lint's collision checks all name an operation or a
//! field through these, so they cannot disagree.

use heck::{ToKebabCase, ToPascalCase, ToSnakeCase};

/// `listDetectionRules` -> `list-detection-rules`, `filter.section` -> `filter-section`,
/// `sort[column]` -> `sort-column`: a command or flag name, always shell-safe (see
/// [`is_shell_safe`]). Every character that is not an ASCII letter or digit separates words
/// (heck splits on the others, but keeps non-ASCII letters, which not every shell and
/// terminal takes as typed).
///
/// ```
/// use threatbind_model::names::kebab;
/// assert_eq!(kebab("getIoCIndicator"), "get-io-c-indicator");
/// assert_eq!(kebab("started_at"), "started-at");
/// assert_eq!(kebab("sort[column]"), "sort-column");
/// assert_eq!(kebab("page[size]*"), "page-size");
/// assert_eq!(kebab("prénom"), "pr-nom");
/// ```
pub fn kebab(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .to_kebab_case()
}

/// Whether `name` is a flag or command name a shell passes as typed, unquoted, in bash, zsh
/// and fish: ASCII lowercase letters, digits and `-`, starting with a letter or a digit, not
/// ending with `-` and without `--`. (`[`, `]`, `*`, `?` are glob characters; `{` `}`
/// brace expansion; `$`, `'`, `"`, `\`, spaces and the rest have their own meanings.)
///
/// ```
/// use threatbind_model::names::is_shell_safe;
/// assert!(is_shell_safe("sort-column"));
/// assert!(!is_shell_safe("sort[column]"));
/// assert!(!is_shell_safe("Sort-Column"));
/// assert!(!is_shell_safe(""));
/// ```
pub fn is_shell_safe(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes
        .first()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.last() != Some(&b'-')
        && !name.contains("--")
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// `listDetectionRules` -> `list_detection_rules`: a generated method.
///
/// ```
/// assert_eq!(threatbind_model::names::snake("getIoCIndicator"), "get_io_c_indicator");
/// ```
pub fn snake(name: &str) -> String {
    name.to_snake_case()
}

/// `listDetectionRules` -> `ListDetectionRules`: a generated builder or type.
///
/// ```
/// assert_eq!(threatbind_model::names::pascal("list_detection_rules"), "ListDetectionRules");
/// ```
pub fn pascal(name: &str) -> String {
    name.to_pascal_case()
}

#[cfg(test)]
mod tests {
    use super::{is_shell_safe, kebab};

    #[test]
    fn derived_names_are_shell_safe_whatever_the_spec_names() {
        for (name, expected) in [
            ("sort[column]", "sort-column"),
            ("sort[order]", "sort-order"),
            ("filter[query]", "filter-query"),
            ("page[size]", "page-size"),
            ("a.b", "a-b"),
            ("$top", "top"),
            ("x*y?z", "x-y-z"),
            ("{id}", "id"),
            ("straße", "stra-e"),
            ("include_triage_history", "include-triage-history"),
            ("startedAt", "started-at"),
            ("X-Request-ID", "x-request-id"),
        ] {
            let derived = kebab(name);
            assert_eq!(derived, expected, "{name}");
            assert!(is_shell_safe(&derived), "{name} -> {derived}");
        }
        // A name with no letter or digit derives nothing (lint names that).
        assert_eq!(kebab("[]"), "");
    }

    #[test]
    fn glob_brace_and_quote_characters_are_not_shell_safe() {
        for name in [
            "sort[column]",
            "a*",
            "a?",
            "{a,b}",
            "a b",
            "a'b",
            "a$b",
            "-a",
            "a-",
            "a--b",
            "A",
            "é",
        ] {
            assert!(!is_shell_safe(name), "{name}");
        }
        for name in ["a", "log-source-id", "v2", "2fa"] {
            assert!(is_shell_safe(name), "{name}");
        }
    }
}

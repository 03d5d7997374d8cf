//! The one case conversion of the project, progenitor's own (heck): the generated methods and
//! types, the CLI's commands and flags, and lint's collision checks all name an operation or a
//! field through these, so they cannot disagree.

use heck::{ToKebabCase, ToPascalCase, ToSnakeCase};

/// `listDetectionRules` -> `list-detection-rules`, `filter.section` -> `filter-section`: a
/// command or flag name.
///
/// ```
/// use threatbind_model::names::kebab;
/// assert_eq!(kebab("getIoCIndicator"), "get-io-c-indicator");
/// assert_eq!(kebab("started_at"), "started-at");
/// ```
pub fn kebab(name: &str) -> String {
    name.to_kebab_case()
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

//! What kind of indicator a value is: an IP address, a domain or a URL. Used to check a stated
//! `indicator_type` against its value, to apply the type's rules when the type is omitted, and
//! by bulk lookups that must say which type they send.

/// The kinds of indicator the threat APIs take.
///
/// ```
/// use threatbind::indicator::{detect, IndicatorKind};
/// assert_eq!(detect("8.8.8.8"), Some(IndicatorKind::Ip));
/// assert_eq!(detect("2001:db8::1"), Some(IndicatorKind::Ip));
/// assert_eq!(detect("example.com"), Some(IndicatorKind::Domain));
/// assert_eq!(detect("https://example.com/a?b=c"), Some(IndicatorKind::Url));
/// assert_eq!(detect("http://[2001:db8::1]:8080/a"), Some(IndicatorKind::Url));
/// assert_eq!(detect("http://[2001:db8::1]/a"), Some(IndicatorKind::Url));
/// assert_eq!(detect("not an indicator"), None);
/// assert_eq!(IndicatorKind::Url.as_str(), "URL");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IndicatorKind {
    /// An IPv4 or IPv6 address.
    Ip,
    /// A host name with at least two labels.
    Domain,
    /// An absolute URL (`scheme://host...`), or a domain followed by a path.
    Url,
}

impl IndicatorKind {
    /// The value the APIs use: `IP`, `DOMAIN`, `URL`.
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Ip => "IP",
            IndicatorKind::Domain => "DOMAIN",
            IndicatorKind::Url => "URL",
        }
    }

    /// The kind named by an API value (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Ip, Self::Domain, Self::Url]
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(name))
    }
}

/// The kind of `value`, if it is one.
pub fn detect(value: &str) -> Option<IndicatorKind> {
    let value = value.trim();
    if value.parse::<std::net::IpAddr>().is_ok() {
        return Some(IndicatorKind::Ip);
    }
    if let Some((scheme, rest)) = value.split_once("://") {
        let scheme_ok = !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        let host = rest
            .split(['/', '?', '#'])
            .next()
            .unwrap_or("")
            .rsplit('@')
            .next()
            .unwrap_or("");
        // A bracketed IPv6 host ([2001:db8::1]:8080) has its port after the bracket.
        let host = match host.strip_prefix('[') {
            Some(inner) => inner.split(']').next().unwrap_or(inner),
            None => match host.rsplit_once(':') {
                Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
                _ => host,
            },
        };
        let host_ok = host.parse::<std::net::IpAddr>().is_ok() || is_domain(host);
        return (scheme_ok && host_ok).then_some(IndicatorKind::Url);
    }
    if let Some((host, _)) = value.split_once('/') {
        return is_domain(host).then_some(IndicatorKind::Url);
    }
    is_domain(value).then_some(IndicatorKind::Domain)
}

/// A host name: at least two labels of letters, digits and inner hyphens, at most 253
/// characters, the last label not all digits.
fn is_domain(text: &str) -> bool {
    let text = text.strip_suffix('.').unwrap_or(text);
    if text.is_empty() || text.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = text.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
        && !labels
            .last()
            .is_some_and(|l| l.chars().all(|c| c.is_ascii_digit()))
}

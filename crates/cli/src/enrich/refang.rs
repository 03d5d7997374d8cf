//! Indicators as IOC lists write them, made lookups: refanged (`1.2.3[.]4`, `hxxps://evil[.]example`
//! back to `1.2.3.4`, `https://evil.example`), then normalised to one form per indicator (a
//! domain and a URL's scheme and host in lower case without a trailing dot, an IPv6 address in
//! its compressed RFC 5952 form), so that one indicator written two ways is one lookup.

use std::net::IpAddr;
use threatbind::indicator::{detect, IndicatorKind};

/// The defanging marks undone, each matched whatever its case, and what each stands for.
const MARKS: [(&str, &str); 10] = [
    ("[://]", "://"),
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("{dot}", "."),
    ("[:]", ":"),
    ("[@]", "@"),
    ("[at]", "@"),
];

/// Defanged schemes at the start of an indicator (any case) and the scheme each stands for.
const SCHEMES: [(&str, &str); 2] = [("hxxps", "https"), ("hxxp", "http")];

/// An input line made a lookup: the indicator in its one form, and its detected type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Normal {
    /// The refanged, normalised indicator.
    pub indicator: String,
    /// Its type, when it is an IP address, a domain or a URL.
    pub kind: Option<IndicatorKind>,
}

/// `written` refanged and normalised, with its detected type (none: sent as refanged, or
/// refused unsent by the providers that need a type).
pub(crate) fn normalise(written: &str) -> Normal {
    let refanged = refang(written.trim());
    let kind = detect(&refanged);
    let indicator = match kind {
        Some(IndicatorKind::Ip) => ip(&refanged).unwrap_or(refanged),
        Some(IndicatorKind::Domain) => host(&refanged),
        Some(IndicatorKind::Url) => url(&refanged),
        None => refanged,
    };
    Normal { indicator, kind }
}

/// `text` with its defanging marks undone.
pub(crate) fn refang(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // A defanged scheme only where a scheme is: at the start.
    for (defanged, scheme) in SCHEMES {
        if let Some(after) = strip_prefix_ignore_case(rest, defanged) {
            let marked = strip_prefix_ignore_case(after, "[:]").or_else(|| after.strip_prefix(':'));
            if marked.is_some() || strip_prefix_ignore_case(after, "[://]").is_some() {
                out.push_str(scheme);
                rest = after;
                break;
            }
        }
    }
    'outer: while let Some(c) = rest.chars().next() {
        for (mark, meant) in MARKS {
            if let Some(after) = strip_prefix_ignore_case(rest, mark) {
                out.push_str(meant);
                rest = after;
                continue 'outer;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `text` after `prefix` (ASCII, any case), if it starts with it.
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.as_bytes().get(..prefix.len())?;
    // The prefix is ASCII: a match ends on a character boundary.
    head.eq_ignore_ascii_case(prefix.as_bytes())
        .then(|| text.get(prefix.len()..))
        .flatten()
}

/// An IP address in its one form (IPv6 compressed, lower case: std's RFC 5952 form).
fn ip(text: &str) -> Option<String> {
    text.trim()
        .parse::<IpAddr>()
        .ok()
        .map(|address| address.to_string())
}

/// A host in its one form: an IP address as [`ip`], a name in lower case without a trailing
/// dot.
fn host(text: &str) -> String {
    if let Some(address) = ip(text) {
        return address;
    }
    let lower = text.to_lowercase();
    match lower.strip_suffix('.') {
        Some(stripped) if !stripped.is_empty() => stripped.to_owned(),
        _ => lower,
    }
}

/// A URL in its one form: scheme and host as [`host`] (a bracketed IPv6 host compressed),
/// user, port, path, query and fragment as written.
fn url(text: &str) -> String {
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
        None => (None, text),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (user, host_port) = match authority.rsplit_once('@') {
        Some((user, host_port)) => (Some(user), host_port),
        None => (None, authority),
    };
    let (name, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        match bracketed.split_once(']') {
            Some((inner, port)) => (
                format!("[{}]", ip(inner).unwrap_or_else(|| inner.to_lowercase())),
                port,
            ),
            None => (host_port.to_lowercase(), ""),
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => {
                (host(name), &host_port[name.len()..])
            }
            _ => (host(host_port), ""),
        }
    };
    let mut out = String::with_capacity(text.len());
    if let Some(scheme) = scheme {
        out.push_str(&scheme);
        out.push_str("://");
    }
    if let Some(user) = user {
        out.push_str(user);
        out.push('@');
    }
    out.push_str(&name);
    out.push_str(port);
    out.push_str(tail);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(text: &str) -> (String, Option<&'static str>) {
        let n = normalise(text);
        (n.indicator, n.kind.map(IndicatorKind::as_str))
    }

    fn is(indicator: &str, kind: &'static str) -> (String, Option<&'static str>) {
        (indicator.to_owned(), Some(kind))
    }

    #[test]
    fn every_defanging_mark_is_undone() {
        assert_eq!(normal("1.2.3[.]4"), is("1.2.3.4", "IP"));
        assert_eq!(normal("1(.)2(.)3(.)4"), is("1.2.3.4", "IP"));
        assert_eq!(normal("evil{.}example"), is("evil.example", "DOMAIN"));
        assert_eq!(normal("evil[dot]example"), is("evil.example", "DOMAIN"));
        assert_eq!(normal("evil[DOT]example"), is("evil.example", "DOMAIN"));
        assert_eq!(normal("evil(dot)example"), is("evil.example", "DOMAIN"));
        assert_eq!(normal("evil{dot}example"), is("evil.example", "DOMAIN"));
        assert_eq!(
            normal("hxxp://evil[.]example/a"),
            is("http://evil.example/a", "URL")
        );
        assert_eq!(
            normal("hxxps://evil[.]example/a"),
            is("https://evil.example/a", "URL")
        );
        assert_eq!(
            normal("HXXPS://evil.example/"),
            is("https://evil.example/", "URL")
        );
        assert_eq!(
            normal("hXXp[:]//evil.example/x"),
            is("http://evil.example/x", "URL")
        );
        assert_eq!(
            normal("hxxps[://]evil.example/x"),
            is("https://evil.example/x", "URL")
        );
        assert_eq!(
            normal("https[:]//evil.example/x"),
            is("https://evil.example/x", "URL")
        );
        assert_eq!(normal("2001[:]db8[:][:]1"), is("2001:db8::1", "IP"));
        assert_eq!(
            normal("http://user[@]evil.example/"),
            is("http://user@evil.example/", "URL")
        );
        assert_eq!(
            normal("http://user[at]evil.example/"),
            is("http://user@evil.example/", "URL")
        );
    }

    #[test]
    fn one_form_per_indicator() {
        assert_eq!(normal("  EVIL.Example.  "), is("evil.example", "DOMAIN"));
        assert_eq!(normal("Evil[.]Example[.]"), is("evil.example", "DOMAIN"));
        assert_eq!(normal("2001:DB8:0:0:0:0:0:1"), is("2001:db8::1", "IP"));
        assert_eq!(normal("2001:0db8::0001"), is("2001:db8::1", "IP"));
        assert_eq!(normal("8.8.8.8"), is("8.8.8.8", "IP"));
        assert_eq!(
            normal("HTTPS://Evil.Example.:8443/Path?Q=A#F"),
            is("https://evil.example:8443/Path?Q=A#F", "URL")
        );
        assert_eq!(
            normal("http://[2001:DB8:0::1]:80/a"),
            is("http://[2001:db8::1]:80/a", "URL")
        );
        assert_eq!(
            normal("Evil.Example/Login"),
            is("evil.example/Login", "URL")
        );
        assert_eq!(
            normal("https://User:Pw@Evil.Example/"),
            is("https://User:Pw@evil.example/", "URL")
        );
    }

    #[test]
    fn what_is_no_indicator_is_kept_refanged_with_no_type() {
        assert_eq!(
            normal("not an indicator"),
            ("not an indicator".to_owned(), None)
        );
        assert_eq!(normal("a[.]b c"), ("a.b c".to_owned(), None));
        // Marks inside a word and unknown brackets are left alone.
        assert_eq!(refang("hxxpfoo"), "hxxpfoo");
        assert_eq!(refang("[x]"), "[x]");
        assert_eq!(refang("é[.]ü"), "é.ü");
        assert_eq!(refang(""), "");
        assert_eq!(refang("["), "[");
    }
}

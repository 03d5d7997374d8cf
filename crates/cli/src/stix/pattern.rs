//! STIX patterns for one indicator value: its type (stated by the spec, named by the vendor, or
//! detected from the value) and the pattern, its string literal quoted per the STIX 2.1
//! patterning grammar.

use std::net::{Ipv4Addr, Ipv6Addr};
use threatbind::spec::model::IndicatorKind;

/// A concrete indicator type: what a pattern is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `ipv4-addr`.
    Ipv4,
    /// `ipv6-addr`.
    Ipv6,
    /// `domain-name`.
    Domain,
    /// `url`.
    Url,
    /// `email-addr`.
    Email,
    /// An HTTP `User-Agent` (a `network-traffic` request header).
    UserAgent,
    /// `file:hashes.'MD5'`.
    Md5,
    /// `file:hashes.'SHA-1'`.
    Sha1,
    /// `file:hashes.'SHA-256'`.
    Sha256,
}

impl Kind {
    /// The type's name in ids and messages (`ipv4-addr`, `file:SHA-256`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ipv4 => "ipv4-addr",
            Kind::Ipv6 => "ipv6-addr",
            Kind::Domain => "domain-name",
            Kind::Url => "url",
            Kind::Email => "email-addr",
            Kind::UserAgent => "user-agent",
            Kind::Md5 => "file:MD5",
            Kind::Sha1 => "file:SHA-1",
            Kind::Sha256 => "file:SHA-256",
        }
    }

    /// The object path the pattern compares.
    fn object_path(self) -> &'static str {
        match self {
            Kind::Ipv4 => "ipv4-addr:value",
            Kind::Ipv6 => "ipv6-addr:value",
            Kind::Domain => "domain-name:value",
            Kind::Url => "url:value",
            Kind::Email => "email-addr:value",
            Kind::UserAgent => {
                "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'"
            }
            Kind::Md5 => "file:hashes.'MD5'",
            Kind::Sha1 => "file:hashes.'SHA-1'",
            Kind::Sha256 => "file:hashes.'SHA-256'",
        }
    }
}

/// `value` as a STIX pattern string literal: in single quotes, `\` and `'` escaped with `\`.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// The STIX pattern that matches `value` as a `kind`: `[ipv4-addr:value = '1.2.3.4']`.
pub fn pattern(kind: Kind, value: &str) -> String {
    format!("[{} = {}]", kind.object_path(), quote(value))
}

/// An IP address (or a CIDR block) of version 4 or 6.
fn ip(value: &str) -> Option<Kind> {
    let (address, prefix) = match value.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
        None => (value, None),
    };
    if address.parse::<Ipv4Addr>().is_ok() && prefix.is_none_or(|p| p <= 32) {
        Some(Kind::Ipv4)
    } else if address.parse::<Ipv6Addr>().is_ok() && prefix.is_none_or(|p| p <= 128) {
        Some(Kind::Ipv6)
    } else {
        None
    }
}

/// A hash by its length in hexadecimal digits.
fn hash(value: &str) -> Option<Kind> {
    if !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match value.len() {
        32 => Some(Kind::Md5),
        40 => Some(Kind::Sha1),
        64 => Some(Kind::Sha256),
        _ => None,
    }
}

/// The type of `value` from its form: an IP address (or CIDR block), a hash (by its length), a
/// URL or a domain (as [`threatbind::indicator::detect`] tells them), an e-mail address;
/// `None` for anything else.
pub fn detect(value: &str) -> Option<Kind> {
    use threatbind::indicator::{detect as library, IndicatorKind as Library};
    if value.is_empty() || value.chars().any(char::is_whitespace) {
        return None;
    }
    if let Some(kind) = ip(value).or_else(|| hash(value)) {
        return Some(kind);
    }
    match library(value) {
        Some(Library::Url) => Some(Kind::Url),
        Some(Library::Domain) => Some(Kind::Domain),
        // An address the library reads that ours does not (none today): not a pattern.
        Some(Library::Ip) => None,
        None => value
            .split_once('@')
            .filter(|(user, domain)| !user.is_empty() && library(domain) == Some(Library::Domain))
            .map(|_| Kind::Email),
    }
}

/// The concrete type of `value` when the spec (or the vendor's name of it, read through the
/// spec) says `kind`: an IP address takes its version from the value, `detect` detects, and an
/// address or a hash that is not one is refused (`None`), as a pattern for it would be false.
pub fn resolve(kind: IndicatorKind, value: &str) -> Option<Kind> {
    let is = |k: Kind, ok: bool| ok.then_some(k);
    match kind {
        IndicatorKind::Detect => detect(value),
        IndicatorKind::Ip => ip(value),
        IndicatorKind::Ipv4Addr => is(Kind::Ipv4, ip(value) == Some(Kind::Ipv4)),
        IndicatorKind::Ipv6Addr => is(Kind::Ipv6, ip(value) == Some(Kind::Ipv6)),
        IndicatorKind::FileMd5 => is(Kind::Md5, hash(value) == Some(Kind::Md5)),
        IndicatorKind::FileSha1 => is(Kind::Sha1, hash(value) == Some(Kind::Sha1)),
        IndicatorKind::FileSha256 => is(Kind::Sha256, hash(value) == Some(Kind::Sha256)),
        IndicatorKind::DomainName => is(Kind::Domain, !value.is_empty()),
        IndicatorKind::Url => is(Kind::Url, !value.is_empty()),
        IndicatorKind::EmailAddr => is(Kind::Email, !value.is_empty()),
        IndicatorKind::UserAgent => is(Kind::UserAgent, !value.is_empty()),
    }
}

//! Routing: the path templates of every operation, matched segment by segment. Built once at
//! start; two APIs that could answer the same request are refused, naming both.

/// One segment of a path template: a fixed text, or a `{parameter}`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter,
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') {
                Segment::Parameter
            } else {
                Segment::Literal(s.to_owned())
            }
        })
        .collect()
}

/// Whether some request path matches both templates.
fn overlap(a: &[Segment], b: &[Segment]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|pair| match pair {
            (Segment::Literal(x), Segment::Literal(y)) => x == y,
            _ => true,
        })
}

struct Route<T> {
    label: String,
    method: String,
    template: String,
    segments: Vec<Segment>,
    payload: T,
}

/// What a request path and method lead to.
///
/// ```
/// use threatbind_mock::{Found, Router};
/// let router = Router::new(vec![("api", "POST", "/search", "search")]).unwrap();
/// assert_eq!(router.find("POST", "/search"), Found::Route(&"search"));
/// assert!(matches!(router.find("GET", "/search"), Found::MethodNotAllowed(m) if m == ["POST"]));
/// ```
#[derive(Debug, PartialEq, Eq)]
pub enum Found<'a, T> {
    /// The operation's payload.
    Route(&'a T),
    /// The path is known, not with this method: the methods it takes.
    MethodNotAllowed(Vec<&'a str>),
    /// No template matches the path.
    NotFound,
}

/// Path templates (`/cti/v2/events/{id}`) to payloads, by method. Where templates of one API
/// overlap (`/events/{id}` and `/events/search`), the one with more fixed segments wins, as
/// OpenAPI says; templates of two different APIs (labels) that could match the same request
/// are refused when the router is built, naming both.
///
/// ```
/// use threatbind_mock::{Found, Router};
/// let router = Router::new(vec![
///     ("a", "GET", "/api/v2/things/{id}", 1),
///     ("a", "GET", "/api/v2/things/search", 2),
///     ("b", "POST", "/cti/v1/events", 3),
/// ])
/// .unwrap();
/// assert_eq!(router.find("GET", "/api/v2/things/42"), Found::Route(&1));
/// assert_eq!(router.find("GET", "/api/v2/things/search"), Found::Route(&2));
/// assert_eq!(router.find("GET", "/cti/v1/events"), Found::MethodNotAllowed(vec!["POST"]));
/// assert_eq!(router.find("GET", "/nowhere"), Found::NotFound);
///
/// let clash = Router::new(vec![("a", "GET", "/x/{id}", 1), ("b", "GET", "/x/y", 2)]);
/// assert!(clash.unwrap_err().contains("a (GET /x/{id}) and b (GET /x/y)"));
/// ```
pub struct Router<T> {
    routes: Vec<Route<T>>,
}

impl<T> std::fmt::Debug for Router<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.routes
                    .iter()
                    .map(|r| format!("{} {} {}", r.label, r.method, r.template)),
            )
            .finish()
    }
}

impl<T> Router<T> {
    /// A router over `(label, method, path template, payload)` entries; the label names the
    /// API. Fails, naming both, when two APIs could answer the same request, or when one API
    /// has the same method on the same template twice.
    ///
    /// ```
    /// use threatbind_mock::Router;
    /// let twice = Router::new(vec![("a", "GET", "/x/{id}", 1), ("a", "GET", "/x/{key}", 2)]);
    /// assert!(twice.is_err());
    /// // Different APIs under different prefixes are fine.
    /// assert!(Router::new(vec![("a", "GET", "/a/{id}", 1), ("b", "GET", "/b/{id}", 2)]).is_ok());
    /// ```
    pub fn new<L, M, P>(entries: impl IntoIterator<Item = (L, M, P, T)>) -> Result<Self, String>
    where
        L: Into<String>,
        M: AsRef<str>,
        P: Into<String>,
    {
        let mut routes: Vec<Route<T>> = Vec::new();
        for (label, method, template, payload) in entries {
            let template = template.into();
            let route = Route {
                label: label.into(),
                method: method.as_ref().to_ascii_uppercase(),
                segments: segments(&template),
                template,
                payload,
            };
            for other in &routes {
                let same_api = other.label == route.label;
                let clash = if same_api {
                    other.method == route.method && other.segments == route.segments
                } else {
                    overlap(&other.segments, &route.segments)
                };
                if clash {
                    return Err(format!(
                        "{} ({} {}) and {} ({} {}) map to the same route",
                        other.label,
                        other.method,
                        other.template,
                        route.label,
                        route.method,
                        route.template
                    ));
                }
            }
            routes.push(route);
        }
        // The most specific template first: more fixed segments win.
        routes.sort_by_key(|r| {
            std::cmp::Reverse(
                r.segments
                    .iter()
                    .filter(|s| matches!(s, Segment::Literal(_)))
                    .count(),
            )
        });
        Ok(Self { routes })
    }

    /// The payload for `method` on `path` (no query), or why there is none. A parameter
    /// matches one non-empty segment, so a trailing or doubled slash matches nothing.
    ///
    /// ```
    /// use threatbind_mock::{Found, Router};
    /// let router = Router::new(vec![("api", "GET", "/events/{id}", 7)]).unwrap();
    /// assert_eq!(router.find("GET", "/events/42"), Found::Route(&7));
    /// assert_eq!(router.find("GET", "/events/"), Found::NotFound);
    /// assert_eq!(router.find("GET", "/events/42/x"), Found::NotFound);
    /// ```
    pub fn find(&self, method: &str, path: &str) -> Found<'_, T> {
        let mut allowed: Vec<&str> = Vec::new();
        for route in &self.routes {
            if !matches(&route.segments, path) {
                continue;
            }
            if route.method.eq_ignore_ascii_case(method) {
                return Found::Route(&route.payload);
            }
            if !allowed.contains(&route.method.as_str()) {
                allowed.push(&route.method);
            }
        }
        if allowed.is_empty() {
            Found::NotFound
        } else {
            allowed.sort_unstable();
            Found::MethodNotAllowed(allowed)
        }
    }
}

/// Whether `path` matches the template: every fixed segment equal, every parameter non-empty.
fn matches(template: &[Segment], path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    let mut parts = rest.split('/');
    for segment in template {
        match (segment, parts.next()) {
            (Segment::Literal(l), Some(p)) if l == p => {}
            (Segment::Parameter, Some(p)) if !p.is_empty() => {}
            _ => return false,
        }
    }
    parts.next().is_none()
}

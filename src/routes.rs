//! Every path ISPBX answers on, stated once, in axum's syntax. The JSON
//! routes, the OpenAPI document, the dashboard's router and its links all
//! come from these constants, so a path cannot drift between them.

use leptos_router::{ParamSegment, PartialPathMatch, PathSegment, PossibleRouteMatch, StaticSegment};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// The path parameter naming an endpoint.
pub const EXTENSION: &str = "extension";

// The specification's paths. Each answers JSON to API clients and the
// dashboard page to browsers.
pub const ROOT: &str = "/";
pub const ENDPOINTS: &str = "/endpoints";
pub const ENDPOINT: &str = "/endpoints/{extension}";
pub const ENDPOINT_CONFIG: &str = "/endpoints/{extension}/config";

/// The paths of the specification, in the order it lists them.
pub const DOCUMENTED: [&str; 4] = [ROOT, ENDPOINTS, ENDPOINT, ENDPOINT_CONFIG];

// Served by the server alone (not pages of the dashboard).
pub const OPENAPI: &str = "/openapi.json";
pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";
pub const METRICS: &str = "/metrics";
pub const EVENTS: &str = "/events";
/// A change checked and not written.
pub const CHANGES_PREVIEW: &str = "/changes/preview";
/// The audit log, and one change of it.
pub const CHANGES: &str = "/changes";
pub const CHANGE: &str = "/changes/{id}";
pub const CHANGE_REVERT: &str = "/changes/{id}/revert";
pub const DOCS: &str = "/docs";

// Pages of the dashboard alone: the editing pages (a GET shows the change
// checked; the form on it posts to a server function).
/// One option of an endpoint (or of its aor or auth), reviewed before it is applied.
pub const ENDPOINT_EDIT: &str = "/endpoints/{extension}/edit";
/// An extension's deletion, reviewed.
pub const ENDPOINT_DELETE: &str = "/endpoints/{extension}/delete";
/// A new extension from a template. Not under `/endpoints/`: an endpoint may be named `new`.
pub const NEW_EXTENSION: &str = "/new-extension";
/// The login page (GET) and the form it posts (POST).
pub const LOGIN: &str = "/login";
/// Accounts and API tokens (admins).
pub const ACCESS: &str = "/access";
pub const LOGOUT: &str = "/logout";
/// The path parameter naming a change.
pub const CHANGE_ID: &str = "id";

/// Paths that answer JSON to API clients and a page to browsers.
pub const NEGOTIATED: [&str; 6] = [ROOT, ENDPOINTS, ENDPOINT, ENDPOINT_CONFIG, CHANGES, CHANGE];
/// Pages served by a handler of their own (which also takes their POST).
pub const HANDLED: [&str; 1] = [LOGIN];

/// Everything but RFC 3986's unreserved characters, so a name with `/`, `?`,
/// `#` or spaces stays one path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Only a path of this server: never `//host`, `/\\host` or `https://…`
/// (where a login or a refused form sends the browser next).
pub fn local(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        ROOT
    }
}

/// `/endpoints/{name}`, the name percent-encoded, for links.
pub fn endpoint_href(name: &str) -> String {
    with_extension(ENDPOINT, name)
}

/// `path` with its `{extension}` filled, percent-encoded.
pub fn with_extension(path: &str, name: &str) -> String {
    path.replace(&format!("{{{EXTENSION}}}"), &utf8_percent_encode(name, SEGMENT).to_string())
}

/// `/changes/{id}`.
pub fn change_href(id: i64) -> String {
    CHANGE.replace(&format!("{{{CHANGE_ID}}}"), &id.to_string())
}

/// A query string's value, percent-encoded.
pub fn query_value(v: &str) -> String {
    utf8_percent_encode(v, SEGMENT).to_string()
}

/// One of the paths above as the dashboard's router matches it.
pub fn page(path: &'static str) -> PagePath {
    PagePath(
        path.split('/')
            .filter(|s| !s.is_empty())
            .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(param) => Segment::Param(ParamSegment(param)),
                None => Segment::Static(StaticSegment(s)),
            })
            .collect(),
    )
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Static(StaticSegment<&'static str>),
    Param(ParamSegment),
}

impl Segment {
    fn test<'a>(&self, path: &'a str) -> Option<PartialPathMatch<'a>> {
        match self {
            Segment::Static(s) => s.test(path),
            Segment::Param(p) => p.test(path),
        }
    }

    fn generate_path(&self, path: &mut Vec<PathSegment>) {
        match self {
            Segment::Static(s) => s.generate_path(path),
            Segment::Param(p) => p.generate_path(path),
        }
    }
}

/// A path's segments in sequence: what `path!("/a/:b")` builds, from a
/// string known only once the program runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PagePath(Vec<Segment>);

impl PossibleRouteMatch for PagePath {
    fn optional(&self) -> bool {
        false
    }

    fn test<'a>(&self, path: &'a str) -> Option<PartialPathMatch<'a>> {
        let mut remaining = path;
        let mut matched = 0;
        let mut params = Vec::new();
        for segment in &self.0 {
            let m = segment.test(remaining)?;
            matched += m.matched().len();
            remaining = m.remaining();
            params.extend(m.params());
        }
        Some(PartialPathMatch::new(remaining, params, path.get(..matched)?))
    }

    fn generate_path(&self, path: &mut Vec<PathSegment>) {
        for segment in &self.0 {
            segment.generate_path(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matched(path: &'static str, url: &str) -> Option<(String, Vec<(String, String)>)> {
        let m = page(path).test(url)?;
        m.is_complete().then(|| {
            let rest = m.matched().to_string();
            (rest, m.params().into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        })
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local("/endpoints/1001"), "/endpoints/1001");
        for bad in ["//evil.example/", "https://evil.example/", "/\\evil.example", "", "endpoints"] {
            assert_eq!(local(bad), "/", "{bad}");
        }
    }

    #[test]
    fn pages_match_as_the_router_macro_would() {
        assert_eq!(matched(ENDPOINT, "/endpoints/1001"), Some(("/endpoints/1001".into(), vec![("extension".into(), "1001".into())])));
        assert_eq!(matched(ENDPOINT_CONFIG, "/endpoints/1001/config").map(|m| m.1), Some(vec![("extension".into(), "1001".into())]));
        assert_eq!(matched(ENDPOINTS, "/endpoints"), Some(("/endpoints".into(), vec![])));
        assert!(matched(ENDPOINTS, "/endpointsx").is_none());
        assert!(matched(ENDPOINT, "/endpoints/1001/config").is_none());
        assert!(matched(ROOT, "/").is_some());
        let mut generated = Vec::new();
        page(ENDPOINT_CONFIG).generate_path(&mut generated);
        assert_eq!(
            generated,
            vec![PathSegment::Static("endpoints".into()), PathSegment::Param("extension".into()), PathSegment::Static("config".into())]
        );
    }

    #[test]
    fn every_page_path_names_the_extension_parameter_the_same() {
        for p in DOCUMENTED {
            assert!(!p.contains('{') || p.contains(&format!("{{{EXTENSION}}}")), "{p}");
        }
    }

    #[test]
    fn links_keep_names_in_one_segment() {
        assert_eq!(endpoint_href("1001"), "/endpoints/1001");
        assert_eq!(endpoint_href("a/b c?#"), "/endpoints/a%2Fb%20c%3F%23");
        assert_eq!(endpoint_href("ünï"), "/endpoints/%C3%BCn%C3%AF");
    }
}

//! One path, two audiences: API clients get JSON, browsers get the dashboard.
//!
//! JSON is the default (no Accept, `*/*`, `application/json`); HTML only when the
//! client ranks `text/html` strictly above `application/json`, as browsers do.

use axum::http::{header, HeaderMap};

/// The q-value the Accept header gives a media type, by its most specific match.
fn quality(accept: &str, kind: &str, subtype: &str) -> f32 {
    let mut best: Option<(u8, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|v| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0)
            .clamp(0.0, 1.0);
        let Some((t, s)) = media.split_once('/') else { continue };
        let specificity = match (t, s) {
            (t, s) if t == kind && s == subtype => 3,
            (t, "*") if t == kind => 2,
            ("*", "*") => 1,
            _ => continue,
        };
        if best.is_none_or(|(sp, _)| specificity > sp) {
            best = Some((specificity, q));
        }
    }
    best.map_or(0.0, |(_, q)| q)
}

/// True when the dashboard page should be served instead of JSON.
pub fn wants_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    quality(accept, "text", "html") > quality(accept, "application", "json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn h(accept: Option<&str>) -> HeaderMap {
        let mut m = HeaderMap::new();
        if let Some(a) = accept {
            m.insert(header::ACCEPT, HeaderValue::from_str(a).unwrap());
        }
        m
    }

    #[test]
    fn api_clients_get_json() {
        assert!(!wants_html(&h(None)));
        assert!(!wants_html(&h(Some("*/*"))));
        assert!(!wants_html(&h(Some("application/json"))));
        assert!(!wants_html(&h(Some("application/json, text/html"))));
        assert!(!wants_html(&h(Some("text/html;q=0.5, application/json"))));
        assert!(!wants_html(&h(Some("garbage"))));
    }

    #[test]
    fn browsers_get_html() {
        assert!(wants_html(&h(Some(
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
        ))));
        assert!(wants_html(&h(Some("text/html"))));
        assert!(wants_html(&h(Some("text/*"))));
        assert!(wants_html(&h(Some("application/json;q=0.1, text/html"))));
    }
}

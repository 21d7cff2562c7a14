//! Conditional GET for the documents the endpoint renders (feeds out, HTML pages): a strong
//! ETag from a hash of the body, and `304 Not Modified` when the client already has it, so a
//! feed reader polling `/stories.atom` every few minutes costs one small answer.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use xxhash_rust::xxh3::xxh3_64;

/// The ETag of a body: its 64-bit hash in quotes.
pub fn of(body: &[u8]) -> String {
    format!("\"{:016x}\"", xxh3_64(body))
}

/// True when `If-None-Match` names `tag` (or is `*`); weak tags compare by their opaque part.
pub fn matches(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag)
}

/// `body` as `content_type` with its ETag, or a bodiless 304 when the request already has it.
pub fn respond(headers: &HeaderMap, content_type: &'static str, body: String) -> Response {
    let tag = of(body.as_bytes());
    let etag = HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    // Clients may keep a copy but must ask again, cheaply, before using it.
    let cache = HeaderValue::from_static("no-cache");
    if matches(headers, &tag) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().insert(header::ETAG, etag);
        r.headers_mut().insert(header::CACHE_CONTROL, cache);
        return r;
    }
    let mut r = Response::new(Body::from(body));
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::ETAG, etag);
    h.insert(header::CACHE_CONTROL, cache);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn if_none_match_forms() {
        let tag = of(b"hello");
        assert!(matches(&with(&tag), &tag));
        assert!(matches(&with(&format!("\"x\", W/{tag}")), &tag));
        assert!(matches(&with("*"), &tag));
        assert!(!matches(&with("\"other\""), &tag));
        assert!(!matches(&HeaderMap::new(), &tag));
        assert_ne!(of(b"hello"), of(b"hello!"));
    }

    #[test]
    fn a_match_is_a_bodiless_304() {
        let body = "<feed/>".to_owned();
        let first = respond(&HeaderMap::new(), "application/atom+xml", body.clone());
        assert_eq!(first.status(), StatusCode::OK);
        let tag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        let again = respond(&with(&tag), "application/atom+xml", body);
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(again.headers()[header::ETAG], tag.as_str());
    }
}

//! Where the endpoint's HTML and feeds point: the daemon's own absolute URLs for the feeds
//! (from the request's `Host` and the headers a reverse proxy adds), the next page of a
//! listing, and the outlets' article links, which are only ever emitted when they are plain
//! web URLs. The HTML pages link to each other relatively, so they work under any prefix.

use axum::http::{HeaderMap, header};

use crate::config::Config;

/// Longest `Host` value used in links.
const MAX_HOST: usize = 255;
/// Longest `X-Forwarded-Prefix` value used in links.
const MAX_PREFIX: usize = 255;

/// `scheme://host[:port][/prefix]` of this daemon as the client reached it (`X-Forwarded-Host`,
/// `-Proto` and `-Prefix` from a reverse proxy); the configured listen address when the
/// request has no usable `Host`.
pub fn base_url(headers: &HeaderMap, config: &Config) -> String {
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned())
    };
    let host = value("x-forwarded-host")
        .or_else(|| value(header::HOST.as_str()))
        .filter(|h| is_host(h))
        .unwrap_or_else(|| config.server.listen.to_string());
    let scheme = match value("x-forwarded-proto").as_deref() {
        Some("https") => "https",
        _ => "http",
    };
    let prefix = value("x-forwarded-prefix")
        .map(|p| p.trim_end_matches('/').to_owned())
        .filter(|p| is_prefix(p))
        .unwrap_or_default();
    format!("{scheme}://{host}{prefix}")
}

/// True for a path prefix a reverse proxy serves the daemon under (`/news`, `/a/b`): it
/// starts with `/` and holds only plain path characters.
fn is_prefix(p: &str) -> bool {
    p.starts_with('/')
        && p.len() <= MAX_PREFIX
        && !p.contains("//")
        && !p.split('/').any(|seg| seg == "." || seg == "..")
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-._~".contains(&b))
}

/// True for a host name or address with an optional port, and nothing else.
fn is_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= MAX_HOST
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:[]".contains(&b))
}

/// The URL of `path` on `base` with `pairs` as its query, `cursor` replaced by `next`.
pub fn page_url(base: &str, path: &str, pairs: &[(String, String)], next: Option<&str>) -> String {
    format!("{base}{path}{}", page_query(pairs, next))
}

/// `?` and `pairs` as a query, `cursor` replaced by `next` (empty when there is no pair):
/// a link to another page of the same listing, relative to wherever it is served.
pub fn page_query(pairs: &[(String, String)], next: Option<&str>) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs
        .iter()
        .filter(|(k, _)| k != "cursor" || next.is_none())
    {
        q.append_pair(k, v);
    }
    if let Some(cursor) = next {
        q.append_pair("cursor", cursor);
    }
    let query = q.finish();
    if query.is_empty() {
        query
    } else {
        format!("?{query}")
    }
}

/// The article's URL when it is an absolute http(s) URL, the only kind put in an `href`.
pub fn web_url(url: Option<&str>) -> Option<&str> {
    let u = url?;
    let scheme = u.split_once(':')?.0;
    (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")).then_some(u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn config() -> Config {
        Config::parse(
            "[server]\nlisten = \"127.0.0.1:8080\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap()
    }

    #[test]
    fn base_from_host_or_listen_address() {
        let mut h = HeaderMap::new();
        assert_eq!(base_url(&h, &config()), "http://127.0.0.1:8080");
        h.insert(header::HOST, HeaderValue::from_static("news.example:81"));
        assert_eq!(base_url(&h, &config()), "http://news.example:81");
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(base_url(&h, &config()), "https://news.example:81");
        h.insert(header::HOST, HeaderValue::from_static("evil\"><x"));
        assert_eq!(base_url(&h, &config()), "https://127.0.0.1:8080");
    }

    #[test]
    fn a_proxy_prefix_is_kept_when_it_is_a_plain_path() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("news.example"));
        for (prefix, base) in [
            ("/news", "http://news.example/news"),
            ("/a/b-c_d/", "http://news.example/a/b-c_d"),
            ("/", "http://news.example"),
            ("news", "http://news.example"),
            ("/../admin", "http://news.example"),
            ("//evil.example", "http://news.example"),
            ("/x\"><script>", "http://news.example"),
        ] {
            h.insert("x-forwarded-prefix", HeaderValue::from_str(prefix).unwrap());
            assert_eq!(base_url(&h, &config()), base, "{prefix}");
        }
    }

    #[test]
    fn next_page_keeps_the_filters() {
        let pairs = vec![
            ("q".to_owned(), "port & harbour".to_owned()),
            ("cursor".to_owned(), "00".to_owned()),
        ];
        assert_eq!(
            page_url("http://h", "/stories.atom", &pairs, Some("ff")),
            "http://h/stories.atom?q=port+%26+harbour&cursor=ff"
        );
        assert_eq!(
            page_url("http://h", "/stories.atom", &pairs, None),
            "http://h/stories.atom?q=port+%26+harbour&cursor=00"
        );
        assert_eq!(page_url("http://h", "/", &[], None), "http://h/");
        assert_eq!(
            page_query(&pairs, Some("ff")),
            "?q=port+%26+harbour&cursor=ff"
        );
        assert_eq!(page_query(&[], None), "");
    }

    #[test]
    fn only_web_urls_become_links() {
        assert_eq!(
            web_url(Some("https://a.example/x")),
            Some("https://a.example/x")
        );
        assert_eq!(
            web_url(Some("HTTP://a.example/")),
            Some("HTTP://a.example/")
        );
        assert_eq!(web_url(Some("javascript:alert(1)")), None);
        assert_eq!(web_url(Some("data:text/html,x")), None);
        assert_eq!(web_url(Some("/relative")), None);
        assert_eq!(web_url(None), None);
    }
}

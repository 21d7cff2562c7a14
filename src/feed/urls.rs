//! Canonical URLs: one spelling per article link, so the same article from two feeds matches.
//!
//! Part of the normalize step (fetch -> parse/**normalize** -> cluster -> store -> api). A link
//! is resolved against its base (the feed URL, or the `xml:base` feed-rs already applied), only
//! http(s) is kept, and the differences that never change the page are removed: scheme and host
//! case and the default port (the `url` crate does these), the fragment, and tracking parameters.

use url::Url;

/// Query parameters that only track the reader; matched exactly, case-insensitively.
const TRACKING_PARAMS: [&str; 31] = [
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "msclkid",
    "yclid",
    "twclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "rb_clickid",
    "s_cid",
    "wt.mc_id",
    "cmpid",
    "ocid",
    "ito",
    "ns_mchannel",
    "ns_campaign",
    "ns_source",
    "ns_linkname",
    "ns_fee",
    "at_medium",
    "at_campaign",
];

/// Query parameter prefixes that only track the reader (`utm_source`, `utm_medium`, ...).
const TRACKING_PREFIXES: [&str; 4] = ["utm_", "ito_", "pk_", "__hs"];

/// The canonical form of `raw`, resolved against `base`; `None` when it is not an http(s) URL.
pub fn canonical_url(raw: &str, base: Option<&Url>) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let mut url = match Url::parse(raw) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(raw).ok()?,
        Err(_) => return None,
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return None;
    }
    url.set_fragment(None);
    strip_tracking(&mut url);
    Some(url.into())
}

/// Whether a query parameter name is a tracking parameter.
fn is_tracking(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    TRACKING_PARAMS.contains(&lower.as_str())
        || TRACKING_PREFIXES.iter().any(|p| lower.starts_with(p))
}

/// Removes tracking parameters, keeping the others in order and spelled as they were.
fn strip_tracking(url: &mut Url) {
    let Some(query) = url.query() else { return };
    // Work on the raw pairs rather than decoding and re-encoding, so kept parameters stay
    // byte-for-byte what the outlet wrote.
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or(pair);
            !is_tracking(&percent_decoded(name))
        })
        .collect();
    let kept = kept.join("&");
    url.set_query(if kept.is_empty() { None } else { Some(&kept) });
}

/// The percent-decoded form of a query component, for comparing parameter names.
fn percent_decoded(s: &str) -> String {
    url::form_urlencoded::parse(s.as_bytes())
        .next()
        .map(|(name, _)| name.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://News.Example.org/world/feed.xml").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn lowercases_scheme_and_host_drops_default_port_and_fragment() {
        let got = canonical_url("HTTPS://WWW.Example.COM:443/Path/Case?q=1#top", None);
        assert_eq!(
            got.as_deref(),
            Some("https://www.example.com/Path/Case?q=1")
        );
        let got = canonical_url("http://example.com:80", None);
        assert_eq!(got.as_deref(), Some("http://example.com/"));
        let got = canonical_url("http://example.com:8080/a", None);
        assert_eq!(got.as_deref(), Some("http://example.com:8080/a"));
    }

    #[test]
    fn resolves_relative_links_against_the_base() {
        let got = canonical_url("../story/1.html", Some(&base()));
        assert_eq!(
            got.as_deref(),
            Some("https://news.example.org/story/1.html")
        );
        let got = canonical_url("//cdn.example.net/x", Some(&base()));
        assert_eq!(got.as_deref(), Some("https://cdn.example.net/x"));
        assert_eq!(canonical_url("/a", None), None);
    }

    #[test]
    fn removes_tracking_parameters_and_keeps_the_rest_in_order() {
        let raw = "https://example.com/a?id=7&utm_source=rss&UTM_Medium=x&b=2&fbclid=abc&gclid=1&mc_cid=2&mc_eid=3&c";
        // BBC's and Daily Mail's campaign parameters, as their feeds write them.
        let got = canonical_url(
            "https://www.bbc.co.uk/news/uk-1?at_medium=RSS&at_campaign=KARANGA",
            None,
        );
        assert_eq!(got.as_deref(), Some("https://www.bbc.co.uk/news/uk-1"));
        assert_eq!(
            canonical_url(
                "https://x.example/a.html?ns_mchannel=rss&ito=1490&ns_campaign=1490",
                None
            )
            .as_deref(),
            Some("https://x.example/a.html")
        );
        let got = canonical_url(raw, None);
        assert_eq!(got.as_deref(), Some("https://example.com/a?id=7&b=2&c"));
        let got = canonical_url("https://example.com/a?utm_campaign=z", None);
        assert_eq!(got.as_deref(), Some("https://example.com/a"));
        let got = canonical_url("https://example.com/a?q=caf%C3%A9%20au&utm_x=1", None);
        assert_eq!(
            got.as_deref(),
            Some("https://example.com/a?q=caf%C3%A9%20au")
        );
    }

    #[test]
    fn rejects_non_web_and_broken_urls() {
        for raw in [
            "",
            "   ",
            "mailto:a@b.c",
            "javascript:alert(1)",
            "ftp://x/y",
            "http://",
            "http://[::1",
        ] {
            assert_eq!(canonical_url(raw, Some(&base())), None, "{raw:?}");
        }
    }
}

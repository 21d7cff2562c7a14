//! Feed discovery: from a web page's URL to the feeds it offers, for `storyd discover URL`
//! and for `POST /api/feeds` given a site rather than a feed.
//!
//! Uses the fetch and feed stages as they are: the page is fetched like a feed (so the API's
//! SSRF guard applies to it and to every probe), and a candidate counts as a feed only if
//! the feed parser accepts it. The steps: a URL that already is a feed is the answer;
//! otherwise the page's `<link rel="alternate">` feeds (RSS, Atom, JSON Feed), resolved
//! against the page (or its `<base href>`); when it advertises none, a few common paths on
//! the same site are probed.

use scraper::{Html, Selector};
use url::Url;

use crate::feed;
use crate::fetch::{FetchError, Fetcher, Validators};

/// Paths probed, in order, when a page advertises no feed.
pub const COMMON_PATHS: [&str; 7] = [
    "/feed",
    "/rss.xml",
    "/atom.xml",
    "/feed.xml",
    "/index.xml",
    "/feed.json",
    "/rss",
];

/// How a feed was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The URL given is itself a feed.
    Direct,
    /// The page links to it with `<link rel="alternate">`.
    Advertised,
    /// It answered at one of the [`COMMON_PATHS`] and parsed.
    Probed,
}

impl Found {
    /// The word shown by `storyd discover`.
    pub fn as_str(self) -> &'static str {
        match self {
            Found::Direct => "direct",
            Found::Advertised => "advertised",
            Found::Probed => "probed",
        }
    }
}

/// A feed found for a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// The feed's absolute URL.
    pub url: Url,
    /// Its title (the link's `title`, or the feed's own), if any.
    pub title: Option<String>,
    /// `rss`, `atom` or `json` when the link's type says so.
    pub format: Option<&'static str>,
    /// How it was found.
    pub found: Found,
}

/// Why discovery found nothing.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// The page itself could not be fetched.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The page was fetched but neither is a feed nor leads to one.
    #[error("no feed found at {url}: it is not a feed, advertises none, and none of {} answered with one", COMMON_PATHS.join(", "))]
    NoFeed {
        /// The page.
        url: String,
    },
}

/// The feeds `page` offers, best first; never empty on `Ok`.
pub async fn discover(fetcher: &Fetcher, page: &Url) -> Result<Vec<Discovered>, DiscoverError> {
    let outcome = fetcher.fetch(page.as_str(), &Validators::default()).await?;
    let base = Url::parse(&outcome.final_url).unwrap_or_else(|_| page.clone());
    let body = outcome.body.unwrap_or_default();
    let now = chrono::Utc::now();
    if let Ok(parsed) = feed::parse(&body, outcome.content_type.as_deref(), &base, now) {
        return Ok(vec![Discovered {
            url: base,
            title: parsed.title,
            format: None,
            found: Found::Direct,
        }]);
    }
    let advertised = advertised(&String::from_utf8_lossy(&body), &base);
    if !advertised.is_empty() {
        return Ok(advertised);
    }
    let mut probed = Vec::new();
    for path in COMMON_PATHS {
        let Ok(candidate) = base.join(path) else {
            continue;
        };
        if let Some(found) = probe(fetcher, &candidate).await {
            probed.push(found);
        }
    }
    if probed.is_empty() {
        return Err(DiscoverError::NoFeed {
            url: page.to_string(),
        });
    }
    Ok(probed)
}

/// The candidate, if it answers with something the feed parser accepts.
async fn probe(fetcher: &Fetcher, candidate: &Url) -> Option<Discovered> {
    let outcome = fetcher
        .fetch(candidate.as_str(), &Validators::default())
        .await
        .ok()?;
    let body = outcome.body?;
    let url = Url::parse(&outcome.final_url).unwrap_or_else(|_| candidate.clone());
    let parsed = feed::parse(
        &body,
        outcome.content_type.as_deref(),
        &url,
        chrono::Utc::now(),
    );
    parsed.ok().map(|p| Discovered {
        url,
        title: p.title,
        format: None,
        found: Found::Probed,
    })
}

/// The feed type names of `<link type>`, and what they are.
fn format_of(link_type: &str) -> Option<&'static str> {
    let essence = link_type.split(';').next().unwrap_or("").trim();
    match essence.to_ascii_lowercase().as_str() {
        "application/rss+xml" => Some("rss"),
        "application/atom+xml" => Some("atom"),
        // Not plain application/json: CMSs advertise their REST API with it.
        "application/feed+json" => Some("json"),
        _ => None,
    }
}

/// The feeds an HTML page advertises with `<link rel="alternate" type=...>`, in page order,
/// each URL once.
pub fn advertised(html: &str, page: &Url) -> Vec<Discovered> {
    let doc = Html::parse_document(html);
    let (Ok(links), Ok(bases)) = (
        Selector::parse("link[rel][href][type]"),
        Selector::parse("base[href]"),
    ) else {
        return Vec::new();
    };
    let base = doc
        .select(&bases)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| page.join(href.trim()).ok())
        .unwrap_or_else(|| page.clone());
    let mut found: Vec<Discovered> = Vec::new();
    for link in doc.select(&links) {
        let el = link.value();
        let alternate = el.attr("rel").is_some_and(|rel| {
            rel.split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case("alternate"))
        });
        let format = el.attr("type").and_then(format_of);
        let url = el.attr("href").and_then(|h| base.join(h.trim()).ok());
        let (true, Some(format), Some(url)) = (alternate, format, url) else {
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") || found.iter().any(|d| d.url == url) {
            continue;
        }
        let title = el.attr("title").map(str::trim).filter(|t| !t.is_empty());
        found.push(Discovered {
            url,
            title: title.map(str::to_owned),
            format: Some(format),
            found: Found::Advertised,
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternate_links_are_resolved_typed_and_deduplicated() {
        let page = Url::parse("https://news.example/section/index.html").unwrap();
        let html = r#"<!doctype html><html><head>
            <link rel="stylesheet" href="/style.css" type="text/css">
            <link rel="alternate" type="application/rss+xml" title=" Main feed " href="/feed.xml">
            <link rel="Alternate home" type="application/atom+xml; charset=utf-8" href="atom">
            <link rel="alternate" type="application/feed+json" href="https://cdn.example/f.json">
            <link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/1">
            <link rel="alternate" type="application/rss+xml" href="/feed.xml">
            <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
            <link rel="alternate" hreflang="de" href="/de/">
            </head><body><script>if (a < b) {}</script></body></html>"#;
        let found = advertised(html, &page);
        let urls: Vec<&str> = found.iter().map(|d| d.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://news.example/feed.xml",
                "https://news.example/section/atom",
                "https://cdn.example/f.json"
            ]
        );
        assert_eq!(found[0].title.as_deref(), Some("Main feed"));
        assert_eq!(found[0].format, Some("rss"));
        assert_eq!(found[1].format, Some("atom"));
        assert_eq!(found[2].format, Some("json"));
    }

    #[test]
    fn a_base_element_changes_what_relative_links_mean() {
        let page = Url::parse("https://a.example/x/y").unwrap();
        let html = r#"<head><base href="https://b.example/blog/">
            <link rel=alternate type=application/atom+xml href=feed.atom></head>"#;
        let found = advertised(html, &page);
        assert_eq!(found[0].url.as_str(), "https://b.example/blog/feed.atom");
        assert!(advertised("not html at all <<<", &page).is_empty());
    }
}

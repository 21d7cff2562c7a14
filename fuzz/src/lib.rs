//! The properties storyd's fuzz targets check, one function per target, each taking raw
//! fuzzer bytes. They cover the normalize step (HTML to text, URL canonicalization, dates) and
//! the whole parse-and-normalize of a document, the parts that read hostile input.
//!
//! Beyond "never panics", each checks what the rest of storyd relies on: plain text is one
//! clean line, a canonical URL is an http(s) URL that canonicalizes to itself, no date is in
//! the future, and every entry has a bounded, non-empty title and a key unique in its document.
//! The cargo-fuzz targets in `fuzz_targets/` call these, and the main crate's
//! `tests/fuzz_smoke.rs` runs them over seeds and random mutations in every `cargo test`.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use storyd::feed::entry::{FUTURE_TOLERANCE, SUMMARY_MAX_CHARS, TITLE_MAX_CHARS};
use storyd::feed::{self, canonical_url as canonical};
use url::Url;

/// A fixed "now", so that a failure replays exactly.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default()
}

fn feed_url() -> Url {
    Url::parse("https://fuzz.example/feed.xml").expect("a valid constant URL")
}

/// HTML to text: one trimmed line, no control characters, no runs of spaces, bounded growth.
pub fn html_to_text(data: &[u8]) {
    let html = String::from_utf8_lossy(data);
    let text = feed::html_to_text(&html);
    assert!(
        !text.chars().any(char::is_control),
        "control character in {text:?}"
    );
    assert_eq!(text.trim(), text, "untrimmed {text:?}");
    assert!(!text.contains("  "), "whitespace not collapsed in {text:?}");
    // Entities may expand a little (`&nGt;` is two characters), never without bound.
    assert!(
        text.len() <= html.len() * 3 + 8,
        "{} bytes from {}",
        text.len(),
        html.len()
    );
}

/// URL canonicalization: the first line is a base (used when it parses), the rest the link.
pub fn canonical_url(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    let (base, raw) = input.split_once('\n').unwrap_or(("", &input));
    let base = Url::parse(base).ok();
    let Some(out) = canonical(raw, base.as_ref()) else {
        return;
    };
    let parsed = Url::parse(&out).unwrap_or_else(|e| panic!("{out:?} does not parse: {e}"));
    assert!(matches!(parsed.scheme(), "http" | "https"), "{out:?}");
    assert!(parsed.fragment().is_none(), "{out:?} keeps a fragment");
    let again = canonical(&out, None);
    assert_eq!(again.as_deref(), Some(out.as_str()), "not a fixed point");
}

/// Dates: the bytes as an RSS `pubDate` and as an Atom `published`; never in the future.
pub fn dates(data: &[u8]) {
    let date = escape(&String::from_utf8_lossy(data));
    let rss = format!(
        "<rss version=\"2.0\"><channel><title>t</title><item><title>a</title>\
         <pubDate>{date}</pubDate></item></channel></rss>"
    );
    let atom = format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><id>x</id>\
         <title>a</title><published>{date}</published><updated>{date}</updated></entry></feed>"
    );
    for doc in [rss, atom] {
        if let Ok(parsed) = feed::parse(doc.as_bytes(), None, &feed_url(), now()) {
            for entry in &parsed.entries {
                assert!(entry.published <= now() + FUTURE_TOLERANCE, "{entry:?}");
            }
        }
    }
}

/// Parse and normalize a whole document, its content type picked by the first byte.
pub fn parse(data: &[u8]) {
    let (content_type, body) = match data.split_first() {
        Some((b, rest)) => (CONTENT_TYPES[usize::from(*b) % CONTENT_TYPES.len()], rest),
        None => (None, data),
    };
    let parsed = match feed::parse(body, content_type, &feed_url(), now()) {
        Ok(parsed) => parsed,
        // The daemon survives a panic in the parser, but it is a bug to find.
        Err(feed::ParseError::ParserPanic(message)) => panic!("the parser panicked: {message}"),
        Err(_) => return,
    };
    let mut keys = HashSet::new();
    for entry in &parsed.entries {
        assert!(!entry.title.is_empty(), "{entry:?}");
        assert!(entry.title.chars().count() <= TITLE_MAX_CHARS, "{entry:?}");
        assert!(
            entry.summary.chars().count() <= SUMMARY_MAX_CHARS,
            "{entry:?}"
        );
        assert!(entry.published <= now() + FUTURE_TOLERANCE, "{entry:?}");
        assert!(keys.insert(entry.key.clone()), "key repeated: {entry:?}");
        if let Some(url) = &entry.url {
            assert!(
                url.starts_with("http://") || url.starts_with("https://"),
                "{url}"
            );
        }
    }
}

const CONTENT_TYPES: [Option<&str>; 6] = [
    None,
    Some("application/rss+xml"),
    Some("application/atom+xml; charset=iso-8859-1"),
    Some("application/feed+json"),
    Some("text/html"),
    Some("application/xml; charset=utf-16"),
];

/// Escapes text for an XML element's content.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;")
}

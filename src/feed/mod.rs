//! Parse and normalize: the bytes of one feed document become normalized [`Entry`] values.
//!
//! Second step of the flow (fetch -> **parse/normalize** -> cluster -> store -> api). The body
//! is decoded to UTF-8 ([`encoding`]), refused early when it is empty or an HTML page
//! ([`sniff`]), parsed by feed-rs (RSS 0.9x/1.0/2.0, Atom, JSON Feed), and each entry is
//! normalized ([`entry`]): plain text ([`text`]), canonical URL ([`urls`]), stable key, sane
//! date; then a summary's leading dateline ([`dateline`]) and text the document repeats under
//! many entries ([`boilerplate`]) are cut. Nothing here does I/O or keeps state between
//! documents.

pub mod boilerplate;
pub mod dateline;
pub mod encoding;
pub mod entry;
pub mod sniff;
pub mod text;
pub mod urls;

use std::time::Duration;

use feed_rs::model::Feed;
use feed_rs::parser::{ParseErrorKind, ParseFeedError};
use url::Url;

use crate::model::{Entry, Time};
use sniff::Syntax;
pub use text::html_to_text;
pub use urls::canonical_url;

/// A parsed and normalized feed document.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedFeed {
    /// The feed's own title, as plain text.
    pub title: Option<String>,
    /// The feed's `<ttl>` (RSS), if it gave one.
    pub ttl: Option<Duration>,
    /// Its entries, normalized, empty ones dropped, first of each key kept.
    pub entries: Vec<Entry>,
}

/// Why a document could not be read as a feed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The body was empty or only whitespace.
    #[error("empty document")]
    Empty,
    /// The body is something else: an HTML page, a JSON error, another XML vocabulary.
    #[error("not a feed: {0}")]
    NotAFeed(String),
    /// The body is XML but not well-formed.
    #[error("malformed XML: {0}")]
    MalformedXml(String),
    /// The body is JSON but not well-formed.
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// The body is a feed whose structure feed-rs could not accept.
    #[error("invalid feed: {0}")]
    Invalid(String),
    /// The parser inside feed-rs panicked on the body (a bug there that a hostile document
    /// reached): the feed is treated as unreadable, and backs off as any broken feed does.
    #[error("the feed parser failed on this document (a bug in it): {0}")]
    ParserPanic(String),
}

impl ParseError {
    /// A short stable name for the kind of error (for metrics and reports).
    pub fn kind(&self) -> &'static str {
        match self {
            ParseError::Empty => "empty",
            ParseError::NotAFeed(_) => "not_a_feed",
            ParseError::MalformedXml(_) => "malformed_xml",
            ParseError::MalformedJson(_) => "malformed_json",
            ParseError::Invalid(_) => "invalid_feed",
            ParseError::ParserPanic(_) => "parser_panic",
        }
    }
}

/// Parses a feed document (RSS 0.9x/1.0/2.0, Atom, JSON Feed) and normalizes its entries.
pub fn parse(
    body: &[u8],
    content_type: Option<&str>,
    feed_url: &Url,
    now: Time,
) -> Result<ParsedFeed, ParseError> {
    let (text, _charset) = encoding::decode(body, content_type);
    let syntax = sniff::classify(&text)?;
    let Some(feed) = guarded(|| parse_document(&text, syntax, feed_url))? else {
        return Ok(ParsedFeed {
            title: None,
            ttl: None,
            entries: Vec::new(),
        });
    };
    let title = feed
        .title
        .map(|t| text::truncate(&html_to_text(&t.content), entry::TITLE_MAX_CHARS))
        .filter(|t| !t.is_empty());
    Ok(ParsedFeed {
        title,
        ttl: feed
            .ttl
            .map(|minutes| Duration::from_secs(u64::from(minutes) * 60)),
        entries: entry::normalize_all(feed.entries, feed_url, now),
    })
}

/// Runs `parse` (feed-rs), turning a panic inside it into [`ParseError::ParserPanic`].
fn guarded<T>(parse: impl FnOnce() -> Result<T, ParseError>) -> Result<T, ParseError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)).unwrap_or_else(|payload| {
        let message = (payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string());
        Err(ParseError::ParserPanic(message))
    })
}

/// Runs feed-rs over the decoded text; `None` for an `<rss>` document that holds no channel.
fn parse_document(text: &str, syntax: Syntax, feed_url: &Url) -> Result<Option<Feed>, ParseError> {
    let parser = feed_rs_parser(feed_url);
    let no_root =
        |e: &ParseFeedError| matches!(e, ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot));
    match parser.parse(text.as_bytes()) {
        Ok(feed) => Ok(Some(feed)),
        Err(e) if no_root(&e) && syntax == Syntax::Xml => {
            // An <rss> root with a version feed-rs does not list (or none) is still RSS; and one
            // with no <channel> at all is an empty feed, not an error.
            let Some(patched) = sniff::as_rss2(text) else {
                return Err(sniff::explain(e, text, syntax));
            };
            match parser.parse(patched.as_bytes()) {
                Ok(feed) => Ok(Some(feed)),
                Err(e) if no_root(&e) => Ok(None),
                Err(e) => Err(sniff::explain(e, &patched, syntax)),
            }
        }
        Err(e) => Err(sniff::explain(e, text, syntax)),
    }
}

/// A feed-rs parser that resolves links against the feed URL and invents no ids.
fn feed_rs_parser(feed_url: &Url) -> feed_rs::parser::Parser {
    feed_rs::parser::Builder::new()
        .base_uri(Some(feed_url.as_str()))
        // An empty id tells `entry` that the document had no GUID, so it can pick the key itself
        // (feed-rs would otherwise invent one, sometimes a random UUID that changes every poll).
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .build()
}

#[cfg(test)]
mod tests;

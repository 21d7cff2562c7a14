//! Sniffing and error explanation: what a document is, and why it is not a feed.
//!
//! Part of the parse step (fetch -> **parse**/normalize -> cluster -> store -> api). Before
//! feed-rs runs, an empty body or an HTML page is recognized and refused with a message an
//! operator can act on; after a feed-rs failure, the error is turned into one that says what
//! was wrong (the root element, the JSON that is not a JSON Feed, the XML error).

use feed_rs::parser::{ParseErrorKind, ParseFeedError};

use super::ParseError;
use super::text::{html_to_text, truncate};

/// The two syntaxes feeds come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// RSS, RDF or Atom.
    Xml,
    /// JSON Feed.
    Json,
}

/// Classifies decoded text, refusing what is clearly not a feed.
pub fn classify(text: &str) -> Result<Syntax, ParseError> {
    let start = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    if start.is_empty() {
        return Err(ParseError::Empty);
    }
    if start.starts_with(['{', '[']) {
        return Ok(Syntax::Json);
    }
    if !start.starts_with('<') {
        let kind = if text.contains('<') {
            "text before the first tag"
        } else {
            "plain text"
        };
        return Err(ParseError::NotAFeed(format!(
            "the document is {kind}, not XML or JSON"
        )));
    }
    if is_html(start) {
        return Err(ParseError::NotAFeed(html_description(start)));
    }
    Ok(Syntax::Xml)
}

/// Whether markup is an HTML page rather than a feed.
fn is_html(markup: &str) -> bool {
    let head: String = markup
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    head.contains("<!doctype html")
        || root_name(markup).is_some_and(|n| n.eq_ignore_ascii_case("html"))
}

/// "the document is an HTML page", with the page's title when it has one.
fn html_description(markup: &str) -> String {
    let lower = markup.to_ascii_lowercase();
    let title = lower.find("<title").and_then(|open| {
        let body = open + markup[open..].find('>')? + 1;
        let close = body + lower[body..].find("</title")?;
        Some(truncate(&html_to_text(&markup[body..close]), 100))
    });
    match title.filter(|t| !t.is_empty()) {
        Some(title) => format!("the document is an HTML page (\"{title}\")"),
        None => "the document is an HTML page".to_string(),
    }
}

/// The name of the first element, past the declaration, comments and doctype.
pub fn root_name(markup: &str) -> Option<&str> {
    root_tag(markup).map(|(_, name)| name)
}

/// The byte offset of the first element's `<` and the element's name.
fn root_tag(markup: &str) -> Option<(usize, &str)> {
    let mut rest = markup;
    loop {
        rest = &rest[rest.find('<')?..];
        let skip_to = if rest.starts_with("<!--") {
            "-->"
        } else if rest.starts_with("<?") {
            "?>"
        } else if rest.starts_with("<!") {
            ">"
        } else {
            let name = &rest[1..];
            let len = name
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(name.len());
            let offset = markup.len() - rest.len();
            return Some((offset, &name[..len])).filter(|(_, n)| !n.is_empty());
        };
        rest = &rest[rest.find(skip_to)? + skip_to.len()..];
    }
}

/// The document with its `<rss>` root marked as version 2.0, if its root is an `<rss>` element.
///
/// feed-rs only reads `<rss>` with version 0.91, 0.92 or 2.0; feeds in the wild also say 0.93,
/// 0.94, 2.01, or nothing at all, and are RSS 2.0 in all that matters here.
pub fn as_rss2(text: &str) -> Option<String> {
    let (offset, name) = root_tag(text)?;
    if name != "rss" {
        return None;
    }
    let tag_len = text[offset..].find('>')?;
    let attributes = &text[offset + "<rss".len()..offset + tag_len];
    let attributes = without_attribute(attributes, "version");
    Some(format!(
        "{}<rss version=\"2.0\"{attributes}{}",
        &text[..offset],
        &text[offset + tag_len..]
    ))
}

/// The attribute text with the named (quoted) attribute removed.
fn without_attribute(attributes: &str, name: &str) -> String {
    let mut search = 0;
    while let Some(found) = attributes[search..].find(name) {
        let at = search + found;
        let before_ok = attributes[..at].ends_with(|c: char| c.is_whitespace());
        let after = attributes[at + name.len()..].trim_start();
        if let (true, Some(value)) = (before_ok, after.strip_prefix('=')) {
            let value = value.trim_start();
            let quote = value.chars().next().filter(|q| *q == '"' || *q == '\'');
            if let Some(end) = quote.and_then(|q| value[1..].find(q)) {
                let consumed = attributes.len() - value.len() + 1 + end + 1;
                return format!("{}{}", &attributes[..at], &attributes[consumed..]);
            }
        }
        search = at + name.len();
    }
    attributes.to_string()
}

/// Turns a feed-rs failure into a [`ParseError`] that says what was wrong.
pub fn explain(error: ParseFeedError, text: &str, syntax: Syntax) -> ParseError {
    match (syntax, error) {
        (Syntax::Json, error) => explain_json(error, text),
        (Syntax::Xml, ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot)) => {
            match root_name(text) {
                Some(name) => ParseError::NotAFeed(format!(
                    "the root element is <{}>, not <rss>, <feed> or <rdf:RDF>",
                    truncate(name, 40)
                )),
                None => ParseError::MalformedXml("no root element".to_string()),
            }
        }
        (Syntax::Xml, ParseFeedError::XmlReader(e)) => ParseError::MalformedXml(e.to_string()),
        (Syntax::Xml, other) => ParseError::Invalid(other.to_string()),
    }
}

/// Explains a JSON failure: broken JSON, JSON that is not a feed, or a broken JSON Feed.
fn explain_json(error: ParseFeedError, text: &str) -> ParseError {
    let value = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => value,
        Err(e) => return ParseError::MalformedJson(e.to_string()),
    };
    let version = value.get("version").and_then(|v| v.as_str());
    let has_items = value.get("items").is_some_and(|items| items.is_array());
    if version.is_some_and(|v| v.contains("jsonfeed.org")) || has_items {
        return ParseError::Invalid(format!("JSON Feed: {error}"));
    }
    // APIs that answer with an error object usually say why in one of these fields.
    let said = ["error", "message", "detail", "errors"]
        .iter()
        .find_map(|key| {
            let field = value.get(key)?;
            let text = field
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| field.to_string());
            Some(truncate(&text, 100))
        });
    match said {
        Some(said) => {
            ParseError::NotAFeed(format!("JSON that is not a JSON Feed (it says: {said})"))
        }
        None => ParseError::NotAFeed(
            "JSON that is not a JSON Feed (no jsonfeed.org version)".to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_root_past_prolog_comments_and_doctype() {
        let doc = "<?xml version=\"1.0\"?><!-- a <b> --><!DOCTYPE rss [<!ENTITY x \"y\">]><rss version=\"2.0\">";
        assert_eq!(root_name(doc), Some("rss"));
        assert_eq!(
            root_name("<?xml version=\"1.0\"?>\n<feed xmlns=\"a\"/>"),
            Some("feed")
        );
        assert_eq!(root_name("<!-- only a comment -->"), None);
    }

    #[test]
    fn rss_roots_of_any_version_become_rss2() {
        let doc =
            "<?xml version=\"1.0\"?>\n<rss xmlns:dc=\"x\" version='0.94' a=\"1\"><channel/></rss>";
        let patched = as_rss2(doc);
        assert_eq!(
            patched.as_deref(),
            Some(
                "<?xml version=\"1.0\"?>\n<rss version=\"2.0\" xmlns:dc=\"x\"  a=\"1\"><channel/></rss>"
            )
        );
        assert_eq!(
            as_rss2("<rss><channel/></rss>").as_deref(),
            Some("<rss version=\"2.0\"><channel/></rss>")
        );
        assert_eq!(as_rss2("<feed/>"), None);
    }

    #[test]
    fn refuses_empty_plain_text_and_html() {
        assert!(matches!(classify(" \n\u{FEFF} "), Err(ParseError::Empty)));
        assert!(matches!(classify("hello"), Err(ParseError::NotAFeed(_))));
        let page = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"><HTML><HEAD><TITLE>403 &amp; gone</TITLE>";
        let message = classify(page)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            message,
            "not a feed: the document is an HTML page (\"403 & gone\")"
        );
        assert_eq!(classify("<html><body>x</body></html>").ok(), None);
        assert_eq!(classify("<rss version=\"2.0\"/>").ok(), Some(Syntax::Xml));
        assert_eq!(classify(" {\"version\":1}").ok(), Some(Syntax::Json));
    }

    #[test]
    fn json_errors_say_what_the_json_was() {
        let error = || ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot);
        let said = explain(error(), r#"{"error":"rate limited"}"#, Syntax::Json).to_string();
        assert_eq!(
            said,
            "not a feed: JSON that is not a JSON Feed (it says: rate limited)"
        );
        let broken = explain(error(), r#"{"version": "#, Syntax::Json);
        assert!(matches!(broken, ParseError::MalformedJson(_)), "{broken}");
    }
}

//! OPML, the subscription-list format every feed reader imports and exports: reading the
//! feeds out of an OPML file (for `opml = [...]` in the config) and writing a feed list as
//! OPML 2.0 (for `storyd export-opml` and `GET /api/feeds.opml`).
//!
//! Reading takes every `<outline>` with an `xmlUrl`, at any depth (folders are outlines
//! around outlines), with its `title` (else `text`) and `htmlUrl`. Entities declared in a
//! DTD are never expanded, so a hostile file cannot blow up in memory.

use quick_xml::escape::escape;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// One feed of an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    /// The feed's URL (`xmlUrl`).
    pub url: String,
    /// Its title (`title`, else `text`), if not empty.
    pub title: Option<String>,
    /// The site's URL (`htmlUrl`), if given.
    pub html_url: Option<String>,
}

/// An OPML document that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    /// Not well-formed XML.
    #[error("not well-formed XML at byte {position}: {reason}")]
    Xml {
        /// Where the parser stopped.
        position: u64,
        /// What it objected to.
        reason: String,
    },
    /// Well-formed, but its root is not `<opml>`.
    #[error("not an OPML document (the root element is <{root}>)")]
    NotOpml {
        /// The root element found.
        root: String,
    },
    /// An outline's `xmlUrl` is empty.
    #[error("outline {index} ({title:?}) has an empty xmlUrl")]
    EmptyUrl {
        /// The outline's position among the feeds, from 0.
        index: usize,
        /// Its title, to find it by.
        title: String,
    },
}

/// The feeds of an OPML document, in document order.
pub fn read(bytes: &[u8]) -> Result<Vec<OpmlFeed>, OpmlError> {
    let text = String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes));
    let mut reader = Reader::from_str(&text);
    reader.config_mut().trim_text(true);
    let mut feeds = Vec::new();
    let mut saw_root = false;
    loop {
        let event = reader.read_event().map_err(|e| OpmlError::Xml {
            position: reader.error_position(),
            reason: e.to_string(),
        })?;
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.local_name().as_ref().to_owned();
                if !saw_root {
                    if !name.eq_ignore_ascii_case("opml") {
                        return Err(OpmlError::NotOpml { root: name });
                    }
                    saw_root = true;
                } else if name == "outline"
                    && let Some(feed) = outline(&e, feeds.len())?
                {
                    feeds.push(feed);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(OpmlError::NotOpml {
            root: "nothing".into(),
        });
    }
    Ok(feeds)
}

/// The feed an `<outline>` names, or `None` for a folder (no `xmlUrl`).
fn outline(e: &BytesStart<'_>, index: usize) -> Result<Option<OpmlFeed>, OpmlError> {
    let (mut url, mut title, mut text, mut html_url) = (None, None, None, None);
    for attr in e.attributes().with_checks(false).flatten() {
        let Ok(value) = attr.normalized_value(XmlVersion::Implicit1_0) else {
            continue;
        };
        let value = value.trim().to_owned();
        match attr.key.local_name().as_ref() {
            "xmlUrl" | "xmlurl" => url = Some(value),
            "title" => title = Some(value),
            "text" => text = Some(value),
            "htmlUrl" | "htmlurl" => html_url = Some(value),
            _ => {}
        }
    }
    let title = title
        .filter(|t| !t.is_empty())
        .or(text)
        .filter(|t| !t.is_empty());
    let Some(url) = url else { return Ok(None) };
    if url.is_empty() {
        return Err(OpmlError::EmptyUrl {
            index,
            title: title.unwrap_or_default(),
        });
    }
    Ok(Some(OpmlFeed {
        url,
        title,
        html_url: html_url.filter(|u| !u.is_empty()),
    }))
}

/// `feeds` as an OPML 2.0 document titled `title`, one flat `<outline type="rss">` each.
pub fn write(title: &str, feeds: &[OpmlFeed]) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n");
    out.push_str("  <head>\n");
    out.push_str(&format!("    <title>{}</title>\n", escape(title)));
    let now = chrono::Utc::now().to_rfc2822();
    out.push_str(&format!("    <dateCreated>{now}</dateCreated>\n"));
    out.push_str("    <docs>https://opml.org/spec2.opml</docs>\n");
    out.push_str("  </head>\n  <body>\n");
    for feed in feeds {
        let name = feed.title.as_deref().unwrap_or(&feed.url);
        out.push_str(&format!(
            "    <outline type=\"rss\" text=\"{0}\" title=\"{0}\" xmlUrl=\"{1}\"",
            escape(name),
            escape(feed.url.as_str())
        ));
        if let Some(html) = &feed.html_url {
            out.push_str(&format!(" htmlUrl=\"{}\"", escape(html.as_str())));
        }
        out.push_str("/>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NESTED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline text="News">
      <outline text="World" title="World &amp; Co" type="rss"
               xmlUrl="https://example.org/world.xml" htmlUrl="https://example.org/"/>
      <outline text="Deeper">
        <outline text="Tech" type="atom" xmlUrl="https://tech.example/atom.xml"></outline>
      </outline>
    </outline>
    <outline text="" xmlUrl="https://bare.example/feed"/>
  </body>
</opml>"#;

    #[test]
    fn nested_outlines_give_their_feeds_in_order() {
        let feeds = read(NESTED.as_bytes()).unwrap();
        assert_eq!(feeds.len(), 3);
        assert_eq!(feeds[0].url, "https://example.org/world.xml");
        assert_eq!(feeds[0].title.as_deref(), Some("World & Co"));
        assert_eq!(feeds[0].html_url.as_deref(), Some("https://example.org/"));
        assert_eq!(feeds[1].title.as_deref(), Some("Tech"));
        assert_eq!(feeds[1].html_url, None);
        assert_eq!(feeds[2].title, None);
    }

    #[test]
    fn writing_then_reading_gives_the_same_feeds() {
        let feeds = vec![
            OpmlFeed {
                url: "https://a.example/feed?x=1&y=<2>".into(),
                title: Some("A \"quoted\" & <tagged> name".into()),
                html_url: Some("https://a.example/".into()),
            },
            OpmlFeed {
                url: "file:///srv/feeds/b.xml".into(),
                title: None,
                html_url: None,
            },
        ];
        let text = write("storyd feeds", &feeds);
        assert!(text.contains("<opml version=\"2.0\">"), "{text}");
        let mut back = read(text.as_bytes()).unwrap();
        // A feed without a title is written with its URL as the text, as readers expect.
        assert_eq!(back[1].title.as_deref(), Some("file:///srv/feeds/b.xml"));
        back[1].title = None;
        assert_eq!(back, feeds);
    }

    #[test]
    fn broken_and_foreign_documents_are_errors_not_panics() {
        assert!(matches!(
            read(b"<rss><channel/></rss>"),
            Err(OpmlError::NotOpml { .. })
        ));
        assert!(matches!(read(b""), Err(OpmlError::NotOpml { .. })));
        assert!(matches!(
            read(b"<opml><body><outline xmlUrl='x'></body>"),
            Err(OpmlError::Xml { .. })
        ));
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE o [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>\
                    <opml><body><outline text=\"&b;\" xmlUrl=\"https://x.example/\"/></body></opml>";
        // The DTD's entities are not expanded: the title is left out rather than blown up.
        let feeds = read(bomb.as_bytes()).unwrap();
        assert_eq!(feeds[0].url, "https://x.example/");
        assert_eq!(feeds[0].title, None);
        assert!(matches!(
            read(b"<opml><body><outline text='t' xmlUrl=' '/></body></opml>"),
            Err(OpmlError::EmptyUrl { index: 0, .. })
        ));
    }
}

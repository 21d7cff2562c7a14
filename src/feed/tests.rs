//! Whole-document tests of `parse`: formats, identity, dates, charsets and hostile input.

use chrono::{DateTime, TimeZone, Utc};
use url::Url;

use super::*;

fn now() -> Time {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

fn feed_url() -> Url {
    Url::parse("https://news.example.org/feeds/world.xml").unwrap_or_else(|e| panic!("{e}"))
}

fn parse_ok(body: &str) -> ParsedFeed {
    parse(body.as_bytes(), None, &feed_url(), now()).unwrap_or_else(|e| panic!("{e}"))
}

fn parse_err(body: &[u8]) -> ParseError {
    match parse(body, None, &feed_url(), now()) {
        Ok(feed) => panic!("expected an error, got {} entries", feed.entries.len()),
        Err(e) => e,
    }
}

fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>World &amp; More</title>\
         <link>https://news.example.org/</link><ttl>30</ttl>{items}</channel></rss>"
    )
}

fn date(s: &str) -> Time {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

#[test]
fn rss_entries_are_normalized() {
    let feed = parse_ok(&rss(
        "<item><title><![CDATA[<b>Storm</b> hits   coast]]></title>\
         <link>/world/storm.html?utm_source=rss&amp;id=3#comments</link>\
         <description>&lt;p&gt;Winds &amp;amp; rain&lt;/p&gt;&lt;script&gt;track()&lt;/script&gt;</description>\
         <guid isPermaLink=\"false\">storm-1</guid><pubDate>Tue, 30 Apr 2024 08:00:00 +0200</pubDate></item>",
    ));
    assert_eq!(feed.title.as_deref(), Some("World & More"));
    assert_eq!(feed.ttl, Some(Duration::from_secs(30 * 60)));
    let [entry] = feed.entries.as_slice() else {
        panic!("{:?}", feed.entries)
    };
    assert_eq!(entry.key, "storm-1");
    assert_eq!(entry.guid.as_deref(), Some("storm-1"));
    assert_eq!(entry.title, "Storm hits coast");
    assert_eq!(entry.summary, "Winds & rain");
    assert_eq!(
        entry.url.as_deref(),
        Some("https://news.example.org/world/storm.html?id=3")
    );
    assert_eq!(entry.published, date("2024-04-30T06:00:00Z"));
}

#[test]
fn keys_fall_back_to_link_then_title_and_date() {
    let feed = parse_ok(&rss(
        "<item><title>A</title><link>https://x.example/a</link></item>\
         <item><title>B</title><pubDate>Tue, 30 Apr 2024 08:00:00 GMT</pubDate></item>\
         <item><title>B</title><pubDate>Wed, 01 May 2024 08:00:00 GMT</pubDate></item>",
    ));
    let keys: Vec<&str> = feed.entries.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys[0], "https://x.example/a");
    assert!(keys[1].starts_with("hash:") && keys[2].starts_with("hash:"));
    assert_ne!(keys[1], keys[2], "same title, other date: other article");
    // The key must not depend on when we parsed.
    let again = parse(
        rss("<item><title>B</title></item>").as_bytes(),
        None,
        &feed_url(),
        now() + chrono::Duration::hours(5),
    );
    let first = parse_ok(&rss("<item><title>B</title></item>"));
    assert_eq!(
        again.map(|f| f.entries[0].key.clone()).ok(),
        Some(first.entries[0].key.clone())
    );
}

#[test]
fn repeated_keys_keep_the_first_and_empty_entries_go() {
    let feed = parse_ok(&rss("<item><guid>g</guid><title>First</title></item>\
         <item><guid>g</guid><title>Second</title></item>\
         <item><description>   </description></item>\
         <item><description>Only a summary, no title</description></item>"));
    let titles: Vec<&str> = feed.entries.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(titles, ["First", "Only a summary, no title"]);
}

#[test]
fn dates_missing_invalid_and_future_become_now() {
    let feed = parse_ok(&rss("<item><guid>a</guid><title>no date</title></item>\
         <item><guid>b</guid><title>bad</title><pubDate>the thirty-second of Smarch</pubDate></item>\
         <item><guid>c</guid><title>future</title><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>\
         <item><guid>d</guid><title>skewed</title><pubDate>Wed, 01 May 2024 12:05:00 GMT</pubDate></item>"));
    let dates: Vec<Time> = feed.entries.iter().map(|e| e.published).collect();
    assert_eq!(dates, [now(), now(), now(), date("2024-05-01T12:05:00Z")]);
}

#[test]
fn atom_with_xml_base_and_updated_only() {
    let feed = parse_ok(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"https://Blog.Example.com/posts/\">\
         <title type=\"html\">A &lt;i&gt;blog&lt;/i&gt;</title>\
         <entry><id>tag:x,2024:1</id><title type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">Hello <em>world</em></div></title>\
         <link rel=\"replies\" href=\"c/1\"/><link href=\"one.html\"/><updated>2024-04-01T10:00:00Z</updated>\
         <summary>s</summary></entry></feed>",
    );
    assert_eq!(feed.title.as_deref(), Some("A blog"));
    let entry = &feed.entries[0];
    assert_eq!(entry.title, "Hello world");
    assert_eq!(
        entry.url.as_deref(),
        Some("https://blog.example.com/posts/one.html")
    );
    assert_eq!(entry.published, date("2024-04-01T10:00:00Z"));
}

#[test]
fn json_feed_items() {
    let feed = parse_ok(
        r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[
            {"id":"1","url":"https://j.example/1?fbclid=z","title":"One","content_html":"<p>Hi <script>x</script>there</p>","date_published":"2024-04-02T00:00:00Z"},
            {"id":"2","content_text":"Untitled note"}]}"#,
    );
    assert_eq!(feed.entries.len(), 2);
    assert_eq!(feed.entries[0].url.as_deref(), Some("https://j.example/1"));
    assert_eq!(feed.entries[0].summary, "Hi there");
    assert_eq!(feed.entries[1].title, "Untitled note");
}

#[test]
fn legacy_charsets_parse() {
    let mut latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><item><title>Caf\xe9</title></item>".to_vec();
    latin1.extend_from_slice(b"</channel></rss>");
    let feed = parse(&latin1, None, &feed_url(), now()).map_err(|e| e.to_string());
    assert_eq!(
        feed.map(|f| f.entries[0].title.clone()),
        Ok("Café".to_string())
    );
    let cp1251 = b"<rss version=\"2.0\"><channel><item><title>\xcd\xee\xe2\xee\xf1\xf2\xe8</title></item></channel></rss>";
    let feed = parse(
        cp1251,
        Some("application/rss+xml; charset=windows-1251"),
        &feed_url(),
        now(),
    );
    assert_eq!(
        feed.map(|f| f.entries[0].title.clone()).ok().as_deref(),
        Some("Новости")
    );
    for bom in [true, false] {
        let doc = rss("<item><title>Ünïcödé</title></item>").replace(
            "<?xml version=\"1.0\"?>",
            "<?xml version=\"1.0\" encoding=\"UTF-16\"?>",
        );
        let mut bytes: Vec<u8> = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        bytes.extend(doc.encode_utf16().flat_map(u16::to_le_bytes));
        let feed = parse(&bytes, None, &feed_url(), now()).map_err(|e| e.to_string());
        assert_eq!(
            feed.map(|f| f.entries[0].title.clone()),
            Ok("Ünïcödé".to_string()),
            "bom: {bom}"
        );
    }
}

#[test]
fn not_a_feed_errors_are_clear() {
    assert_eq!(parse_err(b"").to_string(), "empty document");
    let html =
        parse_err(b"<!doctype html><html><head><title>Just a moment...</title></head></html>");
    assert_eq!(
        html.to_string(),
        "not a feed: the document is an HTML page (\"Just a moment...\")"
    );
    let json = parse_err(br#"{"error":{"code":404,"message":"no such feed"}}"#);
    assert_eq!(json.kind(), "not_a_feed", "{json}");
    assert!(json.to_string().contains("no such feed"), "{json}");
    let opml = parse_err(b"<opml version=\"2.0\"><body/></opml>");
    assert_eq!(
        opml.to_string(),
        "not a feed: the root element is <opml>, not <rss>, <feed> or <rdf:RDF>"
    );
    let broken = parse_err(b"<rss version=\"2.0\"><channel><item><title>x</channel></rss>");
    assert_eq!(broken.kind(), "malformed_xml", "{broken}");
    assert_eq!(parse_err(b"{\"version\": [").kind(), "malformed_json");
}

#[test]
fn entity_expansion_is_not_performed() {
    let mut doc = String::from("<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY lol \"lol\">");
    for level in 1..10 {
        let prev = if level == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", level - 1)
        };
        doc.push_str(&format!(
            "<!ENTITY lol{level} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
    }
    doc.push_str(
        "]><rss version=\"2.0\"><channel><item><title>&lol9;</title></item></channel></rss>",
    );
    let result = parse(doc.as_bytes(), None, &feed_url(), now());
    // Either refused or kept unexpanded: never a billion copies.
    if let Ok(feed) = result {
        assert!(
            feed.entries.iter().all(|e| e.title.len() < 100),
            "{:?}",
            feed.entries
        );
    }
}

#[test]
fn deep_nesting_and_huge_feeds_stay_bounded() {
    let depth = 50_000;
    let deep = format!(
        "<rss version=\"2.0\"><channel><item><title>t</title>{}{}</item></channel></rss>",
        "<x>".repeat(depth),
        "</x>".repeat(depth)
    );
    let feed = parse(deep.as_bytes(), None, &feed_url(), now()).map_err(|e| e.to_string());
    assert_eq!(feed.map(|f| f.entries.len()), Ok(1));
    let items: String = (0..20_000)
        .map(|i| format!("<item><guid>{i}</guid><title>Item {i}</title></item>"))
        .collect();
    let started = std::time::Instant::now();
    let feed = parse_ok(&rss(&items));
    assert_eq!(feed.entries.len(), 20_000);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn link_choice_skips_comments_and_enclosures_and_falls_back_to_permalink_guids() {
    let feed = parse_ok(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>e1</id><title>t</title>\
         <link rel=\"enclosure\" href=\"https://cdn.example/a.mp3\"/><link rel=\"replies\" href=\"/c\"/>\
         <link rel=\"related\" href=\"https://other.example/r\"/></entry></feed>",
    );
    assert_eq!(
        feed.entries[0].url.as_deref(),
        Some("https://other.example/r")
    );
    let feed = parse_ok(&rss(
        "<item><title>p</title><guid>https://News.Example.org/p/1?utm_medium=x</guid><comments>https://c.example/</comments></item>\
         <item><title>q</title><guid>not-a-url</guid></item>",
    ));
    assert_eq!(
        feed.entries[0].url.as_deref(),
        Some("https://news.example.org/p/1")
    );
    assert_eq!(feed.entries[1].url, None);
}

#[test]
fn long_guids_are_hashed_and_long_text_is_bounded() {
    let guid = "g".repeat(2000);
    let body = "word ".repeat(2000);
    let feed = parse_ok(&rss(&format!(
        "<item><guid>{guid}</guid><title>{body}</title><description>{body}</description></item>"
    )));
    let entry = &feed.entries[0];
    assert!(
        entry.key.starts_with("guid-hash:") && entry.key.len() < 40,
        "{}",
        entry.key
    );
    assert_eq!(entry.guid.as_deref(), Some(guid.as_str()));
    assert!(entry.title.chars().count() <= entry::TITLE_MAX_CHARS);
    assert!(
        entry.summary.chars().count() <= entry::SUMMARY_MAX_CHARS && entry.summary.ends_with('…')
    );
}

#[test]
fn a_panic_in_the_parser_is_a_parse_error() {
    let err = super::guarded::<()>(|| panic!("assertion in the XML reader")).unwrap_err();
    assert_eq!(err.kind(), "parser_panic");
    assert!(
        err.to_string().contains("assertion in the XML reader"),
        "{err}"
    );
    let owned = super::guarded::<()>(|| panic!("{} at {}", "assertion", 380)).unwrap_err();
    assert!(owned.to_string().contains("assertion at 380"), "{owned}");
    assert!(matches!(super::guarded(|| Ok(7)), Ok(7)));
}

//! Stories as feeds: `/stories.atom` and `/stories.json` from a running daemon, read back
//! with feed-rs and checked against the formats' rules (unique permanent ids, RFC 3339
//! dates, escaping), the filters of /api/stories, and conditional GET.

mod common;
mod web_support;

use std::collections::HashSet;

use serde_json::Value;
use web_support::{Fixture, MISCHIEF_HEADLINE, header};

fn parse(body: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(body)
        .unwrap_or_else(|e| panic!("not a feed ({e}):\n{}", String::from_utf8_lossy(body)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atom_has_one_entry_per_story_and_escapes_what_feeds_sent() {
    let fx = Fixture::start().await;
    let flood = fx.story("Velin").await;
    let mischief = fx.story("chips").await;
    assert_eq!(mischief["headline"], MISCHIEF_HEADLINE);

    let (status, headers, body) = fx.get("/stories.atom?limit=200", &[]).await;
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").starts_with("application/atom+xml"));
    let text = String::from_utf8(body.clone()).unwrap();
    assert!(
        !text.contains("<script"),
        "markup leaked into the XML:\n{text}"
    );
    let feed = parse(&body);
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    assert_eq!(feed.id, "urn:storyd:stories");
    assert!(feed.updated.is_some(), "the feed has an updated date");
    assert_eq!(
        feed.entries.len(),
        14,
        "13 stories of the outlets + 1 of Mischief"
    );
    let ids: HashSet<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), 14, "entry ids are unique");
    for e in &feed.entries {
        assert!(e.id.starts_with("urn:storyd:story:"), "{}", e.id);
        assert!(e.updated.is_some() && e.published.is_some(), "{e:?}");
        assert!(e.published <= e.updated);
        assert!(e.title.is_some());
    }

    // The flood story: its page, and the links of all three outlets' articles.
    let entry = feed
        .entries
        .iter()
        .find(|e| e.id == format!("urn:storyd:story:{}", flood["id"].as_str().unwrap()))
        .expect("an entry for the flood story");
    assert_eq!(entry.title.as_ref().unwrap().content, flood["headline"]);
    let hrefs: Vec<&str> = entry.links.iter().map(|l| l.href.as_str()).collect();
    assert!(
        hrefs[0].ends_with(&format!("/stories/{}", flood["id"].as_str().unwrap())),
        "{hrefs:?}"
    );
    for outlet in [
        "harbor-wire.example",
        "daily-globe.example",
        "ledger-online.example",
    ] {
        assert!(
            hrefs.iter().any(|h| h.contains(outlet)),
            "{outlet} in {hrefs:?}"
        );
    }
    assert_eq!(entry.contributors.len(), 3);

    // The headline with markup round-trips as text, and the HTML content escapes it.
    let entry = feed
        .entries
        .iter()
        .find(|e| e.id == format!("urn:storyd:story:{}", mischief["id"].as_str().unwrap()))
        .unwrap();
    assert_eq!(entry.title.as_ref().unwrap().content, MISCHIEF_HEADLINE);
    let content = entry.content.as_ref().unwrap().body.as_deref().unwrap();
    assert!(content.contains("&lt;script&gt;"), "{content}");
    assert!(
        !content.contains("<script") && !content.contains("<img"),
        "{content}"
    );
    assert!(
        content.contains("href=\"https://mischief.example/quay?fish=1&amp;chips=2\""),
        "{content}"
    );
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_feed_follows_version_1_1_and_round_trips() {
    let fx = Fixture::start().await;
    let flood = fx.story("Velin").await;
    let (status, headers, body) = fx.get("/stories.json?limit=200", &[]).await;
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").starts_with("application/feed+json"));

    let feed = parse(&body);
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::JSON);
    assert_eq!(feed.entries.len(), 14);
    let titles: Vec<&str> = feed
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.as_str())
        .collect();
    assert!(titles.contains(&MISCHIEF_HEADLINE), "{titles:?}");

    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["version"], "https://jsonfeed.org/version/1.1");
    assert!(
        doc["feed_url"]
            .as_str()
            .unwrap()
            .ends_with("/stories.json?limit=200")
    );
    let items = doc["items"].as_array().unwrap();
    let ids: HashSet<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), items.len(), "item ids are unique");
    for item in items {
        for key in ["date_published", "date_modified"] {
            let date = item[key].as_str().unwrap();
            chrono::DateTime::parse_from_rfc3339(date)
                .unwrap_or_else(|e| panic!("{key} {date:?} is not RFC 3339: {e}"));
        }
        let html = item["content_html"].as_str().unwrap();
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
    }
    let item = items
        .iter()
        .find(|i| i["_storyd"]["story_id"] == flood["id"])
        .unwrap();
    assert_eq!(item["title"], flood["headline"]);
    assert_eq!(item["authors"].as_array().unwrap().len(), 3);
    assert_eq!(item["_storyd"]["articles"].as_array().unwrap().len(), 3);
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_filters_paging_and_conditional_get() {
    let fx = Fixture::start().await;
    let flood = fx.story("Velin").await;

    // q and min_sources as in /api/stories.
    for path in ["/stories.atom?q=velin", "/stories.json?min_sources=3"] {
        let (status, _, body) = fx.get(path, &[]).await;
        assert_eq!(status, 200, "{path}");
        let feed = parse(&body);
        assert_eq!(feed.entries.len(), 1, "{path}");
        assert!(feed.entries[0].id.ends_with(flood["id"].as_str().unwrap()));
    }

    // Paging: a next link that carries the filters and a cursor, and leads on.
    let (_, _, body) = fx.get("/stories.atom?limit=5&sort=recent", &[]).await;
    let first = parse(&body);
    assert_eq!(first.entries.len(), 5);
    let next = first
        .links
        .iter()
        .find(|l| l.rel.as_deref() == Some("next"))
        .expect("a next link");
    assert!(
        next.href.contains("limit=5") && next.href.contains("sort=recent"),
        "{}",
        next.href
    );
    let path = next.href.trim_start_matches(&fx.daemon.base).to_owned();
    let (_, _, body) = fx.get(&path, &[]).await;
    let second = parse(&body);
    assert_eq!(second.entries.len(), 5);
    assert!(
        second
            .entries
            .iter()
            .all(|e| first.entries.iter().all(|f| f.id != e.id))
    );

    // Bad filters are the same 400s.
    let (status, headers, _) = fx.get("/stories.json?limit=0", &[]).await;
    assert_eq!(status, 400);
    assert!(header(&headers, "content-type").starts_with("application/json"));

    // ETag and 304, for both formats.
    for path in ["/stories.atom", "/stories.json"] {
        let (status, headers, body) = fx.get(path, &[]).await;
        assert_eq!(status, 200);
        let etag = header(&headers, "etag").to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
        let (status, again, empty) = fx.get(path, &[("if-none-match", &etag)]).await;
        assert_eq!(status, 304, "{path}");
        assert!(empty.is_empty());
        assert_eq!(header(&again, "etag"), etag);
        let weak = format!("W/{etag}");
        assert_eq!(fx.get(path, &[("if-none-match", &weak)]).await.0, 304);
        let (status, _, full) = fx.get(path, &[("if-none-match", "\"stale\"")]).await;
        assert_eq!((status, full), (200, body));
        let (_, other, _) = fx.get(&format!("{path}?limit=1"), &[]).await;
        assert_ne!(header(&other, "etag"), etag, "another answer, another tag");
    }
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_proxy_at_a_path_the_pages_and_feeds_keep_it() {
    let fx = Fixture::start().await;
    let flood = fx.story("Velin").await;
    let id = flood["id"].as_str().unwrap();
    let prefix = [("x-forwarded-prefix", "/news")];

    // The pages link to each other relatively, so a proxy's prefix stays in every link.
    for (path, root) in [
        ("/?limit=1".to_owned(), "./"),
        (format!("/stories/{id}"), "../"),
        ("/stories/0000000000000000".to_owned(), "../"),
    ] {
        let (_, _, body) = fx.get(&path, &prefix).await;
        let html = String::from_utf8(body).unwrap();
        for attr in ["href=\"/", "action=\"/"] {
            assert!(!html.contains(attr), "{path}: a link from the root: {html}");
        }
        assert!(
            html.contains(&format!("href=\"{root}stories.atom\"")),
            "{path}"
        );
        assert!(html.contains(&format!("href=\"{root}\"")), "{path}");
    }
    let (_, _, body) = fx.get("/?limit=1", &prefix).await;
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains(&format!("href=\"./stories/{id}\"")), "{html}");
    // The next page: the same query with a cursor, relative to the page.
    assert!(html.contains("href=\"?limit=1&#38;cursor="), "{html}");

    // The feeds carry absolute links, with the prefix.
    let (_, _, body) = fx.get("/stories.atom?limit=1", &prefix).await;
    let feed = parse(&body);
    let hrefs: Vec<&str> = feed.links.iter().map(|l| l.href.as_str()).collect();
    assert!(
        hrefs
            .iter()
            .any(|h| h.contains("/news/stories.atom?limit=1&cursor=")),
        "{hrefs:?}"
    );
    fx.stop().await;
}

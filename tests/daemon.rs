//! The whole path through a running daemon: a feed server on loopback, a real sled
//! directory, and the real HTTP API.

mod common;

use common::{FeedServer, Route, Running, config};
use serde_json::Value;

const FLOOD_WORDS: &str = "velin";

/// Starts a server with the three outlets and returns it with their URLs.
async fn three_outlets() -> (FeedServer, Vec<String>) {
    let server = FeedServer::start().await;
    server.feed("/wire.xml", "wire.xml");
    server.feed("/globe.atom", "globe.atom");
    server.feed("/ledger.json", "ledger.json");
    let urls = ["/wire.xml", "/globe.atom", "/ledger.json"]
        .map(|p| server.url(p))
        .to_vec();
    (server, urls)
}

fn all_ok(feeds: &[Value]) -> bool {
    // Not vacuously: right after start /api/feeds may list no feed yet.
    !feeds.is_empty()
        && feeds
            .iter()
            .all(|f| f["status"] == "ok" || f["status"] == "not_modified")
}

async fn all_stories(daemon: &Running) -> Vec<Value> {
    let (status, body) = daemon.get("/api/stories?limit=200").await;
    assert_eq!(status, 200, "{body}");
    body["stories"].as_array().unwrap().clone()
}

fn flood_story(stories: &[Value]) -> Value {
    let found: Vec<&Value> = stories
        .iter()
        .filter(|s| {
            s["headline"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(FLOOD_WORDS)
        })
        .collect();
    assert_eq!(found.len(), 1, "the flood should be one story: {found:#?}");
    found[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_event_forms_one_story_and_the_rest_stay_apart() {
    let (_server, urls) = three_outlets().await;
    let dir = tempfile::tempdir().unwrap();
    let daemon = Running::start(config(dir.path(), &urls)).await;
    let feeds = daemon.wait_feeds("all feeds fetched", all_ok).await;
    let total: u64 = feeds
        .iter()
        .map(|f| f["article_count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 15);
    let names: Vec<&str> = feeds.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Harbor Wire", "Daily Globe", "Ledger Online"]);

    let stories = all_stories(&daemon).await;
    assert_eq!(stories.len(), 13, "{stories:#?}");
    let flood = flood_story(&stories);
    assert_eq!(flood["source_count"], 3);
    assert_eq!(flood["article_count"], 3);
    let mut sources: Vec<&str> = flood["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    sources.sort();
    assert_eq!(sources, ["Daily Globe", "Harbor Wire", "Ledger Online"]);
    // The default order puts the story with the most sources first.
    assert_eq!(stories[0]["id"], flood["id"]);
    for s in stories.iter().filter(|s| s["id"] != flood["id"]) {
        assert_eq!(s["source_count"], 1, "{s:#?}");
    }

    // The story and its articles answer by id, and each article points back.
    let (status, full) = daemon
        .get(&format!("/api/stories/{}", flood["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, 200);
    let articles = full["articles"].as_array().unwrap();
    assert_eq!(articles.len(), 3);
    let matches: Vec<&str> = articles
        .iter()
        .map(|a| a["match"].as_str().unwrap())
        .collect();
    assert_eq!(
        matches.iter().filter(|m| **m == "new").count(),
        1,
        "{matches:?}"
    );
    for a in articles {
        let (status, article) = daemon
            .get(&format!("/api/articles/{}", a["id"].as_str().unwrap()))
            .await;
        assert_eq!(status, 200);
        assert_eq!(article["story_id"], flood["id"]);
        assert!(article["url"].as_str().unwrap().starts_with("https://"));
    }

    // Filters: min_sources, q, feed, recent order with paging.
    let (_, multi) = daemon.get("/api/stories?min_sources=2").await;
    assert_eq!(multi["stories"].as_array().unwrap().len(), 1);
    let (_, found) = daemon.get("/api/stories?q=Sarn%20flood").await;
    assert_eq!(found["stories"][0]["id"], flood["id"]);
    let ledger = feeds[2]["id"].as_str().unwrap();
    let (_, by_feed) = daemon.get(&format!("/api/stories?feed={ledger}")).await;
    assert_eq!(by_feed["stories"].as_array().unwrap().len(), 5);
    let mut seen = Vec::new();
    let mut path = "/api/stories?sort=recent&limit=4".to_owned();
    loop {
        let (status, page) = daemon.get(&path).await;
        assert_eq!(status, 200);
        seen.extend(
            page["stories"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/stories?sort=recent&limit=4&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 13);
    seen.dedup();
    assert_eq!(seen.len(), 13, "pages overlap");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_second_poll_is_conditional_and_gets_304() {
    let (server, urls) = three_outlets().await;
    let dir = tempfile::tempdir().unwrap();
    let daemon = Running::start(config(dir.path(), &urls[..1])).await;
    daemon
        .wait_feeds("a 304", |f| f[0]["status"] == "not_modified")
        .await;
    let seen = server.seen_at("/wire.xml");
    assert!(seen[0].headers.get("if-none-match").is_none());
    let second = &seen[1];
    assert_eq!(second.status, 304);
    assert!(second.headers.get("if-none-match").is_some());
    assert!(second.headers.get("if-modified-since").is_some());
    let ua = seen[0].headers.get("user-agent").unwrap().to_str().unwrap();
    assert_eq!(ua, format!("storyd/{}", env!("CARGO_PKG_VERSION")));
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_301_moves_the_feed_and_a_302_does_not() {
    let (server, _) = three_outlets().await;
    server.route("/old-wire", Route::Redirect(301, "/wire.xml".into()));
    server.route("/moving-globe", Route::Redirect(302, "/globe.atom".into()));
    let urls = vec![server.url("/old-wire"), server.url("/moving-globe")];
    let dir = tempfile::tempdir().unwrap();
    let daemon = Running::start(config(dir.path(), &urls)).await;
    let feeds = daemon.wait_feeds("both fetched", all_ok).await;
    assert_eq!(feeds[0]["url"], server.url("/wire.xml"));
    assert_eq!(feeds[1]["url"], server.url("/moving-globe"));
    // Later polls go straight to the new address of the moved feed only.
    daemon
        .wait_feeds("a second poll", |f| {
            f.iter().all(|f| f["status"] == "not_modified")
        })
        .await;
    assert_eq!(server.seen_at("/old-wire").len(), 1);
    assert!(server.seen_at("/moving-globe").len() >= 2);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_delays_the_next_fetch() {
    let server = FeedServer::start().await;
    server.route(
        "/busy",
        Route::Status(429, vec![("retry-after", "120".into())]),
    );
    server.route("/down", Route::Status(503, vec![]));
    let urls = vec![server.url("/busy"), server.url("/down")];
    let dir = tempfile::tempdir().unwrap();
    let daemon = Running::start(config(dir.path(), &urls)).await;
    let feeds = daemon
        .wait_feeds("both failed", |f| f.iter().all(|f| f["status"] == "error"))
        .await;
    let busy = &feeds[0];
    assert_eq!(busy["next_fetch_reason"], "retry-after");
    assert_eq!(busy["consecutive_errors"], 1);
    assert!(
        busy["last_error"].as_str().unwrap().contains("429"),
        "{busy}"
    );
    let last: chrono::DateTime<chrono::Utc> = busy["last_fetch"].as_str().unwrap().parse().unwrap();
    let next: chrono::DateTime<chrono::Utc> = busy["next_fetch"].as_str().unwrap().parse().unwrap();
    assert!(next - last >= chrono::Duration::seconds(120), "{busy}");
    assert_eq!(feeds[1]["next_fetch_reason"], "backoff");
    assert!(feeds[1]["last_error"].as_str().unwrap().contains("503"));
    daemon.stop().await;
    assert_eq!(server.seen_at("/busy").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_everything_and_ingests_nothing_twice() {
    let (server, urls) = three_outlets().await;
    let dir = tempfile::tempdir().unwrap();
    let daemon = Running::start(config(dir.path(), &urls)).await;
    daemon.wait_feeds("all fetched", all_ok).await;
    let before = all_stories(&daemon).await;
    let flood = flood_story(&before);
    daemon.stop().await;
    let requests_before = server.seen().len();

    let daemon = Running::start(config(dir.path(), &urls)).await;
    let feeds = daemon.feeds().await;
    assert!(
        feeds
            .iter()
            .all(|f| f["status"] == "ok" || f["status"] == "not_modified"),
        "{feeds:#?}"
    );
    assert_eq!(all_stories(&daemon).await.len(), 13);
    daemon
        .wait_feeds("polls after the restart", |f| {
            f.iter().all(|f| f["status"] == "not_modified")
        })
        .await;
    // The first requests after the restart carried the stored validators.
    for s in &server.seen()[requests_before..] {
        assert!(s.headers.get("if-none-match").is_some(), "{s:?}");
    }
    let total: u64 = daemon
        .feeds()
        .await
        .iter()
        .map(|f| f["article_count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 15);

    // New articles keep joining the stories formed before the restart.
    server.feed("/wire.xml", "wire-update.xml");
    daemon
        .wait_feeds("the update", |f| f[0]["article_count"] == 7)
        .await;
    let after = all_stories(&daemon).await;
    assert_eq!(after.len(), 14, "{after:#?}");
    let grown = flood_story(&after);
    assert_eq!(grown["id"], flood["id"]);
    assert_eq!(grown["article_count"], 4);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = Running::start(config(dir.path(), &[])).await;
    for path in [
        "/api/stories?limit=0",
        "/api/stories?limit=abc",
        "/api/stories?limit=1000",
        "/api/stories?since=yesterday",
        "/api/stories?sort=best",
        "/api/stories?cursor=zz",
        "/api/stories?cursor=00112233",
        "/api/stories?sort=recent&cursor=0011223344556677",
        "/api/stories?min_sources=-2",
        "/api/stories?nonsense=1",
        "/api/stories/not-an-id",
        "/api/articles/%00",
    ] {
        let (status, body) = daemon.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(
            body["error"]["code"].is_string() && body["error"]["message"].is_string(),
            "{path}: {body}"
        );
    }
    for path in [
        "/api/stories/0123456789abcdef",
        "/api/articles/0123456789abcdef",
        "/no/such/route",
    ] {
        let (status, body) = daemon.get(path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    let (status, body) = daemon.get("/healthz").await;
    assert_eq!((status, body), (200, serde_json::json!({"status": "ok"})));
    daemon.stop().await;
}

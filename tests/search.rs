//! `GET /api/stories?q=...` end to end: a store in a real sled directory, the real router on
//! loopback, a real HTTP client. A search finds stories by a word of a title other than the
//! headline, by a word's beginning, never by the middle of a word ("rain" is not in
//! "Ukraine"), through a merge, and combined with `sort=recent`, `min_sources` and `feed`; and
//! it pages with `cursor` exactly as the listing without `q` does: the same stories in the
//! same order as that listing filtered by hand, each page's `next_cursor` the very cursor
//! the listing gives after the same story.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::Value;
use storyd::api::{AppState, app};
use storyd::config::Config;
use storyd::model::{Article, MatchKind, Story, Time, stable_id};
use storyd::store::Store;

fn at(minutes: i64) -> Time {
    Utc.timestamp_opt(1_780_000_000 + minutes * 60, 0)
        .single()
        .expect("valid time")
}

/// The test's own record of what it stored: story id -> every title filed in it.
#[derive(Default)]
struct Stored {
    titles: HashMap<String, Vec<String>>,
}

impl Stored {
    /// Commits one story of `titles`, one article per outlet (so as many sources as
    /// titles), the n-th seen at minute `minute + n`.
    fn story(&mut self, store: &Store, name: &str, minute: i64, titles: &[&str]) -> String {
        let story_id = stable_id(&["story", name]);
        for (n, title) in titles.iter().enumerate() {
            let outlet = format!("outlet-{name}-{n}");
            let seen = at(minute + n as i64);
            let article = Article {
                id: stable_id(&["article", name, &n.to_string()]),
                feed_id: stable_id(&["feed", &outlet]),
                source: outlet.clone(),
                guid: None,
                title: title.to_string(),
                summary: String::new(),
                url: None,
                published: seen,
                first_seen: seen,
                story_id: story_id.clone(),
                duplicate_of: None,
                match_kind: if n == 0 {
                    MatchKind::New
                } else {
                    MatchKind::Similar
                },
                score: 1.0,
            };
            let story = Story {
                id: story_id.clone(),
                headline: titles[0].to_string(),
                headline_article: stable_id(&["article", name, "0"]),
                summary: String::new(),
                first_seen: at(minute),
                updated: seen,
                article_count: 0,
                sources: vec![outlet],
                feed_ids: vec![article.feed_id.clone()],
                merged_into: None,
            };
            store
                .commit_article(&article, &story, None)
                .expect("commit");
        }
        self.titles.insert(
            story_id.clone(),
            titles.iter().map(|t| t.to_string()).collect(),
        );
        story_id
    }

    /// Folds story `from` into story `into`, as the engine's merges do.
    fn merge(&mut self, store: &Store, from: &str, into: &str) {
        let survivor = store.story(into).expect("read").expect("live");
        store.merge_story(from, &survivor).expect("merge");
        let moved = self.titles.remove(from).unwrap_or_default();
        self.titles
            .entry(into.to_string())
            .or_default()
            .extend(moved);
    }

    /// True when each word of `q` begins a word of one of the story's titles (the rule of
    /// the API's documentation, written out here for ASCII titles).
    fn matches(&self, story: &str, q: &str) -> bool {
        let words = |text: &str| -> Vec<String> {
            text.split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect()
        };
        let have: Vec<String> = self
            .titles
            .get(story)
            .map(|ts| ts.iter().flat_map(|t| words(t)).collect())
            .unwrap_or_default();
        words(q)
            .iter()
            .all(|w| have.iter().any(|h| h.starts_with(w.as_str())))
    }
}

/// Fills a store: a few stories with chosen titles among fillers that share their words.
fn fill(store: &Store) -> Stored {
    let mut s = Stored::default();
    s.story(
        store,
        "quake",
        10,
        &[
            "Earthquakes shake Port Velin",
            "Rescue teams reach the port",
        ],
    );
    s.story(store, "ukraine", 20, &["Ukraine talks resume in Geneva"]);
    s.story(
        store,
        "rain",
        30,
        &[
            "Heavy rain floods the north",
            "Rainfall record broken",
            "Roads closed",
        ],
    );
    s.story(
        store,
        "summit",
        40,
        &["Leaders meet in Geneva", "Summit ends without a truce"],
    );
    let vocabulary = [
        "market", "rates", "bank", "election", "velin", "storm", "rain", "north", "port", "talks",
        "drain", "brain", "report",
    ];
    for i in 0..36i64 {
        let titles: Vec<String> = (0..(i % 4 + 1))
            .map(|n| {
                let w = |k: i64| vocabulary[((i * 7 + n * 3 + k * 5) % 13) as usize];
                format!("{} {} {} {i}", w(0), w(1), w(2))
            })
            .collect();
        let refs: Vec<&str> = titles.iter().map(String::as_str).collect();
        s.story(store, &format!("filler{i}"), 50 + i * 3, &refs);
    }
    // A story folded into another: its titles are found under the survivor.
    let absorbed = s.story(store, "absorbed", 200, &["Ceasefire holds in Ostra"]);
    s.merge(store, &absorbed, &stable_id(&["story", "summit"]));
    s
}

/// The router over the store, served on a free loopback port; returns its base URL.
async fn serve(store: Store, dir: &std::path::Path) -> String {
    let config = Config::parse(
        &format!("[store]\npath = {:?}\n", dir.display().to_string()),
        std::path::Path::new("test.toml"),
    )
    .expect("config");
    let (commands, keep) = tokio::sync::mpsc::channel(1);
    std::mem::forget(keep);
    let router = app(AppState::new(store, Arc::new(config), commands));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

async fn get(client: &reqwest::Client, url: &str) -> Value {
    let r = client.get(url).send().await.expect("request");
    assert_eq!(r.status().as_u16(), 200, "{url}");
    serde_json::from_slice(&r.bytes().await.expect("body")).expect("JSON")
}

/// Every page of a listing: the story ids in order, and the `next_cursor` after each page.
async fn pages(client: &reqwest::Client, base: &str, query: &str) -> (Vec<String>, Vec<Value>) {
    let (mut ids, mut cursors) = (Vec::new(), Vec::new());
    let mut url = format!("{base}/api/stories?{query}");
    for _ in 0..500 {
        let page = get(client, &url).await;
        for story in page["stories"].as_array().expect("stories") {
            ids.push(story["id"].as_str().expect("id").to_string());
        }
        let next = page["next_cursor"].clone();
        cursors.push(next.clone());
        match next.as_str() {
            Some(c) => url = format!("{base}/api/stories?{query}&cursor={c}"),
            None => return (ids, cursors),
        }
    }
    panic!("{query}: paging does not end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn q_finds_stories_by_title_words_and_pages_like_the_listing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open store");
    let stored = fill(&store);
    assert!(store.check().expect("check").is_sound());
    let base = serve(store, dir.path()).await;
    let client = reqwest::Client::new();
    let id = |name: &str| stable_id(&["story", name]);

    let find = |q: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move { pages(&client, &base, &format!("q={q}&limit=200")).await.0 }
    };
    // A word only in a title that is not the headline.
    assert_eq!(find("truce").await, vec![id("summit")]);
    assert_eq!(find("rescue").await, vec![id("quake")]);
    // Through a merge: the absorbed story's title is found under the survivor.
    assert_eq!(find("ceasefire").await, vec![id("summit")]);
    // A word's beginning, not its middle.
    assert_eq!(find("earthquake").await, vec![id("quake")]);
    assert_eq!(find("EARTHQUAKE%20velin").await, vec![id("quake")]);
    let rain = find("rain").await;
    assert!(rain.contains(&id("rain")), "{rain:?}");
    assert!(
        !rain.contains(&id("ukraine")),
        "rain found Ukraine: {rain:?}"
    );
    assert_eq!(find("rainfall").await, vec![id("rain")]);
    assert!(find("quakes").await.is_empty());
    assert!(find("ain").await.is_empty());

    for (q, filters) in [
        ("rain", ""),
        ("rain", "&sort=recent"),
        ("rain", "&min_sources=2"),
        ("rain", "&sort=recent&min_sources=3"),
        ("port%20velin", ""),
        ("velin", "&sort=recent"),
        ("geneva", "&min_sources=2"),
        ("north%20rain", "&sort=top"),
        ("r", "&sort=recent&min_sources=2"),
        ("report%20brain", ""),
    ] {
        // The listing without q, one story a page: its order and the cursor after each story.
        let (all, after) = pages(&client, &base, &format!("limit=1{filters}")).await;
        let cursor_after: HashMap<&String, &Value> = all.iter().zip(&after).collect();
        let expected: Vec<String> = all
            .iter()
            .filter(|s| stored.matches(s, &q.replace("%20", " ")))
            .cloned()
            .collect();
        assert!(!expected.is_empty(), "q={q}{filters} matches nothing");
        for limit in [1, 2, 3, 200] {
            let query = format!("q={q}&limit={limit}{filters}");
            let (ids, cursors) = pages(&client, &base, &query).await;
            assert_eq!(ids, expected, "{query}");
            // Each page ends where a cursor of the plain listing ends: the same cursor.
            for (n, cursor) in cursors.iter().enumerate() {
                if cursor.is_null() {
                    assert_eq!(n + 1, cursors.len(), "{query}: a page after the last");
                    continue;
                }
                let last = &ids[(n + 1) * limit - 1];
                assert_eq!(
                    Some(&cursor),
                    cursor_after.get(last),
                    "{query}: cursor after {last}"
                );
            }
        }
    }

    // The feed filter: only the story with an article of that feed.
    let feed = stable_id(&["feed", "outlet-rain-1"]);
    let (ids, _) = pages(&client, &base, &format!("q=r&feed={feed}")).await;
    assert_eq!(ids, vec![id("rain")]);
    // A cursor of the other order is refused, with q as without.
    let (_, cursors) = pages(&client, &base, "limit=1&sort=recent").await;
    let foreign = cursors[0].as_str().expect("a cursor");
    let r = client
        .get(format!("{base}/api/stories?q=rain&cursor={foreign}"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 400);
}

//! Word-index tests: entries written with the article and gone with it, kept in step through
//! re-commits, merges, splits and pruning, rebuilt for a schema-1 store (and said so in the
//! log), checked by `check`, and searched (prefixes, intersections,
//! too-common words, listing order and cursors).

use std::collections::HashSet;

use super::tests::{article, assert_sound, story, t};
use super::*;

/// Log lines written while a test's subscriber is in force.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

/// Commits article `id` titled `title` into story `story_id` (feed "f-`id`") at `at`.
fn add_titled(store: &Store, id: &str, story_id: &str, title: &str, at: Time) {
    let mut a = article(id, &format!("f-{id}"), story_id, at);
    a.title = title.to_string();
    let mut s = store
        .story(story_id)
        .expect("read story")
        .unwrap_or_else(|| story(story_id, at, &[]));
    s.updated = at;
    s.headline = title.to_string();
    store.commit_article(&a, &s, None).expect("commit");
}

/// Every word-index entry as (word, article id, story id).
fn entries(store: &Store) -> Vec<(String, String, String)> {
    store
        .scan(&[keys::WORD], None)
        .map(|item| {
            let (key, value) = item.expect("scan");
            let (word, id) = keys::word_of_entry(&key).expect("well-formed entry");
            (
                word.to_string(),
                id.to_string(),
                String::from_utf8(value).expect("story id"),
            )
        })
        .collect()
}

fn entry(word: &str, article: &str, story: &str) -> (String, String, String) {
    (word.into(), article.into(), story.into())
}

/// The ids the index finds for `q` (split into title words), when it finds them all itself.
fn found(store: &Store, q: &str) -> Vec<String> {
    match store.word_search(&title_words(q)).expect("search") {
        WordSearch::Stories { ids, unchecked } => {
            assert!(unchecked.is_empty(), "{q}: unchecked {unchecked:?}");
            let mut ids: Vec<String> = ids.into_iter().collect();
            ids.sort();
            ids
        }
        WordSearch::TooCommon => panic!("{q}: too common"),
    }
}

#[test]
fn entries_are_written_with_the_article_and_gone_with_it() {
    let store = Store::temporary().expect("store");
    add_titled(
        &store,
        "a1",
        "s1",
        "Rain floods Port Velin, rain again",
        t(1),
    );
    assert_eq!(
        entries(&store),
        vec![
            entry("again", "a1", "s1"),
            entry("floods", "a1", "s1"),
            entry("port", "a1", "s1"),
            entry("rain", "a1", "s1"),
            entry("velin", "a1", "s1"),
        ]
    );
    // The same article again with another title: the old words go, the new ones come.
    add_titled(&store, "a1", "s1", "Storm hits Velin", t(2));
    assert_eq!(
        entries(&store),
        vec![
            entry("hits", "a1", "s1"),
            entry("storm", "a1", "s1"),
            entry("velin", "a1", "s1"),
        ]
    );
    add_titled(&store, "a2", "s2", "Later news", t(100));
    assert_sound(&store);
    store.prune(t(50)).expect("prune");
    assert_eq!(
        entries(&store),
        vec![entry("later", "a2", "s2"), entry("news", "a2", "s2")]
    );
    assert_sound(&store);
}

#[test]
fn a_query_word_finds_the_words_it_begins_and_every_word_must_match() {
    let store = Store::temporary().expect("store");
    add_titled(&store, "a1", "quake", "Earthquakes shake Port Velin", t(1));
    add_titled(&store, "a2", "quake", "Rescue teams arrive", t(2));
    add_titled(&store, "a3", "war", "Ukraine talks resume", t(3));
    add_titled(&store, "a4", "rain", "Heavy rain in the north", t(4));
    assert_eq!(found(&store, "earthquake"), vec!["quake"]);
    assert_eq!(found(&store, "rain"), vec!["rain"]);
    assert_eq!(found(&store, "RAIN!"), vec!["rain"]);
    // Words from different titles of the same story match together.
    assert_eq!(found(&store, "velin rescue"), vec!["quake"]);
    assert!(found(&store, "velin ukraine").is_empty());
    assert!(found(&store, "zebra").is_empty());
    assert_eq!(found(&store, "r"), vec!["quake", "rain", "war"]);
}

#[test]
fn merged_articles_are_found_under_the_surviving_story() {
    let store = Store::temporary().expect("store");
    add_titled(&store, "a1", "keep", "Summit opens", t(1));
    add_titled(&store, "a2", "gone", "Leaders arrive at summit", t(2));
    add_titled(&store, "a3", "gone", "Truce talks stall", t(3));
    assert_eq!(found(&store, "truce"), vec!["gone"]);
    let into = store.story("keep").expect("read").expect("live");
    store.merge_story("gone", &into).expect("merge");
    assert_eq!(found(&store, "truce"), vec!["keep"]);
    assert_eq!(found(&store, "summit leaders"), vec!["keep"]);
    assert!(entries(&store).iter().all(|(_, _, s)| s == "keep"));
    assert_sound(&store);
}

#[test]
fn split_articles_are_found_under_their_new_story() {
    let store = Store::temporary().expect("store");
    add_titled(&store, "a1", "big", "Quake in Velin", t(1));
    add_titled(&store, "a2", "big", "Velin quake toll rises", t(2));
    add_titled(&store, "b1", "big", "Flood in Ostra", t(3));
    let from = store.story("big").expect("read").expect("live");
    let moved = store
        .split_story(&from, &story("flood", t(3), &[]), &["b1".into()])
        .expect("split");
    assert_eq!(moved, 1);
    assert_eq!(found(&store, "ostra"), vec!["flood"]);
    assert_eq!(found(&store, "in"), vec!["big", "flood"]);
    assert!(found(&store, "ostra velin").is_empty());
    assert_sound(&store);
}

#[test]
fn a_schema_1_store_gets_its_word_index_at_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path()).expect("open");
        add_titled(&store, "a1", "s1", "Central bank raises rates", t(1));
        add_titled(&store, "a2", "s2", "Rates rise again", t(2));
        // Make it a store of the old layout: no word index, version 1, plus the leftover of
        // a build that a crash interrupted.
        let mut batch = WriteBatch::new();
        for item in store.scan(&[keys::WORD], None) {
            batch.delete(item.expect("scan").0);
        }
        batch.put(keys::word_entry("stale", "a9"), b"s9".to_vec());
        batch.put(keys::schema_key(), 1u32.to_be_bytes().to_vec());
        store.apply(batch).expect("raw writes");
        let report = store.check().expect("check");
        assert!(
            report
                .to_string()
                .contains("words/rates/a1: word entry missing"),
            "{report}"
        );
        store.flush().expect("flush");
    }
    let logs = Logs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer({
            let logs = logs.clone();
            move || logs.clone()
        })
        .with_ansi(false)
        .finish();
    let store =
        tracing::subscriber::with_default(subscriber, || Store::open(dir.path())).expect("reopen");
    let text = logs.text();
    assert!(
        text.contains("building it from the stored articles")
            && text.contains("built the word index")
            && text.contains("articles=2"),
        "{text}"
    );
    assert_eq!(found(&store, "rate"), vec!["s1", "s2"]);
    assert_eq!(found(&store, "bank"), vec!["s1"]);
    assert!(found(&store, "stale").is_empty());
    assert_eq!(
        store.get_raw(&keys::schema_key()).expect("read"),
        Some(SCHEMA_VERSION.to_be_bytes().to_vec())
    );
    assert_sound(&store);
}

#[test]
fn check_reports_missing_stale_and_foreign_word_entries() {
    let store = Store::temporary().expect("store");
    add_titled(&store, "a1", "s1", "Quake hits", t(1));
    add_titled(&store, "a2", "s2", "Flood warning", t(2));
    let mut batch = WriteBatch::new();
    batch.delete(keys::word_entry("quake", "a1"));
    batch.put(keys::word_entry("flood", "a2"), b"s1".to_vec());
    batch.put(keys::word_entry("ghost", "a2"), b"s2".to_vec());
    store.apply(batch).expect("raw writes");
    let report = store.check().expect("check");
    assert_eq!(report.problem_count, 3, "{report}");
    let text = report.to_string();
    assert!(
        text.contains("words/quake/a1: word entry missing for article a1")
            && text.contains(
                "words/flood/a2: word entry names story s1 but the article is in story s2"
            )
            && text.contains("words/ghost/a2: word entry without an article title"),
        "{text}"
    );
}

#[test]
fn words_too_common_are_left_to_the_titles_or_to_a_scan() {
    let store = Store::temporary().expect("store");
    for i in 0..40 {
        add_titled(
            &store,
            &format!("a{i:02}"),
            &format!("s{i:02}"),
            "Daily news",
            t(i),
        );
    }
    add_titled(&store, "rare", "s07", "Rare eclipse", t(50));
    let small = search::Bounds {
        max_entries: 8,
        step: 4,
        entries_per_check: 4,
    };
    // "news" has 40 entries; with one candidate story its scan stops after 4 of them.
    match store
        .word_search_within(&title_words("news eclipse"), small)
        .expect("search")
    {
        WordSearch::Stories { ids, unchecked } => {
            assert_eq!(ids, HashSet::from(["s07".to_string()]));
            assert_eq!(unchecked, vec!["news"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store
            .word_search_within(&title_words("daily news"), small)
            .expect("search"),
        WordSearch::TooCommon
    );
    assert_eq!(found(&store, "daily news").len(), 40);
}

/// `stories_among` lists exactly what `stories` lists, filtered to the ids, with the same
/// cursors; on both of its paths (few candidates read and sorted, many walked in order).
#[test]
fn stories_among_orders_and_pages_like_the_listing() {
    let store = Store::temporary().expect("store");
    for i in 0..700i64 {
        let sid = format!("s{i:03}");
        add_titled(&store, &format!("a{i:03}"), &sid, "Some title", t(i));
        if i % 3 == 0 {
            // More sources for some: the top order differs from the recent one.
            add_titled(
                &store,
                &format!("b{i:03}"),
                &sid,
                "Another title",
                t(1000 - i),
            );
        }
    }
    for (modulus, order) in [
        (50, StoryOrder::Top),
        (2, StoryOrder::Top),
        (50, StoryOrder::Recent),
        (2, StoryOrder::Recent),
    ] {
        let ids: HashSet<String> = (0..700)
            .filter(|i| i % modulus == 1)
            .map(|i| format!("s{i:03}"))
            .chain(["merged-away".to_string()])
            .collect();
        let all: Vec<(Vec<u8>, String)> = store
            .stories(order, None)
            .map(|item| item.expect("story"))
            .filter(|(_, s)| ids.contains(&s.id))
            .map(|(k, s)| (k, s.id))
            .collect();
        let among: Vec<(Vec<u8>, String)> = store
            .stories_among(&ids, order, None)
            .map(|item| item.expect("story"))
            .map(|(k, s)| (k, s.id))
            .collect();
        assert_eq!(among, all, "every {modulus} in {order:?}");
        let cursor = all[all.len() / 2].0.clone();
        let rest: Vec<String> = store
            .stories_among(&ids, order, Some(&cursor))
            .map(|item| item.expect("story").1.id)
            .collect();
        let expected: Vec<String> = all[all.len() / 2 + 1..]
            .iter()
            .map(|(_, id)| id.clone())
            .collect();
        assert_eq!(
            rest, expected,
            "after the cursor, every {modulus} in {order:?}"
        );
        let bad = store.stories_among(&ids, order, Some(b"\x00junk")).next();
        assert!(
            matches!(bad, Some(Err(StoreError::InvalidCursor { .. }))),
            "{bad:?}"
        );
    }
}

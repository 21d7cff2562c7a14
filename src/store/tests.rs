//! Store-level tests: round trips, the compound writes keeping indexes right (check() after
//! each), order and cursor paging, reopening, and the errors a user can meet.

use chrono::{TimeZone, Utc};

use super::*;
use crate::model::{FeedStatus, MatchKind, NextFetchReason};

/// A time `secs` seconds after a fixed origin.
pub(crate) fn t(secs: i64) -> Time {
    Utc.timestamp_opt(1_700_000_000 + secs, 0)
        .single()
        .expect("valid time")
}

/// A live story with the given sources, first seen and updated at `updated`.
pub(crate) fn story(id: &str, updated: Time, sources: &[&str]) -> Story {
    Story {
        id: id.into(),
        headline: format!("headline of {id}"),
        headline_article: String::new(),
        summary: String::new(),
        first_seen: updated,
        updated,
        article_count: 0,
        sources: sources.iter().map(|s| s.to_string()).collect(),
        feed_ids: Vec::new(),
        merged_into: None,
    }
}

/// An article of feed `feed` in story `story_id`, from source "src-`feed`".
pub(crate) fn article(id: &str, feed: &str, story_id: &str, first_seen: Time) -> Article {
    Article {
        id: id.into(),
        feed_id: feed.into(),
        source: format!("src-{feed}"),
        guid: None,
        title: format!("title of {id}"),
        summary: String::new(),
        url: Some(format!("https://example.test/{id}")),
        published: first_seen,
        first_seen,
        story_id: story_id.into(),
        duplicate_of: None,
        match_kind: MatchKind::New,
        score: 1.0,
    }
}

pub(crate) fn feed_state(id: &str) -> FeedState {
    FeedState {
        id: id.into(),
        configured_url: format!("https://example.test/{id}.xml"),
        url: format!("https://example.test/{id}.xml"),
        name: id.into(),
        status: FeedStatus::Ok,
        etag: Some("\"v1\"".into()),
        last_modified: None,
        last_fetch: Some(t(0)),
        next_fetch: t(600),
        next_fetch_reason: NextFetchReason::Interval,
        last_error: None,
        consecutive_errors: 0,
        article_count: 0,
        new_items_ewma: 0.5,
        fetch_count: 3,
    }
}

/// Commits article `id` of `feed` into story `story_id` as of time `at`.
pub(crate) fn add(store: &Store, id: &str, feed: &str, story_id: &str, at: Time) -> Story {
    let a = article(id, feed, story_id, at);
    let mut s = store
        .story(story_id)
        .expect("read story")
        .unwrap_or_else(|| story(story_id, at, &[]));
    s.updated = at;
    store.commit_article(&a, &s, None).expect("commit");
    store.story(story_id).expect("read").expect("story exists")
}

pub(crate) fn assert_sound(store: &Store) {
    let report = store.check().expect("check runs");
    assert!(report.is_sound(), "{report}");
}

fn ids(store: &Store, order: StoryOrder) -> Vec<String> {
    store
        .stories(order, None)
        .map(|item| item.expect("story").1.id)
        .collect()
}

#[test]
fn feeds_round_trip() {
    let store = Store::temporary().expect("store");
    assert_eq!(store.feed("f1").expect("read"), None);
    let mut feed = feed_state("f1");
    store.put_feed(&feed).expect("put");
    store.put_feed(&feed_state("f0")).expect("put");
    feed.consecutive_errors = 3;
    store.put_feed(&feed).expect("put again");
    assert_eq!(store.feed("f1").expect("read"), Some(feed));
    let all: Vec<_> = store
        .feeds()
        .expect("feeds")
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(all, vec!["f0", "f1"]);
    assert_eq!(store.counts().expect("counts").feeds, 2);
    assert!(store.delete_feed("f0").expect("delete"));
    assert!(!store.delete_feed("f0").expect("delete again"));
    let left: Vec<_> = store
        .feeds()
        .expect("feeds")
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(left, vec!["f1"]);
}

#[test]
fn committed_articles_build_their_story() {
    let store = Store::temporary().expect("store");
    let mut feed = feed_state("fa");
    feed.article_count = 1;
    let a1 = article("a1", "fa", "s1", t(10));
    store
        .commit_article(&a1, &story("s1", t(10), &["src-fa"]), Some(&feed))
        .expect("commit");
    add(&store, "a2", "fb", "s1", t(20));
    let s = add(&store, "a0", "fa", "s1", t(5));
    assert_eq!(s.article_count, 3);
    assert_eq!(s.sources, vec!["src-fa", "src-fb"]);
    assert_eq!(s.feed_ids, vec!["fa", "fb"]);
    let order: Vec<_> = store
        .story_articles("s1")
        .expect("articles")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(order, vec!["a0", "a1", "a2"]);
    assert_eq!(store.article("a1").expect("read"), Some(a1));
    assert!(store.contains_article("a2").expect("contains"));
    assert!(!store.contains_article("zz").expect("contains"));
    assert_eq!(
        store.feed("fa").expect("feed").map(|f| f.article_count),
        Some(1)
    );
    assert_eq!(store.feed_articles("fb").expect("by feed").len(), 1);
    assert_eq!(
        store.counts().expect("counts"),
        Counts {
            feeds: 1,
            articles: 3,
            stories: 1
        }
    );
    assert_sound(&store);
}

#[test]
fn committing_an_article_again_does_not_count_it_twice() {
    let store = Store::temporary().expect("store");
    add(&store, "a1", "fa", "s1", t(10));
    let s = add(&store, "a1", "fa", "s1", t(30));
    assert_eq!(s.article_count, 1);
    assert_sound(&store);
    let moved = article("a1", "fa", "s2", t(40));
    let err = store.commit_article(&moved, &story("s2", t(40), &[]), None);
    assert!(matches!(err, Err(StoreError::InvalidWrite(_))), "{err:?}");
    let mismatched = article("a9", "fa", "s1", t(40));
    let err = store.commit_article(&mismatched, &story("s2", t(40), &[]), None);
    assert!(matches!(err, Err(StoreError::InvalidWrite(_))), "{err:?}");
    assert_sound(&store);
}

#[test]
fn orders_follow_sources_and_updates() {
    let store = Store::temporary().expect("store");
    add(&store, "a1", "f1", "old-wide", t(10));
    add(&store, "a2", "f2", "old-wide", t(11));
    add(&store, "a3", "f1", "new-narrow", t(50));
    add(&store, "a4", "f1", "mid-narrow", t(30));
    assert_eq!(
        ids(&store, StoryOrder::Recent),
        vec!["new-narrow", "mid-narrow", "old-wide"]
    );
    assert_eq!(
        ids(&store, StoryOrder::Top),
        vec!["old-wide", "new-narrow", "mid-narrow"]
    );
    // An update moves the story in both orders and leaves no stale entry behind.
    add(&store, "a5", "f3", "mid-narrow", t(60));
    add(&store, "a6", "f2", "mid-narrow", t(61));
    assert_eq!(
        ids(&store, StoryOrder::Recent),
        vec!["mid-narrow", "new-narrow", "old-wide"]
    );
    assert_eq!(
        ids(&store, StoryOrder::Top),
        vec!["mid-narrow", "old-wide", "new-narrow"]
    );
    assert_sound(&store);
}

#[test]
fn cursor_paging_visits_every_story_once() {
    let store = Store::temporary().expect("store");
    for i in 0..23 {
        let feeds = 1 + i % 4;
        for f in 0..feeds {
            add(
                &store,
                &format!("a{i}-{f}"),
                &format!("f{f}"),
                &format!("s{i:02}"),
                t(i * 7 % 11 + f),
            );
        }
    }
    for order in [StoryOrder::Top, StoryOrder::Recent] {
        let all = ids(&store, order);
        let mut paged = Vec::new();
        let mut cursor: Option<Vec<u8>> = None;
        loop {
            let page: Vec<_> = store
                .stories(order, cursor.as_deref())
                .take(5)
                .collect::<Result<_, _>>()
                .expect("page");
            let Some((last, _)) = page.last() else { break };
            cursor = Some(last.clone());
            paged.extend(page.into_iter().map(|(_, s)| s.id));
        }
        assert_eq!(paged, all);
        assert_eq!(all.len(), 23);
    }
    let mut expected = ids(&store, StoryOrder::Top);
    expected.sort_by_key(|id| {
        let s = store.story(id).expect("read").expect("exists");
        (
            std::cmp::Reverse(s.sources.len()),
            std::cmp::Reverse(s.updated),
        )
    });
    assert_eq!(ids(&store, StoryOrder::Top), expected);
}

#[test]
fn a_foreign_cursor_is_an_error() {
    let store = Store::temporary().expect("store");
    add(&store, "a1", "f1", "s1", t(1));
    let (recent_cursor, _) = store
        .stories(StoryOrder::Recent, None)
        .next()
        .expect("one story")
        .expect("ok");
    for bad in [recent_cursor.as_slice(), b"", b"\x00garbage"] {
        let first = store.stories(StoryOrder::Top, Some(bad)).next();
        assert!(
            matches!(first, Some(Err(StoreError::InvalidCursor { .. }))),
            "{first:?}"
        );
    }
}

#[test]
fn merging_moves_articles_and_redirects() {
    let store = Store::temporary().expect("store");
    add(&store, "a1", "f1", "keep", t(1));
    add(&store, "a2", "f2", "gone", t(2));
    add(&store, "a3", "f3", "gone", t(3));
    let mut into = store.story("keep").expect("read").expect("exists");
    into.updated = t(4);
    store.merge_story("gone", &into).expect("merge");
    let kept = store.story("gone").expect("read").expect("redirected");
    assert_eq!(kept.id, "keep");
    assert_eq!(kept.article_count, 3);
    assert_eq!(kept.sources, vec!["src-f1", "src-f2", "src-f3"]);
    let moved: Vec<_> = store
        .story_articles("keep")
        .expect("articles")
        .into_iter()
        .map(|a| (a.id, a.story_id))
        .collect();
    assert_eq!(
        moved.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        vec!["a1", "a2", "a3"]
    );
    assert!(moved.iter().all(|(_, s)| s == "keep"));
    assert!(store.story_articles("gone").expect("articles").is_empty());
    assert_eq!(ids(&store, StoryOrder::Top), vec!["keep"]);
    assert_sound(&store);

    let err = store.commit_article(
        &article("a4", "f1", "gone", t(5)),
        &story("gone", t(5), &[]),
        None,
    );
    assert!(
        matches!(err, Err(StoreError::StoryMerged { .. })),
        "{err:?}"
    );
    assert!(matches!(
        store.merge_story("nope", &kept),
        Err(StoreError::StoryNotFound { .. })
    ));
    assert!(matches!(
        store.merge_story("keep", &kept),
        Err(StoreError::InvalidWrite(_))
    ));
    assert_sound(&store);
}

#[test]
fn splitting_moves_the_named_articles_and_rederives_both_stories() {
    let store = Store::temporary().expect("store");
    add(&store, "a1", "f1", "big", t(1));
    add(&store, "a2", "f2", "big", t(2));
    add(&store, "b1", "f3", "big", t(3));
    add(&store, "b2", "f4", "big", t(4));
    add(&store, "c1", "f5", "other", t(5));
    // "b0" founded a story that was merged into "big": the split brings that id back.
    add(&store, "b0", "f3", "revived", t(0));
    let big = store.story("big").expect("read").expect("exists");
    store.merge_story("revived", &big).expect("merge");
    let from = store.story("big").expect("read").expect("exists");
    let to = story("revived", t(4), &[]);
    let moved = store
        .split_story(
            &from,
            &to,
            &["b0".into(), "b1".into(), "b2".into(), "c1".into()],
        )
        .expect("split");
    // c1 belongs to another story: it is not the split's to move.
    assert_eq!(moved, 3);
    let kept = store.story("big").expect("read").expect("live");
    assert_eq!(
        (kept.article_count, kept.sources.clone()),
        (2, vec!["src-f1".to_string(), "src-f2".to_string()])
    );
    let split = store.story("revived").expect("read").expect("live again");
    assert_eq!(split.id, "revived");
    assert_eq!(split.merged_into, None);
    assert_eq!(split.article_count, 3);
    assert_eq!(split.sources, vec!["src-f3", "src-f4"]);
    assert_eq!(split.first_seen, t(0));
    let ids_in = |s: &str| -> Vec<String> {
        let mut v: Vec<String> = store
            .story_articles(s)
            .expect("articles")
            .into_iter()
            .map(|a| a.id)
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids_in("big"), vec!["a1", "a2"]);
    assert_eq!(ids_in("revived"), vec!["b0", "b1", "b2"]);
    assert_eq!(
        store.article("c1").expect("read").expect("kept").story_id,
        "other"
    );
    let mut listed = ids(&store, StoryOrder::Recent);
    listed.sort();
    assert_eq!(listed, vec!["big", "other", "revived"]);
    assert_sound(&store);

    // A live story is never overwritten by a split, nor a story split into itself.
    let live = store.story("other").expect("read").expect("live");
    assert!(matches!(
        store.split_story(&kept, &live, &["a1".into()]),
        Err(StoreError::InvalidWrite(_))
    ));
    assert!(matches!(
        store.split_story(&kept, &kept, &["a1".into()]),
        Err(StoreError::InvalidWrite(_))
    ));
    // Nor may a split take every article of a story (it would be live and empty).
    assert!(matches!(
        store.split_story(
            &kept,
            &story("elsewhere", t(9), &[]),
            &["a1".into(), "a2".into()]
        ),
        Err(StoreError::InvalidWrite(_))
    ));
    assert_sound(&store);
}

#[test]
fn prune_removes_old_articles_and_empty_stories() {
    let store = Store::temporary().expect("store");
    add(&store, "old1", "f1", "stale", t(1));
    add(&store, "old2", "f2", "mixed", t(2));
    add(&store, "new1", "f3", "mixed", t(100));
    add(&store, "old3", "f1", "merged-away", t(3));
    let stale = store.story("stale").expect("read").expect("exists");
    store.merge_story("merged-away", &stale).expect("merge");
    add(&store, "new2", "f1", "fresh", t(200));

    let report = store.prune(t(50)).expect("prune");
    assert_eq!(
        report,
        PruneReport {
            articles: 3,
            stories: 1,
            redirects: 1
        }
    );
    assert_eq!(store.story("stale").expect("read"), None);
    assert_eq!(store.story("merged-away").expect("read"), None);
    let mixed = store.story("mixed").expect("read").expect("kept");
    assert_eq!(mixed.article_count, 1);
    assert_eq!(mixed.sources, vec!["src-f2", "src-f3"]);
    let left: Vec<_> = store
        .articles_since(t(0))
        .expect("since")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(left, vec!["new1", "new2"]);
    assert_eq!(store.counts().expect("counts").stories, 2);
    assert_sound(&store);
    assert_eq!(store.prune(t(50)).expect("again"), PruneReport::default());
}

#[test]
fn prune_works_through_many_chunks() {
    let store = Store::temporary().expect("store");
    for i in 0..1_200 {
        add(
            &store,
            &format!("a{i:04}"),
            "f1",
            &format!("s{}", i % 7),
            t(i),
        );
    }
    let report = store.prune(t(1_100)).expect("prune");
    assert_eq!(report.articles, 1_100);
    assert_eq!(report.stories, 0);
    assert_eq!(store.counts().expect("counts").articles, 100);
    assert_sound(&store);
}

#[test]
fn articles_since_starts_at_the_given_time() {
    let store = Store::temporary().expect("store");
    for i in 0..5 {
        add(&store, &format!("a{i}"), "f1", "s1", t(i * 10));
    }
    let since: Vec<_> = store
        .articles_since(t(20))
        .expect("since")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(since, vec!["a2", "a3", "a4"]);
    assert!(store.articles_since(t(41)).expect("since").is_empty());
    assert_eq!(store.articles_since(t(-1_000_000)).expect("since").len(), 5);
}

#[test]
fn an_unknown_record_version_names_the_key() {
    let store = Store::temporary().expect("store");
    let mut batch = WriteBatch::new();
    batch.put(keys::article("a1"), b"\x07{}".to_vec());
    store.apply(batch).expect("raw put");
    let err = store.article("a1").expect_err("must refuse version 7");
    let message = err.to_string();
    assert!(
        message.contains("articles/a1") && message.contains('7'),
        "{message}"
    );
    let report = store.check().expect("check");
    assert!(!report.is_sound());
    assert!(report.to_string().contains("articles/a1"), "{report}");
}

#[test]
fn check_finds_broken_indexes_and_counts() {
    let store = Store::temporary().expect("store");
    add(&store, "a1", "f1", "s1", t(1));
    let a1 = store.article("a1").expect("read").expect("exists");
    let mut batch = WriteBatch::new();
    batch.delete(keys::article_by_seen(&a1));
    batch.put(
        keys::article_by_feed(&article("ghost", "f1", "s1", t(9))),
        Vec::new(),
    );
    let mut s1 = store.story("s1").expect("read").expect("exists");
    s1.article_count = 5;
    batch.put(
        keys::story("s1"),
        codec::encode(&keys::story("s1"), &s1).expect("encode"),
    );
    store.apply(batch).expect("raw writes");
    let report = store.check().expect("check");
    assert_eq!(report.problem_count, 3, "{report}");
    let text = report.to_string();
    assert!(
        text.contains("missing for a1")
            && text.contains("without a matching record")
            && text.contains("article_count is 5"),
        "{text}"
    );
}

#[test]
fn the_store_can_be_shared_between_tasks() {
    fn shareable<T: Clone + Send + Sync + 'static>(_: &T) {}
    let store = Store::temporary().expect("store");
    shareable(&store);
    let writer = store.clone();
    let handle = std::thread::spawn(move || add(&writer, "a1", "f1", "s1", t(1)));
    let written = handle.join().expect("writer thread");
    assert_eq!(store.story("s1").expect("read"), Some(written));
}

//! Stories from real feeds: the three captures of 65 real news feeds in
//! ../shared/feeds/replay are parsed, normalized and filed through the daemon's own ingest
//! into a real sled store, capture after capture as a daemon polling them would have, and the
//! stories that come out are checked where the corpus says what they should be: the killing of
//! MP David Amess reported by eight outlets is one story, the AUKUS pact is one story, a
//! video channel's footer or show name does not make its unrelated videos one story, and
//! Covid, a topic of hundreds of articles, is not one story either: not in capture order,
//! nor in the order the articles were published, where a running topic's daily updates
//! would chain day after day.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::Path;

use chrono::{DateTime, NaiveDateTime, Utc};
use storyd::cluster::{Doc, EngineConfig};
use storyd::eval::{LabeledDoc, cluster_docs};
use storyd::feed::parse;
use storyd::ingest::Ingestor;
use storyd::model::{Article, Entry, FeedState};
use storyd::store::Store;
use url::Url;

/// Walks the captures in order, handing each feed file that parses to `file` with the
/// capture's time, the feed's file name and URL, and its entries.
fn each_capture(replay: &Path, mut file: impl FnMut(DateTime<Utc>, &str, &str, Vec<Entry>)) {
    let mut captures: Vec<_> = fs::read_dir(replay)
        .expect("replay dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    captures.sort();
    for capture in captures {
        let name = capture.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let now = NaiveDateTime::parse_from_str(name, "%Y-%m-%dT%H%MZ")
            .map(|t| DateTime::<Utc>::from_naive_utc_and_offset(t, Utc))
            .unwrap_or_else(|e| panic!("capture {name}: {e}"));
        let mut files: Vec<_> = fs::read_dir(&capture)
            .expect("capture dir")
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for path in files {
            let feed_name = path.file_stem().and_then(|n| n.to_str()).unwrap_or("");
            let url = format!("https://replay.example/{feed_name}.xml");
            let body = fs::read(&path).expect("read capture");
            let Ok(parsed) = parse(&body, None, &Url::parse(&url).expect("url"), now) else {
                continue; // the HTML 403 page saved as a feed
            };
            file(now, feed_name, &url, parsed.entries);
        }
    }
}

/// Every article filed from the replay corpus, as stored at the end, with its feed's file name.
fn replay_articles(replay: &Path, store: &Store) -> Vec<(String, Article)> {
    let mut ingestor = Ingestor::new(store.clone(), EngineConfig::default());
    let mut feeds: HashMap<String, FeedState> = HashMap::new();
    let mut ids: Vec<(String, String)> = Vec::new();
    each_capture(replay, |now, feed_name, url, entries| {
        let feed = feeds
            .entry(feed_name.to_string())
            .or_insert_with(|| FeedState::pending(url, url, feed_name, now));
        ingestor.ingest(feed, &entries, now).expect("ingest");
        for entry in &entries {
            let id = storyd::model::article_id(&feed.id, &entry.key);
            ids.push((feed_name.to_string(), id));
        }
    });
    let mut seen = HashSet::new();
    ids.into_iter()
        .filter(|(_, id)| seen.insert(id.clone()))
        .map(|(feed, id)| {
            let article = store.article(&id).expect("read").expect("stored");
            (feed, article)
        })
        .collect()
}

/// The story holding most of the given articles, how many of them it holds, and the feeds
/// of those.
fn main_story<'a>(articles: &[&'a (String, Article)]) -> (String, usize, HashSet<&'a str>) {
    let mut by_story: BTreeMap<&str, Vec<&(String, Article)>> = BTreeMap::new();
    for a in articles {
        by_story.entry(a.1.story_id.as_str()).or_default().push(a);
    }
    let (story, members) = by_story
        .into_iter()
        .max_by_key(|(_, m)| m.len())
        .expect("some articles");
    let feeds = members.iter().map(|a| a.0.as_str()).collect();
    (story.to_string(), members.len(), feeds)
}

#[test]
fn real_feeds_make_the_stories_the_corpus_names() {
    let Some(replay) = common::shared("feeds/replay/gesab001-headlines") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open store");
    let all = replay_articles(&replay, &store);
    let mentions = |word: &str| -> Vec<&(String, Article)> {
        all.iter().filter(|(_, a)| a.title.contains(word)).collect()
    };
    // The stories the corpus's README names, each reported by several outlets.
    for (word, least, feeds) in [("Amess", 21, 5), ("Shatner", 4, 3), ("Petito", 3, 3)] {
        let found = mentions(word);
        let (_, held, in_feeds) = main_story(&found);
        println!(
            "{word}: {held} of {} in one story, from {in_feeds:?}",
            found.len()
        );
        assert!(
            held >= least && in_feeds.len() >= feeds,
            "{word}: {held} of {} articles in one story, from {in_feeds:?}",
            found.len()
        );
    }
    // A topic is not one story. A feed's backlog, filed after other feeds' newer articles,
    // joined Covid stories days newer than itself as if at the same hour: 35 of the 261
    // articles naming Covid made one story, from 11 feeds in four countries. With that
    // fixed, 14, from 5 feeds: feeds that name Covid in most of their titles glued their
    // daily updates together, until a word a source uses that often weighed little in its
    // own articles (9, from 3 feeds).
    let covid: Vec<_> = all
        .iter()
        .filter(|(_, a)| a.title.to_lowercase().contains("covid"))
        .collect();
    let (_, held, in_feeds) = main_story(&covid);
    println!(
        "covid: {held} of {} in one story, from {} feeds",
        covid.len(),
        in_feeds.len()
    );
    assert!(held <= 12, "{held} Covid articles in one story");
    let (amess, _, _) = main_story(&mentions("Amess"));
    let (shatner, _, _) = main_story(&mentions("Shatner"));
    assert_ne!(amess, shatner);

    // A video channel's footer is cut, and its unrelated videos are not one story; nor are the
    // articles of a paper that opens every lead with the date and time.
    let channels = [
        "straittimes",
        "24oras",
        "abscbnnews",
        "gmanewstv",
        "onenewsnz",
        "aljazeeraenglish",
        "cnntv",
        "foxnewstv",
    ];
    for channel in channels {
        let videos: Vec<&Article> = all
            .iter()
            .filter(|(f, _)| f == channel)
            .map(|(_, a)| a)
            .collect();
        let footers = videos
            .iter()
            .filter(|a| a.summary.contains("Subscribe"))
            .count();
        let mut per_story: HashMap<&str, usize> = HashMap::new();
        for a in &videos {
            *per_story.entry(a.story_id.as_str()).or_default() += 1;
        }
        let most = per_story.values().max().copied().unwrap_or(0);
        println!(
            "{channel}: {} videos, {footers} with a footer, at most {most} in one story",
            videos.len()
        );
        assert!(
            4 * footers < videos.len(),
            "{channel}: {footers} of {} keep a footer",
            videos.len()
        );
        // Before footers and show names were cut, 30 videos of one channel made one story.
        assert!(most <= 6, "{channel}: {most} videos in one story");
    }
}

#[test]
fn in_time_order_a_running_topic_is_not_one_story() {
    let Some(replay) = common::shared("feeds/replay/gesab001-headlines") else {
        return;
    };
    // The corpus's articles as a daemon polling every feed all along would have seen them:
    // each once, in the order they were published (the order `cluster_docs` files them in).
    let mut docs: Vec<LabeledDoc> = Vec::new();
    let mut seen = HashSet::new();
    each_capture(&replay, |_, feed_name, _, entries| {
        for e in entries {
            let id = format!("{feed_name}|{}", e.key);
            if seen.insert(id.clone()) {
                let doc = Doc {
                    id,
                    title: e.title,
                    summary: e.summary,
                    url: e.url,
                    guid: e.guid,
                    source: feed_name.to_string(),
                    published: e.published,
                };
                docs.push(LabeledDoc { doc, event: None });
            }
        }
    });
    let stories = cluster_docs(&docs, &EngineConfig::default());
    let mut covid: HashMap<&str, usize> = HashMap::new();
    for (d, (_, story)) in docs.iter().zip(&stories) {
        if d.doc.title.to_lowercase().contains("covid") {
            *covid.entry(story.as_str()).or_default() += 1;
        }
    }
    let most = covid.values().max().copied().unwrap_or(0);
    println!("covid in time order: at most {most} in one story");
    // New Zealand's daily Covid updates, each a day after the last, chained 29 articles over
    // ten days into one story until a story that has run past its window lost similarity by
    // its age (19: the alert-level change in Northland, over three days).
    assert!(most <= 23, "{most} Covid articles in one story");
}

//! The labeled sets of ../shared/data/clustering through the real ingest path: each article
//! is ingested as its outlet's only new item into a real sled store, in a shuffled order
//! with random times within a day, as `storyd eval --shuffle` streams them. Thousands of
//! joins, merges and splits later, every stored article must sit in the story that the
//! engine's own bookkeeping (`eval::cluster_docs`) says, and the store must pass its
//! invariant check. (A step that both merged and split once left the store disagreeing with
//! the engine, or refused the article outright.) Skips with a message when ../shared is
//! absent.

mod common;

use std::collections::HashMap;

use common::{ingest_doc, story_of};
use storyd::cluster::EngineConfig;
use storyd::eval::{LabeledDoc, cluster_docs, read_jsonl, shuffled};
use storyd::ingest::Ingestor;
use storyd::store::Store;

/// A labeled set, or `None` (with a message) when ../shared is absent.
fn labeled(name: &str) -> Option<Vec<LabeledDoc>> {
    let path = common::shared(&format!("data/clustering/{name}.jsonl"))?;
    Some(read_jsonl(&path).expect("labeled set"))
}

/// Ingests one shuffled order of the set into a fresh store and checks it against the engine.
fn stored_stories_match_the_engine(name: &str, seed: u64) {
    let Some(docs) = labeled(name) else {
        return;
    };
    let mut docs = shuffled(&docs, seed);
    // The engine's clock is the articles' own: both paths take them in time order.
    docs.sort_by_key(|d| d.doc.published);
    let expected = cluster_docs(&docs, &EngineConfig::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let mut ingestor = Ingestor::new(store.clone(), EngineConfig::default());
    let stored: Vec<String> = docs
        .iter()
        .map(|d| ingest_doc(&mut ingestor, &d.doc))
        .collect();
    // Story ids derive from article ids, which the store makes its own (feed and item), so
    // the two must agree on the grouping: each engine story is exactly one stored story.
    let mut pairs: HashMap<&str, String> = HashMap::new();
    let mut back: HashMap<String, &str> = HashMap::new();
    let mut differ = Vec::new();
    for ((id, story), article) in expected.iter().zip(&stored) {
        let got = story_of(&store, article);
        let same = pairs.entry(story).or_insert_with(|| got.clone()) == &got
            && *back.entry(got.clone()).or_insert(story) == story.as_str();
        if !same {
            differ.push(format!("{id}: stored in {got}, engine's story {story}"));
        }
    }
    assert!(
        differ.is_empty(),
        "{name} seed {seed}: {} of {} articles grouped differently, e.g. {:?}",
        differ.len(),
        docs.len(),
        &differ[..differ.len().min(5)]
    );
    let report = store.check().expect("check");
    assert!(
        report.is_sound(),
        "{name} seed {seed}: {:?}",
        report.problems
    );
    assert_eq!(report.articles, docs.len() as u64);
}

#[test]
fn ecbplus_through_the_store_matches_the_engine() {
    for seed in [1, 7, 100] {
        stored_stories_match_the_engine("ecbplus-dev", seed);
    }
}

#[test]
fn uci_through_the_store_matches_the_engine() {
    stored_stories_match_the_engine("uci-day1-dev", 1);
}

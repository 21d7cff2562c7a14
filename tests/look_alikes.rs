//! Look-alike events told apart by their particulars, through the real parts: two trawler
//! rescues off the same harbour on the same day, told in the same words, are ingested into
//! a real sled store. The one thing that tells them apart is how many fishermen were saved
//! (14 in the morning, 6 in the afternoon), and that keeps them in stories of their own.

mod common;

use common::{engine_fixture, ingest_doc, story_of};
use storyd::cluster::EngineConfig;
use storyd::ingest::Ingestor;
use storyd::store::Store;

/// Ingests the background and the rescues with `config`; returns the rescues' stories by
/// fixture id.
fn rescues(config: EngineConfig) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let mut ingestor = Ingestor::new(store.clone(), config);
    for doc in engine_fixture("background.jsonl") {
        ingest_doc(&mut ingestor, &doc);
    }
    engine_fixture("look-alike-rescues.jsonl")
        .into_iter()
        .map(|doc| {
            let id = ingest_doc(&mut ingestor, &doc);
            (doc.id, story_of(&store, &id))
        })
        .collect()
}

fn story<'a>(stories: &'a [(String, String)], id: &str) -> &'a str {
    &stories.iter().find(|(d, _)| d == id).expect("in fixture").1
}

#[test]
fn two_rescues_that_differ_in_their_count_stay_apart() {
    let stories = rescues(EngineConfig::default());
    for (a, b) in [("a1", "a2"), ("a1", "a3"), ("b1", "b2"), ("b1", "b3")] {
        assert_eq!(story(&stories, a), story(&stories, b), "{a} and {b}");
    }
    assert_ne!(story(&stories, "a1"), story(&stories, "b1"), "two rescues");
}

#[test]
fn without_the_count_the_rescues_run_together() {
    let blind = EngineConfig {
        quantity_factor: 1.0,
        ..EngineConfig::default()
    };
    let stories = rescues(blind);
    let joined = ["b1", "b2", "b3"]
        .iter()
        .any(|b| story(&stories, b) == story(&stories, "a1"));
    assert!(joined, "{stories:?}");
}

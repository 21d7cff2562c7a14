//! A story split, through the real parts: two look-alike events (supermarket fires in two
//! towns) and an article mentioning both are ingested into a real sled store by an engine
//! that scores stories by their single closest member, so the bridge chains the second fire
//! onto the first. The split must then move the second fire's stored articles into a story
//! of their own, keep the store sound, show in the metrics, and survive a restart: a later
//! report of the second fire joins its own story, not the first.

mod common;

use std::collections::HashMap;
use std::path::Path;

use chrono::TimeDelta;
use common::{engine_fixture, ingest_doc, story_of};
use storyd::cluster::{Doc, EngineConfig};
use storyd::ingest::Ingestor;
use storyd::metrics::Metrics;
use storyd::store::Store;

/// The engine setting that lets one bridge chain two events (see the module docs).
fn chaining() -> EngineConfig {
    EngineConfig {
        top_k: 1,
        ..EngineConfig::default()
    }
}

/// Ingests the unrelated background articles, then the fires; returns the fires and their
/// article ids.
fn ingest_all(ingestor: &mut Ingestor) -> (Vec<Doc>, HashMap<String, String>) {
    for doc in engine_fixture("background.jsonl") {
        ingest_doc(ingestor, &doc);
    }
    let fires = engine_fixture("look-alike-fires.jsonl");
    let ids = fires
        .iter()
        .map(|d| (d.id.clone(), ingest_doc(ingestor, d)))
        .collect();
    (fires, ids)
}

fn assert_sound(dir: &Path) {
    let store = Store::open(dir).expect("open");
    let report = store.check().expect("check");
    assert!(report.is_sound(), "{report:?}");
}

#[test]
fn without_splits_the_bridge_chains_the_two_fires() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let never_split = EngineConfig {
        split_factor: 0.0,
        short_split_factor: 0.0,
        ..chaining()
    };
    let mut ingestor = Ingestor::new(store.clone(), never_split);
    let (_, ids) = ingest_all(&mut ingestor);
    assert_eq!(story_of(&store, &ids["a1"]), story_of(&store, &ids["b4"]));
}

#[test]
fn a_split_moves_stored_articles_and_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics = Metrics::new();
    let (fires, ids) = {
        let store = Store::open(dir.path()).expect("open");
        let mut ingestor = Ingestor::new(store.clone(), chaining()).with_metrics(metrics.clone());
        let (fires, ids) = ingest_all(&mut ingestor);
        let banstead = story_of(&store, &ids["a1"]);
        let wellington = story_of(&store, &ids["b1"]);
        assert_ne!(banstead, wellington, "the second fire was split out");
        for doc in &fires {
            let expected = match doc.id.as_bytes()[0] {
                b'a' => &banstead,
                b'b' => &wellington,
                _ => continue,
            };
            assert_eq!(&story_of(&store, &ids[&doc.id]), expected, "{}", doc.id);
        }
        let split = store.story(&wellington).expect("read").expect("live");
        assert_eq!(split.id, wellington);
        assert_eq!(
            split.article_count as usize,
            store.story_articles(&wellington).expect("list").len()
        );
        let rendered = metrics.render();
        assert!(
            rendered.contains("storyd_story_splits_total 1"),
            "{rendered}"
        );
        store.flush().expect("flush");
        (fires, ids)
    };
    assert_sound(dir.path());

    // A restart rebuilds the window from the store; the next Wellington report joins the
    // Wellington story.
    let store = Store::open(dir.path()).expect("reopen");
    let mut ingestor = Ingestor::new(store.clone(), chaining());
    let first = fires.iter().map(|d| d.published).min().expect("fires");
    ingestor
        .restore(first - TimeDelta::days(1))
        .expect("restore");
    let last = fires.iter().map(|d| d.published).max().expect("fires");
    let later = Doc {
        id: "b5".into(),
        title: "Wellington supermarket to stay shut after Sunday fire".into(),
        summary: "The Wellington supermarket in Somerset will stay closed for weeks after \
                  Sunday's fire; Devon and Somerset crews said the bakery and warehouse were \
                  lost and an electrical fault in the wiring is suspected. The town centre \
                  reopened on Monday."
            .into(),
        url: Some("https://regionaldesk.example/b5".into()),
        guid: None,
        source: "regionaldesk".into(),
        published: last + TimeDelta::minutes(10),
    };
    let b5 = ingest_doc(&mut ingestor, &later);
    assert_eq!(story_of(&store, &b5), story_of(&store, &ids["b1"]));
    store.flush().expect("flush");
    drop(ingestor);
    drop(store);
    assert_sound(dir.path());
}

//! A story split, through the real parts: two look-alike events (supermarket fires in two
//! towns) and an article mentioning both are ingested into a real sled store by an engine
//! that scores stories by their single closest member, so the bridge chains the second fire
//! onto the first. The split must then move the second fire's stored articles into a story
//! of their own, keep the store sound, show in the metrics, and survive a restart: a later
//! report of the second fire joins its own story, not the first.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, TimeDelta};
use serde::Deserialize;
use storyd::cluster::EngineConfig;
use storyd::ingest::Ingestor;
use storyd::metrics::Metrics;
use storyd::model::{Entry, FeedState, Time, article_id};
use storyd::store::Store;

/// One line of `tests/fixtures/look-alike-fires.jsonl`.
#[derive(Deserialize)]
struct Line {
    id: String,
    source: String,
    minutes: i64,
    title: String,
    summary: String,
}

fn at(minutes: i64) -> Time {
    DateTime::UNIX_EPOCH + TimeDelta::days(20_000) + TimeDelta::minutes(minutes)
}

/// The lines of a JSON Lines fixture.
fn lines(text: &str) -> Vec<Line> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("fixture line"))
        .collect()
}

/// The engine setting that lets one bridge chain two events (see the module docs).
fn chaining() -> EngineConfig {
    EngineConfig {
        top_k: 1,
        ..EngineConfig::default()
    }
}

/// Ingests one article as the only new item of its outlet's feed; returns its article id.
fn ingest(ingestor: &mut Ingestor, line: &Line) -> String {
    let url = format!("https://{}.example/feed.xml", line.source);
    let mut feed = FeedState::pending(&url, &url, &line.source, at(0));
    let entry = Entry {
        key: line.id.clone(),
        guid: None,
        title: line.title.clone(),
        summary: line.summary.clone(),
        url: Some(format!("https://{}.example/{}", line.source, line.id)),
        published: at(line.minutes),
    };
    let report = ingestor
        .ingest(&mut feed, &[entry], at(line.minutes))
        .expect("ingest");
    assert_eq!(report.new_articles, 1);
    article_id(&feed.id, &line.id)
}

fn story_of(store: &Store, article: &str) -> String {
    store
        .article(article)
        .expect("read")
        .expect("stored")
        .story_id
}

fn assert_sound(dir: &Path) {
    let store = Store::open(dir).expect("open");
    let report = store.check().expect("check");
    assert!(report.is_sound(), "{report:?}");
}

/// Ingests the unrelated background articles, then the fires; returns the fires' lines and
/// article ids.
fn ingest_all(ingestor: &mut Ingestor) -> (Vec<Line>, HashMap<String, String>) {
    for line in lines(include_str!("fixtures/background.jsonl")) {
        ingest(ingestor, &line);
    }
    let fires = lines(include_str!("fixtures/look-alike-fires.jsonl"));
    let ids = fires
        .iter()
        .map(|l| (l.id.clone(), ingest(ingestor, l)))
        .collect();
    (fires, ids)
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
    let ids = {
        let store = Store::open(dir.path()).expect("open");
        let mut ingestor = Ingestor::new(store.clone(), chaining()).with_metrics(metrics.clone());
        let (lines, ids) = ingest_all(&mut ingestor);
        let (bridge_and_second, first): (Vec<&Line>, Vec<&Line>) =
            lines.iter().partition(|l| !l.id.starts_with('a'));
        let banstead = story_of(&store, &ids["a1"]);
        let wellington = story_of(&store, &ids["b1"]);
        assert_ne!(banstead, wellington, "the second fire was split out");
        for line in &first {
            assert_eq!(story_of(&store, &ids[&line.id]), banstead, "{}", line.id);
        }
        for line in bridge_and_second.iter().filter(|l| l.id.starts_with('b')) {
            assert_eq!(story_of(&store, &ids[&line.id]), wellington, "{}", line.id);
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
        ids
    };
    assert_sound(dir.path());

    // A restart rebuilds the window from the store; the next Wellington report joins the
    // Wellington story.
    let store = Store::open(dir.path()).expect("reopen");
    let mut ingestor = Ingestor::new(store.clone(), chaining());
    ingestor.restore(at(0)).expect("restore");
    let later = Line {
        id: "b5".into(),
        source: "regionaldesk".into(),
        minutes: 40,
        title: "Wellington supermarket to stay shut after Sunday fire".into(),
        summary: "The Wellington supermarket in Somerset will stay closed for weeks after \
                  Sunday's fire; Devon and Somerset crews said the bakery and warehouse were \
                  lost and an electrical fault in the wiring is suspected. The town centre \
                  reopened on Monday."
            .into(),
    };
    let b5 = ingest(&mut ingestor, &later);
    assert_eq!(story_of(&store, &b5), story_of(&store, &ids["b1"]));
    store.flush().expect("flush");
    drop(ingestor);
    drop(store);
    assert_sound(dir.path());
}

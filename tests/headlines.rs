//! Headlines through the real parts, articles ingested into a real sled store: a headline
//! without a lead that shares no word with its story still joins it through its URL's slug
//! (the editor's restatement of the headline), both when filed and after a restart rebuilds
//! the engine's window from the store; and a story's headline changes only when a more
//! representative article arrives, a restart included.

mod common;

use chrono::TimeDelta;
use common::{engine_fixture, ingest_doc, story_of};
use storyd::cluster::{Doc, EngineConfig};
use storyd::ingest::Ingestor;
use storyd::store::Store;

/// Ingests the background and the weddings (without their URLs when `urls` is off);
/// returns the weddings' stories by fixture id.
fn weddings(store: &Store, urls: bool) -> Vec<(String, String)> {
    let mut ingestor = Ingestor::new(store.clone(), EngineConfig::default());
    for doc in engine_fixture("background.jsonl") {
        ingest_doc(&mut ingestor, &doc);
    }
    engine_fixture("headline-weddings.jsonl")
        .into_iter()
        .map(|mut doc| {
            if !urls {
                doc.url = None;
            }
            let id = ingest_doc(&mut ingestor, &doc);
            (doc.id, story_of(store, &id))
        })
        .collect()
}

/// The time `after` the reports' epoch.
fn report_time(after: TimeDelta) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::UNIX_EPOCH + TimeDelta::days(20_000) + after
}

/// A report with a title and a lead from `source`, `after` the reports' epoch.
fn report(id: &str, source: &str, after: TimeDelta, title: &str, lead: &str) -> Doc {
    Doc {
        id: id.into(),
        title: title.into(),
        summary: lead.into(),
        url: Some(format!("https://{source}.example/{id}")),
        guid: None,
        source: source.into(),
        published: report_time(after),
    }
}

fn story<'a>(stories: &'a [(String, String)], id: &str) -> &'a str {
    &stories.iter().find(|(d, _)| d == id).expect("in fixture").1
}

#[test]
fn a_headline_with_no_word_in_common_joins_its_story_through_its_slug() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let stories = weddings(&store, true);
    for id in ["v2", "v3", "v4"] {
        assert_eq!(story(&stories, id), story(&stories, "v1"), "{id}");
    }
    assert_eq!(story(&stories, "d2"), story(&stories, "d1"));
    assert_ne!(story(&stories, "v1"), story(&stories, "d1"), "two weddings");

    // Without URLs the teaser headline has nothing to go on.
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let stories = weddings(&store, false);
    assert_ne!(story(&stories, "v4"), story(&stories, "v1"));
}

#[test]
fn after_a_restart_a_slug_still_finds_its_story() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (varga, last) = {
        let store = Store::open(dir.path()).expect("open");
        let stories = weddings(&store, true);
        store.flush().expect("flush");
        let last = engine_fixture("headline-weddings.jsonl")
            .iter()
            .map(|d| d.published)
            .max()
            .expect("fixture");
        (story(&stories, "v1").to_owned(), last)
    };
    let store = Store::open(dir.path()).expect("reopen");
    let mut ingestor = Ingestor::new(store.clone(), EngineConfig::default());
    ingestor
        .restore(last - TimeDelta::days(2))
        .expect("restore");
    let teaser = Doc {
        id: "v5".into(),
        title: "The photos everyone is talking about".into(),
        summary: String::new(),
        url: Some("https://teasers.example/2014/03/11/lena-varga-tom-reyes-wedding-photos".into()),
        guid: None,
        source: "teasers".into(),
        published: last + TimeDelta::minutes(30),
    };
    let v5 = ingest_doc(&mut ingestor, &teaser);
    assert_eq!(story_of(&store, &v5), varga);
}

#[test]
fn a_story_founded_by_a_dateline_is_headed_by_the_first_real_title() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let mut ingestor = Ingestor::new(store.clone(), EngineConfig::default());
    let doc = |id: &str, source: &str, minutes: i64, title: &str, lead: &str| {
        report(id, source, TimeDelta::minutes(minutes), title, lead)
    };
    let founder = ingest_doc(
        &mut ingestor,
        &doc(
            "d1",
            "wire",
            0,
            "27 NOVEMBER, 2005",
            "A strong earthquake shook the island of Qeshm off southern Iran on Sunday, \
             injuring five villagers and damaging homes, state media said.",
        ),
    );
    let titled = ingest_doc(
        &mut ingestor,
        &doc(
            "d2",
            "daily",
            5,
            "Quake shakes Qeshm island off southern Iran, five villagers hurt",
            "Five villagers were hurt when an earthquake shook Qeshm island in southern \
             Iran, damaging homes, according to state media.",
        ),
    );
    let later = ingest_doc(
        &mut ingestor,
        &doc(
            "d3",
            "herald",
            10,
            "Sunday, November 27, 2005, 14:05 GMT",
            "Homes were damaged and five people injured on Qeshm island in southern Iran \
             when the earthquake struck, state media reported.",
        ),
    );
    let story_id = story_of(&store, &founder);
    assert_eq!(story_of(&store, &titled), story_id);
    assert_eq!(story_of(&store, &later), story_id);
    let story = store.story(&story_id).expect("read").expect("stored");
    assert_eq!(
        story.headline,
        "Quake shakes Qeshm island off southern Iran, five villagers hurt"
    );
}

#[test]
fn a_later_report_heads_its_story_only_when_it_represents_it_better() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let mut ingestor = Ingestor::new(store.clone(), EngineConfig::default());
    for doc in engine_fixture("background.jsonl") {
        ingest_doc(&mut ingestor, &doc);
    }
    let doc = |id: &str, source: &str, hours: i64, title: &str, lead: &str| {
        report(id, source, TimeDelta::hours(hours), title, lead)
    };
    let headline = |article: &str| {
        let story = store.story(&story_of(&store, article)).expect("read");
        story.expect("stored").headline
    };
    let first = "Velmora harbour bridge closed after engineers find cracks in main span";
    let a1 = ingest_doc(
        &mut ingestor,
        &doc(
            "b1",
            "coast-news",
            0,
            first,
            "Engineers found cracks in the main span of the Velmora harbour bridge, which \
             was closed to all traffic while inspectors assess the damage.",
        ),
    );
    // As close to the first as the first is to it, and half a day newer: in a centroid
    // where the first has decayed, it would have stood closer by its own weight.
    let a2 = ingest_doc(
        &mut ingestor,
        &doc(
            "b2",
            "daily-post",
            12,
            "Cracks shut Velmora harbour bridge as inspectors assess damage",
            "The Velmora harbour bridge stays closed after engineers found cracks in its \
             main span; ferries run extra crossings while inspectors assess the damage.",
        ),
    );
    assert_eq!(story_of(&store, &a2), story_of(&store, &a1));
    assert_eq!(headline(&a2), first, "no better than the headline");
    // A report that says what every other report says heads the story once it arrives.
    let summary = "Velmora harbour bridge stays closed: engineers find cracks in main span, \
                   ferries add crossings";
    let a3 = ingest_doc(
        &mut ingestor,
        &doc(
            "b3",
            "evening-star",
            24,
            summary,
            "Engineers found cracks in the main span of the Velmora harbour bridge, which \
             stays closed to traffic while inspectors assess the damage; ferries run extra \
             crossings.",
        ),
    );
    assert_eq!(story_of(&store, &a3), story_of(&store, &a1));
    assert_eq!(headline(&a3), summary, "more representative");

    // After a restart that puts back the last two reports alone, the story is still headed
    // by the one the store says, not by the first put back; a later report that is no
    // better leaves it so.
    let mut ingestor = Ingestor::new(store.clone(), EngineConfig::default());
    ingestor
        .restore(report_time(TimeDelta::hours(6)))
        .expect("restore");
    let a4 = ingest_doc(
        &mut ingestor,
        &doc(
            "b4",
            "harbour-radio",
            30,
            "Ferries add crossings during Velmora bridge closure",
            "Ferry operators have added crossings of the harbour while the Velmora bridge \
             is closed.",
        ),
    );
    assert_eq!(story_of(&store, &a4), story_of(&store, &a1));
    assert_eq!(headline(&a4), summary, "kept across the restart");
}

//! Whole-engine tests: articles in, stories out, through the public `Engine` only.

use super::{Assignment, Doc, Engine, EngineConfig, Split};
use crate::model::MatchKind;
use chrono::{DateTime, TimeDelta};
use std::collections::HashMap;

/// An article `minutes` after the test epoch, from `source`.
fn doc(id: &str, source: &str, minutes: i64, title: &str, summary: &str) -> Doc {
    Doc {
        id: id.into(),
        title: title.into(),
        summary: summary.into(),
        url: Some(format!("https://{source}.example/{id}")),
        guid: None,
        source: source.into(),
        published: DateTime::UNIX_EPOCH + TimeDelta::days(19_000) + TimeDelta::minutes(minutes),
    }
}

/// Background articles about unrelated things, so that document frequencies mean something.
fn background() -> Vec<Doc> {
    fixture("background.jsonl")
}

/// The articles of a fixture in `tests/fixtures/` (articles as JSON Lines, as `storyd eval`
/// reads them; shared with `tests/split.rs`).
fn fixture(name: &str) -> Vec<Doc> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    crate::eval::read_jsonl(&path)
        .expect("fixture")
        .into_iter()
        .map(|l| l.doc)
        .collect()
}

/// Streams the docs and returns each article's final story (merges followed).
fn run(docs: &[Doc]) -> (HashMap<String, String>, Vec<MatchKind>) {
    let (story, kinds, _) = run_with(docs, EngineConfig::default());
    (story, kinds)
}

/// Streams the docs through an engine with `config`; returns each article's final story
/// (merges and splits followed), the match kinds, and every split.
fn run_with(
    docs: &[Doc],
    config: EngineConfig,
) -> (HashMap<String, String>, Vec<MatchKind>, Vec<Split>) {
    let mut engine = Engine::new(config);
    let mut story: HashMap<String, String> = HashMap::new();
    let mut kinds = Vec::new();
    let mut splits = Vec::new();
    for d in docs {
        let a = engine.add(d);
        // Merges come first, into the story the step's splits then leave.
        for gone in &a.merged {
            for s in story.values_mut() {
                if s == gone {
                    *s = a.merged_into().to_string();
                }
            }
        }
        for split in &a.splits {
            for moved in &split.articles {
                assert_eq!(
                    story[moved], split.from,
                    "only the split story's articles move"
                );
                story.insert(moved.clone(), split.to.clone());
            }
        }
        story.insert(d.id.clone(), a.story_id);
        kinds.push(a.match_kind);
        splits.extend(a.splits);
    }
    (story, kinds, splits)
}

#[test]
fn summit_coverage_forms_one_story_apart_from_another_summit() {
    let mut docs = background();
    docs.extend([
        doc("s1", "northwire", 10,
            "Geneva summit ends without ceasefire deal",
            "Talks between the two foreign ministers in Geneva broke up on Sunday without agreement on a ceasefire, officials said."),
        doc("s2", "dailypost", 14,
            "No ceasefire agreement as Geneva talks collapse",
            "The Geneva summit closed without a ceasefire after two days of talks, with both delegations blaming each other."),
        doc("s3", "eveningstar", 20,
            "Ministers leave Geneva summit with no truce",
            "Foreign ministers left the Geneva summit on Sunday with no ceasefire deal and no date for new talks."),
        doc("s4", "morningherald", 31,
            "Geneva ceasefire talks fail after two days",
            "Two days of talks in Geneva ended without a ceasefire deal, the foreign ministers said on Sunday."),
        // Reactions from other capitals to the same failed talks.
        doc("r1", "capitalnews", 40,
            "Berlin and Paris voice regret after Geneva talks end without ceasefire",
            "Germany and France said they regretted that the Geneva summit ended without a ceasefire deal and urged new talks."),
        doc("r2", "worlddesk", 52,
            "Tokyo urges return to talks after Geneva summit fails to agree ceasefire",
            "Japan called on both sides to return to talks after the Geneva summit ended without a ceasefire on Sunday."),
        // A different summit: another city, another subject.
        doc("o1", "northwire", 15,
            "Climate summit in Nairobi agrees on forest fund",
            "Environment ministers meeting in Nairobi agreed to set up a fund to protect tropical forests."),
        doc("o2", "dailypost", 25,
            "Nairobi climate summit backs new fund for forests",
            "Delegates at the Nairobi climate summit backed a fund for tropical forests on Saturday."),
    ]);
    let (story, _) = run(&docs);
    let summit = &story["s1"];
    for id in ["s2", "s3", "s4", "r1", "r2"] {
        assert_eq!(&story[id], summit, "{id} should join the Geneva story");
    }
    assert_eq!(story["o1"], story["o2"], "the Nairobi summit is one story");
    assert_ne!(&story["o1"], summit, "the Nairobi summit is another story");
    for i in 0..6 {
        let id = format!("bg{i}");
        assert_ne!(&story[&id], summit, "{id} is unrelated");
    }
}

/// A strike at a harbour, a mayor's budget, and a strike report whose only name is the
/// mayor's, urging talks in its last sentence.
fn strike_and_budget() -> Vec<Doc> {
    let mut docs = background();
    docs.extend([
        doc("h1", "northwire", 10,
            "Dockworkers walk out at Varna harbour over pay",
            "Hundreds of dockworkers stopped loading ships at Varna harbour on Monday, demanding a wage rise after two years of frozen pay."),
        doc("h2", "dailypost", 20,
            "Strike halts cargo at Varna harbour",
            "Cargo ships queued outside Varna harbour as striking dockworkers kept the cranes idle for a second day over wages."),
        doc("h3", "eveningstar", 30,
            "Varna dockworkers reject wage offer, strike goes on",
            "Striking dockworkers at Varna harbour turned down a pay offer from the port operator and said the walkout would continue."),
        doc("m1", "capitalnews", 40,
            "Mayor Ilse Brandt unveils city budget with new tram line",
            "Mayor Ilse Brandt presented a budget that funds a new tram line and more school places, and promised no rise in council tax."),
        doc("m2", "worlddesk", 50,
            "Ilse Brandt budget puts tram line first",
            "The budget of Mayor Ilse Brandt sets aside money for a tram line across the city and for new school places."),
        doc("x1", "morningherald", 60,
            "Harbour strike drags on as dockworkers hold out for wages",
            "Cranes stayed idle for a fourth day as the walkout went on. Mayor Ilse Brandt urged talks."),
    ]);
    docs
}

#[test]
fn one_shared_name_does_not_carry_an_article_into_a_story_about_something_else() {
    let (story, _, _) = run_with(&strike_and_budget(), EngineConfig::default());
    assert_eq!(
        story["x1"], story["h1"],
        "the strike report joins the strike"
    );
    assert_ne!(
        story["h1"], story["m1"],
        "the strike and the budget stay apart"
    );
    // Scoring the budget story too, whose centroid is far off, lets the mayor's name carry
    // the strike report into it.
    let every = EngineConfig {
        runner_up_share: 0.0,
        ..EngineConfig::default()
    };
    let (story, _, _) = run_with(&strike_and_budget(), every);
    assert_eq!(story["x1"], story["m1"]);
}

#[test]
fn one_word_in_common_is_no_story_unless_it_is_a_name() {
    let mut docs = background();
    docs.extend([
        doc(
            "d1",
            "northwire",
            10,
            "Schools wait for reading books as deliveries run late",
            "",
        ),
        doc(
            "d2",
            "dailypost",
            20,
            "Delivery rider hurt in crash with electric bike",
            "",
        ),
        doc(
            "n1",
            "eveningstar",
            30,
            "Storm leaves 84 homes without power",
            "",
        ),
        doc(
            "n2",
            "capitalnews",
            40,
            "Veteran stage actor dies at 84",
            "",
        ),
        doc(
            "z1",
            "worlddesk",
            50,
            "Hands-on with Zorblax, the new console shooter",
            "",
        ),
        doc(
            "z2",
            "morningherald",
            60,
            "Long queues as Zorblax servers strain on launch day",
            "",
        ),
        doc(
            "k1",
            "worlddesk",
            70,
            "Kestrel Airlines to end its ticketing deal with Sundial Air",
            "",
        ),
        doc(
            "k2",
            "capitalnews",
            80,
            "Profit falls at Kestrel Outfitters on weaker winter sales",
            "",
        ),
    ]);
    let (story, _) = run(&docs);
    assert_ne!(story["d2"], story["d1"], "a common word is chance");
    assert_ne!(story["n2"], story["n1"], "so is a number");
    assert_eq!(story["z2"], story["z1"], "a name is one thing");
    assert_ne!(
        story["k2"], story["k1"],
        "a word of two names is two things"
    );
}

#[test]
fn look_alike_events_stay_apart() {
    let mut docs = background();
    docs.extend([
        doc("a1", "northwire", 10,
            "Strong earthquake hits northern Chile, tsunami warning issued",
            "A magnitude 6.1 earthquake struck off the coast near Iquique, and the navy issued a tsunami warning for the northern coast."),
        doc("a2", "dailypost", 12,
            "Chile lifts tsunami warning after Iquique quake",
            "Authorities in Chile lifted the tsunami warning hours after the 6.1 quake near Iquique; residents returned home."),
        doc("b1", "eveningstar", 20,
            "Earthquake on Sulawesi kills three, buildings collapse",
            "At least three people died when a magnitude 5.4 earthquake shook central Sulawesi in Indonesia and several houses collapsed."),
        doc("b2", "morningherald", 25,
            "Indonesia searches rubble after deadly Sulawesi earthquake",
            "Rescuers in Indonesia searched collapsed houses in Sulawesi after the 5.4 earthquake that killed three people."),
        // Two actors entering rehab the same week.
        doc("c1", "showbiz", 30,
            "Actress Mara Quill checks into rehab",
            "Mara Quill, star of the crime drama Harbour Lights, has checked into a rehabilitation clinic in Malibu, her publicist said on Tuesday."),
        doc("c2", "celebdaily", 33,
            "Mara Quill enters Malibu rehab clinic",
            "Harbour Lights actress Mara Quill entered a Malibu rehabilitation facility this week, according to her publicist."),
        doc("d1", "showbiz", 36,
            "Singer Toby Renn enters rehab after tour cancelled",
            "Pop singer Toby Renn has entered a rehabilitation centre in Arizona after cancelling the rest of his European tour, his manager said."),
        doc("d2", "celebdaily", 39,
            "Toby Renn cancels tour, checks into Arizona rehab",
            "Toby Renn called off his European tour and checked into a rehab centre in Arizona, his manager confirmed on Wednesday."),
    ]);
    let (story, _) = run(&docs);
    assert_eq!(story["a1"], story["a2"]);
    assert_eq!(story["b1"], story["b2"]);
    assert_ne!(story["a1"], story["b1"]);
    assert_eq!(story["c1"], story["c2"]);
    assert_eq!(story["d1"], story["d2"]);
    assert_ne!(story["c1"], story["d1"]);
}

/// Two castings of one role, the eleventh and the twelfth to play it. The twelfth's first
/// report names the show's words and the one it replaces, enough to join the eleventh's story
/// on its words alone (it does when ordinals spelled out count nothing); that it counts
/// another captain keeps it out, and the reports after it follow it.
#[test]
fn the_eleventh_and_the_twelfth_of_a_role_are_two_stories() {
    let mut docs = background();
    docs.extend([
        doc("e1", "northwire", 10,
            "Owen Pryce named eleventh captain of Starlight Voyager",
            "The broadcaster named Owen Pryce as the eleventh captain of Starlight Voyager, the long-running space drama, on Saturday."),
        doc("e2", "showbiz", 14,
            "Starlight Voyager picks Owen Pryce as eleventh captain",
            "Little-known actor Owen Pryce will play the eleventh captain when Starlight Voyager returns, the broadcaster said."),
        doc("e3", "celebdaily", 18,
            "Who is Owen Pryce, the eleventh Starlight Voyager captain?",
            "Fans of the space drama asked who Owen Pryce is after he was unveiled as the eleventh captain of Starlight Voyager."),
        doc("t1", "dailypost", 40,
            "Dana Hale to play the twelfth captain",
            "Stage veteran Dana Hale will take the helm as the twelfth captain of the space drama, succeeding Owen Pryce next spring."),
        doc("t2", "eveningstar", 44,
            "Starlight Voyager casts Dana Hale as its twelfth captain",
            "Dana Hale, best known for theatre work in Leeds, becomes the twelfth captain of the series after Owen Pryce steps down."),
        doc("t3", "morningherald", 48,
            "Dana Hale unveiled as twelfth Starlight Voyager captain",
            "Producers unveiled Dana Hale as the twelfth captain in a live broadcast; Owen Pryce leaves at the end of this series."),
    ]);
    let (story, _) = run(&docs);
    assert_eq!(story["e1"], story["e2"]);
    assert_eq!(story["e1"], story["e3"]);
    assert_eq!(story["t1"], story["t2"]);
    assert_eq!(story["t1"], story["t3"]);
    assert_ne!(story["e1"], story["t1"], "the eleventh is not the twelfth");
}

/// A toll spelled out is a count, as one in digits is: a later report of a quake on the
/// same island that counts twelve people scores lower against a story that counts five than
/// the same report counting twelve residents (nothing counted in common), though "people"
/// is a word the story shares. Without spelled counts the order is the other way round
/// (checked).
#[test]
fn a_toll_spelled_out_is_a_count() {
    let score = |toll: &str| {
        let mut docs = background();
        docs.extend([
            doc("f1", "northwire", 10,
                "Quake shakes Varno island, five people hurt",
                "An earthquake shook Varno island off the southern coast on Sunday, injuring five people and damaging dozens of homes, officials said."),
            doc("f2", "coastdaily", 14,
                "Five hurt as earthquake hits Varno island",
                "Five people were hurt when a strong earthquake hit Varno island on Sunday, officials said, and dozens of homes were damaged."),
        ]);
        let lead = format!(
            "A strong earthquake hit Varno island off the southern coast, killing {toll} and damaging dozens of homes, officials said."
        );
        docs.push(doc(
            "w1",
            "dailypost",
            40,
            "Earthquake on Varno island",
            &lead,
        ));
        let mut engine = Engine::new(EngineConfig::default());
        let decided: Vec<Assignment> = docs.iter().map(|d| engine.add(d)).collect();
        let (story, last) = (
            &decided[decided.len() - 3].story_id,
            &decided[decided.len() - 1],
        );
        assert_eq!(
            (&last.story_id, last.match_kind),
            (story, MatchKind::Similar),
            "{toll}"
        );
        last.score
    };
    let (other, uncounted, same) = (
        score("twelve people"),
        score("twelve residents"),
        score("five people"),
    );
    assert!(
        other < uncounted && uncounted < same,
        "{other} {uncounted} {same}"
    );
}

/// Two look-alike events (supermarket fires in two towns, a week apart) and one article
/// that mentions both, in the order that lets the bridge pull the second into the first.
fn look_alike_fires() -> Vec<Doc> {
    fixture("look-alike-fires.jsonl")
}

#[test]
fn a_bridge_between_look_alike_events_is_split_apart() {
    let mut docs = background();
    docs.extend(look_alike_fires());
    // Scored by its single closest member, the engine chains the second fire onto the first
    // through the bridge ...
    let chaining = EngineConfig {
        top_k: 1,
        ..EngineConfig::default()
    };
    let never_split = EngineConfig {
        split_factor: 0.0,
        short_split_factor: 0.0,
        ..chaining.clone()
    };
    let (story, _, splits) = run_with(&docs, never_split);
    assert!(splits.is_empty());
    assert_eq!(
        story["a1"], story["b4"],
        "without splits the two fires chain"
    );
    // ... and average link over the members pulls them apart again.
    let (story, _, splits) = run_with(&docs, chaining);
    for id in ["a2", "a3", "a4"] {
        assert_eq!(story[id], story["a1"], "{id} stays with the Banstead fire");
    }
    for id in ["b2", "b3", "b4"] {
        assert_eq!(story[id], story["b1"], "{id} is with the Wellington fire");
    }
    assert_ne!(story["a1"], story["b1"]);
    assert_eq!(splits.len(), 1, "{splits:?}");
    assert_eq!(splits[0].from, story["a1"]);
    assert!(!splits[0].articles.is_empty());
}

#[test]
fn duplicates_are_recorded_by_layer() {
    let text = "Officials said the summit ended late on Sunday without a ceasefire deal after two days of talks in the capital, and no new date was set.";
    let mut docs = background();
    let mut exact = doc("e1", "northwire", 10, "Summit ends without deal", text);
    exact.guid = Some("wire-123".into());
    let mut again = doc("e2", "mirror", 11, "Summit ends without deal", text);
    again.guid = Some("wire-123".into());
    let near = doc(
        "n1",
        "syndicator",
        12,
        "Summit ends without a deal",
        "Officials said the summit ended late on Sunday without a ceasefire deal after two days of talks in the capital.",
    );
    docs.extend([exact, again, near]);
    let (story, kinds) = run(&docs);
    let n = kinds.len();
    assert_eq!(
        kinds[n - 3..],
        [MatchKind::New, MatchKind::Exact, MatchKind::NearDuplicate]
    );
    assert_eq!(story["e1"], story["e2"]);
    assert_eq!(story["e1"], story["n1"]);
}

#[test]
fn an_edited_copy_is_recorded_as_a_near_duplicate_of_its_original() {
    let original = "Dock workers at the northern harbour walked out on Monday after talks on a new pay deal broke down late on Sunday, leaving cranes idle and more than a dozen container ships waiting at anchor outside the breakwater. The union said the strike would last until the port authority returned with a better offer, while the authority said it had already offered the largest rise in a decade and accused the union of holding the region's exporters to ransom.";
    // A copier's rewrite: eight words changed here and there, a headline of its own.
    let edited = "Dock workers at the northern port walked out on Monday after negotiations on a new pay deal broke down late on Sunday, leaving cranes idle and more than twelve container ships waiting at anchor beyond the breakwater. The union said the stoppage would last until the port authority came back with a better offer, while the authority said it had already offered the biggest rise in a decade and accused the union of holding the area's exporters to ransom.";
    let mut engine = Engine::new(EngineConfig::default());
    for d in background() {
        engine.add(&d);
    }
    let first = doc(
        "o1",
        "harbourwire",
        10,
        "Harbour cranes idle as dock workers strike",
        original,
    );
    let story = engine.add(&first).story_id;
    let copy = engine.add(&doc(
        "c1",
        "coastpost",
        40,
        "Port strike leaves ships at anchor",
        edited,
    ));
    assert_eq!(copy.story_id, story);
    assert_eq!(copy.match_kind, MatchKind::NearDuplicate);
    assert_eq!(copy.duplicate_of.as_deref(), Some("o1"));
    // Too edited for the layer that files copies with their originals: it joined on its
    // own merit, and is shown as the copy it is.
    assert!((0.5..0.8).contains(&copy.score), "{}", copy.score);

    // What one outlet's own articles share is its own: not a copy, however long.
    let own = "Dock workers at the northern harbour stopped work on Monday after talks on a new pay offer broke down late on Sunday, leaving cranes still and more than a dozen container ships waiting at anchor outside the harbour wall. The union said the strike would last until the port authority returned with a fairer offer, while the authority said it had already offered the largest rise in ten years and accused the union of holding the region's farmers to ransom.";
    let again = engine.add(&doc("o2", "harbourwire", 45, "Dock strike goes on", own));
    assert_eq!(again.story_id, story);
    assert_eq!(again.match_kind, MatchKind::Similar);

    // Two outlets' headlines with a phrase in common are no copies of each other.
    let h1 = doc(
        "h1",
        "quaynews",
        50,
        "Dock workers strike at northern harbour over pay",
        "",
    );
    let h2 = doc(
        "h2",
        "baytimes",
        51,
        "Dock workers strike at northern harbour as talks fail",
        "",
    );
    engine.add(&h1);
    let second = engine.add(&h2);
    assert_eq!(second.story_id, story);
    assert_eq!(second.match_kind, MatchKind::Similar);
}

#[test]
fn same_input_same_stories() {
    let docs = background();
    assert_eq!(run(&docs), run(&docs));
}

#[test]
fn quiet_stories_leave_the_window() {
    let mut engine = Engine::new(EngineConfig::default());
    for d in background() {
        engine.add(&d);
    }
    assert_eq!(engine.active_stories(), 6);
    let later = doc(
        "late",
        "wire",
        10 * 24 * 60,
        "Volcano erupts on remote island",
        "",
    );
    engine.add(&later);
    assert_eq!(engine.active_stories(), 1);
}

/// Ten days of market closes: the same template words every day, a different cause each.
#[test]
fn a_recurring_topic_does_not_become_one_story() {
    let causes = [
        (
            "oil prices slump",
            "crude fell five percent after OPEC output news",
        ),
        (
            "bank earnings beat forecasts",
            "JPMorgan and Citigroup reported strong quarterly profits",
        ),
        (
            "inflation data cools",
            "consumer prices rose less than economists expected in March",
        ),
        (
            "tech shares rally",
            "Apple and Nvidia led a broad rebound in chipmakers",
        ),
        (
            "jobs report disappoints",
            "employers added fewer workers than forecast last month",
        ),
        (
            "Fed signals patience",
            "Powell said the central bank would wait before cutting rates",
        ),
        (
            "China growth worries",
            "weak factory data from Beijing weighed on exporters",
        ),
        (
            "retail sales surge",
            "shoppers spent more on cars and clothing in April",
        ),
        (
            "bond yields jump",
            "the ten-year Treasury yield hit its highest since November",
        ),
        (
            "merger news lifts healthcare",
            "Pfizer agreed to buy a biotech firm for 40 billion dollars",
        ),
    ];
    let outlets = [
        "northwire",
        "dailypost",
        "eveningstar",
        "morningherald",
        "capitalnews",
    ];
    let mut docs = background();
    for (day, (cause, detail)) in causes.iter().enumerate() {
        for (k, o) in outlets.iter().enumerate() {
            let title = match k % 3 {
                0 => format!("Wall Street stocks close higher as {cause}"),
                1 => format!("Stocks end day up on Wall Street; {cause}"),
                _ => format!("US stocks rise as {cause}"),
            };
            let summary = format!(
                "The Dow Jones and the S&P 500 closed higher on Wall Street as {detail}. Traders said the market move reflected {cause}."
            );
            docs.push(doc(
                &format!("d{day}-{k}"),
                o,
                60 * 24 * day as i64 + 60 * 16 + 10 * k as i64,
                &title,
                &summary,
            ));
        }
    }
    let (story, _) = run(&docs);
    let mut per_day = Vec::new();
    for day in 0..causes.len() {
        let s: std::collections::BTreeSet<_> = (0..5)
            .map(|k| story[&format!("d{day}-{k}")].clone())
            .collect();
        per_day.push(s);
    }
    for (day, stories) in per_day.iter().enumerate() {
        assert_eq!(stories.len(), 1, "day {day}'s market close is one story");
    }
    // Every day's close shares the template words; each day's cause is its own event.
    let all: std::collections::BTreeSet<_> = per_day.iter().flatten().collect();
    assert!(
        all.len() >= 8,
        "{} stories for ten days: {per_day:?}",
        all.len()
    );
}

#[test]
fn function_words_of_other_languages_make_no_story() {
    let mut docs = background();
    docs.extend([
        // Two unrelated items that share only German function words (which joined them
        // when only English ones were stop words), and a second report of the storm.
        doc("de1", "stadtblatt", 10,
            "Neuer Haushalt für die Stadt",
            "Der Stadtrat hat den Haushalt für das nächste Jahr beschlossen, wie der Bürgermeister sagte."),
        doc("de2", "nordkurier", 20,
            "Die Züge fahren nach dem Sturm wieder",
            "Nach dem Sturm in der Nacht fahren die Züge im Norden wieder, wie die Bahn sagte."),
        doc("de3", "stadtblatt", 30,
            "Bahn: Züge im Norden fahren nach dem Sturm wieder",
            "Der Sturm hatte in der Nacht Bäume auf die Gleise geworfen; die Züge im Norden fahren seit dem Morgen wieder."),
    ]);
    let (story, _) = run(&docs);
    assert_eq!(story["de2"], story["de3"], "the storm is one story");
    assert_ne!(story["de1"], story["de2"], "the budget is another");
}

#[test]
fn the_day_an_article_names_as_its_own_makes_no_story() {
    // The test epoch is 8 January 2022: these items name their own day and nothing else
    // in common.
    let mut docs = background();
    docs.extend([
        doc(
            "d1",
            "gazette",
            10,
            "Best of the week's cartoons, January 8, 2022",
            "",
        ),
        doc(
            "d2",
            "citytv",
            20,
            "Mayor's address to the city (8 January 2022)",
            "",
        ),
        doc(
            "d3",
            "radio",
            30,
            "Live blog for Jan 8: ferries back on time",
            "",
        ),
    ]);
    let (story, _) = run(&docs);
    assert_ne!(story["d1"], story["d2"]);
    assert_ne!(story["d2"], story["d3"]);
    assert_ne!(story["d1"], story["d3"]);
}

#[test]
fn a_language_few_feeds_write_in_has_common_words_of_its_own() {
    // Mostly English, and a few Tagalog items, all about something new in a city ("bagong",
    // "lungsod"): common words among Tagalog articles, rare among all of them.
    let mut docs = background();
    let (things, places) = (
        [
            "bridge", "school", "market", "road", "port", "library", "clinic", "stadium",
        ],
        [
            "north", "south", "east", "west", "coast", "valley", "harbour", "hills",
        ],
    );
    for (i, thing) in things.iter().enumerate() {
        for (j, place) in places.iter().enumerate() {
            let title = format!("Work on the {place} {thing} goes on for week {}", i + j);
            docs.push(doc(
                &format!("en{i}-{j}"),
                "wire",
                60 + (8 * i + j) as i64,
                &title,
                "",
            ));
        }
    }
    let tagalog = [
        "Bagong parke binuksan sa lungsod ng Cavite",
        "Bagong paaralan itinayo sa lungsod ng Batangas",
        "Bagong palengke sa lungsod ng Laguna, handa na",
        "Mga bagong bus sa lungsod ng Cebu ang dumating",
        "Bagong ilaw sa mga kalye ng lungsod ng Bacolod",
        "Bagong aklatan sa lungsod ng Baguio ang binuksan",
    ];
    for (i, title) in tagalog.iter().enumerate() {
        docs.push(doc(&format!("tl{i}"), "balita", 200 + i as i64, title, ""));
    }
    docs.extend([
        doc(
            "a",
            "balita",
            300,
            "Bagong tulay sa lungsod ng Iloilo, sarado muna",
            "",
        ),
        doc(
            "b",
            "radyo",
            310,
            "Bagong ospital sa lungsod ng Davao, bukas na",
            "",
        ),
    ]);
    let (story, _) = run(&docs);
    assert_ne!(
        story["a"], story["b"],
        "a bridge closed and a hospital opened"
    );
}

#[test]
fn a_show_name_on_every_title_of_a_feed_makes_no_story() {
    // One channel titles every clip "TV Patrol: ..."; the clips are about unrelated things.
    const THINGS: [&str; 30] = [
        "flooded rice fields",
        "jeepney fare hike",
        "typhoon signal raised",
        "basketball finals tonight",
        "onion prices soar",
        "school reopening plan",
        "bridge repair delayed",
        "fishermen rescued offshore",
        "power outage hits city",
        "new mayor sworn in",
        "hospital beds shortage",
        "traffic rerouting downtown",
        "volcano alert lowered",
        "teachers demand raises",
        "airport runway closed",
        "cooking contest winner",
        "landslide buries road",
        "water rationing begins",
        "stray dogs adopted",
        "festival parade canceled",
        "fuel smuggling arrest",
        "farmers receive loans",
        "subway tunnel flooded",
        "library opens extension",
        "dengue cases climb",
        "bank heist foiled",
        "marathon record broken",
        "ferry capsizes near port",
        "coral reef protected",
        "telescope spots comet",
    ];
    let mut docs = background();
    for (i, thing) in THINGS.iter().enumerate() {
        let minutes = 60 + 20 * i as i64;
        docs.push(doc(
            &format!("p{i}"),
            "tvpatrol",
            minutes,
            &format!("TV Patrol: {thing}"),
            "",
        ));
    }
    let (story, _) = run(&docs);
    // Once the channel has enough clips to show the name is its own, none share a story.
    let late: Vec<&String> = (20..THINGS.len())
        .map(|i| &story[&format!("p{i}")])
        .collect();
    let distinct: std::collections::HashSet<_> = late.iter().collect();
    assert_eq!(distinct.len(), late.len(), "{late:?}");
}

#[test]
fn a_restored_story_keeps_the_headline_the_store_gives_it() {
    use super::Heading::{Headline, Member, Unknown};
    let first = doc(
        "r1",
        "coast-news",
        0,
        "Velmora harbour bridge closed after engineers find cracks",
        "Engineers found cracks in the main span of the Velmora harbour bridge, which was \
         closed to all traffic while inspectors assess the damage.",
    );
    let second = doc(
        "r2",
        "daily-post",
        30,
        "Cracks close Velmora harbour bridge as engineers inspect main span",
        "The Velmora harbour bridge was closed to traffic after engineers found cracks in \
         its main span; inspectors are assessing the damage.",
    );
    let later = doc(
        "r3",
        "evening-star",
        60,
        "Ferries add crossings while cracked Velmora harbour bridge stays shut",
        "Ferry operators added crossings across the harbour while the Velmora bridge, \
         closed over cracks in its main span, stays shut.",
    );
    // Either of the two can be the stored headline (a merge or a split may have chosen it):
    // put back, the story keeps it, and a later report that is no better leaves it.
    for (headings, headline) in [((Member, Headline), "r2"), ((Headline, Member), "r1")] {
        let mut e = Engine::new(EngineConfig::default());
        for d in background() {
            e.restore(&d, &format!("bg-{}", d.id), Unknown, None);
        }
        e.restore(&first, "S", headings.0, None);
        e.restore(&second, "S", headings.1, None);
        let a = e.add(&later);
        assert_eq!(a.story_id, "S");
        assert_eq!(a.headline_article, headline);
    }
}

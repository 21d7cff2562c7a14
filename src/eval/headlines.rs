//! How a run's headlines fare (`storyd eval`): how often a join changed its story's
//! headline, whether a story is headed by an article of its main event, and how
//! representative of its members the headline is.
//!
//! Representative is measured apart from the engine's own features: plain TF-IDF over the
//! words of title and summary, idf from the run's articles. A member's standing is its
//! summed cosine to the other members; the headline's standing over the best member's is
//! 1 when the headline is the story's medoid.

use super::LabeledDoc;
use std::collections::{BTreeMap, HashMap};

/// Stories need this many articles for their headline to be scored (with two, either is
/// as representative as the other).
const SCORED_STORY: usize = 3;

/// The headline scores of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HeadlineScores {
    /// Share of the joins (similar and near-duplicate) after which the story's headline
    /// was another article than before.
    pub changed: f64,
    /// Share of the stories of [`SCORED_STORY`] labeled articles or more whose headline
    /// is labeled with the story's most frequent event.
    pub main_event: f64,
    /// Mean over the stories of [`SCORED_STORY`] articles or more of the headline's
    /// standing over the best member's (see the module doc).
    pub representative: f64,
}

/// What a run's clustering says about headlines.
pub(super) struct Headed<'a> {
    /// Each article's final story id, in the order of the run's articles.
    pub story: &'a [String],
    /// Each final story's headline article id.
    pub headline: &'a HashMap<String, String>,
    /// Articles that joined a story (similar or near duplicate).
    pub joins: usize,
    /// Joins after which the story's headline was another article.
    pub changes: usize,
}

/// Scores the headlines of a run over `docs` (in the order of `headed.story`).
pub(super) fn score(docs: &[LabeledDoc], headed: &Headed) -> HeadlineScores {
    let index: HashMap<&str, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.doc.id.as_str(), i))
        .collect();
    let vectors = tfidf(docs);
    // In story order, so that the sums come out the same every run.
    let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in headed.story.iter().enumerate() {
        members.entry(s.as_str()).or_default().push(i);
    }
    let (mut labeled_stories, mut main) = (0usize, 0usize);
    let (mut scored, mut standing) = (0usize, 0.0f64);
    for (story, m) in &members {
        let Some(&head) = headed
            .headline
            .get(*story)
            .and_then(|h| index.get(h.as_str()))
        else {
            continue;
        };
        if let Some(is_main) = of_main_event(docs, m, head) {
            labeled_stories += 1;
            main += usize::from(is_main);
        }
        if m.len() >= SCORED_STORY {
            scored += 1;
            standing += relative_standing(&vectors, m, head);
        }
    }
    let share = |n: usize, of: usize| if of == 0 { 0.0 } else { n as f64 / of as f64 };
    HeadlineScores {
        changed: share(headed.changes, headed.joins),
        main_event: share(main, labeled_stories),
        representative: if scored == 0 {
            0.0
        } else {
            standing / scored as f64
        },
    }
}

/// Whether the headline `head` carries the most frequent label among the members `m`
/// (ties: the label that comes first in the run); `None` when fewer than
/// [`SCORED_STORY`] members are labeled.
fn of_main_event(docs: &[LabeledDoc], m: &[usize], head: usize) -> Option<bool> {
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for &j in m {
        if let Some(e) = &docs[j].event {
            let c = counts.entry(e.as_str()).or_insert((0, j));
            c.0 += 1;
            c.1 = c.1.min(j);
        }
    }
    let labeled: usize = counts.values().map(|c| c.0).sum();
    if labeled < SCORED_STORY {
        return None;
    }
    let main = counts
        .iter()
        .max_by_key(|(_, (n, first))| (*n, std::cmp::Reverse(*first)))
        .map(|(e, _)| *e);
    Some(docs[head].event.as_deref() == main)
}

/// The headline's summed cosine to the other members over the highest such sum (1 when
/// no member is close to any other).
fn relative_standing(vectors: &[Vec<(u32, f64)>], m: &[usize], head: usize) -> f64 {
    // The members' vectors summed: a member's cosines to the others are its dot with the
    // sum, less its own (unit) norm.
    let mut sum: HashMap<u32, f64> = HashMap::new();
    for &j in m {
        for &(w, x) in &vectors[j] {
            *sum.entry(w).or_default() += x;
        }
    }
    let standing = |j: usize| -> f64 {
        let own: f64 = vectors[j].iter().map(|(_, x)| x * x).sum();
        vectors[j]
            .iter()
            .map(|(w, x)| x * sum.get(w).copied().unwrap_or(0.0))
            .sum::<f64>()
            - own
    };
    let best = m.iter().map(|&j| standing(j)).fold(0.0, f64::max);
    if best <= 0.0 {
        1.0
    } else {
        standing(head) / best
    }
}

/// Unit TF-IDF vectors of the articles' title and summary words (lowercased runs of
/// letters and digits), word ids in order of first use.
fn tfidf(docs: &[LabeledDoc]) -> Vec<Vec<(u32, f64)>> {
    let mut ids: HashMap<String, u32> = HashMap::new();
    let bags: Vec<HashMap<u32, f64>> = docs
        .iter()
        .map(|d| {
            let mut bag: HashMap<u32, f64> = HashMap::new();
            let text = format!("{} {}", d.doc.title, d.doc.summary);
            for word in text.split(|c: char| !c.is_alphanumeric()) {
                if word.chars().count() < 2 {
                    continue;
                }
                let next = ids.len() as u32;
                let id = *ids.entry(word.to_lowercase()).or_insert(next);
                *bag.entry(id).or_default() += 1.0;
            }
            bag
        })
        .collect();
    let mut df = vec![0.0f64; ids.len()];
    for bag in &bags {
        for w in bag.keys() {
            df[*w as usize] += 1.0;
        }
    }
    let n = bags.len() as f64;
    bags.into_iter()
        .map(|bag| {
            let mut v: Vec<(u32, f64)> = bag
                .into_iter()
                .map(|(w, tf)| (w, tf * (n / df[w as usize]).ln()))
                .collect();
            v.sort_unstable_by_key(|(w, _)| *w);
            let norm = v.iter().map(|(_, x)| x * x).sum::<f64>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|(_, x)| *x /= norm);
            }
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::labeled_doc as doc;
    use super::*;

    #[test]
    fn scores_the_share_of_changes_the_main_event_and_the_medoid() {
        let docs = [
            doc("a", "Summit ends without a ceasefire deal", "summit"),
            doc("b", "Summit ends, no ceasefire deal reached", "summit"),
            doc(
                "c",
                "No ceasefire deal as the summit ends in the capital",
                "summit",
            ),
            doc("d", "Capital weather: rain all week", "weather"),
            doc("e", "Ferry timetable for winter", "ferry"),
        ];
        let story: Vec<String> = ["S", "S", "S", "S", "T"].map(String::from).into();
        let score_with = |head: &str| {
            let headline: HashMap<String, String> =
                [("S".into(), head.into()), ("T".into(), "e".into())].into();
            let headed = Headed {
                story: &story,
                headline: &headline,
                joins: 4,
                changes: 1,
            };
            score(&docs, &headed)
        };
        let summit = score_with("b");
        assert_eq!(summit.changed, 0.25);
        // T has one article: only S is scored, and its headline is of its main event.
        assert_eq!(summit.main_event, 1.0);
        let weather = score_with("d");
        assert_eq!(
            weather.main_event, 0.0,
            "the weather is not what S is about"
        );
        // The weather shares one word with one member; every summit headline stands far
        // above it, and the best of them stands at 1.
        assert!(weather.representative < 0.2, "{weather:?}");
        let best = ["a", "b", "c"]
            .map(|h| score_with(h).representative)
            .into_iter()
            .fold(0.0, f64::max);
        assert_eq!(best, 1.0);
        assert!(summit.representative > 0.5, "{summit:?}");
    }
}

//! Where a clustering goes wrong, by gold event: the pairs of articles of two events put in
//! one story, and the pairs of one event's articles kept in different stories; what
//! `storyd eval --errors N` lists after the scores.
//!
//! Summed over the whole file, the first are the pairwise false positives and the second
//! the false negatives, so the lists say which events the pairwise scores lost to.

use std::collections::HashMap;
use std::fmt::Write;

/// Wrong pairs of articles by gold event, summed over runs.
#[derive(Debug, Default, PartialEq)]
pub struct Confusion {
    /// Pairs of articles of two events (names in order) that shared a story.
    pub together: HashMap<(String, String), u64>,
    /// Pairs of articles of one event that were in different stories.
    pub apart: HashMap<String, u64>,
    /// Runs added.
    pub runs: usize,
}

impl Confusion {
    /// Adds one run: the story (`pred`) and event (`gold`) of each labeled article, events
    /// numbered as their names in `names`.
    pub fn add_run(&mut self, pred: &[usize], gold: &[usize], names: &[&str]) {
        // Articles per story and event, in a fixed order so that sums do not depend on
        // hashing.
        let mut joint: HashMap<(usize, usize), u64> = HashMap::new();
        for (s, e) in pred.iter().zip(gold) {
            *joint.entry((*s, *e)).or_default() += 1;
        }
        let mut cells: Vec<((usize, usize), u64)> = joint.into_iter().collect();
        cells.sort_unstable();
        let mut per_event: HashMap<usize, (u64, u64)> = HashMap::new();
        for story in cells.chunk_by(|a, b| a.0.0 == b.0.0) {
            for (i, ((_, e), n)) in story.iter().enumerate() {
                let (total, same) = per_event.entry(*e).or_default();
                *total += n;
                *same += n * n;
                for ((_, f), m) in &story[i + 1..] {
                    let (a, b) = (names[*e], names[*f]);
                    let key = if a <= b { (a, b) } else { (b, a) };
                    *self
                        .together
                        .entry((key.0.to_string(), key.1.to_string()))
                        .or_default() += n * m;
                }
            }
        }
        for (e, (total, same)) in per_event {
            let apart = (total * total - same) / 2;
            if apart > 0 {
                *self.apart.entry(names[e].to_string()).or_default() += apart;
            }
        }
        self.runs += 1;
    }

    /// The `top` pairs of events most often put together and the `top` events most often
    /// kept apart, each with an example title (`titles`: an event's first title).
    pub fn report(&self, top: usize, titles: &HashMap<&str, &str>) -> String {
        let title = |event: &str| clip(titles.get(event).copied().unwrap_or(""), 60);
        let runs = self.runs;
        let mut out = format!(
            "\narticle pairs of two events put in one story ({} over {runs} runs), most first:\n",
            self.together.values().sum::<u64>()
        );
        let together = largest_first(&self.together);
        for ((a, b), n) in together.iter().take(top) {
            let _ = writeln!(out, "{n:>8}  {a} + {b}  ({:?} / {:?})", title(a), title(b));
        }
        let _ = writeln!(
            out,
            "article pairs of one event in different stories ({} over {runs} runs), most first:",
            self.apart.values().sum::<u64>()
        );
        for (event, n) in largest_first(&self.apart).iter().take(top) {
            let _ = writeln!(out, "{n:>8}  {event}  ({:?})", title(event));
        }
        out
    }
}

/// The entries of a tally, largest first (ties in key order).
fn largest_first<K: Ord>(tally: &HashMap<K, u64>) -> Vec<(&K, u64)> {
    let mut v: Vec<(&K, u64)> = tally.iter().map(|(k, n)| (k, *n)).collect();
    v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v
}

/// The text cut to at most `max` characters, marked with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::pair_counts;

    #[test]
    fn wrong_pairs_by_event_add_up_to_the_pairwise_errors() {
        // Stories 0 and 1; events a (3 articles), b (2), c (1).
        let pred = [0, 0, 1, 0, 1, 1];
        let gold = [0, 0, 0, 1, 1, 2];
        let names = ["a", "b", "c"];
        let mut c = Confusion::default();
        c.add_run(&pred, &gold, &names);
        let key = |x: &str, y: &str| (x.to_string(), y.to_string());
        // Story 0 holds a, a, b; story 1 holds a, b, c.
        let together = HashMap::from([
            (key("a", "b"), 2 + 1),
            (key("a", "c"), 1),
            (key("b", "c"), 1),
        ]);
        assert_eq!(c.together, together);
        // a: 2 in story 0, 1 in story 1; b: one in each.
        let apart = HashMap::from([("a".to_string(), 2), ("b".to_string(), 1)]);
        assert_eq!(c.apart, apart);
        let (_, fp, fn_) = pair_counts(&pred, &gold);
        assert_eq!(c.together.values().sum::<u64>(), fp);
        assert_eq!(c.apart.values().sum::<u64>(), fn_);

        // A second run adds up; a perfect one adds nothing.
        c.add_run(&gold, &gold, &names);
        assert_eq!((c.together, c.apart, c.runs), (together, apart, 2));
    }

    #[test]
    fn the_report_lists_the_largest_first_with_a_title() {
        let mut c = Confusion::default();
        c.add_run(&[0, 0, 0, 1], &[0, 1, 1, 1], &["quake", "flood"]);
        let titles = HashMap::from([
            ("quake", "Quake shakes the island"),
            (
                "flood",
                "Flood waters rise in the valley, and they go on rising and rising",
            ),
        ]);
        let report = c.report(5, &titles);
        assert!(report.contains("one story (2 over 1 runs)"), "{report}");
        assert!(
            report.contains("2  flood + quake  (\"Flood waters rise in the valley, and they go on rising and r...\" / \"Quake shakes the island\")"),
            "{report}"
        );
        assert!(
            report.contains("different stories (2 over 1 runs)"),
            "{report}"
        );
        assert!(report.contains("2  flood  ("), "{report}");
        assert!(!report.contains("quake  (\"Quake"), "{report}");
    }
}

//! How well the near-duplicate layer finds syndicated copies: what `storyd eval --copies`
//! measures beside the story scores.
//!
//! Every article with enough text is copied under another URL and outlet, one way of
//! copying at a time: as it is, under a new headline, cut short, with words changed, with
//! a dateline and a credit line. The originals, then their copies, stream through a fresh
//! engine, and the report says how each kind of copy was filed: as a near duplicate of its
//! own original (found), of another article, as another article of the same event, or as
//! a new story. It also counts the input's own articles filed as copies of others: the
//! input's syndicated copies, or distinct articles taken for copies (which the layer must
//! leave to the story layer); a look at the pairs tells which.

use super::LabeledDoc;
use crate::cluster::{Engine, EngineConfig};
use crate::model::MatchKind;
use chrono::TimeDelta;
use std::fmt::Write;

/// Articles whose lead (summary) has fewer words are not copied: too short to tell a
/// syndicated copy from two outlets' brief reports of one event, and to cut or retitle.
pub const MIN_WORDS: usize = 30;

/// One way of copying an article.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Edit {
    /// The same title and summary.
    Same,
    /// The summary under the first words of the lead for a headline (as an aggregator
    /// titles an item that has none).
    Retitled,
    /// The summary cut to this share of its words.
    Cut(f64),
    /// This share of the words of title and summary replaced by other words.
    Changed(f64),
    /// A dateline before the summary and a credit line after it.
    Credited,
}

/// The ways of copying that the report lists, lightest first.
pub const EDITS: [Edit; 9] = [
    Edit::Same,
    Edit::Retitled,
    Edit::Credited,
    Edit::Cut(2.0 / 3.0),
    Edit::Cut(1.0 / 3.0),
    Edit::Cut(1.0 / 6.0),
    Edit::Changed(0.05),
    Edit::Changed(0.1),
    Edit::Changed(0.2),
];

impl Edit {
    /// How the report names it.
    pub fn name(&self) -> String {
        match self {
            Edit::Same => "same text, other URL".into(),
            Edit::Retitled => "headline from the lead".into(),
            Edit::Cut(share) => format!("lead cut to {:.0}%", share * 100.0),
            Edit::Changed(share) => format!("{:.0}% of words changed", share * 100.0),
            Edit::Credited => "dateline and credit added".into(),
        }
    }

    /// The copy's title and summary; `rng` and `pool` (words to change others into) serve
    /// [`Edit::Changed`].
    pub fn apply(
        &self,
        title: &str,
        summary: &str,
        rng: &mut fastrand::Rng,
        pool: &[&str],
    ) -> (String, String) {
        match *self {
            Edit::Same => (title.into(), summary.into()),
            Edit::Retitled => {
                let headline: Vec<&str> = summary.split_whitespace().take(10).collect();
                (headline.join(" "), summary.into())
            }
            Edit::Cut(share) => {
                let words: Vec<&str> = summary.split_whitespace().collect();
                let keep = ((words.len() as f64 * share).round() as usize).min(words.len());
                (title.into(), format!("{} ...", words[..keep].join(" ")))
            }
            Edit::Changed(share) => {
                let mut title: Vec<&str> = title.split_whitespace().collect();
                let mut summary: Vec<&str> = summary.split_whitespace().collect();
                let total = title.len() + summary.len();
                let n = (total as f64 * share).round() as usize;
                let mut at: Vec<usize> = (0..total).collect();
                rng.shuffle(&mut at);
                for &i in at.iter().take(n) {
                    let word = pool.get(rng.usize(..pool.len().max(1))).copied();
                    let slot = match i.checked_sub(title.len()) {
                        None => &mut title[i],
                        Some(j) => &mut summary[j],
                    };
                    *slot = word.unwrap_or("also");
                }
                (title.join(" "), summary.join(" "))
            }
            Edit::Credited => (
                title.into(),
                format!(
                    "NORTHPORT (Wire Service) - {summary} (Reporting by Ana Field; \
                     editing by Tom Reed)"
                ),
            ),
        }
    }
}

/// How the copies of one kind were filed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Filed {
    /// Near duplicates of their own original.
    pub found: usize,
    /// Near duplicates of another article.
    pub other: usize,
    /// Filed as another article of an event (with their original or not).
    pub similar: usize,
    /// Stories of their own.
    pub new: usize,
}

impl Filed {
    /// Copies counted.
    pub fn total(&self) -> usize {
        self.found + self.other + self.similar + self.new
    }
}

/// What `--copies` measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CopyReport {
    /// Articles copied: those with a lead of [`MIN_WORDS`] words or more, except those filed
    /// as exact duplicates.
    pub originals: usize,
    /// Articles of the input.
    pub articles: usize,
    /// How each kind of copy was filed, in [`EDITS`] order.
    pub filed: Vec<(Edit, Filed)>,
    /// Originals filed as near duplicates of another original: syndicated copies in the
    /// input itself, or distinct articles taken for copies.
    pub copies_among_originals: usize,
}

/// Streams the articles, then copies of those with a lead of [`MIN_WORDS`] words or more,
/// one kind of copy a run, each copy an hour after its original under another URL and
/// outlet.
pub fn measure(docs: &[LabeledDoc], config: &EngineConfig, seed: u64) -> CopyReport {
    let long = |i: usize| docs[i].doc.summary.split_whitespace().count() >= MIN_WORDS;
    let pool: Vec<&str> = docs
        .iter()
        .flat_map(|d| d.doc.summary.split_whitespace())
        .collect();
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by_key(|&i| docs[i].doc.published);
    let mut report = CopyReport {
        articles: docs.len(),
        ..CopyReport::default()
    };
    for (run, edit) in EDITS.iter().enumerate() {
        let mut rng = fastrand::Rng::with_seed(seed.wrapping_add(run as u64));
        let mut engine = Engine::new(config.clone());
        // An article filed as an exact duplicate (its URL seen before) is not one the
        // near-duplicate layer keeps to compare: its copies are not counted.
        let mut exact = vec![false; docs.len()];
        for &i in &order {
            let a = engine.add(&docs[i].doc);
            exact[i] = a.match_kind == MatchKind::Exact;
            if run == 0 && a.match_kind == MatchKind::NearDuplicate {
                report.copies_among_originals += 1;
            }
        }
        let copies: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| long(i) && !exact[i])
            .collect();
        report.originals = copies.len();
        let mut filed = Filed::default();
        for i in copies {
            let original = &docs[i].doc;
            let (title, summary) = edit.apply(&original.title, &original.summary, &mut rng, &pool);
            let mut copy = original.clone();
            copy.id = format!("{}~copy", original.id);
            copy.title = title;
            copy.summary = summary;
            copy.url = Some(format!("https://copier.example/{}", copy.id));
            copy.guid = None;
            copy.source = "copier".into();
            copy.published = original.published + TimeDelta::hours(1);
            let a = engine.add(&copy);
            match a.match_kind {
                MatchKind::NearDuplicate if a.duplicate_of.as_deref() == Some(&original.id) => {
                    filed.found += 1
                }
                MatchKind::NearDuplicate | MatchKind::Exact => filed.other += 1,
                MatchKind::Similar => filed.similar += 1,
                MatchKind::New => filed.new += 1,
            }
        }
        report.filed.push((*edit, filed));
    }
    report
}

impl CopyReport {
    /// The printed table.
    pub fn render(&self) -> String {
        if self.originals == 0 {
            return format!(
                "\nnear duplicates: none of the {} articles has a lead of {MIN_WORDS} words or \
                 more to copy\n",
                self.articles
            );
        }
        let mut out = format!(
            "\nnear duplicates: {} of {} articles (those with a lead of {MIN_WORDS} words or \
             more) copied under another URL, one way a run:\n",
            self.originals, self.articles
        );
        out += "copy                        found   other  similar     new\n";
        let pct = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
        for (edit, f) in &self.filed {
            let of = f.total();
            let _ = writeln!(
                out,
                "{:<26} {:>6.1}% {:>6.1}% {:>7.1}% {:>6.1}%",
                edit.name(),
                pct(f.found, of),
                pct(f.other, of),
                pct(f.similar, of),
                pct(f.new, of)
            );
        }
        let _ = writeln!(
            out,
            "input articles filed as near duplicates of another: {} of {} ({:.1}%)",
            self.copies_among_originals,
            self.articles,
            pct(self.copies_among_originals, self.articles)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TITLE: &str = "Harbour cranes halted as dock workers strike over pay";
    const LEAD: &str = "Dock workers at the northern harbour walked out on Monday after talks \
        on a new pay deal broke down, leaving cranes idle and ships waiting at anchor. The \
        union said the strike would last until the port authority returned with a better \
        offer for its members.";

    fn apply(edit: Edit, seed: u64) -> (String, String) {
        let pool = ["lorem", "ipsum", "dolor"];
        edit.apply(TITLE, LEAD, &mut fastrand::Rng::with_seed(seed), &pool)
    }

    #[test]
    fn copies_change_what_they_say_they_change() {
        let lead_words = LEAD.split_whitespace().count();
        assert_eq!(apply(Edit::Same, 1), (TITLE.into(), LEAD.into()));

        let (title, summary) = apply(Edit::Retitled, 1);
        assert_eq!(summary, LEAD);
        assert_eq!(
            title,
            "Dock workers at the northern harbour walked out on Monday"
        );

        let (title, summary) = apply(Edit::Cut(1.0 / 3.0), 1);
        assert_eq!(title, TITLE);
        assert_eq!(summary.split_whitespace().count(), lead_words / 3 + 1);
        assert!(summary.ends_with(" ..."));
        assert!(LEAD.starts_with(summary.trim_end_matches(" ...")));

        let (title, summary) = apply(Edit::Credited, 1);
        assert_eq!(title, TITLE);
        assert!(summary.starts_with("NORTHPORT (Wire Service) - Dock workers"));
        assert!(summary.contains(LEAD));
    }

    #[test]
    fn changed_words_are_the_share_asked_and_the_same_for_a_seed() {
        let (title, summary) = apply(Edit::Changed(0.2), 7);
        let before: Vec<&str> = TITLE
            .split_whitespace()
            .chain(LEAD.split_whitespace())
            .collect();
        let after: Vec<String> = (title.split_whitespace().chain(summary.split_whitespace()))
            .map(String::from)
            .collect();
        assert_eq!(before.len(), after.len());
        let changed = before.iter().zip(&after).filter(|(b, a)| *b != a).count();
        assert_eq!(changed, (before.len() as f64 * 0.2).round() as usize);
        assert_eq!(apply(Edit::Changed(0.2), 7), (title, summary));
        assert_ne!(apply(Edit::Changed(0.2), 8), apply(Edit::Changed(0.2), 7));
    }
}

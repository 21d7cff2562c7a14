//! Measuring the story engine: the logic behind `storyd cluster` and `storyd eval`.
//!
//! It sits beside the main flow (fetch -> parse/normalize -> cluster -> store -> api) and
//! runs its cluster step alone: labeled articles from JSON Lines go through exactly the
//! engine the daemon uses, and the stories are scored against the labels with BCubed and
//! pairwise precision, recall and F1. With shuffling, each run streams the articles in a
//! seeded random order with random times within one day, because the order and times of
//! the development sets leak their labels. A background of other articles can stream
//! first, unscored, so that the engine is measured as a daemon that has already seen the
//! news ([`before`]). `confusion` says which events the scores lost to, `copies` measures
//! the near-duplicate layer on edited copies of the articles, and `headlines` how well the
//! stories are headed.

mod confusion;
mod copies;
mod headlines;

pub use confusion::Confusion;
pub use headlines::HeadlineScores;

use crate::cluster::{Assignment, Doc, Engine, EngineConfig};
use crate::model::{MatchKind, Time};
use chrono::{DateTime, TimeDelta};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Why labeled articles could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A line is not an article object.
    #[error("{path}, line {line}: not a valid article: {source}")]
    Line {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
    /// A line's `published` is not an RFC 3339 time.
    #[error("{path}, line {line}: `published` {value:?} is not an RFC 3339 time")]
    Published {
        path: PathBuf,
        line: usize,
        value: String,
    },
}

/// An article with its gold event label, if any.
#[derive(Clone, Debug)]
pub struct LabeledDoc {
    /// The article as the engine sees it.
    pub doc: Doc,
    /// The event it belongs to.
    pub event: Option<String>,
}

/// One line of the SPEC's JSON Lines format (unknown fields such as `topic` are ignored).
#[derive(Deserialize)]
struct RawArticle {
    id: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    guid: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    event: Option<String>,
}

/// Reads articles in the SPEC's JSON Lines format; a bad line is an error naming its number.
/// Articles without a time get the earliest time in the file, so they stream first, in
/// file order.
pub fn read_jsonl(path: &Path) -> Result<Vec<LabeledDoc>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = i + 1;
        let raw: RawArticle = serde_json::from_str(line).map_err(|source| EvalError::Line {
            path: path.to_path_buf(),
            line: line_no,
            source,
        })?;
        let published = match raw
            .published
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(value) => match DateTime::parse_from_rfc3339(value) {
                Ok(t) => Some(t.to_utc()),
                Err(_) => {
                    let value = value.to_string();
                    return Err(EvalError::Published {
                        path: path.to_path_buf(),
                        line: line_no,
                        value,
                    });
                }
            },
        };
        rows.push((raw, published));
    }
    let earliest = rows
        .iter()
        .filter_map(|(_, t)| *t)
        .min()
        .unwrap_or(DateTime::UNIX_EPOCH);
    Ok(rows
        .into_iter()
        .map(|(raw, published)| LabeledDoc {
            doc: Doc {
                id: raw.id,
                title: raw.title.unwrap_or_default(),
                summary: raw.summary.unwrap_or_default(),
                url: raw.url.filter(|u| !u.is_empty()),
                guid: raw.guid.filter(|g| !g.is_empty()),
                source: raw.source.unwrap_or_default(),
                published: published.unwrap_or(earliest),
            },
            event: raw.event.filter(|e| !e.is_empty()),
        })
        .collect())
}

/// Streams the articles through a fresh engine in `published` order (ties in file order)
/// and returns `(article id, final story id)` in input order, merges and splits followed.
pub fn cluster_docs(docs: &[LabeledDoc], config: &EngineConfig) -> Vec<(String, String)> {
    docs.iter()
        .zip(cluster(docs, config).story)
        .map(|(d, s)| (d.doc.id.clone(), s))
        .collect()
}

/// [`cluster_docs`], with the stories' members and headlines as the run left them.
fn cluster(docs: &[LabeledDoc], config: &EngineConfig) -> Stories {
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by_key(|&i| docs[i].doc.published);
    let index: HashMap<&str, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.doc.id.as_str(), i))
        .collect();
    let mut engine = Engine::new(config.clone());
    let mut stories = Stories::new(docs.len());
    for i in order {
        stories.apply(i, engine.add(&docs[i].doc), &index);
    }
    stories
}

/// Which story each article is in, as the engine's decisions move them, and the stories'
/// headlines.
struct Stories {
    /// Story id per article index (empty before it is filed).
    story: Vec<String>,
    /// Article indices per story id.
    members: HashMap<String, Vec<usize>>,
    /// Headline article id per story id.
    headline: HashMap<String, String>,
    /// Articles that joined a story (as similar or near duplicates), and how many of those
    /// steps changed its headline (merges and splits aside).
    joins: usize,
    changes: usize,
}

impl Stories {
    fn new(articles: usize) -> Self {
        Stories {
            story: vec![String::new(); articles],
            members: HashMap::new(),
            headline: HashMap::new(),
            joins: 0,
            changes: 0,
        }
    }

    /// What the headline scores need.
    fn headed(&self) -> headlines::Headed<'_> {
        headlines::Headed {
            story: &self.story,
            headline: &self.headline,
            joins: self.joins,
            changes: self.changes,
        }
    }

    /// Files article `i` as the engine decided: merges first, into the story that absorbed
    /// them, then the splits out of it (`index` gives an article id's index).
    fn apply(&mut self, i: usize, a: Assignment, index: &HashMap<&str, usize>) {
        let into = a.merged_into().to_string();
        if matches!(a.match_kind, MatchKind::Similar | MatchKind::NearDuplicate) {
            self.joins += 1;
            let before = self.headline.get(&a.story_id);
            let unmoved = a.merged.is_empty() && a.splits.is_empty();
            self.changes += usize::from(unmoved && before != Some(&a.headline_article));
        }
        for gone in &a.merged {
            self.headline.remove(gone);
            for j in self.members.remove(gone).unwrap_or_default() {
                self.story[j] = into.clone();
                self.members.entry(into.clone()).or_default().push(j);
            }
        }
        for split in a.splits {
            self.headline
                .insert(split.to.clone(), split.headline_article);
            self.headline
                .insert(split.from.clone(), split.from_headline_article);
            for article in &split.articles {
                if let Some(&j) = index.get(article.as_str()) {
                    self.story[j] = split.to.clone();
                }
            }
            if let Some(list) = self.members.remove(&split.from) {
                let (moved, kept) = list.into_iter().partition(|j| self.story[*j] == split.to);
                self.members.insert(split.from, kept);
                self.members.insert(split.to, moved);
            }
        }
        self.story[i] = a.story_id.clone();
        self.headline.insert(a.story_id.clone(), a.headline_article);
        self.members.entry(a.story_id).or_default().push(i);
    }
}

/// Runs `storyd cluster`: writes one `{"id", "story"}` line per input article.
pub fn run_cluster(input: &Path, output: Option<&Path>) -> anyhow::Result<()> {
    let docs = read_jsonl(input)?;
    let result = cluster_docs(&docs, &EngineConfig::default());
    let mut out: Box<dyn Write> = match output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    for (id, story) in result {
        writeln!(out, "{}", serde_json::json!({ "id": id, "story": story }))?;
    }
    out.flush()?;
    Ok(())
}

/// Precision, recall and F1.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Scores {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

impl Scores {
    /// Scores from precision and recall.
    pub fn new(precision: f64, recall: f64) -> Self {
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Scores {
            precision,
            recall,
            f1,
        }
    }

    /// Scores from pair counts: true positives, false positives, false negatives.
    pub fn from_counts(tp: u64, fp: u64, fn_: u64) -> Self {
        let ratio = |a: u64, b: u64| {
            if a + b == 0 {
                1.0
            } else {
                a as f64 / (a + b) as f64
            }
        };
        Scores::new(ratio(tp, fp), ratio(tp, fn_))
    }
}

/// Joint counts of (predicted, gold) cluster pairs, then predicted and gold cluster sizes.
type Contingency = (
    HashMap<(usize, usize), u64>,
    HashMap<usize, u64>,
    HashMap<usize, u64>,
);

/// Joint counts of (predicted cluster, gold cluster) and the size of each cluster.
fn contingency(pred: &[usize], gold: &[usize]) -> Contingency {
    let (mut joint, mut p, mut g) = (HashMap::new(), HashMap::new(), HashMap::new());
    for (a, b) in pred.iter().zip(gold) {
        *joint.entry((*a, *b)).or_insert(0) += 1;
        *p.entry(*a).or_insert(0) += 1;
        *g.entry(*b).or_insert(0) += 1;
    }
    (joint, p, g)
}

/// BCubed precision, recall and F1 of predicted cluster labels against gold labels.
pub fn bcubed(pred: &[usize], gold: &[usize]) -> Scores {
    let n = pred.len().min(gold.len());
    if n == 0 {
        return Scores::default();
    }
    let (joint, p, g) = contingency(&pred[..n], &gold[..n]);
    let (mut precision, mut recall) = (0.0, 0.0);
    for ((a, b), c) in &joint {
        let c2 = (*c * *c) as f64;
        precision += c2 / p[a] as f64;
        recall += c2 / g[b] as f64;
    }
    Scores::new(precision / n as f64, recall / n as f64)
}

/// Pair counts (TP, FP, FN) of predicted cluster labels against gold labels.
pub fn pair_counts(pred: &[usize], gold: &[usize]) -> (u64, u64, u64) {
    let n = pred.len().min(gold.len());
    let (joint, p, g) = contingency(&pred[..n], &gold[..n]);
    let pairs = |c: &u64| c * c.saturating_sub(1) / 2;
    let tp: u64 = joint.values().map(pairs).sum();
    let pred_pairs: u64 = p.values().map(pairs).sum();
    let gold_pairs: u64 = g.values().map(pairs).sum();
    (tp, pred_pairs - tp, gold_pairs - tp)
}

/// Pairwise precision, recall and F1 of predicted cluster labels against gold labels.
pub fn pairwise(pred: &[usize], gold: &[usize]) -> Scores {
    let (tp, fp, fn_) = pair_counts(pred, gold);
    Scores::from_counts(tp, fp, fn_)
}

/// The scores of one clustering run.
#[derive(Clone, Copy, Debug, Default)]
pub struct EvalRun {
    /// BCubed scores.
    pub bcubed: Scores,
    /// Pairwise scores.
    pub pairwise: Scores,
    /// Stories formed that hold a labeled article.
    pub stories: usize,
    /// Gold events among the labeled articles.
    pub events: usize,
    /// Throughput of the engine in this run.
    pub articles_per_sec: f64,
    /// How the stories were headed.
    pub headlines: HeadlineScores,
}

/// The scores of every run, and the wrong pairs of all of them by event.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Each run's scores.
    pub runs: Vec<EvalRun>,
    /// The runs' wrong pairs of articles, by gold event.
    pub confusion: Confusion,
}

/// Clusters and scores the labeled articles: once in the file's order, or `shuffle` times
/// in seeded random orders with random times within one day. The `background` articles
/// (unscored) stream first in every run, over the day before (see [`before`]).
pub fn evaluate(
    docs: &[LabeledDoc],
    background: &[LabeledDoc],
    config: &EngineConfig,
    shuffle: Option<usize>,
    seed: u64,
) -> Evaluation {
    let mut out = Evaluation::default();
    let runs = shuffle.map_or(1, |n| n as u64);
    for run in 0..runs {
        let seed = seed.wrapping_add(run);
        let docs = match shuffle {
            None => docs.to_vec(),
            Some(_) => shuffled(docs, seed),
        };
        let mut stream = before(background, &docs, seed);
        stream.extend(docs);
        out.runs
            .push(score_run(&stream, config, &mut out.confusion));
    }
    out
}

/// The `background` articles as a stream that comes before `docs`: in a seeded random
/// order, at random times within the 24 hours before the first of `docs`, unlabeled, and
/// with ids of their own (`background/` and the id). They stand for the news a running
/// daemon has already seen, so that its document frequencies are no longer young.
pub fn before(background: &[LabeledDoc], docs: &[LabeledDoc], seed: u64) -> Vec<LabeledDoc> {
    let first = docs.iter().map(|d| d.doc.published).min();
    let first = first.unwrap_or(DateTime::UNIX_EPOCH + TimeDelta::days(20_000));
    // A draw of its own, apart from the shuffle's of the same seed.
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x6261_636b);
    let mut out = background.to_vec();
    rng.shuffle(&mut out);
    for d in &mut out {
        d.doc.id = format!("background/{}", d.doc.id);
        d.doc.published = first - TimeDelta::milliseconds(rng.i64(1..=86_400_000));
        d.event = None;
    }
    out
}

/// The articles in a seeded random order, each given a random time within one day (what
/// `--shuffle` runs: the labeled files' own order and times leak the label).
pub fn shuffled(docs: &[LabeledDoc], seed: u64) -> Vec<LabeledDoc> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out = docs.to_vec();
    rng.shuffle(&mut out);
    let base: Time = DateTime::UNIX_EPOCH + TimeDelta::days(20_000);
    for d in &mut out {
        d.doc.published = base + TimeDelta::milliseconds(rng.i64(0..86_400_000));
    }
    out
}

/// One clustering run, scored on the articles that carry a label, its wrong pairs added
/// to `confusion`.
fn score_run(docs: &[LabeledDoc], config: &EngineConfig, confusion: &mut Confusion) -> EvalRun {
    let start = Instant::now();
    let clustered = cluster(docs, config);
    let elapsed = start.elapsed().as_secs_f64().max(1e-9);
    let mut stories: HashMap<&str, usize> = HashMap::new();
    let mut events: HashMap<&str, usize> = HashMap::new();
    let (mut pred, mut gold) = (Vec::new(), Vec::new());
    for (story, d) in clustered.story.iter().zip(docs) {
        let next = stories.len();
        let s = *stories.entry(story.as_str()).or_insert(next);
        if let Some(event) = &d.event {
            let next = events.len();
            gold.push(*events.entry(event.as_str()).or_insert(next));
            pred.push(s);
        }
    }
    let mut names = vec![""; events.len()];
    for (name, i) in &events {
        names[*i] = name;
    }
    confusion.add_run(&pred, &gold, &names);
    let scored: std::collections::HashSet<usize> = pred.iter().copied().collect();
    EvalRun {
        bcubed: bcubed(&pred, &gold),
        pairwise: pairwise(&pred, &gold),
        stories: scored.len(),
        events: events.len(),
        articles_per_sec: docs.len() as f64 / elapsed,
        headlines: headlines::score(docs, &clustered.headed()),
    }
}

/// What `storyd eval` reports beside the scores, and what it streams before the input.
#[derive(Clone, Copy, Debug, Default)]
pub struct Extras<'a> {
    /// Unlabeled articles to stream first in every run (see [`before`]).
    pub background: Option<&'a Path>,
    /// List this many of the event pairs most often put together and of the events most
    /// often split.
    pub errors: Option<usize>,
    /// Measure the near-duplicate layer on edited copies of the articles.
    pub copies: bool,
}

/// Runs `storyd eval` and prints its report, then the `extras` asked for.
pub fn run_eval(
    input: &Path,
    shuffle: Option<usize>,
    seed: u64,
    extras: Extras<'_>,
) -> anyhow::Result<()> {
    let docs = read_jsonl(input)?;
    let labeled = docs.iter().filter(|d| d.event.is_some()).count();
    anyhow::ensure!(
        labeled > 0,
        "{}: no article has an `event` label to score against",
        input.display()
    );
    let background = match extras.background {
        Some(path) => read_jsonl(path)?,
        None => Vec::new(),
    };
    let eval = evaluate(&docs, &background, &EngineConfig::default(), shuffle, seed);
    if let Some(path) = extras.background {
        println!(
            "after {} background articles from {}, streamed over the day before",
            background.len(),
            path.display()
        );
    }
    print!(
        "{}",
        report(input, docs.len(), &eval.runs, shuffle.is_some())
    );
    if let Some(top) = extras.errors {
        // Each event is shown by the title of its first article in the file.
        let mut titles: HashMap<&str, &str> = HashMap::new();
        for d in &docs {
            if let Some(event) = &d.event {
                titles.entry(event.as_str()).or_insert(d.doc.title.as_str());
            }
        }
        print!("{}", eval.confusion.report(top, &titles));
    }
    if extras.copies {
        print!(
            "{}",
            copies::measure(&docs, &EngineConfig::default(), seed).render()
        );
    }
    Ok(())
}

/// The printed report: one line per run, then mean, spread, min and max when shuffled;
/// the same for the headlines (see [`HeadlineScores`]).
pub fn report(input: &Path, articles: usize, runs: &[EvalRun], shuffled: bool) -> String {
    let events = runs.first().map_or(0, |r| r.events);
    let mut out = format!(
        "{}: {articles} articles, {events} gold events\n",
        input.display()
    );
    let scores: Vec<[f64; 8]> = runs
        .iter()
        .map(|r| {
            let (b, p) = (r.bcubed, r.pairwise);
            [
                b.precision,
                b.recall,
                b.f1,
                p.precision,
                p.recall,
                p.f1,
                r.stories as f64,
                r.articles_per_sec,
            ]
        })
        .collect();
    out += &table(
        "run      bcubed P  R      F1     pairwise P  R      F1     stories  articles/s",
        &scores,
        shuffled,
        |v| {
            format!(
                "{:.4}  {:.4} {:.4}   {:.4}  {:.4} {:.4}   {:>7.1}  {:>10.0}",
                v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
            )
        },
    );
    let headlines: Vec<[f64; 3]> = runs
        .iter()
        .map(|r| {
            let h = r.headlines;
            [h.changed, h.main_event, h.representative]
        })
        .collect();
    out += "\n";
    out += &table(
        "run      headline changed  of main event  representative",
        &headlines,
        shuffled,
        |v| format!("{:>16.4}  {:>13.4}  {:>14.4}", v[0], v[1], v[2]),
    );
    out
}

/// A table of one row per run under `head` (values laid out by `values`), then the mean,
/// spread, min and max of each column when the runs were shuffled.
fn table<const N: usize>(
    head: &str,
    rows: &[[f64; N]],
    shuffled: bool,
    values: impl Fn(&[f64; N]) -> String,
) -> String {
    let line = |name: &str, v: &[f64; N]| format!("{name:<8} {}\n", values(v));
    let mut out = format!("{head}\n");
    for (i, row) in rows.iter().enumerate() {
        out += &line(&format!("#{}", i + 1), row);
    }
    if shuffled && !rows.is_empty() {
        let stat = |f: &dyn Fn(&[f64]) -> f64| {
            std::array::from_fn::<f64, N, _>(|k| {
                let col: Vec<f64> = rows.iter().map(|r| r[k]).collect();
                f(&col)
            })
        };
        let mean = |c: &[f64]| c.iter().sum::<f64>() / c.len() as f64;
        let std = |c: &[f64]| {
            let m = mean(c);
            (c.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / c.len() as f64).sqrt()
        };
        out += &line("mean", &stat(&mean));
        out += &line("std", &stat(&std));
        out += &line(
            "min",
            &stat(&|c: &[f64]| c.iter().copied().fold(f64::INFINITY, f64::min)),
        );
        out += &line(
            "max",
            &stat(&|c: &[f64]| c.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        );
    }
    out
}

/// A headline with its event label, at the epoch (for the tests of this module and its
/// parts).
#[cfg(test)]
fn labeled_doc(id: &str, title: &str, event: &str) -> LabeledDoc {
    LabeledDoc {
        doc: Doc {
            id: id.into(),
            title: title.into(),
            summary: String::new(),
            url: None,
            guid: None,
            source: "s".into(),
            published: DateTime::UNIX_EPOCH,
        },
        event: Some(event.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_matches_the_published_result() {
        let s = Scores::from_counts(936_031, 17_710, 101_072);
        assert!((s.precision - 0.98143).abs() < 5e-6, "{s:?}");
        assert!((s.recall - 0.90254).abs() < 5e-6, "{s:?}");
        assert!((s.f1 - 0.94034).abs() < 5e-6, "{s:?}");
    }

    #[test]
    fn pair_counts_and_bcubed_on_a_small_case() {
        // gold {0,1,2} {3,4}; predicted {0,1} {2,3,4}
        let gold = [0, 0, 0, 1, 1];
        let pred = [0, 0, 1, 1, 1];
        assert_eq!(pair_counts(&pred, &gold), (2, 2, 2));
        let b = bcubed(&pred, &gold);
        // precision: items 0,1 -> 1; items 2,3,4 -> 1/3, 2/3, 2/3 => (2 + 5/3) / 5
        assert!((b.precision - (2.0 + 5.0 / 3.0) / 5.0).abs() < 1e-12);
        // recall: items 0,1 -> 2/3; item 2 -> 1/3; items 3,4 -> 1 => (4/3 + 1/3 + 2) / 5
        assert!((b.recall - (4.0 / 3.0 + 1.0 / 3.0 + 2.0) / 5.0).abs() < 1e-12);
    }

    #[test]
    fn merges_go_into_the_story_a_split_leaves() {
        use crate::cluster::Split;
        use crate::model::MatchKind;
        let ids = ["a", "b", "c", "d", "e"];
        let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, a)| (*a, i)).collect();
        let mut stories = Stories::new(ids.len());
        let filed = |story: &str| Assignment {
            story_id: story.into(),
            match_kind: MatchKind::New,
            score: 1.0,
            duplicate_of: None,
            headline_article: String::new(),
            merged: Vec::new(),
            splits: Vec::new(),
        };
        // a and b in story S, c and d in story T.
        for (i, s) in [(0, "S"), (1, "S"), (2, "T"), (3, "T")] {
            stories.apply(i, filed(s), &index);
        }
        // e joins S, S absorbs T, and a split moves b and d out, with e, into story U.
        let step = Assignment {
            merged: vec!["T".into()],
            splits: vec![Split {
                from: "S".into(),
                to: "U".into(),
                articles: vec!["b".into(), "d".into()],
                headline_article: "b".into(),
                from_headline_article: "a".into(),
            }],
            ..filed("U")
        };
        assert_eq!(step.merged_into(), "S");
        stories.apply(4, step, &index);
        assert_eq!(stories.story, ["S", "U", "S", "U", "U"]);
    }

    #[test]
    fn perfect_clustering_scores_one() {
        let labels = [3, 3, 7, 9, 9, 9];
        assert_eq!(bcubed(&labels, &labels).f1, 1.0);
        assert_eq!(pairwise(&labels, &labels).f1, 1.0);
    }

    fn write(lines: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(lines.as_bytes()).unwrap();
        f
    }

    #[test]
    fn reads_articles_and_names_the_bad_line() {
        let good = write(concat!(
            r#"{"id":"a","title":"T","summary":null,"url":"","source":"S","published":"2024-05-01T10:00:00Z","event":"e1"}"#,
            "\n\n",
            r#"{"id":"b","title":"U","published":null,"topic":"x"}"#,
            "\n"
        ));
        let docs = read_jsonl(good.path()).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].doc.url, None);
        assert_eq!(docs[1].event, None);
        assert_eq!(docs[1].doc.published, docs[0].doc.published);
        let bad = write("{\"id\":\"a\",\"title\":\"T\"}\n{\"title\": 3}\n");
        let err = read_jsonl(bad.path()).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        let bad_time = write("{\"id\":\"a\",\"published\":\"yesterday\"}\n");
        assert!(
            read_jsonl(bad_time.path())
                .unwrap_err()
                .to_string()
                .contains("line 1")
        );
    }

    #[test]
    fn a_background_streams_first_unlabeled_over_the_day_before() {
        let docs = shuffled(
            &[
                labeled_doc("1", "Volcano erupts on remote island", "v"),
                labeled_doc("2", "Central bank raises interest rates", "b"),
            ],
            3,
        );
        let background = [
            labeled_doc("1", "Ferry timetable for the winter season", "f"),
            labeled_doc("9", "Museum opens a new wing for modern art", "m"),
        ];
        let first = docs.iter().map(|d| d.doc.published).min().unwrap();
        let bg = before(&background, &docs, 5);
        assert_eq!(bg.len(), 2);
        for d in &bg {
            assert!(d.doc.id.starts_with("background/"), "{}", d.doc.id);
            assert_eq!(d.event, None);
            let ahead = first - d.doc.published;
            assert!(
                ahead > TimeDelta::zero() && ahead <= TimeDelta::days(1),
                "{ahead}"
            );
        }
        let ids = |v: &[LabeledDoc]| {
            v.iter()
                .map(|d| (d.doc.id.clone(), d.doc.published))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&bg), ids(&before(&background, &docs, 5)));
        // Scored on the input alone: its two events, its two stories.
        let eval = evaluate(&docs, &background, &EngineConfig::default(), Some(2), 1);
        assert!(eval.runs.iter().all(|r| r.events == 2 && r.stories == 2));
    }

    #[test]
    fn shuffled_runs_are_reproducible_from_the_seed() {
        let doc = labeled_doc;
        let docs = vec![
            doc(
                "1",
                "Volcano erupts on remote island, villages evacuated",
                "v",
            ),
            doc(
                "2",
                "Remote island volcano eruption forces villages to evacuate",
                "v",
            ),
            doc(
                "3",
                "Central bank raises interest rates by half a point",
                "b",
            ),
            doc(
                "4",
                "Interest rates raised half a point by central bank",
                "b",
            ),
        ];
        let a = shuffled(&docs, 7);
        let b = shuffled(&docs, 7);
        let ids = |v: &[LabeledDoc]| {
            v.iter()
                .map(|d| (d.doc.id.clone(), d.doc.published))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&a), ids(&b));
        let eval = evaluate(&docs, &[], &EngineConfig::default(), Some(2), 1);
        assert_eq!(eval.runs.len(), 2);
        assert!(eval.runs.iter().all(|r| r.events == 2));
        assert_eq!(eval.confusion.runs, 2);
    }
}

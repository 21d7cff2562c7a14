//! The store's invariant check (`storyd check-store`): a full pass over records and indexes
//! that reports every disagreement instead of stopping at the first.
//!
//! Invariants: every record decodes and sits under its own id; every article's story exists
//! and is live; every live story's articles exist and point back to it, and its
//! `article_count` is their number, its `sources`/`feed_ids` hold theirs; a merged story holds
//! no article and its chain ends in a live story; every index entry has its record and every
//! record has exactly its index entries. The word index in particular: every article has an
//! entry for each word of its title, holding the article's story id, and no other entry exists.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::model::{Article, FeedState, Story};

use xxhash_rust::xxh3::xxh3_64;

use super::{SCHEMA_VERSION, Store, StoreError, codec, keys};

/// How many problems a report lists in full; the rest are only counted.
const MAX_LISTED: usize = 100;

/// The outcome of [`Store::check`].
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CheckReport {
    /// Feed records seen.
    pub feeds: u64,
    /// Article records seen.
    pub articles: u64,
    /// Live story records seen.
    pub stories: u64,
    /// Merged-story records seen.
    pub merged_stories: u64,
    /// Index entries seen.
    pub index_entries: u64,
    /// The first problems found, each naming the key or record concerned.
    pub problems: Vec<String>,
    /// All problems found, listed or not.
    pub problem_count: u64,
}

impl CheckReport {
    /// True when no invariant is broken.
    pub fn is_sound(&self) -> bool {
        self.problem_count == 0
    }

    fn problem(&mut self, message: String) {
        self.problem_count += 1;
        if self.problems.len() < MAX_LISTED {
            self.problems.push(message);
        }
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "feeds: {}, articles: {}, stories: {} (+{} merged), index entries: {}",
            self.feeds, self.articles, self.stories, self.merged_stories, self.index_entries
        )?;
        if self.is_sound() {
            return write!(f, "store is sound");
        }
        writeln!(f, "{} problem(s):", self.problem_count)?;
        for problem in &self.problems {
            writeln!(f, "  - {problem}")?;
        }
        if self.problem_count > self.problems.len() as u64 {
            writeln!(
                f,
                "  ... and {} more",
                self.problem_count - self.problems.len() as u64
            )?;
        }
        write!(f, "store is NOT sound")
    }
}

/// What the record pass learned, for the cross-checks.
#[derive(Default)]
struct Seen {
    stories: HashMap<String, Story>,
    articles: Vec<Article>,
    expected_index: HashSet<Vec<u8>>,
    /// Expected word-index entries as hashes (key -> story id): a store has about ten per
    /// article, too many to hold as keys.
    expected_words: HashMap<u64, u64>,
}

impl Store {
    /// Verifies every invariant of the store; an `Err` only when the store cannot be read.
    pub fn check(&self) -> Result<CheckReport, StoreError> {
        let mut report = CheckReport::default();
        self.check_schema(&mut report)?;
        for item in self.scan(&[keys::FEED], None) {
            let (key, value) = item?;
            report.feeds += 1;
            if let Some(feed) = decoded::<FeedState>(&mut report, &key, &value) {
                expect_id(&mut report, &key, &keys::feed(&feed.id));
            }
        }
        let mut seen = Seen::default();
        self.check_stories(&mut report, &mut seen)?;
        self.check_articles(&mut report, &mut seen)?;
        self.check_indexes(&mut report, &mut seen)?;
        self.check_words(&mut report, &mut seen)?;
        Ok(report)
    }

    fn check_schema(&self, report: &mut CheckReport) -> Result<(), StoreError> {
        match self.get_raw(&keys::schema_key())? {
            Some(v) if v == SCHEMA_VERSION.to_be_bytes() => {}
            Some(_) => report.problem("meta/v: unexpected schema version".into()),
            None => report.problem("meta/v: schema version missing".into()),
        }
        Ok(())
    }

    fn check_stories(&self, report: &mut CheckReport, seen: &mut Seen) -> Result<(), StoreError> {
        for item in self.scan(&[keys::STORY], None) {
            let (key, value) = item?;
            let Some(story) = decoded::<Story>(report, &key, &value) else {
                continue;
            };
            expect_id(report, &key, &keys::story(&story.id));
            if story.merged_into.is_some() {
                report.merged_stories += 1;
                match self.story(&story.id) {
                    Ok(Some(_)) => {}
                    Ok(None) | Err(StoreError::MergeChain { .. }) => report.problem(format!(
                        "story {}: merge chain leads to no live story",
                        story.id
                    )),
                    Err(e) => return Err(e),
                }
            } else {
                report.stories += 1;
                seen.expected_index.insert(keys::story_by_updated(&story));
                seen.expected_index.insert(keys::story_by_rank(&story));
            }
            seen.stories.insert(story.id.clone(), story);
        }
        Ok(())
    }

    fn check_articles(&self, report: &mut CheckReport, seen: &mut Seen) -> Result<(), StoreError> {
        let mut counts: HashMap<&str, u64> = HashMap::new();
        for item in self.scan(&[keys::ARTICLE], None) {
            let (key, value) = item?;
            report.articles += 1;
            if let Some(article) = decoded::<Article>(report, &key, &value) {
                expect_id(report, &key, &keys::article(&article.id));
                seen.articles.push(article);
            }
        }
        for article in &seen.articles {
            seen.expected_index
                .insert(keys::article_by_story(&article.story_id, article));
            seen.expected_index.insert(keys::article_by_feed(article));
            seen.expected_index.insert(keys::article_by_seen(article));
            for key in keys::article_words(article) {
                seen.expected_words
                    .insert(xxh3_64(&key), xxh3_64(article.story_id.as_bytes()));
            }
            let Some(story) = seen.stories.get(&article.story_id) else {
                report.problem(format!(
                    "article {}: its story {} does not exist",
                    article.id, article.story_id
                ));
                continue;
            };
            if let Some(into) = &story.merged_into {
                report.problem(format!(
                    "article {}: its story {} was merged into {}",
                    article.id, story.id, into
                ));
            }
            if !story.sources.contains(&article.source) {
                report.problem(format!(
                    "story {}: sources lack {:?} of article {}",
                    story.id, article.source, article.id
                ));
            }
            if !story.feed_ids.contains(&article.feed_id) {
                report.problem(format!(
                    "story {}: feed_ids lack {} of article {}",
                    story.id, article.feed_id, article.id
                ));
            }
            *counts.entry(story.id.as_str()).or_default() += 1;
        }
        for story in seen.stories.values() {
            let held = counts.get(story.id.as_str()).copied().unwrap_or(0);
            if story.article_count != held {
                report.problem(format!(
                    "story {}: article_count is {} but {} article(s) point to it",
                    story.id, story.article_count, held
                ));
            }
            if story.merged_into.is_none() && held == 0 {
                report.problem(format!("story {}: live but holds no article", story.id));
            }
        }
        Ok(())
    }

    /// Every index entry must be one a record implies, and every implied entry must exist.
    fn check_indexes(&self, report: &mut CheckReport, seen: &mut Seen) -> Result<(), StoreError> {
        let prefixes = [
            keys::STORY_BY_UPDATED,
            keys::STORY_BY_RANK,
            keys::ARTICLE_BY_STORY,
            keys::ARTICLE_BY_FEED,
            keys::ARTICLE_BY_SEEN,
        ];
        for prefix in prefixes {
            for item in self.scan(&[prefix], None) {
                let (key, _) = item?;
                report.index_entries += 1;
                if !seen.expected_index.remove(&key) {
                    report.problem(format!(
                        "{}: index entry without a matching record",
                        keys::describe(&key)
                    ));
                }
            }
        }
        let mut missing: Vec<_> = seen.expected_index.drain().collect();
        missing.sort();
        for key in missing {
            let id = keys::id_of_index(&key).unwrap_or("?");
            report.problem(format!(
                "{}: index entry missing for {id}",
                keys::describe(&key)
            ));
        }
        Ok(())
    }
}

impl Store {
    /// Every word-index entry must be a word of its article's title and hold the article's
    /// story id, and every word of every title must have its entry.
    fn check_words(&self, report: &mut CheckReport, seen: &mut Seen) -> Result<(), StoreError> {
        for item in self.scan(&[keys::WORD], None) {
            let (key, value) = item?;
            report.index_entries += 1;
            match seen.expected_words.remove(&xxh3_64(&key)) {
                None => report.problem(format!(
                    "{}: word entry without an article title holding the word",
                    keys::describe(&key)
                )),
                Some(story) if story != xxh3_64(&value) => {
                    let id = keys::id_of_index(&key).unwrap_or("?");
                    let article_story = seen
                        .articles
                        .iter()
                        .find(|a| a.id == id)
                        .map_or("?", |a| a.story_id.as_str());
                    report.problem(format!(
                        "{}: word entry names story {} but the article is in story {}",
                        keys::describe(&key),
                        String::from_utf8_lossy(&value),
                        article_story
                    ));
                }
                Some(_) => {}
            }
        }
        if seen.expected_words.is_empty() {
            return Ok(());
        }
        // Name the missing entries: a second pass over the articles finds the keys left.
        for article in &seen.articles {
            for key in keys::article_words(article) {
                if seen.expected_words.remove(&xxh3_64(&key)).is_some() {
                    report.problem(format!(
                        "{}: word entry missing for article {}",
                        keys::describe(&key),
                        article.id
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Decodes a record, or notes why it does not decode.
fn decoded<T: serde::de::DeserializeOwned>(
    report: &mut CheckReport,
    key: &[u8],
    value: &[u8],
) -> Option<T> {
    match codec::decode(key, value) {
        Ok(record) => Some(record),
        Err(e) => {
            report.problem(e.to_string());
            None
        }
    }
}

/// Notes a record stored under another id than its own.
fn expect_id(report: &mut CheckReport, key: &[u8], expected: &[u8]) {
    if key != expected {
        report.problem(format!(
            "{}: holds the record of {}",
            keys::describe(key),
            keys::describe(expected)
        ));
    }
}

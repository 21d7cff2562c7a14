//! Files new entries into stories: asks the story engine where each belongs, then writes the
//! article and its story's change to the store together.
//!
//! Sits between `feed` (normalized entries) and `store`; used by `refresh` in the daemon and by
//! the ingest benchmark, so both run exactly the same path.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use crate::cluster::{Assignment, Doc, Duplicate, Engine, EngineConfig, Heading, Split};
use crate::metrics::Metrics;
use crate::model::{Article, Entry, FeedState, MatchKind, Story, Time, article_id};
use crate::store::{Store, StoreError};

/// What one batch of entries did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct IngestReport {
    /// Articles stored for the first time.
    pub new_articles: usize,
    /// Entries already stored (seen in an earlier poll).
    pub already_seen: usize,
    /// Stories founded by this batch.
    pub new_stories: usize,
    /// Articles that exactly or nearly duplicated an earlier one.
    pub duplicates: usize,
}

/// The story engine and the store, kept in step.
pub struct Ingestor {
    engine: Engine,
    store: Store,
    metrics: Metrics,
    /// A restore deferred until the engine is first needed (see [`Ingestor::restore_later`]).
    pending_restore: Option<Time>,
    config: EngineConfig,
    /// A write failed after the engine had filed an article: the engine knows something the
    /// store does not, and is rebuilt from the store before it files anything else.
    stale: bool,
}

impl Ingestor {
    /// An ingestor with an empty engine window.
    pub fn new(store: Store, config: EngineConfig) -> Self {
        Ingestor {
            engine: Engine::new(config.clone()),
            store,
            metrics: Metrics::default(),
            pending_restore: None,
            config,
            stale: false,
        }
    }

    /// The same ingestor, counting into `metrics` (duplicates, merges, engine latency).
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Like [`Ingestor::restore`], but only when the first new article arrives: a poll round in
    /// which every feed answers 304 (or only repeats what is stored) then never pays for it.
    pub fn restore_later(&mut self, since: Time) {
        self.pending_restore = Some(since);
    }

    /// Puts the articles first seen since `since` back into the engine's window (after a restart).
    pub fn restore(&mut self, since: Time) -> Result<usize, StoreError> {
        self.pending_restore = None;
        let articles = self.store.articles_since(since)?;
        // Each story keeps its stored headline where that is among the articles put back.
        let in_window: HashSet<&str> = articles.iter().map(|a| a.id.as_str()).collect();
        let mut headlines: HashMap<&str, Option<String>> = HashMap::new();
        for article in &articles {
            let story = article.story_id.as_str();
            if !headlines.contains_key(story) {
                let stored = self.store.story(story)?.map(|s| s.headline_article);
                headlines.insert(story, stored.filter(|h| in_window.contains(h.as_str())));
            }
        }
        for article in &articles {
            let story = article.story_id.as_str();
            let heading = match headlines.get(story).and_then(Option::as_deref) {
                Some(h) if h == article.id => Heading::Headline,
                Some(_) => Heading::Member,
                None => Heading::Unknown,
            };
            let duplicate = article.duplicate_of.as_deref().map(|of| Duplicate {
                of,
                kind: article.match_kind,
                score: article.score,
            });
            self.engine
                .restore(&doc_of(article), story, heading, duplicate);
        }
        self.metrics.stories_active(self.engine.active_stories());
        Ok(articles.len())
    }

    /// Stories currently open in the engine's window.
    pub fn active_stories(&self) -> usize {
        self.engine.active_stories()
    }

    /// Files the entries of one feed; `feed.article_count` is kept up to date in the same writes.
    ///
    /// After a failed write (a full disk, say) the engine is rebuilt from the store before the
    /// next batch, so an article that never landed cannot become a "duplicate" of itself.
    pub fn ingest(
        &mut self,
        feed: &mut FeedState,
        entries: &[Entry],
        now: Time,
    ) -> Result<IngestReport, StoreError> {
        if self.stale {
            let window = chrono::Duration::from_std(self.config.window).unwrap_or_default();
            self.engine = Engine::new(self.config.clone());
            let restored = self.restore(now - window)?;
            tracing::warn!(
                restored,
                "story engine rebuilt from the store after a failed write"
            );
            self.stale = false;
        }
        let result = self.file_entries(feed, entries, now);
        self.stale = result.is_err();
        result
    }

    fn file_entries(
        &mut self,
        feed: &mut FeedState,
        entries: &[Entry],
        now: Time,
    ) -> Result<IngestReport, StoreError> {
        let mut report = IngestReport::default();
        // The engine takes articles in about the order they were published; a feed lists its
        // newest first, so its batch is filed oldest first (ties keep the feed's order).
        let mut in_time_order: Vec<&Entry> = entries.iter().collect();
        in_time_order.sort_by_key(|e| e.published);
        for entry in in_time_order {
            let id = article_id(&feed.id, &entry.key);
            if self.store.contains_article(&id)? {
                report.already_seen += 1;
                continue;
            }
            if let Some(since) = self.pending_restore {
                let restored = self.restore(since)?;
                tracing::info!(restored, "story engine window restored");
            }
            let mut article = Article {
                id,
                feed_id: feed.id.clone(),
                source: feed.name.clone(),
                guid: entry.guid.clone(),
                title: entry.title.clone(),
                summary: entry.summary.clone(),
                url: entry.url.clone(),
                published: entry.published,
                first_seen: now,
                story_id: String::new(),
                duplicate_of: None,
                match_kind: MatchKind::New,
                score: 1.0,
            };
            let started = Instant::now();
            let assignment = self.engine.add(&doc_of(&article));
            self.metrics.filed(
                assignment.match_kind,
                started.elapsed(),
                assignment.merged.len(),
            );
            article.story_id = assignment.story_id.clone();
            article.duplicate_of = assignment.duplicate_of.clone();
            article.match_kind = assignment.match_kind;
            article.score = assignment.score;
            self.write(&article, &assignment, feed, now)?;
            report.new_articles += 1;
            match assignment.match_kind {
                MatchKind::New => report.new_stories += 1,
                MatchKind::Exact | MatchKind::NearDuplicate => report.duplicates += 1,
                MatchKind::Similar => {}
            }
        }
        self.metrics.stories_active(self.engine.active_stories());
        Ok(report)
    }

    /// Writes an article and what the engine decided for it: merges, splits, its story.
    fn write(
        &self,
        article: &Article,
        assignment: &Assignment,
        feed: &mut FeedState,
        now: Time,
    ) -> Result<(), StoreError> {
        // Each write leaves the store sound on its own (a crash may fall between them), so
        // no story is ever live without an article: an article that moved with a split is
        // filed after the split made its story; one that stayed, before the split leaves.
        let moved = assignment.splits.iter().any(|s| s.to == article.story_id);
        if moved {
            // The stories the step merged go into the one the splits leave, first.
            self.merge_before_split(assignment)?;
            for split in &assignment.splits {
                self.split(split, article, now)?;
            }
        }
        let story = self.file(article, assignment, now)?;
        feed.article_count += 1;
        self.store.commit_article(article, &story, Some(feed))?;
        if !moved {
            for split in &assignment.splits {
                self.split(split, article, now)?;
            }
        }
        Ok(())
    }

    /// Moves the stored articles of a split into their new story (`article`, being filed in
    /// the same step, may be the new story's headline).
    fn split(&self, split: &Split, article: &Article, now: Time) -> Result<(), StoreError> {
        let Some(mut from) = self.store.story(&split.from)? else {
            tracing::warn!(story = %split.from, "split of a story the store does not hold");
            return Ok(());
        };
        if from.id != split.from {
            // The store merged it elsewhere meanwhile; nothing to split apart here.
            return Ok(());
        }
        let headline_of = |id: &str| -> Result<Option<Article>, StoreError> {
            if id == article.id {
                Ok(Some(article.clone()))
            } else {
                self.store.article(id)
            }
        };
        if split.from_headline_article != from.headline_article {
            if let Some(h) = headline_of(&split.from_headline_article)? {
                set_headline(&mut from, h);
            }
        }
        let mut to = blank_story(split.to.clone(), now, from.updated);
        if let Some(h) = headline_of(&split.headline_article)? {
            set_headline(&mut to, h);
        }
        let moved = self.store.split_story(&from, &to, &split.articles)?;
        self.metrics.split(moved);
        tracing::debug!(from = %split.from, to = %split.to, moved, "story split");
        Ok(())
    }

    /// Merges the stories a step absorbed into the story its splits leave, when the article
    /// left with a split (so `file` cannot: it files into the split's new story).
    fn merge_before_split(&self, assignment: &Assignment) -> Result<(), StoreError> {
        if assignment.merged.is_empty() {
            return Ok(());
        }
        let Some(mut into) = self.store.story(assignment.merged_into())? else {
            tracing::warn!(story = %assignment.merged_into(), "merge into a story the store does not hold");
            return Ok(());
        };
        self.merge_into(&mut into, &assignment.merged)
    }

    /// Folds the `absorbed` stories into `story` in the store.
    fn merge_into(&self, story: &mut Story, absorbed: &[String]) -> Result<(), StoreError> {
        for id in absorbed {
            // The store follows merges: a story already folded in answers with `story` itself.
            if let Some(other) = self.store.story(id)?.filter(|o| o.id != story.id) {
                story.first_seen = story.first_seen.min(other.first_seen);
                self.store.merge_story(&other.id, story)?;
            }
        }
        Ok(())
    }

    /// The story record after `article` joins it, with any merges the engine made applied first.
    fn file(
        &self,
        article: &Article,
        assignment: &Assignment,
        now: Time,
    ) -> Result<Story, StoreError> {
        let existing = match assignment.match_kind {
            MatchKind::New => None,
            _ => self.store.story(&assignment.story_id)?,
        };
        let mut story = existing.unwrap_or_else(|| {
            let mut s = blank_story(assignment.story_id.clone(), now, now);
            set_headline(&mut s, article.clone());
            s
        });
        // Merges into another story were made before the splits (`merge_before_split`).
        if assignment.merged_into() == story.id {
            self.merge_into(&mut story, &assignment.merged)?;
        }
        // The store derives article_count, sources and feed_ids from what it holds plus this article.
        // Refreshes run concurrently, each stamped with the time it started: a late one must
        // not move `updated` back, nor leave `first_seen` after its own article's.
        story.first_seen = story.first_seen.min(now);
        story.updated = story.updated.max(now);
        if assignment.headline_article != story.headline_article {
            let headline = if assignment.headline_article == article.id {
                Some(article.clone())
            } else {
                self.store.article(&assignment.headline_article)?
            };
            if let Some(h) = headline {
                set_headline(&mut story, h);
            }
        }
        Ok(story)
    }
}

/// A story record with no headline and no articles yet (the store derives the counts).
fn blank_story(id: String, first_seen: Time, updated: Time) -> Story {
    Story {
        id,
        headline: String::new(),
        headline_article: String::new(),
        summary: String::new(),
        first_seen,
        updated,
        article_count: 0,
        sources: Vec::new(),
        feed_ids: Vec::new(),
        merged_into: None,
    }
}

/// Makes `h` the story's headline article.
fn set_headline(story: &mut Story, h: Article) {
    story.headline = h.title;
    story.summary = h.summary;
    story.headline_article = h.id;
}

/// What the engine sees of an article.
pub fn doc_of(article: &Article) -> Doc {
    Doc {
        id: article.id.clone(),
        title: article.title.clone(),
        summary: article.summary.clone(),
        url: article.url.clone(),
        guid: article.guid.clone(),
        source: article.source.clone(),
        published: article.published,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Split;
    use chrono::{DateTime, TimeDelta};

    fn article(id: &str, story: &str, at: Time) -> Article {
        Article {
            id: id.into(),
            feed_id: "f".into(),
            source: "Example Post".into(),
            guid: None,
            title: format!("Harbour bridge repairs, part {id}"),
            summary: String::new(),
            url: None,
            published: at,
            first_seen: at,
            story_id: story.into(),
            duplicate_of: None,
            match_kind: MatchKind::Similar,
            score: 0.5,
        }
    }

    fn decided(story: &str, merged: &[&str], splits: Vec<Split>) -> Assignment {
        Assignment {
            story_id: story.into(),
            match_kind: MatchKind::Similar,
            score: 0.5,
            duplicate_of: None,
            headline_article: "a".into(),
            merged: merged.iter().map(|m| m.to_string()).collect(),
            splits,
        }
    }

    #[test]
    fn a_merge_goes_into_the_story_a_split_leaves_before_the_split() {
        let ingestor = Ingestor::new(Store::temporary().expect("store"), EngineConfig::default());
        let t0 = DateTime::UNIX_EPOCH + TimeDelta::days(20_000);
        let mut feed = FeedState::pending(
            "https://example.org/feed",
            "https://example.org/feed",
            "f",
            t0,
        );
        // a and b in story S, c and d in story T.
        for (i, (id, story)) in [("a", "S"), ("b", "S"), ("c", "T"), ("d", "T")]
            .into_iter()
            .enumerate()
        {
            let at = t0 + TimeDelta::minutes(i as i64);
            let headline = if story == "S" { "a" } else { "c" };
            let step = Assignment {
                headline_article: headline.into(),
                ..decided(story, &[], Vec::new())
            };
            ingestor
                .write(&article(id, story, at), &step, &mut feed, at)
                .expect("write");
        }
        // e joins S, S absorbs T, and a split moves b and d out, with e, into story U.
        let split = Split {
            from: "S".into(),
            to: "U".into(),
            articles: vec!["b".into(), "d".into()],
            headline_article: "b".into(),
            from_headline_article: "a".into(),
        };
        let at = t0 + TimeDelta::minutes(5);
        let step = decided("U", &["T"], vec![split]);
        ingestor
            .write(&article("e", "U", at), &step, &mut feed, at)
            .expect("write");
        let story = |id: &str| {
            ingestor
                .store
                .article(id)
                .expect("read")
                .expect("stored")
                .story_id
        };
        let stories: Vec<String> = ["a", "b", "c", "d", "e"].into_iter().map(story).collect();
        assert_eq!(stories, ["S", "U", "S", "U", "U"]);
        let merged = ingestor.store.story("T").expect("read").expect("redirect");
        assert_eq!(
            merged.id, "S",
            "T now answers with the story that absorbed it"
        );
        assert!(ingestor.store.check().expect("check").is_sound());
    }
}

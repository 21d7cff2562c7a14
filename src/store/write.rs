//! The store's compound writes: an article with its story, a merge of two stories, a split
//! of one, and the retention prune. Each lands as one atomic batch (prune: one batch per
//! chunk of articles, each leaving the store consistent), built from the records it replaces.
//!
//! The store owns a story's `article_count`, `sources` and `feed_ids`: it derives them from
//! what it already holds plus the write, so a caller with a partial view (the engine after a
//! restart only knows its recent window) cannot make them disagree with the stored articles.

use std::sync::MutexGuard;

use crate::model::{Article, FeedState, Story, Time};

use super::backend::WriteBatch;
use super::{Store, StoreError, codec, keys};

/// How many articles one prune batch deletes: bounds the batch's size in memory.
const PRUNE_CHUNK: usize = 512;

/// What a prune removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PruneReport {
    /// Articles deleted.
    pub articles: u64,
    /// Live stories deleted because no article was left in them.
    pub stories: u64,
    /// Merged-story redirects deleted because the story they led to is gone.
    pub redirects: u64,
}

/// Puts the word-index entries of `article`'s title, each holding its story id.
pub(super) fn put_words(batch: &mut WriteBatch, article: &Article) {
    for key in keys::article_words(article) {
        batch.put(key, article.story_id.as_bytes().to_vec());
    }
}

/// Appends to `into` every name of `extra` it does not hold yet, keeping arrival order.
fn union_into(into: &mut Vec<String>, extra: &[String]) {
    for name in extra {
        if !into.contains(name) {
            into.push(name.clone());
        }
    }
}

/// Makes `story` a live story of exactly `articles`: their number, sources and feed ids.
fn holding(story: &mut Story, articles: &[Article]) {
    story.merged_into = None;
    story.article_count = articles.len() as u64;
    story.sources.clear();
    story.feed_ids.clear();
    for article in articles {
        union_into(&mut story.sources, std::slice::from_ref(&article.source));
        union_into(&mut story.feed_ids, std::slice::from_ref(&article.feed_id));
    }
}

impl Store {
    fn lock_writes(&self) -> MutexGuard<'_, ()> {
        // A writer that panicked left no half-applied batch behind (batches are atomic), so a
        // poisoned lock is safe to take over.
        self.inner
            .write_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads a story for a write: it must be live if it exists.
    fn live_story_for_write(&self, id: &str) -> Result<Option<Story>, StoreError> {
        let story: Option<Story> = self.get(&keys::story(id))?;
        match story {
            Some(Story {
                merged_into: Some(into),
                ..
            }) => Err(StoreError::StoryMerged {
                id: id.to_string(),
                into,
            }),
            other => Ok(other),
        }
    }

    /// Puts `story` and its order-index entries, removing those of `old` (its previous version).
    fn put_story(
        &self,
        batch: &mut WriteBatch,
        old: Option<&Story>,
        story: &Story,
    ) -> Result<(), StoreError> {
        if let Some(old) = old {
            batch.delete(keys::story_by_updated(old));
            batch.delete(keys::story_by_rank(old));
        }
        batch.put(keys::story_by_updated(story), Vec::new());
        batch.put(keys::story_by_rank(story), Vec::new());
        let key = keys::story(&story.id);
        batch.put(key.clone(), codec::encode(&key, story)?);
        Ok(())
    }

    /// Puts `article`, its three index entries and its title's word-index entries.
    ///
    /// Every write that moves an article to another story (merge, split) puts it again, so the
    /// story id its word entries hold changes in the same batch as the article's own.
    fn put_article(&self, batch: &mut WriteBatch, article: &Article) -> Result<(), StoreError> {
        let key = keys::article(&article.id);
        batch.put(key.clone(), codec::encode(&key, article)?);
        batch.put(
            keys::article_by_story(&article.story_id, article),
            Vec::new(),
        );
        batch.put(keys::article_by_feed(article), Vec::new());
        batch.put(keys::article_by_seen(article), Vec::new());
        put_words(batch, article);
        Ok(())
    }

    /// Deletes `article`, its three index entries and its title's word-index entries.
    fn delete_article(&self, batch: &mut WriteBatch, article: &Article) {
        batch.delete(keys::article(&article.id));
        batch.delete(keys::article_by_story(&article.story_id, article));
        batch.delete(keys::article_by_feed(article));
        batch.delete(keys::article_by_seen(article));
        for key in keys::article_words(article) {
            batch.delete(key);
        }
    }

    /// Atomically: inserts `article`, writes its story (new or updated, order indexes moved),
    /// and stores `feed` (the caller's new state, article_count bumped) when given.
    ///
    /// Committing an article again (same id, same story) replaces it without counting it twice.
    pub fn commit_article(
        &self,
        article: &Article,
        story: &Story,
        feed: Option<&FeedState>,
    ) -> Result<(), StoreError> {
        if article.story_id != story.id {
            return Err(StoreError::InvalidWrite(format!(
                "article {} names story {} but is committed with story {}",
                article.id, article.story_id, story.id
            )));
        }
        let _guard = self.lock_writes();
        let mut batch = WriteBatch::new();
        let previous: Option<Article> = self.article(&article.id)?;
        if let Some(previous) = &previous {
            if previous.story_id != story.id {
                return Err(StoreError::InvalidWrite(format!(
                    "article {} is already in story {}, not {}",
                    article.id, previous.story_id, story.id
                )));
            }
            self.delete_article(&mut batch, previous);
        }
        let old = self.live_story_for_write(&story.id)?;
        let mut stored = story.clone();
        stored.merged_into = None;
        stored.article_count =
            old.as_ref().map_or(0, |s| s.article_count) + u64::from(previous.is_none());
        stored.sources = old.as_ref().map(|s| s.sources.clone()).unwrap_or_default();
        union_into(&mut stored.sources, &story.sources);
        union_into(&mut stored.sources, std::slice::from_ref(&article.source));
        stored.feed_ids = old.as_ref().map(|s| s.feed_ids.clone()).unwrap_or_default();
        union_into(&mut stored.feed_ids, &story.feed_ids);
        union_into(&mut stored.feed_ids, std::slice::from_ref(&article.feed_id));
        self.put_article(&mut batch, article)?;
        self.put_story(&mut batch, old.as_ref(), &stored)?;
        if let Some(feed) = feed {
            let key = keys::feed(&feed.id);
            batch.put(key.clone(), codec::encode(&key, feed)?);
        }
        self.apply(batch)
    }

    /// Atomically: marks story `from` as merged into `into` (out of the order indexes), moves
    /// its articles (story_id and articles-by-story entries) and writes the updated `into`.
    pub fn merge_story(&self, from: &str, into: &Story) -> Result<(), StoreError> {
        if from == into.id {
            return Err(StoreError::InvalidWrite(format!(
                "story {from} cannot be merged into itself"
            )));
        }
        let _guard = self.lock_writes();
        let mut batch = WriteBatch::new();
        let Some(source) = self.live_story_for_write(from)? else {
            return Err(StoreError::StoryNotFound {
                id: from.to_string(),
            });
        };
        let old_into = self.live_story_for_write(&into.id)?;
        let mut moved = 0;
        for mut article in self.story_articles(from)? {
            batch.delete(keys::article_by_story(from, &article));
            article.story_id = into.id.clone();
            self.put_article(&mut batch, &article)?;
            moved += 1;
        }
        batch.delete(keys::story_by_updated(&source));
        batch.delete(keys::story_by_rank(&source));
        let mut redirect = source.clone();
        redirect.merged_into = Some(into.id.clone());
        redirect.article_count = 0;
        let key = keys::story(from);
        batch.put(key.clone(), codec::encode(&key, &redirect)?);

        let mut stored = into.clone();
        stored.merged_into = None;
        stored.article_count = old_into.as_ref().map_or(0, |s| s.article_count) + moved;
        stored.sources = old_into
            .as_ref()
            .map(|s| s.sources.clone())
            .unwrap_or_default();
        union_into(&mut stored.sources, &into.sources);
        union_into(&mut stored.sources, &source.sources);
        stored.feed_ids = old_into
            .as_ref()
            .map(|s| s.feed_ids.clone())
            .unwrap_or_default();
        union_into(&mut stored.feed_ids, &into.feed_ids);
        union_into(&mut stored.feed_ids, &source.feed_ids);
        self.put_story(&mut batch, old_into.as_ref(), &stored)?;
        self.apply(batch)
    }

    /// Atomically: moves the stored `articles` of story `from` into the new story `to` (a
    /// split), and writes both records. Articles no longer in `from` are left where they
    /// are. `to` may replace a merged-story redirect (a story the engine split back out),
    /// not a live story. The store derives counts, sources and feed ids of both from the
    /// articles each then holds, and `to`'s times from the moved articles; the callers'
    /// records give ids and headlines. Returns how many articles moved; with none to move it
    /// writes nothing, and a split that would leave `from` empty is refused (the store never
    /// holds a live story without an article).
    pub fn split_story(
        &self,
        from: &Story,
        to: &Story,
        articles: &[String],
    ) -> Result<u64, StoreError> {
        if from.id == to.id {
            return Err(StoreError::InvalidWrite(format!(
                "story {} cannot be split into itself",
                from.id
            )));
        }
        let _guard = self.lock_writes();
        let mut batch = WriteBatch::new();
        let Some(old_from) = self.live_story_for_write(&from.id)? else {
            return Err(StoreError::StoryNotFound {
                id: from.id.clone(),
            });
        };
        let old_to: Option<Story> = self.get(&keys::story(&to.id))?;
        if let Some(live) = old_to.as_ref().filter(|s| s.merged_into.is_none()) {
            return Err(StoreError::InvalidWrite(format!(
                "story {} cannot be split into live story {}",
                from.id, live.id
            )));
        }
        let mut moving: Vec<Article> = Vec::with_capacity(articles.len());
        for id in articles {
            if let Some(a) = self.article(id)?.filter(|a| a.story_id == from.id) {
                moving.push(a);
            }
        }
        if moving.is_empty() {
            // Nothing of `from` to move: writing `to` would leave a live story with no article.
            return Ok(0);
        }
        let moved: std::collections::HashSet<&str> = moving.iter().map(|a| a.id.as_str()).collect();
        let staying: Vec<Article> = self
            .story_articles(&from.id)?
            .into_iter()
            .filter(|a| !moved.contains(a.id.as_str()))
            .collect();
        if staying.is_empty() {
            return Err(StoreError::InvalidWrite(format!(
                "splitting every article out of story {} would leave it empty",
                from.id
            )));
        }
        let mut new_to = to.clone();
        holding(&mut new_to, &moving);
        if let Some(first) = moving.iter().map(|a| a.first_seen).min() {
            new_to.first_seen = first;
        }
        if let Some(last) = moving.iter().map(|a| a.first_seen).max() {
            new_to.updated = new_to.updated.max(last);
        }
        for mut article in moving {
            batch.delete(keys::article_by_story(&from.id, &article));
            article.story_id = to.id.clone();
            self.put_article(&mut batch, &article)?;
        }
        let mut new_from = from.clone();
        holding(&mut new_from, &staying);
        let count = new_to.article_count;
        self.put_story(&mut batch, Some(&old_from), &new_from)?;
        // A redirect has no order-index entries to remove.
        self.put_story(&mut batch, None, &new_to)?;
        self.apply(batch)?;
        Ok(count)
    }

    /// Deletes articles first seen before `before`, stories left with no article, and merged
    /// redirects that lead nowhere any more.
    ///
    /// A story that keeps some articles keeps its `sources` and `feed_ids` (the outlets that
    /// covered it, which stay true) and its place in the orders; its `article_count` drops to
    /// the articles it still holds. Feeds keep their `article_count` (articles ingested, ever).
    pub fn prune(&self, before: Time) -> Result<PruneReport, StoreError> {
        let _guard = self.lock_writes();
        let mut report = PruneReport::default();
        let cutoff = keys::seen_from(before);
        loop {
            let mut old = Vec::with_capacity(PRUNE_CHUNK);
            for item in self.scan(&[keys::ARTICLE_BY_SEEN], None) {
                let (key, _) = item?;
                if key >= cutoff || old.len() == PRUNE_CHUNK {
                    break;
                }
                if let Some(id) = keys::id_of_index(&key)
                    && let Some(article) = self.article(id)?
                {
                    old.push(article);
                } else {
                    // An index entry without its article: drop it so the prune makes progress.
                    let mut batch = WriteBatch::new();
                    batch.delete(key);
                    self.apply(batch)?;
                }
            }
            if old.is_empty() {
                break;
            }
            report.articles += old.len() as u64;
            report.stories += self.prune_chunk(&old)?;
        }
        report.redirects = self.prune_redirects()?;
        Ok(report)
    }

    /// Deletes one chunk of articles and updates (or deletes) their stories, atomically.
    fn prune_chunk(&self, articles: &[Article]) -> Result<u64, StoreError> {
        let mut batch = WriteBatch::new();
        let mut removed: Vec<(String, u64)> = Vec::new();
        for article in articles {
            self.delete_article(&mut batch, article);
            match removed.iter_mut().find(|(id, _)| *id == article.story_id) {
                Some((_, n)) => *n += 1,
                None => removed.push((article.story_id.clone(), 1)),
            }
        }
        let mut deleted = 0;
        for (id, n) in removed {
            let Some(mut story) = self.get::<Story>(&keys::story(&id))? else {
                continue;
            };
            story.article_count = story.article_count.saturating_sub(n);
            if story.article_count == 0 {
                batch.delete(keys::story(&id));
                batch.delete(keys::story_by_updated(&story));
                batch.delete(keys::story_by_rank(&story));
                deleted += 1;
            } else {
                let key = keys::story(&id);
                batch.put(key.clone(), codec::encode(&key, &story)?);
            }
        }
        self.apply(batch)?;
        Ok(deleted)
    }

    /// Deletes merged stories whose chain no longer ends in a live story.
    fn prune_redirects(&self) -> Result<u64, StoreError> {
        let mut dead = Vec::new();
        for item in self.scan(&[keys::STORY], None) {
            let (key, value) = item?;
            let story: Story = codec::decode(&key, &value)?;
            if story.merged_into.is_none() {
                continue;
            }
            match self.story(&story.id) {
                Ok(Some(_)) => {}
                Ok(None) | Err(StoreError::MergeChain { .. }) => dead.push(key),
                Err(e) => return Err(e),
            }
        }
        let count = dead.len() as u64;
        if !dead.is_empty() {
            let mut batch = WriteBatch::new();
            for key in dead {
                batch.delete(key);
            }
            self.apply(batch)?;
        }
        Ok(count)
    }
}

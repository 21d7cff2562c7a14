//! The store: the last stage of an item's flow (fetch -> parse/normalize -> cluster -> store
//! -> api). It keeps feeds with their fetch state, articles and stories in sled, behind the
//! narrow [`Backend`] trait, and gives the daemon and the API typed reads and atomic writes.
//!
//! Everything lives in one ordered key space (see `keys.rs`): records by id plus the indexes
//! the API and the engine's restore need. A write (an article and its story, a merge, a prune
//! step) is one [`WriteBatch`], so a crash leaves either all of it or none of it. Writers are
//! serialized by a lock because each write reads the records it replaces to move their index
//! entries. [`Store::check`] verifies that records and indexes agree.

mod api_feeds;
mod backend;
mod check;
mod codec;
mod error;
mod keys;
mod search;
mod sled;
mod upgrade;
mod words;
mod write;

#[cfg(test)]
mod durability_tests;
#[cfg(test)]
mod search_tests;
#[cfg(test)]
pub(crate) mod tests;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;

use crate::model::{Article, FeedState, Story, Time};

pub use api_feeds::ApiFeed;
pub use backend::{Backend, BackendError, KvIter, KvPair, WriteBatch};
pub use check::CheckReport;
pub use codec::RECORD_VERSION;
pub use error::StoreError;
pub use search::{MAX_WORD_ENTRIES, StoryIter, WordSearch};
pub use sled::SledBackend;
pub use words::{MAX_WORD_CHARS, matches as word_matches, words as title_words};
pub use write::PruneReport;

/// The version of the key layout; bumped when keys or tables change meaning.
///
/// 2 added the word index of article titles; a store of version 1 gets it built at open (an
/// older storyd refuses a version-2 store rather than write articles the index would miss).
pub const SCHEMA_VERSION: u32 = 2;

/// How many `merged_into` links [`Store::story`] follows before calling the chain broken.
const MAX_MERGE_HOPS: usize = 64;

/// The order of a story listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoryOrder {
    /// Most sources first, then most recently updated.
    Top,
    /// Most recently updated first.
    Recent,
}

impl StoryOrder {
    fn prefix(self) -> u8 {
        match self {
            StoryOrder::Top => keys::STORY_BY_RANK,
            StoryOrder::Recent => keys::STORY_BY_UPDATED,
        }
    }

    /// The key of a live story in this order's index (its cursor in a listing).
    fn key(self, story: &Story) -> Vec<u8> {
        match self {
            StoryOrder::Top => keys::story_by_rank(story),
            StoryOrder::Recent => keys::story_by_updated(story),
        }
    }

    fn name(self) -> &'static str {
        match self {
            StoryOrder::Top => "top",
            StoryOrder::Recent => "recent",
        }
    }
}

/// How many records the store holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Feeds.
    pub feeds: u64,
    /// Articles.
    pub articles: u64,
    /// Live stories (merged ones not included).
    pub stories: u64,
}

/// The typed store: cheap to clone, safe to share between tasks.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Box<dyn Backend>,
    path: PathBuf,
    /// Serializes writers: each write reads what it replaces before its batch lands.
    write_lock: Mutex<()>,
    /// Flush after every write (see [`Store::set_sync_writes`]).
    sync_writes: AtomicBool,
}

impl Store {
    /// Opens the store in directory `path`, creating it if missing.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let backend = SledBackend::open(path)?;
        Store::with_backend(Box::new(backend), path)
    }

    /// A store in a temporary sled database, removed when the last clone is dropped.
    pub fn temporary() -> Result<Store, StoreError> {
        Store::with_backend(
            Box::new(SledBackend::temporary()?),
            Path::new("<temporary>"),
        )
    }

    /// A store over any backend; `path` only names it in errors. Checks the schema version.
    pub fn with_backend(backend: Box<dyn Backend>, path: &Path) -> Result<Store, StoreError> {
        let store = Store {
            inner: Arc::new(Inner {
                backend,
                path: path.to_path_buf(),
                write_lock: Mutex::new(()),
                sync_writes: AtomicBool::new(false),
            }),
        };
        store.ensure_schema()?;
        Ok(store)
    }

    /// Writes the schema version into a new store, or checks the one an old store has.
    fn ensure_schema(&self) -> Result<(), StoreError> {
        let key = keys::schema_key();
        match self.get_raw(&key)? {
            Some(bytes) if bytes == SCHEMA_VERSION.to_be_bytes() => Ok(()),
            Some(bytes) if bytes == 1u32.to_be_bytes() => self.upgrade_from_1(),
            Some(bytes) => Err(StoreError::Schema {
                path: self.inner.path.clone(),
                found: match <[u8; 4]>::try_from(bytes.as_slice()) {
                    Ok(b) => u32::from_be_bytes(b).to_string(),
                    Err(_) => format!("0x{}", keys::hex(&bytes)),
                },
                expected: SCHEMA_VERSION,
            }),
            None => {
                let mut batch = WriteBatch::new();
                batch.put(key, SCHEMA_VERSION.to_be_bytes().to_vec());
                self.apply(batch)
            }
        }
    }

    /// The feed with id `id`.
    pub fn feed(&self, id: &str) -> Result<Option<FeedState>, StoreError> {
        self.get(&keys::feed(id))
    }

    /// Every stored feed, in id order.
    pub fn feeds(&self) -> Result<Vec<FeedState>, StoreError> {
        self.scan(&[keys::FEED], None)
            .map(|item| {
                let (key, value) = item?;
                codec::decode(&key, &value)
            })
            .collect()
    }

    /// Stores a feed's state, replacing the previous one.
    pub fn put_feed(&self, feed: &FeedState) -> Result<(), StoreError> {
        let key = keys::feed(&feed.id);
        let mut batch = WriteBatch::new();
        batch.put(key.clone(), codec::encode(&key, feed)?);
        self.apply(batch)
    }

    /// Removes a feed's record (for `DELETE /api/feeds/{id}`); its articles and stories stay
    /// until retention prunes them. Returns whether the feed existed.
    pub fn delete_feed(&self, id: &str) -> Result<bool, StoreError> {
        let key = keys::feed(id);
        let existed = self.get_raw(&key)?.is_some();
        let mut batch = WriteBatch::new();
        batch.delete(key);
        self.apply(batch)?;
        Ok(existed)
    }

    /// True when an article with id `id` is stored.
    pub fn contains_article(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.get_raw(&keys::article(id))?.is_some())
    }

    /// The article with id `id`.
    pub fn article(&self, id: &str) -> Result<Option<Article>, StoreError> {
        self.get(&keys::article(id))
    }

    /// The live story with id `id`, following `merged_into` to the story it became.
    pub fn story(&self, id: &str) -> Result<Option<Story>, StoreError> {
        let mut current = id.to_string();
        for _ in 0..MAX_MERGE_HOPS {
            let Some(story) = self.get::<Story>(&keys::story(&current))? else {
                return Ok(None);
            };
            match &story.merged_into {
                None => return Ok(Some(story)),
                Some(next) => current = next.clone(),
            }
        }
        Err(StoreError::MergeChain { id: id.to_string() })
    }

    /// Live stories in `order`, starting after `after` (a cursor from an earlier item).
    ///
    /// Yields `(cursor, story)`; the cursor bytes are opaque to callers.
    pub fn stories<'s>(
        &'s self,
        order: StoryOrder,
        after: Option<&[u8]>,
    ) -> impl Iterator<Item = Result<(Vec<u8>, Story), StoreError>> + use<'s> {
        let prefix = [order.prefix()];
        let invalid = search::cursor_error(order, after);
        let entries = invalid
            .is_none()
            .then(|| self.scan(&prefix, after))
            .into_iter()
            .flatten();
        let stories = entries.filter_map(move |item| self.story_of_index(item).transpose());
        invalid.map(Err).into_iter().chain(stories)
    }

    /// The live story an index entry points at. `None` when it vanished or was merged since the
    /// entry was read: reads are not snapshots, and a concurrent prune or merge is not an error.
    fn story_of_index(
        &self,
        item: Result<KvPair, StoreError>,
    ) -> Result<Option<(Vec<u8>, Story)>, StoreError> {
        let (key, _) = item?;
        let Some(id) = keys::id_of_index(&key) else {
            return Ok(None);
        };
        let story: Option<Story> = self.get(&keys::story(id))?;
        Ok(story
            .filter(|s| s.merged_into.is_none())
            .map(|story| (key, story)))
    }

    /// The articles of story `story_id` (not following merges), in first_seen order.
    pub fn story_articles(&self, story_id: &str) -> Result<Vec<Article>, StoreError> {
        self.articles_of_index(&keys::story_articles_prefix(story_id), None, usize::MAX)
    }

    /// The first `limit` articles of story `story_id` (not following merges), in first_seen
    /// order: a list answer reads only the articles it shows.
    pub fn story_articles_first(
        &self,
        story_id: &str,
        limit: usize,
    ) -> Result<Vec<Article>, StoreError> {
        self.articles_of_index(&keys::story_articles_prefix(story_id), None, limit)
    }

    /// The articles of feed `feed_id`, in first_seen order.
    pub fn feed_articles(&self, feed_id: &str) -> Result<Vec<Article>, StoreError> {
        self.articles_of_index(&keys::feed_articles_prefix(feed_id), None, usize::MAX)
    }

    /// Articles first seen at or after `since`, oldest first (for the engine's restore).
    pub fn articles_since(&self, since: Time) -> Result<Vec<Article>, StoreError> {
        self.articles_of_index(
            &[keys::ARTICLE_BY_SEEN],
            Some(&keys::seen_from(since)),
            usize::MAX,
        )
    }

    /// Up to `limit` articles an index range points at; entries whose article vanished meanwhile
    /// are skipped.
    fn articles_of_index(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Article>, StoreError> {
        let mut articles = Vec::new();
        for item in self.scan(prefix, after) {
            if articles.len() >= limit {
                break;
            }
            let (key, _) = item?;
            if let Some(id) = keys::id_of_index(&key)
                && let Some(article) = self.article(id)?
            {
                articles.push(article);
            }
        }
        Ok(articles)
    }

    /// How many feeds, articles and live stories the store holds.
    pub fn counts(&self) -> Result<Counts, StoreError> {
        let count = |prefix: u8| -> Result<u64, StoreError> {
            let mut n = 0;
            for item in self.scan(&[prefix], None) {
                item?;
                n += 1;
            }
            Ok(n)
        };
        Ok(Counts {
            feeds: count(keys::FEED)?,
            articles: count(keys::ARTICLE_BY_SEEN)?,
            stories: count(keys::STORY_BY_UPDATED)?,
        })
    }

    /// Bytes the store takes on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.inner
            .backend
            .size_on_disk()
            .map_err(|e| self.backend_error(e))
    }

    /// With `on`, every write is flushed before it returns (about 0.25 ms each), so nothing a
    /// reader has seen can be lost to a crash; off (the default), writes become durable at the
    /// next [`Store::flush`] or background flush (every 500 ms).
    pub fn set_sync_writes(&self, on: bool) {
        self.inner.sync_writes.store(on, Ordering::Relaxed);
    }

    /// Makes every write so far durable (the daemon calls it after each feed and at shutdown).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner
            .backend
            .flush()
            .map_err(|e| self.backend_error(e))
    }

    fn backend_error(&self, source: BackendError) -> StoreError {
        StoreError::Backend {
            path: self.inner.path.clone(),
            source,
        }
    }

    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner
            .backend
            .get(key)
            .map_err(|e| self.backend_error(e))
    }

    fn get<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        self.get_raw(key)?
            .map(|bytes| codec::decode(key, &bytes))
            .transpose()
    }

    fn scan<'a>(
        &'a self,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> impl Iterator<Item = Result<KvPair, StoreError>> + use<'a> {
        self.inner
            .backend
            .scan(prefix, after, false)
            .map(move |item| item.map_err(|e| self.backend_error(e)))
    }

    fn apply(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.inner
            .backend
            .apply(batch)
            .map_err(|e| self.backend_error(e))?;
        if self.inner.sync_writes.load(Ordering::Relaxed) {
            self.flush()?;
        }
        Ok(())
    }
}

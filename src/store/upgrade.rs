//! Bringing a store of an older schema up to this one at open: schema 1 had no word index, so
//! it is built from the stored articles, and only then is the version raised (a crash midway
//! leaves version 1, and the next open builds the index again from the start).

use std::time::Instant;

use crate::model::Article;

use super::backend::WriteBatch;
use super::{SCHEMA_VERSION, Store, StoreError, codec, keys, write};

/// Articles whose word entries go into one batch: bounds the batch's size in memory.
const BUILD_CHUNK: usize = 1024;

impl Store {
    /// Builds the word index of a schema-1 store, then marks the store as this schema.
    pub(super) fn upgrade_from_1(&self) -> Result<(), StoreError> {
        let started = Instant::now();
        tracing::info!(
            path = %self.inner.path.display(),
            "store has no word index (schema 1): building it from the stored articles"
        );
        let cleared = self.clear_word_index()?;
        let mut articles = 0u64;
        let mut batch = WriteBatch::new();
        let mut in_batch = 0;
        for item in self.scan(&[keys::ARTICLE], None) {
            let (key, value) = item?;
            let article: Article = codec::decode(&key, &value)?;
            write::put_words(&mut batch, &article);
            articles += 1;
            in_batch += 1;
            if in_batch == BUILD_CHUNK {
                self.apply(std::mem::take(&mut batch))?;
                in_batch = 0;
            }
        }
        batch.put(keys::schema_key(), SCHEMA_VERSION.to_be_bytes().to_vec());
        self.apply(batch)?;
        self.flush()?;
        tracing::info!(
            path = %self.inner.path.display(),
            articles,
            cleared,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "built the word index; store is now schema {SCHEMA_VERSION}"
        );
        Ok(())
    }

    /// Deletes every word-index entry (those of a build a crash interrupted); returns how many.
    fn clear_word_index(&self) -> Result<u64, StoreError> {
        let mut cleared = 0;
        loop {
            let mut batch = WriteBatch::new();
            for item in self.scan(&[keys::WORD], None).take(BUILD_CHUNK * 8) {
                batch.delete(item?.0);
                cleared += 1;
            }
            if batch.is_empty() {
                return Ok(cleared);
            }
            self.apply(batch)?;
        }
    }
}

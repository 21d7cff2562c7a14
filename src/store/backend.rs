//! The narrow key-value interface the store is written against, so the engine under it can
//! change (sled today; see `sled.rs`) without touching the typed [`super::Store`].
//!
//! It offers only what the store needs: point reads, ordered scans over a prefix, one atomic
//! batch of puts and deletes, a flush and the size on disk.

use std::collections::BTreeMap;

/// A key and its value.
pub type KvPair = (Vec<u8>, Vec<u8>);

/// An ordered scan; an item is an error when the engine fails mid-scan (never swallowed).
pub type KvIter<'a> = Box<dyn Iterator<Item = Result<KvPair, BackendError>> + Send + 'a>;

/// A failure of the storage engine, with the operation it interrupted.
#[derive(Debug, thiserror::Error)]
#[error("{op} failed: {source}")]
pub struct BackendError {
    /// What the store was doing (`get`, `scan`, `apply batch`, `flush`, ...).
    pub op: &'static str,
    /// The engine's own error.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl BackendError {
    /// Wraps an engine error for `op`.
    pub fn new(op: &'static str, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        BackendError {
            op,
            source: Box::new(source),
        }
    }
}

/// Puts and deletes that land together or not at all; a later write to a key wins.
#[derive(Debug, Default, Clone)]
pub struct WriteBatch {
    ops: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.ops.insert(key, Some(value));
    }

    /// Removes `key`.
    pub fn delete(&mut self, key: Vec<u8>) {
        self.ops.insert(key, None);
    }

    /// True when the batch would change nothing.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The operations in key order: `Some(value)` to put, `None` to delete.
    pub fn into_ops(self) -> impl Iterator<Item = (Vec<u8>, Option<Vec<u8>>)> {
        self.ops.into_iter()
    }
}

/// An ordered key-value engine with atomic batches.
pub trait Backend: Send + Sync {
    /// The value under `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError>;

    /// Entries whose key starts with `prefix`, strictly after `after` in scan order when given,
    /// in ascending key order, or descending when `reverse`.
    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, reverse: bool) -> KvIter<'_>;

    /// Applies all of `batch` atomically (also across a crash).
    fn apply(&self, batch: WriteBatch) -> Result<(), BackendError>;

    /// Makes every applied batch durable before returning.
    fn flush(&self) -> Result<(), BackendError>;

    /// Bytes the store takes on disk.
    fn size_on_disk(&self) -> Result<u64, BackendError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_write_to_a_key_wins() {
        let mut batch = WriteBatch::new();
        batch.delete(b"k".to_vec());
        batch.put(b"k".to_vec(), b"v".to_vec());
        batch.put(b"j".to_vec(), b"w".to_vec());
        batch.delete(b"j".to_vec());
        let ops: Vec<_> = batch.into_ops().collect();
        assert_eq!(
            ops,
            vec![(b"j".to_vec(), None), (b"k".to_vec(), Some(b"v".to_vec()))]
        );
    }
}

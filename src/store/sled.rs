//! The sled 0.34 implementation of the [`Backend`] trait: one tree, atomic batches, and a
//! background flush every [`FLUSH_EVERY_MS`] on top of the explicit flushes the daemon makes.
//!
//! Opening turns sled's I/O errors into the [`StoreError`] a user can act on: the path is not a
//! directory, cannot be written, is locked by another storyd, or is corrupt.

use std::io;
use std::ops::Bound;
use std::path::Path;
use std::time::{Duration, Instant};

use super::StoreError;
use super::backend::{Backend, BackendError, KvIter, WriteBatch};

/// How often sled writes dirty pages in the background, in milliseconds.
pub const FLUSH_EVERY_MS: u64 = 500;

/// The page cache sled may fill (its default is 1 GiB, which a daemon meant to run beside
/// everything else on a small machine cannot spend; reads past it come from the OS page cache).
pub const CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// How long opening waits for a held lock before it reports [`StoreError::Locked`].
///
/// sled 0.34 returns from dropping a database before its I/O threads have closed the lock
/// file (spacejam/sled#1234), so reopening a directory just closed in the same process can
/// find it locked for a few milliseconds. Another storyd holding the store is still refused,
/// after this wait.
pub const LOCK_WAIT: Duration = Duration::from_secs(2);

/// A sled database used as one ordered key space.
pub struct SledBackend {
    db: sled::Db,
}

impl SledBackend {
    /// Opens (creating if missing) the sled database in directory `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        prepare_dir(path)?;
        let config = sled::Config::new()
            .path(path)
            .cache_capacity(CACHE_BYTES)
            .flush_every_ms(Some(FLUSH_EVERY_MS));
        let started = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            match config.open().map_err(|e| open_error(path, e)) {
                Err(StoreError::Locked { .. }) if started.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
                result => return result.map(|db| SledBackend { db }),
            }
        }
    }

    /// A database in a temporary location, removed when dropped.
    pub fn temporary() -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .temporary(true)
            .open()
            .map_err(|e| open_error(Path::new("<temporary>"), e))?;
        Ok(SledBackend { db })
    }
}

/// Creates the store directory, or checks that an existing path is a directory.
fn prepare_dir(path: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(StoreError::NotADirectory {
            path: path.to_path_buf(),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::create_dir_all(path).map_err(|source| StoreError::CreateDir {
                path: path.to_path_buf(),
                source,
            })
        }
        Err(source) => Err(StoreError::CreateDir {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Classifies a failure to open so the message says what to do about it.
fn open_error(path: &Path, error: sled::Error) -> StoreError {
    let path = path.to_path_buf();
    match error {
        sled::Error::Io(source)
            if matches!(
                source.kind(),
                io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            StoreError::ReadOnly { path, source }
        }
        // sled reports a held lock as a plain I/O error; its message is the only sign.
        sled::Error::Io(source) if source.to_string().contains("could not acquire lock") => {
            StoreError::Locked { path }
        }
        sled::Error::Io(source) if source.kind() == io::ErrorKind::NotADirectory => {
            StoreError::NotADirectory { path }
        }
        error @ sled::Error::Corruption { .. } => StoreError::Corrupt {
            path,
            source: BackendError::new("open", error),
        },
        error => StoreError::Open {
            path,
            source: BackendError::new("open", error),
        },
    }
}

/// The first key after every key that starts with `prefix`, or `None` when there is none.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The key range of `prefix`, cut at `after` on the side the scan starts from.
fn scan_bounds(
    prefix: &[u8],
    after: Option<&[u8]>,
    reverse: bool,
) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let mut lower = Bound::Included(prefix.to_vec());
    let mut upper = prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded);
    if let Some(after) = after {
        if !reverse && after >= prefix {
            lower = Bound::Excluded(after.to_vec());
        }
        let before_end = match &upper {
            Bound::Excluded(end) => after < end.as_slice(),
            _ => true,
        };
        if reverse && before_end {
            upper = Bound::Excluded(after.to_vec());
        }
    }
    (lower, upper)
}

impl Backend for SledBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        self.db
            .get(key)
            .map(|v| v.map(|v| v.to_vec()))
            .map_err(|e| BackendError::new("get", e))
    }

    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, reverse: bool) -> KvIter<'_> {
        let bounds = scan_bounds(prefix, after, reverse);
        // An empty range (start past end) would make sled panic; answer it with nothing.
        if let (Bound::Excluded(lo) | Bound::Included(lo), Bound::Excluded(hi)) = &bounds
            && lo >= hi
        {
            return Box::new(std::iter::empty());
        }
        let iter = self.db.range(bounds);
        let convert = |item: sled::Result<(sled::IVec, sled::IVec)>| {
            item.map(|(k, v)| (k.to_vec(), v.to_vec()))
                .map_err(|e| BackendError::new("scan", e))
        };
        if reverse {
            Box::new(iter.rev().map(convert))
        } else {
            Box::new(iter.map(convert))
        }
    }

    fn apply(&self, batch: WriteBatch) -> Result<(), BackendError> {
        let mut sled_batch = sled::Batch::default();
        for (key, value) in batch.into_ops() {
            match value {
                Some(value) => sled_batch.insert(key, value),
                None => sled_batch.remove(key),
            }
        }
        self.db
            .apply_batch(sled_batch)
            .map_err(|e| BackendError::new("apply batch", e))
    }

    fn flush(&self) -> Result<(), BackendError> {
        self.db
            .flush()
            .map(|_| ())
            .map_err(|e| BackendError::new("flush", e))
    }

    fn size_on_disk(&self) -> Result<u64, BackendError> {
        self.db
            .size_on_disk()
            .map_err(|e| BackendError::new("size on disk", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend_with(keys: &[&[u8]]) -> SledBackend {
        let backend = SledBackend::temporary().expect("temporary sled");
        let mut batch = WriteBatch::new();
        for key in keys {
            batch.put(key.to_vec(), b"v".to_vec());
        }
        backend.apply(batch).expect("apply");
        backend
    }

    fn scanned(
        backend: &SledBackend,
        prefix: &[u8],
        after: Option<&[u8]>,
        rev: bool,
    ) -> Vec<Vec<u8>> {
        backend
            .scan(prefix, after, rev)
            .map(|item| item.expect("scan item").0)
            .collect()
    }

    #[test]
    fn scans_stay_inside_the_prefix_and_after_the_cursor() {
        let b = backend_with(&[b"a1", b"b1", b"b2", b"b3", b"c1", b"\xff\xff"]);
        assert_eq!(
            scanned(&b, b"b", None, false),
            vec![b"b1".to_vec(), b"b2".to_vec(), b"b3".to_vec()]
        );
        assert_eq!(
            scanned(&b, b"b", Some(b"b1"), false),
            vec![b"b2".to_vec(), b"b3".to_vec()]
        );
        assert_eq!(
            scanned(&b, b"b", Some(b"b3"), true),
            vec![b"b2".to_vec(), b"b1".to_vec()]
        );
        assert_eq!(
            scanned(&b, b"b", None, true),
            vec![b"b3".to_vec(), b"b2".to_vec(), b"b1".to_vec()]
        );
        assert!(scanned(&b, b"b", Some(b"b3"), false).is_empty());
        assert!(scanned(&b, b"b", Some(b"zz"), false).is_empty());
        assert_eq!(
            scanned(&b, b"\xff", None, false),
            vec![b"\xff\xff".to_vec()]
        );
    }

    #[test]
    fn a_batch_puts_and_deletes_together() {
        let b = backend_with(&[b"k1", b"k2"]);
        let mut batch = WriteBatch::new();
        batch.delete(b"k1".to_vec());
        batch.put(b"k3".to_vec(), b"x".to_vec());
        b.apply(batch).expect("apply");
        assert_eq!(b.get(b"k1").expect("get"), None);
        assert_eq!(b.get(b"k3").expect("get"), Some(b"x".to_vec()));
        b.flush().expect("flush");
    }

    #[test]
    fn prefix_end_skips_saturated_bytes() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
    }
}

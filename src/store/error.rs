//! The store's error type: every failure names the store's path or the record's key, and
//! its cause, so that an operator can act on it (free the lock, fix the mode, restore a backup).

use std::path::PathBuf;

use super::BackendError;

/// Everything that can go wrong in the store, naming the path or key concerned.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store directory could not be created or inspected.
    #[error("store {path}: cannot create the directory: {source}", path = .path.display())]
    CreateDir {
        /// The store directory.
        path: PathBuf,
        /// The file-system error.
        source: std::io::Error,
    },
    /// The store path exists and is not a directory.
    #[error("store {path}: not a directory", path = .path.display())]
    NotADirectory {
        /// The store path.
        path: PathBuf,
    },
    /// The store directory or its files cannot be written.
    #[error("store {path}: not writable ({source}); check the directory's owner and mode", path = .path.display())]
    ReadOnly {
        /// The store directory.
        path: PathBuf,
        /// The file-system error.
        source: std::io::Error,
    },
    /// Another process (another storyd?) holds the store open.
    #[error("store {path}: locked by another process; is another storyd running on it?", path = .path.display())]
    Locked {
        /// The store directory.
        path: PathBuf,
    },
    /// The engine found corrupt data while opening.
    #[error("store {path}: corrupt: {source}", path = .path.display())]
    Corrupt {
        /// The store directory.
        path: PathBuf,
        /// The engine's report.
        source: BackendError,
    },
    /// The engine could not open the store for another reason.
    #[error("store {path}: cannot open: {source}", path = .path.display())]
    Open {
        /// The store directory.
        path: PathBuf,
        /// The engine's error.
        source: BackendError,
    },
    /// The store was written with a key layout this storyd does not read.
    #[error("store {path}: schema version {found}, but this storyd reads version {expected}", path = .path.display())]
    Schema {
        /// The store directory.
        path: PathBuf,
        /// The version found in the store.
        found: String,
        /// The version this build reads.
        expected: u32,
    },
    /// A read or write failed in the engine (disk full, I/O error, ...).
    #[error("store {path}: {source}", path = .path.display())]
    Backend {
        /// The store directory.
        path: PathBuf,
        /// The engine's error, with the operation.
        source: BackendError,
    },
    /// A record could not be encoded.
    #[error("record {key}: cannot encode: {source}")]
    Encode {
        /// The record's key, described.
        key: String,
        /// The encoder's error.
        source: serde_json::Error,
    },
    /// A stored record could not be decoded.
    #[error("record {key}: cannot decode: {source}")]
    Decode {
        /// The record's key, described.
        key: String,
        /// The decoder's error.
        source: serde_json::Error,
    },
    /// A stored record is empty (it should start with its format version).
    #[error("record {key}: empty, no format version")]
    EmptyRecord {
        /// The record's key, described.
        key: String,
    },
    /// A stored record has a format version this storyd does not read.
    #[error("record {key}: unknown format version {version} (this storyd reads {expected})")]
    UnknownVersion {
        /// The record's key, described.
        key: String,
        /// The version byte found.
        version: u8,
        /// The version this build reads.
        expected: u8,
    },
    /// A paging cursor that this store did not hand out (or for the other order).
    #[error("invalid cursor for {order} order")]
    InvalidCursor {
        /// The order asked for.
        order: &'static str,
    },
    /// A write names a story that does not exist.
    #[error("story {id}: not found")]
    StoryNotFound {
        /// The story id.
        id: String,
    },
    /// A write targets a story that was merged into another.
    #[error("story {id}: merged into {into}; write to that story instead")]
    StoryMerged {
        /// The merged story.
        id: String,
        /// The story it was merged into.
        into: String,
    },
    /// The chain of merged stories does not end in a live story.
    #[error("story {id}: merge chain broken or cyclic")]
    MergeChain {
        /// The story asked for.
        id: String,
    },
    /// A write that contradicts itself or the store (wrong story id, merge into itself, ...).
    #[error("invalid write: {0}")]
    InvalidWrite(String),
}

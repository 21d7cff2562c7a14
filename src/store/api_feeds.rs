//! Feeds added through the API (`POST /api/feeds`): their subscriptions are kept in the
//! store under their own key prefix (`A` + feed id) so that they survive a restart and a
//! reload; the daemon merges them with the config's feeds (a feed in the config wins).
//!
//! Only the subscription lives here; the feed's fetch state is the ordinary feed record.

use serde::{Deserialize, Serialize};

use crate::model::Time;

use super::backend::WriteBatch;
use super::{Store, StoreError, codec, keys};

/// A feed subscription made through the API.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ApiFeed {
    /// The feed's id (derived from `url`).
    pub id: String,
    /// The feed's URL (after discovery, when a site URL was given).
    pub url: String,
    /// Display name, if one was given.
    pub name: Option<String>,
    /// Poll interval override in seconds, if one was given.
    pub interval_secs: Option<u64>,
    /// When it was added.
    pub added: Time,
}

impl Store {
    /// Every feed added through the API, in id order.
    pub fn api_feeds(&self) -> Result<Vec<ApiFeed>, StoreError> {
        self.scan(&[keys::API_FEED], None)
            .map(|item| {
                let (key, value) = item?;
                codec::decode(&key, &value)
            })
            .collect()
    }

    /// Records a feed added through the API (replacing one with the same id).
    pub fn put_api_feed(&self, feed: &ApiFeed) -> Result<(), StoreError> {
        let key = keys::api_feed(&feed.id);
        let mut batch = WriteBatch::new();
        batch.put(key.clone(), codec::encode(&key, feed)?);
        self.apply(batch)
    }

    /// Forgets a feed added through the API; its articles and stories stay until retention
    /// prunes them. Returns whether it was there.
    pub fn delete_api_feed(&self, id: &str) -> Result<bool, StoreError> {
        let key = keys::api_feed(id);
        let existed = self.get_raw(&key)?.is_some();
        let mut batch = WriteBatch::new();
        batch.delete(key);
        self.apply(batch)?;
        Ok(existed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_feeds_survive_reopening_and_can_be_removed() {
        let dir = tempfile::tempdir().unwrap();
        let feed = ApiFeed {
            id: crate::model::feed_id("https://example.org/feed"),
            url: "https://example.org/feed".into(),
            name: Some("Example".into()),
            interval_secs: Some(600),
            added: chrono::Utc::now(),
        };
        {
            let store = Store::open(dir.path()).unwrap();
            store.put_api_feed(&feed).unwrap();
            store.flush().unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.api_feeds().unwrap(), vec![feed.clone()]);
        assert!(store.check().unwrap().problems.is_empty());
        assert!(store.delete_api_feed(&feed.id).unwrap());
        assert!(!store.delete_api_feed(&feed.id).unwrap());
        assert!(store.api_feeds().unwrap().is_empty());
    }
}

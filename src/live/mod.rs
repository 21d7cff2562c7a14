//! The daemon's live feed set: the config's feeds (with their OPML files) merged with the
//! feeds added through the API, and the changes an operator makes to it while the daemon
//! runs: reload the config, add a feed, remove one.
//!
//! The scheduler loop (`daemon`) owns the one [`FeedTable`] and applies every change between
//! two of its own steps, so no change races a refresh's bookkeeping; the API asks for
//! changes with `daemon::Command`s and reads the published [`Snapshot`]. A change returns
//! the due-queue moves it implies ([`Due`]) for the loop to apply.
//!
//! API-added feeds fetch through the SSRF guard (`fetch::PublicOnly`) unless
//! `server.allow_private_feeds` is set; the config's feeds are the operator's own and are
//! not restricted.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tracing::{info, warn};

mod reload;

use crate::config::{Config, FeedConfig};
use crate::fetch::{FetchError, FetchSettings, Fetcher, PublicAddresses, PublicOnly};
use crate::ingest::Ingestor;
use crate::metrics::Metrics;
use crate::model::{FeedState, NextFetchReason, Time, feed_id};
use crate::refresh::Refresher;
use crate::store::{ApiFeed, Store, StoreError};

/// Where a feed of the live set comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `[[feeds]]` or an `opml` file of the config.
    Config,
    /// `POST /api/feeds` (kept in the store).
    Api,
}

/// One feed being polled.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveFeed {
    /// Its id.
    pub id: String,
    /// How to fetch it.
    pub feed: FeedConfig,
    /// Where it comes from.
    pub origin: Origin,
}

/// What the API reads: the config in force, the feeds polled, and the fetcher that API
/// requests (discovery) must use.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The config in force.
    pub config: Arc<Config>,
    /// The feeds polled, config's first in file order, then API-added ones.
    pub feeds: Vec<LiveFeed>,
    /// The fetcher for URLs given through the API (guarded unless private feeds are allowed).
    pub api_fetcher: Fetcher,
}

impl Snapshot {
    /// The live feed with id `id`.
    pub fn feed(&self, id: &str) -> Option<&LiveFeed> {
        self.feeds.iter().find(|f| f.id == id)
    }
}

/// A due-queue move: `Some(t)` to (re)schedule the feed at `t`, `None` to drop it.
pub type Due = (String, Option<Time>);

pub use reload::{ReloadError, ReloadReport};

/// A change to the feed set that was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The feed is polled already.
    #[error("feed {id} ({url}) is already polled")]
    Exists {
        /// Its id.
        id: String,
        /// Its URL.
        url: String,
    },
    /// No feed has this id.
    #[error("no feed with id {id:?}")]
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// The feed comes from the config file, which the API does not edit.
    #[error("feed {id} is configured in {path}; remove it there and reload")]
    InConfig {
        /// Its id.
        id: String,
        /// The config file.
        path: String,
    },
    /// The store could not be written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The config's feeds, then the API-added ones that are not configured already.
pub fn merge(config: &Config, api: &[ApiFeed]) -> Vec<LiveFeed> {
    let mut feeds: Vec<LiveFeed> = config
        .feeds
        .iter()
        .map(|f| LiveFeed {
            id: feed_id(&f.configured_url),
            feed: f.clone(),
            origin: Origin::Config,
        })
        .collect();
    for a in api {
        let Ok(url) = url::Url::parse(&a.url) else {
            warn!(feed = %a.id, url = %a.url, "stored API feed has an invalid URL; skipped");
            continue;
        };
        if feeds.iter().any(|f| f.id == a.id || f.feed.url == url) {
            continue;
        }
        let feed = FeedConfig {
            configured_url: a.url.clone(),
            url,
            name: a.name.clone(),
            interval: a.interval_secs.map(Duration::from_secs),
            html_url: None,
        };
        feeds.push(LiveFeed {
            id: feed_id(&feed.configured_url),
            feed,
            origin: Origin::Api,
        });
    }
    feeds
}

/// The fetcher of the config's feeds and the one of the API's (guarded unless allowed).
fn fetchers(config: &Config) -> Result<(Fetcher, Fetcher), FetchError> {
    let s = &config.scheduler;
    let fetcher = Fetcher::new(FetchSettings {
        timeout: s.timeout,
        connect_timeout: s.timeout.min(Duration::from_secs(10)),
        max_body: s.max_body,
        per_host: s.per_host,
        user_agent: crate::fetch::default_user_agent(),
    })?;
    let api = if config.server.allow_private_feeds {
        fetcher.clone()
    } else {
        fetcher.public_only(PublicOnly::new(PublicAddresses))?
    };
    Ok((fetcher, api))
}

/// The live feed set and the refreshers that poll it; owned by the scheduler loop.
pub struct FeedTable {
    config: Arc<Config>,
    feeds: Vec<LiveFeed>,
    store: Store,
    ingestor: Arc<Mutex<Ingestor>>,
    refresher: Refresher,
    api_refresher: Refresher,
    api_fetcher: Fetcher,
    metrics: Metrics,
    published: watch::Sender<Arc<Snapshot>>,
}

impl FeedTable {
    /// The set of `config` plus the API-added feeds kept in `store`.
    pub fn new(
        config: Config,
        store: Store,
        ingestor: Arc<Mutex<Ingestor>>,
        metrics: Metrics,
    ) -> Result<FeedTable, ReloadError> {
        let (fetcher, api_fetcher) = fetchers(&config)?;
        let feeds = merge(&config, &store.api_feeds()?);
        let scheduler = config.scheduler.clone();
        let refresher = Refresher::new(fetcher, store.clone(), ingestor.clone(), scheduler.clone())
            .with_metrics(metrics.clone());
        let api_refresher = Refresher::new(
            api_fetcher.clone(),
            store.clone(),
            ingestor.clone(),
            scheduler,
        )
        .with_metrics(metrics.clone());
        let config = Arc::new(config);
        let snapshot = Snapshot {
            config: config.clone(),
            feeds: feeds.clone(),
            api_fetcher: api_fetcher.clone(),
        };
        Ok(FeedTable {
            config,
            feeds,
            store,
            ingestor,
            refresher,
            api_refresher,
            api_fetcher,
            metrics,
            published: watch::Sender::new(Arc::new(snapshot)),
        })
    }

    /// A receiver of every new [`Snapshot`].
    pub fn subscribe(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.published.subscribe()
    }

    /// The config in force.
    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    /// The feeds polled.
    pub fn feeds(&self) -> &[LiveFeed] {
        &self.feeds
    }

    /// The live feed with id `id`.
    pub fn get(&self, id: &str) -> Option<&LiveFeed> {
        self.feeds.iter().find(|f| f.id == id)
    }

    /// The refresher for a feed of `origin` (API feeds go through the SSRF guard).
    pub fn refresher_for(&self, origin: Origin) -> &Refresher {
        match origin {
            Origin::Config => &self.refresher,
            Origin::Api => &self.api_refresher,
        }
    }

    fn publish(&self) {
        self.published.send_replace(Arc::new(Snapshot {
            config: self.config.clone(),
            feeds: self.feeds.clone(),
            api_fetcher: self.api_fetcher.clone(),
        }));
    }

    /// Stores each feed's state (a new one pending) and says when each is due.
    pub fn start(&self, now: Time) -> Result<Vec<Due>, StoreError> {
        let mut due = Vec::with_capacity(self.feeds.len());
        for live in &self.feeds {
            let state = self.refresher_for(live.origin).state_of(&live.feed, now)?;
            self.store.put_feed(&state)?;
            due.push((live.id.clone(), Some(state.next_fetch)));
        }
        Ok(due)
    }

    /// Adds a feed through the API: kept in the store, due now. `feed` is already discovered.
    pub fn add(&mut self, feed: FeedConfig, now: Time) -> Result<(FeedState, Due), ChangeError> {
        let id = feed_id(&feed.configured_url);
        if let Some(existing) = self
            .feeds
            .iter()
            .find(|f| f.id == id || f.feed.url == feed.url)
        {
            return Err(ChangeError::Exists {
                id: existing.id.clone(),
                url: existing.feed.url.to_string(),
            });
        }
        self.store.put_api_feed(&ApiFeed {
            id: id.clone(),
            url: feed.configured_url.clone(),
            name: feed.name.clone(),
            interval_secs: feed.interval.map(|d| d.as_secs()),
            added: now,
        })?;
        let mut state = self.api_refresher.state_of(&feed, now)?;
        state.next_fetch = now;
        state.next_fetch_reason = NextFetchReason::Manual;
        self.store.put_feed(&state)?;
        info!(feed = %id, url = %feed.url, "feed added through the API");
        self.feeds.push(LiveFeed {
            id: id.clone(),
            feed,
            origin: Origin::Api,
        });
        self.publish();
        Ok((state, (id, Some(now))))
    }

    /// Removes an API-added feed: it stops polling; its articles stay until retention.
    pub fn remove(&mut self, id: &str) -> Result<Due, ChangeError> {
        let Some(live) = self.get(id) else {
            return Err(ChangeError::NotFound { id: id.to_owned() });
        };
        if live.origin == Origin::Config {
            return Err(ChangeError::InConfig {
                id: id.to_owned(),
                path: self.config.path.display().to_string(),
            });
        }
        self.store.delete_api_feed(id)?;
        self.feeds.retain(|f| f.id != id);
        info!(feed = %id, "feed removed through the API");
        self.publish();
        Ok((id.to_owned(), None))
    }
}

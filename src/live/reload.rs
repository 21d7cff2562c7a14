//! Reloading the config into the live feed set: what changed is applied (feeds added,
//! removed, renamed or given another interval; new `[scheduler]` settings), what only a
//! restart can change is kept and named, and an invalid file changes nothing.

use std::sync::Arc;

use crate::config::{Config, ConfigError, FeedConfig};
use crate::fetch::FetchError;
use crate::model::{NextFetchReason, Time};
use crate::refresh::Refresher;
use crate::store::StoreError;

use super::{Due, FeedTable, Origin, fetchers, merge};

/// What a reload changed, by feed id.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ReloadReport {
    /// Feeds that start polling.
    pub added: Vec<String>,
    /// Feeds that stop polling (their articles stay until retention).
    pub removed: Vec<String>,
    /// Feeds whose name or interval changed.
    pub changed: Vec<String>,
    /// Keys that changed but only take effect after a restart.
    pub restart_needed: Vec<&'static str>,
}

/// A reload that was refused: the old config stays in force.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The new config is invalid or unreadable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client for the new `[scheduler]` settings could not be built.
    #[error(transparent)]
    Fetch(#[from] FetchError),
}

impl FeedTable {
    /// Re-reads the config file and applies what changed; an invalid config changes nothing.
    pub fn reload(&mut self, now: Time) -> Result<(ReloadReport, Vec<Due>), ReloadError> {
        let mut config = Config::load(&self.config.path)?;
        let mut report = ReloadReport::default();
        self.keep_fixed(&mut config, &mut report);
        let api = self.store.api_feeds()?;
        let (refresher, api_refresher, api_fetcher) = if config.scheduler != self.config.scheduler
            || config.server.allow_private_feeds != self.config.server.allow_private_feeds
        {
            let (fetcher, api_fetcher) = fetchers(&config)?;
            let s = config.scheduler.clone();
            (
                Refresher::new(
                    fetcher,
                    self.store.clone(),
                    self.ingestor.clone(),
                    s.clone(),
                )
                .with_metrics(self.metrics.clone()),
                Refresher::new(
                    api_fetcher.clone(),
                    self.store.clone(),
                    self.ingestor.clone(),
                    s,
                )
                .with_metrics(self.metrics.clone()),
                api_fetcher,
            )
        } else {
            (
                self.refresher.clone(),
                self.api_refresher.clone(),
                self.api_fetcher.clone(),
            )
        };
        let next = merge(&config, &api);
        let mut due = Vec::new();
        for old in &self.feeds {
            if !next.iter().any(|f| f.id == old.id) {
                report.removed.push(old.id.clone());
                due.push((old.id.clone(), None));
            }
        }
        let interval = |c: &Config, f: &FeedConfig| f.interval.unwrap_or(c.scheduler.interval);
        for live in &next {
            let refresher = match live.origin {
                Origin::Config => &refresher,
                Origin::Api => &api_refresher,
            };
            let Some(old) = self.get(&live.id) else {
                let state = refresher.state_of(&live.feed, now)?;
                self.store.put_feed(&state)?;
                report.added.push(live.id.clone());
                due.push((live.id.clone(), Some(state.next_fetch)));
                continue;
            };
            let new_every = interval(&config, &live.feed);
            let every_changed = interval(&self.config, &old.feed) != new_every;
            if old.feed == live.feed && !every_changed {
                continue;
            }
            let mut state = refresher.state_of(&live.feed, now)?;
            if every_changed
                && !matches!(
                    state.next_fetch_reason,
                    NextFetchReason::RetryAfter | NextFetchReason::Backoff
                )
            {
                let every = chrono::Duration::from_std(new_every).unwrap_or(chrono::Duration::MAX);
                state.next_fetch = state.last_fetch.map_or(now, |t| t + every).max(now);
                state.next_fetch_reason = NextFetchReason::Interval;
                due.push((live.id.clone(), Some(state.next_fetch)));
            }
            self.store.put_feed(&state)?;
            report.changed.push(live.id.clone());
        }
        self.config = Arc::new(config);
        self.feeds = next;
        (self.refresher, self.api_refresher, self.api_fetcher) =
            (refresher, api_refresher, api_fetcher);
        self.publish();
        Ok((report, due))
    }

    /// Keeps the old values of keys that only a restart can change, and names them.
    fn keep_fixed(&self, new: &mut Config, report: &mut ReloadReport) {
        let old = &self.config;
        if new.server.listen != old.server.listen {
            report.restart_needed.push("server.listen");
            new.server.listen = old.server.listen;
        }
        if new.store.path != old.store.path {
            report.restart_needed.push("store.path");
            new.store.path = old.store.path.clone();
        }
        // The fetch pool is sized once, when the scheduler starts.
        if new.scheduler.concurrency != old.scheduler.concurrency {
            report.restart_needed.push("scheduler.concurrency");
            new.scheduler.concurrency = old.scheduler.concurrency;
        }
        if new.clustering != old.clustering {
            report.restart_needed.push("clustering");
            new.clustering = old.clustering.clone();
        }
        if new.log != old.log {
            report.restart_needed.push("log");
            new.log = old.log.clone();
        }
    }
}

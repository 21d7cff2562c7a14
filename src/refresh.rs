//! One feed, one pass: fetch, parse and normalize, file into stories, store, and decide
//! when to come back. The one place that runs the stages in order.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::{Instrument, info, info_span, warn};

use crate::config::{FeedConfig, SchedulerConfig};
use crate::feed;
use crate::fetch::{FetchError, FetchOutcome, Fetcher, Validators};
use crate::ingest::{IngestReport, Ingestor};
use crate::metrics::Metrics;
use crate::model::{FeedState, FeedStatus, Time, feed_id};
use crate::scheduler::{self, IntervalPolicy, Observation};
use crate::store::{Store, StoreError};

/// What a refresh did, for `storyd once` and the logs.
#[derive(Debug, Clone)]
pub struct RefreshReport {
    /// The feed's state after the pass (as stored).
    pub feed: FeedState,
    /// What ingest did (zero on 304 or error).
    pub ingest: IngestReport,
    /// How long the pass took.
    pub elapsed: Duration,
}

/// A refresh that could not record its outcome: the daemon logs it and tries again later.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// The store refused a read or write.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The ingest task panicked (a bug); nothing of it was half-written.
    #[error("ingest task failed: {0}")]
    Task(String),
}

/// A failure that is the feed's fault, recorded on the feed.
#[derive(Debug, thiserror::Error)]
enum FeedFailure {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{0}")]
    Parse(#[from] feed::ParseError),
}

/// Runs refresh passes; shared by every fetch task.
#[derive(Clone)]
pub struct Refresher {
    fetcher: Fetcher,
    store: Store,
    ingestor: Arc<Mutex<Ingestor>>,
    scheduler: SchedulerConfig,
    metrics: Metrics,
}

impl Refresher {
    /// A refresher over the given parts.
    pub fn new(
        fetcher: Fetcher,
        store: Store,
        ingestor: Arc<Mutex<Ingestor>>,
        scheduler: SchedulerConfig,
    ) -> Self {
        Refresher {
            fetcher,
            store,
            ingestor,
            scheduler,
            metrics: Metrics::default(),
        }
    }

    /// The same refresher, counting fetches, parse failures and new articles into `metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// The stored state of a configured feed, or a new pending one; the configured name wins.
    pub fn state_of(&self, feed: &FeedConfig, now: Time) -> Result<FeedState, StoreError> {
        let id = feed_id(&feed.configured_url);
        let mut state = self.store.feed(&id)?.unwrap_or_else(|| {
            let host = feed.url.host_str().unwrap_or("feed");
            FeedState::pending(&feed.configured_url, feed.url.as_str(), host, now)
        });
        if let Some(name) = &feed.name {
            state.name = name.clone();
        }
        Ok(state)
    }

    /// Fetches, parses, files and stores one feed, and schedules its next fetch.
    pub async fn refresh(&self, feed: &FeedConfig) -> Result<RefreshReport, RefreshError> {
        let started = Instant::now();
        let now = chrono::Utc::now();
        let mut state = self.state_of(feed, now)?;
        let span = info_span!("refresh", feed = %state.id, url = %state.url);
        async move {
            let validators = Validators {
                etag: state.etag.clone(),
                last_modified: state.last_modified.clone(),
            };
            let fetch_started = Instant::now();
            let result = self.fetcher.fetch(&state.url, &validators).await;
            match &result {
                Ok(o) => self
                    .metrics
                    .fetch_ok(fetch_started.elapsed(), o.body.as_ref().map(|b| b.len())),
                Err(e) => self.metrics.fetch_failed(e.kind(), fetch_started.elapsed()),
            }
            let ingest = match result {
                Ok(outcome) => match self.process(feed, &mut state, outcome, now).await {
                    Ok(report) => report,
                    Err(Processing::Feed(e)) => {
                        self.failed(feed, &mut state, &e, now);
                        IngestReport::default()
                    }
                    Err(Processing::Refresh(e)) => return Err(e),
                },
                Err(e) => {
                    self.failed(feed, &mut state, &FeedFailure::Fetch(e), now);
                    IngestReport::default()
                }
            };
            self.store.put_feed(&state)?;
            // New articles are made durable before the pass counts as done; a feed state alone
            // (a 304, an error) rides on the background flush, so a round of 304s costs no fsyncs.
            if ingest.new_articles > 0 {
                self.store.flush()?;
            }
            let elapsed = started.elapsed();
            info!(
                status = state.status.as_str(),
                new = ingest.new_articles,
                seen = ingest.already_seen,
                elapsed_ms = elapsed.as_millis() as u64,
                next = %state.next_fetch,
                reason = state.next_fetch_reason.as_str(),
                "refreshed"
            );
            Ok(RefreshReport {
                feed: state,
                ingest,
                elapsed,
            })
        }
        .instrument(span)
        .await
    }

    /// Handles a response: 304, or parse and ingest a body.
    async fn process(
        &self,
        feed: &FeedConfig,
        state: &mut FeedState,
        outcome: FetchOutcome,
        now: Time,
    ) -> Result<IngestReport, Processing> {
        if let Some(to) = &outcome.moved_to {
            info!(from = %state.url, to = %to, "feed moved permanently; following");
            state.url = to.clone();
        }
        let Some(body) = outcome.body else {
            self.succeeded(
                feed,
                state,
                FeedStatus::NotModified,
                0,
                None,
                outcome.cache_for,
                now,
            );
            return Ok(IngestReport::default());
        };
        let base = url::Url::parse(&outcome.final_url).unwrap_or_else(|_| feed.url.clone());
        let parsed =
            feed::parse(&body, outcome.content_type.as_deref(), &base, now).map_err(|e| {
                self.metrics.parse_failed();
                Processing::Feed(FeedFailure::Parse(e))
            })?;
        if feed.name.is_none()
            && let Some(title) = parsed.title.as_ref().filter(|t| !t.is_empty())
        {
            state.name = title.clone();
        }
        let ingestor = self.ingestor.clone();
        let mut working = state.clone();
        let (report, working) = tokio::task::spawn_blocking(move || {
            let mut engine = ingestor
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let report = engine.ingest(&mut working, &parsed.entries, now);
            (report.map(|r| (r, parsed.ttl)), working)
        })
        .await
        .map_err(|e| Processing::Refresh(RefreshError::Task(e.to_string())))?;
        *state = working;
        let (report, ttl) = report.map_err(|e| Processing::Refresh(e.into()))?;
        self.metrics.ingested(report.new_articles);
        state.etag = outcome.validators.etag;
        state.last_modified = outcome.validators.last_modified;
        self.succeeded(
            feed,
            state,
            FeedStatus::Ok,
            report.new_articles,
            ttl,
            outcome.cache_for,
            now,
        );
        Ok(report)
    }

    fn policy(&self, feed: &FeedConfig) -> IntervalPolicy {
        IntervalPolicy {
            interval: feed.interval.unwrap_or(self.scheduler.interval),
            min: self.scheduler.min_interval,
            max: self.scheduler.max_interval,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn succeeded(
        &self,
        feed: &FeedConfig,
        state: &mut FeedState,
        status: FeedStatus,
        new_items: usize,
        ttl: Option<Duration>,
        cache_for: Option<Duration>,
        now: Time,
    ) {
        let elapsed = state
            .last_fetch
            .and_then(|t| (now - t).to_std().ok())
            .unwrap_or_default();
        state.new_items_ewma = scheduler::update_rate(
            state.new_items_ewma,
            new_items,
            elapsed,
            state.fetch_count == 0,
        );
        state.fetch_count += 1;
        state.status = status;
        state.last_error = None;
        state.consecutive_errors = 0;
        state.last_fetch = Some(now);
        let obs = match status {
            FeedStatus::NotModified => Observation::NotModified {
                cache_for,
                rate: state.new_items_ewma,
                fetches: state.fetch_count,
            },
            _ => Observation::Fetched {
                ttl,
                cache_for,
                rate: state.new_items_ewma,
                fetches: state.fetch_count,
            },
        };
        self.schedule(feed, state, &obs, now);
    }

    fn failed(&self, feed: &FeedConfig, state: &mut FeedState, error: &FeedFailure, now: Time) {
        state.status = FeedStatus::Error;
        state.consecutive_errors = state.consecutive_errors.saturating_add(1);
        state.last_error = Some(error.to_string());
        state.last_fetch = Some(now);
        let retry_after = match error {
            FeedFailure::Fetch(e) => e.retry_after(),
            FeedFailure::Parse(_) => None,
        };
        warn!(error = %error, errors = state.consecutive_errors, "feed failed");
        let obs = Observation::Failed {
            consecutive_errors: state.consecutive_errors,
            retry_after,
        };
        self.schedule(feed, state, &obs, now);
    }

    fn schedule(&self, feed: &FeedConfig, state: &mut FeedState, obs: &Observation, now: Time) {
        let (delay, reason) = scheduler::next_delay(&self.policy(feed), obs);
        state.next_fetch = scheduler::with_jitter(now, delay, reason, fastrand::f64());
        state.next_fetch_reason = reason;
    }
}

/// Why processing a response stopped: the feed's fault, or ours.
enum Processing {
    Feed(FeedFailure),
    Refresh(RefreshError),
}

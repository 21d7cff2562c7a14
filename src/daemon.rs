//! The running daemon: opens the store, restores the engine's window, then runs the
//! scheduler loop, the bounded pool of refresh tasks and the HTTP server under one
//! shutdown signal.
//!
//! Shutdown order: stop scheduling, stop accepting requests, drain in-flight refreshes
//! with a deadline, flush the store.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tracing::{error, info, warn};

use crate::api::server::{self, ServerLimits};
use crate::api::{self, AppState};
use crate::cluster::EngineConfig;
use crate::config::{Config, FeedConfig};
use crate::fetch::{FetchSettings, Fetcher};
use crate::ingest::Ingestor;
use crate::model::{Time, feed_id};
use crate::refresh::{RefreshReport, Refresher};
use crate::scheduler::DueQueue;
use crate::store::Store;

/// How long in-flight refreshes may run on after a shutdown request.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(10);

/// The longest the scheduler sleeps without looking again.
const MAX_NAP: Duration = Duration::from_secs(60);

/// How often articles past `store.retention` are pruned (and once at start-up).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Requests the scheduler loop takes from the rest of the daemon.
#[derive(Debug)]
pub enum Command {
    /// Fetch this feed now.
    Refresh(String),
}

/// A daemon with its store open and its engine restored, ready to poll or serve.
pub struct Daemon {
    config: Arc<Config>,
    store: Store,
    refresher: Refresher,
}

impl Daemon {
    /// Opens the store and puts the recent window back into the story engine.
    pub fn open(config: Config) -> anyhow::Result<Daemon> {
        let store = Store::open(&config.store.path)
            .with_context(|| format!("cannot open the store at {}", config.store.path.display()))?;
        Daemon::with_store(config, store)
    }

    /// A daemon over a store opened by the caller (a test's failing backend, say).
    pub fn with_store(config: Config, store: Store) -> anyhow::Result<Daemon> {
        let engine_config = EngineConfig {
            window: config.clustering.window,
            ..EngineConfig::default()
        };
        let mut ingestor = Ingestor::new(store.clone(), engine_config);
        let since = chrono::Utc::now()
            - chrono::Duration::from_std(config.clustering.window).unwrap_or_default();
        let restored = ingestor
            .restore(since)
            .context("cannot restore the story engine's window")?;
        info!(restored, path = %config.store.path.display(), "store open");
        let fetcher = Fetcher::new(FetchSettings {
            timeout: config.scheduler.timeout,
            connect_timeout: config.scheduler.timeout.min(Duration::from_secs(10)),
            max_body: config.scheduler.max_body,
            per_host: config.scheduler.per_host,
            user_agent: format!("storyd/{}", env!("CARGO_PKG_VERSION")),
        })
        .context("cannot build the HTTP client")?;
        let refresher = Refresher::new(
            fetcher,
            store.clone(),
            Arc::new(Mutex::new(ingestor)),
            config.scheduler.clone(),
        );
        Ok(Daemon {
            config: Arc::new(config),
            store,
            refresher,
        })
    }

    /// The store the daemon writes to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Polls every configured feed once, `concurrency` at a time, and returns what each did.
    pub async fn once(&self) -> Vec<(FeedConfig, anyhow::Result<RefreshReport>)> {
        let limit = Arc::new(Semaphore::new(self.config.scheduler.concurrency));
        let mut tasks = JoinSet::new();
        for (i, feed) in self.config.feeds.iter().enumerate() {
            let (refresher, feed, limit) = (self.refresher.clone(), feed.clone(), limit.clone());
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                (
                    i,
                    refresher.refresh(&feed).await.map_err(anyhow::Error::from),
                )
            });
        }
        let mut results: Vec<(usize, anyhow::Result<RefreshReport>)> = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(r) => results.push(r),
                Err(e) => error!(error = %e, "refresh task failed"),
            }
        }
        results.sort_by_key(|(i, _)| *i);
        let _ = self.store.flush();
        results
            .into_iter()
            .map(|(i, r)| (self.config.feeds[i].clone(), r))
            .collect()
    }

    /// Serves the HTTP endpoint on `listener` and polls feeds until `shutdown` completes.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let (commands_tx, commands_rx) = mpsc::channel(64);
        let state = AppState::new(self.store.clone(), self.config.clone(), commands_tx);
        let addr = listener.local_addr().context("listener has no address")?;
        let mut http_stop = stop_rx.clone();
        let limits = ServerLimits::default();
        let router = server::harden(api::app(state), self.store.clone(), &limits);
        let server = tokio::spawn(async move {
            server::serve(listener, router, &limits, async move {
                let _ = http_stop.wait_for(|s| *s).await;
            })
            .await
        });
        info!(%addr, feeds = self.config.feeds.len(), "storyd serving");
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let retention = tokio::spawn(prune_loop(
            self.store.clone(),
            self.config.store.retention,
            stop_rx.clone(),
        ));
        let scheduled = self.schedule(stop_rx, commands_rx).await;
        if let Err(e) = server.await {
            warn!(error = %e, "HTTP server task failed");
        }
        let _ = retention.await;
        self.store
            .flush()
            .context("cannot flush the store at shutdown")?;
        info!("storyd stopped");
        scheduled
    }

    /// The scheduler loop: runs due feeds through the refresh pool until the stop signal.
    async fn schedule(
        &self,
        mut stop: watch::Receiver<bool>,
        mut commands: mpsc::Receiver<Command>,
    ) -> anyhow::Result<()> {
        let now = chrono::Utc::now();
        let feeds: HashMap<String, FeedConfig> = self
            .config
            .feeds
            .iter()
            .map(|f| (feed_id(&f.configured_url), f.clone()))
            .collect();
        let mut queue = DueQueue::new();
        for feed in &self.config.feeds {
            let state = self.refresher.state_of(feed, now)?;
            self.store.put_feed(&state)?;
            queue.set(&state.id, state.next_fetch);
        }
        let pool = Arc::new(Semaphore::new(self.config.scheduler.concurrency));
        let mut running: JoinSet<(String, Option<Time>)> = JoinSet::new();
        // Which feed each task refreshes, so a task that panics (a bug) is still rescheduled.
        let mut tasks: HashMap<tokio::task::Id, String> = HashMap::new();
        loop {
            for id in queue.pop_due(chrono::Utc::now()) {
                let Some(feed) = feeds.get(&id).cloned() else {
                    continue;
                };
                let (refresher, pool) = (self.refresher.clone(), pool.clone());
                let task_feed = id.clone();
                let task = running.spawn(async move {
                    let _permit = pool.acquire_owned().await;
                    match refresher.refresh(&feed).await {
                        Ok(report) => (id, Some(report.feed.next_fetch)),
                        Err(e) => {
                            error!(feed = %id, error = %e, "refresh could not be stored");
                            (id, None)
                        }
                    }
                });
                tasks.insert(task.id(), task_feed);
            }
            let nap = queue
                .next_due()
                .and_then(|t| (t - chrono::Utc::now()).to_std().ok())
                .unwrap_or(Duration::ZERO)
                .min(MAX_NAP);
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                Some(done) = running.join_next_with_id() => {
                    // A refresh whose result could not be stored, or that panicked, is tried
                    // again after the minimum interval.
                    let retry = chrono::Utc::now()
                        + chrono::Duration::from_std(self.config.scheduler.min_interval).unwrap_or_default();
                    match done {
                        Ok((task, (id, next))) => {
                            tasks.remove(&task);
                            queue.set(&id, next.unwrap_or(retry));
                        }
                        Err(e) => {
                            if let Some(id) = tasks.remove(&e.id()) {
                                error!(feed = %id, error = %e, "refresh task failed (a bug); will retry");
                                queue.set(&id, retry);
                            }
                        }
                    }
                }
                Some(cmd) = commands.recv() => match cmd {
                    Command::Refresh(id) if feeds.contains_key(&id) => queue.set(&id, chrono::Utc::now()),
                    Command::Refresh(_) => {}
                },
                _ = tokio::time::sleep(nap), if !queue.is_empty() || nap > Duration::ZERO => {}
            }
        }
        info!(in_flight = running.len(), "stopping: draining refreshes");
        let drained = tokio::time::timeout(DRAIN_DEADLINE, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            warn!(
                abandoned = running.len(),
                "refreshes still running after the deadline were abandoned"
            );
            running.abort_all();
        }
        Ok(())
    }
}

/// Deletes articles and stories older than `retention`, at start-up and then every hour.
async fn prune_loop(store: Store, retention: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(PRUNE_EVERY);
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = tick.tick() => {}
        }
        let before = chrono::Utc::now()
            - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
        let store = store.clone();
        match tokio::task::spawn_blocking(move || store.prune(before)).await {
            Ok(Ok(report)) if report.articles > 0 || report.stories > 0 => {
                info!(
                    articles = report.articles,
                    stories = report.stories,
                    "pruned past retention"
                )
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => warn!(error = %e, "pruning failed; will try again"),
            Err(e) => warn!(error = %e, "pruning task failed"),
        }
    }
}

//! The running daemon: opens the store, restores the engine's window, then runs the
//! scheduler loop, the bounded pool of refresh tasks and the HTTP server under one
//! shutdown signal.
//!
//! Shutdown order: stop scheduling, stop accepting requests, drain in-flight requests,
//! refreshes and store upkeep until one deadline, [`DRAIN_DEADLINE`] after the signal,
//! abandon what is still running then (and log what it was), flush the store: all within
//! [`SHUTDOWN_DEADLINE`] of the signal.
//!
//! The scheduler loop owns the live feed set ([`FeedTable`]): reloads (SIGHUP,
//! `POST /api/reload`), feeds added or removed through the API and manual refreshes reach
//! it as [`Command`]s and are applied between its own steps. It also tells systemd how it
//! is doing (see [`crate::systemd`]).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::{error, info, warn};

use crate::api::server::{self, ServerLimits};
use crate::api::{self, AppState};
use crate::cluster::EngineConfig;
use crate::config::{Config, FeedConfig};
use crate::ingest::Ingestor;
use crate::live::{ChangeError, Due, FeedTable, ReloadError, ReloadReport, Snapshot};
use crate::metrics::Metrics;
use crate::model::{FeedState, Time};
use crate::refresh::RefreshReport;
use crate::scheduler::DueQueue;
use crate::store::Store;
use crate::systemd;

/// What `once` and `serve` say when the config names no feed.
pub const NO_FEEDS: &str =
    "no feeds configured: add [[feeds]] entries or an `opml` file to the config";

/// How long a shutdown may take, from the signal to the store flushed (SPEC: 10 s).
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);

/// How long in-flight work (HTTP requests, refreshes, a prune or a store sample) may run on
/// after a shutdown request; the rest of [`SHUTDOWN_DEADLINE`] is kept for the flush.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(9);

/// The shutdown signal every task watches: `None` while running, then the instant by which
/// in-flight work must be done ([`DRAIN_DEADLINE`] after the request).
type Stop = watch::Receiver<Option<Instant>>;

/// The longest the scheduler sleeps without looking again.
const MAX_NAP: Duration = Duration::from_secs(60);

/// How often articles past `store.retention` are pruned (and once at start-up).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// How often the store's size and counts are sampled for `/metrics` (and once at start-up).
const SAMPLE_EVERY: Duration = Duration::from_secs(10);

/// Requests the scheduler loop takes from the rest of the daemon.
#[derive(Debug)]
pub enum Command {
    /// Fetch this feed now.
    Refresh(String),
    /// Re-read the config file; the answer goes to the sender, if any (SIGHUP has none).
    Reload(Option<oneshot::Sender<Result<ReloadReport, ReloadError>>>),
    /// Start polling a feed given through the API (already discovered).
    AddFeed(FeedConfig, oneshot::Sender<Result<FeedState, ChangeError>>),
    /// Stop polling a feed added through the API.
    RemoveFeed(String, oneshot::Sender<Result<(), ChangeError>>),
}

/// A daemon with its store open and its engine's window restorable, ready to poll or serve.
pub struct Daemon {
    store: Store,
    table: FeedTable,
    metrics: Metrics,
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
        let metrics = Metrics::new();
        let mut ingestor =
            Ingestor::new(store.clone(), engine_config).with_metrics(metrics.clone());
        let since = chrono::Utc::now()
            - chrono::Duration::from_std(config.clustering.window).unwrap_or_default();
        // Restored when the first new article arrives, so a round of 304s costs no restore.
        ingestor.restore_later(since);
        info!(path = %config.store.path.display(), "store open");
        let table = FeedTable::new(
            config,
            store.clone(),
            Arc::new(Mutex::new(ingestor)),
            metrics.clone(),
        )
        .context("cannot set up the feeds")?;
        Ok(Daemon {
            store,
            table,
            metrics,
        })
    }

    /// The live feed set as the API sees it.
    pub fn snapshot(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.table.subscribe()
    }

    /// What the daemon counts, as `GET /metrics` serves it.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The store the daemon writes to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Polls every feed once, `concurrency` at a time, and returns what each did.
    pub async fn once(&self) -> Vec<(FeedConfig, anyhow::Result<RefreshReport>)> {
        self.once_with(|_, _| {}).await
    }

    /// Like [`Daemon::once`], calling `done` as each feed finishes (for progress output).
    pub async fn once_with(
        &self,
        mut done: impl FnMut(&FeedConfig, &anyhow::Result<RefreshReport>),
    ) -> Vec<(FeedConfig, anyhow::Result<RefreshReport>)> {
        let limit = Arc::new(Semaphore::new(self.table.config().scheduler.concurrency));
        let mut tasks = JoinSet::new();
        let feeds = self.table.feeds();
        for (i, live) in feeds.iter().enumerate() {
            let refresher = self.table.refresher_for(live.origin).clone();
            let (feed, limit) = (live.feed.clone(), limit.clone());
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
                Ok((i, r)) => {
                    done(&feeds[i].feed, &r);
                    results.push((i, r));
                }
                Err(e) => error!(error = %e, "refresh task failed"),
            }
        }
        results.sort_by_key(|(i, _)| *i);
        let _ = self.store.flush();
        results
            .into_iter()
            .map(|(i, r)| (feeds[i].feed.clone(), r))
            .collect()
    }

    /// Serves the HTTP endpoint on `listener` and polls feeds until `shutdown` completes.
    pub async fn run(
        mut self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(None);
        let (commands_tx, commands_rx) = mpsc::channel(64);
        // Every feed's state is stored before the endpoint answers, so /api/feeds lists them all.
        let due = self.table.start(chrono::Utc::now())?;
        let state = AppState::new(
            self.store.clone(),
            self.table.config().clone(),
            commands_tx.clone(),
        )
        .with_live(self.table.subscribe())
        .with_metrics(self.metrics.clone());
        let addr = listener.local_addr().context("listener has no address")?;
        let mut http_stop = stop_rx.clone();
        let limits = ServerLimits::default();
        let router = server::harden(api::app(state), self.store.clone(), &limits);
        let server = tokio::spawn(async move {
            server::serve(listener, router, &limits, async move {
                deadline_of(&mut http_stop).await
            })
            .await
        });
        let feeds = self.table.feeds().len();
        info!(%addr, feeds, "storyd serving");
        if feeds == 0 {
            warn!("{NO_FEEDS}");
        }
        systemd::ready(&format!("serving on {addr}, {feeds} feeds"));
        tokio::spawn(async move {
            shutdown.await;
            systemd::stopping();
            let _ = stop_tx.send(Some(Instant::now() + DRAIN_DEADLINE));
        });
        tokio::spawn(reload_on_sighup(commands_tx, stop_rx.clone()));
        let retention = tokio::spawn(prune_loop(
            self.store.clone(),
            self.table.subscribe(),
            stop_rx.clone(),
        ));
        let sampler = tokio::spawn(sample_loop(
            self.store.clone(),
            self.metrics.clone(),
            stop_rx.clone(),
        ));
        let mut stop = stop_rx.clone();
        let scheduled = self.schedule(due, stop_rx, commands_rx).await;
        // The HTTP server drains until the same deadline, and stops by itself then.
        if let Err(e) = server.await {
            warn!(error = %e, "HTTP server task failed");
        }
        let deadline = deadline_of(&mut stop).await;
        finish_or_abandon(retention, deadline, "the prune of old articles in progress").await;
        finish_or_abandon(sampler, deadline, "the store sample in progress").await;
        self.store
            .flush()
            .context("cannot flush the store at shutdown")?;
        info!("storyd stopped");
        scheduled
    }

    /// The scheduler loop: runs due feeds through the refresh pool and applies commands,
    /// until the stop signal.
    async fn schedule(
        &mut self,
        due: Vec<Due>,
        mut stop: Stop,
        mut commands: mpsc::Receiver<Command>,
    ) -> anyhow::Result<()> {
        let mut queue = DueQueue::new();
        apply(&mut queue, due);
        let pool = Arc::new(Semaphore::new(self.table.config().scheduler.concurrency));
        let mut running: JoinSet<(String, Option<Time>)> = JoinSet::new();
        // A feed is fetched by one task at a time; a request meanwhile runs it again after.
        let (mut in_flight, mut again) = (HashSet::new(), HashSet::new());
        // Which feed each task refreshes, so a task that panics (a bug) is still rescheduled.
        let mut tasks: HashMap<tokio::task::Id, String> = HashMap::new();
        let watchdog_every = systemd::watchdog_interval();
        let mut watchdog = tokio::time::interval(watchdog_every.unwrap_or(MAX_NAP));
        loop {
            for (id, due) in pop_due_at(&mut queue, chrono::Utc::now()) {
                let Some(live) = self.table.get(&id).cloned() else {
                    continue;
                };
                if !in_flight.insert(id.clone()) {
                    again.insert(id);
                    continue;
                }
                let (refresher, pool) =
                    (self.table.refresher_for(live.origin).clone(), pool.clone());
                let metrics = self.metrics.clone();
                let task_feed = id.clone();
                let task = running.spawn(async move {
                    let _permit = pool.acquire_owned().await;
                    metrics.scheduler_lag((chrono::Utc::now() - due).to_std().unwrap_or_default());
                    match refresher.refresh(&live.feed).await {
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
                _ = stop.wait_for(Option::is_some) => break,
                Some(done) = running.join_next_with_id() => {
                    // A refresh whose result could not be stored, or that panicked (a bug), is
                    // tried again after the minimum interval.
                    let retry = chrono::Utc::now()
                        + chrono::Duration::from_std(self.table.config().scheduler.min_interval).unwrap_or_default();
                    let (id, next) = match done {
                        Ok((task, (id, next))) => {
                            tasks.remove(&task);
                            (Some(id), next)
                        }
                        Err(e) => {
                            let id = tasks.remove(&e.id());
                            if let Some(id) = &id {
                                error!(feed = %id, error = %e, "refresh task failed (a bug); will retry");
                            }
                            (id, None)
                        }
                    };
                    if let Some(id) = id {
                        in_flight.remove(&id);
                        let at = if again.remove(&id) { chrono::Utc::now() } else { next.unwrap_or(retry) };
                        if self.table.get(&id).is_some() {
                            queue.set(&id, at);
                        }
                    }
                }
                Some(cmd) = commands.recv() => self.command(cmd, &mut queue),
                _ = watchdog.tick(), if watchdog_every.is_some() => systemd::watchdog(),
                _ = tokio::time::sleep(nap), if !queue.is_empty() || nap > Duration::ZERO => {}
            }
        }
        info!(in_flight = running.len(), "stopping: draining refreshes");
        let deadline = deadline_of(&mut stop).await;
        let drained = tokio::time::timeout_at(deadline, async {
            while let Some(done) = running.join_next_with_id().await {
                let task = done.map_or_else(|e| e.id(), |(task, _)| task);
                tasks.remove(&task);
            }
        })
        .await;
        if drained.is_err() {
            let mut feeds: Vec<&str> = tasks.values().map(String::as_str).collect();
            feeds.sort_unstable();
            warn!(
                abandoned = feeds.len(),
                feeds = %feeds.join(", "),
                "shutdown deadline: abandoned the refreshes still running"
            );
            running.abort_all();
        }
        Ok(())
    }

    /// Applies one command to the feed set and the queue; answers go back to the asker.
    fn command(&mut self, cmd: Command, queue: &mut DueQueue) {
        let now = chrono::Utc::now();
        match cmd {
            Command::Refresh(id) => {
                if self.table.get(&id).is_some() {
                    queue.set(&id, now);
                }
            }
            Command::Reload(reply) => {
                systemd::reloading();
                let result = self.table.reload(now);
                match &result {
                    Ok((report, due)) => {
                        apply(queue, due.clone());
                        info!(
                            added = report.added.len(),
                            removed = report.removed.len(),
                            changed = report.changed.len(),
                            restart_needed = ?report.restart_needed,
                            "config reloaded"
                        );
                    }
                    Err(e) => {
                        error!(error = %e, "config reload refused; the old config stays in force")
                    }
                }
                systemd::ready(&format!("{} feeds", self.table.feeds().len()));
                if let Some(reply) = reply {
                    let _ = reply.send(result.map(|(report, _)| report));
                }
            }
            Command::AddFeed(feed, reply) => {
                let result = self.table.add(feed, now).map(|(state, due)| {
                    apply(queue, vec![due]);
                    state
                });
                let _ = reply.send(result);
            }
            Command::RemoveFeed(id, reply) => {
                let result = self.table.remove(&id).map(|due| apply(queue, vec![due]));
                let _ = reply.send(result);
            }
        }
    }
}

/// Moves feeds in the due queue as the feed set says.
fn apply(queue: &mut DueQueue, due: Vec<Due>) {
    for (id, at) in due {
        match at {
            Some(at) => queue.set(&id, at),
            None => queue.remove(&id),
        }
    }
}

/// Waits for the stop signal and returns its drain deadline.
async fn deadline_of(stop: &mut Stop) -> Instant {
    match stop.wait_for(Option::is_some).await {
        Ok(deadline) => (*deadline).unwrap_or_else(Instant::now),
        // The sender is gone without a signal: nothing is worth waiting for.
        Err(_) => Instant::now(),
    }
}

/// Waits for `task` until `deadline`; past it, aborts the task and logs `what` was abandoned.
async fn finish_or_abandon(task: tokio::task::JoinHandle<()>, deadline: Instant, what: &str) {
    let abort = task.abort_handle();
    if tokio::time::timeout_at(deadline, task).await.is_err() {
        abort.abort();
        warn!("shutdown deadline: abandoned {what}");
    }
}

/// Turns SIGHUP into a reload command, until the stop signal.
async fn reload_on_sighup(commands: mpsc::Sender<Command>, mut stop: Stop) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hup = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                warn!(error = %e, "cannot listen for SIGHUP; reload with POST /api/reload");
                return;
            }
        };
        loop {
            // The stop branch's guard must not live across the send below: wrap it.
            let stopped = async {
                let _ = stop.wait_for(Option::is_some).await;
            };
            tokio::select! {
                _ = stopped => return,
                _ = hup.recv() => {
                    info!("SIGHUP: reloading the config");
                    if commands.send(Command::Reload(None)).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        drop(commands);
        let _ = stop.wait_for(Option::is_some).await;
    }
}

/// Deletes articles and stories older than `store.retention` (as in force now), at start-up
/// and then every hour.
async fn prune_loop(store: Store, live: watch::Receiver<Arc<Snapshot>>, mut stop: Stop) {
    let mut tick = tokio::time::interval(PRUNE_EVERY);
    loop {
        tokio::select! {
            _ = stop.wait_for(Option::is_some) => return,
            _ = tick.tick() => {}
        }
        let retention = live.borrow().config.store.retention;
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

/// The feeds due at `now` with the time each was due, earliest first.
fn pop_due_at(queue: &mut DueQueue, now: Time) -> Vec<(String, Time)> {
    let mut out = Vec::new();
    while let Some(due) = queue.next_due().filter(|t| *t <= now) {
        out.extend(queue.pop_due(due).into_iter().map(|id| (id, due)));
    }
    out
}

/// Samples the store's counts and size on disk for `/metrics`, at start-up and then every
/// [`SAMPLE_EVERY`] (counting is a scan, too slow to do on every scrape of a large store).
async fn sample_loop(store: Store, metrics: Metrics, mut stop: Stop) {
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    loop {
        tokio::select! {
            _ = stop.wait_for(Option::is_some) => return,
            _ = tick.tick() => {}
        }
        let store = store.clone();
        let sampled = tokio::task::spawn_blocking(move || {
            Ok::<_, crate::store::StoreError>((store.counts()?, store.size_on_disk()?))
        })
        .await;
        match sampled {
            Ok(Ok((counts, size))) => metrics.store_sampled(&counts, size),
            Ok(Err(e)) => warn!(error = %e, "cannot sample the store for metrics"),
            Err(e) => warn!(error = %e, "store sampling task failed"),
        }
    }
}

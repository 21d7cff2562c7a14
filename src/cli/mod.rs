//! The command line: what each `storyd` command does, on top of the library's stages.
//! `main` parses the arguments and maps the result to an exit code.

mod check_store;
mod logging;
mod once;
mod ops;
mod stories;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{Config, DEFAULT_CONFIG_PATH};
use crate::daemon::Daemon;

pub use logging::init_logging;

/// storyd: polls feeds and groups their items into stories.
#[derive(Debug, Parser)]
#[command(name = "storyd", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of SPEC.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: scheduler and HTTP endpoint, until SIGINT or SIGTERM.
    Serve(ConfigArg),
    /// Poll every configured feed once, ingest, print a summary per feed, exit (1 when the
    /// store failed or every feed did).
    Once(ConfigArg),
    /// Validate the config and print what would run.
    CheckConfig(ConfigArg),
    /// Ask a running daemon for its top stories.
    Stories {
        /// The daemon's address.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        /// How many stories.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=200))]
        limit: u16,
        /// Print the JSON answer instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print every configured feed (with those of the OPML files) as OPML 2.0.
    ExportOpml(ConfigArg),
    /// List the feeds a web page advertises (or that answer at common paths).
    Discover {
        /// The page: a site's home page, or a feed's own URL.
        url: String,
    },
    /// Run the story engine over articles in JSON Lines, with no store and no network.
    Cluster {
        /// Articles, one JSON object a line.
        #[arg(long)]
        input: PathBuf,
        /// Where to write `{"id","story"}` lines (default: standard output).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Cluster labeled articles and score the stories against their `event` labels.
    Eval {
        /// Labeled articles, one JSON object a line.
        #[arg(long)]
        input: PathBuf,
        /// Run N times in shuffled orders with random times within a day.
        #[arg(long)]
        shuffle: Option<usize>,
        /// Seed of the shuffles.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also list the N pairs of events most often put in one story and the N events
        /// most often split, summed over the runs.
        #[arg(long, value_name = "N")]
        errors: Option<usize>,
        /// Also measure the near-duplicate layer: copy each article with enough text in
        /// several ways (cut, words changed, ...) and report how the copies were filed.
        #[arg(long)]
        copies: bool,
        /// Stream these articles first in every run, over the day before, unscored: the
        /// news a running daemon has already seen (labels ignored).
        #[arg(long, value_name = "FILE")]
        background: Option<PathBuf>,
    },
    /// Verify the store's invariants and print a report; exit 1 when it is not sound.
    CheckStore(ConfigArg),
}

/// The `--config` option shared by commands that read a config.
#[derive(Debug, clap::Args)]
pub struct ConfigArg {
    /// Config file (default: $STORYD_CONFIG, then config/storyd.toml).
    #[arg(long, env = "STORYD_CONFIG", default_value = DEFAULT_CONFIG_PATH)]
    pub config: PathBuf,
}

/// An error that should end the process with exit code 2 (bad usage or bad config).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(arg) => {
            let config = load(&arg.config)?;
            init_logging(&config.log);
            let runtime = runtime()?;
            let served = runtime.block_on(serve(config));
            // Work abandoned at the shutdown deadline may still hold a blocking thread (an
            // ingest, a prune): the store is flushed, so exit without waiting for it.
            runtime.shutdown_background();
            served?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Once(arg) => {
            let mut config = load(&arg.config)?;
            // The summary table says what happened; logs only add warnings unless asked for.
            if config.log.level == "info" {
                config.log.level = "warn".to_owned();
            }
            init_logging(&config.log);
            runtime()?.block_on(once::run(config))
        }
        Command::CheckConfig(arg) => {
            let config = load(&arg.config)?;
            print_config(&config);
            Ok(ExitCode::SUCCESS)
        }
        Command::Stories {
            server,
            limit,
            json,
        } => {
            runtime()?.block_on(stories::print(&server, limit, json))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::ExportOpml(arg) => {
            let config = load(&arg.config)?;
            print!("{}", ops::export_opml(&config));
            Ok(ExitCode::SUCCESS)
        }
        Command::Discover { url } => runtime()?.block_on(ops::discover(&url)),
        Command::Cluster { input, output } => {
            crate::eval::run_cluster(&input, output.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            input,
            shuffle,
            seed,
            errors,
            copies,
            background,
        } => {
            let extras = crate::eval::Extras {
                background: background.as_deref(),
                errors,
                copies,
            };
            crate::eval::run_eval(&input, shuffle, seed, extras)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckStore(arg) => check_store::run(&load(&arg.config)?),
    }
}

fn load(path: &Path) -> anyhow::Result<Config> {
    // Every config error is the user's to fix: exit 2.
    Config::load(path).map_err(|e| anyhow::Error::new(UsageError(e.to_string())))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.server.listen;
    let daemon = Daemon::open(config)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (server.listen)"))?;
    daemon.run(listener, shutdown_signal()).await
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT: shutting down"),
        _ = term => tracing::info!("SIGTERM: shutting down"),
    }
}

fn print_config(c: &Config) {
    let d = |d: std::time::Duration| humantime::format_duration(d).to_string();
    println!("config      {}", c.path.display());
    println!("listen      http://{}", c.server.listen);
    println!(
        "admin       {}",
        if c.admin_token().is_some() {
            "write endpoints enabled"
        } else {
            "read only"
        }
    );
    println!(
        "store       {} (retention {})",
        c.store.path.display(),
        d(c.store.retention)
    );
    let s = &c.scheduler;
    println!(
        "scheduler   every {} (within {}..{}), {} in flight, {} per host, timeout {}, max body {}",
        d(s.interval),
        d(s.min_interval),
        d(s.max_interval),
        s.concurrency,
        s.per_host,
        d(s.timeout),
        bytesize::ByteSize(s.max_body).display().iec()
    );
    println!("clustering  window {}", d(c.clustering.window));
    if c.server.allow_private_feeds {
        println!("api feeds   may point at private addresses (server.allow_private_feeds)");
    }
    for path in &c.opml {
        println!("opml        {}", path.display());
    }
    println!("feeds       {}", c.feeds.len());
    for f in &c.feeds {
        let every = f
            .interval
            .map(|i| format!(" (every {})", d(i)))
            .unwrap_or_default();
        println!(
            "  {}  {}{}  {}",
            crate::model::feed_id(&f.configured_url),
            f.url,
            every,
            f.name.as_deref().unwrap_or("")
        );
    }
}

/// Cuts a string to `n` characters for table columns.
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

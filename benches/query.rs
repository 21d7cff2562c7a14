//! Benchmark 4: queries under load.
//!
//! Builds a store of 250,000 synthetic articles through the daemon's own ingest path, serves
//! the real API router over it while ingest keeps running in the background, and drives
//! `GET /api/stories?limit=20`, `GET /api/stories/{id}` and `GET /api/stories?q=...` from a load
//! generator in another process (this binary with `--loadgen`): closed-loop clients on 1, 8
//! and 64 connections, each reporting requests/s and p50/p99/p99.9 latency.
//!
//! `cargo bench --bench query -- [--articles N] [--seconds N] [--ingest-rate N]`
//!
//! For profiling: `--dir PATH` keeps the store there and reuses it on the next run (its
//! background ingest then offers articles the store already holds), and `--probe` times each
//! `q=` URL once, alone, and prints the slowest before the load runs.

mod support;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use storyd::api::{AppState, app};
use storyd::config::Config;
use storyd::store::{Store, StoryOrder};
use support::{Pipeline, arg, flag, quantile};

fn main() -> anyhow::Result<()> {
    if flag("--loadgen") {
        return loadgen();
    }
    let articles: u64 = arg("--articles", 250_000);
    let seconds: f64 = arg("--seconds", 5.0);
    let rate: u64 = arg("--ingest-rate", 200);
    let tmp = tempfile::Builder::new()
        .prefix("storyd-bench-query")
        .tempdir()?;
    let path = arg("--dir", tmp.path().to_path_buf());
    let store = Store::open(&path)?;
    let mut pipeline = Pipeline::new(store.clone(), 500, articles)?;
    let t = Instant::now();
    if store.counts()?.articles < articles {
        pipeline.run(articles as usize)?;
    }
    let counts = store.counts()?;
    println!(
        "query: store of {} articles, {} stories built in {:.0} s; ingest goes on at {rate} articles/s",
        counts.articles,
        counts.stories,
        t.elapsed().as_secs_f64()
    );
    let targets = targets(&store)?;
    let stop = Arc::new(AtomicBool::new(false));
    let ingest = {
        let stop = stop.clone();
        std::thread::spawn(move || -> anyhow::Result<u64> {
            let start = pipeline.stored;
            let started = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
                if pipeline.stored - start < due {
                    pipeline.run(16)?;
                } else {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            Ok(pipeline.stored - start)
        })
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let config = Config::parse(
        &format!("[store]\npath = {:?}\n", path.display().to_string()),
        std::path::Path::new("bench.toml"),
    )?;
    let (commands, _keep) = tokio::sync::mpsc::channel(1);
    let router = app(AppState::new(store.clone(), Arc::new(config), commands));
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let base = format!("http://{}", listener.local_addr()?);
    runtime.spawn(async move { axum::serve(listener, router).await });
    if flag("--probe") {
        probe(&runtime, &base, &targets)?;
    }
    println!(
        "{:<28} {:>5} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "endpoint", "conns", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "errors"
    );
    let result = drive(&base, &targets, seconds);
    stop.store(true, Ordering::Relaxed);
    let ingested = ingest
        .join()
        .map_err(|_| anyhow::anyhow!("ingest thread panicked"))??;
    println!("ingested {ingested} articles while serving");
    result
}

/// The URL paths of each endpoint: (name, paths).
fn targets(store: &Store) -> anyhow::Result<Vec<(&'static str, Vec<String>)>> {
    let mut ids = Vec::new();
    let mut words = Vec::new();
    for item in store.stories(StoryOrder::Recent, None).take(2000) {
        let (_, story) = item?;
        if let Some(word) = story.headline.split_whitespace().nth(1) {
            words.push(word.to_lowercase());
        }
        ids.push(story.id);
    }
    words.truncate(200);
    Ok(vec![
        (
            "/api/stories?limit=20",
            vec!["/api/stories?limit=20".to_owned()],
        ),
        (
            "/api/stories/{id}",
            ids.iter().map(|id| format!("/api/stories/{id}")).collect(),
        ),
        (
            "/api/stories?q=...",
            words
                .iter()
                .map(|w| format!("/api/stories?q={w}"))
                .collect(),
        ),
    ])
}

/// Times each `q=` URL once, alone, and prints the spread and the slowest ones.
fn probe(
    runtime: &tokio::runtime::Runtime,
    base: &str,
    targets: &[(&str, Vec<String>)],
) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let Some((_, paths)) = targets.iter().find(|(name, _)| name.contains("q=")) else {
        return Ok(());
    };
    let mut times: Vec<(f64, &String)> = Vec::new();
    for p in paths {
        let t = Instant::now();
        let body = runtime
            .block_on(async { client.get(format!("{base}{p}")).send().await?.bytes().await })?;
        times.push((t.elapsed().as_secs_f64() * 1e3, p));
        drop(body);
    }
    times.sort_by(|a, b| a.0.total_cmp(&b.0));
    let sorted: Vec<f64> = times.iter().map(|t| t.0).collect();
    println!(
        "probe: {} q= URLs alone: p50 {:.2} ms, p90 {:.2} ms, max {:.2} ms; slowest: {}",
        sorted.len(),
        quantile(&sorted, 0.5),
        quantile(&sorted, 0.9),
        sorted.last().copied().unwrap_or(0.0),
        times
            .iter()
            .rev()
            .take(5)
            .map(|(ms, p)| format!("{p} {ms:.1} ms"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// Runs the load generator for each endpoint at 1, 8 and 64 connections.
fn drive(base: &str, targets: &[(&str, Vec<String>)], seconds: f64) -> anyhow::Result<()> {
    for (name, paths) in targets {
        for conns in [1, 8, 64] {
            let mut list = tempfile::NamedTempFile::new()?;
            for p in paths {
                writeln!(list, "{base}{p}")?;
            }
            let out = std::process::Command::new(std::env::current_exe()?)
                .arg("--loadgen")
                .args(["--urls", &list.path().display().to_string()])
                .args(["--conns", &conns.to_string()])
                .args(["--seconds", &seconds.to_string()])
                .output()?;
            if !out.status.success() {
                anyhow::bail!(
                    "load generator failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            let r: serde_json::Value = serde_json::from_slice(&out.stdout)?;
            let f = |k: &str| r[k].as_f64().unwrap_or(0.0);
            println!(
                "{name:<28} {conns:>5} {:>9.0} {:>9.2} {:>9.2} {:>9.2} {:>7}",
                f("rps"),
                f("p50"),
                f("p99"),
                f("p999"),
                f("errors")
            );
        }
    }
    Ok(())
}

/// The load generator: `--conns` closed-loop clients over the URLs in `--urls` for `--seconds`.
fn loadgen() -> anyhow::Result<()> {
    let urls: Vec<String> = std::fs::read_to_string(arg("--urls", String::new()))?
        .lines()
        .map(str::to_owned)
        .collect();
    let conns: usize = arg("--conns", 1);
    let seconds: f64 = arg("--seconds", 5.0);
    let urls = Arc::new(urls);
    let runtime = tokio::runtime::Runtime::new()?;
    let (latencies, errors, secs) = runtime.block_on(async move {
        let started = Instant::now();
        let deadline = started + Duration::from_secs_f64(seconds);
        let mut tasks = tokio::task::JoinSet::new();
        for c in 0..conns {
            let urls = urls.clone();
            tasks.spawn(async move {
                // One client per connection, so each task keeps exactly one connection.
                let client = reqwest::Client::builder().pool_max_idle_per_host(1).build();
                let (mut lat, mut errors) = (Vec::new(), 0u64);
                let Ok(client) = client else {
                    return (lat, 1);
                };
                let mut i = c * 7919;
                while Instant::now() < deadline {
                    let url = &urls[i % urls.len().max(1)];
                    i += 1;
                    let t = Instant::now();
                    let ok = match client.get(url).send().await {
                        Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    lat.push(t.elapsed().as_secs_f64() * 1e3);
                    errors += u64::from(!ok);
                }
                (lat, errors)
            });
        }
        let (mut all, mut errors) = (Vec::new(), 0);
        while let Some(Ok((lat, e))) = tasks.join_next().await {
            all.extend(lat);
            errors += e;
        }
        (all, errors, started.elapsed().as_secs_f64())
    });
    let mut sorted = latencies;
    sorted.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "requests": sorted.len(),
            "rps": sorted.len() as f64 / secs,
            "p50": quantile(&sorted, 0.5),
            "p99": quantile(&sorted, 0.99),
            "p999": quantile(&sorted, 0.999),
            "errors": errors,
        })
    );
    Ok(())
}

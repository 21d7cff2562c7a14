//! Benchmark 2 and 5: ingest and store footprint.
//!
//! Synthetic articles (see `support/synth.rs`) go through the daemon's own path (RSS document,
//! `feed::parse`, story engine, sled store) while the store grows from empty; the cost per
//! article is printed per slice to show whether it stays flat. At the end it reports the bytes
//! on disk per article, prunes the older half by retention, and reports them again.
//!
//! `cargo bench --bench ingest` (200,000 articles), `cargo bench --bench ingest -- --full`
//! (1,000,000), or `-- --articles N --slice N --feeds N --dir PATH`.

mod support;

use std::time::Instant;

use storyd::store::Store;
use support::{Pipeline, arg, dir_bytes, flag, proc_status_kb};

fn main() -> anyhow::Result<()> {
    let total: u64 = if flag("--full") {
        1_000_000
    } else {
        arg("--articles", 200_000)
    };
    let slice: u64 = arg("--slice", 100_000u64).max(1);
    let feeds: usize = arg("--feeds", 500);
    let tmp = tempfile::Builder::new()
        .prefix("storyd-bench-ingest")
        .tempdir_in(std::env::temp_dir())?;
    let dir = arg("--dir", tmp.path().to_path_buf());
    let store = Store::open(&dir)?;
    let mut pipeline = Pipeline::new(store.clone(), feeds, total)?;
    println!(
        "ingest: {total} synthetic articles from {feeds} outlets over 30 days, store at {}",
        dir.display()
    );
    println!(
        "{:>9} {:>10} {:>11} {:>9} {:>9} {:>8} {:>9}",
        "articles", "art/s", "us/article", "parse us", "store us", "RSS MB", "disk MB"
    );
    let started = Instant::now();
    let mut costs = Vec::new();
    let mut halfway = None;
    while pipeline.stored < total {
        let (t, p0, i0, s0) = (
            Instant::now(),
            pipeline.parse_secs,
            pipeline.ingest_secs,
            pipeline.stored,
        );
        let goal = (s0 + slice).min(total);
        while pipeline.stored < goal {
            pipeline.run((goal - pipeline.stored) as usize)?;
            if halfway.is_none() && pipeline.stored >= total / 2 {
                halfway = Some(pipeline.now);
            }
        }
        let n = (pipeline.stored - s0) as f64;
        let secs = t.elapsed().as_secs_f64();
        costs.push(secs / n * 1e6);
        println!(
            "{:>9} {:>10.0} {:>11.1} {:>9.1} {:>9.1} {:>8.0} {:>9.0}",
            pipeline.stored,
            n / secs,
            secs / n * 1e6,
            (pipeline.parse_secs - p0) / n * 1e6,
            (pipeline.ingest_secs - i0) / n * 1e6,
            proc_status_kb("VmRSS") as f64 / 1024.0,
            dir_bytes(&dir) as f64 / 1e6
        );
    }
    let secs = started.elapsed().as_secs_f64();
    let first = costs.first().copied().unwrap_or(0.0);
    let worst = costs.iter().copied().fold(0.0, f64::max);
    let best = costs.iter().copied().fold(f64::MAX, f64::min);
    println!(
        "ingest total: {} articles in {secs:.1} s = {:.0} articles/s; per-article cost: first slice {first:.1} us, \
         last {:.1} us, max/min {:.2}",
        pipeline.stored,
        pipeline.stored as f64 / secs,
        costs.last().copied().unwrap_or(0.0),
        worst / best
    );
    let counts = store.counts()?;
    println!(
        "store: {} articles, {} stories, peak RSS {:.0} MB",
        counts.articles,
        counts.stories,
        proc_status_kb("VmHWM") as f64 / 1024.0
    );
    footprint(store, pipeline, &dir, halfway)
}

/// Benchmark 5: bytes per article on disk, then after pruning the older half.
fn footprint(
    store: Store,
    pipeline: Pipeline,
    dir: &std::path::Path,
    halfway: Option<storyd::model::Time>,
) -> anyhow::Result<()> {
    store.flush()?;
    let articles = store.counts()?.articles.max(1);
    let full = dir_bytes(dir);
    println!(
        "footprint: {:.1} MB on disk for {articles} articles = {:.0} bytes/article",
        full as f64 / 1e6,
        full as f64 / articles as f64
    );
    let Some(before) = halfway else {
        return Ok(());
    };
    let t = Instant::now();
    let report = store.prune(before)?;
    store.flush()?;
    let left = store.counts()?.articles.max(1);
    let pruned = dir_bytes(dir);
    println!(
        "prune: {} articles and {} stories in {:.1} s; {:.1} MB on disk for {left} articles = {:.0} bytes/article ({:+.0}% of the full size)",
        report.articles,
        report.stories,
        t.elapsed().as_secs_f64(),
        pruned as f64 / 1e6,
        pruned as f64 / left as f64,
        (pruned as f64 / full as f64 - 1.0) * 100.0
    );
    drop(pipeline);
    drop(store);
    let store = Store::open(dir)?;
    store.flush()?;
    let reopened = dir_bytes(dir);
    println!(
        "after reopening: {:.1} MB on disk = {:.0} bytes/article ({:+.0}% of the full size)",
        reopened as f64 / 1e6,
        reopened as f64 / left as f64,
        (reopened as f64 / full as f64 - 1.0) * 100.0
    );
    Ok(())
}

//! Benchmark 1: parse and normalize.
//!
//! Every feed of ../shared/feeds/replay and the well-formed part of ../shared/feeds/suites
//! (files outside the `illformed` trees and non-feed vocabularies that `feed::parse` accepts)
//! go through `feed::parse` in a loop on one thread: MB/s, documents/s and items/s. With
//! `--peer PYTHON`, the same files go through Python's feedparser in the same run
//! (`scripts/bench_feedparser.py`) and the ratio is printed. `scripts/bench-parse.sh` sets up
//! the peer and runs both.
//!
//! `cargo bench --bench parse -- [--seconds N] [--peer PYTHON] [--runs N]`

mod support;

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{TimeZone, Utc};
use support::{arg, median};
use url::Url;

/// Extensions of feed documents; anything else (licences, scripts, expected outputs) is skipped.
const FEED_EXTENSIONS: [&str; 6] = ["xml", "json", "rss", "atom", "rdf", "feed"];

/// Trees that hold broken documents or vocabularies a feed reader does not read.
const SKIPPED_DIRS: [&str; 6] = ["illformed", "kml", "gbase", "opensearch", "opml", "http"];

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) {
                collect(&path, out);
            }
            continue;
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let expected = name.ends_with(".serde.json")
            || name.ends_with("_expected.json")
            || (ext == "json" && path.with_extension("xml").exists());
        if FEED_EXTENSIONS.contains(&ext.as_str()) && !expected {
            out.push(path);
        }
    }
}

/// One document of the corpus.
struct Doc {
    path: PathBuf,
    body: Vec<u8>,
}

fn main() -> anyhow::Result<()> {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/feeds");
    if !shared.is_dir() {
        println!("skipping: ../shared/feeds not found");
        return Ok(());
    }
    let seconds: f64 = arg("--seconds", 5.0);
    let runs: usize = arg("--runs", 3).max(1);
    let base = Url::parse("https://bench.example/feed")?;
    let now = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("bad date"))?;
    let mut paths = Vec::new();
    collect(&shared.join("replay"), &mut paths);
    collect(&shared.join("suites"), &mut paths);
    paths.sort();
    let mut docs = Vec::new();
    for path in paths {
        let body = std::fs::read(&path)?;
        if storyd::feed::parse(&body, None, &base, now).is_ok() {
            docs.push(Doc { path, body });
        }
    }
    let bytes: usize = docs.iter().map(|d| d.body.len()).sum();
    println!(
        "parse: {} documents, {:.1} MB, {:.0} s per run, {runs} runs, one thread",
        docs.len(),
        bytes as f64 / 1e6,
        seconds
    );
    let (mut mbs, mut items) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let (b, n, secs) = parse_loop(&docs, &base, now, seconds);
        println!(
            "  storyd run {}: {:.1} MB/s, {:.0} items/s",
            run + 1,
            b / secs / 1e6,
            n / secs
        );
        mbs.push(b / secs / 1e6);
        items.push(n / secs);
    }
    let (mb_s, items_s) = (median(&mut mbs), median(&mut items));
    println!("storyd feed::parse: {mb_s:.1} MB/s, {items_s:.0} items/s (median of {runs})");
    let peer = arg("--peer", String::new());
    match Some(peer).filter(|p| !p.is_empty()) {
        Some(python) => compare(&python, &docs, seconds, runs, mb_s, items_s)?,
        None => println!("peer: skipped (no --peer PYTHON; scripts/bench-parse.sh sets one up)"),
    }
    Ok(())
}

/// Parses every document over and over for about `seconds`: (bytes, items, seconds).
fn parse_loop(
    docs: &[Doc],
    base: &Url,
    now: chrono::DateTime<Utc>,
    seconds: f64,
) -> (f64, f64, f64) {
    let started = Instant::now();
    let (mut bytes, mut items) = (0usize, 0usize);
    loop {
        for doc in docs {
            if let Ok(parsed) = storyd::feed::parse(&doc.body, None, base, now) {
                items += parsed.entries.len();
            }
            bytes += doc.body.len();
        }
        let secs = started.elapsed().as_secs_f64();
        if secs >= seconds {
            return (bytes as f64, items as f64, secs);
        }
    }
}

/// Runs feedparser over the same files and prints its figures and the ratios.
fn compare(
    python: &str,
    docs: &[Doc],
    seconds: f64,
    runs: usize,
    mb_s: f64,
    items_s: f64,
) -> anyhow::Result<()> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench_feedparser.py");
    let list = tempfile::NamedTempFile::new()?;
    let names: Vec<String> = docs.iter().map(|d| d.path.display().to_string()).collect();
    std::fs::write(list.path(), names.join("\n"))?;
    let out = std::process::Command::new(python)
        .arg(&script)
        .arg(list.path())
        .arg(seconds.to_string())
        .arg(runs.to_string())
        .output()?;
    if !out.status.success() {
        println!(
            "peer: feedparser failed, skipped: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return Ok(());
    }
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let peer_mb = report["mb_s"].as_f64().unwrap_or(0.0);
    let peer_items = report["items_s"].as_f64().unwrap_or(0.0);
    println!(
        "feedparser {}: {peer_mb:.2} MB/s, {peer_items:.0} items/s (median of {runs})",
        report["version"].as_str().unwrap_or("?")
    );
    println!(
        "ratio storyd/feedparser: {:.1}x MB/s, {:.1}x items/s (target >= 30x items/s)",
        mb_s / peer_mb.max(f64::MIN_POSITIVE),
        items_s / peer_items.max(f64::MIN_POSITIVE)
    );
    Ok(())
}

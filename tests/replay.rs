//! Replay: real news feeds, byte for byte as outlets served them, through `feed::parse`.
//!
//! Reads ../shared/feeds/replay/*/MANIFEST.tsv (path, size, item count, format, flavour,
//! status, title). Every file must parse without panic; the HTML 403 page saved as a feed must
//! be refused as an HTML page; files marked `ok` must yield their item count, less the items
//! that repeat an earlier item's id in the same document (storyd keeps the first of each). The
//! repeats are counted independently with plain feed-rs, so the difference is explained, not
//! assumed: one Daily Mail capture lists the same article twice.

use std::collections::HashSet;

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use storyd::feed::{ParseError, parse};
use url::Url;

struct Row {
    path: PathBuf,
    items: usize,
    ok: bool,
}

fn manifests(replay: &Path) -> Vec<(PathBuf, Vec<Row>)> {
    let mut out = Vec::new();
    for dir in fs::read_dir(replay).into_iter().flatten().flatten() {
        let dir = dir.path();
        let Ok(text) = fs::read_to_string(dir.join("MANIFEST.tsv")) else {
            continue;
        };
        let rows = text
            .lines()
            .filter_map(|line| {
                let cols: Vec<&str> = line.split('\t').collect();
                let (path, items, status) = (cols.first()?, cols.get(2)?, cols.get(5)?);
                (*path != "TOTAL").then(|| Row {
                    path: dir.join(path),
                    items: items.parse().unwrap_or(0),
                    ok: *status == "ok",
                })
            })
            .collect();
        out.push((dir, rows));
    }
    out
}

/// Items whose id repeats an earlier item's in the same document, by plain feed-rs.
fn repeats(body: &[u8]) -> usize {
    let Ok(feed) = feed_rs::parser::parse(body) else {
        return 0;
    };
    let mut seen = HashSet::new();
    feed.entries
        .iter()
        .filter(|e| !seen.insert(e.id.trim().to_string()))
        .count()
}

/// The replay corpus, or `None` (with a message) when ../shared is absent.
fn replay_dir() -> Option<std::path::PathBuf> {
    let replay = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/feeds/replay");
    if replay.is_dir() {
        Some(replay)
    } else {
        println!("skipping: ../shared/feeds not found");
        None
    }
}

/// Just after the last capture, so no real date is clamped as "future".
fn capture_end() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 10, 18, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

#[test]
fn replay_corpus_parses_with_manifest_counts() {
    let Some(replay) = replay_dir() else { return };
    let now = capture_end();
    let (mut files, mut entries, mut html_refused) = (0, 0, 0);
    let mut problems = Vec::new();
    for (dir, rows) in manifests(&replay) {
        for row in rows {
            let name = row
                .path
                .strip_prefix(&dir)
                .unwrap_or(&row.path)
                .display()
                .to_string();
            let body = fs::read(&row.path).unwrap_or_else(|e| panic!("{name}: {e}"));
            let url = Url::parse(&format!("https://replay.example/{name}"))
                .unwrap_or_else(|e| panic!("{e}"));
            files += 1;
            match (row.ok, parse(&body, None, &url, now)) {
                (true, Ok(feed)) => {
                    let expected = row.items - repeats(&body);
                    match feed.entries.len() == expected {
                        true => entries += expected,
                        false => problems.push(format!(
                            "{name}: {} entries, manifest says {} ({expected} distinct)",
                            feed.entries.len(),
                            row.items
                        )),
                    }
                }
                (true, Err(e)) => problems.push(format!("{name}: {e}")),
                (false, Err(ParseError::NotAFeed(why))) if why.contains("HTML page") => {
                    html_refused += 1
                }
                (false, other) => problems.push(format!(
                    "{name}: expected an HTML-page error, got {other:?}"
                )),
            }
        }
    }
    println!("replay: {files} files, {entries} entries, {html_refused} HTML pages refused");
    assert!(
        files >= 60,
        "only {files} files listed under {}",
        replay.display()
    );
    assert_eq!(html_refused, 1, "the CloudFront 403 page must be refused");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn replay_entries_are_normalized() {
    let Some(replay) = replay_dir() else { return };
    let now = capture_end();
    for (_, rows) in manifests(&replay) {
        for row in rows.iter().filter(|r| r.ok) {
            let body = fs::read(&row.path).unwrap_or_default();
            let url =
                Url::parse("https://replay.example/feed.xml").unwrap_or_else(|e| panic!("{e}"));
            let Ok(feed) = parse(&body, None, &url, now) else {
                continue;
            };
            let where_ = row.path.display();
            for entry in &feed.entries {
                assert!(
                    !entry.title.is_empty(),
                    "{where_}: empty title in {entry:?}"
                );
                assert!(
                    !entry.title.contains('<') || !entry.title.contains('>'),
                    "{where_}: markup in {:?}",
                    entry.title
                );
                assert!(
                    entry.summary.chars().count() <= 1000,
                    "{where_}: long summary"
                );
                let url = entry
                    .url
                    .as_deref()
                    .unwrap_or_else(|| panic!("{where_}: no URL in {entry:?}"));
                assert!(
                    url.starts_with("http") && !url.contains('#') && !url.contains("utm_"),
                    "{where_}: {url}"
                );
                assert!(entry.published <= now, "{where_}: future date");
            }
        }
    }
}

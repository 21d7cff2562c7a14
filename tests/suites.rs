//! Peer suites: every fixture of other feed parsers and validators goes through `feed::parse`.
//!
//! The fixtures live in ../shared/feeds/suites (feedparser, W3C feed validator, gofeed, feed-rs,
//! JSON Feed). The bar is robustness, not agreement with each suite's expectations: zero
//! panics, and every failure a `ParseError` with a message. Counts by outcome are printed
//! (`cargo test --test suites -- --nocapture`). Files that feedparser's runner serves with an
//! HTTP header (`Header: Content-type: ...` in their comment) get that header here too.

use std::collections::BTreeMap;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use storyd::feed::{ParseError, parse};
use url::Url;

/// Extensions of feed documents; anything else (licences, scripts, markdown, archives) is skipped.
const FEED_EXTENSIONS: [&str; 6] = ["xml", "json", "rss", "atom", "rdf", "feed"];

fn suites_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/feeds/suites")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if is_fixture(&path) {
            out.push(path);
        }
    }
}

/// A feed input, not an expected-output file of its suite.
fn is_fixture(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !FEED_EXTENSIONS.contains(&ext.as_str())
        || name.ends_with(".serde.json")
        || name.ends_with("_expected.json")
    {
        return false;
    }
    // gofeed keeps the expected result of `x.xml` in `x.json`.
    !(ext == "json" && path.with_extension("xml").exists())
}

/// The Content-Type feedparser's runner would send with this file, if its comment names one.
fn declared_content_type(body: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&body[..body.len().min(1024)]);
    head.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("Header:")?.trim();
        let (name, value) = rest.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-type")
            .then(|| value.trim().to_string())
    })
}

#[derive(Default)]
struct Tally {
    parsed: usize,
    entries: usize,
    rejected: BTreeMap<&'static str, usize>,
    examples: BTreeMap<&'static str, Vec<String>>,
    panicked: Vec<String>,
    unclear: Vec<String>,
}

impl Tally {
    fn record(&mut self, path: &Path, outcome: std::thread::Result<Result<usize, ParseError>>) {
        match outcome {
            Ok(Ok(entries)) => {
                self.parsed += 1;
                self.entries += entries;
            }
            Ok(Err(error)) => {
                *self.rejected.entry(error.kind()).or_default() += 1;
                let examples = self.examples.entry(error.kind()).or_default();
                if examples.len() < 3 {
                    examples.push(format!("{}: {error}", path.display()));
                }
                // A clear error names its kind and says something after it.
                if error.to_string().trim_end_matches(':').len() < 12 && error.kind() != "empty" {
                    self.unclear.push(format!("{}: {error}", path.display()));
                }
            }
            Err(_) => self.panicked.push(path.display().to_string()),
        }
    }
}

#[test]
fn every_suite_fixture_parses_or_fails_clearly() {
    let dir = suites_dir();
    if !dir.is_dir() {
        println!("skipping: ../shared/feeds/suites not found");
        return;
    }
    let mut files = Vec::new();
    collect(&dir, &mut files);
    files.sort();
    let base = Url::parse("https://suite.example/feed").unwrap_or_else(|e| panic!("{e}"));
    let now = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut by_suite: BTreeMap<String, Tally> = BTreeMap::new();
    for path in &files {
        let Ok(body) = fs::read(path) else { continue };
        let suite = path
            .strip_prefix(&dir)
            .ok()
            .and_then(|p| p.iter().next())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let content_type = declared_content_type(&body);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            parse(&body, content_type.as_deref(), &base, now).map(|feed| feed.entries.len())
        }));
        by_suite.entry(suite).or_default().record(path, outcome);
    }
    let mut panicked = Vec::new();
    let mut unclear = Vec::new();
    for (suite, tally) in &by_suite {
        let rejected: usize = tally.rejected.values().sum();
        println!(
            "{suite}: {} parsed ({} entries), {rejected} rejected {:?}, {} panicked",
            tally.parsed,
            tally.entries,
            tally.rejected,
            tally.panicked.len()
        );
        for example in tally.examples.values().flatten() {
            println!("    e.g. {example}");
        }
        panicked.extend(tally.panicked.iter().cloned());
        unclear.extend(tally.unclear.iter().cloned());
    }
    assert!(
        files.len() > 1000,
        "only {} fixtures found under {}",
        files.len(),
        dir.display()
    );
    assert!(
        panicked.is_empty(),
        "parse panicked on:\n{}",
        panicked.join("\n")
    );
    assert!(
        unclear.is_empty(),
        "errors without a message:\n{}",
        unclear.join("\n")
    );
}

#[test]
fn feedparser_wide_encodings_all_parse() {
    let dir = suites_dir().join("feedparser/encoding");
    if !dir.is_dir() {
        println!("skipping: ../shared/feeds/suites not found");
        return;
    }
    let base = Url::parse("https://suite.example/feed").unwrap_or_else(|e| panic!("{e}"));
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let wide = [
            "utf-16",
            "utf-32",
            "ucs-2",
            "ucs-4",
            "u16",
            "csucs4",
            "csunicode",
        ];
        if name.starts_with("bozo") || !wide.iter().any(|w| name.contains(w)) {
            continue;
        }
        let Ok(body) = fs::read(entry.path()) else {
            continue;
        };
        checked += 1;
        let content_type = declared_content_type(&body);
        if let Err(e) = parse(&body, content_type.as_deref(), &base, Utc::now()) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(checked >= 10, "only {checked} wide-encoding fixtures found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Our own fixtures (tests/fixtures/feeds), each with its expected outcome in EXPECTED.tsv.
#[test]
fn own_fixtures_meet_their_expectations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/feeds");
    let expected = fs::read_to_string(dir.join("EXPECTED.tsv"))
        .unwrap_or_else(|e| panic!("EXPECTED.tsv: {e}"));
    let base = Url::parse("https://fixture.example/feed").unwrap_or_else(|e| panic!("{e}"));
    let now = Utc
        .with_ymd_and_hms(2021, 10, 18, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut checked = 0;
    for line in expected
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let [name, content_type, outcome, ..] = cols[..] else {
            panic!("bad line: {line}")
        };
        let body = fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let content_type = Some(content_type).filter(|c| *c != "-");
        let result = catch_unwind(AssertUnwindSafe(|| parse(&body, content_type, &base, now)))
            .unwrap_or_else(|_| panic!("{name}: parse panicked"));
        match (outcome.split_once('='), result) {
            (Some(("entries", n)), Ok(feed)) => {
                assert_eq!(feed.entries.len().to_string(), n, "{name}");
                for entry in &feed.entries {
                    let text = format!("{} {}", entry.title, entry.summary);
                    assert!(
                        !text.contains('\u{FFFD}')
                            && !text.contains("<script")
                            && !text.contains("alert("),
                        "{name}: {text:?}"
                    );
                    assert!(entry.published <= now, "{name}: future date kept");
                    assert!(
                        entry.url.as_deref().is_none_or(|u| !u.contains("utm_")
                            && !u.contains("fbclid")
                            && !u.contains('#')),
                        "{name}"
                    );
                }
            }
            (Some(("error", kind)), Err(error)) => {
                assert_eq!(error.kind(), kind, "{name}: {error}")
            }
            (_, other) => panic!(
                "{name}: expected {outcome}, got {:?}",
                other.map(|f| f.entries.len())
            ),
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} fixtures listed");
}

//! The fault matrix through a running daemon: faulty and hostile feeds share a daemon with a
//! healthy one. For every fault the daemon keeps running, the healthy feed keeps ingesting,
//! and `/api/feeds` shows the faulty feed with a clear `last_error` and a sensible next fetch
//! (`retry-after` for 429, `backoff` otherwise); feeds that are odd but valid (charsets,
//! billion laughs, deep nesting, 20,000 items, bad dates, hostile titles) parse.

mod common;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::Running;
use common::fault_server::{Fault, FaultServer, growing_feed};
use serde_json::Value;
use storyd::config::Config;

/// What `/api/feeds` must show for a feed once it has been fetched.
#[derive(Debug, Clone)]
enum Expect {
    /// Failed: `last_error` holds `contains`; the next fetch is `reason`, at least `wait_s` later.
    Error {
        contains: &'static str,
        reason: &'static str,
        wait_s: i64,
    },
    /// Parsed: this many articles; the feed's URL is now `moved_to` (a path) when given.
    Ok {
        articles: u64,
        moved_to: Option<&'static str>,
    },
}

fn error(contains: &'static str) -> Expect {
    Expect::Error {
        contains,
        reason: "backoff",
        wait_s: 0,
    }
}

fn parsed(articles: u64) -> Expect {
    Expect::Ok {
        articles,
        moved_to: None,
    }
}

/// A daemon config over `feeds`: 1 s interval, short timeout, 4 MiB body cap.
fn config(store: &Path, feeds: &[String]) -> Config {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[store]\npath = {:?}\n[scheduler]\n\
         interval = \"1s\"\nmin_interval = \"1s\"\nmax_interval = \"1h\"\ntimeout = \"2s\"\n\
         max_body = \"4MiB\"\nconcurrency = 64\nper_host = 64\n",
        store.display().to_string()
    );
    for f in feeds {
        text.push_str(&format!("[[feeds]]\nurl = {f:?}\n"));
    }
    Config::parse(&text, Path::new("faults.toml")).expect("test config")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

fn gzipped(body: Vec<u8>) -> Fault {
    Fault::Respond {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "application/rss+xml".into()),
            ("Content-Encoding".into(), "gzip".into()),
        ],
        body,
    }
}

/// The transport faults: (path, fault, expectation). `/refused` is handled apart.
fn transport_faults() -> Vec<(&'static str, Fault, Expect)> {
    let in_an_hour =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600));
    let small = growing_feed(2).into_bytes();
    let mut truncated = gzip(&growing_feed(200).into_bytes());
    truncated.truncate(truncated.len() / 2);
    let mut big = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>".to_vec();
    big.resize(5 * 1024 * 1024, b' ');
    let retry_after = |contains, wait_s| Expect::Error {
        contains,
        reason: "retry-after",
        wait_s,
    };
    let moved = |to| Expect::Ok {
        articles: 2,
        moved_to: Some(to),
    };
    let mut chain: Vec<(&'static str, Fault, Expect)> = vec![
        ("/stall", Fault::StallMidBody, error("timed out after 2s")),
        ("/500", Fault::status(500, &[]), error("HTTP 500")),
        ("/502", Fault::status(502, &[]), error("HTTP 502")),
        ("/503", Fault::status(503, &[]), error("HTTP 503")),
        ("/reset", Fault::Reset, error("connection reset")),
        ("/closed", Fault::CloseMidBody, error("body read failed")),
        (
            "/429-seconds",
            Fault::status(429, &[("Retry-After", "120")]),
            retry_after("HTTP 429 Too Many Requests, retry after 2m", 120),
        ),
        (
            "/429-date",
            Fault::status(429, &[("Retry-After", in_an_hour.as_str())]),
            retry_after("HTTP 429 Too Many Requests, retry after 59m", 3000),
        ),
        (
            "/loop-a",
            Fault::redirect(302, "/loop-b"),
            error("redirect loop"),
        ),
        (
            "/loop-b",
            Fault::redirect(307, "/loop-a"),
            error("redirect loop"),
        ),
        (
            "/hop-0",
            Fault::redirect(301, "/hop-1"),
            error("too many redirects"),
        ),
        (
            "/big",
            Fault::ok("application/rss+xml", big),
            error("exceeds max_body"),
        ),
        (
            "/bomb",
            gzipped(gzip(&vec![b' '; 64 * 1024 * 1024])),
            error("exceeds max_body"),
        ),
        ("/truncated-gzip", gzipped(truncated), error("decompress")),
        (
            "/moved-301",
            Fault::redirect(301, "/target-301"),
            moved("/target-301"),
        ),
        (
            "/moved-308",
            Fault::redirect(308, "/target-308"),
            moved("/target-308"),
        ),
        ("/temp-302", Fault::redirect(302, "/target-302"), parsed(2)),
        ("/temp-307", Fault::redirect(307, "/target-307"), parsed(2)),
    ];
    for target in ["/target-301", "/target-308", "/target-302", "/target-307"] {
        chain.push((
            target,
            Fault::ok("application/rss+xml", small.clone()),
            parsed(2),
        ));
    }
    chain
}

/// Paths the faults lead to that are not feeds themselves: a chain of redirects longer than
/// the fetcher follows.
fn hops() -> Vec<(String, Fault)> {
    (1..10)
        .map(|i| {
            (
                format!("/hop-{i}"),
                Fault::redirect(301, &format!("/hop-{}", i + 1)),
            )
        })
        .collect()
}

/// The content faults and oddities of tests/fixtures/feeds, as EXPECTED.tsv describes them.
fn content_faults() -> Vec<(String, Fault, Expect)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/feeds");
    let table = std::fs::read_to_string(dir.join("EXPECTED.tsv")).expect("EXPECTED.tsv");
    let mut faults = Vec::new();
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, content_type, expected) = (cols[0], cols[1], cols[2]);
        let body = std::fs::read(dir.join(file)).expect("fixture");
        let headers = match content_type {
            "-" => vec![],
            ct => vec![("Content-Type".to_owned(), ct.to_owned())],
        };
        let expect = match expected.split_once('=') {
            Some(("entries", n)) => parsed(n.parse().expect("entry count")),
            Some(("error", "not_a_feed")) => error("not a feed"),
            Some(("error", "empty")) => error("empty"),
            Some(("error", "malformed_xml")) => error("malformed XML"),
            Some(("error", "malformed_json")) => error("malformed JSON"),
            other => panic!("EXPECTED.tsv: unknown expectation {other:?}"),
        };
        let fault = Fault::Respond {
            status: 200,
            headers,
            body,
        };
        faults.push((format!("/{file}"), fault, expect));
    }
    faults
}

fn time(feed: &Value, key: &str) -> DateTime<Utc> {
    feed[key]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("{key} is not a time: {feed}"))
}

/// True once the feed shows the outcome it is expected to reach.
fn settled(feed: &Value, expect: &Expect) -> bool {
    match expect {
        Expect::Error { .. } => feed["status"] == "error",
        Expect::Ok { articles, .. } => {
            feed["status"] != "pending" && feed["article_count"].as_u64() >= Some(*articles)
        }
    }
}

fn check(feed: &Value, expect: &Expect, server: &FaultServer, path: &str) {
    let what = format!("{path}: {feed:#}");
    match expect {
        Expect::Error {
            contains,
            reason,
            wait_s,
        } => {
            let message = feed["last_error"].as_str().unwrap_or("");
            assert!(message.contains(contains), "{what}");
            assert!(feed["consecutive_errors"].as_u64() >= Some(1), "{what}");
            assert_eq!(feed["next_fetch_reason"], *reason, "{what}");
            let wait = time(feed, "next_fetch") - time(feed, "last_fetch");
            assert!(wait >= chrono::Duration::seconds(*wait_s), "{what}");
            assert!(wait > chrono::Duration::zero(), "{what}");
            // Back-off stays within max_interval (plus jitter); Retry-After within its cap.
            assert!(wait <= chrono::Duration::hours(25), "{what}");
            if *reason == "backoff" {
                assert!(wait <= chrono::Duration::seconds(3960), "{what}");
            }
        }
        Expect::Ok { articles, moved_to } => {
            assert!(
                feed["status"] == "ok" || feed["status"] == "not_modified",
                "{what}"
            );
            assert!(feed["last_error"].is_null(), "{what}");
            assert_eq!(feed["article_count"].as_u64(), Some(*articles), "{what}");
            let url = moved_to.map_or_else(|| server.url(path), |to| server.url(to));
            assert_eq!(feed["url"], url.as_str(), "{what}");
        }
    }
}

/// Runs one daemon over the healthy feed plus `faults`, and checks the whole matrix.
async fn run_matrix(
    faults: Vec<(String, Fault, Expect)>,
    routes: Vec<(String, Fault)>,
    refused: Option<String>,
) {
    let server = FaultServer::start().await;
    server.set("/healthy", Fault::Growing);
    for (path, fault) in routes {
        server.set(&path, fault);
    }
    let mut urls = vec![server.url("/healthy")];
    let mut expected = Vec::new();
    for (path, fault, expect) in faults {
        server.set(&path, fault);
        urls.push(server.url(&path));
        expected.push((path, expect));
    }
    if let Some(url) = &refused {
        urls.push(url.clone());
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = Running::start(config(dir.path(), &urls)).await;

    let feeds = wait(&daemon, "every feed fetched", |feeds| {
        // Right after start /api/feeds may not list every feed yet.
        feeds.len() == urls.len()
            && feeds[0]["status"] == "ok"
            && expected
                .iter()
                .enumerate()
                .all(|(i, (_, e))| settled(&feeds[i + 1], e))
            && (refused.is_none() || feeds.last().is_some_and(|f| f["status"] == "error"))
    })
    .await;
    let mut rows = Vec::new();
    for (i, (path, expect)) in expected.iter().enumerate() {
        let feed = &feeds[i + 1];
        check(feed, expect, &server, path);
        rows.push(format!(
            "{path:<22} {:<6} {:<12} {}",
            feed["status"].as_str().unwrap_or(""),
            feed["next_fetch_reason"].as_str().unwrap_or(""),
            feed["last_error"].as_str().unwrap_or("-")
        ));
    }
    if let Some(url) = &refused {
        let feed = feeds.last().expect("the refused feed");
        let message = feed["last_error"].as_str().unwrap_or("");
        assert!(
            message.contains("connection refused") && message.contains(url.as_str()),
            "{feed}"
        );
        assert_eq!(feed["next_fetch_reason"], "backoff", "{feed}");
        rows.push(format!(
            "{:<22} error  backoff      {message}",
            "(refused port)"
        ));
    }
    eprintln!("fault matrix:\n{}", rows.join("\n"));

    // The healthy feed keeps ingesting while the faulty ones keep failing.
    let before = feeds[0]["article_count"].as_u64().unwrap_or(0);
    wait(&daemon, "the healthy feed to keep ingesting", |feeds| {
        feeds[0]["article_count"].as_u64() >= Some(before + 2) && feeds[0]["status"] == "ok"
    })
    .await;
    assert!(server.growing_requests() >= 3);
    check_served_articles(&daemon).await;
    let (status, _) = daemon.get("/healthz").await;
    assert_eq!(status, 200);
    daemon.stop().await;
}

/// Whatever the feeds held, what the API serves is plain text with no date in the future.
async fn check_served_articles(daemon: &Running) {
    let (status, body) = daemon.get("/api/stories?limit=200&sort=recent").await;
    assert_eq!(status, 200, "{body}");
    let soon = Utc::now() + chrono::Duration::minutes(1);
    let mut seen = 0;
    for story in body["stories"].as_array().expect("stories") {
        for article in story["articles"].as_array().expect("articles") {
            seen += 1;
            let title = article["title"].as_str().unwrap_or("");
            assert!(!title.contains('<') && !title.contains("&lt;"), "{article}");
            assert!(time(article, "published") <= soon, "{article}");
        }
    }
    assert!(seen > 0, "no article served");
}

/// Polls `/api/feeds` until `ready` holds, or fails after 120 s (a loaded CI machine).
async fn wait(daemon: &Running, what: &str, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let feeds = daemon.feeds().await;
        if ready(&feeds) {
            return feeds;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {feeds:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_faults_are_recorded_and_retried_while_others_ingest() {
    // Nothing listens there: the port is free, and no other test in this process is handed it.
    let refused = format!("http://127.0.0.1:{}/feed", common::free_port());
    let faults = transport_faults()
        .into_iter()
        .map(|(p, f, e)| (p.to_owned(), f, e))
        .collect();
    run_matrix(faults, hops(), Some(refused)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_and_odd_documents_fail_clearly_or_parse() {
    run_matrix(content_faults(), Vec::new(), None).await;
}

//! `GET /metrics` after a real daemon has fetched the fixtures, one feed failing to fetch and
//! one not being a feed: the output, in OpenMetrics for a client that asks for it (as
//! Prometheus does) and in the Prometheus text format 0.0.4 otherwise, is read by a strict
//! parser of each format (names, labels, families, histogram buckets) and its numbers checked
//! against what happened.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{FeedServer, Route, Running, config};

/// A declared metric family.
#[derive(Debug, Default)]
struct Family {
    kind: String,
    help: bool,
    unit: Option<String>,
}

/// One sample line.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// `assert!` that returns the message as an error instead of panicking.
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Parses `name{k="v",...} value`, or says what is wrong with the line.
fn sample(line: &str) -> Result<Sample, String> {
    let (series, value) = line
        .rsplit_once(' ')
        .ok_or_else(|| format!("no value: {line}"))?;
    let value: f64 = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().map_err(|_| format!("bad value: {line}"))?,
    };
    let (name, mut rest) = match series.split_once('{') {
        Some((n, r)) => (
            n,
            r.strip_suffix('}')
                .ok_or_else(|| format!("unclosed: {line}"))?,
        ),
        None => (series, ""),
    };
    ensure!(is_name(name), "bad metric name: {line}");
    let mut labels = BTreeMap::new();
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once("=\"")
            .ok_or_else(|| format!("bad label: {line}"))?;
        ensure!(is_name(key) && !key.contains(':'), "bad label name: {line}");
        let mut val = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => val.push('\n'),
                    Some((_, c @ ('\\' | '"'))) => val.push(c),
                    _ => return Err(format!("bad escape: {line}")),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => val.push(c),
                None => return Err(format!("unterminated label value: {line}")),
            }
        };
        ensure!(
            labels.insert(key.to_owned(), val).is_none(),
            "repeated label: {line}"
        );
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// Which text format an exposition is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// OpenMetrics 1.0: counter families named without `_total`, `# UNIT`, `# EOF`.
    OpenMetrics,
    /// Prometheus text 0.0.4: families named as their samples, no `# UNIT`, no `# EOF`.
    Prometheus,
}

/// Parses the whole OpenMetrics exposition strictly; an error names the first thing outside
/// the format.
fn try_parse(text: &str) -> Result<(BTreeMap<String, Family>, Vec<Sample>), String> {
    try_parse_as(text, Dialect::OpenMetrics)
}

/// Parses the whole exposition strictly as `dialect`.
fn try_parse_as(
    text: &str,
    dialect: Dialect,
) -> Result<(BTreeMap<String, Family>, Vec<Sample>), String> {
    let body = match dialect {
        Dialect::OpenMetrics => text
            .strip_suffix("# EOF\n")
            .ok_or("does not end with # EOF")?,
        Dialect::Prometheus => {
            ensure!(!text.contains("# EOF"), "# EOF in the Prometheus format");
            ensure!(text.ends_with('\n'), "does not end with a newline");
            text
        }
    };
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    let mut samples = Vec::new();
    for line in body.lines() {
        if let Some(meta) = line.strip_prefix("# ") {
            let mut parts = meta.splitn(3, ' ');
            let (what, name, rest) = (parts.next(), parts.next(), parts.next());
            let name = name.ok_or_else(|| format!("bad comment: {line}"))?;
            ensure!(is_name(name), "bad family name: {line}");
            let family = families.entry(name.to_owned()).or_default();
            match (what, rest) {
                (Some("HELP"), Some(_)) => family.help = true,
                (Some("TYPE"), Some(t @ ("counter" | "gauge" | "histogram"))) => {
                    family.kind = t.to_owned()
                }
                (Some("UNIT"), Some(u)) if dialect == Dialect::OpenMetrics => {
                    family.unit = Some(u.to_owned())
                }
                _ => return Err(format!("unexpected line: {line}")),
            }
            continue;
        }
        let s = sample(line)?;
        let family = families
            .iter()
            .filter(|(f, _)| s.name.starts_with(f.as_str()))
            .max_by_key(|(f, _)| f.len())
            .ok_or_else(|| format!("sample of no declared family: {line}"))?;
        let suffix = &s.name[family.0.len()..];
        let allowed: &[&str] = match (family.1.kind.as_str(), dialect) {
            ("counter", Dialect::OpenMetrics) => &["_total", "_created"],
            ("counter", Dialect::Prometheus) => &[""],
            (k, _) => match k {
                "gauge" => &[""],
                "histogram" => &["_bucket", "_sum", "_count", "_created"],
                k => return Err(format!("family {} has type {k:?}", family.0)),
            },
        };
        ensure!(
            allowed.contains(&suffix),
            "{suffix:?} on a {}: {line}",
            family.1.kind
        );
        samples.push(s);
    }
    for (name, f) in &families {
        ensure!(f.help && !f.kind.is_empty(), "{name} lacks HELP or TYPE");
        ensure!(name.starts_with("storyd_"), "{name} lacks the prefix");
        if let Some(unit) = &f.unit {
            ensure!(
                name.ends_with(&format!("_{unit}")),
                "{name} does not end in its unit"
            );
        }
    }
    Ok((families, samples))
}

/// [`try_parse`], failing the test on an error.
fn parse(text: &str) -> (BTreeMap<String, Family>, Vec<Sample>) {
    try_parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// [`try_parse_as`] in the Prometheus text format, failing the test on an error.
fn parse_prometheus(text: &str) -> (BTreeMap<String, Family>, Vec<Sample>) {
    try_parse_as(text, Dialect::Prometheus).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}

/// Checks every histogram: buckets cumulative, ending at +Inf with the count.
fn check_histograms(families: &BTreeMap<String, Family>, samples: &[Sample]) {
    for (name, _) in families.iter().filter(|(_, f)| f.kind == "histogram") {
        let buckets: Vec<&Sample> = samples
            .iter()
            .filter(|s| s.name == format!("{name}_bucket"))
            .collect();
        assert!(buckets.len() >= 2, "{name} has buckets");
        let mut last = (f64::NEG_INFINITY, 0.0);
        for b in &buckets {
            let le: f64 = match b.labels["le"].as_str() {
                "+Inf" => f64::INFINITY,
                v => v.parse().unwrap(),
            };
            assert!(
                le > last.0 && b.value >= last.1,
                "{name} buckets are cumulative"
            );
            last = (le, b.value);
        }
        assert_eq!(last.0, f64::INFINITY, "{name} ends at +Inf");
        assert_eq!(Some(last.1), value(samples, &format!("{name}_count"), &[]));
    }
}

/// What Prometheus 2 sends when it scrapes.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;q=0.5,\
     application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

#[test]
fn the_parser_is_strict() {
    let good =
        "# HELP storyd_x X.\n# TYPE storyd_x counter\nstoryd_x_total{kind=\"a\\\"b\"} 2\n# EOF\n";
    let (_, samples) = parse(good);
    assert_eq!(
        value(&samples, "storyd_x_total", &[("kind", "a\"b")]),
        Some(2.0)
    );
    for bad in [
        "storyd_x_total 1\n# EOF\n",
        "# HELP storyd_x X.\n# TYPE storyd_x counter\nstoryd_x 1\n# EOF\n",
        "# HELP storyd_x X.\n# TYPE storyd_x counter\nstoryd_x_total{kind=\"a} 1\n# EOF\n",
        "# HELP storyd_x X.\n# TYPE storyd_x counter\nstoryd_x_total one\n# EOF\n",
        "# HELP storyd_x X.\n# TYPE storyd_x counter\nstoryd_x_total 1\n",
    ] {
        assert!(try_parse(bad).is_err(), "accepted {bad:?}");
    }
    let good = "# HELP storyd_x_total X.\n# TYPE storyd_x_total counter\nstoryd_x_total 2\n";
    let (_, samples) = parse_prometheus(good);
    assert_eq!(value(&samples, "storyd_x_total", &[]), Some(2.0));
    for bad in [
        "# HELP storyd_x X.\n# TYPE storyd_x counter\nstoryd_x_total 1\n",
        "# HELP storyd_x_total X.\n# TYPE storyd_x_total counter\nstoryd_x_total 1\n# EOF\n",
        "# HELP storyd_x_bytes X.\n# TYPE storyd_x_bytes gauge\n# UNIT storyd_x_bytes bytes\nstoryd_x_bytes 1\n",
    ] {
        assert!(
            try_parse_as(bad, Dialect::Prometheus).is_err(),
            "accepted {bad:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_the_daemon_did() {
    let server = FeedServer::start().await;
    server.feed("/wire.xml", "wire.xml");
    server.feed("/globe.atom", "globe.atom");
    server.feed("/ledger.json", "ledger.json");
    server.feed("/page.html", "not-a-feed.html");
    server.route("/down.xml", Route::Status(500, vec![]));
    let urls: Vec<String> = [
        "/wire.xml",
        "/globe.atom",
        "/ledger.json",
        "/page.html",
        "/down.xml",
    ]
    .iter()
    .map(|p| server.url(p))
    .collect();
    let dir = tempfile::tempdir().unwrap();
    let daemon = Running::start(config(dir.path(), &urls)).await;
    daemon
        .wait_feeds("every feed fetched once", |feeds| {
            feeds.len() == 5 && feeds.iter().all(|f| f["status"] != "pending")
        })
        .await;

    // Store counts are sampled every few seconds: poll until the sample has caught up.
    let client = reqwest::Client::new();
    let mut text = String::new();
    let mut ready = false;
    for _ in 0..600 {
        let r = client
            .get(format!("{}/metrics", daemon.base))
            .header("accept", PROMETHEUS_ACCEPT)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
        text = r.text().await.unwrap();
        let (_, samples) = parse(&text);
        if value(&samples, "storyd_articles", &[]) == Some(15.0) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the store sample never showed 15 articles:\n{text}");

    let (families, s) = parse(&text);
    check_histograms(&families, &s);
    let v = |name: &str, labels: &[(&str, &str)]| {
        value(&s, name, labels).unwrap_or_else(|| panic!("{name}{labels:?} missing:\n{text}"))
    };
    assert!(
        v("storyd_fetches_total", &[("outcome", "ok")]) >= 4.0,
        "4 feeds answered 200"
    );
    assert!(v("storyd_fetches_total", &[("outcome", "error")]) >= 1.0);
    assert!(v("storyd_fetch_errors_total", &[("kind", "status_5xx")]) >= 1.0);
    assert!(
        v("storyd_parse_failures_total", &[]) >= 1.0,
        "the HTML page is not a feed"
    );
    assert!(v("storyd_fetched_bytes_total", &[]) > 1000.0);
    assert!(v("storyd_fetch_duration_seconds_count", &[]) >= 5.0);
    assert_eq!(v("storyd_articles_ingested_total", &[]), 15.0);
    assert_eq!(v("storyd_engine_duration_seconds_count", &[]), 15.0);
    assert!(v("storyd_scheduler_lag_seconds_count", &[]) >= 5.0);
    assert_eq!(v("storyd_story_merges_total", &[]), 0.0);
    assert_eq!(v("storyd_stories", &[]), 13.0);
    let active = v("storyd_stories_active", &[]);
    assert!((1.0..=13.0).contains(&active), "{active} stories active");
    assert!(v("storyd_store_size_bytes", &[]) > 0.0);
    for family in [
        "storyd_fetch_errors",
        "storyd_fetches",
        "storyd_articles_ingested",
    ] {
        assert_eq!(families[family].kind, "counter", "{family}");
    }

    // Without an Accept that asks for OpenMetrics: the Prometheus text format, same numbers.
    for accept in [None, Some("*/*"), Some("text/plain")] {
        let mut request = client.get(format!("{}/metrics", daemon.base));
        if let Some(a) = accept {
            request = request.header("accept", a);
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), 200);
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8", "{accept:?}");
        let plain = r.text().await.unwrap();
        let (plain_families, plain_samples) = parse_prometheus(&plain);
        check_histograms(&plain_families, &plain_samples);
        for family in [
            "storyd_fetch_errors_total",
            "storyd_fetches_total",
            "storyd_articles_ingested_total",
        ] {
            assert_eq!(plain_families[family].kind, "counter", "{family}");
        }
        assert!(plain_families.values().all(|f| f.unit.is_none()));
        assert_eq!(
            value(&plain_samples, "storyd_articles_ingested_total", &[]),
            Some(15.0)
        );
        assert_eq!(value(&plain_samples, "storyd_stories", &[]), Some(13.0));
    }
    daemon.stop().await;
}

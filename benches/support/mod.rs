//! What the benchmarks share: argument reading, process figures from /proc, directory sizes,
//! and feed states for synthetic outlets.

#![allow(dead_code)]

pub mod synth;

use std::path::Path;

use storyd::model::{FeedState, Time};

/// The value of `--name VALUE` on the command line, parsed, or `default`.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// True when `--name` is on the command line.
pub fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// A field of /proc/self/status in kB (`VmRSS`, `VmHWM`), or 0 where /proc is missing.
pub fn proc_status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// CPU seconds (user + system) this process has used so far.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat; 12 and 13 after the state field.
    (ticks(11) + ticks(12)) / 100.0
}

/// Bytes of all files under `dir`.
pub fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// The state of synthetic outlet number `n`, as the daemon would store it after configuring it.
pub fn outlet(n: usize, now: Time) -> FeedState {
    let url = format!("https://outlet{n}.example/feed.xml");
    FeedState::pending(&url, &url, &format!("Outlet {n}"), now)
}

/// A sorted copy's value at quantile `q` (0..=1).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The median of some figures.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    quantile(values, 0.5)
}

/// Synthetic articles through the daemon's own path: grouped by outlet into RSS documents,
/// parsed and normalized by `feed::parse`, filed by the `Ingestor` into the sled store.
pub struct Pipeline {
    /// The engine and the store, kept in step.
    pub ingestor: storyd::ingest::Ingestor,
    /// The store written to.
    pub store: storyd::store::Store,
    feeds: Vec<FeedState>,
    links: Vec<url::Url>,
    /// Where the articles come from.
    pub stream: synth::NewsStream,
    /// Seconds spent building, parsing and normalizing documents.
    pub parse_secs: f64,
    /// Seconds spent in the engine and the store.
    pub ingest_secs: f64,
    /// The `now` of the last poll: the first_seen of its articles.
    pub now: Time,
    /// Articles stored so far.
    pub stored: u64,
}

/// Articles per simulated polling step (spread over the outlets that published them).
const STEP: usize = 64;

impl Pipeline {
    /// A pipeline over `store` with `feeds` outlets, sized for `total` articles over 30 days.
    pub fn new(store: storyd::store::Store, feeds: usize, total: u64) -> anyhow::Result<Self> {
        use chrono::TimeZone;
        let start = chrono::Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .ok_or_else(|| anyhow::anyhow!("bad start date"))?;
        let states: Vec<FeedState> = (0..feeds).map(|n| outlet(n, start)).collect();
        for state in &states {
            store.put_feed(state)?;
        }
        let links = states
            .iter()
            .map(|s| url::Url::parse(&s.url))
            .collect::<Result<_, _>>()?;
        Ok(Pipeline {
            ingestor: storyd::ingest::Ingestor::new(
                store.clone(),
                storyd::cluster::EngineConfig::default(),
            ),
            store,
            feeds: states,
            links,
            stream: synth::NewsStream::new(feeds, total, 30, start, 1),
            parse_secs: 0.0,
            ingest_secs: 0.0,
            now: start,
            stored: 0,
        })
    }

    /// Ingests the next `count` articles of the stream.
    pub fn run(&mut self, count: usize) -> anyhow::Result<()> {
        let mut left = count;
        while left > 0 {
            let step = left.min(STEP);
            left -= step;
            let t = std::time::Instant::now();
            let mut by_feed: std::collections::BTreeMap<usize, Vec<synth::SynthArticle>> =
                std::collections::BTreeMap::new();
            for _ in 0..step {
                let a = self.stream.next_article();
                self.now = a.published + chrono::Duration::minutes(2);
                by_feed.entry(a.feed).or_default().push(a);
            }
            let mut docs = Vec::with_capacity(by_feed.len());
            for (feed, items) in by_feed {
                let state = &self.feeds[feed];
                let body = synth::rss(&state.name, &state.url, &items);
                let parsed = storyd::feed::parse(
                    body.as_bytes(),
                    Some("application/rss+xml"),
                    &self.links[feed],
                    self.now,
                )?;
                docs.push((feed, parsed.entries));
            }
            let parsed_at = std::time::Instant::now();
            self.parse_secs += (parsed_at - t).as_secs_f64();
            for (feed, entries) in docs {
                let report = self
                    .ingestor
                    .ingest(&mut self.feeds[feed], &entries, self.now)?;
                self.stored += report.new_articles as u64;
            }
            // One flush per polling step, as the daemon flushes after each refresh.
            self.store.flush()?;
            self.ingest_secs += parsed_at.elapsed().as_secs_f64();
        }
        Ok(())
    }
}

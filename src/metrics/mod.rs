//! What the daemon counts, for `GET /metrics`: one [`Metrics`] per daemon, fed by every
//! stage of the flow (fetch outcomes and sizes in `refresh`, duplicates, merges and engine
//! latency in `ingest`, scheduler lag and store size in `daemon`) and read by `api`.
//!
//! Built on `prometheus-client`, the Prometheus project's own Rust client: each daemon owns its
//! registry (no process-wide recorder), so two daemons in one test process never mix their
//! numbers. Names follow Prometheus conventions: `storyd_` prefix, `_total` on counters,
//! the unit (`_seconds`, `_bytes`) in the name. The registry writes the OpenMetrics text
//! format; [`exposition`] serves it as such to clients that ask for it, and as the Prometheus
//! text format 0.0.4 to everyone else.

pub mod exposition;

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::model::MatchKind;
use crate::store::Counts;

pub use exposition::Format;

/// Buckets of `storyd_fetch_duration_seconds`: 10 ms to a minute.
const FETCH_BUCKETS: [f64; 12] = [
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Buckets of `storyd_engine_duration_seconds`: 10 µs to 50 ms.
const ENGINE_BUCKETS: [f64; 11] = [
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.05,
];

/// Buckets of `storyd_scheduler_lag_seconds`: 100 ms to an hour.
const LAG_BUCKETS: [f64; 9] = [0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0];

/// The label of `storyd_fetches_total`: `ok`, `not_modified` or `error`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

/// The label of counters split by a short stable kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

/// The daemon's metrics; cheap to clone, every clone counting into the same registry.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    fetches: Family<OutcomeLabel, Counter>,
    fetch_errors: Family<KindLabel, Counter>,
    fetch_duration: Histogram,
    fetched_bytes: Counter,
    parse_failures: Counter,
    articles_ingested: Counter,
    duplicates: Family<KindLabel, Counter>,
    merges: Counter,
    splits: Counter,
    split_articles: Counter,
    engine_duration: Histogram,
    scheduler_lag: Histogram,
    stories_active: Gauge,
    stories: Gauge,
    articles: Gauge,
    store_size: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric at zero.
    pub fn new() -> Metrics {
        let mut r = Registry::with_prefix("storyd");
        let inner = Inner {
            fetches: Family::default(),
            fetch_errors: Family::default(),
            fetch_duration: Histogram::new(FETCH_BUCKETS),
            fetched_bytes: Counter::default(),
            parse_failures: Counter::default(),
            articles_ingested: Counter::default(),
            duplicates: Family::default(),
            merges: Counter::default(),
            splits: Counter::default(),
            split_articles: Counter::default(),
            engine_duration: Histogram::new(ENGINE_BUCKETS),
            scheduler_lag: Histogram::new(LAG_BUCKETS),
            stories_active: Gauge::default(),
            stories: Gauge::default(),
            articles: Gauge::default(),
            store_size: Gauge::default(),
            registry: Registry::default(),
        };
        r.register(
            "fetches",
            "Feed fetches by outcome (ok, not_modified, error)",
            inner.fetches.clone(),
        );
        r.register(
            "fetch_errors",
            "Failed fetches by kind of error",
            inner.fetch_errors.clone(),
        );
        r.register_with_unit(
            "fetch_duration",
            "Time a fetch took, redirects included",
            Unit::Seconds,
            inner.fetch_duration.clone(),
        );
        r.register_with_unit(
            "fetched",
            "Feed bytes received, after decompression",
            Unit::Bytes,
            inner.fetched_bytes.clone(),
        );
        r.register(
            "parse_failures",
            "Fetched documents that could not be parsed as a feed",
            inner.parse_failures.clone(),
        );
        r.register(
            "articles_ingested",
            "Articles stored for the first time",
            inner.articles_ingested.clone(),
        );
        r.register(
            "duplicates",
            "Articles that duplicated an earlier one, by kind (exact, near)",
            inner.duplicates.clone(),
        );
        r.register(
            "story_merges",
            "Stories folded into another by the engine",
            inner.merges.clone(),
        );
        r.register(
            "story_splits",
            "Stories split in two by the engine (look-alike events pulled apart)",
            inner.splits.clone(),
        );
        r.register(
            "story_split_articles",
            "Stored articles moved into a new story by a split",
            inner.split_articles.clone(),
        );
        r.register_with_unit(
            "engine_duration",
            "Time the story engine took to file one article",
            Unit::Seconds,
            inner.engine_duration.clone(),
        );
        r.register_with_unit(
            "scheduler_lag",
            "How late a due feed started fetching",
            Unit::Seconds,
            inner.scheduler_lag.clone(),
        );
        r.register(
            "stories_active",
            "Stories open in the engine's window (new articles may still join them)",
            inner.stories_active.clone(),
        );
        r.register(
            "stories",
            "Live stories in the store (sampled)",
            inner.stories.clone(),
        );
        r.register(
            "articles",
            "Articles in the store (sampled)",
            inner.articles.clone(),
        );
        r.register_with_unit(
            "store_size",
            "Size of the store on disk (sampled)",
            Unit::Bytes,
            inner.store_size.clone(),
        );
        Metrics {
            inner: Arc::new(Inner {
                registry: r,
                ..inner
            }),
        }
    }

    /// A fetch that answered 200 with `bytes` of body, or 304 with `None`.
    pub fn fetch_ok(&self, elapsed: Duration, bytes: Option<usize>) {
        let outcome = if bytes.is_some() {
            "ok"
        } else {
            "not_modified"
        };
        self.inner
            .fetches
            .get_or_create(&OutcomeLabel { outcome })
            .inc();
        self.inner.fetch_duration.observe(elapsed.as_secs_f64());
        self.inner.fetched_bytes.inc_by(bytes.unwrap_or(0) as u64);
    }

    /// A fetch that failed with an error of this kind (see `FetchError::kind`).
    pub fn fetch_failed(&self, kind: &'static str, elapsed: Duration) {
        let outcome = "error";
        self.inner
            .fetches
            .get_or_create(&OutcomeLabel { outcome })
            .inc();
        self.inner
            .fetch_errors
            .get_or_create(&KindLabel { kind })
            .inc();
        self.inner.fetch_duration.observe(elapsed.as_secs_f64());
    }

    /// A fetched document that was not a feed storyd could read.
    pub fn parse_failed(&self) {
        self.inner.parse_failures.inc();
    }

    /// Articles stored for the first time.
    pub fn ingested(&self, articles: usize) {
        self.inner.articles_ingested.inc_by(articles as u64);
    }

    /// One article filed by the engine: how it matched, how long it took, how many stories it merged.
    pub fn filed(&self, kind: MatchKind, took: Duration, merges: usize) {
        let dup = match kind {
            MatchKind::Exact => Some("exact"),
            MatchKind::NearDuplicate => Some("near"),
            MatchKind::New | MatchKind::Similar => None,
        };
        if let Some(kind) = dup {
            self.inner
                .duplicates
                .get_or_create(&KindLabel { kind })
                .inc();
        }
        self.inner.engine_duration.observe(took.as_secs_f64());
        self.inner.merges.inc_by(merges as u64);
    }

    /// One story split, moving `moved` stored articles.
    pub fn split(&self, moved: u64) {
        self.inner.splits.inc();
        self.inner.split_articles.inc_by(moved);
    }

    /// How late a due feed started.
    pub fn scheduler_lag(&self, late: Duration) {
        self.inner.scheduler_lag.observe(late.as_secs_f64());
    }

    /// Stories open in the engine's window now.
    pub fn stories_active(&self, n: usize) {
        self.inner.stories_active.set(saturate(n as u64));
    }

    /// A sample of the store: its record counts and size on disk.
    pub fn store_sampled(&self, counts: &Counts, size_on_disk: u64) {
        self.inner.stories.set(saturate(counts.stories));
        self.inner.articles.set(saturate(counts.articles));
        self.inner.store_size.set(saturate(size_on_disk));
    }

    /// Every metric in `format` (see [`Format::content_type`]).
    pub fn render_as(&self, format: Format) -> String {
        match format {
            Format::OpenMetrics => self.render(),
            Format::Prometheus => exposition::to_prometheus(&self.render()),
        }
    }

    /// Every metric in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail; an encoder error would be a bug in a metric.
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.inner.registry) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        out
    }
}

fn saturate(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_prometheus_conventions() {
        let m = Metrics::new();
        m.fetch_ok(Duration::from_millis(20), Some(1500));
        m.fetch_ok(Duration::from_millis(5), None);
        m.fetch_failed("timeout", Duration::from_secs(30));
        m.filed(MatchKind::NearDuplicate, Duration::from_micros(40), 1);
        let text = m.render();
        for line in [
            "storyd_fetches_total{outcome=\"ok\"} 1",
            "storyd_fetches_total{outcome=\"not_modified\"} 1",
            "storyd_fetches_total{outcome=\"error\"} 1",
            "storyd_fetch_errors_total{kind=\"timeout\"} 1",
            "storyd_fetched_bytes_total 1500",
            "storyd_duplicates_total{kind=\"near\"} 1",
            "storyd_story_merges_total 1",
            "storyd_fetch_duration_seconds_count 3",
            "storyd_store_size_bytes 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn the_prometheus_format_declares_the_series_it_serves() {
        let m = Metrics::new();
        m.fetch_ok(Duration::from_millis(20), Some(1500));
        m.fetch_failed("timeout", Duration::from_secs(30));
        let text = m.render_as(Format::Prometheus);
        assert!(
            !text.contains("# EOF") && !text.contains("# UNIT"),
            "{text}"
        );
        for line in [
            "# TYPE storyd_fetches_total counter",
            "# TYPE storyd_fetched_bytes_total counter",
            "# TYPE storyd_fetch_duration_seconds histogram",
            "# TYPE storyd_store_size_bytes gauge",
            "storyd_fetches_total{outcome=\"ok\"} 1",
            "storyd_fetched_bytes_total 1500",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        // Every counter's HELP and TYPE name the series its samples carry.
        for line in text.lines().filter(|l| l.ends_with(" counter")) {
            let name = line.split(' ').nth(2).unwrap_or("");
            assert!(name.ends_with("_total"), "{line}");
            assert!(
                text.contains(&format!("# HELP {name} ")),
                "{name} has no HELP"
            );
        }
        assert_eq!(m.render_as(Format::OpenMetrics), m.render());
    }

    #[test]
    fn two_daemons_count_apart() {
        let (a, b) = (Metrics::new(), Metrics::new());
        a.ingested(3);
        assert!(a.render().contains("storyd_articles_ingested_total 3"));
        assert!(b.render().contains("storyd_articles_ingested_total 0"));
    }
}

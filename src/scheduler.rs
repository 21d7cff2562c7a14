//! The scheduler's decisions: when each feed is next due, and why.
//!
//! Pure logic, no I/O: [`next_delay`] and [`with_jitter`] turn what the last fetch observed
//! into a due time and a [`NextFetchReason`], and [`DueQueue`] orders feeds by due time. The
//! daemon's loop (`daemon`) sleeps until the head of the queue is due and hands the feed to
//! `refresh`.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use crate::model::{NextFetchReason, Time};

/// The longest a server's `Retry-After` can park a feed: it is honoured, but never for good.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// How much a due time is spread at random (plus or minus this fraction) so feeds drift apart.
pub const JITTER: f64 = 0.1;

/// How many new items a fetch should find on average when the interval adapts to posting rate.
const ITEMS_PER_FETCH: f64 = 2.0;

/// Weight of the newest observation in the posting-rate average.
const RATE_WEIGHT: f64 = 0.3;

/// The bounds a feed's interval moves within.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntervalPolicy {
    /// The configured interval (the feed's own, else the scheduler's).
    pub interval: Duration,
    /// Never poll more often than this (except on an operator's request).
    pub min: Duration,
    /// Never wait longer than this (except for `Retry-After`).
    pub max: Duration,
}

/// What the last fetch of a feed observed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Observation {
    /// A 200 that parsed.
    Fetched {
        /// The feed's `<ttl>`, if any.
        ttl: Option<Duration>,
        /// The server's `Cache-Control: max-age` / `Expires`, if any.
        cache_for: Option<Duration>,
        /// Posting rate in new items per hour (see [`update_rate`]).
        rate: f64,
        /// Number of successful fetches so far, this one included.
        fetches: u64,
    },
    /// A 304.
    NotModified {
        /// The server's `Cache-Control: max-age` / `Expires`, if any.
        cache_for: Option<Duration>,
        /// Posting rate in new items per hour.
        rate: f64,
        /// Number of successful fetches so far, this one included.
        fetches: u64,
    },
    /// The fetch or the parse failed.
    Failed {
        /// Errors in a row, this one included (at least 1).
        consecutive_errors: u32,
        /// The server's `Retry-After`, if it sent one with a 429 or 503.
        retry_after: Option<Duration>,
    },
}

/// Folds `new_items` found after `elapsed` into the posting-rate average (items per hour).
pub fn update_rate(previous: f64, new_items: usize, elapsed: Duration, first: bool) -> f64 {
    let hours = elapsed.as_secs_f64() / 3600.0;
    if first || hours <= 0.0 {
        // A first fetch sees the feed's whole backlog: it says nothing about the rate yet.
        return previous;
    }
    let observed = new_items as f64 / hours;
    RATE_WEIGHT * observed + (1.0 - RATE_WEIGHT) * previous
}

/// The delay until the next fetch and why, before jitter.
pub fn next_delay(policy: &IntervalPolicy, obs: &Observation) -> (Duration, NextFetchReason) {
    let clamp = |d: Duration| d.clamp(policy.min, policy.max);
    match *obs {
        Observation::Failed {
            retry_after: Some(wait),
            ..
        } => (
            wait.clamp(policy.min.min(wait), MAX_RETRY_AFTER),
            NextFetchReason::RetryAfter,
        ),
        Observation::Failed {
            consecutive_errors, ..
        } => {
            let exp = consecutive_errors.saturating_sub(1).min(20);
            let backoff = policy.min.saturating_mul(1u32 << exp);
            (clamp(backoff), NextFetchReason::Backoff)
        }
        Observation::Fetched {
            ttl,
            cache_for,
            rate,
            fetches,
        } => pick(policy, ttl, cache_for, rate, fetches),
        Observation::NotModified {
            cache_for,
            rate,
            fetches,
        } => pick(policy, None, cache_for, rate, fetches),
    }
}

/// The interval after a success: posting rate once known, lengthened by ttl or cache hints.
fn pick(
    policy: &IntervalPolicy,
    ttl: Option<Duration>,
    cache_for: Option<Duration>,
    rate: f64,
    fetches: u64,
) -> (Duration, NextFetchReason) {
    let clamp = |d: Duration| d.clamp(policy.min, policy.max);
    let mut chosen = (clamp(policy.interval), NextFetchReason::Interval);
    // Three fetches give the average something to stand on before it overrides the config.
    if fetches > 3 {
        let by_rate = if rate > 0.0 {
            Duration::from_secs_f64((ITEMS_PER_FETCH / rate * 3600.0).min(1e9))
        } else {
            policy.max
        };
        let by_rate = clamp(by_rate);
        if by_rate != chosen.0 {
            chosen = (by_rate, NextFetchReason::PostingRate);
        }
    }
    // A feed or server that says "not before" is believed, within the bounds.
    if let Some(ttl) = ttl.map(clamp).filter(|t| *t > chosen.0) {
        chosen = (ttl, NextFetchReason::Ttl);
    }
    if let Some(cache) = cache_for.map(clamp).filter(|c| *c > chosen.0) {
        chosen = (cache, NextFetchReason::CacheControl);
    }
    chosen
}

/// The due time after `now` for a delay, spread by up to ±[`JITTER`] using `unit` in [0, 1).
pub fn with_jitter(now: Time, delay: Duration, reason: NextFetchReason, unit: f64) -> Time {
    // Retry-After is a promise to the server: never come back early.
    let spread = if reason == NextFetchReason::RetryAfter {
        unit * JITTER
    } else {
        (unit * 2.0 - 1.0) * JITTER
    };
    let secs = delay.as_secs_f64() * (1.0 + spread);
    now + chrono::Duration::milliseconds((secs * 1000.0) as i64)
}

/// Feeds ordered by due time; the daemon's loop takes from the front.
#[derive(Debug, Default)]
pub struct DueQueue {
    order: BTreeSet<(Time, String)>,
    due: HashMap<String, Time>,
}

impl DueQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (or moves) the due time of a feed.
    pub fn set(&mut self, feed_id: &str, at: Time) {
        if let Some(old) = self.due.insert(feed_id.to_owned(), at) {
            self.order.remove(&(old, feed_id.to_owned()));
        }
        self.order.insert((at, feed_id.to_owned()));
    }

    /// Takes a feed out of the queue (while it is being fetched, or when it is removed).
    pub fn remove(&mut self, feed_id: &str) {
        if let Some(old) = self.due.remove(feed_id) {
            self.order.remove(&(old, feed_id.to_owned()));
        }
    }

    /// The earliest due time, if any feed is queued.
    pub fn next_due(&self) -> Option<Time> {
        self.order.first().map(|(t, _)| *t)
    }

    /// Removes and returns the feeds due at or before `now`, earliest first.
    pub fn pop_due(&mut self, now: Time) -> Vec<String> {
        let mut out = Vec::new();
        while let Some((t, id)) = self.order.first().cloned() {
            if t > now {
                break;
            }
            self.order.pop_first();
            self.due.remove(&id);
            out.push(id);
        }
        out
    }

    /// Number of queued feeds.
    pub fn len(&self) -> usize {
        self.due.len()
    }

    /// True when no feed is queued.
    pub fn is_empty(&self) -> bool {
        self.due.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(300);
    const MAX: Duration = Duration::from_secs(6 * 3600);

    fn policy() -> IntervalPolicy {
        IntervalPolicy {
            interval: Duration::from_secs(900),
            min: MIN,
            max: MAX,
        }
    }

    fn fetched(ttl: Option<u64>, cache: Option<u64>, rate: f64, fetches: u64) -> Observation {
        Observation::Fetched {
            ttl: ttl.map(|m| Duration::from_secs(m * 60)),
            cache_for: cache.map(Duration::from_secs),
            rate,
            fetches,
        }
    }

    #[test]
    fn the_configured_interval_applies_until_the_rate_is_known() {
        let (d, r) = next_delay(&policy(), &fetched(None, None, 50.0, 1));
        assert_eq!(
            (d, r),
            (Duration::from_secs(900), NextFetchReason::Interval)
        );
    }

    #[test]
    fn busy_feeds_are_polled_faster_and_quiet_ones_slower() {
        let (d, r) = next_delay(&policy(), &fetched(None, None, 12.0, 10));
        assert_eq!(
            (d, r),
            (Duration::from_secs(600), NextFetchReason::PostingRate)
        );
        let (d, _) = next_delay(&policy(), &fetched(None, None, 1000.0, 10));
        assert_eq!(d, MIN);
        let (d, r) = next_delay(&policy(), &fetched(None, None, 0.0, 10));
        assert_eq!((d, r), (MAX, NextFetchReason::PostingRate));
    }

    #[test]
    fn ttl_and_cache_control_lengthen_within_bounds() {
        let (d, r) = next_delay(&policy(), &fetched(Some(60), None, 0.0, 1));
        assert_eq!((d, r), (Duration::from_secs(3600), NextFetchReason::Ttl));
        let (d, r) = next_delay(&policy(), &fetched(Some(60), Some(7200), 0.0, 1));
        assert_eq!(
            (d, r),
            (Duration::from_secs(7200), NextFetchReason::CacheControl)
        );
        let (d, r) = next_delay(&policy(), &fetched(Some(100_000), None, 0.0, 1));
        assert_eq!((d, r), (MAX, NextFetchReason::Ttl));
        // A short max-age never makes us poll faster than configured.
        let (d, r) = next_delay(&policy(), &fetched(None, Some(10), 0.0, 1));
        assert_eq!(
            (d, r),
            (Duration::from_secs(900), NextFetchReason::Interval)
        );
    }

    #[test]
    fn errors_back_off_exponentially_to_a_cap_and_never_stop() {
        let delays: Vec<_> = (1..=12)
            .map(|n| {
                let obs = Observation::Failed {
                    consecutive_errors: n,
                    retry_after: None,
                };
                next_delay(&policy(), &obs)
            })
            .collect();
        assert_eq!(delays[0], (MIN, NextFetchReason::Backoff));
        assert_eq!(delays[1].0, MIN * 2);
        assert_eq!(delays[2].0, MIN * 4);
        assert!(delays.iter().all(|(d, _)| *d <= MAX));
        assert_eq!(delays[11].0, MAX);
        let huge = Observation::Failed {
            consecutive_errors: u32::MAX,
            retry_after: None,
        };
        assert_eq!(next_delay(&policy(), &huge).0, MAX);
    }

    #[test]
    fn retry_after_is_honoured_but_capped() {
        let obs = |s| Observation::Failed {
            consecutive_errors: 1,
            retry_after: Some(Duration::from_secs(s)),
        };
        assert_eq!(
            next_delay(&policy(), &obs(120)),
            (Duration::from_secs(120), NextFetchReason::RetryAfter)
        );
        assert_eq!(next_delay(&policy(), &obs(3 * 86400)).0, MAX_RETRY_AFTER);
        let now = Time::default();
        let at = with_jitter(
            now,
            Duration::from_secs(120),
            NextFetchReason::RetryAfter,
            0.0,
        );
        assert_eq!(at, now + chrono::Duration::seconds(120));
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let now = Time::default();
        let d = Duration::from_secs(1000);
        let lo = with_jitter(now, d, NextFetchReason::Interval, 0.0);
        let hi = with_jitter(now, d, NextFetchReason::Interval, 0.999_999);
        assert_eq!(lo, now + chrono::Duration::seconds(900));
        assert!(
            hi <= now + chrono::Duration::seconds(1100)
                && hi > now + chrono::Duration::seconds(1099)
        );
    }

    #[test]
    fn the_rate_average_ignores_first_fetches() {
        assert_eq!(update_rate(0.0, 50, Duration::from_secs(900), true), 0.0);
        let r = update_rate(0.0, 3, Duration::from_secs(3600), false);
        assert!((r - 0.9).abs() < 1e-9);
    }

    #[test]
    fn the_queue_pops_due_feeds_in_order() {
        let t0 = Time::default();
        let s = |n| t0 + chrono::Duration::seconds(n);
        let mut q = DueQueue::new();
        q.set("b", s(20));
        q.set("a", s(10));
        q.set("c", s(30));
        q.set("c", s(5));
        assert_eq!(q.next_due(), Some(s(5)));
        assert_eq!(q.pop_due(s(15)), vec!["c".to_owned(), "a".to_owned()]);
        q.remove("b");
        assert!(q.is_empty());
    }
}

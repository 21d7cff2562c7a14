//! `storyd once`: polls every configured feed once, prints a line per feed and a summary,
//! and says by its exit code whether the run worked.
//!
//! A run fails (exit 1) when the store refused a write, or when every feed failed, since then
//! nothing was polled at all; a run where some feeds failed and others worked is a success
//! (exit 0), so that one dead feed does not make cron mail every run. The summary says how
//! many failed either way.

use std::process::ExitCode;

use anyhow::bail;

use super::{clip, ops};
use crate::config::{Config, FeedConfig};
use crate::daemon::{Daemon, NO_FEEDS};
use crate::refresh::RefreshReport;

/// Runs `storyd once` on a validated config.
pub async fn run(config: Config) -> anyhow::Result<ExitCode> {
    let daemon = Daemon::open(config)?;
    let total = daemon.snapshot().borrow().feeds.len();
    if total == 0 {
        // Nothing to poll is a valid state (exit 0, for cron), but rarely what a user meant.
        eprintln!("storyd: {NO_FEEDS}");
    }
    let progress = ops::Progress::new(total);
    let results = daemon
        .once_with(|feed, result| progress.line(&summary_line(feed, result)))
        .await;
    progress.finish();
    let mut tally = Tally::of(total, &results);
    if let Err(e) = daemon.store().flush() {
        eprintln!("storyd: cannot flush the store: {e}");
        tally.flush_failed = true;
    }
    println!("{}", tally.summary());
    match tally.failure() {
        Some(why) => bail!(why),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// What a `once` run did, counted over its feeds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Feeds configured.
    pub feeds: usize,
    /// Feeds whose fetch or parse failed (recorded on the feed).
    pub fetch_failed: usize,
    /// Feeds whose outcome could not be stored (or whose task was lost to a bug).
    pub store_errors: usize,
    /// Whether the final flush of the store failed.
    pub flush_failed: bool,
    /// Articles stored for the first time.
    pub new_articles: usize,
    /// Stories founded.
    pub new_stories: usize,
}

impl Tally {
    /// Counts the results of [`Daemon::once_with`] for `feeds` configured feeds; a feed with
    /// no result lost its task to a bug and counts as a store error, since nothing was stored.
    pub fn of(feeds: usize, results: &[(FeedConfig, anyhow::Result<RefreshReport>)]) -> Tally {
        let mut t = Tally {
            feeds,
            store_errors: feeds.saturating_sub(results.len()),
            ..Tally::default()
        };
        for (_, result) in results {
            match result {
                Err(_) => t.store_errors += 1,
                Ok(r) if r.feed.last_error.is_some() => t.fetch_failed += 1,
                Ok(r) => {
                    t.new_articles += r.ingest.new_articles;
                    t.new_stories += r.ingest.new_stories;
                }
            }
        }
        t
    }

    /// The last line of the output.
    pub fn summary(&self) -> String {
        let store = match self.store_errors {
            0 => String::new(),
            n => format!(" ({n} could not be stored)"),
        };
        format!(
            "{} feeds, {} failed{store}; {} new articles, {} new stories",
            self.feeds,
            self.fetch_failed + self.store_errors,
            self.new_articles,
            self.new_stories
        )
    }

    /// Why the run counts as failed (exit 1), or `None` when it worked.
    pub fn failure(&self) -> Option<String> {
        if self.store_errors > 0 {
            Some(format!(
                "the store failed for {} of {} feeds",
                self.store_errors, self.feeds
            ))
        } else if self.flush_failed {
            Some("the store could not be flushed".to_owned())
        } else if self.feeds > 0 && self.fetch_failed == self.feeds {
            Some(format!(
                "every feed failed ({} of {}): nothing could be polled",
                self.fetch_failed, self.feeds
            ))
        } else {
            None
        }
    }
}

/// One feed's line of the summary; its status is named as in the JSON (`not_modified`).
fn summary_line(feed: &FeedConfig, result: &anyhow::Result<RefreshReport>) -> String {
    match result {
        Ok(r) => {
            let what = match &r.feed.last_error {
                Some(e) => format!("error: {e}"),
                None => format!(
                    "{}: {} new, {} seen, {} duplicates",
                    r.feed.status.as_str(),
                    r.ingest.new_articles,
                    r.ingest.already_seen,
                    r.ingest.duplicates
                ),
            };
            format!(
                "{:<28} {:>6} ms  {}",
                clip(&r.feed.name, 28),
                r.elapsed.as_millis(),
                what
            )
        }
        Err(e) => format!(
            "{:<28}          store error: {e:#}",
            clip(feed.url.as_str(), 28)
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ingest::IngestReport;
    use crate::model::{FeedState, FeedStatus};

    fn feed(url: &str) -> FeedConfig {
        FeedConfig {
            configured_url: url.to_owned(),
            url: url::Url::parse(url).expect("url"),
            name: None,
            interval: None,
            html_url: None,
        }
    }

    fn report(status: FeedStatus, error: Option<&str>, new: usize) -> RefreshReport {
        let url = "https://a.example/f";
        let mut state = FeedState::pending(url, url, "A", chrono::Utc::now());
        state.status = status;
        state.last_error = error.map(str::to_owned);
        RefreshReport {
            feed: state,
            ingest: IngestReport {
                new_articles: new,
                new_stories: new,
                ..IngestReport::default()
            },
            elapsed: Duration::from_millis(12),
        }
    }

    fn results(
        outcomes: Vec<anyhow::Result<RefreshReport>>,
    ) -> Vec<(FeedConfig, anyhow::Result<RefreshReport>)> {
        outcomes
            .into_iter()
            .map(|r| (feed("https://a.example/f"), r))
            .collect()
    }

    #[test]
    fn one_dead_feed_among_working_ones_is_a_success() {
        let r = results(vec![
            Ok(report(FeedStatus::Ok, None, 3)),
            Ok(report(FeedStatus::Error, Some("timed out"), 0)),
        ]);
        let t = Tally::of(2, &r);
        assert_eq!(t.failure(), None);
        assert_eq!(
            t.summary(),
            "2 feeds, 1 failed; 3 new articles, 3 new stories"
        );
    }

    #[test]
    fn every_feed_failing_is_a_failure() {
        let r = results(vec![
            Ok(report(FeedStatus::Error, Some("timed out"), 0)),
            Ok(report(FeedStatus::Error, Some("404"), 0)),
        ]);
        let t = Tally::of(2, &r);
        assert!(t.failure().is_some_and(|w| w.contains("every feed failed")));
        assert_eq!(
            t.summary(),
            "2 feeds, 2 failed; 0 new articles, 0 new stories"
        );
    }

    #[test]
    fn any_store_error_is_a_failure() {
        let r = results(vec![
            Ok(report(FeedStatus::Ok, None, 1)),
            Err(anyhow::anyhow!("disk full")),
        ]);
        let t = Tally::of(2, &r);
        assert!(
            t.failure()
                .is_some_and(|w| w.contains("store failed for 1 of 2"))
        );
        assert_eq!(
            t.summary(),
            "2 feeds, 1 failed (1 could not be stored); 1 new articles, 1 new stories"
        );
        // A feed whose task was lost (a bug) recorded nothing either.
        let t = Tally::of(3, &r);
        assert_eq!(t.store_errors, 2);
        let flush = Tally {
            flush_failed: true,
            ..Tally::of(1, &r[..1])
        };
        assert!(flush.failure().is_some_and(|w| w.contains("flushed")));
    }

    #[test]
    fn no_feeds_is_not_a_failure() {
        assert_eq!(Tally::of(0, &[]).failure(), None);
    }

    #[test]
    fn lines_name_the_status_as_the_json_does() {
        let line = summary_line(
            &feed("https://a.example/f"),
            &Ok(report(FeedStatus::NotModified, None, 0)),
        );
        assert!(line.contains("not_modified: 0 new"), "{line}");
        let line = summary_line(
            &feed("https://a.example/f"),
            &Ok(report(FeedStatus::Ok, None, 2)),
        );
        assert!(line.contains(" ok: 2 new"), "{line}");
    }
}

//! Operator commands: `storyd export-opml`, `storyd discover`, and the progress display of
//! `storyd once` (a bar on a terminal, plain lines otherwise).

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use url::Url;

use super::UsageError;
use crate::config::Config;
use crate::discover;
use crate::fetch::{FetchSettings, Fetcher};
use crate::opml::{self, OpmlFeed};

/// The config's feeds (with those of its OPML files) as an OPML 2.0 document.
pub fn export_opml(config: &Config) -> String {
    let feeds: Vec<OpmlFeed> = config
        .feeds
        .iter()
        .map(|f| OpmlFeed {
            url: f.url.to_string(),
            title: f.name.clone(),
            html_url: f.html_url.clone(),
        })
        .collect();
    opml::write("storyd feeds", &feeds)
}

/// Prints the feeds `page` offers, one a line: URL, how it was found, format, title.
/// Exit 1 when there are none.
pub async fn discover(page: &str) -> anyhow::Result<ExitCode> {
    let url = Url::parse(page.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https" | "file"))
        .ok_or_else(|| UsageError(format!("not an http(s) URL: {page:?}")))?;
    let fetcher = Fetcher::new(FetchSettings::default()).context("cannot build the HTTP client")?;
    match discover::discover(&fetcher, &url).await {
        Ok(found) => {
            for d in found {
                println!(
                    "{}  {} {}  {}",
                    d.url,
                    d.found.as_str(),
                    d.format.unwrap_or("feed"),
                    d.title.as_deref().unwrap_or("")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("storyd: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

/// Where `storyd once` reports each finished feed: above a progress bar when standard
/// output is a terminal, as plain lines when it is a pipe or a file.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A display for `total` feeds.
    pub fn new(total: usize) -> Self {
        if !std::io::stdout().is_terminal() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stdout());
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} feeds  {elapsed}  {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Progress { bar: Some(bar) }
    }

    /// Reports one finished feed.
    pub fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => {
                bar.println(text);
                bar.inc(1);
            }
            None => println!("{text}"),
        }
    }

    /// Removes the bar, leaving the lines.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

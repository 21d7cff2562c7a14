//! `storyd stories`: asks a running daemon for its top stories and prints a table.

use anyhow::{Context, bail};
use serde_json::Value;

use super::clip;

/// Fetches `/api/stories?limit=N` from `server` and prints it as a table, or as JSON.
pub async fn print(server: &str, limit: u16, json: bool) -> anyhow::Result<()> {
    let base =
        url::Url::parse(server).with_context(|| format!("--server {server:?} is not a URL"))?;
    let mut url = base
        .join("/api/stories")
        .context("cannot build the request URL")?;
    url.query_pairs_mut()
        .append_pair("limit", &limit.to_string());
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .context("cannot build the HTTP client")?;
    let response =
        client.get(url.clone()).send().await.with_context(|| {
            format!("cannot reach storyd at {server} (is `storyd serve` running?)")
        })?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .with_context(|| format!("cannot read the answer of {url}"))?;
    let body: Value =
        serde_json::from_slice(&bytes).with_context(|| format!("{url} did not answer JSON"))?;
    if !status.is_success() {
        bail!("{url} answered {status}: {}", body["error"]["message"]);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(());
    }
    let stories = body["stories"].as_array().cloned().unwrap_or_default();
    println!(
        "{:<16}  {:>7}  {:>8}  {:<20}  HEADLINE",
        "ID", "SOURCES", "ARTICLES", "UPDATED"
    );
    for s in &stories {
        println!(
            "{:<16}  {:>7}  {:>8}  {:<20}  {}",
            s["id"].as_str().unwrap_or(""),
            s["source_count"].as_u64().unwrap_or(0),
            s["article_count"].as_u64().unwrap_or(0),
            clip(s["updated"].as_str().unwrap_or(""), 19),
            clip(s["headline"].as_str().unwrap_or(""), 80)
        );
    }
    if stories.is_empty() {
        println!("(no stories yet)");
    }
    Ok(())
}

//! `storyd stories`: asks a running daemon for its top stories and prints a table.

use anyhow::{Context, bail};
use serde_json::Value;

use super::{UsageError, clip};

/// Fetches `/api/stories?limit=N` from `server` and prints it as a table, or as JSON.
pub async fn print(server: &str, limit: u16, json: bool) -> anyhow::Result<()> {
    let url = stories_url(server, limit)?;
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
        "{:<16}  {:>7}  {:>8}  {:>8}  HEADLINE",
        "ID", "SOURCES", "ARTICLES", "UPDATED"
    );
    let now = chrono::Utc::now();
    for s in &stories {
        let updated = s["updated"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map_or_else(|| "?".to_owned(), |t| ago(now - t.to_utc()));
        println!(
            "{:<16}  {:>7}  {:>8}  {:>8}  {}",
            s["id"].as_str().unwrap_or(""),
            s["source_count"].as_u64().unwrap_or(0),
            s["article_count"].as_u64().unwrap_or(0),
            updated,
            clip(s["headline"].as_str().unwrap_or(""), 80)
        );
        let sources: Vec<&str> = s["sources"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        if sources.len() > 1 {
            println!("{:<47}  {}", "", clip(&sources.join(", "), 80));
        }
    }
    if stories.is_empty() {
        println!("(no stories yet)");
    }
    Ok(())
}

/// `/api/stories?limit=N` under `server`, keeping its path: a daemon behind a reverse proxy
/// at `https://host/storyd/` answers at `https://host/storyd/api/stories`.
fn stories_url(server: &str, limit: u16) -> anyhow::Result<url::Url> {
    let mut base = url::Url::parse(server.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| UsageError(format!("--server {server:?} is not an http(s) URL")))?;
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    let mut url = base
        .join("api/stories")
        .context("cannot build the request URL")?;
    url.query_pairs_mut()
        .append_pair("limit", &limit.to_string());
    Ok(url)
}

/// A short age such as "now", "12m ago", "3h ago" or "5d ago".
pub fn ago(age: chrono::Duration) -> String {
    let secs = age.num_seconds().max(0);
    match secs {
        0..60 => "now".to_owned(),
        60..3600 => format!("{}m ago", secs / 60),
        3600..86400 => format!("{}h ago", secs / 3600),
        _ => format!("{}d ago", secs / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_url_keeps_its_path() {
        let url = |s: &str| stories_url(s, 5).map(|u| u.to_string());
        for (server, expected) in [
            (
                "http://127.0.0.1:8080",
                "http://127.0.0.1:8080/api/stories?limit=5",
            ),
            (
                "http://127.0.0.1:8080/",
                "http://127.0.0.1:8080/api/stories?limit=5",
            ),
            (
                "https://host/storyd",
                "https://host/storyd/api/stories?limit=5",
            ),
            (
                "https://host/storyd/",
                "https://host/storyd/api/stories?limit=5",
            ),
            (
                "https://host/a/b?x=1#top",
                "https://host/a/b/api/stories?limit=5",
            ),
        ] {
            assert_eq!(url(server).ok().as_deref(), Some(expected), "{server}");
        }
        for bad in ["127.0.0.1:8080", "localhost", "ftp://host/", ""] {
            assert!(url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ages_read_like_a_person_would_say_them() {
        let s = chrono::Duration::seconds;
        assert_eq!(ago(s(5)), "now");
        assert_eq!(ago(s(-30)), "now");
        assert_eq!(ago(s(12 * 60 + 5)), "12m ago");
        assert_eq!(ago(s(3 * 3600 + 59)), "3h ago");
        assert_eq!(ago(s(5 * 86400)), "5d ago");
    }
}

//! The web page as a person sees it: Debian's headless chromium loads `/`, a search and a
//! story page from a daemon that has ingested the fixtures, and the test reads the DOM the
//! browser built (`--dump-dom`) and keeps phone-sized screenshots under
//! `target/screenshots/`.
//!
//! Skips with a message when chromium is not installed (`apt-get install chromium`); with
//! `STORYD_REQUIRE_BROWSER=1` (for CI) a missing browser is a failure instead.

mod common;
mod web_support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use web_support::{Fixture, MISCHIEF_HEADLINE};

/// How long one chromium run may take on a loaded machine.
const BROWSER_DEADLINE: Duration = Duration::from_secs(120);

/// The chromium binary: `$CHROMIUM`, else Debian's, else none.
fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("CHROMIUM").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromium")),
        Some(PathBuf::from("/usr/bin/chromium-browser")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

/// Runs headless chromium on `url` with `extra` flags; returns what it printed.
fn run_browser(browser: &Path, extra: &[String], url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        out
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > BROWSER_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish {url} within {BROWSER_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "chromium failed on {url}: {status}");
    reader.join().unwrap()
}

/// The DOM chromium built for `url`, serialized.
async fn dom(browser: &Path, url: String) -> String {
    let browser = browser.to_owned();
    tokio::task::spawn_blocking(move || run_browser(&browser, &["--dump-dom".to_owned()], &url))
        .await
        .unwrap()
}

/// A 412x915 (phone-sized) screenshot of `url` at `path`; checks it is such a PNG.
async fn screenshot(browser: &Path, url: String, path: PathBuf) {
    let browser = browser.to_owned();
    let flags = vec![
        format!("--screenshot={}", path.display()),
        "--window-size=412,915".to_owned(),
    ];
    let shot = path.clone();
    tokio::task::spawn_blocking(move || run_browser(&browser, &flags, &url))
        .await
        .unwrap();
    let png =
        std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot {}: {e}", shot.display()));
    assert_eq!(
        &png[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is a PNG",
        shot.display()
    );
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (412, 915));
    println!("screenshot: {}", shot.display());
}

/// `target/screenshots/`, next to the directory cargo gives integration tests.
fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// How many story cards a page shows.
fn cards(dom: &str) -> usize {
    dom.matches("<article class=\"story\">").count()
}

/// Text as the browser serializes it inside an element.
fn as_dom_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_sees_the_stories_the_search_and_a_story_page() {
    let Some(browser) = chromium() else {
        if std::env::var_os("STORYD_REQUIRE_BROWSER").is_some() {
            panic!("chromium is required (STORYD_REQUIRE_BROWSER is set) but not installed");
        }
        println!(
            "SKIP: chromium not found (apt-get install chromium); the browser test did not run"
        );
        return;
    };
    let fx = Fixture::start().await;
    let flood = fx.story("Velin").await;
    let flood_headline = flood["headline"].as_str().unwrap();
    let base = fx.daemon.base.clone();

    // The front page: every story, the flood first with its three outlets and their links.
    let page = dom(&browser, format!("{base}/")).await;
    assert!(
        page.contains("<title>storyd: top stories</title>"),
        "{page}"
    );
    assert!(page.contains("name=\"viewport\""));
    assert_eq!(cards(&page), 14, "{page}");
    let first = &page[page.find("<article class=\"story\">").unwrap()..];
    let first = &first[..first.find("</article>").unwrap()];
    assert!(first.contains(&as_dom_text(flood_headline)), "{first}");
    assert!(first.contains("3 sources · 3 articles"), "{first}");
    assert!(
        first.contains("first seen <time") && first.contains("just now"),
        "{first}"
    );
    for (outlet, host) in [
        ("Harbor Wire", "https://harbor-wire.example/"),
        ("Daily Globe", "https://daily-globe.example/"),
        ("Ledger Online", "https://ledger-online.example/"),
    ] {
        assert!(first.contains(outlet), "{outlet} in {first}");
        assert!(
            first.contains(&format!("href=\"{host}")),
            "{host} in {first}"
        );
    }
    // The search box, and the headline with markup shown as text, never run.
    assert!(page.contains("<input type=\"search\" name=\"q\""), "{page}");
    assert!(page.contains(&as_dom_text(MISCHIEF_HEADLINE)), "{page}");
    assert!(!page.contains("<script") && !page.contains("<img") && !page.contains("owned</title>"));

    // A search, as typed into the box: one story.
    let found = dom(&browser, format!("{base}/?q=port+velin")).await;
    assert_eq!(cards(&found), 1, "{found}");
    assert!(found.contains(&as_dom_text(flood_headline)));
    assert!(
        found.contains("value=\"port velin\""),
        "the box keeps the query"
    );
    let none = dom(&browser, format!("{base}/?q=zeppelin")).await;
    assert_eq!(cards(&none), 0);
    assert!(none.contains("No stories match “zeppelin”."), "{none}");

    // The story page: every article, its outlet and how it matched.
    let id = flood["id"].as_str().unwrap();
    let story = dom(&browser, format!("{base}/stories/{id}")).await;
    assert_eq!(story.matches("<span class=\"match ").count(), 3, "{story}");
    assert_eq!(story.matches("started the story").count(), 1, "{story}");
    assert_eq!(story.matches("score ").count(), 3);
    for article in flood["articles"].as_array().unwrap() {
        assert!(story.contains(&as_dom_text(article["title"].as_str().unwrap())));
        assert!(story.contains(&format!(
            "<span class=\"match {}\">",
            article["match"].as_str().unwrap()
        )));
    }
    let missing = dom(&browser, format!("{base}/stories/0000000000000000")).await;
    assert!(missing.contains("Not found"), "{missing}");

    let dir = screenshot_dir();
    screenshot(&browser, format!("{base}/"), dir.join("index.png")).await;
    screenshot(
        &browser,
        format!("{base}/stories/{id}"),
        dir.join("story.png"),
    )
    .await;
    fx.stop().await;
}

//! The write endpoints over real HTTP against an in-process daemon with a real sled store:
//! the admin token, the SSRF guard, discovery of a site's feed, removal, refresh, reload,
//! persistence across a restart, and the OPML export.

mod common;

use std::path::Path;

use common::{FeedServer, Route, Running};
use serde_json::{Value, json};
use storyd::config::Config;

const TOKEN: &str = "s3cret-token";

/// Writes a config file (so that a reload can read it again) and loads it.
fn write_config(dir: &Path, server: &str, feeds: &[String]) -> Config {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n{server}\n[store]\npath = {:?}\n\
         [scheduler]\ninterval = \"1h\"\nmin_interval = \"1s\"\nmax_interval = \"2h\"\ntimeout = \"5s\"\n",
        dir.join("store").display().to_string()
    );
    for f in feeds {
        text.push_str(&format!("[[feeds]]\nurl = {f:?}\n"));
    }
    let path = dir.join("storyd.toml");
    std::fs::write(&path, text).unwrap();
    Config::load(&path).unwrap()
}

fn admin(extra: &str) -> String {
    format!("admin_token = {TOKEN:?}\n{extra}")
}

/// Sends a request with an optional bearer token; returns status, headers and JSON (or Null).
async fn send(
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let r = req.send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    let bytes = r.bytes().await.unwrap();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn ids(feeds: &[Value]) -> Vec<String> {
    feeds
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_endpoints_answer_only_to_the_admin_token() {
    let server = FeedServer::start().await;
    server.feed("/wire.xml", "wire.xml");
    let dir = tempfile::tempdir().unwrap();
    let daemon = Running::start(write_config(
        dir.path(),
        &admin(""),
        &[server.url("/wire.xml")],
    ))
    .await;
    let feeds = daemon.wait_feeds("the feed listed", |f| f.len() == 1).await;
    let id = feeds[0]["id"].as_str().unwrap().to_owned();
    let base = &daemon.base;
    let writes = [
        (
            reqwest::Method::POST,
            format!("{base}/api/feeds"),
            Some(json!({"url": "https://example.org/"})),
        ),
        (
            reqwest::Method::DELETE,
            format!("{base}/api/feeds/{id}"),
            None,
        ),
        (
            reqwest::Method::POST,
            format!("{base}/api/feeds/{id}/refresh"),
            None,
        ),
        (reqwest::Method::POST, format!("{base}/api/reload"), None),
    ];
    for (method, url, body) in &writes {
        for token in [
            None,
            Some("wrong"),
            Some("s3cret-toke"),
            Some("s3cret-token-and-more"),
        ] {
            let (status, headers, answer) =
                send(method.clone(), url.clone(), token, body.clone()).await;
            assert_eq!(status, 401, "{method} {url} with {token:?}: {answer}");
            assert_eq!(answer["error"]["code"], "unauthorized");
            assert!(headers.get("www-authenticate").is_some());
        }
    }
    // With the token: refresh and reload succeed (the others are tested below).
    let (status, _, answer) = send(
        reqwest::Method::POST,
        writes[2].1.clone(),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!((status, answer["status"].as_str()), (202, Some("queued")));
    let (status, _, answer) = send(
        reqwest::Method::POST,
        writes[3].1.clone(),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "reloaded");
    // What `curl -d '{...}'` sends without `-H 'Content-Type: application/json'`: a form,
    // refused with a message that says what to send.
    let form = reqwest::Client::new()
        .post(&writes[0].1)
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(r#"{"url":"https://example.org/"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
    let answer: Value = serde_json::from_slice(&form.bytes().await.unwrap()).unwrap();
    assert_eq!(answer["error"]["code"], "unsupported_media_type");
    let message = answer["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("Content-Type: application/json"),
        "{message}"
    );
    // JSON of the wrong shape is still a 400 that says what is wrong.
    let (status, _, answer) = send(
        reqwest::Method::POST,
        writes[0].1.clone(),
        Some(TOKEN),
        Some(json!({"url": 3})),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (400, Some("bad_body"))
    );
    // Removing a feed of the config file is the config's business.
    let (status, _, answer) = send(
        reqwest::Method::DELETE,
        writes[1].1.clone(),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (409, Some("configured_in_file"))
    );
    daemon.stop().await;

    // Without a configured token the write endpoints do not exist, whatever is sent.
    let dir = tempfile::tempdir().unwrap();
    let daemon = Running::start(write_config(dir.path(), "", &[])).await;
    let (status, _, answer) = send(
        reqwest::Method::POST,
        format!("{}/api/reload", daemon.base),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (404, Some("writes_disabled"))
    );
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_on_private_addresses_are_refused_unless_allowed() {
    let server = FeedServer::start().await;
    server.feed("/wire.xml", "wire.xml");
    let port = server.addr.unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let daemon = Running::start(write_config(dir.path(), &admin(""), &[])).await;
    let add = format!("{}/api/feeds", daemon.base);
    for url in [
        server.url("/wire.xml"),
        // A name is checked on what it resolves to.
        format!("http://localhost:{port}/wire.xml"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::1]:1/feed".to_owned(),
    ] {
        let (status, _, answer) = send(
            reqwest::Method::POST,
            add.clone(),
            Some(TOKEN),
            Some(json!({"url": url})),
        )
        .await;
        assert_eq!(status, 403, "{url}: {answer}");
        assert_eq!(answer["error"]["code"], "blocked_address");
    }
    let (status, _, answer) = send(
        reqwest::Method::POST,
        add.clone(),
        Some(TOKEN),
        Some(json!({"url": "file:///etc/passwd"})),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (400, Some("bad_url"))
    );
    assert!(
        server.seen().is_empty(),
        "the guard let a request through: {:?}",
        server.seen()
    );
    assert!(daemon.feeds().await.is_empty());
    daemon.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let allowed = admin("allow_private_feeds = true");
    let daemon = Running::start(write_config(dir.path(), &allowed, &[])).await;
    let (status, _, answer) = send(
        reqwest::Method::POST,
        format!("{}/api/feeds", daemon.base),
        Some(TOKEN),
        Some(json!({"url": format!("http://localhost:{port}/wire.xml")})),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    daemon
        .wait_feeds("the allowed feed fetched", |f| {
            f.len() == 1 && f[0]["status"] == "ok"
        })
        .await;
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_url_is_discovered_polled_kept_across_restarts_and_removed() {
    let server = FeedServer::start().await;
    server.feed("/wire.xml", "wire.xml");
    server.feed("/globe.atom", "globe.atom");
    let page = br#"<!doctype html><html><head><title>Harbor</title>
        <link rel="alternate" type="application/rss+xml" title="Wire" href="/wire.xml">
        </head><body>news</body></html>"#;
    server.route(
        "/",
        Route::Feed {
            body: page.to_vec(),
            content_type: "text/html; charset=utf-8",
            etag: "\"p\"".into(),
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &admin("allow_private_feeds = true"),
        &[server.url("/globe.atom")],
    );
    let daemon = Running::start(config.clone()).await;
    let add = format!("{}/api/feeds", daemon.base);
    let (status, headers, feed) = send(
        reqwest::Method::POST,
        add.clone(),
        Some(TOKEN),
        Some(json!({"url": server.url("/"), "name": "Harbor Wire (API)"})),
    )
    .await;
    assert_eq!(status, 201, "{feed}");
    assert_eq!(feed["url"], server.url("/wire.xml"));
    assert_eq!(feed["name"], "Harbor Wire (API)");
    let id = feed["id"].as_str().unwrap().to_owned();
    assert_eq!(headers["location"], format!("/api/feeds/{id}").as_str());
    let (status, _, answer) = send(
        reqwest::Method::POST,
        add.clone(),
        Some(TOKEN),
        Some(json!({"url": server.url("/wire.xml")})),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (409, Some("already_exists"))
    );
    let (status, _, answer) = send(
        reqwest::Method::POST,
        add.clone(),
        Some(TOKEN),
        Some(json!({"url": server.url("/nothing")})),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("no_feed")),
        "{answer}"
    );
    let feeds = daemon
        .wait_feeds("both feeds fetched", |f| {
            f.len() == 2 && f.iter().all(|f| f["status"] == "ok")
        })
        .await;
    assert_eq!(feeds[1]["id"], id.as_str());
    daemon.stop().await;

    // The API's feed is still there after a restart, and polled again on request.
    let daemon = Running::start(config).await;
    let feeds = daemon
        .wait_feeds("the feeds after a restart", |f| f.len() == 2)
        .await;
    assert_eq!(ids(&feeds)[1], id);
    let (_, body) = daemon
        .get(&format!("/api/stories?feed={id}&limit=200"))
        .await;
    let article = body["stories"][0]["articles"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let add = format!("{}/api/feeds", daemon.base);
    let before = server.seen_at("/wire.xml").len();
    let (status, _, _) = send(
        reqwest::Method::POST,
        format!("{add}/{id}/refresh"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 202);
    for _ in 0..200 {
        if server.seen_at("/wire.xml").len() > before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        server.seen_at("/wire.xml").len() > before,
        "no fetch after the refresh request"
    );

    // Removed: no longer listed or polled; its articles stay.
    let (status, _, _) = send(
        reqwest::Method::DELETE,
        format!("{add}/{id}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        ids(&daemon.feeds().await),
        [feeds[0]["id"].as_str().unwrap()]
    );
    let (status, _) = daemon.get(&format!("/api/articles/{article}")).await;
    assert_eq!(status, 200);
    let (status, _, _) = send(
        reqwest::Method::DELETE,
        format!("{add}/{id}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 404);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_applies_a_new_feed_list_and_refuses_an_invalid_config() {
    let server = FeedServer::start().await;
    server.feed("/wire.xml", "wire.xml");
    server.feed("/ledger.json", "ledger.json");
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (server.url("/wire.xml"), server.url("/ledger.json"));
    let daemon = Running::start(write_config(
        dir.path(),
        &admin(""),
        std::slice::from_ref(&a),
    ))
    .await;
    let old = daemon
        .wait_feeds("A fetched", |f| f.len() == 1 && f[0]["status"] == "ok")
        .await;
    let reload = format!("{}/api/reload", daemon.base);

    write_config(dir.path(), &admin(""), std::slice::from_ref(&b));
    let (status, _, answer) = send(reqwest::Method::POST, reload.clone(), Some(TOKEN), None).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["report"]["removed"], json!([old[0]["id"]]));
    assert_eq!(answer["report"]["added"].as_array().unwrap().len(), 1);
    let now = daemon
        .wait_feeds("B fetched", |f| {
            f.len() == 1 && f[0]["url"] == b.as_str() && f[0]["status"] == "ok"
        })
        .await;

    std::fs::write(
        dir.path().join("storyd.toml"),
        "[scheduler]\nper_host = 0\n",
    )
    .unwrap();
    let (status, _, answer) = send(reqwest::Method::POST, reload, Some(TOKEN), None).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_config");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("scheduler.per_host")
    );
    assert_eq!(ids(&daemon.feeds().await), ids(&now));

    // The OPML export lists what is polled now.
    let opml = reqwest::get(format!("{}/api/feeds.opml", daemon.base))
        .await
        .unwrap();
    assert!(
        opml.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/x-opml")
    );
    let listed = storyd::opml::read(&opml.bytes().await.unwrap()).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].url, b);
    assert_eq!(listed[0].title.as_deref(), Some("Ledger Online"));
    daemon.stop().await;
}

//! Benchmark 3: polling at scale.
//!
//! A feed server in its own process (this binary with `--serve-feeds`) serves 5,000 distinct
//! RSS feeds of 50 items each from 100 loopback ports (so per-host politeness applies as with
//! 100 outlets), answering 304 to a matching `If-None-Match`. The real `storyd once` binary then
//! polls them all from an empty store, and again, when every feed answers 304. For each round:
//! wall time, CPU seconds and peak RSS of the storyd process (from `wait4`), and requests/s.
//!
//! `cargo bench --bench poll -- [--feeds N] [--items N] [--hosts N] [--runs N]`

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use support::synth::{Event, SynthArticle, WordModel, rss};
use support::{arg, flag, median};

/// Events the feeds' items are drawn from: items of different feeds cover the same events.
const EVENTS: u64 = 4000;

fn main() -> anyhow::Result<()> {
    if flag("--serve-feeds") {
        return serve_feeds();
    }
    let feeds: usize = arg("--feeds", 5000);
    let items: usize = arg("--items", 50);
    let hosts: usize = arg("--hosts", 100).max(1);
    let runs: usize = arg("--runs", 1).max(1);
    let mut rounds: [Vec<Round>; 2] = [Vec::new(), Vec::new()];
    for run in 0..runs {
        let [first, second] = run_once(feeds, items, hosts)?;
        println!("run {}:", run + 1);
        for (name, r) in [("200 round", &first), ("304 round", &second)] {
            println!(
                "  {name}: wall {:.2} s, CPU {:.2} s, peak RSS {:.0} MB, {:.0} requests/s ({})",
                r.wall,
                r.cpu,
                r.rss_mb,
                feeds as f64 / r.wall,
                r.summary
            );
        }
        rounds[0].push(first);
        rounds[1].push(second);
    }
    for (name, r) in ["200 round (empty store)", "304 round"].iter().zip(rounds) {
        let pick = |f: fn(&Round) -> f64| median(&mut r.iter().map(f).collect::<Vec<_>>());
        let wall = pick(|r| r.wall);
        println!(
            "poll {name}: {feeds} feeds x {items} items from {hosts} hosts: wall {wall:.2} s, CPU {:.2} s, \
             peak RSS {:.0} MB, {:.0} requests/s (median of {runs})",
            pick(|r| r.cpu),
            pick(|r| r.rss_mb),
            feeds as f64 / wall
        );
    }
    Ok(())
}

/// What one `storyd once` cost.
struct Round {
    wall: f64,
    cpu: f64,
    rss_mb: f64,
    summary: String,
}

/// Starts the feed server, writes a config for it, and runs `storyd once` twice.
fn run_once(feeds: usize, items: usize, hosts: usize) -> anyhow::Result<[Round; 2]> {
    let dir = tempfile::Builder::new()
        .prefix("storyd-bench-poll")
        .tempdir()?;
    let mut server = FeedServer::start(items, hosts)?;
    let mut config = format!(
        "[store]\npath = {:?}\n[log]\nlevel = \"warn\"\n",
        dir.path().join("store").display().to_string()
    );
    for n in 0..feeds {
        let port = server.ports[n % server.ports.len()];
        config.push_str(&format!(
            "[[feeds]]\nurl = \"http://127.0.0.1:{port}/feed/{n}\"\nname = \"Outlet {n}\"\n"
        ));
    }
    let config_path = dir.path().join("storyd.toml");
    std::fs::write(&config_path, config)?;
    let first = round(&config_path)?;
    let second = round(&config_path)?;
    server.stop();
    Ok([first, second])
}

/// Runs `storyd once` and measures it with `wait4`.
fn round(config: &std::path::Path) -> anyhow::Result<Round> {
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_storyd"))
        .arg("once")
        .arg("--config")
        .arg(config)
        .stdout(Stdio::piped())
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut output = String::new();
    if let Some(out) = child.stdout {
        for line in BufReader::new(out).lines() {
            output = line?;
        }
    }
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; pid is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed().as_secs_f64();
    if waited != pid || status != 0 {
        anyhow::bail!("storyd once failed (status {status}): {output}");
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Round {
        wall,
        cpu: secs(usage.ru_utime) + secs(usage.ru_stime),
        rss_mb: usage.ru_maxrss as f64 / 1024.0,
        summary: output,
    })
}

/// The feed server child process.
struct FeedServer {
    child: Child,
    ports: Vec<u16>,
}

impl FeedServer {
    fn start(items: usize, hosts: usize) -> anyhow::Result<FeedServer> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["--serve-feeds", "--items", &items.to_string()])
            .args(["--hosts", &hosts.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut line = String::new();
        if let Some(out) = child.stdout.as_mut() {
            BufReader::new(out).read_line(&mut line)?;
        }
        let ports: Vec<u16> = line
            .strip_prefix("ports")
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        if ports.is_empty() {
            let _ = child.kill();
            anyhow::bail!("the feed server did not start: {line:?}");
        }
        Ok(FeedServer { child, ports })
    }

    fn stop(&mut self) {
        // Closing its stdin tells the server to exit.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The server side: `hosts` listeners, each answering `/feed/{n}`, until stdin closes.
fn serve_feeds() -> anyhow::Result<()> {
    let items: usize = arg("--items", 50);
    let hosts: usize = arg("--hosts", 100);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let state = std::sync::Arc::new((WordModel::new(20_000), items, chrono::Utc::now()));
        let app = axum::Router::new()
            .route("/feed/{n}", axum::routing::get(feed))
            .with_state(state);
        let mut ports = Vec::new();
        for _ in 0..hosts {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            ports.push(listener.local_addr()?.port().to_string());
            let app = app.clone();
            tokio::spawn(async move { axum::serve(listener, app).await });
        }
        let mut out = std::io::stdout();
        writeln!(out, "ports {}", ports.join(" "))?;
        out.flush()?;
        // Wait for the parent to close our stdin (or die).
        tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink()))
            .await??;
        Ok(())
    })
}

type ServerState = std::sync::Arc<(WordModel, usize, chrono::DateTime<chrono::Utc>)>;

/// Feed `n`: always the same 50 items, with an ETag; 304 when the client has it.
async fn feed(
    State(state): State<ServerState>,
    Path(n): Path<u64>,
    headers: HeaderMap,
) -> Response {
    let (model, items, now) = &*state;
    let etag = format!("\"feed-{n}-v1\"");
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let mut rng = fastrand::Rng::with_seed(n);
    let articles: Vec<SynthArticle> = (0..*items)
        .map(|j| {
            let event = Event::new(model, rng.u64(..EVENTS));
            let (title, summary) = event.write(model, &mut rng);
            SynthArticle {
                feed: n as usize,
                guid: format!("urn:feed:{n}:{j}"),
                url: format!("https://outlet{n}.example/news/{j}"),
                title,
                summary,
                published: *now - chrono::Duration::minutes((j * 20 + (n as usize % 60)) as i64),
                event: event.id,
            }
        })
        .collect();
    let body = rss(
        &format!("Outlet {n}"),
        &format!("https://outlet{n}.example/"),
        &articles,
    );
    (
        [
            (header::ETAG, etag),
            (header::CONTENT_TYPE, "application/rss+xml".to_owned()),
        ],
        body,
    )
        .into_response()
}

//! Story-engine throughput benchmark: streams a synthetic news stream (title + lead
//! articles about events that rise and fade over 30 simulated days) through the real
//! `cluster::Engine` and prints articles per second and memory for each slice.
//!
//! Run: `cargo bench --bench engine` (200k articles), or set `STORYD_BENCH_ARTICLES=1000000`
//! for the full million. `STORYD_BENCH_JSONL=FILE` also writes the stream as JSON Lines, so
//! `scripts/baseline_tfidf.py` can run the same articles (see `scripts/bench-engine.sh`), and
//! labels each with its event, so `storyd eval FILE` scores the engine's stories on it.
//! Generation happens between timed slices and is not counted. `STORYD_BENCH_DIGEST=1` also
//! prints a digest of every decision (story, kind, score, duplicate, headline, merges), hashed
//! outside the timed part, so two builds can be checked to decide the same on one stream.
//! `STORYD_BENCH_STOP=N` stops after the first N articles of the stream.
//! `STORYD_BENCH_TOPICS=N` makes a harder stream: every event belongs to one of N recurring
//! topics whose words and name it shares with the topic's other events (look-alikes).
//! `STORYD_BENCH_CLOCK=cpu` times the slices by this thread's time on a CPU (from
//! /proc/thread-self/schedstat) instead of wall time, for a machine shared with other work.
//! `STORYD_BENCH_COUNT_FROM=N` files the articles from the Nth on through `counted`, so that
//! valgrind counts a full window alone: `--toggle-collect='engine::counted'`.

use chrono::{DateTime, TimeDelta};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::time::Instant;
use storyd::cluster::{Doc, Engine, EngineConfig};

/// Simulated days the stream covers, whatever its length.
const DAYS: i64 = 30;
/// Slice boundaries at which a line is printed (those beyond the stream are skipped).
const MARKS: [usize; 8] = [
    10_000, 20_000, 50_000, 100_000, 200_000, 400_000, 700_000, 1_000_000,
];

/// A pseudo-word from an index: pronounceable, distinct per index.
fn word(mut i: usize) -> String {
    const C: &[u8] = b"bcdfghklmnprstvz";
    const V: &[u8] = b"aeiou";
    let mut s = String::new();
    loop {
        s.push(C[i % C.len()] as char);
        i /= C.len();
        s.push(V[i % V.len()] as char);
        i /= V.len();
        if i == 0 {
            break;
        }
    }
    s
}

/// One event: its own words and names, when it starts and how long it runs.
struct Event {
    /// The topic it belongs to, if the stream has topics.
    topic: Option<usize>,
    words: Vec<String>,
    names: Vec<String>,
    start: i64,
    span: i64,
}

/// The deterministic synthetic stream: article `i` is published at `i / total` of the way
/// through the days, about one of the events running then.
struct Stream {
    rng: fastrand::Rng,
    events: Vec<Event>,
    next: usize,
    total: usize,
}

impl Stream {
    /// A stream of `total` articles. With `topics` > 0, every event belongs to one of that
    /// many topics and takes half its words and one of its names from the topic's, so
    /// events of one topic look alike (two quakes, two trials of one court) and recur over
    /// the whole month.
    fn new(total: usize, topics: usize) -> Self {
        let mut rng = fastrand::Rng::with_seed(42);
        let horizon = DAYS * 86_400;
        let themes: Vec<(Vec<String>, String)> = (0..topics)
            .map(|_| {
                let words = (0..12).map(|_| word(1_000 + rng.usize(..60_000))).collect();
                (words, capitalize(&word(70_000 + rng.usize(..40_000))))
            })
            .collect();
        // About one event per 40 articles, each running one to three days.
        let events = (0..total / 40 + 10)
            .map(|_| {
                let mut words: Vec<String> =
                    (0..8).map(|_| word(1_000 + rng.usize(..60_000))).collect();
                let mut names: Vec<String> = (0..3)
                    .map(|_| capitalize(&word(70_000 + rng.usize(..40_000))))
                    .collect();
                let topic = (!themes.is_empty()).then(|| rng.usize(..themes.len()));
                if let Some(t) = topic {
                    let (theme_words, theme_name) = &themes[t];
                    for w in words.iter_mut().take(4) {
                        *w = theme_words[rng.usize(..theme_words.len())].clone();
                    }
                    names[0] = theme_name.clone();
                }
                Event {
                    topic,
                    words,
                    names,
                    start: rng.i64(0..horizon),
                    span: rng.i64(86_400..3 * 86_400),
                }
            })
            .collect();
        Stream {
            rng,
            events,
            next: 0,
            total,
        }
    }

    /// The next `n` articles (fewer at the end), each with its event's number and topic.
    fn take(&mut self, n: usize) -> Vec<(Doc, usize, Option<usize>)> {
        let horizon = DAYS * 86_400;
        let base = DateTime::UNIX_EPOCH + TimeDelta::days(19_000);
        let mut out = Vec::with_capacity(n);
        while out.len() < n && self.next < self.total {
            let t = self.next as i64 * horizon / self.total as i64;
            // An event running at time t: probe a few at random, else any.
            let mut pick = self.rng.usize(..self.events.len());
            for _ in 0..64 {
                let e = &self.events[pick];
                if e.start <= t && t < e.start + e.span {
                    break;
                }
                pick = self.rng.usize(..self.events.len());
            }
            let e = &self.events[pick];
            let rng = &mut self.rng;
            // Everyday words follow a steep power law over a 5,000-word vocabulary.
            let common = |rng: &mut fastrand::Rng| word((5_000.0 * rng.f64().powi(3)) as usize);
            let mut title = vec![e.names[rng.usize(..3)].clone()];
            title.extend((0..3).map(|_| e.words[rng.usize(..8)].clone()));
            title.extend((0..4).map(|_| common(rng)));
            let mut lead = vec![e.names[rng.usize(..3)].clone()];
            for _ in 0..30 {
                if rng.u8(..3) == 0 {
                    lead.push(e.words[rng.usize(..8)].clone());
                } else {
                    lead.push(common(rng));
                }
            }
            let id = format!("a{}", self.next);
            let doc = Doc {
                url: Some(format!("https://outlet{}.example/{id}", rng.u8(..50))),
                guid: None,
                source: format!("outlet{}", rng.u8(..50)),
                title: title.join(" "),
                summary: lead.join(" ") + ".",
                published: base + TimeDelta::seconds(t),
                id,
            };
            out.push((doc, pick, e.topic));
            self.next += 1;
        }
        out
    }
}

/// The word with its first letter in upper case (a name).
fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Files an article past `STORYD_BENCH_COUNT_FROM`: a function of its own for valgrind to
/// count.
#[inline(never)]
fn counted(engine: &mut Engine, doc: &Doc) -> storyd::cluster::Assignment {
    engine.add(doc)
}

/// Seconds on some clock: wall time, or this thread's CPU time (Linux schedstat, in ns).
fn clock(cpu: bool, wall: Instant) -> f64 {
    if !cpu {
        return wall.elapsed().as_secs_f64();
    }
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}

/// `VmRSS` and `VmHWM` (peak) of this process in MiB, from /proc (zeros elsewhere).
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let total: usize = std::env::var("STORYD_BENCH_ARTICLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let mut jsonl = std::env::var("STORYD_BENCH_JSONL").ok().map(|path| {
        std::io::BufWriter::new(
            std::fs::File::create(&path).unwrap_or_else(|e| panic!("cannot create {path}: {e}")),
        )
    });
    let digest = std::env::var("STORYD_BENCH_DIGEST").is_ok_and(|v| v == "1");
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let mut decided = Vec::new();
    let cpu = std::env::var("STORYD_BENCH_CLOCK").is_ok_and(|v| v == "cpu");
    let wall = Instant::now();
    let topics: usize = std::env::var("STORYD_BENCH_TOPICS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut stream = Stream::new(total, topics);
    let mut engine = Engine::new(EngineConfig::default());
    let clock_name = if cpu { "thread CPU time" } else { "wall time" };
    println!(
        "engine: {total} title+lead articles over {DAYS} simulated days, one core, {clock_name}"
    );
    println!("  articles   slice art/s   us/article   stories open   RSS MiB   peak RSS MiB");
    let (mut done, mut all_secs) = (0usize, 0.0f64);
    let mut first_cost: Option<f64> = None;
    let mut last_cost = 0.0;
    // `STORYD_BENCH_STOP=N` ends the run after N articles of the stream (whose density
    // still follows its full length): a quicker look at the full window.
    let stop: usize = std::env::var("STORYD_BENCH_STOP")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(total, |n: usize| n.min(total));
    let count_from: usize = std::env::var("STORYD_BENCH_COUNT_FROM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX);
    let mut marks: Vec<usize> = MARKS.iter().copied().filter(|m| *m < stop).collect();
    marks.push(stop);
    for mark in marks {
        let (mut secs, start_done) = (0.0, done);
        while done < mark {
            let docs = stream.take((mark - done).min(10_000));
            if let Some(out) = jsonl.as_mut() {
                for (d, event, topic) in &docs {
                    let line = serde_json::json!({
                        "id": d.id, "title": d.title, "summary": d.summary,
                        "url": d.url, "source": d.source,
                        "published": d.published.to_rfc3339(), "event": format!("e{event}"),
                        "topic": topic.map(|t| format!("t{t}")),
                    });
                    writeln!(out, "{line}").expect("write JSONL");
                }
            }
            let t0 = clock(cpu, wall);
            for (i, (d, ..)) in docs.iter().enumerate() {
                let filed = if done + i >= count_from {
                    counted(&mut engine, d)
                } else {
                    engine.add(d)
                };
                if digest {
                    // Kept (not hashed) here: hashing happens after the clock stops.
                    decided.push(filed);
                } else {
                    std::hint::black_box(filed);
                }
            }
            secs += clock(cpu, wall) - t0;
            for a in decided.drain(..) {
                let kind = a.match_kind.as_str();
                (&a.story_id, kind, a.score.to_bits(), &a.duplicate_of).hash(&mut hasher);
                (&a.headline_article, &a.merged).hash(&mut hasher);
            }
            done += docs.len();
        }
        all_secs += secs;
        let (rss, peak) = memory_mib();
        let cost = secs * 1e6 / (done - start_done).max(1) as f64;
        first_cost.get_or_insert(cost);
        last_cost = cost;
        println!(
            "{done:>10}   {:>11.0}   {cost:>10.2}   {:>12}   {rss:>7.1}   {peak:>12.1}",
            (done - start_done) as f64 / secs.max(1e-9),
            engine.active_stories()
        );
    }
    println!(
        "overall: {:.0} articles/s; last slice / first slice cost: {:.2}",
        done as f64 / all_secs.max(1e-9),
        last_cost / first_cost.unwrap_or(last_cost).max(1e-9)
    );
    if digest {
        println!("decision digest: {:016x}", hasher.finish());
    }
    if let Some(mut out) = jsonl {
        out.flush().expect("flush JSONL");
    }
}

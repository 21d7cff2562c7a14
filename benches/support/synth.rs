//! Synthetic news for the benchmarks: a word model, events that several outlets cover, and
//! RSS documents that carry them, so the ingest, polling and query benchmarks feed the real
//! pipeline (parse -> normalize -> engine -> store) with text that behaves like news.
//!
//! The vocabulary is made of pronounceable pseudo-words drawn with a Zipf law, so common words
//! are common and rare words are rare, as in real headlines. An event has its own topic words
//! and named entities; articles about it mix those with background words, and some are
//! syndicated copies or the same URL reached through another feed. Everything is seeded, so
//! every run sees the same articles.

#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};

/// Syllables the pseudo-words are built from.
const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ten", "ra", "vos", "di", "bel", "nu", "sar", "pe", "gri", "to", "fam", "zu",
    "ler", "an", "qui", "so", "dem", "hal", "ve", "rok", "ti",
];

/// A Zipf-distributed vocabulary of pseudo-words and capitalized names.
pub struct WordModel {
    words: Vec<String>,
    cumulative: Vec<f64>,
    names: Vec<String>,
}

impl WordModel {
    /// `size` words and `size / 4` names, deterministic.
    pub fn new(size: usize) -> WordModel {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut seen = std::collections::HashSet::new();
        // Short words run out: after a few collisions the word grows a syllable.
        let mut make = |rng: &mut fastrand::Rng, parts: usize| {
            for attempt in 0.. {
                let w: String = (0..parts + attempt / 8)
                    .map(|_| SYLLABLES[rng.usize(..SYLLABLES.len())])
                    .collect();
                if seen.insert(w.clone()) {
                    return w;
                }
            }
            unreachable!("the attempts are unbounded")
        };
        let words: Vec<String> = (0..size)
            .map(|i| {
                let parts = 1 + (i / 300).min(3) + rng.usize(0..2);
                make(&mut rng, parts)
            })
            .collect();
        let names = (0..size / 4)
            .map(|_| {
                let parts = 2 + rng.usize(0..2);
                let mut n = make(&mut rng, parts);
                n[..1].make_ascii_uppercase();
                n
            })
            .collect();
        let mut total = 0.0;
        let cumulative = (1..=size)
            .map(|rank| {
                total += 1.0 / (rank as f64).powf(1.05);
                total
            })
            .collect();
        WordModel {
            words,
            cumulative,
            names,
        }
    }

    /// A word drawn by frequency.
    pub fn word(&self, rng: &mut fastrand::Rng) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.f64() * total;
        let i = self.cumulative.partition_point(|&c| c < x);
        &self.words[i.min(self.words.len() - 1)]
    }

    /// A word of middling frequency: the kind that makes a topic recognizable.
    pub fn topic_word(&self, rng: &mut fastrand::Rng) -> &str {
        &self.words[rng.usize(200..self.words.len())]
    }

    /// A capitalized name (person, place, organization).
    pub fn name(&self, rng: &mut fastrand::Rng) -> &str {
        &self.names[rng.usize(..self.names.len())]
    }
}

/// A real-world event in the simulation: what its articles talk about.
pub struct Event {
    /// Its number.
    pub id: u64,
    topic: Vec<String>,
    entities: Vec<String>,
}

impl Event {
    /// Event `id`, the same for the same model and id.
    pub fn new(model: &WordModel, id: u64) -> Event {
        let mut rng = fastrand::Rng::with_seed(id.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        Event {
            id,
            topic: (0..6)
                .map(|_| model.topic_word(&mut rng).to_owned())
                .collect(),
            entities: (0..3).map(|_| model.name(&mut rng).to_owned()).collect(),
        }
    }

    /// A fresh title and lead about this event.
    pub fn write(&self, model: &WordModel, rng: &mut fastrand::Rng) -> (String, String) {
        let mut title: Vec<&str> = vec![&self.entities[rng.usize(..2)]];
        for _ in 0..3 {
            title.push(&self.topic[rng.usize(..self.topic.len())]);
        }
        for _ in 0..rng.usize(3..7) {
            title.push(model.word(rng));
        }
        rng.shuffle(&mut title[1..]);
        let mut lead: Vec<&str> = Vec::new();
        for _ in 0..rng.usize(22..40) {
            let r = rng.u8(..10);
            lead.push(match r {
                0..=1 => &self.topic[rng.usize(..self.topic.len())],
                2 => &self.entities[rng.usize(..self.entities.len())],
                _ => model.word(rng),
            });
        }
        let mut lead = lead.join(" ");
        lead[..1].make_ascii_uppercase();
        lead.push('.');
        (title.join(" "), lead)
    }
}

/// One synthetic article, as an outlet would publish it.
#[derive(Clone, Debug)]
pub struct SynthArticle {
    /// Which outlet (feed) published it.
    pub feed: usize,
    /// Its GUID.
    pub guid: String,
    /// Its link.
    pub url: String,
    /// Title.
    pub title: String,
    /// Lead.
    pub summary: String,
    /// Publication time.
    pub published: DateTime<Utc>,
    /// The event it covers.
    pub event: u64,
}

/// A stream of articles over `days` simulated days from `start`: events start, get covered by
/// several outlets for a day or two, and fade.
pub struct NewsStream {
    model: WordModel,
    rng: fastrand::Rng,
    feeds: usize,
    start: DateTime<Utc>,
    step_ms: f64,
    produced: u64,
    recent: Vec<(Event, Vec<SynthArticle>)>,
    next_event: u64,
}

/// Events kept open to new coverage.
const OPEN_EVENTS: usize = 600;

impl NewsStream {
    /// `total` articles from `feeds` outlets spread over `days` days starting at `start`.
    pub fn new(feeds: usize, total: u64, days: u32, start: DateTime<Utc>, seed: u64) -> Self {
        NewsStream {
            model: WordModel::new(20_000),
            rng: fastrand::Rng::with_seed(seed),
            feeds,
            start,
            step_ms: f64::from(days) * 86_400_000.0 / total.max(1) as f64,
            produced: 0,
            recent: Vec::new(),
            next_event: 0,
        }
    }

    /// The word model the stream writes with.
    pub fn model(&self) -> &WordModel {
        &self.model
    }

    /// The next article, in publication order.
    pub fn next_article(&mut self) -> SynthArticle {
        let n = self.produced;
        self.produced += 1;
        let published = self.start + Duration::milliseconds((n as f64 * self.step_ms) as i64);
        let feed = self.rng.usize(..self.feeds);
        let new_event = self.recent.is_empty() || self.rng.f64() < 0.3;
        let slot = if new_event {
            let event = Event::new(&self.model, self.next_event);
            self.next_event += 1;
            if self.recent.len() == OPEN_EVENTS {
                self.recent.remove(0);
            }
            self.recent.push((event, Vec::new()));
            self.recent.len() - 1
        } else {
            // Recent events get most of the coverage.
            let back = (self.rng.f64().powi(3) * self.recent.len() as f64) as usize;
            self.recent.len() - 1 - back.min(self.recent.len() - 1)
        };
        let (event, earlier) = &mut self.recent[slot];
        let copy = earlier.last().filter(|_| self.rng.u8(..100) < 6).cloned();
        let article = match copy {
            // A wire story syndicated under another outlet's URL, or the same link again.
            Some(original) if self.rng.bool() => SynthArticle {
                feed,
                guid: format!("urn:bench:{n}"),
                url: format!("https://outlet{feed}.example/news/{n}"),
                published,
                ..original
            },
            Some(original) => SynthArticle {
                feed,
                guid: original.url.clone(),
                published,
                ..original
            },
            None => {
                let (title, summary) = event.write(&self.model, &mut self.rng);
                SynthArticle {
                    feed,
                    guid: format!("urn:bench:{n}"),
                    url: format!("https://outlet{feed}.example/news/{n}"),
                    title,
                    summary,
                    published,
                    event: event.id,
                }
            }
        };
        if earlier.len() < 64 {
            earlier.push(article.clone());
        }
        article
    }
}

/// Escapes text for an XML element.
pub fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An RSS 2.0 document with the given items.
pub fn rss(title: &str, link: &str, items: &[SynthArticle]) -> String {
    let mut out = String::with_capacity(256 + items.len() * 600);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>");
    out.push_str(&format!(
        "<title>{}</title><link>{}</link><description>Synthetic news</description>\n",
        xml_escape(title),
        xml_escape(link)
    ));
    for item in items {
        out.push_str(&format!(
            "<item><title>{}</title><link>{}</link><guid isPermaLink=\"false\">{}</guid>\
             <pubDate>{}</pubDate><description>{}</description></item>\n",
            xml_escape(&item.title),
            xml_escape(&item.url),
            xml_escape(&item.guid),
            item.published.to_rfc2822(),
            xml_escape(&item.summary)
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}

//! Normalize step: text that a feed repeats under many of its entries (a video channel's
//! "Subscribe to ... | Follow us on ..." footer, a show's name after its titles) is cut from
//! their summaries and titles, so that it neither shows as what an article says nor makes
//! unrelated articles of one outlet look like copies of each other to the story engine.
//!
//! In a summary, a run of words counts as boilerplate when every word of it lies in a word
//! 4-gram found in several entries of the same document, and the run is long: news phrases an
//! outlet repeats ("tested positive for Covid-19") are short, footers are sentences. In a
//! title, a leading or trailing part set off by a separator (" | ", " - ") counts when several
//! titles of the document carry the same part: the name of the show or outlet.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Words in the n-grams compared across entries.
const GRAM: usize = 4;
/// Fewest entries with a summary (or titles) for a document to be checked: three cannot
/// tell a footer from a story.
const MIN_ENTRIES: usize = 4;
/// Fewest entries an n-gram (or a title's part) must appear in.
const MIN_REPEATS: usize = 3;
/// Fewest entries it must appear in as a share of those checked.
const MIN_SHARE: f64 = 0.2;
/// Fewest words in a run of repeated n-grams for it to be cut.
const MIN_RUN: usize = 8;

/// Separators (with a space on either side) that set a show's or outlet's name off a title.
const TITLE_SEPARATORS: [char; 5] = ['|', '-', '–', '—', '•'];

/// Cuts the leading and trailing parts that many of a document's titles share, in place (a
/// title is never cut to nothing).
pub fn strip_titles(titles: &mut [&mut String]) {
    let parts: Vec<Vec<(usize, usize)>> = titles.iter().map(|t| title_parts(t)).collect();
    let split: Vec<usize> = (0..titles.len()).filter(|i| parts[*i].len() > 1).collect();
    if split.len() < MIN_REPEATS || titles.len() < MIN_ENTRIES {
        return;
    }
    let key = |i: usize, (a, b): (usize, usize)| text_hash(&titles[i][a..b]);
    let keys: Vec<Vec<u64>> = split
        .iter()
        .map(|&i| parts[i].iter().map(|r| key(i, *r)).collect())
        .collect();
    let shared_keys = shared(&keys, titles.len());
    let shared = |i: usize, r: (usize, usize)| shared_keys.contains(&key(i, r));
    let mut cut: Vec<(usize, (usize, usize))> = Vec::new();
    for &i in &split {
        let p = &parts[i];
        let (mut from, mut to) = (0, p.len());
        while to - from > 1 && shared(i, p[to - 1]) {
            to -= 1;
        }
        while to - from > 1 && shared(i, p[from]) {
            from += 1;
        }
        if to - from < p.len() {
            cut.push((i, (p[from].0, p[to - 1].1)));
        }
    }
    for (i, (a, b)) in cut {
        *titles[i] = titles[i][a..b].to_string();
    }
}

/// Byte ranges of the parts of a title between separators, trimmed (empty parts left out).
fn title_parts(title: &str) -> Vec<(usize, usize)> {
    let bytes = title.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    for (i, c) in title.char_indices() {
        let end = i + c.len_utf8();
        // A separator is one of its characters with a space on either side.
        let spaced = i > 0 && bytes[i - 1] == b' ' && bytes.get(end) == Some(&b' ');
        if spaced && TITLE_SEPARATORS.contains(&c) && i > from {
            push_trimmed(title, from, i - 1, &mut out);
            from = end + 1;
        }
    }
    push_trimmed(title, from.min(title.len()), title.len(), &mut out);
    out
}

/// Adds the trimmed range `a..b` of `text` unless it is empty.
fn push_trimmed(text: &str, a: usize, b: usize, out: &mut Vec<(usize, usize)>) {
    let part = &text[a..b];
    let start = a + (part.len() - part.trim_start().len());
    let end = b - (part.len() - part.trim_end().len());
    if start < end {
        out.push((start, end));
    }
}

/// Cuts the boilerplate runs out of a document's summaries, in place.
pub fn strip(summaries: &mut [&mut String]) {
    // Only a summary of at least a run's length can hold one.
    let keys: Vec<Vec<u64>> = summaries
        .iter()
        .map(|s| {
            let words = words(s);
            if words.len() >= MIN_RUN {
                grams(&words)
            } else {
                Vec::new()
            }
        })
        .collect();
    let with_text = keys.iter().filter(|g| !g.is_empty()).count();
    if with_text < MIN_ENTRIES {
        return;
    }
    let shared_grams = shared(&keys, with_text);
    let frequent = |g: &u64| shared_grams.contains(g);
    for (summary, grams) in summaries.iter_mut().zip(&keys) {
        if !grams.iter().any(frequent) {
            continue;
        }
        // Read again only here, for the few summaries that share an n-gram: holding every
        // summary's words until now would cost more than reading these twice.
        let words = words(summary);
        let mut repeated = vec![false; words.len()];
        for (i, g) in grams.iter().enumerate() {
            if frequent(g) {
                repeated[i..i + GRAM].iter_mut().for_each(|r| *r = true);
            }
        }
        if let Some(kept) = without_runs(summary, &words, &repeated) {
            **summary = kept;
        }
    }
}

/// The keys (of n-grams or title parts) that enough of the `entries` entries hold: at
/// least [`MIN_REPEATS`] and [`MIN_SHARE`] of them; `keys` lists each entry's keys.
fn shared(keys: &[Vec<u64>], entries: usize) -> HashSet<u64, BuildHasherDefault<Prehashed>> {
    let needed = MIN_REPEATS.max((entries as f64 * MIN_SHARE).ceil() as usize);
    // Per key: the entries holding it, and the last entry counted.
    let mut holding: HashMap<u64, (usize, usize), BuildHasherDefault<Prehashed>> =
        HashMap::default();
    for (entry, keys) in keys.iter().enumerate() {
        for k in keys {
            let (count, last) = holding.entry(*k).or_insert((0, usize::MAX));
            if *last != entry {
                *count += 1;
                *last = entry;
            }
        }
    }
    holding
        .into_iter()
        .filter(|(_, (count, _))| *count >= needed)
        .map(|(k, _)| k)
        .collect()
}

/// A hasher for keys that are well-mixed hashes already: they pass through.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used (the keys are u64), but correct if it were.
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01B3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A word of a text: its byte range, and the hash of its lowercase form.
#[derive(Debug, Clone, Copy)]
struct Word {
    start: usize,
    end: usize,
    hash: u64,
}

/// The whitespace-separated words of a text, hashed as they are read.
fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    let mut hash = FNV_OFFSET;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(start) = start.take() {
                out.push(Word {
                    start,
                    end: i,
                    hash,
                });
            }
        } else {
            if start.is_none() {
                start = Some(i);
                hash = FNV_OFFSET;
            }
            hash = fnv_char(hash, c);
        }
    }
    if let Some(start) = start {
        out.push(Word {
            start,
            end: text.len(),
            hash,
        });
    }
    out
}

/// The FNV-1a offset basis: the hash of no characters.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Folds one character, lowercased, into an FNV-1a hash.
fn fnv_char(mut hash: u64, c: char) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01B3;
    if c.is_ascii() {
        return (hash ^ u64::from(c.to_ascii_lowercase() as u8)).wrapping_mul(PRIME);
    }
    for lower in c.to_lowercase() {
        hash = (hash ^ u64::from(u32::from(lower))).wrapping_mul(PRIME);
    }
    hash
}

/// The hash of a text, lowercased (a title's part).
fn text_hash(text: &str) -> u64 {
    text.chars().fold(FNV_OFFSET, fnv_char)
}

/// Hashes of the word n-grams of a text, one per starting word.
fn grams(words: &[Word]) -> Vec<u64> {
    words
        .windows(GRAM)
        .map(|w| {
            let h = w.iter().fold(GRAM as u64, |acc, word| {
                (acc.rotate_left(23) ^ word.hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            });
            h ^ (h >> 29)
        })
        .collect()
}

/// The text with its runs of at least [`MIN_RUN`] repeated words cut (runs joined by a
/// space), or `None` when there is no such run.
fn without_runs(text: &str, words: &[Word], repeated: &[bool]) -> Option<String> {
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if !repeated[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < words.len() && repeated[i] {
            i += 1;
        }
        if i - start >= MIN_RUN {
            cuts.push((start, i));
        }
    }
    if cuts.is_empty() {
        return None;
    }
    let mut kept: Vec<&str> = Vec::new();
    let mut from = 0;
    for (start, end) in cuts {
        if start > from {
            kept.push(text[words[from].start..words[start - 1].end].trim());
        }
        from = end;
    }
    if from < words.len() {
        kept.push(text[words[from].start..words[words.len() - 1].end].trim());
    }
    Some(kept.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOOTER: &str = "Subscribe to our channel: https://example.net/subscribe | Watch the \
                          evening bulletin daily at six or catch up on demand anytime";

    /// The texts after `cut` (one of [`strip`], [`strip_titles`]) ran over them as a document.
    fn cut(texts: &[impl AsRef<str>], cut: fn(&mut [&mut String])) -> Vec<String> {
        let mut owned: Vec<String> = texts.iter().map(|t| t.as_ref().to_owned()).collect();
        let mut refs: Vec<&mut String> = owned.iter_mut().collect();
        cut(&mut refs);
        owned
    }

    fn run(texts: &[impl AsRef<str>]) -> Vec<String> {
        cut(texts, strip)
    }

    #[test]
    fn a_footer_under_every_entry_is_cut_and_what_each_says_stays() {
        let leads = [
            "The harbour bridge reopens after two years of repairs.",
            "Farmers count the cost of the late frost in the valley.",
            "A new ferry route links the islands from next month.",
            "The city council votes to keep the night buses running.",
        ];
        let texts: Vec<String> = leads.iter().map(|l| format!("{l} {FOOTER}")).collect();
        assert_eq!(run(&texts), leads);
    }

    #[test]
    fn a_footer_in_the_middle_leaves_both_sides() {
        let sides = [
            ("Rain floods the lower town.", "Roads reopen by noon."),
            ("Striking nurses march again.", "Talks resume on Friday."),
            ("A comet is seen over the bay.", "Skies stay clear tonight."),
            (
                "Storm damage closes two schools.",
                "Pupils learn from home.",
            ),
        ];
        let texts: Vec<String> = sides
            .iter()
            .map(|(lead, tail)| format!("{lead} {FOOTER} {tail}"))
            .collect();
        let want: Vec<String> = sides.iter().map(|(l, t)| format!("{l} {t}")).collect();
        assert_eq!(run(&texts), want);
    }

    #[test]
    fn short_shared_phrases_and_small_documents_are_left_alone() {
        let shared: Vec<String> = (0..6)
            .map(|i| format!("In town {i} officials say {i} more people tested positive overnight, up from {}", i + 2))
            .collect();
        assert_eq!(
            run(&shared),
            shared,
            "a repeated phrase shorter than a run stays"
        );
        let few = [
            format!("One. {FOOTER}"),
            format!("Two. {FOOTER}"),
            format!("Three. {FOOTER}"),
        ];
        assert_eq!(
            run(&few),
            few,
            "three entries cannot tell a footer from a story"
        );
    }

    fn titles(texts: &[impl AsRef<str>]) -> Vec<String> {
        cut(texts, strip_titles)
    }

    #[test]
    fn a_show_name_on_most_titles_is_cut_and_the_rest_stays() {
        let got = titles(&[
            "Van catches fire on the highway | Evening Bulletin | Evening Bulletin",
            "Dog found a year after it went missing | Evening Bulletin",
            "Evening Bulletin | Cemeteries fill up weeks before the holiday",
            "Night market returns - Evening Bulletin",
            "Evening Bulletin",
            "Mayor: the bridge will reopen - sooner than planned",
        ]);
        assert_eq!(
            got,
            [
                "Van catches fire on the highway",
                "Dog found a year after it went missing",
                "Cemeteries fill up weeks before the holiday",
                "Night market returns",
                "Evening Bulletin",
                "Mayor: the bridge will reopen - sooner than planned",
            ]
        );
    }

    #[test]
    fn a_part_few_titles_share_stays() {
        let got = titles(&[
            "Can a new alliance deter China? | Inside Story",
            "Is the recovery real? | Inside Story",
            "Floods in the north | Morning Edition",
            "Strike ends at the port",
            "Rates rise again",
            "Harvest comes in early",
            "Ferry services resume",
            "Talks stall in the capital",
            "Heatwave grips the south",
            "Markets close higher",
            "Museum opens its doors",
            "Team wins the final",
        ]);
        assert_eq!(got[0], "Can a new alliance deter China? | Inside Story");
    }

    #[test]
    fn any_text_is_cut_only_at_word_and_part_boundaries() {
        // Multi-byte letters, separators and spaces in random runs: nothing panics, a title
        // keeps some text, and what is kept of each text appeared in it, in order.
        let pieces = [
            "ä",
            "Ж",
            "語",
            " ",
            "  ",
            " | ",
            " - ",
            " — ",
            "•",
            "-",
            "|",
            "a",
            "B",
            "Subscribe",
            "to",
            "our",
            "channel",
            "now",
            "7.30PM",
            "\u{3000}",
            "\t",
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..300 {
            let footer: String = (0..rng.usize(0..30))
                .map(|_| pieces[rng.usize(..pieces.len())])
                .collect();
            let texts: Vec<String> = (0..rng.usize(0..9))
                .map(|_| {
                    let own: String = (0..rng.usize(0..20))
                        .map(|_| pieces[rng.usize(..pieces.len())])
                        .collect();
                    if rng.bool() {
                        format!("{own}{footer}")
                    } else {
                        own
                    }
                })
                .collect();
            let summaries = run(&texts);
            let cut_titles = titles(&texts);
            for ((text, summary), title) in texts.iter().zip(&summaries).zip(&cut_titles) {
                assert!(in_order(summary, text), "{summary:?} from {text:?}");
                assert!(in_order(title, text), "{title:?} from {text:?}");
                assert_eq!(title.trim().is_empty(), text.trim().is_empty(), "{text:?}");
            }
        }
    }

    /// Whether the words of `kept` appear in `text` in the same order.
    fn in_order(kept: &str, text: &str) -> bool {
        let mut rest = text;
        kept.split_whitespace().all(|w| match rest.find(w) {
            Some(i) => {
                rest = &rest[i + w.len()..];
                true
            }
            None => false,
        })
    }

    #[test]
    fn text_that_is_all_footer_becomes_empty() {
        let texts = [FOOTER, FOOTER, FOOTER, FOOTER];
        assert!(run(&texts).iter().all(String::is_empty));
    }
}

//! Which language an article is written in, and that language's stemmer and stop words:
//! the first decision of tokenizing (see [`super::tokenize`]).
//!
//! Text whose letters are all ASCII is taken as English without asking whatlang, which
//! keeps the common case cheap (whatlang costs several times what the rest of the engine
//! does; curly quotes and dashes alone do not send a text to it). When such a text reads
//! as no English does (few English function words in its title and lead: Tagalog,
//! Indonesian, French without accents), the tokenizer asks [`by_stop_words`], which picks
//! the language whose function words it uses; a headline too short to tell is taken in
//! its source's last language. A language's stop words are those of the
//! `stop-words` crate (NLTK's list where it has one, else Stopwords ISO's), always with
//! storyd's English list beside them: news in any language quotes English, and a text
//! whatlang misreads keeps losing its English function words.

use super::hashing::{self, IdMap};
use rust_stemmers::Algorithm;
use std::sync::OnceLock;
use whatlang::Lang;

/// The languages storyd knows: whatlang's name for it, its Snowball stemmer if there is
/// one, and its ISO 639-1 code (the stop-word list; English has storyd's own).
const LANGUAGES: [(Lang, Option<Algorithm>, &str); 44] = [
    (Lang::Eng, Some(Algorithm::English), "en"),
    (Lang::Fra, Some(Algorithm::French), "fr"),
    (Lang::Deu, Some(Algorithm::German), "de"),
    (Lang::Spa, Some(Algorithm::Spanish), "es"),
    (Lang::Ita, Some(Algorithm::Italian), "it"),
    (Lang::Por, Some(Algorithm::Portuguese), "pt"),
    (Lang::Nld, Some(Algorithm::Dutch), "nl"),
    (Lang::Swe, Some(Algorithm::Swedish), "sv"),
    (Lang::Nob, Some(Algorithm::Norwegian), "no"),
    (Lang::Dan, Some(Algorithm::Danish), "da"),
    (Lang::Fin, Some(Algorithm::Finnish), "fi"),
    (Lang::Rus, Some(Algorithm::Russian), "ru"),
    (Lang::Hun, Some(Algorithm::Hungarian), "hu"),
    (Lang::Ron, Some(Algorithm::Romanian), "ro"),
    (Lang::Tur, Some(Algorithm::Turkish), "tr"),
    (Lang::Ara, Some(Algorithm::Arabic), "ar"),
    (Lang::Ell, Some(Algorithm::Greek), "el"),
    (Lang::Tam, Some(Algorithm::Tamil), ""),
    (Lang::Tgl, None, "tl"),
    (Lang::Ind, None, "id"),
    (Lang::Vie, None, "vi"),
    (Lang::Pol, None, "pl"),
    (Lang::Ces, None, "cs"),
    (Lang::Slk, None, "sk"),
    (Lang::Slv, None, "sl"),
    (Lang::Hrv, None, "hr"),
    (Lang::Ukr, None, "uk"),
    (Lang::Bul, None, "bg"),
    (Lang::Lit, None, "lt"),
    (Lang::Lav, None, "lv"),
    (Lang::Est, None, "et"),
    (Lang::Cat, None, "ca"),
    (Lang::Afr, None, "af"),
    (Lang::Epo, None, "eo"),
    (Lang::Lat, None, "la"),
    (Lang::Zul, None, "zu"),
    (Lang::Aze, None, "az"),
    (Lang::Heb, None, "he"),
    (Lang::Pes, None, "fa"),
    (Lang::Urd, None, "ur"),
    (Lang::Hin, None, "hi"),
    (Lang::Ben, None, "bn"),
    (Lang::Mar, None, "mr"),
    (Lang::Guj, None, "gu"),
];

// A language is one bit of a stop word's profile (see `profiles`).
const _: () = assert!(LANGUAGES.len() <= 64);

/// Language slots: one per known language, and the last for text in any other.
pub(crate) const SLOTS: usize = LANGUAGES.len() + 1;

/// The slot of English (and of plain ASCII text until it reads otherwise).
pub(crate) const ENGLISH: usize = 0;

/// English function words and headline filler, dropped from terms and entity runs in
/// every language.
const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "about", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are",
    "as", "at", "be", "because", "been", "before", "being", "between", "both", "but", "by", "can",
    "could", "did", "do", "does", "doing", "don", "down", "during", "each", "few", "for", "from",
    "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how",
    "i", "if", "in", "into", "is", "it", "its", "just", "me", "more", "most", "my", "no", "nor",
    "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "out", "over", "own",
    "said", "same", "say", "says", "she", "should", "so", "some", "such", "than", "that", "the",
    "their", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "under", "until", "up", "us", "very", "was", "we", "were", "what", "when", "where", "which",
    "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yet", "via", "new",
    "news", "update", "updates", "video", "watch", "live", "report", "reports", "photos", "am",
    "pm", "et", "gmt",
];

/// A text of plain ASCII reads as English unless fewer than this share of the words of its
/// title and lead are English stop words (English prose runs at 30-50%) ...
pub(crate) const FOREIGN_SHARE: f32 = 0.12;
/// ... and then as another language if at least this share of them are that language's
/// stop words ...
const FOREIGN_STOP_SHARE: f32 = 0.25;
/// ... and at least one different one in this many words, from 2 to 5 (a made-up word or
/// a name can look like one, over and over).
const FOREIGN_DISTINCT_PER: usize = 6;
/// ... over at least this many words (a short headline says too little).
pub(crate) const FOREIGN_MIN_WORDS: usize = 6;

/// The Snowball stemmer of a slot's language, if it has one.
pub(crate) fn stemmer(slot: usize) -> Option<Algorithm> {
    LANGUAGES.get(slot).and_then(|l| l.1)
}

/// Whether a word (its lowercase form hashed with [`hashing::word`]) is a stop word in a
/// slot's language or in English.
pub(crate) fn is_stop_word(slot: usize, word: u64) -> bool {
    let own = if slot < LANGUAGES.len() { 1 << slot } else { 0 };
    profiles()
        .get(&word)
        .is_some_and(|bits| bits & (own | 1 << ENGLISH) != 0)
}

/// Each stop word of any list (by its hash, see [`hashing::word`]) to the slots whose list
/// has it, as bits: one table for telling stop words and for telling languages apart.
fn profiles() -> &'static IdMap<u64> {
    static PROFILES: OnceLock<IdMap<u64>> = OnceLock::new();
    PROFILES.get_or_init(|| {
        let mut map = IdMap::default();
        let lists = LANGUAGES.iter().enumerate().map(|(slot, l)| match l.0 {
            Lang::Eng => (slot, ENGLISH_STOP_WORDS),
            _ => (slot, stop_words_of(l.2)),
        });
        for (slot, list) in lists {
            for w in list {
                *map.entry(hashing::word(w)).or_insert(0u64) |= 1 << slot;
            }
        }
        map
    })
}

/// The stop-word list of an ISO 639-1 code (empty for a language without one). Every code
/// of [`LANGUAGES`] is one the crate knows (a unit test checks them all).
fn stop_words_of(code: &str) -> &'static [&'static str] {
    if code.is_empty() {
        return &[];
    }
    stop_words::get(code)
}

/// The language whose stop words make up the largest share of `words` (hashed with
/// [`hashing::word`]), if that share of `len` and the number of different ones are
/// enough to tell, and larger than English's.
pub(crate) fn by_stop_words(words: impl Iterator<Item = u64>, len: usize) -> Option<usize> {
    let profiles = profiles();
    // Per language: the words that are its stop words, and how many of them differ.
    let mut hits = [0usize; LANGUAGES.len()];
    let mut distinct = [0usize; LANGUAGES.len()];
    let mut seen: Vec<u64> = Vec::with_capacity(len);
    for w in words {
        let Some(bits) = profiles.get(&w).copied() else {
            continue;
        };
        let new = !seen.contains(&w);
        if new {
            seen.push(w);
        }
        let mut rest = bits;
        while rest != 0 {
            let slot = rest.trailing_zeros() as usize;
            hits[slot] += 1;
            distinct[slot] += usize::from(new);
            rest &= rest - 1;
        }
    }
    // The first of the best wins a tie (the table's order).
    let (best, n) =
        hits.iter().enumerate().fold(
            (ENGLISH, 0),
            |acc, (i, n)| if *n > acc.1 { (i, *n) } else { acc },
        );
    let enough = n as f32 >= FOREIGN_STOP_SHARE * len as f32
        && distinct[best] >= (len / FOREIGN_DISTINCT_PER).clamp(2, 5);
    (best != ENGLISH && n > hits[ENGLISH] && enough).then_some(best)
}

/// The slot for a text as a cheap first guess: English when every letter is ASCII (curly
/// quotes and dashes are no sign of another language), else [`detect`].
pub(crate) fn guess(title: &str, summary: &str) -> usize {
    let plain = |t: &str| t.is_ascii() || t.chars().all(|c| c.is_ascii() || !c.is_alphabetic());
    if plain(title) && plain(summary) {
        return ENGLISH;
    }
    detect(title, summary)
}

/// The slot of whatlang's guess at a text's language (its title and the start of its
/// summary), the last slot for a language storyd does not know.
fn detect(title: &str, summary: &str) -> usize {
    let mut end = summary.len().min(400);
    while !summary.is_char_boundary(end) {
        end -= 1;
    }
    let sample = format!("{title} {}", &summary[..end]);
    whatlang::detect_lang(&sample)
        .and_then(|lang| LANGUAGES.iter().position(|l| l.0 == lang))
        .unwrap_or(LANGUAGES.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_is_listed_once_and_has_its_stop_words() {
        for (i, (lang, _, code)) in LANGUAGES.iter().enumerate() {
            assert_eq!(LANGUAGES.iter().position(|l| l.0 == *lang), Some(i));
            if !code.is_empty() {
                assert!(!stop_words_of(code).is_empty(), "{code}");
            }
        }
        assert_eq!(stemmer(ENGLISH), Some(Algorithm::English));
        assert_eq!(stemmer(SLOTS - 1), None);
    }

    #[test]
    fn stop_words_are_per_language_with_english_beside_them() {
        let is_stop_word = |slot: usize, w: &str| is_stop_word(slot, hashing::word(w));
        let (de, tl) = (slot(Lang::Deu), slot(Lang::Tgl));
        assert!(is_stop_word(de, "und") && is_stop_word(de, "der"));
        assert!(is_stop_word(tl, "ng") && is_stop_word(tl, "mga"));
        assert!(is_stop_word(de, "the") && is_stop_word(tl, "the"));
        assert!(!is_stop_word(ENGLISH, "und") && !is_stop_word(ENGLISH, "ng"));
        assert!(!is_stop_word(de, "sturm") && !is_stop_word(SLOTS - 1, "und"));
        assert!(is_stop_word(SLOTS - 1, "the"));
    }

    /// The slot of a language.
    fn slot(lang: Lang) -> usize {
        LANGUAGES.iter().position(|l| l.0 == lang).unwrap_or(SLOTS)
    }

    /// [`by_stop_words`] on the words of a text.
    fn profile(text: &str) -> Option<usize> {
        let words: Vec<u64> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| hashing::word(&w.to_lowercase()))
            .collect();
        by_stop_words(words.iter().copied(), words.len())
    }

    #[test]
    fn plain_ascii_is_english_unless_its_function_words_say_otherwise() {
        assert_eq!(guess("Bagong tulay", "Sinabi ng mga opisyal."), ENGLISH);
        assert_ne!(
            guess("Neuer Zugverkehr", "Die Züge fahren wieder."),
            ENGLISH
        );
        // Curly quotes and dashes are no sign of another language.
        let (title, lead) = (
            "‘Relief’ in Sydney — lockdown ends",
            "“We’re back,” one said.",
        );
        assert_eq!(guess(title, lead), ENGLISH);
        let tagalog = "Sinabi ng mga opisyal na ang bagong tulay ay bubuksan sa susunod na \
                       buwan matapos ang mahabang pagkukumpuni sa lungsod.";
        assert_eq!(profile(tagalog), Some(slot(Lang::Tgl)));
        let french = "Le conseil a vote le budget de la ville pour l'annee prochaine, et les \
                      impots ne changeront pas selon le maire.";
        assert_eq!(profile(french), Some(slot(Lang::Fra)));
        let english = "The council passed the city budget for next year, and taxes will not \
                       change according to the mayor.";
        assert_eq!(profile(english), None);
        // Words of no language at all (names, made-up words) leave the text English, even
        // when a few look like another language's stop words, over and over.
        assert_eq!(
            profile("Kalomi tenra vosdi belnu sarpe grito famzu lerqui"),
            None
        );
        let repeated = "ka lo mi ka vos ka lo mi ka ten lo ka mi lo ka ".repeat(2);
        assert_eq!(profile(&repeated), None);
        // A Tagalog headline has fewer words, and fewer different function words.
        let headline = "Mga bahay ng may sakit at mga kapitbahay sa Pateros, minamarkahan";
        assert_eq!(profile(headline), Some(slot(Lang::Tgl)));
    }
}

//! The words of a title, as the word index keeps them and as a `q` search looks them up.
//!
//! A word is a run of letters and digits (`char::is_alphanumeric`, so any script), lowercased,
//! after NFKC normalization (full-width letters, ligatures and other compatibility forms become
//! their plain letters). Latin, Greek and Cyrillic letters lose their diacritics, so `zurich`
//! finds "Zürich" and `sao` finds "São". Scripts written without spaces between words (Han,
//! Hiragana, Katakana, Thai, Lao, Khmer, Myanmar, ...) give one word per character, so such
//! titles can be searched at all. Everything else (spaces, punctuation, symbols) separates
//! words. Titles and queries go through the same function, so they always agree.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Longest word kept, in characters: longer runs are cut (in titles and queries alike), so a
/// key stays small and a query word longer than this matches on its first characters.
pub const MAX_WORD_CHARS: usize = 32;

/// The distinct words of `text`, in order of first appearance.
pub fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = Word::default();
    for c in text.nfkc().flat_map(char::to_lowercase) {
        if unspaced(c) {
            word.finish(&mut out);
            if c.is_alphanumeric() {
                word.push(c);
                word.finish(&mut out);
            }
        } else if c.is_alphanumeric() {
            word.push(c);
        } else if is_combining_mark(c) && word.len > 0 {
            // A mark left on a letter NFKC could not compose with: folded away on the scripts
            // that fold, kept elsewhere (Devanagari vowel signs, say, are part of the word).
            if !word.last_folds {
                word.push_raw(c);
            }
        } else {
            word.finish(&mut out);
        }
    }
    word.finish(&mut out);
    out
}

/// The word being read.
#[derive(Default)]
struct Word {
    text: String,
    len: usize,
    last_folds: bool,
}

impl Word {
    /// Appends a letter or digit, without its diacritics when its script folds them.
    fn push(&mut self, c: char) {
        if c.is_ascii() {
            self.push_raw(c);
            self.last_folds = true;
        } else if folds(c) {
            let mut base = None;
            decompose_canonical(c, |d| {
                if base.is_none() && !is_combining_mark(d) {
                    base = Some(d);
                }
            });
            // A lone mark that counts as a letter (U+0345) has no base to keep.
            let Some(base) = base else {
                return;
            };
            // A final sigma is a sigma: "ΟΔΟΣ" lowercases letter by letter to "οδοσ".
            let base = match base {
                'ς' => 'σ',
                b => b,
            };
            self.push_raw(base);
            self.last_folds = true;
        } else {
            self.push_raw(c);
            self.last_folds = false;
        }
    }

    fn push_raw(&mut self, c: char) {
        if self.len < MAX_WORD_CHARS {
            self.text.push(c);
            self.len += 1;
        }
    }

    /// Moves the word (if any, and if new) into `out` and starts the next one.
    fn finish(&mut self, out: &mut Vec<String>) {
        if self.len > 0 {
            let word = std::mem::take(&mut self.text);
            if !out.contains(&word) {
                out.push(word);
            }
        }
        self.len = 0;
        self.last_folds = false;
    }
}

/// True for the non-ASCII letters of the scripts whose diacritics are folded: Latin, Greek and
/// Cyrillic (ASCII letters fold trivially).
fn folds(c: char) -> bool {
    matches!(c as u32,
        0x00C0..=0x052F      // Latin-1 letters to Cyrillic Supplement
        | 0x1E00..=0x1FFF    // Latin Extended Additional, Greek Extended
    )
}

/// True for characters of scripts written without spaces between words: each is a word.
fn unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF      // Thai, Lao
        | 0x1000..=0x109F    // Myanmar
        | 0x1780..=0x17FF    // Khmer
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x3100..=0x312F    // Bopomofo
        | 0x31F0..=0x31FF    // Katakana Phonetic Extensions
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xA000..=0xA4CF    // Yi
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
        | 0xFF66..=0xFF9F    // Halfwidth Katakana
        | 0x20000..=0x3FFFF  // CJK Extensions B and later
    )
}

/// True when title word `word` matches query word `query`: the query word is its prefix.
pub fn matches(word: &str, query: &str) -> bool {
    word.starts_with(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_words_are_lowercased_alphanumeric_runs() {
        assert_eq!(
            words("Earthquake hits Port Velin: 6.8 magnitude, G20 summit!"),
            vec![
                "earthquake",
                "hits",
                "port",
                "velin",
                "6",
                "8",
                "magnitude",
                "g20",
                "summit"
            ]
        );
    }

    #[test]
    fn punctuation_and_symbols_separate_words_and_repeats_count_once() {
        assert_eq!(
            words("Rain, rain -- RAIN?! (rain/snow) \"it's\" #1 €5 a+b"),
            vec!["rain", "snow", "it", "s", "1", "5", "a", "b"]
        );
        assert!(words(" ... -- !? ").is_empty());
        assert!(words("").is_empty());
    }

    #[test]
    fn digits_of_any_script_are_words() {
        assert_eq!(words("2026: ٣ ways"), vec!["2026", "٣", "ways"]);
        assert_eq!(words("COVID-19"), vec!["covid", "19"]);
    }

    #[test]
    fn accents_fold_in_latin_greek_and_cyrillic() {
        assert_eq!(words("São Paulo Zürich"), vec!["sao", "paulo", "zurich"]);
        assert_eq!(words("Crème BRÛLÉE"), vec!["creme", "brulee"]);
        // The same word decomposed (NFD) and composed gives the same key.
        assert_eq!(words("Cafe\u{301}"), words("Café"));
        assert_eq!(words("Ἀθῆναι"), vec!["αθηναι"]);
        assert_eq!(words("Ёлка"), vec!["елка"]);
        assert_eq!(words("ΟΔΟΣ οδος"), vec!["οδοσ"]);
        assert_eq!(words("İstanbul"), vec!["istanbul"]);
    }

    #[test]
    fn other_scripts_keep_their_marks_and_whole_words() {
        // Devanagari vowel signs belong to the word; Hangul and Arabic are spaced scripts.
        assert_eq!(words("भारत चुनाव"), vec!["भारत", "चुनाव"]);
        assert_eq!(words("서울 지진"), vec!["서울", "지진"]);
        assert_eq!(words("زلزال القاهرة"), vec!["زلزال", "القاهرة"]);
    }

    #[test]
    fn unspaced_scripts_give_a_word_per_character() {
        assert_eq!(words("東京地震"), vec!["東", "京", "地", "震"]);
        assert_eq!(
            words("東京で地震、M6.8"),
            vec!["東", "京", "で", "地", "震", "m6", "8"]
        );
        assert_eq!(words("カメラ"), vec!["カ", "メ", "ラ"]);
        // Half-width katakana and full-width Latin normalize to their plain forms.
        assert_eq!(words("ｶﾒﾗ"), words("カメラ"));
        assert_eq!(words("ＡＢＣ１２"), vec!["abc12"]);
        assert_eq!(words("แผ่นดินไหว").first().map(String::as_str), Some("แ"));
        assert!(words("新冠pandemic").contains(&"pandemic".to_string()));
    }

    #[test]
    fn long_words_are_cut_the_same_way_in_titles_and_queries() {
        let long = "a".repeat(50);
        assert_eq!(words(&long), vec!["a".repeat(MAX_WORD_CHARS)]);
    }

    #[test]
    fn a_query_word_matches_the_words_it_begins() {
        assert!(matches("earthquakes", "earthquake"));
        assert!(matches("rain", "rain"));
        assert!(!matches("ukraine", "rain"));
        assert!(!matches("rai", "rain"));
    }
}

//! Normalize step: a date (and time) that opens a summary, as some outlets print one before
//! every lead ("October 17, 2021 8:00 PM The initiative aims..."), is cut. The entry's own
//! date already says when; the words would make unrelated articles of one day look alike.

use crate::calendar;

/// Separators that may follow a dateline.
const SEPARATORS: [&str; 5] = ["|", "-", "–", "—", ":"];

/// The summary without a leading dateline; unchanged when it has none, or when nothing
/// would be left after it.
pub fn strip(summary: &str) -> &str {
    // A dateline is a dozen words at most.
    let words: Vec<(usize, &str)> = summary
        .split_whitespace()
        .take(12)
        .map(|w| (w.as_ptr() as usize - summary.as_ptr() as usize, w))
        .collect();
    let taken = dateline_words(&words);
    match words.get(taken) {
        Some((start, _)) if taken > 0 => &summary[*start..],
        _ => summary,
    }
}

/// How many of the leading words form a dateline (0 when they do not).
fn dateline_words(words: &[(usize, &str)]) -> usize {
    let texts: Vec<&str> = words.iter().map(|(_, w)| *w).collect();
    let word = |i: usize| texts.get(i).copied();
    let mut i = 0;
    if word(i).is_some_and(is_weekday) {
        i += 1;
    }
    // Month Day[,] [Year[,]] | Day [de] Month[,] [[de] Year[,]] | YYYY-MM-DD
    if let Some(date) = calendar::date_at(&texts, i) {
        i += date.words;
    } else if word(i).is_some_and(is_iso_date) {
        i += 1;
    } else {
        return 0;
    }
    // [at] H:MM [AM|PM] [zone]
    if word(i).is_some_and(|w| w.eq_ignore_ascii_case("at")) && word(i + 1).is_some_and(is_time) {
        i += 1;
    }
    if word(i).is_some_and(is_time) {
        i += 1;
        if word(i).is_some_and(is_meridiem) {
            i += 1;
        }
        if word(i).is_some_and(is_zone) {
            i += 1;
        }
    }
    if word(i).is_some_and(|w| SEPARATORS.contains(&w)) {
        i += 1;
    }
    i
}

/// The word without trailing punctuation.
fn bare(word: &str) -> &str {
    word.trim_end_matches([',', '.', ';'])
}

fn is_weekday(word: &str) -> bool {
    calendar::is_weekday(bare(word))
}

fn is_year(word: &str) -> bool {
    calendar::year(bare(word)).is_some()
}

fn is_iso_date(word: &str) -> bool {
    let w = bare(word);
    let parts: Vec<&str> = w.split('-').collect();
    parts.len() == 3
        && is_year(parts[0])
        && parts[1].len() == 2
        && parts[2].len() == 2
        && parts[1..]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_time(word: &str) -> bool {
    let w = bare(word).to_ascii_lowercase();
    let w = w
        .trim_end_matches("am")
        .trim_end_matches("pm")
        .trim_end_matches("a.m")
        .trim_end_matches("p.m");
    let Some((h, m)) = w.split_once([':', '.']) else {
        return false;
    };
    h.parse::<u8>().is_ok_and(|h| h < 24) && m.len() == 2 && m.parse::<u8>().is_ok_and(|m| m < 60)
}

fn is_meridiem(word: &str) -> bool {
    ["am", "pm", "a.m", "p.m"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(bare(word)))
}

fn is_zone(word: &str) -> bool {
    let w = word.trim_end_matches([',', '.', ':']);
    (2..=4).contains(&w.len()) && w.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_date_and_time_are_cut() {
        for (text, want) in [
            (
                "October 17, 2021 8:00 PM The initiative aims to ease the load.",
                "The initiative aims to ease the load.",
            ),
            (
                "Sunday, 18 September 2013 | Ministers met.",
                "Ministers met.",
            ),
            ("Aug 2, 2013 08:06 PT - A host returns.", "A host returns."),
            ("2021-10-17 12:00 UTC: Markets open.", "Markets open."),
            ("Oct. 11 — Rain is due.", "Rain is due."),
            (
                "lundi 17 octobre 2021 - Le marché ouvre.",
                "Le marché ouvre.",
            ),
            (
                "Lunes, 18 de octubre de 2021 - Abre el mercado.",
                "Abre el mercado.",
            ),
            ("17 de outubro: O mercado abre.", "O mercado abre."),
            (
                "понедельник, 18 октября 2021 - Рынок открылся.",
                "Рынок открылся.",
            ),
        ] {
            assert_eq!(strip(text), want, "{text}");
        }
    }

    #[test]
    fn any_text_keeps_a_suffix_of_itself() {
        let pieces = [
            "Oct",
            "October",
            "17",
            "17,",
            "2021",
            "8:00",
            "PM",
            "UTC:",
            "|",
            "—",
            "Sunday,",
            "de",
            "octubre",
            "2021-10-17",
            "ä",
            "語",
            " ",
            "  ",
            "\u{3000}",
            "3rd",
            "x",
        ];
        let mut rng = fastrand::Rng::with_seed(3);
        for _ in 0..2000 {
            let text: String = (0..rng.usize(0..10))
                .map(|_| pieces[rng.usize(..pieces.len())])
                .collect();
            let kept = strip(&text);
            assert!(text.ends_with(kept), "{kept:?} from {text:?}");
            assert_eq!(kept.trim().is_empty(), text.trim().is_empty(), "{text:?}");
        }
    }

    #[test]
    fn text_that_only_begins_with_a_number_or_a_month_word_stays() {
        for text in [
            "17 people were hurt when the roof fell.",
            "March organisers expect ten thousand people.",
            "May 2021 be remembered as the year of the flood",
            "The summit ended on October 17, 2021 without a deal.",
            "October 17, 2021",
            "17 de los heridos siguen en el hospital.",
        ] {
            assert_eq!(strip(text), text);
        }
    }
}

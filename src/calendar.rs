//! Calendar words as news text writes them (month and weekday names, in English in full or
//! short and in full in the other languages of the feeds storyd meets most; days of the
//! month; years; the marks of Chinese, Japanese and Korean dates), read in two places:
//! normalize, which cuts a dateline that opens a summary ([`crate::feed`]), and the engine,
//! which leaves out the day an article names as its own ([`crate::cluster`]).

use std::collections::HashSet;
use std::sync::OnceLock;

/// Month names, January first.
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Month names in French, German, Spanish, Portuguese, Italian, Dutch, Tagalog, and (in the
/// form a date takes, "17 октября") Russian, Ukrainian and Polish, in full and in lower case,
/// January first. Only full names: their short forms are English words ("mar", "ago") too
/// often.
const OTHER_MONTHS: [[&str; 12]; 10] = [
    [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    [
        "januar",
        "februar",
        "märz",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "dezember",
    ],
    [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ],
    [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
    [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    [
        "enero",
        "pebrero",
        "marso",
        "abril",
        "mayo",
        "hunyo",
        "hulyo",
        "agosto",
        "setyembre",
        "oktubre",
        "nobyembre",
        "disyembre",
    ],
    [
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ],
    [
        "січня",
        "лютого",
        "березня",
        "квітня",
        "травня",
        "червня",
        "липня",
        "серпня",
        "вересня",
        "жовтня",
        "листопада",
        "грудня",
    ],
    [
        "stycznia",
        "lutego",
        "marca",
        "kwietnia",
        "maja",
        "czerwca",
        "lipca",
        "sierpnia",
        "września",
        "października",
        "listopada",
        "grudnia",
    ],
];

/// Weekday names.
const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Weekday names in the same languages as [`OTHER_MONTHS`], in full and in lower case.
const OTHER_WEEKDAYS: [[&str; 7]; 10] = [
    [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ],
    [
        "montag",
        "dienstag",
        "mittwoch",
        "donnerstag",
        "freitag",
        "samstag",
        "sonntag",
    ],
    [
        "lunes",
        "martes",
        "miércoles",
        "jueves",
        "viernes",
        "sábado",
        "domingo",
    ],
    [
        "segunda-feira",
        "terça-feira",
        "quarta-feira",
        "quinta-feira",
        "sexta-feira",
        "sábado",
        "domingo",
    ],
    [
        "lunedì",
        "martedì",
        "mercoledì",
        "giovedì",
        "venerdì",
        "sabato",
        "domenica",
    ],
    [
        "maandag",
        "dinsdag",
        "woensdag",
        "donderdag",
        "vrijdag",
        "zaterdag",
        "zondag",
    ],
    [
        "lunes",
        "martes",
        "miyerkules",
        "huwebes",
        "biyernes",
        "sabado",
        "linggo",
    ],
    [
        "понедельник",
        "вторник",
        "среда",
        "четверг",
        "пятница",
        "суббота",
        "воскресенье",
    ],
    [
        "понеділок",
        "вівторок",
        "середа",
        "четвер",
        "п'ятниця",
        "субота",
        "неділя",
    ],
    [
        "poniedziałek",
        "wtorek",
        "środa",
        "czwartek",
        "piątek",
        "sobota",
        "niedziela",
    ],
];

/// The position of `word` (in any case) in the first of the lists that holds it in full.
fn position_in<const N: usize>(lists: &[[&str; N]], word: &str) -> Option<usize> {
    // The longest name, "воскресенье", has 22 bytes (Cyrillic letters take two).
    if !(3..=22).contains(&word.len()) {
        return None;
    }
    // An ASCII word lowercases to as many bytes: only a name of its length can match, and
    // comparing the lengths first spares decoding the others (this runs on most words).
    if word.is_ascii() {
        return lists
            .iter()
            .find_map(|names| names.iter().position(|n| n.eq_ignore_ascii_case(word)));
    }
    let lower = || word.chars().flat_map(char::to_lowercase);
    lists
        .iter()
        .find_map(|names| names.iter().position(|n| n.chars().eq(lower())))
}

/// Whether `w` is `name` or (when `short` allows its length) the start of it, in any case.
fn names(name: &str, w: &str, short: std::ops::RangeInclusive<usize>) -> bool {
    name.eq_ignore_ascii_case(w)
        || (short.contains(&w.len())
            && name
                .get(..w.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(w)))
}

/// The month (1 to 12) a word names, in any case: in English in full or by its first 3 or
/// 4 letters (`Oct`, `Sept`), in the other languages in full (`octobre`, `März`).
pub fn month(word: &str) -> Option<u32> {
    MONTHS
        .iter()
        .position(|m| names(m, word, 3..=4))
        .or_else(|| position_in(&OTHER_MONTHS, word))
        .map(|i| i as u32 + 1)
}

/// Whether a word names a weekday, in any case: in English in full or by its first 3
/// letters, in the other languages in full (`lundi`, `Sábado`).
pub fn is_weekday(word: &str) -> bool {
    WEEKDAYS.iter().any(|d| names(d, word, 3..=3)) || position_in(&OTHER_WEEKDAYS, word).is_some()
}

/// Words of a dateline besides the date itself, in any case: time zones, a.m./p.m., and
/// "last updated at" or "published" ("18 September 2013 Last updated at 13:59 GMT").
const CLOCK_WORDS: &str = "gmt utc bst cet cest eet est edt cst cdt mst mdt pst pdt et pt ist jst \
    am pm a.m p.m updated published posted last";

/// Whether a word is a month or a weekday (as [`month`] and [`is_weekday`] read them) or a
/// clock word (a time zone, a.m. or p.m., "updated"): the words a dateline is made of
/// besides its numbers. An ASCII word takes at most two set lookups (the names as written,
/// then the clock words without a trailing point), where the functions it stands for
/// compare it with some two hundred names.
pub fn is_calendar_word(word: &str) -> bool {
    static NAMES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    static CLOCK: OnceLock<HashSet<&'static str>> = OnceLock::new();
    if !word.is_ascii() {
        // The clock words are all ASCII.
        return month(word).is_some() || is_weekday(word);
    }
    let names = NAMES.get_or_init(|| {
        let english = MONTHS
            .iter()
            .flat_map(|m| [m.get(..3), m.get(..4), Some(*m)])
            .chain(WEEKDAYS.iter().flat_map(|d| [d.get(..3), Some(*d)]))
            .flatten();
        let others = OTHER_MONTHS
            .iter()
            .flatten()
            .chain(OTHER_WEEKDAYS.iter().flatten());
        english
            .chain(others.copied())
            .filter(|n| n.is_ascii())
            .collect()
    });
    let clock = CLOCK.get_or_init(|| CLOCK_WORDS.split_ascii_whitespace().collect());
    lowercase_in(names, word) || lowercase_in(clock, word.trim_end_matches('.'))
}

/// Whether the ASCII word, in lower case, is in the set (without allocating).
fn lowercase_in(set: &HashSet<&str>, word: &str) -> bool {
    let mut buf = [0u8; 24];
    let Some(bytes) = buf.get_mut(..word.len()) else {
        return false;
    };
    bytes.copy_from_slice(word.as_bytes());
    bytes.make_ascii_lowercase();
    std::str::from_utf8(bytes).is_ok_and(|w| set.contains(w))
}

/// Whether the letters after a number's digits make it an ordinal (`st`, `nd`, `rd`, `th`,
/// in any case).
pub fn is_ordinal_suffix(suffix: &str) -> bool {
    ["st", "nd", "rd", "th"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(suffix))
}

/// The day of the month (1 to 31) a word gives: `11`, `11th`, `1ST`.
pub fn day_of_month(word: &str) -> Option<u32> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &word[digits.len()..];
    let ordinal = suffix.is_empty() || is_ordinal_suffix(suffix);
    if !ordinal || digits.is_empty() || digits.len() > 2 {
        return None;
    }
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

/// The year a word gives: four digits from 1900 to 2099.
pub fn year(word: &str) -> Option<u16> {
    if word.len() != 4 || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    word.parse().ok().filter(|y| (1900..2100).contains(y))
}

/// Words that may stand between a day, its month and its year ("11 de octubre de 2021").
const LINKS: [&str; 2] = ["de", "del"];

/// The characters that follow a year, a month and a day number in Chinese and Japanese
/// ("2021年10月17日") and in Korean ("10월 17일").
const CJK_MARKS: [[char; 3]; 2] = [['年', '月', '日'], ['년', '월', '일']];

/// What a word marks the number before it as in Chinese, Japanese or Korean, when it opens
/// with a year's, a month's or a day's mark ("日", or "日电" where the tokenizer paired the
/// mark with the next character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CjkMark {
    /// 年, 년.
    Year,
    /// 月, 월.
    Month,
    /// 日, 일.
    Day,
}

/// The date part a word marks in Chinese, Japanese or Korean, if it opens with a mark.
pub fn cjk_mark(word: &str) -> Option<CjkMark> {
    let first = word.chars().next()?;
    let part = CJK_MARKS
        .iter()
        .find_map(|m| m.iter().position(|c| *c == first))?;
    Some([CjkMark::Year, CjkMark::Month, CjkMark::Day][part])
}

/// A date as a text writes it, read from its first word by [`date_at`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrittenDate {
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month, 1 to 31.
    pub day: u32,
    /// The year, when the text gives one.
    pub year: Option<u16>,
    /// How many words the date takes.
    pub words: usize,
}

/// The date that starts at `words[i]`, if one does: Month Day or Day (de) Month, then the
/// year if given, (de) Year ("October 17, 2021", "Oct. 11", "11 October", "17 de octubre
/// de 2021"), or a date in Chinese, Japanese or Korean split into its numbers and marks
/// ("2021 年 10 月 17 日"). Commas, full stops, semicolons and colons that end a word are not
/// part of it.
pub fn date_at(words: &[&str], i: usize) -> Option<WrittenDate> {
    let word = |j: usize| {
        words
            .get(j)
            .map(|w| w.trim_end_matches([',', '.', ';', ':']))
    };
    if let Some(date) = cjk_date_at(&word, i) {
        return Some(date);
    }
    let is_link =
        |j: usize| word(j).is_some_and(|w| LINKS.iter().any(|l| l.eq_ignore_ascii_case(w)));
    let past_link = |j: usize| j + usize::from(is_link(j));
    let first = word(i)?;
    let (month, day, after) = match month(first) {
        Some(m) => (m, day_of_month(word(i + 1)?)?, i + 2),
        None => {
            let day = day_of_month(first)?;
            let at = past_link(i + 1);
            (month(word(at)?)?, day, at + 1)
        }
    };
    let at = past_link(after);
    let year = word(at).and_then(year);
    let end = if year.is_some() { at + 1 } else { after };
    Some(WrittenDate {
        month,
        day,
        year,
        words: end - i,
    })
}

/// The date in Chinese, Japanese or Korean that starts at word `i` ([Y 年] M 月 D 日, each
/// number a word of its own and each mark opening the next word), read by `word`.
fn cjk_date_at<'a>(word: &impl Fn(usize) -> Option<&'a str>, i: usize) -> Option<WrittenDate> {
    let marked = |j: usize, part: CjkMark| word(j).and_then(cjk_mark) == Some(part);
    let (year, at) = match word(i).and_then(year) {
        Some(y) if marked(i + 1, CjkMark::Year) => (Some(y), i + 2),
        _ => (None, i),
    };
    let month = word(at)
        .filter(|w| w.len() <= 2 && w.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|w| w.parse::<u32>().ok())
        .filter(|m| (1..=12).contains(m) && marked(at + 1, CjkMark::Month))?;
    let day = day_of_month(word(at + 2)?).filter(|_| marked(at + 3, CjkMark::Day))?;
    Some(WrittenDate {
        month,
        day,
        year,
        words: at + 4 - i,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calendar_word_set_reads_words_as_the_name_lists_do() {
        // Each name list as `month` and `is_weekday` read it, and the clock words in any
        // case, a trailing point aside.
        let clock = |w: &str| {
            let w = w.trim_end_matches('.');
            CLOCK_WORDS
                .split_ascii_whitespace()
                .any(|c| c.eq_ignore_ascii_case(w))
        };
        let slow = |w: &str| month(w).is_some() || is_weekday(w) || clock(w);
        let mut names: Vec<&str> = MONTHS.iter().chain(&WEEKDAYS).copied().collect();
        names.extend(OTHER_MONTHS.iter().flatten());
        names.extend(OTHER_WEEKDAYS.iter().flatten());
        names.extend(CLOCK_WORDS.split_ascii_whitespace());
        let mut words: Vec<String> = ["", "x", "Mayday", "mar", "Sept.", "A.M.", "GMT", "März"]
            .map(String::from)
            .to_vec();
        for name in names {
            for end in (1..=name.len()).filter(|e| name.is_char_boundary(*e)) {
                let w = &name[..end];
                words.extend([
                    w.to_string(),
                    w.to_uppercase(),
                    format!("{w}."),
                    format!("{w}s"),
                ]);
            }
        }
        for w in &words {
            assert_eq!(is_calendar_word(w), slow(w), "{w:?}");
        }
    }

    #[test]
    fn reads_names_days_and_years() {
        assert_eq!(month("October"), Some(10));
        assert_eq!(month("SEPT"), Some(9));
        assert_eq!(month("oct"), Some(10));
        assert_eq!(month("Octopus"), None);
        assert_eq!(month("ma"), None);
        assert_eq!(month("octobre"), Some(10));
        assert_eq!(month("MÄRZ"), Some(3));
        assert_eq!(month("Décembre"), Some(12));
        assert_eq!(month("Oktubre"), Some(10));
        assert_eq!(month("agosto"), Some(8));
        assert_eq!(month("ago"), None);
        assert_eq!(month("agos"), None);
        assert!(is_weekday("Sun") && is_weekday("MONDAY") && !is_weekday("Sund"));
        assert!(is_weekday("lundi") && is_weekday("Sábado") && is_weekday("segunda-feira"));
        assert!(!is_weekday("lun") && !is_weekday("Domin"));
        assert_eq!(month("октября"), Some(10));
        assert_eq!(month("ЛИСТОПАДА"), Some(11));
        assert_eq!(month("Października"), Some(10));
        assert_eq!(month("окт"), None);
        assert!(is_weekday("Воскресенье") && is_weekday("п'ятниця") && is_weekday("środa"));
        assert_eq!(day_of_month("11th"), Some(11));
        assert_eq!(day_of_month("1ST"), Some(1));
        assert_eq!(day_of_month("32"), None);
        assert_eq!(day_of_month("011"), None);
        assert_eq!(day_of_month("11pm"), None);
        assert_eq!(year("2021"), Some(2021));
        assert_eq!(year("2100"), None);
        assert_eq!(year("+202"), None);
    }

    #[test]
    fn reads_a_date_from_its_first_word() {
        let read = |text: &str, i: usize| {
            let words: Vec<&str> = text.split_whitespace().collect();
            date_at(&words, i).map(|d| (d.month, d.day, d.year, d.words))
        };
        assert_eq!(
            read("October 17, 2021 8:00 PM", 0),
            Some((10, 17, Some(2021), 3))
        );
        assert_eq!(read("Oct. 11 — Rain", 0), Some((10, 11, None, 2)));
        assert_eq!(read("on 11 October the", 1), Some((10, 11, None, 2)));
        assert_eq!(
            read("17 de octubre de 2021 -", 0),
            Some((10, 17, Some(2021), 5))
        );
        assert_eq!(read("3 de noviembre de los", 0), Some((11, 3, None, 3)));
        assert_eq!(read("12. Oktober 2021", 0), Some((10, 12, Some(2021), 3)));
        assert_eq!(
            read("2021 年 10 月 17 日电", 0),
            Some((10, 17, Some(2021), 6))
        );
        assert_eq!(read("北京 10 月 17 日", 1), Some((10, 17, None, 4)));
        assert_eq!(read("10 월 17 일", 0), Some((10, 17, None, 4)));
        assert_eq!(cjk_mark("日电"), Some(CjkMark::Day));
        assert_eq!(cjk_mark("전일"), None);
        for text in [
            "May 2021 be",
            "17 people were",
            "de octubre 17",
            "2021 October 17",
            "13 月 17 日",
            "10 月 17 个",
        ] {
            assert_eq!(read(text, 0), None, "{text}");
        }
    }
}

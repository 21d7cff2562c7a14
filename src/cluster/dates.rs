//! Dates a text names that are its own day of publication, give or take two days: part of
//! tokenizing (see [`super::tokenize`]).
//!
//! "Best of cartoons, October 11, 2021" and "The President's address (11 October 2021)"
//! share nothing but the day they were written, and the engine's clock already knows that
//! day. Left in, such dates make one day's unrelated items look alike; so the words of a
//! date within [`SLACK_DAYS`] of the article's own day are left out of its features. A date
//! further off says something the clock does not ("the March 2013 quake") and stays.
//! Dates as [`crate::calendar::date_at`] reads them (month names in English, and in full in
//! several other languages; the "de" of "11 de octubre de 2021"; "10月11日" and "10월 11일");
//! a date without a year is taken in the year that puts it nearest the article's day, and a
//! Chinese, Japanese or Korean day alone ("11日") in the month that does.
//!
//! A title that is only a dateline keeps its dates, whatever their day, and its years, and
//! nothing else ([`dates_and_years`]).

use crate::calendar::{CjkMark, WrittenDate, cjk_mark, date_at, day_of_month, year};
use chrono::{Datelike, Months, NaiveDate};

/// Days between a date in the text and the article's own day within which the date only
/// says when the article was written.
const SLACK_DAYS: i64 = 2;

/// Which of the words (as split, punctuation gone) belong to a date within
/// [`SLACK_DAYS`] of `day`: "October 11, 2021", "11 October", "Oct 11th", "11 de octubre",
/// "10 月 11 日".
pub(crate) fn own_dates(words: &[&str], day: NaiveDate) -> Vec<bool> {
    let mut mask = vec![false; words.len()];
    // A date holds a day number: look around those (month names are slower to read).
    let mut free = 0; // the first word not yet part of a date
    for i in 0..words.len() {
        if i < free {
            continue;
        }
        let Some(d) = day_of_month(words[i]) else {
            continue;
        };
        // Where the date starts and ends, and the day it names.
        let mark = words.get(i + 1).and_then(|w| cjk_mark(w));
        let found = if matches!(mark, Some(CjkMark::Month | CjkMark::Day)) {
            // Chinese, Japanese, Korean: [Y 年] M 月 D 日 around the number (a month's or a
            // day's); or D 日 alone, in the month that puts it nearest the article's day.
            let full = [i.checked_sub(4), i.checked_sub(2), Some(i)]
                .into_iter()
                .flatten()
                .filter(|s| *s >= free)
                .find_map(|s| Some((s, date_at(words, s).filter(|w| s + w.words > i)?)));
            match full {
                Some((s, w)) => Some((s, s + w.words, named_day(day, w))),
                None if mark == Some(CjkMark::Day) => Some((i, i + 2, nearest_in_month(day, d))),
                None => None,
            }
        } else {
            // Month Day (the date starts before the number), or Day [de] Month.
            i.checked_sub(1)
                .filter(|b| *b >= free)
                .and_then(|b| Some((b, date_at(words, b)?)))
                .or_else(|| Some((i, date_at(words, i)?)))
                .map(|(s, w)| (s, s + w.words, named_day(day, w)))
        };
        let Some((start, end, date)) = found else {
            continue;
        };
        if date.is_some_and(|date| (date - day).num_days().abs() <= SLACK_DAYS) {
            mask[start..end].iter_mut().for_each(|w| *w = true);
        }
        free = end;
    }
    mask
}

/// Which of the words (as split, punctuation gone) belong to a date, whatever its day
/// ("September 18th, 2013", "11 October"), or are a year: what a dateline for a title
/// keeps (see [`super::tokenize`]).
pub(crate) fn dates_and_years(words: &[&str]) -> Vec<bool> {
    let mut mask = vec![false; words.len()];
    let mut i = 0;
    while i < words.len() {
        match date_at(words, i) {
            Some(date) => {
                let end = (i + date.words.max(1)).min(words.len());
                mask[i..end].iter_mut().for_each(|m| *m = true);
                i = end;
            }
            None => {
                mask[i] = year(words[i]).is_some();
                i += 1;
            }
        }
    }
    mask
}

/// The day a written date names: in its year, or without one in the year that puts it
/// nearest `day`.
fn named_day(day: NaiveDate, w: WrittenDate) -> Option<NaiveDate> {
    match w.year {
        Some(y) => NaiveDate::from_ymd_opt(i32::from(y), w.month, w.day),
        None => nearest(day, w.month, w.day),
    }
}

/// Day `d` of the month before, of, or after `day`'s, whichever is nearest to it.
fn nearest_in_month(day: NaiveDate, d: u32) -> Option<NaiveDate> {
    let first = day.with_day(1)?;
    let month = Months::new(1);
    [
        first.checked_sub_months(month),
        Some(first),
        first.checked_add_months(month),
    ]
    .into_iter()
    .flatten()
    .filter_map(|month| month.with_day(d))
    .min_by_key(|date| (*date - day).num_days().abs())
}

/// The date of month `m`, day `d` nearest to `day` (the year before, of, or after it).
fn nearest(day: NaiveDate, m: u32, d: u32) -> Option<NaiveDate> {
    (day.year() - 1..=day.year() + 1)
        .filter_map(|y| NaiveDate::from_ymd_opt(y, m, d))
        .min_by_key(|date| (*date - day).num_days().abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words (as the tokenizer split them) that are not the day's date.
    fn masked_words<'a>(words: &[&'a str], day: (i32, u32, u32)) -> Vec<&'a str> {
        let day = NaiveDate::from_ymd_opt(day.0, day.1, day.2).expect("a date");
        let mask = own_dates(words, day);
        words
            .iter()
            .zip(mask)
            .filter(|(_, m)| !m)
            .map(|(w, _)| *w)
            .collect()
    }

    /// The words of a text (split at what is not a letter or digit) that are not the day's
    /// date.
    fn masked(text: &str, day: (i32, u32, u32)) -> Vec<&str> {
        let words: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        masked_words(&words, day)
    }

    #[test]
    fn the_articles_own_day_is_left_out() {
        let day = (2021, 10, 11);
        assert_eq!(
            masked("Best of cartoons, October 12, 2021", day),
            ["Best", "of", "cartoons"]
        );
        assert_eq!(
            masked("Address to the nation (11 October 2021)", day),
            ["Address", "to", "the", "nation"]
        );
        assert_eq!(
            masked("Updates for Oct 9th as it happened", day),
            ["Updates", "for", "as", "it", "happened"]
        );
        // Other languages.
        assert_eq!(
            masked("Conférence de presse du 11 octobre 2021", day),
            ["Conférence", "de", "presse", "du"]
        );
        assert_eq!(
            masked("Rueda de prensa, 10 de octubre de 2021", day),
            ["Rueda", "de", "prensa"]
        );
        assert_eq!(
            masked("Pressekonferenz am 12. Oktober", day),
            ["Pressekonferenz", "am"]
        );
        assert_eq!(
            masked("Balita ngayong Oktubre 11", day),
            ["Balita", "ngayong"]
        );
        assert_eq!(
            masked("Пресс-конференция 11 октября 2021 года", day),
            ["Пресс", "конференция", "года"]
        );
        assert_eq!(masked("Konferencja 10 października", day), ["Konferencja"]);
        // Chinese, Japanese and Korean, split as the tokenizer splits them.
        assert_eq!(
            masked_words(&["新华", "华社", "北京", "10", "月", "11", "日电"], day),
            ["新华", "华社", "北京"]
        );
        assert_eq!(
            masked_words(&["2021", "年", "10", "月", "12", "日", "東京"], day),
            ["東京"]
        );
        assert_eq!(
            masked_words(&["政府", "府は", "10", "日の"], day),
            ["政府", "府は"]
        );
        assert_eq!(
            masked_words(&["10", "월", "11", "일", "서울"], day),
            ["서울"]
        );
        // A day alone, written on the 1st: the last day of the month before.
        assert_eq!(masked_words(&["31", "日", "夜"], (2021, 11, 1)), ["夜"]);
        // New Year's Eve, written on the 1st.
        assert_eq!(
            masked("Fireworks on December 31", (2022, 1, 1)),
            ["Fireworks", "on"]
        );
    }

    #[test]
    fn other_dates_and_numbers_stay() {
        let day = (2021, 10, 11);
        let kept = |t: &str| masked(t, day).len() == t.split_whitespace().count();
        assert!(kept("The quake of March 14 2013 returns"));
        assert!(kept("Polls close on November 3"));
        assert!(kept("Record 1284 cases in May"));
        assert!(kept("May 40 people gather"));
        assert!(kept("Oct 2021 figures"));
        assert!(kept("Terremoto del 14 de marzo de 2013"));
        assert!(kept("Elecciones el 3 de noviembre"));
        assert!(kept("Rover lands 3 weeks ago"));
        assert_eq!(masked_words(&["3", "月", "14", "日"], day).len(), 4);
        assert_eq!(masked_words(&["3", "日間"], day).len(), 2);
    }
}

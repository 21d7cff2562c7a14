//! Text to features: the first thing the engine does with an article.
//!
//! Words are split on Unicode boundaries (numbers keep their `.`/`,` separators, names
//! their number: `COVID-19`, and initials their points: `U.S.` is `US`), and the article's
//! own day named in its text is left out (see [`super::dates`]), as is the clock of a title
//! that is only a dateline ("18 September 2013 Last updated at 13:59 GMT"). Scripts written
//! without spaces (CJK, Thai) become character bigrams so they neither vanish nor collapse
//! into one token, and the language picks the stemmer and the stop words (see
//! [`super::language`]). Entity-like phrases (capitalized runs, acronyms, numbers with what
//! follows them) are a separate signal because they are what tells two look-alike events
//! apart, and so are years and counts (a number, in digits or spelled out in English, and
//! the word after it: "23 pirates", "five people", "the twelfth Doctor"; not a count of
//! time: "a fourth day", "eight days"). A headline In Title Case capitalizes every word, so
//! when it has no lead its names are the words that the stream has shown to be names
//! (written capitalized inside sentences, rarely in lower case).

use super::dates;
use super::flat::FlatMap;
use super::hashing::{self, Feature, IdMap, feature, fold, hash};
use super::language::{self, ENGLISH, FOREIGN_MIN_WORDS, FOREIGN_SHARE, SLOTS};
use crate::calendar::{day_of_month, is_calendar_word, is_ordinal_suffix, year};
use chrono::NaiveDate;
use rust_stemmers::Stemmer;
use std::borrow::Cow;

/// Namespace of stemmed terms.
const TERM_NS: u64 = 0x7465_726d;
/// Namespace of surface words as written (the stem cache's keys).
const RAW_NS: u64 = 0x7261_7777;
/// Namespace of entity-like phrases.
const ENTITY_NS: u64 = 0x656e_7469;
/// Words of the summary that count as the lead.
const LEAD_WORDS: usize = 60;
/// Lead terms under which an article borrows the words of its URL's slug.
const SHORT_LEAD: usize = 8;
/// Words of title and summary that feed near-duplicate shingles.
const SHINGLE_WORDS: usize = 300;
/// Times a word must have been seen capitalized inside a sentence to count as a name ...
const NAME_SEEN: u32 = 2;
/// ... and how many times more often than in lower case.
const NAME_RATIO: u32 = 3;
/// A stem cache (or the case counts) larger than this is dropped and rebuilt, bounding memory
/// (just under three quarters of 2^19: the most a flat table of 2^19 slots holds).
const CACHE_LIMIT: usize = 390_000;

/// A count: the term of the thing counted and the hash of the number ("23 pirates").
pub(crate) type Count = (Feature, u64);

/// The features of one article.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Features {
    /// Stemmed content terms of the title.
    pub title: Vec<Feature>,
    /// Stemmed content terms of the lead (the summary's first words).
    pub lead: Vec<Feature>,
    /// Entity-like phrases of title and lead (numbers told from names by [`is_name`]).
    pub entities: Vec<Feature>,
    /// The names among `entities` that stand only as words of longer names ("American" of
    /// "American Eagle Outfitters"), never alone; sorted and distinct.
    pub name_parts: Vec<Feature>,
    /// Lowercase word hashes of title and summary, in order, for shingles.
    pub words: Vec<u64>,
    /// Stemmed content terms of the URL's slug, for an article with (almost) no lead.
    pub slug: Vec<Feature>,
    /// Years (1900 to 2099) named in title and lead, sorted and distinct.
    pub years: Vec<u16>,
    /// Counts in title and lead: (term of the word, number) for a number followed in the
    /// same sentence by a content word ("23 pirates"), years aside; sorted and distinct.
    pub quantities: Vec<Count>,
    /// The language slot the text was read in (see [`super::language`]).
    pub lang: usize,
    /// Whether the title says something beside when it was written (see [`says_more`]):
    /// "27 NOVEMBER, 2005" or "Last updated at 13:59 GMT" does not.
    pub titled: bool,
}

/// What the cache knows about one surface word in one language.
#[derive(Clone, Copy, Default)]
struct WordInfo {
    /// The stemmed term, unless it is a stop word.
    term: Option<Feature>,
    /// The lowercase word.
    word: u64,
}

/// One word as split from the text.
struct Word<'a> {
    raw: &'a str,
    capitalized: bool,
    acronym: bool,
    number: bool,
    sentence_start: bool,
}

/// Which capitalized words of a text start or extend a name.
#[derive(Clone, Copy, PartialEq)]
enum Capitals {
    /// Every capitalized word (a lone one at a sentence start is just grammar).
    Runs,
    /// Only those the stream has shown to be names (a Title Case headline without a lead).
    KnownNames,
    /// None (a Title Case headline whose lead names the names).
    Ignored,
}

/// Turns text into [`Features`]; keeps stemmers and a stem cache between articles.
pub(crate) struct Tokenizer {
    /// The stemmer of each language slot that has one.
    stemmers: Vec<Option<Stemmer>>,
    /// One cache per language slot, keyed by the 64-bit hash of the surface word (no key
    /// strings to allocate or compare).
    caches: Vec<FlatMap<u64, WordInfo>>,
    /// How often each word (by its lowercase hash) was seen capitalized inside a sentence,
    /// and in lower case: names are the words that are almost always capitalized.
    case: FlatMap<u64, (u32, u32)>,
    /// The language each source (by its key, [`hashing::source`]) was last seen writing in, when
    /// a text of its could tell.
    sources: IdMap<usize>,
    /// The numbers spelled out ([`SPELLED`]), by the lowercase hash of the word.
    spelled: SpelledNumbers,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Tokenizer {
            stemmers: (0..SLOTS)
                .map(|slot| language::stemmer(slot).map(Stemmer::create))
                .collect(),
            caches: (0..SLOTS).map(|_| FlatMap::default()).collect(),
            case: FlatMap::default(),
            sources: IdMap::default(),
            spelled: SpelledNumbers::default(),
        }
    }
}

impl Tokenizer {
    /// Extracts the features of an article from its title, summary and URL.
    #[cfg(test)]
    pub fn features(&mut self, title: &str, summary: &str, url: Option<&str>) -> Features {
        self.features_from(hashing::source(""), None, title, summary, url)
    }

    /// Extracts the features of an article of `source` (its key, [`hashing::source`]),
    /// published on `day`, from its title, summary and URL.
    pub fn features_from(
        &mut self,
        source: u64,
        day: Option<NaiveDate>,
        title: &str,
        summary: &str,
        url: Option<&str>,
    ) -> Features {
        let mut slot = language::guess(title, summary);
        let mut out = Features::default();
        // The article's own day, named in its text, says nothing the clock does not.
        let words = |text| {
            let mut words = split_words(text);
            // A date has a day number: most texts have no number at all.
            if let Some(day) = day.filter(|_| words.iter().any(|w| w.number)) {
                let raws: Vec<&str> = words.iter().map(|w| w.raw).collect();
                let mut own = dates::own_dates(&raws, day).into_iter();
                words.retain(|_| !own.next().unwrap_or(false));
            }
            words
        };
        let (title, summary) = (rejoin_decimals(title), rejoin_decimals(summary));
        let title_words = words(&title);
        let summary_words = words(&summary);
        // Each word is looked up once; the entities below reuse what the lookup found.
        // Summary words past both the lead and the shingles are not needed.
        let needed = LEAD_WORDS.max(SHINGLE_WORDS.saturating_sub(title_words.len()));
        let summary_used = &summary_words[..needed.min(summary_words.len())];
        let mut title_info = self.infos(slot, &title_words);
        let mut summary_info = self.infos(slot, summary_used);
        let lead_len = summary_info.len().min(LEAD_WORDS);
        // Plain ASCII was taken as English without asking: it may be another language.
        if slot == ENGLISH {
            let raws = title_words.iter().chain(&summary_words[..lead_len]);
            let infos = title_info.iter().chain(&summary_info[..lead_len]);
            if let Some(other) = self.other_language(source, raws.zip(infos)) {
                slot = other;
                title_info = self.infos(slot, &title_words);
                summary_info = self.infos(slot, summary_used);
            }
        }
        out.titled = says_more(&title_words, &title_info);
        // A dateline for a title: its clock ("13:59 GMT", "last updated at") says nothing
        // of the event, its date (if not the article's own day) may.
        let (title_words, title_info): (Vec<Word>, Vec<WordInfo>) = if out.titled {
            (title_words, title_info)
        } else {
            let raws: Vec<&str> = title_words.iter().map(|w| w.raw).collect();
            let keep = dates::dates_and_years(&raws);
            (title_words.into_iter().zip(title_info).zip(keep))
                .filter_map(|(pair, keep)| keep.then_some(pair))
                .unzip()
        };
        out.title.reserve(title_info.len());
        out.lead.reserve(lead_len);
        out.words
            .reserve((title_info.len() + summary_info.len()).min(SHINGLE_WORDS));
        for info in &title_info {
            out.title.extend(info.term);
            out.words.push(info.word);
        }
        for (i, info) in summary_info.iter().enumerate() {
            if i < LEAD_WORDS {
                out.lead.extend(info.term);
            }
            if out.words.len() < SHINGLE_WORDS {
                out.words.push(info.word);
            }
        }
        let lead_end = summary_words.len().min(LEAD_WORDS);
        let lead = (&summary_words[..lead_end], &summary_info[..lead_end]);
        out.years = title_words
            .iter()
            .chain(&summary_words[..lead_end])
            .filter_map(|w| year(w.raw))
            .collect();
        out.years.sort_unstable();
        out.years.dedup();
        // The numbers spelled out are English words ("ten" is "at" in Dutch).
        let spelled = (slot == ENGLISH).then_some(&self.spelled);
        quantities(&title_words, &title_info, spelled, &mut out.quantities);
        quantities(lead.0, lead.1, spelled, &mut out.quantities);
        out.quantities.sort_unstable();
        out.quantities.dedup();
        let no_lead = out.lead.len() < SHORT_LEAD;
        // A headline without a lead borrows the words of its URL's slug: the editor's own
        // restatement of the headline, which often names what the headline only hints at.
        if no_lead {
            for w in url
                .map(slug_words)
                .unwrap_or_default()
                .into_iter()
                .take(LEAD_WORDS)
            {
                out.slug.extend(self.info(slot, w).term);
            }
        }
        let title_cased = is_title_cased(&title_words);
        if !title_cased {
            self.observe_case(&title_words, &title_info);
        }
        self.observe_case(lead.0, lead.1);
        // A Title Case headline's capitals say nothing by themselves: with a lead to name
        // the names it is left to the lead, without one the stream's names count.
        let capitals = match (title_cased, no_lead) {
            (false, _) => Capitals::Runs,
            (true, true) => Capitals::KnownNames,
            (true, false) => Capitals::Ignored,
        };
        let mut names = Names::default();
        self.entities(
            &title_words,
            &title_info,
            capitals,
            &mut out.entities,
            &mut names,
        );
        self.entities(
            lead.0,
            lead.1,
            Capitals::Runs,
            &mut out.entities,
            &mut names,
        );
        out.name_parts = names.parts_only();
        out.lang = slot;
        out
    }

    /// For a text first read as English (its words, as looked up in English): the language
    /// it is in if another, from the function words it uses; a text too short to tell
    /// (under [`FOREIGN_MIN_WORDS`] words, no English function word among them) is in its
    /// source's last language. Words of one letter are left out: they are initials and
    /// clipped forms ("Jos. A. Bank", "Men's") as often.
    fn other_language<'w>(
        &mut self,
        source: u64,
        words: impl Iterator<Item = (&'w Word<'w>, &'w WordInfo)> + Clone,
    ) -> Option<usize> {
        let text = words
            .filter(|(w, _)| w.raw.chars().nth(1).is_some())
            .map(|(_, info)| info);
        let (len, stops) = text.clone().fold((0, 0), |(len, stops), info| {
            (len + 1, stops + usize::from(info.term.is_none()))
        });
        let english = (stops as f32) >= FOREIGN_SHARE * len as f32;
        if len < FOREIGN_MIN_WORDS {
            return (!english)
                .then(|| self.sources.get(&source).copied())
                .flatten()
                .filter(|slot| *slot != ENGLISH);
        }
        // Long enough to tell; what its function words tell is its source's language too
        // (names and numbers alone tell nothing: English, the source's left as it was).
        let told = if english {
            Some(ENGLISH)
        } else {
            language::by_stop_words(text.map(|i| i.word), len)
        };
        if let Some(lang) = told {
            if self.sources.len() >= CACHE_LIMIT {
                self.sources.clear();
            }
            self.sources.insert(source, lang);
        }
        told.filter(|lang| *lang != ENGLISH)
    }

    /// Looks words up in the stem cache of a language slot.
    fn infos(&mut self, slot: usize, words: &[Word]) -> Vec<WordInfo> {
        let keys: Vec<u64> = words.iter().map(|w| hash(RAW_NS, w.raw)).collect();
        self.caches[slot].touch(keys.iter().copied());
        (words.iter().zip(keys))
            .map(|(w, key)| self.info_under(slot, key, w.raw))
            .collect()
    }

    /// Looks a word up in the stem cache, stemming it on a miss.
    fn info(&mut self, slot: usize, raw: &str) -> WordInfo {
        self.info_under(slot, hash(RAW_NS, raw), raw)
    }

    /// [`Tokenizer::info`] for a word whose cache key (its hash) is known.
    fn info_under(&mut self, slot: usize, key: u64, raw: &str) -> WordInfo {
        if let Some(info) = self.caches[slot].get(key) {
            return *info;
        }
        let mut lower = raw.to_lowercase();
        if raw.contains('.') && !raw.starts_with(|c: char| c.is_ascii_digit()) {
            // Initials: "u.s." is "us".
            lower.retain(|c| c != '.');
        }
        let word = hashing::word(&lower);
        let term = if language::is_stop_word(slot, word) || lower.chars().count() < 2 {
            None
        } else if let Some(Some(stemmer)) = self.stemmers.get(slot) {
            Some(feature(TERM_NS, &stemmer.stem(&lower)))
        } else {
            Some(feature(TERM_NS, &lower))
        };
        let info = WordInfo { term, word };
        let cache = &mut self.caches[slot];
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, info);
        info
    }

    /// Counts how each word of a text not in Title Case is written inside its sentences.
    /// (`infos` are the words' cache entries).
    fn observe_case(&mut self, words: &[Word], infos: &[WordInfo]) {
        if self.case.len() >= CACHE_LIMIT {
            self.case.clear();
        }
        self.case.touch(infos.iter().map(|i| i.word));
        for (w, info) in words.iter().zip(infos) {
            if w.sentence_start || w.number || w.acronym {
                continue;
            }
            let seen = self.case.or_default(info.word);
            if w.capitalized {
                seen.0 += 1;
            } else {
                seen.1 += 1;
            }
        }
    }

    /// Whether a word has mostly been written capitalized inside sentences (a name).
    fn usually_capitalized(&self, word: u64) -> bool {
        self.case
            .get(word)
            .is_some_and(|&(caps, lower)| caps >= NAME_SEEN && caps >= NAME_RATIO * lower)
    }

    /// Appends the entity-like phrases of `words`: acronyms, numbers (alone and with the
    /// word after them), and runs of capitalized words as `capitals` says; `infos` are the
    /// words' cache entries.
    fn entities(
        &self,
        words: &[Word],
        infos: &[WordInfo],
        capitals: Capitals,
        out: &mut Vec<Feature>,
        names: &mut Names,
    ) {
        let mut run: Vec<u64> = Vec::new();
        let mut run_at_start = false;
        for (i, w) in words.iter().enumerate() {
            let info = infos[i];
            if w.acronym {
                let acronym = entity(&[info.word]);
                out.push(acronym);
                names.whole.push(acronym);
            } else if w.number {
                out.push(entity(&[info.word]) | NUMBER);
                if let Some(next) = infos.get(i + 1).filter(|_| !words[i + 1].number) {
                    out.push(entity(&[info.word, next.word]) | NUMBER);
                }
            }
            let in_run = w.capitalized
                && !w.number
                && info.term.is_some()
                && match capitals {
                    Capitals::Runs => true,
                    Capitals::KnownNames => self.usually_capitalized(info.word),
                    Capitals::Ignored => false,
                };
            if in_run {
                if run.is_empty() {
                    // A known name is a name wherever it stands.
                    run_at_start = w.sentence_start && capitals == Capitals::Runs;
                }
                run.push(info.word);
            } else if !run.is_empty() {
                flush_run(&mut run, run_at_start, out, names);
            }
        }
        flush_run(&mut run, run_at_start, out, names);
    }
}

/// The single-word names of a text: those that stood alone (a run of one, an acronym) and
/// those that stood as words of a longer run.
#[derive(Default)]
struct Names {
    whole: Vec<Feature>,
    parts: Vec<Feature>,
}

impl Names {
    /// The words of longer runs that never stood alone, sorted and distinct.
    fn parts_only(mut self) -> Vec<Feature> {
        self.whole.sort_unstable();
        self.parts.sort_unstable();
        self.parts.dedup();
        self.parts.retain(|p| self.whole.binary_search(p).is_err());
        self.parts
    }
}

/// Emits a finished capitalized run: the whole phrase and, for names, each of its words
/// (noted in `names` as alone or as words of a longer name). A lone capitalized word at a
/// sentence start is just grammar, not a name.
fn flush_run(run: &mut Vec<u64>, at_start: bool, out: &mut Vec<Feature>, names: &mut Names) {
    if run.len() > 1 {
        out.push(entity(run));
        let words = run.iter().map(|w| entity(&[*w]));
        let from = out.len();
        out.extend(words);
        names.parts.extend_from_slice(&out[from..]);
    } else if run.len() == 1 && !at_start {
        out.push(entity(run));
        names.whole.push(entity(run));
    }
    run.clear();
}

/// Appends the counts of `words` (`infos` are their cache entries): each number (not a year)
/// or number spelled out (`spelled`, for English text), with the term of the content word
/// after it in the same sentence; a count of time ("a fourth day", "eight days") counts
/// nothing, a number of years does.
fn quantities(
    words: &[Word],
    infos: &[WordInfo],
    spelled: Option<&SpelledNumbers>,
    out: &mut Vec<Count>,
) {
    let spelled_as = |word: u64| spelled.and_then(|table| table.get(word));
    for (i, pair) in words.windows(2).enumerate() {
        let (number, next) = (&pair[0], &pair[1]);
        // Most words are neither numbers nor numbers spelled out: asked first, they leave at
        // once.
        let (value, ordinal) = if number.number {
            (infos[i].word, is_ordinal(number.raw))
        } else if let Some(digits) = spelled_as(infos[i].word) {
            // Part of a compound ("twenty-five", "twenty five"), which says no number of
            // the list: neither part counts.
            let before = i.checked_sub(1).map(|j| infos[j].word);
            if before
                .into_iter()
                .chain([infos[i + 1].word])
                .any(|w| spelled_as(w).is_some())
            {
                continue;
            }
            digits
        } else {
            continue;
        };
        if next.number || next.sentence_start || year(number.raw).is_some() {
            continue;
        }
        // "A fourth day" or "eight days" of a strike is its second day or five days two
        // days on: a count of time says how long an event has run, not which event it is.
        // A number of years still counts: an age or a sentence tells events apart.
        if time_unit(next.raw).is_some_and(|unit| ordinal || unit != "year") {
            continue;
        }
        if let Some(unit) = infos[i + 1].term {
            out.push((unit, value));
        }
    }
}

/// Whether a number is written as an ordinal ("21st", "12th").
fn is_ordinal(raw: &str) -> bool {
    let suffix = raw.trim_start_matches(|c: char| c.is_ascii_digit());
    suffix.len() < raw.len() && is_ordinal_suffix(suffix)
}

/// The unit of time a word after a number names, singular ("days" is "day"), if it makes
/// the number a count of time ("a fourth day", "the 3rd straight night", "eight days"): how
/// long, not what.
fn time_unit(raw: &str) -> Option<&'static str> {
    const UNITS: [&str; 12] = [
        "minute", "hour", "day", "night", "week", "weekend", "month", "year", "time", "round",
        "session", "straight",
    ];
    let singular = raw.strip_suffix(['s', 'S']).unwrap_or(raw);
    UNITS.into_iter().find(|u| singular.eq_ignore_ascii_case(u))
}

/// Numbers spelled out in English, and the digits they stand for: "the twelfth Doctor" and
/// "the 12th Doctor" count the same, as "five people" and "5 people" do. "First" and "one"
/// are left out: most of them ("first time", "one of the") are not the count of anything.
const SPELLED: [(&str, &str); 38] = [
    ("second", "2nd"),
    ("third", "3rd"),
    ("fourth", "4th"),
    ("fifth", "5th"),
    ("sixth", "6th"),
    ("seventh", "7th"),
    ("eighth", "8th"),
    ("ninth", "9th"),
    ("tenth", "10th"),
    ("eleventh", "11th"),
    ("twelfth", "12th"),
    ("thirteenth", "13th"),
    ("fourteenth", "14th"),
    ("fifteenth", "15th"),
    ("sixteenth", "16th"),
    ("seventeenth", "17th"),
    ("eighteenth", "18th"),
    ("nineteenth", "19th"),
    ("twentieth", "20th"),
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
    ("ten", "10"),
    ("eleven", "11"),
    ("twelve", "12"),
    ("thirteen", "13"),
    ("fourteen", "14"),
    ("fifteen", "15"),
    ("sixteen", "16"),
    ("seventeen", "17"),
    ("eighteen", "18"),
    ("nineteen", "19"),
    ("twenty", "20"),
];

/// [`SPELLED`] by the lowercase hash of the word, which the stem cache gives every word:
/// asking costs a bit test for most words, and one lookup for the few that pass it.
struct SpelledNumbers {
    /// One bit per top byte of the hashes held: a clear bit turns a word away at once.
    filter: [u64; 4],
    /// The hash of the digits each stands for, and whether it is an ordinal.
    table: FlatMap<u64, (u64, bool)>,
}

impl Default for SpelledNumbers {
    fn default() -> Self {
        let mut numbers = SpelledNumbers {
            filter: [0; 4],
            table: FlatMap::default(),
        };
        for (word, digits) in SPELLED {
            let key = hashing::word(word);
            let bit = (key >> 56) as usize;
            numbers.filter[bit / 64] |= 1 << (bit % 64);
            let value = (hashing::word(digits), is_ordinal(digits));
            numbers.table.insert(key, value);
        }
        numbers
    }
}

impl SpelledNumbers {
    /// The hash of the digits a word (by its lowercase hash) spells, and whether it is an
    /// ordinal.
    fn get(&self, word: u64) -> Option<(u64, bool)> {
        let bit = (word >> 56) as usize;
        if self.filter[bit / 64] & (1 << (bit % 64)) == 0 {
            return None;
        }
        self.table.get(word).copied()
    }
}

/// The bit set in the feature id of an entity that is a number, alone or with the word
/// after it, and clear in a name's or an acronym's: the top bit. The tables that hold
/// entities place them by their low bits (document frequencies: a bit fixed there would
/// crowd one half of their slots) or by a hash of all of them.
pub(crate) const NUMBER: Feature = 1 << 31;

/// Whether an entity feature names someone or something (a name or an acronym), rather
/// than being a number: a number says which event only together with other words.
pub(crate) fn is_name(entity: Feature) -> bool {
    entity & NUMBER == 0
}

/// The feature id of an entity made of the given lowercase words (a name's: the
/// [`NUMBER`] bit clear).
fn entity(words: &[u64]) -> Feature {
    fold(words.iter().fold(ENTITY_NS, |acc, w| {
        (acc.rotate_left(23) ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    })) & !NUMBER
}

/// The words of a URL's slugs: path segments of three or more words joined by `-`, `_` or
/// `+` (an editor's rewrite of the headline), their purely alphabetic parts.
fn slug_words(url: &str) -> Vec<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.split(['?', '#']).next().unwrap_or("");
    let path = path.split_once('/').map_or("", |(_, p)| p);
    let word = |p: &&str| p.len() >= 2 && p.bytes().all(|b| b.is_ascii_alphabetic());
    let mut out = Vec::new();
    for segment in path.split('/') {
        let stem = match segment.rsplit_once('.') {
            Some((s, ext)) if ext.len() <= 5 && ext.bytes().all(|b| b.is_ascii_alphabetic()) => s,
            _ => segment,
        };
        let words = || stem.split(['-', '_', '+']).filter(word);
        if words().count() >= 3 {
            out.extend(words());
        }
    }
    out
}

/// Headlines In Title Case capitalize every word, so capitals say nothing about names there.
fn is_title_cased(words: &[Word]) -> bool {
    let long: Vec<&Word> = words
        .iter()
        .filter(|w| !w.number && w.raw.len() > 3)
        .collect();
    let caps = long.iter().filter(|w| w.capitalized).count();
    long.len() >= 3 && caps * 10 >= long.len() * 7
}

/// Scripts written without spaces between words: split into character bigrams.
fn is_unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0E7F     // Thai
        | 0x3040..=0x30FF   // Hiragana, Katakana
        | 0x3400..=0x4DBF   // CJK extension A
        | 0x4E00..=0x9FFF   // CJK unified ideographs
        | 0xAC00..=0xD7AF   // Hangul syllables
        | 0xF900..=0xFAFF) // CJK compatibility ideographs
}

/// Text with the decimals that a tokenized corpus split at the point joined again ("a 5. 9
/// magnitude quake", "2. 6 million"), so that they count as the numbers they are; borrowed
/// unchanged when it has none. Only a number of one or two digits before the point is
/// joined: "in 2005. 10 people" stays two sentences.
fn rejoin_decimals(text: &str) -> Cow<'_, str> {
    // Most texts have no point followed by a space and a digit: one fast scan says so.
    if !text.contains(". ") {
        return Cow::Borrowed(text);
    }
    let b = text.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let number_start = |i: usize| i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.');
    let split_point = |i: usize| {
        b[i] == b'.'
            && b.get(i + 1) == Some(&b' ')
            && digit(i + 2)
            && i >= 1
            && digit(i - 1)
            && (number_start(i - 1) || (i >= 2 && digit(i - 2) && number_start(i - 2)))
    };
    let mut points = (0..b.len()).filter(|i| split_point(*i)).peekable();
    if points.peek().is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for i in points {
        out.push_str(&text[last..=i]);
        last = i + 2;
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// The end of the capital initials starting at byte `start`, each with its point, when
/// there are two or more ("U.S.", "L.A.", "F.D.A.").
fn initials(b: &[u8], start: usize) -> Option<usize> {
    let initial =
        |i: usize| b.get(i).is_some_and(u8::is_ascii_uppercase) && b.get(i + 1) == Some(&b'.');
    let mut end = start;
    while initial(end) {
        end += 2;
    }
    (end - start >= 4 && !b.get(end).is_some_and(u8::is_ascii_alphanumeric)).then_some(end)
}

/// Splits text into words (and bigrams of unspaced scripts), remembering case and position.
fn split_words(text: &str) -> Vec<Word<'_>> {
    if text.is_ascii() {
        split_ascii(text)
    } else {
        split_unicode(text)
    }
}

/// Whether a title says something beside when it was written: it is not empty, and not a
/// dateline, whose words are all numbers, days of the month, calendar words (months,
/// weekdays, a dateline's clock words: a time zone, "updated") or stop words, one at least
/// naming a time ("27 NOVEMBER, 2005"; not "AT&T" or "0.2.0", which name none).
fn says_more(words: &[Word], infos: &[WordInfo]) -> bool {
    let content = |(w, info): (&Word, &WordInfo)| {
        info.term.is_some()
            && !w.number
            && day_of_month(w.raw).is_none()
            && !is_calendar_word(w.raw)
    };
    let time = |w: &Word| year(w.raw).is_some() || is_calendar_word(w.raw);
    !words.is_empty() && (words.iter().zip(infos).any(content) || !words.iter().any(time))
}

/// [`split_words`] for ASCII text (most of what feeds carry), byte by byte: the same
/// words, without decoding characters or asking Unicode tables.
fn split_ascii(text: &str) -> Vec<Word<'_>> {
    let b = text.as_bytes();
    let mut words = Vec::with_capacity(text.len() / 6 + 4);
    let mut sentence_start = true;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let class = ASCII[usize::from(c)];
        if class & ALNUM == 0 {
            sentence_start |= class & ENDS != 0;
            i += 1;
            continue;
        }
        let start = i;
        // Initials start with a capital and its point: asked here first, which spares most
        // words the call.
        if class & UPPER != 0 && b.get(i + 1) == Some(&b'.') {
            if let Some(end) = initials(b, start) {
                words.push(acronym(&text[start..end], sentence_start));
                sentence_start = false;
                i = end;
                continue;
            }
        }
        // One pass over the word notes what its letters say.
        let (mut end, mut letters, mut lower) = (start, 0usize, 0u8);
        loop {
            match b.get(end).map(|d| ASCII[usize::from(*d)]) {
                Some(d) if d & ALNUM != 0 => {
                    letters += usize::from(d & (UPPER | LOWER) != 0);
                    lower |= d & LOWER;
                }
                Some(_) if separator_at(b, end) => {}
                _ => break,
            }
            end += 1;
        }
        words.push(Word {
            raw: &text[start..end],
            capitalized: class & UPPER != 0,
            acronym: letters >= 2 && lower == 0,
            number: class & DIGIT != 0,
            sentence_start,
        });
        sentence_start = false;
        i = end;
    }
    words
}

/// [`ASCII`] classes: a digit, an upper-case or a lower-case letter, and a character after
/// which a sentence (or a headline's part) starts.
const DIGIT: u8 = 1;
const UPPER: u8 = 2;
const LOWER: u8 = 4;
const ALNUM: u8 = DIGIT | UPPER | LOWER;
const ENDS: u8 = 8;

/// Whether a sentence (or a headline's part) starts after this character.
fn ends_sentence(c: char) -> bool {
    u8::try_from(c).is_ok_and(|b| ASCII[usize::from(b)] & ENDS != 0) || c == '\u{201c}'
}

/// The class of each byte, so that [`split_ascii`] asks one table instead of several ranges.
const ASCII: [u8; 256] = {
    let mut table = [0; 256];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        table[i] = if c.is_ascii_digit() {
            DIGIT
        } else if c.is_ascii_uppercase() {
            UPPER
        } else if c.is_ascii_lowercase() {
            LOWER
        } else if matches!(c, b'.' | b'!' | b'?' | b':' | b'"' | b'|' | b'-') {
            ENDS
        } else {
            0
        };
        i += 1;
    }
    table
};

/// [`split_words`] for any text, character by character.
fn split_unicode(text: &str) -> Vec<Word<'_>> {
    let bytes = text.as_bytes();
    // About one word per six bytes of text: room enough, most of the time, not to grow.
    let mut words = Vec::with_capacity(text.len() / 6 + 4);
    let mut sentence_start = true;
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if is_unspaced(c) {
            let end = start + c.len_utf8();
            if let Some(&(next, d)) = chars.peek().filter(|(_, d)| is_unspaced(*d)) {
                words.push(plain(&text[start..next + d.len_utf8()]));
            } else if start == 0 || !text[..start].chars().next_back().is_some_and(is_unspaced) {
                words.push(plain(&text[start..end]));
            }
            sentence_start = false;
            continue;
        }
        if !c.is_alphanumeric() {
            if ends_sentence(c) {
                sentence_start = true;
            }
            continue;
        }
        if let Some(end) = initials(bytes, start) {
            while chars.next_if(|(j, _)| *j < end).is_some() {}
            words.push(acronym(&text[start..end], sentence_start));
            sentence_start = false;
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            if (d.is_alphanumeric() && !is_unspaced(d)) || separator_at(bytes, j) {
                end = j + d.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        let raw = &text[start..end];
        let letters = raw.chars().filter(|c| c.is_alphabetic()).count();
        words.push(Word {
            raw,
            capitalized: c.is_uppercase(),
            acronym: letters >= 2 && raw.chars().all(|c| !c.is_lowercase()),
            number: c.is_ascii_digit(),
            sentence_start,
        });
        sentence_start = false;
    }
    words
}

/// Capital initials with their points as one word: "U.S." is the acronym "US", and no
/// sentence ends at its points.
fn acronym(raw: &str, sentence_start: bool) -> Word<'_> {
    Word {
        raw,
        capitalized: true,
        acronym: true,
        number: false,
        sentence_start,
    }
}

/// Whether the byte at `j` (inside a word) is a separator that the word keeps: a number
/// keeps its separators ("6.1", "2,000"), and a name its number ("COVID-19", "F-35": the
/// number alone is no count, and would be shared by every article naming the same thing).
fn separator_at(b: &[u8], j: usize) -> bool {
    let next_digit = b.get(j + 1).is_some_and(u8::is_ascii_digit);
    let before = b[j - 1];
    next_digit
        && ((matches!(b[j], b'.' | b',') && before.is_ascii_digit())
            || (b[j] == b'-' && before.is_ascii_alphabetic()))
}

/// A word with no case and no number in it (a bigram of an unspaced script).
fn plain(raw: &str) -> Word<'_> {
    Word {
        raw,
        capitalized: false,
        acronym: false,
        number: false,
        sentence_start: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raws(text: &str) -> Vec<&str> {
        split_words(text).iter().map(|w| w.raw).collect()
    }

    #[test]
    fn splits_words_and_keeps_number_separators_and_names_with_numbers() {
        assert_eq!(
            raws("A 6.1 quake, 2,000 hurt."),
            ["A", "6.1", "quake", "2,000", "hurt"]
        );
        assert_eq!(raws("Apple's iOS-7"), ["Apple", "s", "iOS-7"]);
        assert_eq!(
            raws("COVID-19 cases, 11-17 May"),
            ["COVID-19", "cases", "11", "17", "May"]
        );
    }

    #[test]
    fn ascii_text_splits_as_any_text_does() {
        // Random texts over the characters that steer the split: letters of both cases,
        // digits, the separators of numbers and names, sentence ends, initials.
        let alphabet = b"aZbQx 19 0..,,--!?:\"|'U.S. A.B.";
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..5_000 {
            let len = (state >> 59) as usize + 1;
            let text: String = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize] as char
                })
                .collect();
            let fields = |words: Vec<Word>| -> Vec<(String, [bool; 4])> {
                words
                    .iter()
                    .map(|w| {
                        let flags = [w.capitalized, w.acronym, w.number, w.sentence_start];
                        (w.raw.to_string(), flags)
                    })
                    .collect()
            };
            assert_eq!(
                fields(split_ascii(&text)),
                fields(split_unicode(&text)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn unspaced_scripts_become_bigrams() {
        assert_eq!(raws("東京地震"), ["東京", "京地", "地震"]);
        assert_eq!(raws("震 x"), ["震", "x"]);
        // A date's numbers stand alone, each mark opening the next word (see `dates`).
        assert_eq!(raws("北京10月11日电"), ["北京", "10", "月", "11", "日电"]);
        assert_eq!(raws("10월 11일 서울"), ["10", "월", "11", "일", "서울"]);
    }

    #[test]
    fn stems_and_drops_stop_words() {
        let mut t = Tokenizer::default();
        let a = t.features("The talks collapsed", "", None);
        let b = t.features("Talk collapses", "", None);
        assert_eq!(a.title, b.title);
        assert_eq!(a.title.len(), 2);
    }

    #[test]
    fn a_title_of_a_date_and_a_time_says_nothing_more() {
        let mut t = Tokenizer::default();
        let titled = |title: &str| {
            let mut t = Tokenizer::default();
            t.features(title, "Microsoft patches a flaw.", None).titled
        };
        for dateline in [
            "27 NOVEMBER, 2005",
            "September 18th, 2013, 05: 31 GMT",
            "18 September 2013 Last updated at 13: 59 GMT",
            "Tuesday, May 24, 2005",
            "Wed, Sep 19 2012 at 11:47 a.m. ET",
            "",
        ] {
            assert!(!titled(dateline), "{dateline:?}");
        }
        // Its clock is left out; its date, not the article's own day, stays.
        let dateline = t.features("September 18th, 2013, 05: 31 GMT", "", None);
        let date = t.features("September 18th, 2013", "", None);
        assert_eq!(
            (&dateline.title, &dateline.entities, &dateline.years),
            (&date.title, &date.entities, &vec![2013])
        );
        for headline in [
            "AT&T",
            "The Who",
            "0.2.0",
            "Quake hits island off south Iran",
            "2013: the year in review",
            "May Day marches in Paris",
            "東京で地震",
        ] {
            assert!(titled(headline), "{headline:?}");
        }
    }

    #[test]
    fn finds_names_acronyms_and_numbers() {
        let mut t = Tokenizer::default();
        let f = t.features(
            "Quake of magnitude 6.1 hits",
            "Officials in San Marco and the UN said.",
            None,
        );
        let g = t.features(
            "Another quake",
            "Rescuers reached San Marco on Monday.",
            None,
        );
        let shared: Vec<_> = f
            .entities
            .iter()
            .filter(|e| g.entities.contains(e))
            .collect();
        // "san marco", "san", "marco" are shared; the UN and 6.1 are not in g.
        assert_eq!(shared.len(), 3);
        assert!(f.entities.len() >= 6);
    }

    #[test]
    fn words_of_longer_names_are_told_from_names_that_stand_alone() {
        let mut t = Tokenizer::default();
        let eagle = t.features(
            "Profit falls at Velmora Eagle Outfitters",
            "Sales at Velmora Eagle Outfitters fell in the quarter.",
            None,
        );
        let airline = t.features(
            "Airline deal ends",
            "Velmora Airlines will end its ticketing deal, and Velmora said why.",
            None,
        );
        let velmora = |f: &Features| {
            let alone = t_entity("velmora");
            (f.entities.contains(&alone), f.name_parts.contains(&alone))
        };
        // Both name "velmora"; only the retailer's does so as a word of a longer name alone.
        assert_eq!(velmora(&eagle), (true, true));
        assert_eq!(velmora(&airline), (true, false));
        assert!(eagle.name_parts.is_sorted() && eagle.name_parts.len() == 3);
        assert!(airline.name_parts.contains(&t_entity("airlines")));
    }

    /// The entity of one lowercase word.
    fn t_entity(word: &str) -> Feature {
        entity(&[hashing::word(word)])
    }

    #[test]
    fn title_case_headlines_give_no_capitalized_runs() {
        let mut t = Tokenizer::default();
        let f = t.features("Leaders Leave Summit Without Ceasefire Deal", "", None);
        assert!(f.entities.is_empty());
    }

    #[test]
    fn title_case_headlines_keep_the_names_the_stream_has_shown() {
        let mut t = Tokenizer::default();
        for lead in [
            "The actress Stacy Keibler married in Mexico at the weekend.",
            "Photos show Stacy Keibler and her husband on a beach in Mexico.",
        ] {
            t.features("Wedding news", lead, None);
        }
        let f = t.features("Stacy Keibler Marries Boyfriend In Mexico", "", None);
        let g = t.features("A wedding for Keibler", "", None);
        let shared = f.entities.iter().filter(|e| g.entities.contains(e)).count();
        assert_eq!(shared, 1, "keibler is a name");
        // "Stacy Keibler" (the run and each word) and "Mexico"; not "Marries" or "Boyfriend".
        assert_eq!(f.entities.len(), 4, "{:?}", f.entities);
        // With a lead, the names are left to the lead.
        let lead =
            "The wedding took place on a beach at the weekend, with forty guests and a band.";
        let h = t.features("Stacy Keibler Marries Boyfriend In Mexico", lead, None);
        assert!(h.entities.is_empty(), "{:?}", h.entities);
    }

    #[test]
    fn counts_are_numbers_before_a_word_of_the_same_sentence() {
        let mut t = Tokenizer::default();
        let f = t.features(
            "Navy frees 23 hostages",
            "The 2019 raid ended at 9. Divers found 4.5 tonnes of cargo in 2 holds.",
            None,
        );
        let g = t.features("Hostage freed, navy says", "", None);
        let units: Vec<Feature> = f.quantities.iter().map(|q| q.0).collect();
        // "23 hostages", "4.5 tonnes", "2 holds": not the year, not "9" before a new sentence.
        assert_eq!(units.len(), 3, "{:?}", f.quantities);
        assert!(
            units.contains(&g.title[0]),
            "counted under the term of the word"
        );
        assert!(g.quantities.is_empty());
    }

    #[test]
    fn spelled_ordinals_count_as_their_digits() {
        let mut t = Tokenizer::default();
        let mut counts = |lead: &str| t.features("Casting news", lead, None).quantities;
        let spelled = counts("The BBC named the twelfth Doctor on Sunday.");
        assert_eq!(spelled.len(), 1, "{spelled:?}");
        assert_eq!(spelled, counts("The BBC named the 12th Doctor on Sunday."));
        assert_ne!(
            spelled,
            counts("The BBC named the Eleventh Doctor on Sunday.")
        );
        // A first is seldom the count of anything; "seconds" is no ordinal.
        assert_eq!(counts("The first Doctor left after 30 years.").len(), 1);
        assert!(counts("The first Doctor arrived within seconds.").is_empty());
        // How long an event has run is no count of it.
        assert!(counts("The strike went on for a fourth day.").is_empty());
        assert!(counts("Riots broke out for the 3rd straight night.").is_empty());
        assert_eq!(counts("It was the 3rd raid in a week.").len(), 1);
        assert_eq!(
            counts("It was the third raid in a week."),
            counts("It was the 3rd raid in a week.")
        );
    }

    #[test]
    fn spelled_cardinals_count_as_their_digits() {
        let mut t = Tokenizer::default();
        let mut counts = |lead: &str| t.features("Quake news", lead, None).quantities;
        let spelled = counts("The quake injured five people on the island.");
        assert_eq!(spelled.len(), 1, "{spelled:?}");
        assert_eq!(spelled, counts("The quake injured 5 people on the island."));
        assert_ne!(
            spelled,
            counts("The quake killed Ten people on the island.")
        );
        // "One" is seldom a count; a number of days is how long, not what.
        assert!(counts("One of the houses fell.").is_empty());
        assert!(counts("The riots went on for eight days.").is_empty());
        assert!(counts("The riots went on for 8 days.").is_empty());
        // A compound says no number of the list: neither part counts.
        assert!(counts("The quake injured twenty-five people.").is_empty());
        // Years still count: an age tells two people apart.
        assert_eq!(
            counts("A boy of fifteen years was shot."),
            counts("A boy of 15 years was shot.")
        );
        assert_eq!(counts("A boy of 15 years was shot.").len(), 1);
    }

    #[test]
    fn numbers_are_spelled_out_in_english_only() {
        let mut t = Tokenizer::default();
        let lead = "De brand brak gisteren uit ten noorden van de haven, en de brandweer was \
                    met veel wagens snel ter plaatse bij het pand.";
        let dutch = t.features("Brand in de haven", lead, None);
        assert_ne!(dutch.lang, ENGLISH);
        // "Ten" is "at" in Dutch: no count of the north.
        assert!(dutch.quantities.is_empty(), "{:?}", dutch.quantities);
        let lead = "The fire broke out north of the harbour, and ten trucks were at the scene.";
        assert_eq!(t.features("Harbour fire", lead, None).quantities.len(), 1);
    }

    #[test]
    fn decimals_split_at_the_point_count_as_one_number() {
        assert_eq!(
            rejoin_decimals("A 5. 9 magnitude quake; 12. 5 million; in 2005. 10 died; v1. 2"),
            "A 5.9 magnitude quake; 12.5 million; in 2005. 10 died; v1. 2"
        );
        assert!(matches!(
            rejoin_decimals("No split 6.1 here. 3 more"),
            Cow::Borrowed(_)
        ));
        let mut t = Tokenizer::default();
        let split = t.features("Quake", "A 5. 9 magnitude quake hit the island.", None);
        let whole = t.features("Quake", "A 5.9 magnitude quake hit the island.", None);
        let other = t.features("Quake", "A 5.6 magnitude quake hit the island.", None);
        assert_eq!(split.quantities.len(), 1, "{:?}", split.quantities);
        assert_eq!(split.quantities, whole.quantities);
        assert_ne!(split.quantities, other.quantities);
    }

    #[test]
    fn initials_with_points_are_the_acronym() {
        let mut t = Tokenizer::default();
        let lead = "Lawmakers in the capital voted on Tuesday after a long debate on the bill.";
        let dotted = t.features(
            "Senate vote",
            &format!("The U.S. Senate passed it. {lead}"),
            None,
        );
        let plain = t.features(
            "Senate vote",
            &format!("The US Senate passed it. {lead}"),
            None,
        );
        assert_eq!(dotted.entities, plain.entities);
        // "US Senate", "US" and "Senate".
        assert_eq!(dotted.entities.len(), 3, "{:?}", dotted.entities);
        assert_eq!(split_words("In L.A. Police").len(), 3);
        assert!(split_words("U.S.").iter().all(|w| w.acronym));
    }

    #[test]
    fn plain_ascii_in_another_language_loses_its_function_words() {
        let mut t = Tokenizer::default();
        // Taken as English, the three are terms; in an Indonesian lead, stop words.
        let function_words = t.features("bahwa yang untuk", "", None).title;
        assert_eq!(function_words.len(), 3);
        let f = t.features(
            "Jalan utama ditutup",
            "Pemerintah kota mengumumkan bahwa jalan itu akan ditutup untuk perbaikan dan \
             warga yang ada di utara diminta untuk bersabar.",
            None,
        );
        assert!(f.lead.len() >= 6, "{:?}", f.lead);
        assert!(f.lead.iter().all(|w| !function_words.contains(w)));
        // An English lead stays English: its function words were never terms.
        let g = t.features(
            "Main road closed",
            "The city said that the main road will be closed for repairs and that people \
             in the north should be patient with the works.",
            None,
        );
        assert_eq!(g.lead.len(), 9, "{:?}", g.lead);
    }

    #[test]
    fn a_headline_too_short_to_tell_is_in_its_sources_language() {
        let mut t = Tokenizer::default();
        let function_words = t.features("sa ng", "", None).title;
        assert_eq!(function_words.len(), 2, "English takes them for terms");
        let lead = "Sinabi ng mga opisyal na ang bagong tulay ay bubuksan sa susunod na buwan \
                    matapos ang mahabang pagkukumpuni sa lungsod.";
        t.features_from(hashing::source("balita"), None, "Bagong tulay", lead, None);
        let headline = "Alkalde nagpositibo sa sakit";
        let f = t.features_from(hashing::source("balita"), None, headline, "", None);
        assert_eq!(f.title.len(), 3, "{:?}", f.title);
        assert!(f.title.iter().all(|w| !function_words.contains(w)));
        // Another source has told nothing, and an English headline stays English.
        assert_eq!(
            t.features_from(hashing::source("herald"), None, headline, "", None)
                .title
                .len(),
            4
        );
        // A text long enough to tell that tells of no other language is not the source's:
        // names and made-up words are read as English, as from any other source.
        let names = "Kalomis Tenraing Vosdied Belnus Sarpes Gritoing Famzued";
        assert_eq!(
            t.features_from(hashing::source("balita"), None, names, "", None)
                .title,
            t.features_from(hashing::source("herald"), None, names, "", None)
                .title
        );
        let english = t.features_from(
            hashing::source("balita"),
            None,
            "The mayor of the city is ill",
            "",
            None,
        );
        assert_eq!(english.title.len(), 3, "{:?}", english.title);
    }

    #[test]
    fn non_latin_text_gets_terms() {
        let mut t = Tokenizer::default();
        let f = t.features("Землетрясение в Турции унесло жизни", "", None);
        assert!(f.title.len() >= 3);
    }

    #[test]
    fn slugs_are_runs_of_words_in_the_path() {
        assert_eq!(
            slug_words(
                "https://example.com/2014/03/10/titanfall-review-hype_n_4936927.html?x=a-b-c"
            ),
            ["titanfall", "review", "hype"]
        );
        assert_eq!(
            slug_words("http://example.com/article/2014/03/10/us-ecb-refi-poll-idINBREA290VH"),
            ["us", "ecb", "refi", "poll"]
        );
        // Ids, dates, sections and two-word names are not slugs.
        assert!(slug_words("http://example.com/news/152615").is_empty());
        assert!(slug_words("https://example.com/world-news/2014/item.php").is_empty());
        assert!(slug_words("https://example.com").is_empty());
        assert!(slug_words("not a url").is_empty());
    }

    #[test]
    fn a_headline_without_a_lead_borrows_its_slug() {
        let mut t = Tokenizer::default();
        let url = "https://example.com/2014/03/10/stacy-keibler-marries-in-mexico";
        let bare = t.features("Sign in to read", "", Some(url));
        let married = t.features("Keibler married", "", None);
        assert!(married.title.iter().all(|w| bare.slug.contains(w)));
        let lead = "Actress Stacy Keibler married her boyfriend Jared Pobre in a private \
                    ceremony on a beach in Mexico, her publicist confirmed on Sunday.";
        assert!(
            t.features("Sign in to read", lead, Some(url))
                .slug
                .is_empty()
        );
    }
}

//! The words around a number that decide its role: month names, section and
//! label words, identifier words and currency codes (in the languages the
//! rules read), the words before and after a number, and hyphen chains.

pub(crate) const MONTHS: [&str; 24] = [
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
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
];

/// Words whose number is a label's (English, German, French, Spanish,
/// and the theorem-like words of papers).
pub(crate) const SECTION_LABELS: [&str; 58] = [
    "table",
    "tables",
    "figure",
    "figures",
    "fig",
    "section",
    "sections",
    "sec",
    "chapter",
    "chap",
    "part",
    "article",
    "art",
    "appendix",
    "annex",
    "exhibit",
    "schedule",
    "item",
    "step",
    "rule",
    "note",
    "notes",
    "paragraph",
    "para",
    "page",
    "pages",
    "pp",
    "line",
    "equation",
    "eq",
    "theorem",
    "lemma",
    "proposition",
    "corollary",
    "definition",
    "example",
    "remark",
    "abbildung",
    "abb",
    "tabelle",
    "tab",
    "kapitel",
    "abschnitt",
    "seite",
    "satz",
    "bemerkung",
    "beispiel",
    "korollar",
    "gleichung",
    "anhang",
    "tableau",
    "chapitre",
    "annexe",
    "tabla",
    "figura",
    "capítulo",
    "sección",
    "anexo",
];

pub(crate) const IDENTIFIER_LABELS: [&str; 34] = [
    "no",
    "nr",
    "num",
    "number",
    "#",
    "id",
    "ref",
    "account",
    "acct",
    "a/c",
    "invoice",
    "inv",
    "isbn",
    "issn",
    "tel",
    "phone",
    "telephone",
    "fax",
    "zip",
    "postcode",
    "code",
    "case",
    "docket",
    "order",
    "po",
    "serial",
    "ticket",
    "licence",
    "license",
    "policy",
    "claim",
    "patent",
    "ssn",
    "iban",
];

pub(crate) const CURRENCY_CODES: [&str; 12] = [
    "usd", "eur", "gbp", "chf", "jpy", "cad", "aud", "cny", "inr", "sek", "nok", "dkk",
];

/// The words before a number on its line, nearest first, punctuation off
/// their edges (slices of the line: no allocation on this path, which runs
/// for every number).
pub(crate) fn words_before(line: &str, at: usize) -> [&str; 2] {
    let mut words = line[..at].split_whitespace().rev().map(clean_word);
    [words.next().unwrap_or(""), words.next().unwrap_or("")]
}

pub(crate) fn word_after(line: &str, end: usize) -> &str {
    line[end..].split_whitespace().next().map_or("", clean_word)
}

pub(crate) fn clean_word(w: &str) -> &str {
    w.trim_matches(|c: char| !(c.is_alphanumeric() || c == '#' || c == '§' || c == '/'))
}

/// The first letters (a–z, as bits) of a list's words, and whether any
/// starts otherwise: a quick "cannot be in it" before comparing words.
pub(crate) const fn initials(list: &[&str]) -> (u32, bool) {
    let (mut mask, mut other) = (0u32, false);
    let mut i = 0;
    while i < list.len() {
        let b = list[i].as_bytes()[0];
        if b.is_ascii_lowercase() {
            mask |= 1 << (b - b'a');
        } else {
            other = true;
        }
        i += 1;
    }
    (mask, other)
}

/// Whether `word` is one of `list` (lower-case, its [`initials`] given),
/// ignoring ASCII case; only short words with a letter are looked up.
pub(crate) fn one_of(word: &str, list: &[&str], (mask, other): (u32, bool)) -> bool {
    let Some(&first) = word.as_bytes().first() else {
        return false;
    };
    let first = first.to_ascii_lowercase();
    let possible = if first.is_ascii_lowercase() {
        mask & (1 << (first - b'a')) != 0
    } else {
        other && !first.is_ascii_digit()
    };
    possible && word.len() <= 12 && list.iter().any(|w| w.eq_ignore_ascii_case(word))
}

pub(crate) const MONTH_INITIALS: (u32, bool) = initials(&MONTHS);

pub(crate) const SECTION_INITIALS: (u32, bool) = initials(&SECTION_LABELS);

pub(crate) const IDENTIFIER_INITIALS: (u32, bool) = initials(&IDENTIFIER_LABELS);

pub(crate) const CURRENCY_INITIALS: (u32, bool) = initials(&CURRENCY_CODES);

pub(crate) const PERCENT_WORDS: [&str; 3] = ["percent", "pct", "percentage"];

pub(crate) fn is_month(w: &str) -> bool {
    one_of(w.trim_end_matches('.'), &MONTHS, MONTH_INITIALS)
}

/// The digit runs joined to this number by `joiner` without spaces, as
/// (parts before, parts after), each part's digit count.
pub(crate) fn chain(line: &str, start: usize, end: usize, joiner: u8) -> (Vec<usize>, Vec<usize>) {
    let bytes = line.as_bytes();
    let mut before = Vec::new();
    let mut i = start;
    while i >= 2 && bytes[i - 1] == joiner && bytes[i - 2].is_ascii_digit() {
        let mut j = i - 1;
        while j > 0 && bytes[j - 1].is_ascii_digit() {
            j -= 1;
        }
        before.push(i - 1 - j);
        i = j;
    }
    let mut after = Vec::new();
    let mut i = end;
    while i + 1 < bytes.len() && bytes[i] == joiner && bytes[i + 1].is_ascii_digit() {
        let mut j = i + 1;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        after.push(j - i - 1);
        i = j;
    }
    (before, after)
}

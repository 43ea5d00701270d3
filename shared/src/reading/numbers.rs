//! The number tokenizer: which runs of text are numbers, what their significant
//! digits are, and which of them enter the Benford tests.
//!
//! # Rules (also stated in every report as `numbers.rules`)
//!
//! 1. **A number** is an optional sign (`+`, `-`, `−`), then digits — either
//!    plain (`1234567`) or in comma thousands groups (`1,234,567`: one to three
//!    digits, then groups of exactly three) — then an optional decimal part
//!    (`.` and digits). A leading-dot decimal (`.05`) is a number too.
//! 2. It must **not be glued** to a letter, a digit, an underscore or an
//!    undecodable glyph (U+FFFD) on either side (`A123`, `3rd`, `x2` are not numbers). Currency symbols and `%` may
//!    touch it (`$1,234.50`, `12%`, `€9`); so may brackets and punctuation.
//! 3. A run of digits joined by more than one `.` (`1.2.3`, `12.31.2015`) is a
//!    version or a date, not a number. A run joined by commas that do not form
//!    thousands groups (`1,2,3`, `12,5`) is a list: each part is a number.
//!    That is the default format, `1,234.56`; a page whose numbers are
//!    written `1.234,56` ([`super::formats`]) is read with the two separators'
//!    parts swapped (and comma runs are not lists there).
//! 4. **Digits come from the text**, never from a float: the significant digits
//!    are the written digits without separators, sign and leading zeros
//!    (`0.05` → `5`); trailing zeros stay (`1.50`
//!    → `150`). A number whose digits are all zero has no significant digits.
//! 5. **Used for Benford** when its role (`crate::reading::roles`: amount, count,
//!    year, page number, date…) is among those chosen and its value is at
//!    least 10 (two or more digits before the decimal point, after leading
//!    zeros). Every number counts in `numbers.found` and in the per-page
//!    counts.

use serde::{Deserialize, Serialize};

pub use super::formats::Format;
use super::formats::{is_run_byte, is_thousands};

/// The rules above, in one paragraph, for the report.
pub const RULES: &str = "A number is an optional sign, digits (plain or in thousands groups \
like 1,234,567), and an optional decimal part (.05 counts), not glued to letters, digits or \
underscores; $, €, £, % and punctuation may touch it. The document is read in the format its \
numbers show (1,234.56 by default, 1.234,56 when they are written so; see numbers.format); a \
page is read otherwise only on unambiguous evidence (1.234,56, 1.234.567, or a currency beside \
the number), never on code, coordinate or argument lists; spaces do not group digits. Runs with two or more decimal separators (dates, \
versions) are not numbers; comma runs that are not thousands groups are lists of numbers. \
Digits are taken from the text: separators, sign and leading zeros are dropped (0.05 gives 5). \
Every number gets a role (numbers.roles gives each role's rule); a number is used for the \
Benford tests when its role is among those chosen (by default amount, count and other) and \
its value is at least 10.";

/// One number found in the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Number {
    /// As written (without sign, currency or percent sign).
    pub text: String,
    /// Significant digits: no separators, no leading zeros.
    pub digits: String,
    /// Digits before the decimal point, leading zeros dropped.
    pub int_digits: usize,
    /// A four-digit integer from 1900 to 2099 without separators.
    pub is_year: bool,
}

impl Number {
    /// Whether this number enters the Benford tests (rule 5, page numbers aside).
    pub fn used(&self) -> bool {
        self.int_digits >= 2 && !self.is_year && !self.digits.is_empty()
    }
}

/// Characters a number may not touch. U+FFFD stands for a glyph the
/// extraction could not decode (often a math letter): it glues like a letter.
fn is_glue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == char::REPLACEMENT_CHARACTER
}

/// One number as [`scan_numbers`] finds it: borrowed parts of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found<'a> {
    /// The number as written (no sign, currency or percent sign).
    pub text: &'a str,
    /// Where `text` starts in the scanned text (a byte offset).
    pub start: usize,
    /// The digits before the decimal separator, with their group separators.
    pub int_part: &'a str,
    /// The digits after the decimal point.
    pub frac_part: &'a str,
    /// Whether `int_part` is in thousands groups.
    pub grouped: bool,
}

impl<'a> Found<'a> {
    /// The integer digits after leading zeros (commas skipped).
    fn int_significant(&self) -> impl Iterator<Item = u8> + 'a {
        self.int_part
            .bytes()
            .filter(u8::is_ascii_digit)
            .skip_while(|&b| b == b'0')
    }

    /// The significant digits: integer and decimal digits without
    /// separators and leading zeros (`0.05` → `5`).
    fn significant(&self) -> impl Iterator<Item = u8> + 'a {
        self.int_significant()
            .chain(self.frac_part.bytes())
            .skip_while(|&b| b == b'0')
    }

    /// Digits before the decimal point, leading zeros dropped.
    pub fn int_digits(&self) -> usize {
        self.int_significant().count()
    }

    /// A four-digit integer from 1900 to 2099 without separators.
    pub fn is_year(&self) -> bool {
        !self.grouped
            && self.frac_part.is_empty()
            && self.int_part.len() == 4
            && matches!(self.int_part.parse::<u32>(), Ok(1900..=2099))
    }

    /// Whether it enters the Benford tests ([`Number::used`]).
    pub fn used(&self) -> bool {
        self.int_digits() >= 2 && !self.is_year()
    }

    /// What the digit tests read of it (`None`: all zeros).
    pub fn digits(&self) -> Option<Digits> {
        Digits::read(self.significant())
    }

    /// The owned [`Number`].
    pub fn number(&self) -> Number {
        let text = self.text.to_owned();
        let digits: String = self.significant().map(char::from).collect();
        Number {
            text,
            digits,
            int_digits: self.int_digits(),
            is_year: self.is_year(),
        }
    }
}

/// Finds every number in `text`, in order (`1,234.56` format).
pub fn find_numbers(text: &str) -> Vec<Number> {
    let mut out = Vec::new();
    scan_numbers(text, &mut |found| out.push(found.number()));
    out
}

/// Calls `each` with every number in `text`, in order, in the default
/// format (`1,234.56`).
pub fn scan_numbers<'a>(text: &'a str, each: &mut dyn FnMut(Found<'a>)) {
    scan_numbers_in(text, Format::DotDecimal, each);
}

/// Calls `each` with every number in `text`, in order, reading decimals
/// and groups as `format` writes them, without allocating (what the engine
/// runs on every line).
pub fn scan_numbers_in<'a>(text: &'a str, format: Format, each: &mut dyn FnMut(Found<'a>)) {
    let bytes = text.as_bytes();
    // Only ASCII bytes start or make up a run, so every index a run starts
    // or ends at is a character boundary.
    let glue_before = |at: usize| text[..at].chars().next_back().is_some_and(is_glue);
    let glue_at = |at: usize| text[at..].chars().next().is_some_and(is_glue);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // A leading-dot decimal, but not the end of a dot leader (`.....24`).
        let starts_run = b.is_ascii_digit()
            || (b == format.decimal()
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                && (i == 0 || bytes[i - 1] != b'.'));
        if !starts_run {
            i += 1;
            continue;
        }
        // The run: digits, commas and dots.
        let start = i;
        let mut end = i;
        while end < bytes.len() && is_run_byte(bytes[end]) {
            end += 1;
        }
        // Trailing punctuation belongs to the sentence, not the number.
        let mut run_end = end;
        while run_end > start && matches!(bytes[run_end - 1], b',' | b'.') {
            run_end -= 1;
        }
        let glued_before = start > 0 && glue_before(start);
        let glued_after = end < bytes.len() && run_end == end && glue_at(end);
        if !glued_before && !glued_after && run_end > start {
            parse_run(&text[start..run_end], start, format, each);
        }
        // Skip the whole glued token, so `A12B34` yields nothing.
        i = end;
        if glued_after || glued_before {
            for c in text[i..].chars() {
                if !(is_glue(c) || c.is_ascii_digit()) {
                    break;
                }
                i += c.len_utf8();
            }
        }
    }
}

/// Parses a run of digits, commas and dots (no leading or trailing separator
/// but a possible leading decimal separator), starting at byte `at` of the
/// scanned text, into numbers, following rule 3 in `format`.
fn parse_run<'a>(run: &'a str, at: usize, format: Format, each: &mut dyn FnMut(Found<'a>)) {
    let (decimal, group) = (format.decimal() as char, format.group() as char);
    if run.matches(decimal).count() > 1 {
        return; // a date or a version
    }
    let (int_part, frac_part) = match run.split_once(decimal) {
        Some((i, f)) => (i, f),
        None => (run, ""),
    };
    if frac_part.contains(group) {
        return; // `1.234,56` read as 1,234.56: the other format
    }
    let found =
        |text: &'a str, start: usize, int_part: &'a str, frac_part: &'a str, grouped| Found {
            text,
            start,
            int_part,
            frac_part,
            grouped,
        };
    if !int_part.contains(group) {
        each(found(run, at, int_part, frac_part, false));
        return;
    }
    if is_thousands(int_part, group) {
        each(found(run, at, int_part, frac_part, true));
        return;
    }
    if format == Format::CommaDecimal {
        return; // dots that are not thousands groups: a date or a version
    }
    // A list: every part on its own; the decimal part stays with the last one.
    let last = int_part.split(group).count() - 1;
    let mut offset = 0;
    for (k, part) in int_part.split(group).enumerate() {
        let start = offset;
        offset += part.len() + 1;
        if part.is_empty() {
            continue;
        }
        let (text, frac) = if k == last {
            (&run[start..], frac_part)
        } else {
            (part, "")
        };
        each(found(text, at + start, part, frac, false));
    }
}

/// How two multisets of numbers (text → count) agree: (recall, precision) of
/// `ours` against `reference`; an empty side counts as fully matched. Used to
/// compare the engine with `pdftotext`.
pub fn overlap(
    reference: &std::collections::HashMap<String, usize>,
    ours: &std::collections::HashMap<String, usize>,
) -> (f64, f64) {
    let total_ref: usize = reference.values().sum();
    let total_ours: usize = ours.values().sum();
    let common: usize = reference
        .iter()
        .map(|(k, v)| (*v).min(*ours.get(k).unwrap_or(&0)))
        .sum();
    let ratio = |part: usize, whole: usize| {
        if whole == 0 {
            1.0
        } else {
            part as f64 / whole as f64
        }
    };
    (ratio(common, total_ref), ratio(common, total_ours))
}

/// Whether a line is only a page number for page `page` (1-based):
/// `N`, `Page N`, `- N -`, `N of M` or `Page N of M`.
pub fn is_page_number_line(line: &str, page: u32) -> bool {
    let lower = line.trim().to_lowercase();
    let core = lower.strip_prefix("page").map(str::trim).unwrap_or(&lower);
    let core = core.trim_matches(|c: char| c == '-' || c == '–' || c.is_whitespace());
    let core = match core.split_once(" of ") {
        Some((n, total)) if total.trim().chars().all(|c| c.is_ascii_digit()) => n.trim(),
        _ => core,
    };
    !core.is_empty() && core.chars().all(|c| c.is_ascii_digit()) && core.parse() == Ok(page)
}

/// What the digit tests read of a number: its first three significant
/// digits, its last two and how many it has (ASCII digits; `lead` is
/// padded with `0` past `count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digits {
    pub lead: [u8; 3],
    pub last_two: [u8; 2],
    pub count: usize,
}

impl Digits {
    /// Of a significant-digit string (`None` unless it is ASCII digits
    /// starting with 1–9).
    pub fn of(digits: &[u8]) -> Option<Digits> {
        Digits::read(digits.iter().copied())
    }

    /// Of significant digits as they come.
    pub fn read(digits: impl IntoIterator<Item = u8>) -> Option<Digits> {
        let mut out = Digits {
            lead: [b'0'; 3],
            last_two: [b'0'; 2],
            count: 0,
        };
        for b in digits {
            if !b.is_ascii_digit() || (out.count == 0 && b == b'0') {
                return None;
            }
            if let Some(slot) = out.lead.get_mut(out.count) {
                *slot = b;
            }
            out.last_two = [out.last_two[1], b];
            out.count += 1;
        }
        (out.count > 0).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        find_numbers(s).into_iter().map(|n| n.text).collect()
    }

    fn digits(s: &str) -> Vec<String> {
        find_numbers(s).into_iter().map(|n| n.digits).collect()
    }

    #[test]
    fn the_scanner_agrees_with_the_owned_numbers() {
        let text = "Total 1,234,567.80 of 0.05 and 007, 1999 2001 12,5 .5 1.2.3 \
                    $9 €0.0 10% A12 x 3rd 250 1,00 0,001 99.999 100";
        let owned = find_numbers(text);
        let mut found = Vec::new();
        scan_numbers(text, &mut |f| found.push(f));
        assert_eq!(owned.len(), found.len());
        for (n, f) in owned.iter().zip(&found) {
            assert_eq!(f.number(), *n);
            assert_eq!(f.used(), n.used(), "{}", n.text);
            assert_eq!(f.int_digits(), n.int_digits, "{}", n.text);
            assert_eq!(f.digits(), Digits::of(n.digits.as_bytes()), "{}", n.text);
        }
    }

    #[test]
    fn plain_grouped_and_decimal_numbers() {
        assert_eq!(
            texts("a 12 b 1,234,567 c 3.25"),
            ["12", "1,234,567", "3.25"]
        );
        assert_eq!(digits("1,234,567.80"), ["123456780"]);
    }

    #[test]
    fn signs_currency_and_percent_touch_numbers() {
        assert_eq!(
            texts("-42 +7 −3 $1,234.50 €9 £12 12% (350)"),
            ["42", "7", "3", "1,234.50", "9", "12", "12", "350"]
        );
    }

    #[test]
    fn digits_come_from_the_text_not_a_float() {
        assert_eq!(digits("0.05"), ["5"]);
        assert_eq!(digits("0.57"), ["57"]);
        assert_eq!(digits("007"), ["7"]);
        assert_eq!(digits("1.50"), ["150"]);
        assert_eq!(digits(".05"), ["5"]);
        assert_eq!(digits("0"), [""]);
    }

    #[test]
    fn glued_tokens_are_not_numbers() {
        assert!(texts("A123 3rd x2 B12C34 v_10 10th").is_empty());
        assert_eq!(texts("(12) [34] 56, 78."), ["12", "34", "56", "78"]);
    }

    #[test]
    fn dates_versions_and_lists() {
        assert!(texts("12.31.2015 v1.2.3").is_empty());
        assert_eq!(texts("1,2,3"), ["1", "2", "3"]);
        assert_eq!(texts("12,5"), ["12", "5"]);
        assert_eq!(texts("12/31/2015"), ["12", "31", "2015"]);
        assert_eq!(texts("2015-11"), ["2015", "11"]);
        assert!(texts("1.234,56").is_empty());
    }

    #[test]
    fn dot_leaders_end_before_the_number() {
        assert_eq!(texts("Contents ........24"), ["24"]);
        assert_eq!(digits("4.2. Plan .... 24"), ["42", "24"]);
    }

    #[test]
    fn trailing_sentence_punctuation_is_dropped() {
        assert_eq!(
            texts("it cost 450. Then 1,200, then 3."),
            ["450", "1,200", "3"]
        );
    }

    #[test]
    fn which_numbers_are_used() {
        let used = |s: &str| find_numbers(s).iter().map(Number::used).collect::<Vec<_>>();
        // < 10, >= 10, decimals below ten, leading zeros.
        assert_eq!(
            used("7 10 9.99 10.5 0.57 007 0012"),
            [false, true, false, true, false, false, true]
        );
        // Years are out unless written with separators or decimals.
        assert_eq!(
            used("1999 2015 2100 1899 2,015 2015.5"),
            [false, false, true, true, true, true]
        );
    }

    fn in_format(text: &str, format: Format) -> Vec<(String, String)> {
        let mut out = Vec::new();
        scan_numbers_in(text, format, &mut |f| {
            out.push((f.text.to_owned(), f.number().digits));
        });
        out
    }

    #[test]
    fn the_comma_decimal_format_swaps_the_separators() {
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(
            in_format(
                "1.234.567,89 und 12,5 sowie 1.234 und 0,05",
                Format::CommaDecimal
            ),
            pairs(&[
                ("1.234.567,89", "123456789"),
                ("12,5", "125"),
                ("1.234", "1234"),
                ("0,05", "5")
            ])
        );
        // Dots that are not thousands groups: a section or a date.
        assert!(in_format("Abschnitt 4.2 am 12.31.2015", Format::CommaDecimal).is_empty());
        // The default reads the same text otherwise.
        assert_eq!(
            in_format("12,5 und 1.234", Format::DotDecimal),
            pairs(&[("12", "12"), ("5", "5"), ("1.234", "1234")])
        );
    }

    #[test]
    fn overlap_of_multisets() {
        let m = |pairs: &[(&str, usize)]| pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let reference = m(&[("12", 2), ("7", 1), ("100", 1)]);
        let ours = m(&[("12", 1), ("7", 1), ("5", 2)]);
        assert_eq!(overlap(&reference, &ours), (0.5, 0.5));
        assert_eq!(overlap(&m(&[]), &m(&[])), (1.0, 1.0));
    }

    #[test]
    fn page_number_lines() {
        assert!(is_page_number_line("3", 3));
        assert!(is_page_number_line("  Page 3 ", 3));
        assert!(is_page_number_line("- 12 -", 12));
        assert!(is_page_number_line("3 of 16", 3));
        assert!(is_page_number_line("Page 3 of 16", 3));
        assert!(!is_page_number_line("3", 4));
        assert!(!is_page_number_line("Total 3", 3));
        assert!(!is_page_number_line("", 1));
    }
}

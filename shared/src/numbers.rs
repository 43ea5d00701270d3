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
//!    Comma decimals (`12,5` meaning 12.5) and dot thousands (`10.000` meaning
//!    ten thousand) are not recognised: the report states this rule.
//! 4. **Digits come from the text**, never from a float: the significant digits
//!    are the written digits without separators, sign and leading zeros
//!    (`0.05` → `5`); trailing zeros stay (`1.50`
//!    → `150`). A number whose digits are all zero has no significant digits.
//! 5. **Used for Benford** when its value is at least 10 (two or more digits
//!    before the decimal point, after leading zeros), and it is not a year (a
//!    four-digit integer from 1900 to 2099 written without separators), and it
//!    is not the page number (a page whose first or last line is just its own
//!    number, or `Page N`, or `- N -`). Every number counts in `numbers.found`
//!    and in the per-page counts.

use serde::{Deserialize, Serialize};

/// The rules above, in one paragraph, for the report.
pub const RULES: &str = "A number is an optional sign, digits (plain or in comma thousands \
groups like 1,234,567), and an optional .decimal part (.05 counts), not glued to letters, \
digits or underscores; $, €, £, % and punctuation may touch it. Runs with two or more dots \
(dates, versions) are not numbers; comma runs that are not thousands groups are lists of \
numbers; comma decimals and dot thousands are not recognised. Digits are taken from the \
text: separators, sign and leading zeros are dropped (0.05 gives 5). A number is used for \
Benford when its value is at least 10, it is not a year (1900-2099 written as four digits \
without separators) and it is not its page's page number.";

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

    fn from_parts(int_part: &str, frac_part: &str, grouped: bool) -> Number {
        let int_clean: String = int_part.chars().filter(char::is_ascii_digit).collect();
        let int_sig = int_clean.trim_start_matches('0');
        let mut digits = String::with_capacity(int_clean.len() + frac_part.len());
        digits.push_str(int_sig);
        digits.push_str(frac_part);
        let digits = digits.trim_start_matches('0').to_owned();
        let is_year = !grouped
            && frac_part.is_empty()
            && int_clean.len() == 4
            && matches!(int_clean.parse::<u32>(), Ok(1900..=2099));
        let mut text = int_part.to_owned();
        if !frac_part.is_empty() {
            text.push('.');
            text.push_str(frac_part);
        }
        Number {
            text,
            digits,
            int_digits: int_sig.len(),
            is_year,
        }
    }
}

/// Characters a number may not touch. U+FFFD stands for a glyph the
/// extraction could not decode (often a math letter): it glues like a letter.
fn is_glue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == char::REPLACEMENT_CHARACTER
}

/// Finds every number in `text`, in order.
pub fn find_numbers(text: &str) -> Vec<Number> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // A leading-dot decimal, but not the end of a dot leader (`.....24`).
        let starts_run = c.is_ascii_digit()
            || (c == '.'
                && chars.get(i + 1).is_some_and(char::is_ascii_digit)
                && (i == 0 || chars[i - 1] != '.'));
        if !starts_run {
            i += 1;
            continue;
        }
        // The run: digits, commas and dots.
        let start = i;
        let mut end = i;
        while end < chars.len() && (chars[end].is_ascii_digit() || matches!(chars[end], ',' | '.'))
        {
            end += 1;
        }
        // Trailing punctuation belongs to the sentence, not the number.
        let mut run_end = end;
        while run_end > start && matches!(chars[run_end - 1], ',' | '.') {
            run_end -= 1;
        }
        let glued_before = start > 0 && is_glue(chars[start - 1]);
        let glued_after = end < chars.len() && is_glue(chars[end]) && run_end == end;
        if !glued_before && !glued_after && run_end > start {
            let run: String = chars[start..run_end].iter().collect();
            parse_run(&run, &mut out);
        }
        // Skip the whole glued token, so `A12B34` yields nothing.
        i = end;
        if glued_after || glued_before {
            while i < chars.len() && (is_glue(chars[i]) || chars[i].is_ascii_digit()) {
                i += 1;
            }
        }
    }
    out
}

/// Parses a run of digits, commas and dots (no leading or trailing separator
/// but a possible leading dot) into numbers, following rule 3.
fn parse_run(run: &str, out: &mut Vec<Number>) {
    if run.matches('.').count() > 1 {
        return; // a date or a version
    }
    let (int_part, frac_part) = match run.split_once('.') {
        Some((i, f)) => (i, f),
        None => (run, ""),
    };
    if frac_part.contains(',') {
        return; // `1.234,56`: a locale we do not read
    }
    if !int_part.contains(',') {
        out.push(Number::from_parts(int_part, frac_part, false));
        return;
    }
    let groups: Vec<&str> = int_part.split(',').collect();
    let thousands = groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
        && groups[1..].iter().all(|g| g.len() == 3);
    if thousands {
        out.push(Number::from_parts(int_part, frac_part, true));
        return;
    }
    // A list: every part on its own; the decimal part stays with the last one.
    let last = groups.len() - 1;
    for (k, part) in groups.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        let frac = if k == last { frac_part } else { "" };
        out.push(Number::from_parts(part, frac, false));
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

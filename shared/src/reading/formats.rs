//! How a document writes its numbers: `1,234.56` (the default) or
//! `1.234,56`, decided for the document and, on unambiguous evidence only,
//! for a page that differs from it.
//!
//! Each page's text is read for [`Evidence`]: **strong** signs, which only
//! one format can read — two kinds of separator in one number (`1.234,56`,
//! `1,234.5`), two or more groups of three (`1.234.567`, `1,234,567`), or a
//! currency sign or code beside two decimals or one group of three
//! (`€ 12,50`, `$1.234`, `12,50 EUR`) — and **weak** ones: two-decimal
//! numbers that do not open a line (`3,75`, `3.75`). Argument, coordinate
//! and code lists are never evidence: a run with a comma right inside
//! brackets or after `=` (`Line(0,0,100,0)`, `c(0,20)`, `x[1,5]`), and a
//! run of three or more parts (`10,5,16,10`), say nothing.
//!
//! [`DocumentFormat`] keeps the evidence of the pages read so far. The
//! document's format is the one with more strong evidence; without any, weak
//! evidence decides only with a clear lead; the default otherwise. A page is
//! read in the document's format unless its own strong evidence for the
//! other one is at least [`PAGE_STRONG`] runs and more than for the
//! document's.

use serde::{Deserialize, Serialize};

/// How a page writes decimals and thousands: `1,234.56` (the default) or
/// `1.234,56`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    DotDecimal,
    CommaDecimal,
}

impl Format {
    pub(crate) fn decimal(self) -> u8 {
        match self {
            Format::DotDecimal => b'.',
            Format::CommaDecimal => b',',
        }
    }

    pub(crate) fn group(self) -> u8 {
        match self {
            Format::DotDecimal => b',',
            Format::CommaDecimal => b'.',
        }
    }

    /// The other format.
    pub fn other(self) -> Format {
        match self {
            Format::DotDecimal => Format::CommaDecimal,
            Format::CommaDecimal => Format::DotDecimal,
        }
    }

    /// As the report names it.
    pub fn example(self) -> &'static str {
        match self {
            Format::DotDecimal => "1,234.56",
            Format::CommaDecimal => "1.234,56",
        }
    }
}

/// Strong runs for the other format a page needs (beyond those for the
/// document's) to be read differently from its document.
pub const PAGE_STRONG: u32 = 2;

/// What a text says about its number format (see the module's rules).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evidence {
    pub dot: u32,
    pub comma: u32,
    pub weak_dot: u32,
    pub weak_comma: u32,
}

/// Where a run stands: what touches it on either side.
#[derive(Debug, Clone, Copy, Default)]
struct Context {
    /// It opens its line (a section number, more often than not).
    line_start: bool,
    /// A bracket or `=` touches it: an argument or coordinate list.
    in_list: bool,
    /// A currency sign or code stands beside it.
    currency: bool,
}

impl Evidence {
    /// Reads `text` for it.
    pub fn of(text: &str) -> Evidence {
        let mut out = Evidence::default();
        let bytes = text.as_bytes();
        let mut line_start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\n' {
                line_start = i + 1;
            }
            if !b.is_ascii_digit() || (i > 0 && is_run_byte(bytes[i - 1])) {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && is_run_byte(bytes[i]) {
                i += 1;
            }
            let mut end = i;
            while end > start && matches!(bytes[end - 1], b',' | b'.') {
                end -= 1;
            }
            let run = &text[start..end];
            if !run.contains([',', '.']) {
                continue;
            }
            let before = &text[line_start..start];
            let after = text[end..].split('\n').next().unwrap_or("");
            let context = Context {
                line_start: before.trim().is_empty(),
                in_list: before.ends_with(['(', '[', '{', '='])
                    || after.starts_with([')', ']', '}']),
                currency: currency_before(before) || currency_after(after),
            };
            out.add_run(run, context);
        }
        out
    }

    fn add_run(&mut self, run: &str, context: Context) {
        let commas = run.matches(',').count();
        let dots = run.matches('.').count();
        // Lists of three or more parts, and lists inside brackets.
        if commas + dots >= 2 && (commas == 0 || dots == 0) && !all_groups(run) {
            return;
        }
        if context.in_list && commas > 0 && dots == 0 {
            return;
        }
        for format in [Format::DotDecimal, Format::CommaDecimal] {
            let (group, decimal) = (format.group() as char, format.decimal() as char);
            let (int_part, frac) = match run.rsplit_once(decimal) {
                Some((i, f)) => (i, Some(f)),
                None => (run, None),
            };
            if int_part.contains(decimal) || frac.is_some_and(|f| f.contains(group)) {
                continue;
            }
            let groups = int_part.split(group).count();
            // A group after a lone zero (`0.125`) is a decimal, not thousands.
            let thousands =
                groups > 1 && !int_part.starts_with('0') && is_thousands(int_part, group);
            let two_decimals = groups == 1 && frac.is_some_and(|f| f.len() == 2);
            let strong = (thousands && (frac.is_some() || groups > 2))
                || (context.currency && (two_decimals || (thousands && groups == 2)));
            if strong {
                *self.strong_mut(format) += 1;
            } else if two_decimals && !context.line_start && !context.in_list {
                *self.weak_mut(format) += 1;
            }
        }
    }

    fn strong_mut(&mut self, format: Format) -> &mut u32 {
        match format {
            Format::DotDecimal => &mut self.dot,
            Format::CommaDecimal => &mut self.comma,
        }
    }

    fn weak_mut(&mut self, format: Format) -> &mut u32 {
        match format {
            Format::DotDecimal => &mut self.weak_dot,
            Format::CommaDecimal => &mut self.weak_comma,
        }
    }

    /// Runs only `format` can read.
    pub fn strong(self, format: Format) -> u32 {
        match format {
            Format::DotDecimal => self.dot,
            Format::CommaDecimal => self.comma,
        }
    }

    /// Adds another text's evidence.
    pub fn add(&mut self, other: Evidence) {
        self.dot += other.dot;
        self.comma += other.comma;
        self.weak_dot += other.weak_dot;
        self.weak_comma += other.weak_comma;
    }

    /// The format this evidence alone reads: the one with more strong runs;
    /// without any, `1.234,56` only when its short decimals are at least two
    /// and more than twice the others; the default (`1,234.56`) otherwise.
    pub fn format(self) -> Format {
        if self.comma > self.dot
            || (self.comma == 0
                && self.dot == 0
                && self.weak_comma >= 2
                && self.weak_comma > 2 * self.weak_dot)
        {
            Format::CommaDecimal
        } else {
            Format::DotDecimal
        }
    }

    /// Whether the text showed any sign of its format at all.
    pub fn any(self) -> bool {
        self.dot + self.comma + self.weak_dot + self.weak_comma > 0
    }
}

/// The format of a document, decided from the pages read so far, and of
/// each page (see the module's rules).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DocumentFormat {
    seen: Evidence,
}

impl DocumentFormat {
    /// Adds a page's evidence and says which format to read the page in.
    pub fn page(&mut self, page: Evidence) -> Format {
        self.seen.add(page);
        let document = self.seen.format();
        let other = document.other();
        if page.strong(other) >= PAGE_STRONG && page.strong(other) > page.strong(document) {
            other
        } else {
            document
        }
    }

    /// The document's format as far as its pages so far show.
    pub fn format(&self) -> Format {
        self.seen.format()
    }
}

/// A currency sign or code ends `before` (one space between allowed).
fn currency_before(before: &str) -> bool {
    let trimmed = before.strip_suffix(' ').unwrap_or(before);
    let trimmed = trimmed.trim_end_matches(['-', '+', '−']);
    trimmed.ends_with(is_currency_sign) || ends_with_code(trimmed)
}

/// A currency sign or code starts `after` (one space between allowed).
fn currency_after(after: &str) -> bool {
    let trimmed = after.strip_prefix(' ').unwrap_or(after);
    trimmed.starts_with(is_currency_sign) || starts_with_code(trimmed)
}

fn is_currency_sign(c: char) -> bool {
    matches!(
        c,
        '$' | '€'
            | '£'
            | '¥'
            | '₹'
            | '₽'
            | '₺'
            | '₩'
            | '₪'
            | '₫'
            | '₱'
            | '₦'
            | '₴'
            | '₲'
            | '¢'
    )
}

/// Three-letter currency codes that write amounts as either format.
const CODES: [&str; 24] = [
    "USD", "EUR", "GBP", "CHF", "JPY", "CAD", "AUD", "CNY", "INR", "SEK", "NOK", "DKK", "ARS",
    "BRL", "MXN", "CLP", "COP", "PEN", "UYU", "PLN", "CZK", "HUF", "RON", "TRY",
];

fn ends_with_code(text: &str) -> bool {
    is_code(text.rsplit(|c: char| !c.is_ascii_alphabetic()).next())
}

fn starts_with_code(text: &str) -> bool {
    is_code(text.split(|c: char| !c.is_ascii_alphabetic()).next())
}

fn is_code(word: Option<&str>) -> bool {
    word.is_some_and(|w| w.len() == 3 && CODES.iter().any(|c| c.eq_ignore_ascii_case(w)))
}

/// A byte of a run: a digit or a separator.
pub(crate) fn is_run_byte(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b',' | b'.')
}

/// Whether every separator of a one-separator run is a thousands group
/// (`1,234,567`, `1.234.567`).
fn all_groups(run: &str) -> bool {
    is_thousands(run, ',') || is_thousands(run, '.')
}

/// One to three digits, then groups of exactly three, split by `group`.
pub(crate) fn is_thousands(int_part: &str, group: char) -> bool {
    let mut groups = int_part.split(group);
    groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()))
        && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(text: &str) -> Format {
        Evidence::of(text).format()
    }

    #[test]
    fn a_text_shows_its_format() {
        assert_eq!(format("Summe 1.234.567,89 EUR"), Format::CommaDecimal);
        assert_eq!(format("Summe 1.234,5"), Format::CommaDecimal);
        assert_eq!(format("Total 1,234,567 and 1,234.5"), Format::DotDecimal);
        // Only prices: two decimals decide, given a clear lead.
        assert_eq!(format("Preis 3,75 und 2,50"), Format::CommaDecimal);
        assert_eq!(format("price 3.75 and 2.50"), Format::DotDecimal);
        assert_eq!(format("Preis 3,75"), Format::DotDecimal);
        // Strong beats weak; a tie is the default.
        assert_eq!(format("1,234,567 and 3,75 and 2,50"), Format::DotDecimal);
        assert_eq!(format("12 and 7"), Format::DotDecimal);
        assert!(!Evidence::of("12 and 7").any());
        // Section numbers opening a line say nothing.
        assert!(!Evidence::of("5.30 Ergebnisse\n6.10 Schluss").any());
    }

    #[test]
    fn currency_beside_a_number_is_strong() {
        for text in [
            "Total € 12,50",
            "12,50 €",
            "EUR 3,75",
            "$ 1.234",
            "ARS 99,90",
        ] {
            let e = Evidence::of(text);
            assert_eq!((e.comma, e.dot), (1, 0), "{text}: {e:?}");
        }
        for text in ["$12.50", "12.50 USD", "£1,234"] {
            let e = Evidence::of(text);
            assert_eq!((e.dot, e.comma), (1, 0), "{text}: {e:?}");
        }
    }

    #[test]
    fn code_coordinates_and_argument_lists_are_no_evidence() {
        for text in [
            "Line(0,0,100,0)",
            "plot(x, xlim = c(0,20))",
            "x[1,5] <- 3",
            "points 10,5,16,10 and 2,30,4,50",
            "seq=0,20",
            "rect(1,25)",
            "f(1.5,2.25)",
            "1.2.3 and 12.31.2015",
        ] {
            let e = Evidence::of(text);
            assert_eq!(e.comma + e.weak_comma, 0, "{text}: {e:?}");
        }
        // Both separators inside brackets still tell.
        assert_eq!(Evidence::of("(1.234,56)").comma, 1);
    }

    #[test]
    fn a_leading_zero_is_not_a_thousands_group() {
        assert_eq!(Evidence::of("0.125,5").comma, 0);
        assert_eq!(Evidence::of("0.125.000").comma, 0);
    }

    #[test]
    fn the_document_decides_and_a_page_differs_only_on_strong_evidence() {
        let mut doc = DocumentFormat::default();
        // German pages.
        assert_eq!(
            doc.page(Evidence::of("Summe 1.234,56 und 7.890,12 mit 2.000,00")),
            Format::CommaDecimal
        );
        // A page with prices only follows the document…
        assert_eq!(doc.page(Evidence::of("Preis 3.75")), Format::CommaDecimal);
        // …and a page of code too.
        assert_eq!(
            doc.page(Evidence::of("Line(0,0,100,0)\nx = 4.5")),
            Format::CommaDecimal
        );
        // A page of English amounts differs.
        assert_eq!(
            doc.page(Evidence::of("Total 1,234.56 and 2,345.67")),
            Format::DotDecimal
        );
        assert_eq!(doc.format(), Format::CommaDecimal);

        // An English document with pages of code: never European.
        let mut doc = DocumentFormat::default();
        for page in [
            "The mean is 4.5 and 2.14 with 6.5",
            "x <- c(0,20)\nplot(x[1,5], 10,5,16,10)\nLine(0,0,100,0)",
            "at 0,20 and 0,25",
            "Total 1,234",
        ] {
            assert_eq!(doc.page(Evidence::of(page)), Format::DotDecimal, "{page}");
        }
    }
}

//! Number formats decided for the document (`reading::formats`), on generated
//! PDFs: English pages of code listings and coordinate lists are never read
//! as `1.234,56`; German, Spanish and Argentine-style documents are; a mixed
//! document reads each page in its own format.

#![cfg(feature = "analysis")]

mod common;

use shared::analysis::Listed;
use shared::contract::report::Report;
use shared::reading::roles::Role;

/// A PDF of `pages`, each page's lines drawn in Helvetica (parentheses and
/// backslashes escaped).
fn document(pages: &[String]) -> Vec<u8> {
    let streams: Vec<(&str, Vec<u8>)> = pages
        .iter()
        .map(|text| {
            let escaped = text
                .replace('\\', "\\\\")
                .replace('(', "\\(")
                .replace(')', "\\)");
            ("/FlateDecode", common::zlib(&common::content(&escaped)))
        })
        .collect();
    common::pdf(&streams)
}

fn analysed(pages: &[String]) -> (Report, Vec<Listed>) {
    common::analysed_with_numbers(&document(pages), None).expect("analysed")
}

/// A small deterministic generator, so each document has many pages that
/// differ (xorshift).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An amount of 4–7 integer digits with two decimals, as (integer, cents).
    fn amount(&mut self) -> (u64, u64) {
        let digits = 4 + self.below(4) as u32;
        let low = 10u64.pow(digits - 1);
        (low + self.below(9 * low), self.below(100))
    }
}

/// `1234567` written in groups of three with `sep`.
fn grouped(mut n: u64, sep: char) -> String {
    let mut parts = Vec::new();
    while n >= 1000 {
        parts.push(format!("{:03}", n % 1000));
        n /= 1000;
    }
    parts.push(n.to_string());
    parts.reverse();
    parts.join(&sep.to_string())
}

/// A decimal without trailing zeros after its point (`52067.40` → `52067.4`,
/// `2.0` → `2`), as the report writes values.
fn plain(value: &str) -> String {
    if value.contains('.') {
        value.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        value.to_owned()
    }
}

/// Every `(page, value)` of `expected` is among the numbers listed on its
/// page.
fn assert_read(listed: &[Listed], expected: &[(u32, String)], what: &str) {
    for (page, value) in expected {
        let values = values_on(listed, *page);
        assert!(
            values.contains(&plain(value)),
            "{what} page {page}: {value} missing from {values:?}"
        );
    }
}

/// The listed values on page `page`, as the report's plain decimals.
fn values_on(listed: &[Listed], page: u32) -> Vec<String> {
    listed
        .iter()
        .filter(|n| n.page == page)
        .filter_map(|n| n.value.as_deref().map(plain))
        .collect()
}

fn english_pages(rng: &mut Gen, n: usize) -> (Vec<String>, Vec<(u32, String)>) {
    let mut pages = Vec::new();
    let mut expected = Vec::new();
    for p in 0..n {
        let page = p as u32 + 1;
        let text = match p % 3 {
            0 => {
                let (int, cents) = rng.amount();
                let mean = format!("{}.{}", 1 + rng.below(9), rng.below(10));
                let x = format!("{}.{:02}", 1 + rng.below(9), rng.below(100));
                expected.push((page, format!("{int}.{cents:02}")));
                expected.push((page, mean.clone()));
                expected.push((page, x.clone()));
                format!(
                    "The total came to ${}.{cents:02} this year.\nThe mean was {mean} and the \
                     slope {x}.\nSee the listing on the next page.",
                    grouped(int, ',')
                )
            }
            1 => {
                let (a, b) = (rng.below(50), 10 + rng.below(90));
                format!(
                    "plot(x, y, xlim = c(0,{b}), ylim=c({a},{b}))\nLine(0,0,{b},0)\n\
                     m <- x[1,5] + x[2,{a}]\npolygon(10,5,16,10,{a},{b})\nwindow at 0,{b}\n\
                     call f(1.5,2.25) and g(0.125,0.5)"
                )
            }
            _ => {
                let (int, _) = rng.amount();
                expected.push((page, int.to_string()));
                format!(
                    "Coordinates: 12,5 and 30,45,60 and 4,{}\nThe population was {} in all.",
                    10 + rng.below(90),
                    grouped(int, ',')
                )
            }
        };
        pages.push(text);
    }
    (pages, expected)
}

#[test]
fn english_pages_of_code_and_coordinates_are_never_european() {
    let mut rng = Gen(0x5eed_1234);
    let (pages, expected) = english_pages(&mut rng, 30);
    let (report, listed) = analysed(&pages);
    let format = &report.numbers.format;
    assert_eq!(format.comma_decimal_pages, 0, "{format:?}");
    assert_eq!(format.detected, "1,234.56");
    assert_read(&listed, &expected, "");
}

fn european_page(rng: &mut Gen, currency: &str, lines: usize) -> (String, Vec<String>) {
    let mut text = Vec::new();
    let mut values = Vec::new();
    for _ in 0..lines {
        let (int, cents) = rng.amount();
        values.push(format!("{int}.{cents:02}"));
        text.push(format!(
            "Posten {}: {currency} {},{cents:02}",
            1 + rng.below(40),
            grouped(int, '.')
        ));
    }
    (text.join("\n"), values)
}

#[test]
fn german_and_spanish_documents_are_read_as_comma_decimals() {
    for (currency, seed) in [("EUR", 7u64), ("$", 11), ("", 13)] {
        let mut rng = Gen(seed);
        let mut pages = Vec::new();
        let mut expected = Vec::new();
        for p in 0..12 {
            let (text, values) = european_page(&mut rng, currency, 5);
            // Every fourth page holds only short prices: it follows the
            // document.
            if p % 4 == 3 {
                pages.push(format!(
                    "Preis 3,{:02} und 2,{:02} sowie 1,5 Liter",
                    rng.below(100),
                    rng.below(100)
                ));
                expected.push((p as u32 + 1, "1.5".to_owned()));
            } else {
                pages.push(text);
                expected.extend(values.into_iter().map(|v| (p as u32 + 1, v)));
            }
        }
        let (report, listed) = analysed(&pages);
        let format = &report.numbers.format;
        assert_eq!(format.dot_decimal_pages, 0, "{currency:?}: {format:?}");
        assert_eq!(format.detected, "1.234,56");
        assert_read(&listed, &expected, &format!("{currency:?}"));
    }
}

#[test]
fn an_argentine_filing_keeps_its_tax_ids_out_of_the_tests() {
    let mut rng = Gen(0xa5);
    let mut pages = Vec::new();
    let mut amounts = Vec::new();
    for _ in 0..6 {
        let mut lines = vec![format!(
            "CUIT 20-{}-{} Aportante",
            10_000_000 + rng.below(89_999_999),
            rng.below(10)
        )];
        for _ in 0..6 {
            let (int, cents) = rng.amount();
            amounts.push(format!("{int}.{cents:02}"));
            lines.push(format!(
                "Aporte en efectivo $ {},{cents:02} el 12/03/2019",
                grouped(int, '.')
            ));
        }
        let (int, cents) = rng.amount();
        amounts.push(format!("{int}.{cents:02}"));
        lines.push(format!("Total ({},{cents:02})", grouped(int, '.')));
        pages.push(lines.join("\n"));
    }
    let (report, listed) = analysed(&pages);
    assert_eq!(report.numbers.format.detected, "1.234,56");
    let values: Vec<String> = listed
        .iter()
        .filter_map(|n| n.value.as_deref().map(plain))
        .collect();
    for amount in &amounts {
        assert!(values.contains(&plain(amount)), "{amount} not read");
    }
    for n in listed.iter().filter(|n| n.line.starts_with("CUIT")) {
        assert_eq!(n.role, Role::Identifier, "{n:?}");
        assert!(!n.used, "{n:?}");
    }
}

#[test]
fn a_mixed_document_reads_each_page_in_its_own_format() {
    let mut rng = Gen(99);
    let mut pages = Vec::new();
    let mut expected = Vec::new();
    for p in 0..10u32 {
        if p < 6 {
            let (text, values) = european_page(&mut rng, "EUR", 4);
            pages.push(text);
            expected.extend(values.into_iter().map(|v| (p + 1, v)));
        } else {
            let mut lines = Vec::new();
            for _ in 0..4 {
                let (int, cents) = rng.amount();
                expected.push((p + 1, format!("{int}.{cents:02}")));
                lines.push(format!("Item: USD {}.{cents:02}", grouped(int, ',')));
            }
            pages.push(lines.join("\n"));
        }
    }
    let (report, listed) = analysed(&pages);
    let format = &report.numbers.format;
    assert_eq!(
        (format.comma_decimal_pages, format.dot_decimal_pages),
        (6, 4),
        "{format:?}"
    );
    assert_eq!(format.detected, "mixed");
    assert_read(&listed, &expected, "");
}

//! Tables found in generated invoices and statements (`reading::tables`,
//! through the engine's own layout): several layouts — right-aligned
//! amounts, currency signs, descriptions wrapped over two lines, debit and
//! credit columns that are each empty on half the rows, two tables on a
//! page, bold headers, no ruling lines — with the truth written beside each
//! amount as it is drawn. Measured: the share of amounts placed in the
//! column whose header the truth names (≥ 98 %).

#![cfg(feature = "analysis")]

mod common;

use shared::analysis::{Analysis, Limits, Listed, Merger, source::ready};
use shared::contract::report::Report;
use shared::reading::columns::Columns;

/// Glyph widths in thousandths of an em (a proportional face; the fonts
/// carry them as `/Widths`, so the generator and the engine agree).
fn glyph_width(c: u8) -> u32 {
    match c {
        b' ' | b'.' | b',' | b'\'' | b'i' | b'l' | b'j' => 278,
        b'0'..=b'9' | b'$' => 556,
        b'A'..=b'Z' | 0x80 | 0xa3 => 667,
        b'm' | b'w' => 833,
        b'a'..=b'z' => 500,
        _ => 400,
    }
}

/// WinAnsi bytes of `text` (`€` and `£` mapped; other text is ASCII).
fn encode(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            '£' => 0xa3,
            c => c as u8,
        })
        .collect()
}

/// Width of `text` at `size` points (bold is the same face, a touch wider).
fn width(text: &str, size: f64, bold: bool) -> f64 {
    let w: u32 = encode(text).iter().map(|&c| glyph_width(c)).sum();
    f64::from(w) / 1000.0 * size * if bold { 1.05 } else { 1.0 }
}

/// One page being drawn, and the truth of its amounts.
#[derive(Default)]
struct Page {
    ops: String,
    /// (text drawn, the header of its column).
    truth: Vec<(String, String)>,
}

impl Page {
    fn text(&mut self, x: f64, y: f64, text: &str, bold: bool) {
        let escaped: String = encode(text)
            .iter()
            .map(|&b| match b {
                b'(' | b')' | b'\\' => format!("\\{}", b as char),
                0x20..=0x7e => (b as char).to_string(),
                other => format!("\\{other:03o}"),
            })
            .collect();
        let font = if bold { "F2" } else { "F1" };
        self.ops.push_str(&format!(
            "BT /{font} 9 Tf {x:.2} {y:.2} Td ({escaped}) Tj ET\n"
        ));
    }

    /// `text` ending at `right`.
    fn right(&mut self, right: f64, y: f64, text: &str, bold: bool) {
        self.text(right - width(text, 9.0, bold), y, text, bold);
    }

    /// An amount in column `header`, ending at `right`.
    fn amount(&mut self, right: f64, y: f64, text: &str, header: &str) {
        self.right(right, y, text, false);
        self.truth.push((text.to_owned(), header.to_owned()));
    }
}

/// xorshift, so every document differs and the test is deterministic.
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

    /// An amount from 0.10 to about 90,000 written `1,234.56`.
    fn money(&mut self) -> String {
        let digits = 2 + self.below(6) as u32;
        let cents = 10 + self.below(10u64.pow(digits));
        let (int, frac) = (cents / 100, cents % 100);
        let digits = int.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{grouped}.{frac:02}")
    }

    fn word(&mut self) -> &'static str {
        const WORDS: [&str; 12] = [
            "Widget",
            "bracket",
            "steel",
            "Consulting",
            "hours",
            "Cable",
            "blue",
            "Freight",
            "service",
            "Licence",
            "annual",
            "Paper",
        ];
        WORDS[self.below(WORDS.len() as u64) as usize]
    }

    fn description(&mut self, words: usize) -> String {
        (0..words)
            .map(|_| self.word())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// An invoice: Description | Qty | Unit price | Amount, a description
/// wrapped now and then, a currency sign in `sign` before every amount when
/// given, then subtotal and total rows whose labels span the first columns.
fn invoice(g: &mut Gen, sign: &str) -> Page {
    let mut p = Page::default();
    p.text(
        50.0,
        750.0,
        &format!("INVOICE {}", 1000 + g.below(9000)),
        true,
    );
    p.text(50.0, 735.0, "Acme Supplies Ltd, 12 Harbour Road", false);
    let y0 = 690.0;
    p.text(50.0, y0, "Description", true);
    p.right(330.0, y0, "Qty", true);
    p.right(430.0, y0, "Unit price", true);
    p.right(540.0, y0, "Amount", true);
    let mut y = y0 - 16.0;
    for _ in 0..(4 + g.below(12)) {
        if g.below(4) == 0 {
            p.text(50.0, y, &g.description(4), false);
            y -= 11.0;
        }
        p.text(50.0, y, &g.description(2), false);
        let qty = (1 + g.below(40)).to_string();
        p.amount(330.0, y, &qty, "Qty");
        p.amount(430.0, y, &format!("{sign}{}", g.money()), "Unit price");
        p.amount(540.0, y, &format!("{sign}{}", g.money()), "Amount");
        y -= 14.0;
    }
    y -= 6.0;
    p.text(250.0, y, "Subtotal", false);
    p.amount(540.0, y, &format!("{sign}{}", g.money()), "Amount");
    y -= 14.0;
    p.text(250.0, y, "Total amount due", true);
    p.amount(540.0, y, &format!("{sign}{}", g.money()), "Amount");
    p.text(
        50.0,
        y - 40.0,
        "Payment within 30 days. Thank you for your business.",
        false,
    );
    p
}

/// A statement: Date | Description | Debit | Credit | Balance, each row
/// with either a debit or a credit.
fn statement(g: &mut Gen) -> Page {
    let mut p = Page::default();
    p.text(50.0, 750.0, "Account statement", true);
    let y0 = 700.0;
    p.text(50.0, y0, "Date", true);
    p.text(120.0, y0, "Description", true);
    p.right(400.0, y0, "Debit", true);
    p.right(470.0, y0, "Credit", true);
    p.right(550.0, y0, "Balance", true);
    let mut y = y0 - 15.0;
    for _ in 0..(6 + g.below(20)) {
        let date = format!("2024-{:02}-{:02}", 1 + g.below(12), 1 + g.below(28));
        p.text(50.0, y, &date, false);
        p.truth.push((date, "Date".to_owned()));
        let words = 1 + g.below(3) as usize;
        p.text(120.0, y, &g.description(words), false);
        if g.below(2) == 0 {
            p.amount(400.0, y, &g.money(), "Debit");
        } else {
            p.amount(470.0, y, &g.money(), "Credit");
        }
        p.amount(550.0, y, &g.money(), "Balance");
        y -= 13.0;
    }
    p
}

/// Two tables on a page with a heading between them.
fn two_tables(g: &mut Gen) -> Page {
    let mut p = Page::default();
    p.text(50.0, 750.0, "Orders", true);
    p.text(50.0, 730.0, "Item", true);
    p.right(400.0, 730.0, "Price", true);
    let mut y = 716.0;
    for _ in 0..(3 + g.below(5)) {
        p.text(50.0, y, &g.description(2), false);
        p.amount(400.0, y, &format!("£{}", g.money()), "Price");
        y -= 14.0;
    }
    y -= 30.0;
    p.text(50.0, y, "Payments received", true);
    y -= 20.0;
    p.text(50.0, y, "Payer", true);
    p.right(300.0, y, "Paid", true);
    p.right(500.0, y, "Fee", true);
    y -= 14.0;
    for _ in 0..(3 + g.below(5)) {
        p.text(50.0, y, g.word(), false);
        p.amount(300.0, y, &format!("€{}", g.money()), "Paid");
        p.amount(500.0, y, &g.money(), "Fee");
        y -= 14.0;
    }
    p
}

/// A ledger with tight columns (a credit in one column ends a few points
/// before the next column's longest figure starts): Ref | Vendor | Net |
/// VAT | Gross, headers
/// centred over their columns, credits in parentheses, VAT empty on some
/// rows, amounts left-aligned in the Gross column.
fn ledger(g: &mut Gen) -> Page {
    let mut p = Page::default();
    p.text(50.0, 760.0, "Purchase ledger, second quarter", true);
    let y0 = 735.0;
    let centred = |p: &mut Page, centre: f64, text: &str| {
        p.text(centre - width(text, 9.0, true) / 2.0, y0, text, true);
    };
    centred(&mut p, 70.0, "Ref");
    centred(&mut p, 160.0, "Vendor");
    centred(&mut p, 300.0, "Net");
    centred(&mut p, 372.0, "VAT");
    p.text(410.0, y0, "Gross", true);
    let mut y = y0 - 13.0;
    for _ in 0..(10 + g.below(25)) {
        let reference = format!("L-{}", 100 + g.below(900));
        p.text(50.0, y, &reference, false);
        p.text(110.0, y, g.word(), false);
        let credit = g.below(5) == 0;
        let money = |g: &mut Gen| {
            let m = g.money();
            if credit { format!("({m})") } else { m }
        };
        let net = money(g);
        p.amount(330.0, y, &net, "Net");
        if g.below(3) > 0 {
            let vat = money(g);
            p.amount(395.0, y, &vat, "VAT");
        }
        let gross = money(g);
        p.text(410.0, y, &gross, false);
        p.truth.push((gross, "Gross".to_owned()));
        y -= 11.0;
    }
    p
}

/// The PDF of `pages` with a regular (`/F1`) and a bold (`/F2`) face.
fn pdf(pages: &[Page]) -> Vec<u8> {
    let widths = |bold: bool| {
        (32u8..=255)
            .map(|c| {
                let w = f64::from(glyph_width(c)) * if bold { 1.05 } else { 1.0 };
                format!("{w:.2}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let n = pages.len();
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 5 + 2 * i)).collect();
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes(),
    ];
    for (name, bold) in [("Sans", false), ("Sans-Bold", true)] {
        objects.push(
            format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding \
                 /FirstChar 32 /LastChar 255 /Widths [{}] >>",
                widths(bold)
            )
            .into_bytes(),
        );
    }
    for (i, page) in pages.iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {} 0 R \
                 /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>",
                6 + 2 * i
            )
            .into_bytes(),
        );
        let data = common::zlib(page.ops.as_bytes());
        let mut stream = format!(
            "<< /Length {} /Filter /FlateDecode >>\nstream\n",
            data.len()
        )
        .into_bytes();
        stream.extend_from_slice(&data);
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }
    common::serialise(&objects)
}

/// Where `text` stands in `line` as a whole token (between spaces or the
/// line's ends).
fn token_at(line: &str, text: &str) -> Option<usize> {
    line.match_indices(text).map(|(at, _)| at).find(|&at| {
        let before = line[..at].chars().next_back();
        let after = line[at + text.len()..].chars().next();
        before.is_none_or(char::is_whitespace) && after.is_none_or(char::is_whitespace)
    })
}

/// The 48 pages of the test, in the five layouts, and their PDF.
fn generated() -> (Vec<Page>, Vec<u8>) {
    let mut g = Gen(0x5eed_7ab1e);
    let mut pages = Vec::new();
    for i in 0..48 {
        pages.push(match i % 6 {
            0 => invoice(&mut g, ""),
            1 => invoice(&mut g, "$"),
            2 => statement(&mut g),
            3 => two_tables(&mut g),
            4 => ledger(&mut g),
            _ => invoice(&mut g, "€ "),
        });
    }
    let bytes = pdf(&pages);
    (pages, bytes)
}

#[test]
fn amounts_are_placed_in_their_columns() {
    let (pages, bytes) = generated();
    let limits = Limits::default();
    let (mut right, mut total, mut wrong) = (0usize, 0usize, Vec::new());
    ready(async {
        let mut analysis = Analysis::open(&bytes[..], &limits, &|| 0.0)
            .await
            .expect("opens");
        for (n, page) in pages.iter().enumerate() {
            let (lines, tables) = analysis
                .page_tables(n as u32 + 1, &|| 0.0)
                .await
                .expect("page");
            // Each amount is found on the next line that holds it, in order.
            let mut from_line = 0;
            for (text, header) in &page.truth {
                total += 1;
                let found = (from_line..lines.len()).find_map(|i| {
                    let start = token_at(&lines[i], text)?;
                    Some((i, start))
                });
                let Some((i, start)) = found else {
                    wrong.push(format!("page {}: {text} not in the text", n + 1));
                    continue;
                };
                from_line = i;
                let from = lines[i][..start].chars().count();
                let to = from + text.chars().count();
                let placed = tables
                    .place(i, from, to)
                    .and_then(|(t, c)| Some(tables.tables[t].columns[c?].header.clone()));
                if placed.as_deref() == Some(header.as_str()) {
                    right += 1;
                } else {
                    wrong.push(format!(
                        "page {}: {text} under {placed:?}, not {header:?} ({})",
                        n + 1,
                        lines[i]
                    ));
                }
            }
        }
    })
    .expect("reads from memory finish at once");
    let share = right as f64 / total as f64;
    println!(
        "{right} of {total} amounts in the right column ({:.2} %)",
        share * 100.0
    );
    assert!(total > 1_000, "{total} amounts drawn");
    assert!(
        share >= 0.98,
        "{:.2} % placed right; the first wrong: {:#?}",
        share * 100.0,
        &wrong[..wrong.len().min(12)]
    );
}

/// The analysis of the generated pages (the columns in `columns` alone
/// chosen for the tests, when given): its report and the list of numbers.
fn analysed(bytes: &[u8], columns: Option<&str>) -> (Report, Vec<Listed>) {
    ready(async {
        let mut analysis = Analysis::open(bytes, &Limits::default(), &|| 0.0)
            .await
            .expect("opens");
        analysis.select_columns(columns.map(|c| Columns::parse(c).expect("columns")));
        let partial = analysis.partial(&|| 0.0).await.expect("analysed");
        let rows: Vec<Listed> = partial.listed.rows().collect();
        let mut merger = Merger::default();
        merger.add(partial);
        (merger.finish(&|| 0.0).expect("a report"), rows)
    })
    .expect("reads from memory finish at once")
}

#[test]
fn every_listed_number_carries_its_table_and_column() {
    let (pages, bytes) = generated();
    let (report, rows) = analysed(&bytes, None);
    // Each drawn amount is listed with its page and its column's header.
    let (mut right, mut total) = (0, 0);
    for (n, page) in pages.iter().enumerate() {
        let on_page: Vec<&Listed> = rows.iter().filter(|r| r.page == n as u32 + 1).collect();
        let mut from = 0;
        for (text, header) in &page.truth {
            total += 1;
            // The list holds numbers as written, without sign or currency,
            // and a date as its parts.
            let bare = text
                .trim_start_matches(['$', '€', '£', ' ', '('])
                .trim_end_matches(')')
                .split('-')
                .next()
                .unwrap_or_default();
            if let Some(at) = (from..on_page.len()).find(|&i| on_page[i].text == bare) {
                from = at + 1;
                right += usize::from(on_page[at].column.as_deref() == Some(header.as_str()));
                assert!(
                    on_page[at].table.is_some_and(|t| t >= 1),
                    "{text}: no table"
                );
            }
        }
    }
    assert!(
        right as f64 >= 0.98 * total as f64,
        "{right} of {total} listed in their column"
    );
    // The report counts the tables and their columns.
    let tables = &report.tables;
    assert!(tables.found >= 48, "{} tables", tables.found);
    assert_eq!(tables.found as usize, tables.tables.len());
    assert!(tables.chosen.is_none());
    let headers: Vec<&str> = tables.columns.iter().map(|c| c.header.as_str()).collect();
    for header in [
        "Amount",
        "Qty",
        "Unit price",
        "Debit",
        "Balance",
        "Paid",
        "Gross",
    ] {
        assert!(headers.contains(&header), "{header} not in {headers:?}");
    }
    let in_columns: u64 = tables.columns.iter().map(|c| c.numbers).sum();
    assert_eq!(in_columns, tables.numbers);
    assert_eq!(
        rows.iter().filter(|r| r.column.is_some()).count() as u64,
        tables.numbers
    );
    for table in &tables.tables {
        let [x0, y0, x1, y1] = table.bbox.expect("a table has a box");
        assert!(x0 < x1 && y0 < y1 && table.rows >= 2);
    }
}

#[test]
fn chosen_columns_alone_enter_the_tests() {
    let (_, bytes) = generated();
    let (all, _) = analysed(&bytes, None);
    let (report, rows) = analysed(&bytes, Some(" amount,BALANCE "));
    let chosen = |c: Option<&str>| {
        c.is_some_and(|c| c.eq_ignore_ascii_case("amount") || c.eq_ignore_ascii_case("balance"))
    };
    let used: Vec<&Listed> = rows.iter().filter(|r| r.used).collect();
    assert!(used.len() > 200, "{} used", used.len());
    assert!(used.iter().all(|r| chosen(r.column.as_deref())));
    // Those numbers of the chosen columns that were used without a choice
    // are used with it: the choice takes nothing else away.
    let (_, all_rows) = analysed(&bytes, None);
    let used_before = all_rows
        .iter()
        .filter(|r| r.used && chosen(r.column.as_deref()))
        .count();
    assert_eq!(used.len(), used_before);
    assert_eq!(report.numbers.used, used.len() as u64);
    assert!(report.numbers.used < all.numbers.used);
    assert_eq!(report.benford.first_digit.n, report.numbers.used);
    let tables = &report.tables;
    assert_eq!(
        tables.chosen.as_ref().map(|c| c.names().to_vec()),
        Some(vec!["amount".to_owned(), "BALANCE".to_owned()])
    );
    let used_in = |h: &str| {
        tables
            .columns
            .iter()
            .find(|c| c.header == h)
            .map_or(0, |c| c.used)
    };
    assert_eq!(used_in("Amount") + used_in("Balance"), report.numbers.used);
    assert_eq!(used_in("Qty"), 0);
}

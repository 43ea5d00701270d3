//! Generated invoices for the collection benchmark: one page each, a table
//! `Description | Qty | Unit price | Amount` with right-aligned figures and
//! no ruling lines, in Helvetica. An honest vendor's amounts are drawn
//! log-uniformly (they follow Benford's law); a fabricating vendor's are
//! made up the way people make numbers up — mid-range first digits, round
//! endings.

/// A tiny deterministic generator (xorshift).
pub struct Gen(pub u64);

impl Gen {
    pub fn draw(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.draw() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Helvetica's advance widths (per 1000 em) for the characters used.
fn width(c: char) -> u32 {
    match c {
        '0'..='9' | '$' => 556,
        '.' | ',' | ' ' => 278,
        'i' | 'l' | 'j' => 222,
        'f' | 't' | 'r' => 333,
        'm' | 'w' => 833,
        'A'..='Z' => 667,
        _ => 556,
    }
}

fn text_width(text: &str, size: f64) -> f64 {
    text.chars().map(width).sum::<u32>() as f64 * size / 1000.0
}

/// `1234.5` as `1,234.50`.
fn money(cents: u64) -> String {
    let units = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped}.{:02}", cents % 100)
}

/// An amount in cents: log-uniform over 10.00 … 99,999.99, or made up.
fn amount(g: &mut Gen, fabricated: bool) -> u64 {
    if fabricated {
        // First digits 5–8, two to four digits, mostly round.
        let digits = 2 + g.draw() % 3;
        let lead = 5 + g.draw() % 4;
        let rest = g.draw() % 10u64.pow(digits as u32 - 1);
        let value = lead * 10u64.pow(digits as u32 - 1) + rest;
        let cents = if g.draw().is_multiple_of(3) { 50 } else { 0 };
        value * 100 + cents
    } else {
        let value = 10f64.powf(1.0 + 4.0 * g.unit());
        (value * 100.0) as u64
    }
}

const WORDS: [&str; 12] = [
    "Widget", "bracket", "steel", "cable", "service", "hours", "licence", "paper", "blue",
    "assembly", "repair", "freight",
];

/// One invoice of `vendor` (`rows` lines) as a PDF.
pub fn invoice_pdf(seed: u64, vendor: &str, rows: usize, fabricated: bool) -> Vec<u8> {
    let mut g = Gen(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let size = 10.0;
    let mut ops = String::new();
    let mut put = |x: f64, y: f64, text: &str| {
        let escaped = text
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        ops.push_str(&format!(
            "BT /F1 {size} Tf {x:.2} {y:.2} Td ({escaped}) Tj ET\n"
        ));
    };
    let right = |right: f64, text: &str| right - text_width(text, size);
    put(50.0, 780.0, &format!("INVOICE {seed:06}"));
    put(50.0, 764.0, vendor);
    put(50.0, 748.0, "Date: 2026-03-14");
    let (qty_r, unit_r, amount_r) = (330.0, 430.0, 540.0);
    let header_y = 710.0;
    put(50.0, header_y, "Description");
    put(right(qty_r, "Qty"), header_y, "Qty");
    put(right(unit_r, "Unit price"), header_y, "Unit price");
    put(right(amount_r, "Amount"), header_y, "Amount");
    let mut total = 0;
    for row in 0..rows {
        let y = header_y - 16.0 * (row as f64 + 1.0);
        let words = 1 + (g.draw() % 3) as usize;
        let description: Vec<&str> = (0..words)
            .map(|_| WORDS[(g.draw() % WORDS.len() as u64) as usize])
            .collect();
        let qty = 1 + g.draw() % 9;
        let cents = amount(&mut g, fabricated);
        total += cents;
        let unit = money(cents / qty);
        let line = money(cents);
        put(50.0, y, &description.join(" "));
        put(right(qty_r, &qty.to_string()), y, &qty.to_string());
        put(right(unit_r, &unit), y, &unit);
        put(right(amount_r, &line), y, &line);
    }
    let y = header_y - 16.0 * (rows as f64 + 2.0);
    put(right(unit_r, "Total"), y, "Total");
    put(right(amount_r, &money(total)), y, &money(total));
    pdf(&ops)
}

/// A one-page PDF of `content` with Helvetica as `/F1` (written by
/// [`crate::big`]'s writer).
fn pdf(content: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let written = (|| {
        let mut w = crate::big::Writer::new(&mut out)?;
        w.object(1, b"<< /Type /Catalog /Pages 2 0 R >>")?;
        w.object(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")?;
        w.object(
            3,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
              /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        )?;
        w.object(
            4,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        )?;
        w.stream(5, "", content.as_bytes())?;
        w.finish()
    })();
    // Writing into memory cannot fail.
    debug_assert!(written.is_ok());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(123_456_789), "1,234,567.89");
        assert_eq!(money(1_050), "10.50");
    }

    #[test]
    fn fabricated_amounts_start_with_five_to_eight() {
        let mut g = Gen(7);
        for _ in 0..200 {
            let lead = amount(&mut g, true).to_string().as_bytes()[0] - b'0';
            assert!((5..=8).contains(&lead), "{lead}");
        }
    }
}

#[cfg(test)]
mod read_back {
    use shared::analysis::source::ready;
    use shared::analysis::{Analysis, Limits, Merger};
    use shared::reading::columns::Columns;

    use super::invoice_pdf;

    /// The engine finds the Amount column of every row.
    #[test]
    fn the_engine_reads_the_amount_column() {
        for (seed, fabricated) in [(1, false), (2, true)] {
            let bytes = invoice_pdf(seed, "Vendor 07", 25, fabricated);
            let report = ready(async {
                let mut analysis = Analysis::open(bytes.as_slice(), &Limits::default(), &|| 0.0)
                    .await
                    .expect("opens");
                analysis.select_columns(Columns::parse("Amount").ok());
                let partial = analysis.partial(&|| 0.0).await.expect("analysed");
                let mut merger = Merger::default();
                merger.add(partial);
                merger.finish(&|| 0.0).expect("a report")
            })
            .expect("in memory");
            // Every row's amount; the total stands apart, below the table.
            assert_eq!(report.numbers.used, 25, "{:?}", report.tables);
            assert_eq!(report.tables.found, 1);
        }
    }
}

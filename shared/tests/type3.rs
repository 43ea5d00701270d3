//! Type 3 fonts (pdfTeX's bitmap fonts, common for typewriter text in
//! statistics documents) give their advances in glyph space, which their own
//! `/FontMatrix` scales to text space — not in thousandths of an em. Read as
//! thousandths, a glyph space of 1/100 made every advance ten times too
//! small, glyphs piled up, and repeated digits were merged as overprinted
//! ones: `0.00028` came out `0.028`. Here a Type 3 font with a FontMatrix of
//! 1/100 (and one of 1/1000, the same font in other units) must read every
//! digit.

use shared::analysis::extract::Extractor;

mod common;

/// One page showing `shown` (a content stream's operators) in a Type 3 font
/// whose glyph space is `1/units` of text space, every glyph `units / 2`
/// wide (half an em).
fn type3_pdf(units: u32, shown: &str) -> Vec<u8> {
    let scale = 1.0 / f64::from(units);
    let width = units / 2;
    let widths: Vec<String> = (46..=57).map(|_| width.to_string()).collect();
    let content = format!("BT /F1 10 Tf 72 720 Td {shown} ET");
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R \
           /Resources << /Font << /F1 4 0 R >> >> >>"
            .to_vec(),
        format!(
            "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 {units} {units}] \
             /FontMatrix [{scale} 0 0 {scale} 0 0] /CharProcs 6 0 R \
             /Encoding << /Type /Encoding /Differences [46 /period /slash /zero /one /two \
             /three /four /five /six /seven /eight /nine] >> \
             /FirstChar 46 /LastChar 57 /Widths [{}] /Resources << >> >>",
            widths.join(" ")
        )
        .into_bytes(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len() + 1
        )
        .into_bytes(),
        b"<< /period 7 0 R /zero 7 0 R /one 7 0 R /two 7 0 R /three 7 0 R /four 7 0 R \
           /five 7 0 R /six 7 0 R /seven 7 0 R /eight 7 0 R /nine 7 0 R >>"
            .to_vec(),
        format!("<< /Length 6 >>\nstream\n{width} 0 d0\nendstream").into_bytes(),
    ];
    common::serialise(&objects)
}

fn text_of(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("a PDF");
    let page = *doc.get_pages().get(&1).expect("page 1");
    Extractor::new(1 << 20).page_text(&doc, page).expect("text")
}

#[test]
fn every_digit_of_a_type3_font_with_its_own_font_matrix_is_read() {
    let shown = "(0.00028) Tj 60 0 Td (0.0000) Tj 60 0 Td (1234.5) Tj 60 0 Td (100100) Tj";
    for units in [100, 1000, 72] {
        let text = text_of(&type3_pdf(units, shown));
        let words: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(
            words,
            ["0.00028", "0.0000", "1234.5", "100100"],
            "glyph space 1/{units}: {text:?}"
        );
    }
}

#[test]
fn a_digit_drawn_twice_in_place_is_still_read_once() {
    // Fake bold: the same glyph shown again at the same spot (a 0 advance
    // back with TJ) is one digit, whatever the font's units.
    let shown = "[(7) 500 (7)] TJ";
    let text = text_of(&type3_pdf(100, shown));
    assert_eq!(
        text.split_whitespace().collect::<Vec<_>>(),
        ["7"],
        "{text:?}"
    );
}

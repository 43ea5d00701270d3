//! Writes a synthetic PDF of N pages of numeric tables, for the memory
//! benchmark: `cargo run -p docket-shared --features analysis --example
//! gen_pages -- N OUT.pdf [ROWS]`. Content streams are left uncompressed so the
//! file is large for its page count (about 3 KB per page with 40 rows).

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pages: u32 = args.get(1).and_then(|a| a.parse().ok()).expect("N pages");
    let out = args.get(2).expect("output path");
    let rows: u32 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(40);
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut kids = Vec::new();
    // A deterministic spread of magnitudes (a linear congruential sequence).
    let mut seed: u64 = 42;
    for p in 0..pages {
        let mut ops = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 9.into()]),
        ];
        for r in 0..rows {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let value = (seed >> 33) % 1_000_000;
            let line = format!(
                "Row {} of page {}   {}   {}.{:02}",
                r + 1,
                p + 1,
                value,
                value / 7,
                value % 100
            );
            ops.push(Operation::new(
                "Tm",
                vec![
                    1.into(),
                    0.into(),
                    0.into(),
                    1.into(),
                    50.into(),
                    (780 - 18 * r as i64).into(),
                ],
            ));
            ops.push(Operation::new("Tj", vec![Object::string_literal(line)]));
        }
        ops.push(Operation::new("ET", vec![]));
        let content = Content { operations: ops };
        let content_id = doc.add_object(Stream::new(
            dictionary! {},
            content.encode().expect("encode"),
        ));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
            "Resources" => resources_id, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        kids.push(page_id.into());
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => pages as i64 },
        ),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    doc.save(out).expect("write");
}

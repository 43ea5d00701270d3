//! Partial success, on PDFs built here: a page whose content stream cannot
//! be read (corrupt Flate data, a filter the engine does not implement) is
//! skipped and named in the report's warnings while the other pages count; a
//! stream that breaks off part-way is read up to there, with a warning; a
//! document none of whose pages can be read is `damaged`.

use std::io::Write;

use shared::analysis::{AnalysisError, Limits, analyse};
use shared::api::WarningCode;
use shared::report::Report;

/// One page's content stream.
enum Page {
    /// Text drawn with Helvetica, stored with Flate.
    Text(&'static str),
    /// `/FlateDecode` over bytes that are not zlib data.
    CorruptFlate,
    /// A filter no decoder exists for here.
    Unsupported,
    /// Text whose Flate data is cut in the middle.
    Truncated(&'static str),
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("deflate");
    encoder.finish().expect("deflate")
}

fn content(text: &str) -> Vec<u8> {
    let mut ops = String::from("BT /F1 11 Tf 72 720 Td 14 TL\n");
    for line in text.lines() {
        ops.push_str(&format!("({line}) Tj T*\n"));
    }
    ops.push_str("ET\n");
    ops.into_bytes()
}

/// A PDF with one page per entry (objects numbered by hand, a classic
/// cross-reference table).
fn pdf(pages: &[Page]) -> Vec<u8> {
    let n = pages.len();
    let first_page = 4;
    let kids: Vec<String> = (0..n)
        .map(|i| format!("{} 0 R", first_page + 2 * i))
        .collect();
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ];
    for (i, page) in pages.iter().enumerate() {
        let contents = first_page + 2 * i + 1;
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {contents} 0 R \
                 /Resources << /Font << /F1 3 0 R >> >> >>"
            )
            .into_bytes(),
        );
        let (filter, data) = match page {
            Page::Text(text) => ("/FlateDecode", zlib(&content(text))),
            Page::CorruptFlate => ("/FlateDecode", b"this is not zlib data at all".to_vec()),
            Page::Unsupported => ("/CCITTFaxDecode", content("1234 5678")),
            Page::Truncated(text) => {
                let whole = zlib(&content(text));
                ("/FlateDecode", whole[..whole.len() / 2].to_vec())
            }
        };
        let mut stream =
            format!("<< /Length {} /Filter {filter} >>\nstream\n", data.len()).into_bytes();
        stream.extend_from_slice(&data);
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }
    let mut out = b"%PDF-1.5\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(object);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn run(pages: &[Page]) -> Result<Report, AnalysisError> {
    let clock = || 0.0;
    analyse(&pdf(pages), &Limits::default(), &clock, &mut |_, _| {})
}

const PAGE_ONE: &str = "Revenue 1234 5678\nCosts 2345 6789";
const PAGE_THREE: &str = "Total 9876 4321 1111";

#[test]
fn good_pages_alone_count() {
    let report = run(&[Page::Text(PAGE_ONE), Page::Text(PAGE_THREE)]).expect("readable");
    assert_eq!(report.numbers.found, 7);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(report.pages_skipped.is_empty());
}

#[test]
fn a_corrupt_page_among_good_ones_is_skipped_and_named() {
    let report = run(&[
        Page::Text(PAGE_ONE),
        Page::CorruptFlate,
        Page::Text(PAGE_THREE),
    ])
    .expect("two pages are readable");
    assert_eq!(report.pages, 3);
    assert_eq!(report.pages_skipped, vec![2]);
    assert_eq!(report.numbers.found, 7, "pages 1 and 3 count");
    assert!(report.per_page[1].skipped);
    assert!(!report.per_page[0].skipped && !report.per_page[2].skipped);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let warning = &report.warnings[0];
    assert_eq!(warning.code, WarningCode::UnreadableContent);
    assert_eq!(warning.pages, vec![2]);
    assert!(
        warning.message.contains("1 page could not be read"),
        "{}",
        warning.message
    );
    assert!(warning.message.contains("Flate"), "{}", warning.message);
}

#[test]
fn a_filter_without_a_decoder_skips_its_page() {
    let report = run(&[Page::Unsupported, Page::Text(PAGE_THREE)]).expect("one page is readable");
    assert_eq!(report.pages_skipped, vec![1]);
    assert_eq!(report.numbers.found, 3);
    assert_eq!(report.warnings[0].code, WarningCode::UnsupportedFilter);
    assert!(
        report.warnings[0].message.contains("CCITTFaxDecode"),
        "{:?}",
        report.warnings
    );
}

#[test]
fn a_stream_that_breaks_off_is_read_up_to_there() {
    let long: &'static str =
        "1111 2222 3333 4444\n5555 6666 7777 8888\n9999 1212 2323 3434\n4545 5656 6767 7878";
    let report = run(&[Page::Truncated(long), Page::Text(PAGE_THREE)]).expect("readable");
    assert!(report.pages_skipped.is_empty());
    let truncated: Vec<_> = report
        .warnings
        .iter()
        .filter(|w| w.code == WarningCode::TruncatedContent)
        .collect();
    assert_eq!(truncated.len(), 1, "{:?}", report.warnings);
    assert_eq!(truncated[0].pages, vec![1]);
    // Page 1 gave some of its 16 numbers, not all.
    let first = report.per_page[0].numbers_found;
    assert!(first < 16, "{first}");
}

#[test]
fn a_document_with_no_readable_page_is_damaged() {
    let err = run(&[Page::CorruptFlate, Page::Unsupported, Page::CorruptFlate]).unwrap_err();
    match &err {
        AnalysisError::Damaged(why) => {
            assert!(why.contains("no page could be read"), "{why}");
            assert!(why.contains("page 1"), "{why}");
        }
        other => panic!("expected damaged, got {other:?}"),
    }
}

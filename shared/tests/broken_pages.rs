//! Partial success, on PDFs built here: a page whose content stream cannot
//! be read (corrupt Flate data, a filter the engine does not implement) is
//! skipped and named in the report's warnings while the other pages count; a
//! stream that breaks off part-way is read up to there, with a warning; a
//! document none of whose pages can be read is `damaged`.

mod common;

use shared::analysis::{AnalysisError, Limits, analyse};
use shared::contract::api::WarningCode;
use shared::contract::report::Report;

use common::{content, zlib};

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

/// A PDF with one page per entry.
fn pdf(pages: &[Page]) -> Vec<u8> {
    let streams: Vec<(&str, Vec<u8>)> = pages
        .iter()
        .map(|page| match page {
            Page::Text(text) => ("/FlateDecode", zlib(&content(text))),
            Page::CorruptFlate => ("/FlateDecode", b"this is not zlib data at all".to_vec()),
            Page::Unsupported => ("/CCITTFaxDecode", content("1234 5678")),
            Page::Truncated(text) => {
                let whole = zlib(&content(text));
                ("/FlateDecode", whole[..whole.len() / 2].to_vec())
            }
        })
        .collect();
    common::pdf(&streams)
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

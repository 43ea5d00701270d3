//! Files cut short (a download that stopped): every corpus file cut at 25,
//! 50, 75 and 90 % of its size is `completed` with a `truncated_file`
//! warning whenever its first page survives the cut, and otherwise either
//! that (other pages survived) or a clear error — never a panic. Whether the first page survives is decided
//! apart from the engine: by lopdf on the whole file, from the offsets of
//! the objects the first page reaches.

#![cfg(feature = "analysis")]

mod common;

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

use lopdf::{Document, Object, xref::XrefEntry};
use shared::analysis::loader::UNREAD_KEYS;
use shared::analysis::{Limits, analyse};
use shared::contract::api::{ErrorCode, WarningCode};

const CUTS: [u64; 4] = [25, 50, 75, 90];

fn corpus() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .collect();
    files.sort();
    files
}

/// Where the first page's objects end in the file (the greatest end of any
/// object it reaches, not through `/Parent` nor the keys extraction never
/// reads), by lopdf's reading of the whole file; `None` when lopdf cannot
/// tell (encrypted, no pages).
fn first_page_end(bytes: &[u8]) -> Option<u64> {
    let doc = Document::load_mem(bytes).ok()?;
    if doc.is_encrypted() || doc.trailer.get(b"Encrypt").is_ok() {
        return None;
    }
    let page = *doc.get_pages().get(&1)?;
    let starts: BTreeSet<u64> = doc
        .reference_table
        .entries
        .values()
        .filter_map(|e| match e {
            XrefEntry::Normal { offset, .. } => Some(u64::from(*offset)),
            _ => None,
        })
        .collect();
    let start_of = |number: u32| match doc.reference_table.get(number) {
        Some(XrefEntry::Normal { offset, .. }) => Some(u64::from(*offset)),
        Some(XrefEntry::Compressed { container, .. }) => {
            match doc.reference_table.get(*container) {
                Some(XrefEntry::Normal { offset, .. }) => Some(u64::from(*offset)),
                _ => None,
            }
        }
        _ => None,
    };
    // An object ends where the next one starts (or at the file's end).
    let end_of = |start: u64| {
        starts
            .range(start + 1..)
            .next()
            .copied()
            .unwrap_or(bytes.len() as u64)
    };
    let mut todo = vec![page.0];
    let mut seen = HashSet::new();
    let mut end = 0;
    while let Some(number) = todo.pop() {
        if !seen.insert(number) {
            continue;
        }
        if let Some(start) = start_of(number) {
            end = end.max(end_of(start));
        }
        let Ok(object) = doc.get_object((number, 0)) else {
            continue;
        };
        refs(object, &mut todo);
    }
    Some(end)
}

fn refs(object: &Object, out: &mut Vec<u32>) {
    match object {
        Object::Reference(id) => out.push(id.0),
        Object::Array(items) => items.iter().for_each(|o| refs(o, out)),
        Object::Dictionary(d) => dict_refs(d, out),
        Object::Stream(s) => dict_refs(&s.dict, out),
        _ => {}
    }
}

fn dict_refs(d: &lopdf::Dictionary, out: &mut Vec<u32>) {
    for (key, value) in d.iter() {
        if key.as_slice() != b"Parent" && !UNREAD_KEYS.contains(&key.as_slice()) {
            refs(value, out);
        }
    }
}

#[test]
fn every_corpus_file_cut_short_is_read_as_far_as_it_goes() {
    let mut completed = 0;
    let mut refused = 0;
    for path in corpus() {
        let bytes = std::fs::read(&path).expect("file");
        let Some(page_end) = first_page_end(&bytes) else {
            continue;
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        for percent in CUTS {
            let cut = bytes.len() as u64 * percent / 100;
            let result = analyse(
                &bytes[..cut as usize],
                &Limits::default(),
                &|| 0.0,
                &mut |_, _| {},
            );
            let what = format!(
                "{name:?} cut at {percent} % ({cut} of {} bytes)",
                bytes.len()
            );
            let survives = page_end <= cut;
            match result {
                Ok(report) => {
                    let warning = report
                        .warnings
                        .iter()
                        .find(|w| w.code == WarningCode::TruncatedFile);
                    let warning = warning.unwrap_or_else(|| panic!("{what}: no truncated_file"));
                    assert!(
                        warning.message.contains("ends early"),
                        "{what}: {warning:?}"
                    );
                    // (A first page cut off may leave others that are whole.)
                    println!(
                        "{what}: completed, {} of {} pages read",
                        report.pages - report.pages_skipped.len() as u32,
                        report.pages
                    );
                    completed += 1;
                }
                Err(e) => {
                    assert!(
                        !survives,
                        "{what}: the first page's objects end at {page_end}, yet: {e}"
                    );
                    assert!(
                        matches!(e.code(), ErrorCode::Damaged | ErrorCode::NoText),
                        "{what}: {e}"
                    );
                    // A clear error: it says the file was cut.
                    assert!(
                        e.code() == ErrorCode::NoText || e.to_string().contains("ends early"),
                        "{what}: {e}"
                    );
                    println!("{what}: {}", e.code());
                    refused += 1;
                }
            }
        }
    }
    // The corpus has cuts of both kinds.
    assert!(completed >= 20, "completed {completed}, refused {refused}");
    assert!(refused >= 1, "completed {completed}, refused {refused}");
}

#[test]
fn the_pages_before_the_cut_are_read_and_the_others_named() {
    // Twenty pages, each with its own content stream, objects in page order.
    let pages: Vec<(&str, Vec<u8>)> = (0..20)
        .map(|i| {
            let text = format!("Page {i} total 1,{:03}.50 and {} items", 100 + i, 40 + i);
            ("/FlateDecode", common::zlib(&common::content(&text)))
        })
        .collect();
    let bytes = common::pdf(&pages);
    let whole = analyse(&bytes, &Limits::default(), &|| 0.0, &mut |_, _| {}).expect("whole");
    assert_eq!(whole.pages, 20);
    assert!(whole.warnings.is_empty());
    // Cut inside the content stream of page 11 (objects 4 + 2 × 10 + 1).
    let header = b"25 0 obj";
    let at = bytes
        .windows(header.len())
        .position(|w| w == header)
        .expect("page 11's contents");
    let cut = &bytes[..at + 30];
    let report = analyse(cut, &Limits::default(), &|| 0.0, &mut |_, _| {}).expect("read");
    // The page tree survives (it comes first): twenty pages, ten read.
    assert_eq!(report.pages, 20);
    let warning = report
        .warnings
        .iter()
        .find(|w| w.code == WarningCode::TruncatedFile)
        .expect("truncated_file");
    assert_eq!(warning.pages, (11..=20).collect::<Vec<u32>>());
    assert_eq!(report.pages_skipped, (11..=20).collect::<Vec<u32>>());
    let read: u64 = report.per_page.iter().map(|p| p.numbers_found).sum();
    let first_ten: u64 = whole.per_page[..10].iter().map(|p| p.numbers_found).sum();
    assert_eq!(read, first_ten);
}

#[test]
fn a_cut_anywhere_ends_in_a_report_or_a_clear_error() {
    for path in corpus() {
        let bytes = std::fs::read(&path).expect("file");
        if bytes.len() > 500_000 {
            continue;
        }
        for step in 1..40 {
            let cut = bytes.len() * step / 40;
            let result = analyse(&bytes[..cut], &Limits::default(), &|| 0.0, &mut |_, _| {});
            if let Err(e) = result {
                assert!(
                    matches!(
                        e.code(),
                        ErrorCode::Damaged
                            | ErrorCode::NoText
                            | ErrorCode::NotAPdf
                            | ErrorCode::Encrypted
                    ),
                    "{} cut at {cut}: {e}",
                    path.display()
                );
            }
        }
    }
}

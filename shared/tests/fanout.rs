//! Page-sliced fan-out gives the single pass's report: every corpus file
//! and generated documents (pages with skipped and broken content among
//! them) analysed as slices of a few pages — each slice on a document
//! opened afresh, as a consumer invocation opens it — and merged in page
//! order equal the report of one pass over every page, timings and reads
//! aside. The merge of one slice is the single pass itself.

use shared::analysis::source::ready;
use shared::analysis::{Analysis, AnalysisError, Limits, Merger, Partial, analyse, runs};
use shared::contract::report::Report;
use shared::forensics::amounts::Ordered;

mod common;

fn corpus(name: &str) -> Vec<u8> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus");
    std::fs::read(dir.join(name)).expect("corpus file")
}

/// One slice, opened afresh as a slice's consumer opens it.
fn slice(bytes: &[u8], first: u32, last: u32) -> Result<Partial, AnalysisError> {
    let limits = Limits::default();
    ready(async {
        let analysis = Analysis::open_pages(bytes, &limits, &|| 0.0, first, last).await?;
        analysis.partial(&|| 0.0).await
    })
    .expect("reads from memory finish at once")
}

/// The document in slices of `size` pages, merged.
fn fanned_out(bytes: &[u8], size: u32) -> Result<Report, AnalysisError> {
    let limits = Limits::default();
    let pages = ready(async { Analysis::open(bytes, &limits, &|| 0.0).await })
        .expect("reads from memory finish at once")?
        .pages_total();
    // As the edge does: each slice's amounts go to a sorted run of their
    // own, and the merge reads the runs back in order.
    let mut merger = Merger::default();
    let mut runs: Vec<Vec<u8>> = Vec::new();
    for first in (1..=pages).step_by(size as usize) {
        let mut part = slice(bytes, first, (first + size - 1).min(pages))?;
        let run = part.run().expect("a run from memory");
        assert_eq!(run.len() as u64, part.run_bytes);
        assert!(part.run_bytes <= part.amounts_count * 19);
        runs.push(run);
        merger.add(part);
    }
    assert_eq!(merger.pages_in(), pages);
    let mut ordered = Ordered::default();
    ready(runs::merge(
        runs.iter().map(Vec::as_slice).collect(),
        &mut ordered,
        || async {},
    ))
    .expect("reads from memory finish at once")
    .expect("runs merged");
    merger.finish_with(ordered.finish(), &|| 0.0)
}

/// The report without what legitimately differs: timings and reads.
fn comparable(report: Result<Report, AnalysisError>) -> Result<Report, AnalysisError> {
    report.map(|mut r| {
        r.timings_ms = Default::default();
        r.reading.reads = 0;
        r.reading.bytes_read = 0;
        r
    })
}

fn single(bytes: &[u8]) -> Result<Report, AnalysisError> {
    analyse(bytes, &Limits::default(), &|| 0.0, &mut |_, _| {})
}

#[test]
fn every_corpus_file_in_slices_equals_one_pass() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus");
    let mut compared = 0;
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("corpus")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pdf"))
        .collect();
    names.sort();
    for name in &names {
        let bytes = corpus(name);
        let whole = comparable(single(&bytes));
        for size in [1, 2, 3, 7] {
            let sliced = comparable(fanned_out(&bytes, size));
            match (&whole, &sliced) {
                // A file that cannot be opened fails the same way either way.
                (Err(a), Err(b)) => assert_eq!(a.code(), b.code(), "{name}"),
                _ => assert_eq!(whole, sliced, "{name} in slices of {size} pages"),
            }
        }
        compared += usize::from(whole.is_ok());
    }
    assert!(compared >= 15, "only {compared} corpus files were analysed");
}

#[test]
fn generated_documents_with_broken_pages_in_slices_equal_one_pass() {
    let text = |i: usize| {
        common::content(&format!(
            "Invoice {} total {}.{:02}\nQuantity {} at {}",
            1000 + i * 37,
            (i * 7919) % 100_000,
            i % 100,
            (i * 31) % 997 + 3,
            (i * 613) % 9_999 + 10
        ))
    };
    let mut pages: Vec<(&str, Vec<u8>)> = Vec::new();
    for i in 0..45 {
        pages.push(match i % 11 {
            // A page the engine skips, and one whose data breaks off.
            4 => ("/FlateDecode", b"not zlib data".to_vec()),
            9 => {
                let whole = common::zlib(&text(i));
                ("/FlateDecode", whole[..whole.len() / 2].to_vec())
            }
            _ => ("/FlateDecode", common::zlib(&text(i))),
        });
    }
    let bytes = common::pdf(&pages);
    let whole = comparable(single(&bytes)).expect("analysed");
    assert_eq!(whole.pages, 45);
    assert!(!whole.warnings.is_empty() && !whole.pages_skipped.is_empty());
    for size in [1, 4, 10, 44, 45, 100] {
        assert_eq!(
            comparable(fanned_out(&bytes, size)).expect("analysed"),
            whole,
            "slices of {size} pages"
        );
    }
    // A slice reads its pages only: its counts are its pages'.
    let part = slice(&bytes, 12, 20).expect("a slice");
    assert_eq!((part.first, part.last, part.pages), (12, 20, 45));
    let pages_seen: Vec<u32> = part.per_page.iter().map(|p| p.page).collect();
    assert_eq!(pages_seen, (12..=20).collect::<Vec<_>>());
}

#[test]
fn a_document_whose_every_page_is_broken_is_damaged_in_slices_too() {
    let pages = vec![("/FlateDecode", b"not zlib".to_vec()); 6];
    let bytes = common::pdf(&pages);
    assert!(matches!(single(&bytes), Err(AnalysisError::Damaged(_))));
    assert!(matches!(
        fanned_out(&bytes, 2),
        Err(AnalysisError::Damaged(_))
    ));
}

#[test]
fn a_slice_walks_the_page_tree_with_fewer_reads_and_the_same_pages() {
    // 60 pages in 12 nodes of 5: a slice looks into its own nodes only.
    // Each page carries ~24 KB of noise (a comment), so that the nodes'
    // first pages lie in different blocks of the file.
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let pages: Vec<(&str, Vec<u8>)> = (0..60)
        .map(|i| {
            let text = format!(
                "Item {} cost {}.{:02}",
                i + 1,
                1000 + i * 7919 % 9000,
                i % 100
            );
            let mut ops = common::content(&text);
            ops.extend_from_slice(b"% ");
            for _ in 0..6_000 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                ops.extend_from_slice(format!("{:08x}", seed as u32).as_bytes());
            }
            ops.push(b'\n');
            ("/FlateDecode", common::zlib(&ops))
        })
        .collect();
    let bytes = common::pdf_in_nodes(&pages, 5);
    let whole = comparable(single(&bytes)).expect("analysed");
    assert_eq!(whole.pages, 60);
    for size in [1, 4, 5, 7, 60] {
        assert_eq!(
            comparable(fanned_out(&bytes, size)).expect("analysed"),
            whole,
            "slices of {size} pages"
        );
    }
    // The same slice opened as a whole document's analysis reads more.
    let limits = Limits::default();
    let sliced = slice(&bytes, 56, 60).expect("a slice");
    let plain = ready(async {
        let mut analysis = Analysis::open(bytes.as_slice(), &limits, &|| 0.0).await?;
        analysis.only_pages(56, 60);
        analysis.partial(&|| 0.0).await
    })
    .expect("reads from memory finish at once")
    .expect("a slice");
    assert_eq!(sliced.per_page, plain.per_page);
    assert!(
        sliced.reading.reads < plain.reading.reads,
        "{:?} vs {:?}",
        sliced.reading,
        plain.reading
    );
}

//! The evidence behind a report, on generated documents whose numbers sit
//! where the test put them: each number's box on the page, the page view's
//! lines, the suspects (a spiked first-two-digit bucket, a repeated amount,
//! a page whose own digits deviate), their bounds, and the same suspects
//! when a document is analysed in slices whose lists of numbers are stored
//! and read back as the edge does.

use shared::analysis::source::ready;
use shared::analysis::{Analysis, Limits, Merger};
use shared::contract::report::Report;
use shared::forensics::evidence::{self, Listed, PLACES_LISTED};

mod common;

fn page(text: &str) -> (&'static str, Vec<u8>) {
    ("/FlateDecode", common::zlib(&common::content(text)))
}

/// 60 numbers a page from Benford's law's own spread (10^(1 + k/60)),
/// written with two decimals.
fn benford_page(seed: usize) -> String {
    (0..60)
        .map(|k| {
            let v = 10f64.powf(1.0 + ((k * 7 + seed) % 60) as f64 / 60.0 + 0.004);
            format!("Item {k} cost {v:.2}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A page with 60 amounts starting 47, and 1,234.56 five times.
fn spiked_page() -> String {
    let mut lines: Vec<String> = (0..60)
        .map(|k| format!("Claim {k} paid 47{:02}.10", k % 100))
        .collect();
    for _ in 0..5 {
        lines.push("Refund 1,234.56".into());
    }
    lines.join("\n")
}

fn document() -> Vec<u8> {
    let texts = [
        benford_page(1),
        benford_page(2),
        spiked_page(),
        benford_page(3),
    ];
    let pages: Vec<_> = texts.iter().map(|t| page(t)).collect();
    common::pdf(&pages)
}

#[test]
fn every_number_has_its_box_where_the_page_draws_it() {
    let bytes = common::pdf(&[page("Total 1,234 and 56\nNext 789")]);
    let (_, numbers) = common::analysed_with_numbers(&bytes, None).expect("analysed");
    let texts: Vec<&str> = numbers.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(texts, ["1,234", "56", "789"]);
    // `content` draws 11-point Helvetica from (72, 720), 14 points a line.
    let [x0, y0, x1, y1] = numbers[0].bbox.expect("a box");
    assert!(
        x0 > 72.0 + 20.0 && x1 > x0 + 15.0 && x1 < 200.0,
        "{:?}",
        numbers[0].bbox
    );
    assert!(
        (y0 - (720.0 - 2.2)).abs() < 0.1 && (y1 - (720.0 + 8.8)).abs() < 0.1,
        "{y0} {y1}"
    );
    let second = numbers[1].bbox.expect("a box");
    assert!(second[0] > x1, "56 comes after 1,234");
    let next = numbers[2].bbox.expect("a box");
    assert!(
        (next[1] - (706.0 - 2.2)).abs() < 0.1,
        "the second line is 14 points lower"
    );
    assert_eq!(&*numbers[0].line, "Total 1,234 and 56");
    assert_eq!(numbers[0].value.as_deref(), Some("1234"));

    let view = ready(async {
        let limits = Limits::default();
        let mut analysis = Analysis::open(bytes.as_slice(), &limits, &|| 0.0).await?;
        analysis.view_page(1, &|| 0.0).await
    })
    .expect("reads from memory finish at once")
    .expect("a page view");
    assert_eq!(view.media_box, [0.0, 0.0, 612.0, 792.0]);
    let lines: Vec<&str> = view.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(lines, ["Total 1,234 and 56", "Next 789"]);
    assert!((view.lines[0].bbox[0] - 72.0).abs() < 0.01);
    assert!((view.lines[0].size - 11.0).abs() < 0.01);
    let missing = ready(async {
        let limits = Limits::default();
        let mut analysis = Analysis::open(bytes.as_slice(), &limits, &|| 0.0).await?;
        analysis.view_page(2, &|| 0.0).await
    })
    .expect("reads from memory finish at once");
    assert!(missing.is_err());
}

#[test]
fn the_report_points_at_the_spike_the_repeats_and_the_page() {
    let (report, numbers) = common::analysed_with_numbers(&document(), None).expect("analysed");
    let s = &report.suspects;
    let bucket = s.buckets.first().expect("a suspect bucket");
    assert_eq!(bucket.digits, 47, "{:?}", s.buckets);
    assert!(bucket.z > shared::forensics::benford::Z_CRITICAL);
    let in_bucket = numbers
        .iter()
        .filter(|n| n.used && n.first_two() == Some(47))
        .count();
    assert_eq!(bucket.count, in_bucket as u64);
    assert_eq!(bucket.places.len(), PLACES_LISTED);
    assert!(
        bucket
            .places
            .iter()
            .all(|p| p.page == 3 && p.bbox.is_some())
    );
    assert!(bucket.places[0].line.starts_with("Claim 0 paid 4700.10"));
    let repeated = s
        .duplicates
        .iter()
        .find(|d| d.amount == "1234.56")
        .expect("the repeated refund");
    assert_eq!(repeated.count, 5);
    assert_eq!(repeated.places.len(), 5);
    assert!(
        repeated
            .places
            .iter()
            .all(|p| p.page == 3 && p.text == "1,234.56")
    );
    // Every page has 60 numbers used; the spiked one deviates most.
    assert_eq!(s.pages.first().map(|p| p.page), Some(3), "{:?}", s.pages);
    assert!(s.pages.len() <= evidence::PAGES_LISTED);
    assert!(s.pages.windows(2).all(|w| w[0].mad >= w[1].mad));
    assert!(s.bounds.contains("At most 5"));
    assert_eq!(report.numbers.listed, report.numbers.found);
}

#[test]
fn slices_stored_and_read_back_find_the_same_suspects() {
    let bytes = document();
    let (whole, _) = common::analysed_with_numbers(&bytes, None).expect("analysed");
    let limits = Limits::default();
    let mut merger = Merger::default();
    let mut stored = Vec::new();
    for first in 1..=4 {
        let mut part = ready(async {
            let analysis =
                Analysis::open_pages(bytes.as_slice(), &limits, &|| 0.0, first, first).await?;
            analysis.partial(&|| 0.0).await
        })
        .expect("reads from memory finish at once")
        .expect("a slice");
        // As the edge does: the list goes to storage apart from the
        // partial (which does not carry it).
        stored.push(std::mem::take(&mut part.listed).to_ndjson());
        merger.add(part);
    }
    let mut report: Report = merger.finish(&|| 0.0).expect("merged");
    assert!(
        report.suspects.buckets.iter().all(|b| b.places.is_empty()),
        "no list held"
    );
    let mut finder = report.finder();
    for part in &stored {
        for row in evidence::rows_of(part) {
            let row: Listed = row.expect("a row");
            finder.push(&row);
        }
    }
    report.suspects = report.suspects(finder);
    assert_eq!(report.suspects, whole.suspects);
}

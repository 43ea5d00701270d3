//! The digit tests' charts, verdicts and tables.

use app::report::{BenfordChart, DigitTable, Verdict, bars, verdict_text};
use leptos::prelude::*;
use shared::forensics::benford::Conformity;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use super::{first_digit, fresh_node};

#[wasm_bindgen_test]
async fn the_chart_has_nine_bars_proportional_to_the_counts_and_expected_markers() {
    let counts = [30, 18, 12, 10, 8, 7, 6, 5, 4];
    let test = first_digit(counts, Conformity::Close);
    let node = fresh_node();
    let chart = test.clone();
    let _handle = leptos::mount::mount_to(node.clone(), move || {
        view! { <BenfordChart test=chart.clone() /> }
    });
    leptos::task::tick().await;
    let rects = node.query_selector_all("rect.bar").unwrap();
    assert_eq!(rects.length(), 9);
    let heights: Vec<f64> = (0..9)
        .map(|i| {
            let rect: web_sys::Element = rects.get(i).unwrap().unchecked_into();
            rect.get_attribute("height").unwrap().parse().unwrap()
        })
        .collect();
    // Proportional: height / count is the same for every bar.
    let ratio = heights[0] / counts[0] as f64;
    for (h, c) in heights.iter().zip(counts) {
        assert!((h / c as f64 - ratio).abs() < 0.01, "{heights:?}");
    }
    assert_eq!(
        node.query_selector_all("circle.expected").unwrap().length(),
        9
    );
    assert!(
        node.query_selector("polyline.expected-line")
            .unwrap()
            .is_some()
    );
    // Values on hover.
    let title = node.query_selector("g.bar-group title").unwrap().unwrap();
    assert_eq!(
        title.text_content().unwrap(),
        "digit 1: 30 numbers, 30.0% observed, 30.1% expected"
    );
    // The layout function agrees with what is drawn.
    let laid = bars(&test);
    assert_eq!(laid.len(), 9);
    assert!((laid[0].height - heights[0]).abs() < 0.01);
}

#[wasm_bindgen_test]
async fn the_verdict_is_said_in_words_for_every_class() {
    for (class, words) in [
        (Conformity::Close, "Close conformity"),
        (Conformity::Acceptable, "Acceptable conformity"),
        (Conformity::Marginal, "Marginal conformity"),
        (Conformity::Nonconformity, "Nonconformity"),
        (Conformity::InsufficientData, "Insufficient data"),
    ] {
        let test = first_digit([3, 2, 1, 1, 1, 1, 1, 1, 1], class);
        let text = verdict_text(&test);
        assert!(text.starts_with(words), "{text}");
        assert!(text.contains(class.explain()), "{text}");
        if class != Conformity::InsufficientData {
            // N, the need, the MAD beside chance's and both p-values.
            for part in [
                "12 numbers, the test needs about 250",
                "MAD 0.00420, chance alone gives 0.00310, p = 0.350",
                "p = 0.920",
            ] {
                assert!(text.contains(part), "{part}: {text}");
            }
        }
        let node = fresh_node();
        let _handle = leptos::mount::mount_to(
            node.clone(),
            move || view! { <Verdict test=test.clone() /> },
        );
        leptos::task::tick().await;
        assert_eq!(node.text_content().unwrap(), text);
    }
}

#[wasm_bindgen_test]
fn a_test_short_of_its_numbers_says_how_many_it_needs() {
    let test = first_digit(
        [36, 21, 15, 12, 10, 8, 7, 6, 5],
        Conformity::InsufficientData,
    );
    let text = verdict_text(&test);
    assert!(
        text.starts_with("Too few numbers for this test: 120 usable, the test needs about 250."),
        "{text}"
    );
    assert!(text.contains("chance alone gives 0.00310"), "{text}");
    let few = first_digit([3, 2, 1, 1, 1, 1, 1, 1, 1], Conformity::InsufficientData);
    assert!(verdict_text(&few).starts_with("Insufficient data: 12 numbers"));
}

#[wasm_bindgen_test]
async fn a_significant_bin_is_marked_in_the_digit_table() {
    use shared::forensics::benford::{Kind, from_counts};
    // Benford counts for 1,000 numbers, then 60 more 7s.
    let mut counts: Vec<u64> = Kind::First
        .expected()
        .iter()
        .map(|p| (p * 1000.0).round() as u64)
        .collect();
    counts[6] += 60;
    let test = from_counts(Kind::First, counts);
    let node = fresh_node();
    let _handle = leptos::mount::mount_to(node.clone(), move || {
        view! { <DigitTable test=test caption="First digit" first=1 /> }
    });
    leptos::task::tick().await;
    let flagged = node.query_selector_all("tr.flagged").unwrap();
    assert!(flagged.length() >= 1);
    let text = node.text_content().unwrap();
    assert!(text.contains("more than expected"), "{text}");
}

#[wasm_bindgen_test]
async fn every_digit_test_can_be_charted_with_its_bounds() {
    use app::report::{BenfordChart, bars_from, share_bounds};
    use shared::forensics::benford::{Kind, from_counts};
    let counts: Vec<u64> = Kind::FirstTwo
        .expected()
        .iter()
        .map(|p| (p * 2000.0).round() as u64)
        .collect();
    let test = from_counts(Kind::FirstTwo, counts);
    let bars = bars_from(&test, 10);
    assert_eq!((bars.len(), bars[0].digit, bars[89].digit), (90, 10, 99));
    for b in &bars {
        assert!(b.lower_height <= b.expected_height && b.expected_height <= b.upper_height);
    }
    let (lo, hi) = share_bounds(0.5, 100);
    assert!(
        (hi - 0.5 - (1.96 * 0.05 + 0.005)).abs() < 1e-12 && (0.5 - lo - (hi - 0.5)).abs() < 1e-12
    );
    assert_eq!(share_bounds(0.3, 0), (0.3, 0.3));
    let node = fresh_node();
    let _handle = leptos::mount::mount_to(node.clone(), move || {
        view! { <BenfordChart test=test first=10 axis="first two digits" class="digit-chart" /> }
    });
    leptos::task::tick().await;
    assert_eq!(
        node.query_selector_all("svg.digit-chart rect.bar")
            .unwrap()
            .length(),
        90
    );
    // Ninety bins: labels every ten, and no ninety keyboard stops.
    assert_eq!(node.query_selector_all("text.digit").unwrap().length(), 9);
    assert_eq!(
        node.query_selector_all("g.bar-group[tabindex]")
            .unwrap()
            .length(),
        0
    );
    assert_eq!(
        node.query_selector_all("polyline.bound-line")
            .unwrap()
            .length(),
        2
    );
    let label = node
        .query_selector("svg")
        .unwrap()
        .unwrap()
        .get_attribute("aria-label")
        .unwrap();
    assert!(
        label.starts_with("First two digits distribution of 2001 numbers"),
        "{label}"
    );
}

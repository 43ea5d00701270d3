//! The SPA's component tests (wasm-bindgen-test in headless Chromium), one
//! binary: the shared helpers here, the tests by area in the modules.

mod badges;
mod charts;
mod collections;
mod report;
mod uploads;

use shared::contract::api::{Job, JobState};
use shared::forensics::benford::{Conformity, DigitTest};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

pub fn fresh_node() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let node = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&node).unwrap();
    node.unchecked_into()
}

/// A job walked to `state` through the state machine.
pub fn job(state: JobState) -> Job {
    let new = shared::jobs::state::NewJob {
        id: "6f1c1f5e-4b0a-4c1e-9a55-2b1f0c3d4e5f".into(),
        filename: "q3.pdf".into(),
        ..Default::default()
    };
    Job::uploaded(new, "2026-01-01T00:00:00.000Z")
        .walked_to(state, "2026-01-01T00:00:01.000Z")
        .unwrap()
}

pub fn first_digit(counts: [u64; 9], conformity: Conformity) -> DigitTest {
    let n: u64 = counts.iter().sum();
    let expected: Vec<f64> = (1..=9)
        .map(|d| (1.0 + 1.0 / f64::from(d)).log10())
        .collect();
    DigitTest {
        n,
        counts: counts.to_vec(),
        observed: counts.iter().map(|c| *c as f64 / n as f64).collect(),
        expected,
        chi_square: 3.21,
        degrees_of_freedom: 8,
        p_value: 0.92,
        ks: 0.01,
        ks_critical: Some(0.05),
        mad: 0.0042,
        conformity,
        expected_mad: 0.0031,
        excess_mad: 0.0011,
        mad_p_value: 0.35,
        nigrini_class: Some(Conformity::Close),
        needed: Some(246),
        z: vec![0.0; 9],
        flagged: Vec::new(),
        reading: String::new(),
    }
}

pub fn minimal_report() -> shared::contract::report::Report {
    use shared::contract::report::{Metadata, NumberStats, Reading, Report, TextStats, Timings};
    Report {
        pages: 1,
        pdf_version: "1.7".into(),
        encrypted: false,
        metadata: Metadata::default(),
        text: TextStats::default(),
        numbers: NumberStats::default(),
        benford: shared::forensics::benford::benford(["123", "19", "45"]),
        amounts: shared::forensics::amounts::AmountTests::default(),
        tables: Default::default(),
        per_page: Vec::new(),
        warnings: Vec::new(),
        pages_skipped: Vec::new(),
        reading: Reading::default(),
        timings_ms: Timings::default(),
        suspects: Default::default(),
    }
}

pub fn place(page: u32, text: &str, bbox: Option<[f64; 4]>) -> shared::forensics::evidence::Place {
    shared::forensics::evidence::Place {
        page,
        text: text.into(),
        role: shared::reading::roles::Role::Amount,
        bbox,
        line: format!("Claim paid {text}"),
        job_id: None,
        filename: None,
    }
}

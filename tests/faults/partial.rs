//! Partial success against the server: a three-page PDF whose second page's
//! content stream is corrupt completes, names page 2 in the job's and the
//! report's warnings and counts only pages 1 and 3; a PDF none of whose
//! pages can be read ends in `error` (`damaged`).

use std::time::Duration;

use serde_json::Value;
use shared::contract::api::{JobState, WarningCode};

use crate::pdfs::{Page, pages};
use crate::support::Client;

const WAIT: Duration = Duration::from_secs(90);

#[test]
fn a_broken_page_among_good_ones_is_named_and_the_rest_counts() {
    let client = Client::owner();
    let pdf = pages(&[
        Page::Text("Sales 1234 5678 9012"),
        Page::Corrupt,
        Page::Text("Costs 3456 7890"),
    ]);
    let job = client.submit(&pdf, "one-broken-page.pdf");
    let done = client.wait_terminal(&job.id, WAIT);
    assert_eq!(done.state(), JobState::Completed, "{done:?}");
    assert_eq!(done.warnings.len(), 1, "{:?}", done.warnings);
    assert_eq!(done.warnings[0].code, WarningCode::UnreadableContent);
    assert_eq!(done.warnings[0].pages, vec![2]);
    let report: Value = client.result(&job.id);
    assert_eq!(report["pages"], 3);
    assert_eq!(report["pages_skipped"], serde_json::json!([2]));
    assert_eq!(report["numbers"]["found"], 5, "{report}");
    assert_eq!(report["per_page"][1]["skipped"], true);
    assert!(report["per_page"][0].get("skipped").is_none());
    assert_eq!(report["warnings"][0]["code"], "unreadable_content");
}

#[test]
fn a_document_with_no_readable_page_ends_damaged() {
    let client = Client::owner();
    let job = client.submit(&pages(&[Page::Corrupt, Page::Corrupt]), "all-broken.pdf");
    let done = client.wait_terminal(&job.id, WAIT);
    assert_eq!(done.state(), JobState::Error, "{done:?}");
    let error = done.error.expect("an error");
    assert_eq!(error.code.as_str(), "damaged");
    assert!(
        error.message.contains("no page could be read"),
        "{}",
        error.message
    );
}

//! The retention sweep against a real `wrangler dev`, run by `cargo xtask test`
//! after the other end-to-end tests: it removes every job older than its
//! cutoff, everyone's, so it must not run beside them.

// The shared client; this binary uses only part of it.
#[allow(dead_code)]
#[path = "../e2e/support.rs"]
mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shared::api::JobState;
use support::{Client, corpus};

/// Runs the sweep as the daily cron would at `ms`, through the test-only hook
/// (`DOCKET_TEST_HOOKS=1`, which `cargo xtask test` sets): under wrangler
/// 4.86 the local `/cdn-cgi/handler/scheduled` trigger answers "exception"
/// before the worker's handler runs, even for an empty one.
fn sweep_at(ms: u128) -> u64 {
    let answer = Client::anonymous().call(
        "POST",
        &format!("/api/v1/_test/sweep?now={ms}"),
        None,
        &[],
        200,
    );
    answer.json()["removed"].as_u64().expect("removed")
}

#[test]
fn the_sweep_removes_jobs_past_the_retention_period_and_only_those() {
    let client = Client::owner();
    let job = client.submit(
        &corpus("pdfminer-issue-886-xref-stream-widths.pdf"),
        "old.pdf",
    );
    assert_eq!(
        client.wait_terminal(&job.id, Duration::from_secs(90)).state,
        JobState::Completed
    );
    let path = format!("/api/v1/jobs/{}", job.id);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();

    // Today's sweep keeps a job made today (retention: 7 days).
    assert_eq!(sweep_at(now), 0);
    client.call("GET", &path, None, &[], 200);
    client.call("GET", &format!("{path}/result"), None, &[], 200);

    // The sweep eight days from now removes it: record, result, listing.
    assert!(sweep_at(now + 8 * 86_400_000) >= 1);
    client.call("GET", &path, None, &[], 404);
    client.call("GET", &format!("{path}/result"), None, &[], 404);
    let list = client.call("GET", "/api/v1/jobs", None, &[], 200).json();
    assert_eq!(list["jobs"].as_array().map(Vec::len), Some(0), "{list}");
}

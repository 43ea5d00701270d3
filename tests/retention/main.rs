//! The scheduled sweep against a real `wrangler dev` — stuck jobs and retention
//! — run by `cargo xtask test` after the other end-to-end tests: it acts on
//! everyone's jobs, so it must not run beside them.

// The shared client (which checks answers against the OpenAPI document); this
// binary uses only part of it.
#[path = "../e2e/openapi.rs"]
mod openapi;
#[allow(dead_code)]
#[path = "../e2e/support.rs"]
mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shared::contract::api::JobState;
use support::{Client, corpus};

/// Runs the sweep as the cron would at `ms`, through the test-only hook
/// (`DOCKET_TEST_HOOKS=1`, which `cargo xtask test` sets): under wrangler
/// 4.86 the local `/cdn-cgi/handler/scheduled` trigger answers "exception"
/// before the worker's handler runs, even for an empty one.
fn sweep_at(ms: u128) -> serde_json::Value {
    Client::anonymous()
        .call(
            "POST",
            &format!("/api/v1/_test/sweep?now={ms}"),
            None,
            &[],
            200,
        )
        .json()
}

/// One test, in order: the stuck-job check, then removal (which takes all).
#[test]
fn the_sweep_unsticks_lost_jobs_then_removes_jobs_past_the_retention_period() {
    let client = Client::owner();
    // Its first attempt is dropped as if the message were lost (test hook).
    let stalled = client.submit(
        &corpus("pdfminer-issue-886-xref-stream-widths.pdf"),
        "inject-stall-1.pdf",
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(client.job(&stalled.id).state(), JobState::Uploaded);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    // Fifteen minutes without a change make it stuck: it is sent again.
    let swept = sweep_at(now + 16 * 60_000);
    assert!(swept["requeued"].as_u64() >= Some(1), "{swept}");
    let done = client.wait_terminal(&stalled.id, Duration::from_secs(90));
    assert_eq!(
        (done.state(), done.attempt),
        (JobState::Completed, 2),
        "{done:?}"
    );
    removal();
}

fn removal() {
    let client = Client::owner();
    let job = client.submit(
        &corpus("pdfminer-issue-886-xref-stream-widths.pdf"),
        "old.pdf",
    );
    assert_eq!(
        client
            .wait_terminal(&job.id, Duration::from_secs(90))
            .state(),
        JobState::Completed
    );
    let path = format!("/api/v1/jobs/{}", job.id);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();

    // The cron's real handler, fired as `wrangler dev --test-scheduled` lets
    // a local run fire it, keeps a job made today (retention: 7 days)...
    let ran = Client::anonymous().call("GET", "/__scheduled?cron=*/10+*+*+*+*", None, &[], 200);
    assert_eq!(String::from_utf8_lossy(&ran.body), "Ran scheduled event");
    client.call("GET", &path, None, &[], 200);
    // ...and so does the same sweep through the hook that moves the clock.
    assert_eq!(sweep_at(now)["removed"], 0);
    client.call("GET", &path, None, &[], 200);
    client.call("GET", &format!("{path}/result"), None, &[], 200);

    // The sweep eight days from now removes it: record, result, listing.
    assert!(sweep_at(now + 8 * 86_400_000)["removed"].as_u64() >= Some(1));
    client.call("GET", &path, None, &[], 404);
    client.call("GET", &format!("{path}/result"), None, &[], 404);
    let list = client.call("GET", "/api/v1/jobs", None, &[], 200).json();
    assert_eq!(list["jobs"].as_array().map(Vec::len), Some(0), "{list}");
}

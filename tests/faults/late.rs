//! A first message that is only late — not lost — never makes a second
//! analysis. The local queue hands the consumer one message at a time, and a
//! per-owner hub cannot see the queue, so a message that waits long enough
//! looks stalled: the watchdog sends the job again as attempt 2. When the
//! late attempt 1 finally asks to run, the hub says no (attempt 2 is the
//! current one) and the message is dropped unrun. On a server of its own:
//! the late message holds the local queue for 40 s (a test hook), which would
//! slow every other fault test's jobs.

use std::time::Duration;

use docket_tests::api::oplog_lines;
use docket_tests::expect::{check, outcome_of};
use docket_tests::server;
use serde_json::Value;
use shared::contract::api::JobState;

use crate::support::Client;

#[test]
fn a_late_first_message_is_dropped_once_the_next_attempt_was_sent() {
    let work = crate::crash::work_dir();
    let log = work.join("wrangler-late.log");
    let server = server::start(
        &work.join("late-state"),
        &log,
        &[("DOCKET_TEST_HOOKS", "1")],
    );
    let client = Client::owner_at(&server.url());
    let bytes = std::fs::read(
        docket_tests::expect::corpus_dir().join("pdfplumber-senate-expenditures.pdf"),
    )
    .expect("a corpus file");
    let job = client.submit(&bytes, "inject-late-first.pdf");
    let done = client.wait_terminal(&job.id, Duration::from_secs(150));
    assert_eq!(
        (done.state(), done.attempt),
        (JobState::Completed, 2),
        "{done:?}"
    );
    let result: Value = client.result(&job.id);
    check(&done, Some(&result), &outcome_of(&bytes)).unwrap_or_else(|e| panic!("{e}"));
    // The late message asked after the watchdog had sent attempt 2: dropped.
    // (The log is read once the dropped line is there: attempt 2 may finish
    // before the late message wakes.)
    let lines = || -> Vec<Value> {
        oplog_lines(&log)
            .into_iter()
            .filter(|l| l["job_id"] == job.id.as_str())
            .collect()
    };
    let start = std::time::Instant::now();
    let mut seen = lines();
    while !seen.iter().any(|l| l["what"] == "dropped") && start.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(500));
        seen = lines();
    }
    assert!(
        seen.iter()
            .any(|l| l["what"] == "dropped" && l["attempt"] == 1),
        "no dropped line for attempt 1: {seen:#?}"
    );
    assert!(
        seen.iter()
            .any(|l| l["what"] == "recovered" && l["attempt"] == 2),
        "attempt 2 was not sent by the watchdog: {seen:#?}"
    );
    // One analysis: only attempt 2 ever processed the job.
    let processing: Vec<&Value> = seen
        .iter()
        .filter(|l| l["what"] == "state" && l["state"] == "processing")
        .collect();
    assert_eq!(processing.len(), 1, "{processing:#?}");
    assert_eq!(processing[0]["attempt"], 2, "{processing:#?}");
}

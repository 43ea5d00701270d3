//! Analyses that fail, injected by filename through the test-only hook
//! (`DOCKET_TEST_HOOKS=1`, off by default): a failure on the first attempts is
//! retried and completes; a failure on every attempt ends in `error`
//! (`analysis_failed`); a message that never gets an answer is redelivered by
//! the queue until its retries run out, then the dead-letter queue's consumer
//! ends the job in `error`; an attempt lost without a word is sent again by
//! the owner's hub's watchdog. No job stays unfinished.

use std::time::Duration;

use shared::contract::api::JobState;

use crate::support::{Client, corpus};

const WAIT: Duration = Duration::from_secs(90);
const SMALL: &str = "pdfminer-issue-886-xref-stream-widths.pdf";

#[test]
fn an_analysis_failing_its_first_two_attempts_is_retried_and_completes() {
    let client = Client::owner();
    let job = client.submit(&corpus(SMALL), "inject-failure-2.pdf");
    let done = client.wait_terminal(&job.id, WAIT);
    assert_eq!(
        (done.state(), done.attempt),
        (JobState::Completed, 3),
        "{done:?}"
    );
    client.call(
        "GET",
        &format!("/api/v1/jobs/{}/result", job.id),
        None,
        &[],
        200,
    );
}

#[test]
fn an_analysis_that_always_fails_ends_in_error_after_the_last_attempt() {
    let client = Client::owner();
    let job = client.submit(&corpus(SMALL), "inject-failure-always.pdf");
    let done = client.wait_terminal(&job.id, WAIT);
    assert_eq!(
        (done.state(), done.attempt),
        (JobState::Error, 3),
        "{done:?}"
    );
    assert_eq!(done.error.map(|e| e.code.as_str()), Some("analysis_failed"));
}

#[test]
fn a_message_that_never_gets_an_answer_ends_its_job_through_the_dead_letter_queue() {
    let client = Client::owner();
    let job = client.submit(&corpus(SMALL), "inject-crash-always.pdf");
    let done = client.wait_terminal(&job.id, WAIT);
    assert_eq!(done.state(), JobState::Error, "{done:?}");
    let error = done.error.expect("an error");
    assert_eq!(error.code.as_str(), "analysis_failed");
    assert!(
        error.message.contains("given up"),
        "the dead-letter consumer's message: {}",
        error.message
    );
    // Other jobs of the same owner are unaffected.
    let other = client.submit(&corpus(SMALL), "fine.pdf");
    assert_eq!(
        client.wait_terminal(&other.id, WAIT).state(),
        JobState::Completed
    );
}

/// A message lost after the consumer took it (test hook: the first attempt
/// is dropped without a word) is noticed by the owner's hub: 30 s without a
/// sign of life from a running attempt, and the watchdog sends the job again
/// as attempt 2 — no sweep, no cron.
#[test]
fn a_lost_attempt_is_sent_again_by_the_watchdog() {
    let client = Client::owner();
    let start = std::time::Instant::now();
    let job = client.submit(&corpus(SMALL), "inject-stall-1.pdf");
    let done = client.wait_terminal(&job.id, WAIT);
    assert_eq!(
        (done.state(), done.attempt),
        (JobState::Completed, 2),
        "{done:?}"
    );
    // Not before the bound: the first attempt was given its 30 s.
    assert!(
        start.elapsed() >= Duration::from_secs(29),
        "sent again after only {:?}",
        start.elapsed()
    );
}

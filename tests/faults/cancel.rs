//! Cancelling jobs (`POST /jobs/{id}/cancel`), with the test hooks holding a
//! job where the test needs it: a job no attempt runs yet (its first message
//! held back 4 s before it asks the hub) ends `cancelled` at once, and the
//! held message, when it comes, finds the job ended and analyses nothing; a
//! job that is processing (slowed to 200 ms a page) stops at its
//! next page, ends `cancelled` with the pages it had done and leaves no
//! result.

use std::time::{Duration, Instant};

use shared::contract::api::{Job, JobState};

use crate::support::{Client, corpus};

const WAIT: Duration = Duration::from_secs(90);
/// 117 pages: at 200 ms a page (test hook), half a minute of processing.
const LONG: &str = "samplefiles-GeoTopo-komprimiert.pdf";
const SMALL: &str = "pdfminer-issue-886-xref-stream-widths.pdf";

fn cancel(client: &Client, id: &str) -> Job {
    let answer = client.call("POST", &format!("/api/v1/jobs/{id}/cancel"), None, &[], 202);
    serde_json::from_slice(&answer.body).expect("a job")
}

fn no_result(client: &Client, id: &str) {
    let answer = client.call("GET", &format!("/api/v1/jobs/{id}/result"), None, &[], 409);
    assert_eq!(answer.json()["job"]["state"], "cancelled");
}

#[test]
fn a_job_no_attempt_runs_yet_is_cancelled_at_once() {
    let client = Client::owner();
    let job = client.submit(&corpus(SMALL), "inject-late-first-4000.pdf");
    let answered = cancel(&client, &job.id);
    assert_eq!(answered.state(), JobState::Cancelled, "{answered:?}");
    assert_eq!(answered.version(), job.version() + 1);
    // The held message asks after 4 s and is told: nothing runs, nothing
    // changes (same version), however long we look.
    std::thread::sleep(Duration::from_secs(6));
    let later = client.job(&job.id);
    assert_eq!(
        (later.state(), later.version(), later.attempt),
        (JobState::Cancelled, answered.version(), 0),
        "{later:?}"
    );
    no_result(&client, &job.id);
    // Asking again is harmless; the owner's next job runs.
    assert_eq!(cancel(&client, &job.id).state(), JobState::Cancelled);
    let next = client.submit(&corpus(SMALL), "after-cancel.pdf");
    assert_eq!(
        client.wait_terminal(&next.id, WAIT).state(),
        JobState::Completed
    );
}

#[test]
fn a_processing_job_stops_at_its_next_page() {
    let client = Client::owner();
    let job = client.submit(&corpus(LONG), "inject-slow-pages.pdf");
    // Wait until it is well into its pages.
    let start = Instant::now();
    let running = loop {
        let now = client.job(&job.id);
        if now.progress.is_some_and(|p| p.pages_done >= 3) {
            break now;
        }
        assert!(
            start.elapsed() < WAIT && now.state().is_active(),
            "never got going: {now:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let asked = Instant::now();
    let answered = cancel(&client, &job.id);
    assert_eq!(answered.state(), JobState::Processing, "{answered:?}");
    let done = client.wait_terminal(&job.id, WAIT);
    let took = asked.elapsed();
    println!("cancelled {:.2} s after the request", took.as_secs_f64());
    assert_eq!(done.state(), JobState::Cancelled, "{done:?}");
    // It stopped where it was: some pages done, not all.
    let progress = done.progress.expect("progress");
    assert!(
        progress.pages_done >= running.progress.map_or(0, |p| p.pages_done)
            && progress.pages_done < progress.pages_total,
        "{progress:?}"
    );
    // Generous for a busy machine; the figure printed above is the measure.
    assert!(took < Duration::from_secs(10), "took {took:?}");
    no_result(&client, &job.id);
    // Nothing comes after the end.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(client.job(&job.id).version(), done.version());
}

//! Long documents fanned out in page slices (`analyse_pages.v1`), against a
//! real `wrangler dev`: the merged report equals the engine's single pass
//! over the same bytes (timings and read counts aside); "page x of y"
//! counts pages across slices; a slice failing twice is retried alone by
//! the queue and the job completes in its first attempt; a slice that
//! always fails ends the job in `error` once its retries are used up; and a
//! server SIGKILLed while slices run finishes every job once, with the
//! right report, brought home by the owners' hubs' watchdogs.

use std::path::Path;
use std::time::{Duration, Instant};

use docket_tests::api::oplog_lines;
use docket_tests::expect::{native_report, same_report_in_slices};
use docket_tests::server;
use serde_json::Value;
use shared::contract::api::{Job, JobState};

use crate::crash::work_dir;
use crate::support::Client;

/// A text-only PDF of `pages` pages of amounts (written once per size).
fn text_pdf(pages: u32, seed: u64) -> Vec<u8> {
    let path = work_dir().join(format!("fanout-{pages}-{seed}.pdf"));
    docket_tests::big::write_text_only(&path, pages, seed).expect("write");
    std::fs::read(&path).expect("read")
}

/// Polls until the job ends; the page counts it showed on the way.
fn follow(client: &Client, id: &str, bound: Duration) -> (Job, Vec<u32>) {
    let start = Instant::now();
    let mut seen = Vec::new();
    loop {
        let job = client.job(id);
        if let Some(progress) = &job.progress {
            seen.push(progress.pages_done);
        }
        if job.state().is_terminal() {
            return (job, seen);
        }
        assert!(
            start.elapsed() < bound,
            "{id} still {} after {bound:?}",
            job.state()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn lines_about<'a>(lines: &'a [Value], id: &str, what: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|l| l["job_id"] == id && l["what"] == what)
        .collect()
}

fn faults_log() -> Vec<Value> {
    oplog_lines(&work_dir().join("wrangler-faults.log"))
}

#[test]
fn a_long_document_in_slices_equals_the_single_pass() {
    // 2,000 pages: four slices of the default 500, each page 2 ms slower
    // (test hook) so that polls see the progress.
    let bytes = text_pdf(2_000, 5);
    let native = native_report(&bytes).expect("a native report");
    let client = Client::owner();
    let job = client.submit(&bytes, "inject-slow-pages-2-long.pdf");
    let (ended, seen) = follow(&client, &job.id, Duration::from_secs(300));
    assert_eq!(ended.state(), JobState::Completed, "{ended:?}");
    let result = client.result(&job.id);
    same_report_in_slices(&result, &native).unwrap_or_else(|e| panic!("{e}"));
    // Pages done count across slices: never back to a slice's own count.
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "progress went back: {seen:?}"
    );
    assert_eq!(seen.last(), Some(&2_000));
    assert!(
        seen.iter().any(|&p| p > 500 && p < 2_000),
        "no progress seen past the first slice: {seen:?}"
    );
    let lines = faults_log();
    // No attempt failed. On a busy server (the fault tests run 8 at a time,
    // in one serial local queue) the watchdog may send a job that waits
    // too long again — free, and each such attempt plans the slices anew —
    // but only a failure would count against it.
    let again = lines_about(&lines, &job.id, "recovered");
    assert!(
        again.iter().all(|l| l["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not counted"))),
        "{again:?}"
    );
    assert!(lines_about(&lines, &job.id, "retry").is_empty());
    assert_eq!(
        u64::from(ended.attempt),
        1 + again.len() as u64,
        "{ended:?}"
    );
    let fanned = lines_about(&lines, &job.id, "fanned_out");
    assert!(!fanned.is_empty());
    assert!(
        fanned[0]["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("2000 pages in 4 slices")),
        "{fanned:?}"
    );
    // Each slice's analysis is logged with its pages and what it took.
    let slices: Vec<&str> = lines_about(&lines, &job.id, "analysed")
        .iter()
        .filter_map(|l| l["detail"].as_str())
        .collect();
    assert!(slices.len() >= 4, "{slices:?}");
    for first in [1, 501, 1001, 1501] {
        assert!(
            slices.contains(&format!("pages {first}-{}", first + 499).as_str()),
            "{slices:?}"
        );
    }
    // The partial results are gone once merged.
    let state = std::env::var("DOCKET_STATE").expect("DOCKET_STATE");
    let left = crate::deletes::stored_keys(Path::new(&state))
        .into_iter()
        .filter(|k| k.starts_with("partial/") && k.contains(&job.id))
        .count();
    assert_eq!(left, 0, "partial results left behind");
}

#[test]
fn a_slice_failing_twice_is_retried_alone_and_the_job_completes() {
    let bytes = text_pdf(1_100, 7);
    let native = native_report(&bytes).expect("a native report");
    let client = Client::owner();
    let job = client.submit(&bytes, "inject-slice-failure-2-long.pdf");
    let (ended, _) = follow(&client, &job.id, Duration::from_secs(300));
    assert_eq!(ended.state(), JobState::Completed, "{ended:?}");
    same_report_in_slices(&client.result(&job.id), &native).unwrap_or_else(|e| panic!("{e}"));
    let lines = faults_log();
    // Not sent again as a whole because a slice failed: the slice alone was
    // retried. The watchdog may still send an attempt again when its slices
    // wait past the stall bound behind other tests' messages in the one
    // local queue; that is its own behaviour, logged as `recovered`, and
    // the only way a further attempt may come.
    let whole: Vec<&Value> = lines_about(&lines, &job.id, "retry")
        .into_iter()
        .filter(|l| {
            l["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("attempt"))
        })
        .collect();
    assert!(whole.is_empty(), "sent again as a whole: {whole:?}");
    let recovered = lines_about(&lines, &job.id, "recovered").len() as u32;
    assert_eq!(ended.attempt, 1 + recovered, "{ended:?}");
    let failed: Vec<&Value> = lines_about(&lines, &job.id, "retry")
        .into_iter()
        .filter(|l| {
            l["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("pages 501-1000"))
        })
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    let analysed = lines_about(&lines, &job.id, "analysed").len();
    assert_eq!(analysed, 3, "each slice analysed once to its end");
}

#[test]
fn a_slice_that_always_fails_ends_the_job_in_error() {
    let bytes = text_pdf(1_100, 9);
    let client = Client::owner();
    let job = client.submit(&bytes, "inject-slice-failure-99-long.pdf");
    let (ended, _) = follow(&client, &job.id, Duration::from_secs(300));
    assert_eq!(ended.state(), JobState::Error, "{ended:?}");
    let error = ended.error.as_ref().expect("an error");
    assert_eq!(error.code.as_str(), "analysis_failed", "{error:?}");
    assert!(
        client
            .call_any("GET", &format!("/api/v1/jobs/{}/result", job.id))
            .status
            >= 400
    );
}

#[test]
fn a_server_killed_during_a_fan_out_finishes_each_job_once() {
    let work = work_dir();
    let log = work.join("wrangler-fanout-crash.log");
    // Slices of 40 pages: many slices out when the server dies.
    let mut vars = crate::crash::VARS.to_vec();
    vars.push(("SLICE_PAGES", "40"));
    let mut server = server::start(&work.join("fanout-crash-state"), &log, &vars);
    let mut client = Client::owner_at(&server.url());
    let docs: Vec<Vec<u8>> = vec![text_pdf(200, 11), text_pdf(700, 13), text_pdf(900, 17)];
    // The first one 100 ms a page slower (test hook): it is part-way
    // through its five slices when the server dies, the others queued.
    let names = [
        "inject-slow-pages-100-long-0.pdf",
        "long-1.pdf",
        "long-2.pdf",
    ];
    let jobs: Vec<Job> = docs
        .iter()
        .zip(names)
        .map(|(bytes, name)| client.submit(bytes, name))
        .collect();
    // Kill once the first document is part-way through its slices.
    let start = Instant::now();
    loop {
        let job = client.job(&jobs[0].id);
        let done = job.progress.as_ref().map_or(0, |p| p.pages_done);
        if done >= 80 {
            assert!(
                job.state() == JobState::Processing,
                "the first document finished before the kill: {job:?}"
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the first document never got going: {job:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill9();
    server.restart().unwrap_or_else(|e| panic!("restart: {e}"));
    client.transport_retries = 20;
    let restarted = Instant::now();
    for (job, bytes) in jobs.iter().zip(&docs) {
        let (ended, _) = follow(&client, &job.id, Duration::from_secs(300));
        assert_eq!(ended.state(), JobState::Completed, "{ended:?}");
        let native = native_report(bytes).expect("a native report");
        same_report_in_slices(&client.result(&job.id), &native)
            .unwrap_or_else(|e| panic!("{}: {e}", job.filename));
    }
    println!(
        "every fanned-out job completed {:.1} s after the restart",
        restarted.elapsed().as_secs_f64()
    );
    // Once: one completion in the log of the restarted server (which
    // appends to the same file), and the first document's was brought home
    // by the watchdog (a recovery, then a later attempt).
    let lines = oplog_lines(&log);
    for job in &jobs {
        let completions = lines_about(&lines, &job.id, "state")
            .into_iter()
            .filter(|l| l["state"] == "completed")
            .count();
        assert_eq!(
            completions, 1,
            "{} completed {completions} times",
            job.filename
        );
    }
    assert!(
        !lines_about(&lines, &jobs[0].id, "recovered").is_empty(),
        "the killed fan-out was not recovered by the watchdog"
    );
    drop(server);
}

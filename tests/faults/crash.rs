//! The server is killed with SIGKILL while jobs are queued and running, and
//! restarted on the same state directory. Local queues do not survive a
//! crash (the messages in flight are gone), so the jobs are brought home by
//! the owners' hubs' watchdogs alone (their alarms are stored; no sweep, no
//! cron). Every job must reach the terminal state its file gives, results
//! stored before the crash must be unchanged, and no job may be analysed
//! into a different result.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use docket_tests::api::oplog_lines;
use docket_tests::expect::{Outcome, Sample, check, corpus_samples};
use docket_tests::server;
use serde_json::Value;
use shared::contract::api::{Job, JobState};

use crate::support::Client;

/// The settings of a server a test owns: hooks on, limits out of the way.
pub const VARS: [(&str, &str); 7] = [
    ("DOCKET_TEST_HOOKS", "1"),
    ("ANALYSIS_RETRY_DELAY_SECONDS", "1"),
    ("RATE_UPLOADS_PER_MINUTE", "100000"),
    ("RATE_UPLOADS_PER_DAY", "100000"),
    ("RATE_REQUESTS_PER_MINUTE", "100000"),
    ("QUOTA_ACTIVE_JOBS", "100000"),
    ("QUOTA_JOBS", "100000"),
];

/// How long after the restart every job must have ended.
const BOUND: Duration = Duration::from_secs(240);

pub fn work_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/xtask");
    std::fs::create_dir_all(&dir).expect("target/xtask");
    dir
}

fn result_of(client: &Client, job: &Job) -> Option<Value> {
    (job.state() == JobState::Completed).then(|| client.result(&job.id))
}

#[test]
fn a_server_killed_while_jobs_run_loses_nothing_once_restarted() {
    let work = work_dir();
    let mut server = server::start(
        &work.join("crash-state"),
        &work.join("wrangler-crash.log"),
        &VARS,
    );
    let mut client = Client::owner_at(&server.url());
    // Files refused at the door make no job: they are the bad-input test's.
    let samples: Vec<Sample> = corpus_samples(3_000_000)
        .into_iter()
        .filter(|s| s.outcome != Outcome::Refused)
        .collect();
    assert!(samples.len() >= 10, "the corpus is missing files");
    // Four rounds of the corpus, good and bad, uploaded from four threads.
    let jobs: Vec<(String, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|round| {
                let (client, samples) = (&client, &samples);
                s.spawn(move || {
                    samples
                        .iter()
                        .enumerate()
                        .map(|(i, sample)| {
                            let name = format!("r{round}-{}", sample.name);
                            (client.submit(&sample.bytes, &name).id, i)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("uploads"))
            .collect()
    });
    assert!(jobs.len() <= 100, "one page of the job list holds them all");
    // Crash once a few are done and others are still on their way.
    let start = Instant::now();
    let before: HashMap<String, Job> = loop {
        let page = client
            .call("GET", "/api/v1/jobs?limit=100", None, &[], 200)
            .json();
        let states: HashMap<String, Job> = serde_json::from_value::<Vec<Job>>(page["jobs"].clone())
            .expect("jobs")
            .into_iter()
            .map(|j| (j.id.clone(), j))
            .collect();
        let done = states.values().filter(|j| j.state().is_terminal()).count();
        if done >= 3 || start.elapsed() > Duration::from_secs(60) {
            break states;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(before.len(), jobs.len());
    let stored: HashMap<String, Value> = before
        .values()
        .filter_map(|j| Some((j.id.clone(), result_of(&client, j)?)))
        .collect();
    server.kill9();
    let unfinished = before.values().filter(|j| !j.state().is_terminal()).count();
    println!(
        "killed with {} of {} jobs finished, {unfinished} not",
        jobs.len() - unfinished,
        jobs.len()
    );
    assert!(
        unfinished > 0,
        "every job finished before the kill: the test proved nothing"
    );

    server.restart().unwrap_or_else(|e| panic!("restart: {e}"));
    let restarted = Instant::now();
    // As any client would, ask again when the fresh server drops a connection
    // (wrangler may reload the worker once more as it settles).
    client.transport_retries = 20;
    // Results stored before the crash are still there, unchanged.
    for (id, result) in &stored {
        let job = client.job(id);
        assert_eq!(result_of(&client, &job).as_ref(), Some(result), "{id}");
    }
    // Nothing but the owners' hubs' watchdogs brings the lost jobs home.
    let finals: HashMap<String, Job> = loop {
        let states: HashMap<String, Job> = jobs
            .iter()
            .map(|(id, _)| (id.clone(), client.job(id)))
            .collect();
        if states.values().all(|j| j.state().is_terminal()) {
            break states;
        }
        let stuck: Vec<String> = states
            .values()
            .filter(|j| !j.state().is_terminal())
            .map(|j| format!("{} {} attempt {}", j.filename, j.state(), j.attempt))
            .collect();
        assert!(
            restarted.elapsed() < BOUND,
            "{} jobs still unfinished {BOUND:?} after the restart: {stuck:?}",
            stuck.len()
        );
        std::thread::sleep(Duration::from_secs(2));
    };
    // The log tells each job's story (`shared::delivery::oplog`): every job that an
    // attempt sent again after the restart finished has the recovery and the
    // end of that attempt in it. (Lines written just before the kill may be
    // lost with the process; jobs that ended then are not asked for.)
    let lines: Vec<Value> = oplog_lines(&work.join("wrangler-crash.log"));
    let told = |id: &str, what: &str, attempt: u32| {
        lines
            .iter()
            .any(|l| l["job_id"] == id && l["what"] == what && l["attempt"] == attempt)
    };
    let sent_again: Vec<&Job> = finals.values().filter(|j| j.attempt >= 2).collect();
    assert!(
        !sent_again.is_empty(),
        "no job was sent again: the test proved nothing"
    );
    for job in &sent_again {
        assert!(
            told(&job.id, "recovered", job.attempt),
            "no recovery logged for {} attempt {}",
            job.id,
            job.attempt
        );
        let ended = lines.iter().any(|l| {
            l["job_id"] == job.id.as_str()
                && l["what"] == "state"
                && l["state"] == job.state().as_str()
                && l["attempt"] == job.attempt
                && l["duration_ms"].is_u64()
        });
        assert!(
            ended,
            "no log line for the end of {} ({})",
            job.id,
            job.state()
        );
    }
    let requeued = lines.iter().filter(|l| l["what"] == "recovered").count();
    println!(
        "all {} jobs ended {:.1} s after the restart ({requeued} sent again by the watchdog; {} results from before the crash unchanged)",
        jobs.len(),
        restarted.elapsed().as_secs_f64(),
        stored.len()
    );
    let mut wrong = Vec::new();
    for (id, index) in &jobs {
        let job = &finals[id];
        if let Err(e) = check(
            job,
            result_of(&client, job).as_ref(),
            &samples[*index].outcome,
        ) {
            wrong.push(e);
        }
        // A job that had ended before the crash did not change.
        if let Some(old) = before.get(id).filter(|j| j.state().is_terminal()) {
            assert_eq!(
                (old.state(), &old.updated_at),
                (job.state(), &job.updated_at),
                "{id} changed after it had ended"
            );
        }
    }
    assert!(wrong.is_empty(), "wrong final states: {wrong:#?}");
}

/// How many 4.6 MB manuals [`a_restart_sends_every_lost_job_again_at_once`]
/// uploads before the kill: `DOCKET_RECOVERY_JOBS`, 15 by default
/// (BENCHMARKS.md has 60 too).
fn recovery_jobs() -> usize {
    std::env::var("DOCKET_RECOVERY_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15)
}

/// A restart loses the local queue's messages. The owner's hub, woken by
/// its alarm (nobody asks the API until every job was sent again), sends
/// each unfinished job again at once instead of after its stall bound, as an
/// attempt that does not count.
#[test]
fn a_restart_sends_every_lost_job_again_at_once() {
    let work = work_dir();
    let log = work.join("wrangler-recovery.log");
    // One attempt each: a send again that counted would end the job in
    // `error` as out of attempts.
    let mut vars = VARS.to_vec();
    vars.push(("MAX_ANALYSIS_ATTEMPTS", "1"));
    // Sent again 4 at a time, so the start goes on over several alarms.
    vars.push(("BOOT_BATCH", "4"));
    let mut server = server::start(&work.join("recovery-state"), &log, &vars);
    let mut client = Client::owner_at(&server.url());
    let n = recovery_jobs();
    // Manuals of 2,400 pages of amounts (4.6 MB, read in slices), each its own.
    let file = work.join("recovery.pdf");
    let jobs: Vec<Job> = (0..n)
        .map(|i| {
            docket_tests::big::write_text_only(&file, 2_400, 0x10_5e + i as u64)
                .expect("a generated manual");
            let bytes = std::fs::read(&file).expect("the manual");
            client.submit(&bytes, &format!("lost-{i}.pdf"))
        })
        .collect();
    if std::env::var_os("DOCKET_RECOVERY_BASELINE").is_some() {
        return recovery_baseline(&client, &jobs, &log);
    }
    server.kill9();
    // Unfinished at the kill: no end in the log (what the API said an
    // instant before may have changed since).
    let before = oplog_lines(&log);
    let unfinished: Vec<String> = jobs
        .iter()
        .filter(|j| {
            !before.iter().any(|l| {
                l["job_id"] == j.id.as_str()
                    && l["state"]
                        .as_str()
                        .is_some_and(|s| ["completed", "error", "cancelled"].contains(&s))
            })
        })
        .map(|j| j.id.clone())
        .collect();
    assert!(
        !unfinished.is_empty(),
        "every job finished before the kill: the test proved nothing"
    );
    server.restart().unwrap_or_else(|e| panic!("restart: {e}"));
    let restarted = Instant::now();
    // When each lost job was sent again, as the log shows it.
    let mut resent: HashMap<String, f64> = HashMap::new();
    while resent.len() < unfinished.len() && restarted.elapsed() < Duration::from_secs(60) {
        for line in oplog_lines(&log) {
            let started_anew = line["what"] == "recovered"
                && line["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("started anew"));
            if let (true, Some(id)) = (started_anew, line["job_id"].as_str()) {
                resent
                    .entry(id.to_owned())
                    .or_insert_with(|| restarted.elapsed().as_secs_f64());
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let missing: Vec<&String> = unfinished
        .iter()
        .filter(|id| !resent.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "not sent again within 60 s of the restart: {missing:?}"
    );
    let last_sent = resent.values().copied().fold(0.0, f64::max);
    // The stall bounds alone took 30 s and more (one job after another).
    assert!(
        last_sent < 20.0,
        "the last lost job was sent again {last_sent:.1} s after the restart"
    );
    client.transport_retries = 20;
    let finals: Vec<Job> = jobs
        .iter()
        .map(|j| client.wait_terminal(&j.id, BOUND))
        .collect();
    let ended = restarted.elapsed().as_secs_f64();
    for job in &finals {
        assert_eq!(
            job.state(),
            JobState::Completed,
            "{} (attempt {}): {:?}",
            job.id,
            job.attempt,
            job.error
        );
    }
    let analysing = analysed_seconds(&log, |id| resent.contains_key(id));
    println!(
        "{n} jobs, {} unfinished at the kill: every one sent again {:.1}–{last_sent:.1} s after \
         the health check; all ended {ended:.1} s after it (their analyses took {:.1} s one \
         after another)",
        unfinished.len(),
        resent.values().copied().fold(f64::MAX, f64::min),
        analysing
    );
}

/// The same backlog without a crash (`DOCKET_RECOVERY_BASELINE=1`), for
/// BENCHMARKS.md: how long the jobs take to end from the last upload when
/// nothing was lost.
fn recovery_baseline(client: &Client, jobs: &[Job], log: &std::path::Path) {
    let uploaded = Instant::now();
    for job in jobs {
        let job = client.wait_terminal(&job.id, BOUND);
        assert_eq!(
            job.state(),
            JobState::Completed,
            "{}: {:?}",
            job.id,
            job.error
        );
    }
    let ended = uploaded.elapsed().as_secs_f64();
    let analysing = analysed_seconds(log, |_| true);
    println!(
        "{} jobs without a crash: all ended {ended:.1} s after the last upload (their \
         analyses took {:.1} s one after another)",
        jobs.len(),
        analysing
    );
}

/// The analyses of the jobs `of` picks, one after another: their `analysed`
/// lines' durations in the server's log, in seconds.
fn analysed_seconds(log: &std::path::Path, of: impl Fn(&str) -> bool) -> f64 {
    let ms: f64 = oplog_lines(log)
        .iter()
        .filter(|l| l["what"] == "analysed" && l["job_id"].as_str().is_some_and(&of))
        .filter_map(|l| l["duration_ms"].as_f64())
        .sum();
    ms / 1000.0
}

/// An upload whose request dies after its PDF is stored and before its job
/// is made (a test hook stops it there) leaves the PDF in R2; the owner's
/// hub checks the upload's reservation (`ORPHAN_AFTER_SECONDS`, an hour by
/// default, 5 s here) and removes the PDF of an upload that made no job. A
/// job's own PDF stays.
#[test]
fn the_pdf_of_an_upload_that_died_before_its_job_is_removed() {
    let work = work_dir();
    let log = work.join("wrangler-orphan.log");
    let mut vars = VARS.to_vec();
    vars.push(("ORPHAN_AFTER_SECONDS", "5"));
    let server = server::start(&work.join("orphan-state"), &log, &vars);
    let client = Client::owner_at(&server.url());
    let pdfs = || {
        client
            .call("GET", "/api/v1/_test/pdfs", None, &[], 200)
            .json()["pdfs"]
            .as_u64()
            .expect("a count")
    };
    let bytes = docket_tests::big::padded_pdf(20_000, 0x0ff);
    let kept = client.submit(&bytes, "kept.pdf");
    let died = client.call(
        "POST",
        "/api/v1/jobs?filename=inject-orphan.pdf",
        Some(&bytes),
        &[("content-type", "application/pdf")],
        400,
    );
    assert_eq!(died.error_code(), "bad_request");
    assert_eq!(pdfs(), 2, "the orphan's PDF was stored");
    let start = Instant::now();
    while pdfs() > 1 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the orphaned PDF is still there a minute later"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    println!(
        "the orphaned PDF was removed {:.1} s after its upload",
        start.elapsed().as_secs_f64()
    );
    let job = client.wait_terminal(&kept.id, BOUND);
    assert_eq!(job.state(), JobState::Completed);
    // The job's PDF stays, and its report is there.
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(pdfs(), 1, "the job's own PDF stays");
    client.result(&kept.id);
    let removed = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        removed.contains("no job after its check"),
        "the hub logs the removal"
    );
}

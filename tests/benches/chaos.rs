//! Chaos: `DOCKET_CHAOS_JOBS` uploads (default 200) of mixed corpus files —
//! good, failing and refused ones — from `DOCKET_CHAOS_CLIENTS` clients
//! (default 8, each its own owner) against a server started with the
//! default settings the one way `cargo xtask dev` starts it, while its whole
//! process group is SIGKILLed `DOCKET_CHAOS_KILLS` times (default 5) at
//! random moments and restarted on the same state each time. The uploads go
//! in waves, one before each kill and one after the last; each kill falls
//! 0–1.5 s after its wave's first job exists.
//!
//! Clients behave as a careful client would: every upload carries its own
//! `Idempotency-Key` and is sent again with it when the connection fails or
//! the server answers 5xx; 429s are waited out. After each restart every job
//! that was unfinished at the kill must end within [`BOUND`] of the moment
//! the restarted server answers its health check (the recovery time, printed
//! per kill with p50 and max). At the end: every upload made exactly one job
//! (no owner lists a job its client did not get back), every job ended as
//! the native engine says its file ends, and each report equals the native
//! report but for its run diagnostics (`timings_ms`). Exit 1 on any
//! failure. `cargo xtask bench chaos` runs the long form, `cargo xtask
//! test` a short one; `DOCKET_CHAOS_SEED` repeats a run's kill moments.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use docket_tests::api::Api;
use docket_tests::dice::{Dice, env_or, seed};
use docket_tests::expect::{Outcome, Sample, check, corpus_samples, native_report, same_report};
use docket_tests::server;
use docket_tests::stats::percentile;
use serde_json::Value;
use shared::contract::api::{Job, JobState};

/// How long after a restart's health check every job unfinished at the kill
/// must have ended.
const BOUND: Duration = Duration::from_secs(60);
/// How long a client keeps sending one request again while the server is
/// down (a restart takes seconds).
const PATIENCE: Duration = Duration::from_secs(240);

/// One upload as its client saw it.
struct Upload {
    client: usize,
    sample: usize,
    /// The job it made (`None`: refused, as expected, or it failed).
    job_id: Option<String>,
    problem: Option<String>,
}

/// Uploads `samples[i]` for each upload number `n` and file `i` in
/// `picks`, one after another.
fn client(api: &Api, number: usize, samples: &[Sample], picks: &[(usize, usize)]) -> Vec<Upload> {
    picks
        .iter()
        .map(|&(n, index)| {
            let sample = &samples[index];
            let key = format!("chaos-upload-{n}");
            let answer = api.send(
                "POST",
                &format!("/api/v1/jobs?filename={}", sample.name),
                Some(&sample.bytes),
                &[
                    ("content-type", "application/pdf"),
                    ("idempotency-key", &key),
                ],
            );
            let mut upload = Upload {
                client: number,
                sample: index,
                job_id: None,
                problem: None,
            };
            match (answer, &sample.outcome) {
                (Ok(a), Outcome::Refused) if a.status == 415 => {}
                (Ok(a), _) if a.status == 202 => match serde_json::from_slice::<Job>(&a.body) {
                    Ok(job) => upload.job_id = Some(job.id),
                    Err(e) => upload.problem = Some(format!("{}: {e}", sample.name)),
                },
                (Ok(a), expected) => {
                    upload.problem = Some(format!(
                        "{}: upload answered {} ({}), expected {expected:?}",
                        sample.name,
                        a.status,
                        String::from_utf8_lossy(&a.body)
                    ))
                }
                (Err(e), _) => upload.problem = Some(e),
            }
            upload
        })
        .collect()
}

/// The unfinished jobs of every owner, now.
fn unfinished(apis: &[Api]) -> HashSet<String> {
    apis.iter()
        .filter_map(|api| api.all_jobs().ok())
        .flatten()
        .filter(|j| !j.state().is_terminal())
        .map(|j| j.id)
        .collect()
}

/// Waits until none of `ids` is unfinished; how long that took, or the ones
/// still unfinished at `bound`.
fn until_ended(apis: &[Api], ids: &HashSet<String>, bound: Duration) -> Result<Duration, String> {
    let started = Instant::now();
    loop {
        let left: Vec<String> = unfinished(apis).intersection(ids).cloned().collect();
        if left.is_empty() {
            return Ok(started.elapsed());
        }
        if started.elapsed() > bound {
            return Err(format!(
                "{} of {} jobs still unfinished {bound:?} after the restart: {left:?}",
                left.len(),
                ids.len()
            ));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn main() {
    let jobs = env_or("DOCKET_CHAOS_JOBS", 200) as usize;
    let clients = env_or("DOCKET_CHAOS_CLIENTS", 8).max(1) as usize;
    let kills = env_or("DOCKET_CHAOS_KILLS", 5);
    let seed = seed("DOCKET_CHAOS_SEED");
    let mut dice = Dice(seed);
    let samples = corpus_samples(u64::MAX);
    assert!(samples.len() >= 10, "the corpus is missing files");
    let natives: Vec<Option<Value>> = samples.iter().map(|s| native_report(&s.bytes)).collect();
    let refused = samples
        .iter()
        .filter(|s| s.outcome == Outcome::Refused)
        .count();
    println!(
        "chaos: {jobs} uploads of {} corpus files ({refused} refused at the door, {} failing) from {clients} clients, {kills} kills (seed {seed})",
        samples.len(),
        samples
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Error(_)))
            .count()
    );

    let work = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/xtask");
    std::fs::create_dir_all(&work).expect("target/xtask");
    // The default settings: no variable over `wrangler.toml`'s.
    let mut wrangler = server::start(
        &work.join("chaos-state"),
        &work.join("wrangler-chaos.log"),
        &[],
    );
    let base = wrangler.url();
    let apis: Vec<Api> = (0..clients)
        .map(|_| {
            Api::new(&base, Arc::default(), Some(PATIENCE))
                .unwrap_or_else(|e| panic!("a token: {e}"))
        })
        .collect();
    // The uploads go in waves, one before each kill and one after the last:
    // upload n is client n % clients's, in wave n * waves / jobs, of file
    // (7 n) mod files (every file, good, failing and refused, in turn).
    let waves = kills as usize + 1;
    let picks = |wave: usize, c: usize| -> Vec<(usize, usize)> {
        (0..jobs)
            .filter(|n| n % clients == c && n * waves / jobs.max(1) == wave)
            .map(|n| (n, (n * 7 + n / samples.len()) % samples.len()))
            .collect()
    };

    let mut failures: Vec<String> = Vec::new();
    let mut uploads: Vec<Upload> = Vec::new();
    let mut recoveries = Vec::new();
    let mut downtimes = Vec::new();
    let mut hit = 0;
    let started = Instant::now();
    for wave in 0..waves {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..clients)
                .map(|c| {
                    let (api, samples, picks) = (&apis[c], &samples, picks(wave, c));
                    s.spawn(move || client(api, c, samples, &picks))
                })
                .collect();
            if wave < kills as usize {
                // A random moment while the wave is being uploaded and
                // analysed: 0–1.5 s after its first job exists.
                let looked = Instant::now();
                while unfinished(&apis).is_empty() && looked.elapsed() < Duration::from_secs(10) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                std::thread::sleep(Duration::from_millis(dice.below(1_500)));
                let open = unfinished(&apis);
                wrangler.kill9();
                let killed = Instant::now();
                match wrangler.restart() {
                    Err(e) => failures.push(format!("restart: {e}")),
                    Ok(()) => {
                        let down = killed.elapsed();
                        downtimes.push(down.as_secs_f64());
                        hit += open.len();
                        match until_ended(&apis, &open, BOUND) {
                            Ok(took) => {
                                println!(
                                    "kill {}: {} jobs unfinished, server back after {:.1} s, all of them ended {:.1} s after its health check",
                                    wave + 1,
                                    open.len(),
                                    down.as_secs_f64(),
                                    took.as_secs_f64()
                                );
                                recoveries.push(took.as_secs_f64());
                            }
                            Err(e) => failures.push(format!("kill {}: {e}", wave + 1)),
                        }
                    }
                }
            }
            uploads.extend(
                handles
                    .into_iter()
                    .flat_map(|h| h.join().expect("a client")),
            );
        });
    }
    let uploaded = started.elapsed();
    if recoveries.len() < kills as usize {
        failures.push(format!(
            "only {} of {kills} kills were measured",
            recoveries.len()
        ));
    }
    if kills > 0 && hit == 0 {
        failures.push("no kill found an unfinished job: the run proved nothing".into());
    }

    // Every job that exists ends, as its file says it should.
    let all: HashSet<String> = uploads.iter().filter_map(|u| u.job_id.clone()).collect();
    if let Err(e) = until_ended(&apis, &all, BOUND) {
        failures.push(format!("after the last upload: {e}"));
    }
    let mut wrong = 0;
    // Each owner lists exactly the jobs its client was handed: a job made by
    // an upload sent again after a crash would be a second one.
    let mut listed: HashMap<String, (usize, Job)> = HashMap::new();
    for (c, api) in apis.iter().enumerate() {
        let list = match api.all_jobs() {
            Ok(list) => list,
            Err(e) => {
                failures.push(format!("client {c}: listing: {e}"));
                continue;
            }
        };
        let handed: HashSet<&String> = uploads
            .iter()
            .filter(|u| u.client == c)
            .filter_map(|u| u.job_id.as_ref())
            .collect();
        for job in list {
            if !handed.contains(&job.id) {
                failures.push(format!(
                    "client {c}: job {} ({}) was never handed to its client: a duplicate",
                    job.id, job.filename
                ));
            }
            listed.insert(job.id.clone(), (c, job));
        }
    }
    for upload in &uploads {
        if let Some(problem) = &upload.problem {
            failures.push(problem.clone());
            continue;
        }
        let sample = &samples[upload.sample];
        let Some(id) = &upload.job_id else {
            continue;
        };
        let Some((c, job)) = listed.get(id) else {
            failures.push(format!("job {id} ({}) was lost", sample.name));
            continue;
        };
        let result = (job.state() == JobState::Completed)
            .then(|| apis[*c].json(&format!("/api/v1/jobs/{id}/result")).ok())
            .flatten();
        if let Err(e) = check(job, result.as_ref(), &sample.outcome) {
            failures.push(e);
            wrong += 1;
            continue;
        }
        if let (Some(result), Some(native)) = (&result, &natives[upload.sample])
            && let Err(e) = same_report(result, native)
        {
            failures.push(format!("job {id} ({}): report differs: {e}", sample.name));
            wrong += 1;
        }
    }

    let made = all.len();
    println!(
        "{} uploads, {made} jobs, all sent in {:.1} s; {wrong} wrong",
        uploads.len(),
        uploaded.as_secs_f64()
    );
    if !recoveries.is_empty() {
        println!(
            "recovery after a restart (health check → every job unfinished at the kill ended): p50 {:.1} s, max {:.1} s over {} kills; the server was down {:.1}–{:.1} s",
            percentile(&recoveries, 50.0).unwrap_or_default(),
            percentile(&recoveries, 100.0).unwrap_or_default(),
            recoveries.len(),
            downtimes.iter().copied().fold(f64::INFINITY, f64::min),
            downtimes.iter().copied().fold(0.0, f64::max),
        );
    }
    drop(wrangler);
    if !failures.is_empty() {
        eprintln!("chaos failed ({} problems; the first 20):", failures.len());
        for f in failures.iter().take(20) {
            eprintln!("  {f}");
        }
        std::process::exit(1);
    }
    println!("chaos: 0 lost, 0 stuck, 0 duplicated, 0 differing");
}

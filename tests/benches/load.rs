//! Load: `DOCKET_LOAD_JOBS` (default 1,000) small PDFs from
//! `DOCKET_LOAD_CLIENTS` (default 32) concurrent clients, each with its own
//! token, each job followed by long-polling to its end. Prints throughput,
//! submit and upload-to-end latencies, the server's memory (the process group
//! `DOCKET_SERVER_GROUP`, when given) and fails (exit 1) on any lost, stuck
//! or wrong job: the final state and result must be what the engine, run
//! natively, gives for the file. Run by `cargo xtask bench load` (long) and
//! `cargo xtask test` (short).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use docket_tests::api::Api;
use docket_tests::expect::{Outcome, Sample, check, corpus_samples};
use docket_tests::server::group_usage;
use docket_tests::stats::{percentile, stamp_ms, summary};
use serde_json::Value;
use shared::contract::api::Job;

/// A job is stuck when it has not ended this long after its upload.
const STUCK_AFTER: Duration = Duration::from_secs(300);

/// Set when a job was stuck: the server is not analysing, so the clients
/// submit nothing more (each further job would wait its `STUCK_AFTER` too,
/// and the run would take hours to say what the first one said).
static GAVE_UP: AtomicBool = AtomicBool::new(false);

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One job's story, as its client saw it.
struct Record {
    sample: usize,
    submit_ms: f64,
    /// Upload sent → terminal state seen by the client.
    end_to_end_ms: f64,
    /// created_at → updated_at of the terminal state (the server's clock).
    server_ms: f64,
    /// The upload's answer's estimate of that (`queue.eta_seconds`), ms.
    eta_ms: Option<f64>,
    outcome: Result<(), String>,
}

/// Submits `count` jobs one after another, following each to its end.
fn client(
    base: &str,
    samples: &[Sample],
    first: usize,
    count: usize,
    limited: Arc<AtomicUsize>,
) -> Vec<Record> {
    let api = match Api::new(base, limited, None) {
        Ok(api) => api,
        Err(e) => {
            return (0..count)
                .map(|i| Record {
                    sample: (first + i) % samples.len(),
                    submit_ms: 0.0,
                    end_to_end_ms: 0.0,
                    server_ms: 0.0,
                    eta_ms: None,
                    outcome: Err(format!("no token: {e}")),
                })
                .collect();
        }
    };
    (0..count)
        .map(|i| {
            let index = (first + i) % samples.len();
            let sample = &samples[index];
            let started = Instant::now();
            let mut record = Record {
                sample: index,
                submit_ms: 0.0,
                end_to_end_ms: 0.0,
                server_ms: 0.0,
                eta_ms: None,
                outcome: Ok(()),
            };
            record.outcome = if GAVE_UP.load(Ordering::Relaxed) {
                Err(format!(
                    "{}: not sent, an earlier job was stuck",
                    sample.name
                ))
            } else {
                follow(&api, sample, started, &mut record)
            };
            record
        })
        .collect()
}

fn follow(api: &Api, sample: &Sample, started: Instant, record: &mut Record) -> Result<(), String> {
    let answer = api.send(
        "POST",
        &format!("/api/v1/jobs?filename={}", sample.name),
        Some(&sample.bytes),
        &[("content-type", "application/pdf")],
    )?;
    record.submit_ms = started.elapsed().as_secs_f64() * 1000.0;
    if sample.outcome == Outcome::Refused {
        record.end_to_end_ms = record.submit_ms;
        return match (
            answer.status,
            answer.body.windows(10).any(|w| w == b"not_a_pdf\""),
        ) {
            (415, true) => Ok(()),
            (status, _) => Err(format!(
                "{}: expected 415 not_a_pdf, got {status}",
                sample.name
            )),
        };
    }
    if answer.status != 202 {
        return Err(format!(
            "{}: upload answered {}: {}",
            sample.name,
            answer.status,
            String::from_utf8_lossy(&answer.body)
        ));
    }
    let mut job: Job = serde_json::from_slice(&answer.body).map_err(|e| e.to_string())?;
    record.eta_ms = job.queue.map(|q| f64::from(q.eta_seconds) * 1000.0);
    let path = format!("/api/v1/jobs/{}", job.id);
    let mut etag = answer.headers.get("etag").cloned().unwrap_or_default();
    while !job.state().is_terminal() {
        if started.elapsed() > STUCK_AFTER {
            GAVE_UP.store(true, Ordering::Relaxed);
            return Err(format!(
                "job {} ({}) stuck in {}",
                job.id,
                sample.name,
                job.state()
            ));
        }
        let answer = api.send(
            "GET",
            &format!("{path}?wait=25"),
            None,
            &[("if-none-match", &etag)],
        )?;
        match answer.status {
            200 => {
                job = serde_json::from_slice(&answer.body).map_err(|e| e.to_string())?;
                etag = answer.headers.get("etag").cloned().unwrap_or_default();
            }
            304 => {}
            other => return Err(format!("job {} lost: GET answered {other}", job.id)),
        }
    }
    record.end_to_end_ms = started.elapsed().as_secs_f64() * 1000.0;
    record.server_ms = match (stamp_ms(&job.updated_at), stamp_ms(&job.created_at)) {
        (Some(end), Some(start)) => end - start,
        _ => 0.0,
    };
    let result = if job.state() == shared::contract::api::JobState::Completed {
        let answer = api.send("GET", &format!("{path}/result"), None, &[])?;
        Some(serde_json::from_slice::<Value>(&answer.body).map_err(|e| e.to_string())?)
    } else {
        None
    };
    check(&job, result.as_ref(), &sample.outcome)
}

fn main() {
    let base = std::env::var("DOCKET_URL")
        .expect("DOCKET_URL is not set: run this with `cargo xtask bench load`");
    let jobs = env_or("DOCKET_LOAD_JOBS", 1000);
    let clients = env_or("DOCKET_LOAD_CLIENTS", 32).max(1);
    let group: Option<u32> = std::env::var("DOCKET_SERVER_GROUP")
        .ok()
        .and_then(|v| v.parse().ok());
    // Small corpus files, good and bad, plus two broken ones made here.
    let mut samples = corpus_samples(100_000);
    if let Some(good) = samples.iter().find(|s| s.bytes.len() > 20_000).cloned() {
        let cut = good.bytes[..good.bytes.len() / 3].to_vec();
        samples.push(Sample::generated("truncated.pdf", cut));
    }
    let mut noise = b"%PDF-1.5\n".to_vec();
    noise.extend((0..8000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    samples.push(Sample::generated("noise.pdf", noise));
    let bad = samples
        .iter()
        .filter(|s| !matches!(s.outcome, Outcome::Completed { .. }))
        .count();
    println!(
        "load: {jobs} jobs from {clients} clients over {} files ({bad} of them bad), against {base}",
        samples.len()
    );

    let limited = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let (cpu_before, _) = group.map(group_usage).unwrap_or((0.0, 0.0));
    let started = Instant::now();
    let (records, peak_mib) = std::thread::scope(|s| {
        let sampler = s.spawn(|| {
            let mut peak: f64 = 0.0;
            while !done.load(Ordering::Relaxed) {
                if let Some(g) = group {
                    peak = peak.max(group_usage(g).1);
                }
                std::thread::sleep(Duration::from_millis(250));
            }
            peak
        });
        let per = jobs.div_ceil(clients);
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                let first = c * per;
                let count = per.min(jobs.saturating_sub(first));
                let (base, samples, limited) = (&base, &samples, Arc::clone(&limited));
                s.spawn(move || client(base, samples, first, count, limited))
            })
            .collect();
        let records: Vec<Record> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect();
        done.store(true, Ordering::Relaxed);
        (records, sampler.join().unwrap_or(0.0))
    });
    let elapsed = started.elapsed().as_secs_f64();
    let (cpu_after, rss_end) = group.map(group_usage).unwrap_or((0.0, 0.0));

    let failures: Vec<&String> = records
        .iter()
        .filter_map(|r| r.outcome.as_ref().err())
        .collect();
    let submit: Vec<f64> = records.iter().map(|r| r.submit_ms).collect();
    let end_to_end: Vec<f64> = records
        .iter()
        .filter(|r| r.outcome.is_ok())
        .map(|r| r.end_to_end_ms)
        .collect();
    let server: Vec<f64> = records
        .iter()
        .filter(|r| r.outcome.is_ok())
        .map(|r| r.server_ms)
        .collect();
    let mut per_file: HashMap<usize, usize> = HashMap::new();
    for r in &records {
        *per_file.entry(r.sample).or_default() += 1;
    }
    println!(
        "jobs                 {} ({} files used)",
        records.len(),
        per_file.len()
    );
    println!("wall time            {elapsed:.1} s");
    println!(
        "throughput           {:.1} jobs/s",
        records.len() as f64 / elapsed
    );
    println!("submit (ms)          p50 / p95 / max  {}", summary(&submit));
    println!(
        "upload→end (ms)      p50 / p95 / max  {}",
        summary(&end_to_end)
    );
    println!("server created→end   p50 / p95 / max  {}", summary(&server));
    println!("429s waited out      {}", limited.load(Ordering::Relaxed));
    // The estimate given at upload against the job's real time to its end
    // (whole seconds against milliseconds: jobs under a second are left out,
    // where rounding alone would decide).
    let errors: Vec<f64> = records
        .iter()
        .filter(|r| r.outcome.is_ok() && r.server_ms >= 1000.0)
        .filter_map(|r| Some((r.eta_ms? - r.server_ms).abs() / r.server_ms * 100.0))
        .collect();
    let signed: Vec<f64> = records
        .iter()
        .filter(|r| r.outcome.is_ok() && r.server_ms >= 1000.0)
        .filter_map(|r| Some((r.eta_ms? - r.server_ms) / r.server_ms * 100.0))
        .collect();
    println!(
        "ETA bias              median {:+.1} % (positive: later than it was)",
        percentile(&signed, 50.0).unwrap_or(f64::NAN)
    );
    let with_eta = records.iter().filter(|r| r.eta_ms.is_some()).count();
    println!(
        "ETA at upload         {with_eta} of {} answers had one; median absolute error {:.1} % over {} jobs of 1 s or more (p90 {:.1} %)",
        records.len(),
        percentile(&errors, 50.0).unwrap_or(f64::NAN),
        errors.len(),
        percentile(&errors, 90.0).unwrap_or(f64::NAN)
    );
    if group.is_some() {
        println!(
            "server memory        peak {peak_mib:.0} MiB RSS (end {rss_end:.0} MiB), CPU {:.1} s ({:.1} ms/job)",
            cpu_after - cpu_before,
            (cpu_after - cpu_before) * 1000.0 / records.len().max(1) as f64
        );
    }
    let lost = records.len().abs_diff(jobs);
    println!(
        "lost {lost}, stuck {}, wrong {}",
        failures.iter().filter(|f| f.contains("stuck")).count(),
        failures.iter().filter(|f| !f.contains("stuck")).count()
    );
    if lost > 0 || !failures.is_empty() {
        for f in failures.iter().take(20) {
            eprintln!("  {f}");
        }
        eprintln!("load: FAILED");
        std::process::exit(1);
    }
    println!("load: ok");
}

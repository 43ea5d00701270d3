//! WebSocket delivery delay: from a job's change, as stamped by the worker
//! (`updated_at`, written when the change is recorded), to the event's arrival
//! at a WebSocket client. Run by `cargo xtask bench ws`, which starts
//! `wrangler dev` and sets `DOCKET_URL`; `DOCKET_BENCH_JOBS` (default 200) jobs
//! are uploaded from 8 threads while one socket listens.

#[path = "../e2e/socket.rs"]
#[allow(dead_code)]
mod socket;

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use docket_tests::stats::{now_ms, percentile, stamp_ms};

use shared::contract::api::{Job, JobState};
use shared::delivery::events::ServerMessage;
use socket::{Auth, EventSocket};

const PDF: &str = "pdfminer-issue-00369-excel.pdf";
const THREADS: usize = 8;

fn main() {
    let base = std::env::var("DOCKET_URL")
        .expect("DOCKET_URL is not set: run this with `cargo xtask bench ws`");
    let jobs: usize = std::env::var("DOCKET_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let corpus = std::env::var_os("DOCKET_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    let pdf = std::fs::read(corpus.join(PDF)).expect("the corpus PDF");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();

    let minted: serde_json::Value = agent
        .post(format!("{base}/api/v1/tokens"))
        .send_empty()
        .expect("mint a token")
        .body_mut()
        .read_json()
        .expect("token JSON");
    let token = minted["token"].as_str().expect("token").to_owned();
    let mut ws = EventSocket::open(&base, Auth::Bearer(&token), None).expect("socket");

    let started = Instant::now();
    let submitted: Vec<String> = std::thread::scope(|s| {
        let listener = s.spawn(|| {
            let mut arrivals: Vec<(ServerMessage, f64)> = Vec::new();
            let mut terminal = 0;
            while terminal < jobs {
                let text = ws
                    .next_text(Duration::from_secs(120))
                    .expect("events keep coming");
                let at = now_ms();
                let message: ServerMessage = serde_json::from_str(&text).expect("an event");
                if let ServerMessage::JobUpdated { job, .. } = &message
                    && job.state().is_terminal()
                {
                    terminal += 1;
                }
                arrivals.push((message, at));
            }
            arrivals
        });
        let per_thread = jobs.div_ceil(THREADS);
        let submitters: Vec<_> = (0..THREADS)
            .map(|t| {
                let (agent, base, token, pdf) = (&agent, &base, &token, &pdf);
                s.spawn(move || {
                    let count = per_thread.min(jobs.saturating_sub(t * per_thread));
                    (0..count)
                        .map(|i| {
                            let job: Job = agent
                                .post(format!("{base}/api/v1/jobs?filename=b{t}-{i}.pdf"))
                                .header("authorization", format!("Bearer {token}"))
                                .header("content-type", "application/pdf")
                                .send(&pdf[..])
                                .expect("upload")
                                .body_mut()
                                .read_json()
                                .expect("a job");
                            job.id
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let ids = submitters
            .into_iter()
            .flat_map(|h| h.join().expect("submitter"))
            .collect();
        let arrivals = listener.join().expect("listener");
        report(&arrivals, started.elapsed());
        ids
    });
    let unique: HashSet<_> = submitted.iter().collect();
    assert_eq!(unique.len(), jobs, "every upload made a job");
}

fn report(arrivals: &[(ServerMessage, f64)], elapsed: Duration) {
    let seqs: Vec<u64> = arrivals.iter().filter_map(|(m, _)| m.seq()).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "events arrived out of order or with gaps"
    );
    let delays = |wanted: &dyn Fn(JobState) -> bool| {
        let mut d: Vec<f64> = arrivals
            .iter()
            .filter_map(|(m, at)| match m {
                ServerMessage::JobUpdated { job, .. } if wanted(job.state()) => {
                    Some(at - stamp_ms(&job.updated_at).expect("updated_at is RFC 3339"))
                }
                _ => None,
            })
            .collect();
        d.sort_by(f64::total_cmp);
        d
    };
    println!(
        "{} events in {:.1} s, seq {}..={}, none missing",
        arrivals.len(),
        elapsed.as_secs_f64(),
        seqs.first().unwrap_or(&0),
        seqs.last().unwrap_or(&0)
    );
    println!(
        "{:<34} {:>6} {:>8} {:>8} {:>8}",
        "delay to the socket (ms)", "n", "p50", "p95", "max"
    );
    for (name, wanted) in [
        (
            "consumer changes (processing..end)",
            &(|s: JobState| s != JobState::Uploaded) as &dyn Fn(JobState) -> bool,
        ),
        ("completed only", &|s: JobState| s == JobState::Completed),
        ("uploaded (by the upload handler)", &|s: JobState| {
            s == JobState::Uploaded
        }),
    ] {
        let d = delays(wanted);
        if d.is_empty() {
            continue;
        }
        println!(
            "{name:<34} {:>6} {:>8.1} {:>8.1} {:>8.1}",
            d.len(),
            percentile(&d, 50.0).unwrap_or(0.0),
            percentile(&d, 95.0).unwrap_or(0.0),
            d[d.len() - 1]
        );
    }
}

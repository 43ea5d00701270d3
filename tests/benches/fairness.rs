//! Fairness between owners: owner A floods the service with uploads while
//! owner B submits one small job; B's upload-to-completed time is what B
//! feels. Run by `cargo xtask bench fairness` twice in one command: with the
//! default quota of 20 active jobs per owner, and with it lifted, so the
//! difference is the quota's doing. A submits from 8 threads, waiting out
//! `Retry-After` when its quota is full, until B's job is done.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use shared::contract::api::Job;

const PDF: &str = "pdfminer-issue-00369-excel.pdf";
const THREADS: usize = 8;
/// A's uploads in all, at most.
const FLOOD: u32 = 500;

fn main() {
    let base = std::env::var("DOCKET_URL").expect("run with `cargo xtask bench fairness`");
    let label = std::env::var("DOCKET_BENCH_LABEL").unwrap_or_default();
    let corpus = std::env::var_os("DOCKET_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    let pdf = Arc::new(std::fs::read(corpus.join(PDF)).expect("the corpus PDF"));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mint = || -> String {
        let minted: serde_json::Value = agent
            .post(format!("{base}/api/v1/tokens"))
            .send_empty()
            .expect("mint")
            .body_mut()
            .read_json()
            .expect("token JSON");
        minted["token"].as_str().expect("token").to_owned()
    };
    let (a, b) = (mint(), mint());
    let upload = |token: &str, name: &str| -> (u16, Option<u64>, Option<Job>) {
        let mut response = agent
            .post(format!("{base}/api/v1/jobs?filename={name}"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/pdf")
            .send(&pdf[..])
            .expect("upload");
        let status = response.status().as_u16();
        let retry = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let job = (status == 202)
            .then(|| response.body_mut().read_json::<Job>().ok())
            .flatten();
        (status, retry, job)
    };

    let stop = AtomicBool::new(false);
    let accepted = AtomicU32::new(0);
    let refused = AtomicU32::new(0);
    let b_time = std::thread::scope(|s| {
        for t in 0..THREADS {
            let (stop, accepted, refused, a, upload) = (&stop, &accepted, &refused, &a, &upload);
            s.spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) && accepted.load(Ordering::SeqCst) < FLOOD {
                    let (status, retry, _) = upload(a, &format!("a-{t}-{i}.pdf"));
                    i += 1;
                    match status {
                        202 => {
                            accepted.fetch_add(1, Ordering::SeqCst);
                        }
                        429 => {
                            refused.fetch_add(1, Ordering::SeqCst);
                            let wait = Duration::from_secs(retry.unwrap_or(1));
                            // Sleep in short steps so the run ends promptly.
                            let until = Instant::now() + wait;
                            while Instant::now() < until && !stop.load(Ordering::SeqCst) {
                                std::thread::sleep(Duration::from_millis(100));
                            }
                        }
                        other => panic!("A's upload answered {other}"),
                    }
                }
            });
        }
        // Let A fill whatever it is allowed to.
        std::thread::sleep(Duration::from_secs(3));
        let queued_before_b = accepted.load(Ordering::SeqCst);
        let started = Instant::now();
        let (status, _, job) = upload(&b, "b.pdf");
        assert_eq!(status, 202, "B's upload");
        let id = job.expect("B's job").id;
        loop {
            let job: Job = agent
                .get(format!("{base}/api/v1/jobs/{id}?wait=20"))
                .header("authorization", format!("Bearer {b}"))
                .call()
                .expect("poll")
                .body_mut()
                .read_json()
                .expect("job");
            if job.state().is_terminal() {
                break;
            }
        }
        let took = started.elapsed();
        stop.store(true, Ordering::SeqCst);
        (took, queued_before_b)
    });
    let (took, queued_before_b) = b_time;
    println!(
        "{label:<28} B's job: upload to completed {:>7.2} s; A had {queued_before_b} uploads accepted when B submitted ({} in all, {} refused with 429)",
        took.as_secs_f64(),
        accepted.load(Ordering::SeqCst),
        refused.load(Ordering::SeqCst)
    );
}

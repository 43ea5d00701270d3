//! Delivery modes compared on one workload: `DOCKET_DELIVERY_JOBS` (default
//! 100) uploads of the same small PDF from `DOCKET_DELIVERY_CLIENTS` (default
//! 8) clients (`DOCKET_DELIVERY_PDF`, default a one-page table), each
//! waiting for its job's end before the next upload, once
//! per mode — polling every second, polling with `If-None-Match` and the
//! server's `Retry-After`, long-polling, a WebSocket per client, a
//! Server-Sent Event stream per client, and a webhook per job. Uploads go straight to the server; everything a mode
//! sends to learn of the end goes through a byte-counting proxy (for
//! webhooks, the proxy sits before the receiver).
//!
//! Per mode: the delay from the job's end (its `updated_at`, stamped by the
//! worker) to the client knowing it (p50/p95), requests (or socket messages,
//! or deliveries) and bytes per job, and the server's CPU time per job (the
//! `wrangler dev` process group `DOCKET_SERVER_GROUP`; the analysis is the
//! same in every mode, so the differences are the delivery's).
//! Run by `cargo xtask bench delivery`.

#[allow(dead_code)]
#[path = "../e2e/receiver.rs"]
mod receiver;
#[allow(dead_code)]
#[path = "../e2e/socket.rs"]
mod socket;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use docket_tests::expect::corpus_dir;
use docket_tests::proxy::Proxy;
use docket_tests::server::group_usage;
use docket_tests::stats::{now_ms, percentile, stamp_ms};
use receiver::Receiver;
use serde_json::Value;
use shared::contract::api::Job;
use shared::delivery::events::ServerMessage;
use socket::{Auth, EventSocket};

/// The default document: one page, analysed in milliseconds.
const PDF: &str = "pdfminer-issue-00369-excel.pdf";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    PollFixed,
    PollEtag,
    LongPoll,
    WebSocket,
    Sse,
    Webhook,
}

impl Mode {
    const ALL: [Mode; 6] = [
        Mode::PollFixed,
        Mode::PollEtag,
        Mode::LongPoll,
        Mode::WebSocket,
        Mode::Sse,
        Mode::Webhook,
    ];

    fn label(self) -> &'static str {
        match self {
            Mode::PollFixed => "polling, every 1 s",
            Mode::PollEtag => "polling, ETag + Retry-After",
            Mode::LongPoll => "long-poll (wait=25)",
            Mode::WebSocket => "WebSocket",
            Mode::Sse => "Server-Sent Events",
            Mode::Webhook => "webhook",
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// GET through `base`; (status, etag, retry-after, job).
fn get_job(
    agent: &ureq::Agent,
    base: &str,
    token: &str,
    id: &str,
    query: &str,
    etag: Option<&str>,
) -> (u16, Option<String>, Option<u64>, Option<Job>) {
    let mut request = agent
        .get(format!("{base}/api/v1/jobs/{id}{query}"))
        .header("authorization", format!("Bearer {token}"));
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    let mut response = request.call().expect("GET the job");
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (etag, retry) = (
        header("etag"),
        header("retry-after").and_then(|v| v.parse().ok()),
    );
    let job = (status == 200)
        .then(|| response.body_mut().read_json::<Job>().ok())
        .flatten();
    (status, etag, retry, job)
}

struct Outcome {
    delays: Vec<f64>,
    requests: u64,
}

/// One client: `count` jobs, one after another, each awaited by `mode`.
/// Returns the notification delays and the requests (or messages) it took.
fn client(
    mode: Mode,
    direct: &str,
    proxied: &str,
    hook: Option<(&str, &Receiver)>,
    count: usize,
    pdf: &[u8],
) -> Outcome {
    let agent = agent();
    let minted: Value = agent
        .post(format!("{direct}/api/v1/tokens"))
        .send_empty()
        .expect("mint")
        .body_mut()
        .read_json()
        .expect("token JSON");
    let token = minted["token"].as_str().expect("token").to_owned();
    let mut socket = (mode == Mode::WebSocket)
        .then(|| EventSocket::open(proxied, Auth::Bearer(&token), Some(0)).expect("socket"));
    let mut stream = (mode == Mode::Sse).then(|| {
        docket_tests::sse::open(proxied, Some(&token), None, None)
            .1
            .expect("an event stream")
    });
    let mut outcome = Outcome {
        delays: Vec::new(),
        requests: 0,
    };
    for i in 0..count {
        let mut url = format!("{direct}/api/v1/jobs?filename=d{i}.pdf");
        if let Some((callback, _)) = hook {
            let encoded: String =
                url::form_urlencoded::byte_serialize(callback.as_bytes()).collect();
            url.push_str(&format!("&callback_url={encoded}"));
        }
        let job: Job = agent
            .post(url)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/pdf")
            .send(pdf)
            .expect("upload")
            .body_mut()
            .read_json()
            .expect("a job");
        let (ended, known_at) = match mode {
            Mode::PollFixed | Mode::PollEtag | Mode::LongPoll => {
                let mut etag: Option<String> = None;
                loop {
                    let query = if mode == Mode::LongPoll {
                        "?wait=25"
                    } else {
                        ""
                    };
                    let conditional = if mode == Mode::PollFixed {
                        None
                    } else {
                        etag.as_deref()
                    };
                    let (_, tag, retry, seen) =
                        get_job(&agent, proxied, &token, &job.id, query, conditional);
                    outcome.requests += 1;
                    let at = now_ms();
                    if let Some(seen) = seen {
                        if seen.state().is_terminal() {
                            break (seen, at);
                        }
                        etag = tag;
                    }
                    match mode {
                        Mode::PollFixed => std::thread::sleep(Duration::from_secs(1)),
                        Mode::PollEtag => {
                            std::thread::sleep(Duration::from_secs(retry.unwrap_or(1)))
                        }
                        _ => {}
                    }
                }
            }
            Mode::WebSocket => {
                let ws = socket.as_mut().expect("a socket");
                loop {
                    let message = ws.next(Duration::from_secs(60)).expect("an event");
                    outcome.requests += 1;
                    let at = now_ms();
                    if let ServerMessage::JobUpdated { job: seen, .. } = message
                        && seen.id == job.id
                        && seen.state().is_terminal()
                    {
                        break (*seen, at);
                    }
                }
            }
            Mode::Sse => {
                let events = stream.as_mut().expect("a stream");
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    let event = events.next(deadline).expect("an event");
                    outcome.requests += 1;
                    let at = now_ms();
                    if let Ok(ServerMessage::JobUpdated { job: seen, .. }) =
                        serde_json::from_str::<ServerMessage>(&event.data)
                        && seen.id == job.id
                        && seen.state().is_terminal()
                    {
                        break (*seen, at);
                    }
                }
            }
            Mode::Webhook => {
                let (_, receiver) = hook.expect("a receiver");
                let start = Instant::now();
                loop {
                    let ended = receiver.hits().into_iter().find_map(|hit| {
                        let body = hit.json();
                        let seen: Job = serde_json::from_value(body["job"].clone()).ok()?;
                        (seen.id == job.id && seen.state().is_terminal())
                            .then_some((seen, hit.at_ms))
                    });
                    if let Some(found) = ended {
                        break found;
                    }
                    assert!(
                        start.elapsed() < Duration::from_secs(60),
                        "no webhook for {}",
                        job.id
                    );
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        };
        if let Some(end) = stamp_ms(&ended.updated_at) {
            outcome.delays.push((known_at - end).max(0.0));
        }
    }
    outcome
}

fn main() {
    let base = std::env::var("DOCKET_URL")
        .expect("DOCKET_URL is not set: run this with `cargo xtask bench delivery`");
    let jobs: usize = std::env::var("DOCKET_DELIVERY_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let clients: usize = std::env::var("DOCKET_DELIVERY_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let group: Option<u32> = std::env::var("DOCKET_SERVER_GROUP")
        .ok()
        .and_then(|v| v.parse().ok());
    let name = std::env::var("DOCKET_DELIVERY_PDF").unwrap_or_else(|_| PDF.to_owned());
    let pdf = std::fs::read(corpus_dir().join(&name)).expect("the corpus PDF");
    let target = base.trim_start_matches("http://").to_owned();
    println!("delivery: {jobs} jobs per mode from {clients} clients ({name}), against {base}");
    println!(
        "| mode | jobs | delay p50 ms | delay p95 ms | requests or messages / job | bytes / job | server CPU ms / job |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for mode in Mode::ALL {
        let proxy = Proxy::start(&target);
        let receiver =
            (mode == Mode::Webhook).then(|| Receiver::start(0, Arc::new(|_| (200, vec![]))));
        let hook_proxy = receiver
            .as_ref()
            .map(|r| Proxy::start(&format!("127.0.0.1:{}", r.port)));
        let callback = hook_proxy.as_ref().map(|p| format!("{}/hook", p.url()));
        let (cpu_before, _) = group.map(group_usage).unwrap_or_default();
        let per = jobs.div_ceil(clients);
        let requests = AtomicU64::new(0);
        let delays: Vec<f64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..clients)
                .map(|c| {
                    let count = per.min(jobs.saturating_sub(c * per));
                    let (base, proxied, pdf) = (&base, proxy.url(), &pdf);
                    let hook = callback.as_deref().zip(receiver.as_ref());
                    let requests = &requests;
                    s.spawn(move || {
                        let outcome = client(mode, base, &proxied, hook, count, pdf);
                        requests.fetch_add(outcome.requests, Ordering::Relaxed);
                        outcome.delays
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("a client"))
                .collect()
        });
        // Let the last deliveries and socket frames finish before counting.
        std::thread::sleep(Duration::from_millis(500));
        let (cpu_after, _) = group.map(group_usage).unwrap_or_default();
        let (mut messages, mut bytes) = (requests.load(Ordering::Relaxed), proxy.counts.total());
        if let (Some(receiver), Some(hook_proxy)) = (&receiver, &hook_proxy) {
            messages = receiver.hits().len() as u64;
            bytes = hook_proxy.counts.total();
        }
        let n = delays.len().max(1) as f64;
        let cpu = if group.is_some() {
            format!("{:.1}", (cpu_after - cpu_before) * 1000.0 / n)
        } else {
            "–".into()
        };
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {:.0} | {cpu} |",
            mode.label(),
            delays.len(),
            percentile(&delays, 50.0).unwrap_or(0.0),
            percentile(&delays, 95.0).unwrap_or(0.0),
            messages as f64 / n,
            bytes as f64 / n,
        );
        assert_eq!(
            delays.len(),
            jobs,
            "{}: every job's end was learnt",
            mode.label()
        );
    }
}

//! A webhook receiver that is down for a minute, then back: every event of
//! every job is delivered, signed, and after de-duplication by `webhook-id`
//! each is there exactly once. The server runs with the retry schedule
//! `2s,5s,10s,20s,30s,30s,30s` (`cargo xtask test` sets it for this binary).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use shared::contract::api::{DeliveryOutcome, JobState};

use crate::receiver::Receiver;
use crate::support::{Client, corpus};

const DOWN_FOR: Duration = Duration::from_secs(60);
/// uploaded, processing and the terminal state.
const EVENTS_OF_A_JOB: usize = 3;

#[test]
fn a_receiver_down_for_a_minute_gets_every_event_once_it_is_back() {
    let client = Client::owner();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let callback: String =
        url::form_urlencoded::byte_serialize(format!("http://127.0.0.1:{port}/hook").as_bytes())
            .collect();
    let down_since = Instant::now();
    // Four documents that complete and one that ends in error.
    let files = [
        "pdfminer-issue-886-xref-stream-widths.pdf",
        "pdfplumber-la-precinct-bulletin-2014-p1.pdf",
        "samplefiles-habibi.pdf",
        "pdfminer-issue-00369-excel.pdf",
        "pdfplumber-password-example.pdf",
    ];
    let jobs: Vec<_> = files
        .iter()
        .map(|f| {
            let answer = client.call(
                "POST",
                &format!("/api/v1/jobs?filename={f}&callback_url={callback}"),
                Some(&corpus(f)),
                &[("content-type", "application/pdf")],
                202,
            );
            serde_json::from_slice::<shared::contract::api::Job>(&answer.body).expect("a job")
        })
        .collect();
    for job in &jobs {
        client.wait_terminal(&job.id, Duration::from_secs(60));
    }
    // While it is down, attempts fail without an answer.
    let failed_attempts: usize = jobs
        .iter()
        .map(|j| {
            client.job(&j.id).callback.map_or(0, |c| {
                c.deliveries
                    .iter()
                    .filter(|d| d.outcome == DeliveryOutcome::Retrying && d.status.is_none())
                    .count()
            })
        })
        .sum();
    assert!(
        failed_attempts >= jobs.len(),
        "expected failed attempts while the receiver was down"
    );
    if let Some(rest) = DOWN_FOR.checked_sub(down_since.elapsed()) {
        std::thread::sleep(rest);
    }

    let receiver = Receiver::start(port, Arc::new(|_| (200, vec![])));
    let expected = jobs.len() * EVENTS_OF_A_JOB;
    let back = Instant::now();
    receiver.wait_for(Duration::from_secs(90), |hits| {
        hits.iter().map(|h| h.id()).collect::<HashSet<_>>().len() >= expected
    });
    println!(
        "receiver down {:.0} s; all {expected} events arrived {:.1} s after it was back",
        DOWN_FOR.as_secs_f64(),
        back.elapsed().as_secs_f64()
    );
    // The delivery log shows every event delivered: at once, or — for an attempt whose
    // answer the sender did not get (it counts as failed, and the event is
    // sent again after its back-off) — by that next attempt.
    let deadline = Instant::now() + Duration::from_secs(90);
    for job in &jobs {
        loop {
            let log = client.job(&job.id).callback.expect("a callback").deliveries;
            let delivered: HashSet<_> = log
                .iter()
                .filter(|d| d.outcome == DeliveryOutcome::Delivered)
                .map(|d| d.event_id.clone())
                .collect();
            if delivered.len() == EVENTS_OF_A_JOB {
                break;
            }
            assert!(Instant::now() < deadline, "{log:?}");
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    // Late duplicates would show up now.
    std::thread::sleep(Duration::from_secs(3));
    let by_id = receiver.by_id();
    assert_eq!(by_id.len(), expected, "distinct webhook-ids");
    let secret = client.webhook_secret.clone().expect("a secret");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    // Per job, its states, each from exactly one id.
    let mut states: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for hits in by_id.values() {
        for hit in hits {
            shared::delivery::webhooks::verify(
                &[secret.as_str()],
                hit.id(),
                hit.header("webhook-timestamp").unwrap_or_default(),
                hit.header("webhook-signature").unwrap_or_default(),
                &hit.body,
                now,
            )
            .unwrap_or_else(|e| panic!("a delivery does not verify: {e}"));
        }
        let body = hits[0].json();
        // Every copy of an event is the same event.
        assert!(hits.iter().all(|h| h.body == hits[0].body));
        states
            .entry(body["job"]["id"].as_str().unwrap_or("?").to_owned())
            .or_default()
            .push(body["job"]["state"].as_str().unwrap_or("?").to_owned());
    }
    for job in &jobs {
        let mut got = states.remove(&job.id).unwrap_or_default();
        got.sort();
        let last = client.job(&job.id).state();
        let mut want = vec![
            "processing".to_owned(),
            "uploaded".to_owned(),
            last.to_string(),
        ];
        want.sort();
        assert_eq!(got, want, "events of {}", job.filename);
        assert!(matches!(last, JobState::Completed | JobState::Error));
    }
}

//! A collection survives its server's crash: SIGKILLed while its documents
//! are analysed, and again while its population is (a test hook holds the
//! population's analysis), restarted on the same state each time. Local
//! queues lose their messages in a crash: the owner's hub alone brings the
//! documents (its watchdog) and the population (sent again when it stalls)
//! home. The collection must complete with every document once, and its
//! population must be its documents' sums.

use std::time::{Duration, Instant};

use docket_tests::invoices::invoice_pdf;
use docket_tests::server;
use serde_json::Value;

use crate::crash::{VARS, work_dir};
use crate::support::Client;

/// How long after a restart the collection must have ended.
const BOUND: Duration = Duration::from_secs(300);
const DOCS: usize = 12;

/// The collection as the server shows it now.
fn collection(client: &Client, id: &str) -> Value {
    client
        .call("GET", &format!("/api/v1/collections/{id}"), None, &[], 200)
        .json()
}

/// Waits until the collection has ended; its last version.
fn ended(client: &Client, id: &str, since: Instant) -> Value {
    loop {
        let c = collection(client, id);
        let state = c["state"].as_str().unwrap_or_default().to_owned();
        if ["completed", "partial", "error", "cancelled"].contains(&state.as_str()) {
            return c;
        }
        assert!(
            since.elapsed() < BOUND,
            "still {state} {BOUND:?} after the restart: {c}"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn a_collection_killed_during_its_documents_and_its_population_completes() {
    let work = work_dir();
    let mut server = server::start(
        &work.join("collection-crash-state"),
        &work.join("wrangler-collection-crash.log"),
        &VARS,
    );
    let mut client = Client::owner_at(&server.url());
    // The population's analysis is held 15 s (test hook, by the name).
    let created = client
        .call(
            "POST",
            "/api/v1/collections",
            Some(br#"{"name": "inject-slow-population", "columns": ["Amount"]}"#),
            &[("content-type", "application/json")],
            201,
        )
        .json();
    let id = created["id"].as_str().expect("an id").to_owned();
    let mut jobs = Vec::new();
    for i in 0..DOCS {
        let bytes = invoice_pdf(i as u64 + 100, "Vendor 01", 30, false);
        let answer = client.call(
            "POST",
            &format!("/api/v1/jobs?filename=invoice-{i}.pdf&collection={id}"),
            Some(&bytes),
            &[("content-type", "application/pdf")],
            202,
        );
        jobs.push(answer.json()["id"].as_str().expect("a job").to_owned());
    }
    client.call(
        "POST",
        &format!("/api/v1/collections/{id}/close"),
        None,
        &[],
        202,
    );

    // First kill: some documents done, others not.
    let start = Instant::now();
    loop {
        let c = collection(&client, &id);
        let done = c["counts"]["completed"].as_u64().unwrap_or(0);
        if done >= 2 || start.elapsed() > Duration::from_secs(60) {
            assert!(done < DOCS as u64, "every document ended first: {c}");
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill9();
    server.restart().unwrap_or_else(|e| panic!("restart: {e}"));
    client.transport_retries = 20;
    let restarted = Instant::now();

    // Second kill: every document ended, the population held by the hook.
    loop {
        let c = collection(&client, &id);
        assert!(
            restarted.elapsed() < BOUND,
            "the documents never all ended: {c}"
        );
        if c["counts"]["completed"].as_u64() == Some(DOCS as u64) {
            assert_eq!(c["state"], "processing", "{c}");
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    server.kill9();
    server.restart().unwrap_or_else(|e| panic!("restart: {e}"));
    let restarted = Instant::now();
    let last = ended(&client, &id, restarted);
    println!(
        "collection ended {} {:.1} s after the second restart",
        last["state"],
        restarted.elapsed().as_secs_f64()
    );
    assert_eq!(last["state"], "completed", "{last}");
    assert_eq!(last["counts"]["documents"], DOCS as u64);

    // Every document once; the population is their sums.
    let page = client
        .call(
            "GET",
            &format!("/api/v1/collections/{id}/documents?limit=100"),
            None,
            &[],
            200,
        )
        .json();
    let listed: Vec<&str> = page["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|d| d["job_id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(listed, jobs.iter().map(String::as_str).collect::<Vec<_>>());
    let report = client
        .call(
            "GET",
            &format!("/api/v1/collections/{id}/result"),
            None,
            &[],
            200,
        )
        .json();
    let used: u64 = jobs
        .iter()
        .map(|j| client.result(j)["numbers"]["used"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(report["documents_analysed"], DOCS as u64);
    assert_eq!(report["numbers"]["used"].as_u64(), Some(used));
    assert_eq!(report["amounts"]["count"].as_u64(), Some(used));
}

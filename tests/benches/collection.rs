//! Collections at scale: `DOCKET_COLLECTION_DOCS` (default 1,000) generated
//! invoices from 50 vendors, one of whom (`Vendor 07`) makes its amounts up,
//! go into one collection chosen on its `Amount` column, through the
//! `docket` CLI (`DOCKET_CLI`). Prints the upload throughput, the time from
//! close to the population report, the API's latency while it runs (a
//! poller reads the collection every 200 ms), the population's merge memory
//! (from the server's log, `DOCKET_SERVER_LOG`), and where the fabricating
//! vendor's documents rank. Fails (exit 1) when the collection does not
//! complete with every document, or the fabricating vendor's documents are
//! not ranked above the others. Run by `cargo xtask bench collection` (long)
//! and `cargo xtask test` (short).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use docket_tests::api::Api;
use docket_tests::invoices::invoice_pdf;
use docket_tests::stats::{percentile, summary};
use serde_json::Value;

const VENDORS: usize = 50;
const FABRICATOR: usize = 7;
const ROWS: usize = 30;

fn fail(message: String) -> ! {
    eprintln!("collection: FAILED: {message}");
    std::process::exit(1);
}

fn main() {
    let base = std::env::var("DOCKET_URL").unwrap_or_else(|_| "http://127.0.0.1:8787".into());
    let docs: usize = std::env::var("DOCKET_COLLECTION_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let cli = std::env::var("DOCKET_CLI").unwrap_or_else(|_| fail("DOCKET_CLI is not set".into()));
    let api = Api::new(
        &base,
        Arc::new(AtomicUsize::new(0)),
        Some(Duration::from_secs(60)),
    )
    .unwrap_or_else(|e| fail(format!("no token: {e}")));
    let dir = std::env::temp_dir().join(format!("docket-collection-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| fail(e.to_string()));
    let mut files = Vec::new();
    for i in 0..docs {
        let vendor = i % VENDORS;
        let bytes = invoice_pdf(
            i as u64 + 1,
            &format!("Vendor {vendor:02}"),
            ROWS,
            vendor == FABRICATOR,
        );
        let path = dir.join(format!("v{vendor:02}-{i:05}.pdf"));
        std::fs::write(&path, bytes).unwrap_or_else(|e| fail(e.to_string()));
        files.push(path);
    }
    println!(
        "collection: {docs} invoices ({ROWS} amounts each) from {VENDORS} vendors; vendor {FABRICATOR:02} makes its amounts up"
    );

    let created = api
        .send(
            "POST",
            "/api/v1/collections",
            Some(br#"{"name": "invoices", "columns": ["Amount"]}"#),
            &[("content-type", "application/json")],
        )
        .unwrap_or_else(|e| fail(e));
    let collection: Value = serde_json::from_slice(&created.body).unwrap_or_default();
    let Some(id) = collection["id"].as_str().map(str::to_owned) else {
        fail(format!(
            "no collection: {}",
            String::from_utf8_lossy(&created.body)
        ));
    };

    // A poller reads the collection all along: the API's latency under the load.
    let stop = Arc::new(AtomicBool::new(false));
    let poller = {
        let stop = Arc::clone(&stop);
        let (base, id, owner_token) = (base.clone(), id.clone(), api.token().to_owned());
        std::thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let asked = Instant::now();
                let answer = agent
                    .get(format!("{base}/api/v1/collections/{id}"))
                    .header("authorization", format!("Bearer {owner_token}"))
                    .call();
                if answer.is_ok() {
                    latencies.push(asked.elapsed().as_secs_f64() * 1000.0);
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            latencies
        })
    };

    // Every invoice through the CLI, in batches of 100 files a command.
    let started = Instant::now();
    for batch in files.chunks(100) {
        let mut cmd = std::process::Command::new(&cli);
        cmd.args(["--quiet", "--server", &base, "collection", "add", &id])
            .args(batch)
            .env("DOCKET_TOKEN", api.token())
            .env("DOCKET_CONFIG", dir.join("config.json"));
        let out = cmd.output().unwrap_or_else(|e| fail(format!("{cli}: {e}")));
        if !out.status.success() {
            fail(format!(
                "docket collection add: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let upload_s = started.elapsed().as_secs_f64();

    let closed_at = Instant::now();
    let close = api
        .send(
            "POST",
            &format!("/api/v1/collections/{id}/close"),
            None,
            &[],
        )
        .unwrap_or_else(|e| fail(e));
    if close.status != 202 {
        fail(format!("close: {}", close.status));
    }
    let ended = loop {
        let c = api
            .json(&format!("/api/v1/collections/{id}?wait=20"))
            .unwrap_or_else(|e| fail(e));
        if ["completed", "partial", "error", "cancelled"]
            .contains(&c["state"].as_str().unwrap_or(""))
        {
            break c;
        }
        if closed_at.elapsed() > Duration::from_secs(3600) {
            fail(format!("still {} after an hour", c["state"]));
        }
    };
    let close_to_end_s = closed_at.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let latencies = poller.join().unwrap_or_default();
    if ended["state"] != "completed" || ended["counts"]["completed"].as_u64() != Some(docs as u64) {
        fail(format!("the collection ended so: {ended}"));
    }
    let report = api
        .json(&format!("/api/v1/collections/{id}/result"))
        .unwrap_or_else(|e| fail(e));
    let _ = std::fs::remove_dir_all(&dir);

    // Where the fabricating vendor's documents rank (1 = most deviating).
    let documents = report["documents"].as_array().cloned().unwrap_or_default();
    let tag = format!("v{FABRICATOR:02}-");
    let ranks: Vec<usize> = documents
        .iter()
        .enumerate()
        .filter(|(_, d)| d["filename"].as_str().is_some_and(|f| f.starts_with(&tag)))
        .map(|(i, _)| i + 1)
        .collect();
    let fakes = ranks.len();
    let in_top = ranks.iter().filter(|&&r| r <= fakes).count();
    let mean_rank = ranks.iter().sum::<usize>() as f64 / fakes.max(1) as f64;
    let memory = merge_memory(&id);

    println!(
        "documents            {docs} ({} used numbers)",
        report["numbers"]["used"]
    );
    println!(
        "upload (CLI)         {upload_s:.1} s, {:.1} documents/s",
        docs as f64 / upload_s
    );
    println!("close → result       {close_to_end_s:.1} s");
    println!(
        "API latency (GET collection every 200 ms, {} answers)  p50/p95/max {}; p99 {:.1} ms",
        latencies.len(),
        summary(&latencies),
        percentile(&latencies, 99.0).unwrap_or(0.0)
    );
    match memory {
        Some(bytes) => println!(
            "population merge     wasm memory {:.1} MiB",
            bytes as f64 / 1048576.0
        ),
        None => println!("population merge     wasm memory: not in the server's log"),
    }
    println!(
        "fabricating vendor   {fakes} documents: mean rank {mean_rank:.1} of {docs}, {in_top} of them in the top {fakes}"
    );
    println!(
        "population           first digit {} (MAD {:.5}), {} amounts in several documents",
        report["benford"]["first_digit"]["conformity"],
        report["benford"]["first_digit"]["mad"]
            .as_f64()
            .unwrap_or(0.0),
        report["shared_amounts"].as_array().map_or(0, Vec::len)
    );
    if fakes == 0 || in_top * 10 < fakes * 8 {
        fail(format!(
            "the fabricating vendor's documents are not ranked first ({in_top} of {fakes} in the top {fakes})"
        ));
    }
    println!("collection: ok");
}

/// The population's wasm memory, from the server's log line.
fn merge_memory(id: &str) -> Option<u64> {
    let log = std::env::var_os("DOCKET_SERVER_LOG")?;
    let text = std::fs::read_to_string(log).ok()?;
    text.lines()
        .filter(|l| l.contains(id) && l.contains("population of"))
        .filter_map(|l| l.split("wasm memory ").nth(1))
        .filter_map(|rest| rest.split(' ').next()?.parse().ok())
        .max()
}

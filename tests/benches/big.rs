//! Big documents through a local server (`cargo xtask bench big`): generated
//! PDFs of 100 MB, 500 MB and 1 GB (pages each with a large image over a
//! table of amounts) and one of 50,000 text-only pages, each on a freshly
//! started server (`wrangler dev`, default settings but `MAX_PAGES`), sent
//! by the `docket` CLI — in one request where the size allows, and
//! resumably — then followed to the end while `GET /jobs/{id}` is timed
//! every 100 ms. Printed per file: upload times, upload → completed, the
//! slices the document was analysed in (with the longest and mean time one
//! took), the reads the analysis made (count, bytes, share of the file), the
//! isolate's wasm memory when the job ended (it only grows; the isolate started with
//! the server), the poll latency p50/p99 during the analysis, and
//! `pdftotext`'s time on the same file when it is installed. The files are
//! kept in `target/big/` for the next run. `DOCKET_BIG=small` runs a 100 MB
//! file and 5,000 pages only; `DOCKET_BIG_ONLY=text` the files whose name
//! holds `text`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use docket_tests::api::oplog_lines;
use docket_tests::big::{write_image_heavy, write_text_only};
use docket_tests::server;
use docket_tests::stats::percentile;
use serde_json::Value;

/// A writer of one generated document.
type Make = Box<dyn Fn(&Path) -> std::io::Result<()>>;

/// Image-heavy: pages of 4 MiB images over tables of amounts.
fn image_heavy(bytes: u64) -> Make {
    Box::new(move |path| write_image_heavy(path, bytes, 4 << 20, bytes).map(drop))
}

/// Text-only: `pages` pages of amounts.
fn text_only(pages: u32) -> Make {
    Box::new(move |path| write_text_only(path, pages, 7).map(drop))
}

fn main() {
    let small = std::env::var("DOCKET_BIG").is_ok_and(|v| v == "small");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/big");
    std::fs::create_dir_all(&dir).expect("target/big");
    let mut specs: Vec<(&str, Make)> = vec![("images-100MB", image_heavy(99_000_000))];
    if small {
        specs.push(("text-5000p", text_only(5_000)));
    } else {
        specs.push(("images-500MB", image_heavy(500_000_000)));
        specs.push(("images-1GB", image_heavy(1_000_000_000)));
        specs.push(("text-50000p", text_only(50_000)));
    }
    // `DOCKET_BIG_ONLY=text` runs the files whose name holds it.
    if let Ok(only) = std::env::var("DOCKET_BIG_ONLY") {
        specs.retain(|(name, _)| name.contains(only.as_str()));
    }
    let cli = std::env::var_os("DOCKET_CLI")
        .map(PathBuf::from)
        .expect("DOCKET_CLI");
    println!(
        "| file | size | pages | upload, 1 request | upload, resumable | upload → completed | slices | reads | bytes read | share read | wasm memory at the end | poll p50 / p99 (n) | pdftotext |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut failed = false;
    for (name, make) in &specs {
        let path = dir.join(format!("{name}.pdf"));
        if !path.exists() {
            let t = Instant::now();
            make(&path).expect("write the PDF");
            eprintln!(
                "wrote {} in {:.1} s",
                path.display(),
                t.elapsed().as_secs_f64()
            );
        }
        match run(name, &path, &cli) {
            Ok(row) => println!("{row}"),
            Err(e) => {
                failed = true;
                println!("| {name} | failed: {e} |");
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}

fn mb(bytes: f64) -> String {
    format!("{:.1} MB", bytes / 1e6)
}

fn run(name: &str, path: &Path, cli: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    let work = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/big");
    let log = work.join(format!("wrangler-{name}.log"));
    let server = server::start(
        &work.join(format!("{name}-state")),
        &log,
        &[("MAX_PAGES", "100000")],
    );
    let base = server.url();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let minted: Value = agent
        .post(format!("{base}/api/v1/tokens"))
        .send_empty()
        .map_err(|e| e.to_string())?
        .body_mut()
        .read_json()
        .map_err(|e| e.to_string())?;
    let token = minted["token"].as_str().ok_or("no token")?.to_owned();
    let config = work.join(format!("{name}-cli.json"));
    let submit = |above: &str| -> Result<(Value, f64), String> {
        let t = Instant::now();
        let out = Command::new(cli)
            .args(["--json", "--quiet", "submit"])
            .arg(path)
            .args(["--resumable-above", above])
            .env("DOCKET_URL", &base)
            .env("DOCKET_TOKEN", &token)
            .env("DOCKET_CONFIG", &config)
            .output()
            .map_err(|e| e.to_string())?;
        let secs = t.elapsed().as_secs_f64();
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let jobs: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
        Ok((jobs[0].clone(), secs))
    };
    // One request, where the size allows (then the job is deleted).
    let single = if size <= 100_000_000 {
        let (job, secs) = submit(&u64::MAX.to_string())?;
        let id = job["id"].as_str().ok_or("no id")?;
        agent
            .delete(format!("{base}/api/v1/jobs/{id}"))
            .header("authorization", &format!("Bearer {token}"))
            .call()
            .map_err(|e| e.to_string())?;
        format!("{secs:.1} s")
    } else {
        "over the limit".into()
    };
    let (job, upload_secs) = submit("0")?;
    let uploaded = Instant::now();
    let id = job["id"].as_str().ok_or("no id")?.to_owned();
    // Follow it, timing every poll while it is analysed.
    let mut latencies = Vec::new();
    let done = loop {
        let t = Instant::now();
        let mut resp = agent
            .get(format!("{base}/api/v1/jobs/{id}"))
            .header("authorization", &format!("Bearer {token}"))
            .call()
            .map_err(|e| e.to_string())?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let job: Value = resp.body_mut().read_json().map_err(|e| e.to_string())?;
        let state = job["state"].as_str().unwrap_or("").to_owned();
        if state == "processing" {
            latencies.push(ms);
        }
        if matches!(state.as_str(), "completed" | "error" | "cancelled") {
            break job;
        }
        if uploaded.elapsed() > Duration::from_secs(3600) {
            return Err("not done within an hour".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let total = uploaded.elapsed().as_secs_f64();
    if done["state"] != "completed" {
        return Err(format!("ended {}: {}", done["state"], done["error"]));
    }
    let report: Value = agent
        .get(format!("{base}/api/v1/jobs/{id}/result"))
        .header("authorization", &format!("Bearer {token}"))
        .call()
        .map_err(|e| e.to_string())?
        .body_mut()
        .with_config()
        .limit(512 << 20)
        .read_json()
        .map_err(|e| e.to_string())?;
    let reads = report["reading"]["reads"].as_u64().unwrap_or(0);
    let bytes_read = report["reading"]["bytes_read"].as_u64().unwrap_or(0) as f64;
    // Every analysis of the job: one, or one per slice.
    let analysed: Vec<Value> = oplog_lines(&log)
        .into_iter()
        .filter(|l| l["what"] == "analysed" && l["job_id"] == id.as_str())
        .collect();
    let memory = analysed
        .iter()
        .max_by(|a, b| {
            let m = |l: &Value| l["memory_bytes"].as_f64().unwrap_or(0.0);
            m(a).total_cmp(&m(b))
        })
        .map(|l| {
            format!(
                "{:.1} MiB (isolate up {:.0} s)",
                l["memory_bytes"].as_f64().unwrap_or(0.0) / 1048576.0,
                l["isolate_age_ms"].as_f64().unwrap_or(0.0) / 1000.0
            )
        })
        .unwrap_or_else(|| "not logged".into());
    // Each slice's time in the consumer (wall clock, an upper bound on its
    // CPU time: locally nothing else runs on the thread but the polls).
    let times: Vec<f64> = analysed
        .iter()
        .filter_map(|l| l["duration_ms"].as_f64())
        .collect();
    let slices = format!(
        "{} (longest {:.1} s, mean {:.1} s)",
        analysed.len(),
        times.iter().copied().fold(0.0, f64::max) / 1000.0,
        times.iter().sum::<f64>() / times.len().max(1) as f64 / 1000.0
    );
    latencies.sort_by(f64::total_cmp);
    let polls = if latencies.is_empty() {
        "— (done before a poll)".into()
    } else {
        format!(
            "{:.0} / {:.0} ms ({})",
            percentile(&latencies, 50.0).unwrap_or(0.0),
            percentile(&latencies, 99.0).unwrap_or(0.0),
            latencies.len()
        )
    };
    drop(server);
    let pdftotext = {
        let t = Instant::now();
        match Command::new("pdftotext")
            .args(["-q"])
            .arg(path)
            .arg("/dev/null")
            .status()
        {
            Ok(s) if s.success() => format!(
                "{:.1} s ({:.1}× ours)",
                t.elapsed().as_secs_f64(),
                total / t.elapsed().as_secs_f64()
            ),
            Ok(_) => "failed".into(),
            Err(_) => "not installed".into(),
        }
    };
    Ok(format!(
        "| {name} | {} | {} | {single} | {upload_secs:.1} s | {total:.1} s | {slices} | {reads} | {} | {:.2} % | {memory} | {polls} | {pdftotext} |",
        mb(size as f64),
        report["pages"],
        mb(bytes_read),
        100.0 * bytes_read / size as f64,
    ))
}

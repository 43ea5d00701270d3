//! Benchmarks (`cargo xtask bench [analysis|calibration|ws|fairness|load|collection|delivery|chaos|soak|big|fuzz-api]`;
//! and fuzzing (`cargo xtask fuzz`, the analysis engine; `bench fuzz-api`, the
//! HTTP API with schemathesis).

use std::process::Command;

use anyhow::{Result, bail};

use crate::{setup, util};

/// `cargo run` of one of `shared`'s examples, optimised for speed, up to `--`.
fn shared_example(name: &str) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(util::root())
        .args([
            "run",
            "--quiet",
            "--profile",
            "bench",
            "-p",
            "docket-shared",
        ])
        .args(["--features", "analysis", "--example", name, "--"]);
    cmd
}

/// `cargo xtask bench calibration`: how often the digit tests' headline
/// class calls samples drawn from Benford's law, and fabricated ones,
/// nonconforming, at 50 to 50,000 numbers (1,000 seeds a cell;
/// `shared/examples/calibration.rs`; its short form is
/// `shared/tests/calibration.rs`, part of the unit tests).
pub fn calibration() -> Result<()> {
    util::step("calibration of the digit tests (shared/examples/calibration.rs)");
    util::run(shared_example("calibration").arg("1000"))
}

/// `cargo xtask bench analysis`: the engine's throughput and memory over the
/// corpus, natively against pdftotext in the same run (needs poppler-utils),
/// then compiled to wasm and run under Node (throughput against native, and
/// each file's peak wasm memory).
pub fn analysis() -> Result<()> {
    let root = util::root();
    let corpus = util::corpus();
    let mut files: Vec<_> = std::fs::read_dir(&corpus)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .collect();
    files.sort();
    if util::which("pdftotext").is_none() {
        bail!("pdftotext is needed as the baseline: apt-get install poppler-utils");
    }
    // A long document: 5,000 pages of numeric tables (about 13 MB).
    let generated = root.join("target/xtask/generated-5000-pages.pdf");
    std::fs::create_dir_all(root.join("target/xtask"))?;
    util::run(shared_example("gen_pages").arg("5000").arg(&generated))?;
    files.push(generated);
    util::step("native, against pdftotext");
    let native = util::output(shared_example("bench").args(&files))?;
    print!("{native}");
    // file name -> native MB/s
    let native_speed: std::collections::HashMap<String, f64> = native
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            Some((cols.first()?.to_string(), cols.get(2)?.parse().ok()?))
        })
        .collect();

    util::step("wasm32 under Node, against native");
    setup::tools()?;
    util::run(Command::new("cargo").current_dir(&root).args([
        "build",
        "--quiet",
        "--profile",
        "bench",
        "-p",
        "docket-bench-wasm",
        "--target",
        "wasm32-unknown-unknown",
    ]))?;
    let pkg = root.join("target/xtask/bench-wasm");
    std::fs::create_dir_all(&pkg)?;
    std::fs::write(pkg.join("package.json"), "{\"type\":\"module\"}\n")?;
    let bindgen = util::which("wasm-bindgen").ok_or_else(|| anyhow::anyhow!("no wasm-bindgen"))?;
    util::run(
        Command::new(bindgen)
            .arg(root.join("target/wasm32-unknown-unknown/release/docket_bench_wasm.wasm"))
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                "bench",
                "--out-dir",
            ])
            .arg(&pkg),
    )?;
    let wasm = util::output(
        Command::new("node")
            .arg(root.join("bench-wasm/run.mjs"))
            .arg(&pkg)
            .args(&files),
    )?;
    println!(
        "{:48} {:>10} {:>10} {:>8} {:>10}",
        "file", "wasm MB/s", "native", "slower", "wasm MiB"
    );
    // (bytes, wasm ms, native ms) for the corpus, then with the generated document.
    let mut corpus = (0f64, 0f64, 0f64);
    let (mut bytes_all, mut ms_all, mut native_ms_all) = (0f64, 0f64, 0f64);
    for line in wasm.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let (Some(name), Some(bytes), Some(ms), Some(mib)) = (
            cols.first(),
            cols.get(1).and_then(|v| v.parse::<f64>().ok()),
            cols.get(2).and_then(|v| v.parse::<f64>().ok()),
            cols.get(3),
        ) else {
            continue;
        };
        let Some(native) = native_speed.get(*name) else {
            continue;
        };
        let speed = bytes / 1e6 / (ms / 1000.0);
        println!(
            "{name:48} {speed:>10.1} {native:>10.1} {:>8.2} {mib:>10}",
            native / speed
        );
        let native_ms = bytes / 1e6 / native * 1000.0;
        bytes_all += bytes;
        ms_all += ms;
        native_ms_all += native_ms;
        if !name.starts_with("generated-") {
            corpus.0 += bytes;
            corpus.1 += ms;
            corpus.2 += native_ms;
        }
    }
    for (label, (bytes, ms, native_ms)) in [
        ("CORPUS", corpus),
        ("ALL", (bytes_all, ms_all, native_ms_all)),
    ] {
        let speed = bytes / 1e6 / (ms / 1000.0);
        let native = bytes / 1e6 / (native_ms / 1000.0);
        println!(
            "{label:48} {speed:>10.1} {native:>10.1} {:>8.2}",
            native / speed
        );
    }
    Ok(())
}

/// `cargo xtask fuzz [SECONDS]`: fuzzes the analysis entry point (cargo-fuzz,
/// installed when missing; stable Rust with RUSTC_BOOTSTRAP for the sanitizer
/// flags). The corpus grows in `shared/fuzz/corpus/` (not committed); the seeds are
/// `shared/fuzz/seeds/`; a crash lands in `shared/fuzz/artifacts/`.
pub fn fuzz(seconds: u32) -> Result<()> {
    let root = util::root();
    let installed = util::output(Command::new("cargo").args(["install", "--list"]))?;
    if !installed.lines().any(|l| l.starts_with("cargo-fuzz ")) {
        util::run(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
    }
    let fuzz = root.join("shared/fuzz");
    std::fs::create_dir_all(fuzz.join("corpus/analyse"))?;
    util::run(
        Command::new("cargo")
            .current_dir(&fuzz)
            .env("RUSTC_BOOTSTRAP", "1")
            .args([
                "fuzz",
                "run",
                "analyse",
                "corpus/analyse",
                "seeds/analyse",
                "--",
            ])
            .arg(format!("-max_total_time={seconds}"))
            .args(["-rss_limit_mb=2048", "-timeout=20", "-max_len=200000"]),
    )
}

/// `cargo xtask bench ws`: the delay from a job change to its arrival on a
/// WebSocket, over 200 jobs, against a `wrangler dev` started for it (the dev
/// build `cargo xtask dev` serves, fresh state).
pub fn ws() -> Result<()> {
    setup::tools()?;
    crate::build::app(crate::build::Profile::Dev)?;
    crate::build::worker(crate::build::Profile::Dev)?;
    let work = util::root().join("target/xtask");
    std::fs::create_dir_all(&work)?;
    let state = work.join("bench-state");
    let _ = std::fs::remove_dir_all(&state);
    let log = work.join("wrangler-bench.log");
    // One owner uploads everything: lift its upload rate and active-job quota.
    let server = crate::wrangler::start(
        &state,
        &log,
        &[
            ("RATE_UPLOADS_PER_MINUTE", "100000"),
            ("QUOTA_ACTIVE_JOBS", "100000"),
        ],
    )?;
    util::step("WebSocket delivery delay (tests/benches/ws_latency.rs)");
    let status = tests_bench("ws_latency", &server.url()).status()?;
    drop(server);
    if !status.success() {
        bail!(
            "the WebSocket benchmark failed; wrangler's log is in {}",
            log.display()
        );
    }
    Ok(())
}

/// `cargo xtask bench fairness`: owner B's one job while owner A floods, with
/// the default active-jobs quota and with it lifted, each on a fresh server.
pub fn fairness() -> Result<()> {
    setup::tools()?;
    crate::build::app(crate::build::Profile::Dev)?;
    crate::build::worker(crate::build::Profile::Dev)?;
    let work = util::root().join("target/xtask");
    std::fs::create_dir_all(&work)?;
    for (label, quota) in [("quota 20 active jobs", "20"), ("quota lifted", "100000")] {
        let state = work.join("bench-fairness-state");
        let _ = std::fs::remove_dir_all(&state);
        let log = work.join("wrangler-bench-fairness.log");
        let server = crate::wrangler::start(
            &state,
            &log,
            &[
                ("RATE_UPLOADS_PER_MINUTE", "100000"),
                ("RATE_UPLOADS_PER_DAY", "100000"),
                ("QUOTA_ACTIVE_JOBS", quota),
            ],
        )?;
        util::step(&format!("fairness, {label} (tests/benches/fairness.rs)"));
        let status = tests_bench("fairness", &server.url())
            .env("DOCKET_BENCH_LABEL", label)
            .status()?;
        drop(server);
        if !status.success() {
            bail!(
                "the fairness benchmark failed; wrangler's log is in {}",
                log.display()
            );
        }
    }
    Ok(())
}

/// `cargo bench` of one of `tests/`' benchmarks against the server at `url`.
fn tests_bench(name: &str, url: &str) -> Command {
    let mut cmd = util::tests_bench(name);
    cmd.env("DOCKET_URL", url)
        .env("DOCKET_CORPUS", util::corpus());
    cmd
}

/// `cargo xtask bench big`: generated PDFs of 100 MB, 500 MB and 1 GB and
/// one of 50,000 pages, each through a freshly started server by the
/// `docket` CLI (`tests/benches/big.rs`; `small`: 100 MB and 5,000 pages).
pub fn big(small: bool) -> Result<()> {
    setup::tools()?;
    crate::build::app(crate::build::Profile::Dev)?;
    crate::build::worker(crate::build::Profile::Dev)?;
    let cli = crate::build::cli()?;
    util::step("big documents (tests/benches/big.rs)");
    let mut cmd = util::tests_bench("big");
    cmd.env("DOCKET_CLI", cli)
        .env("DOCKET_WRANGLER", setup::wrangler_bin());
    if small {
        cmd.env("DOCKET_BIG", "small");
    }
    util::run(&mut cmd)
}

/// The load benchmark against `server`: `jobs` jobs from `clients` clients.
pub fn load_command(server: &crate::wrangler::Server, jobs: u32, clients: u32) -> Command {
    let mut cmd = tests_bench("load", &server.url());
    cmd.env("DOCKET_LOAD_JOBS", jobs.to_string())
        .env("DOCKET_LOAD_CLIENTS", clients.to_string())
        .env(
            "DOCKET_SERVER_GROUP",
            server.group().unwrap_or_default().to_string(),
        );
    cmd
}

/// The vars of a benchmark server: every limit out of the way of one
/// machine's many clients (the load and delivery runs measure the service,
/// not its rate limits).
const OPEN_VARS: [(&str, &str); 6] = [
    ("RATE_TOKENS_PER_MINUTE_PER_IP", "100000"),
    ("RATE_UPLOADS_PER_MINUTE", "100000"),
    ("RATE_UPLOADS_PER_DAY", "100000"),
    ("RATE_REQUESTS_PER_MINUTE", "100000"),
    ("QUOTA_ACTIVE_JOBS", "100000"),
    ("QUOTA_JOBS", "100000"),
];

/// Builds (dev, as `cargo xtask dev` serves) and starts a fresh server.
fn bench_server(name: &str, vars: &[(&str, &str)]) -> Result<crate::wrangler::Server> {
    setup::tools()?;
    crate::build::app(crate::build::Profile::Dev)?;
    crate::build::worker(crate::build::Profile::Dev)?;
    let work = util::root().join("target/xtask");
    std::fs::create_dir_all(&work)?;
    let state = work.join(format!("bench-{name}-state"));
    let _ = std::fs::remove_dir_all(&state);
    crate::wrangler::start(
        &state,
        &work.join(format!("wrangler-bench-{name}.log")),
        vars,
    )
}

/// The collection benchmark against `server`: `docs` generated invoices in
/// one collection through the CLI at `cli`, the server's log at `log`.
pub fn collection_command(
    server: &crate::wrangler::Server,
    docs: u32,
    cli: &std::path::Path,
    log: &std::path::Path,
) -> Command {
    let mut cmd = tests_bench("collection", &server.url());
    cmd.env("DOCKET_COLLECTION_DOCS", docs.to_string())
        .env("DOCKET_CLI", cli)
        .env("DOCKET_SERVER_LOG", log);
    cmd
}

/// `cargo xtask bench collection`: 1,000 generated invoices in one
/// collection through the CLI on a fresh server (`tests/benches/collection.rs`).
pub fn collection() -> Result<()> {
    let cli = crate::build::cli()?;
    let server = bench_server("collection", &OPEN_VARS)?;
    let log = util::root().join("target/xtask/wrangler-bench-collection.log");
    util::step("collection: 1,000 invoices through the CLI (tests/benches/collection.rs)");
    util::run(&mut collection_command(&server, 1000, &cli, &log))
}

/// `cargo xtask bench load`: 1,000 small PDFs from 32 clients on a fresh
/// server; fails on any lost, stuck or wrong job.
pub fn load() -> Result<()> {
    let server = bench_server("load", &OPEN_VARS)?;
    util::step("load: 1,000 jobs from 32 clients (tests/benches/load.rs)");
    util::run(&mut load_command(&server, 1000, 32))
}

/// `cargo xtask bench delivery`: polling, long-polling, WebSocket and
/// webhook on one workload, on a fresh server; prints a Markdown table.
pub fn delivery() -> Result<()> {
    let server = bench_server("delivery", &OPEN_VARS)?;
    // Quick jobs, then jobs that take a while (16 pages, and a queue shared
    // by 8 clients), where the cost of asking again shows.
    for pdf in [
        "pdfminer-issue-00369-excel.pdf",
        "pdfplumber-ca-warn-report.pdf",
    ] {
        util::step(&format!(
            "delivery modes, {pdf} (tests/benches/delivery.rs)"
        ));
        util::run(
            tests_bench("delivery", &server.url())
                .env(
                    "DOCKET_SERVER_GROUP",
                    server.group().unwrap_or_default().to_string(),
                )
                .env("DOCKET_DELIVERY_PDF", pdf),
        )?;
    }
    Ok(())
}

/// `cargo xtask bench fuzz-api`: schemathesis, long (300 examples per
/// operation, a random seed), on a fresh server with the test hooks off.
pub fn fuzz_api() -> Result<()> {
    let server = bench_server("fuzz-api", &OPEN_VARS)?;
    fuzz_api_against(&server, 300)
}

/// Schemathesis against `server`'s OpenAPI document: every check, `examples`
/// per operation, with the hooks and settings of `tests/schemathesis`. The
/// WebSocket endpoint is left out (schemathesis speaks no WebSocket; the
/// end-to-end tests cover it). One worker: with two threads, hypothesis's
/// reading of lambda sources trips Python 3.11's `ast` module, which is not
/// thread-safe ("AST constructor recursion depth mismatch", CPython
/// gh-106905), and the run fails for no fault of the API.
pub fn fuzz_api_against(server: &crate::wrangler::Server, examples: u32) -> Result<()> {
    let st = setup::schemathesis()?;
    let token = crate::wrangler::mint_token(server.port())?;
    let dir = util::root().join("tests/schemathesis");
    let mut cmd = Command::new(st);
    cmd.current_dir(&dir)
        .env("DOCKET_TOKEN", token)
        .env("DOCKET_CORPUS", util::corpus())
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .env("PYTHONPATH", &dir)
        .args(["--config-file", "schemathesis.toml", "--no-color", "run"])
        .arg(format!("{}/api/v1/openapi.json", server.url()))
        .arg("--url")
        .arg(format!("{}/api/v1", server.url()))
        .args([
            "--checks",
            "all",
            "--workers",
            "1",
            "--exclude-path",
            "/events",
        ])
        .arg("--max-examples")
        .arg(examples.to_string());
    // The short run is reproducible; the long one explores.
    if examples <= 50 {
        cmd.args(["--seed", "1"]);
    }
    util::run(&mut cmd)
}

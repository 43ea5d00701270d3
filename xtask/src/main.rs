//! `cargo xtask`: Docket's one-command set-up, build, run and test.
//!
//! - `cargo xtask dev`   installs what is missing, builds, serves on :8787
//! - `cargo xtask test`  every check, ending with `N passed, N failed`
//! - `cargo xtask build [--release]`  the SPA and the worker (release: and the
//!   API worker alone, for its size)
//! - `cargo xtask deploy [ARGS]`  a release build, then `wrangler deploy ARGS`
//! - `cargo xtask setup [--browser]`  only the installs
//!
//! External programs are run directly (no `sh -c`), with paths from the root.

mod bench;
mod build;
mod e2e;
mod layout;
mod patches;
mod runner;
mod serverlog;
mod setup;
mod stress;
mod test;
mod util;
mod wrangler;

use anyhow::{Result, bail};

fn main() {
    if let Err(e) = run() {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["dev"] => wrangler::dev(8787),
        ["dev", "--port", port] => wrangler::dev(port.parse()?),
        ["test"] => test::run(),
        ["reference"] => test::reference_tests().map(|_| ()),
        ["e2e"] => e2e::e2e_only(None),
        ["e2e", filter] => e2e::e2e_only(Some(filter)),
        ["build"] => build::all(build::Profile::Dev),
        ["build", "--release"] => {
            build::all(build::Profile::Release)?;
            build::api_worker()
        }
        ["deploy", rest @ ..] => wrangler::deploy(rest),
        ["bench", "analysis"] => bench::analysis(),
        ["bench", "calibration"] => bench::calibration(),
        ["bench", "ws"] => bench::ws(),
        ["bench", "fairness"] => bench::fairness(),
        ["bench", "load"] => bench::load(),
        ["bench", "collection"] => bench::collection(),
        ["bench", "delivery"] => bench::delivery(),
        // The fault tests on a fresh server (the same tests `cargo xtask
        // test` runs; they are already full length).
        ["bench", "faults"] => e2e::e2e_only(Some("faults")),
        ["bench", "chaos"] => stress::chaos(stress::CHAOS_LONG),
        ["bench", "soak"] => counted(stress::soak(stress::SOAK_LONG)?),
        ["bench", "soak", "--short"] => counted(stress::soak(e2e::SOAK_SHORT)?),
        ["bench", "big"] => bench::big(false),
        ["bench", "big", "--small"] => bench::big(true),
        ["bench", "fuzz-api"] => bench::fuzz_api(),
        ["bench"] => bench_all(),
        ["fuzz"] => bench::fuzz(600),
        ["fuzz", secs] => bench::fuzz(secs.parse()?),
        ["layout"] => layout::check(),
        ["layout", "--edges", krate] => layout::edges(krate),
        ["setup"] => setup::tools(),
        ["setup", "--browser"] => {
            setup::tools()?;
            setup::browser()
        }
        [] | ["help"] | ["--help"] | ["-h"] => {
            println!("{}", HELP);
            Ok(())
        }
        other => bail!("unknown command {other:?}\n\n{HELP}"),
    }
}

/// A run whose counts say it failed is an error.
fn counted(counts: runner::Counts) -> Result<()> {
    if counts.failed > 0 {
        bail!("{} check(s) failed", counts.failed);
    }
    Ok(())
}

/// `cargo xtask bench`: every long form, one after another; stops at the
/// first that fails.
fn bench_all() -> Result<()> {
    bench::analysis()?;
    bench::calibration()?;
    bench::ws()?;
    bench::fairness()?;
    bench::load()?;
    bench::collection()?;
    bench::delivery()?;
    e2e::e2e_only(Some("faults"))?;
    stress::chaos(stress::CHAOS_LONG)?;
    counted(stress::soak(stress::SOAK_LONG)?)?;
    bench::big(false)?;
    bench::fuzz_api()
}

const HELP: &str = "\
usage: cargo xtask <command>

  dev [--port N]     install what is missing, build, run `wrangler dev` (default port 8787)
  test               run every check (fmt, clippy, unit, browser, end-to-end, deploy dry-run)
  e2e [FILTER]       only the end-to-end tests (those whose name contains FILTER;
                     `limits…` and `faults…` select those servers' tests)
  layout             no import cycle, no file over its line limit (xtask/layout-baseline.txt)
  layout --edges C   crate C's import edges (top-level modules, then files)
  reference          Nigrini's suite against benford_py (installs it pinned under target/)
  build [--release]  build the SPA and the worker (release: also the API worker
                     without the analyser, for its size)
  fuzz [SECONDS]     fuzz the analysis entry point (default 600 s)
  bench analysis     engine throughput and memory over the corpus vs pdftotext
  bench calibration  how often honest and made-up samples are called nonconforming
  bench ws           delay from a job change to its WebSocket client (200 jobs)
  bench fairness     one owner's job while another floods, with and without the quota
  bench load         1,000 small PDFs from 32 clients; fails on a lost, stuck or wrong job
  bench collection   1,000 generated invoices in one collection through the CLI: throughput,
                     close → result, API latency, merge memory, the fabricating vendor's rank
  bench delivery     polling, long-poll, WebSocket and webhook on one workload (a table)
  bench faults       the fault tests (crash, failing analyses, receiver outage, dropped sockets, bad input)
  bench soak         30 minutes of mixed load (uploads, resumable ones dropped, SSE and
                     WebSocket reconnects, flaky webhooks, cancels, deletes); workerd's memory
                     (--short: the minute `cargo xtask test` runs)
  bench chaos        200 uploads from 8 clients, the server SIGKILLed 5 times; recovery times
  bench big [--small]  PDFs of 100 MB, 500 MB, 1 GB and 50,000 pages through the CLI: upload
                     times, reads, wasm memory, poll latency (--small: 100 MB, 5,000 pages)
  bench fuzz-api     schemathesis against the OpenAPI document, 300 examples per operation
  bench              all of the benchmarks above, in that order
  deploy [ARGS]      build for release, then `wrangler deploy ARGS` (e.g. --dry-run)
  setup [--browser]  only install the tools (with --browser: Chromium and ChromeDriver too)";

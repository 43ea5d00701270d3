//! The end-to-end suites against real `wrangler dev` servers (`cargo xtask
//! e2e [FILTER]`, and part of `cargo xtask test`): the main server (HTTP,
//! WebSocket, SSE, webhooks, the CLI, the SPA in Chromium, retention), a
//! server with small limits, and one with the test hooks on for the fault
//! tests, the short load run and schemathesis.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::build::{self, Profile};
use crate::runner::{Counts, number_before, plain, tests};
use crate::setup;
use crate::util::{root, step};

/// Starts wrangler dev on a free port with a throw-away state directory, runs
/// the `tests/` crate against it, and stops it (the guard drops on every path).
pub(crate) fn end_to_end(work: &std::path::Path) -> Result<Counts> {
    end_to_end_filtered(work, None)
}

/// `cargo xtask e2e [FILTER]`: builds (dev) and runs only the end-to-end tests,
/// those whose name contains FILTER when given; for working on one area.
pub fn e2e_only(filter: Option<&str>) -> Result<()> {
    setup::tools()?;
    let work = root().join("target/xtask");
    std::fs::create_dir_all(&work)?;
    build::app(Profile::Dev)?;
    build::worker(Profile::Dev)?;
    let counts = end_to_end_filtered(&work, filter)?;
    println!("{} passed, {} failed", counts.passed, counts.failed);
    if counts.failed > 0 {
        bail!("{} test(s) failed", counts.failed);
    }
    Ok(())
}

fn end_to_end_filtered(work: &std::path::Path, filter: Option<&str>) -> Result<Counts> {
    let marks = crate::serverlog::Marks::take(work)?;
    let mut counts = suites(work, filter)?;
    // Every server's log, the ones the tests started themselves too.
    counts.add(crate::serverlog::verdict(work, &marks)?);
    Ok(counts)
}

fn suites(work: &std::path::Path, filter: Option<&str>) -> Result<Counts> {
    let cli = build::cli()?;
    let mut counts = Counts::default();
    // The retention sweep removes everyone's old jobs: it runs after the rest,
    // alone, on the same server.
    let mut binaries = vec![("e2e", "4")];
    if filter.is_none() {
        // The SPA in Chromium, then the sweep.
        binaries.push((BROWSER, "1"));
        binaries.push(("retention", "1"));
    } else if filter == Some("browser") {
        binaries = vec![(BROWSER, "1")];
    }
    let other_server = filter.is_some_and(|f| f.starts_with("limits") || f.starts_with("faults"));
    if !other_server {
        counts.add(run_against(
            "e2e", &E2E_VARS, &binaries, work, filter, &cli,
        )?);
    }
    // Faults, the short load run and the API fuzzing, on a server of their own.
    if filter.is_none() || filter.is_some_and(|f| f.starts_with("faults")) {
        let filter = filter
            .and_then(|f| f.strip_prefix("faults"))
            .filter(|f| !f.is_empty());
        let mut binaries = vec![("faults", "8")];
        if filter.is_none() {
            binaries.push((LOAD, ""));
            binaries.push((COLLECTION, ""));
            binaries.push((FUZZ_API, ""));
        }
        counts.add(run_against(
            "faults",
            &FAULTS_VARS,
            &binaries,
            work,
            filter,
            &cli,
        )?);
    }
    // The rate limits and quotas, small, on a server of their own.
    if filter.is_none() || filter.is_some_and(|f| f.starts_with("limits")) {
        let filter = filter
            .and_then(|f| f.strip_prefix("limits"))
            .filter(|f| !f.is_empty());
        counts.add(run_against(
            "limits",
            &LIMITS_VARS,
            &[("limits", "8")],
            work,
            filter,
            &cli,
        )?);
    }
    Ok(counts)
}

/// Starts a wrangler dev with `vars` and a fresh state, runs the test
/// binaries against it, stops it.
fn run_against(
    name: &str,
    vars: &[(&str, &str)],
    binaries: &[(&str, &str)],
    work: &std::path::Path,
    filter: Option<&str>,
    cli: &std::path::Path,
) -> Result<Counts> {
    let state = work.join(format!("{name}-state"));
    let _ = std::fs::remove_dir_all(&state);
    let log = work.join(format!("wrangler-{name}.log"));
    let server = crate::wrangler::start(&state, &log, vars)?;
    let corpus = crate::util::corpus();
    let mut counts = Counts::default();
    let mut outcome = Ok(());
    for (binary, threads) in binaries {
        if *binary == LOAD || *binary == FUZZ_API || *binary == COLLECTION {
            step(&format!("{binary} (short) against {}", server.url()));
            let run = if *binary == LOAD {
                plain(&mut crate::bench::load_command(&server, 100, 8))
            } else if *binary == COLLECTION {
                plain(&mut crate::bench::collection_command(
                    &server, 60, cli, &log,
                ))
            } else {
                crate::bench::fuzz_api_against(&server, FUZZ_API_SHORT).map(|()| Counts {
                    passed: 1,
                    failed: 0,
                })
            };
            match run {
                Ok(c) => counts.add(c),
                Err(e) => {
                    eprintln!("FAILED: {binary}: {e:#}");
                    counts.failed += 1;
                }
            }
            continue;
        }
        if *binary == BROWSER {
            match browser_end_to_end(&server.url(), &corpus, work) {
                Ok(c) => counts.add(c),
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
            continue;
        }
        let run = tests(
            crate::util::native("test")
                .args(["--test", binary, "--"])
                .args(["--test-threads", threads])
                .args(filter)
                .env("DOCKET_URL", server.url())
                .env("DOCKET_STATE", &state)
                .env("DOCKET_CORPUS", &corpus)
                .env("DOCKET_MAX_UPLOAD_BYTES", E2E_MAX_UPLOAD_BYTES)
                .env("DOCKET_WEBHOOK_SCHEDULE", WEBHOOK_SCHEDULE)
                .env("DOCKET_CLI", cli)
                .env("DOCKET_WRANGLER", setup::wrangler_bin()),
        );
        match run {
            Ok(c) => counts.add(c),
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
    }
    drop(server);
    if counts.failed > 0 || outcome.is_err() {
        println!("wrangler's log is in {}", log.display());
    }
    outcome.map(|()| counts)
}

/// The chaos run's short form (the long one is `cargo xtask bench chaos`).
pub(crate) const CHAOS_SHORT: crate::stress::Chaos = crate::stress::Chaos {
    jobs: 96,
    clients: 8,
    kills: 2,
};

/// The soak run's short form (the long one is `cargo xtask bench soak`):
/// every kind of action, for a minute.
pub(crate) const SOAK_SHORT: crate::stress::Soak = crate::stress::Soak {
    seconds: 60,
    clients: 4,
    only: None,
};

/// The pseudo test binary that is the browser end-to-end script.
const BROWSER: &str = "browser";

/// The pseudo test binary that is the load benchmark, short (100 jobs from
/// 8 clients; it fails on any lost, stuck or wrong job).
const LOAD: &str = "load";

/// The pseudo test binary that is the collection benchmark, short (60
/// invoices; it fails unless the collection completes and the fabricating
/// vendor's documents rank first).
const COLLECTION: &str = "collection";

/// The pseudo test binary that is schemathesis against the OpenAPI document.
const FUZZ_API: &str = "schemathesis";

/// Examples per API operation in the short schemathesis run.
const FUZZ_API_SHORT: u32 = 25;

/// The Node scripts, in turn: `app.mjs`, the SPA as a new user meets it,
/// and `collections.mjs`, a collection from the drop to its population
/// (1,000 rows), both in Chromium (playwright-core driving Debian's
/// Chromium; screenshots in `target/xtask/screenshots`); `tus.mjs`,
/// tus-js-client's resumable uploads in both its protocols.
const BROWSER_SCRIPTS: [&str; 3] = [
    "tests/browser/app.mjs",
    "tests/browser/collections.mjs",
    "tests/browser/tus.mjs",
];

fn browser_end_to_end(
    url: &str,
    corpus: &std::path::Path,
    work: &std::path::Path,
) -> Result<Counts> {
    let shots = work.join("screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    let mut counts = Counts::default();
    for script in BROWSER_SCRIPTS {
        let output = Command::new("node")
            .current_dir(root())
            .arg(script)
            .env("DOCKET_URL", url)
            .env("DOCKET_CORPUS", corpus)
            .env("DOCKET_SCREENSHOTS", &shots)
            .env("CHROMIUM", setup::CHROMIUM)
            .output()
            .with_context(|| format!("could not start node for {script}"))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        print!("{text}");
        let Some(summary) = text
            .lines()
            .find_map(|l| l.strip_prefix("browser end-to-end: "))
        else {
            bail!("{script} ended without a summary");
        };
        let these = Counts {
            passed: number_before(summary, " passed"),
            failed: number_before(summary, " failed"),
        };
        if !output.status.success() && these.failed == 0 {
            bail!("{script} failed");
        }
        counts.add(these);
    }
    Ok(counts)
}

/// The server of the main end-to-end tests.
const E2E_VARS: [(&str, &str); 7] = [
    ("MAX_UPLOAD_BYTES", E2E_MAX_UPLOAD_BYTES),
    ("DOCKET_TEST_HOOKS", "1"),
    ("ANALYSIS_RETRY_DELAY_SECONDS", "1"),
    ("CORS_ORIGINS", "https://app.example"),
    // Webhooks are retried within seconds.
    ("WEBHOOK_RETRY_SCHEDULE", WEBHOOK_SCHEDULE),
    // Every test mints its owners from 127.0.0.1.
    ("RATE_TOKENS_PER_MINUTE_PER_IP", "100000"),
    ("RATE_UPLOADS_PER_MINUTE", "1000"),
];

/// The server of `tests/faults`, the short load run and the API fuzzing:
/// test hooks on, limits out of the way, and webhook retries that outlast
/// the minute-long receiver outage (2 s … 30 s, 127 s in all).
const FAULTS_VARS: [(&str, &str); 10] = [
    ("MAX_UPLOAD_BYTES", E2E_MAX_UPLOAD_BYTES),
    // On a busy machine jobs queue up: the active-jobs quota is the limits
    // tests' business, not these.
    ("QUOTA_ACTIVE_JOBS", "100000"),
    ("DOCKET_TEST_HOOKS", "1"),
    ("ANALYSIS_RETRY_DELAY_SECONDS", "1"),
    ("WEBHOOK_RETRY_SCHEDULE", "2s,5s,10s,20s,30s,30s,30s"),
    ("RATE_TOKENS_PER_MINUTE_PER_IP", "100000"),
    ("RATE_UPLOADS_PER_MINUTE", "100000"),
    ("RATE_UPLOADS_PER_DAY", "100000"),
    ("RATE_REQUESTS_PER_MINUTE", "100000"),
    ("QUOTA_JOBS", "100000"),
];

/// The server of `tests/limits`: limits small enough to reach.
const LIMITS_VARS: [(&str, &str); 10] = [
    ("DOCKET_TEST_HOOKS", "1"),
    ("ANALYSIS_RETRY_DELAY_SECONDS", "1"),
    ("RATE_TOKENS_PER_MINUTE_PER_IP", "3"),
    ("RATE_UPLOADS_PER_MINUTE", "4"),
    ("RATE_UPLOADS_PER_DAY", "6"),
    ("RATE_REQUESTS_PER_MINUTE", "40"),
    ("RATE_TICKETS_PER_MINUTE", "2"),
    ("QUOTA_ACTIVE_JOBS", "2"),
    ("QUOTA_STORED_BYTES", "1000000"),
    ("QUOTA_JOBS", "3"),
];

/// The webhook retry delays of the end-to-end tests (7 attempts over 14 s).
const WEBHOOK_SCHEDULE: &str = "1s,1s,2s,2s,4s,4s";

/// The upload limit the end-to-end tests run with (small, so 413 is cheap to test).
const E2E_MAX_UPLOAD_BYTES: &str = "4000000";

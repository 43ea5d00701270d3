//! `cargo xtask test`: every check, in order, continuing past failures so one
//! run shows everything; ends with `N passed, N failed` (tests counted from the
//! test runners' own result lines, other checks one each).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::build::{self, Profile};
use crate::setup;
use crate::util::{root, step};

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counts {
    passed: u32,
    failed: u32,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

struct Report {
    rows: Vec<(String, Counts, f64)>,
}

impl Report {
    fn record(&mut self, name: &str, started: Instant, outcome: Result<Counts>) {
        let counts = match outcome {
            Ok(c) => c,
            Err(e) => {
                eprintln!("FAILED: {name}: {e:#}");
                Counts {
                    passed: 0,
                    failed: 1,
                }
            }
        };
        self.rows
            .push((name.to_owned(), counts, started.elapsed().as_secs_f64()));
    }

    fn check(&mut self, name: &str, f: impl FnOnce() -> Result<Counts>) {
        step(name);
        let started = Instant::now();
        let outcome = f();
        self.record(name, started, outcome);
    }
}

pub fn run() -> Result<()> {
    let started = Instant::now();
    setup::tools()?;
    setup::browser()?;
    let root = root();
    let work = root.join("target/xtask");
    std::fs::create_dir_all(&work)?;
    let mut report = Report { rows: Vec::new() };

    report.check("cargo fmt --check", || {
        plain(Command::new("cargo").args(["fmt", "--all", "--", "--check"]))
    });
    report.check("clippy (native)", || {
        plain(Command::new("cargo").args([
            "clippy",
            "--workspace",
            "--exclude",
            "docket-edge",
            "--exclude",
            "docket-app",
            "--exclude",
            "docket-bench-wasm",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]))
    });
    report.check("clippy (wasm32: edge, app, bench-wasm)", || {
        plain(Command::new("cargo").args([
            "clippy",
            "-p",
            "docket-edge",
            "-p",
            "docket-app",
            "-p",
            "docket-bench-wasm",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    });
    report.check("clippy (wasm32: edge with the test hooks)", || {
        plain(Command::new("cargo").args([
            "clippy",
            "-p",
            "docket-edge",
            "--features",
            "test-hooks",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]))
    });
    report.check(
        "layout: no new import cycle or big file (xtask/layout-baseline.txt)",
        || {
            crate::layout::check().map(|()| Counts {
                passed: 1,
                failed: 0,
            })
        },
    );
    report.check("unit tests (native)", || {
        tests(Command::new("cargo").args([
            "test",
            "-p",
            "docket-shared",
            "-p",
            "xtask",
            "-p",
            "docket-cli",
            "-p",
            "docket-devserver",
            "--all-features",
        ]))
    });
    report.check(
        "Nigrini's suite against benford_py (reference computed in the run)",
        reference_tests,
    );
    report.check(
        "browser tests (wasm-bindgen-test, headless Chromium)",
        || {
            let webdriver = webdriver_json(&work)?;
            tests(
                Command::new("cargo")
                    .args([
                        "test",
                        "-p",
                        "docket-app",
                        "--target",
                        "wasm32-unknown-unknown",
                    ])
                    .env("CHROMEDRIVER", setup::CHROMEDRIVER)
                    .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", webdriver)
                    .env("WASM_BINDGEN_TEST_TIMEOUT", "60"),
            )
        },
    );

    let mut built = false;
    report.check("build the SPA and the worker (dev)", || {
        build::app(Profile::Dev)?;
        build::worker(Profile::Dev)?;
        built = true;
        Ok(Counts {
            passed: 1,
            failed: 0,
        })
    });
    if built {
        report.check("end-to-end tests against wrangler dev", || {
            end_to_end(&work)
        });
        report.check(
            "chaos (short): the server SIGKILLed while clients upload",
            || {
                crate::bench::chaos(CHAOS_SHORT).map(|()| Counts {
                    passed: 1,
                    failed: 0,
                })
            },
        );
        report.check(
            "wrangler deploy --dry-run (the worker without the test hooks)",
            || dry_run(&work),
        );
    } else {
        eprintln!("skipping the end-to-end tests and the dry run: the build failed");
        report.rows.push((
            "end-to-end tests (not run)".into(),
            Counts {
                passed: 0,
                failed: 1,
            },
            0.0,
        ));
    }

    println!("\n==> summary");
    let mut total = Counts::default();
    for (name, c, secs) in &report.rows {
        println!(
            "{:>4} passed {:>3} failed {:>7.1} s  {name}",
            c.passed, c.failed, secs
        );
        total.passed += c.passed;
        total.failed += c.failed;
    }
    println!("total time {:.1} s", started.elapsed().as_secs_f64());
    println!("{} passed, {} failed", total.passed, total.failed);
    if total.failed > 0 {
        bail!("{} check(s) failed", total.failed);
    }
    Ok(())
}

/// `shared/tests/reference.rs`, ignored by a plain `cargo test` (it needs
/// the pinned benford_py, installed here).
pub(crate) fn reference_tests() -> Result<Counts> {
    let python = setup::benford_py()?;
    tests(
        Command::new("cargo")
            .args([
                "test",
                "-p",
                "docket-shared",
                "--all-features",
                "--test",
                "reference",
                "--",
                "--ignored",
            ])
            .env("DOCKET_BENFORD_PY", python),
    )
}

/// A check without test counts: passes or fails as a whole.
fn plain(cmd: &mut Command) -> Result<Counts> {
    crate::util::run(cmd.current_dir(root()))?;
    Ok(Counts {
        passed: 1,
        failed: 0,
    })
}

/// Runs a test command, echoing its output and adding up its
/// `test result: … N passed; M failed` lines.
fn tests(cmd: &mut Command) -> Result<Counts> {
    let printable = format!("{cmd:?}");
    println!("$ {printable}");
    let mut child = cmd
        .current_dir(root())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start {printable}"))?;
    let mut counts = Counts::default();
    let mut saw_result = false;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            println!("{line}");
            if let Some(rest) = line.trim().strip_prefix("test result: ") {
                saw_result = true;
                counts.passed += number_before(rest, " passed");
                counts.failed += number_before(rest, " failed");
            }
        }
    }
    let status = child.wait()?;
    if !status.success() && counts.failed == 0 {
        // A build error or a crash: no test failed, the check did.
        counts.failed = 1;
    }
    if !saw_result && status.success() {
        bail!("{printable} ran no tests");
    }
    Ok(counts)
}

fn number_before(text: &str, marker: &str) -> u32 {
    text.find(marker)
        .and_then(|end| {
            let start = text[..end]
                .rfind(|c: char| !c.is_ascii_digit())
                .map_or(0, |i| i + 1);
            text[start..end].parse().ok()
        })
        .unwrap_or(0)
}

/// Chrome options for wasm-bindgen-test: headless, no sandbox (root), nothing
/// that reaches for the network, a fresh profile.
fn webdriver_json(work: &std::path::Path) -> Result<PathBuf> {
    let profile = work.join("chrome-profile");
    let _ = std::fs::remove_dir_all(&profile);
    let args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
    ]
    .iter()
    .map(|a| format!("\"{a}\""))
    .chain([format!("\"--user-data-dir={}\"", profile.display())])
    .collect::<Vec<_>>()
    .join(",");
    let json = format!(
        "{{\"goog:chromeOptions\":{{\"binary\":\"{}\",\"args\":[{args}]}}}}",
        setup::CHROMIUM
    );
    let path = work.join("webdriver.json");
    std::fs::write(&path, json)?;
    Ok(path)
}

/// Starts wrangler dev on a free port with a throw-away state directory, runs
/// the `tests/` crate against it, and stops it (the guard drops on every path).
fn end_to_end(work: &std::path::Path) -> Result<Counts> {
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
        if *binary == LOAD || *binary == FUZZ_API {
            step(&format!("{binary} (short) against {}", server.url()));
            let run = if *binary == LOAD {
                plain(&mut crate::bench::load_command(&server, 100, 8))
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
            Command::new("cargo")
                .args(["test", "-p", "docket-tests", "--test", binary, "--"])
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
const CHAOS_SHORT: crate::bench::Chaos = crate::bench::Chaos {
    jobs: 96,
    clients: 8,
    kills: 2,
};

/// The pseudo test binary that is the browser end-to-end script.
const BROWSER: &str = "browser";
/// The pseudo test binary that is the load benchmark, short (100 jobs from
/// 8 clients; it fails on any lost, stuck or wrong job).
const LOAD: &str = "load";
/// The pseudo test binary that is schemathesis against the OpenAPI document.
const FUZZ_API: &str = "schemathesis";
/// Examples per API operation in the short schemathesis run.
const FUZZ_API_SHORT: u32 = 25;

/// `tests/browser/app.mjs` (playwright-core driving Debian's Chromium): the
/// SPA as a new user meets it; screenshots in `target/xtask/screenshots`.
fn browser_end_to_end(
    url: &str,
    corpus: &std::path::Path,
    work: &std::path::Path,
) -> Result<Counts> {
    let shots = work.join("screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    let output = Command::new("node")
        .current_dir(root())
        .arg("tests/browser/app.mjs")
        .env("DOCKET_URL", url)
        .env("DOCKET_CORPUS", corpus)
        .env("DOCKET_SCREENSHOTS", &shots)
        .env("CHROMIUM", setup::CHROMIUM)
        .output()
        .context("could not start node for the browser tests")?;
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
        bail!("the browser tests ended without a summary");
    };
    let counts = Counts {
        passed: number_before(summary, " passed"),
        failed: number_before(summary, " failed"),
    };
    if !output.status.success() && counts.failed == 0 {
        bail!("the browser tests failed");
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

/// `wrangler deploy --dry-run`: bundles and checks the worker offline.
fn dry_run(work: &std::path::Path) -> Result<Counts> {
    // The worker the tests ran has the hooks (the check below can see them)...
    build::worker(Profile::Dev)?;
    let with = build::hook_strings_in_worker()?;
    if with.len() != build::HOOK_STRINGS.len() {
        bail!(
            "the test worker lacks test hooks: only {with:?} of {:?}",
            build::HOOK_STRINGS
        );
    }
    // ...and the one wrangler deploys is built without them (the dev
    // profile, quick; a release build leaves out the same code):
    // `build::worker` fails if any of their strings is in it.
    let out = work.join("dry-run");
    let output = Command::new(setup::wrangler_bin())
        .current_dir(root())
        .args(["deploy", "--dry-run", "--outdir"])
        .arg(&out)
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("WRANGLER_SEND_METRICS", "false")
        .env("DOCKET_PROFILE", "dev-without-hooks")
        .output()
        .context("could not start wrangler")?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    print!("{text}");
    if !output.status.success() {
        bail!("wrangler deploy --dry-run failed");
    }
    if !text.contains("--dry-run: exiting now") {
        bail!("wrangler deploy --dry-run did not reach its end");
    }
    Ok(Counts {
        passed: 1,
        failed: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::number_before;

    #[test]
    fn reads_cargo_result_lines() {
        let line = "ok. 24 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(number_before(line, " passed"), 24);
        assert_eq!(number_before(line, " failed"), 0);
        let bad = "FAILED. 3 passed; 2 failed; 0 ignored";
        assert_eq!(number_before(bad, " failed"), 2);
        assert_eq!(number_before("nothing here", " passed"), 0);
    }
}

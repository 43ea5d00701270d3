//! `cargo xtask test`: every check, in order, continuing past failures so one
//! run shows everything; ends with `N passed, N failed` (tests counted from the
//! test runners' own result lines, other checks one each).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::build::{self, Profile};
use crate::e2e::{CHAOS_SHORT, SOAK_SHORT, end_to_end};
use crate::runner::{Counts, plain, tests};
use crate::setup;
use crate::util::{root, step};

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
        plain(
            crate::util::native("clippy")
                .arg("--all-targets")
                .args(["--", "-D", "warnings"]),
        )
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
    // The same packages as above (so their dependencies' features and
    // builds are the same), the worker's test hooks on.
    report.check("clippy (wasm32: edge with the test hooks)", || {
        plain(Command::new("cargo").args([
            "clippy",
            "-p",
            "docket-edge",
            "-p",
            "docket-app",
            "-p",
            "docket-bench-wasm",
            "--features",
            "docket-edge/test-hooks",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    });
    // The worker without the analyser (the API Worker of #30), the same
    // packages again.
    report.check("clippy (wasm32: edge without the analyser)", || {
        plain(Command::new("cargo").args([
            "clippy",
            "-p",
            "docket-edge",
            "-p",
            "docket-app",
            "-p",
            "docket-bench-wasm",
            "--no-default-features",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
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
        let mut cmd = crate::util::native("test");
        cmd.args(["--lib", "--bins"]);
        for name in crate::util::unit_test_targets()? {
            cmd.args(["--test", &name]);
        }
        tests(&mut cmd)
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
                let marks = crate::serverlog::Marks::take(&work)?;
                crate::stress::chaos(CHAOS_SHORT)?;
                // Its server's log too (SIGKILLs are no errors).
                let mut counts = crate::serverlog::verdict(&work, &marks)?;
                counts.passed += 1;
                Ok(counts)
            },
        );
        report.check("soak (short): mixed load, workerd's memory sampled", || {
            crate::stress::soak(SOAK_SHORT)
        });
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
        crate::util::native("test")
            .args(["--test", "reference", "--", "--ignored"])
            .env("DOCKET_BENFORD_PY", python),
    )
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
    build::worker(Profile::DevWithoutHooks)?;
    let out = work.join("dry-run");
    let output = Command::new(setup::wrangler_bin())
        .current_dir(root())
        .args(["deploy", "--dry-run", "--outdir"])
        .arg(&out)
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("WRANGLER_SEND_METRICS", "false")
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

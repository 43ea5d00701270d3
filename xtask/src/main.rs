//! `cargo xtask`: Docket's one-command set-up, build, run and test.
//!
//! - `cargo xtask dev`   installs what is missing, builds, serves on :8787
//! - `cargo xtask test`  every check, ending with `N passed, N failed`
//! - `cargo xtask build [--release]`  the SPA and the worker
//! - `cargo xtask build-worker`  what `wrangler.toml`'s build command runs
//! - `cargo xtask setup [--browser]`  only the installs
//!
//! External programs are run directly (no `sh -c`), with paths from the root.

mod build;
mod setup;
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
        ["build"] => build::all(build::Profile::Dev),
        ["build", "--release"] => build::all(build::Profile::Release),
        ["build-worker"] => build::for_wrangler(),
        ["bench", "analysis"] => bench_analysis(),
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

/// `cargo xtask bench analysis`: the engine's throughput and memory over the
/// corpus, against pdftotext in the same run (needs poppler-utils).
fn bench_analysis() -> Result<()> {
    let root = util::root();
    let corpus = root.join("../shared/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&corpus)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .collect();
    files.sort();
    if util::which("pdftotext").is_none() {
        bail!("pdftotext is needed as the baseline: apt-get install poppler-utils");
    }
    util::run(
        std::process::Command::new("cargo")
            .current_dir(&root)
            .args([
                "run",
                "--quiet",
                "--profile",
                "bench",
                "-p",
                "docket-shared",
            ])
            .args(["--features", "analysis", "--example", "bench", "--"])
            .args(&files),
    )
}

const HELP: &str = "\
usage: cargo xtask <command>

  dev [--port N]     install what is missing, build, run `wrangler dev` (default port 8787)
  test               run every check (fmt, clippy, unit, browser, end-to-end, deploy dry-run)
  build [--release]  build the SPA and the worker
  bench analysis     engine throughput and memory over the corpus vs pdftotext
  build-worker       the build `wrangler.toml` runs (DOCKET_PROFILE=dev|release, default release)
  setup [--browser]  only install the tools (with --browser: Chromium and ChromeDriver too)";

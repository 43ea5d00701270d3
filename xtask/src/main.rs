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
        ["fuzz"] => fuzz(600),
        ["fuzz", secs] => fuzz(secs.parse()?),
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
/// corpus, natively against pdftotext in the same run (needs poppler-utils),
/// then compiled to wasm and run under Node (throughput against native, and
/// each file's peak wasm memory).
fn bench_analysis() -> Result<()> {
    use std::process::Command;
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
    // A long document: 5,000 pages of numeric tables (about 13 MB).
    let generated = root.join("target/xtask/generated-5000-pages.pdf");
    std::fs::create_dir_all(root.join("target/xtask"))?;
    util::run(
        Command::new("cargo")
            .current_dir(&root)
            .args([
                "run",
                "--quiet",
                "--profile",
                "bench",
                "-p",
                "docket-shared",
            ])
            .args([
                "--features",
                "analysis",
                "--example",
                "gen_pages",
                "--",
                "5000",
            ])
            .arg(&generated),
    )?;
    files.push(generated);
    util::step("native, against pdftotext");
    let native = util::output(
        Command::new("cargo")
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
    )?;
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
        bytes_all += bytes;
        ms_all += ms;
        native_ms_all += bytes / 1e6 / native * 1000.0;
    }
    let speed = bytes_all / 1e6 / (ms_all / 1000.0);
    let native = bytes_all / 1e6 / (native_ms_all / 1000.0);
    println!(
        "{:48} {speed:>10.1} {native:>10.1} {:>8.2}",
        "ALL",
        native / speed
    );
    Ok(())
}

/// `cargo xtask fuzz [SECONDS]`: fuzzes the analysis entry point (cargo-fuzz,
/// installed when missing; stable Rust with RUSTC_BOOTSTRAP for the sanitizer
/// flags). The corpus grows in `fuzz/corpus/` (not committed); the seeds are
/// `fuzz/seeds/`; a crash lands in `fuzz/artifacts/`.
fn fuzz(seconds: u32) -> Result<()> {
    use std::process::Command;
    let root = util::root();
    let installed = util::output(Command::new("cargo").args(["install", "--list"]))?;
    if !installed.lines().any(|l| l.starts_with("cargo-fuzz ")) {
        util::run(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
    }
    let fuzz = root.join("fuzz");
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

const HELP: &str = "\
usage: cargo xtask <command>

  dev [--port N]     install what is missing, build, run `wrangler dev` (default port 8787)
  test               run every check (fmt, clippy, unit, browser, end-to-end, deploy dry-run)
  build [--release]  build the SPA and the worker
  fuzz [SECONDS]     fuzz the analysis entry point (default 600 s)
  bench analysis     engine throughput and memory over the corpus vs pdftotext
  build-worker       the build `wrangler.toml` runs (DOCKET_PROFILE=dev|release, default release)
  setup [--browser]  only install the tools (with --browser: Chromium and ChromeDriver too)";

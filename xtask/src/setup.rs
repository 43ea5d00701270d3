//! Installs what the build and the tests need when it is missing, and says so:
//! the wasm32 target, the wasm-bindgen CLI equal to the crate in Cargo.lock,
//! worker-build, the npm tools (wrangler, esbuild, binaryen, playwright-core),
//! schemathesis (PyPI, in a virtualenv under `target/`) for the API fuzzing
//! and, for the browser tests, Debian's Chromium and ChromeDriver.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::{output, root, run, step, which};

/// worker-build, pinned to the `worker` crate's version.
pub const WORKER_BUILD_VERSION: &str = "0.8.7";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Everything but the browser.
pub fn tools() -> Result<()> {
    step("checking tools");
    wasm_target()?;
    let installed = output(Command::new("cargo").args(["install", "--list"]))?;
    let bindgen = wasm_bindgen_version()?;
    cargo_install(&installed, "wasm-bindgen-cli", &bindgen, false)?;
    cargo_install(&installed, "worker-build", WORKER_BUILD_VERSION, true)?;
    npm_packages()?;
    Ok(())
}

fn wasm_target() -> Result<()> {
    let targets = output(Command::new("rustup").args(["target", "list", "--installed"]))?;
    if targets
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        println!("ok: rust target wasm32-unknown-unknown");
        return Ok(());
    }
    println!("installing the wasm32-unknown-unknown target");
    run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// The wasm-bindgen version in Cargo.lock; the CLI must equal it.
pub fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_owned());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen package")
}

fn cargo_install(installed: &str, krate: &str, version: &str, locked: bool) -> Result<()> {
    let wanted = format!("{krate} v{version}:");
    if installed.lines().any(|l| l.trim() == wanted) {
        println!("ok: {krate} {version}");
        return Ok(());
    }
    println!("installing {krate} {version} (cold: several minutes)");
    let mut cmd = Command::new("cargo");
    cmd.args(["install", krate, "--version", version, "--force"]);
    // worker-build installs --locked; wasm-bindgen-cli cannot (its lockfile names
    // a webpki-roots version the registry lacks).
    if locked {
        cmd.arg("--locked");
    }
    run(&mut cmd)
}

fn npm_packages() -> Result<()> {
    let root = root();
    let stamp = root.join("node_modules/.package-lock.json");
    let lock = root.join("package-lock.json");
    let fresh = match (std::fs::metadata(&stamp), std::fs::metadata(&lock)) {
        (Ok(s), Ok(l)) => s.modified()? >= l.modified()?,
        _ => false,
    };
    if fresh && esbuild_bin().is_file() && wasm_opt_bin().is_file() {
        println!("ok: npm packages (wrangler, esbuild, binaryen, playwright-core, axe-core)");
        return crate::patches::miniflare();
    }
    if which("npm").is_none() {
        bail!("npm is not installed: install Node.js 20+ (with npm) and run again");
    }
    println!("installing npm packages from package-lock.json");
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&root))?;
    crate::patches::miniflare()
}

pub fn esbuild_bin() -> PathBuf {
    root().join("node_modules/@esbuild/linux-x64/bin/esbuild")
}

pub fn wasm_opt_bin() -> PathBuf {
    root().join("node_modules/binaryen/bin/wasm-opt")
}

pub fn wrangler_bin() -> PathBuf {
    root().join("node_modules/.bin/wrangler")
}

/// Python packages, pinned, in a virtualenv of their own
/// (`target/xtask/{name}`), installed once (a stamp names the pins);
/// returns the path of `bin/{command}` in it.
fn venv(name: &str, pins: &[&str], command: &str, needed_for: &str) -> Result<PathBuf> {
    let venv = root().join("target/xtask").join(name);
    let exe = venv.join("bin").join(command);
    let stamp = venv.join(format!("installed-{}", pins.join("-")));
    if exe.is_file() && stamp.is_file() {
        println!("ok: {}", pins.join(" "));
        return Ok(exe);
    }
    let python = which("python3").ok_or_else(|| {
        anyhow::anyhow!("python3 (3.9+, with venv and pip) is needed for {needed_for}")
    })?;
    println!("installing {} into {}", pins.join(" "), venv.display());
    let _ = std::fs::remove_dir_all(&venv);
    run(Command::new(python).args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(pins))?;
    std::fs::write(&stamp, "")?;
    Ok(exe)
}

/// Schemathesis, pinned, in its own virtualenv (`target/xtask/schemathesis`);
/// returns its `st` command.
pub fn schemathesis() -> Result<PathBuf> {
    venv(
        "schemathesis",
        &["schemathesis==4.32.5", "hypothesis==6.170.27"],
        "st",
        "the API fuzzing",
    )
}

/// benford_py (PyPI `benford-py` 0.5.0, from 2021) with the pandas, numpy
/// and matplotlib it works with, and scipy for the χ² p-values, pinned, in its own virtualenv
/// (`target/xtask/benford-py`): the independent implementation the digit
/// tests are checked against (`shared/tests/reference.rs`). Returns its
/// `python`.
pub fn benford_py() -> Result<PathBuf> {
    venv(
        "benford-py",
        &[
            "benford-py==0.5.0",
            "pandas==1.5.3",
            "numpy==1.26.4",
            "matplotlib==3.7.5",
            "scipy==1.11.4",
        ],
        "python",
        "the reference tests",
    )
}

/// Debian's Chromium and ChromeDriver for the browser tests.
pub fn browser() -> Result<()> {
    if Path::new(CHROMIUM).is_file() && Path::new(CHROMEDRIVER).is_file() {
        println!("ok: chromium and chromedriver");
        return Ok(());
    }
    let uid = output(Command::new("id").arg("-u")).unwrap_or_default();
    if uid.trim() != "0" {
        bail!(
            "the browser tests need Debian's chromium and chromium-driver; install them with \
             `sudo apt-get install chromium chromium-driver` and run again"
        );
    }
    println!("installing chromium and chromium-driver with apt-get");
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq", "chromium", "chromium-driver"])
        .env("DEBIAN_FRONTEND", "noninteractive"))
    .context("apt-get could not install chromium; install chromium and chromium-driver by hand")
}

//! Helpers for running programs and finding paths.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};

/// The repository root, found when xtask runs (not where it was built, so a
/// checkout that was moved or renamed keeps working): the directory `cargo run`
/// names in `CARGO_MANIFEST_DIR`'s parent, else the nearest directory at or
/// above the current one that holds `xtask/Cargo.toml`.
pub fn root() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(find_root).clone()
}

fn is_root(dir: &Path) -> bool {
    dir.join("Cargo.toml").is_file() && dir.join("xtask/Cargo.toml").is_file()
}

fn find_root() -> PathBuf {
    let from_cargo = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .and_then(|xtask| xtask.parent().map(Path::to_path_buf))
        .filter(|dir| is_root(dir));
    let from_cwd = || {
        let cwd = std::env::current_dir().ok()?;
        cwd.ancestors()
            .find(|dir| is_root(dir))
            .map(Path::to_path_buf)
    };
    from_cargo.or_else(from_cwd).unwrap_or_else(|| {
        // Run outside any checkout: where it was built is the last guess.
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    })
}

/// The test PDFs, kept in the repository (`tests/corpus`, see its README).
pub fn corpus() -> PathBuf {
    root().join("tests/corpus")
}

/// The native packages, with all their features: every native cargo call
/// (clippy, the unit tests, the CLI, the end-to-end tests, the client
/// benchmarks) selects all of them, because cargo unifies dependencies'
/// features over the packages a call selects — a call that selected fewer
/// would build dozens of dependencies again with other features.
pub const NATIVE: [&str; 11] = [
    "-p",
    "docket-shared",
    "-p",
    "xtask",
    "-p",
    "docket-cli",
    "-p",
    "docket-devserver",
    "-p",
    "docket-tests",
    "--all-features",
];

/// `cargo {sub}` over [`NATIVE`], run at the repository root.
pub fn native(sub: &str) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root()).arg(sub).args(NATIVE);
    cmd
}

/// `cargo bench` of `tests/benches/{name}.rs`, built with the test profile
/// like the end-to-end tests (these benchmarks are HTTP clients: what they
/// measure is the server, and the bench profile would build every
/// dependency once more).
pub fn tests_bench(name: &str) -> Command {
    let mut cmd = native("bench");
    cmd.args(["--quiet", "--profile", "test", "--bench", name]);
    cmd
}

/// The names of the integration tests of every native package but
/// `docket-tests` (whose tests need a running server), from `cargo metadata`.
pub fn unit_test_targets() -> Result<Vec<String>> {
    let json = output(Command::new("cargo").current_dir(root()).args([
        "metadata",
        "--no-deps",
        "--format-version",
        "1",
    ]))?;
    let meta: serde_json::Value = serde_json::from_str(&json).context("reading cargo metadata")?;
    let wanted: Vec<&str> = NATIVE
        .iter()
        .copied()
        .filter(|a| a.starts_with("docket-") || *a == "xtask")
        .filter(|a| *a != "docket-tests")
        .collect();
    let mut names = Vec::new();
    for package in meta["packages"].as_array().into_iter().flatten() {
        if !wanted.contains(&package["name"].as_str().unwrap_or_default()) {
            continue;
        }
        for target in package["targets"].as_array().into_iter().flatten() {
            let is_test = target["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "test"));
            if is_test && let Some(name) = target["name"].as_str() {
                names.push(name.to_owned());
            }
        }
    }
    if names.is_empty() {
        bail!("cargo metadata lists no integration tests");
    }
    Ok(names)
}

/// Prints a step header.
pub fn step(what: &str) {
    println!("\n==> {what}");
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        s.push(' ');
        s.push_str(&arg.to_string_lossy());
    }
    s
}

/// Runs a command to completion, inheriting stdio; fails on a non-zero exit.
pub fn run(cmd: &mut Command) -> Result<()> {
    println!("$ {}", describe(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("could not start {}", describe(cmd)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", describe(cmd));
    }
    Ok(())
}

/// Runs a command and returns its stdout (stderr inherited).
pub fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("could not start {}", describe(cmd)))?;
    if !out.status.success() {
        bail!("`{}` failed ({})", describe(cmd), out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Finds a program on PATH (or in ~/.cargo/bin, where `cargo install` puts it).
pub fn which(program: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    } else if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter()
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Newest modification time of the files under `paths` (recursively).
pub fn newest_mtime(paths: &[PathBuf]) -> Option<std::time::SystemTime> {
    fn walk(path: &Path, newest: &mut Option<std::time::SystemTime>) {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if meta.is_dir() {
            if let Ok(entries) = std::fs::read_dir(path) {
                for entry in entries.flatten() {
                    walk(&entry.path(), newest);
                }
            }
        } else if let Ok(m) = meta.modified()
            && newest.is_none_or(|n| m > n)
        {
            *newest = Some(m);
        }
    }
    let mut newest = None;
    for p in paths {
        walk(p, &mut newest);
    }
    newest
}

/// gzip -9 size of a file, for size reports.
pub fn gzip_size(path: &Path) -> Result<usize> {
    use std::io::Write;
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&bytes)?;
    Ok(enc.finish()?.len())
}

pub fn kib(n: usize) -> String {
    format!("{:.1} KiB", n as f64 / 1024.0)
}

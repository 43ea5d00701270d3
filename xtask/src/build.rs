//! Builds the SPA (cargo → wasm-bindgen → wasm-opt in release → `app/dist`, with
//! the OpenAPI document the worker serves from there) and
//! the worker (worker-build → `edge/build`), skipping a build whose output is
//! newer than every input and was made with the same profile.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::setup;
use crate::util::{gzip_size, kib, newest_mtime, root, run, step, which};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Quick to build; the worker with the test hooks (`cargo xtask dev`,
    /// the tests).
    Dev,
    /// Quick to build, the worker as a release has it: without the test
    /// hooks (`cargo xtask test` checks that it holds none of them).
    DevWithoutHooks,
    Release,
}

impl Profile {
    fn name(self) -> &'static str {
        match self {
            Profile::Dev => "dev",
            Profile::DevWithoutHooks => "dev-without-hooks",
            Profile::Release => "release",
        }
    }
    fn target_subdir(self) -> &'static str {
        match self {
            Profile::Dev | Profile::DevWithoutHooks => "debug",
            Profile::Release => "release",
        }
    }
    /// The SPA has no hooks: the same build either way.
    fn for_app(self) -> Profile {
        match self {
            Profile::DevWithoutHooks => Profile::Dev,
            other => other,
        }
    }
}

/// Strings only the test hooks put into the worker: the file-name prefix of
/// the failure injection, the variable that turns them on, the sweep route's
/// message.
pub const HOOK_STRINGS: [&str; 3] = ["inject-", "DOCKET_TEST_HOOKS", "now=<ms> is required"];

/// The hook strings the worker built in `edge/build` holds.
pub fn hook_strings_in_worker() -> Result<Vec<&'static str>> {
    let wasm = root().join("edge/build/index_bg.wasm");
    let bytes = std::fs::read(&wasm).with_context(|| wasm.display().to_string())?;
    Ok(HOOK_STRINGS
        .into_iter()
        .filter(|s| bytes.windows(s.len()).any(|w| w == s.as_bytes()))
        .collect())
}

/// Installs what is missing, then builds the SPA and the worker.
pub fn all(profile: Profile) -> Result<()> {
    setup::tools()?;
    app(profile.for_app())?;
    worker(profile)
}

/// A build's stamp: which profile made the output, and when.
struct Stamp {
    file: PathBuf,
    profile: Profile,
    inputs: Vec<PathBuf>,
}

impl Stamp {
    fn fresh(&self) -> bool {
        let Ok(made_with) = std::fs::read_to_string(&self.file) else {
            return false;
        };
        let Ok(stamped) = std::fs::metadata(&self.file).and_then(|m| m.modified()) else {
            return false;
        };
        made_with.trim() == self.profile.name()
            && newest_mtime(&self.inputs).is_some_and(|newest| newest <= stamped)
    }
    fn write(&self) -> Result<()> {
        std::fs::write(&self.file, self.profile.name()).context("writing build stamp")
    }
}

fn inputs(root: &Path, own: &[&str]) -> Vec<PathBuf> {
    [
        "Cargo.toml",
        "Cargo.lock",
        "shared/src",
        "shared/Cargo.toml",
    ]
    .iter()
    .chain(own)
    .map(|p| root.join(p))
    .collect()
}

pub fn app(profile: Profile) -> Result<()> {
    let root = root();
    let dist = root.join("app/dist");
    let stamp = Stamp {
        file: dist.join(".docket-build"),
        profile,
        inputs: inputs(
            &root,
            &[
                "app/src",
                "app/Cargo.toml",
                "app/index.html",
                "app/style.css",
                "edge/openapi.json",
            ],
        ),
    };
    if stamp.fresh() {
        println!("ok: SPA is up to date ({} build)", profile.name());
        return Ok(());
    }
    step(&format!("building the SPA ({})", profile.name()));
    let mut cargo = Command::new("cargo");
    cargo.current_dir(&root).args([
        "build",
        "-p",
        "docket-app",
        "--bin",
        "app",
        "--target",
        "wasm32-unknown-unknown",
    ]);
    if profile == Profile::Release {
        cargo.arg("--release");
    }
    run(&mut cargo)?;
    std::fs::create_dir_all(&dist)?;
    let wasm = root
        .join("target/wasm32-unknown-unknown")
        .join(profile.target_subdir())
        .join("app.wasm");
    let bindgen = which("wasm-bindgen").context("wasm-bindgen is not installed")?;
    run(Command::new(bindgen)
        .arg(&wasm)
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--out-name",
            "app",
            "--out-dir",
        ])
        .arg(&dist))?;
    let out = dist.join("app_bg.wasm");
    if profile == Profile::Release {
        run(Command::new(setup::wasm_opt_bin())
            .arg(&out)
            .arg("-Oz")
            .args(WASM_FEATURES)
            .arg("-o")
            .arg(&out))?;
    }
    for file in ["app/index.html", "app/style.css", "edge/openapi.json"] {
        let from = root.join(file);
        let name = from.file_name().context("a file name")?;
        std::fs::copy(&from, dist.join(name)).with_context(|| format!("copying {file}"))?;
    }
    let raw = std::fs::metadata(&out)?.len() as usize;
    println!(
        "SPA wasm: {} raw, {} gzipped ({})",
        kib(raw),
        kib(gzip_size(&out)?),
        out.display()
    );
    stamp.write()
}

pub fn worker(profile: Profile) -> Result<()> {
    let root = root();
    let build = root.join("edge/build");
    let stamp = Stamp {
        file: build.join(".docket-build"),
        profile,
        inputs: inputs(&root, &["edge/src", "edge/Cargo.toml"]),
    };
    if stamp.fresh() && build.join("index.js").is_file() {
        println!("ok: worker is up to date ({} build)", profile.name());
        return Ok(());
    }
    step(&format!("building the worker ({})", profile.name()));
    let mut cmd = worker_build()?;
    match profile {
        Profile::Dev => cmd.args(["--dev", "--no-opt", "--features", "test-hooks"]),
        Profile::DevWithoutHooks => cmd.args(["--dev", "--no-opt"]),
        Profile::Release => cmd.arg("--release"),
    };
    run(&mut cmd)?;
    if profile == Profile::Release {
        strip_names(&build.join("index_bg.wasm"))?;
    }
    if profile != Profile::Dev {
        let found = hook_strings_in_worker()?;
        if !found.is_empty() {
            bail!("the {} worker holds test hooks: {found:?}", profile.name());
        }
    }
    let wasm = build.join("index_bg.wasm");
    let raw = std::fs::metadata(&wasm)?.len() as usize;
    println!(
        "worker wasm: {} raw, {} gzipped ({})",
        kib(raw),
        kib(gzip_size(&wasm)?),
        wasm.display()
    );
    stamp.write()
}

/// worker-build in `edge/`, with its tools named and its own target dir.
fn worker_build() -> Result<Command> {
    let root = root();
    let bindgen = which("wasm-bindgen").context("wasm-bindgen is not installed")?;
    let worker_build = which("worker-build").context("worker-build is not installed")?;
    let mut cmd = Command::new(worker_build);
    cmd.current_dir(root.join("edge"))
        // Its own target dir: worker-build sets env that would invalidate the
        // SPA's and the native builds' artefacts on every switch.
        .env("CARGO_TARGET_DIR", root.join("target/edge"))
        // worker-build never looks on PATH and would download from GitHub.
        .env("WASM_BINDGEN_BIN", bindgen)
        .env("ESBUILD_BIN", setup::esbuild_bin())
        .env("WASM_OPT_BIN", setup::wasm_opt_bin());
    Ok(cmd)
}

/// Drops the function names worker-build keeps in a release worker (its
/// wasm-opt pass runs with `--debuginfo`): a fifth of the file, for stack
/// traces. Stripped here, after wasm-bindgen, so wasm-bindgen still sees the
/// target features (a `strip = "symbols"` profile would hide them).
fn strip_names(wasm: &Path) -> Result<()> {
    run(Command::new(setup::wasm_opt_bin())
        .arg(wasm)
        .arg("--strip-debug")
        .args(WASM_FEATURES)
        // wasm-bindgen's catch wrappers in the worker.
        .arg("--enable-exception-handling")
        .arg("-o")
        .arg(wasm))
}

/// The wasm features our builds use, for binaryen's wasm-opt.
const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// The worker without the analyser (`--no-default-features`: routes,
/// objects, uploads, webhooks, the sweep; no engine), built in release into
/// `edge/build-api` for its size (#30: the API Worker ≤ 500 KB gzipped; not
/// yet the Worker `cargo xtask dev` runs); `cargo xtask build --release`.
pub fn api_worker() -> Result<()> {
    let root = root();
    step("building the API worker without the analyser (release, for its size)");
    run(worker_build()?.args([
        "--release",
        "--out-dir",
        "build-api",
        "--no-default-features",
    ]))?;
    let wasm = root.join("edge/build-api/index_bg.wasm");
    strip_names(&wasm)?;
    println!(
        "API worker wasm (no analyser): {} raw, {} gzipped ({})",
        kib(std::fs::metadata(&wasm)?.len() as usize),
        kib(gzip_size(&wasm)?),
        wasm.display()
    );
    Ok(())
}

/// Builds the `docket` CLI the end-to-end tests drive; returns its path.
pub(crate) fn cli() -> Result<PathBuf> {
    // The test profile and every native package: the build the end-to-end
    // tests make anyway (`target/debug`).
    let status = crate::util::native("build")
        .args(["--quiet", "--profile", "test", "--bin", "docket"])
        .status()?;
    if !status.success() {
        bail!("building the CLI failed");
    }
    Ok(root().join("target/debug/docket"))
}

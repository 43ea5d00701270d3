//! `wrangler dev` for `cargo xtask`: in the foreground for `cargo xtask dev`,
//! and on a free port with a throw-away state directory for the tests and
//! benchmarks. Both start it the one way `devserver` knows (shared with the
//! end-to-end tests that start servers of their own).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use devserver::{Options, Wrangler};

use crate::build::{self, Profile};
use crate::setup;
use crate::util::{newest_mtime, root, run, step};

pub use devserver::mint_token;

/// A server started for tests or benchmarks: healthy, stopped on drop.
pub type Server = Wrangler;

fn options(port: Option<u16>, state: &Path, log: &Path) -> Result<Options> {
    let mut options = Options::new(&root(), state, log)?;
    options.wrangler = setup::wrangler_bin();
    if let Some(port) = port {
        options.port = port;
    }
    Ok(options)
}

/// `cargo xtask dev`: install, build, serve until Ctrl-C, and build again
/// when the sources change (wrangler reloads when the built worker or the
/// SPA's files change; it runs no build of its own).
pub fn dev(port: u16) -> Result<()> {
    build::all(Profile::Dev)?;
    let persist = root().join(".wrangler/state");
    step(&format!(
        "starting wrangler dev; state persists in {}",
        persist.display()
    ));
    println!("Docket will be at http://127.0.0.1:{port}/ (API under /api/v1/) — Ctrl-C stops it");
    let options = options(Some(port), &persist, Path::new("/dev/null"))?;
    let mut child = devserver::command(&options)?
        .spawn()
        .context("could not start wrangler")?;
    let sources: Vec<PathBuf> = ["edge/src", "shared/src", "app/src", "app/index.html"]
        .iter()
        .map(|p| root().join(p))
        .collect();
    let mut seen = newest_mtime(&sources);
    loop {
        if let Some(status) = child.try_wait().context("waiting for wrangler")? {
            if !status.success() {
                bail!("wrangler dev exited with {status}");
            }
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(1));
        let now = newest_mtime(&sources);
        if now != seen {
            seen = now;
            // An editor may write several files: let them land first.
            std::thread::sleep(Duration::from_millis(300));
            step("the sources changed: building again");
            if let Err(e) = build::all(Profile::Dev) {
                eprintln!("xtask: the build failed; still serving the last one: {e:#}");
            }
        }
    }
}

/// `cargo xtask deploy [ARGS]`: a release build of the SPA and the worker,
/// then `wrangler deploy ARGS` (which bundles what the build left in
/// `edge/build`).
pub fn deploy(args: &[&str]) -> Result<()> {
    build::all(Profile::Release)?;
    run(Command::new(setup::wrangler_bin())
        .current_dir(root())
        .arg("deploy")
        .args(args))
}

/// Starts wrangler on a free port with its state in `persist`, logging to
/// `log`, with `vars` over `wrangler.toml`'s; healthy when it returns.
pub fn start(persist: &Path, log: &Path, vars: &[(&str, &str)]) -> Result<Server> {
    let mut options = options(None, persist, log)?;
    for (name, value) in vars {
        options = options.var(name, value);
    }
    let server = Wrangler::start(options).map_err(|e| match &e {
        devserver::LaunchError::Exited { log, .. }
        | devserver::LaunchError::NotHealthy { log, .. } => {
            anyhow::anyhow!("{e}\n{}", std::fs::read_to_string(log).unwrap_or_default())
        }
        devserver::LaunchError::Io(_) => anyhow::anyhow!("{e}"),
    })?;
    println!("wrangler dev is up on port {}", server.port());
    Ok(server)
}

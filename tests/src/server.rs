//! A `wrangler dev` that a test owns, started the one way `devserver` knows
//! (the same as `cargo xtask`): on a free port with a fresh state directory,
//! killed with SIGKILL as a crash would, restarted on the same state, stopped
//! on drop. `DOCKET_WRANGLER` names the wrangler binary (`cargo xtask test`
//! sets it); the worker must be built already (`cargo xtask build`).

use std::path::{Path, PathBuf};

pub use devserver::{WorkerdRss, Wrangler, group_usage, workerd_rss};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Starts on a fresh `state` directory and a fresh `log` (both emptied first)
/// and waits for health; panics with the log's place when it cannot.
pub fn start(state: &Path, log: &Path, vars: &[(&str, &str)]) -> Wrangler {
    let _ = std::fs::remove_dir_all(state);
    let _ = std::fs::remove_file(log);
    let mut options = devserver::Options::new(&root(), state, log).expect("a free port");
    if let Some(bin) = std::env::var_os("DOCKET_WRANGLER") {
        options.wrangler = PathBuf::from(bin);
    }
    for (name, value) in vars {
        options = options.var(name, value);
    }
    Wrangler::start(options).unwrap_or_else(|e| panic!("{e}"))
}

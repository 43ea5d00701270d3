//! The runs that start and stress a server of their own: chaos (the server
//! SIGKILLed while clients upload, `tests/benches/chaos.rs`) and soak (mixed
//! load for half an hour, `tests/benches/soak.rs`), each with a short form
//! in `cargo xtask test`.

use std::process::Command;

use anyhow::Result;

use crate::runner::Counts;
use crate::{setup, util};

/// A chaos run's size: uploads, clients, kills.
#[derive(Debug, Clone, Copy)]
pub struct Chaos {
    pub jobs: u32,
    pub clients: u32,
    pub kills: u32,
}

/// The long form: 200 uploads from 8 clients, 5 kills.
pub const CHAOS_LONG: Chaos = Chaos {
    jobs: 200,
    clients: 8,
    kills: 5,
};

/// `cargo xtask bench chaos` (and its short form in `cargo xtask test`): the
/// server, started with the default settings by `tests/benches/chaos.rs`
/// itself, SIGKILLed and restarted while clients upload; fails on any lost,
/// stuck, duplicated or differing job, or a recovery slower than 60 s.
pub fn chaos(size: Chaos) -> Result<()> {
    let mut cmd = stress_bench(
        "chaos",
        &format!(
            "{} uploads from {} clients, {} kills",
            size.jobs, size.clients, size.kills
        ),
    )?;
    cmd.env("DOCKET_CHAOS_JOBS", size.jobs.to_string())
        .env("DOCKET_CHAOS_CLIENTS", size.clients.to_string())
        .env("DOCKET_CHAOS_KILLS", size.kills.to_string());
    util::run(&mut cmd)
}

/// A soak run's size: seconds of load and clients.
#[derive(Debug, Clone, Copy)]
pub struct Soak {
    pub seconds: u32,
    pub clients: u32,
    /// The actions drawn from (`DOCKET_SOAK_ONLY`), or all.
    pub only: Option<&'static str>,
}

/// The long form: 30 minutes from 6 clients.
pub const SOAK_LONG: Soak = Soak {
    seconds: 1_800,
    clients: 6,
    only: None,
};

/// `cargo xtask bench soak` (and its short form in `cargo xtask test`):
/// mixed load against a server `tests/benches/soak.rs` starts itself, with
/// workerd's memory sampled; fails on a server that goes down, any wrong,
/// lost or stuck job, an undelivered webhook, memory that grows in a long
/// run, or an error in the server's log.
pub fn soak(size: Soak) -> Result<Counts> {
    let mut cmd = stress_bench(
        "soak",
        &format!(
            "{} s of mixed load from {} clients",
            size.seconds, size.clients
        ),
    )?;
    let work = util::root().join("target/xtask");
    std::fs::create_dir_all(&work)?;
    let marks = crate::serverlog::Marks::take(&work)?;
    cmd.env("DOCKET_SOAK_SECONDS", size.seconds.to_string())
        .env("DOCKET_SOAK_CLIENTS", size.clients.to_string());
    if let Some(only) = size.only {
        cmd.env("DOCKET_SOAK_ONLY", only);
    }
    let ran = util::run(&mut cmd);
    let mut counts = crate::serverlog::verdict(&work, &marks)?;
    match ran {
        Ok(()) => counts.passed += 1,
        Err(e) => {
            eprintln!("soak: {e}");
            counts.failed += 1;
        }
    }
    Ok(counts)
}

/// Tools and the dev build in place, the step announced, and the `cargo
/// bench` of `tests/benches/{name}.rs` (which starts its own server) ready
/// for its settings.
fn stress_bench(name: &str, what: &str) -> Result<Command> {
    setup::tools()?;
    crate::build::app(crate::build::Profile::Dev)?;
    crate::build::worker(crate::build::Profile::Dev)?;
    util::step(&format!("{name}: {what} (tests/benches/{name}.rs)"));
    let mut cmd = util::tests_bench(name);
    cmd.env("DOCKET_CORPUS", util::corpus())
        .env("DOCKET_WRANGLER", setup::wrangler_bin());
    Ok(cmd)
}

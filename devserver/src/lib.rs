//! `wrangler dev` as Docket runs it, in one place for `cargo xtask` and the
//! end-to-end tests: the command line (local mode, loopback, its own
//! inspector port, a state directory, no phoning home, loopback webhooks
//! allowed), a server in its own process group that is healthy when `start`
//! returns, SIGKILLed like a crash (`kill9`), restarted on the same port and
//! state, and stopped with its whole group when dropped.

use std::fmt;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a start may take before it is a failure (a cold start builds the
/// worker first).
pub const START_TIMEOUT: Duration = Duration::from_secs(180);

/// What a server is started with.
#[derive(Debug, Clone)]
pub struct Options {
    /// The repository root (where `wrangler.toml` is).
    pub root: PathBuf,
    /// The wrangler binary (`node_modules/.bin/wrangler` under `root` unless
    /// told otherwise).
    pub wrangler: PathBuf,
    pub port: u16,
    /// `--persist-to`: KV, R2, queues and Durable Objects live here.
    pub state: PathBuf,
    /// Where wrangler's output goes (appended).
    pub log: PathBuf,
    /// `--var NAME:VALUE` settings over `wrangler.toml`'s.
    pub vars: Vec<(String, String)>,
}

impl Options {
    /// Defaults for `root`: its own wrangler, a free port.
    pub fn new(root: &Path, state: &Path, log: &Path) -> Result<Options, LaunchError> {
        Ok(Options {
            root: root.to_owned(),
            wrangler: root.join("node_modules/.bin/wrangler"),
            port: free_port()?,
            state: state.to_owned(),
            log: log.to_owned(),
            vars: Vec::new(),
        })
    }

    pub fn var(mut self, name: &str, value: &str) -> Options {
        self.vars.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// Why a server did not come up.
#[derive(Debug)]
pub enum LaunchError {
    Io(std::io::Error),
    /// It exited before it answered its health check.
    Exited {
        status: String,
        log: PathBuf,
    },
    /// It did not answer its health check in time.
    NotHealthy {
        waited: Duration,
        log: PathBuf,
    },
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LaunchError::Io(e) => write!(f, "could not start wrangler: {e}"),
            LaunchError::Exited { status, log } => write!(
                f,
                "wrangler dev exited ({status}) before it was ready; its log: {}",
                log.display()
            ),
            LaunchError::NotHealthy { waited, log } => write!(
                f,
                "wrangler dev did not answer /api/v1/health within {waited:?}; its log: {}",
                log.display()
            ),
        }
    }
}

impl std::error::Error for LaunchError {}

impl From<std::io::Error> for LaunchError {
    fn from(e: std::io::Error) -> Self {
        LaunchError::Io(e)
    }
}

/// `wrangler dev` as the README's `cargo xtask dev` runs it.
pub fn command(options: &Options) -> Result<Command, LaunchError> {
    let mut cmd = Command::new(&options.wrangler);
    cmd.current_dir(&options.root)
        .args(["dev", "--local", "--ip", "127.0.0.1", "--port"])
        .arg(options.port.to_string())
        .arg("--inspector-port")
        .arg(free_port()?.to_string())
        .arg("--persist-to")
        .arg(&options.state)
        .arg("--show-interactive-dev-session=false")
        // No cron fires locally: `GET /__scheduled?cron=…` runs the worker's
        // scheduled handler (`wrangler.toml` routes that path to the worker
        // ahead of the SPA's assets).
        .arg("--test-scheduled")
        // Local development: webhooks may call receivers on this machine
        // (`docket submit --wait webhook`, the tests' receivers).
        .arg("--var")
        .arg("CALLBACK_ALLOW_LOOPBACK:1")
        // No internet here: keep wrangler from phoning home.
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("WRANGLER_SEND_METRICS", "false");
    for (name, value) in &options.vars {
        cmd.arg("--var").arg(format!("{name}:{value}"));
    }
    Ok(cmd)
}

/// A `wrangler dev` in its own process group.
pub struct Wrangler {
    child: Option<Child>,
    options: Options,
}

impl Wrangler {
    /// Starts it and waits until `/api/v1/health` answers 200.
    pub fn start(options: Options) -> Result<Wrangler, LaunchError> {
        let mut server = Wrangler {
            child: None,
            options,
        };
        server.spawn_patiently()?;
        Ok(server)
    }

    /// Spawns, and once more when wrangler exits before it is ready: the
    /// free ports it is given are found free a moment before it binds them,
    /// and a server another test starts at the same time may take one. A
    /// second failure is the answer.
    fn spawn_patiently(&mut self) -> Result<(), LaunchError> {
        match self.spawn() {
            Err(LaunchError::Exited { status, log }) => {
                eprintln!(
                    "wrangler dev exited ({status}) before it was ready; starting it once more (log: {})",
                    log.display()
                );
                self.kill9();
                self.spawn()
            }
            other => other,
        }
    }

    pub fn port(&self) -> u16 {
        self.options.port
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.options.port)
    }

    /// How wrangler ended, if it has (`None` while it runs).
    pub fn exited(&mut self) -> Option<String> {
        let child = self.child.as_mut()?;
        child.try_wait().ok().flatten().map(|s| s.to_string())
    }

    /// Its process group (wrangler's pid) while it runs: for CPU and memory
    /// figures, and for killing it whole.
    pub fn group(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn spawn(&mut self) -> Result<(), LaunchError> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.options.log)?;
        let child = command(&self.options)?
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        self.child = Some(child);
        let start = Instant::now();
        while !health_ok(self.options.port) {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                // What it started (workerd) may outlive it: the group goes.
                if let Some(child) = self.child.take() {
                    signal_group(child.id(), "-KILL");
                }
                return Err(LaunchError::Exited {
                    status: status.to_string(),
                    log: self.options.log.clone(),
                });
            }
            if start.elapsed() > START_TIMEOUT {
                return Err(LaunchError::NotHealthy {
                    waited: START_TIMEOUT,
                    log: self.options.log.clone(),
                });
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Ok(())
    }

    /// SIGKILL to the whole group: no shutdown, no flushing, as in a crash.
    /// Returns once the port is free again.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal_group(child.id(), "-KILL");
            let _ = child.wait();
        }
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.options.port)).is_ok()
            && start.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Starts again on the same port and state (after a `kill9`, or killing
    /// it now).
    pub fn restart(&mut self) -> Result<(), LaunchError> {
        self.kill9();
        self.spawn_patiently()
    }
}

impl Drop for Wrangler {
    fn drop(&mut self) {
        // The whole group: wrangler, workerd and the build it may be running.
        if let Some(mut child) = self.child.take() {
            signal_group(child.id(), "-TERM");
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            signal_group(child.id(), "-KILL");
            let _ = child.wait();
        }
    }
}

fn signal_group(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", &format!("-{pid}")])
        .status();
}

/// A port nobody listens on right now.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One raw HTTP/1.1 exchange with the server on `port` (no client library:
/// this crate has no dependencies); the whole answer, headers and body.
fn exchange(port: u16, request: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(request.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

/// Whether `GET /api/v1/health` answers 200.
pub fn health_ok(port: u16) -> bool {
    exchange(
        port,
        "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .is_ok_and(|answer| answer.starts_with("HTTP/1.1 200"))
}

/// Mints an owner token from the server on `port` (for tools that need one).
pub fn mint_token(port: u16) -> std::io::Result<String> {
    let answer = exchange(
        port,
        "POST /api/v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )?;
    answer
        .split("\"token\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .filter(|t| t.starts_with("dkt_"))
        .map(str::to_owned)
        .ok_or_else(|| std::io::Error::other(format!("no token in the answer: {answer}")))
}

/// CPU seconds (user + system) and resident MiB of every process in a group,
/// from `/proc` (Linux).
pub fn group_usage(group: u32) -> (f64, f64) {
    usage_of(group, &|_, _| true)
}

/// Resident MiB of the group's two workerd processes: the runtime that runs
/// the worker (and miniflare's KV, R2, queues and objects; the one started
/// with an inspector) and wrangler's local proxy in front of it.
pub fn workerd_rss(group: u32) -> WorkerdRss {
    let is_workerd = |comm: &str| comm.starts_with("workerd");
    WorkerdRss {
        runtime: usage_of(group, &|comm, cmdline| {
            is_workerd(comm) && cmdline.contains("--inspector-addr")
        })
        .1,
        proxy: usage_of(group, &|comm, cmdline| {
            is_workerd(comm) && !cmdline.contains("--inspector-addr")
        })
        .1,
    }
}

/// [`workerd_rss`]'s figures, MiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct WorkerdRss {
    pub runtime: f64,
    pub proxy: f64,
}

/// CPU seconds and resident MiB of the group's processes that `pick` takes
/// (given each one's command name and command line).
fn usage_of(group: u32, pick: &dyn Fn(&str, &str) -> bool) -> (f64, f64) {
    let ticks = 100.0; // USER_HZ on Linux
    let (mut cpu, mut rss_kib) = (0.0, 0.0);
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return (0.0, 0.0);
    };
    for entry in dir.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (command) state …`: the command may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if !pick(&stat[open + 1..close], &String::from_utf8_lossy(&cmdline)) {
            continue;
        }
        // Fields after the command's closing parenthesis: state is field 3.
        let after = stat.get(close + 2..).unwrap_or_default();
        let fields: Vec<&str> = after.split_whitespace().collect();
        // pgrp is field 5 (index 2 here); utime 14, stime 15 (index 11, 12).
        if fields.get(2).and_then(|f| f.parse::<u32>().ok()) != Some(group) {
            continue;
        }
        let num = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
        cpu += (num(11).unwrap_or(0.0) + num(12).unwrap_or(0.0)) / ticks;
        if let Ok(status) = std::fs::read_to_string(entry.path().join("status"))
            && let Some(line) = status.lines().find(|l| l.starts_with("VmRSS:"))
        {
            rss_kib += line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0);
        }
    }
    (cpu, rss_kib / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_the_readmes() {
        let options = Options::new(Path::new("/repo"), Path::new("/s"), Path::new("/l"))
            .unwrap()
            .var("QUOTA_JOBS", "5");
        let cmd = command(&options).unwrap();
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(cmd.get_program(), "/repo/node_modules/.bin/wrangler");
        assert_eq!(args[..4], ["dev", "--local", "--ip", "127.0.0.1"]);
        let after = |flag: &str| {
            let i = args.iter().position(|a| a == flag).unwrap();
            args[i + 1].clone()
        };
        assert_eq!(after("--port"), options.port.to_string());
        assert_eq!(after("--persist-to"), "/s");
        assert!(args.ends_with(&["--var".into(), "QUOTA_JOBS:5".into()]));
        assert!(args.contains(&"CALLBACK_ALLOW_LOOPBACK:1".to_owned()));
        assert!(args.contains(&"--test-scheduled".to_owned()));
    }

    #[test]
    fn a_server_that_is_not_there_is_not_healthy() {
        let port = free_port().unwrap();
        assert!(!health_ok(port));
        assert!(mint_token(port).is_err());
    }

    #[test]
    fn a_missing_wrangler_is_an_error_not_a_hang() {
        let dir = std::env::temp_dir().join(format!("devserver-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut options = Options::new(&dir, &dir.join("state"), &dir.join("log")).unwrap();
        options.wrangler = dir.join("no-such-wrangler");
        let err = Wrangler::start(options).err().unwrap();
        assert!(matches!(err, LaunchError::Io(_)), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

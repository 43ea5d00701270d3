//! A `wrangler dev` that a test owns: started on a free port with a state
//! directory, killed with SIGKILL (wrangler, workerd and all, as a crash
//! would), restarted on the same state, stopped on drop. `DOCKET_WRANGLER`
//! names the wrangler binary (`cargo xtask test` sets it); the worker must be
//! built already (`cargo xtask build`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Wrangler {
    child: Option<Child>,
    pub port: u16,
    state: PathBuf,
    log: PathBuf,
    vars: Vec<(String, String)>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Wrangler {
    /// Starts on a fresh `state` directory (emptied first) and waits for health.
    pub fn start(state: &Path, log: &Path, vars: &[(&str, &str)]) -> Wrangler {
        let _ = std::fs::remove_dir_all(state);
        let mut server = Wrangler {
            child: None,
            port: free_port(),
            state: state.to_owned(),
            log: log.to_owned(),
            vars: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        server.spawn();
        server
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The process group (wrangler's pid) while it runs.
    pub fn group(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn spawn(&mut self) {
        let bin = std::env::var_os("DOCKET_WRANGLER")
            .map(PathBuf::from)
            .unwrap_or_else(|| root().join("node_modules/.bin/wrangler"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("the wrangler log");
        let mut cmd = Command::new(bin);
        cmd.current_dir(root())
            .args(["dev", "--local", "--ip", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .arg("--inspector-port")
            .arg(free_port().to_string())
            .arg("--persist-to")
            .arg(&self.state)
            .arg("--show-interactive-dev-session=false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .env("WRANGLER_SEND_METRICS", "false")
            .env("DOCKET_PROFILE", "dev");
        for (k, v) in &self.vars {
            cmd.arg("--var").arg(format!("{k}:{v}"));
        }
        let child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start wrangler");
        self.child = Some(child);
        let start = Instant::now();
        while !health_ok(self.port) {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "wrangler dev exited ({status}) before it was ready; see {}",
                    self.log.display()
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(180),
                "wrangler dev did not come up; see {}",
                self.log.display()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// SIGKILL to the whole group: no shutdown, no flushing, as in a crash.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal_group(child.id(), "-KILL");
            let _ = child.wait();
        }
        // The port is free again once workerd is gone.
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            && start.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Starts again on the same port and state.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }
}

impl Drop for Wrangler {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal_group(child.id(), "-TERM");
            std::thread::sleep(Duration::from_millis(500));
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

fn health_ok(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

/// CPU seconds (user + system) and resident MiB of every process in a group,
/// from `/proc` (Linux).
pub fn group_usage(group: u32) -> (f64, f64) {
    let ticks = 100.0; // USER_HZ on Linux
    let (mut cpu, mut rss_kib) = (0.0, 0.0);
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return (0.0, 0.0);
    };
    for entry in dir.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // Fields after the command's closing parenthesis: state is field 3.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
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

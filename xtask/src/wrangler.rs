//! Starting and stopping `wrangler dev`: in the foreground for `cargo xtask dev`,
//! and on a free port with a throw-away state directory for the tests (stopped
//! when the guard drops, also on failure).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::build::{self, Profile};
use crate::setup;
use crate::util::{root, step};

/// `wrangler dev` as `cargo xtask dev` and the tests start it.
fn command(port: u16, persist: &Path) -> Result<Command> {
    let mut cmd = Command::new(setup::wrangler_bin());
    cmd.current_dir(root())
        .args(["dev", "--local", "--ip", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .arg("--inspector-port")
        .arg(free_port()?.to_string())
        .arg("--persist-to")
        .arg(persist)
        .arg("--show-interactive-dev-session=false")
        // Local development: webhooks may call receivers on this machine
        // (`docket submit --wait webhook`, the tests' receivers).
        .arg("--var")
        .arg("CALLBACK_ALLOW_LOOPBACK:1")
        // No internet here: keep wrangler from phoning home.
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("WRANGLER_SEND_METRICS", "false")
        .env("DOCKET_PROFILE", "dev");
    Ok(cmd)
}

/// `cargo xtask dev`: install, build, serve until Ctrl-C.
pub fn dev(port: u16) -> Result<()> {
    build::all(Profile::Dev)?;
    let persist = root().join(".wrangler/state");
    step(&format!(
        "starting wrangler dev; state persists in {}",
        persist.display()
    ));
    println!("Docket will be at http://127.0.0.1:{port}/ (API under /api/v1/) — Ctrl-C stops it");
    let status = command(port, &persist)?
        .status()
        .context("could not start wrangler")?;
    if !status.success() {
        bail!("wrangler dev exited with {status}");
    }
    Ok(())
}

/// A port nobody listens on right now.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A `wrangler dev` in its own process group, stopped on drop.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    /// Starts wrangler on a free port, logging to `log`, and waits for health.
    pub fn start(persist: &Path, log: &Path, vars: &[(&str, &str)]) -> Result<Server> {
        let port = free_port()?;
        let out = std::fs::File::create(log)?;
        let mut cmd = command(port, persist)?;
        for (k, v) in vars {
            cmd.arg("--var").arg(format!("{k}:{v}"));
        }
        use std::os::unix::process::CommandExt;
        let child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("could not start wrangler")?;
        let mut server = Server { child, port };
        server.wait_healthy(Duration::from_secs(180), log)?;
        Ok(server)
    }

    fn wait_healthy(&mut self, timeout: Duration, log: &Path) -> Result<()> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "wrangler exited ({status}) before it was ready; its log:\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            if health_ok(self.port) {
                println!(
                    "wrangler dev is up on port {} after {:.1} s",
                    self.port,
                    start.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        bail!(
            "wrangler dev did not answer /api/v1/health within {timeout:?}; its log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        )
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Its process group (wrangler, workerd), for CPU and memory figures.
    pub fn group(&self) -> u32 {
        self.child.id()
    }
}

/// Mints an owner token from the server at `port` (for tools that need one).
pub fn mint_token(port: u16) -> Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(
        b"POST /api/v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let token = answer
        .split("\"token\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .filter(|t| t.starts_with("dkt_"))
        .ok_or_else(|| anyhow::anyhow!("no token in the answer: {answer}"))?;
    Ok(token.to_owned())
}

impl Drop for Server {
    fn drop(&mut self) {
        // The whole group: wrangler, workerd and the build it may be running.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
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

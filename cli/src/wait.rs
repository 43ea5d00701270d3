//! The three ways to learn that a job is done, side by side:
//!
//! * [`poll`]: `GET /jobs/{id}?wait=N` with `If-None-Match` — the server holds
//!   the request until the job changes (long-poll), answers 304 when nothing
//!   did, and says with `Retry-After` when to ask again;
//! * [`Socket`]: one WebSocket for all the jobs, opened before the upload so no
//!   event is missed, reconnected with `?since=` (and a fresh look at the jobs
//!   when the server answers `resync`);
//! * [`crate::hook::Hook`]: a local HTTP listener whose URL is the jobs' `callback_url`;
//!   each delivery's Standard Webhooks signature is verified with the owner's
//!   secret, stale timestamps are refused, and deliveries are de-duplicated by
//!   `webhook-id`.
//!
//! Each calls `seen` with every version of a job it learns about and returns
//! the jobs' final versions, or [`CliError::Timeout`] at the deadline.

use std::collections::{HashMap, HashSet};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use shared::contract::api::{ErrorCode, Job};
use shared::delivery::client::{ApiError, Backoff, path};
use shared::delivery::events::ServerMessage;
use tungstenite::client::IntoClientRequest;
use tungstenite::http::HeaderValue;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use crate::client::{Api, Polled};
use crate::error::{CliError, CliResult};

/// How the CLI waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// `GET /jobs/{id}` about once a second (with `If-None-Match`).
    Poll,
    /// `GET /jobs/{id}?wait=20`: the server holds the request until the job
    /// changes.
    LongPoll,
    Ws,
    /// Server-Sent Events (`crate::sse`).
    Sse,
    Webhook,
}

/// The jobs still running, and the final versions of the others.
pub(crate) struct Pending {
    pub(crate) running: HashSet<String>,
    done: HashMap<String, Job>,
}

impl Pending {
    pub(crate) fn new(ids: &[String]) -> Pending {
        Pending {
            running: ids.iter().cloned().collect(),
            done: HashMap::new(),
        }
    }

    /// Takes a version of a job; true when it is one of ours.
    pub(crate) fn take(&mut self, job: &Job) -> bool {
        if !self.running.contains(&job.id) {
            return false;
        }
        if job.state().is_terminal() {
            self.running.remove(&job.id);
            self.done.insert(job.id.clone(), job.clone());
        }
        true
    }

    /// The jobs as they are now (what happened before a listener was
    /// opened), each shown.
    pub(crate) fn looked_at(
        api: &Api,
        ids: &[String],
        seen: &mut dyn FnMut(&Job),
    ) -> CliResult<Pending> {
        let mut pending = Pending::new(ids);
        for id in ids {
            let job = api.job(id)?;
            seen(&job);
            pending.take(&job);
        }
        Ok(pending)
    }

    /// One message of the owner's event stream (socket or Server-Sent
    /// Events): a new version of one of ours, its deletion (an error), or a
    /// `resync` (events were lost: the jobs are looked at afresh).
    pub(crate) fn hear(
        &mut self,
        api: &Api,
        message: ServerMessage,
        seen: &mut dyn FnMut(&Job),
    ) -> CliResult<()> {
        match message {
            ServerMessage::JobUpdated { job, .. } if self.take(&job) => seen(&job),
            ServerMessage::JobDeleted { job_id, .. } if self.running.contains(&job_id) => {
                return Err(CliError::Api(ApiError {
                    status: 404,
                    code: Some(ErrorCode::NotFound),
                    message: format!("job {job_id} was deleted while waiting"),
                }));
            }
            ServerMessage::Resync { .. } => {
                let running: Vec<String> = self.running.iter().cloned().collect();
                for id in running {
                    let job = api.job(&id)?;
                    seen(&job);
                    self.take(&job);
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn finished(&self) -> bool {
        self.running.is_empty()
    }

    /// The final jobs in the order of `ids`.
    pub(crate) fn into_jobs(mut self, ids: &[String]) -> Vec<Job> {
        ids.iter().filter_map(|id| self.done.remove(id)).collect()
    }
}

pub(crate) fn left(deadline: Instant, timeout: Duration) -> CliResult<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(CliError::Timeout(timeout))
    } else {
        Ok(left)
    }
}

/// Polls (or long-polls, when `hold`) each job in turn until all are
/// terminal.
pub fn poll(
    api: &Api,
    ids: &[String],
    timeout: Duration,
    hold: bool,
    seen: &mut dyn FnMut(&Job),
) -> CliResult<Vec<Job>> {
    let deadline = Instant::now() + timeout;
    let mut pending = Pending::new(ids);
    let mut etags: HashMap<String, String> = HashMap::new();
    while !pending.finished() {
        let mut running: Vec<String> = pending.running.iter().cloned().collect();
        running.sort();
        for id in running {
            // Held by the server up to 20 s (long polling), or answered at
            // once (polling).
            let wait = if hold {
                left(deadline, timeout)?.as_secs().clamp(1, 20) as u32
            } else {
                0
            };
            let asked = Instant::now();
            let (answer, retry_after) = api.poll(&id, etags.get(&id).map(String::as_str), wait)?;
            let changed = match answer {
                Polled::Job { job, etag } => {
                    if let Some(etag) = etag {
                        etags.insert(id.clone(), etag);
                    }
                    seen(&job);
                    pending.take(&job);
                    true
                }
                Polled::Unchanged => false,
            };
            // A server that did not hold the request: wait as it says.
            if !changed && asked.elapsed() < Duration::from_millis(500) {
                let pause = retry_after.unwrap_or(Duration::from_secs(1));
                std::thread::sleep(pause.min(left(deadline, timeout)?));
            }
        }
    }
    Ok(pending.into_jobs(ids))
}

/// The event stream, opened before the jobs exist.
pub struct Socket {
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    last_seq: Option<u64>,
}

impl Socket {
    pub fn open(api: &Api) -> CliResult<Socket> {
        let ws = connect(api, None)?;
        Ok(Socket { ws, last_seq: None })
    }

    /// Waits for the jobs on the socket, reconnecting when it drops.
    pub fn wait(
        mut self,
        api: &Api,
        ids: &[String],
        timeout: Duration,
        seen: &mut dyn FnMut(&Job),
    ) -> CliResult<Vec<Job>> {
        let deadline = Instant::now() + timeout;
        // What happened before the socket was asked (`status --wait ws`).
        let mut pending = Pending::looked_at(api, ids, seen)?;
        let mut backoff = Backoff::default();
        while !pending.finished() {
            let wait = left(deadline, timeout)?.min(Duration::from_secs(1));
            set_timeout(&mut self.ws, wait);
            match self.ws.read() {
                Ok(Message::Text(text)) => {
                    backoff.reset();
                    let Ok(message) = serde_json::from_str::<ServerMessage>(&text) else {
                        continue;
                    };
                    if let Some(seq) = message.seq() {
                        self.last_seq = Some(seq);
                    }
                    pending.hear(api, message, seen)?;
                }
                Ok(Message::Close(_)) => self.reconnect(api, &mut backoff, deadline, timeout)?,
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => self.reconnect(api, &mut backoff, deadline, timeout)?,
            }
        }
        let _ = self.ws.close(None);
        Ok(pending.into_jobs(ids))
    }

    fn reconnect(
        &mut self,
        api: &Api,
        backoff: &mut Backoff,
        deadline: Instant,
        timeout: Duration,
    ) -> CliResult<()> {
        loop {
            std::thread::sleep(backoff.next_delay().min(left(deadline, timeout)?));
            match connect(api, self.last_seq) {
                Ok(ws) => {
                    self.ws = ws;
                    return Ok(());
                }
                Err(e) => eprintln!("docket: reconnecting the event stream: {e}"),
            }
        }
    }
}

fn connect(api: &Api, since: Option<u64>) -> CliResult<WebSocket<MaybeTlsStream<TcpStream>>> {
    let url = format!(
        "{}{}",
        api.base()
            .replacen("http://", "ws://", 1)
            .replacen("https://", "wss://", 1),
        path::events(None, since)
    );
    let mut request = url
        .into_client_request()
        .map_err(|e| CliError::Usage(format!("bad server URL for a WebSocket: {e}")))?;
    if let Some(token) = api.token() {
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|e| CliError::Usage(format!("bad token: {e}")))?;
        request.headers_mut().insert("authorization", value);
    }
    match tungstenite::connect(request) {
        Ok((ws, _)) => Ok(ws),
        Err(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let body = response
                .body()
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            Err(CliError::Api(ApiError::from_answer(status, &body)))
        }
        Err(tungstenite::Error::Url(e)) => Err(CliError::Usage(format!(
            "WebSockets need ws:// or wss://: {e} (TLS is not built into this CLI; use http:// locally)"
        ))),
        Err(e) => Err(CliError::Network(format!(
            "WebSocket to {}: {e}",
            api.base()
        ))),
    }
}

fn set_timeout(ws: &mut WebSocket<MaybeTlsStream<TcpStream>>, timeout: Duration) {
    if let MaybeTlsStream::Plain(stream) = ws.get_mut() {
        let _ = stream.set_read_timeout(Some(timeout.max(Duration::from_millis(10))));
    }
}

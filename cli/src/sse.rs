//! `--wait sse`: the owner's events as Server-Sent Events (`GET /events`
//! with `Accept: text/event-stream`), the plain-HTTP relative of the
//! WebSocket. The stream is opened before the jobs exist (nothing is
//! missed), read line by line through `shared::delivery::sse::Parser`, and reopened
//! with `Last-Event-ID` when it ends — the server replays what was missed,
//! or says `resync`, after which the jobs are looked at afresh.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use shared::contract::api::Job;
use shared::delivery::client::Backoff;
use shared::delivery::events::ServerMessage;
use shared::delivery::sse::Parser;

use crate::client::Api;
use crate::error::CliResult;
use crate::wait::{Pending, left};

type Lines = std::io::Lines<BufReader<Box<dyn std::io::Read + Send + Sync>>>;

/// An open event stream and the last event id it gave.
pub struct Stream {
    lines: Lines,
    last_seq: Option<u64>,
}

fn open(api: &Api, last_seq: Option<u64>) -> CliResult<Lines> {
    let response = api.event_stream(last_seq)?;
    let reader: Box<dyn std::io::Read + Send + Sync> = Box::new(response.into_body().into_reader());
    Ok(BufReader::new(reader).lines())
}

impl Stream {
    pub fn open(api: &Api) -> CliResult<Stream> {
        Ok(Stream {
            lines: open(api, None)?,
            last_seq: None,
        })
    }

    /// Waits for the jobs on the stream, reopening it when it ends.
    pub fn wait(
        mut self,
        api: &Api,
        ids: &[String],
        timeout: Duration,
        seen: &mut dyn FnMut(&Job),
    ) -> CliResult<Vec<Job>> {
        let deadline = Instant::now() + timeout;
        let mut pending = Pending::looked_at(api, ids, seen)?;
        let mut parser = Parser::default();
        let mut backoff = Backoff::default();
        while !pending.finished() {
            left(deadline, timeout)?;
            let line = match self.lines.next() {
                Some(Ok(line)) => line,
                // The stream ended or broke: reopen it after the last event.
                _ => {
                    std::thread::sleep(backoff.next_delay().min(left(deadline, timeout)?));
                    match open(api, self.last_seq) {
                        Ok(lines) => self.lines = lines,
                        Err(e) => eprintln!("docket: reopening the event stream: {e}"),
                    }
                    parser = Parser::default();
                    continue;
                }
            };
            let Some(event) = parser.line(&line) else {
                continue;
            };
            backoff.reset();
            if let Some(seq) = event.id.as_deref().and_then(|id| id.parse().ok()) {
                self.last_seq = Some(seq);
            }
            let Ok(message) = serde_json::from_str::<ServerMessage>(&event.data) else {
                continue;
            };
            pending.hear(api, message, seen)?;
        }
        Ok(pending.into_jobs(ids))
    }
}

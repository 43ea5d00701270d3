//! A Server-Sent Events client for the tests and the delivery benchmark,
//! reading as `curl -N` does: `GET /events` with `Accept:
//! text/event-stream`, the body read line by line through
//! `shared::delivery::sse::Parser`.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use shared::delivery::sse::{Event, Parser};

/// An open stream.
pub struct EventStream {
    lines: std::io::Lines<BufReader<Box<dyn std::io::Read + Send + Sync>>>,
    pub parser: Parser,
}

/// Opens a stream at `base` (a bearer token or `?ticket=`), resuming after
/// `last_event_id`: the status, the stream when it is 200, and the content
/// type (or the body of a refusal).
pub fn open(
    base: &str,
    token: Option<&str>,
    ticket: Option<&str>,
    last_event_id: Option<&str>,
) -> (u16, Option<EventStream>, String) {
    // No overall timeout: the stream lives until it is dropped; the
    // heartbeat (15 s) bounds each read.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = match ticket {
        Some(t) => format!("{base}/api/v1/events?ticket={t}"),
        None => format!("{base}/api/v1/events"),
    };
    let mut request = agent.get(&url).header("accept", "text/event-stream");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.call().expect("the server answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if status != 200 {
        let body = response.into_body().read_to_string().unwrap_or_default();
        return (status, None, body);
    }
    let reader: Box<dyn std::io::Read + Send + Sync> = Box::new(response.into_body().into_reader());
    let stream = EventStream {
        lines: BufReader::new(reader).lines(),
        parser: Parser::default(),
    };
    (status, Some(stream), content_type)
}

impl EventStream {
    /// Reads one line into the parser; false at the end of the stream.
    pub fn read_line(&mut self) -> bool {
        match self.lines.next() {
            Some(Ok(line)) => {
                self.parser.line(&line);
                true
            }
            _ => false,
        }
    }

    /// The next event, skipping comments; `None` at `deadline` or the end.
    pub fn next(&mut self, deadline: Instant) -> Option<Event> {
        while Instant::now() < deadline {
            let line = self.lines.next()?.ok()?;
            if let Some(event) = self.parser.line(&line) {
                return Some(event);
            }
        }
        None
    }

    /// Events until `done` says the last one read ends the wait.
    pub fn until(&mut self, timeout: Duration, done: impl Fn(&Event) -> bool) -> Vec<Event> {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        loop {
            let Some(event) = self.next(deadline) else {
                panic!("the stream ended or stalled; got {seen:#?}");
            };
            let stop = done(&event);
            seen.push(event);
            if stop {
                return seen;
            }
        }
    }
}

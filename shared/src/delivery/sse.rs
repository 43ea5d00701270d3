//! Server-Sent Events, the fourth way to follow an owner's jobs: the same
//! events as the WebSocket (`crate::delivery::events`), framed as `text/event-stream`
//! — `id:` is the event's `seq`, `event:` its type, `data:` the same JSON as
//! on the WebSocket — with a `retry:` hint first, a comment as heartbeat,
//! and resumption from `Last-Event-ID` (a replay of what was missed, or a
//! `resync` event when that is gone). Framing for the hub and parsing for
//! clients (the CLI, the tests) live here, once.

use serde::Deserialize;

/// How long a client should wait before reconnecting (the `retry:` hint).
pub const RETRY_MS: u32 = 3_000;
/// A comment is sent this often, so proxies keep the stream open and a
/// client notices a dead one.
pub const HEARTBEAT_SECS: u32 = 15;
/// Open streams per owner: each keeps the owner's Durable Object awake (it
/// cannot hibernate while a response streams), unlike a WebSocket.
pub const MAX_STREAMS_PER_OWNER: usize = 5;
/// The media type.
pub const CONTENT_TYPE: &str = "text/event-stream";

/// The first bytes of a stream: the reconnection hint.
pub fn preamble() -> String {
    format!("retry: {RETRY_MS}\n\n")
}

/// The heartbeat: a comment line, which clients ignore.
pub fn heartbeat() -> &'static str {
    ": heartbeat\n\n"
}

/// One event (its JSON body as sent on the WebSocket) as an SSE frame: a
/// numbered event with its `id:` (what `Last-Event-ID` resumes from), an
/// unnumbered one (`job.queue`) without; `None` when the body has no type.
pub fn frame(body: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Head<'a> {
        #[serde(rename = "type", borrow)]
        kind: &'a str,
        seq: Option<u64>,
    }
    let head: Head = serde_json::from_str(body).ok()?;
    let id = head.seq.map(|s| format!("id: {s}\n")).unwrap_or_default();
    // JSON never holds a raw newline, so `data:` is one line.
    Some(format!("{id}event: {}\ndata: {body}\n\n", head.kind))
}

/// Whether a request's `Accept` header asks for an event stream.
pub fn wants_stream(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',')
            .any(|part| part.trim().split(';').next() == Some(CONTENT_TYPE))
    })
}

/// One event as a client reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

/// A client's reader of the stream, fed line by line (without the line
/// ending): yields an event at each blank line that ends one; comments and
/// `retry:` are noted, not yielded.
#[derive(Debug, Default)]
pub struct Parser {
    current: Event,
    has_data: bool,
    /// The last `retry:` the server asked for.
    pub retry_ms: Option<u32>,
    /// Comment lines seen (heartbeats).
    pub comments: u64,
}

impl Parser {
    pub fn line(&mut self, line: &str) -> Option<Event> {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            let done = std::mem::take(&mut self.current);
            let had = std::mem::take(&mut self.has_data);
            return had.then_some(done);
        }
        if line.starts_with(':') {
            self.comments += 1;
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "id" => self.current.id = Some(value.to_owned()),
            "event" => self.current.event = Some(value.to_owned()),
            "data" => {
                if self.has_data {
                    self.current.data.push('\n');
                }
                self.current.data.push_str(value);
                self.has_data = true;
            }
            "retry" => self.retry_ms = value.parse().ok(),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_framed_with_its_seq_and_type_and_read_back() {
        let body = r#"{"type":"job.deleted","seq":7,"job_id":"j1"}"#;
        let framed = frame(body).expect("a frame");
        assert_eq!(
            framed,
            format!("id: 7\nevent: job.deleted\ndata: {body}\n\n")
        );
        let mut parser = Parser::default();
        let mut events = Vec::new();
        for line in format!("{}{}{framed}", preamble(), heartbeat()).split('\n') {
            events.extend(parser.line(line));
        }
        assert_eq!(
            events,
            vec![Event {
                id: Some("7".into()),
                event: Some("job.deleted".into()),
                data: body.into(),
            }]
        );
        assert_eq!(parser.retry_ms, Some(RETRY_MS));
        assert_eq!(parser.comments, 1);
    }

    #[test]
    fn an_unnumbered_event_has_no_id_and_what_is_not_an_event_no_frame() {
        let queue = r#"{"type":"job.queue","job_id":"j","queue":{"position":2,"eta_seconds":5}}"#;
        assert_eq!(
            frame(queue).as_deref(),
            Some(format!("event: job.queue\ndata: {queue}\n\n").as_str())
        );
        assert_eq!(frame("not json"), None);
        assert_eq!(frame(r#"{"seq":3}"#), None);
    }

    #[test]
    fn the_accept_header_decides() {
        assert!(wants_stream(Some("text/event-stream")));
        assert!(wants_stream(Some("text/html, text/event-stream;q=0.9")));
        assert!(!wants_stream(Some("application/json")));
        assert!(!wants_stream(None));
    }

    #[test]
    fn multi_line_data_and_carriage_returns_are_read() {
        let mut parser = Parser::default();
        assert_eq!(parser.line("data: a\r"), None);
        assert_eq!(parser.line("data:b"), None);
        let event = parser.line("").expect("an event");
        assert_eq!(event.data, "a\nb");
        assert_eq!(parser.line(""), None, "no event without data");
    }
}

//! Server-Sent Events (`GET /events` with `Accept: text/event-stream`), read
//! as `curl -N` would: the same events as the WebSocket with `id:` = seq and
//! `event:` = type, a `retry:` hint, resumption from `Last-Event-ID` (a
//! replay, or `resync` when asked for events the hub never had), tickets for
//! browsers (single use), a heartbeat, and at most five streams per owner.

use std::time::{Duration, Instant};

use docket_tests::sse::EventStream;
use serde_json::Value;
use shared::delivery::sse::{Event, MAX_STREAMS_PER_OWNER};

use crate::support::{Client, base_url, corpus};

const SMALL: &str = "pdfminer-issue-00369-excel.pdf";

fn open(
    token: Option<&str>,
    ticket: Option<&str>,
    last_event_id: Option<&str>,
) -> (u16, Option<EventStream>, String) {
    docket_tests::sse::open(&base_url(), token, ticket, last_event_id)
}

fn data(event: &Event) -> Value {
    serde_json::from_str(&event.data).expect("JSON data")
}

fn completed(job_id: &str) -> impl Fn(&Event) -> bool + '_ {
    move |e| {
        let d = data(e);
        d["job"]["id"] == job_id && d["job"]["state"] == "completed"
    }
}

#[test]
fn events_carry_their_seq_and_type_and_resume_from_last_event_id() {
    let client = Client::owner();
    let token = client.token.clone().expect("an owner");
    let (status, stream, content_type) = open(Some(&token), None, None);
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );
    let mut stream = stream.expect("a stream");
    let first = client.submit(&corpus(SMALL), "sse-1.pdf");
    let seen = stream.until(Duration::from_secs(60), completed(&first.id));
    assert_eq!(
        stream.parser.retry_ms,
        Some(shared::delivery::sse::RETRY_MS)
    );
    let mut last = 0;
    // A waiting job's place is pushed without an id (not a numbered event:
    // `waiting_jobs_places_are_pushed_without_an_id`); every other event is.
    for event in seen.iter().filter(|e| e.id.is_some()) {
        let d = data(event);
        let seq = d["seq"].as_u64().expect("seq");
        assert_eq!(event.id.as_deref(), Some(seq.to_string().as_str()));
        assert_eq!(event.event.as_deref(), d["type"].as_str());
        assert_eq!(seq, last + 1, "contiguous: {seen:#?}");
        last = seq;
    }
    drop(stream);

    // While no stream is open, a second job runs to its end …
    let second = client.submit(&corpus(SMALL), "sse-2.pdf");
    client.wait_terminal(&second.id, Duration::from_secs(60));
    // … and a stream that resumes from the last id gets its events, next
    // seq first.
    let (_, stream, _) = open(Some(&token), None, Some(&last.to_string()));
    let mut stream = stream.expect("a stream");
    let replayed = stream.until(Duration::from_secs(30), completed(&second.id));
    let numbered: Vec<&Event> = replayed.iter().filter(|e| e.id.is_some()).collect();
    assert_eq!(data(numbered[0])["seq"], last + 1, "{replayed:#?}");
    assert!(
        numbered
            .iter()
            .all(|e| data(e)["job"]["id"] == second.id.as_str())
    );

    // An id the hub never gave: `resync`, with the latest seq.
    let (_, stream, _) = open(Some(&token), None, Some("999999"));
    let mut stream = stream.expect("a stream");
    let deadline = Instant::now() + Duration::from_secs(20);
    let event = std::iter::from_fn(|| stream.next(deadline))
        .find(|e| e.id.is_some() || e.event.as_deref() == Some("resync"))
        .expect("an event");
    assert_eq!(event.event.as_deref(), Some("resync"));
    assert!(data(&event)["seq"].as_u64().is_some_and(|s| s > last));
}

#[test]
fn a_ticket_opens_one_stream_and_anything_else_is_refused() {
    let client = Client::owner();
    let answer = client.call("POST", "/api/v1/events/ticket", None, &[], 201);
    let ticket = answer.json()["ticket"].as_str().expect("ticket").to_owned();
    let (status, stream, _) = open(None, Some(&ticket), None);
    assert_eq!(status, 200);
    drop(stream);
    let (again, _, body) = open(None, Some(&ticket), None);
    assert_eq!(again, 401, "{body}");
    let (none, _, body) = open(None, None, None);
    assert_eq!(none, 401, "{body}");
    let (bad_id, _, body) = open(client.token.as_deref(), None, Some("not-a-number"));
    assert_eq!(bad_id, 400, "{body}");
}

#[test]
fn an_owner_holds_at_most_five_streams_and_closed_ones_free_their_place() {
    let client = Client::owner();
    let token = client.token.clone().expect("an owner");
    let mut open_streams: Vec<EventStream> = (0..MAX_STREAMS_PER_OWNER)
        .map(|_| open(Some(&token), None, None).1.expect("a stream"))
        .collect();
    let (status, _, body) = open(Some(&token), None, None);
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("quota_exceeded"), "{body}");
    // Another owner is not affected.
    let other = Client::owner();
    assert_eq!(open(other.token.as_deref(), None, None).0, 200);
    // A heartbeat comes within 15 s.
    let mut kept = open_streams.pop().expect("a stream");
    let deadline = Instant::now() + Duration::from_secs(20);
    while kept.parser.comments == 0 && Instant::now() < deadline {
        if !kept.read_line() {
            break;
        }
    }
    assert!(kept.parser.comments > 0, "no heartbeat within 20 s");
    // A client that leaves frees its place by the next heartbeat.
    drop(open_streams.pop());
    let start = Instant::now();
    loop {
        let (status, stream, body) = open(Some(&token), None, None);
        if status == 200 {
            drop(stream);
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(40),
            "still refused after a client left: {status} {body}"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// While jobs wait, the hub pushes their places in the queue to the
/// owner's listeners: an unnumbered `job.queue` event (no `id:`, so it does
/// not move `Last-Event-ID`), on the event stream as on the socket.
#[test]
fn waiting_jobs_places_are_pushed_without_an_id() {
    let client = Client::owner();
    let token = client.token.clone().expect("an owner");
    let mut stream = open(Some(&token), None, None).1.expect("a stream");
    // The first job's message is held 4 s (test hook): the second waits
    // behind it.
    let first = client.submit(&corpus(SMALL), "inject-late-first-4000.pdf");
    let second = client.submit(&corpus(SMALL), "behind.pdf");
    let seen = stream.until(Duration::from_secs(20), |e| {
        e.event.as_deref() == Some("job.queue") && data(e)["job_id"] == second.id.as_str()
    });
    let place = seen.last().expect("an event");
    assert_eq!(place.id, None, "unnumbered: {place:?}");
    let d = data(place);
    assert!(
        d["queue"]["position"].as_u64().is_some_and(|p| p >= 1),
        "{d}"
    );
    assert!(d["queue"]["eta_seconds"].as_u64().is_some(), "{d}");
    client.wait_terminal(&first.id, Duration::from_secs(60));
    client.wait_terminal(&second.id, Duration::from_secs(60));
}

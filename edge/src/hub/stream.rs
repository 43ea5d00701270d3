//! The owner's event stream: each event is numbered with a per-owner,
//! increasing `seq`, kept (the last 1,000, none older than 24 h) for replay on
//! reconnect, and pushed to the owner's WebSockets that want it. Sockets are
//! held through the **hibernation** API: accepted with the owner's id as tag,
//! the subscription in the socket's attachment, `ping` answered `pong` by the
//! runtime. Numbering, storing and pushing happen in one synchronous step, so
//! a socket never sees seq N+1 before N and a replay never overlaps a live
//! event. The same events go to the owner's Server-Sent Event streams
//! (`super::sse`), opened here with the same ticket and replay rules. The
//! rules (replay, subscriptions, pruning) are `shared::delivery::events`'.

use serde::Deserialize;
use std::rc::Rc;

use shared::delivery::events::{self, Replay, ServerMessage, Subscription};
use shared::delivery::sse;
use worker::{Response, ResponseBuilder, State, WebSocket, WebSocketPair, console_error};

use super::sse::Streams;
use super::tickets;
use crate::error::{AppError, AppResult};
use crate::objects::db::Db;
use crate::objects::protocol::Connect;
use crate::util::now_ms;

#[derive(Deserialize)]
struct BodyRow {
    body: String,
}

pub fn latest_seq(db: &Db) -> AppResult<u64> {
    Ok(db
        .number("SELECT value FROM counters WHERE name = 'seq'", vec![])?
        .map_or(0, |v| v as u64))
}

/// Numbers an event, stores it (pruning the log) and pushes it to the
/// owner's sockets that want `job_id`'s events.
pub fn emit(
    state: &State,
    streams: &Streams,
    db: &Db,
    owner: &str,
    job_id: &str,
    event: impl FnOnce(u64) -> ServerMessage,
) {
    let body = match store(db, event) {
        Ok(body) => body,
        Err(e) => {
            console_error!("JobHub: storing an event failed: {e}");
            return;
        }
    };
    deliver(state, streams, owner, job_id, &body);
}

/// Sends an unnumbered message (a queue place) to the owner's sockets that
/// want its job and to the owner's event streams; nothing is stored.
pub fn push(state: &State, streams: &Streams, owner: &str, message: &ServerMessage) {
    let job_id = message.job_id().unwrap_or_default();
    deliver(state, streams, owner, job_id, &message.to_json());
}

/// One message to the owner's event streams and to its sockets that want
/// `job_id`'s messages.
fn deliver(state: &State, streams: &Streams, owner: &str, job_id: &str, body: &str) {
    if let Some(frame) = sse::frame(body) {
        streams.push(&frame);
    }
    for ws in state.get_websockets_with_tag(owner) {
        let wants = ws
            .deserialize_attachment::<Subscription>()
            .ok()
            .flatten()
            .unwrap_or_default()
            .wants(job_id);
        if wants {
            // A socket that is closing cannot take the message; its client
            // reconnects with `since` and gets the events from the log.
            let _ = ws.send_with_str(body);
        }
    }
}

fn store(db: &Db, event: impl FnOnce(u64) -> ServerMessage) -> AppResult<String> {
    let seq = latest_seq(db)? + 1;
    let body = event(seq).to_json();
    let now = now_ms();
    db.exec(
        "INSERT INTO counters (name, value) VALUES ('seq', ?) \
         ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        vec![(seq as i64).into()],
    )?;
    db.exec(
        "INSERT INTO events (seq, at_ms, body) VALUES (?, ?, ?)",
        vec![(seq as i64).into(), now.into(), body.clone().into()],
    )?;
    let (seq_floor, time_floor) = events::prune_floor(seq, now);
    db.exec(
        "DELETE FROM events WHERE seq <= ? OR at_ms < ?",
        vec![(seq_floor as i64).into(), time_floor.into()],
    )?;
    Ok(body)
}

/// Uses up a connection's ticket, if it came with one (a refusal when the
/// ticket is unknown, used or expired).
fn redeem(db: &Db, connect: &Connect) -> AppResult<()> {
    if let Some(hash) = &connect.ticket_hash
        && !tickets::redeem(db, hash)?
    {
        return Err(AppError::Client(events::ticket_refused()));
    }
    Ok(())
}

/// What a client that saw everything up to `since` missed, in order: the
/// stored events after it, or a `resync` when they are gone.
fn missed(db: &Db, since: Option<u64>) -> AppResult<Vec<String>> {
    let latest = latest_seq(db)?;
    let oldest = db
        .number("SELECT MIN(seq) AS value FROM events", vec![])?
        .map(|v| v as u64);
    Ok(match events::replay(since, latest, oldest) {
        Replay::Nothing => Vec::new(),
        Replay::Resync => vec![ServerMessage::Resync { seq: latest }.to_json()],
        Replay::After(since) => db
            .rows::<BodyRow>(
                "SELECT body FROM events WHERE seq > ? ORDER BY seq",
                vec![(since as i64).into()],
            )?
            .into_iter()
            .map(|row| row.body)
            .collect(),
    })
}

/// Accepts a socket for the owner (using up its ticket, if it came with one)
/// and sends it what it missed.
pub fn accept(state: &State, db: &Db, connect: Connect) -> AppResult<Response> {
    redeem(db, &connect)?;
    let missed = missed(db, connect.since)?;
    let pair = WebSocketPair::new()?;
    state.accept_websocket_with_tags(&pair.server, &[connect.owner.as_str()]);
    pair.server.serialize_attachment(Subscription::default())?;
    for body in missed {
        pair.server.send_with_str(&body)?;
    }
    Ok(ResponseBuilder::new()
        .with_status(101)
        .with_websocket(pair.client)
        .empty())
}

/// Opens a Server-Sent Event stream for the owner (its ticket used up, as
/// for a socket) that starts with what the client missed.
pub fn open_stream(streams: &Rc<Streams>, db: &Db, connect: Connect) -> AppResult<Response> {
    redeem(db, &connect)?;
    let frames = missed(db, connect.since)?
        .iter()
        .filter_map(|body| sse::frame(body))
        .collect();
    streams.open(frames)
}

/// Answers a client's text message (a subscription) on its socket.
pub fn on_message(ws: &WebSocket, text: &str) -> AppResult<()> {
    let answer = match events::parse_client_message(text) {
        Ok(subscription) => {
            ws.serialize_attachment(&subscription)?;
            ServerMessage::Subscribed {
                jobs: subscription.jobs,
            }
        }
        Err(error) => ServerMessage::Error { error },
    };
    ws.send_with_str(answer.to_json())?;
    Ok(())
}

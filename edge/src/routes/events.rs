//! `POST /api/v1/events/ticket` and `GET /api/v1/events`: who may open the
//! owner's event stream. Browsers cannot put a bearer header on a WebSocket,
//! so they exchange it for a single-use, 60-second ticket and connect with
//! `?ticket=`; programs may send the bearer header on the upgrade itself. The
//! ticket is checked (and used up) by the owner's hub; everything after the
//! upgrade happens there.

use shared::contract::api::ErrorCode;
use shared::contract::auth::OwnerRecord;
use shared::delivery::events::{self, TICKET_BYTES, TICKET_TTL_SECS, TicketResponse};
use shared::delivery::sse;
use worker::{Env, Headers, Request, Response};

use crate::error::{AppError, AppResult};
use crate::objects::protocol::{self, Connect, GrantTicket, call};
use crate::routes::{Counted, enter, query_param};
use crate::util::{now_ms, random_bytes, rfc3339_at};

/// `POST /events/ticket`: 201 `{ticket, expires_at}`.
pub async fn ticket(env: &Env, owner: &OwnerRecord) -> AppResult<Response> {
    let ticket = events::make_ticket(&owner.owner, &random_bytes::<TICKET_BYTES>()?);
    let expires_ms = now_ms() + (TICKET_TTL_SECS * 1000) as f64;
    let grant = GrantTicket {
        hash: events::ticket_hash(&ticket),
        expires_ms,
    };
    call(env, &owner.owner, grant).await?;
    let expires_at = rfc3339_at(expires_ms);
    Ok(Response::from_json(&TicketResponse { ticket, expires_at })?.with_status(201))
}

/// `GET /events`: checks the request, then hands the upgrade (or the event
/// stream, for `Accept: text/event-stream`) to the hub.
pub async fn connect(req: Request, env: &Env) -> AppResult<Response> {
    let upgrade = req.headers().get("upgrade")?;
    let websocket = upgrade.is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    let stream = !websocket && sse::wants_stream(req.headers().get("accept")?.as_deref());
    if !websocket && !stream {
        return Err(AppError::client(
            ErrorCode::UpgradeRequired,
            "this endpoint is a WebSocket (connect with `Upgrade: websocket`) or an event stream (send `Accept: text/event-stream`); see the events section of the API description",
        ));
    }
    // An event stream resumes from `Last-Event-ID` (what `EventSource`
    // sends), or `?since=` like the WebSocket.
    let last_event_id = req.headers().get("last-event-id")?;
    let since = match last_event_id.as_deref().filter(|_| stream) {
        Some(id) => events::parse_since(Some(id))?,
        None => events::parse_since(query_param(&req, "since")?.as_deref())?,
    };
    let connect = match query_param(&req, "ticket")? {
        Some(ticket) => Connect {
            owner: events::ticket_owner(&ticket)?.to_owned(),
            since,
            ticket_hash: Some(events::ticket_hash(&ticket)),
        },
        None => Connect {
            owner: enter(&req, env, Counted::Request).await?.0.owner,
            since,
            ticket_hash: None,
        },
    };
    let mut answer = if stream {
        protocol::open_stream(env, connect).await?
    } else {
        protocol::connect(env, req.headers(), connect).await?
    };
    if answer.status_code() == 101 {
        return Ok(answer);
    }
    if answer.status_code() == 200 {
        // The hub's stream: its headers came back immutable, and the CORS
        // headers are added to every answer; the same stream under a copy.
        let headers = Headers::new();
        for (name, value) in answer.headers().entries() {
            headers.set(&name, &value)?;
        }
        return Ok(answer.with_headers(headers));
    }
    // A refusal from the hub: answered afresh, so its headers can be added to.
    let status = answer.status_code();
    let body = answer.text().await?;
    let mut resp = Response::ok(body)?.with_status(status);
    resp.headers_mut().set("content-type", "application/json")?;
    Ok(resp)
}

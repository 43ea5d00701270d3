//! The live-event channel (`GET /api/v1/events`): its messages, the
//! single-use tickets browsers connect with, the replay decision on reconnect
//! and the bounds of the stored event log. The `JobHub` Durable Object in
//! `edge/` applies these rules; everything here is pure.
//!
//! A connection carries JSON text messages:
//!
//! * server → client: `{"type":"job.updated","seq":N,"job":{…}}`,
//!   `{"type":"job.deleted","seq":N,"job_id":"…"}`, `{"type":"resync","seq":N}`
//!   (events were missed beyond what is stored: reload the job list, then go on
//!   from `seq`), `{"type":"subscribed","jobs":[…]|null}` (the answer to a
//!   subscription) and `{"type":"error","error":{"code","message"}}` (a message
//!   the server could not use; the connection stays open);
//! * client → server: `{"subscribe":[job ids]}` to receive only those jobs,
//!   `{"subscribe":null}` for all of them again, and the text `ping`, which is
//!   answered `pong` without waking a hibernating hub.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contract::api::{ErrorBody, ErrorCode, Job};
use crate::contract::validate::is_job_id;

/// Prefix of every WebSocket ticket.
pub const TICKET_PREFIX: &str = "wst_";
/// Bytes of randomness in a ticket.
pub const TICKET_BYTES: usize = 32;
/// How long a ticket can be used, seconds.
pub const TICKET_TTL_SECS: u64 = 60;
/// Events kept for replay: at most this many…
pub const KEEP_EVENTS: u64 = 1_000;
/// …and none older than this (milliseconds): 24 h.
pub const KEEP_EVENTS_MS: f64 = 24.0 * 3600.0 * 1000.0;
/// Job ids one subscription may name.
pub const MAX_SUBSCRIBED: usize = 1_000;
/// The text a client may send to check the connection, and the answer.
pub const PING: &str = "ping";
pub const PONG: &str = "pong";

/// One message from the hub to a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ServerMessage {
    #[serde(rename = "job.updated")]
    JobUpdated { seq: u64, job: Box<Job> },
    #[serde(rename = "job.deleted")]
    JobDeleted { seq: u64, job_id: String },
    /// A new version of a collection (`crate::contract::collection`).
    #[serde(rename = "collection.updated")]
    CollectionUpdated {
        seq: u64,
        collection: Box<crate::contract::collection::Collection>,
    },
    #[serde(rename = "resync")]
    Resync { seq: u64 },
    /// A waiting job's place in the analysis queue changed. Not numbered,
    /// stored or replayed: the place is not one of the job's versions, and
    /// the next one makes it stale.
    #[serde(rename = "job.queue")]
    Queue {
        job_id: String,
        queue: crate::contract::api::QueueInfo,
    },
    #[serde(rename = "subscribed")]
    Subscribed { jobs: Option<Vec<String>> },
    #[serde(rename = "error")]
    Error { error: ErrorBody },
}

impl ServerMessage {
    /// The event's number, for the events that have one.
    pub fn seq(&self) -> Option<u64> {
        match self {
            ServerMessage::JobUpdated { seq, .. }
            | ServerMessage::JobDeleted { seq, .. }
            | ServerMessage::CollectionUpdated { seq, .. }
            | ServerMessage::Resync { seq } => Some(*seq),
            _ => None,
        }
    }

    /// The job an event is about.
    pub fn job_id(&self) -> Option<&str> {
        match self {
            ServerMessage::JobUpdated { job, .. } => Some(&job.id),
            ServerMessage::JobDeleted { job_id, .. } | ServerMessage::Queue { job_id, .. } => {
                Some(job_id)
            }
            _ => None,
        }
    }

    pub fn to_json(&self) -> String {
        // A derive-only enum of strings, numbers and a Job always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Which jobs a connection hears about: `None` = all of the owner's jobs.
/// Kept in the socket's attachment, so it survives hibernation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub jobs: Option<Vec<String>>,
}

impl Subscription {
    pub fn wants(&self, job_id: &str) -> bool {
        self.jobs
            .as_ref()
            .is_none_or(|jobs| jobs.iter().any(|j| j == job_id))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientMessage {
    subscribe: Option<Vec<String>>,
}

/// Reads a client's text message into the subscription it asks for.
pub fn parse_client_message(text: &str) -> Result<Subscription, ErrorBody> {
    let bad = |m: String| ErrorBody::new(ErrorCode::BadRequest, m);
    let message: ClientMessage = serde_json::from_str(text).map_err(|e| {
        bad(format!(
            "not a message this server understands ({e}); send {{\"subscribe\":[job ids]}} or {{\"subscribe\":null}}"
        ))
    })?;
    let Some(mut jobs) = message.subscribe else {
        return Ok(Subscription { jobs: None });
    };
    if let Some(bad_id) = jobs.iter().find(|id| !is_job_id(id)) {
        return Err(bad(format!("{bad_id:?} is not a job id")));
    }
    jobs.sort();
    jobs.dedup();
    if jobs.len() > MAX_SUBSCRIBED {
        return Err(bad(format!(
            "a subscription names at most {MAX_SUBSCRIBED} jobs ({} given); subscribe to all with null",
            jobs.len()
        )));
    }
    Ok(Subscription { jobs: Some(jobs) })
}

/// What a (re)connecting client is sent before live events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Nothing to catch up on.
    Nothing,
    /// Every stored event with a seq above this one, in order.
    After(u64),
    /// Events after `since` are no longer all stored (or `since` is from
    /// another life of the hub): the client must reload its job list.
    Resync,
}

/// Decides the replay for `?since=`: `latest` is the hub's last seq, `oldest`
/// the first seq still stored (`None` when nothing is stored).
pub fn replay(since: Option<u64>, latest: u64, oldest: Option<u64>) -> Replay {
    let Some(since) = since else {
        return Replay::Nothing;
    };
    if since > latest {
        return Replay::Resync;
    }
    if since == latest {
        return Replay::Nothing;
    }
    match oldest {
        Some(oldest) if oldest <= since + 1 => Replay::After(since),
        _ => Replay::Resync,
    }
}

/// Reads `?since=` (a seq the client has seen).
pub fn parse_since(value: Option<&str>) -> Result<Option<u64>, ErrorBody> {
    value
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                ErrorBody::new(
                    ErrorCode::BadRequest,
                    format!("since={v:?} is not a sequence number (a whole number ≥ 0)"),
                )
            })
        })
        .transpose()
}

/// Stored events to drop after event `latest` was written at `now_ms`: those
/// with a seq at or below the first value, or written before the second.
pub fn prune_floor(latest: u64, now_ms: f64) -> (u64, f64) {
    (latest.saturating_sub(KEEP_EVENTS), now_ms - KEEP_EVENTS_MS)
}

/// `POST /api/v1/events/ticket` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketResponse {
    pub ticket: String,
    /// RFC 3339.
    pub expires_at: String,
}

/// `wst_{owner}.{random}`: the owner part tells the edge which hub checks it;
/// only the hub's stored hash makes it valid.
pub fn make_ticket(owner: &str, random: &[u8; TICKET_BYTES]) -> String {
    format!("{TICKET_PREFIX}{owner}.{}", URL_SAFE_NO_PAD.encode(random))
}

/// What the hub stores for a ticket (never the ticket itself).
pub fn ticket_hash(ticket: &str) -> String {
    hex::encode(Sha256::digest(ticket.as_bytes()))
}

/// The owner a well-formed ticket names; the error says what is wrong.
pub fn ticket_owner(ticket: &str) -> Result<&str, ErrorBody> {
    let malformed = || {
        ErrorBody::new(
            ErrorCode::Unauthorized,
            "the ticket is malformed: get one with POST /api/v1/events/ticket",
        )
    };
    let rest = ticket.strip_prefix(TICKET_PREFIX).ok_or_else(malformed)?;
    let (owner, secret) = rest.split_once('.').ok_or_else(malformed)?;
    let owner_ok = owner.len() == 32 && owner.bytes().all(|b| b.is_ascii_hexdigit());
    let secret_ok = secret.len() == 43 && URL_SAFE_NO_PAD.decode(secret).is_ok();
    if owner_ok && secret_ok {
        Ok(owner)
    } else {
        Err(malformed())
    }
}

/// The answer to an unknown, expired or used ticket.
pub fn ticket_refused() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::Unauthorized,
        "the ticket is unknown, expired or already used: tickets are single-use and last \
         60 s; get a new one with POST /api/v1/events/ticket",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::api::JobState;

    const OWNER: &str = "0123456789abcdef0123456789abcdef";
    const JOB_A: &str = "6f1c1f5e-4b0a-4c1e-9a55-2b1f0c3d4e5f";
    const JOB_B: &str = "7a2d2e6f-5c1b-4d2f-8b66-3c2a1d4e5f60";

    fn job(id: &str) -> Job {
        Job {
            id: id.into(),
            version: 1,
            state: JobState::Processing,
            filename: "a.pdf".into(),
            size_bytes: 10,
            sha256: "00".into(),
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:01.000Z".into(),
            attempt: 1,
            progress: None,
            error: None,
            callback: None,
            warnings: Vec::new(),
            queue: None,
            roles: None,
            columns: None,
            collection: None,
        }
    }

    #[test]
    fn messages_have_the_documented_shape() {
        let updated = ServerMessage::JobUpdated {
            seq: 7,
            job: Box::new(job(JOB_A)),
        };
        let json: serde_json::Value = serde_json::from_str(&updated.to_json()).unwrap();
        assert_eq!(json["type"], "job.updated");
        assert_eq!(json["seq"], 7);
        assert_eq!(json["job"]["id"], JOB_A);
        assert_eq!(updated.seq(), Some(7));
        assert_eq!(updated.job_id(), Some(JOB_A));

        let resync: serde_json::Value =
            serde_json::from_str(&ServerMessage::Resync { seq: 3 }.to_json()).unwrap();
        assert_eq!(resync, serde_json::json!({"type": "resync", "seq": 3}));

        let deleted = ServerMessage::JobDeleted {
            seq: 9,
            job_id: JOB_B.into(),
        };
        let back: ServerMessage = serde_json::from_str(&deleted.to_json()).unwrap();
        assert_eq!(back, deleted);
        assert_eq!(back.job_id(), Some(JOB_B));
    }

    #[test]
    fn subscriptions_filter_by_job() {
        let all = parse_client_message(r#"{"subscribe":null}"#).unwrap();
        assert!(all.wants(JOB_A) && all.wants(JOB_B));
        let one =
            parse_client_message(&format!(r#"{{"subscribe":["{JOB_A}","{JOB_A}"]}}"#)).unwrap();
        assert_eq!(one.jobs, Some(vec![JOB_A.to_owned()]));
        assert!(one.wants(JOB_A));
        assert!(!one.wants(JOB_B));
        let none = parse_client_message(r#"{"subscribe":[]}"#).unwrap();
        assert!(!none.wants(JOB_A));
        assert!(Subscription::default().wants(JOB_B));
    }

    #[test]
    fn bad_client_messages_say_why() {
        for text in [
            "",
            "hello",
            "[]",
            r#"{"subscribe":"all"}"#,
            r#"{"subscribe":["not-a-job"]}"#,
            r#"{"subscribe":[],"extra":1}"#,
            r#"{"unsubscribe":[]}"#,
        ] {
            let err = parse_client_message(text).unwrap_err();
            assert_eq!(err.code, ErrorCode::BadRequest, "{text}");
            assert!(!err.message.is_empty());
        }
        let many: Vec<String> = (0..=MAX_SUBSCRIBED)
            .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
            .collect();
        let text = serde_json::json!({ "subscribe": many }).to_string();
        let err = parse_client_message(&text).unwrap_err();
        assert!(err.message.contains("at most"), "{}", err.message);
    }

    #[test]
    fn replay_covers_exactly_the_gap() {
        // No since: live events only.
        assert_eq!(replay(None, 10, Some(1)), Replay::Nothing);
        // Up to date.
        assert_eq!(replay(Some(10), 10, Some(1)), Replay::Nothing);
        // Missed 6..=10, all stored.
        assert_eq!(replay(Some(5), 10, Some(1)), Replay::After(5));
        // The oldest stored event is exactly the next one.
        assert_eq!(replay(Some(5), 10, Some(6)), Replay::After(5));
        // Event 6 was pruned: cannot replay without a hole.
        assert_eq!(replay(Some(5), 10, Some(7)), Replay::Resync);
        // Nothing stored any more although events happened.
        assert_eq!(replay(Some(5), 10, None), Replay::Resync);
        // A seq from the future (the hub was reset).
        assert_eq!(replay(Some(11), 10, Some(1)), Replay::Resync);
        // A brand-new hub and a client that saw nothing.
        assert_eq!(replay(Some(0), 0, None), Replay::Nothing);
    }

    #[test]
    fn since_must_be_a_number() {
        assert_eq!(parse_since(None).unwrap(), None);
        assert_eq!(parse_since(Some("42")).unwrap(), Some(42));
        for bad in ["", "-1", "1.5", "abc", "99999999999999999999999"] {
            assert_eq!(
                parse_since(Some(bad)).unwrap_err().code,
                ErrorCode::BadRequest
            );
        }
    }

    #[test]
    fn the_log_keeps_a_thousand_events_and_a_day() {
        let now = 1_000_000_000_000.0;
        assert_eq!(prune_floor(5, now).0, 0);
        assert_eq!(prune_floor(1_500, now).0, 500);
        assert_eq!(prune_floor(1_500, now).1, now - 86_400_000.0);
    }

    #[test]
    fn tickets_name_their_owner_and_nothing_else() {
        let ticket = make_ticket(OWNER, &[5; TICKET_BYTES]);
        assert!(ticket.starts_with("wst_"));
        assert_eq!(ticket_owner(&ticket).unwrap(), OWNER);
        assert_eq!(ticket_hash(&ticket).len(), 64);
        assert_ne!(
            ticket_hash(&ticket),
            ticket_hash(&make_ticket(OWNER, &[6; TICKET_BYTES]))
        );
        for bad in [
            "",
            "wst_",
            "dkt_abc",
            &ticket[..ticket.len() - 1],
            &ticket.replace('.', ""),
            &format!("wst_{}.{}", "z".repeat(32), &ticket[37..]),
            &format!("wst_{OWNER}.%%%"),
        ] {
            assert_eq!(
                ticket_owner(bad).unwrap_err().code,
                ErrorCode::Unauthorized,
                "{bad}"
            );
        }
        assert_eq!(ticket_refused().code, ErrorCode::Unauthorized);
    }
}

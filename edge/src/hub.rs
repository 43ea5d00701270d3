//! `JobHub`, the Durable Object (one per owner) through which every job event
//! passes. It
//!
//! * numbers each event with a per-owner, increasing `seq` and keeps the recent
//!   ones (the last 1,000, none older than 24 h) in its SQLite storage for
//!   replay on reconnect (`?since=`);
//! * holds the owner's WebSockets through the **hibernation** API: sockets are
//!   accepted with the owner's id as tag, a socket's subscription lives in its
//!   attachment, and `ping` is answered `pong` by the runtime, so an idle hub
//!   is evicted from memory and woken only by an event or a client message;
//! * checks single-use WebSocket tickets (stored hashed, 60 s);
//! * delivers the owner's webhooks: events handed over by the `webhooks`
//!   queue wait in its outbox and go out from its alarm, all due ones at once;
//!   it keeps the owner's webhook secrets (current, and the previous one during
//!   a rotation's grace period), each job's delivery log and which jobs'
//!   callbacks a receiver disabled with 410 — strongly consistent, where KV
//!   would race the webhook deliveries against the analysis consumer;
//! * counts the owner's requests against the rate limits and checks the
//!   quotas at upload, with a reservation for each upload in flight;
//! * keeps the owner's job index, which serves `GET /jobs` newest first with
//!   stable cursors and strong consistency (KV listing is eventually
//!   consistent); deleted jobs are remembered so that a late event cannot bring
//!   one back;
//! * serves the long-poll (`GET /jobs/{id}?wait=N`): a waiter parks until the
//!   next event of its job or its timeout, and a change that raced ahead of it
//!   is found in the index and answered at once.
//!
//! Each request is handled without awaiting between reading and writing its
//! storage, so events are numbered, stored and pushed in one uninterrupted step:
//! a socket never sees seq N+1 before N, and a replay never overlaps a live
//! event. The rules (replay, subscriptions, tickets, pruning) are in
//! `shared::events`; this is the adapter to the platform.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::future::{Either, join_all, select};
use serde::{Deserialize, Serialize};
use shared::api::{Delivery, DeliveryOutcome, ErrorBody, ErrorCode, Job};
use shared::events::{self, PING, PONG, Replay, ServerMessage, Subscription};
use shared::listing::{self, JobList, Query};
use shared::poll::is_newer;
use shared::ratelimit::{self, Decision, Quotas, Rule, Usage};
use shared::webhooks::Secrets;
use worker::{
    Delay, DurableObject, Env, Method, Request, Response, ResponseBuilder, Result, ScheduledTime,
    SqlCursor, SqlStorageValue, State, WebSocket, WebSocketIncomingMessage, WebSocketPair,
    console_error, console_warn, durable_object, wasm_bindgen,
    worker_sys::WebSocketRequestResponsePair,
};

use crate::config::Config;
use crate::error::{AppError, error_response};
use crate::limiter::{self, Hit};
use crate::util::{now_ms, random_bytes};
use crate::webhooks::{self, Outgoing};

/// The hub's schema; run when the object starts.
const SCHEMA: [&str; 13] = [
    "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, \
     updated_at TEXT NOT NULL, state TEXT NOT NULL, job TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS jobs_newest ON jobs (created_at DESC, id DESC)",
    "CREATE TABLE IF NOT EXISTS deleted (id TEXT PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, at_ms REAL NOT NULL, \
     body TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tickets (hash TEXT PRIMARY KEY, expires_ms REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS deliveries (job_id TEXT NOT NULL, event_id TEXT NOT NULL, \
     attempt INTEGER NOT NULL, at TEXT NOT NULL, delivery TEXT NOT NULL, \
     PRIMARY KEY (job_id, event_id, attempt))",
    "CREATE TABLE IF NOT EXISTS disabled_callbacks (job_id TEXT PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS outbox (event_id TEXT PRIMARY KEY, job_id TEXT NOT NULL, \
     url TEXT NOT NULL, body TEXT NOT NULL, attempt INTEGER NOT NULL, due_ms REAL NOT NULL)",
    crate::limiter::SCHEMA,
    "CREATE TABLE IF NOT EXISTS reservations (id TEXT PRIMARY KEY, bytes INTEGER NOT NULL, \
     expires_ms REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS result_sizes (id TEXT PRIMARY KEY, bytes INTEGER NOT NULL)",
];

/// An upload admitted but not yet a job holds its place this long.
const RESERVATION_MS: f64 = 10.0 * 60.0 * 1000.0;

/// Webhook events delivered per alarm, at once.
const OUTBOX_BATCH: i64 = 50;
/// An event being delivered is not due again before this (longer than the
/// delivery timeout), so a crashed alarm's deliveries are retried.
const OUTBOX_LEASE_MS: f64 = 30_000.0;

/// A long-poll request from the edge to the hub.
#[derive(Debug, Serialize, Deserialize)]
pub struct WaitRequest {
    pub job_id: String,
    /// The `updated_at` of the version the caller has.
    pub seen_updated_at: String,
    pub timeout_ms: u64,
}

/// `POST /publish`: a job changed.
#[derive(Debug, Serialize, Deserialize)]
pub struct Publish {
    pub owner: String,
    pub job: Job,
}

/// `POST /forget`: a job was deleted.
#[derive(Debug, Serialize, Deserialize)]
pub struct Forget {
    pub owner: String,
    pub job_id: String,
}

/// `POST /ticket`: remember a ticket (by its hash) until it expires.
#[derive(Debug, Serialize, Deserialize)]
pub struct TicketGrant {
    pub hash: String,
    pub expires_ms: f64,
}

/// Header of `GET /connect` carrying [`Connect`] as JSON.
pub const CONNECT_HEADER: &str = "x-docket-connect";

/// What `GET /connect` is for, built by the edge after it authenticated the
/// caller (`ticket_hash` is set when a ticket is still to be checked here).
#[derive(Debug, Serialize, Deserialize)]
pub struct Connect {
    pub owner: String,
    pub since: Option<u64>,
    pub ticket_hash: Option<String>,
}

/// `POST /secrets/init`: the owner's first webhook secret (kept if one exists).
#[derive(Debug, Serialize, Deserialize)]
pub struct SecretInit {
    pub secret: String,
}

/// `POST /secrets/rotate`: a new current secret; the old one signs until
/// `now_ms + grace_ms`.
#[derive(Debug, Serialize, Deserialize)]
pub struct SecretRotate {
    pub secret: String,
    pub now_ms: f64,
    pub grace_ms: f64,
}

/// A job, for the delivery routes.
#[derive(Debug, Serialize, Deserialize)]
pub struct JobRef {
    pub job_id: String,
}

/// One attempt's outcome, for the job's log.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    job_id: String,
    delivery: Delivery,
}

/// A job's delivery log and whether its callback is disabled.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CallbackLog {
    pub deliveries: Vec<Delivery>,
    pub disabled: bool,
}

/// `POST /admit`: may this owner upload `bytes` more, as job `job_id`?
#[derive(Debug, Serialize, Deserialize)]
pub struct Admit {
    pub job_id: String,
    pub bytes: u64,
    pub rules: Vec<Rule>,
    pub quotas: Quotas,
}

/// The answer to [`Admit`]: the rate decision and, when a quota is full, the
/// refusal and its `Retry-After`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Admission {
    pub rate: Decision,
    pub quota: Option<(ErrorBody, u32)>,
}

/// `POST /result-size`: the bytes of a job's stored report.
#[derive(Debug, Serialize, Deserialize)]
pub struct ResultSize {
    pub job_id: String,
    pub bytes: u64,
}

/// `GET /debug` (test hooks only): which instance answers and its sockets, to
/// observe hibernation.
#[derive(Debug, Serialize, Deserialize)]
pub struct Debug {
    pub instance: String,
    pub sockets: usize,
    pub seq: u64,
}

/// What the index made of a published version.
#[derive(Debug, PartialEq, Eq)]
enum Indexed {
    /// The newest version: an event.
    Fresh,
    /// Older than what the index has (a publish that lost a race): no event.
    Stale,
    /// The job was deleted: nobody hears of it again.
    Deleted,
}

#[derive(Deserialize)]
struct JobRow {
    job: String,
}

#[derive(Deserialize)]
struct UpdatedRow {
    updated_at: String,
}

#[derive(Deserialize)]
struct BodyRow {
    body: String,
}

#[derive(Deserialize)]
struct DeliveryRow {
    delivery: String,
}

#[derive(Deserialize)]
struct TextRow {
    value: String,
}

#[derive(Deserialize)]
struct ValueRow {
    value: Option<f64>,
}

#[derive(Deserialize)]
struct OutboxRow {
    event_id: String,
    job_id: String,
    url: String,
    body: String,
    attempt: f64,
}

#[durable_object]
pub struct JobHub {
    state: State,
    env: Env,
    /// Random per construction: a new value after the object was evicted.
    instance: String,
    waiters: RefCell<HashMap<String, Vec<oneshot::Sender<Job>>>>,
}

impl JobHub {
    fn sql(&self, query: &str, bindings: Vec<SqlStorageValue>) -> Result<SqlCursor> {
        self.state.storage().sql().exec(query, Some(bindings))
    }

    /// One number from a query answering a `value` column (NULL → None).
    fn number(&self, query: &str, bindings: Vec<SqlStorageValue>) -> Result<Option<f64>> {
        Ok(self
            .sql(query, bindings)?
            .to_array::<ValueRow>()?
            .first()
            .and_then(|r| r.value))
    }

    fn latest_seq(&self) -> Result<u64> {
        Ok(self
            .number("SELECT value FROM counters WHERE name = 'seq'", vec![])?
            .map_or(0, |v| v as u64))
    }

    fn is_deleted(&self, job_id: &str) -> Result<bool> {
        Ok(!self
            .sql("SELECT id FROM deleted WHERE id = ?", vec![job_id.into()])?
            .to_array::<serde_json::Value>()?
            .is_empty())
    }

    /// The index's version of a job.
    fn indexed(&self, job_id: &str) -> Result<Option<Job>> {
        let rows = self
            .sql("SELECT job FROM jobs WHERE id = ?", vec![job_id.into()])?
            .to_array::<JobRow>()?;
        Ok(rows.first().and_then(|r| serde_json::from_str(&r.job).ok()))
    }

    /// Adds or updates the job in the index, never an older version over a
    /// newer one and never a deleted job.
    fn index(&self, job: &Job) -> Result<Indexed> {
        if self.is_deleted(&job.id)? {
            return Ok(Indexed::Deleted);
        }
        let current = self
            .sql(
                "SELECT updated_at FROM jobs WHERE id = ?",
                vec![job.id.clone().into()],
            )?
            .to_array::<UpdatedRow>()?;
        if current
            .first()
            .is_some_and(|row| job.updated_at < row.updated_at)
        {
            return Ok(Indexed::Stale);
        }
        self.sql(
            "INSERT INTO jobs (id, created_at, updated_at, state, job) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, \
             state = excluded.state, job = excluded.job",
            vec![
                job.id.clone().into(),
                job.created_at.clone().into(),
                job.updated_at.clone().into(),
                job.state.as_str().into(),
                serde_json::to_string(job)?.into(),
            ],
        )?;
        Ok(Indexed::Fresh)
    }

    fn list(&self, query: &Query) -> Result<JobList> {
        let state = query
            .state
            .map_or(SqlStorageValue::Null, |s| s.as_str().into());
        let (after_created, after_id) = match &query.after {
            Some(c) => (c.created_at.clone().into(), c.id.clone().into()),
            None => (SqlStorageValue::Null, SqlStorageValue::Null),
        };
        let rows = self
            .sql(
                "SELECT job FROM jobs WHERE (? IS NULL OR state = ?) \
                 AND (? IS NULL OR created_at < ? OR (created_at = ? AND id < ?)) \
                 ORDER BY created_at DESC, id DESC LIMIT ?",
                vec![
                    state.clone(),
                    state,
                    after_created.clone(),
                    after_created.clone(),
                    after_created,
                    after_id,
                    i64::from(query.limit + 1).into(),
                ],
            )?
            .to_array::<JobRow>()?;
        let jobs = rows
            .iter()
            .filter_map(|r| serde_json::from_str::<Job>(&r.job).ok())
            .map(|job| self.with_log(job))
            .collect::<Result<Vec<_>>>()?;
        Ok(listing::page(jobs, query.limit))
    }

    /// Numbers an event, stores it (pruning the log) and pushes it to the
    /// owner's sockets that want it. Synchronous on purpose: see the module doc.
    fn emit(&self, owner: &str, job_id: &str, event: impl FnOnce(u64) -> ServerMessage) {
        let body = match self.store_event(event) {
            Ok(body) => body,
            Err(e) => {
                console_error!("JobHub: storing an event failed: {e}");
                return;
            }
        };
        for ws in self.state.get_websockets_with_tag(owner) {
            let wants = ws
                .deserialize_attachment::<Subscription>()
                .ok()
                .flatten()
                .unwrap_or_default()
                .wants(job_id);
            if wants {
                // A socket that is closing cannot take the event; its client
                // reconnects with `since` and gets it from the log.
                let _ = ws.send_with_str(&body);
            }
        }
    }

    fn store_event(&self, event: impl FnOnce(u64) -> ServerMessage) -> Result<String> {
        let seq = self.latest_seq()? + 1;
        let body = event(seq).to_json();
        let now = now_ms();
        self.sql(
            "INSERT INTO counters (name, value) VALUES ('seq', ?) \
             ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            vec![(seq as i64).into()],
        )?;
        self.sql(
            "INSERT INTO events (seq, at_ms, body) VALUES (?, ?, ?)",
            vec![(seq as i64).into(), now.into(), body.clone().into()],
        )?;
        let (seq_floor, time_floor) = events::prune_floor(seq, now);
        self.sql(
            "DELETE FROM events WHERE seq <= ? OR at_ms < ?",
            vec![(seq_floor as i64).into(), time_floor.into()],
        )?;
        Ok(body)
    }

    fn publish(&self, publish: Publish) -> Result<()> {
        let Publish { owner, job } = publish;
        if self.index(&job)? != Indexed::Fresh {
            return Ok(());
        }
        self.sql(
            "DELETE FROM reservations WHERE id = ?",
            vec![job.id.clone().into()],
        )?;
        self.wake_waiters(&job);
        let id = job.id.clone();
        self.emit(&owner, &id, |seq| ServerMessage::JobUpdated {
            seq,
            job: Box::new(job),
        });
        Ok(())
    }

    fn forget(&self, forget: Forget) -> Result<()> {
        let Forget { owner, job_id } = forget;
        let known = self.indexed(&job_id)?.is_some();
        self.sql("DELETE FROM jobs WHERE id = ?", vec![job_id.clone().into()])?;
        self.sql(
            "INSERT OR IGNORE INTO deleted (id) VALUES (?)",
            vec![job_id.clone().into()],
        )?;
        self.sql(
            "DELETE FROM deliveries WHERE job_id = ?",
            vec![job_id.clone().into()],
        )?;
        self.sql(
            "DELETE FROM disabled_callbacks WHERE job_id = ?",
            vec![job_id.clone().into()],
        )?;
        self.sql(
            "DELETE FROM outbox WHERE job_id = ?",
            vec![job_id.clone().into()],
        )?;
        self.sql(
            "DELETE FROM result_sizes WHERE id = ?",
            vec![job_id.clone().into()],
        )?;
        if known {
            let id = job_id.clone();
            self.emit(&owner, &id, |seq| ServerMessage::JobDeleted { seq, job_id });
        }
        Ok(())
    }

    fn grant_ticket(&self, grant: TicketGrant) -> Result<()> {
        self.sql(
            "DELETE FROM tickets WHERE expires_ms < ?",
            vec![now_ms().into()],
        )?;
        self.sql(
            "INSERT OR REPLACE INTO tickets (hash, expires_ms) VALUES (?, ?)",
            vec![grant.hash.into(), grant.expires_ms.into()],
        )?;
        Ok(())
    }

    /// Uses up a ticket: true when it existed and had not expired.
    fn redeem_ticket(&self, hash: &str) -> Result<bool> {
        let expires = self.number(
            "SELECT expires_ms AS value FROM tickets WHERE hash = ?",
            vec![hash.into()],
        )?;
        self.sql("DELETE FROM tickets WHERE hash = ?", vec![hash.into()])?;
        Ok(expires.is_some_and(|at| at >= now_ms()))
    }

    /// Accepts a socket for the owner and sends it what it missed.
    fn accept(&self, connect: Connect) -> std::result::Result<Response, AppError> {
        if let Some(hash) = &connect.ticket_hash
            && !self.redeem_ticket(hash)?
        {
            return Err(events::ticket_refused().into());
        }
        let latest = self.latest_seq()?;
        let oldest = self
            .number("SELECT MIN(seq) AS value FROM events", vec![])?
            .map(|v| v as u64);
        let pair = WebSocketPair::new()?;
        self.state
            .accept_websocket_with_tags(&pair.server, &[connect.owner.as_str()]);
        pair.server.serialize_attachment(Subscription::default())?;
        match events::replay(connect.since, latest, oldest) {
            Replay::Nothing => {}
            Replay::Resync => {
                pair.server
                    .send_with_str(ServerMessage::Resync { seq: latest }.to_json())?;
            }
            Replay::After(since) => {
                let missed = self
                    .sql(
                        "SELECT body FROM events WHERE seq > ? ORDER BY seq",
                        vec![(since as i64).into()],
                    )?
                    .to_array::<BodyRow>()?;
                for event in missed {
                    pair.server.send_with_str(&event.body)?;
                }
            }
        }
        Ok(ResponseBuilder::new()
            .with_status(101)
            .with_websocket(pair.client)
            .empty())
    }

    fn secrets(&self) -> Result<Option<Secrets>> {
        let rows = self
            .sql("SELECT value FROM settings WHERE name = 'secrets'", vec![])?
            .to_array::<TextRow>()?;
        Ok(rows
            .first()
            .and_then(|r| serde_json::from_str(&r.value).ok()))
    }

    fn put_secrets(&self, secrets: &Secrets) -> Result<()> {
        self.sql(
            "INSERT INTO settings (name, value) VALUES ('secrets', ?) \
             ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            vec![serde_json::to_string(secrets)?.into()],
        )?;
        Ok(())
    }

    fn init_secrets(&self, init: SecretInit) -> Result<()> {
        if self.secrets()?.is_none() {
            self.put_secrets(&Secrets::new(init.secret))?;
        }
        Ok(())
    }

    fn rotate_secrets(&self, rotate: SecretRotate) -> Result<Secrets> {
        let mut secrets = self
            .secrets()?
            .unwrap_or_else(|| Secrets::new(rotate.secret.clone()));
        secrets.rotate(rotate.secret, rotate.now_ms, rotate.grace_ms);
        self.put_secrets(&secrets)?;
        Ok(secrets)
    }

    fn is_disabled(&self, job_id: &str) -> Result<bool> {
        Ok(!self
            .sql(
                "SELECT job_id FROM disabled_callbacks WHERE job_id = ?",
                vec![job_id.into()],
            )?
            .to_array::<serde_json::Value>()?
            .is_empty())
    }

    fn record(&self, record: Record) -> Result<()> {
        if self.is_deleted(&record.job_id)? {
            return Ok(());
        }
        let d = &record.delivery;
        self.sql(
            "INSERT OR REPLACE INTO deliveries (job_id, event_id, attempt, at, delivery) \
             VALUES (?, ?, ?, ?, ?)",
            vec![
                record.job_id.clone().into(),
                d.event_id.clone().into(),
                i64::from(d.attempt).into(),
                d.at.clone().into(),
                serde_json::to_string(d)?.into(),
            ],
        )?;
        if d.outcome == DeliveryOutcome::Disabled {
            self.sql(
                "INSERT OR IGNORE INTO disabled_callbacks (job_id) VALUES (?)",
                vec![record.job_id.clone().into()],
            )?;
        }
        Ok(())
    }

    /// Takes a webhook event into the outbox, due now (an event already
    /// there keeps its place and attempt count).
    fn outbox_add(&self, event: Outgoing) -> Result<()> {
        if self.is_deleted(&event.job_id)? {
            return Ok(());
        }
        self.sql(
            "INSERT OR IGNORE INTO outbox (event_id, job_id, url, body, attempt, due_ms) \
             VALUES (?, ?, ?, ?, 1, ?)",
            vec![
                event.event_id.into(),
                event.job_id.into(),
                event.url.into(),
                event.body.into(),
                now_ms().into(),
            ],
        )?;
        Ok(())
    }

    /// Sets the alarm for the outbox's next due event (if sooner than the
    /// one set).
    async fn schedule_alarm(&self) -> Result<()> {
        let Some(due) = self.number("SELECT MIN(due_ms) AS value FROM outbox", vec![])? else {
            return Ok(());
        };
        let storage = self.state.storage();
        let set = storage.get_alarm().await?;
        if set.is_none_or(|at| at as f64 > due) {
            let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(due.max(now_ms())));
            storage.set_alarm(ScheduledTime::new(at)).await?;
        }
        Ok(())
    }

    /// Delivers the due events of the outbox, all at once.
    async fn deliver_due(&self) -> Result<()> {
        let now = now_ms();
        let due = self
            .sql(
                "SELECT event_id, job_id, url, body, attempt FROM outbox WHERE due_ms <= ? \
                 ORDER BY due_ms LIMIT ?",
                vec![now.into(), OUTBOX_BATCH.into()],
            )?
            .to_array::<OutboxRow>()?;
        for row in &due {
            self.sql(
                "UPDATE outbox SET due_ms = ? WHERE event_id = ?",
                vec![(now + OUTBOX_LEASE_MS).into(), row.event_id.clone().into()],
            )?;
        }
        let config = Config::from_env(&self.env);
        let results = join_all(due.into_iter().map(|row| self.deliver_one(&config, row))).await;
        for result in results {
            if let Err(e) = result {
                console_error!("JobHub: a webhook delivery could not be recorded: {e}");
            }
        }
        Ok(())
    }

    async fn deliver_one(&self, config: &Config, row: OutboxRow) -> Result<()> {
        let drop_it = self.is_deleted(&row.job_id)? || self.is_disabled(&row.job_id)?;
        if drop_it {
            self.sql(
                "DELETE FROM outbox WHERE event_id = ?",
                vec![row.event_id.into()],
            )?;
            return Ok(());
        }
        let secrets: Vec<String> = self
            .secrets()?
            .map(|s| s.signing(now_ms()).into_iter().map(str::to_owned).collect())
            .unwrap_or_default();
        let attempt = row.attempt as u32;
        let event = Outgoing {
            job_id: row.job_id,
            event_id: row.event_id,
            url: row.url,
            body: row.body,
        };
        let attempted = webhooks::attempt(config, &secrets, &event, attempt).await;
        match attempted.next_delay {
            Some(delay) => self.sql(
                "UPDATE outbox SET attempt = ?, due_ms = ? WHERE event_id = ?",
                vec![
                    i64::from(attempt + 1).into(),
                    (now_ms() + f64::from(delay) * 1000.0).into(),
                    event.event_id.clone().into(),
                ],
            )?,
            None => self.sql(
                "DELETE FROM outbox WHERE event_id = ?",
                vec![event.event_id.clone().into()],
            )?,
        };
        self.record(Record {
            job_id: event.job_id,
            delivery: attempted.delivery,
        })
    }

    /// What the owner holds now, uploads in flight included.
    fn usage(&self) -> Result<Usage> {
        self.sql(
            "DELETE FROM reservations WHERE expires_ms < ?",
            vec![now_ms().into()],
        )?;
        let n =
            |query: &str| -> Result<u64> { Ok(self.number(query, vec![])?.unwrap_or(0.0) as u64) };
        let reserved = n("SELECT COUNT(*) AS value FROM reservations")?;
        Ok(Usage {
            active_jobs: (n("SELECT COUNT(*) AS value FROM jobs \
                             WHERE state IN ('uploaded', 'processing')")?
                + reserved) as u32,
            jobs: (n("SELECT COUNT(*) AS value FROM jobs")? + reserved) as u32,
            stored_bytes: n("SELECT SUM(json_extract(job, '$.size_bytes')) AS value FROM jobs")?
                + n("SELECT SUM(bytes) AS value FROM result_sizes")?
                + n("SELECT SUM(bytes) AS value FROM reservations")?,
        })
    }

    /// The quotas first, then the upload rate (a refusal by either counts
    /// nothing); an admitted upload holds its place until its job is
    /// published (or released, or 10 minutes pass).
    fn admit(&self, admit: Admit) -> Result<Admission> {
        let sql = self.state.storage().sql();
        if let Err(quota) = ratelimit::admit(&admit.quotas, &self.usage()?, admit.bytes) {
            let rate = limiter::peek(&sql, "uploads", &admit.rules)?;
            return Ok(Admission {
                rate,
                quota: Some(quota),
            });
        }
        let rate = limiter::hit(&sql, "uploads", &admit.rules)?;
        if rate.allowed {
            self.sql(
                "INSERT OR REPLACE INTO reservations (id, bytes, expires_ms) VALUES (?, ?, ?)",
                vec![
                    admit.job_id.into(),
                    (admit.bytes as i64).into(),
                    (now_ms() + RESERVATION_MS).into(),
                ],
            )?;
        }
        Ok(Admission { rate, quota: None })
    }

    fn log(&self, job_id: &str) -> Result<CallbackLog> {
        let deliveries = self
            .sql(
                "SELECT delivery FROM deliveries WHERE job_id = ? ORDER BY at, attempt",
                vec![job_id.into()],
            )?
            .to_array::<DeliveryRow>()?
            .iter()
            .filter_map(|r| serde_json::from_str(&r.delivery).ok())
            .collect();
        Ok(CallbackLog {
            deliveries,
            disabled: self.is_disabled(job_id)?,
        })
    }

    /// The job with its callback's delivery log filled in.
    fn with_log(&self, mut job: Job) -> Result<Job> {
        if let Some(callback) = &mut job.callback {
            let log = self.log(&job.id)?;
            callback.deliveries = log.deliveries;
            callback.disabled = log.disabled;
        }
        Ok(job)
    }

    /// Wakes the long-pollers of a job.
    fn wake_waiters(&self, job: &Job) {
        let waiters = self
            .waiters
            .borrow_mut()
            .remove(&job.id)
            .unwrap_or_default();
        for waiter in waiters {
            let _ = waiter.send(job.clone());
        }
    }

    async fn wait(&self, request: WaitRequest) -> Result<Response> {
        let newer = self
            .indexed(&request.job_id)?
            .filter(|j| is_newer(j, &request.seen_updated_at));
        if let Some(job) = newer {
            return Response::from_json(&self.with_log(job)?);
        }
        let (tx, rx) = oneshot::channel();
        {
            let mut waiters = self.waiters.borrow_mut();
            let list = waiters.entry(request.job_id.clone()).or_default();
            list.retain(|w| !w.is_canceled());
            list.push(tx);
        }
        let timeout = Delay::from(Duration::from_millis(request.timeout_ms));
        match select(rx, timeout).await {
            Either::Left((Ok(job), _)) => Response::from_json(&self.with_log(job)?),
            _ => Ok(Response::empty()?.with_status(204)),
        }
    }

    /// Answers a client's text message (a subscription) on its socket.
    fn on_message(&self, ws: &WebSocket, text: &str) -> Result<()> {
        let answer = match events::parse_client_message(text) {
            Ok(subscription) => {
                ws.serialize_attachment(&subscription)?;
                ServerMessage::Subscribed {
                    jobs: subscription.jobs,
                }
            }
            Err(error) => ServerMessage::Error { error },
        };
        ws.send_with_str(answer.to_json())
    }
}

impl DurableObject for JobHub {
    fn new(state: State, env: Env) -> Self {
        for statement in SCHEMA {
            if let Err(e) = state.storage().sql().exec(statement, None) {
                console_error!("JobHub schema: {e}");
            }
        }
        match WebSocketRequestResponsePair::new(PING, PONG) {
            Ok(pair) => state.set_websocket_auto_response(&pair),
            Err(e) => console_warn!("JobHub: no ping auto-response: {e:?}"),
        }
        let instance = random_bytes::<8>().map(hex::encode).unwrap_or_default();
        JobHub {
            state,
            env,
            instance,
            waiters: RefCell::new(HashMap::new()),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/wait") => {
                let request: WaitRequest = req.json().await?;
                self.wait(request).await
            }
            (Method::Post, "/list") => {
                let query: Query = req.json().await?;
                Response::from_json(&self.list(&query)?)
            }
            (Method::Post, "/forget") => {
                self.forget(req.json().await?)?;
                Ok(Response::empty()?.with_status(204))
            }
            (Method::Post, "/publish") => {
                self.publish(req.json().await?)?;
                Ok(Response::empty()?.with_status(204))
            }
            (Method::Post, "/ticket") => {
                self.grant_ticket(req.json().await?)?;
                Ok(Response::empty()?.with_status(204))
            }
            (Method::Get, "/connect") => {
                let header = req.headers().get(CONNECT_HEADER)?.unwrap_or_default();
                let connect: Connect = serde_json::from_str(&header)?;
                Ok(self.accept(connect).unwrap_or_else(AppError::into_response))
            }
            (Method::Post, "/secrets/init") => {
                self.init_secrets(req.json().await?)?;
                Ok(Response::empty()?.with_status(204))
            }
            (Method::Post, "/secrets/rotate") => {
                Response::from_json(&self.rotate_secrets(req.json().await?)?)
            }
            (Method::Get, "/secrets") => Response::from_json(&self.secrets()?),
            (Method::Post, "/outbox/add") => {
                self.outbox_add(req.json().await?)?;
                self.schedule_alarm().await?;
                Ok(Response::empty()?.with_status(204))
            }
            (Method::Post, "/job") => {
                let job: JobRef = req.json().await?;
                let indexed = match self.indexed(&job.job_id)? {
                    Some(job) => Some(self.with_log(job)?),
                    None => None,
                };
                Response::from_json(&indexed)
            }
            (Method::Post, "/limit") => {
                let asked: Hit = req.json().await?;
                Response::from_json(&limiter::hit(
                    &self.state.storage().sql(),
                    &asked.key,
                    &asked.rules,
                )?)
            }
            (Method::Post, "/admit") => Response::from_json(&self.admit(req.json().await?)?),
            (Method::Post, "/release") => {
                let job: JobRef = req.json().await?;
                self.sql(
                    "DELETE FROM reservations WHERE id = ?",
                    vec![job.job_id.into()],
                )?;
                Ok(Response::empty()?.with_status(204))
            }
            (Method::Post, "/result-size") => {
                let size: ResultSize = req.json().await?;
                if !self.is_deleted(&size.job_id)? {
                    self.sql(
                        "INSERT OR REPLACE INTO result_sizes (id, bytes) VALUES (?, ?)",
                        vec![size.job_id.into(), (size.bytes as i64).into()],
                    )?;
                }
                Ok(Response::empty()?.with_status(204))
            }
            (Method::Get, "/debug") => Response::from_json(&Debug {
                instance: self.instance.clone(),
                sockets: self.state.get_websockets().len(),
                seq: self.latest_seq()?,
            }),
            _ => Ok(error_response(shared::api::ErrorBody::new(
                ErrorCode::NotFound,
                "no such hub route",
            ))),
        }
    }

    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> Result<()> {
        match message {
            WebSocketIncomingMessage::String(text) => self.on_message(&ws, &text),
            WebSocketIncomingMessage::Binary(_) => ws.send_with_str(
                ServerMessage::Error {
                    error: shared::api::ErrorBody::new(
                        ErrorCode::BadRequest,
                        "binary messages are not understood; send JSON text",
                    ),
                }
                .to_json(),
            ),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        if let Err(e) = self.deliver_due().await {
            console_error!("JobHub: delivering webhooks failed: {e}");
        }
        self.schedule_alarm().await?;
        Response::empty()
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        code: usize,
        reason: String,
        _was_clean: bool,
    ) -> Result<()> {
        let code = u16::try_from(code).unwrap_or(1000);
        // 1005/1006 cannot be sent back; answer a normal close instead.
        let code = if matches!(code, 1005 | 1006) {
            1000
        } else {
            code
        };
        let _ = ws.close(Some(code), Some(reason));
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, error: worker::Error) -> Result<()> {
        console_warn!("JobHub: a socket failed: {error}");
        Ok(())
    }
}

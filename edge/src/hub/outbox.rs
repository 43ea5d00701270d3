//! The owner's webhooks: the secrets (current, and the previous one during a
//! rotation's grace period), the outbox of events waiting for delivery, each
//! job's delivery log and which jobs' callbacks a receiver disabled with 410 —
//! strongly consistent, where KV would race the deliveries against the
//! analysis consumer. Events handed over by the `webhooks` queue wait here and
//! go out from the hub's alarm, all due ones at once ([`deliver_due`]); what
//! each answer means is `shared::delivery::webhooks::judge`'s call. The owner's
//! settings decide which states are announced ([`add`]); an event whose
//! delivery failed after the whole schedule, or whose receiver disabled its
//! callback, stays (`failed`, `disabled`) until its job is deleted, so a
//! [`replay`] can send it again under its own id.

use futures_util::future::join_all;
use serde::Deserialize;
use shared::contract::api::{Delivery, DeliveryOutcome, Job};
use shared::delivery::oplog::{LogLine, What};
use shared::delivery::webhook_ops::{Replayed, Settings, Standing, announced_state};
use shared::delivery::webhooks::Secrets;
use worker::console_error;

use super::index;
use super::sender;
use crate::config::Config;
use crate::error::AppResult;
use crate::objects::db::Db;
use crate::objects::protocol::{InitSecrets, Outgoing, RotateSecrets};
use crate::util::{log, now_ms};

/// Webhook events delivered per alarm, at once.
const BATCH: i64 = 50;
/// An event being delivered is not due again before this (longer than the
/// delivery timeout), so a crashed alarm's deliveries are retried.
const LEASE_MS: f64 = 30_000.0;

#[derive(Deserialize)]
struct TextRow {
    value: String,
}

#[derive(Deserialize)]
struct DeliveryRow {
    delivery: String,
}

#[derive(Deserialize)]
struct OutboxRow {
    event_id: String,
    job_id: String,
    url: String,
    body: String,
    attempt: f64,
    base_attempt: f64,
}

/// The owner's webhook settings (every state announced until set).
pub fn settings(db: &Db) -> AppResult<Settings> {
    let rows: Vec<TextRow> = db.rows(
        "SELECT value FROM settings WHERE name = 'webhook_events'",
        vec![],
    )?;
    Ok(rows
        .first()
        .and_then(|r| serde_json::from_str(&r.value).ok())
        .unwrap_or_default())
}

pub fn put_settings(db: &Db, settings: &Settings) -> AppResult<()> {
    db.exec(
        "INSERT INTO settings (name, value) VALUES ('webhook_events', ?) \
         ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        vec![serde_json::to_string(settings)?.into()],
    )
}

/// Makes every event created since `since_ms` whose delivery has not
/// succeeded due now, under its own id, from the first step of the schedule
/// (its attempts keep counting in the log); a callback its receiver had
/// disabled is enabled again. How many.
pub fn replay(db: &Db, since_ms: f64) -> AppResult<Replayed> {
    let now = now_ms();
    let count = db
        .number(
            "SELECT COUNT(*) AS value FROM outbox WHERE created_ms >= ?",
            vec![since_ms.into()],
        )?
        .unwrap_or(0.0);
    db.exec(
        "DELETE FROM disabled_callbacks WHERE job_id IN \
         (SELECT job_id FROM outbox WHERE created_ms >= ? AND standing = 'disabled')",
        vec![since_ms.into()],
    )?;
    // The last attempt of a finished event was made; a pending one's next
    // attempt is still to be made.
    db.exec(
        "UPDATE outbox SET attempt = attempt + 1, base_attempt = attempt, \
         standing = 'pending', due_ms = ? WHERE created_ms >= ? AND standing != 'pending'",
        vec![now.into(), since_ms.into()],
    )?;
    db.exec(
        "UPDATE outbox SET base_attempt = attempt - 1, due_ms = ? \
         WHERE created_ms >= ? AND standing = 'pending'",
        vec![now.into(), since_ms.into()],
    )?;
    Ok(Replayed {
        replayed: count as u32,
    })
}

pub fn secrets(db: &Db) -> AppResult<Option<Secrets>> {
    let rows: Vec<TextRow> =
        db.rows("SELECT value FROM settings WHERE name = 'secrets'", vec![])?;
    Ok(rows
        .first()
        .and_then(|r| serde_json::from_str(&r.value).ok()))
}

fn put_secrets(db: &Db, secrets: &Secrets) -> AppResult<()> {
    db.exec(
        "INSERT INTO settings (name, value) VALUES ('secrets', ?) \
         ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        vec![serde_json::to_string(secrets)?.into()],
    )
}

pub fn init_secrets(db: &Db, init: InitSecrets) -> AppResult<()> {
    if secrets(db)?.is_none() {
        put_secrets(db, &Secrets::new(init.secret))?;
    }
    Ok(())
}

pub fn rotate_secrets(db: &Db, rotate: RotateSecrets) -> AppResult<Secrets> {
    let mut secrets = secrets(db)?.unwrap_or_else(|| Secrets::new(rotate.secret.clone()));
    secrets.rotate(rotate.secret, rotate.now_ms, rotate.grace_ms);
    put_secrets(db, &secrets)?;
    Ok(secrets)
}

fn is_disabled(db: &Db, job_id: &str) -> AppResult<bool> {
    db.exists(
        "SELECT job_id FROM disabled_callbacks WHERE job_id = ?",
        vec![job_id.into()],
    )
}

/// Adds one attempt to the job's log.
fn record(db: &Db, job_id: &str, d: &Delivery) -> AppResult<()> {
    if index::is_deleted(db, job_id)? {
        return Ok(());
    }
    db.exec(
        "INSERT OR REPLACE INTO deliveries (job_id, event_id, attempt, at, delivery) \
         VALUES (?, ?, ?, ?, ?)",
        vec![
            job_id.into(),
            d.event_id.clone().into(),
            i64::from(d.attempt).into(),
            d.at.clone().into(),
            serde_json::to_string(d)?.into(),
        ],
    )?;
    if d.outcome == DeliveryOutcome::Disabled {
        db.exec(
            "INSERT OR IGNORE INTO disabled_callbacks (job_id) VALUES (?)",
            vec![job_id.into()],
        )?;
    }
    Ok(())
}

/// The job with its callback's delivery log filled in.
pub fn with_log(db: &Db, mut job: Job) -> AppResult<Job> {
    if let Some(callback) = &mut job.callback {
        let rows: Vec<DeliveryRow> = db.rows(
            "SELECT delivery FROM deliveries WHERE job_id = ? ORDER BY at, attempt",
            vec![job.id.clone().into()],
        )?;
        callback.deliveries = rows
            .iter()
            .filter_map(|r| serde_json::from_str(&r.delivery).ok())
            .collect();
        callback.disabled = is_disabled(db, &job.id)?;
    }
    Ok(job)
}

/// Takes a webhook event into the outbox, due now (an event already there
/// keeps its place and attempt count) — unless the owner's settings leave
/// its state out.
pub fn add(db: &Db, event: Outgoing) -> AppResult<()> {
    if index::is_deleted(db, &event.job_id)? {
        return Ok(());
    }
    let settings = settings(db)?;
    if announced_state(&event.body).is_some_and(|state| !settings.wants(state)) {
        return Ok(());
    }
    let now = now_ms();
    db.exec(
        "INSERT OR IGNORE INTO outbox (event_id, job_id, url, body, attempt, due_ms, created_ms) \
         VALUES (?, ?, ?, ?, 1, ?, ?)",
        vec![
            event.event_id.into(),
            event.job_id.into(),
            event.url.into(),
            event.body.into(),
            now.into(),
            now.into(),
        ],
    )
}

/// A deleted job's log, disabled mark and waiting events go.
pub fn forget(db: &Db, job_id: &str) -> AppResult<()> {
    for table in ["deliveries", "disabled_callbacks", "outbox"] {
        db.exec(
            &format!("DELETE FROM {table} WHERE job_id = ?"),
            vec![job_id.into()],
        )?;
    }
    Ok(())
}

/// When the outbox's next event is due (ms), if any.
pub fn next_due(db: &Db) -> AppResult<Option<f64>> {
    db.number(
        "SELECT MIN(due_ms) AS value FROM outbox WHERE standing = 'pending'",
        vec![],
    )
}

/// Delivers the due events of the outbox, all at once.
pub async fn deliver_due(db: &Db, config: &Config) -> AppResult<()> {
    let now = now_ms();
    let due: Vec<OutboxRow> = db.rows(
        "SELECT event_id, job_id, url, body, attempt, base_attempt FROM outbox \
         WHERE standing = 'pending' AND due_ms <= ? ORDER BY due_ms LIMIT ?",
        vec![now.into(), BATCH.into()],
    )?;
    for row in &due {
        db.exec(
            "UPDATE outbox SET due_ms = ? WHERE event_id = ?",
            vec![(now + LEASE_MS).into(), row.event_id.clone().into()],
        )?;
    }
    let results = join_all(due.into_iter().map(|row| deliver_one(db, config, row))).await;
    for result in results {
        if let Err(e) = result {
            console_error!("JobHub: a webhook delivery could not be recorded: {e}");
        }
    }
    Ok(())
}

/// An event whose delivery ended without success stays, for a replay.
fn set_standing(db: &Db, event_id: &str, standing: Standing) -> AppResult<()> {
    db.exec(
        "UPDATE outbox SET standing = ? WHERE event_id = ?",
        vec![standing.as_str().into(), event_id.into()],
    )
}

async fn deliver_one(db: &Db, config: &Config, row: OutboxRow) -> AppResult<()> {
    if index::is_deleted(db, &row.job_id)? {
        return db.exec(
            "DELETE FROM outbox WHERE event_id = ?",
            vec![row.event_id.into()],
        );
    }
    if is_disabled(db, &row.job_id)? {
        return set_standing(db, &row.event_id, Standing::Disabled);
    }
    let secrets: Vec<String> = secrets(db)?
        .map(|s| s.signing(now_ms()).into_iter().map(str::to_owned).collect())
        .unwrap_or_default();
    let attempt = row.attempt as u32;
    let step = attempt.saturating_sub(row.base_attempt as u32).max(1);
    let event = Outgoing {
        job_id: row.job_id,
        event_id: row.event_id,
        url: row.url,
        body: row.body,
    };
    let (delivery, next_delay) = sender::attempt(config, &secrets, &event, attempt, step).await;
    let status = delivery.status.map_or_else(
        || delivery.error.clone().unwrap_or_default(),
        |s| s.to_string(),
    );
    let outcome = serde_json::to_string(&delivery.outcome).unwrap_or_default();
    log(LogLine::about(What::Webhook, &event.job_id, attempt)
        .detail(format!("{} {status}", outcome.trim_matches('"'))));
    match next_delay {
        Some(delay) => db.exec(
            "UPDATE outbox SET attempt = ?, due_ms = ? WHERE event_id = ?",
            vec![
                i64::from(attempt + 1).into(),
                (now_ms() + f64::from(delay) * 1000.0).into(),
                event.event_id.clone().into(),
            ],
        )?,
        None => match delivery.outcome {
            DeliveryOutcome::Delivered => db.exec(
                "DELETE FROM outbox WHERE event_id = ?",
                vec![event.event_id.clone().into()],
            )?,
            DeliveryOutcome::Disabled => set_standing(db, &event.event_id, Standing::Disabled)?,
            _ => set_standing(db, &event.event_id, Standing::Failed)?,
        },
    };
    record(db, &event.job_id, &delivery)
}

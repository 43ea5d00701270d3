//! Rate windows and quotas. [`hit`] applies `shared::ratelimit` to one key
//! under several rules (all or nothing: a request refused by one rule is
//! counted by none) — for the owner's requests here, and for token minting per
//! client address in the `Limiter` object. [`admit`] checks an upload against
//! the quotas, then the upload rate, and reserves its place and bytes until
//! its job is published (or released, or 10 minutes pass); reports' sizes
//! count against the storage quota too.

use serde::Deserialize;
use shared::ratelimit::{self, Decision, Rule, Usage, Window};

use super::db::Db;
use super::protocol::{Admission, Admit, ResultSize};
use crate::error::{AppError, AppResult};
use crate::util::now_ms;

/// An upload admitted but not yet a job holds its place this long.
const RESERVATION_MS: f64 = 10.0 * 60.0 * 1000.0;

#[derive(Deserialize)]
struct WindowRow {
    start_ms: f64,
    current: f64,
    previous: f64,
}

/// Counts one request for `key` under every rule if all allow it; returns
/// the strictest decision.
pub fn hit(db: &Db, key: &str, rules: &[Rule]) -> AppResult<Decision> {
    decide(db, key, rules, true)
}

/// The decision a request would get now, counting nothing (for the headers of
/// an answer refused for another reason).
fn peek(db: &Db, key: &str, rules: &[Rule]) -> AppResult<Decision> {
    decide(db, key, rules, false)
}

fn decide(db: &Db, key: &str, rules: &[Rule], count: bool) -> AppResult<Decision> {
    let now = now_ms();
    let mut windows = Vec::with_capacity(rules.len());
    let mut decisions = Vec::with_capacity(rules.len());
    for rule in rules {
        let row_key = format!("{key}/{}", rule.window_secs);
        let mut window = db
            .rows::<WindowRow>(
                "SELECT start_ms, current, previous FROM rate_windows WHERE key = ?",
                vec![row_key.clone().into()],
            )?
            .first()
            .map(|r| Window {
                start_ms: r.start_ms,
                current: r.current as u32,
                previous: r.previous as u32,
            })
            .unwrap_or_default();
        decisions.push(window.hit(*rule, now));
        windows.push((row_key, window));
    }
    let decision = ratelimit::strictest(&decisions)
        .ok_or_else(|| AppError::Internal("no rate-limit rule".into()))?;
    if count && decision.allowed {
        for (row_key, w) in windows {
            db.exec(
                "INSERT INTO rate_windows (key, start_ms, current, previous) VALUES (?, ?, ?, ?) \
                 ON CONFLICT(key) DO UPDATE SET start_ms = excluded.start_ms, \
                 current = excluded.current, previous = excluded.previous",
                vec![
                    row_key.into(),
                    w.start_ms.into(),
                    i64::from(w.current).into(),
                    i64::from(w.previous).into(),
                ],
            )?;
        }
    }
    Ok(decision)
}

/// What the owner holds now: `jobs` (from the index) plus the uploads in
/// flight and the stored reports.
fn usage(db: &Db, jobs: Usage) -> AppResult<Usage> {
    db.exec(
        "DELETE FROM reservations WHERE expires_ms < ?",
        vec![now_ms().into()],
    )?;
    let reserved = db.count("SELECT COUNT(*) AS value FROM reservations", vec![])?;
    Ok(Usage {
        active_jobs: jobs.active_jobs + reserved as u32,
        jobs: jobs.jobs + reserved as u32,
        stored_bytes: jobs.stored_bytes
            + db.count("SELECT SUM(bytes) AS value FROM result_sizes", vec![])?
            + db.count("SELECT SUM(bytes) AS value FROM reservations", vec![])?,
    })
}

/// The quotas first, then the upload rate (a refusal by either counts
/// nothing); `jobs` is what the owner's jobs hold.
pub fn admit(db: &Db, admit: Admit, jobs: Usage) -> AppResult<Admission> {
    if let Err(quota) = ratelimit::admit(&admit.quotas, &usage(db, jobs)?, admit.bytes) {
        let rate = peek(db, "uploads", &admit.rules)?;
        return Ok(Admission {
            rate,
            quota: Some(quota),
        });
    }
    let rate = hit(db, "uploads", &admit.rules)?;
    if rate.allowed {
        db.exec(
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

/// The upload's reservation ends (its job exists now, or it failed).
pub fn release(db: &Db, job_id: &str) -> AppResult<()> {
    db.exec("DELETE FROM reservations WHERE id = ?", vec![job_id.into()])
}

pub fn result_size(db: &Db, size: ResultSize) -> AppResult<()> {
    db.exec(
        "INSERT OR REPLACE INTO result_sizes (id, bytes) VALUES (?, ?)",
        vec![size.job_id.into(), (size.bytes as i64).into()],
    )
}

/// A deleted job's report no longer counts.
pub fn forget(db: &Db, job_id: &str) -> AppResult<()> {
    db.exec("DELETE FROM result_sizes WHERE id = ?", vec![job_id.into()])
}

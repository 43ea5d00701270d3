//! Quotas, and the owner's request rates (`objects::rates`). [`admit`] checks an upload against
//! the quotas, then the upload rate, and reserves its place and bytes until
//! its job is published (or released, or 10 minutes pass); reports' sizes
//! count against the storage quota too. A reservation never released is
//! kept until its check ([`take_checks`]): an upload with no job by then
//! died between storing its PDF and making the job, and the PDF goes.

use shared::delivery::ratelimit::{self, Usage};

use crate::error::AppResult;
use crate::objects::db::Db;
use crate::objects::protocol::{Admission, Admit, ResultSize};
use crate::objects::rates::{hit, peek};
use crate::util::now_ms;

/// An upload admitted but not yet a job holds its place this long.
const RESERVATION_MS: f64 = 10.0 * 60.0 * 1000.0;

/// What the owner holds now: `jobs` (from the index) plus the uploads in
/// flight and the stored reports.
fn usage(db: &Db, jobs: Usage) -> AppResult<Usage> {
    let now = || vec![now_ms().into()];
    let reserved = db.count(
        "SELECT COUNT(*) AS value FROM reservations WHERE expires_ms >= ?",
        now(),
    )?;
    Ok(Usage {
        active_jobs: jobs.active_jobs + reserved as u32,
        jobs: jobs.jobs + reserved as u32,
        stored_bytes: jobs.stored_bytes
            + db.count("SELECT SUM(bytes) AS value FROM result_sizes", vec![])?
            + db.count(
                "SELECT SUM(bytes) AS value FROM reservations WHERE expires_ms >= ?",
                now(),
            )?,
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
            "INSERT OR REPLACE INTO reservations (id, bytes, expires_ms, owner, check_ms) \
             VALUES (?, ?, ?, ?, ?)",
            vec![
                admit.job_id.into(),
                (admit.bytes as i64).into(),
                (now_ms() + RESERVATION_MS).into(),
                admit.owner.into(),
                (now_ms() + f64::from(admit.check_after_secs) * 1000.0).into(),
            ],
        )?;
    }
    Ok(Admission { rate, quota: None })
}

#[derive(serde::Deserialize)]
struct Due {
    id: String,
    owner: String,
}

/// The uploads whose check is due (owner, id): their reservations go.
/// (Reservations from before the checks expire as they did.)
pub fn take_checks(db: &Db, now: f64) -> AppResult<Vec<(String, String)>> {
    let due: Vec<Due> = db.rows(
        "SELECT id, owner FROM reservations WHERE check_ms > 0 AND check_ms <= ?",
        vec![now.into()],
    )?;
    db.exec(
        "DELETE FROM reservations WHERE (check_ms > 0 AND check_ms <= ?) \
         OR (check_ms = 0 AND expires_ms < ?)",
        vec![now.into(), now.into()],
    )?;
    Ok(due.into_iter().map(|d| (d.owner, d.id)).collect())
}

/// When the next upload's check is due.
pub fn next_check(db: &Db) -> AppResult<Option<f64>> {
    db.number(
        "SELECT MIN(check_ms) AS value FROM reservations WHERE check_ms > 0",
        vec![],
    )
}

/// The upload's request failed: its place and bytes no longer count, but
/// its check stays (it may have stored the PDF before it failed).
pub fn release_failed(db: &Db, job_id: &str) -> AppResult<()> {
    db.exec(
        "UPDATE reservations SET expires_ms = 0 WHERE id = ?",
        vec![job_id.into()],
    )
}

/// The upload's reservation ends (its job exists now, or it was abandoned).
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

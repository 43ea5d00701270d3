//! The owner's job index (`jobs`, `deleted`): the newest version of each job,
//! which serves `GET /jobs` newest first with stable cursors and strong
//! consistency (KV listing is eventually consistent), the hub's answer to a
//! poll, and the quotas' counts. Deleted jobs are remembered so that a late
//! event cannot bring one back. Which version is newer is
//! `shared::jobs::state::Stamp`'s rule.

use serde::Deserialize;
use shared::contract::api::{Job, JobState};
use shared::contract::listing::{self, JobList, Query};
use shared::delivery::ratelimit::Usage;
use shared::jobs::state::Stamp;
use worker::SqlStorageValue;

use crate::error::AppResult;
use crate::objects::db::Db;
use crate::objects::protocol::Published;

#[derive(Deserialize)]
struct JobRow {
    job: String,
}

#[derive(Deserialize)]
struct StampRow {
    version: f64,
    updated_at: String,
}

pub fn is_deleted(db: &Db, job_id: &str) -> AppResult<bool> {
    db.exists("SELECT id FROM deleted WHERE id = ?", vec![job_id.into()])
}

/// The index's version of a job.
pub fn get(db: &Db, job_id: &str) -> AppResult<Option<Job>> {
    let rows: Vec<JobRow> = db.rows("SELECT job FROM jobs WHERE id = ?", vec![job_id.into()])?;
    Ok(rows.first().and_then(|r| serde_json::from_str(&r.job).ok()))
}

/// Adds or updates the job, never an older version over a newer one and
/// never a deleted job.
pub fn put(db: &Db, job: &Job) -> AppResult<Published> {
    if is_deleted(db, &job.id)? {
        return Ok(Published::Deleted);
    }
    let current: Vec<StampRow> = db.rows(
        "SELECT version, updated_at FROM jobs WHERE id = ?",
        vec![job.id.clone().into()],
    )?;
    if let Some(row) = current.first() {
        let held = Stamp {
            version: row.version as u64,
            updated_at: row.updated_at.clone(),
        };
        if job.stamp() <= held {
            return Ok(Published::Stale);
        }
    }
    db.exec(
        "INSERT INTO jobs (id, created_at, updated_at, state, job, version) \
         VALUES (?, ?, ?, ?, ?, ?) \
         ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, \
         state = excluded.state, job = excluded.job, version = excluded.version",
        vec![
            job.id.clone().into(),
            job.created_at.clone().into(),
            job.updated_at.clone().into(),
            job.state().as_str().into(),
            serde_json::to_string(job)?.into(),
            (job.version() as i64).into(),
        ],
    )?;
    Ok(Published::Fresh)
}

/// Takes a job out for good; true when it was there.
pub fn forget(db: &Db, job_id: &str) -> AppResult<bool> {
    let known = get(db, job_id)?.is_some();
    db.exec("DELETE FROM jobs WHERE id = ?", vec![job_id.into()])?;
    db.exec(
        "INSERT OR IGNORE INTO deleted (id) VALUES (?)",
        vec![job_id.into()],
    )?;
    Ok(known)
}

/// One page of jobs, newest first.
pub fn list(db: &Db, query: &Query) -> AppResult<JobList> {
    let state = query
        .state
        .map_or(SqlStorageValue::Null, |s| s.as_str().into());
    let (after_created, after_id) = match &query.after {
        Some(c) => (c.created_at.clone().into(), c.id.clone().into()),
        None => (SqlStorageValue::Null, SqlStorageValue::Null),
    };
    let rows: Vec<JobRow> = db.rows(
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
    )?;
    let jobs = rows
        .iter()
        .filter_map(|r| serde_json::from_str::<Job>(&r.job).ok())
        .collect();
    Ok(listing::page(jobs, query.limit))
}

/// What the owner's jobs hold: active jobs (the states `JobState::ACTIVE`
/// names), jobs, and the bytes of their PDFs (reports and uploads in flight
/// are counted by `limits`).
/// The owner's jobs that wait in the analysis queue (at most 100).
pub fn waiting(db: &Db) -> AppResult<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct IdRow {
        id: String,
    }
    Ok(db
        .rows::<IdRow>(
            "SELECT id FROM jobs WHERE state = 'uploaded' ORDER BY created_at LIMIT 100",
            vec![],
        )?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

pub fn holdings(db: &Db) -> AppResult<Usage> {
    let active: Vec<SqlStorageValue> = JobState::ACTIVE.iter().map(|s| s.as_str().into()).collect();
    let marks = vec!["?"; active.len()].join(", ");
    Ok(Usage {
        active_jobs: db.count(
            &format!("SELECT COUNT(*) AS value FROM jobs WHERE state IN ({marks})"),
            active,
        )? as u32,
        jobs: db.count("SELECT COUNT(*) AS value FROM jobs", vec![])? as u32,
        stored_bytes: db.count(
            "SELECT SUM(json_extract(job, '$.size_bytes')) AS value FROM jobs",
            vec![],
        )?,
    })
}

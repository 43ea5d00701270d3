//! Resumable uploads in progress, one row each (`shared::jobs::upload::Upload` as
//! JSON): opened with the upload's quota reservation stretched to its expiry,
//! moved on one kept part at a time (only from the offset the caller read, so
//! two appends racing cannot both move it), completed, dropped — and, once
//! expired, handed to the alarm, which aborts their R2 parts.

use serde::Deserialize;
use shared::jobs::upload::{Phase, Upload, UploadError};

use crate::error::{AppError, AppResult};
use crate::objects::db::Db;
use crate::objects::protocol::{UploadCompleting, UploadDone, UploadKept, UploadTailKept};

#[derive(Deserialize)]
struct Row {
    upload: String,
}

fn decode(rows: Vec<Row>) -> AppResult<Vec<Upload>> {
    rows.into_iter()
        .map(|r| Ok(serde_json::from_str(&r.upload)?))
        .collect()
}

fn save(db: &Db, upload: &Upload) -> AppResult<()> {
    db.exec(
        "INSERT OR REPLACE INTO uploads (id, expires_ms, upload) VALUES (?, ?, ?)",
        vec![
            upload.id.clone().into(),
            upload.expires_ms.into(),
            serde_json::to_string(upload)?.into(),
        ],
    )
}

/// A new upload; its reservation (made by `Admit`) lasts as long as it does,
/// and is not checked for an orphaned PDF before (its expiry discards what
/// it stored).
pub fn open(db: &Db, upload: &Upload) -> AppResult<()> {
    save(db, upload)?;
    db.exec(
        "UPDATE reservations SET expires_ms = ?, check_ms = MAX(check_ms, ?) WHERE id = ?",
        vec![
            upload.expires_ms.into(),
            upload.expires_ms.into(),
            upload.id.clone().into(),
        ],
    )
}

/// Uploads whose reservation's check is due and that made no job: their
/// request died between storing the PDF and making the job, so the PDF
/// goes. Each is logged.
pub async fn remove_orphans(db: &Db, env: &worker::Env) -> AppResult<u32> {
    let due = super::limits::take_checks(db, crate::util::now_ms())?;
    if due.is_empty() {
        return Ok(0);
    }
    let store = crate::store::Store::new(env)?;
    let mut removed = 0;
    for (owner, id) in due {
        if super::index::get(db, &id)?.is_some() || owner.is_empty() {
            continue;
        }
        store
            .delete_key(shared::contract::validate::keys::pdf(&owner, &id))
            .await?;
        worker::console_log!(
            "upload {id}: no job after its check; its stored PDF (if any) removed"
        );
        removed += 1;
    }
    Ok(removed)
}

pub fn get(db: &Db, id: &str) -> AppResult<Option<Upload>> {
    Ok(
        decode(db.rows("SELECT upload FROM uploads WHERE id = ?", vec![id.into()])?)?
            .into_iter()
            .next(),
    )
}

fn existing(db: &Db, id: &str) -> AppResult<Upload> {
    get(db, id)?.ok_or_else(|| {
        AppError::client(
            shared::contract::api::ErrorCode::NotFound,
            format!("no upload {id} (it expired, was abandoned, or is another owner's)"),
        )
    })
}

/// A whole part was stored from offset `from`: the upload moves past it —
/// unless another append moved it first.
pub fn kept(db: &Db, kept: UploadKept) -> AppResult<Upload> {
    let mut upload = existing(db, &kept.id)?;
    // (Completing, its offset is the length: no part starts there.)
    upload
        .check_append(Some(kept.from))
        .map_err(|e| AppError::Client(e.to_body()))?;
    upload.kept_part(kept.etag, kept.hash);
    save(db, &upload)?;
    Ok(upload)
}

/// The bytes past the last whole part were stored up to `end`: the upload
/// moves there — unless another append moved it first.
pub fn tail_kept(db: &Db, kept: UploadTailKept) -> AppResult<Upload> {
    let mut upload = existing(db, &kept.id)?;
    upload
        .check_append(Some(kept.from))
        .map_err(|e| AppError::Client(e.to_body()))?;
    upload.kept_tail(kept.end, kept.hash);
    save(db, &upload)?;
    Ok(upload)
}

/// Every byte arrived: the last part (if any) is recorded with the file's
/// hash, and the upload is being completed. Also answered for an upload
/// completing already (a retry of its last append).
pub fn completing(db: &Db, done: UploadCompleting) -> AppResult<Upload> {
    let mut upload = existing(db, &done.id)?;
    match upload.phase {
        Phase::Completing { .. } => return Ok(upload),
        Phase::Done { job_id } => {
            return Err(AppError::Client(
                UploadError::Completed { job_id }.to_body(),
            ));
        }
        Phase::Receiving => {}
    }
    upload
        .check_append(Some(done.from))
        .map_err(|e| AppError::Client(e.to_body()))?;
    upload.etags.extend(done.etag);
    upload.offset = upload.length;
    upload.phase = Phase::Completing {
        sha256: done.sha256,
    };
    save(db, &upload)?;
    Ok(upload)
}

/// The job exists: the row stays until it expires, so a client that lost
/// the answer learns from `HEAD` that the upload is complete.
pub fn done(db: &Db, done: UploadDone) -> AppResult<()> {
    let mut upload = existing(db, &done.id)?;
    upload.phase = Phase::Done {
        job_id: done.job_id,
    };
    save(db, &upload)
}

/// The upload is abandoned (or refused): its row and reservation go; the
/// caller aborts its parts.
pub fn drop_upload(db: &Db, id: &str) -> AppResult<Option<Upload>> {
    let upload = get(db, id)?;
    db.exec("DELETE FROM uploads WHERE id = ?", vec![id.into()])?;
    super::limits::release(db, id)?;
    Ok(upload)
}

/// Uploads past their expiry, taken out (their reservations with them): the
/// alarm aborts their parts.
pub fn take_expired(db: &Db, now_ms: f64) -> AppResult<Vec<Upload>> {
    let expired = decode(db.rows(
        "SELECT upload FROM uploads WHERE expires_ms <= ?",
        vec![now_ms.into()],
    )?)?;
    for upload in &expired {
        drop_upload(db, &upload.id)?;
    }
    Ok(expired)
}

/// When the next upload expires.
pub fn next_expiry(db: &Db) -> AppResult<Option<f64>> {
    db.number("SELECT MIN(expires_ms) AS value FROM uploads", vec![])
}

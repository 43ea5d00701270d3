//! A hub's start: a hub instance that wakes after a restart sends every
//! job whose message the restart may have lost again at once, as free
//! attempts, a batch at a time (the rules are `shared::jobs::watchdog`'s
//! `at_boot`; the rows and the sending are the watchdog's, `super::watchdog`).

use shared::delivery::oplog::{LogLine, What};
use shared::jobs::watchdog;
use worker::Env;

use super::watchdog::{WatchRow, send_as};
use crate::error::AppResult;
use crate::objects::db::Db;
use crate::objects::protocol::SendAttempt;
use crate::util::{log, now_ms};

/// While any job is watched: the next check a restarted hub wakes for
/// ([`watchdog::BOOT_CHECK_MS`] from now).
/// A start with batches still to send is due at once.
pub fn next_boot_check(db: &Db, boot: &Boot) -> AppResult<Option<f64>> {
    if let Boot::From(_) = boot {
        return Ok(Some(now_ms()));
    }
    let watched = db.exists("SELECT 1 FROM watch LIMIT 1", vec![])?;
    Ok(watched.then(|| now_ms() + watchdog::BOOT_CHECK_MS))
}

/// Where a start's next batch begins: after this job (its `created_at`, id).
pub type BootCursor = (String, String);

/// A hub instance's start ([`at_boot`]): not yet, going on after a job, done.
pub enum Boot {
    NotStarted,
    From(BootCursor),
    Done,
}

/// A hub that has just started: every job whose message a restart may have
/// lost is sent again at once, as a free attempt (`watchdog::at_boot`),
/// `batch` watched jobs at a time (`watchdog::BOOT_BATCH` by default), oldest first, from
/// after `after`. How many were sent, and where the next batch begins
/// (`None`: every watched job was seen).
pub async fn at_boot(
    db: &Db,
    env: &Env,
    after: Option<BootCursor>,
    batch: u32,
) -> AppResult<(u32, Option<BootCursor>)> {
    let (created_at, job_id) = after.unwrap_or_default();
    let rows: Vec<WatchRow> = db.rows(
        "SELECT job_id, owner, attempt, phase, since_ms, free, created_at FROM watch \
         WHERE created_at > ? OR (created_at = ? AND job_id > ?) \
         ORDER BY created_at, job_id LIMIT ?",
        vec![
            created_at.clone().into(),
            created_at.into(),
            job_id.into(),
            i64::from(batch.max(1)).into(),
        ],
    )?;
    let next = (rows.len() == batch.max(1) as usize)
        .then(|| {
            rows.last()
                .map(|r| (r.created_at.clone(), r.job_id.clone()))
        })
        .flatten();
    let now = now_ms();
    let mut sent = 0;
    for row in &rows {
        let Some(delay_ms) = watchdog::at_boot(&row.watch(), now) else {
            continue;
        };
        let next = row.attempt as u32 + 1;
        log(LogLine::about(What::Recovered, &row.job_id, next)
            .owner(&row.owner)
            .duration_ms(now - row.since_ms)
            .detail(format!(
                "the hub started anew: attempt {} {}; sent again at once as attempt {next} \
                 (not counted against the job's attempts)",
                row.attempt, row.phase
            )));
        let again = SendAttempt {
            owner: row.owner.clone(),
            job_id: row.job_id.clone(),
            attempt: next,
            delay_secs: (delay_ms / 1000.0).ceil() as u32,
            created_at: None,
        };
        send_as(db, env, again, true).await?;
        sent += 1;
    }
    Ok((sent, next))
}

//! The watchdog: a row per unfinished job (`watch`), kept current by the
//! job's versions, by every attempt sent to the analysis queue (all of them
//! go through here: [`send_attempt`]), by consumers claiming an attempt
//! ([`claim`]) and by the owner cancelling the job ([`cancel`]). The hub's alarm fires at the earliest moment one of them
//! would count as stalled; [`recover`] sends each stalled job again as its
//! next attempt (past the last attempt, the consumer ends it in `error`).
//! A hub that starts anew sends its lost jobs again at once
//! (`super::boot`), as free attempts. The rules — bounds, who may run, what a start sends —
//! are `shared::jobs::watchdog`'s.

use serde::Deserialize;
use shared::contract::api::Job;
use shared::delivery::oplog::{LogLine, What};
use shared::jobs::queue::AnalysisMessage;
use shared::jobs::watchdog::{self, Claimed, Phase, Watch};
use worker::{Env, MessageBuilder};

use crate::config::ANALYSIS_QUEUE;
use crate::error::AppResult;
use crate::objects::db::Db;
use crate::objects::protocol::{Cancel, Cancelled, SendAttempt};
use crate::util::{log, now_ms};

#[derive(Deserialize)]
pub(super) struct WatchRow {
    pub job_id: String,
    pub owner: String,
    pub attempt: f64,
    pub phase: String,
    pub since_ms: f64,
    pub free: f64,
    /// Read only where the query asks for it (a start's batches).
    #[serde(default)]
    pub created_at: String,
}

impl WatchRow {
    pub(super) fn watch(&self) -> Watch {
        Watch {
            attempt: self.attempt as u32,
            phase: Phase::parse(&self.phase),
            since_ms: self.since_ms,
            free: self.free as u32,
        }
    }
}

fn get(db: &Db, job_id: &str) -> AppResult<Option<WatchRow>> {
    let rows: Vec<WatchRow> = db.rows(
        "SELECT job_id, owner, attempt, phase, since_ms, free FROM watch WHERE job_id = ?",
        vec![job_id.into()],
    )?;
    Ok(rows.into_iter().next())
}

fn put(db: &Db, job_id: &str, owner: &str, created_at: &str, watch: Watch) -> AppResult<()> {
    db.exec(
        "INSERT INTO watch (job_id, owner, created_at, attempt, phase, since_ms, free) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(job_id) DO UPDATE SET \
         attempt = excluded.attempt, phase = excluded.phase, since_ms = excluded.since_ms, \
         free = excluded.free",
        vec![
            job_id.into(),
            owner.into(),
            created_at.into(),
            i64::from(watch.attempt).into(),
            watch.phase.as_str().into(),
            watch.since_ms.into(),
            i64::from(watch.free).into(),
        ],
    )
}

/// A new version of a job (already indexed as the newest): an unfinished job
/// moved now; a finished one is no longer watched. True when its owner has
/// cancelled it (the writer is to stop).
pub fn on_version(db: &Db, owner: &str, job: &Job) -> AppResult<bool> {
    if job.state().is_terminal() {
        forget(db, &job.id)?;
        return Ok(false);
    }
    let held = get(db, &job.id)?.map(|r| r.watch());
    let attempt = held.map_or(job.attempt, |w| w.attempt.max(job.attempt));
    let cancelling = held.is_some_and(|w| w.phase == Phase::Cancelling);
    // A version of the current attempt while processing shows it running;
    // otherwise the job still waits where it waited (a cancel stays).
    let running =
        job.state() == shared::contract::api::JobState::Processing && job.attempt >= attempt;
    let phase = if cancelling {
        Phase::Cancelling
    } else if running {
        Phase::Running
    } else {
        held.map_or(Phase::Queued, |w| w.phase)
    };
    let since_ms = held
        .filter(|w| !running && w.since_ms > now_ms())
        .map_or(now_ms(), |w| w.since_ms);
    put(
        db,
        &job.id,
        owner,
        &job.created_at,
        Watch {
            attempt,
            phase,
            since_ms,
            free: held.map_or(0, |w| w.free),
        },
    )?;
    if running {
        queue_moves(db)?;
    }
    Ok(cancelling)
}

/// One of the owner's attempts ran (it claimed, reported progress or a
/// version): the queue moves, so the owner's jobs waiting in it are not
/// stalled and their silence counts from now — the jobs ahead that end
/// would otherwise shorten a waiting job's bound to less than its wait.
pub fn queue_moves(db: &Db) -> AppResult<()> {
    let now = now_ms();
    db.exec(
        "UPDATE watch SET since_ms = ? WHERE phase = ? AND since_ms < ?",
        vec![
            now.into(),
            Phase::Queued.as_str().into(),
            (now - watchdog::QUEUE_MOVES_EVERY_MS).into(),
        ],
    )
}

/// The owner cancels a job (`index_says_ended`: the hub's newest version of
/// it is terminal). Queued (or not watched): no attempt will run, the
/// caller writes the end. Running: it is told at its next progress report.
/// Either way the job is `cancelling` from now on, so a claim is refused and
/// a cancel nobody carried out is sent to a consumer after the running bound.
pub fn cancel(db: &Db, request: &Cancel, index_says_ended: bool) -> AppResult<Cancelled> {
    if index_says_ended {
        return Ok(Cancelled::Finished);
    }
    let held = get(db, &request.job_id)?.map(|r| r.watch());
    let answer = match held.map(|w| w.phase) {
        Some(Phase::Running | Phase::Cancelling) => Cancelled::Stopping,
        Some(Phase::Queued) | None => Cancelled::Now,
    };
    put(
        db,
        &request.job_id,
        &request.owner,
        &request.created_at,
        Watch {
            attempt: held.map_or(0, |w| w.attempt),
            phase: Phase::Cancelling,
            since_ms: now_ms(),
            free: held.map_or(0, |w| w.free),
        },
    )?;
    Ok(answer)
}

/// The owner id (the hub is addressed by it; the watch rows keep it).
pub fn owner_of(db: &Db, job_id: &str) -> AppResult<Option<String>> {
    Ok(get(db, job_id)?.map(|r| r.owner))
}

/// The job ended or was deleted: no longer watched (nor its slices).
pub fn forget(db: &Db, job_id: &str) -> AppResult<()> {
    super::slices::forget(db, job_id)?;
    db.exec("DELETE FROM watch WHERE job_id = ?", vec![job_id.into()])
}

/// Sends attempt `send.attempt` of a job to the analysis queue after its
/// delay, and makes it the current one: an older attempt's message is
/// dropped by the consumer from now on.
pub async fn send_attempt(db: &Db, env: &Env, send: SendAttempt) -> AppResult<()> {
    send_as(db, env, send, false).await
}

/// [`send_attempt`]; `free`: the send does not count against the job's
/// attempts (a hub's start sends it).
pub(super) async fn send_as(db: &Db, env: &Env, send: SendAttempt, free: bool) -> AppResult<()> {
    let held = get(db, &send.job_id)?;
    let attempt = watchdog::next_attempt(held.as_ref().map(|r| r.attempt as u32), send.attempt);
    let free = held.map_or(0, |r| r.free as u32) + u32::from(free);
    let created_at = send
        .created_at
        .clone()
        .unwrap_or_else(crate::util::now_rfc3339);
    put(
        db,
        &send.job_id,
        &send.owner,
        &created_at,
        Watch {
            attempt,
            phase: Phase::Queued,
            since_ms: now_ms() + f64::from(send.delay_secs) * 1000.0,
            free,
        },
    )?;
    crate::line::enter(env, &send.job_id).await;
    let message = AnalysisMessage::AnalyseV1 {
        owner: send.owner,
        job_id: send.job_id,
        attempt,
        free,
    };
    let queue = env.queue(ANALYSIS_QUEUE)?;
    let message = MessageBuilder::new(message)
        .delay_seconds(send.delay_secs)
        .build();
    crate::util::within("the queue's send of an attempt", async {
        Ok(queue.send(message).await?)
    })
    .await
}

/// A consumer asks to run `attempt`: yes unless a newer attempt was sent
/// since (then its message is the one to run) or the job was cancelled; a
/// yes marks it running.
pub fn claim(db: &Db, job_id: &str, attempt: u32) -> AppResult<Claimed> {
    let Some(row) = get(db, job_id)? else {
        return Ok(Claimed::Run);
    };
    let answer = watchdog::claim(attempt, Some(&row.watch()));
    if answer == Claimed::Run {
        queue_moves(db)?;
        db.exec(
            "UPDATE watch SET attempt = ?, phase = ?, since_ms = ? WHERE job_id = ?",
            vec![
                i64::from(attempt).into(),
                Phase::Running.as_str().into(),
                now_ms().into(),
                job_id.into(),
            ],
        )?;
    }
    Ok(answer)
}

/// A fanned-out job whose slices wait in the queue (just planned, or one
/// done and others still to come) waits as a queued job does, its stall
/// bound growing with the jobs ahead, until a slice claims it again: its
/// silence then is the queue's, not a dead consumer's.
pub fn waiting(db: &Db, job_id: &str) -> AppResult<()> {
    db.exec(
        "UPDATE watch SET phase = ?, since_ms = ? WHERE job_id = ? AND phase = ?",
        vec![
            Phase::Queued.as_str().into(),
            now_ms().into(),
            job_id.into(),
            Phase::Running.as_str().into(),
        ],
    )
}

fn oldest_first(db: &Db) -> AppResult<Vec<WatchRow>> {
    db.rows(
        "SELECT job_id, owner, attempt, phase, since_ms, free FROM watch ORDER BY created_at, job_id",
        vec![],
    )
}

/// When the next watched job would stall, if any does.
pub fn next_stall(db: &Db) -> AppResult<Option<f64>> {
    let rows = oldest_first(db)?;
    let watches: Vec<Watch> = rows.iter().map(WatchRow::watch).collect();
    // Judged as of now: a job already stalled is due at once.
    let (earliest, stalled) = watchdog::survey(&watches, now_ms());
    Ok(if stalled.is_empty() {
        earliest
    } else {
        Some(now_ms())
    })
}

/// Sends every stalled job again as its next attempt (a free one unless it
/// ran: `watchdog::resend_counts`). A job whose message past the last
/// attempt (the one that ends it in `error`) stalled too is no longer
/// watched: the sweep is the backstop for it.
pub async fn recover(db: &Db, env: &Env, max_attempts: u32) -> AppResult<u32> {
    let rows = oldest_first(db)?;
    let watches: Vec<Watch> = rows.iter().map(WatchRow::watch).collect();
    let (_, stalled) = watchdog::survey(&watches, now_ms());
    let stalled = still_waiting(db, env, &rows, stalled).await?;
    let mut sent = 0;
    for i in stalled {
        let row = &rows[i];
        let next = row.attempt as u32 + 1;
        let counts = watchdog::resend_counts(Phase::parse(&row.phase));
        if counts && watchdog::spent(next, row.free as u32) > max_attempts + 1 {
            log(
                LogLine::about(What::Recovered, &row.job_id, row.attempt as u32)
                    .owner(&row.owner)
                    .detail("its last message stalled too; no longer watched"),
            );
            forget(db, &row.job_id)?;
            continue;
        }
        log(LogLine::about(What::Recovered, &row.job_id, next)
            .owner(&row.owner)
            .duration_ms(now_ms() - row.since_ms)
            .detail(format!(
                "attempt {} {} and stalled; sent again as attempt {next}{}",
                row.attempt,
                row.phase,
                if counts {
                    ""
                } else {
                    " (not counted against the job's attempts)"
                }
            )));
        let again = SendAttempt {
            owner: row.owner.clone(),
            job_id: row.job_id.clone(),
            attempt: next,
            delay_secs: 0,
            created_at: None,
        };
        send_as(db, env, again, !counts).await?;
        sent += 1;
    }
    Ok(sent)
}

/// The stalled rows whose jobs are not still waiting behind others in the
/// deployment's line (`watchdog::still_in_line`); those that are wait on,
/// their silence counted again.
async fn still_waiting(
    db: &Db,
    env: &Env,
    rows: &[WatchRow],
    stalled: Vec<usize>,
) -> AppResult<Vec<usize>> {
    let queued: Vec<usize> = stalled
        .iter()
        .copied()
        .filter(|&i| Phase::parse(&rows[i].phase) == Phase::Queued)
        .collect();
    let ids = queued.iter().map(|&i| rows[i].job_id.clone()).collect();
    let places = crate::line::positions(env, ids).await;
    let mut waiting = Vec::new();
    for (&i, place) in queued.iter().zip(places) {
        if let Some(more) = watchdog::still_in_line(place) {
            db.exec(
                "UPDATE watch SET since_ms = ? WHERE job_id = ?",
                vec![(now_ms() + more).into(), rows[i].job_id.clone().into()],
            )?;
            waiting.push(i);
        }
    }
    Ok(stalled
        .into_iter()
        .filter(|i| !waiting.contains(i))
        .collect())
}

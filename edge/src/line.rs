//! `Line`, one Durable Object for all owners: the analysis queue's line as
//! the rest of the worker sees it. Every message sent to the queue enters it
//! (`Enqueue`, from the owner's hub, which sends every attempt); a consumer
//! that takes a job moves it to running (`Dequeue`) and reports its end
//! (`Finished`, which keeps the last analyses for the estimate); a cancelled
//! or deleted job leaves (`Dequeue`). `Positions` answers where waiting jobs
//! stand and when they should be done (`shared::jobs::line`'s rules). Two writes
//! per job; a job whose message was lost stays until the watchdog sends it
//! again (the same row, now at the back) or an hour has passed.

use serde::Deserialize;
use shared::contract::api::{Job, JobState, QueueInfo};
use shared::jobs::line::{self, RECENT, Sample};
use shared::jobs::migrations;
use worker::{
    DurableObject, Env, Request, Response, Result, State, console_error, console_warn,
    durable_object, wasm_bindgen,
};

use crate::error::AppResult;
use crate::objects::db::Db;
use crate::objects::protocol::{
    self, Dequeue, Enqueue, Finished, LineCall, LineProtocol, Positions,
};
use crate::util::now_ms;

/// A row older than this is a job whose message was lost and never sent
/// again: it no longer counts.
const STALE_MS: f64 = 3_600_000.0;

#[durable_object]
pub struct Line {
    state: State,
}

#[derive(Deserialize)]
struct WaitingRow {
    job_id: String,
}

#[derive(Deserialize)]
struct LineRow {
    since_ms: f64,
    before: f64,
}

#[derive(Deserialize)]
struct SampleRow {
    before: f64,
    ms: f64,
}

impl Line {
    fn db(&self) -> Db {
        Db::new(self.state.storage().sql())
    }
}

/// Jobs waiting or running, fresh ones (see [`STALE_MS`]).
fn count(db: &Db, table: &str, now: f64) -> AppResult<u32> {
    Ok(db
        .number(
            &format!("SELECT COUNT(*) AS value FROM {table} WHERE since_ms >= ?"),
            vec![(now - STALE_MS).into()],
        )?
        .unwrap_or(0.0) as u32)
}

fn do_enqueue(db: &Db, e: &Enqueue) -> AppResult<()> {
    let now = now_ms();
    let id = || e.job_id.clone().into();
    db.exec("DELETE FROM running WHERE job_id = ?", vec![id()])?;
    db.exec("DELETE FROM waiting WHERE job_id = ?", vec![id()])?;
    let before = count(db, "waiting", now)? + count(db, "running", now)?;
    // A job sent again goes to the back of the line.
    db.exec(
        "INSERT INTO waiting (job_id, seq, since_ms, before) \
         VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM waiting), ?, ?)",
        vec![id(), now.into(), i64::from(before).into()],
    )
}

fn do_dequeue(db: &Db, d: &Dequeue) -> AppResult<()> {
    let id = || d.job_id.clone().into();
    if d.running {
        db.exec(
            "INSERT OR REPLACE INTO running (job_id, since_ms, before) \
             SELECT job_id, since_ms, before FROM waiting WHERE job_id = ?",
            vec![id()],
        )?;
    } else {
        db.exec("DELETE FROM running WHERE job_id = ?", vec![id()])?;
    }
    db.exec("DELETE FROM waiting WHERE job_id = ?", vec![id()])
}

fn do_finished(db: &Db, f: &Finished) -> AppResult<()> {
    let id = || f.job_id.clone().into();
    // Only a run the line saw from its sending gives a time.
    let rows: Vec<LineRow> = db.rows(
        "SELECT since_ms, before FROM running WHERE job_id = ?",
        vec![id()],
    )?;
    db.exec("DELETE FROM running WHERE job_id = ?", vec![id()])?;
    let Some(run) = rows.first() else {
        return Ok(());
    };
    db.exec(
        "INSERT INTO recent (before, ms) VALUES (?, ?)",
        vec![run.before.into(), (now_ms() - run.since_ms).into()],
    )?;
    db.exec(
        "DELETE FROM recent WHERE id <= (SELECT MAX(id) FROM recent) - ?",
        vec![(RECENT as i64).into()],
    )
}

fn do_positions(db: &Db, p: &Positions) -> AppResult<Vec<Option<QueueInfo>>> {
    let now = now_ms();
    let waiting: Vec<WaitingRow> = db.rows(
        "SELECT job_id FROM waiting WHERE since_ms >= ? ORDER BY seq",
        vec![(now - STALE_MS).into()],
    )?;
    let running = count(db, "running", now)?;
    let recent: Vec<Sample> = db
        .rows::<SampleRow>("SELECT before, ms FROM recent", vec![])?
        .into_iter()
        .map(|r| Sample {
            before: r.before as u32,
            ms: r.ms,
        })
        .collect();
    Ok(p.job_ids
        .iter()
        .map(|id| {
            let at = waiting.iter().position(|w| &w.job_id == id)?;
            Some(line::place(&recent, at as u32, running))
        })
        .collect())
}

impl DurableObject for Line {
    fn new(state: State, _env: Env) -> Self {
        if let Err(e) = Db::new(state.storage().sql()).migrate(migrations::LINE) {
            console_error!("Line schema: {e}");
        }
        Line { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let db = self.db();
        let reply = |call| match call {
            LineCall::Enqueue(e) => protocol::reply::<LineProtocol, Enqueue>(do_enqueue(&db, &e)),
            LineCall::Dequeue(d) => protocol::reply::<LineProtocol, Dequeue>(do_dequeue(&db, &d)),
            LineCall::Finished(f) => {
                protocol::reply::<LineProtocol, Finished>(do_finished(&db, &f))
            }
            LineCall::Positions(p) => {
                protocol::reply::<LineProtocol, Positions>(do_positions(&db, &p))
            }
        };
        Ok(match protocol::decode::<LineProtocol>(&mut req).await {
            Ok(call) => reply(call),
            Err(e) => e.into_response(),
        })
    }
}

/// Best effort: the line informs; nothing waits on it.
async fn tell<C: protocol::Call<LineProtocol, Answer = ()>>(env: &Env, what: &str, call: C) {
    let sent = match protocol::line(env) {
        Ok(stub) => protocol::send(&stub, call).await,
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        console_warn!("the queue line could not be told of {what}: {e}");
    }
}

/// A message of `job_id` was sent to the analysis queue (again: to the back).
pub async fn enter(env: &Env, job_id: &str) {
    let call = Enqueue {
        job_id: job_id.to_owned(),
    };
    tell(env, "a job sent", call).await;
}

/// A consumer took the job (`running`), or it left the line otherwise
/// (cancelled, deleted).
pub async fn leave(env: &Env, job_id: &str, running: bool) {
    let call = Dequeue {
        job_id: job_id.to_owned(),
        running,
    };
    tell(env, "a job taken", call).await;
}

/// A consumer's run of the job ended (its time is the estimate's sample).
pub async fn finished(env: &Env, job_id: &str) {
    let call = Finished {
        job_id: job_id.to_owned(),
    };
    tell(env, "an analysis's end", call).await;
}

/// Where waiting jobs stand (`None` for one not in the line); all `None`
/// when the line cannot be asked.
pub async fn positions(env: &Env, job_ids: Vec<String>) -> Vec<Option<QueueInfo>> {
    let n = job_ids.len();
    if n == 0 {
        return Vec::new();
    }
    let asked = match protocol::line(env) {
        Ok(stub) => protocol::send(&stub, Positions { job_ids }).await,
        Err(e) => Err(e),
    };
    asked.unwrap_or_else(|e| {
        console_warn!("the queue line could not be asked: {e}");
        vec![None; n]
    })
}

/// Fills in the queue place of the jobs that wait.
pub async fn with_places(env: &Env, jobs: &mut [Job]) {
    let waiting: Vec<String> = jobs
        .iter()
        .filter(|j| j.state() == JobState::Uploaded)
        .map(|j| j.id.clone())
        .collect();
    if waiting.is_empty() {
        return;
    }
    let places = positions(env, waiting.clone()).await;
    for job in jobs.iter_mut() {
        if let Some(i) = waiting.iter().position(|id| id == &job.id) {
            job.queue = places.get(i).copied().flatten();
        }
    }
}

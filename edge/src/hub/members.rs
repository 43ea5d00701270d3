//! A collection's documents as the hub keeps them (`members`): their pages
//! ([`documents`]), the running ones' estimate ([`running_eta`]), the completed ones that make the population
//! ([`members`]), and the population's run — sent to the analysis queue
//! ([`send_population`]), ended ([`population_done`]), sent again when it
//! stalled ([`stalled`]).

use serde::Deserialize;
use shared::contract::api::{ErrorBody, JobState};
use shared::contract::collection::{Collection, CollectionDocument, DocumentPage, MAX_PAGE};
use shared::jobs::queue::AnalysisMessage;
use worker::{Env, SqlStorageValue, console_log};

use super::collections::{MemberRow, get, not_found, save, state_of};
use crate::config::ANALYSIS_QUEUE;
use crate::error::{AppError, AppResult};
use crate::objects::db::Db;
use crate::objects::protocol::{CollectionDocuments, Members, PopulationDone};
use crate::util::{now_ms, now_rfc3339};

/// How long a population's analysis may take before it is sent again (a
/// crash loses the local queue's message; a second run of a population
/// still running only writes the same report again, and its end is told
/// once).
pub const POPULATION_STALL_MS: f64 = 2.0 * 60.0 * 1000.0;

/// Running documents whose estimates [`running_eta`] reads.
const RUNNING_READ: i64 = 10;

/// The longest estimate among a collection's running documents (the first
/// [`RUNNING_READ`] of them), read from the index: one call to the hub
/// where a call per document was.
pub fn running_eta(db: &Db, id: &str) -> AppResult<Option<u32>> {
    let rows: Vec<MemberRow> = db.rows(
        "SELECT job_id, joined, state, filename, error FROM members \
         WHERE collection_id = ? AND state = ? ORDER BY joined LIMIT ?",
        vec![
            id.to_owned().into(),
            JobState::Processing.as_str().into(),
            RUNNING_READ.into(),
        ],
    )?;
    let mut longest = None;
    for row in rows {
        let job = super::index::get(db, &row.job_id)?;
        longest = longest.max(job.and_then(|j| j.progress).and_then(|p| p.eta_seconds));
    }
    Ok(longest)
}

/// A page of a collection's documents, in the order they joined.
pub fn documents(db: &Db, q: &CollectionDocuments) -> AppResult<DocumentPage> {
    if get(db, &q.id)?.is_none() {
        return Err(not_found(&q.id));
    }
    let limit = q.limit.clamp(1, MAX_PAGE);
    let state = q.state.map_or(SqlStorageValue::Null, |s| s.as_str().into());
    let rows: Vec<MemberRow> = db.rows(
        "SELECT job_id, joined, state, filename, error FROM members \
         WHERE collection_id = ? AND joined > ? AND (? IS NULL OR state = ?) \
         ORDER BY CASE WHEN ? THEN -joined ELSE joined END LIMIT ?",
        vec![
            q.id.clone().into(),
            (q.after as i64).into(),
            state.clone(),
            state,
            i64::from(q.newest_first).into(),
            i64::from(limit + 1).into(),
        ],
    )?;
    let more = rows.len() > limit as usize;
    let rows: Vec<MemberRow> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = more
        .then(|| rows.last().map(|r| (r.joined as u64).to_string()))
        .flatten();
    let documents = rows
        .into_iter()
        .map(|r| CollectionDocument {
            state: state_of(&r.state).unwrap_or(JobState::Uploaded),
            error: r
                .error
                .as_deref()
                .and_then(|e| serde_json::from_str::<ErrorBody>(e).ok()),
            job_id: r.job_id,
            filename: r.filename,
        })
        .collect();
    Ok(DocumentPage {
        documents,
        next_cursor,
    })
}

/// The completed documents that make the population.
pub fn members(db: &Db, id: &str) -> AppResult<Members> {
    let collection = get(db, id)?.ok_or_else(|| not_found(id))?;
    let rows: Vec<MemberRow> = db.rows(
        "SELECT job_id, joined, state, filename, error FROM members \
         WHERE collection_id = ? ORDER BY joined",
        vec![id.into()],
    )?;
    let total = rows.len() as u32;
    let completed: Vec<(String, String)> = rows
        .into_iter()
        .filter(|r| r.state == JobState::Completed.as_str())
        .map(|r| (r.job_id, r.filename))
        .collect();
    Ok(Members {
        left_out: total - completed.len() as u32,
        completed,
        collection,
    })
}

/// Sends a collection's population to the analysis queue, marking when
/// (a population not done [`POPULATION_STALL_MS`] later is sent again).
pub async fn send_population(db: &Db, env: &Env, owner: &str, id: &str) -> AppResult<()> {
    db.exec(
        "UPDATE collections SET population_sent_ms = ? WHERE id = ?",
        vec![now_ms().into(), id.into()],
    )?;
    let message = AnalysisMessage::AnalyseCollectionV1 {
        owner: owner.to_owned(),
        collection_id: id.to_owned(),
    };
    let queue = env.queue(ANALYSIS_QUEUE)?;
    crate::util::within("the queue's send of a population", async {
        Ok(queue.send(message).await?)
    })
    .await?;
    console_log!("collection {id}: every document has ended; its population is sent");
    Ok(())
}

/// The population's analysis ended: the collection ends.
pub fn population_done(db: &Db, done: &PopulationDone) -> AppResult<Collection> {
    let mut c = get(db, &done.id)?.ok_or_else(|| not_found(&done.id))?;
    if c.state().is_terminal() {
        return Ok(c);
    }
    let now = now_rfc3339();
    let ended = match &done.error {
        None => c.population_done(&now),
        Some(e) => c.fail(e.clone(), &now),
    };
    ended.map_err(|e| AppError::Internal(e.to_string()))?;
    db.exec(
        "UPDATE collections SET population_sent_ms = NULL WHERE id = ?",
        vec![done.id.clone().into()],
    )?;
    save(db, &c)?;
    Ok(c)
}

/// Populations sent more than [`POPULATION_STALL_MS`] ago and not done.
pub fn stalled(db: &Db, now_ms: f64) -> AppResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
    }
    let rows: Vec<Row> = db.rows(
        "SELECT id FROM collections WHERE population_sent_ms IS NOT NULL \
         AND population_sent_ms < ?",
        vec![(now_ms - POPULATION_STALL_MS).into()],
    )?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// When the next population to be sent again is due.
pub fn next_stall(db: &Db) -> AppResult<Option<f64>> {
    Ok(db
        .number(
            "SELECT MIN(population_sent_ms) AS value FROM collections \
             WHERE population_sent_ms IS NOT NULL",
            vec![],
        )?
        .map(|at| at + POPULATION_STALL_MS))
}

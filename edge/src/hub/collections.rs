//! The owner's collections (`collections`, `members`): each collection's
//! newest version, and its documents with the state each was last seen in.
//! The hub sees every version of every job first-hand, so it is the one
//! writer of a collection: a document's new state moves its counts here
//! ([`on_version`], [`on_deleted`]), and the state machine
//! (`shared::jobs::collection`) says when the population is due — then the
//! hub sends it to the analysis queue and marks when
//! (`population_sent_ms`), so a population whose analysis died is sent
//! again (`super::members`).

use serde::Deserialize;
use shared::contract::api::{ErrorCode, Job, JobState};
use shared::contract::collection::{Collection, CollectionPage, MAX_PAGE};
use shared::contract::listing::Cursor;
use shared::delivery::webhooks;
use shared::jobs::collection::Due;
use worker::{SqlStorageValue, console_warn};

use crate::error::{AppError, AppResult};
use crate::objects::db::Db;
use crate::objects::protocol::{Act, Acted, CollectionAct};
use crate::util::now_rfc3339;

#[derive(Deserialize)]
struct CollectionRow {
    collection: String,
}

#[derive(Deserialize)]
pub(super) struct MemberRow {
    pub job_id: String,
    pub joined: f64,
    pub state: String,
    pub filename: String,
    pub error: Option<String>,
}

pub(super) fn state_of(name: &str) -> Option<JobState> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

pub(super) fn not_found(id: &str) -> AppError {
    AppError::client(ErrorCode::NotFound, format!("no collection {id}"))
}

pub fn get(db: &Db, id: &str) -> AppResult<Option<Collection>> {
    let rows: Vec<CollectionRow> = db.rows(
        "SELECT collection FROM collections WHERE id = ?",
        vec![id.into()],
    )?;
    Ok(rows
        .first()
        .and_then(|r| serde_json::from_str(&r.collection).ok()))
}

/// Keeps a new collection of `owner`.
pub fn create(db: &Db, owner: &str, c: &Collection) -> AppResult<()> {
    db.exec(
        "INSERT INTO collections (id, owner, created_at, collection) VALUES (?, ?, ?, ?)",
        vec![
            c.id.clone().into(),
            owner.into(),
            c.created_at.clone().into(),
            serde_json::to_string(c)?.into(),
        ],
    )
}

/// Saves a collection's new version.
pub(super) fn save(db: &Db, c: &Collection) -> AppResult<()> {
    db.exec(
        "UPDATE collections SET collection = ? WHERE id = ?",
        vec![serde_json::to_string(c)?.into(), c.id.clone().into()],
    )
}

/// A collection's callback hears of each state it reaches once (the states
/// the owner's webhook settings choose): the event goes to the outbox.
pub fn announce(db: &Db, c: &Collection) -> AppResult<()> {
    let Some(url) = &c.callback_url else {
        return Ok(());
    };
    #[derive(Deserialize)]
    struct Row {
        announced: Option<String>,
    }
    let rows: Vec<Row> = db.rows(
        "SELECT announced FROM collections WHERE id = ?",
        vec![c.id.clone().into()],
    )?;
    let state = c.state();
    if rows.first().and_then(|r| r.announced.as_deref()) == Some(state.as_str()) {
        return Ok(());
    }
    db.exec(
        "UPDATE collections SET announced = ? WHERE id = ?",
        vec![state.as_str().into(), c.id.clone().into()],
    )?;
    if !super::outbox::settings(db)?.wants_collection(state) {
        return Ok(());
    }
    let event = crate::objects::protocol::Outgoing {
        job_id: c.id.clone(),
        event_id: webhooks::collection_event_id(&c.id, state),
        url: url.clone(),
        body: webhooks::collection_payload(c),
    };
    super::outbox::add(db, event)
}

/// The owner of a collection.
pub fn owner_of(db: &Db, id: &str) -> AppResult<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        owner: String,
    }
    let rows: Vec<Row> = db.rows(
        "SELECT owner FROM collections WHERE id = ?",
        vec![id.into()],
    )?;
    Ok(rows.into_iter().next().map(|r| r.owner))
}

/// A page of the owner's collections, newest first.
pub fn list(db: &Db, after: Option<Cursor>, limit: u32) -> AppResult<CollectionPage> {
    let limit = limit.clamp(1, MAX_PAGE);
    let (created, id) = match &after {
        Some(c) => (c.created_at.clone().into(), c.id.clone().into()),
        None => (SqlStorageValue::Null, SqlStorageValue::Null),
    };
    let rows: Vec<CollectionRow> = db.rows(
        "SELECT collection FROM collections \
         WHERE (? IS NULL OR created_at < ? OR (created_at = ? AND id < ?)) \
         ORDER BY created_at DESC, id DESC LIMIT ?",
        vec![
            created.clone(),
            created.clone(),
            created,
            id,
            i64::from(limit + 1).into(),
        ],
    )?;
    let mut collections: Vec<Collection> = rows
        .iter()
        .filter_map(|r| serde_json::from_str(&r.collection).ok())
        .collect();
    let next_cursor = (collections.len() > limit as usize).then(|| {
        collections.truncate(limit as usize);
        collections.last().map(|c| {
            Cursor {
                created_at: c.created_at.clone(),
                id: c.id.clone(),
            }
            .encode()
        })
    });
    Ok(CollectionPage {
        collections,
        next_cursor: next_cursor.flatten(),
    })
}

fn member(db: &Db, collection_id: &str, job_id: &str) -> AppResult<Option<MemberRow>> {
    let rows: Vec<MemberRow> = db.rows(
        "SELECT job_id, joined, state, filename, error FROM members \
         WHERE collection_id = ? AND job_id = ?",
        vec![collection_id.into(), job_id.into()],
    )?;
    Ok(rows.into_iter().next())
}

fn put_member(db: &Db, collection_id: &str, job: &Job, joined: u64) -> AppResult<()> {
    let error = match &job.error {
        Some(e) => SqlStorageValue::from(serde_json::to_string(e)?),
        None => SqlStorageValue::Null,
    };
    db.exec(
        "INSERT INTO members (collection_id, job_id, joined, state, filename, error) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(collection_id, job_id) DO UPDATE SET \
         state = excluded.state, filename = excluded.filename, error = excluded.error",
        vec![
            collection_id.into(),
            job.id.clone().into(),
            (joined as i64).into(),
            job.state().as_str().into(),
            job.filename.clone().into(),
            error,
        ],
    )
}

/// A job's new version: when it belongs to a collection, the collection
/// counts it (a first version joins it); the collection's new version and
/// what is due, when it changed.
pub fn on_version(db: &Db, job: &Job) -> AppResult<Option<(Collection, Due)>> {
    let Some(id) = &job.collection else {
        return Ok(None);
    };
    let Some(mut c) = get(db, id)? else {
        return Ok(None);
    };
    let now = now_rfc3339();
    let due = match member(db, id, &job.id)? {
        None => {
            if let Err(e) = c.joined(job.state(), &now) {
                // Closed while the upload was on its way: the job stands
                // alone.
                console_warn!("job {}: {e}; it is not counted in the collection", job.id);
                return Ok(None);
            }
            let last = db.count(
                "SELECT MAX(joined) AS value FROM members WHERE collection_id = ?",
                vec![id.clone().into()],
            )?;
            put_member(db, id, job, last + 1)?;
            Due::Nothing
        }
        Some(row) => {
            let from = state_of(&row.state).unwrap_or(JobState::Uploaded);
            if from == job.state() {
                return Ok(None);
            }
            put_member(db, id, job, row.joined as u64)?;
            c.document_moved(from, job.state(), &now)
        }
    };
    save(db, &c)?;
    Ok(Some((c, due)))
}

/// A deleted job leaves its collection.
pub fn on_deleted(db: &Db, job_id: &str) -> AppResult<Vec<(Collection, Due)>> {
    #[derive(Deserialize)]
    struct Row {
        collection_id: String,
        state: String,
    }
    let rows: Vec<Row> = db.rows(
        "SELECT collection_id, state FROM members WHERE job_id = ?",
        vec![job_id.into()],
    )?;
    let mut changed = Vec::new();
    for row in rows {
        db.exec(
            "DELETE FROM members WHERE collection_id = ? AND job_id = ?",
            vec![row.collection_id.clone().into(), job_id.into()],
        )?;
        let Some(mut c) = get(db, &row.collection_id)? else {
            continue;
        };
        let state = state_of(&row.state).unwrap_or(JobState::Uploaded);
        let due = c.document_removed(state, &now_rfc3339());
        save(db, &c)?;
        changed.push((c, due));
    }
    Ok(changed)
}

/// Close, cancel or delete: what it did, and what is due (a close whose
/// documents have all ended already).
pub fn act(db: &Db, act: &CollectionAct) -> AppResult<(Acted, Due)> {
    let mut c = get(db, &act.id)?.ok_or_else(|| not_found(&act.id))?;
    let now = now_rfc3339();
    let refused = |e: shared::jobs::collection::TransitionError| {
        AppError::client(
            ErrorCode::Conflict,
            format!("collection {} is {}: {e}", act.id, e.from),
        )
    };
    let (documents, due) = match act.act {
        Act::Close => (Vec::new(), c.close(&now).map_err(refused)?),
        Act::Cancel => {
            c.cancel(&now).map_err(refused)?;
            db.exec(
                "UPDATE collections SET population_sent_ms = NULL WHERE id = ?",
                vec![act.id.clone().into()],
            )?;
            (job_ids(db, &act.id, true)?, Due::Nothing)
        }
        Act::Delete => {
            let all = job_ids(db, &act.id, false)?;
            db.exec(
                "DELETE FROM members WHERE collection_id = ?",
                vec![act.id.clone().into()],
            )?;
            db.exec(
                "DELETE FROM collections WHERE id = ?",
                vec![act.id.clone().into()],
            )?;
            super::outbox::forget(db, &act.id)?;
            return Ok((
                Acted {
                    collection: c,
                    documents: all,
                },
                Due::Nothing,
            ));
        }
    };
    save(db, &c)?;
    Ok((
        Acted {
            collection: c,
            documents,
        },
        due,
    ))
}

/// A collection's documents (the unfinished ones only, with `unfinished`).
fn job_ids(db: &Db, id: &str, unfinished: bool) -> AppResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        job_id: String,
    }
    let rows: Vec<Row> = db.rows(
        "SELECT job_id FROM members WHERE collection_id = ? \
         AND (? = 0 OR state IN ('uploaded', 'processing')) ORDER BY joined",
        vec![id.into(), i64::from(unfinished).into()],
    )?;
    Ok(rows.into_iter().map(|r| r.job_id).collect())
}

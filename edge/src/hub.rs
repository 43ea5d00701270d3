//! `JobHub`, the Durable Object that holds one owner's WebSockets (hibernation
//! API) and pushes each job event to them, numbered with a per-owner `seq`.
//!
//! It keeps the owner's job index in its SQLite storage (every change of every
//! job passes through here), which serves `GET /jobs` newest first with stable
//! cursors and strong consistency (KV listing is eventually consistent).
//! Deleted jobs are remembered so that a late event cannot bring one back.
//!
//! It also serves the long-poll (`GET /jobs/{id}?wait=N`): a waiter parks
//! until the next event for its job or its timeout; the latest version of each
//! recently changed job is kept in memory so a change that raced ahead of the
//! waiter is answered at once. The replay buffer and subscriptions come with
//! the WebSocket issue.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::future::{Either, select};
use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::api::Job;
use shared::listing::{self, JobList, Query};
use shared::poll::is_newer;
use worker::{
    Delay, DurableObject, Env, Method, Request, Response, ResponseBuilder, Result, SqlCursor,
    SqlStorageValue, State, WebSocket, WebSocketIncomingMessage, WebSocketPair, durable_object,
    wasm_bindgen,
};

/// Jobs whose latest version is kept for racing waiters.
const LATEST_LIMIT: usize = 1_000;

/// A long-poll request from the edge to the hub.
#[derive(Debug, Serialize, Deserialize)]
pub struct WaitRequest {
    pub job_id: String,
    /// The `updated_at` of the version the caller has.
    pub seen_updated_at: String,
    pub timeout_ms: u64,
}

#[durable_object]
pub struct JobHub {
    state: State,
    latest: RefCell<HashMap<String, Job>>,
    waiters: RefCell<HashMap<String, Vec<oneshot::Sender<Job>>>>,
}

/// The index's schema; run when the object starts.
const SCHEMA: [&str; 3] = [
    "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, \
     updated_at TEXT NOT NULL, state TEXT NOT NULL, job TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS jobs_newest ON jobs (created_at DESC, id DESC)",
    "CREATE TABLE IF NOT EXISTS deleted (id TEXT PRIMARY KEY)",
];

#[derive(Deserialize)]
struct JobRow {
    job: String,
}

/// `POST /forget`: a deleted job.
#[derive(Debug, Serialize, Deserialize)]
pub struct Forget {
    pub job_id: String,
}

impl JobHub {
    fn sql(&self, query: &str, bindings: Vec<SqlStorageValue>) -> Result<SqlCursor> {
        self.state.storage().sql().exec(query, Some(bindings))
    }

    /// Adds or updates the job in the index (never an older version over a
    /// newer one, never a deleted job). Returns false for a deleted job.
    fn index(&self, job: &Job) -> Result<bool> {
        let gone = self
            .sql(
                "SELECT id FROM deleted WHERE id = ?",
                vec![job.id.clone().into()],
            )?
            .to_array::<serde_json::Value>()?;
        if !gone.is_empty() {
            return Ok(false);
        }
        self.sql(
            "INSERT INTO jobs (id, created_at, updated_at, state, job) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, \
             state = excluded.state, job = excluded.job \
             WHERE excluded.updated_at >= jobs.updated_at",
            vec![
                job.id.clone().into(),
                job.created_at.clone().into(),
                job.updated_at.clone().into(),
                job.state.as_str().into(),
                serde_json::to_string(job)?.into(),
            ],
        )?;
        Ok(true)
    }

    fn list(&self, query: &Query) -> Result<JobList> {
        let state = query
            .state
            .map_or(SqlStorageValue::Null, |s| s.as_str().into());
        let (after_created, after_id) = match &query.after {
            Some(c) => (c.created_at.clone().into(), c.id.clone().into()),
            None => (SqlStorageValue::Null, SqlStorageValue::Null),
        };
        let rows = self
            .sql(
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
            )?
            .to_array::<JobRow>()?;
        let jobs = rows
            .iter()
            .filter_map(|r| serde_json::from_str::<Job>(&r.job).ok())
            .collect();
        Ok(listing::page(jobs, query.limit))
    }

    fn forget(&self, job_id: &str) -> Result<()> {
        self.sql("DELETE FROM jobs WHERE id = ?", vec![job_id.into()])?;
        self.sql(
            "INSERT OR IGNORE INTO deleted (id) VALUES (?)",
            vec![job_id.into()],
        )?;
        self.latest.borrow_mut().remove(job_id);
        Ok(())
    }

    /// Remembers the job's latest version and wakes its waiters.
    fn deliver(&self, job: &Job) {
        let mut latest = self.latest.borrow_mut();
        if latest.len() >= LATEST_LIMIT && !latest.contains_key(&job.id) {
            latest.clear();
        }
        latest.insert(job.id.clone(), job.clone());
        drop(latest);
        let waiters = self
            .waiters
            .borrow_mut()
            .remove(&job.id)
            .unwrap_or_default();
        for waiter in waiters {
            let _ = waiter.send(job.clone());
        }
    }

    async fn wait(&self, request: WaitRequest) -> Result<Response> {
        let newer = self
            .latest
            .borrow()
            .get(&request.job_id)
            .filter(|j| is_newer(j, &request.seen_updated_at))
            .cloned();
        if let Some(job) = newer {
            return Response::from_json(&job);
        }
        let (tx, rx) = oneshot::channel();
        {
            let mut waiters = self.waiters.borrow_mut();
            let list = waiters.entry(request.job_id.clone()).or_default();
            list.retain(|w| !w.is_canceled());
            list.push(tx);
        }
        let timeout = Delay::from(Duration::from_millis(request.timeout_ms));
        match select(rx, timeout).await {
            Either::Left((Ok(job), _)) => Response::from_json(&job),
            _ => Ok(Response::empty()?.with_status(204)),
        }
    }
}

impl DurableObject for JobHub {
    fn new(state: State, _env: Env) -> Self {
        for statement in SCHEMA {
            if let Err(e) = state.storage().sql().exec(statement, None) {
                worker::console_error!("JobHub schema: {e}");
            }
        }
        JobHub {
            state,
            latest: RefCell::new(HashMap::new()),
            waiters: RefCell::new(HashMap::new()),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/wait") => {
                let request: WaitRequest = req.json().await?;
                self.wait(request).await
            }
            (Method::Post, "/list") => {
                let query: Query = req.json().await?;
                Response::from_json(&self.list(&query)?)
            }
            (Method::Post, "/forget") => {
                let forget: Forget = req.json().await?;
                self.forget(&forget.job_id)?;
                Response::empty()
            }
            (Method::Post, "/publish") => {
                let job: Job = req.json().await?;
                if !self.index(&job)? {
                    return Response::empty(); // deleted: nobody hears of it again
                }
                self.deliver(&job);
                let seq: u64 = self.state.storage().get("seq").await?.unwrap_or(0) + 1;
                self.state.storage().put("seq", seq).await?;
                let event = json!({"type": "job.updated", "seq": seq, "job": job}).to_string();
                for ws in self.state.get_websockets() {
                    // A socket that is closing cannot take the event; it will reconnect.
                    let _ = ws.send_with_str(&event);
                }
                Response::empty()
            }
            (Method::Get, "/connect") => {
                let pair = WebSocketPair::new()?;
                self.state.accept_web_socket(&pair.server);
                Ok(ResponseBuilder::new()
                    .with_status(101)
                    .with_websocket(pair.client)
                    .empty())
            }
            _ => Response::error("not found", 404),
        }
    }

    async fn websocket_message(
        &self,
        _ws: WebSocket,
        _message: WebSocketIncomingMessage,
    ) -> Result<()> {
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        code: usize,
        reason: String,
        _was_clean: bool,
    ) -> Result<()> {
        let code = u16::try_from(code).unwrap_or(1000);
        // 1005/1006 cannot be sent back; answer a normal close instead.
        let code = if matches!(code, 1005 | 1006) {
            1000
        } else {
            code
        };
        let _ = ws.close(Some(code), Some(reason));
        Ok(())
    }
}

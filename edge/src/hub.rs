//! `JobHub`, the Durable Object that holds one owner's WebSockets (hibernation
//! API) and pushes each job event to them, numbered with a per-owner `seq`.
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
use shared::poll::is_newer;
use worker::{
    Delay, DurableObject, Env, Method, Request, Response, ResponseBuilder, Result, State,
    WebSocket, WebSocketIncomingMessage, WebSocketPair, durable_object, wasm_bindgen,
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

impl JobHub {
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
            (Method::Post, "/publish") => {
                let job: Job = req.json().await?;
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

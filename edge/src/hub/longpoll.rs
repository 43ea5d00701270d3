//! The long-poll (`GET /jobs/{id}?wait=N`): a waiter parks until the next
//! version of its job or its timeout; a version that raced ahead of it is
//! found in the index and answered at once. Waiters live in memory only: a
//! hub evicted while one waits has no request in flight to lose.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::future::{Either, select};
use shared::contract::api::Job;
use worker::Delay;

use super::index;
use crate::error::AppResult;
use crate::objects::db::Db;
use crate::objects::protocol::Wait;

#[derive(Default)]
pub struct Waiters(RefCell<HashMap<String, Vec<oneshot::Sender<Job>>>>);

impl Waiters {
    /// Hands a new version of a job to its waiters.
    pub fn wake(&self, job: &Job) {
        let waiting = self.0.borrow_mut().remove(&job.id).unwrap_or_default();
        for waiter in waiting {
            let _ = waiter.send(job.clone());
        }
    }

    /// A version newer than the one seen, or `None` at the timeout.
    pub async fn wait(&self, db: &Db, wait: Wait) -> AppResult<Option<Job>> {
        if let Some(job) = index::get(db, &wait.job_id)?.filter(|j| j.stamp() > wait.seen) {
            return Ok(Some(job));
        }
        let (tx, rx) = oneshot::channel();
        {
            let mut waiters = self.0.borrow_mut();
            let list = waiters.entry(wait.job_id.clone()).or_default();
            list.retain(|w| !w.is_canceled());
            list.push(tx);
        }
        let timeout = Delay::from(Duration::from_millis(wait.timeout_ms));
        Ok(match select(rx, timeout).await {
            Either::Left((Ok(job), _)) => Some(job),
            _ => None,
        })
    }
}

//! The long-polls (`GET /jobs/{id}?wait=N`, `GET /collections/{id}?wait=N`):
//! a waiter parks until the next version of its job or collection, or its
//! timeout; a version that raced ahead of it is found in storage and
//! answered at once. Waiters live in memory only: a hub evicted while one
//! waits has no request in flight to lose.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::future::{Either, select};
use shared::contract::api::Job;
use shared::contract::collection::Collection;
use worker::Delay;

use super::{collections, index};
use crate::error::AppResult;
use crate::objects::db::Db;
use crate::objects::protocol::{CollectionWait, Wait};

/// Those waiting for the next version of a record, by its id.
pub struct Waiters<T>(RefCell<HashMap<String, Vec<oneshot::Sender<T>>>>);

impl<T> Default for Waiters<T> {
    fn default() -> Self {
        Waiters(RefCell::default())
    }
}

impl<T: Clone> Waiters<T> {
    /// Hands a new version of record `id` to its waiters.
    pub fn wake(&self, id: &str, version: &T) {
        let waiting = self.0.borrow_mut().remove(id).unwrap_or_default();
        for waiter in waiting {
            let _ = waiter.send(version.clone());
        }
    }

    /// The next version of record `id`, or `None` at the timeout.
    async fn park(&self, id: &str, timeout_ms: u64) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        {
            let mut waiters = self.0.borrow_mut();
            let list = waiters.entry(id.to_owned()).or_default();
            list.retain(|w| !w.is_canceled());
            list.push(tx);
        }
        let timeout = Delay::from(Duration::from_millis(timeout_ms));
        match select(rx, timeout).await {
            Either::Left((Ok(version), _)) => Some(version),
            _ => None,
        }
    }
}

impl Waiters<Job> {
    /// A version of the job newer than the one seen, or `None` at the timeout.
    pub async fn wait(&self, db: &Db, wait: Wait) -> AppResult<Option<Job>> {
        if let Some(job) = index::get(db, &wait.job_id)?.filter(|j| j.stamp() > wait.seen) {
            return Ok(Some(job));
        }
        Ok(self.park(&wait.job_id, wait.timeout_ms).await)
    }
}

impl Waiters<Collection> {
    /// A version of the collection other than the one seen (`None`: no such
    /// collection, or the timeout).
    pub async fn wait(&self, db: &Db, wait: CollectionWait) -> AppResult<Option<Collection>> {
        match collections::get(db, &wait.id)? {
            None => Ok(None),
            Some(c) if c.version() != wait.seen || c.state().is_terminal() => Ok(Some(c)),
            Some(_) => Ok(self.park(&wait.id, wait.timeout_ms).await),
        }
    }
}

//! `JobHub`, the Durable Object (one per owner) through which every job event
//! passes, split by responsibility:
//!
//! | module | owns |
//! |---|---|
//! | [`protocol`] | the calls and their typed answers, for callers and the object |
//! | [`index`] | the job index: newest version of each job, listing, deleted jobs |
//! | [`stream`] | numbered events, replay, the owner's hibernating WebSockets |
//! | [`sse`] | the owner's Server-Sent Event streams (in memory, at most five) |
//! | [`longpoll`] | parked long-polls, woken by the next version |
//! | [`outbox`] + [`sender`] | webhook secrets, outbox, delivery log, the alarm's deliveries |
//! | [`limits`] | rate windows, quotas and upload reservations |
//! | [`tickets`] | single-use WebSocket tickets |
//! | [`uploads`] | resumable uploads in progress, and their expiry |
//! | [`watchdog`] | unfinished jobs: every attempt sent, claimed, and sent again when stalled |
//! | [`collections`] + [`members`] | the owner's collections, their documents' states, their populations' runs |
//! | [`db`] | typed SQLite helpers and the schema migrations run on wake-up |
//!
//! This file wakes the object (migrations, the ping auto-response), decodes
//! each call and hands it to its module, and orders the steps of the calls
//! that touch several (a publish indexes, releases the upload's reservation,
//! wakes long-polls and emits one event — without awaiting in between, so
//! events are numbered, stored and pushed in one uninterrupted step).

mod boot;
mod calls;
pub mod client;
mod collections;
mod index;
mod limits;
mod longpoll;
mod members;
mod outbox;
mod sender;
mod slices;
mod sse;
mod stream;
mod tickets;
mod uploads;
mod watchdog;

use shared::contract::api::{ErrorBody, ErrorCode, Job};
use shared::contract::collection::Collection;
use shared::delivery::events::{PING, PONG, ServerMessage};
use shared::delivery::webhook_ops::Settings;
use shared::jobs::collection::Due;
use shared::jobs::migrations;
use worker::{
    DurableObject, Env, Request, Response, Result, ScheduledTime, State, WebSocket,
    WebSocketIncomingMessage, console_error, console_log, console_warn, durable_object,
    wasm_bindgen, worker_sys::WebSocketRequestResponsePair,
};

use crate::objects::db::Db;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use shared::contract::api::QueueInfo;

use self::boot::Boot;
use self::longpoll::Waiters;
use self::sse::Streams;
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::objects::protocol::{
    self, Admit, Call, Cancel, Claim, CountRequest, GetDebug, GetJob, GetSecrets,
    GetWebhookSettings, GrantTicket, HubCall, HubDebug, HubProtocol, InitSecrets, List,
    MarkDeleted, Publish, Published, Release, ReplayWebhooks, ResultSize, RotateSecrets,
    SendAttempt, Wait,
};
use crate::util::{now_ms, random_bytes};

/// How often waiting jobs' places are pushed while someone listens.
const PLACES_EVERY_MS: f64 = 3_000.0;

#[durable_object]
pub struct JobHub {
    state: State,
    env: Env,
    /// Random per construction: a new value after the object was evicted.
    instance: String,
    waiters: Waiters<Job>,
    collection_waiters: Waiters<Collection>,
    /// Open Server-Sent Event streams (in memory: they keep the object awake).
    streams: Rc<Streams>,
    /// The queue places last pushed to the owner's listeners, by job.
    places: RefCell<HashMap<String, QueueInfo>>,
    /// How far this instance's start has come ([`JobHub::wake`]).
    boot: RefCell<Boot>,
}

impl JobHub {
    fn db(&self) -> Db {
        Db::new(self.state.storage().sql())
    }

    /// A new version of a job: indexed, its upload's reservation released,
    /// its long-polls woken, its event emitted — when it is the newest —
    /// and its collection's counts moved (the collection whose population
    /// became due, if one did).
    fn publish(&self, db: &Db, publish: Publish) -> AppResult<(Published, Option<String>)> {
        let Publish { owner, job } = publish;
        let indexed = index::put(db, &job)?;
        if indexed != Published::Fresh {
            return Ok((indexed, None));
        }
        limits::release(db, &job.id)?;
        let cancelling = watchdog::on_version(db, &owner, &job)?;
        self.waiters.wake(&job.id, &job);
        let counted = collections::on_version(db, &job)?;
        let id = job.id.clone();
        stream::emit(&self.state, &self.streams, db, &owner, &id, |seq| {
            ServerMessage::JobUpdated {
                seq,
                job: Box::new(job),
            }
        });
        let due = counted.and_then(|(c, due)| self.collection_changed(db, &owner, c, due));
        let published = if cancelling {
            Published::Cancel
        } else {
            Published::Fresh
        };
        Ok((published, due))
    }

    /// A collection's new version goes to the owner's listeners; its id
    /// when its population is due.
    fn collection_changed(
        &self,
        db: &Db,
        owner: &str,
        collection: Collection,
        due: Due,
    ) -> Option<String> {
        let id = collection.id.clone();
        self.collection_waiters.wake(&id, &collection);
        if let Err(e) = collections::announce(db, &collection) {
            console_error!("collection {id}: its webhook could not be queued: {e}");
        }
        stream::emit(&self.state, &self.streams, db, owner, &id, |seq| {
            ServerMessage::CollectionUpdated {
                seq,
                collection: Box::new(collection),
            }
        });
        (due == Due::Population).then_some(id)
    }

    /// Sends a population that became due (logged when it cannot be: the
    /// alarm sends it again).
    async fn send_due(&self, db: &Db, owner: &str, due: Option<String>) {
        if let Some(id) = due
            && let Err(e) = members::send_population(db, &self.env, owner, &id).await
        {
            console_error!("collection {id}: sending its population failed: {e}");
        }
    }

    /// A deleted job leaves every table; the owner's sockets hear of it.
    fn mark_deleted(&self, db: &Db, deleted: MarkDeleted) -> AppResult<Vec<String>> {
        let MarkDeleted { owner, job_id } = deleted;
        let known = index::forget(db, &job_id)?;
        outbox::forget(db, &job_id)?;
        limits::forget(db, &job_id)?;
        watchdog::forget(db, &job_id)?;
        let left = collections::on_deleted(db, &job_id)?;
        if known {
            let id = job_id.clone();
            stream::emit(&self.state, &self.streams, db, &owner, &id, |seq| {
                ServerMessage::JobDeleted { seq, job_id }
            });
        }
        let mut due = Vec::new();
        for (c, d) in left {
            due.extend(self.collection_changed(db, &owner, c, d));
        }
        Ok(due)
    }

    /// Whether anyone listens: a socket or an event stream.
    fn listened(&self) -> bool {
        !self.state.get_websockets().is_empty() || self.streams.count() > 0
    }

    /// While someone listens and jobs wait, their places in the analysis
    /// queue are pushed every `PLACES_EVERY_MS` (`job.queue`, when a place
    /// changed): a place is not one of a job's versions, so no event carries
    /// it, and the `Line` cannot call every hub when the line moves.
    async fn push_places(&self, db: &Db) -> AppResult<()> {
        let waiting = if self.listened() {
            index::waiting(db)?
        } else {
            Vec::new()
        };
        self.places
            .borrow_mut()
            .retain(|id, _| waiting.contains(id));
        if waiting.is_empty() {
            return Ok(());
        }
        let Some(owner) = watchdog::owner_of(db, &waiting[0])? else {
            return Ok(());
        };
        let places = crate::line::positions(&self.env, waiting.clone()).await;
        for (job_id, place) in waiting.into_iter().zip(places) {
            let Some(queue) = place else { continue };
            if self.places.borrow().get(&job_id) == Some(&queue) {
                continue;
            }
            self.places.borrow_mut().insert(job_id.clone(), queue);
            stream::push(
                &self.state,
                &self.streams,
                &owner,
                &ServerMessage::Queue { job_id, queue },
            );
        }
        Ok(())
    }

    /// The alarm is set for the outbox's next due event, the watchdog's next
    /// stall, the next upload to expire or the next push of queue places,
    /// whichever comes first.
    async fn schedule_alarm(&self, db: &Db) -> AppResult<()> {
        let places = (self.listened() && !index::waiting(db)?.is_empty())
            .then(|| now_ms() + PLACES_EVERY_MS);
        let due = [
            outbox::next_due(db)?,
            watchdog::next_stall(db)?,
            boot::next_boot_check(db, &self.boot.borrow())?,
            members::next_stall(db)?,
            uploads::next_expiry(db)?,
            limits::next_check(db)?,
            places,
        ]
        .into_iter()
        .flatten()
        .reduce(f64::min);
        let Some(due) = due else {
            return Ok(());
        };
        // Only ever brought forward here; the alarm handler sets the next.
        let storage = self.state.storage();
        if storage.get_alarm().await?.is_none_or(|at| at as f64 > due) {
            let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(due.max(now_ms())));
            storage.set_alarm(ScheduledTime::new(at)).await?;
        }
        Ok(())
    }

    /// After a call that succeeded, the alarm follows what it changed.
    async fn then_alarm<T>(&self, db: &Db, done: AppResult<T>) -> AppResult<T> {
        let value = done?;
        self.schedule_alarm(db).await?;
        Ok(value)
    }

    /// Uploads nobody finished in time: their state and quota go, and their
    /// bytes in R2 with them (the parts of one still receiving; the object of
    /// one that completed without becoming a job).
    async fn expire_uploads(&self, db: &Db) -> AppResult<()> {
        let store = crate::store::Store::new(&self.env);
        for upload in uploads::take_expired(db, now_ms())? {
            let job_exists = index::get(db, &upload.id)?.is_some();
            match &store {
                Ok(store) => store.discard_upload(&upload, job_exists).await,
                Err(e) => {
                    console_error!("upload {}: no storage to discard it from: {e}", upload.id)
                }
            }
        }
        Ok(())
    }

    /// Populations whose analysis did not end in time are sent again.
    async fn resend_populations(&self, db: &Db) -> AppResult<()> {
        for id in members::stalled(db, now_ms())? {
            let Some(owner) = collections::owner_of(db, &id)? else {
                continue;
            };
            console_warn!("collection {id}: its population's analysis stalled; sent again");
            members::send_population(db, &self.env, &owner, &id).await?;
        }
        Ok(())
    }
}

impl DurableObject for JobHub {
    fn new(state: State, env: Env) -> Self {
        match Db::new(state.storage().sql()).migrate(migrations::HUB) {
            Ok(m) if m.from != m.to => {
                console_log!(
                    "JobHub: schema migrated from version {} to {}",
                    m.from,
                    m.to
                )
            }
            Ok(_) => {}
            Err(e) => console_error!("JobHub schema: {e}"),
        }
        match WebSocketRequestResponsePair::new(PING, PONG) {
            Ok(pair) => state.set_websocket_auto_response(&pair),
            Err(e) => console_warn!("JobHub: no ping auto-response: {e:?}"),
        }
        let instance = random_bytes::<8>().map(hex::encode).unwrap_or_default();
        JobHub {
            state,
            env,
            instance,
            waiters: Waiters::default(),
            collection_waiters: Waiters::default(),
            streams: Rc::default(),
            places: RefCell::default(),
            boot: RefCell::new(Boot::NotStarted),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        self.wake(false).await;
        Ok(match protocol::decode::<HubProtocol>(&mut req).await {
            Ok(call) => self.answer(call).await,
            Err(e) => e.into_response(),
        })
    }

    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> Result<()> {
        let answered = match message {
            WebSocketIncomingMessage::String(text) => stream::on_message(&ws, &text),
            WebSocketIncomingMessage::Binary(_) => {
                let error = ErrorBody::new(
                    ErrorCode::BadRequest,
                    "binary messages are not understood; send JSON text",
                );
                ws.send_with_str(ServerMessage::Error { error }.to_json())
                    .map_err(AppError::from)
            }
        };
        if let Err(e) = answered {
            console_warn!("JobHub: answering a socket failed: {e}");
        }
        Ok(())
    }

    async fn alarm(&self) -> Result<Response> {
        self.wake(true).await;
        let db = self.db();
        if let Err(e) = self.push_places(&db).await {
            console_error!("JobHub: pushing queue places failed: {e}");
        }
        let config = Config::from_env(&self.env);
        if let Err(e) = watchdog::recover(&db, &self.env, config.max_attempts).await {
            console_error!("JobHub: sending stalled jobs again failed: {e}");
        }
        if let Err(e) = self.resend_populations(&db).await {
            console_error!("JobHub: sending stalled populations again failed: {e}");
        }
        if let Err(e) = outbox::deliver_due(&db, &config).await {
            console_error!("JobHub: delivering webhooks failed: {e}");
        }
        if let Err(e) = self.expire_uploads(&db).await {
            console_error!("JobHub: expiring uploads failed: {e}");
        }
        if let Err(e) = uploads::remove_orphans(&db, &self.env).await {
            console_error!("JobHub: removing orphaned uploads failed: {e}");
        }
        if let Err(e) = self.schedule_alarm(&db).await {
            console_error!("JobHub: setting the next alarm failed: {e}");
        }
        Response::empty()
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

    async fn websocket_error(&self, _ws: WebSocket, error: worker::Error) -> Result<()> {
        console_warn!("JobHub: a socket failed: {error}");
        Ok(())
    }
}

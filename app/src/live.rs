//! The live job list: the first page from `GET /jobs`, then every change
//! pushed over the WebSocket (a single-use ticket, reconnecting with `since`
//! and a growing delay). When the WebSocket cannot be had (a proxy that
//! drops upgrades), the same events come as Server-Sent Events
//! (`EventSource`, a ticket of its own, `since` = the last event id); when
//! neither works the jobs still running are polled with `If-None-Match`, no
//! faster than the server's `Retry-After`. The app says which it is doing.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::contract::api::Job;
use shared::delivery::client::{Backoff, path};
use shared::delivery::events::ServerMessage;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent, WebSocket};

use crate::api;
use crate::collections::Collections;
use crate::newest::insert_newest_first;

/// How the list is kept up to date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Connecting,
    /// Changes arrive over the WebSocket.
    Live,
    /// Changes arrive as Server-Sent Events (the WebSocket could not open).
    Stream,
    /// Neither is available (the reason): polling.
    Polling(String),
}

impl Mode {
    pub fn describe(&self) -> String {
        match self {
            Mode::Connecting => "connecting…".into(),
            Mode::Live => "live updates".into(),
            Mode::Stream => "live updates (event stream)".into(),
            Mode::Polling(why) => format!("polling every few seconds ({why})"),
        }
    }
}

/// The jobs shown, newest first.
#[derive(Debug, Clone, Copy)]
pub struct Jobs {
    pub list: RwSignal<Vec<Job>>,
    pub next_cursor: RwSignal<Option<String>>,
    pub mode: RwSignal<Mode>,
    pub error: RwSignal<Option<String>>,
    /// False until the first page has arrived.
    pub loaded: RwSignal<bool>,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs {
            list: RwSignal::new(Vec::new()),
            next_cursor: RwSignal::new(None),
            mode: RwSignal::new(Mode::Connecting),
            error: RwSignal::new(None),
            loaded: RwSignal::new(false),
        }
    }
}

impl Jobs {
    /// Shows a version of a job; a collection's documents are shown in
    /// their collection instead (`crate::collections`).
    pub fn upsert(&self, job: Job) {
        if job.collection.is_none() {
            self.list.update(|list| upsert(list, job));
        }
    }

    pub fn remove(&self, id: &str) {
        self.list.update(|list| list.retain(|j| j.id != id));
    }
}

/// Puts a version of a job into a newest-first list: replaces an older
/// version of it, never a newer one; a new job goes where its creation time
/// puts it.
pub fn upsert(list: &mut Vec<Job>, job: Job) {
    if let Some(existing) = list.iter_mut().find(|j| j.id == job.id) {
        if !existing.is_newer_than(&job) {
            *existing = job;
        }
        return;
    }
    insert_newest_first(list, job, |j| (j.created_at.as_str(), j.id.as_str()));
}

/// Loads the first page, then keeps the list current.
pub fn start(token: String, jobs: Jobs, collections: Collections) {
    let state = Rc::new(Live {
        token,
        jobs,
        collections,
        last_seq: RefCell::new(None),
        backoff: RefCell::new(Backoff::default()),
        etags: RefCell::new(HashMap::new()),
        not_before: RefCell::new(0.0),
        socket: RefCell::new(None),
        stream: RefCell::new(None),
    });
    let first = Rc::clone(&state);
    spawn_local(async move {
        first.reload().await;
        Live::connect(first);
    });
    // The fallback: runs always, polls only while the socket is down.
    let polling = Rc::clone(&state);
    let _ = set_interval_with_handle(
        move || {
            let p = Rc::clone(&polling);
            let live = matches!(polling.jobs.mode.get_untracked(), Mode::Live | Mode::Stream);
            // Live, the hub pushes waiting jobs' places (`job.queue`);
            // polling, a place is not under a job's ETag: the listing of
            // waiting jobs refreshes it.
            if !live {
                spawn_local(async move {
                    p.poll_running().await;
                    p.refresh_places().await;
                    p.collections.poll(&p.token).await;
                });
            }
        },
        Duration::from_secs(2),
    );
}

struct Live {
    token: String,
    jobs: Jobs,
    collections: Collections,
    last_seq: RefCell<Option<u64>>,
    backoff: RefCell<Backoff>,
    etags: RefCell<HashMap<String, String>>,
    /// No poll before this time (ms), as the server's `Retry-After` asks.
    not_before: RefCell<f64>,
    socket: RefCell<Option<WebSocket>>,
    stream: RefCell<Option<EventSource>>,
}

impl Live {
    async fn reload(&self) {
        match api::own_jobs(&self.token, None).await {
            Ok(page) => {
                self.jobs.error.set(None);
                self.jobs.next_cursor.set(page.next_cursor);
                for job in page.jobs {
                    self.jobs.upsert(job);
                }
            }
            Err(e) => self.jobs.error.set(Some(e.message)),
        }
        self.jobs.loaded.set(true);
        self.collections.reload(&self.token).await;
    }

    fn connect(state: Rc<Live>) {
        spawn_local(async move {
            let ticket = match api::ticket(&state.token).await {
                Ok(t) => t.ticket,
                Err(e) => return Live::lost(state, e.message),
            };
            let Some(location) = web_sys::window().map(|w| w.location()) else {
                return;
            };
            let scheme = if location.protocol().ok().as_deref() == Some("https:") {
                "wss"
            } else {
                "ws"
            };
            let host = location.host().unwrap_or_default();
            let since = *state.last_seq.borrow();
            let url = format!("{scheme}://{host}{}", path::events(Some(&ticket), since));
            let socket = match WebSocket::new(&url) {
                Ok(s) => s,
                Err(_) => return Live::lost(state, "the browser refused the WebSocket".into()),
            };
            let on_open = {
                let state = Rc::clone(&state);
                Closure::<dyn Fn()>::new(move || {
                    state.backoff.borrow_mut().reset();
                    state.jobs.mode.set(Mode::Live);
                })
            };
            let on_message = {
                let state = Rc::clone(&state);
                Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
                    if let Some(text) = e.data().as_string() {
                        state.on_message(&text);
                    }
                })
            };
            let on_close = {
                let state = Rc::clone(&state);
                Closure::<dyn Fn()>::new(move || {
                    *state.socket.borrow_mut() = None;
                    Live::connect_stream(Rc::clone(&state));
                })
            };
            socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
            on_open.forget();
            on_message.forget();
            on_close.forget();
            *state.socket.borrow_mut() = Some(socket);
        });
    }

    /// The WebSocket is gone or never opened: the same events as Server-Sent
    /// Events, from where the socket stopped. Named events (`job.updated`,
    /// `job.deleted`, `job.queue`, `collection.updated`, `resync`) each get a listener; on any error the stream
    /// is closed (its ticket is used up, so the browser's own reconnect
    /// would be refused) and the app polls until the next try.
    fn connect_stream(state: Rc<Live>) {
        spawn_local(async move {
            let ticket = match api::ticket(&state.token).await {
                Ok(t) => t.ticket,
                Err(e) => return Live::lost(state, e.message),
            };
            let since = *state.last_seq.borrow();
            let Ok(stream) = EventSource::new(&path::events(Some(&ticket), since)) else {
                return Live::lost(state, "the browser refused the event stream".into());
            };
            let on_open = {
                let state = Rc::clone(&state);
                Closure::<dyn Fn()>::new(move || {
                    state.backoff.borrow_mut().reset();
                    state.jobs.mode.set(Mode::Stream);
                })
            };
            let on_event = {
                let state = Rc::clone(&state);
                Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
                    if let Some(text) = e.data().as_string() {
                        state.on_message(&text);
                    }
                })
            };
            let on_error = {
                let state = Rc::clone(&state);
                Closure::<dyn Fn()>::new(move || {
                    if let Some(stream) = state.stream.borrow_mut().take() {
                        stream.close();
                    }
                    Live::lost(
                        Rc::clone(&state),
                        "the live connection is unavailable".into(),
                    );
                })
            };
            stream.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            stream.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            for kind in [
                "job.updated",
                "job.deleted",
                "job.queue",
                "collection.updated",
                "resync",
            ] {
                let _ = stream
                    .add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
            }
            on_open.forget();
            on_event.forget();
            on_error.forget();
            *state.stream.borrow_mut() = Some(stream);
        });
    }

    /// Neither connection is up: poll meanwhile, and try again (the
    /// WebSocket first) after `shared::delivery::client::Backoff`'s pause (0.5 s,
    /// doubling to 30 s).
    fn lost(state: Rc<Live>, why: String) {
        *state.socket.borrow_mut() = None;
        state.jobs.mode.set(Mode::Polling(why));
        let delay = state.backoff.borrow_mut().next_delay();
        set_timeout(move || Live::connect(state), delay);
    }

    fn on_message(&self, text: &str) {
        let Ok(message) = serde_json::from_str::<ServerMessage>(text) else {
            return;
        };
        if let Some(seq) = message.seq() {
            *self.last_seq.borrow_mut() = Some(seq);
        }
        match message {
            ServerMessage::JobUpdated { job, .. } => {
                self.collections.member_changed(&job);
                self.jobs.upsert(*job);
            }
            ServerMessage::JobDeleted { job_id, .. } => {
                self.collections.member_removed(&job_id);
                self.jobs.remove(&job_id);
            }
            ServerMessage::CollectionUpdated { collection, .. } => {
                self.collections.upsert(*collection)
            }
            ServerMessage::Queue { job_id, queue } => self.jobs.list.update(|list| {
                if let Some(job) = list.iter_mut().find(|j| {
                    j.id == job_id && j.state() == shared::contract::api::JobState::Uploaded
                }) {
                    job.queue = Some(queue);
                }
            }),
            ServerMessage::Resync { .. } => {
                let jobs = self.jobs;
                let collections = self.collections;
                let token = self.token.clone();
                spawn_local(async move {
                    if let Ok(page) = api::own_jobs(&token, None).await {
                        jobs.list.set(Vec::new());
                        jobs.next_cursor.set(page.next_cursor);
                        for job in page.jobs {
                            jobs.upsert(job);
                        }
                    }
                    if let Ok(page) = api::collections(&token, None).await {
                        for c in page.collections {
                            collections.upsert(c);
                        }
                    }
                    if let Some(id) = collections.shown.get_untracked() {
                        collections.load_members(&token, &id).await;
                    }
                });
            }
            _ => {}
        }
    }

    async fn refresh_places(&self) {
        let waits = self.jobs.list.with_untracked(|l| {
            l.iter()
                .any(|j| j.state() == shared::contract::api::JobState::Uploaded)
        });
        if !waits {
            return;
        }
        if let Ok(page) = api::waiting(&self.token).await {
            for job in page.jobs {
                self.jobs.upsert(job);
            }
        }
    }

    async fn poll_running(&self) {
        if js_sys::Date::now() < *self.not_before.borrow() {
            return;
        }
        let running: Vec<String> = self
            .jobs
            .list
            .get_untracked()
            .into_iter()
            .filter(|j| !j.state().is_terminal())
            .map(|j| j.id)
            .collect();
        for id in running {
            let etag = self.etags.borrow().get(&id).cloned();
            match api::poll(&self.token, &id, etag.as_deref()).await {
                Ok(polled) => {
                    if let Some(secs) = polled.retry_after_secs {
                        let until = js_sys::Date::now() + f64::from(secs) * 1000.0;
                        let mut nb = self.not_before.borrow_mut();
                        *nb = nb.max(until);
                    }
                    if let Some(etag) = polled.etag {
                        self.etags.borrow_mut().insert(id.clone(), etag);
                    }
                    if let Some(job) = polled.job {
                        self.jobs.upsert(job);
                    }
                }
                Err(e) if e.status == 404 => self.jobs.remove(&id),
                Err(_) => {}
            }
        }
    }
}

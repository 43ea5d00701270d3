//! The owner's Server-Sent Event streams: the same numbered events as the
//! WebSockets (`stream`), framed by `shared::delivery::sse`. A stream is a response
//! whose body the hub keeps feeding, so — unlike a hibernating WebSocket — it
//! keeps the object in memory for as long as it is open: at most
//! `shared::delivery::sse::MAX_STREAMS_PER_OWNER` per owner, a comment every
//! `HEARTBEAT_SECS`. Each body is a `crate::pipe` body: when its client
//! leaves, its writer fails and drops the stream's receiver, which frees its
//! place at once.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use futures_channel::mpsc::{UnboundedSender, unbounded};
use futures_util::StreamExt;
use shared::contract::api::{ErrorBody, ErrorCode};
use shared::delivery::sse;
use worker::{Delay, Response};

use crate::error::{AppError, AppResult};

#[derive(Default)]
pub struct Streams {
    senders: RefCell<Vec<UnboundedSender<String>>>,
    beating: Cell<bool>,
}

impl Streams {
    /// Open streams (after dropping those whose client left).
    pub fn count(&self) -> usize {
        self.senders.borrow_mut().retain(|tx| !tx.is_closed());
        self.senders.borrow().len()
    }

    /// Pushes one frame to every open stream; a stream whose client left is
    /// dropped.
    pub fn push(&self, frame: &str) {
        self.senders
            .borrow_mut()
            .retain(|tx| tx.unbounded_send(frame.to_owned()).is_ok());
    }

    /// A new stream that starts with `first` (the retry hint, then what the
    /// client missed), or 429 when the owner has as many open as allowed.
    pub fn open(self: &Rc<Self>, first: Vec<String>) -> AppResult<Response> {
        if self.count() >= sse::MAX_STREAMS_PER_OWNER {
            return Err(AppError::Client(ErrorBody::new(
                ErrorCode::QuotaExceeded,
                format!(
                    "{} event streams are open for this owner, the most allowed; close one, or use the WebSocket (GET /events with Upgrade: websocket), which costs nothing while idle",
                    sse::MAX_STREAMS_PER_OWNER
                ),
            )));
        }
        let (tx, rx) = unbounded::<String>();
        for frame in std::iter::once(sse::preamble()).chain(first) {
            // The receiver is ours until the response takes it.
            let _ = tx.unbounded_send(frame);
        }
        self.senders.borrow_mut().push(tx);
        self.beat();
        let mut resp =
            crate::pipe::respond(rx.map(|frame| Ok::<Vec<u8>, worker::Error>(frame.into_bytes())))?;
        let headers = resp.headers_mut();
        headers.set("content-type", sse::CONTENT_TYPE)?;
        headers.set("cache-control", "no-cache, no-transform")?;
        headers.set("x-accel-buffering", "no")?;
        Ok(resp)
    }

    /// The heartbeat, while any stream is open (one loop per object).
    fn beat(self: &Rc<Self>) {
        if self.beating.replace(true) {
            return;
        }
        let streams = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                Delay::from(Duration::from_secs(u64::from(sse::HEARTBEAT_SECS))).await;
                streams.push(sse::heartbeat());
                if streams.count() == 0 {
                    streams.beating.set(false);
                    return;
                }
            }
        });
    }
}

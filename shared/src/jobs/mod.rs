//! A job's life: the state machine ([`state`]), the queue messages and retry schedule
//! ([`queue`]), KV write pacing ([`pacing`]), the watchdog of unfinished jobs
//! ([`watchdog`]), retention ([`retention`]), the queue line's places and ETA ([`line`]),
//! resumable uploads ([`upload`]), the bounds of one analysis ([`limits`]), the
//! Durable Objects' schema versions ([`migrations`]), the collection state machine
//! ([`collection`]: a job of jobs), and behind `test-hooks` the failure injection of
//! the tests ([`hooks`]).

pub mod collection;
#[cfg(feature = "test-hooks")]
pub mod hooks;
pub mod limits;
pub mod line;
pub mod migrations;
pub mod pacing;
pub mod queue;
pub mod retention;
pub mod state;
pub mod tus;
pub mod upload;
pub mod watchdog;

//! Docket's platform-free core.
//!
//! Everything that decides something lives here: the API types both sides speak
//! ([`api`], [`report`]) and what every client does alike ([`client`]), the job state machine ([`state`]), what is accepted at
//! the door ([`validate`], [`auth`], [`callback`], [`idempotency`], [`cors`]),
//! polling, listing and live events ([`poll`], [`listing`], [`events`]), the queue messages and retry
//! schedule ([`queue`]), webhook signing and delivery rules ([`webhooks`]), KV write pacing ([`pacing`]), rate limits and quotas ([`ratelimit`]), the watchdog of unfinished jobs ([`watchdog`]), resumable uploads ([`upload`]), retention ([`retention`]), the Durable Objects' schema versions ([`migrations`]),
//! the operator's log lines ([`oplog`]), the numbers and the tests of Nigrini's suite ([`numbers`], [`roles`], [`benford`], [`amounts`], [`magnitude`]), the evidence behind a report ([`evidence`]) and, behind the
//! `analysis` feature, the PDF analysis engine ([`analysis`]).
//!
//! **Invariant:** this crate does no IO and knows nothing about HTTP, KV, R2,
//! Durable Objects or the browser. The worker (`edge/`) adapts it to the platform;
//! the SPA (`app/`) displays it. That is what keeps it testable natively.

pub mod amounts;
pub mod api;
pub mod auth;
pub mod benford;
pub mod callback;
pub mod client;
pub mod cors;
pub mod events;
pub mod evidence;
#[cfg(feature = "test-hooks")]
pub mod hooks;
pub mod idempotency;
pub mod line;
pub mod listing;
pub mod magnitude;
pub mod migrations;
pub mod numbers;
pub mod oplog;
pub mod pacing;
pub mod poll;
pub mod queue;
pub mod ratelimit;
pub mod report;
pub mod retention;
pub mod roles;
pub mod sse;
pub mod state;
pub mod upload;
pub mod validate;
pub mod watchdog;
pub mod webhook_ops;
pub mod webhooks;

#[cfg(feature = "analysis")]
pub mod analysis;

//! End-to-end tests against a real `wrangler dev` (KV, R2, Queues and the
//! Durable Object simulated by workerd). `cargo xtask test` starts the server on
//! a free port with a throw-away state directory and sets `DOCKET_URL`,
//! `DOCKET_CORPUS` and `DOCKET_MAX_UPLOAD_BYTES`.

mod cli;
mod collections;
mod events;
mod jobs;
mod openapi;
mod receiver;
mod socket;
mod sse;
mod support;
mod webhooks;

//! Faults, each against a real `wrangler dev`, each failing when anything is
//! lost: the server killed (SIGKILL) while jobs run and restarted on its
//! state; analyses that fail (test-only injection) and one that never answers
//! (the dead-letter path); a webhook receiver down for a minute; WebSocket
//! clients dropped mid-stream; a hub from before schema versions woken by this
//! code; 100 jobs deleted while they are analysed; a PDF with a broken page
//! (partial success); jobs cancelled; a late first message
//! overtaken by the watchdog's next attempt; and a sweep of bad input on
//! every endpoint.
//!
//! `cargo xtask test` starts the shared server (`DOCKET_URL`) with the test
//! hooks on; the crash, migration and late-message tests start servers of their own.

#[path = "../e2e/openapi.rs"]
mod openapi;
#[allow(dead_code)]
#[path = "../e2e/receiver.rs"]
mod receiver;
#[allow(dead_code)]
#[path = "../e2e/socket.rs"]
mod socket;
#[allow(dead_code)]
#[path = "../e2e/support.rs"]
mod support;

mod bad_input;
mod cancel;
mod collections;
mod crash;
mod deletes;
mod fanout;
mod late;
mod migration;
mod outage;
mod partial;
mod pdfs;
mod retries;
mod sockets;
mod uploads;

//! Docket's Cloudflare Worker: thin adapters from the platform (HTTP, KV, R2,
//! Queues, the Durable Object) to the decisions made in `shared`.
//!
//! Entry points: [`fetch`] (the HTTP API under `/api/v1/`; everything else is the
//! SPA, served by the assets binding before the worker is reached), [`queue`]
//! (the analysis consumer and webhook delivery), [`scheduled`] (the retention sweep) and
//! [`hub::JobHub`] (the per-owner Durable Object).
//!
//! **Invariant:** no business rule lives here. Whether a transition is legal,
//! what a valid upload is, what the report says: all of that is `shared`'s.

// Without the analyser the consumer's helpers (the job writer, the slice
// and result stores, the failure injection of analyses) have no caller yet:
// they move behind the feature as the two Workers are wired (#30).
#![cfg_attr(not(feature = "analyser"), allow(dead_code))]

mod config;
#[cfg(feature = "analyser")]
mod consumer;
mod error;
mod hooks;
mod hub;
mod intake;
mod jobs;
mod limiter;
mod line;
mod objects;
mod pipe;
mod retention;
mod routes;
mod store;
mod uploads;
mod util;
mod webhooks;

use worker::{
    Context, Env, MessageBatch, Request, Response, Result, ScheduleContext, ScheduledEvent, event,
};

pub use hub::JobHub;
pub use limiter::Limiter;
pub use line::Line;

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    util::isolate_age_ms();
    Ok(routes::handle(req, env).await)
}

#[event(queue)]
async fn queue(batch: MessageBatch<serde_json::Value>, env: Env, _ctx: Context) -> Result<()> {
    util::isolate_age_ms();
    let queue = batch.queue();
    if queue == config::WEBHOOKS_QUEUE_NAME || queue == config::WEBHOOKS_DLQ_NAME {
        webhooks::handle_batch(batch, env).await;
    } else {
        analysis_batch(batch, env).await;
    }
    Ok(())
}

#[cfg(feature = "analyser")]
async fn analysis_batch(batch: MessageBatch<serde_json::Value>, env: Env) {
    consumer::handle_batch(batch, env).await;
}

/// A build without the analyser is not the analysis queue's consumer (its
/// wrangler configuration names none); a batch that reaches it anyway goes
/// back to the queue for the Worker that has one.
#[cfg(not(feature = "analyser"))]
async fn analysis_batch(batch: MessageBatch<serde_json::Value>, _env: Env) {
    worker::console_error!(
        "{{\"log\":\"docket.queue\",\"what\":\"no_analyser\",\"queue\":\"{}\"}}",
        batch.queue()
    );
    batch.retry_all();
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    retention::sweep(&env, event.schedule()).await;
}

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

mod config;
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
        consumer::handle_batch(batch, env).await;
    }
    Ok(())
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    retention::sweep(&env, event.schedule()).await;
}

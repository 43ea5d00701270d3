//! Publishing job events to the owner's `JobHub` Durable Object, which pushes
//! them to that owner's WebSockets. A failed publish is logged, never fatal: the
//! job record in KV stays the source of truth.

use shared::api::Job;
use worker::{Env, Method, Request, RequestInit, console_warn};

use crate::config::JOB_HUB;

/// Sends one job change to the owner's hub.
pub async fn publish(env: &Env, owner: &str, job: &Job) {
    if let Err(e) = try_publish(env, owner, job).await {
        console_warn!("publish of job {} to hub failed: {e}", job.id);
    }
}

async fn try_publish(env: &Env, owner: &str, job: &Job) -> worker::Result<()> {
    let stub = env
        .durable_object(JOB_HUB)?
        .id_from_name(owner)?
        .get_stub()?;
    let body = serde_json::to_string(job)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let req = Request::new_with_init("https://hub/publish", &init)?;
    stub.fetch_with_request(req).await?;
    Ok(())
}

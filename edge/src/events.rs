//! Publishing job events to the owner's `JobHub` Durable Object, which pushes
//! them to that owner's WebSockets. A failed publish is logged, never fatal: the
//! job record in KV stays the source of truth.

use shared::api::Job;
use worker::{Env, Method, Request, RequestInit, console_warn};

use crate::config::JOB_HUB;
use crate::hub::{Forget, WaitRequest};
use shared::listing::{JobList, Query};

/// Sends a request to the owner's hub.
async fn hub_call(
    env: &Env,
    owner: &str,
    path: &str,
    body: String,
) -> worker::Result<worker::Response> {
    let stub = env
        .durable_object(JOB_HUB)?
        .id_from_name(owner)?
        .get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    stub.fetch_with_request(Request::new_with_init(
        &format!("https://hub{path}"),
        &init,
    )?)
    .await
}

/// One page of the owner's jobs, from the hub's index.
pub async fn list(env: &Env, owner: &str, query: &Query) -> worker::Result<JobList> {
    let mut resp = hub_call(env, owner, "/list", serde_json::to_string(query)?).await?;
    if resp.status_code() != 200 {
        return Err(worker::Error::RustError(format!(
            "hub answered {}",
            resp.status_code()
        )));
    }
    resp.json().await
}

/// Tells the hub a job was deleted (so it leaves the index for good).
pub async fn forget(env: &Env, owner: &str, job_id: &str) {
    let body = serde_json::to_string(&Forget {
        job_id: job_id.to_owned(),
    });
    let result = match body {
        Ok(body) => hub_call(env, owner, "/forget", body).await.map(|_| ()),
        Err(e) => Err(e.into()),
    };
    if let Err(e) = result {
        console_warn!("forgetting job {job_id} in the hub failed: {e}");
    }
}

/// Waits up to `seconds` for a newer version of `job` than the one given, from
/// the owner's hub. `None` when nothing changed (or the hub was unreachable).
pub async fn wait_for_change(env: &Env, owner: &str, job: &Job, seconds: u32) -> Option<Job> {
    match try_wait(env, owner, job, seconds).await {
        Ok(newer) => newer,
        Err(e) => {
            console_warn!("long-poll of job {} through the hub failed: {e}", job.id);
            None
        }
    }
}

async fn try_wait(env: &Env, owner: &str, job: &Job, seconds: u32) -> worker::Result<Option<Job>> {
    let stub = env
        .durable_object(JOB_HUB)?
        .id_from_name(owner)?
        .get_stub()?;
    let body = serde_json::to_string(&WaitRequest {
        job_id: job.id.clone(),
        seen_updated_at: job.updated_at.clone(),
        timeout_ms: u64::from(seconds) * 1000,
    })?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let mut resp = stub
        .fetch_with_request(Request::new_with_init("https://hub/wait", &init)?)
        .await?;
    if resp.status_code() == 200 {
        Ok(Some(resp.json().await?))
    } else {
        Ok(None)
    }
}

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

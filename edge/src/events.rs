//! Calls from the edge to the owner's `JobHub` Durable Object (publishing job
//! events, forgetting deleted jobs, the job list, the long-poll, WebSocket
//! tickets and connections, webhook secrets and delivery logs, rate limits and
//! quotas) and to the per-address `Limiter`. A failed publish is logged, never
//! fatal: the job record in KV stays the source of truth.

use serde::Serialize;
use shared::api::Job;
use shared::listing::{JobList, Query};
use worker::{Env, Headers, Method, Request, RequestInit, Response, console_warn};

use shared::ratelimit::{Decision, Rule};
use shared::webhooks::Secrets;

use crate::config::{JOB_HUB, LIMITER};
use crate::hub::{
    Admission, Admit, CONNECT_HEADER, Connect, Debug, Forget, JobRef, Publish, ResultSize,
    SecretInit, SecretRotate, TicketGrant, WaitRequest,
};
use crate::limiter::Hit;
use crate::webhooks::Outgoing;

/// Sends a request to the owner's hub.
async fn hub_fetch(
    env: &Env,
    owner: &str,
    path: &str,
    init: &RequestInit,
) -> worker::Result<Response> {
    let stub = env
        .durable_object(JOB_HUB)?
        .id_from_name(owner)?
        .get_stub()?;
    stub.fetch_with_request(Request::new_with_init(&format!("https://hub{path}"), init)?)
        .await
}

/// POSTs `body` as JSON to the owner's hub.
async fn hub_post(
    env: &Env,
    owner: &str,
    path: &str,
    body: &impl Serialize,
) -> worker::Result<Response> {
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(body)?.into()));
    hub_fetch(env, owner, path, &init).await
}

fn expect_status(resp: &Response, want: u16, what: &str) -> worker::Result<()> {
    if resp.status_code() == want {
        Ok(())
    } else {
        Err(worker::Error::RustError(format!(
            "hub answered {} to {what}",
            resp.status_code()
        )))
    }
}

/// One page of the owner's jobs, from the hub's index.
pub async fn list(env: &Env, owner: &str, query: &Query) -> worker::Result<JobList> {
    let mut resp = hub_post(env, owner, "/list", query).await?;
    expect_status(&resp, 200, "list")?;
    resp.json().await
}

/// Tells the hub a job was deleted: it leaves the index for good and the
/// owner's sockets hear `job.deleted`.
pub async fn forget(env: &Env, owner: &str, job_id: &str) {
    let body = Forget {
        owner: owner.to_owned(),
        job_id: job_id.to_owned(),
    };
    let result = match hub_post(env, owner, "/forget", &body).await {
        Ok(resp) => expect_status(&resp, 204, "forget"),
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        console_warn!("forgetting job {job_id} in the hub failed: {e}");
    }
}

/// Waits up to `seconds` for a newer version of `job` than the one given, from
/// the owner's hub. `None` when nothing changed (or the hub was unreachable).
pub async fn wait_for_change(env: &Env, owner: &str, job: &Job, seconds: u32) -> Option<Job> {
    let request = WaitRequest {
        job_id: job.id.clone(),
        seen_updated_at: job.updated_at.clone(),
        timeout_ms: u64::from(seconds) * 1000,
    };
    let answer = async {
        let mut resp = hub_post(env, owner, "/wait", &request).await?;
        if resp.status_code() == 200 {
            Ok(Some(resp.json::<Job>().await?))
        } else {
            Ok::<_, worker::Error>(None)
        }
    };
    match answer.await {
        Ok(newer) => newer,
        Err(e) => {
            console_warn!("long-poll of job {} through the hub failed: {e}", job.id);
            None
        }
    }
}

/// Sends one job change to the owner's hub (which numbers it and pushes it).
pub async fn publish(env: &Env, owner: &str, job: &Job) {
    let body = Publish {
        owner: owner.to_owned(),
        job: job.clone(),
    };
    let result = match hub_post(env, owner, "/publish", &body).await {
        Ok(resp) => expect_status(&resp, 204, "publish"),
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        console_warn!("publish of job {} to the hub failed: {e}", job.id);
    }
}

/// Has the owner's hub remember a WebSocket ticket (by hash) until it expires.
pub async fn grant_ticket(env: &Env, owner: &str, grant: &TicketGrant) -> worker::Result<()> {
    let resp = hub_post(env, owner, "/ticket", grant).await?;
    expect_status(&resp, 204, "ticket")
}

/// Hands a WebSocket upgrade to the owner's hub; its answer (101, or 401 for a
/// refused ticket) goes back to the client as is.
pub async fn connect(env: &Env, upgrade: &Headers, connect: &Connect) -> worker::Result<Response> {
    let headers = Headers::new();
    for name in [
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
    ] {
        if let Some(value) = upgrade.get(name)? {
            headers.set(name, &value)?;
        }
    }
    headers.set(CONNECT_HEADER, &serde_json::to_string(connect)?)?;
    let mut init = RequestInit::new();
    init.with_headers(headers);
    hub_fetch(env, &connect.owner, "/connect", &init).await
}

/// The hub's instance and sockets (test hooks only).
pub async fn debug(env: &Env, owner: &str) -> worker::Result<Debug> {
    let mut init = RequestInit::new();
    init.with_method(Method::Get);
    let mut resp = hub_fetch(env, owner, "/debug", &init).await?;
    expect_status(&resp, 200, "debug")?;
    resp.json().await
}

/// Stores the owner's first webhook secret.
pub async fn init_secrets(env: &Env, owner: &str, secret: &str) -> worker::Result<()> {
    let body = SecretInit {
        secret: secret.to_owned(),
    };
    let resp = hub_post(env, owner, "/secrets/init", &body).await?;
    expect_status(&resp, 204, "secrets/init")
}

/// Rotates the owner's webhook secret; returns the secrets after it.
pub async fn rotate_secrets(
    env: &Env,
    owner: &str,
    rotate: &SecretRotate,
) -> worker::Result<Secrets> {
    let mut resp = hub_post(env, owner, "/secrets/rotate", rotate).await?;
    expect_status(&resp, 200, "secrets/rotate")?;
    resp.json().await
}

/// The owner's webhook secrets (`None` for an owner minted without one).
pub async fn secrets(env: &Env, owner: &str) -> worker::Result<Option<Secrets>> {
    let mut init = RequestInit::new();
    init.with_method(Method::Get);
    let mut resp = hub_fetch(env, owner, "/secrets", &init).await?;
    expect_status(&resp, 200, "secrets")?;
    resp.json().await
}

/// Puts a webhook event in the owner's outbox (its hub delivers it).
pub async fn outbox_add(env: &Env, owner: &str, event: &Outgoing) -> worker::Result<()> {
    let resp = hub_post(env, owner, "/outbox/add", event).await?;
    expect_status(&resp, 204, "outbox/add")
}

/// The hub's latest version of a job, with its delivery log (`None` when the
/// hub does not know it).
pub async fn indexed_job(env: &Env, owner: &str, job_id: &str) -> worker::Result<Option<Job>> {
    let body = JobRef {
        job_id: job_id.to_owned(),
    };
    let mut resp = hub_post(env, owner, "/job", &body).await?;
    expect_status(&resp, 200, "job")?;
    resp.json().await
}

/// Counts one request of the owner's under `rules` (kept apart by `key`).
pub async fn limit(env: &Env, owner: &str, key: &str, rules: &[Rule]) -> worker::Result<Decision> {
    let body = Hit {
        key: key.to_owned(),
        rules: rules.to_vec(),
    };
    let mut resp = hub_post(env, owner, "/limit", &body).await?;
    expect_status(&resp, 200, "limit")?;
    resp.json().await
}

/// Counts one request from a client address (no owner yet).
pub async fn limit_address(
    env: &Env,
    address: &str,
    key: &str,
    rule: Rule,
) -> worker::Result<Decision> {
    let stub = env
        .durable_object(LIMITER)?
        .id_from_name(&format!("address:{address}"))?
        .get_stub()?;
    let body = Hit {
        key: key.to_owned(),
        rules: vec![rule],
    };
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(&body)?.into()));
    let mut resp = stub
        .fetch_with_request(Request::new_with_init("https://limiter/hit", &init)?)
        .await?;
    expect_status(&resp, 200, "limiter")?;
    resp.json().await
}

/// Asks the owner's hub to admit an upload (rate and quotas).
pub async fn admit(env: &Env, owner: &str, admit: &Admit) -> worker::Result<Admission> {
    let mut resp = hub_post(env, owner, "/admit", admit).await?;
    expect_status(&resp, 200, "admit")?;
    resp.json().await
}

/// Gives back an admitted upload's place (it did not become a job).
pub async fn release(env: &Env, owner: &str, job_id: &str) {
    let body = JobRef {
        job_id: job_id.to_owned(),
    };
    if let Err(e) = hub_post(env, owner, "/release", &body).await {
        console_warn!("releasing the reservation of {job_id} failed: {e}");
    }
}

/// Tells the hub how big a job's stored report is (for the storage quota).
pub async fn result_size(env: &Env, owner: &str, job_id: &str, bytes: u64) {
    let body = ResultSize {
        job_id: job_id.to_owned(),
        bytes,
    };
    if let Err(e) = hub_post(env, owner, "/result-size", &body).await {
        console_warn!("recording the report size of {job_id} failed: {e}");
    }
}

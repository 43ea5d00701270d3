//! The calls the rest of the worker makes that must not fail the work they
//! belong to: a lost publish, deletion mark or reservation release is logged (the
//! job record in KV stays the source of truth, and the next version or the
//! reservation's expiry puts things right). Calls whose answer matters go
//! through `protocol::call` directly.

use shared::contract::api::Job;
use worker::{Env, console_warn};

use crate::objects::protocol::{
    GetJob, MarkDeleted, Publish, Published, Release, ResultSize, Wait, call,
};

/// Sends a new version of a job to the owner's hub (which numbers it and
/// pushes it). `Deleted`: the caller must take back what it wrote for it;
/// `Cancel`: its owner cancelled it; `Stale` also when the hub was not
/// reached.
pub async fn publish(env: &Env, owner: &str, job: &Job) -> Published {
    let request = Publish {
        owner: owner.to_owned(),
        job: job.clone(),
    };
    call(env, owner, request).await.unwrap_or_else(|e| {
        console_warn!("publish of job {} to the hub failed: {e}", job.id);
        Published::Stale
    })
}

/// The newest version of a job, from its KV record and the owner's hub
/// (`shared::contract::poll::newest`): the hub may be ahead of KV, whose writes are
/// paced. `None` when the record is gone (a deleted job); the record alone
/// when the hub cannot be reached.
pub async fn newest(env: &Env, owner: &str, kv: Option<Job>) -> Option<Job> {
    let kv = kv?;
    let request = GetJob {
        job_id: kv.id.clone(),
    };
    let hub = call(env, owner, request).await.unwrap_or_else(|e| {
        console_warn!("the hub's version of job {} is unavailable: {e}", kv.id);
        None
    });
    // The delivery log is the hub's to show; a writer does not carry it.
    shared::contract::poll::newest(Some(kv), hub).map(|mut job| {
        if let Some(callback) = &mut job.callback {
            callback.deliveries.clear();
            callback.disabled = false;
        }
        job
    })
}

/// Tells the hub a job was deleted: it leaves the index for good and the
/// owner's sockets hear `job.deleted`.
pub async fn mark_deleted(env: &Env, owner: &str, job_id: &str) {
    let request = MarkDeleted {
        owner: owner.to_owned(),
        job_id: job_id.to_owned(),
    };
    if let Err(e) = call(env, owner, request).await {
        console_warn!("forgetting job {job_id} in the hub failed: {e}");
    }
}

/// Gives back an admitted upload's place (it did not become a job).
pub async fn release(env: &Env, owner: &str, job_id: &str) {
    let request = Release {
        job_id: job_id.to_owned(),
    };
    if let Err(e) = call(env, owner, request).await {
        console_warn!("releasing the reservation of {job_id} failed: {e}");
    }
}

/// Tells the hub how big a job's stored report is (for the storage quota).
pub async fn result_size(env: &Env, owner: &str, job_id: &str, bytes: u64) {
    let request = ResultSize {
        job_id: job_id.to_owned(),
        bytes,
    };
    if let Err(e) = call(env, owner, request).await {
        console_warn!("recording the report size of {job_id} failed: {e}");
    }
}

/// Waits up to `seconds` for a newer version of `job` than the one given.
/// `None` when nothing changed (or the hub was unreachable).
pub async fn wait_for_change(env: &Env, owner: &str, job: &Job, seconds: u32) -> Option<Job> {
    let request = Wait {
        job_id: job.id.clone(),
        seen: job.stamp(),
        timeout_ms: u64::from(seconds) * 1000,
    };
    call(env, owner, request).await.unwrap_or_else(|e| {
        console_warn!("long-poll of job {} through the hub failed: {e}", job.id);
        None
    })
}

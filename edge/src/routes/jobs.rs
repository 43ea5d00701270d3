//! The job resource: upload (`POST /jobs`), poll (`GET /jobs/{id}`) and result
//! (`GET /jobs/{id}/result`).
//!
//! An upload is checked at the submission (length, filename, first bytes) and then
//! streamed into R2 while its SHA-256 is computed, so no PDF is ever held whole
//! in the fetch handler's memory. Only after the PDF is stored is the job record
//! written and the analysis message sent; if the send fails, both are removed
//! and the client is told to retry, so no job is left without a message.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::future::join;
use futures_util::{StreamExt, stream};
use sha2::{Digest, Sha256};
use shared::contract::api::{ErrorCode, Job, JobState};
use shared::contract::auth::OwnerRecord;
use shared::contract::listing;
use shared::contract::poll;
use shared::contract::validate::{self, PDF_HEADER_WINDOW, looks_like_pdf};
use shared::jobs::upload;
use worker::{Env, FixedLengthStream, Request, Response, console_error};

use crate::config::Config;
use shared::jobs::tus;

use crate::error::{AppError, AppResult};
use crate::hub::client::{release, wait_for_change};
use crate::intake::{Submission, admit, register};
use crate::objects::protocol::{Cancel, Cancelled, GetJob, List, MarkDeleted, call};
use crate::routes::submit::{RETRY_AFTER_SECS, respond, submission};
use crate::routes::{query_param, with_rate};
use crate::store::Store;

pub async fn create(req: Request, env: &Env, owner: &OwnerRecord) -> AppResult<Response> {
    // `Upload-Complete: ?0` (the IETF draft) or `Tus-Resumable` (tus 1.0):
    // the first request of a resumable upload.
    let complete = upload::parse_complete(req.headers().get("upload-complete")?.as_deref())
        .map_err(|e| AppError::Client(e.to_body()))?;
    let tus = tus::speaks(req.headers().get("tus-resumable")?.as_deref());
    if tus == tus::Speaks::Unsupported {
        return super::uploads::unsupported_tus();
    }
    if complete == Some(false) || tus == tus::Speaks::Tus {
        return super::uploads::create(req, env, owner).await;
    }
    let config = Config::from_env(env);
    let length = validate::check_length(
        req.headers().get("content-length")?.as_deref(),
        config.max_upload_bytes,
    )?;
    let submission = submission(&req, &config)?;
    let submission = crate::intake::joining(env, owner, submission).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let rate = admit(env, owner, &config, &id, length).await?;
    let stored = store_upload(req, env, owner, id.clone(), length, submission).await;
    if stored.is_err() {
        release(env, &owner.owner, &id).await;
    }
    with_rate(stored, rate)
}

/// The admitted upload: sniffed, streamed into R2, recorded, queued.
async fn store_upload(
    mut req: Request,
    env: &Env,
    owner: &OwnerRecord,
    id: String,
    length: u64,
    submission: Submission,
) -> AppResult<Response> {
    // Sniff the first bytes before anything is stored.
    let mut body = req.stream()?;
    let mut head = Vec::with_capacity(PDF_HEADER_WINDOW);
    while head.len() < PDF_HEADER_WINDOW {
        match body.next().await {
            Some(chunk) => head.extend_from_slice(&chunk?),
            None => break,
        }
    }
    if !looks_like_pdf(&head) {
        return Err(AppError::client(
            ErrorCode::NotAPdf,
            "the body is not a PDF (it does not start with %PDF-); send the raw bytes of a PDF file",
        ));
    }

    let store = Store::new(env)?;
    let hasher = Rc::new(RefCell::new(Sha256::new()));
    let tap = Rc::clone(&hasher);
    let upload = stream::iter([Ok(head)]).chain(body).inspect(move |chunk| {
        if let Ok(bytes) = chunk {
            tap.borrow_mut().update(bytes);
        }
    });
    if let Err(e) = store
        .put_pdf(&owner.owner, &id, FixedLengthStream::wrap(upload, length))
        .await
    {
        console_error!("upload of job {id} failed: {e}");
        return Err(AppError::client(
            ErrorCode::BadRequest,
            format!(
                "the upload did not arrive whole ({length} bytes were announced); please retry"
            ),
        ));
    }
    if Config::from_env(env).test_hooks && crate::hooks::injected_orphan(&submission.filename) {
        // As a request that dies here: the PDF stored, no job, the
        // reservation kept (the owner's hub removes the PDF at its check).
        return Err(AppError::client(
            ErrorCode::BadRequest,
            format!("upload {id} stopped after storing its PDF (test hook); please retry"),
        ));
    }
    let sha256 = hex::encode(hasher.borrow_mut().finalize_reset());
    respond(register(env, &store, owner, &id, length, sha256, submission).await?)
}

/// The job as the API shows it: the newer of the KV record and the owner's
/// hub's version (`shared::contract::poll::newest`), with the webhook delivery log. If
/// the hub cannot be reached, the KV record alone.
pub(super) async fn load(env: &Env, owner: &OwnerRecord, id: &str) -> AppResult<Job> {
    let not_found = || AppError::client(ErrorCode::NotFound, format!("no job {id}"));
    if !validate::is_job_id(id) {
        return Err(not_found());
    }
    let store = Store::new(env)?;
    let (kv, hub) = join(
        store.get_job(&owner.owner, id),
        call(
            env,
            &owner.owner,
            GetJob {
                job_id: id.to_owned(),
            },
        ),
    )
    .await;
    let hub = hub.unwrap_or_else(|e| {
        console_error!("the hub's version of job {id} is unavailable: {e}");
        None
    });
    // A job deleted from KV is gone, whatever the hub still says.
    let kv = kv?.ok_or_else(not_found)?;
    poll::newest(Some(kv), hub).ok_or_else(not_found)
}

pub async fn get(req: &Request, env: &Env, owner: &OwnerRecord, id: &str) -> AppResult<Response> {
    let wait = poll::wait_seconds(query_param(req, "wait")?.as_deref())?;
    let if_none_match = req.headers().get("if-none-match")?;
    let mut job = load(env, owner, id).await?;
    if wait > 0 && job.state().is_active() {
        // Wait only when the client already has this version (or named none).
        let current = poll::etag(&job, &serde_json::to_string(&job)?);
        let client_is_current =
            if_none_match.is_none() || poll::none_match(if_none_match.as_deref(), &current);
        if client_is_current
            && let Some(newer) = wait_for_change(env, &owner.owner, &job, wait).await
        {
            job = newer;
        }
    }
    // The ETag names the job's version as stored; its place in the queue
    // (filled in below) changes without the job changing, so a long-poll
    // waits for the next version and a conditional poll answers 304 until
    // then (the listing shows fresh places).
    let etag = poll::etag(&job, &serde_json::to_string(&job)?);
    crate::line::with_places(env, std::slice::from_mut(&mut job)).await;
    let body = serde_json::to_string(&job)?;
    let mut resp = if poll::none_match(if_none_match.as_deref(), &etag) {
        Response::empty()?.with_status(304)
    } else {
        Response::ok(body)?
    };
    let headers = resp.headers_mut();
    headers.set("content-type", "application/json")?;
    headers.set("etag", &etag)?;
    headers.set("cache-control", "no-cache")?;
    if job.state().is_active() {
        headers.set("retry-after", RETRY_AFTER_SECS)?;
    }
    Ok(resp)
}

/// `DELETE /jobs/{id}`: the record, the PDF and the result. A job still being
/// analysed ends without writing anything back (the consumer checks).
pub async fn delete(env: &Env, owner: &OwnerRecord, id: &str) -> AppResult<Response> {
    load(env, owner, id).await?;
    // The hub decides first (and refuses every later version of the job), so
    // a consumer that writes after this either sees its write removed below
    // or hears "deleted" when it publishes and removes it itself.
    let decided = MarkDeleted {
        owner: owner.owner.clone(),
        job_id: id.to_owned(),
    };
    call(env, &owner.owner, decided).await?;
    crate::line::leave(env, id, false).await;
    let store = Store::new(env)?;
    store.delete_job_record(&owner.owner, id).await?;
    store.delete_pdf(&owner.owner, id).await?;
    store.delete_result(&owner.owner, id).await?;
    Ok(Response::empty()?.with_status(204))
}

/// `POST /jobs/{id}/cancel`: 202 with the job. A job no attempt runs ends
/// `cancelled` at once (the answer shows it); a running one stops at its
/// next page (the answer shows it still `processing`; the next version is
/// `cancelled`). The owner's hub decides, so no attempt starts after this.
/// 409 when the job has ended otherwise; a cancelled job answers 202 again.
pub async fn cancel(env: &Env, owner: &OwnerRecord, id: &str) -> AppResult<Response> {
    let job = load(env, owner, id).await?;
    let ended = |job: &Job| {
        AppError::client(
            ErrorCode::Conflict,
            format!(
                "job {id} has ended ({}); only unfinished jobs can be cancelled",
                job.state()
            ),
        )
    };
    let accepted = |job: &Job| -> AppResult<Response> {
        let mut resp = Response::from_json(job)?.with_status(202);
        resp.headers_mut()
            .set("location", &format!("/api/v1/jobs/{}", job.id))?;
        Ok(resp)
    };
    // Asking again is harmless: the same answer.
    if job.state() == JobState::Cancelled {
        return accepted(&job);
    }
    if job.state().is_terminal() {
        return Err(ended(&job));
    }
    let asked = Cancel {
        job_id: id.to_owned(),
        owner: owner.owner.clone(),
        created_at: job.created_at.clone(),
    };
    let job = match call(env, &owner.owner, asked).await? {
        Cancelled::Now => crate::jobs::end_cancelled(env, &owner.owner, id)
            .await?
            .ok_or_else(|| AppError::client(ErrorCode::NotFound, format!("no job {id}")))?,
        Cancelled::Stopping => job,
        Cancelled::Finished => return Err(ended(&load(env, owner, id).await?)),
    };
    if job.state() == JobState::Cancelled {
        crate::line::leave(env, id, false).await;
    }
    // A job that ended meanwhile (it completed first) says so.
    if job.state().is_terminal() && job.state() != JobState::Cancelled {
        return Err(ended(&job));
    }
    accepted(&job)
}

/// `GET /jobs?limit=&cursor=&state=`: newest first, from the owner's hub.
pub async fn list(req: &Request, env: &Env, owner: &OwnerRecord) -> AppResult<Response> {
    let query = listing::parse(
        query_param(req, "limit")?.as_deref(),
        query_param(req, "cursor")?.as_deref(),
        query_param(req, "state")?.as_deref(),
    )?;
    let mut page = call(env, &owner.owner, List { query }).await?;
    crate::line::with_places(env, &mut page.jobs).await;
    Ok(Response::from_json(&page)?)
}

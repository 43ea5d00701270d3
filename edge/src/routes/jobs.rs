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
use shared::api::{ErrorBody, ErrorCode, ErrorResponse, Job, JobState};
use shared::auth::OwnerRecord;
use shared::evidence::ListFormat;
use shared::listing;
use shared::poll;
use shared::report::{Report, digit_table_csv};
use shared::upload;
use shared::validate::{self, PDF_HEADER_WINDOW, looks_like_pdf};
use worker::{Env, FixedLengthStream, Request, Response, console_error};

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::hub::client::{release, wait_for_change};
use crate::intake::{Submission, admit, register};
use crate::objects::protocol::{Cancel, Cancelled, Forget, GetJob, List, call};
use crate::routes::submit::{RETRY_AFTER_SECS, respond, submission};
use crate::routes::{query_param, with_rate};
use crate::store::Store;

pub async fn create(req: Request, env: &Env, owner: &OwnerRecord) -> AppResult<Response> {
    // `Upload-Complete: ?0`: the first request of a resumable upload.
    let complete = upload::parse_complete(req.headers().get("upload-complete")?.as_deref())
        .map_err(|e| AppError::Client(e.to_body()))?;
    if complete == Some(false) {
        return super::uploads::create(req, env, owner).await;
    }
    let config = Config::from_env(env);
    let length = validate::check_length(
        req.headers().get("content-length")?.as_deref(),
        config.max_upload_bytes,
    )?;
    let submission = submission(&req, &config)?;
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
    let sha256 = hex::encode(hasher.borrow_mut().finalize_reset());
    respond(register(env, &store, owner, &id, length, sha256, submission).await?)
}

/// The job as the API shows it: the newer of the KV record and the owner's
/// hub's version (`shared::poll::newest`), with the webhook delivery log. If
/// the hub cannot be reached, the KV record alone.
async fn load(env: &Env, owner: &OwnerRecord, id: &str) -> AppResult<Job> {
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
    let decided = Forget {
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

pub async fn result(env: &Env, owner: &OwnerRecord, id: &str, csv: bool) -> AppResult<Response> {
    let job = load(env, owner, id).await?;
    if let Some(refusal) = no_result(&job)? {
        return Ok(refusal);
    }
    let report = Store::new(env)?
        .get_result(&owner.owner, id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("result of completed job {id} is missing")))?;
    let (body, content_type) = if csv {
        let report: Report = serde_json::from_str(&report)?;
        (digit_table_csv(&report), "text/csv; charset=utf-8")
    } else {
        (report, "application/json")
    };
    let mut resp = Response::ok(body)?;
    resp.headers_mut().set("content-type", content_type)?;
    if csv {
        resp.headers_mut().set(
            "content-disposition",
            &format!("attachment; filename=\"{id}-benford.csv\""),
        )?;
    }
    Ok(resp)
}

/// The answer for a job without a result (failed, cancelled, not done):
/// `None` when it is completed.
fn no_result(job: &Job) -> AppResult<Option<Response>> {
    let id = &job.id;
    let refusal = match job.state() {
        JobState::Completed => return Ok(None),
        JobState::Error => {
            let error = job.error.clone().unwrap_or_else(|| {
                ErrorBody::new(ErrorCode::AnalysisFailed, "the analysis failed")
            });
            with_job(error, job)
        }
        JobState::Cancelled => with_job(
            ErrorBody::new(
                ErrorCode::Conflict,
                format!("job {id} was cancelled; it has no result"),
            ),
            job,
        ),
        JobState::Uploaded | JobState::Processing => with_job(
            ErrorBody::new(
                ErrorCode::NotReady,
                format!("job {id} is {}; the result is not ready yet", job.state()),
            ),
            job,
        ),
    };
    refusal.map(Some)
}

/// `GET /jobs/{id}/numbers`: every number of a completed job's document
/// with its page, box, role and line, as NDJSON or CSV (`format`), only
/// `page`'s when given — streamed a stored part (one slice) at a time.
pub async fn numbers(
    env: &Env,
    owner: &OwnerRecord,
    id: &str,
    format: ListFormat,
    page: Option<u32>,
) -> AppResult<Response> {
    let job = load(env, owner, id).await?;
    if let Some(refusal) = no_result(&job)? {
        return Ok(refusal);
    }
    let store = Store::new(env)?;
    let parts = store.number_parts(&owner.owner, id).await?;
    let head = stream::iter([Ok::<Vec<u8>, worker::Error>(
        format.head().as_bytes().to_vec(),
    )]);
    let body = stream::iter(parts).then(move |key| {
        let store = store.clone();
        async move {
            let text = store.text_of(key.clone()).await.map_err(to_worker)?;
            let text = text.ok_or_else(|| worker::Error::RustError(format!("{key} is missing")))?;
            let rendered = format
                .render(&text, page)
                .map_err(|e| worker::Error::RustError(format!("{key}: {e}")))?;
            Ok::<Vec<u8>, worker::Error>(rendered.into_bytes())
        }
    });
    let mut resp = Response::from_stream(head.chain(body))?;
    resp.headers_mut()
        .set("content-type", format.content_type())?;
    if format == ListFormat::Csv {
        resp.headers_mut().set(
            "content-disposition",
            &format!("attachment; filename=\"{id}-numbers.csv\""),
        )?;
    }
    Ok(resp)
}

/// `GET /jobs/{id}/pages/{page}`: a completed job's page as the engine
/// reads it — its text lines with their boxes and the page's media box —
/// for drawing the page with its suspects (the SPA's page view). The PDF is
/// opened by range reads for that page alone.
pub async fn page_view(
    env: &Env,
    owner: &OwnerRecord,
    id: &str,
    page: u32,
    config: &Config,
) -> AppResult<Response> {
    let job = load(env, owner, id).await?;
    if let Some(refusal) = no_result(&job)? {
        return Ok(refusal);
    }
    let store = Store::new(env)?;
    let size = store
        .pdf_size(&owner.owner, id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("the PDF of completed job {id} is missing")))?;
    let source = store.pdf_ranges(&owner.owner, id, size);
    let now = crate::util::now_ms;
    let mut analysis =
        shared::analysis::Analysis::open_pages(source, &config.limits, &now, page, page)
            .await
            .map_err(|e| AppError::Internal(format!("job {id}: the PDF no longer opens: {e}")))?;
    if page > analysis.pages_total() {
        return Err(AppError::client(
            ErrorCode::NotFound,
            format!(
                "job {id}'s document has {} pages; there is no page {page}",
                analysis.pages_total()
            ),
        ));
    }
    let view = analysis
        .view_page(page, &now)
        .await
        .map_err(|e| AppError::Internal(format!("job {id}, page {page}: {e}")))?;
    Ok(Response::from_json(&view)?)
}

fn to_worker(e: AppError) -> worker::Error {
    worker::Error::RustError(e.to_string())
}

/// An error answer that also carries the job: `{"error": …, "job": …}`.
fn with_job(error: ErrorBody, job: &Job) -> AppResult<Response> {
    let status = error.code.http_status();
    let mut value = serde_json::to_value(ErrorResponse { error })?;
    value["job"] = serde_json::to_value(job)?;
    let mut resp = Response::from_json(&value)?.with_status(status);
    if job.state().is_active() {
        resp.headers_mut().set("retry-after", RETRY_AFTER_SECS)?;
    }
    Ok(resp)
}

//! What both upload routes (one request, resumable) share: an upload's
//! statement besides its bytes, read from the request and checked, and the
//! answer that carries its job.

use shared::contract::api::{ErrorBody, ErrorCode, Job};
use shared::contract::callback;
use shared::contract::idempotency;
use shared::contract::validate;
use shared::reading::columns::Columns;
use shared::reading::roles::Roles;
use worker::{Request, Response};

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::intake::{Registered, Submission};
use crate::routes::query_param;

/// Seconds a poller should wait before asking again while a job runs.
pub(crate) const RETRY_AFTER_SECS: &str = "1";

/// An upload's statement besides its bytes, read from its request and checked.
pub(crate) fn submission(req: &Request, config: &Config) -> AppResult<Submission> {
    // A tus client names its file in `Upload-Metadata` instead.
    let named = match query_param(req, "filename")? {
        Some(name) => Some(name),
        None => req
            .headers()
            .get("upload-metadata")?
            .and_then(|m| shared::jobs::tus::metadata_filename(&m)),
    };
    let filename = validate::filename(named.as_deref())?;
    let idempotency_key = match req.headers().get("idempotency-key")? {
        Some(raw) => Some(idempotency::check_key(&raw)?.to_owned()),
        None => None,
    };
    let callback_url = match query_param(req, "callback_url")? {
        Some(raw) => Some(callback::check(&raw, &config.callback_policy)?.to_string()),
        None => None,
    };
    let roles = parsed(req, "roles", Roles::parse)?;
    let columns = parsed(req, "columns", Columns::parse)?;
    let collection = parsed(req, "collection", |raw| {
        if validate::is_job_id(raw) {
            Ok(raw.to_owned())
        } else {
            Err(format!("collection must be a collection's id, not {raw:?}"))
        }
    })?;
    Ok(Submission {
        filename,
        callback_url,
        idempotency_key,
        roles,
        columns,
        collection,
    })
}

/// Query parameter `name` read by `parse`, when given; `400 bad_request`
/// with `parse`'s reason when it is refused.
fn parsed<T>(
    req: &Request,
    name: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> AppResult<Option<T>> {
    query_param(req, name)?
        .map(|raw| {
            parse(&raw)
                .map_err(|message| AppError::Client(ErrorBody::new(ErrorCode::BadRequest, message)))
        })
        .transpose()
}

/// 202 with a registered job (`Idempotent-Replayed: true` for an earlier one).
pub(crate) fn respond(registered: Registered) -> AppResult<Response> {
    let mut resp = accepted(&registered.job)?;
    if registered.replayed {
        resp.headers_mut().set("idempotent-replayed", "true")?;
    }
    Ok(resp)
}

/// 202 with the job, `Location` and `Retry-After`.
fn accepted(job: &Job) -> AppResult<Response> {
    let mut resp = Response::from_json(job)?.with_status(202);
    let headers = resp.headers_mut();
    headers.set("location", &format!("/api/v1/jobs/{}", job.id))?;
    headers.set("retry-after", RETRY_AFTER_SECS)?;
    Ok(resp)
}

//! Resumable uploads over HTTP (`shared::jobs::upload` has the rules, `crate::uploads`
//! the storage): `POST /jobs` with `Upload-Complete: ?0` creates one,
//! `HEAD`/`GET /uploads/{id}` tells its offset, `PATCH` appends and `DELETE`
//! abandons it; tus 1.0 clients (`shared::jobs::tus`) use the same requests
//! with `Tus-Resumable`, their appends completing the upload when they reach
//! its length. Every answer about an upload carries `Upload-Offset`,
//! `Upload-Complete`, `Upload-Length`, `Upload-Limit` and `Tus-Resumable`.

use shared::contract::api::ErrorCode;
use shared::contract::auth::OwnerRecord;
use shared::jobs::tus;
use shared::jobs::upload::{self, HashState, Phase, Upload, UploadError};
use worker::{Env, Request, Response};

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::hub::client::release;
use crate::intake::{Submission, admit};
use crate::objects::protocol::{UploadGet, call};
use crate::routes::submit::{respond, submission};
use crate::routes::with_rate;
use crate::store::Store;
use crate::uploads::{Appended, abandon, append};
use crate::util::{now_ms, rfc3339_at};

fn client(e: UploadError) -> AppError {
    AppError::Client(e.to_body())
}

/// `POST /jobs` with `Upload-Complete: ?0` and `Upload-Length`: a new
/// upload (its body, if any, is the first append); 201 with its address.
pub async fn create(req: Request, env: &Env, owner: &OwnerRecord) -> AppResult<Response> {
    let config = Config::from_env(env);
    let length = upload::check_length(
        upload::parse_integer(
            "Upload-Length",
            req.headers().get("upload-length")?.as_deref(),
        )
        .map_err(client)?,
        config.max_resumable_bytes,
    )
    .map_err(client)?;
    let submission = submission(&req, &config)?;
    let submission = crate::intake::joining(env, owner, submission).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let rate = admit(env, owner, &config, &id, length).await?;
    let created = open(req, env, owner, &config, &id, length, submission).await;
    if created.is_err() {
        release(env, &owner.owner, &id).await;
    }
    with_rate(created, rate)
}

async fn open(
    mut req: Request,
    env: &Env,
    owner: &OwnerRecord,
    config: &Config,
    id: &str,
    length: u64,
    submission: Submission,
) -> AppResult<Response> {
    let store = Store::new(env)?;
    let multipart_id = store.create_multipart(&owner.owner, id).await?;
    let now = now_ms();
    let upload = Upload {
        id: id.to_owned(),
        owner: owner.owner.clone(),
        filename: submission.filename,
        callback_url: submission.callback_url,
        idempotency_key: submission.idempotency_key,
        roles: submission.roles,
        columns: submission.columns,
        collection: submission.collection,
        length,
        offset: 0,
        multipart_id,
        etags: Vec::new(),
        hash: HashState::new().to_hex(),
        created_ms: now,
        expires_ms: now + config.upload_expiry_secs as f64 * 1000.0,
        phase: Phase::Receiving,
    };
    call(env, &owner.owner, upload.clone()).await?;
    let upload = match append(env, owner, upload, req.stream().ok(), Some(false)).await? {
        Appended::Kept(upload) => upload,
        // The whole file came with the creation: its job at once.
        Appended::Job(registered) => {
            let mut resp = respond(registered)?;
            let headers = resp.headers_mut();
            headers.set("location", &format!("/api/v1/uploads/{id}"))?;
            headers.set("upload-complete", "?1")?;
            headers.set("upload-offset", &length.to_string())?;
            headers.set("tus-resumable", shared::jobs::tus::VERSION)?;
            return Ok(resp);
        }
    };
    let mut resp =
        Response::from_json(&upload.info(rfc3339_at(upload.expires_ms)))?.with_status(201);
    resp.headers_mut()
        .set("location", &format!("/api/v1/uploads/{id}"))?;
    describe(&mut resp, &upload, config)?;
    Ok(resp)
}

/// The caller's upload, or 404 (also for another owner's: it is looked up
/// in the caller's own hub).
async fn find(env: &Env, owner: &OwnerRecord, id: &str) -> AppResult<Upload> {
    if !shared::contract::validate::is_job_id(id) {
        return Err(no_upload(id));
    }
    call(env, &owner.owner, UploadGet { id: id.to_owned() })
        .await?
        .ok_or_else(|| no_upload(id))
}

/// 404 for an upload the caller does not have.
fn no_upload(id: &str) -> AppError {
    AppError::client(
        ErrorCode::NotFound,
        format!("no upload {id} (it expired, was abandoned, or never existed)"),
    )
}

/// `HEAD` (204) or `GET` (200, the upload as JSON): where the upload stands.
pub async fn show(env: &Env, owner: &OwnerRecord, id: &str, head: bool) -> AppResult<Response> {
    let upload = find(env, owner, id).await?;
    let mut resp = if head {
        Response::empty()?.with_status(204)
    } else {
        Response::from_json(&upload.info(rfc3339_at(upload.expires_ms)))?
    };
    describe(&mut resp, &upload, &Config::from_env(env))?;
    Ok(resp)
}

/// `PATCH`: appends the body at `Upload-Offset`; 204 with the offset kept,
/// or — the last append (`Upload-Complete: ?1`) — 202 with the job.
pub async fn patch(
    mut req: Request,
    env: &Env,
    owner: &OwnerRecord,
    id: &str,
) -> AppResult<Response> {
    let headers = req.headers();
    let tus = tus::speaks(headers.get("tus-resumable")?.as_deref());
    if tus == tus::Speaks::Unsupported {
        return unsupported_tus();
    }
    // tus has no `Upload-Complete`: the append that reaches the length ends it.
    let complete =
        match upload::parse_complete(headers.get("upload-complete")?.as_deref()).map_err(client)? {
            Some(complete) => Some(complete),
            None if tus == tus::Speaks::Tus => None,
            None => return Err(client(UploadError::Missing("Upload-Complete"))),
        };
    let offset = upload::parse_integer("Upload-Offset", headers.get("upload-offset")?.as_deref())
        .map_err(client)?;
    let sent = headers
        .get("content-length")?
        .and_then(|v| v.trim().parse::<u64>().ok());
    let config = Config::from_env(env);
    let found = find(env, owner, id).await?;
    if let Err(e) = found.check_append(offset) {
        let mut resp = client(e).into_response();
        describe(&mut resp, &found, &config)?;
        return Ok(resp);
    }
    if let (Some(sent), Phase::Receiving) = (sent, &found.phase) {
        let end = found.offset + sent;
        if end > found.length || (complete == Some(true) && end != found.length) {
            return Err(client(UploadError::WrongLength {
                length: found.length,
                end,
                kept: found.offset,
            }));
        }
    }
    match append(env, owner, found, req.stream().ok(), complete).await {
        Ok(Appended::Kept(upload)) => {
            let mut resp = Response::empty()?.with_status(204);
            describe(&mut resp, &upload, &config)?;
            Ok(resp)
        }
        Ok(Appended::Job(registered)) => {
            let length = registered.job.size_bytes.to_string();
            let mut resp = respond(registered)?;
            let headers = resp.headers_mut();
            headers.set("upload-complete", "?1")?;
            headers.set("upload-offset", &length)?;
            headers.set("tus-resumable", tus::VERSION)?;
            Ok(resp)
        }
        Err(e) => {
            // An answer about the upload says where it stands now.
            let mut resp = e.into_response();
            if let Ok(Some(now)) = call(env, &owner.owner, UploadGet { id: id.to_owned() }).await {
                describe(&mut resp, &now, &config)?;
            }
            Ok(resp)
        }
    }
}

/// `DELETE`: the upload is abandoned; its bytes and quota are freed (a
/// completed upload's job stays).
pub async fn delete(env: &Env, owner: &OwnerRecord, id: &str) -> AppResult<Response> {
    if !shared::contract::validate::is_job_id(id)
        || abandon(env, &Store::new(env)?, owner, id).await?.is_none()
    {
        return Err(no_upload(id));
    }
    let mut resp = Response::empty()?.with_status(204);
    resp.headers_mut().set("tus-resumable", tus::VERSION)?;
    Ok(resp)
}

/// 412: a tus version other than 1.0.0, with the one spoken.
pub fn unsupported_tus() -> AppResult<Response> {
    let mut resp = AppError::client(
        ErrorCode::BadRequest,
        format!("this server speaks tus {} only", tus::VERSION),
    )
    .into_response()
    .with_status(412);
    resp.headers_mut().set("tus-version", tus::VERSION)?;
    Ok(resp)
}

/// The tus discovery headers of an `OPTIONS` answer.
pub fn discovery(resp: &mut Response, config: &Config) -> AppResult<()> {
    let headers = resp.headers_mut();
    headers.set("tus-resumable", tus::VERSION)?;
    headers.set("tus-version", tus::VERSION)?;
    headers.set("tus-extension", tus::EXTENSIONS)?;
    headers.set("tus-max-size", &config.max_resumable_bytes.to_string())?;
    Ok(())
}

/// The draft's and tus's headers about an upload.
fn describe(resp: &mut Response, upload: &Upload, config: &Config) -> AppResult<()> {
    let info = upload.info(String::new());
    let headers = resp.headers_mut();
    headers.set("upload-offset", &info.offset.to_string())?;
    headers.set("upload-complete", if info.complete { "?1" } else { "?0" })?;
    headers.set("upload-length", &upload.length.to_string())?;
    let left = ((upload.expires_ms - now_ms()) / 1000.0).max(0.0) as u64;
    headers.set(
        "upload-limit",
        &upload::limit_header(config.max_resumable_bytes, left),
    )?;
    headers.set("cache-control", "no-store")?;
    headers.set("tus-resumable", tus::VERSION)?;
    Ok(())
}

//! Resumable uploads on the platform (the rules are `shared::jobs::upload`'s): an
//! append's bytes — after the tail the upload kept — are cut into whole
//! parts, each stored as a part of the R2 multipart upload and then
//! recorded in the owner's hub with the hash state after it, so a
//! connection that drops loses at most the part in flight; what is left
//! past the last whole part is stored as the new tail (an object named by
//! its end offset) and recorded too, so the offset always moves on by what
//! arrived. The last append stores the tail as the last part, completes the
//! multipart upload and makes the job (`intake::register`, as a
//! single-request upload does). An upload that expires or is abandoned has
//! its bytes and tail thrown away (`Store::discard_upload`).

use futures_util::StreamExt;
use shared::contract::api::ErrorCode;
use shared::contract::auth::OwnerRecord;
use shared::contract::validate::{PDF_HEADER_WINDOW, keys, looks_like_pdf};
use shared::jobs::upload::{self, HashState, PART_SIZE, Phase, Tail, Upload};
use worker::{ByteStream, Env, console_error, console_warn};

use crate::error::{AppError, AppResult};
use crate::intake::{Registered, Submission, register};
use crate::objects::protocol::{
    UploadCompleting, UploadDone, UploadDrop, UploadKept, UploadTailKept, call,
};
use crate::store::Store;

/// What an append came to.
pub enum Appended {
    /// The upload goes on: the bytes kept so far.
    Kept(Upload),
    /// The upload is complete: its job.
    Job(Registered),
}

/// Appends a body to an upload that the caller checked starts at its kept
/// offset; `complete`: what the client says of whether this append ends the
/// upload (`None` from tus) — it does when it says so or its bytes reach
/// the length.
pub async fn append(
    env: &Env,
    owner: &OwnerRecord,
    upload: Upload,
    body: Option<ByteStream>,
    complete: Option<bool>,
) -> AppResult<Appended> {
    let store = Store::new(env)?;
    if matches!(upload.phase, Phase::Completing { .. }) {
        // Every byte arrived before: an earlier last append died before the
        // job was made.
        return finish(env, &store, owner, upload).await.map(Appended::Job);
    }
    let mut hash = HashState::from_hex(&upload.hash).ok_or_else(|| {
        AppError::Internal(format!("upload {}: unreadable hash state", upload.id))
    })?;
    let mut upload = upload;
    let started_at = upload.offset;
    // The tail kept by the appends before (already in the hash state).
    let old_tail = (upload.tail_len() > 0)
        .then(|| keys::upload_tail(&upload.owner, &upload.id, upload.offset));
    let mut buf: Vec<u8> = match &old_tail {
        Some(key) => store.bytes_of(key.clone()).await?.unwrap_or_default(),
        None => Vec::new(),
    };
    if buf.len() as u64 != upload.tail_len() {
        return Err(AppError::Internal(format!(
            "upload {}: its kept tail has {} bytes, not {}",
            upload.id,
            buf.len(),
            upload.tail_len()
        )));
    }
    let mut hashed = buf.len();
    let mut sniffed = upload.parts_end() > 0 || buf.len() >= PDF_HEADER_WINDOW;
    // Whether the body ended before the client sent all of it: what arrived
    // is kept, whatever the client meant the append to be.
    let mut broke_off = false;
    if let Some(mut body) = body {
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    // The connection broke off: the parts kept stay kept,
                    // and what arrived after them becomes the tail.
                    console_warn!("upload {}: the append broke off: {e}", upload.id);
                    broke_off = true;
                    break;
                }
            };
            let end = upload.parts_end() + (buf.len() + chunk.len()) as u64;
            if end > upload.length {
                return Err(AppError::Client(
                    upload::UploadError::WrongLength {
                        length: upload.length,
                        end,
                        kept: upload.offset,
                    }
                    .to_body(),
                ));
            }
            buf.extend_from_slice(&chunk);
            if !sniffed && buf.len() >= PDF_HEADER_WINDOW {
                refuse_unless_pdf(env, &store, owner, &upload, &buf).await?;
                sniffed = true;
            }
            while buf.len() as u64 >= PART_SIZE {
                let rest = buf.split_off(PART_SIZE as usize);
                let part = std::mem::replace(&mut buf, rest);
                hash.update(&part[hashed.min(part.len())..]);
                hashed = hashed.saturating_sub(part.len());
                let etag = store
                    .upload_part(
                        &upload.owner,
                        &upload.id,
                        &upload.multipart_id,
                        Upload::part_number(upload.parts_end()),
                        part,
                    )
                    .await?;
                upload = call(
                    env,
                    &owner.owner,
                    UploadKept {
                        id: upload.id.clone(),
                        from: upload.offset,
                        etag,
                        hash: hash.to_hex(),
                    },
                )
                .await?;
            }
        }
    }
    let end = upload.parts_end() + buf.len() as u64;
    let appended = match upload::settle(&upload, complete, end, broke_off)
        .map_err(|e| AppError::Client(e.to_body()))?
    {
        Tail::Kept if end <= upload.offset => Appended::Kept(upload),
        Tail::Kept => {
            hash.update(&buf[hashed.min(buf.len())..]);
            let key = keys::upload_tail(&upload.owner, &upload.id, end);
            store.put_bytes(key, buf).await?;
            let kept = UploadTailKept {
                id: upload.id.clone(),
                from: upload.offset,
                end,
                hash: hash.to_hex(),
            };
            Appended::Kept(call(env, &owner.owner, kept).await?)
        }
        Tail::LastPart => {
            if !sniffed {
                refuse_unless_pdf(env, &store, owner, &upload, &buf).await?;
            }
            let etag = if buf.is_empty() {
                None
            } else {
                hash.update(&buf[hashed.min(buf.len())..]);
                Some(
                    store
                        .upload_part(
                            &upload.owner,
                            &upload.id,
                            &upload.multipart_id,
                            Upload::part_number(upload.parts_end()),
                            buf,
                        )
                        .await?,
                )
            };
            let upload = call(
                env,
                &owner.owner,
                UploadCompleting {
                    id: upload.id.clone(),
                    from: upload.offset,
                    etag,
                    sha256: hash.finish(),
                },
            )
            .await?;
            Appended::Job(finish(env, &store, owner, upload).await?)
        }
    };
    // The tail the appends before kept is in a part or a newer tail now
    // (unless nothing arrived).
    let moved = match &appended {
        Appended::Kept(u) => u.offset != started_at,
        Appended::Job(_) => true,
    };
    if let Some(key) = old_tail.filter(|_| moved)
        && let Err(e) = store.delete_key(key).await
    {
        console_warn!("upload: an old tail could not be deleted: {e}");
    }
    Ok(appended)
}

/// A file that does not start as a PDF is refused (415) and its upload
/// thrown away at once.
async fn refuse_unless_pdf(
    env: &Env,
    store: &Store,
    owner: &OwnerRecord,
    upload: &Upload,
    head: &[u8],
) -> AppResult<()> {
    if looks_like_pdf(head) {
        return Ok(());
    }
    abandon(env, store, owner, &upload.id).await?;
    Err(AppError::client(
        ErrorCode::NotAPdf,
        "the upload is not a PDF (it does not start with %PDF-); the upload was discarded",
    ))
}

/// The owner gives an upload up (or it was refused): its state, quota and
/// bytes go. `None`: no such upload.
pub async fn abandon(
    env: &Env,
    store: &Store,
    owner: &OwnerRecord,
    id: &str,
) -> AppResult<Option<Upload>> {
    let dropped = call(env, &owner.owner, UploadDrop { id: id.to_owned() }).await?;
    if let Some(upload) = &dropped {
        let job_exists = store.get_job(&owner.owner, id).await?.is_some();
        store.discard_upload(upload, job_exists).await;
    }
    Ok(dropped)
}

/// Every byte is stored: the multipart upload is completed and the job made
/// (both again after a try that died half-way, which the object and the job
/// record tell).
async fn finish(
    env: &Env,
    store: &Store,
    owner: &OwnerRecord,
    upload: Upload,
) -> AppResult<Registered> {
    let Phase::Completing { sha256 } = &upload.phase else {
        return Err(AppError::Internal(format!(
            "upload {} is not complete",
            upload.id
        )));
    };
    if let Err(e) = store
        .complete_multipart(
            &upload.owner,
            &upload.id,
            &upload.multipart_id,
            &upload.etags,
        )
        .await
    {
        // Completed by an earlier try? Then the object is there, whole.
        if store.pdf_size(&upload.owner, &upload.id).await? != Some(upload.length) {
            return Err(e);
        }
    }
    let registered = match store.get_job(&owner.owner, &upload.id).await? {
        Some(job) => Registered {
            job,
            replayed: false,
        },
        None => {
            let submission = Submission {
                filename: upload.filename.clone(),
                callback_url: upload.callback_url.clone(),
                idempotency_key: upload.idempotency_key.clone(),
                roles: upload.roles,
                columns: upload.columns.clone(),
                collection: upload.collection.clone(),
            };
            register(
                env,
                store,
                owner,
                &upload.id,
                upload.length,
                sha256.clone(),
                submission,
            )
            .await?
        }
    };
    let done = UploadDone {
        id: upload.id.clone(),
        job_id: registered.job.id.clone(),
    };
    if let Err(e) = call(env, &owner.owner, done).await {
        console_error!("upload {}: recording its job failed: {e}", upload.id);
    }
    // A tail an append that lost a race wrote is in no part: thrown away.
    let tails = keys::upload_tails(&upload.owner, &upload.id);
    if let Err(e) = store.delete_under(tails).await {
        console_warn!("upload {}: its stray tails stay: {e}", upload.id);
    }
    Ok(registered)
}

//! The R2 side of resumable uploads: the multipart upload a PDF is sent
//! in, the tail kept past its last whole part, and throwing both away.

use shared::contract::validate::keys;
use shared::jobs::upload::{Phase, Upload};
use worker::{UploadedPart, console_warn};

use super::Store;
use crate::error::AppResult;

impl Store {
    /// Starts the multipart upload of a PDF sent in parts; its id.
    pub async fn create_multipart(&self, owner: &str, id: &str) -> AppResult<String> {
        let upload = self
            .files
            .create_multipart_upload(keys::pdf(owner, id))
            .execute()
            .await?;
        Ok(upload.upload_id().await)
    }

    /// Stores part `number` (1-based) of a multipart upload; its etag.
    pub async fn upload_part(
        &self,
        owner: &str,
        id: &str,
        multipart_id: &str,
        number: u16,
        bytes: Vec<u8>,
    ) -> AppResult<String> {
        let upload = self
            .files
            .resume_multipart_upload(keys::pdf(owner, id), multipart_id)?;
        Ok(upload.upload_part(number, bytes).await?.etag())
    }

    /// Joins the parts (numbered 1, 2, … in the order of `etags`) into the PDF.
    pub async fn complete_multipart(
        &self,
        owner: &str,
        id: &str,
        multipart_id: &str,
        etags: &[String],
    ) -> AppResult<()> {
        let upload = self
            .files
            .resume_multipart_upload(keys::pdf(owner, id), multipart_id)?;
        let parts = etags.iter().enumerate().map(|(i, etag)| {
            UploadedPart::new(u16::try_from(i + 1).unwrap_or(u16::MAX), etag.clone())
        });
        upload.complete(parts).await?;
        Ok(())
    }

    /// Throws away a multipart upload's parts.
    pub async fn abort_multipart(
        &self,
        owner: &str,
        id: &str,
        multipart_id: &str,
    ) -> AppResult<()> {
        let upload = self
            .files
            .resume_multipart_upload(keys::pdf(owner, id), multipart_id)?;
        upload.abort().await?;
        Ok(())
    }

    /// Bytes kept as an object (a resumable upload's tail).
    pub async fn put_bytes(&self, key: String, bytes: Vec<u8>) -> AppResult<()> {
        self.files.put(key, bytes).execute().await?;
        Ok(())
    }

    /// An object's bytes.
    pub async fn bytes_of(&self, key: String) -> AppResult<Option<Vec<u8>>> {
        let Some(object) = self.files.get(key).execute().await? else {
            return Ok(None);
        };
        match object.body() {
            Some(body) => Ok(Some(body.bytes().await?)),
            None => Ok(Some(Vec::new())),
        }
    }

    /// Throws an upload's bytes away: the parts of one still receiving; the
    /// object of one completed without a job. (Errors are logged: an upload
    /// R2 no longer knows has nothing to throw away.)
    pub async fn discard_upload(&self, upload: &Upload, job_exists: bool) {
        let thrown = match &upload.phase {
            Phase::Receiving => {
                self.abort_multipart(&upload.owner, &upload.id, &upload.multipart_id)
                    .await
            }
            Phase::Completing { .. } if !job_exists => {
                let _ = self
                    .abort_multipart(&upload.owner, &upload.id, &upload.multipart_id)
                    .await;
                self.delete_pdf(&upload.owner, &upload.id).await
            }
            _ => Ok(()),
        };
        if let Err(e) = thrown {
            console_warn!("upload {}: discarding its bytes failed: {e}", upload.id);
        }
        let tails = keys::upload_tails(&upload.owner, &upload.id);
        if let Err(e) = self.delete_under(tails).await {
            console_warn!("upload {}: discarding its tail failed: {e}", upload.id);
        }
    }
}

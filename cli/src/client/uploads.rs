//! The upload calls: a PDF in one request, and the resumable upload's
//! creation, offset and appends (`crate::resume` drives them).

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use shared::contract::api::Job;
use shared::delivery::client::{UploadQuery, path};
use shared::jobs::upload::UploadInfo;
use ureq::SendBody;

use super::{Api, Progress, json_or_error};
use crate::error::{CliError, CliResult};

/// What an append came to.
pub enum Appended {
    /// The upload goes on from this offset.
    Kept(u64),
    /// The upload is complete: its job.
    Job(Box<Job>),
}

impl Api {
    /// Uploads a PDF of `total` bytes in one request, calling
    /// `progress(sent, total)` as the bytes go.
    pub fn upload_whole(
        &self,
        file: &Path,
        filename: &str,
        total: u64,
        query: &UploadQuery,
        idempotency_key: Option<&str>,
        progress: Progress,
    ) -> CliResult<Job> {
        let path = path::upload(filename, query);
        let mut headers = vec![
            ("content-type", "application/pdf".to_owned()),
            ("content-length", total.to_string()),
        ];
        if let Some(key) = idempotency_key {
            headers.push(("idempotency-key", key.to_owned()));
        }
        let file = file.to_owned();
        // Each try (a 429 sends it again) reads the file afresh.
        let mut make = || -> CliResult<SendBody<'static>> {
            let reader = File::open(&file)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
            Ok(SendBody::from_owned_reader(Counting {
                inner: reader,
                sent: 0,
                total,
                progress: Arc::clone(&progress),
            }))
        };
        let response = self.send("POST", &path, &headers, Some(&mut make));
        json_or_error(response?)
    }

    /// Creates a resumable upload of `size` bytes (no bytes sent yet); its
    /// address.
    pub fn create_upload(
        &self,
        filename: &str,
        query: &UploadQuery,
        idempotency_key: Option<&str>,
        size: u64,
    ) -> CliResult<String> {
        let mut headers = vec![
            ("upload-complete", "?0".to_owned()),
            ("upload-length", size.to_string()),
            ("content-length", "0".to_owned()),
        ];
        if let Some(key) = idempotency_key {
            headers.push(("idempotency-key", key.to_owned()));
        }
        let response = self.send(
            "POST",
            &path::upload(filename, query),
            &headers,
            Some(&mut || Ok(SendBody::from_owned_reader(std::io::empty()))),
        )?;
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let _: UploadInfo = json_or_error(response)?;
        location.ok_or_else(|| CliError::Network("the new upload has no Location".into()))
    }

    /// Where an upload stands (`None`: it expired or never was).
    pub fn upload_info(&self, location: &str) -> CliResult<Option<UploadInfo>> {
        let response = self.send("GET", location, &[], None)?;
        if response.status().as_u16() == 404 {
            return Ok(None);
        }
        json_or_error(response).map(Some)
    }

    /// One append of `len` bytes at `offset`.
    pub fn append(
        &self,
        location: &str,
        offset: u64,
        len: u64,
        complete: bool,
        body: impl Read + Send + 'static,
    ) -> CliResult<Appended> {
        let headers = [
            ("upload-offset", offset.to_string()),
            (
                "upload-complete",
                if complete { "?1" } else { "?0" }.to_owned(),
            ),
            (
                "content-type",
                shared::jobs::upload::PARTIAL_UPLOAD_TYPE.to_owned(),
            ),
            ("content-length", len.to_string()),
        ];
        // Sent once: a retry starts from the offset the server tells.
        let mut body = Some(body);
        let mut make = || -> CliResult<SendBody<'static>> {
            body.take()
                .map(SendBody::from_owned_reader)
                .ok_or_else(|| CliError::Network("the append was refused; starting over".into()))
        };
        let response = self.send("PATCH", location, &headers, Some(&mut make))?;
        if response.status().as_u16() == 204 {
            let kept = response
                .headers()
                .get("upload-offset")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| {
                    CliError::Network("an append's answer had no Upload-Offset".into())
                })?;
            return Ok(Appended::Kept(kept));
        }
        json_or_error(response).map(|job| Appended::Job(Box::new(job)))
    }
}

/// A file reader that reports how much was read.
struct Counting<R> {
    inner: R,
    sent: u64,
    total: u64,
    progress: Progress,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sent += n as u64;
        (self.progress)(self.sent, self.total);
        Ok(n)
    }
}

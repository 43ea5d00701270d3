//! Resumable uploads from the CLI (the server side is `shared::jobs::upload`): a
//! file bigger than [`Options::above`] goes up in appends of
//! [`APPEND_BYTES`], each answered with the offset the server kept. A
//! dropped connection is resumed from the offset the server tells (`GET
//! /uploads/{id}`), a few times over; and the upload's address is saved
//! (`uploads.json` beside the config file), so `docket submit` run again on
//! the same unchanged file goes on where the last run stopped.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use shared::contract::api::{ErrorCode, Job};
use shared::delivery::client::UploadQuery;
use shared::jobs::upload::PART_SIZE;

use crate::client::{Api, Appended, Progress};
use crate::error::{CliError, CliResult};

/// Bytes sent per append (whole parts, so each one moves the upload on).
pub const APPEND_BYTES: u64 = 4 * PART_SIZE;
/// Files above this go up resumably by default.
pub use shared::jobs::upload::RESUMABLE_ABOVE;
/// Connection losses survived in a row before giving up (the next run
/// resumes).
const RECONNECTS: u32 = 5;

/// How an upload goes.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Files above this many bytes go up resumably.
    pub above: u64,
    /// Bytes per second at most (`None`: as fast as the line goes).
    pub limit_rate: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            above: RESUMABLE_ABOVE,
            limit_rate: None,
        }
    }
}

/// An upload in progress, as saved between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Saved {
    location: String,
    size: u64,
    /// The file's modification time (seconds): a changed file starts over.
    modified: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct SavedUploads {
    #[serde(default)]
    uploads: BTreeMap<String, Saved>,
}

fn saved_path() -> CliResult<PathBuf> {
    Ok(crate::config::path()?.with_file_name("uploads.json"))
}

fn load_saved() -> SavedUploads {
    saved_path()
        .ok()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

fn store_saved(saved: &SavedUploads) {
    let Ok(path) = saved_path() else { return };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(text) = serde_json::to_string_pretty(saved)
        && let Err(e) = std::fs::write(&path, text)
    {
        eprintln!(
            "docket: cannot save the upload's place in {}: {e}",
            path.display()
        );
    }
}

/// The key an upload is saved under: the server and the file's full path.
fn key(server: &str, file: &Path) -> String {
    let full = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_owned());
    format!("{server} {}", full.display())
}

fn modified(file: &Path) -> u64 {
    std::fs::metadata(file)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}

/// Uploads a PDF, calling `progress(sent, total)` as the bytes go: in one
/// request, or resumably when it is bigger than `options.above`.
pub fn upload(
    api: &Api,
    file: &Path,
    query: &UploadQuery,
    idempotency_key: Option<&str>,
    options: Options,
    progress: Progress,
) -> CliResult<Job> {
    let total = std::fs::metadata(file)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?
        .len();
    let filename = file
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CliError::Usage(format!("{} has no usable file name", file.display())))?;
    if total > options.above {
        upload_resumably(
            api,
            file,
            filename,
            query,
            idempotency_key,
            options,
            progress,
        )
    } else {
        api.upload_whole(file, filename, total, query, idempotency_key, progress)
    }
}

/// Uploads `file` resumably (see the module doc); the job.
fn upload_resumably(
    api: &Api,
    file: &Path,
    filename: &str,
    query: &UploadQuery,
    idempotency_key: Option<&str>,
    options: Options,
    progress: Progress,
) -> CliResult<Job> {
    let size = std::fs::metadata(file)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?
        .len();
    let key = key(api.base(), file);
    let stamp = modified(file);
    let mut saved = load_saved();
    let mut place = None;
    if let Some(s) = saved
        .uploads
        .get(&key)
        .filter(|s| s.size == size && s.modified == stamp)
    {
        match api.upload_info(&s.location)? {
            Some(info) if info.complete => {
                if let Some(id) = &info.job_id {
                    saved.uploads.remove(&key);
                    store_saved(&saved);
                    return api.job(id);
                }
            }
            Some(info) => {
                eprintln!(
                    "docket: resuming the upload of {} at {} of {} bytes",
                    file.display(),
                    info.offset,
                    size
                );
                place = Some((s.location.clone(), info.offset));
            }
            None => {}
        }
    }
    let (location, mut offset) = match place {
        Some(p) => p,
        None => {
            let location = api.create_upload(filename, query, idempotency_key, size)?;
            saved.uploads.insert(
                key.clone(),
                Saved {
                    location: location.clone(),
                    size,
                    modified: stamp,
                },
            );
            store_saved(&saved);
            (location, 0)
        }
    };
    let mut lost = 0;
    loop {
        let len = APPEND_BYTES.min(size - offset);
        let complete = offset + len == size;
        let body = Slice::open(
            file,
            offset,
            len,
            options.limit_rate,
            progress.clone(),
            size,
        )?;
        match api.append(&location, offset, len, complete, body) {
            Ok(Appended::Kept(kept)) => {
                lost = 0;
                offset = kept;
            }
            Ok(Appended::Job(job)) => {
                let mut saved = load_saved();
                saved.uploads.remove(&key);
                store_saved(&saved);
                return Ok(*job);
            }
            Err(e) if recoverable(&e) && lost < RECONNECTS => {
                lost += 1;
                std::thread::sleep(Duration::from_secs(u64::from(lost)));
                let info = api.upload_info(&location)?.ok_or_else(|| {
                    CliError::Usage(format!("the upload of {} expired", file.display()))
                })?;
                offset = info.offset;
                eprintln!(
                    "docket: reconnecting… resumed the upload of {} at {offset} bytes",
                    file.display()
                );
            }
            Err(e) => return Err(e),
        }
    }
}

/// A dropped connection, a server error or another offset: ask where the
/// upload stands and go on from there.
fn recoverable(e: &CliError) -> bool {
    match e {
        CliError::Network(_) => true,
        CliError::Api(api) => api.status >= 500 || api.code == Some(ErrorCode::OffsetMismatch),
        _ => false,
    }
}

/// `len` bytes of a file from `offset`, counted for the progress bar and
/// paced to `limit_rate`.
pub struct Slice {
    file: std::io::Take<File>,
    start: u64,
    sent: u64,
    total: u64,
    limit_rate: Option<u64>,
    began: Instant,
    progress: Progress,
}

impl Slice {
    fn open(
        path: &Path,
        offset: u64,
        len: u64,
        limit_rate: Option<u64>,
        progress: Progress,
        total: u64,
    ) -> CliResult<Slice> {
        let unreadable =
            |e: std::io::Error| CliError::Usage(format!("cannot read {}: {e}", path.display()));
        let mut file = File::open(path).map_err(unreadable)?;
        file.seek(SeekFrom::Start(offset)).map_err(unreadable)?;
        Ok(Slice {
            file: file.take(len),
            start: offset,
            sent: 0,
            total,
            limit_rate,
            began: Instant::now(),
            progress,
        })
    }
}

impl Read for Slice {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(rate) = self.limit_rate.filter(|r| *r > 0) {
            // Sleep until the bytes sent so far fit the rate.
            let due = Duration::from_secs_f64(self.sent as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(self.began.elapsed()) {
                std::thread::sleep(wait);
            }
            let step = (rate / 10).max(1) as usize;
            let room = buf.len().min(step);
            let n = self.file.read(&mut buf[..room])?;
            self.sent += n as u64;
            (self.progress)(self.start + self.sent, self.total);
            return Ok(n);
        }
        let n = self.file.read(buf)?;
        self.sent += n as u64;
        (self.progress)(self.start + self.sent, self.total);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_slice_reads_its_range_and_reports_offsets_of_the_whole_file() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("f.bin");
        std::fs::write(&path, (0..100u8).collect::<Vec<_>>()).expect("write");
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let tap = Arc::clone(&seen);
        let progress: Progress = Arc::new(move |sent, total| {
            tap.lock().expect("lock").push((sent, total));
        });
        let mut slice = Slice::open(&path, 10, 20, None, progress, 100).expect("open");
        let mut out = Vec::new();
        slice.read_to_end(&mut out).expect("read");
        assert_eq!(out, (10..30u8).collect::<Vec<_>>());
        let last = *seen.lock().expect("lock").last().expect("progress");
        assert_eq!(last, (30, 100));
    }

    #[test]
    fn a_paced_slice_takes_its_time() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("f.bin");
        std::fs::write(&path, vec![7u8; 3000]).expect("write");
        let progress: Progress = Arc::new(|_, _| {});
        let start = Instant::now();
        let mut slice = Slice::open(&path, 0, 3000, Some(10_000), progress, 3000).expect("open");
        let mut out = Vec::new();
        slice.read_to_end(&mut out).expect("read");
        assert_eq!(out.len(), 3000);
        // 3,000 bytes at 10,000 per second: at least 0.2 s.
        assert!(
            start.elapsed() >= Duration::from_millis(200),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn lost_connections_and_other_offsets_are_resumed_other_refusals_are_not() {
        assert!(recoverable(&CliError::Network("reset".into())));
        let mismatch = shared::delivery::client::ApiError::from_answer(
            409,
            r#"{"error":{"code":"offset_mismatch","message":"at 8"}}"#,
        );
        assert!(recoverable(&CliError::Api(mismatch)));
        let not_pdf = shared::delivery::client::ApiError::from_answer(
            415,
            r#"{"error":{"code":"not_a_pdf","message":"no"}}"#,
        );
        assert!(!recoverable(&CliError::Api(not_pdf)));
    }
}

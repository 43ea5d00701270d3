//! The HTTP API's types, serialised exactly as the contract in DESIGN.md says
//! (JSON, snake_case). Shared by the worker, the SPA, the CLI and the tests, so
//! a change here is a change to the wire format.

use serde::{Deserialize, Serialize};

/// A waiting job's place: 1 is next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueInfo {
    pub position: u32,
    pub eta_seconds: u32,
}

/// Where every API route lives.
pub const API_PREFIX: &str = "/api/v1";

/// The life of a job: `uploaded → processing → completed | error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Uploaded,
    Processing,
    Completed,
    Error,
    /// Stopped at the owner's request (`POST /jobs/{id}/cancel`): no result.
    Cancelled,
}

impl JobState {
    /// Every state, in lifecycle order.
    pub const ALL: [JobState; 5] = [
        JobState::Uploaded,
        JobState::Processing,
        JobState::Completed,
        JobState::Error,
        JobState::Cancelled,
    ];

    /// The states of a job that is not finished: they count against the
    /// active-jobs quota and are what long-polls and the watchdog wait on.
    pub const ACTIVE: [JobState; 2] = [JobState::Uploaded, JobState::Processing];

    /// `completed`, `error` and `cancelled` never change again.
    pub fn is_terminal(self) -> bool {
        !self.is_active()
    }

    /// Whether the job is still to finish (see [`JobState::ACTIVE`]).
    pub fn is_active(self) -> bool {
        JobState::ACTIVE.contains(&self)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Uploaded => "uploaded",
            JobState::Processing => "processing",
            JobState::Completed => "completed",
            JobState::Error => "error",
            JobState::Cancelled => "cancelled",
        }
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something the analysis could not read, on the pages named: the job still
/// completes from the pages it could read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub code: WarningCode,
    pub message: String,
    /// 1-based, ascending.
    pub pages: Vec<u32>,
}

/// What kind of trouble a [`Warning`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// A content stream could not be decoded (corrupt data): the page is
    /// skipped.
    UnreadableContent,
    /// A content stream uses a filter the engine does not implement: the page
    /// is skipped.
    UnsupportedFilter,
    /// A content stream broke off part-way: the page is read up to there.
    TruncatedContent,
    /// Characters whose font gives no way to map them to text: the page is
    /// read without them (numbers among them are missed).
    UnmappedGlyphs,
    /// The file ends early (a download cut short): its objects were found
    /// by scanning it, and pages whose objects are not all there are
    /// skipped (named in the warning's `pages`).
    TruncatedFile,
}

impl WarningCode {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningCode::UnreadableContent => "unreadable_content",
            WarningCode::UnsupportedFilter => "unsupported_filter",
            WarningCode::TruncatedContent => "truncated_content",
            WarningCode::UnmappedGlyphs => "unmapped_glyphs",
            WarningCode::TruncatedFile => "truncated_file",
        }
    }

    /// Whether a page with this trouble is skipped altogether.
    pub fn skips_the_page(self) -> bool {
        matches!(
            self,
            WarningCode::UnreadableContent
                | WarningCode::UnsupportedFilter
                | WarningCode::TruncatedFile
        )
    }
}

/// Pages analysed so far while a job is processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub pages_done: u32,
    pub pages_total: u32,
    /// When the rest should be done, from this analysis's own pace
    /// (`shared::jobs::line::processing_eta_seconds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_seconds: Option<u32>,
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// The receiver answered 2xx.
    Delivered,
    /// It failed; another attempt follows at `next_retry_at`.
    Retrying,
    /// It failed and was the last attempt (or the URL is no longer allowed).
    Failed,
    /// The receiver answered 410 Gone: the job's callback is disabled.
    Disabled,
}

/// One delivery attempt of a webhook event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub event_id: String,
    pub attempt: u32,
    /// RFC 3339.
    pub at: String,
    pub outcome: DeliveryOutcome,
    /// The receiver's status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why the attempt failed, when it did not answer 2xx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_retry_at: Option<String>,
}

/// The callback a client asked for at upload time, with its delivery log
/// (oldest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Callback {
    pub url: String,
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
    /// True once the receiver answered 410 Gone: nothing more is sent.
    #[serde(default)]
    pub disabled: bool,
}

/// A job as every endpoint returns it.
///
/// Built only by [`Job::uploaded`] (or read back from storage), and changed
/// only through the methods in [`crate::jobs::state`], which go through the state
/// machine and count the job's `version`: `state` is not public.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    /// 1 when the upload is accepted, +1 on every change (state, attempt,
    /// progress): orders the versions of a job everywhere (see
    /// [`Job::stamp`]) and feeds the `ETag`. 0 in records written before it
    /// existed.
    #[serde(default)]
    pub(crate) version: u64,
    pub(crate) state: JobState,
    pub filename: String,
    pub size_bytes: u64,
    /// Lower-case hex SHA-256 of the uploaded PDF.
    pub sha256: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC.
    pub updated_at: String,
    /// Analysis attempts started so far (0 until the consumer picks the job up).
    pub attempt: u32,
    pub progress: Option<Progress>,
    pub error: Option<ErrorBody>,
    pub callback: Option<Callback>,
    /// A completed job's pages that could not be read, or only partly (the
    /// report's `warnings`); absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// While `uploaded`: its place in the analysis queue, all owners
    /// together, and when it should be done. Filled in when the job is read;
    /// never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueInfo>,
    /// The roles of numbers the upload chose for the Benford tests
    /// (`?roles=`); absent: the default ([`crate::reading::roles::Roles::default`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<crate::reading::roles::Roles>,
    /// The table columns whose numbers alone enter the tests
    /// (`?columns=`, headers matched without regard to case); absent: every
    /// number of the chosen roles, in a table or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<crate::reading::columns::Columns>,
    /// The collection it joined (`?collection=`): its roles and columns are
    /// the collection's, and its numbers go into the collection's population.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
}

/// Machine-readable error codes, on HTTP errors and on failed jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    // Refused at the door.
    BadRequest,
    InvalidFilename,
    InvalidCallbackUrl,
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    UpgradeRequired,
    LengthRequired,
    PayloadTooLarge,
    NotAPdf,
    Conflict,
    /// A resumable upload's append named another offset than the server's.
    OffsetMismatch,
    /// An append to a resumable upload that is complete already.
    UploadCompleted,
    NotReady,
    RateLimited,
    QuotaExceeded,
    // A job that could not be analysed.
    Encrypted,
    Damaged,
    TooLarge,
    TooManyPages,
    NoText,
    AnalysisFailed,
    // Ours.
    Internal,
}

impl ErrorCode {
    /// The HTTP status an error with this code is answered with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest | ErrorCode::InvalidFilename | ErrorCode::InvalidCallbackUrl => {
                400
            }
            ErrorCode::Unauthorized => 401,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::UpgradeRequired => 426,
            ErrorCode::Conflict | ErrorCode::NotReady | ErrorCode::OffsetMismatch => 409,
            // As the resumable-upload draft's `completed-upload` problem.
            ErrorCode::UploadCompleted => 400,
            ErrorCode::RateLimited | ErrorCode::QuotaExceeded => 429,
            ErrorCode::LengthRequired => 411,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::NotAPdf => 415,
            // A failed job's result: the request was fine, the document was not.
            ErrorCode::Encrypted
            | ErrorCode::Damaged
            | ErrorCode::TooLarge
            | ErrorCode::TooManyPages
            | ErrorCode::NoText
            | ErrorCode::AnalysisFailed => 422,
            ErrorCode::Internal => 500,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::InvalidFilename => "invalid_filename",
            ErrorCode::InvalidCallbackUrl => "invalid_callback_url",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::UpgradeRequired => "upgrade_required",
            ErrorCode::LengthRequired => "length_required",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::NotAPdf => "not_a_pdf",
            ErrorCode::Conflict => "conflict",
            ErrorCode::OffsetMismatch => "offset_mismatch",
            ErrorCode::UploadCompleted => "upload_completed",
            ErrorCode::NotReady => "not_ready",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::Encrypted => "encrypted",
            ErrorCode::Damaged => "damaged",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::TooManyPages => "too_many_pages",
            ErrorCode::NoText => "no_text",
            ErrorCode::AnalysisFailed => "analysis_failed",
            ErrorCode::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{"code": "...", "message": "..."}`: the error part of every error answer,
/// and the `error` of a failed job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            code,
            message: message.into(),
        }
    }
}

/// The envelope of every error answer: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub error: ErrorBody,
}

/// `GET /api/v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub service: String,
    pub version: String,
    /// The largest upload accepted in one request, bytes (so clients can
    /// check before sending).
    #[serde(default)]
    pub max_upload_bytes: u64,
    /// The largest resumable upload accepted, bytes (0: a server without
    /// resumable uploads).
    #[serde(default)]
    pub max_resumable_bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::state::NewJob;

    #[test]
    fn error_codes_serialise_as_their_names() {
        for code in [
            ErrorCode::BadRequest,
            ErrorCode::NotAPdf,
            ErrorCode::PayloadTooLarge,
            ErrorCode::Encrypted,
            ErrorCode::AnalysisFailed,
            ErrorCode::RateLimited,
            ErrorCode::QuotaExceeded,
            ErrorCode::OffsetMismatch,
            ErrorCode::UploadCompleted,
            ErrorCode::Internal,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn job_round_trips_with_contract_field_names() {
        let mut job = Job::uploaded(
            NewJob {
                id: "j1".into(),
                filename: "q3.pdf".into(),
                size_bytes: 183_211,
                sha256: "ab".into(),
                callback_url: None,
            },
            "2026-01-01T00:00:00Z",
        );
        job.start_attempt(1, "2026-01-01T00:00:01Z").unwrap();
        job.record_progress(3, 12, "2026-01-01T00:00:01Z").unwrap();
        let value = serde_json::to_value(&job).unwrap();
        assert_eq!(value["version"], 3);
        assert_eq!(value["state"], "processing");
        assert_eq!(value["progress"]["pages_done"], 3);
        assert_eq!(value["size_bytes"], 183_211);
        assert!(value["error"].is_null());
        let back: Job = serde_json::from_value(value).unwrap();
        assert_eq!(back, job);
    }

    #[test]
    fn a_record_without_a_version_reads_as_version_0() {
        let value = serde_json::json!({
            "id": "j", "state": "uploaded", "filename": "a.pdf", "size_bytes": 1,
            "sha256": "", "created_at": "t", "updated_at": "t", "attempt": 0,
            "progress": null, "error": null, "callback": null
        });
        let job: Job = serde_json::from_value(value).unwrap();
        assert_eq!((job.version(), job.state()), (0, JobState::Uploaded));
    }

    #[test]
    fn terminal_states() {
        assert_eq!(
            JobState::ALL.iter().filter(|s| s.is_active()).count(),
            JobState::ACTIVE.len()
        );
        assert!(!JobState::Uploaded.is_terminal());
        assert!(!JobState::Processing.is_terminal());
        assert!(JobState::Completed.is_terminal());
        assert!(JobState::Error.is_terminal());
    }
}

//! The requests of the hub's calls about work in progress: a resumable
//! upload's parts, and a long document's slices (`HubCall`'s `Upload*` and
//! `Slice*` variants).

use serde::{Deserialize, Serialize};

/// A resumable upload's state (`None`: no such upload of this owner).
#[derive(Debug, Serialize, Deserialize)]
pub struct UploadGet {
    pub id: String,
}

/// A whole part of the upload, from offset `from`, is stored in R2.
#[derive(Debug, Serialize, Deserialize)]
pub struct UploadKept {
    pub id: String,
    pub from: u64,
    pub etag: String,
    /// The SHA-256 state after the part (`shared::jobs::upload::HashState`).
    pub hash: String,
}

/// The bytes of the upload past its last whole part, from offset `from`
/// (the kept offset) up to `end`, are stored beside the parts.
#[derive(Debug, Serialize, Deserialize)]
pub struct UploadTailKept {
    pub id: String,
    pub from: u64,
    pub end: u64,
    /// The SHA-256 state after them.
    pub hash: String,
}

/// Every byte of the upload arrived: its last part (from `from`; `None`
/// when the parts kept already end it) and the file's SHA-256.
#[derive(Debug, Serialize, Deserialize)]
pub struct UploadCompleting {
    pub id: String,
    pub from: u64,
    pub etag: Option<String>,
    pub sha256: String,
}

/// The upload's job exists.
#[derive(Debug, Serialize, Deserialize)]
pub struct UploadDone {
    pub id: String,
    pub job_id: String,
}

/// The upload is abandoned or refused: its state and reservation go.
#[derive(Debug, Serialize, Deserialize)]
pub struct UploadDrop {
    pub id: String,
}

/// A fanned-out job's planner (attempt `attempt`): its slices.
#[derive(Debug, Serialize, Deserialize)]
pub struct PlanSlices {
    pub job_id: String,
    pub attempt: u32,
    /// The document's pages.
    pub pages: u32,
    pub slices: Vec<(u32, u32)>,
}

/// The slice `first..=last` starts (again).
#[derive(Debug, Serialize, Deserialize)]
pub struct SliceStart {
    pub job_id: String,
    pub first: u32,
    pub last: u32,
}

/// The slice starting at `first` has done `done` of its pages.
#[derive(Debug, Serialize, Deserialize)]
pub struct SliceProgress {
    pub job_id: String,
    pub first: u32,
    pub done: u32,
}

/// The slice `first..=last` is done: its partial result is stored.
#[derive(Debug, Serialize, Deserialize)]
pub struct SliceDone {
    pub job_id: String,
    pub first: u32,
    pub last: u32,
}

/// A fanned-out job's slices, in page order.
#[derive(Debug, Serialize, Deserialize)]
pub struct SlicesOf {
    pub job_id: String,
}

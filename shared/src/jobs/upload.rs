//! Resumable uploads, after the IETF draft "Resumable Uploads for HTTP"
//! (draft-ietf-httpbis-resumable-upload): the rules, written once.
//!
//! A client that sends `Upload-Complete: ?0` and `Upload-Length: N` with
//! `POST /jobs` creates an upload (`201`, `Location: /api/v1/uploads/{id}`);
//! `HEAD` on it gives the offset the server kept, `PATCH` with
//! `Upload-Offset` appends, `Upload-Complete: ?1` on the last append makes the
//! job, and `DELETE` abandons it.
//!
//! The bytes go into an R2 multipart upload whose parts (all but the last)
//! must be of one size, while a client may cut its appends anywhere: every
//! whole [`PART_SIZE`] part is stored as a part, and the bytes past the last
//! whole part (the tail) are kept beside the parts until the next append
//! makes a part of them or the last one ends the file — so every append
//! moves the offset on by what arrived, whatever its size (tus clients
//! reading a stream send what they have, then the rest). The SHA-256 of
//! the whole file up to the offset is carried between
//! requests as sha2 0.11's serialised state ([`HashState`]).

use serde::{Deserialize, Serialize};
use sha2_resumable::digest::common::hazmat::{SerializableState, SerializedState};
use sha2_resumable::{Digest, Sha256};

use crate::contract::api::{ErrorBody, ErrorCode};
use crate::contract::validate::human_bytes;

/// Every part but the last is this long (R2 wants ≥ 5 MiB, all equal).
pub const PART_SIZE: u64 = 8 * 1024 * 1024;
/// An upload nobody finishes is abandoned this long after it was created.
pub const EXPIRY_SECS: u64 = 24 * 3600;
/// The default largest resumable upload.
pub const DEFAULT_MAX_RESUMABLE_BYTES: u64 = 1024 * 1024 * 1024;
/// Clients send files bigger than this resumably (the CLI and the SPA).
pub const RESUMABLE_ABOVE: u64 = 2 * PART_SIZE;
/// R2's most parts in one multipart upload.
const MAX_PARTS: u64 = 10_000;
/// The media type of an append's body in the draft.
pub const PARTIAL_UPLOAD_TYPE: &str = "application/partial-upload";

/// A resumable upload's state, kept in the owner's hub between requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upload {
    /// Also the id of the job it becomes.
    pub id: String,
    pub owner: String,
    pub filename: String,
    pub callback_url: Option<String>,
    pub idempotency_key: Option<String>,
    /// `?roles=`, when given (absent from uploads made before it).
    #[serde(default)]
    pub roles: Option<crate::reading::roles::Roles>,
    /// `?columns=`, when given (absent from uploads made before it).
    #[serde(default)]
    pub columns: Option<crate::reading::columns::Columns>,
    /// `?collection=`, when given (absent from uploads made before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    /// The whole file's length, declared when the upload was created.
    pub length: u64,
    /// Bytes kept so far: always a multiple of [`PART_SIZE`] until the end.
    pub offset: u64,
    /// The R2 multipart upload's id.
    pub multipart_id: String,
    /// The parts kept, in order (number `i + 1` at index `i`).
    pub etags: Vec<String>,
    /// The SHA-256 state after `offset` bytes ([`HashState`], hex).
    pub hash: String,
    pub created_ms: f64,
    pub expires_ms: f64,
    pub phase: Phase,
}

/// Where an upload stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// Taking appends.
    Receiving,
    /// Every byte arrived (the file's hash is known) and the multipart
    /// upload is being completed; the job is made next.
    Completing { sha256: String },
    /// The job exists (its id is the upload's, unless an idempotency key
    /// named an earlier job).
    Done { job_id: String },
}

/// The answer that describes an upload (`GET /uploads/{id}`, and the body
/// of the `201` that creates one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadInfo {
    pub id: String,
    pub filename: String,
    pub length: u64,
    /// Bytes the server kept: send from here.
    pub offset: u64,
    pub complete: bool,
    /// RFC 3339, UTC.
    pub expires_at: String,
    /// The size of the parts the bytes are stored in (appends of any size
    /// are kept; whole parts of it cost the server least).
    pub part_size: u64,
    /// The job, once the upload is complete.
    pub job_id: Option<String>,
}

/// Why an upload request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("{0} must be a structured-field boolean, ?1 or ?0")]
    NotABoolean(&'static str),
    #[error("{0} must be a non-negative integer")]
    NotAnInteger(&'static str),
    #[error("{0} is required")]
    Missing(&'static str),
    #[error(
        "a resumable upload is at most {} ({limit} bytes); this one is {length} bytes",
        human_bytes(*.limit)
    )]
    TooLarge { length: u64, limit: u64 },
    #[error("an empty file is not a PDF")]
    Empty,
    #[error("the upload is at offset {expected}, not {given}: send from {expected}")]
    OffsetMismatch { expected: u64, given: u64 },
    #[error("the upload is complete (job {job_id}); nothing more can be appended")]
    Completed { job_id: String },
    #[error(
        "the upload is {length} bytes long, but this append would end it at {end}; \
         it was kept up to {kept}"
    )]
    WrongLength { length: u64, end: u64, kept: u64 },
}

impl UploadError {
    pub fn to_body(&self) -> ErrorBody {
        let code = match self {
            UploadError::NotABoolean(_)
            | UploadError::NotAnInteger(_)
            | UploadError::WrongLength { .. } => ErrorCode::BadRequest,
            UploadError::Missing("Upload-Length") => ErrorCode::LengthRequired,
            UploadError::Missing(_) => ErrorCode::BadRequest,
            UploadError::TooLarge { .. } => ErrorCode::PayloadTooLarge,
            UploadError::Empty => ErrorCode::NotAPdf,
            UploadError::OffsetMismatch { .. } => ErrorCode::OffsetMismatch,
            UploadError::Completed { .. } => ErrorCode::UploadCompleted,
        };
        ErrorBody::new(code, self.to_string())
    }
}

/// `Upload-Complete` (an RFC 9651 boolean); absent → `None`.
pub fn parse_complete(value: Option<&str>) -> Result<Option<bool>, UploadError> {
    match value.map(str::trim) {
        None => Ok(None),
        Some("?1") => Ok(Some(true)),
        Some("?0") => Ok(Some(false)),
        Some(_) => Err(UploadError::NotABoolean("Upload-Complete")),
    }
}

/// `Upload-Offset` / `Upload-Length` (an RFC 9651 integer ≥ 0); absent → `None`.
pub fn parse_integer(name: &'static str, value: Option<&str>) -> Result<Option<u64>, UploadError> {
    let Some(raw) = value.map(str::trim) else {
        return Ok(None);
    };
    // Structured-field integers have at most 15 digits and no sign here.
    if raw.is_empty() || raw.len() > 15 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UploadError::NotAnInteger(name));
    }
    raw.parse()
        .map(Some)
        .map_err(|_| UploadError::NotAnInteger(name))
}

/// The declared length of a new upload, checked against the limit.
pub fn check_length(length: Option<u64>, limit: u64) -> Result<u64, UploadError> {
    let length = length.ok_or(UploadError::Missing("Upload-Length"))?;
    if length == 0 {
        return Err(UploadError::Empty);
    }
    let limit = limit.min(PART_SIZE * MAX_PARTS);
    if length > limit {
        return Err(UploadError::TooLarge { length, limit });
    }
    Ok(length)
}

/// Whether a client sends a file of `size` bytes resumably: when it is big
/// ([`RESUMABLE_ABOVE`]) or over the server's single-request limit
/// (`max_single`; 0 when unknown), and the server takes resumable uploads
/// (`max_resumable` > 0).
pub fn goes_resumably(size: u64, max_single: u64, max_resumable: u64) -> bool {
    max_resumable > 0 && (size > RESUMABLE_ABOVE || (max_single > 0 && size > max_single))
}

/// The `Upload-Limit` header: the largest upload, the smallest append that
/// and how long an upload lives (any append size is kept).
pub fn limit_header(max_size: u64, expires_in_secs: u64) -> String {
    format!("max-size={max_size}, expires={expires_in_secs}")
}

impl Upload {
    /// The part an append at `offset` fills (1-based, as R2 numbers them).
    pub fn part_number(offset: u64) -> u16 {
        u16::try_from(offset / PART_SIZE + 1).unwrap_or(u16::MAX)
    }

    /// May an append start at `offset`?
    pub fn check_append(&self, offset: Option<u64>) -> Result<(), UploadError> {
        if let Phase::Done { job_id } = &self.phase {
            return Err(UploadError::Completed {
                job_id: job_id.clone(),
            });
        }
        let given = offset.ok_or(UploadError::Missing("Upload-Offset"))?;
        if given != self.offset {
            return Err(UploadError::OffsetMismatch {
                expected: self.offset,
                given,
            });
        }
        Ok(())
    }

    /// How many bytes an append starting at the kept offset may carry.
    pub fn remaining(&self) -> u64 {
        self.length - self.offset.min(self.length)
    }

    /// Where the whole parts stored end.
    pub fn parts_end(&self) -> u64 {
        (self.etags.len() as u64 * PART_SIZE).min(self.length)
    }

    /// Bytes kept past the last whole part (stored beside the parts).
    pub fn tail_len(&self) -> u64 {
        self.offset.saturating_sub(self.parts_end())
    }

    /// A whole part was stored (made of the kept tail and new bytes): the
    /// offset moves to its end, and no tail is kept any more.
    pub fn kept_part(&mut self, etag: String, hash: String) {
        self.etags.push(etag);
        self.offset = self.parts_end();
        self.hash = hash;
    }

    /// The bytes past the last whole part, up to `end`, were stored: the
    /// offset moves to `end`.
    pub fn kept_tail(&mut self, end: u64, hash: String) {
        self.offset = end.clamp(self.parts_end(), self.length);
        self.hash = hash;
    }

    pub fn info(&self, expires_at: String) -> UploadInfo {
        UploadInfo {
            id: self.id.clone(),
            filename: self.filename.clone(),
            length: self.length,
            offset: match self.phase {
                Phase::Receiving => self.offset,
                _ => self.length,
            },
            complete: matches!(self.phase, Phase::Done { .. }),
            expires_at,
            part_size: PART_SIZE,
            job_id: match &self.phase {
                Phase::Done { job_id } => Some(job_id.clone()),
                _ => None,
            },
        }
    }
}

/// What an append that ended does with the bytes it holds beyond its last
/// whole part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tail {
    /// The upload is complete: the tail is the last part.
    LastPart,
    /// Not the end: the tail is kept beside the parts, and the offset
    /// moves to its end.
    Kept,
}

/// How an append that ended (its body finished, or broke off) is settled:
/// `complete` is the client's `Upload-Complete` (`None` from tus), `end`
/// the offset its bytes reached (kept parts plus the tail). An append that
/// brings every byte ends the upload whether or not it said so: a client
/// reading a stream learns that it has sent the last byte only afterwards,
/// and no byte could follow. An append whose body `broke_off` (the
/// connection was lost) keeps what arrived even when it said it was the
/// last: the client sends the rest from the offset it is told.
pub fn settle(
    upload: &Upload,
    complete: Option<bool>,
    end: u64,
    broke_off: bool,
) -> Result<Tail, UploadError> {
    if (broke_off || complete != Some(true)) && end != upload.length {
        return Ok(Tail::Kept);
    }
    if end != upload.length {
        return Err(UploadError::WrongLength {
            length: upload.length,
            end,
            kept: upload.offset,
        });
    }
    Ok(Tail::LastPart)
}

/// The SHA-256 of an upload so far, serialisable between requests.
#[derive(Clone, Default)]
pub struct HashState(Sha256);

impl HashState {
    pub fn new() -> Self {
        HashState::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The state as hex, to store.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.serialize().as_slice())
    }

    /// A stored state; `None` when it is not one.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = hex::decode(text).ok()?;
        let state = SerializedState::<Sha256>::try_from(bytes.as_slice()).ok()?;
        Sha256::deserialize(&state).ok().map(HashState)
    }

    /// The hex digest of everything hashed.
    pub fn finish(self) -> String {
        hex::encode(self.0.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(length: u64) -> Upload {
        Upload {
            id: "j".into(),
            owner: "o".into(),
            filename: "a.pdf".into(),
            callback_url: None,
            roles: None,
            columns: None,
            collection: None,
            idempotency_key: None,
            length,
            offset: 0,
            multipart_id: "m".into(),
            etags: vec![],
            hash: HashState::new().to_hex(),
            created_ms: 0.0,
            expires_ms: 1.0,
            phase: Phase::Receiving,
        }
    }

    #[test]
    fn hash_state_survives_serialisation_at_any_cut() {
        let data: Vec<u8> = (0..200_003u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let whole = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&data));
        for cut in [0, 1, 63, 64, 65, 4096, 100_000, 200_003] {
            let mut first = HashState::new();
            first.update(&data[..cut]);
            let mut second = HashState::from_hex(&first.to_hex()).expect("a state");
            second.update(&data[cut..]);
            assert_eq!(second.finish(), whole, "cut at {cut}");
        }
        assert!(HashState::from_hex("zz").is_none());
        assert!(HashState::from_hex("00").is_none());
    }

    #[test]
    fn headers_parse_as_structured_fields() {
        assert_eq!(parse_complete(Some("?1")), Ok(Some(true)));
        assert_eq!(parse_complete(Some(" ?0 ")), Ok(Some(false)));
        assert_eq!(parse_complete(None), Ok(None));
        assert!(parse_complete(Some("true")).is_err());
        assert_eq!(parse_integer("Upload-Offset", Some("42")), Ok(Some(42)));
        assert!(parse_integer("Upload-Offset", Some("-1")).is_err());
        assert!(parse_integer("Upload-Offset", Some("1e3")).is_err());
        assert!(parse_integer("Upload-Offset", Some("1234567890123456")).is_err());
        assert_eq!(parse_integer("Upload-Offset", None), Ok(None));
    }

    #[test]
    fn lengths_are_declared_and_bounded() {
        assert_eq!(
            check_length(None, 10).unwrap_err().to_body().code,
            ErrorCode::LengthRequired
        );
        assert_eq!(check_length(Some(0), 10), Err(UploadError::Empty));
        assert_eq!(
            check_length(Some(11), 10).unwrap_err().to_body().code,
            ErrorCode::PayloadTooLarge
        );
        assert_eq!(check_length(Some(10), 10), Ok(10));
        // R2's 10,000 parts bound the size whatever the setting says.
        assert!(check_length(Some(PART_SIZE * MAX_PARTS + 1), u64::MAX).is_err());
    }

    #[test]
    fn appends_start_at_the_kept_offset() {
        let mut u = upload(3 * PART_SIZE + 5);
        assert_eq!(u.check_append(Some(0)), Ok(()));
        let wrong = u.check_append(Some(7)).unwrap_err();
        assert_eq!(
            wrong,
            UploadError::OffsetMismatch {
                expected: 0,
                given: 7
            }
        );
        assert_eq!(wrong.to_body().code.http_status(), 409);
        assert_eq!(
            u.check_append(None).unwrap_err(),
            UploadError::Missing("Upload-Offset")
        );
        u.kept_part("e1".into(), u.hash.clone());
        assert_eq!(u.offset, PART_SIZE);
        assert_eq!(Upload::part_number(u.offset), 2);
        assert_eq!(u.remaining(), 2 * PART_SIZE + 5);
        u.phase = Phase::Done { job_id: "j".into() };
        let done = u.check_append(Some(PART_SIZE)).unwrap_err();
        assert_eq!(done.to_body().code, ErrorCode::UploadCompleted);
        assert!(u.info(String::new()).complete);
    }

    #[test]
    fn an_append_keeps_its_tail_unless_it_ends_the_upload() {
        let u = upload(PART_SIZE + 10);
        assert_eq!(
            settle(&u, Some(false), PART_SIZE + 3, false),
            Ok(Tail::Kept)
        );
        assert_eq!(settle(&u, None, PART_SIZE + 3, false), Ok(Tail::Kept));
        assert_eq!(
            settle(&u, Some(true), PART_SIZE + 10, false),
            Ok(Tail::LastPart)
        );
        // Every byte arrived: the end, said or not.
        assert_eq!(
            settle(&u, Some(false), PART_SIZE + 10, false),
            Ok(Tail::LastPart)
        );
        assert_eq!(settle(&u, None, PART_SIZE + 10, false), Ok(Tail::LastPart));
        // A last append cut short keeps what arrived.
        assert_eq!(settle(&u, Some(true), PART_SIZE + 3, true), Ok(Tail::Kept));
        assert_eq!(
            settle(&u, Some(true), PART_SIZE + 10, true),
            Ok(Tail::LastPart)
        );
        let short = settle(&u, Some(true), PART_SIZE + 3, false).unwrap_err();
        assert_eq!(short.to_body().code, ErrorCode::BadRequest);
        assert!(short.to_string().contains("kept up to 0"));
    }

    #[test]
    fn big_files_and_files_over_the_single_limit_go_resumably() {
        assert!(!goes_resumably(1000, 4000, 1 << 30));
        assert!(goes_resumably(5000, 4000, 1 << 30));
        assert!(goes_resumably(RESUMABLE_ABOVE + 1, 0, 1 << 30));
        assert!(!goes_resumably(RESUMABLE_ABOVE + 1, 0, 0));
    }

    #[test]
    fn a_tail_moves_the_offset_and_a_part_made_of_it_moves_it_to_the_parts_end() {
        let mut u = upload(3 * PART_SIZE + 5);
        u.kept_tail(1000, "h1".into());
        assert_eq!((u.offset, u.parts_end(), u.tail_len()), (1000, 0, 1000));
        u.kept_tail(5000, "h2".into());
        assert_eq!(
            (u.offset, u.tail_len(), u.hash.as_str()),
            (5000, 5000, "h2")
        );
        // The tail and new bytes made the first part: no tail left.
        u.kept_part("e1".into(), "h3".into());
        assert_eq!(
            (u.offset, u.parts_end(), u.tail_len()),
            (PART_SIZE, PART_SIZE, 0)
        );
        assert_eq!(Upload::part_number(u.parts_end()), 2);
        // Never past the length, never behind the parts.
        u.kept_tail(9 * PART_SIZE, "h4".into());
        assert_eq!(u.offset, u.length);
        u.kept_tail(0, "h5".into());
        assert_eq!(u.offset, PART_SIZE);
    }

    #[test]
    fn the_limit_header_names_the_largest_size_and_the_expiry() {
        assert_eq!(limit_header(1024, 60), "max-size=1024, expires=60");
    }
}

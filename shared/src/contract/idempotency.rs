//! Idempotent submits: what an `Idempotency-Key` may look like, what is kept
//! for it, and what a repeated submit gets. Keys are kept for
//! [`WINDOW_SECONDS`] (24 hours); the same key with the same body (the same
//! bytes and filename) returns the job it made first, a different body is a 409.
//!
//! The check runs after the upload is streamed (only then is its SHA-256
//! known); a refused or replayed upload's bytes are removed again.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contract::api::{ErrorBody, ErrorCode};

/// How long a key is remembered.
pub const WINDOW_SECONDS: u64 = 24 * 60 * 60;
/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// Checks a client's key: 1 to 255 visible ASCII characters.
pub fn check_key(raw: &str) -> Result<&str, ErrorBody> {
    let key = raw.trim();
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ErrorBody::new(
            ErrorCode::BadRequest,
            format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"),
        ));
    }
    Ok(key)
}

/// The KV key under which an owner's idempotency key is remembered (hashed, so
/// any visible characters are safe).
pub fn storage_key(owner: &str, key: &str) -> String {
    format!(
        "idem/{owner}/{}",
        hex::encode(Sha256::digest(key.as_bytes()))
    )
}

/// What is remembered for a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub job_id: String,
    pub sha256: String,
    pub filename: String,
}

/// What a submit with a key gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// First use (or the earlier job is gone): create the job and remember it.
    Create,
    /// The same request again: answer with the job it made.
    Replay { job_id: String },
    /// The key was used for a different request.
    Conflict(ErrorBody),
}

/// Decides a submit given what is remembered for its key.
pub fn decide(
    remembered: Option<&Record>,
    earlier_job_exists: bool,
    sha256: &str,
    filename: &str,
) -> Decision {
    match remembered {
        None => Decision::Create,
        Some(_) if !earlier_job_exists => Decision::Create,
        Some(r) if r.sha256 == sha256 && r.filename == filename => Decision::Replay {
            job_id: r.job_id.clone(),
        },
        Some(r) => Decision::Conflict(ErrorBody::new(
            ErrorCode::Conflict,
            format!(
                "this Idempotency-Key was used for a different upload (job {}); use a new key for a new upload",
                r.job_id
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            job_id: "j1".into(),
            sha256: "aa".into(),
            filename: "a.pdf".into(),
        }
    }

    #[test]
    fn keys() {
        assert_eq!(check_key(" abc-123 ").unwrap(), "abc-123");
        for bad in [
            "",
            "   ",
            "has space",
            "tab\there",
            "ünïcode",
            &"k".repeat(256),
        ] {
            assert_eq!(
                check_key(bad).unwrap_err().code,
                ErrorCode::BadRequest,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn storage_keys_are_per_owner_and_hashed() {
        let a = storage_key("o1", "../../x");
        assert!(a.starts_with("idem/o1/") && !a.contains(".."));
        assert_ne!(a, storage_key("o2", "../../x"));
    }

    #[test]
    fn decisions() {
        let r = record();
        assert_eq!(decide(None, false, "aa", "a.pdf"), Decision::Create);
        assert_eq!(
            decide(Some(&r), true, "aa", "a.pdf"),
            Decision::Replay {
                job_id: "j1".into()
            }
        );
        assert_eq!(decide(Some(&r), false, "aa", "a.pdf"), Decision::Create);
        for (sha, name) in [("bb", "a.pdf"), ("aa", "b.pdf")] {
            match decide(Some(&r), true, sha, name) {
                Decision::Conflict(e) => assert_eq!(e.code, ErrorCode::Conflict),
                other => panic!("{other:?}"),
            }
        }
    }
}

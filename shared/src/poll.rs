//! Polling rules: the job's `ETag`, `If-None-Match` matching, and the
//! long-poll's `?wait=` (capped at [`MAX_WAIT_SECS`]).

use sha2::{Digest, Sha256};

use crate::api::{ErrorBody, ErrorCode, Job};

/// Longest long-poll, in seconds.
pub const MAX_WAIT_SECS: u32 = 30;

/// The strong ETag of a job's JSON body.
pub fn etag(body: &str) -> String {
    format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(body.as_bytes()))[..32]
    )
}

/// Whether an `If-None-Match` header names this ETag (weak forms accepted).
pub fn none_match(header: Option<&str>, etag: &str) -> bool {
    header.is_some_and(|h| {
        h.split(',')
            .any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == etag)
    })
}

/// `?wait=N`: seconds to wait for a change, capped; absent is 0.
pub fn wait_seconds(raw: Option<&str>) -> Result<u32, ErrorBody> {
    match raw {
        None => Ok(0),
        Some(v) => v
            .trim()
            .parse::<u32>()
            .map(|n| n.min(MAX_WAIT_SECS))
            .map_err(|_| {
                ErrorBody::new(
                    ErrorCode::BadRequest,
                    format!("wait must be a whole number of seconds (at most {MAX_WAIT_SECS}), not {v:?}"),
                )
            }),
    }
}

/// Whether `latest` is a newer version of the job than the one last seen
/// (`updated_at` is RFC 3339 in UTC with milliseconds: it orders as text).
pub fn is_newer(latest: &Job, seen_updated_at: &str) -> bool {
    latest.updated_at.as_str() > seen_updated_at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_match_strong_weak_and_star() {
        let tag = etag("{}");
        assert!(tag.starts_with('"') && tag.len() == 34);
        assert!(none_match(Some(&tag), &tag));
        assert!(none_match(Some(&format!("W/{tag}")), &tag));
        assert!(none_match(Some(&format!("\"x\", {tag}")), &tag));
        assert!(none_match(Some("*"), &tag));
        assert!(!none_match(Some("\"x\""), &tag));
        assert!(!none_match(None, &tag));
        assert_ne!(etag("{}"), etag("{ }"));
    }

    #[test]
    fn wait_is_capped_and_checked() {
        assert_eq!(wait_seconds(None), Ok(0));
        assert_eq!(wait_seconds(Some("5")), Ok(5));
        assert_eq!(wait_seconds(Some("600")), Ok(MAX_WAIT_SECS));
        assert_eq!(
            wait_seconds(Some("-1")).unwrap_err().code,
            ErrorCode::BadRequest
        );
        assert_eq!(
            wait_seconds(Some("soon")).unwrap_err().code,
            ErrorCode::BadRequest
        );
    }
}

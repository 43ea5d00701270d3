//! Polling rules: the job's `ETag`, `If-None-Match` matching, the
//! long-poll's `?wait=` (capped at [`MAX_WAIT_SECS`]), and which of two copies
//! of a job to answer with (by [`crate::jobs::state::Stamp`]).

use sha2::{Digest, Sha256};

use crate::contract::api::{ErrorBody, ErrorCode, Job};

/// Longest long-poll, in seconds.
pub const MAX_WAIT_SECS: u32 = 30;

/// The strong ETag of a job answered as `body`: its version, then a hash of
/// the body (which also changes when only the webhook delivery log does).
pub fn etag(job: &Job, body: &str) -> String {
    format!(
        "\"v{}-{}\"",
        job.version(),
        &hex::encode(Sha256::digest(body.as_bytes()))[..16]
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
    let Some(v) = raw else { return Ok(0) };
    let digits = v.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ErrorBody::new(
            ErrorCode::BadRequest,
            format!("wait must be a whole number of seconds (at most {MAX_WAIT_SECS}), not {v:?}"),
        ));
    }
    // Any longer wait is cut to the longest, however many digits it has.
    Ok(digits
        .parse::<u64>()
        .map_or(MAX_WAIT_SECS, |n| n.min(u64::from(MAX_WAIT_SECS)) as u32))
}

/// The version of a job to answer with, from the record in KV and the owner's
/// hub's index (which also carries the webhook delivery log): the newer one.
/// The hub sees every change first-hand (KV's per-key write pacing may hold a
/// change back for a second, and KV reads elsewhere lag up to a minute); KV
/// wins only when a publish to the hub was lost, and then keeps the hub's log.
pub fn newest(kv: Option<Job>, hub: Option<Job>) -> Option<Job> {
    match (kv, hub) {
        (Some(mut kv), Some(hub)) => {
            if !kv.is_newer_than(&hub) {
                Some(hub)
            } else {
                if let (Some(mine), Some(theirs)) = (&mut kv.callback, hub.callback) {
                    mine.deliveries = theirs.deliveries;
                    mine.disabled = theirs.disabled;
                }
                Some(kv)
            }
        }
        (kv, hub) => kv.or(hub),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::api::{Delivery, DeliveryOutcome, JobState};
    use crate::jobs::state::NewJob;

    fn first() -> Job {
        Job::uploaded(
            NewJob {
                id: "6f1c1f5e-4b0a-4c1e-9a55-2b1f0c3d4e5f".into(),
                filename: "a.pdf".into(),
                size_bytes: 1,
                sha256: "00".into(),
                callback_url: Some("https://example.com/".into()),
            },
            "2026-01-01T00:00:00.000Z",
        )
    }

    #[test]
    fn the_newer_version_answers_with_the_hubs_log() {
        let kv = first();
        let mut hub = kv.clone();
        // The hub's clock may be behind: the version decides.
        hub.start_attempt(1, "2025-12-31T00:00:00.000Z").unwrap();
        hub.callback.as_mut().unwrap().deliveries.push(Delivery {
            event_id: "msg_1".into(),
            attempt: 1,
            at: "t".into(),
            outcome: DeliveryOutcome::Delivered,
            status: Some(200),
            error: None,
            next_retry_at: None,
        });
        // The hub saw `processing` before KV was written.
        let answer = newest(Some(kv.clone()), Some(hub.clone())).unwrap();
        assert_eq!(answer.state(), JobState::Processing);
        // A publish was lost: KV is newer, and keeps the hub's log.
        let mut kv_newer = hub.clone();
        kv_newer.callback.as_mut().unwrap().deliveries.clear();
        kv_newer.complete("2026-01-01T00:00:02.000Z").unwrap();
        let answer = newest(Some(kv_newer), Some(hub.clone())).unwrap();
        assert_eq!(answer.state(), JobState::Completed);
        assert_eq!(answer.callback.unwrap().deliveries.len(), 1);
        // Either alone; neither is nothing.
        assert_eq!(newest(Some(kv.clone()), None), Some(kv));
        assert_eq!(newest(None, Some(hub.clone())), Some(hub));
        assert_eq!(newest(None, None), None);
    }

    #[test]
    fn etags_match_strong_weak_and_star() {
        let job = first();
        let tag = etag(&job, "{}");
        assert!(tag.starts_with("\"v1-") && tag.len() == 21, "{tag}");
        assert!(none_match(Some(&tag), &tag));
        assert!(none_match(Some(&format!("W/{tag}")), &tag));
        assert!(none_match(Some(&format!("\"x\", {tag}")), &tag));
        assert!(none_match(Some("*"), &tag));
        assert!(!none_match(Some("\"x\""), &tag));
        assert!(!none_match(None, &tag));
        assert_ne!(etag(&job, "{}"), etag(&job, "{ }"));
        let mut next = job.clone();
        next.start_attempt(1, "2026-01-01T00:00:01.000Z").unwrap();
        assert!(etag(&next, "{}").starts_with("\"v2-"));
    }

    #[test]
    fn wait_is_capped_and_checked() {
        assert_eq!(wait_seconds(None), Ok(0));
        assert_eq!(wait_seconds(Some("5")), Ok(5));
        assert_eq!(wait_seconds(Some("600")), Ok(MAX_WAIT_SECS));
        assert_eq!(
            wait_seconds(Some("181041085794592400000000")),
            Ok(MAX_WAIT_SECS)
        );
        assert!(wait_seconds(Some("")).is_err());
        assert!(wait_seconds(Some("+5")).is_err());
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

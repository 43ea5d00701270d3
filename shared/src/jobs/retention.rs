//! Retention and the stuck-job check of the scheduled sweep. A job is expired
//! when it was created before the cutoff (now minus the retention period,
//! `RETENTION_DAYS`, default 7). A job still `uploaded` or `processing` that
//! has not changed for [`DEFAULT_STUCK_AFTER_SECS`] is stuck (its message was
//! lost, or its worker died): it is sent again as its next attempt, or, out of
//! attempts, ends in `error`. Job records carry `created_at`, `updated_at` and
//! `state` as KV metadata, so the sweep decides from a key listing alone.

use serde::{Deserialize, Serialize};

use crate::contract::api::{Job, JobState};

/// Days a job is kept unless `RETENTION_DAYS` says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 7;
/// A job unchanged this long while not finished is stuck (15 minutes: far
/// above the longest analysis, 30 s of CPU, plus retry delays).
pub const DEFAULT_STUCK_AFTER_SECS: u32 = 15 * 60;

/// An upload admitted whose job does not exist this long after (its request
/// died between storing the PDF and making the job) has the PDF removed, by
/// the owner's hub (`ORPHAN_AFTER_SECONDS`; an hour).
pub const DEFAULT_ORPHAN_AFTER_SECS: u32 = 60 * 60;

/// KV metadata of a job record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobMeta {
    pub created_at: String,
    #[serde(default)]
    pub updated_at: String,
    #[serde(default)]
    pub state: Option<JobState>,
}

impl JobMeta {
    pub fn of(job: &Job) -> JobMeta {
        JobMeta {
            created_at: job.created_at.clone(),
            updated_at: job.updated_at.clone(),
            state: Some(job.state),
        }
    }

    /// Whether the record may be stuck (read it to decide).
    pub fn maybe_stuck(&self, stuck_cutoff: &str) -> bool {
        !self.state.is_some_and(JobState::is_terminal) && self.updated_at.as_str() < stuck_cutoff
    }
}

/// What the sweep does with a job that has not moved since `stuck_cutoff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unstick {
    /// Send it again as this attempt.
    Requeue { attempt: u32 },
    /// Out of attempts: it ends in `error` (`analysis_failed`).
    Fail,
}

/// Decides about one job (`None`: it is finished or still moving). A job still
/// `uploaded` had its first attempt sent and lost, so it counts as attempt 1.
pub fn unstick(job: &Job, stuck_cutoff: &str, max_attempts: u32) -> Option<Unstick> {
    if job.state.is_terminal() || job.updated_at.as_str() >= stuck_cutoff {
        return None;
    }
    let tried = job.attempt.max(1);
    Some(if tried < max_attempts {
        Unstick::Requeue { attempt: tried + 1 }
    } else {
        Unstick::Fail
    })
}

/// `job/{owner}/{id}` → (owner, id).
pub fn parse_job_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("job/")?;
    let (owner, id) = rest.split_once('/')?;
    (!owner.is_empty() && crate::contract::validate::is_job_id(id)).then_some((owner, id))
}

/// Whether a job created at `created_at` is past the `cutoff` (both RFC 3339
/// UTC with milliseconds, which order as text).
pub fn expired(created_at: &str, cutoff: &str) -> bool {
    created_at < cutoff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let id = "0f8e3c2a-1b4d-4e5f-9a8b-7c6d5e4f3a2b";
        assert_eq!(parse_job_key(&format!("job/own/{id}")), Some(("own", id)));
        assert_eq!(parse_job_key("token/abc"), None);
        assert_eq!(parse_job_key("job//x"), None);
        assert_eq!(parse_job_key("job/own/not-an-id"), None);
    }

    fn job(state: JobState, attempt: u32, updated_at: &str) -> Job {
        Job {
            id: "0f8e3c2a-1b4d-4e5f-9a8b-7c6d5e4f3a2b".into(),
            version: 1,
            state,
            filename: "a.pdf".into(),
            size_bytes: 1,
            sha256: String::new(),
            created_at: "2026-11-27T09:00:00.000Z".into(),
            updated_at: updated_at.into(),
            attempt,
            progress: None,
            error: None,
            callback: None,
            warnings: Vec::new(),
            queue: None,
            roles: None,
            columns: None,
            collection: None,
        }
    }

    #[test]
    fn stuck_jobs_are_requeued_then_failed() {
        let cutoff = "2026-11-27T10:00:00.000Z";
        let old = "2026-11-27T09:30:00.000Z";
        let fresh = "2026-11-27T10:05:00.000Z";
        assert_eq!(
            unstick(&job(JobState::Uploaded, 0, old), cutoff, 3),
            Some(Unstick::Requeue { attempt: 2 })
        );
        assert_eq!(
            unstick(&job(JobState::Processing, 2, old), cutoff, 3),
            Some(Unstick::Requeue { attempt: 3 })
        );
        assert_eq!(
            unstick(&job(JobState::Processing, 3, old), cutoff, 3),
            Some(Unstick::Fail)
        );
        assert_eq!(
            unstick(&job(JobState::Processing, 1, fresh), cutoff, 3),
            None
        );
        assert_eq!(unstick(&job(JobState::Completed, 1, old), cutoff, 3), None);
        assert!(JobMeta::of(&job(JobState::Uploaded, 0, old)).maybe_stuck(cutoff));
        assert!(!JobMeta::of(&job(JobState::Error, 0, old)).maybe_stuck(cutoff));
    }

    #[test]
    fn cutoffs() {
        let cutoff = "2026-11-20T10:00:00.000Z";
        assert!(expired("2026-11-19T23:59:59.999Z", cutoff));
        assert!(!expired("2026-11-20T10:00:00.000Z", cutoff));
        assert!(!expired("2026-11-27T10:00:00.000Z", cutoff));
    }
}

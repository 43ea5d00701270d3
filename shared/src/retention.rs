//! Retention: which stored jobs the scheduled sweep removes. A job is expired
//! when it was created before the cutoff (now minus the retention period,
//! `RETENTION_DAYS`, default 7). Job records carry their `created_at` as KV
//! metadata so the sweep can decide from a key listing alone.

use serde::{Deserialize, Serialize};

/// Days a job is kept unless `RETENTION_DAYS` says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 7;

/// KV metadata of a job record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobMeta {
    pub created_at: String,
}

/// `job/{owner}/{id}` → (owner, id).
pub fn parse_job_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("job/")?;
    let (owner, id) = rest.split_once('/')?;
    (!owner.is_empty() && crate::validate::is_job_id(id)).then_some((owner, id))
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

    #[test]
    fn cutoffs() {
        let cutoff = "2026-11-20T10:00:00.000Z";
        assert!(expired("2026-11-19T23:59:59.999Z", cutoff));
        assert!(!expired("2026-11-20T10:00:00.000Z", cutoff));
        assert!(!expired("2026-11-27T10:00:00.000Z", cutoff));
    }
}

//! The operator's log: one JSON line for each thing that happens to a job —
//! a state change, a retry scheduled, a stalled job sent again, a job given
//! up, a webhook attempt — with the job id, a hash of the owner id (the id
//! itself names a tenant and stays out of logs), the attempt, the state, and a
//! duration where one means something, so that `wrangler tail` (deployed) and
//! the dev server's log tell a job's story line by line (`grep` by job id).

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::contract::api::{Job, JobState};

/// What a line reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum What {
    /// The job reached a new state or attempt.
    State,
    /// An attempt failed; the next one is scheduled (`duration_ms`: the delay).
    Retry,
    /// A job that stopped moving was sent again.
    Recovered,
    /// A message of an attempt that is no longer the current one was
    /// dropped unrun (a newer attempt was sent meanwhile and does the work).
    Dropped,
    /// The analysis was given up: the job ends in `error`.
    GaveUp,
    /// One webhook delivery attempt (`detail`: its outcome and status).
    Webhook,
    /// An analysis ended (`resources`: what it took; `detail`: the pages of
    /// a slice).
    Analysed,
    /// A long document was split into page slices (`detail`: how many).
    FannedOut,
}

/// What an analysis took: its reads of the PDF and the isolate's memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Resources {
    /// The wasm module's memory when the analysis ended (it only grows, so
    /// this is the isolate's peak so far).
    pub memory_bytes: u64,
    /// How long the isolate had been up (its memory counts since then).
    pub isolate_age_ms: u64,
    pub reads: u64,
    pub bytes_read: u64,
}

/// One log line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogLine {
    /// Always `"docket.job"`: what to filter a mixed log by.
    pub log: &'static str,
    pub what: What,
    pub job_id: String,
    /// [`owner_hash`] of the owner id (absent where it is not known: a
    /// webhook attempt, made by the owner's hub).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The analysis attempt (for a webhook line, the delivery attempt).
    pub attempt: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<JobState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", flatten)]
    pub resources: Option<Resources>,
}

impl LogLine {
    /// A line about `job` as it is now.
    pub fn of(what: What, owner: &str, job: &Job) -> LogLine {
        LogLine {
            owner: Some(owner_hash(owner)),
            state: Some(job.state()),
            version: Some(job.version()),
            ..LogLine::about(what, &job.id, job.attempt)
        }
    }

    /// A line about a job known by its id and an attempt only.
    pub fn about(what: What, job_id: &str, attempt: u32) -> LogLine {
        LogLine {
            log: "docket.job",
            what,
            job_id: job_id.to_owned(),
            owner: None,
            attempt,
            state: None,
            version: None,
            duration_ms: None,
            detail: None,
            resources: None,
        }
    }

    pub fn owner(mut self, owner: &str) -> LogLine {
        self.owner = Some(owner_hash(owner));
        self
    }

    pub fn duration_ms(mut self, ms: f64) -> LogLine {
        self.duration_ms = Some(ms.max(0.0).round() as u64);
        self
    }

    pub fn resources(mut self, resources: Resources) -> LogLine {
        self.resources = Some(resources);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> LogLine {
        self.detail = Some(detail.into());
        self
    }

    /// The line as JSON (one line, no newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            format!(
                r#"{{"log":"docket.job","job_id":{:?},"error":"{e}"}}"#,
                self.job_id
            )
        })
    }
}

/// A short, stable stand-in for an owner id in logs: the first 12 hex digits
/// of a SHA-256 of it (lines of one owner can be grouped; the id cannot be
/// read back).
pub fn owner_hash(owner: &str) -> String {
    let digest = Sha256::digest(format!("docket-owner:{owner}").as_bytes());
    hex::encode(digest)[..12].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::state::NewJob;

    #[test]
    fn a_line_is_one_json_object_without_the_owner_id() {
        let job = Job::uploaded(
            NewJob {
                id: "j1".into(),
                ..Default::default()
            },
            "t0",
        )
        .walked_to(JobState::Error, "t1")
        .unwrap();
        let line = LogLine::of(What::GaveUp, "owner-secret-id", &job)
            .duration_ms(1234.4)
            .detail("analysis_failed");
        let json = line.to_json();
        assert!(!json.contains('\n'));
        assert!(!json.contains("owner-secret-id"));
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["log"], "docket.job");
        assert_eq!(value["what"], "gave_up");
        assert_eq!(value["job_id"], "j1");
        assert_eq!(value["state"], "error");
        assert_eq!(value["duration_ms"], 1234);
        assert_eq!(value["detail"], "analysis_failed");
        assert_eq!(value["owner"], owner_hash("owner-secret-id"));
        assert_eq!(owner_hash("a").len(), 12);
        assert_ne!(owner_hash("a"), owner_hash("b"));
        let bare = LogLine::of(What::State, "o", &job).to_json();
        assert!(!bare.contains("duration_ms") && !bare.contains("detail"));
        let webhook = LogLine::about(What::Webhook, "j1", 2).to_json();
        assert_eq!(
            webhook,
            r#"{"log":"docket.job","what":"webhook","job_id":"j1","attempt":2}"#
        );
    }
}

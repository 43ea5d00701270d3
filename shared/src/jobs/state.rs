//! The job state machine: the only place that decides whether a job may move
//! from one state to another.
//!
//! `uploaded → processing → completed`, `processing → error`, and
//! `uploaded → error` (e.g. the analysis message was dead-lettered before any
//! attempt ran); `uploaded → cancelled` and `processing → cancelled` at the
//! owner's request. `processing → processing` is the progress update and the
//! retried attempt. Nothing moves backwards; `completed`, `error` and
//! `cancelled` are terminal.
//!
//! A job is built by [`Job::uploaded`] and changed only by the [`Job`]
//! methods below (its `state` field is private to this crate), which go
//! through [`transition`], refuse illegal moves with a typed
//! [`TransitionError`] (a redelivered queue message for a finished job is the
//! common case; the consumer acknowledges it and does nothing) and count the
//! job's `version`. [`Stamp`] is the one rule for which of two versions of a
//! job is the newer.

use serde::{Deserialize, Serialize};

use crate::contract::api::{Callback, ErrorBody, Job, JobState, Progress};

/// What an accepted upload knows of its job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewJob {
    pub id: String,
    pub filename: String,
    pub size_bytes: u64,
    pub sha256: String,
    /// The checked callback URL, when the upload asked for webhooks.
    pub callback_url: Option<String>,
}

/// Where a version of a job stands in its history: versions compare by
/// `version`, then (for records written before versions existed, and for two
/// writers that raced from the same version) by `updated_at`, which is RFC
/// 3339 in UTC with milliseconds and so orders as text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Stamp {
    pub version: u64,
    pub updated_at: String,
}

/// A move the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a job cannot move from {from} to {to}")]
pub struct TransitionError {
    pub from: JobState,
    pub to: JobState,
}

/// Whether `from → to` is legal.
pub fn transition(from: JobState, to: JobState) -> Result<JobState, TransitionError> {
    use JobState::*;
    match (from, to) {
        (Uploaded, Processing)
        | (Uploaded, Error)
        | (Uploaded, Cancelled)
        | (Processing, Processing)
        | (Processing, Completed)
        | (Processing, Error)
        | (Processing, Cancelled) => Ok(to),
        _ => Err(TransitionError { from, to }),
    }
}

impl Job {
    /// The first version of a job: `uploaded`, version 1, no attempt yet.
    pub fn uploaded(new: NewJob, now: &str) -> Job {
        Job {
            id: new.id,
            version: 1,
            state: JobState::Uploaded,
            filename: new.filename,
            size_bytes: new.size_bytes,
            sha256: new.sha256,
            created_at: now.to_owned(),
            updated_at: now.to_owned(),
            attempt: 0,
            progress: None,
            error: None,
            callback: new.callback_url.map(|url| Callback {
                url,
                deliveries: Vec::new(),
                disabled: false,
            }),
            warnings: Vec::new(),
            queue: None,
            roles: None,
            columns: None,
            collection: None,
        }
    }

    /// The new job's roles of numbers (`?roles=` at upload; `None`: the
    /// default). Part of the first version only.
    pub fn with_roles(mut self, roles: Option<crate::reading::roles::Roles>) -> Job {
        self.roles = roles;
        self
    }

    /// The new job's table columns for the tests (`?columns=`; `None`:
    /// every number of its roles). Part of the first version only.
    pub fn with_columns(mut self, columns: Option<crate::reading::columns::Columns>) -> Job {
        self.columns = columns;
        self
    }

    /// The collection the new job joins (`?collection=`). Part of the first
    /// version only.
    pub fn with_collection(mut self, collection: Option<String>) -> Job {
        self.collection = collection;
        self
    }

    pub fn state(&self) -> JobState {
        self.state
    }

    /// Changes counted so far (see the field's doc).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// This version's place in the job's history.
    pub fn stamp(&self) -> Stamp {
        Stamp {
            version: self.version,
            updated_at: self.updated_at.clone(),
        }
    }

    /// Whether this is a newer version of the job than `other`.
    pub fn is_newer_than(&self, other: &Job) -> bool {
        self.stamp() > other.stamp()
    }

    fn move_to(&mut self, to: JobState, now: &str) -> Result<(), TransitionError> {
        self.state = transition(self.state, to)?;
        self.updated_at = now.to_owned();
        self.version += 1;
        Ok(())
    }

    /// This job moved along the shortest legal path to `state` (attempt 1,
    /// `analysis_failed` for `error`), each step at `now`: a job as the
    /// state machine would have made it, for tests and examples.
    pub fn walked_to(mut self, state: JobState, now: &str) -> Result<Job, TransitionError> {
        use JobState::*;
        let path = match (self.state, state) {
            (from, to) if from == to => vec![],
            (Uploaded, Completed) => vec![Processing, Completed],
            (_, to) => vec![to],
        };
        for step in path {
            match step {
                Processing => self.start_attempt(self.attempt + 1, now)?,
                Completed => self.complete(now)?,
                Error => self.fail(
                    ErrorBody::new(
                        crate::contract::api::ErrorCode::AnalysisFailed,
                        "the analysis failed",
                    ),
                    now,
                )?,
                Cancelled => self.cancel(now)?,
                Uploaded => {
                    return Err(TransitionError {
                        from: self.state,
                        to: Uploaded,
                    });
                }
            }
        }
        Ok(self)
    }

    /// An analysis attempt starts (the first, or a retry after a failure).
    pub fn start_attempt(&mut self, attempt: u32, now: &str) -> Result<(), TransitionError> {
        self.move_to(JobState::Processing, now)?;
        self.attempt = attempt;
        self.progress = None;
        Ok(())
    }

    /// Pages analysed so far.
    pub fn record_progress(
        &mut self,
        pages_done: u32,
        pages_total: u32,
        now: &str,
    ) -> Result<(), TransitionError> {
        self.move_to(JobState::Processing, now)?;
        self.progress = Some(Progress {
            pages_done: pages_done.min(pages_total),
            pages_total,
            eta_seconds: None,
        });
        Ok(())
    }

    /// The analysis finished and its result is stored.
    /// Completed, with the pages the analysis could not read named on the
    /// job itself (`warnings`).
    pub fn complete_with(
        &mut self,
        warnings: Vec<crate::contract::api::Warning>,
        now: &str,
    ) -> Result<(), TransitionError> {
        self.complete(now)?;
        self.warnings = warnings;
        Ok(())
    }

    pub fn complete(&mut self, now: &str) -> Result<(), TransitionError> {
        self.move_to(JobState::Completed, now)?;
        if let Some(p) = &mut self.progress {
            p.pages_done = p.pages_total;
        }
        Ok(())
    }

    /// The analysis was given up after `attempts` attempts (which may not all
    /// have reached the record): the job ends in `error` counting them.
    pub fn give_up(
        &mut self,
        attempts: u32,
        error: ErrorBody,
        now: &str,
    ) -> Result<(), TransitionError> {
        self.fail(error, now)?;
        self.attempt = self.attempt.max(attempts);
        Ok(())
    }

    /// The job stops at its owner's request: `cancelled`, with the progress
    /// it had made.
    pub fn cancel(&mut self, now: &str) -> Result<(), TransitionError> {
        self.move_to(JobState::Cancelled, now)
    }

    /// The job ends in `error` with a reason.
    pub fn fail(&mut self, error: ErrorBody, now: &str) -> Result<(), TransitionError> {
        self.move_to(JobState::Error, now)?;
        self.error = Some(error);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::api::ErrorCode;
    use JobState::*;

    const LEGAL: [(JobState, JobState); 7] = [
        (Uploaded, Processing),
        (Uploaded, Error),
        (Uploaded, Cancelled),
        (Processing, Processing),
        (Processing, Completed),
        (Processing, Error),
        (Processing, Cancelled),
    ];

    #[test]
    fn every_pair_is_decided_as_the_design_says() {
        let mut legal_seen = 0;
        for from in JobState::ALL {
            for to in JobState::ALL {
                let expected = LEGAL.contains(&(from, to));
                let got = transition(from, to);
                assert_eq!(got.is_ok(), expected, "{from} -> {to}");
                if let Err(e) = got {
                    assert_eq!(e, TransitionError { from, to });
                } else {
                    legal_seen += 1;
                }
            }
        }
        assert_eq!(legal_seen, LEGAL.len());
    }

    #[test]
    fn terminal_states_never_move() {
        for from in [Completed, Error] {
            for to in JobState::ALL {
                assert!(transition(from, to).is_err(), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn nothing_moves_backwards_to_uploaded() {
        for from in JobState::ALL {
            assert!(transition(from, Uploaded).is_err());
        }
    }

    fn new_job() -> Job {
        Job::uploaded(
            NewJob {
                id: "j".into(),
                filename: "a.pdf".into(),
                size_bytes: 10,
                sha256: String::new(),
                callback_url: None,
            },
            "t0",
        )
    }

    #[test]
    fn completion_carries_the_unread_pages_and_a_refused_one_changes_nothing() {
        use crate::contract::api::{Warning, WarningCode};
        let warning = Warning {
            code: WarningCode::UnreadableContent,
            message: "page 2 could not be read".into(),
            pages: vec![2],
        };
        let roles = crate::reading::roles::Roles::default();
        let mut job = new_job().with_roles(Some(roles));
        assert_eq!((job.roles, job.version()), (Some(roles), 1));
        // Not started: completing is refused, and the warnings stay off.
        assert!(job.complete_with(vec![warning.clone()], "t1").is_err());
        assert!(job.warnings.is_empty());
        job.start_attempt(1, "t1").unwrap();
        job.complete_with(vec![warning.clone()], "t2").unwrap();
        assert_eq!(
            (job.state(), job.warnings.clone()),
            (Completed, vec![warning])
        );
    }

    #[test]
    fn every_change_counts_the_version_and_a_refused_one_does_not() {
        let mut job = new_job();
        assert_eq!((job.version(), job.state(), job.attempt), (1, Uploaded, 0));
        job.start_attempt(1, "t1").unwrap();
        job.record_progress(1, 3, "t2").unwrap();
        job.complete("t3").unwrap();
        assert_eq!(job.version(), 4);
        assert!(job.start_attempt(2, "t4").is_err());
        assert_eq!(job.version(), 4);
    }

    #[test]
    fn a_job_walks_to_any_state_it_can_reach() {
        for to in JobState::ALL {
            let job = new_job().walked_to(to, "t1").unwrap();
            assert_eq!(job.state(), to);
            assert_eq!(job.attempt, u32::from(matches!(to, Processing | Completed)));
        }
        let done = new_job().walked_to(Completed, "t1").unwrap();
        assert_eq!(done.version(), 3);
        assert!(done.walked_to(Processing, "t2").is_err());
    }

    #[test]
    fn the_higher_version_is_newer_whatever_the_clocks_say() {
        let old = new_job();
        let mut new = old.clone();
        // A writer whose clock is behind still makes a newer version.
        new.start_attempt(1, "s0").unwrap();
        assert!(new.is_newer_than(&old));
        assert!(!old.is_newer_than(&new));
        assert!(!new.is_newer_than(&new.clone()));
        // Same version (two writers raced from one version): the later write.
        let mut a = old.clone();
        let mut b = old.clone();
        a.start_attempt(1, "t1").unwrap();
        b.fail(ErrorBody::new(ErrorCode::AnalysisFailed, "x"), "t2")
            .unwrap();
        assert!(b.is_newer_than(&a));
    }

    #[test]
    fn a_job_walks_the_happy_path() {
        let mut job = new_job();
        job.start_attempt(1, "t1").unwrap();
        assert_eq!((job.state, job.attempt), (Processing, 1));
        job.record_progress(3, 12, "t2").unwrap();
        assert_eq!(job.progress.unwrap().pages_done, 3);
        job.complete("t3").unwrap();
        assert_eq!(job.state, Completed);
        assert_eq!(job.progress.unwrap().pages_done, 12);
        assert_eq!(job.updated_at, "t3");
    }

    #[test]
    fn a_retry_stays_processing_with_the_attempt_incremented() {
        let mut job = new_job();
        job.start_attempt(1, "t1").unwrap();
        job.record_progress(5, 9, "t2").unwrap();
        job.start_attempt(2, "t3").unwrap();
        assert_eq!(
            (job.state, job.attempt, job.progress),
            (Processing, 2, None)
        );
    }

    #[test]
    fn a_finished_job_refuses_a_redelivered_message_and_is_unchanged() {
        let mut job = new_job();
        job.start_attempt(1, "t1").unwrap();
        job.complete("t2").unwrap();
        let before = job.clone();
        assert_eq!(
            job.start_attempt(2, "t3"),
            Err(TransitionError {
                from: Completed,
                to: Processing
            })
        );
        assert!(
            job.fail(ErrorBody::new(ErrorCode::Damaged, "x"), "t3")
                .is_err()
        );
        assert_eq!(job, before);
    }

    #[test]
    fn an_uploaded_job_can_fail_but_not_complete() {
        let mut job = new_job();
        assert!(job.complete("t1").is_err());
        job.fail(
            ErrorBody::new(ErrorCode::AnalysisFailed, "dead-lettered"),
            "t1",
        )
        .unwrap();
        assert_eq!(job.state, Error);
        assert_eq!(job.error.as_ref().unwrap().code, ErrorCode::AnalysisFailed);
    }

    #[test]
    fn giving_up_counts_attempts_the_record_never_saw() {
        let mut job = new_job();
        let error = ErrorBody::new(ErrorCode::AnalysisFailed, "given up");
        job.give_up(3, error.clone(), "t1").unwrap();
        assert_eq!((job.state, job.attempt), (Error, 3));
        // Never fewer than the record has, and never out of a terminal state.
        let mut seen = new_job();
        seen.start_attempt(4, "t1").unwrap();
        seen.give_up(2, error.clone(), "t2").unwrap();
        assert_eq!(seen.attempt, 4);
        assert!(seen.give_up(5, error, "t3").is_err());
        assert_eq!(seen.attempt, 4);
    }

    #[test]
    fn progress_never_exceeds_the_total() {
        let mut job = new_job();
        job.start_attempt(1, "t1").unwrap();
        job.record_progress(20, 12, "t2").unwrap();
        assert_eq!(job.progress.unwrap().pages_done, 12);
    }
}

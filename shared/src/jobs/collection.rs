//! The collection state machine: the only place that decides whether a
//! collection may move from one state to another, and when its population
//! is due.
//!
//! `open → processing` when it is closed; `processing → completed |
//! partial | error` once every document has ended and the population was
//! analysed (`partial`: some documents failed or were cancelled; `error`: none
//! completed, or the population could not be analysed); `open → cancelled`
//! and `processing → cancelled` at the owner's request. `open → open` and
//! `processing → processing` are a document joining or moving. Nothing
//! moves backwards; the four ends are terminal.
//!
//! A collection is built by [`Collection::create`] and changed only by the
//! methods below, which count its `version` and keep its progress.

use crate::contract::api::{ErrorBody, ErrorCode, JobState};
use crate::contract::collection::{
    Collection, CollectionProgress, CollectionState, DocumentCounts, MAX_DOCUMENTS, MAX_NAME_CHARS,
    NewCollection,
};

/// A move the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a collection cannot move from {from} to {to}")]
pub struct TransitionError {
    pub from: CollectionState,
    pub to: CollectionState,
}

/// Whether `from → to` is legal.
pub fn transition(
    from: CollectionState,
    to: CollectionState,
) -> Result<CollectionState, TransitionError> {
    use CollectionState::*;
    match (from, to) {
        (Open, Open)
        | (Open, Processing)
        | (Open, Cancelled)
        | (Processing, Processing)
        | (Processing, Completed)
        | (Processing, Partial)
        | (Processing, Error)
        | (Processing, Cancelled) => Ok(to),
        _ => Err(TransitionError { from, to }),
    }
}

/// Why a document may not join.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    #[error("collection {id} is {state}: documents join only while it is open")]
    NotOpen { id: String, state: CollectionState },
    #[error("collection {id} holds {MAX_DOCUMENTS} documents, the most a collection may")]
    Full { id: String },
}

/// What a change leaves to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Due {
    /// Nothing yet (documents still running, or still open).
    Nothing,
    /// Every document has ended and one or more completed: analyse the
    /// population, then [`Collection::population_done`].
    Population,
    /// It ended here (no document completed): tell its watchers.
    Ended,
}

impl Collection {
    /// A new collection, `open`, version 1; `Err` says what is wrong with
    /// its name.
    pub fn create(id: &str, new: NewCollection, now: &str) -> Result<Collection, String> {
        let name = new.name.trim();
        if name.is_empty() {
            return Err("a collection needs a name".to_owned());
        }
        let chars = name.chars().count();
        if chars > MAX_NAME_CHARS {
            return Err(format!(
                "a collection's name has at most {MAX_NAME_CHARS} characters; this one has {chars}"
            ));
        }
        if name.chars().any(char::is_control) {
            return Err("a collection's name has no control characters".to_owned());
        }
        Ok(Collection {
            id: id.to_owned(),
            name: name.to_owned(),
            version: 1,
            state: CollectionState::Open,
            roles: new.roles,
            columns: new.columns,
            callback_url: new.callback_url,
            counts: DocumentCounts::default(),
            progress: progress_of(&DocumentCounts::default()),
            eta_seconds: None,
            error: None,
            created_at: now.to_owned(),
            updated_at: now.to_owned(),
            closed_at: None,
        })
    }

    /// Whether one more document may join.
    pub fn may_join(&self) -> Result<(), JoinError> {
        if self.state != CollectionState::Open {
            return Err(JoinError::NotOpen {
                id: self.id.clone(),
                state: self.state,
            });
        }
        if self.counts.documents >= MAX_DOCUMENTS {
            return Err(JoinError::Full {
                id: self.id.clone(),
            });
        }
        Ok(())
    }

    /// A document joined, now in `state`.
    pub fn joined(&mut self, state: JobState, now: &str) -> Result<(), JoinError> {
        self.may_join()?;
        self.counts.add(state);
        self.changed(now);
        Ok(())
    }

    /// One of its documents moved from `from` to `to`. While processing, the
    /// last document to end makes the population due.
    pub fn document_moved(&mut self, from: JobState, to: JobState, now: &str) -> Due {
        if self.state.is_terminal() || from == to {
            return Due::Nothing;
        }
        self.counts.moved(from, to);
        self.changed(now);
        self.due(now)
    }

    /// One of its documents was deleted, in `state`.
    pub fn document_removed(&mut self, state: JobState, now: &str) -> Due {
        if self.state.is_terminal() {
            return Due::Nothing;
        }
        self.counts.remove(state);
        self.changed(now);
        self.due(now)
    }

    /// Closed by its owner: no more documents; `open → processing`.
    pub fn close(&mut self, now: &str) -> Result<Due, TransitionError> {
        if self.state != CollectionState::Open {
            // Closing twice is not a move `processing → processing`.
            return Err(TransitionError {
                from: self.state,
                to: CollectionState::Processing,
            });
        }
        self.state = transition(self.state, CollectionState::Processing)?;
        self.closed_at = Some(now.to_owned());
        self.changed(now);
        Ok(self.due(now))
    }

    /// The population was analysed: `completed`, or `partial` when some
    /// documents did not complete.
    pub fn population_done(&mut self, now: &str) -> Result<(), TransitionError> {
        let to = if self.counts.completed == self.counts.documents {
            CollectionState::Completed
        } else {
            CollectionState::Partial
        };
        self.state = transition(self.state, to)?;
        self.eta_seconds = None;
        self.changed(now);
        Ok(())
    }

    /// Ends in `error` with `error` (the population could not be analysed).
    pub fn fail(&mut self, error: ErrorBody, now: &str) -> Result<(), TransitionError> {
        self.state = transition(self.state, CollectionState::Error)?;
        self.error = Some(error);
        self.eta_seconds = None;
        self.changed(now);
        Ok(())
    }

    /// Cancelled by its owner (its unfinished documents are cancelled by
    /// the caller).
    pub fn cancel(&mut self, now: &str) -> Result<(), TransitionError> {
        self.state = transition(self.state, CollectionState::Cancelled)?;
        self.eta_seconds = None;
        self.changed(now);
        Ok(())
    }

    /// The estimate of when it should be done (not a change of version).
    pub fn set_eta(&mut self, eta_seconds: Option<u32>) {
        self.eta_seconds = eta_seconds.filter(|_| !self.state.is_terminal());
    }

    /// What is due while processing with every document ended: the
    /// population, or the end in `error` when none completed.
    fn due(&mut self, now: &str) -> Due {
        if self.state != CollectionState::Processing || !self.counts.all_ended() {
            return Due::Nothing;
        }
        if self.counts.completed > 0 {
            return Due::Population;
        }
        let message = if self.counts.documents == 0 {
            format!("collection {} was closed without a document", self.id)
        } else {
            format!(
                "no document of collection {} completed ({} failed, {} cancelled)",
                self.id, self.counts.error, self.counts.cancelled
            )
        };
        // Processing → error is always legal.
        self.state = CollectionState::Error;
        self.error = Some(ErrorBody::new(ErrorCode::AnalysisFailed, message));
        self.eta_seconds = None;
        self.changed(now);
        Due::Ended
    }

    fn changed(&mut self, now: &str) {
        self.version += 1;
        self.updated_at = now.to_owned();
        self.progress = progress_of(&self.counts);
    }
}

fn progress_of(counts: &DocumentCounts) -> CollectionProgress {
    let done = counts.ended();
    CollectionProgress {
        documents_done: done,
        documents_total: counts.documents,
        fraction: if counts.documents == 0 {
            0.0
        } else {
            f64::from(done) / f64::from(counts.documents)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use JobState::*;

    fn new(name: &str) -> Collection {
        Collection::create(
            "c1",
            NewCollection {
                name: name.into(),
                roles: None,
                columns: None,
                callback_url: None,
            },
            "2026-12-06T10:00:00.000Z",
        )
        .expect("a collection")
    }

    const NOW: &str = "2026-12-06T10:00:01.000Z";

    #[test]
    fn names_are_checked() {
        assert_eq!(new("  Invoices 2025 ").name, "Invoices 2025");
        let create = |name: &str| {
            Collection::create(
                "c",
                NewCollection {
                    name: name.into(),
                    roles: None,
                    columns: None,
                    callback_url: None,
                },
                NOW,
            )
        };
        assert!(create(" ").unwrap_err().contains("needs a name"));
        assert!(
            create(&"x".repeat(201))
                .unwrap_err()
                .contains("at most 200")
        );
        assert!(create("a\u{7}b").unwrap_err().contains("control"));
    }

    #[test]
    fn documents_join_while_open_and_the_last_to_end_makes_the_population_due() {
        let mut c = new("q3");
        for _ in 0..3 {
            c.joined(Uploaded, NOW).unwrap();
        }
        assert_eq!(
            (c.counts.documents, c.counts.waiting, c.version()),
            (3, 3, 4)
        );
        assert_eq!(c.document_moved(Uploaded, Processing, NOW), Due::Nothing);
        assert_eq!(c.document_moved(Processing, Completed, NOW), Due::Nothing);
        assert_eq!(c.close(NOW), Ok(Due::Nothing));
        assert_eq!(c.state(), CollectionState::Processing);
        assert!(matches!(
            c.joined(Uploaded, NOW),
            Err(JoinError::NotOpen { .. })
        ));
        assert_eq!(c.document_moved(Uploaded, Error, NOW), Due::Nothing);
        assert_eq!(c.progress.documents_done, 2);
        assert_eq!(c.document_moved(Uploaded, Completed, NOW), Due::Population);
        assert_eq!(c.progress.fraction, 1.0);
        c.population_done(NOW).unwrap();
        assert_eq!(c.state(), CollectionState::Partial);
        assert!(c.close(NOW).is_err() && c.cancel(NOW).is_err());
        // A late event changes nothing.
        let version = c.version();
        assert_eq!(c.document_moved(Completed, Error, NOW), Due::Nothing);
        assert_eq!(c.version(), version);
    }

    #[test]
    fn a_collection_whose_documents_all_ended_is_due_when_closed() {
        let mut c = new("all done");
        c.joined(Uploaded, NOW).unwrap();
        let _ = c.document_moved(Uploaded, Completed, NOW);
        assert_eq!(c.close(NOW), Ok(Due::Population));
        // Closed once: a second close is refused, and changes nothing.
        let version = c.version();
        assert!(c.close(NOW).is_err());
        assert_eq!(c.version(), version);
        c.population_done(NOW).unwrap();
        assert_eq!(c.state(), CollectionState::Completed);
    }

    #[test]
    fn nothing_completed_ends_in_error_with_the_reason() {
        let mut empty = new("empty");
        assert_eq!(empty.close(NOW), Ok(Due::Ended));
        assert_eq!(empty.state(), CollectionState::Error);
        assert!(
            empty
                .error
                .as_ref()
                .unwrap()
                .message
                .contains("without a document")
        );
        let mut failed = new("failed");
        failed.joined(Uploaded, NOW).unwrap();
        failed.joined(Uploaded, NOW).unwrap();
        let _ = failed.close(NOW);
        let _ = failed.document_moved(Uploaded, Error, NOW);
        assert_eq!(failed.document_moved(Uploaded, Cancelled, NOW), Due::Ended);
        assert!(
            failed
                .error
                .as_ref()
                .unwrap()
                .message
                .contains("1 failed, 1 cancelled")
        );
    }

    #[test]
    fn cancelling_and_the_moves_allowed() {
        let mut c = new("c");
        c.cancel(NOW).unwrap();
        assert_eq!(c.state(), CollectionState::Cancelled);
        assert!(c.may_join().is_err());
        use CollectionState as S;
        for from in S::ALL {
            for to in S::ALL {
                let expected = match (from, to) {
                    (S::Open, S::Open | S::Processing | S::Cancelled) => true,
                    (S::Processing, to) => to != S::Open,
                    _ => false,
                };
                assert_eq!(transition(from, to).is_ok(), expected, "{from} → {to}");
            }
        }
    }

    #[test]
    fn a_full_collection_refuses_one_more() {
        let mut c = new("big");
        c.counts.documents = MAX_DOCUMENTS;
        assert!(matches!(c.may_join(), Err(JoinError::Full { .. })));
    }

    #[test]
    fn a_deleted_document_is_forgotten() {
        let mut c = new("d");
        c.joined(Uploaded, NOW).unwrap();
        c.joined(Uploaded, NOW).unwrap();
        let _ = c.document_moved(Uploaded, Completed, NOW);
        let _ = c.close(NOW);
        assert_eq!(c.document_removed(Uploaded, NOW), Due::Population);
        assert_eq!(c.counts.documents, 1);
    }
}

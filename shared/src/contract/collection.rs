//! Collections: a job of jobs (`/api/v1/collections`). Documents join a
//! collection while it is `open`; once it is closed and every document has
//! ended, the population of their chosen numbers is analysed as one
//! ([`Collection`], its [`CollectionState`] and [`DocumentCounts`]). The
//! moves between states are decided in [`crate::jobs::collection`].

use serde::{Deserialize, Serialize};

use crate::contract::api::{ErrorBody, JobState};
use crate::reading::columns::Columns;
use crate::reading::roles::Roles;

/// Most documents one collection holds.
pub const MAX_DOCUMENTS: u32 = 10_000;

/// Longest collection name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Where a collection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionState {
    /// Documents may join.
    Open,
    /// Closed: its documents are being analysed, then its population.
    Processing,
    /// Every document completed and the population was analysed.
    Completed,
    /// Some documents failed or were cancelled; the population of those
    /// that completed was analysed.
    Partial,
    /// No document completed (or the population could not be analysed).
    Error,
    /// Cancelled by its owner: its unfinished documents too.
    Cancelled,
}

impl CollectionState {
    pub const ALL: [CollectionState; 6] = [
        CollectionState::Open,
        CollectionState::Processing,
        CollectionState::Completed,
        CollectionState::Partial,
        CollectionState::Error,
        CollectionState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CollectionState::Open => "open",
            CollectionState::Processing => "processing",
            CollectionState::Completed => "completed",
            CollectionState::Partial => "partial",
            CollectionState::Error => "error",
            CollectionState::Cancelled => "cancelled",
        }
    }

    pub fn parse(name: &str) -> Option<CollectionState> {
        CollectionState::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
    }

    /// No move leaves it.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            CollectionState::Completed
                | CollectionState::Partial
                | CollectionState::Error
                | CollectionState::Cancelled
        )
    }

    /// Whether its population has a report (`GET /collections/{id}/result`).
    pub fn has_result(self) -> bool {
        matches!(self, CollectionState::Completed | CollectionState::Partial)
    }
}

impl std::fmt::Display for CollectionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many of a collection's documents are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentCounts {
    pub documents: u32,
    /// Uploaded, not yet picked up by an analysis.
    pub waiting: u32,
    pub processing: u32,
    pub completed: u32,
    pub error: u32,
    pub cancelled: u32,
}

impl DocumentCounts {
    /// Counts a document now in `state`.
    pub fn add(&mut self, state: JobState) {
        self.documents += 1;
        *self.slot(state) += 1;
    }

    /// Moves a document from `from` to `to`.
    pub fn moved(&mut self, from: JobState, to: JobState) {
        if from != to {
            let from = self.slot(from);
            *from = from.saturating_sub(1);
            *self.slot(to) += 1;
        }
    }

    /// Forgets a document that was in `state` (deleted).
    pub fn remove(&mut self, state: JobState) {
        self.documents = self.documents.saturating_sub(1);
        let slot = self.slot(state);
        *slot = slot.saturating_sub(1);
    }

    fn slot(&mut self, state: JobState) -> &mut u32 {
        match state {
            JobState::Uploaded => &mut self.waiting,
            JobState::Processing => &mut self.processing,
            JobState::Completed => &mut self.completed,
            JobState::Error => &mut self.error,
            JobState::Cancelled => &mut self.cancelled,
        }
    }

    /// Documents that have ended (completed, failed or cancelled).
    pub fn ended(&self) -> u32 {
        self.completed + self.error + self.cancelled
    }

    /// Whether every document has ended.
    pub fn all_ended(&self) -> bool {
        self.ended() == self.documents
    }
}

/// A collection's progress: its documents ended of all, and when the rest
/// should be done.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CollectionProgress {
    pub documents_done: u32,
    pub documents_total: u32,
    /// `documents_done / documents_total` (0 with no document).
    pub fraction: f64,
}

/// A collection as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    pub id: String,
    pub name: String,
    /// 1 when created, +1 on every change: orders its versions and feeds
    /// the `ETag`.
    pub(crate) version: u64,
    pub(crate) state: CollectionState,
    /// The roles of numbers chosen for the population's tests; absent: the
    /// default ([`Roles::default`]). Every document joining is analysed so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Roles>,
    /// The table columns chosen; absent: every number of the roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Columns>,
    /// Where each state it reaches is announced (signed webhooks, the
    /// states the owner's webhook settings choose).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    pub counts: DocumentCounts,
    pub progress: CollectionProgress,
    /// While processing: when the documents and the population should be
    /// done, from the queue's measured pace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_seconds: Option<u32>,
    /// Why it ended in error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
}

impl Collection {
    pub fn state(&self) -> CollectionState {
        self.state
    }

    pub fn version(&self) -> u64 {
        self.version
    }
}

/// `POST /collections`: what a new collection is asked to be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCollection {
    pub name: String,
    #[serde(default)]
    pub roles: Option<Roles>,
    #[serde(default)]
    pub columns: Option<Columns>,
    /// Checked as a job's `callback_url` is.
    #[serde(default)]
    pub callback_url: Option<String>,
}

/// One document of a collection (`GET /collections/{id}/documents`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionDocument {
    pub job_id: String,
    pub filename: String,
    pub state: JobState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// `GET /collections`: the owner's collections, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionPage {
    pub collections: Vec<Collection>,
    /// Pass as `?cursor=` for the next page; absent on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `GET /collections/{id}/documents`: its documents in the order they
/// joined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentPage {
    pub documents: Vec<CollectionDocument>,
    /// Pass as `?cursor=` for the next page; absent on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Most collections or documents one page lists (`?limit=`, 1 to this).
pub const MAX_PAGE: u32 = 500;
/// A page's size when `?limit=` is absent.
pub const DEFAULT_PAGE: u32 = 100;

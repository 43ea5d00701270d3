//! The requests of the hub's calls about collections (`HubCall`'s
//! `Collection*` and `PopulationDone` variants): the owner's collections,
//! their documents and the end of their population's analysis.

use serde::{Deserialize, Serialize};
use shared::contract::api::{ErrorBody, JobState};
use shared::contract::collection::Collection;

/// A new collection to keep (answered with it).
#[derive(Debug, Serialize, Deserialize)]
pub struct CollectionCreate {
    pub owner: String,
    pub collection: Collection,
}

/// One collection (`None`: no such collection of this owner).
#[derive(Debug, Serialize, Deserialize)]
pub struct CollectionGet {
    pub id: String,
}

/// The long-poll of a collection: answered with its next version (or the
/// present one, when it is not the one seen), `None` at the timeout.
#[derive(Debug, Serialize, Deserialize)]
pub struct CollectionWait {
    pub id: String,
    /// The version the caller has.
    pub seen: u64,
    pub timeout_ms: u64,
}

/// The longest estimate among a collection's running documents.
#[derive(Debug, Serialize, Deserialize)]
pub struct CollectionRunningEta {
    pub id: String,
}

/// A page of the owner's collections, newest first.
#[derive(Debug, Serialize, Deserialize)]
pub struct CollectionList {
    pub cursor: Option<String>,
    pub limit: u32,
}

/// Close, cancel or delete a collection (the owner's, for its events).
#[derive(Debug, Serialize, Deserialize)]
pub struct CollectionAct {
    pub owner: String,
    pub id: String,
    pub act: Act,
}

/// What [`CollectionAct`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Act {
    Close,
    Cancel,
    Delete,
}

/// What a [`CollectionAct`] did: the collection as it now is (its last
/// version, for a delete) and the documents the caller must act on — the
/// unfinished ones of a cancel, every one of a delete.
#[derive(Debug, Serialize, Deserialize)]
pub struct Acted {
    pub collection: Collection,
    pub documents: Vec<String>,
}

/// A page of a collection's documents, in the order they joined.
#[derive(Debug, Serialize, Deserialize)]
pub struct CollectionDocuments {
    pub id: String,
    /// The last joining number of the page before.
    pub after: u64,
    pub state: Option<JobState>,
    pub limit: u32,
    /// The last to join first (for the estimate: the last waiting document
    /// is the last in line).
    #[serde(default)]
    pub newest_first: bool,
}

/// The documents whose results make a collection's population.
#[derive(Debug, Serialize, Deserialize)]
pub struct CollectionMembers {
    pub id: String,
}

/// A collection's completed documents (job id, file name, in the order
/// they joined), and how many did not complete.
#[derive(Debug, Serialize, Deserialize)]
pub struct Members {
    pub collection: Collection,
    pub completed: Vec<(String, String)>,
    pub left_out: u32,
}

/// The population's analysis ended: stored (`error: None`) or failed.
#[derive(Debug, Serialize, Deserialize)]
pub struct PopulationDone {
    pub owner: String,
    pub id: String,
    pub error: Option<ErrorBody>,
}

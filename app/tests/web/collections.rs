//! Collections: the list keeps the newest version of each, the opened
//! one's rows only move forward whatever order pages and events arrive in,
//! and a collection's line says where it stands.

use app::collections::{Collections, summary, upsert};
use leptos::prelude::{GetUntracked, Set};
use shared::contract::api::JobState;
use shared::contract::collection::{Collection, CollectionDocument};
use wasm_bindgen_test::*;

use crate::job;

fn collection(id: &str, version: u64, state: &str, created: &str) -> Collection {
    serde_json::from_value(serde_json::json!({
        "id": id, "name": "Invoices", "version": version, "state": state,
        "counts": {"documents": 4, "waiting": 1, "processing": 1, "completed": 1, "error": 1, "cancelled": 0},
        "progress": {"documents_done": 2, "documents_total": 4, "fraction": 0.5},
        "eta_seconds": 90,
        "created_at": created, "updated_at": created,
    }))
    .unwrap()
}

#[wasm_bindgen_test]
fn the_list_keeps_the_newest_version_newest_first() {
    let mut list = Vec::new();
    let a = "00000000-0000-4000-8000-00000000000a";
    let b = "00000000-0000-4000-8000-00000000000b";
    upsert(
        &mut list,
        collection(a, 1, "open", "2026-01-01T00:00:00.000Z"),
    );
    upsert(
        &mut list,
        collection(b, 1, "open", "2026-01-02T00:00:00.000Z"),
    );
    assert_eq!(list[0].id, b);
    upsert(
        &mut list,
        collection(a, 3, "processing", "2026-01-01T00:00:00.000Z"),
    );
    // A late, older version does not replace it.
    upsert(
        &mut list,
        collection(a, 2, "open", "2026-01-01T00:00:00.000Z"),
    );
    assert_eq!(list.len(), 2);
    assert_eq!(list[1].version(), 3);
    assert_eq!(
        summary(&list[1]),
        "processing · 2 of 4 documents done · about 2 min left"
    );
    let ended = collection(a, 4, "partial", "2026-01-01T00:00:00.000Z");
    assert_eq!(summary(&ended), "partial · 4 documents · 1 left out");
}

#[wasm_bindgen_test]
fn rows_move_forward_only_and_join_when_their_collection_is_open() {
    let collections = Collections::default();
    let id = "00000000-0000-4000-8000-00000000000c";
    collections.shown.set(Some(id.into()));
    let doc = |job_id: &str, state: JobState| CollectionDocument {
        job_id: job_id.into(),
        filename: format!("{job_id}.pdf"),
        state,
        error: None,
    };
    collections.add_members(vec![
        doc("j1", JobState::Processing),
        doc("j2", JobState::Uploaded),
    ]);
    // A page read before the job moved on does not move its row back.
    collections.add_members(vec![doc("j1", JobState::Uploaded)]);
    let rows = collections.members.get_untracked();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].doc.get_untracked().state, JobState::Processing);
    // An event of a member moves its row; one of another collection's job does nothing.
    let mut done = job(JobState::Completed);
    done.id = "j2".into();
    done.collection = Some(id.into());
    collections.member_changed(&done);
    assert_eq!(rows[1].doc.get_untracked().state, JobState::Completed);
    let mut stranger = job(JobState::Processing);
    stranger.id = "j9".into();
    stranger.collection = Some("00000000-0000-4000-8000-00000000000d".into());
    collections.member_changed(&stranger);
    // A new member of the opened collection joins as the last row.
    let mut newcomer = job(JobState::Uploaded);
    newcomer.id = "j3".into();
    newcomer.collection = Some(id.into());
    collections.member_changed(&newcomer);
    let rows = collections.members.get_untracked();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2].doc.get_untracked().job_id, "j3");
    // An ended row stays ended; a deleted one goes.
    collections.add_members(vec![doc("j2", JobState::Processing)]);
    assert_eq!(rows[1].doc.get_untracked().state, JobState::Completed);
    collections.member_removed("j1");
    assert_eq!(collections.members.get_untracked().len(), 2);
}

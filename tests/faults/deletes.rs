//! Deleting a job while it is analysed leaves nothing behind: 100 jobs, each
//! deleted at its own moment of its processing (from before the consumer
//! picks it up to after it finished; half of them write slowly, through a
//! test hook, so that deletes land between a write's check and the write),
//! and afterwards the server's own
//! storage — the KV entries and R2 objects `wrangler dev` keeps under its
//! state directory (`DOCKET_STATE`) — holds no record, PDF or report of any
//! of them, and the API knows none of them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use shared::contract::api::JobState;

use crate::support::{Client, corpus};

const FILES: [&str; 4] = [
    "pdfminer-issue-886-xref-stream-widths.pdf",
    "pdfplumber-ca-warn-report.pdf",
    "pdfplumber-federal-register-2020-17221.pdf",
    "pdfplumber-nics-background-checks-2015-11.pdf",
];

/// Every key in the local KV namespaces and R2 buckets under `state`.
pub fn stored_keys(state: &Path) -> Vec<String> {
    let mut keys = Vec::new();
    for (dir, table) in [("kv", "_mf_entries"), ("r2", "_mf_objects")] {
        let Ok(namespaces) = std::fs::read_dir(state.join("v3").join(dir)) else {
            continue;
        };
        for namespace in namespaces.flatten() {
            for file in std::fs::read_dir(namespace.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let path = file.path();
                if path.extension().is_none_or(|e| e != "sqlite") {
                    continue;
                }
                let Ok(db) = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                else {
                    continue;
                };
                let Ok(mut stmt) = db.prepare(&format!("SELECT key FROM {table}")) else {
                    continue; // the namespace's metadata file
                };
                let found = stmt
                    .query_map([], |r| r.get::<_, String>(0))
                    .map(|rows| rows.flatten().collect::<Vec<_>>())
                    .unwrap_or_default();
                keys.extend(found);
            }
        }
    }
    keys
}

#[test]
fn jobs_deleted_while_they_are_analysed_leave_nothing_behind() {
    let state = PathBuf::from(
        std::env::var("DOCKET_STATE").expect("DOCKET_STATE: run with `cargo xtask test`"),
    );
    let client = Client::owner();
    let files: Vec<Vec<u8>> = FILES.iter().map(|f| corpus(f)).collect();
    let deleted: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4u64)
            .map(|thread| {
                let (client, files) = (&client, &files);
                s.spawn(move || {
                    let mut ids = Vec::new();
                    for n in 0..25u64 {
                        let i = thread * 25 + n;
                        let file = &files[(i % 4) as usize];
                        // Every other one writes slowly (test hook), which
                        // widens the window a delete can race into.
                        let name = if i % 2 == 0 {
                            format!("inject-slow-save-{i}.pdf")
                        } else {
                            format!("deleted-{i}.pdf")
                        };
                        let job = client.submit(file, &name);
                        // Spread over the job's life: 0 to 1.5 s after upload.
                        std::thread::sleep(Duration::from_millis((i * 7_919 + 13) % 1_500));
                        let path = format!("/api/v1/jobs/{}", job.id);
                        client.call("DELETE", &path, None, &[], 204);
                        ids.push(job.id);
                    }
                    ids
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a deleting client"))
            .collect()
    });
    assert_eq!(deleted.len(), 100);

    // The local queue is served in order: once a job sent after all of them
    // has finished, every message of theirs has been handled.
    let last = client.submit(&files[0], "after.pdf");
    let done = client.wait_terminal(&last.id, Duration::from_secs(240));
    assert_eq!(done.state(), JobState::Completed);
    std::thread::sleep(Duration::from_secs(3));

    let keys = stored_keys(&state);
    assert!(
        keys.iter().any(|k| k.contains(&last.id)),
        "the storage check sees nothing (is DOCKET_STATE right?): {} keys",
        keys.len()
    );
    let left: Vec<&String> = keys
        .iter()
        .filter(|k| deleted.iter().any(|id| k.contains(id.as_str())))
        .collect();
    assert!(left.is_empty(), "left behind by deleted jobs: {left:#?}");
    for id in &deleted {
        client.call("GET", &format!("/api/v1/jobs/{id}"), None, &[], 404);
    }
    let listed = client
        .call("GET", "/api/v1/jobs?limit=100", None, &[], 200)
        .json();
    assert_eq!(listed["jobs"].as_array().map(Vec::len), Some(1), "{listed}");
}

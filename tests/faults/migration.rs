//! A hub written by the release before schema versions wakes up under this
//! code with nothing lost. The test makes such a hub for real: it runs a
//! server, gives one owner jobs, events and a webhook secret, kills the
//! server, turns that owner's Durable Object SQLite file back into the
//! previous release's schema (no `schema_version` table, no `version` column
//! or index, job records without a version), restarts the server on that
//! state and checks, through the API, that the hub migrated on wake-up and
//! that its jobs, events and secret are all still there and still work.

use std::path::{Path, PathBuf};
use std::time::Duration;

use docket_tests::server;
use rusqlite::Connection;
use serde_json::Value;
use shared::contract::api::JobState;

use crate::support::{Client, corpus};

const VARS: [(&str, &str); 1] = [("DOCKET_TEST_HOOKS", "1")];
const WAIT: Duration = Duration::from_secs(90);
const SMALL: &str = "pdfminer-issue-886-xref-stream-widths.pdf";
const LOCKED: &str = "pdfplumber-password-example.pdf";

fn work_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/xtask");
    std::fs::create_dir_all(&dir).expect("target/xtask");
    dir
}

/// Every SQLite file under `dir`.
fn sqlite_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sqlite_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "sqlite") {
            found.push(path);
        }
    }
}

/// The one owner's hub: the Durable Object file that has a job index.
fn hub_file(state: &Path) -> PathBuf {
    let mut files = Vec::new();
    sqlite_files(state, &mut files);
    let hubs: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| {
            Connection::open(f)
                .and_then(|db| {
                    db.query_row(
                        "SELECT COUNT(*) FROM sqlite_master WHERE name = 'jobs'",
                        [],
                        |r| r.get::<_, i64>(0),
                    )
                })
                .is_ok_and(|n| n == 1)
        })
        .collect();
    assert_eq!(
        hubs.len(),
        1,
        "one hub expected under {}: {hubs:?}",
        state.display()
    );
    hubs.into_iter().next().unwrap_or_default()
}

/// The previous release's schema (what every migration since added is
/// taken out), with the rows kept.
fn downgrade(file: &Path) {
    let db = Connection::open(file).expect("the hub's SQLite");
    db.execute_batch(
        "DROP INDEX jobs_state;
         ALTER TABLE jobs DROP COLUMN version;
         DROP TABLE watch;
         DROP INDEX outbox_due;
         ALTER TABLE outbox DROP COLUMN standing;
         ALTER TABLE outbox DROP COLUMN created_ms;
         ALTER TABLE outbox DROP COLUMN base_attempt;
         DROP TABLE uploads;
         ALTER TABLE reservations DROP COLUMN owner;
         ALTER TABLE reservations DROP COLUMN check_ms;
         DROP TABLE schema_version;
         UPDATE jobs SET job = json_remove(job, '$.version');",
    )
    .expect("back to the previous schema");
    let versions: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM jobs WHERE json_extract(job, '$.version') IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(versions, 0);
}

/// The job list as the hub serves it, without the versions (the previous
/// release's records have none).
fn listing(client: &Client) -> Vec<Value> {
    let mut page = client.call("GET", "/api/v1/jobs", None, &[], 200).json();
    let mut jobs = page["jobs"].take().as_array().cloned().unwrap_or_default();
    for job in &mut jobs {
        if let Some(job) = job.as_object_mut() {
            job.remove("version");
        }
    }
    jobs
}

#[test]
fn a_hub_from_before_schema_versions_wakes_up_with_nothing_lost() {
    let work = work_dir();
    let state = work.join("migration-state");
    let mut server = server::start(&state, &work.join("wrangler-migration.log"), &VARS);
    let client = Client::owner_at(&server.url());
    let good = client.submit(&corpus(SMALL), "good.pdf");
    let locked = client.submit(&corpus(LOCKED), "locked.pdf");
    assert_eq!(
        client.wait_terminal(&good.id, WAIT).state(),
        JobState::Completed
    );
    assert_eq!(
        client.wait_terminal(&locked.id, WAIT).state(),
        JobState::Error
    );
    let hub = client
        .call("GET", "/api/v1/_test/hub", None, &[], 200)
        .json();
    assert_eq!(
        hub["schema_version"],
        shared::jobs::migrations::latest(shared::jobs::migrations::HUB)
    );
    let jobs = listing(&client);
    assert_eq!(jobs.len(), 2);
    let secret = client
        .call("GET", "/api/v1/webhook-secret", None, &[], 200)
        .json();
    let result = client
        .call(
            "GET",
            &format!("/api/v1/jobs/{}/result", good.id),
            None,
            &[],
            200,
        )
        .json();

    server.kill9();
    downgrade(&hub_file(&state));
    server.restart().unwrap_or_else(|e| panic!("restart: {e}"));

    let woken = client
        .call("GET", "/api/v1/_test/hub", None, &[], 200)
        .json();
    assert_eq!(
        woken["schema_version"],
        shared::jobs::migrations::latest(shared::jobs::migrations::HUB),
        "migrated on wake-up: {woken}"
    );
    assert_eq!(woken["seq"], hub["seq"], "the event log's counter: {woken}");
    assert_eq!(listing(&client), jobs, "the job index");
    assert_eq!(
        client
            .call("GET", "/api/v1/webhook-secret", None, &[], 200)
            .json(),
        secret
    );
    assert_eq!(
        client
            .call(
                "GET",
                &format!("/api/v1/jobs/{}/result", good.id),
                None,
                &[],
                200
            )
            .json(),
        result
    );
    // A record without a version loses to KV's, which has one.
    assert!(client.job(&good.id).version() >= 3);

    // And it goes on working: a new job is indexed first and numbered next.
    let next = client.submit(&corpus(SMALL), "after.pdf");
    assert_eq!(
        client.wait_terminal(&next.id, WAIT).state(),
        JobState::Completed
    );
    let after = listing(&client);
    assert_eq!(after.len(), 3);
    assert_eq!(after[0]["id"], next.id.as_str());
    let last = client
        .call("GET", "/api/v1/_test/hub", None, &[], 200)
        .json();
    assert!(last["seq"].as_u64() > hub["seq"].as_u64(), "{last}");
}

//! The hub's schema migrations on a real SQLite: a hub as the release before
//! schema versions left it (its tables, with rows in every one) is brought up
//! to date by the same runner the Durable Object uses when it wakes, and
//! nothing is lost.

use rusqlite::{Connection, params};
use shared::contract::api::Job;
use shared::jobs::migrations::{self, HUB, Migrated, READ_VERSION};

fn runner(db: &Connection) -> Result<Migrated, migrations::MigrateError<rusqlite::Error>> {
    migrations::run(
        HUB,
        || {
            db.query_row(READ_VERSION, [], |r| r.get::<_, u32>(0))
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(0),
                    e => Err(e),
                })
        },
        |sql, version| match version {
            Some(v) => db.execute(sql, params![v]).map(drop),
            None => db.execute_batch(sql),
        },
    )
}

/// The previous release's tables, exactly as it created them, with rows.
fn previous_release() -> Connection {
    let db = Connection::open_in_memory().unwrap();
    for statement in HUB[0].up {
        db.execute_batch(statement).unwrap();
    }
    let job = serde_json::json!({
        "id": "6f1c1f5e-4b0a-4c1e-9a55-2b1f0c3d4e5f", "state": "processing",
        "filename": "q3.pdf", "size_bytes": 1234, "sha256": "ab",
        "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:02.000Z",
        "attempt": 1, "progress": {"pages_done": 1, "pages_total": 4}, "error": null,
        "callback": {"url": "https://example.com/hook", "deliveries": [], "disabled": false}
    });
    db.execute_batch(&format!(
        "INSERT INTO jobs VALUES ('6f1c1f5e-4b0a-4c1e-9a55-2b1f0c3d4e5f', \
           '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:02.000Z', 'processing', '{job}');
         INSERT INTO deleted VALUES ('0b7e1d8a-1111-4c1e-9a55-2b1f0c3d4e5f');
         INSERT INTO events VALUES (7, 1767225600000.0, '{{\"type\":\"job.updated\"}}');
         INSERT INTO counters VALUES ('seq', 7);
         INSERT INTO tickets VALUES ('hash', 1767225660000.0);
         INSERT INTO settings VALUES ('secrets', '{{\"current\":\"whsec_x\"}}');
         INSERT INTO deliveries VALUES ('6f1c1f5e-4b0a-4c1e-9a55-2b1f0c3d4e5f', 'msg_1', 1, \
           '2026-01-01T00:00:01.000Z', '{{}}');
         INSERT INTO disabled_callbacks VALUES ('6f1c1f5e-4b0a-4c1e-9a55-2b1f0c3d4e5f');
         INSERT INTO outbox VALUES ('msg_2', '6f1c1f5e-4b0a-4c1e-9a55-2b1f0c3d4e5f', \
           'https://example.com/hook', '{{}}', 2, 1767225600000.0);
         INSERT INTO rate_windows VALUES ('uploads/60', 1767225600000.0, 3, 9);
         INSERT INTO reservations VALUES ('r1', 100, 1767225600000.0);
         INSERT INTO result_sizes VALUES ('6f1c1f5e-4b0a-4c1e-9a55-2b1f0c3d4e5f', 555);"
    ))
    .unwrap();
    db
}

/// The previous release's tables.
const TABLES: [&str; 12] = [
    "jobs",
    "deleted",
    "events",
    "counters",
    "tickets",
    "settings",
    "deliveries",
    "disabled_callbacks",
    "outbox",
    "rate_windows",
    "reservations",
    "result_sizes",
];

/// The tables versions brought.
const NEW_TABLES: [&str; 2] = ["schema_version", "watch"];

/// Every row of every table but the version's, as text.
fn contents(db: &Connection) -> Vec<String> {
    let mut all = Vec::new();
    for table in TABLES {
        let mut stmt = db.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let columns = stmt.column_count();
        let rows = stmt
            .query_map([], |row| {
                let cells: Vec<String> = (0..columns)
                    .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                    .collect();
                Ok(format!("{table}: {}", cells.join(" | ")))
            })
            .unwrap();
        all.extend(rows.map(Result::unwrap));
    }
    all
}

#[test]
fn a_hub_from_before_versions_wakes_up_to_date_with_nothing_lost() {
    let db = previous_release();
    let before = contents(&db);
    assert_eq!(before.len(), 12, "a row in every table: {before:#?}");

    let migrated = runner(&db).unwrap();
    assert_eq!(
        migrated,
        Migrated {
            from: 0,
            to: migrations::latest(HUB)
        }
    );

    // Every row is still there, column for column (the jobs row has one more:
    // the version, 0 for a record written before versions).
    let after = contents(&db);
    assert_eq!(after.len(), before.len());
    for (old, new) in before.iter().zip(&after) {
        assert!(new.starts_with(old.as_str()), "{old}\n  became\n{new}");
    }
    let (version, state, json): (i64, String, String) = db
        .query_row("SELECT version, state, job FROM jobs", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!((version, state.as_str()), (0, "processing"));
    let job: Job = serde_json::from_str(&json).unwrap();
    assert_eq!((job.version(), job.attempt), (0, 1));

    // Waking again changes nothing.
    assert_eq!(
        runner(&db).unwrap(),
        Migrated {
            from: migrations::latest(HUB),
            to: migrations::latest(HUB)
        }
    );
    assert_eq!(contents(&db), after);
}

#[test]
fn a_new_hub_gets_every_table_and_a_versioned_job_keeps_its_version() {
    let db = Connection::open_in_memory().unwrap();
    let migrated = runner(&db).unwrap();
    assert_eq!(migrated.from, 0);
    for table in TABLES.iter().chain(&NEW_TABLES) {
        db.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap_or_else(|e| panic!("{table}: {e}"));
    }
    db.execute(
        "INSERT INTO jobs (id, created_at, updated_at, state, job, version) \
         VALUES ('a', 't', 't', 'uploaded', '{\"version\":1}', 1)",
        [],
    )
    .unwrap();
    assert_eq!(
        db.query_row("SELECT version FROM jobs", [], |r| r.get::<_, i64>(0))
            .unwrap(),
        1
    );
}

#[test]
fn a_schema_newer_than_the_code_is_left_alone() {
    let db = Connection::open_in_memory().unwrap();
    runner(&db).unwrap();
    db.execute(
        "UPDATE schema_version SET version = version + 1 WHERE name = 'schema'",
        [],
    )
    .unwrap();
    let err = runner(&db).unwrap_err();
    assert!(matches!(err, migrations::MigrateError::TooNew(_)), "{err}");
}

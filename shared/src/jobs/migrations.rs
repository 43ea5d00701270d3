//! Schema versions of the Durable Objects' SQLite storage: ordered,
//! forward-only migrations ([`HUB`] for each owner's `JobHub`, [`LIMITER`] for
//! the per-address `Limiter`) and the rule of which of them still have to run
//! ([`pending`]). The version lives in a one-row table, [`VERSION_TABLE`]
//! (a Durable Object's SQLite does not promise `PRAGMA user_version`).
//!
//! The edge runs the pending migrations when an object wakes, in one
//! synchronous step, so they commit together or not at all (a Durable Object
//! coalesces the writes of a step without awaits into one transaction).
//!
//! **Invariant:** a migration, once released, is never edited; a change to a
//! table is a new migration at the end. Version 1 is the schema as it was
//! before versions existed, written so that it also runs over those tables
//! (`IF NOT EXISTS`): a hub from before has version 0 and gets 1, 2, … in turn.

/// One step of a schema's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// 1, 2, 3, … in order, no gaps.
    pub version: u32,
    /// What it does, for the log.
    pub name: &'static str,
    /// Its statements, run in order.
    pub up: &'static [&'static str],
}

/// Holds the schema version (one row, `name = 'schema'`).
pub const VERSION_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS schema_version (name TEXT PRIMARY KEY, version INTEGER NOT NULL)";
/// Reads the version (no row: 0).
pub const READ_VERSION: &str = "SELECT version FROM schema_version WHERE name = 'schema'";
/// Writes the version (bind: the version).
pub const WRITE_VERSION: &str = "INSERT INTO schema_version (name, version) VALUES ('schema', ?) \
     ON CONFLICT(name) DO UPDATE SET version = excluded.version";

/// The rate-limit counters' table (the hub has it too).
const RATE_WINDOWS: &str = "CREATE TABLE IF NOT EXISTS rate_windows (key TEXT PRIMARY KEY, \
     start_ms REAL NOT NULL, current INTEGER NOT NULL, previous INTEGER NOT NULL)";

/// The `JobHub`'s schema history.
pub const HUB: &[Migration] = &[
    Migration {
        version: 1,
        name: "the tables of the first release",
        up: &[
            "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, \
             updated_at TEXT NOT NULL, state TEXT NOT NULL, job TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS jobs_newest ON jobs (created_at DESC, id DESC)",
            "CREATE TABLE IF NOT EXISTS deleted (id TEXT PRIMARY KEY)",
            "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, at_ms REAL NOT NULL, \
             body TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS tickets (hash TEXT PRIMARY KEY, expires_ms REAL NOT NULL)",
            "CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS deliveries (job_id TEXT NOT NULL, event_id TEXT NOT NULL, \
             attempt INTEGER NOT NULL, at TEXT NOT NULL, delivery TEXT NOT NULL, \
             PRIMARY KEY (job_id, event_id, attempt))",
            "CREATE TABLE IF NOT EXISTS disabled_callbacks (job_id TEXT PRIMARY KEY)",
            "CREATE TABLE IF NOT EXISTS outbox (event_id TEXT PRIMARY KEY, job_id TEXT NOT NULL, \
             url TEXT NOT NULL, body TEXT NOT NULL, attempt INTEGER NOT NULL, due_ms REAL NOT NULL)",
            RATE_WINDOWS,
            "CREATE TABLE IF NOT EXISTS reservations (id TEXT PRIMARY KEY, bytes INTEGER NOT NULL, \
             expires_ms REAL NOT NULL)",
            "CREATE TABLE IF NOT EXISTS result_sizes (id TEXT PRIMARY KEY, bytes INTEGER NOT NULL)",
        ],
    },
    Migration {
        version: 2,
        name: "job versions in the index; jobs by state",
        up: &[
            "ALTER TABLE jobs ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
            "UPDATE jobs SET version = COALESCE(json_extract(job, '$.version'), 0)",
            "CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state)",
        ],
    },
    Migration {
        version: 3,
        name: "the watchdog's view of unfinished jobs",
        up: &[
            "CREATE TABLE IF NOT EXISTS watch (job_id TEXT PRIMARY KEY, owner TEXT NOT NULL, \
             created_at TEXT NOT NULL, attempt INTEGER NOT NULL, phase TEXT NOT NULL, \
             since_ms REAL NOT NULL)",
        ],
    },
    Migration {
        version: 4,
        name: "the outbox keeps events whose delivery failed, for replay",
        up: &[
            "ALTER TABLE outbox ADD COLUMN standing TEXT NOT NULL DEFAULT 'pending'",
            "ALTER TABLE outbox ADD COLUMN created_ms REAL NOT NULL DEFAULT 0",
            "ALTER TABLE outbox ADD COLUMN base_attempt INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (standing, due_ms)",
        ],
    },
    Migration {
        version: 5,
        name: "resumable uploads in progress",
        up: &[
            "CREATE TABLE IF NOT EXISTS uploads (id TEXT PRIMARY KEY, expires_ms REAL NOT NULL, \
             upload TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS uploads_expiry ON uploads (expires_ms)",
        ],
    },
    Migration {
        version: 6,
        name: "page slices of fanned-out jobs",
        up: &[
            "CREATE TABLE IF NOT EXISTS fanouts (job_id TEXT PRIMARY KEY, attempt INTEGER NOT NULL, \
             pages INTEGER NOT NULL, merging INTEGER NOT NULL DEFAULT 0)",
            "CREATE TABLE IF NOT EXISTS slices (job_id TEXT NOT NULL, first INTEGER NOT NULL, \
             last INTEGER NOT NULL, pages_done INTEGER NOT NULL DEFAULT 0, \
             done INTEGER NOT NULL DEFAULT 0, tries INTEGER NOT NULL DEFAULT 0, \
             PRIMARY KEY (job_id, first))",
        ],
    },
    Migration {
        version: 7,
        name: "collections and their documents",
        up: &[
            "CREATE TABLE IF NOT EXISTS collections (id TEXT PRIMARY KEY, owner TEXT NOT NULL, \
             created_at TEXT NOT NULL, collection TEXT NOT NULL, population_sent_ms REAL, \
             announced TEXT)",
            "CREATE INDEX IF NOT EXISTS collections_newest ON collections (created_at DESC, id DESC)",
            "CREATE TABLE IF NOT EXISTS members (collection_id TEXT NOT NULL, \
             job_id TEXT NOT NULL, joined INTEGER NOT NULL, state TEXT NOT NULL, \
             filename TEXT NOT NULL, error TEXT, PRIMARY KEY (collection_id, job_id))",
            "CREATE INDEX IF NOT EXISTS members_job ON members (job_id)",
            "CREATE INDEX IF NOT EXISTS members_joined ON members (collection_id, joined)",
        ],
    },
    Migration {
        version: 8,
        name: "attempts sent again at a hub's start, not counted",
        up: &["ALTER TABLE watch ADD COLUMN free INTEGER NOT NULL DEFAULT 0"],
    },
    Migration {
        version: 9,
        name: "an upload's reservation is checked for an orphaned PDF",
        up: &[
            "ALTER TABLE reservations ADD COLUMN owner TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE reservations ADD COLUMN check_ms REAL NOT NULL DEFAULT 0",
        ],
    },
];

/// The `Limiter`'s schema history.
/// The `Line` object's tables: waiting and running jobs, recent analyses.
pub const LINE: &[Migration] = &[Migration {
    version: 1,
    name: "the analysis queue's line",
    up: &[
        "CREATE TABLE IF NOT EXISTS waiting (job_id TEXT PRIMARY KEY, seq INTEGER, \
         since_ms REAL NOT NULL, before INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS waiting_seq ON waiting (seq)",
        "CREATE TABLE IF NOT EXISTS running (job_id TEXT PRIMARY KEY, since_ms REAL NOT NULL, \
         before INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS recent (id INTEGER PRIMARY KEY AUTOINCREMENT, \
         before INTEGER NOT NULL, ms REAL NOT NULL)",
    ],
}];

pub const LIMITER: &[Migration] = &[Migration {
    version: 1,
    name: "rate-limit counters",
    up: &[RATE_WINDOWS],
}];

/// The version a schema reaches with all its migrations.
pub fn latest(migrations: &[Migration]) -> u32 {
    migrations.last().map_or(0, |m| m.version)
}

/// A stored version newer than this code knows (a rollback after a
/// migration): the object must not touch the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the stored schema is version {stored}, newer than this code's {known}")]
pub struct TooNew {
    pub stored: u32,
    pub known: u32,
}

/// The migrations still to run over a schema at version `current`, in order.
pub fn pending(migrations: &[Migration], current: u32) -> Result<&[Migration], TooNew> {
    let known = latest(migrations);
    if current > known {
        return Err(TooNew {
            stored: current,
            known,
        });
    }
    let start = migrations.partition_point(|m| m.version <= current);
    Ok(&migrations[start..])
}

/// What [`run`] did: the version found and the version left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    pub from: u32,
    pub to: u32,
}

/// Why [`run`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError<E: std::error::Error + 'static> {
    #[error(transparent)]
    TooNew(#[from] TooNew),
    #[error("migration {version} ({name}) failed: {source}")]
    Failed {
        version: u32,
        name: &'static str,
        source: E,
    },
    #[error("reading the schema version failed: {0}")]
    Version(E),
}

/// Brings a schema up to date, whatever the storage: `read_version` answers
/// the stored version (0 when none), `exec` runs one statement, with the
/// version bound when it is [`WRITE_VERSION`]. Each migration's statements run
/// in order and then its version is written, so a failure leaves the version
/// of the last one that ran whole.
pub fn run<E: std::error::Error + 'static>(
    migrations: &[Migration],
    read_version: impl Fn() -> Result<u32, E>,
    mut exec: impl FnMut(&str, Option<u32>) -> Result<(), E>,
) -> Result<Migrated, MigrateError<E>> {
    exec(VERSION_TABLE, None).map_err(MigrateError::Version)?;
    let from = read_version().map_err(MigrateError::Version)?;
    let mut to = from;
    for m in pending(migrations, from)? {
        let failed = |source| MigrateError::Failed {
            version: m.version,
            name: m.name,
            source,
        };
        for statement in m.up {
            exec(statement, None).map_err(failed)?;
        }
        exec(WRITE_VERSION, Some(m.version)).map_err(failed)?;
        to = m.version;
    }
    Ok(Migrated { from, to })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_count_up_from_one_without_gaps() {
        for schema in [HUB, LIMITER] {
            for (i, m) in schema.iter().enumerate() {
                assert_eq!(m.version as usize, i + 1, "{}", m.name);
                assert!(!m.up.is_empty());
            }
        }
    }

    #[test]
    fn only_what_has_not_run_is_pending() {
        assert_eq!(pending(HUB, 0).unwrap().len(), HUB.len());
        assert_eq!(pending(HUB, 1).unwrap()[0].version, 2);
        assert!(pending(HUB, latest(HUB)).unwrap().is_empty());
        assert_eq!(
            pending(HUB, latest(HUB) + 1),
            Err(TooNew {
                stored: latest(HUB) + 1,
                known: latest(HUB)
            })
        );
    }
}

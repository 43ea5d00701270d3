//! A Durable Object's SQLite storage behind a few typed helpers, and the
//! schema migrations run over it when the object wakes (`shared::jobs::migrations`
//! says which; this runs them).

use serde::Deserialize;
use serde::de::DeserializeOwned;
use shared::jobs::migrations::{self, MigrateError, Migrated, Migration};
use worker::{SqlStorage, SqlStorageValue};

use crate::error::AppResult;

pub struct Db(SqlStorage);

#[derive(Deserialize)]
struct ValueRow {
    value: Option<f64>,
}

impl Db {
    pub fn new(sql: SqlStorage) -> Db {
        Db(sql)
    }

    /// Runs a statement.
    pub fn exec(&self, query: &str, bindings: Vec<SqlStorageValue>) -> AppResult<()> {
        self.0.exec(query, Some(bindings))?;
        Ok(())
    }

    /// Every row a query answers. (Never `cursor.one()`: on zero rows it
    /// hangs the request and resets the object.)
    pub fn rows<T: DeserializeOwned>(
        &self,
        query: &str,
        bindings: Vec<SqlStorageValue>,
    ) -> AppResult<Vec<T>> {
        Ok(self.0.exec(query, Some(bindings))?.to_array::<T>()?)
    }

    /// One number from a query answering a `value` column (no row or NULL →
    /// `None`).
    pub fn number(&self, query: &str, bindings: Vec<SqlStorageValue>) -> AppResult<Option<f64>> {
        Ok(self
            .rows::<ValueRow>(query, bindings)?
            .first()
            .and_then(|r| r.value))
    }

    /// A count (`SELECT COUNT(*) AS value …`, `SUM(…) AS value`): 0 for none.
    pub fn count(&self, query: &str, bindings: Vec<SqlStorageValue>) -> AppResult<u64> {
        Ok(self.number(query, bindings)?.unwrap_or(0.0) as u64)
    }

    /// Whether a query answers any row.
    pub fn exists(&self, query: &str, bindings: Vec<SqlStorageValue>) -> AppResult<bool> {
        Ok(!self.rows::<serde_json::Value>(query, bindings)?.is_empty())
    }

    /// Brings the schema up to date (see `shared::jobs::migrations`). Called when
    /// the object is constructed, with no await in between, so the
    /// migrations commit together.
    pub fn migrate(&self, schema: &[Migration]) -> Result<Migrated, MigrateError<worker::Error>> {
        migrations::run(
            schema,
            || self.stored_version(),
            |statement, version| {
                let bindings = version.map(|v| vec![SqlStorageValue::from(i64::from(v))]);
                self.0.exec(statement, bindings).map(drop)
            },
        )
    }

    /// The stored schema version (0 before any migration).
    pub fn schema_version(&self) -> AppResult<u32> {
        Ok(self.stored_version()?)
    }

    fn stored_version(&self) -> worker::Result<u32> {
        #[derive(Deserialize)]
        struct VersionRow {
            version: f64,
        }
        Ok(self
            .0
            .exec(migrations::READ_VERSION, None)?
            .to_array::<VersionRow>()?
            .first()
            .map_or(0, |r| r.version as u32))
    }
}

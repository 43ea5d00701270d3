//! What the Durable Objects share, and nothing else: the one transport and
//! the calls' protocol (`protocol`), the SQLite helpers over an object's
//! storage (`db`) and rate windows kept there (`rates`). The objects (`hub`,
//! `line`, `limiter`) and their callers depend on this; it depends on no
//! object, route or service.

pub mod db;
pub mod protocol;
pub mod rates;

use worker::State;

use db::Db;

/// An object's SQLite storage.
pub fn db_of(state: &State) -> Db {
    Db::new(state.storage().sql())
}

//! Single-use WebSocket tickets, stored by hash until they expire (the rules
//! of making and reading them are `shared::delivery::events`').

use crate::error::AppResult;
use crate::objects::db::Db;
use crate::objects::protocol::GrantTicket;
use crate::util::now_ms;

pub fn grant(db: &Db, grant: GrantTicket) -> AppResult<()> {
    db.exec(
        "DELETE FROM tickets WHERE expires_ms < ?",
        vec![now_ms().into()],
    )?;
    db.exec(
        "INSERT OR REPLACE INTO tickets (hash, expires_ms) VALUES (?, ?)",
        vec![grant.hash.into(), grant.expires_ms.into()],
    )
}

/// Uses up a ticket: true when it existed and had not expired.
pub fn redeem(db: &Db, hash: &str) -> AppResult<bool> {
    let expires = db.number(
        "SELECT expires_ms AS value FROM tickets WHERE hash = ?",
        vec![hash.into()],
    )?;
    db.exec("DELETE FROM tickets WHERE hash = ?", vec![hash.into()])?;
    Ok(expires.is_some_and(|at| at >= now_ms()))
}

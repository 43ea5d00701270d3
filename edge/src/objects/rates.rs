//! Rate windows in an object's SQLite storage: [`hit`] applies
//! `shared::delivery::ratelimit` to one key under several rules (all or nothing: a
//! request refused by one rule is counted by none) — for an owner's requests
//! in the `JobHub`, and for token minting per client address in the
//! `Limiter`.

use serde::Deserialize;
use shared::delivery::ratelimit::{self, Decision, Rule, Window};

use crate::error::{AppError, AppResult};
use crate::objects::db::Db;
use crate::util::now_ms;

#[derive(Deserialize)]
struct WindowRow {
    start_ms: f64,
    current: f64,
    previous: f64,
}

/// Counts one request for `key` under every rule if all allow it; returns
/// the strictest decision.
pub fn hit(db: &Db, key: &str, rules: &[Rule]) -> AppResult<Decision> {
    decide(db, key, rules, true)
}

/// The decision a request would get now, counting nothing (for the headers of
/// an answer refused for another reason).
pub fn peek(db: &Db, key: &str, rules: &[Rule]) -> AppResult<Decision> {
    decide(db, key, rules, false)
}

fn decide(db: &Db, key: &str, rules: &[Rule], count: bool) -> AppResult<Decision> {
    let now = now_ms();
    let mut windows = Vec::with_capacity(rules.len());
    let mut decisions = Vec::with_capacity(rules.len());
    for rule in rules {
        let row_key = format!("{key}/{}", rule.window_secs);
        let mut window = db
            .rows::<WindowRow>(
                "SELECT start_ms, current, previous FROM rate_windows WHERE key = ?",
                vec![row_key.clone().into()],
            )?
            .first()
            .map(|r| Window {
                start_ms: r.start_ms,
                current: r.current as u32,
                previous: r.previous as u32,
            })
            .unwrap_or_default();
        decisions.push(window.hit(*rule, now));
        windows.push((row_key, window));
    }
    let decision = ratelimit::strictest(&decisions)
        .ok_or_else(|| AppError::Internal("no rate-limit rule".into()))?;
    if count && decision.allowed {
        for (row_key, w) in windows {
            db.exec(
                "INSERT INTO rate_windows (key, start_ms, current, previous) VALUES (?, ?, ?, ?) \
                 ON CONFLICT(key) DO UPDATE SET start_ms = excluded.start_ms, \
                 current = excluded.current, previous = excluded.previous",
                vec![
                    row_key.into(),
                    w.start_ms.into(),
                    i64::from(w.current).into(),
                    i64::from(w.previous).into(),
                ],
            )?;
        }
    }
    Ok(decision)
}

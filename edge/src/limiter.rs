//! Rate-limit counters in Durable Object SQLite storage: `hit` applies
//! `shared::ratelimit` to one key under several rules (all-or-nothing: a
//! request refused by one rule is counted by none), and `Limiter` is the
//! Durable Object for limits that belong to no owner (token minting per client
//! address). Owners' limits live in their `JobHub`, which calls `hit` too.
//!
//! Why not the Workers rate-limiting binding (`worker::RateLimiter`): it
//! answers only allowed/refused (no remaining count or reset time for the
//! `RateLimit-*` headers), its periods are 10 or 60 s (no per-day limit), its
//! limits are fixed in `wrangler.toml` rather than variables the tests can set,
//! and it counts per Cloudflare location.

use serde::{Deserialize, Serialize};
use shared::ratelimit::{self, Decision, Rule, Window};
use worker::{
    DurableObject, Env, Method, Request, Response, Result, SqlStorage, State, console_error,
    durable_object, wasm_bindgen,
};

use crate::util::now_ms;

/// The counters' table.
pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS rate_windows (key TEXT PRIMARY KEY, \
     start_ms REAL NOT NULL, current INTEGER NOT NULL, previous INTEGER NOT NULL)";

/// `POST /hit`: one request under `rules` for `key`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Hit {
    pub key: String,
    pub rules: Vec<Rule>,
}

#[derive(Deserialize)]
struct WindowRow {
    start_ms: f64,
    current: f64,
    previous: f64,
}

/// Counts one request for `key` under every rule if all allow it; returns
/// the strictest decision.
pub fn hit(sql: &SqlStorage, key: &str, rules: &[Rule]) -> Result<Decision> {
    decide(sql, key, rules, true)
}

/// The decision a request would get now, counting nothing (for the headers of
/// an answer refused for another reason).
pub fn peek(sql: &SqlStorage, key: &str, rules: &[Rule]) -> Result<Decision> {
    decide(sql, key, rules, false)
}

fn decide(sql: &SqlStorage, key: &str, rules: &[Rule], count: bool) -> Result<Decision> {
    let now = now_ms();
    let mut windows = Vec::with_capacity(rules.len());
    let mut decisions = Vec::with_capacity(rules.len());
    for rule in rules {
        let row_key = format!("{key}/{}", rule.window_secs);
        let mut window = sql
            .exec(
                "SELECT start_ms, current, previous FROM rate_windows WHERE key = ?",
                Some(vec![row_key.clone().into()]),
            )?
            .to_array::<WindowRow>()?
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
        .ok_or_else(|| worker::Error::RustError("no rate-limit rule".into()))?;
    if count && decision.allowed {
        for (row_key, w) in windows {
            sql.exec(
                "INSERT INTO rate_windows (key, start_ms, current, previous) VALUES (?, ?, ?, ?) \
                 ON CONFLICT(key) DO UPDATE SET start_ms = excluded.start_ms, \
                 current = excluded.current, previous = excluded.previous",
                Some(vec![
                    row_key.into(),
                    w.start_ms.into(),
                    i64::from(w.current).into(),
                    i64::from(w.previous).into(),
                ]),
            )?;
        }
    }
    Ok(decision)
}

#[durable_object]
pub struct Limiter {
    state: State,
}

impl DurableObject for Limiter {
    fn new(state: State, _env: Env) -> Self {
        if let Err(e) = state.storage().sql().exec(SCHEMA, None) {
            console_error!("Limiter schema: {e}");
        }
        Limiter { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if req.method() != Method::Post || req.path() != "/hit" {
            return Response::error("no such limiter route", 404);
        }
        let asked: Hit = req.json().await?;
        Response::from_json(&hit(&self.state.storage().sql(), &asked.key, &asked.rules)?)
    }
}

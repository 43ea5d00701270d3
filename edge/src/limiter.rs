//! `Limiter`, the Durable Object for limits that belong to no owner (token
//! minting per client address). It answers one call of the hub protocol,
//! `CountRequest`, with the same counters as the owners' hubs (`hub::hit`).
//!
//! Why not the Workers rate-limiting binding (`worker::RateLimiter`): it
//! answers only allowed/refused (no remaining count or reset time for the
//! `RateLimit-*` headers), its periods are 10 or 60 s (no per-day limit), its
//! limits are fixed in `wrangler.toml` rather than variables the tests can set,
//! and it counts per Cloudflare location.

use shared::jobs::migrations;
use worker::{
    DurableObject, Env, Request, Response, Result, State, console_error, durable_object,
    wasm_bindgen,
};

use crate::objects::protocol::{self, CountRequest, LimiterCall, LimiterProtocol};
use crate::objects::rates::hit;

#[durable_object]
pub struct Limiter {
    state: State,
}

impl DurableObject for Limiter {
    fn new(state: State, _env: Env) -> Self {
        let db = crate::objects::db_of(&state);
        if let Err(e) = db.migrate(migrations::LIMITER) {
            console_error!("Limiter schema: {e}");
        }
        Limiter { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        Ok(match protocol::decode::<LimiterProtocol>(&mut req).await {
            Ok(LimiterCall::CountRequest(asked)) => {
                let db = crate::objects::db_of(&self.state);
                protocol::reply::<LimiterProtocol, CountRequest>(hit(&db, &asked.key, &asked.rules))
            }
            Err(e) => e.into_response(),
        })
    }
}

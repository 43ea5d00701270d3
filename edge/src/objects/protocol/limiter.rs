//! The `Limiter`'s one call (an object per client address, for limits that
//! belong to no owner: minting tokens). The hub answers the same request for
//! an owner's rates.

use serde::{Deserialize, Serialize};
use shared::delivery::ratelimit::{Decision, Rule};
use worker::Env;

use super::{Object, Protocol, calls};
use crate::config::LIMITER;
use crate::error::AppResult;

/// The `Limiter` protocol.
pub struct LimiterProtocol;

impl Protocol for LimiterProtocol {
    type Calls = LimiterCall;
}

/// Every call a limiter understands.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimiterCall {
    CountRequest(CountRequest),
}

calls!(LimiterProtocol, LimiterCall {
    CountRequest(CountRequest) -> Decision;
});

/// The `Limiter` of a client address.
pub fn limiter(env: &Env, address: &str) -> AppResult<Object<LimiterProtocol>> {
    Ok(Object::new(
        env.durable_object(LIMITER)?
            .id_from_name(&format!("address:{address}"))?
            .get_stub()?,
    ))
}

/// Count one request under `rules`, kept apart by `key` (all or nothing).
#[derive(Debug, Serialize, Deserialize)]
pub struct CountRequest {
    pub key: String,
    pub rules: Vec<Rule>,
}

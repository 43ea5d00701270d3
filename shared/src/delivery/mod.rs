//! Telling the world: live events ([`events`], [`sse`]), webhook signing and delivery
//! rules ([`webhooks`], [`webhook_ops`]), the operator's log lines ([`oplog`]), rate
//! limits and quotas ([`ratelimit`]).

pub mod client;
pub mod events;
pub mod oplog;
pub mod ratelimit;
pub mod sse;
pub mod webhook_ops;
pub mod webhooks;

//! The `Line`'s calls (one line per deployment): the queue's order, for
//! each waiting job's place and the ETA.

use serde::{Deserialize, Serialize};
use shared::contract::api::QueueInfo;
use worker::Env;

use super::{Object, Protocol, calls};
use crate::config::LINE;
use crate::error::AppResult;

/// The `Line` protocol.
pub struct LineProtocol;

impl Protocol for LineProtocol {
    type Calls = LineCall;
}

/// Every call the line understands.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineCall {
    Enqueue(Enqueue),
    Dequeue(Dequeue),
    Finished(Finished),
    Positions(Positions),
}

calls!(LineProtocol, LineCall {
    Enqueue(Enqueue) -> ();
    Dequeue(Dequeue) -> ();
    Finished(Finished) -> ();
    Positions(Positions) -> Vec<Option<QueueInfo>>;
});

/// The deployment's line.
pub fn line(env: &Env) -> AppResult<Object<LineProtocol>> {
    Ok(Object::new(
        env.durable_object(LINE)?.id_from_name("line")?.get_stub()?,
    ))
}

/// The `Line`: a message of the job was sent to the analysis queue.
#[derive(Debug, Serialize, Deserialize)]
pub struct Enqueue {
    pub job_id: String,
}

/// The `Line`: the job left the line — taken by a consumer (`running`), or
/// cancelled or deleted.
#[derive(Debug, Serialize, Deserialize)]
pub struct Dequeue {
    pub job_id: String,
    pub running: bool,
}

/// The `Line`: a consumer's run of the job ended.
#[derive(Debug, Serialize, Deserialize)]
pub struct Finished {
    pub job_id: String,
}

/// The `Line`: where these jobs stand (`None`: not waiting).
#[derive(Debug, Serialize, Deserialize)]
pub struct Positions {
    pub job_ids: Vec<String>,
}

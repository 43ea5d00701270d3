//! The owner's webhook operations: `GET`/`PUT /api/v1/webhooks/settings`
//! (which job states are announced) and `POST /api/v1/webhooks/replay?since=`
//! (send again every event since then whose delivery has not succeeded).
//! The owner's hub keeps both; the rules are `shared::delivery::webhook_ops`'.

use shared::contract::api::ErrorCode;
use shared::contract::auth::OwnerRecord;
use shared::delivery::webhook_ops::Settings;
use worker::{Env, Request, Response};

use crate::error::{AppError, AppResult};
use crate::objects::protocol::{GetWebhookSettings, ReplayWebhooks, call};
use crate::routes::query_param;

/// The largest settings body read.
const MAX_BODY: usize = 4096;

pub async fn settings(env: &Env, owner: &OwnerRecord) -> AppResult<Response> {
    let settings = call(env, &owner.owner, GetWebhookSettings {}).await?;
    Ok(Response::from_json(&settings)?)
}

pub async fn put_settings(mut req: Request, env: &Env, owner: &OwnerRecord) -> AppResult<Response> {
    let body = req.text().await?;
    if body.len() > MAX_BODY {
        return Err(AppError::client(
            ErrorCode::PayloadTooLarge,
            format!("the settings body is at most {MAX_BODY} bytes"),
        ));
    }
    let settings = Settings::parse(&body)?;
    let saved = call(env, &owner.owner, settings).await?;
    Ok(Response::from_json(&saved)?)
}

/// `since` is an RFC 3339 time (`2026-11-30T12:00:00Z`).
pub async fn replay(req: &Request, env: &Env, owner: &OwnerRecord) -> AppResult<Response> {
    let since = query_param(req, "since")?.ok_or_else(|| {
        AppError::client(
            ErrorCode::BadRequest,
            "since=<RFC 3339 time> is required: the events created since then are sent again",
        )
    })?;
    let since_ms = js_sys::Date::parse(&since);
    if since_ms.is_nan() || !since.contains('T') {
        return Err(AppError::client(
            ErrorCode::BadRequest,
            format!("since must be an RFC 3339 time such as 2026-11-30T12:00:00Z, not {since:?}"),
        ));
    }
    let replayed = call(env, &owner.owner, ReplayWebhooks { since_ms }).await?;
    Ok(Response::from_json(&replayed)?.with_status(202))
}

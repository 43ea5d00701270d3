//! `GET /api/v1/events`: resolves the owner's `JobHub` stub and hands it the
//! WebSocket upgrade. Nothing else happens here.

use shared::api::ErrorCode;
use shared::auth::OwnerRecord;
use worker::{Env, Request, Response};

use crate::config::JOB_HUB;
use crate::error::{AppError, AppResult};

pub async fn connect(req: Request, env: &Env, owner: &OwnerRecord) -> AppResult<Response> {
    let upgrade = req.headers().get("upgrade")?;
    if !upgrade.is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
        return Err(AppError::client(
            ErrorCode::BadRequest,
            "this endpoint is a WebSocket: send `Upgrade: websocket`",
        ));
    }
    let stub = env
        .durable_object(JOB_HUB)?
        .id_from_name(&owner.owner)?
        .get_stub()?;
    let forwarded = Request::new_with_init("https://hub/connect", &{
        let mut init = worker::RequestInit::new();
        init.with_headers(req.headers().clone());
        init
    })?;
    Ok(stub.fetch_with_request(forwarded).await?)
}

//! `POST /api/v1/tokens`: mints an anonymous owner with a bearer token and a
//! webhook secret. Only the token's hash is stored.

use shared::auth::{
    OwnerRecord, SECRET_BYTES, TOKEN_BYTES, TokenResponse, make_token, make_webhook_secret,
};
use worker::{Env, Response};

use crate::error::AppResult;
use crate::store::Store;
use crate::util::{now_rfc3339, random_bytes};

pub async fn create(env: &Env) -> AppResult<Response> {
    let token = make_token(&random_bytes::<TOKEN_BYTES>()?);
    let webhook_secret = make_webhook_secret(&random_bytes::<SECRET_BYTES>()?);
    let record = OwnerRecord {
        owner: uuid::Uuid::new_v4().simple().to_string(),
        webhook_secret: webhook_secret.clone(),
        created_at: now_rfc3339(),
    };
    Store::new(env)?.put_owner(&token, &record).await?;
    Ok(Response::from_json(&TokenResponse {
        token,
        webhook_secret,
    })?
    .with_status(201))
}

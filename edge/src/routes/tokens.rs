//! `POST /api/v1/tokens`: mints an anonymous owner with a bearer token and a
//! webhook secret (only the token's hash is stored; the secret is kept by the
//! owner's hub). `GET /api/v1/webhook-secret` shows the secret and
//! `POST /api/v1/webhook-secret/rotate` replaces it, the old one signing too
//! for `WEBHOOK_SECRET_GRACE_SECONDS`.

use shared::contract::auth::{
    OwnerRecord, SECRET_BYTES, TOKEN_BYTES, TokenResponse, make_token, make_webhook_secret,
};
use shared::delivery::webhooks::{SecretResponse, Secrets};
use worker::{Env, Request, Response};

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::objects::protocol::{
    CountRequest, GetSecrets, InitSecrets, RotateSecrets, call, limiter, send,
};
use crate::routes::{checked, with_rate};
use crate::store::Store;
use crate::util::{now_ms, now_rfc3339, random_bytes, rfc3339_at};

pub async fn create(req: &Request, env: &Env) -> AppResult<Response> {
    // Minting is limited per client address (Cloudflare sets the header).
    let address = req
        .headers()
        .get("cf-connecting-ip")?
        .unwrap_or_else(|| "unknown".into());
    let rule = Config::from_env(env).rates.tokens;
    let rate = checked(
        send(
            &limiter(env, &address)?,
            CountRequest {
                key: "tokens".into(),
                rules: vec![rule],
            },
        )
        .await,
        "new tokens from your address",
    )?;
    let token = make_token(&random_bytes::<TOKEN_BYTES>()?);
    let webhook_secret = make_webhook_secret(&random_bytes::<SECRET_BYTES>()?);
    let record = OwnerRecord {
        owner: uuid::Uuid::new_v4().simple().to_string(),
        created_at: now_rfc3339(),
    };
    // The secret first: a token is only handed out with a working secret.
    let init = InitSecrets {
        secret: webhook_secret.clone(),
    };
    call(env, &record.owner, init).await?;
    Store::new(env)?.put_owner(&token, &record).await?;
    with_rate(
        Ok(Response::from_json(&TokenResponse {
            token,
            webhook_secret,
        })?
        .with_status(201)),
        rate,
    )
}

fn secret_response(secrets: &Secrets) -> SecretResponse {
    SecretResponse {
        webhook_secret: secrets.current.clone(),
        previous_valid_until: secrets
            .previous
            .as_ref()
            .filter(|p| p.until_ms > now_ms())
            .map(|p| rfc3339_at(p.until_ms)),
    }
}

/// `GET /webhook-secret`.
pub async fn show_secret(env: &Env, owner: &OwnerRecord) -> AppResult<Response> {
    let secrets = call(env, &owner.owner, GetSecrets {})
        .await?
        .ok_or_else(|| {
            AppError::Internal(format!("owner {} has no webhook secret", owner.owner))
        })?;
    Ok(Response::from_json(&secret_response(&secrets))?)
}

/// `POST /webhook-secret/rotate`.
pub async fn rotate_secret(env: &Env, owner: &OwnerRecord) -> AppResult<Response> {
    let rotate = RotateSecrets {
        secret: make_webhook_secret(&random_bytes::<SECRET_BYTES>()?),
        now_ms: now_ms(),
        grace_ms: Config::from_env(env).secret_grace_ms,
    };
    let secrets = call(env, &owner.owner, rotate).await?;
    Ok(Response::from_json(&secret_response(&secrets))?)
}

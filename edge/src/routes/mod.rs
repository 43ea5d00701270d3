//! The HTTP API under `/api/v1/`: one dispatch over (method, path) and a named
//! handler per route. Every error leaves as `{"error":{"code","message"}}`.

mod events;
mod jobs;
mod tokens;

use shared::api::{API_PREFIX, ErrorCode, Health};
use shared::auth::{OwnerRecord, bearer};
use worker::{Env, Method, Request, Response};

use crate::error::{AppError, AppResult};
use crate::store::Store;

/// Answers one request; never fails (errors become error answers).
pub async fn handle(req: Request, env: Env) -> Response {
    let result = dispatch(req, env).await;
    result.unwrap_or_else(AppError::into_response)
}

async fn dispatch(req: Request, env: Env) -> AppResult<Response> {
    let path = req.path();
    let Some(rest) = path.strip_prefix(API_PREFIX) else {
        return Err(AppError::client(
            ErrorCode::NotFound,
            format!("no such resource: {path}; the API lives under {API_PREFIX}/"),
        ));
    };
    let segments: Vec<&str> = rest.trim_matches('/').split('/').collect();
    let method = req.method();
    match (segments.as_slice(), method) {
        (["health"], Method::Get | Method::Head) => health(),
        // Test-only: the retention sweep at a given time. Off unless
        // DOCKET_TEST_HOOKS=1 (then it is an ordinary 404).
        (["_test", "sweep"], Method::Post) if crate::config::Config::from_env(&env).test_hooks => {
            let now = req
                .url()?
                .query_pairs()
                .find(|(k, _)| k == "now")
                .and_then(|(_, v)| v.parse::<f64>().ok())
                .ok_or_else(|| AppError::client(ErrorCode::BadRequest, "now=<ms> is required"))?;
            let swept = crate::retention::try_sweep(&env, now).await?;
            Ok(Response::from_json(&swept)?)
        }
        (["tokens"], Method::Post) => tokens::create(&env).await,
        (["jobs"], Method::Get) => {
            let owner = authenticate(&req, &env).await?;
            jobs::list(&req, &env, &owner).await
        }
        (["jobs"], Method::Post) => {
            let owner = authenticate(&req, &env).await?;
            jobs::create(req, &env, &owner).await
        }
        (["jobs", id], Method::Get) => {
            let owner = authenticate(&req, &env).await?;
            jobs::get(&req, &env, &owner, id).await
        }
        (["jobs", id], Method::Delete) => {
            let owner = authenticate(&req, &env).await?;
            jobs::delete(&env, &owner, id).await
        }
        (["jobs", id, "result"], Method::Get) => {
            let owner = authenticate(&req, &env).await?;
            let csv = req
                .url()?
                .query_pairs()
                .any(|(k, v)| k == "format" && v == "csv");
            jobs::result(&env, &owner, id, csv).await
        }
        (["events"], Method::Get) => {
            let owner = authenticate(&req, &env).await?;
            events::connect(req, &env, &owner).await
        }
        (
            ["health"] | ["tokens"] | ["jobs"] | ["jobs", _] | ["jobs", _, "result"] | ["events"],
            m,
        ) => Err(AppError::client(
            ErrorCode::MethodNotAllowed,
            format!("{m:?} is not allowed on {path}"),
        )),
        _ => Err(AppError::client(
            ErrorCode::NotFound,
            format!("no such resource: {path}"),
        )),
    }
}

fn health() -> AppResult<Response> {
    Ok(Response::from_json(&Health {
        status: "ok".into(),
        service: "docket".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })?)
}

/// The owner behind the request's bearer token, or 401.
async fn authenticate(req: &Request, env: &Env) -> AppResult<OwnerRecord> {
    let header = req.headers().get("authorization")?;
    let token = bearer(header.as_deref())?;
    Store::new(env)?
        .owner_by_token(token)
        .await?
        .ok_or_else(|| {
            AppError::client(
                ErrorCode::Unauthorized,
                "unknown token: mint one with POST /api/v1/tokens",
            )
        })
}

//! The HTTP API under `/api/v1/`: one dispatch over (method, path) and a named
//! handler per route. Every error leaves as `{"error":{"code","message"}}`.

mod collection_results;
mod collections;
mod cors_headers;
mod events;
pub(crate) mod jobs;
mod results;
mod submit;
mod tokens;
mod uploads;
mod webhook_ops;

use shared::contract::api::{API_PREFIX, ErrorCode, Health};
use shared::contract::auth::{OwnerRecord, bearer};
use shared::contract::cors;
use shared::delivery::ratelimit::{self, Decision};
use shared::forensics::evidence::ListFormat;
use worker::{Env, Method, Request, Response, console_warn};

use crate::error::{AppError, AppResult, rate_headers};
use crate::store::Store;

/// The OpenAPI 3.1 description of this API: `edge/openapi.json`, which the
/// build puts among the SPA's static files (`app/dist`), out of the
/// Worker's code. A missing file is the SPA's page from the assets' fallback,
/// not JSON: an error, never that page.
async fn openapi(env: &Env) -> AppResult<Response> {
    let assets = env.assets(crate::config::ASSETS)?;
    let mut found = assets
        .fetch("https://assets.invalid/openapi.json", None)
        .await?;
    let is_json = found
        .headers()
        .get("content-type")?
        .is_some_and(|t| t.contains("json"));
    if found.status_code() != 200 || !is_json {
        return Err(AppError::Internal(
            "the OpenAPI document is not among the static files (app/dist/openapi.json)".into(),
        ));
    }
    let mut resp = Response::ok(found.text().await?)?;
    resp.headers_mut().set("content-type", "application/json")?;
    Ok(resp)
}

/// Answers one request; never fails (errors become error answers).
pub async fn handle(req: Request, env: Env) -> Response {
    let origin = req
        .headers()
        .get("origin")
        .ok()
        .flatten()
        .filter(|o| cors::allowed(o, &cors_headers::origins(&env)));
    let response = if req.method() == Method::Options {
        let mut resp = cors_headers::preflight(origin.is_some());
        // What a tus client discovers with `OPTIONS`.
        let _ = uploads::discovery(&mut resp, &crate::config::Config::from_env(&env));
        resp
    } else {
        dispatch(req, env)
            .await
            .unwrap_or_else(AppError::into_response)
    };
    cors_headers::with_cors(response, origin.as_deref())
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
    // `worker::Method` reads any method it does not know (QUERY, PROPFIND…)
    // as GET: those must not be served as one.
    let raw_method = req.inner().method();
    let method = req.method();
    if method == Method::Get && !raw_method.eq_ignore_ascii_case("GET") {
        return if allowed_methods(&segments).is_some() {
            not_allowed(&segments, &raw_method, &path)
        } else {
            Err(AppError::client(
                ErrorCode::NotFound,
                format!("no such resource: {path}"),
            ))
        };
    }
    match (segments.as_slice(), method) {
        (["health"], Method::Get | Method::Head) => health(&env),
        (["openapi.json"], Method::Get) => openapi(&env).await,
        // Test-only: the retention sweep at a given time. Only in a worker
        // built with the test hooks, and there off unless
        // DOCKET_TEST_HOOKS=1 (then it is an ordinary 404).
        #[cfg(feature = "test-hooks")]
        (["_test", "sweep"], Method::Post) if crate::config::Config::from_env(&env).test_hooks => {
            let now = query_param(&req, "now")?
                .and_then(|v| v.parse::<f64>().ok())
                .ok_or_else(|| AppError::client(ErrorCode::BadRequest, "now=<ms> is required"))?;
            let swept = crate::retention::try_sweep(&env, now).await?;
            Ok(Response::from_json(&swept)?)
        }
        // Test-only: how many PDFs the caller has stored (orphans included).
        #[cfg(feature = "test-hooks")]
        (["_test", "pdfs"], Method::Get) if crate::config::Config::from_env(&env).test_hooks => {
            let owner = authenticate(&req, &env).await?;
            let store = crate::store::Store::new(&env)?;
            let pdfs = store.pdfs_of(&owner.owner).await?;
            Ok(Response::from_json(&serde_json::json!({ "pdfs": pdfs }))?)
        }
        // Test-only: the caller's hub instance, to observe hibernation.
        #[cfg(feature = "test-hooks")]
        (["_test", "hub"], Method::Get) if crate::config::Config::from_env(&env).test_hooks => {
            let owner = authenticate(&req, &env).await?;
            Ok(Response::from_json(
                &crate::objects::protocol::call(
                    &env,
                    &owner.owner,
                    crate::objects::protocol::GetDebug {},
                )
                .await?,
            )?)
        }
        (["tokens"], Method::Post) => tokens::create(&req, &env).await,
        (["webhook-secret"], Method::Get) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            with_rate(tokens::show_secret(&env, &owner).await, rate)
        }
        (["webhook-secret", "rotate"], Method::Post) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            with_rate(tokens::rotate_secret(&env, &owner).await, rate)
        }
        (["webhooks", "settings"], Method::Get) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            with_rate(webhook_ops::settings(&env, &owner).await, rate)
        }
        (["webhooks", "settings"], Method::Put) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            with_rate(webhook_ops::put_settings(req, &env, &owner).await, rate)
        }
        (["webhooks", "replay"], Method::Post) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            with_rate(webhook_ops::replay(&req, &env, &owner).await, rate)
        }
        (["jobs"], Method::Get) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            with_rate(jobs::list(&req, &env, &owner).await, rate)
        }
        (["jobs"], Method::Post) => {
            // Counted (with the quotas) once the upload's size is known.
            let owner = authenticate(&req, &env).await?;
            jobs::create(req, &env, &owner).await
        }
        (["jobs", id], Method::Get) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            with_rate(jobs::get(&req, &env, &owner, id).await, rate)
        }
        (["jobs", id], Method::Delete) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            with_rate(jobs::delete(&env, &owner, id).await, rate)
        }
        (["jobs", id, "cancel"], Method::Post) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            with_rate(jobs::cancel(&env, &owner, id).await, rate)
        }
        (["jobs", id, "result"], Method::Get) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            let csv = csv_param(&req)?;
            with_rate(results::result(&env, &owner, id, csv).await, rate)
        }
        (["jobs", id, "numbers"], Method::Get) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            let format = ListFormat::parse(query_param(&req, "format")?.as_deref())
                .map_err(|why| AppError::client(ErrorCode::BadRequest, why))?;
            let page = page_param(&req)?;
            with_rate(results::numbers(&env, &owner, id, format, page).await, rate)
        }
        (["jobs", id, "tables"], Method::Get) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            let page = page_param(&req)?;
            with_rate(results::tables(&env, &owner, id, page).await, rate)
        }
        (["jobs", id, "pages", page], Method::Get) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            let page = page
                .parse::<u32>()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| {
                    AppError::client(
                        ErrorCode::BadRequest,
                        format!("a page is a page number (1 or more), not {page:?}"),
                    )
                })?;
            with_rate(results::page_view(&env, &owner, id, page, &req).await, rate)
        }
        (["uploads", id], Method::Head) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            with_rate(uploads::show(&env, &owner, id, true).await, rate)
        }
        (["uploads", id], Method::Get) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            with_rate(uploads::show(&env, &owner, id, false).await, rate)
        }
        (["uploads", id], Method::Patch) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            let id = (*id).to_owned();
            with_rate(uploads::patch(req, &env, &owner, &id).await, rate)
        }
        (["uploads", id], Method::Delete) => {
            let (owner, rate) = enter(&req, &env, Counted::Request).await?;
            with_rate(uploads::delete(&env, &owner, id).await, rate)
        }
        (["events"], Method::Get) => events::connect(req, &env).await,
        (["collections", rest @ ..], m) => {
            let rest = rest.to_vec();
            match collections::route(&rest, m, req, &env).await? {
                Some(resp) => Ok(resp),
                None if allowed_methods(&segments).is_some() => {
                    not_allowed(&segments, raw_method.as_str(), &path)
                }
                None => Err(AppError::client(
                    ErrorCode::NotFound,
                    format!("no such resource: {path}"),
                )),
            }
        }
        (["events", "ticket"], Method::Post) => {
            let (owner, rate) = enter(&req, &env, Counted::Ticket).await?;
            with_rate(events::ticket(&env, &owner).await, rate)
        }
        (route, m) if allowed_methods(route).is_some() => not_allowed(route, m.as_ref(), &path),
        _ => Err(AppError::client(
            ErrorCode::NotFound,
            format!("no such resource: {path}"),
        )),
    }
}

/// 405 for a method the resource does not answer, with its `Allow` header.
fn not_allowed(route: &[&str], method: &str, path: &str) -> AppResult<Response> {
    let allow = allowed_methods(route).unwrap_or_default();
    let mut resp = AppError::client(
        ErrorCode::MethodNotAllowed,
        format!("{method} is not allowed on {path}; allowed: {allow}"),
    )
    .into_response();
    // RFC 9110: a 405 lists the methods the resource supports.
    resp.headers_mut().set("allow", allow)?;
    Ok(resp)
}

/// The methods a known resource answers (its `Allow` header), or `None` for
/// a path that is no resource.
fn allowed_methods(route: &[&str]) -> Option<&'static str> {
    Some(match route {
        ["health"] => "GET, HEAD, OPTIONS",
        ["openapi.json"] | ["webhook-secret"] => "GET, OPTIONS",
        ["tokens"]
        | ["events", "ticket"]
        | ["webhook-secret", "rotate"]
        | ["jobs", _, "cancel"] => "POST, OPTIONS",
        ["jobs"] => "GET, POST, OPTIONS",
        ["webhooks", "settings"] => "GET, PUT, OPTIONS",
        ["webhooks", "replay"] => "POST, OPTIONS",
        ["jobs", _] => "GET, DELETE, OPTIONS",
        ["uploads", _] => "GET, HEAD, PATCH, DELETE, OPTIONS",
        ["jobs", _, "result" | "numbers" | "tables"] | ["jobs", _, "pages", _] | ["events"] => {
            "GET, OPTIONS"
        }
        ["collections", rest @ ..] => return collections::allowed(rest),
        _ => return None,
    })
}

fn health(env: &Env) -> AppResult<Response> {
    Ok(Response::from_json(&Health {
        status: "ok".into(),
        service: "docket".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        max_upload_bytes: crate::config::Config::from_env(env).max_upload_bytes,
        max_resumable_bytes: crate::config::Config::from_env(env).max_resumable_bytes,
    })?)
}

/// `?format=`: `json` (or none) → false, `csv` → true; 400 otherwise.
pub(crate) fn csv_param(req: &Request) -> AppResult<bool> {
    match query_param(req, "format")?.as_deref() {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(other) => Err(AppError::client(
            ErrorCode::BadRequest,
            format!("format must be json or csv, not {other:?}"),
        )),
    }
}

/// `?page=`, when given: a page number (1 or more).
fn page_param(req: &Request) -> AppResult<Option<u32>> {
    let Some(raw) = query_param(req, "page")? else {
        return Ok(None);
    };
    let page = raw.parse::<u32>().ok().filter(|p| *p >= 1).ok_or_else(|| {
        AppError::client(
            ErrorCode::BadRequest,
            format!("page must be a page number (1 or more), not {raw:?}"),
        )
    })?;
    Ok(Some(page))
}

/// The first value of a query parameter.
pub fn query_param(req: &Request, name: &str) -> AppResult<Option<String>> {
    Ok(req
        .url()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned()))
}

/// Which of the owner's rate limits a request counts against.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Counted {
    Request,
    Ticket,
}

/// Authenticates the request and counts it against the owner's limit: 429
/// when over it. When the hub cannot be asked, the request goes through
/// (logged) rather than failing.
pub(crate) async fn enter(
    req: &Request,
    env: &Env,
    counted: Counted,
) -> AppResult<(OwnerRecord, Option<Decision>)> {
    let owner = authenticate(req, env).await?;
    let rates = crate::config::Config::from_env(env).rates;
    let (key, rule, what) = match counted {
        Counted::Request => ("requests", rates.requests, "requests"),
        Counted::Ticket => ("tickets", rates.tickets, "WebSocket tickets"),
    };
    let rate = checked(
        crate::objects::protocol::call(
            env,
            &owner.owner,
            crate::objects::protocol::CountRequest {
                key: key.to_owned(),
                rules: vec![rule],
            },
        )
        .await,
        what,
    )?;
    Ok((owner, rate))
}

/// A rate decision: 429 when refused; `None` (logged) when it could not be made.
pub(crate) fn checked(decision: AppResult<Decision>, what: &str) -> AppResult<Option<Decision>> {
    match decision {
        Ok(d) if d.allowed => Ok(Some(d)),
        Ok(d) => Err(AppError::Limited {
            body: ratelimit::refusal(what, &d),
            retry_after: d.retry_after_secs,
            rate: Some(d),
        }),
        Err(e) => {
            console_warn!("rate limit for {what} unavailable, letting the request through: {e}");
            Ok(None)
        }
    }
}

/// Adds the rate headers to an answer.
pub(crate) fn with_rate(resp: AppResult<Response>, rate: Option<Decision>) -> AppResult<Response> {
    let mut resp = resp?;
    if let Some(rate) = rate {
        rate_headers(&mut resp, &rate);
    }
    Ok(resp)
}

/// The owner behind the request's bearer token, or 401.
pub(crate) async fn authenticate(req: &Request, env: &Env) -> AppResult<OwnerRecord> {
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

//! The CORS headers of every answer: the preflight (`OPTIONS`) and the
//! allowances added to an answer for a listed origin (rules in
//! `shared::contract::cors`).

use shared::contract::cors;
use worker::{Env, Response};

use crate::error::AppError;

pub(super) fn origins(env: &Env) -> String {
    env.var("CORS_ORIGINS")
        .map(|v| v.to_string())
        .unwrap_or_default()
}

/// `OPTIONS`: 204, with the CORS allowances when the origin is listed.
pub(super) fn preflight(allowed: bool) -> Response {
    let mut resp = Response::empty()
        .map(|r| r.with_status(204))
        .unwrap_or_else(|_| AppError::Internal("empty response".into()).into_response());
    if allowed {
        let headers = resp.headers_mut();
        let _ = headers.set("access-control-allow-methods", cors::ALLOW_METHODS);
        let _ = headers.set("access-control-allow-headers", cors::ALLOW_HEADERS);
        let _ = headers.set("access-control-max-age", &cors::MAX_AGE_SECS.to_string());
    }
    resp
}

pub(super) fn with_cors(mut resp: Response, origin: Option<&str>) -> Response {
    // A WebSocket upgrade comes back from the hub with immutable headers, and
    // CORS does not apply to it.
    if resp.status_code() == 101 {
        return resp;
    }
    let headers = resp.headers_mut();
    let _ = headers.append("vary", "Origin");
    if let Some(origin) = origin {
        let _ = headers.set("access-control-allow-origin", origin);
        let _ = headers.set("access-control-expose-headers", cors::EXPOSE_HEADERS);
    }
    resp
}

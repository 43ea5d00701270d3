//! The API as the browser uses it: the owner token kept in `localStorage`
//! (minted on first visit), and one function per call, each returning the
//! server's own error (`{"error":{"code","message"}}`) as an [`ApiError`].

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use shared::api::{API_PREFIX, ErrorResponse, Health, Job};
use shared::auth::TokenResponse;
use shared::events::TicketResponse;
use shared::listing::JobList;
use shared::webhooks::SecretResponse;

/// Where the token is kept.
pub const TOKEN_KEY: &str = "docket.token";

/// A failed call: the HTTP status (0 when the server was not reached), the
/// error code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl ApiError {
    fn network(e: impl std::fmt::Display) -> ApiError {
        ApiError {
            status: 0,
            code: "network".into(),
            message: format!("the server could not be reached ({e})"),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Reads an error answer's body into an [`ApiError`].
pub fn error_from(status: u16, body: &str) -> ApiError {
    match serde_json::from_str::<ErrorResponse>(body) {
        Ok(e) => ApiError {
            status,
            code: e.error.code.as_str().to_owned(),
            message: e.error.message,
        },
        Err(_) => ApiError {
            status,
            code: "http".into(),
            message: format!("the server answered HTTP {status}"),
        },
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The token kept in this browser, if any.
pub fn stored_token() -> Option<String> {
    storage()?
        .get_item(TOKEN_KEY)
        .ok()?
        .filter(|t| !t.is_empty())
}

/// Keeps a token in this browser.
pub fn store_token(token: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(TOKEN_KEY, token);
    }
}

fn url(path: &str) -> String {
    format!("{API_PREFIX}{path}")
}

fn authed(builder: RequestBuilder, token: &str) -> RequestBuilder {
    builder.header("authorization", &format!("Bearer {token}"))
}

async fn send(request: RequestBuilder) -> Result<Response, ApiError> {
    request.send().await.map_err(ApiError::network)
}

async fn json<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let status = response.status();
    let body = response.text().await.map_err(ApiError::network)?;
    if !(200..300).contains(&status) {
        return Err(error_from(status, &body));
    }
    serde_json::from_str(&body).map_err(|e| ApiError {
        status,
        code: "unexpected".into(),
        message: format!("unexpected answer from the server ({e})"),
    })
}

async fn text(response: Response) -> Result<String, ApiError> {
    let status = response.status();
    let body = response.text().await.map_err(ApiError::network)?;
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(error_from(status, &body))
    }
}

pub async fn health() -> Result<Health, ApiError> {
    json(send(Request::get(&url("/health"))).await?).await
}

/// Mints an owner token and keeps it.
pub async fn mint() -> Result<TokenResponse, ApiError> {
    let minted: TokenResponse = json(send(Request::post(&url("/tokens"))).await?).await?;
    store_token(&minted.token);
    Ok(minted)
}

/// The kept token, or a new one.
pub async fn ensure_token() -> Result<String, ApiError> {
    match stored_token() {
        Some(token) => Ok(token),
        None => Ok(mint().await?.token),
    }
}

/// One page of the owner's jobs, newest first.
pub async fn jobs(token: &str, cursor: Option<&str>) -> Result<JobList, ApiError> {
    let path = match cursor {
        Some(c) => format!("/jobs?limit=20&cursor={c}"),
        None => "/jobs?limit=20".to_owned(),
    };
    json(send(authed(Request::get(&url(&path)), token)).await?).await
}

/// A poll's answer: the job (or `None` for 304) and when to ask again.
pub struct Polled {
    pub job: Option<Job>,
    pub etag: Option<String>,
    pub retry_after_secs: Option<u32>,
}

/// `GET /jobs/{id}` with `If-None-Match`.
pub async fn poll(token: &str, id: &str, etag: Option<&str>) -> Result<Polled, ApiError> {
    let mut request = authed(Request::get(&url(&format!("/jobs/{id}"))), token);
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    let response = send(request).await?;
    let retry_after_secs = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.trim().parse().ok());
    if response.status() == 304 {
        return Ok(Polled {
            job: None,
            etag: etag.map(str::to_owned),
            retry_after_secs,
        });
    }
    let etag = response.headers().get("etag");
    let job: Job = json(response).await?;
    Ok(Polled {
        job: Some(job),
        etag,
        retry_after_secs,
    })
}

/// The report as the server sends it (JSON text) or the digit table (CSV).
pub async fn result(token: &str, id: &str, csv: bool) -> Result<String, ApiError> {
    let path = if csv {
        format!("/jobs/{id}/result?format=csv")
    } else {
        format!("/jobs/{id}/result")
    };
    text(send(authed(Request::get(&url(&path)), token)).await?).await
}

pub async fn delete(token: &str, id: &str) -> Result<(), ApiError> {
    text(send(authed(Request::delete(&url(&format!("/jobs/{id}"))), token)).await?)
        .await
        .map(|_| ())
}

pub async fn ticket(token: &str) -> Result<TicketResponse, ApiError> {
    json(send(authed(Request::post(&url("/events/ticket")), token)).await?).await
}

pub async fn webhook_secret(token: &str) -> Result<SecretResponse, ApiError> {
    json(send(authed(Request::get(&url("/webhook-secret")), token)).await?).await
}

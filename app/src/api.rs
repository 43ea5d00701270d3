//! The API as the browser uses it: the owner token kept in `localStorage`
//! (minted on first visit), and one function per call, each returning the
//! server's own error (`{"error":{"code","message"}}`) as a
//! `shared::delivery::client::ApiError`, like every client's. Paths and `Retry-After`
//! are `shared::delivery::client`'s too.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use shared::contract::api::{Health, Job};
use shared::contract::auth::TokenResponse;
use shared::contract::collection::{Collection, CollectionPage, DocumentPage, NewCollection};
use shared::contract::listing::JobList;
pub use shared::delivery::client::ApiError;
use shared::delivery::client::{path, retry_after};
use shared::delivery::events::TicketResponse;
use shared::delivery::webhooks::SecretResponse;

/// Where the token is kept.
pub const TOKEN_KEY: &str = "docket.token";

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

/// Now, in unix seconds (for `Retry-After` dates).
pub fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
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
        return Err(ApiError::from_answer(status, &body));
    }
    serde_json::from_str(&body).map_err(|e| ApiError::unexpected(status, e))
}

async fn text(response: Response) -> Result<String, ApiError> {
    let status = response.status();
    let body = response.text().await.map_err(ApiError::network)?;
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(ApiError::from_answer(status, &body))
    }
}

pub async fn health() -> Result<Health, ApiError> {
    json(send(Request::get(&path::health())).await?).await
}

/// Mints an owner token and keeps it.
pub async fn mint() -> Result<TokenResponse, ApiError> {
    let minted: TokenResponse = json(send(Request::post(&path::tokens())).await?).await?;
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
    let page = path::jobs(20, None, cursor);
    json(send(authed(Request::get(&page), token)).await?).await
}

/// Pages the list shows at most per request for more.
const PAGES_PER_LOOK: u32 = 10;

/// The owner's jobs that belong to no collection (a collection shows its
/// own), newest first: pages are read until 20 such jobs are found, the
/// list ends, or [`PAGES_PER_LOOK`] pages were read (a collection's
/// documents can fill many pages).
pub async fn own_jobs(token: &str, cursor: Option<&str>) -> Result<JobList, ApiError> {
    let mut page = jobs(token, cursor).await?;
    page.jobs.retain(|j| j.collection.is_none());
    for _ in 1..PAGES_PER_LOOK {
        let Some(next) = page.next_cursor.clone().filter(|_| page.jobs.len() < 20) else {
            break;
        };
        let more = jobs(token, Some(&next)).await?;
        page.jobs
            .extend(more.jobs.into_iter().filter(|j| j.collection.is_none()));
        page.next_cursor = more.next_cursor;
    }
    Ok(page)
}

/// The owner's waiting jobs, with their places in the queue.
pub async fn waiting(token: &str) -> Result<JobList, ApiError> {
    let page = path::jobs(100, Some(shared::contract::api::JobState::Uploaded), None);
    json(send(authed(Request::get(&page), token)).await?).await
}

/// A poll's answer: the job (or `None` for 304) and when to ask again.
pub struct Polled {
    pub job: Option<Job>,
    pub etag: Option<String>,
    pub retry_after_secs: Option<u32>,
}

/// `GET /jobs/{id}` with `If-None-Match`.
pub async fn poll(token: &str, id: &str, etag: Option<&str>) -> Result<Polled, ApiError> {
    let mut request = authed(Request::get(&path::job(id)), token);
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    let response = send(request).await?;
    let retry_after_secs =
        retry_after(response.headers().get("retry-after").as_deref(), now_secs())
            .map(|d| d.as_secs() as u32);
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
    text(send(authed(Request::get(&path::result(id, csv)), token)).await?).await
}

/// The list of numbers as CSV (for download).
pub async fn numbers_csv(token: &str, id: &str) -> Result<String, ApiError> {
    text(send(authed(Request::get(&path::numbers(id, true)), token)).await?).await
}

/// A page's text lines and boxes, for the page view.
pub async fn page_view(
    token: &str,
    id: &str,
    page: u32,
) -> Result<shared::forensics::evidence::PageView, ApiError> {
    json(send(authed(Request::get(&path::page_view(id, page)), token)).await?).await
}

/// Asks the server to cancel a job: the job as it is now (`cancelled`, or
/// still `processing` while it stops at its next page).
pub async fn cancel(token: &str, id: &str) -> Result<Job, ApiError> {
    json(send(authed(Request::post(&path::cancel(id)), token)).await?).await
}

pub async fn delete(token: &str, id: &str) -> Result<(), ApiError> {
    text(send(authed(Request::delete(&path::job(id)), token)).await?)
        .await
        .map(|_| ())
}

pub async fn ticket(token: &str) -> Result<TicketResponse, ApiError> {
    json(send(authed(Request::post(&path::ticket()), token)).await?).await
}

pub async fn webhook_secret(token: &str) -> Result<SecretResponse, ApiError> {
    json(send(authed(Request::get(&path::webhook_secret()), token)).await?).await
}

/// `POST /collections`: a new, open collection.
pub async fn create_collection(token: &str, asked: &NewCollection) -> Result<Collection, ApiError> {
    let request = authed(Request::post(&path::collections()), token)
        .json(asked)
        .map_err(ApiError::network)?;
    json(request.send().await.map_err(ApiError::network)?).await
}

/// One page of the owner's collections, newest first.
pub async fn collections(token: &str, cursor: Option<&str>) -> Result<CollectionPage, ApiError> {
    let page = path::collections_page(cursor);
    json(send(authed(Request::get(&page), token)).await?).await
}

pub async fn collection(token: &str, id: &str) -> Result<Collection, ApiError> {
    json(send(authed(Request::get(&path::collection(id)), token)).await?).await
}

/// `POST /collections/{id}/close` or `/cancel`: the collection as it is now.
pub async fn collection_act(token: &str, id: &str, act: &str) -> Result<Collection, ApiError> {
    let request = authed(Request::post(&path::collection_act(id, act)), token);
    json(send(request).await?).await
}

/// Deletes a collection, its documents and its result.
pub async fn delete_collection(token: &str, id: &str) -> Result<(), ApiError> {
    text(send(authed(Request::delete(&path::collection(id)), token)).await?)
        .await
        .map(|_| ())
}

/// One page of a collection's documents, in the order they joined.
pub async fn collection_documents(
    token: &str,
    id: &str,
    cursor: Option<&str>,
) -> Result<DocumentPage, ApiError> {
    let page = path::collection_documents(id, cursor);
    json(send(authed(Request::get(&page), token)).await?).await
}

/// The population report (JSON text) or its documents ranked (CSV).
pub async fn collection_result(token: &str, id: &str, csv: bool) -> Result<String, ApiError> {
    let asked = path::collection_result(id, csv);
    text(send(authed(Request::get(&asked), token)).await?).await
}

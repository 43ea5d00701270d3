//! The collection resource (`/api/v1/collections`): a job of jobs. Created
//! open; documents join with `POST /jobs?collection={id}` (`crate::intake::joining`);
//! closed, its population is analysed once every document has ended (the
//! owner's hub counts them and sends it, `crate::hub`); cancelled or deleted
//! with its documents. Its result is the population report
//! (`shared::contract::population`).

use shared::contract::api::{ErrorCode, JobState};
use shared::contract::auth::OwnerRecord;
use shared::contract::collection::{Collection, DEFAULT_PAGE, MAX_PAGE, NewCollection};
use shared::contract::poll;
use worker::{Env, Method, Request, Response};

use super::collection_results as results;
use crate::error::{AppError, AppResult};
use crate::objects::protocol::{
    Act, CollectionAct, CollectionCreate, CollectionDocuments, CollectionGet, CollectionList,
    CollectionRunningEta, CollectionWait, call,
};
use crate::routes::{Counted, enter, query_param, with_rate};
use crate::store::Store;
use crate::util::now_rfc3339;

/// The methods a collection resource answers (`rest`: the path after
/// `collections`).
pub(super) fn allowed(rest: &[&str]) -> Option<&'static str> {
    Some(match rest {
        [] => "GET, POST, OPTIONS",
        [_] => "GET, DELETE, OPTIONS",
        [_, "close" | "cancel"] => "POST, OPTIONS",
        [_, "documents" | "result" | "numbers"] => "GET, OPTIONS",
        _ => return None,
    })
}

/// Answers a request under `/collections` (`rest`: the path after it).
pub(super) async fn route(
    rest: &[&str],
    method: Method,
    mut req: Request,
    env: &Env,
) -> AppResult<Option<Response>> {
    let (owner, rate) = match (rest, &method) {
        ([], Method::Get | Method::Post)
        | ([_], Method::Get | Method::Delete)
        | ([_, "close" | "cancel"], Method::Post)
        | ([_, "documents" | "result" | "numbers"], Method::Get) => {
            enter(&req, env, Counted::Request).await?
        }
        _ => return Ok(None),
    };
    let answer = match (rest, method) {
        ([], Method::Post) => create(&mut req, env, &owner).await,
        ([], _) => list(&req, env, &owner).await,
        ([id], Method::Get) => get(&req, env, &owner, id).await,
        ([id], _) => delete(env, &owner, id).await,
        ([id, "close"], _) => act(env, &owner, id, Act::Close).await,
        ([id, "cancel"], _) => act(env, &owner, id, Act::Cancel).await,
        ([id, "documents"], _) => documents(&req, env, &owner, id).await,
        ([id, "result"], _) => {
            load(env, &owner, id).await?;
            results::result(&req, env, &owner, id).await
        }
        ([id, _], _) => {
            load(env, &owner, id).await?;
            results::numbers(&req, env, &owner, id).await
        }
        _ => return Ok(None),
    };
    with_rate(answer, rate).map(Some)
}

fn not_found(id: &str) -> AppError {
    AppError::client(ErrorCode::NotFound, format!("no collection {id}"))
}

/// A collection of the owner, or 404.
async fn load(env: &Env, owner: &OwnerRecord, id: &str) -> AppResult<Collection> {
    if !shared::contract::validate::is_job_id(id) {
        return Err(not_found(id));
    }
    let asked = CollectionGet { id: id.to_owned() };
    call(env, &owner.owner, asked)
        .await?
        .ok_or_else(|| not_found(id))
}

/// `POST /collections` with `{name, roles?, columns?}`: 201.
async fn create(req: &mut Request, env: &Env, owner: &OwnerRecord) -> AppResult<Response> {
    let text = req.text().await?;
    let bad = |message: String| AppError::client(ErrorCode::BadRequest, message);
    let mut new: NewCollection = serde_json::from_str(&text).map_err(|e| {
        bad(format!(
            "the body must be {{\"name\", \"roles\"?, \"columns\"?, \"callback_url\"?}}: {e}"
        ))
    })?;
    if let Some(raw) = new.callback_url.take() {
        let policy = crate::config::Config::from_env(env).callback_policy;
        new.callback_url = Some(shared::contract::callback::check(&raw, &policy)?.to_string());
    }
    let id = uuid::Uuid::new_v4().to_string();
    let collection = Collection::create(&id, new, &now_rfc3339()).map_err(bad)?;
    let asked = CollectionCreate {
        owner: owner.owner.clone(),
        collection,
    };
    let collection = call(env, &owner.owner, asked).await?;
    let mut resp = shown(&collection)?.with_status(201);
    resp.headers_mut()
        .set("location", &format!("/api/v1/collections/{id}"))?;
    Ok(resp)
}

/// A collection as JSON with its `ETag`.
fn shown(collection: &Collection) -> AppResult<Response> {
    let mut resp = Response::from_json(collection)?;
    let headers = resp.headers_mut();
    headers.set("etag", &etag(collection))?;
    headers.set("cache-control", "no-cache")?;
    Ok(resp)
}

fn etag(c: &Collection) -> String {
    format!("\"c{}\"", c.version())
}

/// `GET /collections?cursor=&limit=`: newest first.
async fn list(req: &Request, env: &Env, owner: &OwnerRecord) -> AppResult<Response> {
    let asked = CollectionList {
        cursor: query_param(req, "cursor")?,
        limit: limit(req)?,
    };
    Ok(Response::from_json(&call(env, &owner.owner, asked).await?)?)
}

/// `?limit=`: 1 to `MAX_PAGE`, `DEFAULT_PAGE` when absent.
fn limit(req: &Request) -> AppResult<u32> {
    match query_param(req, "limit")? {
        None => Ok(DEFAULT_PAGE),
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                AppError::client(
                    ErrorCode::BadRequest,
                    format!("limit must be 1 to {MAX_PAGE}, not {raw:?}"),
                )
            }),
    }
}

/// `GET /collections/{id}[?wait=N]`: with `ETag`; 304 for `If-None-Match`
/// of this version; `wait` holds the answer (up to N s) until the
/// collection changes, while it is unfinished.
async fn get(req: &Request, env: &Env, owner: &OwnerRecord, id: &str) -> AppResult<Response> {
    let wait = poll::wait_seconds(query_param(req, "wait")?.as_deref())?;
    let if_none_match = req.headers().get("if-none-match")?;
    let mut collection = load(env, owner, id).await?;
    let first = etag(&collection);
    if wait > 0
        && !collection.state().is_terminal()
        && (if_none_match.is_none() || poll::none_match(if_none_match.as_deref(), &first))
    {
        // Parked in the owner's hub until the collection's next version.
        let asked = CollectionWait {
            id: id.to_owned(),
            seen: collection.version(),
            timeout_ms: u64::from(wait) * 1000,
        };
        if let Some(newer) = call(env, &owner.owner, asked).await? {
            collection = newer;
        }
    }
    let tag = etag(&collection);
    if poll::none_match(if_none_match.as_deref(), &tag) {
        let mut resp = Response::empty()?.with_status(304);
        resp.headers_mut().set("etag", &tag)?;
        return Ok(resp);
    }
    // The estimate is not part of the version (nor of the ETag).
    let eta = eta(env, owner, &collection).await;
    collection.set_eta(eta);
    shown(&collection)
}

/// When an unfinished collection's documents should all be done: the
/// queue's estimate for its last waiting document (the last in line), else
/// the longest estimate of its running ones.
async fn eta(env: &Env, owner: &OwnerRecord, c: &Collection) -> Option<u32> {
    if c.state().is_terminal() || c.counts.waiting + c.counts.processing == 0 {
        return None;
    }
    if c.counts.waiting > 0 {
        let asked = CollectionDocuments {
            id: c.id.clone(),
            after: 0,
            state: Some(JobState::Uploaded),
            limit: 1,
            newest_first: true,
        };
        let last = call(env, &owner.owner, asked).await.ok()?;
        let ids: Vec<String> = last.documents.into_iter().map(|d| d.job_id).collect();
        return crate::line::positions(env, ids)
            .await
            .into_iter()
            .flatten()
            .map(|q| q.eta_seconds)
            .max();
    }
    let asked = CollectionRunningEta { id: c.id.clone() };
    call(env, &owner.owner, asked).await.ok().flatten()
}

/// `POST /collections/{id}/close` and `/cancel`: 202 with the collection; a
/// cancel cancels its unfinished documents too.
async fn act(env: &Env, owner: &OwnerRecord, id: &str, what: Act) -> AppResult<Response> {
    load(env, owner, id).await?;
    let asked = CollectionAct {
        owner: owner.owner.clone(),
        id: id.to_owned(),
        act: what,
    };
    let acted = call(env, &owner.owner, asked).await?;
    for job_id in &acted.documents {
        // A document that ended meanwhile answers 409: nothing to do.
        match super::jobs::cancel(env, owner, job_id).await {
            Ok(_) | Err(AppError::Client(_)) => {}
            Err(e) => worker::console_warn!("collection {id}: cancelling {job_id} failed: {e}"),
        }
    }
    let collection = load(env, owner, id).await.unwrap_or(acted.collection);
    Ok(shown(&collection)?.with_status(202))
}

/// `DELETE /collections/{id}`: the collection, its documents and its
/// result; 204.
async fn delete(env: &Env, owner: &OwnerRecord, id: &str) -> AppResult<Response> {
    load(env, owner, id).await?;
    let asked = CollectionAct {
        owner: owner.owner.clone(),
        id: id.to_owned(),
        act: Act::Delete,
    };
    let acted = call(env, &owner.owner, asked).await?;
    for job_id in &acted.documents {
        match super::jobs::delete(env, owner, job_id).await {
            Ok(_) | Err(AppError::Client(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let key = shared::contract::validate::keys::population(&owner.owner, id);
    Store::new(env)?.delete_key(key).await?;
    Ok(Response::empty()?.with_status(204))
}

/// `GET /collections/{id}/documents?cursor=&state=&limit=`.
async fn documents(req: &Request, env: &Env, owner: &OwnerRecord, id: &str) -> AppResult<Response> {
    load(env, owner, id).await?;
    let bad = |m: String| AppError::client(ErrorCode::BadRequest, m);
    let after = match query_param(req, "cursor")? {
        None => 0,
        Some(raw) => raw
            .parse::<u64>()
            .map_err(|_| bad("cursor is not one this API issued".into()))?,
    };
    let state = match query_param(req, "state")? {
        None => None,
        Some(raw) => Some(
            serde_json::from_value::<JobState>(serde_json::Value::String(raw.clone()))
                .map_err(|_| bad(format!("state must be a job's state, not {raw:?}")))?,
        ),
    };
    let asked = CollectionDocuments {
        id: id.to_owned(),
        after,
        state,
        limit: limit(req)?,
        newest_first: false,
    };
    Ok(Response::from_json(&call(env, &owner.owner, asked).await?)?)
}

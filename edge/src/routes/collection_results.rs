//! A collection's results: the population report
//! (`GET /collections/{id}/result`, JSON, or its documents ranked as CSV)
//! and every number of its documents (`/numbers`, NDJSON or CSV, each with
//! its document's job id and file name); both answer 409 or 422 while there
//! is no result.

use futures_util::{StreamExt, stream};
use shared::contract::api::ErrorCode;
use shared::contract::auth::OwnerRecord;
use shared::contract::collection::CollectionState;
use shared::contract::population::DocumentDeviation;
use shared::forensics::evidence::{CSV_HEADER, ListFormat};
use worker::{Env, Request, Response};

use crate::error::{AppError, AppResult};
use crate::objects::protocol::{CollectionGet, CollectionMembers, call};
use crate::routes::query_param;
use crate::store::Store;

/// The stored population report, or the refusal while there is none (409
/// while unfinished; 422 with the error; 409 when cancelled).
async fn population(env: &Env, owner: &OwnerRecord, id: &str) -> AppResult<String> {
    let asked = CollectionGet { id: id.to_owned() };
    let collection = call(env, &owner.owner, asked)
        .await?
        .ok_or_else(|| AppError::client(ErrorCode::NotFound, format!("no collection {id}")))?;
    let state = collection.state();
    if !state.has_result() {
        let (code, message) = match state {
            CollectionState::Error => (
                ErrorCode::AnalysisFailed,
                collection.error.map_or_else(
                    || format!("collection {id} ended in error"),
                    |e| format!("collection {id} ended in error: {}", e.message),
                ),
            ),
            CollectionState::Cancelled => (
                ErrorCode::Conflict,
                format!("collection {id} was cancelled; it has no result"),
            ),
            _ => (
                ErrorCode::NotReady,
                format!("collection {id} is {state}; its result is ready once it has ended"),
            ),
        };
        return Err(AppError::client(code, message));
    }
    let key = shared::contract::validate::keys::population(&owner.owner, id);
    Store::new(env)?
        .text_of(key)
        .await?
        .ok_or_else(|| AppError::Internal(format!("the population of collection {id} is missing")))
}

/// `GET /collections/{id}/result[?format=csv]`: the population report; as
/// CSV, its documents ranked.
pub(super) async fn result(
    req: &Request,
    env: &Env,
    owner: &OwnerRecord,
    id: &str,
) -> AppResult<Response> {
    let csv = crate::routes::csv_param(req)?;
    let json = population(env, owner, id).await?;
    if !csv {
        let mut resp = Response::ok(json)?;
        resp.headers_mut().set("content-type", "application/json")?;
        return Ok(resp);
    }
    /// The report's ranking alone (the rest of it is not read).
    #[derive(serde::Deserialize)]
    struct OnlyDocuments {
        documents: Vec<DocumentDeviation>,
    }
    let report: OnlyDocuments = serde_json::from_str(&json)?;
    let mut out = String::from("rank,job_id,filename,used,mad,excess_mad,p_value\n");
    for (i, d) in report.documents.iter().enumerate() {
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            i + 1,
            d.job_id,
            csv_field(&d.filename),
            d.used,
            d.mad,
            d.excess_mad,
            d.p_value
        ));
    }
    let mut resp = Response::ok(out)?;
    let headers = resp.headers_mut();
    headers.set("content-type", "text/csv; charset=utf-8")?;
    headers.set(
        "content-disposition",
        &format!("attachment; filename=\"{id}-documents.csv\""),
    )?;
    Ok(resp)
}

fn csv_field(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// `GET /collections/{id}/numbers[?format=csv]`: every number of every
/// completed document, each with its document's job id and file name,
/// streamed a stored part at a time.
pub(super) async fn numbers(
    req: &Request,
    env: &Env,
    owner: &OwnerRecord,
    id: &str,
) -> AppResult<Response> {
    let format = ListFormat::parse(query_param(req, "format")?.as_deref())
        .map_err(|why| AppError::client(ErrorCode::BadRequest, why))?;
    population(env, owner, id).await?;
    let asked = CollectionMembers { id: id.to_owned() };
    let members = call(env, &owner.owner, asked).await?;
    let store = Store::new(env)?;
    let head = match format {
        ListFormat::Csv => format!("job_id,filename,{CSV_HEADER}"),
        ListFormat::Ndjson => String::new(),
    };
    let owner_id = owner.owner.clone();
    let body = stream::iter(members.completed).then(move |(job_id, filename)| {
        let store = store.clone();
        let owner_id = owner_id.clone();
        async move {
            let to_worker = |e: AppError| worker::Error::RustError(e.to_string());
            let mut out = String::new();
            for key in store
                .number_parts(&owner_id, &job_id)
                .await
                .map_err(to_worker)?
            {
                let text = store
                    .text_of(key)
                    .await
                    .map_err(to_worker)?
                    .unwrap_or_default();
                let rendered = format
                    .render(&text, None)
                    .map_err(|e| worker::Error::RustError(e.to_string()))?;
                let prefix = match format {
                    ListFormat::Csv => format!("{job_id},{},", csv_field(&filename)),
                    ListFormat::Ndjson => format!(
                        "{{\"job_id\":{},\"filename\":{},",
                        serde_json::Value::String(job_id.clone()),
                        serde_json::Value::String(filename.clone())
                    ),
                };
                for line in rendered.lines().filter(|l| !l.is_empty()) {
                    out.push_str(&prefix);
                    out.push_str(match format {
                        ListFormat::Csv => line,
                        ListFormat::Ndjson => line.strip_prefix('{').unwrap_or(line),
                    });
                    out.push('\n');
                }
            }
            Ok::<Vec<u8>, worker::Error>(out.into_bytes())
        }
    });
    let head = stream::iter([Ok::<Vec<u8>, worker::Error>(head.into_bytes())]);
    let mut resp = crate::pipe::respond(head.chain(body))?;
    resp.headers_mut()
        .set("content-type", format.content_type())?;
    Ok(resp)
}

//! A job's results: the report (`GET /jobs/{id}/result`, JSON or the digit
//! tables as CSV), the tables found (`/tables`, the report's part), the
//! list of numbers (`/numbers`) and a page as the engine reads it
//! (`/pages/{n}`); each answers 409 or 422 with the job while there is no
//! result.

use futures_util::{StreamExt, stream};
use shared::contract::api::{ErrorBody, ErrorCode, ErrorResponse, Job, JobState};
use shared::contract::auth::OwnerRecord;
use shared::contract::report::{DigitTables, digit_table_csv};
use shared::contract::tables::TableStats;
use shared::forensics::evidence::ListFormat;
use worker::{Env, Response};

use super::jobs::load;
#[cfg(feature = "analyser")]
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::routes::submit::RETRY_AFTER_SECS;
use crate::store::Store;

/// A completed job's stored report (its JSON), or the answer for a job
/// without one.
async fn stored_report(
    env: &Env,
    owner: &OwnerRecord,
    id: &str,
) -> AppResult<Result<String, Response>> {
    let job = load(env, owner, id).await?;
    if let Some(refusal) = no_result(&job)? {
        return Ok(Err(refusal));
    }
    let report = Store::new(env)?
        .get_result(&owner.owner, id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("result of completed job {id} is missing")))?;
    Ok(Ok(report))
}

pub async fn result(env: &Env, owner: &OwnerRecord, id: &str, csv: bool) -> AppResult<Response> {
    let report = match stored_report(env, owner, id).await? {
        Ok(report) => report,
        Err(refusal) => return Ok(refusal),
    };
    let (body, content_type) = if csv {
        let tables: DigitTables = serde_json::from_str(&report)?;
        (digit_table_csv(&tables), "text/csv; charset=utf-8")
    } else {
        (report, "application/json")
    };
    let mut resp = Response::ok(body)?;
    resp.headers_mut().set("content-type", content_type)?;
    if csv {
        resp.headers_mut().set(
            "content-disposition",
            &format!("attachment; filename=\"{id}-benford.csv\""),
        )?;
    }
    Ok(resp)
}

/// `GET /jobs/{id}/tables`: the tables the analysis found, with their
/// columns and the numbers in each, and the columns by header over the
/// document (the report's `tables`), only `page`'s tables when given.
pub async fn tables(
    env: &Env,
    owner: &OwnerRecord,
    id: &str,
    page: Option<u32>,
) -> AppResult<Response> {
    /// The report's tables alone (the rest of it is not read).
    #[derive(serde::Deserialize)]
    struct OnlyTables {
        #[serde(default)]
        tables: TableStats,
    }
    let report = match stored_report(env, owner, id).await? {
        Ok(report) => report,
        Err(refusal) => return Ok(refusal),
    };
    let mut tables = serde_json::from_str::<OnlyTables>(&report)?.tables;
    if let Some(page) = page {
        tables.tables.retain(|t| t.page == page);
    }
    Ok(Response::from_json(&tables)?)
}

/// The answer for a job without a result (failed, cancelled, not done):
/// `None` when it is completed.
fn no_result(job: &Job) -> AppResult<Option<Response>> {
    let id = &job.id;
    let refusal = match job.state() {
        JobState::Completed => return Ok(None),
        JobState::Error => {
            let error = job.error.clone().unwrap_or_else(|| {
                ErrorBody::new(ErrorCode::AnalysisFailed, "the analysis failed")
            });
            with_job(error, job)
        }
        JobState::Cancelled => with_job(
            ErrorBody::new(
                ErrorCode::Conflict,
                format!("job {id} was cancelled; it has no result"),
            ),
            job,
        ),
        JobState::Uploaded | JobState::Processing => with_job(
            ErrorBody::new(
                ErrorCode::NotReady,
                format!("job {id} is {}; the result is not ready yet", job.state()),
            ),
            job,
        ),
    };
    refusal.map(Some)
}

/// `GET /jobs/{id}/numbers`: every number of a completed job's document
/// with its page, box, role and line, as NDJSON or CSV (`format`), only
/// `page`'s when given — streamed a stored part (one slice) at a time.
pub async fn numbers(
    env: &Env,
    owner: &OwnerRecord,
    id: &str,
    format: ListFormat,
    page: Option<u32>,
) -> AppResult<Response> {
    let job = load(env, owner, id).await?;
    if let Some(refusal) = no_result(&job)? {
        return Ok(refusal);
    }
    let store = Store::new(env)?;
    let parts = store.number_parts(&owner.owner, id).await?;
    let head = stream::iter([Ok::<Vec<u8>, worker::Error>(
        format.head().as_bytes().to_vec(),
    )]);
    let body = stream::iter(parts).then(move |key| {
        let store = store.clone();
        async move {
            let text = store.text_of(key.clone()).await.map_err(to_worker)?;
            let text = text.ok_or_else(|| worker::Error::RustError(format!("{key} is missing")))?;
            let rendered = format
                .render(&text, page)
                .map_err(|e| worker::Error::RustError(format!("{key}: {e}")))?;
            Ok::<Vec<u8>, worker::Error>(rendered.into_bytes())
        }
    });
    let mut resp = crate::pipe::respond(head.chain(body))?;
    resp.headers_mut()
        .set("content-type", format.content_type())?;
    if format == ListFormat::Csv {
        resp.headers_mut().set(
            "content-disposition",
            &format!("attachment; filename=\"{id}-numbers.csv\""),
        )?;
    }
    Ok(resp)
}

/// `GET /jobs/{id}/pages/{page}`: a completed job's page as the engine
/// reads it — its text lines with their boxes and the page's media box —
/// for drawing the page with its suspects (the SPA's page view).
pub async fn page_view(
    env: &Env,
    owner: &OwnerRecord,
    id: &str,
    page: u32,
    req: &worker::Request,
) -> AppResult<Response> {
    let job = load(env, owner, id).await?;
    if let Some(refusal) = no_result(&job)? {
        return Ok(refusal);
    }
    draw_page(env, owner, id, page, req).await
}

/// The engine draws the page; the PDF is opened by range reads for that
/// page alone.
#[cfg(feature = "analyser")]
async fn draw_page(
    env: &Env,
    owner: &OwnerRecord,
    id: &str,
    page: u32,
    _req: &worker::Request,
) -> AppResult<Response> {
    let config = Config::from_env(env);
    let store = Store::new(env)?;
    let size = store
        .pdf_size(&owner.owner, id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("the PDF of completed job {id} is missing")))?;
    let source = store.pdf_ranges(&owner.owner, id, size);
    let now = crate::util::now_ms;
    let mut analysis =
        shared::analysis::Analysis::open_pages(source, &config.limits, &now, page, page)
            .await
            .map_err(|e| AppError::Internal(format!("job {id}: the PDF no longer opens: {e}")))?;
    if page > analysis.pages_total() {
        return Err(AppError::client(
            ErrorCode::NotFound,
            format!(
                "job {id}'s document has {} pages; there is no page {page}",
                analysis.pages_total()
            ),
        ));
    }
    let view = analysis
        .view_page(page, &now)
        .await
        .map_err(|e| AppError::Internal(format!("job {id}, page {page}: {e}")))?;
    Ok(Response::from_json(&view)?)
}

/// A build without the engine asks the Worker that has it (the `ANALYSER`
/// service binding), with the request as it came.
#[cfg(not(feature = "analyser"))]
async fn draw_page(
    env: &Env,
    _owner: &OwnerRecord,
    _id: &str,
    _page: u32,
    req: &worker::Request,
) -> AppResult<Response> {
    let analyser = env.service(crate::config::ANALYSER)?;
    Ok(analyser.fetch_request(req.clone()?).await?)
}

fn to_worker(e: AppError) -> worker::Error {
    worker::Error::RustError(e.to_string())
}

/// An error answer that also carries the job: `{"error": …, "job": …}`.
fn with_job(error: ErrorBody, job: &Job) -> AppResult<Response> {
    let status = error.code.http_status();
    let mut value = serde_json::to_value(ErrorResponse { error })?;
    value["job"] = serde_json::to_value(job)?;
    let mut resp = Response::from_json(&value)?.with_status(status);
    if job.state().is_active() {
        resp.headers_mut().set("retry-after", RETRY_AFTER_SECS)?;
    }
    Ok(resp)
}

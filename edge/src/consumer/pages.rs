//! What an analysis and a slice share: opening the PDF by ranges, reading
//! pages with progress and yields to the event loop, the log line of an
//! analysis, and the ends of a job's attempt (completed, failed, cancelled).

use std::time::Duration;

use futures_util::future::{Either, Ready, ready};
use shared::analysis::{Analysis, AnalysisError};
use shared::contract::api::{ErrorBody, ErrorCode};
use shared::delivery::oplog::{LogLine, Resources, What};
use shared::forensics::evidence;
use worker::Delay;

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::hooks::injected_slow_page;
use crate::hub::client::result_size;
use crate::jobs::Writer;
use crate::objects::protocol::{SliceProgress, call};
use crate::util::{log, now_ms, now_rfc3339};

/// How often progress is published while a document is analysed.
pub(super) const PROGRESS_EVERY_MS: f64 = 250.0;
/// Work between two returns to the event loop, ms (see the page loop).
pub(super) const YIELD_EVERY_MS: f64 = 5.0;

/// Opens the job's PDF for analysis by range reads (only the parts each
/// page needs are read); `None` when the job ended instead (its end is
/// written): the PDF is missing, or the document cannot be analysed.
pub(super) async fn open_pdf(
    tracked: &mut Writer<'_>,
    config: &Config,
    slice: Option<(u32, u32)>,
) -> AppResult<Option<Analysis<crate::store::PdfRanges>>> {
    let (store, owner) = (tracked.store, tracked.owner);
    let job_id = tracked.job.id.clone();
    let Some(size) = store.pdf_size(owner, &job_id).await? else {
        let error = ErrorBody::new(
            ErrorCode::Internal,
            "the uploaded PDF is missing from storage",
        );
        finish_with_error(tracked, error).await?;
        return Ok(None);
    };
    let source = store.pdf_ranges(owner, &job_id, size);
    let opened = match slice {
        None => Analysis::open(source, &config.limits, &now_ms).await,
        Some((first, last)) => {
            Analysis::open_pages(source, &config.limits, &now_ms, first, last).await
        }
    };
    match opened {
        Ok(mut a) => {
            // The roles the upload chose (every slice reads the job's).
            a.select_roles(tracked.job.roles.unwrap_or_default());
            a.select_columns(tracked.job.columns.clone());
            a.cap_listing(evidence::MAX_LISTED);
            Ok(Some(a))
        }
        Err(e) => analysis_failed(tracked, e).await.map(|()| None),
    }
}

/// How reading a document's pages ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Read {
    Done,
    /// The owner cancelled the job meanwhile.
    Cancelled,
}

/// Reads every page the analysis covers (the document's, or one slice's),
/// returning to the event loop every [`YIELD_EVERY_MS`] and publishing
/// progress every [`PROGRESS_EVERY_MS`]: pages done of this analysis, or —
/// for the slice starting at `slice` — across the job's slices (the hub
/// adds them up).
pub(super) async fn read_pages(
    tracked: &mut Writer<'_>,
    analysis: &mut Analysis<crate::store::PdfRanges>,
    config: &Config,
    slice: Option<u32>,
) -> AppResult<Read> {
    let total = analysis.pages_total();
    let started = now_ms();
    let mut last_publish = started;
    let mut last_yield = started;
    loop {
        match analysis.step(&now_ms).await {
            Ok(true) => {}
            Ok(false) => return Ok(Read::Done),
            Err(e) => {
                analysis_failed(tracked, e).await?;
                return Err(AppError::Ended);
            }
        }
        // Locally the API shares this isolate's one thread: hand it back
        // every few milliseconds of work, so no request waits behind a long
        // document.
        if now_ms() - last_yield >= YIELD_EVERY_MS {
            Delay::from(Duration::ZERO).await;
            last_yield = now_ms();
        }
        let mine = analysis.pages_done();
        if mine < analysis.pages_in_range() && now_ms() - last_publish >= PROGRESS_EVERY_MS {
            let done = match slice {
                None => mine,
                Some(first) => {
                    let report = SliceProgress {
                        job_id: tracked.job.id.clone(),
                        first,
                        done: mine,
                    };
                    call(tracked.env, tracked.owner, report).await?
                }
            };
            if done < total
                && tracked
                    .job
                    .record_progress(done, total, &now_rfc3339())
                    .is_ok()
            {
                if let Some(progress) = &mut tracked.job.progress {
                    progress.eta_seconds = shared::jobs::line::processing_eta_seconds(
                        now_ms() - started,
                        mine,
                        analysis.pages_in_range(),
                    );
                }
                tracked.save(false).await?;
            }
            last_publish = now_ms();
            if tracked.cancelled {
                return Ok(Read::Cancelled);
            }
        }
        if config.test_hooks
            && let Some(ms) = injected_slow_page(&tracked.job.filename)
        {
            Delay::from(Duration::from_millis(u64::from(ms))).await;
        }
    }
}

/// Reads every page ([`read_pages`]); `false` when the attempt is over
/// without a result: cancelled (and saved so) or overtaken by another
/// attempt.
pub(super) async fn read_through(
    tracked: &mut Writer<'_>,
    analysis: &mut Analysis<crate::store::PdfRanges>,
    config: &Config,
    slice: Option<u32>,
) -> AppResult<bool> {
    match read_pages(tracked, analysis, config, slice).await {
        Ok(Read::Done) => Ok(true),
        Ok(Read::Cancelled) => stop_cancelled(tracked).await.map(|()| false),
        Err(AppError::Ended) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The operator's line for an analysis (or one slice of it) that ran: how
/// long, the isolate's memory, the reads.
pub(super) fn log_analysed(
    job_id: &str,
    owner: &str,
    attempt: u32,
    started: f64,
    reading: &shared::contract::report::Reading,
    slice: Option<(u32, u32)>,
) {
    let mut line = LogLine::about(What::Analysed, job_id, attempt)
        .owner(owner)
        .duration_ms(now_ms() - started)
        .resources(Resources {
            memory_bytes: crate::util::wasm_memory_bytes(),
            isolate_age_ms: crate::util::isolate_age_ms() as u64,
            reads: reading.reads,
            bytes_read: reading.bytes_read,
        });
    if let Some((first, last)) = slice {
        line = line.detail(format!("pages {first}-{last}"));
    }
    log(line);
}

/// Stores the report and ends the job `completed`.
pub(super) async fn complete(
    tracked: &mut Writer<'_>,
    report: shared::contract::report::Report,
) -> AppResult<()> {
    let (store, env, owner) = (tracked.store, tracked.env, tracked.owner);
    let job_id = tracked.job.id.clone();
    let json = serde_json::to_string(&report)?;
    let bytes = json.len() as u64;
    store.put_result(owner, &job_id, json).await?;
    result_size(env, owner, &job_id, bytes).await;
    let now = now_rfc3339();
    let _ = tracked
        .job
        .record_progress(report.pages, report.pages, &now);
    // Pages it could not read, on the job itself too.
    if tracked
        .job
        .complete_with(report.warnings.clone(), &now)
        .is_ok()
        && let Err(e) = tracked.save(true).await
    {
        if matches!(e, AppError::JobDeleted) {
            let _ = store.delete_result(owner, &job_id).await;
        }
        return Err(e);
    }
    Ok(())
}

/// An analysis that failed: the document's fault ends the job in `error`; a
/// read that failed is the platform's, and the attempt is tried again.
pub(super) async fn analysis_failed(tracked: &mut Writer<'_>, e: AnalysisError) -> AppResult<()> {
    match e {
        AnalysisError::Read(why) => Err(AppError::Internal(why)),
        e => finish_with_error(tracked, e.to_body()).await,
    }
}

/// The owner cancelled the job while this attempt ran: it ends
/// `cancelled`, with nothing of the analysis written.
pub(super) async fn stop_cancelled(tracked: &mut Writer<'_>) -> AppResult<()> {
    if tracked.job.cancel(&now_rfc3339()).is_ok() {
        tracked.save(true).await?;
    }
    Ok(())
}

pub(super) async fn finish_with_error(tracked: &mut Writer<'_>, error: ErrorBody) -> AppResult<()> {
    if tracked.job.fail(error, &now_rfc3339()).is_ok() {
        tracked.save(true).await?;
    }
    Ok(())
}

/// What a long merge awaits between batches (`shared::analysis::runs`): the
/// event loop handed back once `YIELD_EVERY_MS` have passed since it last
/// was, nothing otherwise.
pub(super) fn breather() -> impl FnMut() -> Either<Delay, Ready<()>> {
    let mut last_yield = now_ms();
    move || {
        if now_ms() - last_yield >= YIELD_EVERY_MS {
            last_yield = now_ms();
            Either::Left(Delay::from(Duration::ZERO))
        } else {
            Either::Right(ready(()))
        }
    }
}

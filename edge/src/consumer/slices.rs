//! A long document in slices: the plan and one message per slice
//! ([`fan_out`]), one slice's pages ([`run_slice`]), and the merge the last
//! slice in makes ([`merge`]).

use std::time::Duration;

use shared::analysis::{Merger, Partial, runs};
use shared::contract::api::JobState;
use shared::delivery::oplog::{LogLine, What};
use shared::forensics::amounts::Ordered;
use shared::forensics::evidence;
use shared::jobs::queue::{AnalysisMessage, FanIn, slices};
use shared::jobs::watchdog::Claimed;
use worker::{Delay, Env, console_log, console_warn};

use crate::config::{ANALYSIS_QUEUE, Config};
use crate::error::{AppError, AppResult};
use crate::hooks::injected_slice_failure;
use crate::hub::client::newest;
use crate::jobs::{self, Writer};
use crate::objects::protocol::{Claim, PlanSlices, SliceDone, SliceStart, SlicesOf, call};
use crate::store::Store;
use crate::util::{log, now_ms};

use super::pages::{analysis_failed, complete, log_analysed, open_pdf, read_through};

/// The slice of a fanned-out job one message carries.
pub(super) struct Slice {
    pub attempt: u32,
    pub first: u32,
    pub last: u32,
}

/// A long document: its slices are recorded in the owner's hub and those
/// not done yet (by an earlier attempt) sent to the queue, one message each;
/// when every one is done already, it merges them now.
pub(super) async fn fan_out(
    tracked: &mut Writer<'_>,
    attempt: u32,
    pages: u32,
    slice_pages: u32,
) -> AppResult<()> {
    let (env, owner) = (tracked.env, tracked.owner);
    let job_id = tracked.job.id.clone();
    let planned = PlanSlices {
        job_id: job_id.clone(),
        attempt,
        pages,
        slices: slices(pages, slice_pages),
    };
    let count = planned.slices.len();
    let plan = call(env, owner, planned).await?;
    if plan.merge {
        return merge(tracked).await;
    }
    let queue = env.queue(ANALYSIS_QUEUE)?;
    for &(first, last) in &plan.send {
        let message = AnalysisMessage::AnalysePagesV1 {
            owner: owner.to_owned(),
            job_id: job_id.clone(),
            attempt,
            first,
            last,
        };
        let send = queue.send(message);
        crate::util::within("the queue's send of a slice", async { Ok(send.await?) }).await?;
    }
    log(LogLine::about(What::FannedOut, &job_id, attempt)
        .owner(owner)
        .detail(format!(
            "{pages} pages in {count} slices of {slice_pages}; {} sent",
            plan.send.len()
        )));
    Ok(())
}

/// One slice of a fanned-out job: its pages analysed, its partial result
/// stored in R2; the last slice in merges them all.
pub(super) async fn run_slice(env: &Env, owner: &str, job_id: &str, slice: Slice) -> AppResult<()> {
    let Slice {
        attempt,
        first,
        last,
    } = slice;
    let config = Config::from_env(env);
    let claim = Claim {
        job_id: job_id.to_owned(),
        attempt,
    };
    match call(env, owner, claim).await? {
        Claimed::Run => {}
        Claimed::Drop => {
            log(LogLine::about(What::Dropped, job_id, attempt)
                .owner(owner)
                .detail(format!(
                    "pages {first}-{last}: a newer attempt was sent meanwhile"
                )));
            return Ok(());
        }
        Claimed::Cancel => return jobs::end_cancelled(env, owner, job_id).await.map(|_| ()),
    }
    let started_slice = SliceStart {
        job_id: job_id.to_owned(),
        first,
        last,
    };
    let Some(try_no) = call(env, owner, started_slice).await? else {
        console_log!("job {job_id}: pages {first}-{last} are no longer wanted; dropped");
        return Ok(());
    };
    let store = Store::new(env)?;
    let Some(job) = newest(env, owner, store.get_job(owner, job_id).await?).await else {
        console_log!("job {job_id} no longer exists; pages {first}-{last} dropped");
        return Ok(());
    };
    if job.state() != JobState::Processing || job.attempt != attempt {
        console_log!(
            "job {job_id}: pages {first}-{last} of attempt {attempt} dropped (the job is {} \
             at attempt {})",
            job.state(),
            job.attempt
        );
        return Ok(());
    }
    if config.test_hooks && injected_slice_failure(&job.filename, first, config.slice_pages, try_no)
    {
        return Err(AppError::Internal(format!(
            "injected failure (test hook) of pages {first}-{last}, try {try_no}"
        )));
    }
    let mut tracked = Writer::new(&store, env, owner, job, config.test_hooks);
    let started = now_ms();
    let Some(mut analysis) = open_pdf(&mut tracked, &config, Some((first, last))).await? else {
        return Ok(());
    };
    if !read_through(&mut tracked, &mut analysis, &config, Some(first)).await? {
        return Ok(());
    }
    let reading = analysis.reading();
    let partial = analysis.partial(&now_ms).await;
    log_analysed(
        job_id,
        owner,
        attempt,
        started,
        &reading,
        Some((first, last)),
    );
    let mut partial = match partial {
        Ok(p) => p,
        Err(e) => return analysis_failed(&mut tracked, e).await,
    };
    // The amounts go to a sorted run of their own; the merge reads the runs
    // back in order, a chunk of each at a time.
    let run = partial.run().map_err(|e| AppError::Internal(e.0))?;
    if !run.is_empty() {
        store.put_run(owner, job_id, first, run).await?;
    }
    let listed = std::mem::take(&mut partial.listed);
    store
        .put_numbers(owner, job_id, first, listed.to_ndjson())
        .await?;
    drop(listed);
    store
        .put_partial(owner, job_id, first, serde_json::to_string(&partial)?)
        .await?;
    drop(partial);
    let done = SliceDone {
        job_id: job_id.to_owned(),
        first,
        last,
    };
    match call(env, owner, done).await? {
        FanIn::Merge => merge(&mut tracked).await,
        FanIn::Wait | FanIn::Unknown => Ok(()),
    }
}

/// The last slice in (or a planner that found every slice done): the
/// partial results, read one at a time in page order, make the report,
/// with the tests computed once.
pub(super) async fn merge(tracked: &mut Writer<'_>) -> AppResult<()> {
    let (store, env, owner) = (tracked.store, tracked.env, tracked.owner);
    let job_id = tracked.job.id.clone();
    let slices = call(
        env,
        owner,
        SlicesOf {
            job_id: job_id.clone(),
        },
    )
    .await?;
    let mut merger = Merger::default();
    let mut runs = Vec::new();
    for &(first, last) in &slices {
        let Some(json) = store.get_partial(owner, &job_id, first).await? else {
            return Err(AppError::Internal(format!(
                "the partial result of pages {first}-{last} is missing"
            )));
        };
        let partial: Partial = serde_json::from_str(&json)?;
        runs.push(store.run_ranges(owner, &job_id, first, partial.run_bytes));
        merger.add(partial);
        Delay::from(Duration::ZERO).await;
    }
    // Millions of amounts: the event loop is handed back every few ms.
    let mut ordered = Ordered::default();
    let breathe = super::pages::breather();
    runs::merge(runs, &mut ordered, breathe)
        .await
        .map_err(|e| AppError::Internal(e.0))?;
    let outcome = match merger.finish_with(ordered.finish(), &now_ms) {
        Ok(mut report) => {
            report.suspects = suspects_of(store, owner, &job_id, &report, &slices).await?;
            complete(tracked, report).await
        }
        Err(e) => analysis_failed(tracked, e).await,
    };
    // A collection's document keeps them for the population.
    if outcome.is_ok()
        && tracked.job.collection.is_none()
        && let Err(e) = store.delete_partials(owner, &job_id).await
    {
        console_warn!("job {job_id}: its partial results could not be removed: {e}");
    }
    outcome
}

/// The suspects of a fanned-out job's report: its slices' lists of numbers
/// read back one at a time, in page order (`shared::forensics::evidence::Finder`).
pub(super) async fn suspects_of(
    store: &Store,
    owner: &str,
    job_id: &str,
    report: &shared::contract::report::Report,
    slices: &[(u32, u32)],
) -> AppResult<evidence::Suspects> {
    let mut finder = report.finder();
    for &(first, last) in slices {
        let Some(text) = store.get_numbers(owner, job_id, first).await? else {
            return Err(AppError::Internal(format!(
                "the list of numbers of pages {first}-{last} is missing"
            )));
        };
        for row in evidence::rows_of(&text) {
            finder.push(&row?);
        }
        Delay::from(Duration::ZERO).await;
    }
    Ok(report.suspects(finder))
}

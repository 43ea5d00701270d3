//! One analysis: an `analyse.v1` message's attempt, from the claim to the
//! report (a long document goes out in slices instead, `super::slices`).

use std::time::Duration;

use shared::analysis::{Merger, Partial};
use shared::delivery::oplog::{LogLine, What};
use shared::jobs::pacing::MIN_WRITE_GAP_MS;
use shared::jobs::watchdog::Claimed;
use worker::{Delay, Env, console_log, console_warn};

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::hooks::{injected_crash, injected_failure, injected_late_first, injected_stall};
use crate::hub::client::newest;
use crate::jobs::{self, Writer};
use crate::objects::protocol::{Claim, GetJob, call};
use crate::store::Store;
use crate::util::{log, now_ms, now_rfc3339};

use super::pages::{
    analysis_failed, complete, log_analysed, open_pdf, read_through, stop_cancelled,
};
use super::retry::dead_lettered;
use super::slices::fan_out;

pub(super) async fn run(
    env: &Env,
    owner: &str,
    job_id: &str,
    attempt: u32,
    free: u32,
) -> AppResult<()> {
    let config = Config::from_env(env);
    if config.test_hooks {
        late_first(env, owner, job_id, attempt).await;
    }
    // Only the current attempt runs: when the watchdog sent a newer one, this
    // message was only slow, and the newer one does the work.
    let claim = Claim {
        job_id: job_id.to_owned(),
        attempt,
    };
    match call(env, owner, claim).await {
        Ok(Claimed::Run) => crate::line::leave(env, job_id, true).await,
        Ok(Claimed::Drop) => {
            log(LogLine::about(What::Dropped, job_id, attempt)
                .owner(owner)
                .detail("a newer attempt was sent meanwhile; this message was only late"));
            return Ok(());
        }
        Ok(Claimed::Cancel) => return jobs::end_cancelled(env, owner, job_id).await.map(|_| ()),
        Err(e) => {
            console_warn!("job {job_id}: the hub could not be asked about attempt {attempt}: {e}")
        }
    }
    // Past the last attempt (the watchdog sent a stalled job again once too
    // often): the job ends in `error`. Attempts sent again at a hub's start
    // do not count.
    let spent = shared::jobs::watchdog::spent(attempt, free);
    if spent > config.max_attempts {
        return dead_lettered(env, owner, job_id, spent - 1).await;
    }
    let store = Store::new(env)?;
    // The newest version: an earlier attempt's last changes may have reached
    // the hub but not KV (paced), and versions only count up from there.
    let Some(job) = newest(env, owner, store.get_job(owner, job_id).await?).await else {
        // Deleted — unless the hub still knows it, and KV (eventually
        // consistent across locations) has not shown this place the record
        // yet: then the attempt fails and is sent again later.
        let hub = GetJob {
            job_id: job_id.to_owned(),
        };
        if call(env, owner, hub).await.ok().flatten().is_some() {
            return Err(AppError::Internal(format!(
                "the record of job {job_id} cannot be read here yet"
            )));
        }
        console_log!("job {job_id} no longer exists; nothing to do");
        return Ok(());
    };
    if config.test_hooks && injected_crash(&job.filename) {
        return Err(AppError::Abandoned);
    }
    if config.test_hooks && injected_stall(&job.filename, attempt) {
        console_log!("job {job_id}: attempt {attempt} dropped (test hook: stall)");
        return Ok(());
    }
    // The record was last written when it was last updated (the upload, or
    // an earlier attempt): the pacer counts from there.
    let mut tracked = Writer::new(&store, env, owner, job, config.test_hooks);
    tracked.pacer.quiet_until(now_ms() + MIN_WRITE_GAP_MS);
    if let Err(e) = tracked.job.start_attempt(attempt, &now_rfc3339()) {
        // Already finished: the hub hears of its end again, in case the first
        // word of it was lost (a crash between KV's write and the publish),
        // so its watchdog stops sending the job.
        console_log!("job {job_id}: {e}; message ignored");
        // A job deleted meanwhile has had its writes taken back: done too.
        let _deleted = tracked.notify_again().await;
        return Ok(());
    }
    // `processing` goes live at once but reaches KV with the first progress
    // write after the pacing gap, or not at all when the document is done
    // first: a small document costs one KV write, not two a second apart.
    tracked.save(false).await?;
    if tracked.cancelled {
        return stop_cancelled(&mut tracked).await;
    }
    if config.test_hooks && injected_failure(&tracked.job.filename, attempt) {
        return Err(AppError::Internal(format!(
            "injected failure (test hook) on attempt {attempt}"
        )));
    }

    let Some(mut analysis) = open_pdf(&mut tracked, &config, None).await? else {
        return Ok(());
    };
    let total = analysis.pages_total();
    // A long document read by ranges goes out in slices; the last one in
    // merges (the whole-file path is for small damaged files only).
    if total > config.slice_pages && analysis.by_ranges() {
        drop(analysis);
        return fan_out(&mut tracked, attempt, total, config.slice_pages).await;
    }
    let started = now_ms();
    if !read_through(&mut tracked, &mut analysis, &config, None).await? {
        return Ok(());
    }
    let reading = analysis.reading();
    let partial = analysis.partial(&now_ms).await;
    log_analysed(job_id, owner, attempt, started, &reading, None);
    let mut partial = match partial {
        Ok(p) => p,
        Err(e) => return analysis_failed(&mut tracked, e).await,
    };
    // The list of numbers goes beside the report (GET /jobs/{id}/numbers).
    tracked
        .store
        .put_numbers(owner, job_id, 1, partial.listed.to_ndjson())
        .await?;
    // A collection's document keeps its counts and amounts for the
    // population, as a fanned-out job's slice does.
    if tracked.job.collection.is_some() {
        keep_partial(tracked.store, owner, job_id, &mut partial).await?;
    }
    let mut merger = Merger::default();
    merger.add(partial);
    match merger.finish(&now_ms) {
        Ok(report) => complete(&mut tracked, report).await,
        Err(e) => analysis_failed(&mut tracked, e).await,
    }
}

/// Stores a one-pass analysis's partial result and its sorted run of
/// amounts, as page 1's part (`Store::put_partial`, `Store::put_run`).
async fn keep_partial(
    store: &Store,
    owner: &str,
    job_id: &str,
    partial: &mut Partial,
) -> AppResult<()> {
    // A copy of the amounts: the document's own report still reads them.
    let run = partial
        .amounts
        .clone()
        .into_run()
        .map_err(|e| AppError::Internal(e.0))?;
    partial.run_bytes = run.len() as u64;
    if !run.is_empty() {
        store.put_run(owner, job_id, 1, run).await?;
    }
    store
        .put_partial(owner, job_id, 1, serde_json::to_string(partial)?)
        .await
}

/// Test hook: the first attempt of an `inject-late-first` job arrives late.
async fn late_first(env: &Env, owner: &str, job_id: &str, attempt: u32) {
    let Ok(store) = Store::new(env) else { return };
    if let Ok(Some(job)) = store.get_job(owner, job_id).await
        && let Some(ms) = injected_late_first(&job.filename, attempt)
    {
        console_log!("job {job_id}: attempt {attempt} held back {ms} ms (test hook: late)");
        Delay::from(Duration::from_millis(u64::from(ms))).await;
    }
}

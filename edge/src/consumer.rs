//! The queue consumer: takes each `analysis` message through the job's states
//! (`processing` → `completed` | `error`), runs `shared::analysis` on the PDF
//! from R2, stores the report in R2, publishes every change to the hub and
//! queues each new state for the job's callback (`crate::webhooks`).
//! A platform failure (KV, R2) sends the job again as the next attempt with an
//! exponential delay (`shared::queue::after_failure`); after the last attempt
//! the job ends in `error` (`analysis_failed`). A message that never gets an
//! answer (the isolate died) is redelivered by the queue and, after its
//! retries, lands on the dead-letter queue, whose messages also end their job
//! in `error`. A document that cannot be analysed ends at once with its code.
//!
//! Every message is acked or retried explicitly; the handler never returns an
//! error (the macro would panic and the isolate be reset). Writes of one job's
//! KV record are paced by `shared::pacing` (production KV: ~1 write/s per key).

use std::time::Duration;

use shared::analysis::{Analysis, AnalysisError};
use shared::api::{ErrorBody, ErrorCode, Job, JobState};
use shared::oplog::{LogLine, Resources, What};
use shared::pacing::{MIN_WRITE_GAP_MS, Pace, WritePacer};
use shared::queue::{
    AfterFailure, AnalysisMessage, after_failure, injected_crash, injected_failure,
    injected_late_first, injected_slow_page, injected_slow_save, injected_stall,
};
use shared::webhooks;
use worker::{Delay, Env, MessageBatch, MessageExt, console_error, console_log, console_warn};

use crate::config::{ANALYSIS_DLQ_NAME, Config};
use crate::error::{AppError, AppResult};
use crate::hub::client::{newest, publish, result_size};
use crate::hub::protocol::{Claim, Dispatch, GetJob, Published, call};
use crate::store::Store;
use crate::util::{log, ms_since, now_ms, now_rfc3339};
use shared::watchdog::Claimed;

/// The operator's line for a new state or attempt: how long the job has
/// existed when it ends, and the error's code when it failed.
pub fn log_state(owner: &str, job: &Job) {
    let mut line = LogLine::of(What::State, owner, job);
    if job.state().is_terminal() {
        line = line.duration_ms(ms_since(&job.created_at));
    }
    if let Some(error) = &job.error {
        line = line.detail(error.code.as_str());
    }
    log(line);
}

/// How often progress is published while a document is analysed.
const PROGRESS_EVERY_MS: f64 = 250.0;
/// Work between two returns to the event loop, ms (see the page loop).
const YIELD_EVERY_MS: f64 = 5.0;

pub async fn handle_batch(batch: MessageBatch<serde_json::Value>, env: Env) {
    let queue = batch.queue();
    let messages = match batch.messages() {
        Ok(messages) => messages,
        Err(e) => {
            console_error!("could not read a batch from {queue}: {e}");
            batch.retry_all();
            return;
        }
    };
    for message in messages {
        let parsed: Result<AnalysisMessage, _> = serde_json::from_value(message.body().clone());
        let Ok(AnalysisMessage::AnalyseV1 {
            owner,
            job_id,
            attempt,
        }) = parsed
        else {
            console_error!(
                "dropping an unreadable message on {queue}: {}",
                message.body()
            );
            message.ack();
            continue;
        };
        let outcome = if queue == ANALYSIS_DLQ_NAME {
            dead_lettered(&env, &owner, &job_id, attempt).await
        } else {
            let outcome = run(&env, &owner, &job_id, attempt).await;
            // The run's time feeds the queue's estimates (a no-op unless
            // the line saw it start).
            crate::line::finished(&env, &job_id).await;
            outcome
        };
        match outcome {
            Ok(()) => message.ack(),
            Err(AppError::JobDeleted) => {
                console_log!("job {job_id} was deleted while it was analysed; dropped");
                message.ack();
            }
            Err(AppError::Abandoned) => {
                console_warn!("job {job_id}: delivery abandoned without an answer (test hook)");
                message.retry();
            }
            Err(e) if queue == ANALYSIS_DLQ_NAME => {
                console_warn!("dead-lettered job {job_id}: {e}; the message will be retried");
                message.retry();
            }
            Err(e) => {
                console_warn!("job {job_id}, attempt {attempt}: {e}");
                match retry_or_give_up(&env, &owner, &job_id, attempt).await {
                    Ok(()) => message.ack(),
                    Err(e) => {
                        console_error!("job {job_id}: could not schedule a retry: {e}");
                        message.retry();
                    }
                }
            }
        }
    }
}

/// One job's record plus the pacing of its writes.
struct Tracked<'a> {
    store: &'a Store,
    env: &'a Env,
    owner: &'a str,
    job: Job,
    pacer: WritePacer,
    /// The state and attempt last told (logged, and announced to the job's
    /// callback when it has one).
    announced: (JobState, u32),
    /// Test-only hooks are on (`DOCKET_TEST_HOOKS`).
    test_hooks: bool,
    /// The owner cancelled the job (the hub said so): stop at the next page.
    cancelled: bool,
}

impl Tracked<'_> {
    /// Writes the record (waiting out KV's per-key gap when `must_land`) and
    /// publishes the change.
    async fn save(&mut self, must_land: bool) -> AppResult<()> {
        match self.pacer.decide(now_ms(), must_land) {
            Pace::Now => {}
            Pace::Skip => {
                return if self.tell().await {
                    Err(AppError::JobDeleted)
                } else {
                    Ok(())
                };
            }
            Pace::WaitMs(ms) => Delay::from(Duration::from_millis(ms.ceil() as u64)).await,
        }
        // A job deleted while it was processing ends here, writing nothing back.
        if self
            .store
            .get_job(self.owner, &self.job.id)
            .await?
            .is_none()
        {
            return Err(AppError::JobDeleted);
        }
        if self.test_hooks
            && let Some(ms) = injected_slow_save(&self.job.filename)
        {
            Delay::from(Duration::from_millis(u64::from(ms))).await;
        }
        // The change happens when it is recorded (after any wait for KV), so
        // `updated_at` is the moment every reader can see it.
        self.job.updated_at = now_rfc3339();
        self.store.put_job(self.owner, &self.job).await?;
        self.pacer.wrote(now_ms());
        if self.tell().await {
            // Deleted meanwhile (the hub decides): what was just written goes.
            take_back(self.store, self.owner, &self.job.id).await;
            return Err(AppError::JobDeleted);
        }
        Ok(())
    }

    /// Publishes the change to the hub and, when it is a new state or
    /// attempt, queues it for the job's callback. True when the hub says the
    /// job was deleted; a cancel it answers with is noted in `cancelled`.
    async fn tell(&mut self) -> bool {
        match publish(self.env, self.owner, &self.job).await {
            Published::Deleted => return true,
            Published::Cancel => self.cancelled = true,
            Published::Fresh | Published::Stale => {}
        }
        if self.announced != (self.job.state(), self.job.attempt) {
            log_state(self.owner, &self.job);
        }
        if webhooks::is_event(Some(self.announced), &self.job) {
            crate::webhooks::announce(self.env, self.owner, &self.job).await;
        }
        self.announced = (self.job.state(), self.job.attempt);
        false
    }
}

/// A job deleted while it was written: its record, report and PDF go (again).
/// Deletion is decided by the owner's hub, which hears of it before the
/// record is removed (`routes::jobs::delete`); a writer tells the hub after
/// it wrote. So either the delete removes what was written, or the writer
/// hears "deleted" and removes it itself: nothing comes back.
async fn take_back(store: &Store, owner: &str, job_id: &str) {
    console_log!("job {job_id} was deleted while it was written; taking the writes back");
    let removed = async {
        store.delete_job_record(owner, job_id).await?;
        store.delete_result(owner, job_id).await?;
        store.delete_pdf(owner, job_id).await
    };
    if let Err(e) = removed.await {
        console_error!("job {job_id}: taking back the writes of a deleted job failed: {e}");
    }
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

async fn run(env: &Env, owner: &str, job_id: &str, attempt: u32) -> AppResult<()> {
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
        Ok(Claimed::Cancel) => return end_cancelled(env, owner, job_id).await.map(|_| ()),
        Err(e) => {
            console_warn!("job {job_id}: the hub could not be asked about attempt {attempt}: {e}")
        }
    }
    // Past the last attempt (the watchdog sent a stalled job again once too
    // often): the job ends in `error`.
    if attempt > config.max_attempts {
        return dead_lettered(env, owner, job_id, attempt - 1).await;
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
    let mut pacer = WritePacer::new();
    pacer.wrote(js_sys::Date::parse(&job.updated_at));
    pacer.quiet_until(now_ms() + MIN_WRITE_GAP_MS);
    let announced = (job.state(), job.attempt);
    let mut tracked = Tracked {
        store: &store,
        env,
        owner,
        job,
        pacer,
        announced,
        test_hooks: config.test_hooks,
        cancelled: false,
    };
    if let Err(e) = tracked.job.start_attempt(attempt, &now_rfc3339()) {
        // Already finished: the hub hears of its end again, in case the first
        // word of it was lost (a crash between KV's write and the publish),
        // so its watchdog stops sending the job.
        console_log!("job {job_id}: {e}; message ignored");
        if publish(env, owner, &tracked.job).await == Published::Deleted {
            take_back(&store, owner, job_id).await;
        }
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

    // The PDF is read by range reads, only the parts each page needs.
    let Some(size) = store.pdf_size(owner, job_id).await? else {
        let error = ErrorBody::new(
            ErrorCode::Internal,
            "the uploaded PDF is missing from storage",
        );
        return finish_with_error(&mut tracked, error).await;
    };
    let source = store.pdf_ranges(owner, job_id, size);
    let mut analysis = match Analysis::open(source, &config.limits, &now_ms).await {
        Ok(a) => a,
        Err(e) => return analysis_failed(&mut tracked, e).await,
    };
    let total = analysis.pages_total();
    let started = now_ms();
    let mut last_publish = started;
    let mut last_yield = started;
    loop {
        match analysis.step(&now_ms).await {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return analysis_failed(&mut tracked, e).await,
        }
        // Locally the API shares this isolate's one thread: hand it back
        // every few tens of milliseconds of work, so no request waits
        // behind a long document.
        if now_ms() - last_yield >= YIELD_EVERY_MS {
            Delay::from(Duration::ZERO).await;
            last_yield = now_ms();
        }
        let done = analysis.pages_done();
        if done < total && now_ms() - last_publish >= PROGRESS_EVERY_MS {
            if tracked
                .job
                .record_progress(done, total, &now_rfc3339())
                .is_ok()
            {
                if let Some(progress) = &mut tracked.job.progress {
                    progress.eta_seconds =
                        shared::line::processing_eta_seconds(now_ms() - started, done, total);
                }
                tracked.save(false).await?;
            }
            last_publish = now_ms();
            if tracked.cancelled {
                return stop_cancelled(&mut tracked).await;
            }
        }
        if config.test_hooks
            && let Some(ms) = injected_slow_page(&tracked.job.filename)
        {
            Delay::from(Duration::from_millis(u64::from(ms))).await;
        }
    }
    let reading = analysis.reading();
    let finished = analysis.finish(&now_ms).await;
    log(LogLine::about(What::Analysed, job_id, attempt)
        .owner(owner)
        .duration_ms(now_ms() - started)
        .resources(Resources {
            memory_bytes: crate::util::wasm_memory_bytes(),
            isolate_age_ms: crate::util::isolate_age_ms() as u64,
            reads: reading.reads,
            bytes_read: reading.bytes_read,
        }));
    match finished {
        Ok(report) => {
            let json = serde_json::to_string(&report)?;
            let bytes = json.len() as u64;
            store.put_result(owner, job_id, json).await?;
            result_size(env, owner, job_id, bytes).await;
            let now = now_rfc3339();
            let _ = tracked.job.record_progress(total, total, &now);
            // Pages it could not read, on the job itself too.
            tracked.job.warnings = report.warnings.clone();
            if tracked.job.complete(&now).is_ok()
                && let Err(e) = tracked.save(true).await
            {
                if matches!(e, AppError::JobDeleted) {
                    let _ = store.delete_result(owner, job_id).await;
                }
                return Err(e);
            }
            Ok(())
        }
        Err(e) => analysis_failed(&mut tracked, e).await,
    }
}

/// An analysis that failed: the document's fault ends the job in `error`; a
/// read that failed is the platform's, and the attempt is tried again.
async fn analysis_failed(tracked: &mut Tracked<'_>, e: AnalysisError) -> AppResult<()> {
    match e {
        AnalysisError::Read(why) => Err(AppError::Internal(why)),
        e => finish_with_error(tracked, e.to_body()).await,
    }
}

/// The owner cancelled the job while this attempt ran: it ends
/// `cancelled`, with nothing of the analysis written.
async fn stop_cancelled(tracked: &mut Tracked<'_>) -> AppResult<()> {
    if tracked.job.cancel(&now_rfc3339()).is_ok() {
        tracked.save(true).await?;
    }
    Ok(())
}

/// Ends a job that no attempt runs in `cancelled` (the cancel route for a
/// queued job, and a consumer whose claim the hub answered with the cancel):
/// its newest version as it is when already ended. `None` when it is gone.
pub async fn end_cancelled(env: &Env, owner: &str, job_id: &str) -> AppResult<Option<Job>> {
    let store = Store::new(env)?;
    let Some(mut job) = newest(env, owner, store.get_job(owner, job_id).await?).await else {
        return Ok(None);
    };
    if job.cancel(&now_rfc3339()).is_ok() {
        store.put_job(owner, &job).await?;
        if publish(env, owner, &job).await == Published::Deleted {
            take_back(&store, owner, job_id).await;
            return Ok(None);
        }
        log_state(owner, &job);
        crate::webhooks::announce(env, owner, &job).await;
    }
    Ok(Some(job))
}

async fn finish_with_error(tracked: &mut Tracked<'_>, error: ErrorBody) -> AppResult<()> {
    if tracked.job.fail(error, &now_rfc3339()).is_ok() {
        tracked.save(true).await?;
    }
    Ok(())
}

/// After a failed attempt: the next attempt, delayed, or the end.
async fn retry_or_give_up(env: &Env, owner: &str, job_id: &str, attempt: u32) -> AppResult<()> {
    let config = Config::from_env(env);
    match after_failure(attempt, config.max_attempts, config.retry_delay_secs) {
        AfterFailure::Retry {
            attempt: next,
            delay_secs,
        } => {
            log(LogLine::about(What::Retry, job_id, next)
                .owner(owner)
                .duration_ms(f64::from(delay_secs) * 1000.0)
                .detail(format!("attempt {attempt} failed")));
            let again = Dispatch {
                owner: owner.to_owned(),
                job_id: job_id.to_owned(),
                attempt: next,
                delay_secs,
                created_at: None,
            };
            call(env, owner, again).await
        }
        AfterFailure::GiveUp => dead_lettered(env, owner, job_id, attempt).await,
    }
}

/// The analysis ran out of attempts: the job ends in `error`.
async fn dead_lettered(env: &Env, owner: &str, job_id: &str, attempts: u32) -> AppResult<()> {
    give_up(
        env,
        owner,
        job_id,
        attempts,
        "the analysis failed repeatedly and was given up",
    )
    .await
}

/// Ends a job in `error` (`analysis_failed`) with a reason, after `attempts`.
pub async fn give_up(
    env: &Env,
    owner: &str,
    job_id: &str,
    attempts: u32,
    why: &str,
) -> AppResult<()> {
    let store = Store::new(env)?;
    let Some(mut job) = newest(env, owner, store.get_job(owner, job_id).await?).await else {
        return Ok(());
    };
    let error = ErrorBody::new(ErrorCode::AnalysisFailed, why);
    if job.state().is_terminal() {
        // Ended already: make sure the hub knows (see `run`).
        if publish(env, owner, &job).await == Published::Deleted {
            take_back(&store, owner, job_id).await;
        }
    } else if job.give_up(attempts, error, &now_rfc3339()).is_ok() {
        log(LogLine::of(What::GaveUp, owner, &job)
            .duration_ms(ms_since(&job.created_at))
            .detail(why));
        store.put_job(owner, &job).await?;
        if publish(env, owner, &job).await == Published::Deleted {
            take_back(&store, owner, job_id).await;
            return Ok(());
        }
        crate::webhooks::announce(env, owner, &job).await;
    }
    Ok(())
}

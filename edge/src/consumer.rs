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

use shared::amounts::Ordered;
use shared::analysis::{Analysis, AnalysisError, Merger, Partial, runs};
use shared::api::{ErrorBody, ErrorCode, Job, JobState};
use shared::evidence;
use shared::oplog::{LogLine, Resources, What};
use shared::pacing::{MIN_WRITE_GAP_MS, Pace, WritePacer};
use shared::queue::{
    AfterFailure, AnalysisMessage, FanIn, after_failure, injected_crash, injected_failure,
    injected_late_first, injected_slice_failure, injected_slow_page, injected_slow_save,
    injected_stall, slices,
};
use shared::webhooks;
use worker::{Delay, Env, MessageBatch, MessageExt, console_error, console_log, console_warn};

use crate::config::{ANALYSIS_DLQ_NAME, ANALYSIS_QUEUE, Config};
use crate::error::{AppError, AppResult};
use crate::hub::client::{newest, publish, result_size};
use crate::hub::protocol::{
    Claim, Dispatch, GetJob, PlanSlices, Published, SliceDone, SliceProgress, SliceStart, SlicesOf,
    call,
};
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
        let Ok(work) = parsed else {
            console_error!(
                "dropping an unreadable message on {queue}: {}",
                message.body()
            );
            message.ack();
            continue;
        };
        let job_id = work.job_id().to_owned();
        let outcome = match &work {
            AnalysisMessage::AnalyseV1 { owner, attempt, .. }
            | AnalysisMessage::AnalysePagesV1 { owner, attempt, .. }
                if queue == ANALYSIS_DLQ_NAME =>
            {
                dead_lettered(&env, owner, &job_id, *attempt).await
            }
            AnalysisMessage::AnalyseV1 { owner, attempt, .. } => {
                let outcome = run(&env, owner, &job_id, *attempt).await;
                // The run's time feeds the queue's estimates (a no-op unless
                // the line saw it start).
                crate::line::finished(&env, &job_id).await;
                outcome
            }
            AnalysisMessage::AnalysePagesV1 {
                owner,
                attempt,
                first,
                last,
                ..
            } => {
                let slice = Slice {
                    attempt: *attempt,
                    first: *first,
                    last: *last,
                };
                run_slice(&env, owner, &job_id, slice).await
            }
        };
        match outcome {
            Ok(()) => message.ack(),
            Err(AppError::JobDeleted) => {
                console_log!("job {job_id} was deleted while it was analysed; dropped");
                message.ack();
            }
            Err(AppError::Ended) => message.ack(),
            Err(AppError::Abandoned) => {
                console_warn!("job {job_id}: delivery abandoned without an answer (test hook)");
                message.retry();
            }
            Err(e) if queue == ANALYSIS_DLQ_NAME => {
                console_warn!("dead-lettered job {job_id}: {e}; the message will be retried");
                message.retry();
            }
            // A slice is retried alone, by the queue; once its retries are
            // used up it reaches the dead-letter queue, which ends the job.
            Err(e) => {
                if let AnalysisMessage::AnalysePagesV1 {
                    owner,
                    attempt,
                    first,
                    last,
                    ..
                } = &work
                {
                    log(LogLine::about(What::Retry, &job_id, *attempt)
                        .owner(owner)
                        .detail(format!(
                            "pages {first}-{last} failed ({e}); the queue retries them"
                        )));
                    message.retry();
                    continue;
                }
                let (AnalysisMessage::AnalyseV1 { owner, attempt, .. }
                | AnalysisMessage::AnalysePagesV1 { owner, attempt, .. }) = &work;
                let attempt = *attempt;
                console_warn!("job {job_id}, attempt {attempt}: {e}");
                match retry_or_give_up(&env, owner, &job_id, attempt).await {
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

impl<'a> Tracked<'a> {
    /// A job as read: its writes paced from its last update.
    fn new(store: &'a Store, env: &'a Env, owner: &'a str, job: Job, test_hooks: bool) -> Self {
        let mut pacer = WritePacer::new();
        pacer.wrote(js_sys::Date::parse(&job.updated_at));
        let announced = (job.state(), job.attempt);
        Tracked {
            store,
            env,
            owner,
            job,
            pacer,
            announced,
            test_hooks,
            cancelled: false,
        }
    }

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
    let mut tracked = Tracked::new(&store, env, owner, job, config.test_hooks);
    tracked.pacer.quiet_until(now_ms() + MIN_WRITE_GAP_MS);
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
    match read_pages(&mut tracked, &mut analysis, &config, None).await {
        Ok(Read::Done) => {}
        Ok(Read::Cancelled) => return stop_cancelled(&mut tracked).await,
        Err(AppError::Ended) => return Ok(()),
        Err(e) => return Err(e),
    }
    let reading = analysis.reading();
    let partial = analysis.partial(&now_ms).await;
    log_analysed(job_id, owner, attempt, started, &reading, None);
    let partial = match partial {
        Ok(p) => p,
        Err(e) => return analysis_failed(&mut tracked, e).await,
    };
    // The list of numbers goes beside the report (GET /jobs/{id}/numbers).
    tracked
        .store
        .put_numbers(owner, job_id, 1, evidence::to_ndjson(&partial.listed))
        .await?;
    let mut merger = Merger::default();
    merger.add(partial);
    match merger.finish(&now_ms) {
        Ok(report) => complete(&mut tracked, report).await,
        Err(e) => analysis_failed(&mut tracked, e).await,
    }
}

/// Opens the job's PDF for analysis by range reads (only the parts each
/// page needs are read); `None` when the job ended instead (its end is
/// written): the PDF is missing, or the document cannot be analysed.
async fn open_pdf(
    tracked: &mut Tracked<'_>,
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
            a.cap_listing(evidence::MAX_LISTED);
            Ok(Some(a))
        }
        Err(e) => analysis_failed(tracked, e).await.map(|()| None),
    }
}

/// How reading a document's pages ended.
#[derive(Debug, PartialEq, Eq)]
enum Read {
    Done,
    /// The owner cancelled the job meanwhile.
    Cancelled,
}

/// Reads every page the analysis covers (the document's, or one slice's),
/// returning to the event loop every [`YIELD_EVERY_MS`] and publishing
/// progress every [`PROGRESS_EVERY_MS`]: pages done of this analysis, or —
/// for the slice starting at `slice` — across the job's slices (the hub
/// adds them up).
async fn read_pages(
    tracked: &mut Tracked<'_>,
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
                    progress.eta_seconds = shared::line::processing_eta_seconds(
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

/// The operator's line for an analysis (or one slice of it) that ran: how
/// long, the isolate's memory, the reads.
fn log_analysed(
    job_id: &str,
    owner: &str,
    attempt: u32,
    started: f64,
    reading: &shared::report::Reading,
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
async fn complete(tracked: &mut Tracked<'_>, report: shared::report::Report) -> AppResult<()> {
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
    tracked.job.warnings = report.warnings.clone();
    if tracked.job.complete(&now).is_ok()
        && let Err(e) = tracked.save(true).await
    {
        if matches!(e, AppError::JobDeleted) {
            let _ = store.delete_result(owner, &job_id).await;
        }
        return Err(e);
    }
    Ok(())
}

/// The slice of a fanned-out job one message carries.
struct Slice {
    attempt: u32,
    first: u32,
    last: u32,
}

/// A long document: its slices are recorded in the owner's hub and those
/// not done yet (by an earlier attempt) sent to the queue, one message each;
/// when every one is done already, it merges them now.
async fn fan_out(
    tracked: &mut Tracked<'_>,
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
        queue.send(message).await?;
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
async fn run_slice(env: &Env, owner: &str, job_id: &str, slice: Slice) -> AppResult<()> {
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
        Claimed::Cancel => return end_cancelled(env, owner, job_id).await.map(|_| ()),
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
    let mut tracked = Tracked::new(&store, env, owner, job, config.test_hooks);
    let started = now_ms();
    let Some(mut analysis) = open_pdf(&mut tracked, &config, Some((first, last))).await? else {
        return Ok(());
    };
    match read_pages(&mut tracked, &mut analysis, &config, Some(first)).await {
        Ok(Read::Done) => {}
        Ok(Read::Cancelled) => return stop_cancelled(&mut tracked).await,
        Err(AppError::Ended) => return Ok(()),
        Err(e) => return Err(e),
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
    let run = partial.run();
    if !run.is_empty() {
        store.put_run(owner, job_id, first, run).await?;
    }
    let listed = std::mem::take(&mut partial.listed);
    store
        .put_numbers(owner, job_id, first, evidence::to_ndjson(&listed))
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
async fn merge(tracked: &mut Tracked<'_>) -> AppResult<()> {
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
    let mut last_yield = now_ms();
    let breathe = move || {
        let due = now_ms() - last_yield >= YIELD_EVERY_MS;
        if due {
            last_yield = now_ms();
        }
        async move {
            if due {
                Delay::from(Duration::ZERO).await;
            }
        }
    };
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
    if outcome.is_ok()
        && let Err(e) = store.delete_partials(owner, &job_id).await
    {
        console_warn!("job {job_id}: its partial results could not be removed: {e}");
    }
    outcome
}

/// The suspects of a fanned-out job's report: its slices' lists of numbers
/// read back one at a time, in page order (`shared::evidence::Finder`).
async fn suspects_of(
    store: &Store,
    owner: &str,
    job_id: &str,
    report: &shared::report::Report,
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

//! The job writer: the one place a job record changes (#26). A change is a
//! transition of `shared::jobs::state`'s machine on the newest copy, then the save:
//! put (KV) → publish (the owner's hub, which alone decides deletion) → take
//! back what was written when the hub says the job was deleted meanwhile →
//! log the new state → announce it to the job's callback.
//!
//! - [`create`]: a new job's first save (the upload routes).
//! - [`change`]: a job no analysis holds — load the newest copy, apply a
//!   transition, save (a cancel of a waiting job, giving up).
//! - [`Writer`]: the analysis's own copy, its writes paced to KV's one write
//!   per key per second (`shared::jobs::pacing`); a skipped write is still
//!   published.
//! - [`notify`]: the hub hears of a record again without a write (a replayed
//!   upload, a message for a job that has ended).

use std::time::Duration;

use shared::contract::api::{ErrorBody, ErrorCode, Job, JobState};
use shared::delivery::oplog::{LogLine, What};
use shared::delivery::webhooks;
use shared::jobs::pacing::{Pace, WritePacer};
use worker::{Delay, Env, console_error, console_log};

use crate::error::{AppError, AppResult};
use crate::hooks::injected_slow_save;
use crate::hub::client::{newest, publish};
use crate::objects::protocol::Published;
use crate::store::Store;
use crate::util::{log, ms_since, now_ms, now_rfc3339};

/// What the hub answered a save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notified {
    /// Heard (or already known).
    Heard,
    /// Heard, and the owner has cancelled the job: the analysis stops.
    Cancel,
    /// The job was deleted: what this save wrote has been taken back.
    Deleted,
}

/// The state and attempt a save last logged and announced.
type Announced = (JobState, u32);

/// The operator's line for a new state or attempt: how long the job has
/// existed when it ends, and the error's code when it failed.
pub fn state_line(owner: &str, job: &Job) -> LogLine {
    let mut line = LogLine::of(What::State, owner, job);
    if job.state().is_terminal() {
        line = line.duration_ms(ms_since(&job.created_at));
    }
    if let Some(error) = &job.error {
        line = line.detail(error.code.as_str());
    }
    line
}

/// Publishes `job` to the owner's hub, takes the record back if the hub
/// says it was deleted, and — a new state or attempt since `announced`
/// (`None`: a new job) — logs it (`line`, or the state line) and announces
/// it to the job's callback.
pub async fn notify(
    env: &Env,
    store: &Store,
    owner: &str,
    job: &Job,
    announced: Option<Announced>,
    line: Option<LogLine>,
) -> Notified {
    let told = match publish(env, owner, job).await {
        Published::Deleted => {
            take_back(store, owner, &job.id).await;
            return Notified::Deleted;
        }
        Published::Cancel => Notified::Cancel,
        Published::Fresh | Published::Stale => Notified::Heard,
    };
    if announced != Some((job.state(), job.attempt)) {
        log(line.unwrap_or_else(|| state_line(owner, job)));
    }
    if webhooks::is_event(announced, job) {
        crate::webhooks::announce(env, owner, job).await;
    }
    told
}

/// Put, then [`notify`].
async fn save(
    env: &Env,
    store: &Store,
    owner: &str,
    job: &Job,
    announced: Option<Announced>,
    line: Option<LogLine>,
) -> AppResult<Notified> {
    store.put_job(owner, job).await?;
    Ok(notify(env, store, owner, job, announced, line).await)
}

/// A new job's first save (`uploaded`): logged and announced.
pub async fn create(env: &Env, store: &Store, owner: &str, job: &Job) -> AppResult<Notified> {
    save(env, store, owner, job, None, None).await
}

/// Changes a job no analysis holds: its newest copy (KV's record or the
/// hub's, whichever is newer) through `transition`, then saved (logged with
/// `line` when given). A transition the state machine refuses (the job has
/// ended) writes nothing, but the hub hears of the job again — a crash may
/// have cut off the first word of its end. `None` when the job is gone.
pub async fn change<E>(
    env: &Env,
    owner: &str,
    job_id: &str,
    transition: impl FnOnce(&mut Job) -> Result<(), E>,
    line: impl FnOnce(&Job) -> Option<LogLine>,
) -> AppResult<Option<Job>> {
    let store = Store::new(env)?;
    let Some(mut job) = newest(env, owner, store.get_job(owner, job_id).await?).await else {
        return Ok(None);
    };
    let announced = (job.state(), job.attempt);
    if transition(&mut job).is_err() {
        let told = notify(env, &store, owner, &job, Some(announced), None).await;
        return Ok((told != Notified::Deleted).then_some(job));
    }
    let line = line(&job);
    match save(env, &store, owner, &job, Some(announced), line).await? {
        Notified::Deleted => Ok(None),
        Notified::Heard | Notified::Cancel => Ok(Some(job)),
    }
}

/// Ends a job that no attempt runs in `cancelled` (the cancel route for a
/// queued job, and a consumer whose claim the hub answered with the cancel):
/// its newest version as it is when already ended. `None` when it is gone.
pub async fn end_cancelled(env: &Env, owner: &str, job_id: &str) -> AppResult<Option<Job>> {
    let now = now_rfc3339();
    change(env, owner, job_id, |job| job.cancel(&now), |_| None).await
}

/// Ends a job in `error` (`analysis_failed`) with a reason, after `attempts`.
pub async fn give_up(
    env: &Env,
    owner: &str,
    job_id: &str,
    attempts: u32,
    why: &str,
) -> AppResult<()> {
    let now = now_rfc3339();
    let error = ErrorBody::new(ErrorCode::AnalysisFailed, why);
    change(
        env,
        owner,
        job_id,
        |job| job.give_up(attempts, error, &now),
        |job| {
            Some(
                LogLine::of(What::GaveUp, owner, job)
                    .duration_ms(ms_since(&job.created_at))
                    .detail(why),
            )
        },
    )
    .await?;
    Ok(())
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

/// The analysis's copy of its job, its writes paced.
pub struct Writer<'a> {
    pub store: &'a Store,
    pub env: &'a Env,
    pub owner: &'a str,
    pub job: Job,
    pub pacer: WritePacer,
    /// The state and attempt last logged and announced.
    announced: Announced,
    /// Test-only hooks are on (`Config::test_hooks`).
    test_hooks: bool,
    /// The owner cancelled the job (the hub said so): stop at the next page.
    pub cancelled: bool,
}

impl<'a> Writer<'a> {
    /// A job as read: its writes paced from its last update.
    pub fn new(store: &'a Store, env: &'a Env, owner: &'a str, job: Job, test_hooks: bool) -> Self {
        let mut pacer = WritePacer::new();
        pacer.wrote(js_sys::Date::parse(&job.updated_at));
        let announced = (job.state(), job.attempt);
        Writer {
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

    /// Saves the copy: written when the pacer allows (waiting out KV's
    /// per-key gap when `must_land`), published either way. A job deleted
    /// meanwhile ends the analysis (`AppError::JobDeleted`), writing nothing
    /// back.
    pub async fn save(&mut self, must_land: bool) -> AppResult<()> {
        match self.pacer.decide(now_ms(), must_land) {
            Pace::Now => {}
            Pace::Skip => return self.heard().await,
            Pace::WaitMs(ms) => Delay::from(Duration::from_millis(ms.ceil() as u64)).await,
        }
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
        self.heard().await
    }

    /// The hub hears of the copy as it is (no write): a message for a job
    /// that has ended already.
    pub async fn notify_again(&mut self) -> AppResult<()> {
        self.heard().await
    }

    async fn heard(&mut self) -> AppResult<()> {
        let told = notify(
            self.env,
            self.store,
            self.owner,
            &self.job,
            Some(self.announced),
            None,
        )
        .await;
        self.announced = (self.job.state(), self.job.attempt);
        match told {
            Notified::Deleted => Err(AppError::JobDeleted),
            Notified::Cancel => {
                self.cancelled = true;
                Ok(())
            }
            Notified::Heard => Ok(()),
        }
    }
}

//! The scheduled sweep (cron): removes every job created before now minus the
//! retention period — record, PDF, result, and its place in the owner's index —
//! and unsticks jobs that stopped moving (sent again as their next attempt, or
//! ended in `error`). What to do with each job is `shared::jobs::retention`'s call.

use serde::Serialize;
use shared::delivery::oplog::{LogLine, What};
use shared::jobs::retention::{self, JobMeta, Unstick};
use worker::{Env, console_error, console_log};

use crate::config::Config;
use crate::error::AppResult;
use crate::hub::client::mark_deleted;
use crate::jobs::give_up;
use crate::objects::protocol::{SendAttempt, call};
use crate::store::Store;
use crate::util::{log, ms_since, rfc3339_at};

/// What one sweep did.
#[derive(Debug, Default, Serialize)]
pub struct Swept {
    pub removed: u64,
    pub requeued: u64,
    pub failed: u64,
}

/// Runs the sweep for a cron firing at `now_ms`.
pub async fn sweep(env: &Env, now_ms: f64) {
    match try_sweep(env, now_ms).await {
        Ok(s) => console_log!(
            "sweep: {} removed, {} requeued, {} failed",
            s.removed,
            s.requeued,
            s.failed
        ),
        Err(e) => console_error!("sweep failed: {e}"),
    }
}

/// Runs the sweep as if at `now_ms`.
pub async fn try_sweep(env: &Env, now_ms: f64) -> AppResult<Swept> {
    let config = Config::from_env(env);
    let max_attempts = config.max_attempts;
    let cutoff = rfc3339_at(now_ms - f64::from(config.retention_days) * 86_400_000.0);
    let stuck_cutoff = rfc3339_at(now_ms - f64::from(config.stuck_after_secs) * 1000.0);
    let store = Store::new(env)?;
    let mut swept = Swept::default();
    let mut cursor = None;
    loop {
        let page = store.list_job_keys(cursor.take()).await?;
        for key in &page.keys {
            let Some((owner, id)) = retention::parse_job_key(&key.name) else {
                continue;
            };
            let meta = match key
                .metadata
                .clone()
                .and_then(|m| serde_json::from_value::<JobMeta>(m).ok())
            {
                Some(meta) => meta,
                None => match store.get_job(owner, id).await? {
                    Some(job) => JobMeta::of(&job),
                    None => continue,
                },
            };
            if retention::expired(&meta.created_at, &cutoff) {
                store.delete_job_record(owner, id).await?;
                store.delete_pdf(owner, id).await?;
                store.delete_result(owner, id).await?;
                mark_deleted(env, owner, id).await;
                swept.removed += 1;
            } else if meta.maybe_stuck(&stuck_cutoff)
                && let Some(job) = store.get_job(owner, id).await?
            {
                match retention::unstick(&job, &stuck_cutoff, max_attempts) {
                    Some(Unstick::Requeue { attempt }) => {
                        log(LogLine::of(What::Recovered, owner, &job)
                            .duration_ms(ms_since(&job.updated_at))
                            .detail(format!(
                                "unchanged since {}; sent again as attempt {attempt}",
                                job.updated_at
                            )));
                        let again = SendAttempt {
                            owner: owner.to_owned(),
                            job_id: id.to_owned(),
                            attempt,
                            delay_secs: 0,
                            created_at: Some(job.created_at.clone()),
                        };
                        call(env, owner, again).await?;
                        swept.requeued += 1;
                    }
                    Some(Unstick::Fail) => {
                        give_up(
                            env,
                            owner,
                            id,
                            job.attempt,
                            "the job stopped making progress and was given up",
                        )
                        .await?;
                        swept.failed += 1;
                    }
                    None => {}
                }
            }
        }
        if page.list_complete || page.cursor.is_none() {
            break;
        }
        cursor = page.cursor;
    }
    Ok(swept)
}

//! After a failed attempt: the next attempt, delayed, or the end
//! (`analysis_failed`), and the end of a job whose message ran out of the
//! queue's own retries (the dead-letter queue).

use shared::delivery::oplog::{LogLine, What};
use shared::jobs::queue::{AfterFailure, after_failure};
use worker::Env;

use crate::config::Config;
use crate::error::AppResult;
use crate::jobs;
use crate::objects::protocol::{SendAttempt, call};
use crate::util::log;

/// After a failed attempt: the next attempt, delayed, or the end (judged by
/// the attempts that count: `free` ones were sent again at a hub's start).
pub(super) async fn retry_or_give_up(
    env: &Env,
    owner: &str,
    job_id: &str,
    attempt: u32,
    free: u32,
) -> AppResult<()> {
    let config = Config::from_env(env);
    // Attempts sent again at a hub's start do not count.
    let spent = shared::jobs::watchdog::spent(attempt, free);
    match after_failure(spent, config.max_attempts, config.retry_delay_secs) {
        AfterFailure::Retry { delay_secs, .. } => {
            let next = attempt + 1;
            log(LogLine::about(What::Retry, job_id, next)
                .owner(owner)
                .duration_ms(f64::from(delay_secs) * 1000.0)
                .detail(format!("attempt {attempt} failed")));
            let again = SendAttempt {
                owner: owner.to_owned(),
                job_id: job_id.to_owned(),
                attempt: next,
                delay_secs,
                created_at: None,
            };
            call(env, owner, again).await
        }
        AfterFailure::GiveUp => dead_lettered(env, owner, job_id, spent).await,
    }
}

/// The analysis ran out of attempts: the job ends in `error`.
pub(super) async fn dead_lettered(
    env: &Env,
    owner: &str,
    job_id: &str,
    attempts: u32,
) -> AppResult<()> {
    jobs::give_up(
        env,
        owner,
        job_id,
        attempts,
        "the analysis failed repeatedly and was given up",
    )
    .await
}

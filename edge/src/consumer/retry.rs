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

/// How often progress is published while a document is analysed.
/// After a failed attempt: the next attempt, delayed, or the end.
pub(super) async fn retry_or_give_up(
    env: &Env,
    owner: &str,
    job_id: &str,
    attempt: u32,
) -> AppResult<()> {
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
            let again = SendAttempt {
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

//! The queue consumer: takes each `analysis` message through the job's states
//! (`processing` → `completed` | `error`), runs `shared::analysis` on the PDF
//! from R2, stores the report in R2, publishes every change to the hub and
//! queues each new state for the job's callback (`crate::webhooks`).
//! A platform failure (KV, R2) sends the job again as the next attempt with an
//! exponential delay (`shared::jobs::queue::after_failure`); after the last attempt
//! the job ends in `error` (`analysis_failed`). A message that never gets an
//! answer (the isolate died) is redelivered by the queue and, after its
//! retries, lands on the dead-letter queue, whose messages also end their job
//! in `error`. A document that cannot be analysed ends at once with its code.
//!
//! Every message is acked or retried explicitly; the handler never returns an
//! error (the macro would panic and the isolate be reset). Writes of one job's
//! KV record are paced by `shared::jobs::pacing` (production KV: ~1 write/s per key).
//!
//! The consumer is an adapter over the job writer (`crate::jobs`): the batch
//! loop here; one analysis (`analyse`), the pages it reads and how it ends
//! (`pages`), a long document's slices and their merge (`slices`).

mod analyse;
mod pages;
mod population;
mod retry;
mod slices;

use analyse::run;
use retry::{dead_lettered, retry_or_give_up};
use slices::{Slice, run_slice};

use shared::delivery::oplog::{LogLine, What};
use shared::jobs::queue::AnalysisMessage;
use worker::{Env, MessageBatch, MessageExt, console_error, console_log, console_warn};

use crate::config::ANALYSIS_DLQ_NAME;
use crate::error::AppError;
use crate::util::log;

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
        if let AnalysisMessage::AnalyseCollectionV1 {
            owner,
            collection_id,
        } = &work
        {
            collection(&env, &queue, owner, collection_id, &message).await;
            continue;
        }
        let outcome = match &work {
            AnalysisMessage::AnalyseV1 { owner, attempt, .. }
            | AnalysisMessage::AnalysePagesV1 { owner, attempt, .. }
                if queue == ANALYSIS_DLQ_NAME =>
            {
                dead_lettered(&env, owner, &job_id, *attempt).await
            }
            AnalysisMessage::AnalyseV1 {
                owner,
                attempt,
                free,
                ..
            } => {
                let outcome = run(&env, owner, &job_id, *attempt, *free).await;
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
            AnalysisMessage::AnalyseCollectionV1 { .. } => Ok(()),
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
                | AnalysisMessage::AnalysePagesV1 { owner, attempt, .. }) = &work
                else {
                    continue;
                };
                let attempt = *attempt;
                let free = match &work {
                    AnalysisMessage::AnalyseV1 { free, .. } => *free,
                    _ => 0,
                };
                console_warn!("job {job_id}, attempt {attempt}: {e}");
                match retry_or_give_up(&env, owner, &job_id, attempt, free).await {
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

/// A collection's population: analysed, or retried by the queue when it
/// failed; from the dead-letter queue, the collection ends in `error`.
async fn collection(
    env: &Env,
    queue: &str,
    owner: &str,
    id: &str,
    message: &worker::Message<serde_json::Value>,
) {
    if queue == ANALYSIS_DLQ_NAME {
        let error = shared::contract::api::ErrorBody::new(
            shared::contract::api::ErrorCode::Internal,
            "the population could not be analysed (every retry failed)",
        );
        match population::end(env, owner, id, Some(error)).await {
            Ok(()) => message.ack(),
            Err(e) => {
                console_warn!("collection {id}: its failure could not be recorded: {e}");
                message.retry();
            }
        }
        return;
    }
    match population::run(env, owner, id).await {
        Ok(()) => message.ack(),
        Err(e) => {
            console_warn!("collection {id}: its population failed ({e}); the queue retries it");
            message.retry();
        }
    }
}

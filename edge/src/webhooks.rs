//! Webhook events on their way to the owner's hub. Job events become messages
//! on the `webhooks` queue ([`announce`]), never a request inside the
//! analysis. The queue's consumer ([`handle_batch`]) hands each event to the
//! owner's hub, which keeps it in its outbox (SQLite) and delivers it from its
//! alarm (`hub::outbox`, `hub::sender`), recording every attempt in the job's
//! log and rescheduling failures by the retry schedule.
//!
//! Why the hub and not the queue's delay for retries: under one queue
//! consumer a receiver that hangs for its 15 s holds up every delivery behind
//! it (measured: another owner's events waited 15 s). Each owner's hub has its
//! own alarm, so a bad receiver only ever delays its own owner's deliveries,
//! and the outbox survives restarts. The rules — signing, ids, schedule, what
//! each answer means — are `shared::delivery::webhooks`'.

use futures_util::future::join_all;
use shared::contract::api::Job;
use shared::delivery::webhooks::{self, WebhookMessage};
use worker::{Env, Message, MessageBatch, MessageBuilder, MessageExt, console_error, console_warn};

use crate::config::{WEBHOOKS_DLQ_NAME, WEBHOOKS_QUEUE};
use crate::objects::protocol::{Outgoing, call};

/// Queues the first attempt of a job event for its callback (if it has one).
/// A failure is logged: the job itself goes on.
pub async fn announce(env: &Env, owner: &str, job: &Job) {
    let Some(callback) = &job.callback else {
        return;
    };
    let message = WebhookMessage::DeliverV1 {
        owner: owner.to_owned(),
        job_id: job.id.clone(),
        event_id: webhooks::event_id(&job.id, job.state(), job.attempt),
        url: callback.url.clone(),
        body: webhooks::payload(job),
        attempt: 1,
    };
    if let Err(e) = send(env, &message, 0).await {
        console_error!("queueing the webhook of job {} failed: {e}", job.id);
    }
}

async fn send(env: &Env, message: &WebhookMessage, delay_secs: u32) -> worker::Result<()> {
    env.queue(WEBHOOKS_QUEUE)?
        .send(
            MessageBuilder::new(message.clone())
                .delay_seconds(delay_secs)
                .build(),
        )
        .await
}

/// Hands a batch of the `webhooks` queue to the owners' hubs, which deliver
/// (see [`attempt`]). Messages the hubs cannot take are retried by the queue;
/// after its retries they reach the dead-letter queue, where they are logged.
pub async fn handle_batch(batch: MessageBatch<serde_json::Value>, env: Env) {
    let dead = batch.queue() == WEBHOOKS_DLQ_NAME;
    let messages = match batch.messages() {
        Ok(messages) => messages,
        Err(e) => {
            console_error!("could not read a webhooks batch: {e}");
            batch.retry_all();
            return;
        }
    };
    join_all(messages.iter().map(|m| hand_over(&env, m, dead))).await;
}

async fn hand_over(env: &Env, message: &Message<serde_json::Value>, dead: bool) {
    let Ok(WebhookMessage::DeliverV1 {
        owner,
        job_id,
        event_id,
        url,
        body,
        ..
    }) = serde_json::from_value::<WebhookMessage>(message.body().clone())
    else {
        console_error!("dropping an unreadable webhook message: {}", message.body());
        message.ack();
        return;
    };
    if dead {
        console_error!(
            "webhook event {event_id} of job {job_id} could not be handed to its hub and was dropped"
        );
        message.ack();
        return;
    }
    let entry = Outgoing {
        job_id,
        event_id,
        url,
        body,
    };
    match call(env, &owner, entry.clone()).await {
        Ok(()) => message.ack(),
        Err(e) => {
            console_warn!(
                "handing webhook event {} to the hub failed: {e}",
                entry.event_id
            );
            message.retry();
        }
    }
}

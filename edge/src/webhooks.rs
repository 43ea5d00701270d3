//! Webhook delivery. Job events become messages on the `webhooks` queue
//! ([`announce`]), never a request inside the analysis. The queue's consumer
//! ([`handle_batch`]) hands each event to the owner's hub, which keeps it in
//! its outbox (SQLite) and delivers it from its alarm ([`attempt`]: check the
//! URL again, sign, POST, classify), recording every attempt in the job's log
//! and rescheduling failures by the retry schedule.
//!
//! Why the hub and not the queue's delay for retries: under one queue
//! consumer a receiver that hangs for its 15 s holds up every delivery behind
//! it (measured: another owner's events waited 15 s). Each owner's hub has its
//! own alarm, so a bad receiver only ever delays its own owner's deliveries,
//! and the outbox survives restarts. The rules — signing, ids, schedule, what
//! each answer means — are `shared::webhooks`'.

use std::time::Duration;

use futures_util::future::{Either, join_all, select};
use serde::{Deserialize, Serialize};
use shared::api::{Delivery, DeliveryOutcome, Job};
use shared::callback;
use shared::webhooks::{
    self, DELIVERY_TIMEOUT_SECS, Outcome, WebhookMessage, classify, next_delay, parse_retry_after,
    signature_header,
};
use worker::{
    AbortController, Delay, Env, Fetch, Headers, Message, MessageBatch, MessageBuilder, MessageExt,
    Method, Request, RequestInit, RequestRedirect, console_error, console_warn,
};

use crate::config::{Config, WEBHOOKS_DLQ_NAME, WEBHOOKS_QUEUE};
use crate::error::{AppError, AppResult};
use crate::events::outbox_add;
use crate::util::{now_ms, random_bytes, rfc3339_at};

/// Queues the first attempt of a job event for its callback (if it has one).
/// A failure is logged: the job itself goes on.
pub async fn announce(env: &Env, owner: &str, job: &Job) {
    let Some(callback) = &job.callback else {
        return;
    };
    let message = WebhookMessage::DeliverV1 {
        owner: owner.to_owned(),
        job_id: job.id.clone(),
        event_id: webhooks::event_id(&job.id, job.state, job.attempt),
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
    match outbox_add(env, &owner, &entry).await {
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

/// One event on its way to a receiver.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outgoing {
    pub job_id: String,
    pub event_id: String,
    pub url: String,
    pub body: String,
}

/// What one attempt gave: the entry for the job's log and, when another
/// attempt follows, its delay in seconds.
pub struct Attempted {
    pub delivery: Delivery,
    pub next_delay: Option<u32>,
}

/// What the receiver did.
enum Answer {
    /// It answered (`retry_after` from its `Retry-After`).
    Status { code: u16, retry_after: Option<u32> },
    /// No answer (network error, timeout): worth another attempt.
    Silent(String),
    /// Not sent, and it will not get better (the URL is no longer allowed,
    /// nothing to sign with): no more attempts.
    Refused(String),
}

/// Makes attempt number `attempt` of an event: checks the URL again, signs
/// with `secrets`, POSTs, and decides what follows.
pub async fn attempt(
    config: &Config,
    secrets: &[String],
    event: &Outgoing,
    attempt: u32,
) -> Attempted {
    let answer = match callback::check(&event.url, &config.callback_policy) {
        Err(refused) => Answer::Refused(refused.message),
        Ok(_) if secrets.is_empty() => {
            Answer::Refused("the owner has no webhook secret to sign with".into())
        }
        Ok(_) => {
            let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
            post(&event.url, &event.event_id, &event.body, &secrets).await
        }
    };
    let now = now_ms();
    let (status, error, outcome) = match answer {
        Answer::Status { code, retry_after } => {
            let error = (!(200..300).contains(&code)).then(|| describe(code));
            (Some(code), error, classify(code, retry_after))
        }
        Answer::Silent(error) => (None, Some(error), Outcome::Failed { retry_after: None }),
        Answer::Refused(error) => (None, Some(error), Outcome::Gone),
    };
    let (outcome, next_delay) = match outcome {
        Outcome::Delivered => (DeliveryOutcome::Delivered, None),
        Outcome::Gone if status.is_none() => (DeliveryOutcome::Failed, None),
        Outcome::Gone => (DeliveryOutcome::Disabled, None),
        Outcome::Failed { retry_after } => {
            let jitter = random_bytes::<4>()
                .map(|b| f64::from(u32::from_le_bytes(b)) / 4_294_967_296.0)
                .unwrap_or(0.5);
            match next_delay(&config.webhook_schedule, attempt, retry_after, jitter) {
                Some(delay) => (DeliveryOutcome::Retrying, Some(delay)),
                None => (DeliveryOutcome::Failed, None),
            }
        }
    };
    Attempted {
        delivery: Delivery {
            event_id: event.event_id.clone(),
            attempt,
            at: rfc3339_at(now),
            outcome,
            status,
            error,
            next_retry_at: next_delay.map(|d| rfc3339_at(now + f64::from(d) * 1000.0)),
        },
        next_delay,
    }
}

/// A failed status in words.
fn describe(status: u16) -> String {
    match status {
        300..=399 => format!("the receiver answered {status}, a redirect, which is not followed"),
        410 => "the receiver answered 410 Gone: the callback is disabled".into(),
        _ => format!("the receiver answered {status}"),
    }
}

/// One signed POST, with redirects not followed and a 15-second limit.
async fn post(url: &str, event_id: &str, body: &str, secrets: &[&str]) -> Answer {
    match try_post(url, event_id, body, secrets).await {
        Ok(answer) => answer,
        Err(e) => Answer::Silent(format!("the request could not be made: {e}")),
    }
}

async fn try_post(url: &str, event_id: &str, body: &str, secrets: &[&str]) -> AppResult<Answer> {
    let timestamp = (now_ms() / 1000.0).floor() as i64;
    let signature = signature_header(secrets, event_id, timestamp, body.as_bytes())
        .map_err(|e| AppError::Internal(format!("signing: {e}")))?;
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set("user-agent", "Docket-Webhooks/1")?;
    headers.set("webhook-id", event_id)?;
    headers.set("webhook-timestamp", &timestamp.to_string())?;
    headers.set("webhook-signature", &signature)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(body.into()));
    let request = Request::new_with_init(url, &init)?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let sent = Box::pin(fetch.send_with_signal(&signal));
    let timeout = Delay::from(Duration::from_secs(DELIVERY_TIMEOUT_SECS));
    Ok(match select(sent, timeout).await {
        Either::Left((Ok(response), _)) => {
            let retry_after = response
                .headers()
                .get("retry-after")
                .ok()
                .flatten()
                .and_then(|v| parse_retry_after(&v, (now_ms() / 1000.0) as u64));
            Answer::Status {
                code: response.status_code(),
                retry_after,
            }
        }
        Either::Left((Err(e), _)) => Answer::Silent(format!("the request failed: {e}")),
        Either::Right(_) => {
            controller.abort();
            Answer::Silent(format!("no answer within {DELIVERY_TIMEOUT_SECS} s"))
        }
    })
}

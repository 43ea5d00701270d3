//! One webhook attempt on the wire: the URL checked again, signed with the
//! owner's secrets, POSTed with redirects not followed and a 15-second limit.
//! What the answer means (`shared::delivery::webhooks::judge`) and what follows is
//! decided in `shared`; this only talks to the receiver.

use std::time::Duration;

use futures_util::future::{Either, select};
use shared::contract::api::Delivery;
use shared::contract::callback;
use shared::delivery::webhooks::{
    DELIVERY_TIMEOUT_SECS, ReceiverAnswer, judge, parse_retry_after, signature_header,
};
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
};

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::objects::protocol::Outgoing;
use crate::util::{now_ms, random_bytes, rfc3339_at};

/// Makes attempt number `attempt` of an event: the entry for the job's log
/// and, when another attempt follows, its delay in seconds.
pub async fn attempt(
    config: &Config,
    secrets: &[String],
    event: &Outgoing,
    attempt: u32,
    step: u32,
) -> (Delivery, Option<u32>) {
    let answer = match callback::check(&event.url, &config.callback_policy) {
        Err(refused) => ReceiverAnswer::Refused(refused.message),
        Ok(_) if secrets.is_empty() => {
            ReceiverAnswer::Refused("the owner has no webhook secret to sign with".into())
        }
        Ok(_) => {
            let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
            post(event, &secrets).await
        }
    };
    let now = now_ms();
    let jitter = random_bytes::<4>()
        .map(|b| f64::from(u32::from_le_bytes(b)) / 4_294_967_296.0)
        .unwrap_or(0.5);
    let judged = judge(answer, &config.webhook_schedule, step, jitter);
    let delivery = Delivery {
        event_id: event.event_id.clone(),
        attempt,
        at: rfc3339_at(now),
        outcome: judged.outcome,
        status: judged.status,
        error: judged.error,
        next_retry_at: judged
            .next_delay
            .map(|d| rfc3339_at(now + f64::from(d) * 1000.0)),
    };
    (delivery, judged.next_delay)
}

async fn post(event: &Outgoing, secrets: &[&str]) -> ReceiverAnswer {
    match try_post(event, secrets).await {
        Ok(answer) => answer,
        Err(e) => ReceiverAnswer::Silent(format!("the request could not be made: {e}")),
    }
}

async fn try_post(event: &Outgoing, secrets: &[&str]) -> AppResult<ReceiverAnswer> {
    let timestamp = (now_ms() / 1000.0).floor() as i64;
    let signature = signature_header(secrets, &event.event_id, timestamp, event.body.as_bytes())
        .map_err(|e| AppError::Internal(format!("signing: {e}")))?;
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set("user-agent", "Docket-Webhooks/1")?;
    headers.set("webhook-id", &event.event_id)?;
    headers.set("webhook-timestamp", &timestamp.to_string())?;
    headers.set("webhook-signature", &signature)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(event.body.as_str().into()));
    let request = Request::new_with_init(&event.url, &init)?;
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
            ReceiverAnswer::Status {
                code: response.status_code(),
                retry_after,
            }
        }
        Either::Left((Err(e), _)) => ReceiverAnswer::Silent(format!("the request failed: {e}")),
        Either::Right(_) => {
            controller.abort();
            ReceiverAnswer::Silent(format!("no answer within {DELIVERY_TIMEOUT_SECS} s"))
        }
    })
}

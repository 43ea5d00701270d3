//! Client callbacks (webhooks) per the Standard Webhooks specification: the
//! event ids, the body, the signature, the retry schedule and what each answer
//! of a receiver means. The worker's webhook consumer applies these rules; the
//! CLI verifies deliveries with [`verify`].
//!
//! * **Which changes are sent:** every change of a job's state or attempt
//!   (`uploaded`, `processing` for each attempt, `completed` or `error`), not
//!   progress. Each is one event with a stable id, [`event_id`], sent again
//!   under the same id on every retry, so receivers de-duplicate by
//!   `webhook-id`.
//! * **Body:** `{"type":"job.updated","job":{…}}` ([`payload`]), the job as the
//!   API shows it at that change, without its delivery log.
//! * **Headers:** `webhook-id`, `webhook-timestamp` (unix seconds of the
//!   attempt), `webhook-signature`: `v1,` + base64 HMAC-SHA256 of
//!   `"{id}.{timestamp}.{body}"` keyed with the base64-decoded part of the
//!   owner's `whsec_` secret; during a rotation's grace period one signature per
//!   secret, space-separated.
//! * **Answers:** 2xx delivers; 410 Gone disables the job's callback; anything
//!   else — another status, a redirect (never followed), a network error, no
//!   answer within [`DELIVERY_TIMEOUT_SECS`] — is retried after the next delay
//!   of the [`Schedule`] with ±10 % jitter, or after the receiver's
//!   `Retry-After` on 429 and 503, until the schedule is used up.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contract::api::{DeliveryOutcome, Job, JobState};
use crate::contract::auth::SECRET_PREFIX;

/// A receiver has this long to answer, seconds.
pub const DELIVERY_TIMEOUT_SECS: u64 = 15;
/// How far a `webhook-timestamp` may be from the verifier's clock, seconds.
pub const TIMESTAMP_TOLERANCE_SECS: i64 = 5 * 60;
/// The longest delay a queue message can have (Cloudflare Queues: 12 h).
pub const MAX_DELAY_SECS: u32 = 12 * 3600;
/// The event type of every delivery.
pub const EVENT_TYPE: &str = "job.updated";

/// Why a secret or a delivery was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the webhook secret is not `whsec_` + base64")]
    BadSecret,
    #[error("the webhook-timestamp header is not a number")]
    BadTimestamp,
    #[error("the delivery is too old or from the future ({skew_secs} s from now)")]
    Stale { skew_secs: i64 },
    #[error("no signature matches")]
    BadSignature,
    #[error("the retry schedule {0:?} is not a list like 5s,5m,30m,2h")]
    BadSchedule(String),
}

/// The HMAC key of a `whsec_…` secret.
pub fn secret_key(secret: &str) -> Result<Vec<u8>, WebhookError> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    match STANDARD.decode(encoded) {
        Ok(key) if !key.is_empty() => Ok(key),
        _ => Err(WebhookError::BadSecret),
    }
}

fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// `v1,<base64>` for one secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, WebhookError> {
    let key = secret_key(secret)?;
    let tag = mac(&key, id, timestamp, body).finalize().into_bytes();
    Ok(format!("v1,{}", STANDARD.encode(tag)))
}

/// The `webhook-signature` header: one signature per secret, space-separated.
pub fn signature_header(
    secrets: &[&str],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, WebhookError> {
    let signatures: Result<Vec<String>, _> = secrets
        .iter()
        .map(|s| sign(s, id, timestamp, body))
        .collect();
    Ok(signatures?.join(" "))
}

/// Checks a delivery against any of the `secrets` (constant-time), and that
/// its timestamp is within [`TIMESTAMP_TOLERANCE_SECS`] of `now_secs`.
pub fn verify(
    secrets: &[&str],
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now_secs: i64,
) -> Result<(), WebhookError> {
    let timestamp: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| WebhookError::BadTimestamp)?;
    let skew = now_secs - timestamp;
    if skew.abs() > TIMESTAMP_TOLERANCE_SECS {
        return Err(WebhookError::Stale { skew_secs: skew });
    }
    let offered: Vec<Vec<u8>> = signatures
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .collect();
    for secret in secrets {
        let key = secret_key(secret)?;
        for tag in &offered {
            if mac(&key, id, timestamp, body).verify_slice(tag).is_ok() {
                return Ok(());
            }
        }
    }
    Err(WebhookError::BadSignature)
}

/// The id of the event "job `job_id` reached `state` in `attempt`": the same
/// on every retry and if the change is announced twice.
pub fn event_id(job_id: &str, state: JobState, attempt: u32) -> String {
    let digest = Sha256::digest(format!("{job_id}/{}/{attempt}", state.as_str()));
    format!("msg_{}", &hex::encode(digest)[..32])
}

/// Whether a job's new version is an event for its callback, given the state
/// and attempt last announced.
pub fn is_event(last: Option<(JobState, u32)>, job: &Job) -> bool {
    job.callback.is_some() && last != Some((job.state, job.attempt))
}

/// The id of a collection's event: one per state it reaches.
pub fn collection_event_id(
    collection_id: &str,
    state: crate::contract::collection::CollectionState,
) -> String {
    let digest = Sha256::digest(format!("collection/{collection_id}/{}", state.as_str()));
    format!("msg_{}", &hex::encode(digest)[..32])
}

/// The body of a collection's delivery: `{"type": "collection.updated",
/// "collection": {…}}`.
pub fn collection_payload(collection: &crate::contract::collection::Collection) -> String {
    serde_json::json!({ "type": COLLECTION_EVENT_TYPE, "collection": collection }).to_string()
}

/// The type of a collection's event, on every channel.
pub const COLLECTION_EVENT_TYPE: &str = "collection.updated";

/// The body of a delivery.
pub fn payload(job: &Job) -> String {
    let mut job = job.clone();
    if let Some(callback) = &mut job.callback {
        callback.deliveries.clear();
    }
    #[derive(Serialize)]
    struct Body<'a> {
        r#type: &'a str,
        job: &'a Job,
    }
    serde_json::to_string(&Body {
        r#type: EVENT_TYPE,
        job: &job,
    })
    .unwrap_or_default()
}

/// One attempt of one event, as the webhooks queue carries it. The body is
/// fixed when the event happens, so every attempt sends the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum WebhookMessage {
    #[serde(rename = "deliver.v1")]
    DeliverV1 {
        owner: String,
        job_id: String,
        event_id: String,
        url: String,
        body: String,
        /// 1 for the first attempt.
        attempt: u32,
    },
}

/// The delays between attempts, in seconds: attempt 1 is immediate, attempt
/// n+1 follows the n-th delay. Written like `5s,5m,30m,2h,5h,10h,10h`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule(pub Vec<u32>);

impl Schedule {
    /// Svix's: 8 attempts over about 28 hours.
    pub const PRODUCTION: &str = "5s,5m,30m,2h,5h,10h,10h";

    pub fn parse(text: &str) -> Result<Schedule, WebhookError> {
        let bad = || WebhookError::BadSchedule(text.to_owned());
        let delays: Result<Vec<u32>, _> = text
            .split(',')
            .map(|part| {
                let part = part.trim();
                let split = part
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(part.len());
                let (number, unit) = part.split_at(split);
                let n: u32 = number.parse().map_err(|_| bad())?;
                let scale = match unit {
                    "" | "s" => 1,
                    "m" => 60,
                    "h" => 3600,
                    _ => return Err(bad()),
                };
                n.checked_mul(scale)
                    .filter(|d| *d <= MAX_DELAY_SECS)
                    .ok_or_else(bad)
            })
            .collect();
        let delays = delays?;
        if delays.is_empty() {
            return Err(bad());
        }
        Ok(Schedule(delays))
    }

    /// Attempts in all.
    pub fn max_attempts(&self) -> u32 {
        self.0.len() as u32 + 1
    }
}

/// What a receiver's answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// 410 Gone: no more deliveries for this job.
    Gone,
    /// Try again, after `retry_after` seconds when the receiver said so.
    Failed {
        retry_after: Option<u32>,
    },
}

/// Classifies a status (redirects are failures: they are never followed).
/// `retry_after` is the receiver's `Retry-After`, honoured on 429 and 503.
pub fn classify(status: u16, retry_after: Option<u32>) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        410 => Outcome::Gone,
        429 | 503 => Outcome::Failed { retry_after },
        _ => Outcome::Failed { retry_after: None },
    }
}

/// Reads a `Retry-After` value: seconds, or an HTTP date (given the time now).
pub fn parse_retry_after(value: &str, now_secs: u64) -> Option<u32> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u32>() {
        return Some(secs.min(MAX_DELAY_SECS));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let at = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(at.saturating_sub(now_secs).min(u64::from(MAX_DELAY_SECS)) as u32)
}

/// The delay before the attempt after `attempt` failed, or `None` when it was
/// the last. `jitter` is a random number in [0, 1): ±10 % of the scheduled
/// delay. A receiver's `Retry-After` replaces the scheduled delay.
pub fn next_delay(
    schedule: &Schedule,
    attempt: u32,
    retry_after: Option<u32>,
    jitter: f64,
) -> Option<u32> {
    let scheduled = *schedule.0.get(attempt.checked_sub(1)? as usize)?;
    if let Some(asked) = retry_after {
        return Some(asked.min(MAX_DELAY_SECS));
    }
    let factor = 0.9 + 0.2 * jitter.clamp(0.0, 1.0);
    Some(((f64::from(scheduled) * factor).round() as u32).min(MAX_DELAY_SECS))
}

/// What became of one attempt, as the delivery side saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiverAnswer {
    /// The receiver answered `code` (`retry_after` from its `Retry-After`).
    Status { code: u16, retry_after: Option<u32> },
    /// No answer (network error, timeout): worth another attempt.
    Silent(String),
    /// Not sent, and it will not get better (the URL is no longer allowed,
    /// nothing to sign with): no more attempts.
    Refused(String),
}

/// The judgement of one attempt: its outcome for the job's log, the status and
/// the error in words, and the delay before the next attempt when one follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub outcome: DeliveryOutcome,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub next_delay: Option<u32>,
}

/// Decides what attempt number `attempt` of an event led to: delivered,
/// retried (after the schedule's delay with `jitter` in [0, 1), or the
/// receiver's `Retry-After`), failed for good, or disabled by a 410.
pub fn judge(answer: ReceiverAnswer, schedule: &Schedule, attempt: u32, jitter: f64) -> Judgement {
    let (status, error, outcome) = match answer {
        ReceiverAnswer::Status { code, retry_after } => {
            let error = (!(200..300).contains(&code)).then(|| describe_status(code));
            (Some(code), error, classify(code, retry_after))
        }
        ReceiverAnswer::Silent(error) => (None, Some(error), Outcome::Failed { retry_after: None }),
        ReceiverAnswer::Refused(error) => (None, Some(error), Outcome::Gone),
    };
    let (outcome, next_delay) = match outcome {
        Outcome::Delivered => (DeliveryOutcome::Delivered, None),
        Outcome::Gone if status.is_none() => (DeliveryOutcome::Failed, None),
        Outcome::Gone => (DeliveryOutcome::Disabled, None),
        Outcome::Failed { retry_after } => {
            match next_delay(schedule, attempt, retry_after, jitter) {
                Some(delay) => (DeliveryOutcome::Retrying, Some(delay)),
                None => (DeliveryOutcome::Failed, None),
            }
        }
    };
    Judgement {
        outcome,
        status,
        error,
        next_delay,
    }
}

/// A failed status in words.
fn describe_status(status: u16) -> String {
    match status {
        300..=399 => format!("the receiver answered {status}, a redirect, which is not followed"),
        410 => "the receiver answered 410 Gone: the callback is disabled".into(),
        _ => format!("the receiver answered {status}"),
    }
}

/// `GET /api/v1/webhook-secret` and `POST /api/v1/webhook-secret/rotate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretResponse {
    /// The secret deliveries are signed with (`whsec_…`).
    pub webhook_secret: String,
    /// After a rotation: until when (RFC 3339) the previous secret signs too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_valid_until: Option<String>,
}

/// An owner's signing secrets: the current one and, for a grace period after
/// a rotation, the one before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Secrets {
    pub current: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousSecret>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviousSecret {
    pub secret: String,
    /// Milliseconds since the epoch.
    pub until_ms: f64,
}

impl Secrets {
    pub fn new(current: String) -> Secrets {
        Secrets {
            current,
            previous: None,
        }
    }

    /// The secrets to sign with at `now_ms`, current first.
    pub fn signing(&self, now_ms: f64) -> Vec<&str> {
        let mut secrets = vec![self.current.as_str()];
        if let Some(previous) = &self.previous
            && now_ms < previous.until_ms
        {
            secrets.push(previous.secret.as_str());
        }
        secrets
    }

    /// Replaces the current secret; the old one signs too until
    /// `now_ms + grace_ms`.
    pub fn rotate(&mut self, new: String, now_ms: f64, grace_ms: f64) {
        let old = std::mem::replace(&mut self.current, new);
        self.previous = Some(PreviousSecret {
            secret: old,
            until_ms: now_ms + grace_ms,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::api::Callback;

    // The example of the Standard Webhooks specification's reference tests.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const EXPECTED: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn job(state: JobState, attempt: u32) -> Job {
        Job {
            id: "6f1c1f5e-4b0a-4c1e-9a55-2b1f0c3d4e5f".into(),
            version: 1,
            state,
            filename: "a.pdf".into(),
            size_bytes: 1,
            sha256: "00".into(),
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
            attempt,
            progress: None,
            error: None,
            callback: Some(Callback {
                url: "https://example.com/hook".into(),
                deliveries: vec![],
                disabled: false,
            }),
            warnings: Vec::new(),
            queue: None,
            roles: None,
            columns: None,
            collection: None,
        }
    }

    #[test]
    fn signs_like_the_reference_implementations() {
        assert_eq!(sign(SECRET, ID, TS, BODY).unwrap(), EXPECTED);
        // Without the prefix, the same key.
        assert_eq!(sign(&SECRET[6..], ID, TS, BODY).unwrap(), EXPECTED);
    }

    #[test]
    fn verify_accepts_any_listed_signature_and_refuses_the_rest() {
        let other = "whsec_c2Vjb25kLXNlY3JldC1mb3ItdGVzdHM=";
        let both = signature_header(&[other, SECRET], ID, TS, BODY).unwrap();
        assert_eq!(both.split(' ').count(), 2);
        let ts = TS.to_string();
        assert!(verify(&[SECRET], ID, &ts, &both, BODY, TS).is_ok());
        assert!(verify(&[other], ID, &ts, EXPECTED, BODY, TS).is_err());
        assert_eq!(
            verify(&[SECRET], ID, &ts, EXPECTED, b"{}", TS),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify(&[SECRET], "msg_other", &ts, EXPECTED, BODY, TS),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify(&[SECRET], ID, &ts, "v2,abc v1,!!!", BODY, TS),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify(&[SECRET], ID, &ts, EXPECTED, BODY, TS + 301),
            Err(WebhookError::Stale { skew_secs: 301 })
        );
        assert_eq!(
            verify(&[SECRET], ID, &ts, EXPECTED, BODY, TS - 301),
            Err(WebhookError::Stale { skew_secs: -301 })
        );
        assert!(verify(&[SECRET], ID, &ts, EXPECTED, BODY, TS + 299).is_ok());
        assert_eq!(
            verify(&[SECRET], ID, "soon", EXPECTED, BODY, TS),
            Err(WebhookError::BadTimestamp)
        );
        assert_eq!(secret_key("whsec_!!"), Err(WebhookError::BadSecret));
        assert_eq!(secret_key("whsec_"), Err(WebhookError::BadSecret));
    }

    #[test]
    fn events_are_state_and_attempt_changes_with_stable_ids() {
        let uploaded = job(JobState::Uploaded, 0);
        assert!(is_event(None, &uploaded));
        assert!(!is_event(Some((JobState::Uploaded, 0)), &uploaded));
        let processing = job(JobState::Processing, 1);
        assert!(is_event(Some((JobState::Uploaded, 0)), &processing));
        assert!(is_event(
            Some((JobState::Processing, 1)),
            &job(JobState::Processing, 2)
        ));
        let mut no_callback = processing.clone();
        no_callback.callback = None;
        assert!(!is_event(None, &no_callback));

        let id = event_id(&uploaded.id, JobState::Processing, 1);
        assert_eq!(id, event_id(&uploaded.id, JobState::Processing, 1));
        assert_ne!(id, event_id(&uploaded.id, JobState::Processing, 2));
        assert_ne!(id, event_id(&uploaded.id, JobState::Completed, 1));
        assert!(id.starts_with("msg_") && id.len() == 36);
    }

    #[test]
    fn the_body_is_the_job_without_its_delivery_log() {
        let mut j = job(JobState::Completed, 1);
        if let Some(c) = &mut j.callback {
            c.deliveries.push(crate::contract::api::Delivery {
                event_id: "msg_x".into(),
                attempt: 1,
                at: "t".into(),
                outcome: crate::contract::api::DeliveryOutcome::Delivered,
                status: Some(200),
                error: None,
                next_retry_at: None,
            });
        }
        let body: serde_json::Value = serde_json::from_str(&payload(&j)).unwrap();
        assert_eq!(body["type"], "job.updated");
        assert_eq!(body["job"]["state"], "completed");
        assert_eq!(body["job"]["callback"]["deliveries"], serde_json::json!([]));
    }

    #[test]
    fn schedules_parse_and_bound_the_attempts() {
        let production = Schedule::parse(Schedule::PRODUCTION).unwrap();
        assert_eq!(production.0, vec![5, 300, 1800, 7200, 18000, 36000, 36000]);
        assert_eq!(production.max_attempts(), 8);
        assert_eq!(Schedule::parse("1, 2,4s").unwrap().0, vec![1, 2, 4]);
        for bad in ["", "5x", "m", "-1", "13h", "1,,2"] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn delays_follow_the_schedule_with_jitter_or_the_receiver() {
        let s = Schedule::parse("10s,100s").unwrap();
        assert_eq!(next_delay(&s, 1, None, 0.5), Some(10));
        assert_eq!(next_delay(&s, 1, None, 0.0), Some(9));
        assert_eq!(next_delay(&s, 2, None, 0.999), Some(110));
        // After the last attempt: nothing.
        assert_eq!(next_delay(&s, 3, None, 0.5), None);
        assert_eq!(next_delay(&s, 0, None, 0.5), None);
        // The receiver's Retry-After wins, within the queue's limit.
        assert_eq!(next_delay(&s, 1, Some(42), 0.5), Some(42));
        assert_eq!(next_delay(&s, 1, Some(u32::MAX), 0.5), Some(MAX_DELAY_SECS));
    }

    #[test]
    fn answers_are_classified() {
        assert_eq!(classify(200, None), Outcome::Delivered);
        assert_eq!(classify(204, Some(5)), Outcome::Delivered);
        assert_eq!(classify(410, None), Outcome::Gone);
        assert_eq!(
            classify(503, Some(7)),
            Outcome::Failed {
                retry_after: Some(7)
            }
        );
        assert_eq!(
            classify(429, Some(7)),
            Outcome::Failed {
                retry_after: Some(7)
            }
        );
        // Retry-After is only honoured on 429 and 503; redirects are failures.
        for status in [301, 302, 307, 400, 404, 500] {
            assert_eq!(
                classify(status, Some(7)),
                Outcome::Failed { retry_after: None }
            );
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("120", 0), Some(120));
        assert_eq!(parse_retry_after("99999999", 0), Some(MAX_DELAY_SECS));
        // 1994-11-06 08:49:37 GMT = 784111777.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_700),
            Some(77)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_800),
            Some(0)
        );
        assert_eq!(parse_retry_after("soon", 0), None);
    }

    #[test]
    fn a_rotation_signs_with_both_secrets_for_the_grace_period() {
        let mut secrets = Secrets::new("whsec_b2xk".into());
        assert_eq!(secrets.signing(0.0), vec!["whsec_b2xk"]);
        secrets.rotate("whsec_bmV3".into(), 1_000.0, 500.0);
        assert_eq!(secrets.signing(1_200.0), vec!["whsec_bmV3", "whsec_b2xk"]);
        assert_eq!(secrets.signing(1_500.0), vec!["whsec_bmV3"]);
    }

    #[test]
    fn each_answer_is_judged_once_here() {
        let schedule = Schedule::parse("5s,5m").unwrap();
        let status = |code, retry_after| ReceiverAnswer::Status { code, retry_after };
        let ok = judge(status(204, None), &schedule, 1, 0.5);
        assert_eq!(
            (ok.outcome, ok.status, ok.error, ok.next_delay),
            (DeliveryOutcome::Delivered, Some(204), None, None)
        );
        let retry = judge(status(500, None), &schedule, 1, 0.5);
        assert_eq!(
            (retry.outcome, retry.next_delay),
            (DeliveryOutcome::Retrying, Some(5))
        );
        assert_eq!(retry.error.as_deref(), Some("the receiver answered 500"));
        let asked = judge(status(503, Some(40)), &schedule, 2, 0.5);
        assert_eq!(
            (asked.outcome, asked.next_delay),
            (DeliveryOutcome::Retrying, Some(40))
        );
        let last = judge(status(500, None), &schedule, 3, 0.5);
        assert_eq!(
            (last.outcome, last.next_delay),
            (DeliveryOutcome::Failed, None)
        );
        let gone = judge(status(410, None), &schedule, 1, 0.5);
        assert_eq!(
            (gone.outcome, gone.next_delay),
            (DeliveryOutcome::Disabled, None)
        );
        let redirect = judge(status(302, None), &schedule, 1, 0.5);
        assert_eq!(redirect.outcome, DeliveryOutcome::Retrying);
        assert!(redirect.error.unwrap().contains("redirect"));
        let silent = judge(ReceiverAnswer::Silent("timeout".into()), &schedule, 1, 0.5);
        assert_eq!(
            (silent.outcome, silent.status),
            (DeliveryOutcome::Retrying, None)
        );
        let refused = judge(ReceiverAnswer::Refused("private".into()), &schedule, 1, 0.5);
        assert_eq!(
            (refused.outcome, refused.next_delay),
            (DeliveryOutcome::Failed, None)
        );
    }
}

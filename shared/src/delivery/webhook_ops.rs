//! Operating an owner's webhooks: which events they announce
//! ([`Settings`], `GET`/`PUT /webhooks/settings`) and what a replay sends
//! again (`POST /webhooks/replay?since=`): every event since then whose
//! delivery has not succeeded — still retrying, failed after the whole
//! schedule, or stopped by a receiver that disabled its callback — under its
//! original `webhook-id`, so receivers that de-duplicate take each once.

use serde::{Deserialize, Serialize};

use crate::contract::api::{ErrorBody, ErrorCode, JobState};
use crate::contract::collection::CollectionState;

/// Which job states, and which collection states, an owner's webhooks
/// announce; every state by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub events: Vec<JobState>,
    /// Announced to a collection's `callback_url` (absent from settings
    /// saved before collections: every state).
    #[serde(default = "every_collection_state")]
    pub collection_events: Vec<CollectionState>,
}

fn every_collection_state() -> Vec<CollectionState> {
    CollectionState::ALL.to_vec()
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            events: JobState::ALL.to_vec(),
            collection_events: every_collection_state(),
        }
    }
}

impl Settings {
    /// Reads a `PUT` body: `{"events": [states]}`, each state once (repeats
    /// are dropped), in lifecycle order.
    pub fn parse(body: &str) -> Result<Settings, ErrorBody> {
        let mut settings: Settings = serde_json::from_str(body).map_err(|e| {
            let names: Vec<&str> = JobState::ALL.iter().map(|s| s.as_str()).collect();
            ErrorBody::new(
                ErrorCode::BadRequest,
                format!(
                    "the body must be {{\"events\": [states], \"collection_events\"?: [collection \
                     states]}} with states among {} and collection states among {} ({e})",
                    names.join(", "),
                    CollectionState::ALL.map(CollectionState::as_str).join(", ")
                ),
            )
        })?;
        settings.events = JobState::ALL
            .into_iter()
            .filter(|s| settings.events.contains(s))
            .collect();
        settings.collection_events = CollectionState::ALL
            .into_iter()
            .filter(|s| settings.collection_events.contains(s))
            .collect();
        Ok(settings)
    }

    /// Whether a change to `state` is announced.
    pub fn wants(&self, state: JobState) -> bool {
        self.events.contains(&state)
    }

    /// Whether a collection's change to `state` is announced.
    pub fn wants_collection(&self, state: CollectionState) -> bool {
        self.collection_events.contains(&state)
    }
}

/// The state a webhook body (`{"type":"job.updated","job":{…}}`) announces.
pub fn announced_state(body: &str) -> Option<JobState> {
    #[derive(Deserialize)]
    struct Body {
        job: JobHead,
    }
    #[derive(Deserialize)]
    struct JobHead {
        state: JobState,
    }
    serde_json::from_str::<Body>(body).ok().map(|b| b.job.state)
}

/// Where an event of the outbox stands. Delivered events leave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Waiting for its first or next attempt.
    Pending,
    /// Every attempt of the schedule failed.
    Failed,
    /// The receiver answered 410 Gone for its job.
    Disabled,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Pending => "pending",
            Standing::Failed => "failed",
            Standing::Disabled => "disabled",
        }
    }

    pub fn parse(text: &str) -> Standing {
        match text {
            "failed" => Standing::Failed,
            "disabled" => Standing::Disabled,
            _ => Standing::Pending,
        }
    }
}

/// What `POST /webhooks/replay` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replayed {
    /// Events sent again (due now, from the first attempt of the schedule).
    pub replayed: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_take_known_states_once_in_order() {
        let s = Settings::parse(r#"{"events":["error","completed","error"]}"#).unwrap();
        assert_eq!(s.events, vec![JobState::Completed, JobState::Error]);
        assert!(s.wants(JobState::Completed));
        assert!(!s.wants(JobState::Uploaded));
        assert_eq!(Settings::parse(r#"{"events":[]}"#).unwrap().events, vec![]);
        assert!(Settings::default().wants(JobState::Cancelled));
        // Settings saved before collections announce every collection state.
        assert!(s.wants_collection(CollectionState::Partial));
        let c = Settings::parse(r#"{"events":[],"collection_events":["completed","open","open"]}"#)
            .unwrap();
        assert_eq!(
            c.collection_events,
            vec![CollectionState::Open, CollectionState::Completed]
        );
        assert!(!c.wants_collection(CollectionState::Processing));
    }

    #[test]
    fn bad_settings_say_what_is_expected() {
        for body in [
            r#"{"events":["done"]}"#,
            "[]",
            r#"{"events":"completed"}"#,
            r#"{"event":[]}"#,
        ] {
            let err = Settings::parse(body).unwrap_err();
            assert_eq!(err.code, ErrorCode::BadRequest, "{body}");
            assert!(
                err.message.contains("uploaded, processing"),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn the_announced_state_is_read_from_the_body() {
        let body = r#"{"type":"job.updated","job":{"id":"j","state":"completed"}}"#;
        assert_eq!(announced_state(body), Some(JobState::Completed));
        assert_eq!(announced_state("{}"), None);
    }

    #[test]
    fn standings_round_trip() {
        for s in [Standing::Pending, Standing::Failed, Standing::Disabled] {
            assert_eq!(Standing::parse(s.as_str()), s);
        }
    }
}

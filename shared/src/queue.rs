//! The messages on the `analysis` queue: a tagged, versioned enum that carries
//! ids and an attempt count, never document bytes (queue messages are limited to
//! 128 KB; the PDF is in R2).

use serde::{Deserialize, Serialize};

/// One message on the `analysis` queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AnalysisMessage {
    /// Analyse one job. `attempt` starts at 1.
    #[serde(rename = "analyse.v1")]
    AnalyseV1 {
        owner: String,
        job_id: String,
        attempt: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format_is_tagged_and_versioned() {
        let msg = AnalysisMessage::AnalyseV1 {
            owner: "o".into(),
            job_id: "j".into(),
            attempt: 1,
        };
        let json = serde_json::to_value(&msg).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type":"analyse.v1","owner":"o","job_id":"j","attempt":1})
        );
        assert_eq!(
            serde_json::from_value::<AnalysisMessage>(json).unwrap(),
            msg
        );
    }

    #[test]
    fn unknown_versions_are_refused() {
        let json = serde_json::json!({"type":"analyse.v9","owner":"o","job_id":"j","attempt":1});
        assert!(serde_json::from_value::<AnalysisMessage>(json).is_err());
    }
}

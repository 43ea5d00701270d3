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
        /// Of the attempts so far, those sent again at a hub's start, which
        /// do not count against the limit (`watchdog::spent`).
        #[serde(default)]
        free: u32,
    },
    /// Analyse pages `first..=last` (1-based) of a job fanned out in slices
    /// ([`slices`]); the job's `attempt` it belongs to.
    #[serde(rename = "analyse_pages.v1")]
    AnalysePagesV1 {
        owner: String,
        job_id: String,
        attempt: u32,
        first: u32,
        last: u32,
    },
    /// Analyse the population of a collection whose documents have all
    /// ended (`crate::jobs::collection`), from their partial results.
    #[serde(rename = "analyse_collection.v1")]
    AnalyseCollectionV1 {
        owner: String,
        collection_id: String,
    },
}

impl AnalysisMessage {
    pub fn job_id(&self) -> &str {
        match self {
            AnalysisMessage::AnalyseV1 { job_id, .. }
            | AnalysisMessage::AnalysePagesV1 { job_id, .. } => job_id,
            AnalysisMessage::AnalyseCollectionV1 { collection_id, .. } => collection_id,
        }
    }
}

/// Pages per slice: a document with more pages than this is analysed in
/// slices of this many (`SLICE_PAGES`).
pub const DEFAULT_SLICE_PAGES: u32 = 500;

/// The slices of a document of `pages` pages, `size` pages each (the last
/// one shorter): `(first, last)`, 1-based, in order. One slice when the
/// document is no longer than `size`.
pub fn slices(pages: u32, size: u32) -> Vec<(u32, u32)> {
    let size = size.max(1);
    (0..pages.div_ceil(size))
        .map(|i| (i * size + 1, ((i + 1) * size).min(pages)))
        .collect()
}

/// Analysis attempts before a job ends in `error` (`analysis_failed`).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Longest wait before a retry, in seconds.
pub const MAX_RETRY_DELAY_SECS: u32 = 300;

/// What follows a failed attempt (a platform failure, not a bad document:
/// those end the job at once with their own code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Send the job again as `attempt`, after `delay_secs`.
    Retry { attempt: u32, delay_secs: u32 },
    /// Out of attempts: the job ends in `error`.
    GiveUp,
}

/// Exponential backoff: `base`, 2·`base`, 4·`base`, … capped at
/// [`MAX_RETRY_DELAY_SECS`].
pub fn after_failure(attempt: u32, max_attempts: u32, base_delay_secs: u32) -> AfterFailure {
    if attempt >= max_attempts {
        return AfterFailure::GiveUp;
    }
    let factor = 1u32
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX);
    AfterFailure::Retry {
        attempt: attempt + 1,
        delay_secs: base_delay_secs
            .saturating_mul(factor)
            .min(MAX_RETRY_DELAY_SECS),
    }
}

/// What the owner's hub answers a fanned-out job's planner: the slices to
/// send (those not done by an earlier attempt), or — every slice done
/// already, the merge not made — merge now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub send: Vec<(u32, u32)>,
    pub merge: bool,
}

/// What the hub answers a slice that is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FanIn {
    /// The last one in: merge the partial results.
    Merge,
    /// Slices are still out (or another slice merges).
    Wait,
    /// The hub knows no such slice (the job ended or was deleted).
    Unknown,
}

/// The last one in merges: a slice that finds no slice left undone and
/// nobody merging yet is told to merge (and the hub notes it merges).
pub fn fan_in(known: bool, undone: u64, merging: bool) -> FanIn {
    match (known, undone, merging) {
        (false, _, _) => FanIn::Unknown,
        (true, 0, false) => FanIn::Merge,
        _ => FanIn::Wait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_one_in_merges_and_only_once() {
        assert_eq!(fan_in(true, 0, false), FanIn::Merge);
        assert_eq!(fan_in(true, 0, true), FanIn::Wait);
        assert_eq!(fan_in(true, 2, false), FanIn::Wait);
        assert_eq!(fan_in(false, 0, false), FanIn::Unknown);
    }

    #[test]
    fn slices_cover_every_page_once_in_order() {
        assert_eq!(slices(1200, 500), vec![(1, 500), (501, 1000), (1001, 1200)]);
        assert_eq!(slices(500, 500), vec![(1, 500)]);
        assert_eq!(slices(501, 500), vec![(1, 500), (501, 501)]);
        assert_eq!(slices(0, 500), vec![]);
        assert_eq!(slices(3, 0), vec![(1, 1), (2, 2), (3, 3)]);
        for (pages, size) in [(1, 1), (999, 7), (50_000, 500), (12_345, 1_000)] {
            let all = slices(pages, size);
            let mut next = 1;
            for (first, last) in all {
                assert_eq!(first, next);
                assert!(last >= first && last - first < size);
                next = last + 1;
            }
            assert_eq!(next, pages + 1);
        }
    }

    #[test]
    fn the_pages_message_reads_as_it_is_written() {
        let message = AnalysisMessage::AnalysePagesV1 {
            owner: "o".into(),
            job_id: "j".into(),
            attempt: 2,
            first: 501,
            last: 1000,
        };
        let json = serde_json::to_value(&message).expect("json");
        assert_eq!(json["type"], "analyse_pages.v1");
        assert_eq!(json["first"], 501);
        assert_eq!(
            serde_json::from_value::<AnalysisMessage>(json).ok(),
            Some(message)
        );
    }

    #[test]
    fn backoff_doubles_and_gives_up() {
        assert_eq!(
            after_failure(1, 3, 5),
            AfterFailure::Retry {
                attempt: 2,
                delay_secs: 5
            }
        );
        assert_eq!(
            after_failure(2, 3, 5),
            AfterFailure::Retry {
                attempt: 3,
                delay_secs: 10
            }
        );
        assert_eq!(after_failure(3, 3, 5), AfterFailure::GiveUp);
        assert_eq!(after_failure(9, 3, 5), AfterFailure::GiveUp);
        assert_eq!(
            after_failure(20, 40, 5),
            AfterFailure::Retry {
                attempt: 21,
                delay_secs: MAX_RETRY_DELAY_SECS
            }
        );
        assert_eq!(
            after_failure(1, 3, 0),
            AfterFailure::Retry {
                attempt: 2,
                delay_secs: 0
            }
        );
    }

    #[test]
    fn wire_format_is_tagged_and_versioned() {
        let msg = AnalysisMessage::AnalyseV1 {
            owner: "o".into(),
            job_id: "j".into(),
            attempt: 1,
            free: 0,
        };
        let json = serde_json::to_value(&msg).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type":"analyse.v1","owner":"o","job_id":"j","attempt":1,"free":0})
        );
        assert_eq!(
            serde_json::from_value::<AnalysisMessage>(json).unwrap(),
            msg
        );
        // A message from before free attempts reads as none free.
        let old = serde_json::json!({"type":"analyse.v1","owner":"o","job_id":"j","attempt":1});
        assert_eq!(serde_json::from_value::<AnalysisMessage>(old).unwrap(), msg);
    }

    #[test]
    fn unknown_versions_are_refused() {
        let json = serde_json::json!({"type":"analyse.v9","owner":"o","job_id":"j","attempt":1});
        assert!(serde_json::from_value::<AnalysisMessage>(json).is_err());
    }
}

//! The analysis queue's line, all owners together: where a waiting job
//! stands ([`QueueInfo::position`]) and when it should be done
//! ([`QueueInfo::eta_seconds`]), and — while it is analysed — when the rest
//! of its pages should be done ([`processing_eta_seconds`]). The `Line`
//! Durable Object keeps the waiting and running jobs and the recent
//! analyses; these are its rules.
//!
//! The estimate is measured, not modelled: for each of the last [`RECENT`]
//! analyses the line keeps how many jobs were before it (waiting or
//! running) when it was sent and how long it then took to its end. Their
//! ratio is the line's time per job — the throughput of however many
//! consumers run at once, and the fixed delays of the queue and the writes
//! spread over it — and a waiting job should be done after that time for
//! each job before it now, and its own ([`place`]).

use serde::{Deserialize, Serialize};

use crate::contract::api::QueueInfo;

/// Analyses remembered for the estimate.
pub const RECENT: usize = 50;
/// The time per job before anything was measured.
pub const DEFAULT_MS: f64 = 1_000.0;

/// One finished analysis: the jobs before it when it was sent, and the time
/// from then to its end.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub before: u32,
    pub ms: f64,
}

/// The line's time per job from `recent` analyses (ms): all their time over
/// all the jobs they waited for, themselves included.
pub fn per_job_ms(recent: &[Sample]) -> f64 {
    let jobs: f64 = recent.iter().map(|s| f64::from(s.before) + 1.0).sum();
    if jobs == 0.0 {
        return DEFAULT_MS;
    }
    recent.iter().map(|s| s.ms).sum::<f64>() / jobs
}

/// Where a waiting job stands: `waiting_ahead` jobs wait before it and
/// `running` are being analysed.
pub fn place(recent: &[Sample], waiting_ahead: u32, running: u32) -> QueueInfo {
    let before = waiting_ahead.saturating_add(running);
    let ms = per_job_ms(recent) * (f64::from(before) + 1.0);
    QueueInfo {
        position: waiting_ahead.saturating_add(1),
        eta_seconds: (ms / 1000.0).round().max(1.0) as u32,
    }
}

/// When the rest of a running analysis should be done: its own pace so far
/// (`None` before the first page).
pub fn processing_eta_seconds(elapsed_ms: f64, pages_done: u32, pages_total: u32) -> Option<u32> {
    if pages_done == 0 {
        return None;
    }
    let left = f64::from(pages_total.saturating_sub(pages_done));
    Some((elapsed_ms / f64::from(pages_done) * left / 1000.0).ceil() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(before: u32, ms: f64) -> Sample {
        Sample { before, ms }
    }

    #[test]
    fn the_time_per_job_is_measured_time_over_jobs_waited_for() {
        assert_eq!(per_job_ms(&[]), DEFAULT_MS);
        // 3 s for itself and 2 before it, 1 s alone: 4 s over 4 jobs.
        assert_eq!(per_job_ms(&[s(2, 3_000.0), s(0, 1_000.0)]), 1_000.0);
    }

    #[test]
    fn a_place_counts_every_job_before_it_and_its_own() {
        let recent = [s(0, 500.0), s(3, 2_000.0)];
        // 500 ms a job; 2 waiting ahead and 1 running: 4 jobs, 2 s.
        assert_eq!(
            place(&recent, 2, 1),
            QueueInfo {
                position: 3,
                eta_seconds: 2
            }
        );
        assert_eq!(place(&recent, 0, 0).position, 1);
        assert_eq!(place(&recent, 0, 0).eta_seconds, 1, "never 0");
    }

    #[test]
    fn a_running_analysis_is_timed_by_its_own_pages() {
        assert_eq!(processing_eta_seconds(2_000.0, 0, 10), None);
        assert_eq!(processing_eta_seconds(2_000.0, 4, 10), Some(3));
        assert_eq!(processing_eta_seconds(2_000.0, 10, 10), Some(0));
    }
}

//! The watchdog's rules: when an unfinished job counts as stalled, and which
//! analysis attempt may run. Each owner's hub keeps a [`Watch`] of every
//! unfinished job — the attempt that is current, whether it waits in the queue
//! or runs, and since when — and its alarm fires at the earliest
//! [`stalls_at`]; a stalled job is sent again as the next attempt (past the
//! last one, the consumer ends it in `error`). A consumer runs a message only
//! if [`may_run`] says its attempt is the current one, so a first message that
//! was only slow never makes a second analysis once the next was sent.
//!
//! The bounds:
//! * **running** ([`RUNNING_STALL_MS`], 30 s): the consumer publishes progress
//!   every 250 ms while it reads pages, and a Worker's queue invocation has
//!   30 s of CPU by default, so an attempt silent for 30 s is dead (its
//!   isolate crashed, the server was killed, the message was lost);
//! * **queued** ([`QUEUED_BASE_MS`] + [`QUEUED_PER_JOB_AHEAD_MS`] for each of
//!   the owner's unfinished jobs created before it): a hub cannot see the
//!   global queue, only its owner's jobs ahead, so the bound grows with them
//!   and leaves room for other owners' work.
//!
//! **At a hub's start** nothing waits for those bounds ([`at_boot`]): a hub
//! that starts anew (the server restarted, or the object was moved) sends
//! every queued job and every running one silent for [`BOOT_QUIET_MS`] again
//! at once — a restart loses the local queue's messages, and where the old
//! message survives it is only dropped as older when claimed. Such a send is
//! *free*: it does not count against the attempts a job has ([`spent`]).
//! While a hub watches unfinished jobs its alarm is never further away than
//! [`BOOT_CHECK_MS`], so a restarted hub wakes by itself.

use serde::{Deserialize, Serialize};

/// A running attempt with no sign of life for this long has stalled.
pub const RUNNING_STALL_MS: f64 = 30_000.0;
/// A queued attempt not picked up for this long (plus the allowance for the
/// jobs ahead) has stalled.
pub const QUEUED_BASE_MS: f64 = 30_000.0;
/// The allowance for each of the owner's unfinished jobs ahead in the queue.
pub const QUEUED_PER_JOB_AHEAD_MS: f64 = 10_000.0;

/// A running attempt silent this long when its hub starts anew is taken for
/// dead: a consumer reports progress every 250 ms, and a hub with a job
/// running is never idle long enough to be moved, so a new hub means a
/// restart.
pub const BOOT_QUIET_MS: f64 = 1_000.0;
/// While a hub watches unfinished jobs, its alarm is at most this far away.
pub const BOOT_CHECK_MS: f64 = 5_000.0;
/// Jobs a starting hub sends again in one invocation (each send is a few
/// subrequests); the next batch follows in the next alarm, at once.
pub const BOOT_BATCH: u32 = 100;

/// A moving queue restarts the silence of the owner's queued jobs once it
/// is older than this (each restart rewrites their rows).
pub const QUEUE_MOVES_EVERY_MS: f64 = 5_000.0;

/// Where the current attempt is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Sent to the queue (or uploaded), not yet picked up.
    Queued,
    /// A consumer claimed it.
    Running,
    /// Its owner asked to cancel it: no attempt may run any more, and the
    /// one running (if any) stops at its next page and writes `cancelled`.
    Cancelling,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Queued => "queued",
            Phase::Running => "running",
            Phase::Cancelling => "cancelling",
        }
    }

    pub fn parse(text: &str) -> Phase {
        match text {
            "running" => Phase::Running,
            "cancelling" => Phase::Cancelling,
            _ => Phase::Queued,
        }
    }
}

/// What the hub knows of one unfinished job.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Watch {
    /// The attempt allowed to run (0 before the first is sent).
    pub attempt: u32,
    pub phase: Phase,
    /// When it last moved (or when its current attempt becomes due), ms.
    pub since_ms: f64,
    /// Attempts sent again at a hub's start ([`at_boot`]): they do not
    /// count against the job's limit.
    pub free: u32,
}

/// The attempts of a job that count against its limit: `attempt` less the
/// free ones.
pub fn spent(attempt: u32, free: u32) -> u32 {
    attempt.saturating_sub(free)
}

/// Whether sending a stalled job again uses up one of its attempts. Only an
/// attempt that ran and fell silent does: the document itself may be what
/// kills the isolate, so those sends are limited. A message still waiting
/// when its bound passed was slow (behind other owners' long analyses, which
/// a hub does not see) or lost, and the document was never tried: sending it
/// again is free, so a busy queue never fails a job (the late message is
/// dropped at its claim, and the sweep is the backstop for a queue that
/// delivers nothing).
pub fn resend_counts(phase: Phase) -> bool {
    phase == Phase::Running
}

/// A queued job past its bound that the queue's line still shows behind
/// others (`position` > 1 in the whole deployment's line — it counts from
/// 1 —, which a hub's own count of jobs ahead does not see) is waiting,
/// not lost: its silence
/// counts again from now plus what the line expects its wait to be, at
/// most [`QUEUED_BASE_MS`] more. `None`: not in the line (its message may be
/// lost, or it is a fanned-out job's slices), or first in it and still not
/// taken — sent again.
pub fn still_in_line(place: Option<crate::contract::api::QueueInfo>) -> Option<f64> {
    let place = place.filter(|p| p.position > 1)?;
    Some((f64::from(place.eta_seconds) * 1000.0).min(QUEUED_BASE_MS))
}

/// What a hub that has just started does with a watched job: `Some(delay)`
/// sends it again (a delayed retry keeps what is left of its delay, ms);
/// `None` leaves it to the stall bounds (a running attempt heard from within
/// [`BOOT_QUIET_MS`], a cancel under way, a job no attempt was sent for).
pub fn at_boot(watch: &Watch, now_ms: f64) -> Option<f64> {
    match watch.phase {
        _ if watch.attempt == 0 => None,
        Phase::Queued => Some((watch.since_ms - now_ms).max(0.0)),
        Phase::Running if now_ms - watch.since_ms >= BOOT_QUIET_MS => Some(0.0),
        Phase::Running | Phase::Cancelling => None,
    }
}

/// When the job counts as stalled, with `ahead` of the owner's unfinished
/// jobs created before it.
pub fn stalls_at(watch: &Watch, ahead: u32) -> f64 {
    match watch.phase {
        // A cancel not carried out within the running bound (its attempt
        // died, or the request that decided it did) is sent to a consumer.
        Phase::Running | Phase::Cancelling => watch.since_ms + RUNNING_STALL_MS,
        Phase::Queued => {
            watch.since_ms + QUEUED_BASE_MS + QUEUED_PER_JOB_AHEAD_MS * f64::from(ahead)
        }
    }
}

/// Whether a message of attempt `claimed` may run, the hub's current attempt
/// being `current` (`None`: the hub does not watch the job — finished, or
/// from before the watchdog — and the state machine decides).
pub fn may_run(claimed: u32, current: Option<u32>) -> bool {
    current.is_none_or(|current| claimed >= current)
}

/// What a consumer holding a message of attempt `claimed` is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Claimed {
    /// Run it: it is the current attempt.
    Run,
    /// Drop it unrun: a newer attempt was sent meanwhile.
    Drop,
    /// The job was cancelled: write `cancelled`, analyse nothing.
    Cancel,
}

/// The answer to a claim of attempt `claimed` given what the hub watches
/// (`None`: not watched — finished, or from before the watchdog — and the
/// state machine decides).
pub fn claim(claimed: u32, current: Option<&Watch>) -> Claimed {
    match current {
        Some(w) if w.phase == Phase::Cancelling => Claimed::Cancel,
        Some(w) if !may_run(claimed, Some(w.attempt)) => Claimed::Drop,
        _ => Claimed::Run,
    }
}

/// The attempt number a new send gets: what the sender asks, but always
/// past the current one, so no two messages carry the same attempt (two
/// senders that raced — a retry and a recovery — cannot both run).
pub fn next_attempt(current: Option<u32>, asked: u32) -> u32 {
    current.map_or(asked, |current| asked.max(current + 1))
}

/// The earliest stall among watched jobs given oldest first (each job's
/// `ahead` is its place in that order), and which of them have stalled by
/// `now_ms`.
pub fn survey(oldest_first: &[Watch], now_ms: f64) -> (Option<f64>, Vec<usize>) {
    let mut earliest: Option<f64> = None;
    let mut stalled = Vec::new();
    for (ahead, watch) in oldest_first.iter().enumerate() {
        let at = stalls_at(watch, ahead as u32);
        if at <= now_ms {
            stalled.push(ahead);
        } else {
            earliest = Some(earliest.map_or(at, |e: f64| e.min(at)));
        }
    }
    (earliest, stalled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch(phase: Phase, since_ms: f64) -> Watch {
        Watch {
            attempt: 1,
            phase,
            since_ms,
            free: 0,
        }
    }

    #[test]
    fn a_job_the_line_shows_behind_others_waits_on() {
        use crate::contract::api::QueueInfo;
        let at = |position, eta_seconds| {
            Some(QueueInfo {
                position,
                eta_seconds,
            })
        };
        assert_eq!(still_in_line(at(2, 12)), Some(12_000.0));
        assert_eq!(still_in_line(at(40, 900)), Some(QUEUED_BASE_MS));
        // First in line and not taken, or not in the line at all: sent again.
        assert_eq!(still_in_line(at(1, 5)), None);
        assert_eq!(still_in_line(None), None);
    }

    #[test]
    fn only_a_silent_running_attempt_counts_when_it_is_sent_again() {
        assert!(resend_counts(Phase::Running));
        assert!(!resend_counts(Phase::Queued));
        assert!(!resend_counts(Phase::Cancelling));
    }

    #[test]
    fn a_running_attempt_stalls_after_30_s_of_silence() {
        assert_eq!(stalls_at(&watch(Phase::Running, 1000.0), 7), 31_000.0);
    }

    #[test]
    fn a_queued_attempt_gets_more_time_for_each_job_ahead() {
        let w = watch(Phase::Queued, 0.0);
        assert_eq!(stalls_at(&w, 0), 30_000.0);
        assert_eq!(stalls_at(&w, 3), 60_000.0);
    }

    #[test]
    fn only_an_older_attempt_is_refused() {
        assert!(may_run(1, None));
        assert!(may_run(2, Some(2)));
        assert!(may_run(3, Some(2)));
        assert!(!may_run(1, Some(2)));
    }

    #[test]
    fn a_cancelled_job_runs_no_attempt_and_stalls_like_a_running_one() {
        let mut w = watch(Phase::Queued, 0.0);
        assert_eq!(claim(1, Some(&w)), Claimed::Run);
        assert_eq!(claim(0, Some(&w)), Claimed::Drop);
        assert_eq!(claim(1, None), Claimed::Run);
        w.phase = Phase::Cancelling;
        assert_eq!(claim(1, Some(&w)), Claimed::Cancel);
        assert_eq!(claim(9, Some(&w)), Claimed::Cancel);
        assert_eq!(stalls_at(&w, 5), RUNNING_STALL_MS);
        assert_eq!(Phase::parse(Phase::Cancelling.as_str()), Phase::Cancelling);
    }

    #[test]
    fn a_hub_that_starts_anew_sends_the_lost_jobs_again_at_once() {
        let now = 100_000.0;
        // Queued: its message may be gone; a delayed retry keeps its delay.
        assert_eq!(at_boot(&watch(Phase::Queued, now - 1.0), now), Some(0.0));
        assert_eq!(
            at_boot(&watch(Phase::Queued, now + 1500.0), now),
            Some(1500.0)
        );
        // Running: dead once silent for the quiet bound, else left alone.
        assert_eq!(
            at_boot(&watch(Phase::Running, now - BOOT_QUIET_MS), now),
            Some(0.0)
        );
        assert_eq!(at_boot(&watch(Phase::Running, now - 300.0), now), None);
        assert_eq!(at_boot(&watch(Phase::Cancelling, 0.0), now), None);
        // No attempt was ever sent: nothing to send again.
        let never = Watch {
            attempt: 0,
            ..watch(Phase::Queued, 0.0)
        };
        assert_eq!(at_boot(&never, now), None);
        // Sent again for free: attempt 4 after two free sends spent 2.
        assert_eq!(spent(4, 2), 2);
        assert_eq!(spent(1, 3), 0);
    }

    #[test]
    fn every_send_is_a_new_attempt() {
        assert_eq!(next_attempt(None, 1), 1);
        assert_eq!(next_attempt(Some(0), 1), 1);
        assert_eq!(next_attempt(Some(2), 2), 3);
        assert_eq!(next_attempt(Some(1), 3), 3);
    }

    #[test]
    fn the_survey_finds_the_stalled_and_the_next_alarm() {
        let jobs = [
            watch(Phase::Running, 0.0),   // stalls at 30 s
            watch(Phase::Queued, 0.0),    // 1 ahead: 40 s
            watch(Phase::Queued, 20.0e3), // 2 ahead: 70 s
        ];
        assert_eq!(survey(&jobs, 10_000.0), (Some(30_000.0), vec![]));
        assert_eq!(survey(&jobs, 35_000.0), (Some(40_000.0), vec![0]));
        assert_eq!(survey(&jobs, 45_000.0), (Some(70_000.0), vec![0, 1]));
        assert_eq!(survey(&jobs, 80_000.0), (None, vec![0, 1, 2]));
        assert_eq!(survey(&[], 0.0), (None, vec![]));
    }
}

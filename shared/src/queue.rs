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

/// Test-only failure injection (honoured only when the operator turns test
/// hooks on): a job whose filename starts `inject-failure-N` fails its first N
/// attempts; `inject-failure-always` fails every attempt.
pub fn injected_failure(filename: &str, attempt: u32) -> bool {
    let Some(rest) = filename.strip_prefix("inject-failure-") else {
        return false;
    };
    if rest.starts_with("always") {
        return true;
    }
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse::<u32>().is_ok_and(|n| attempt <= n)
}

/// Test-only crash injection (test hooks only): a job whose filename starts
/// `inject-crash-always` gets no answer for any delivery of its message, as
/// when the isolate dies mid-analysis, so the queue's own retries run out and
/// the message reaches the dead-letter queue.
pub fn injected_crash(filename: &str) -> bool {
    filename.starts_with("inject-crash-always")
}

/// Test-only slow writes (test hooks only): a job whose filename starts
/// `inject-slow-save` waits this long between checking that its record still
/// exists and writing it, which widens the window a `DELETE` can race into.
pub fn injected_slow_save(filename: &str) -> Option<u32> {
    filename.starts_with("inject-slow-save").then_some(300)
}

/// Test-only slow analysis (test hooks only): a job whose filename starts
/// `inject-slow-pages` waits this long (ms) after each page, so that it is
/// still processing when a test acts on it (a cancel).
pub fn injected_slow_page(filename: &str) -> Option<u32> {
    filename.starts_with("inject-slow-pages").then_some(200)
}

/// Test-only late delivery (test hooks only): the first attempt of a job
/// whose filename starts `inject-late-first` waits before the consumer asks
/// the hub whether it may run — a message that was only slow, overtaken
/// meanwhile by the watchdog's next attempt. `inject-late-first-N` waits N
/// ms, otherwise 40 s.
pub fn injected_late_first(filename: &str, attempt: u32) -> Option<u32> {
    let rest = filename.strip_prefix("inject-late-first")?;
    if attempt != 1 {
        return None;
    }
    let digits: String = rest
        .trim_start_matches('-')
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some(digits.parse().unwrap_or(40_000))
}

/// Test-only stall injection (test hooks only): a job whose filename starts
/// `inject-stall-N` has its first N attempts dropped silently, as if the message
/// were lost, so that the sweep's stuck-job check has something to find.
pub fn injected_stall(filename: &str, attempt: u32) -> bool {
    filename
        .strip_prefix("inject-stall-")
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|n| n.parse::<u32>().ok())
        .is_some_and(|n| attempt <= n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_attempt_is_late() {
        assert_eq!(
            injected_late_first("inject-late-first.pdf", 1),
            Some(40_000)
        );
        assert_eq!(injected_late_first("inject-late-first.pdf", 2), None);
        assert_eq!(injected_late_first("report.pdf", 1), None);
        assert_eq!(
            injected_late_first("inject-late-first-3000.pdf", 1),
            Some(3000)
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
    fn stall_injection_names() {
        assert!(injected_stall("inject-stall-1.pdf", 1));
        assert!(!injected_stall("inject-stall-1.pdf", 2));
        assert!(!injected_stall("report.pdf", 1));
    }

    #[test]
    fn crash_injection_names() {
        assert!(injected_crash("inject-crash-always.pdf"));
        assert!(!injected_crash("inject-crash.pdf"));
        assert!(!injected_crash("report.pdf"));
    }

    #[test]
    fn failure_injection_names() {
        assert!(injected_failure("inject-failure-2.pdf", 1));
        assert!(injected_failure("inject-failure-2.pdf", 2));
        assert!(!injected_failure("inject-failure-2.pdf", 3));
        assert!(injected_failure("inject-failure-always.pdf", 99));
        assert!(!injected_failure("report.pdf", 1));
        assert!(!injected_failure("inject-failure-x.pdf", 1));
    }

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

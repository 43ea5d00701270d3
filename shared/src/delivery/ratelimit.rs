//! Rate limits and quotas: the decisions, with the numbers clients are told.
//!
//! **Rate limits** use a sliding-window counter (the estimate is this
//! window's count plus the previous window's, weighted by how much of it still
//! overlaps the last `window` seconds), which smooths the burst a fixed window
//! allows at its boundary and needs three numbers of state per key. A refused
//! request is not counted. Each decision carries what the IETF
//! `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset` headers and
//! `Retry-After` say.
//!
//! **Quotas** bound what one owner holds at once: jobs not yet finished (which
//! also caps how much of the shared analysis queue one owner can occupy, so a
//! flood from one owner delays another's job by at most that many analyses),
//! stored bytes, and jobs kept. They are checked at upload, before anything is
//! stored, against usage that includes uploads still in flight.

use serde::{Deserialize, Serialize};

use crate::contract::api::{ErrorBody, ErrorCode};
use crate::contract::validate::human_bytes;

/// One limit: at most `limit` events per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub limit: u32,
    pub window_secs: u32,
}

impl Rule {
    pub const fn per_minute(limit: u32) -> Rule {
        Rule {
            limit,
            window_secs: 60,
        }
    }

    pub const fn per_day(limit: u32) -> Rule {
        Rule {
            limit,
            window_secs: 86_400,
        }
    }

    fn window_ms(self) -> f64 {
        f64::from(self.window_secs) * 1000.0
    }

    /// `60/min`, `2000/day`.
    pub fn describe(self) -> String {
        match self.window_secs {
            60 => format!("{}/min", self.limit),
            3600 => format!("{}/hour", self.limit),
            86_400 => format!("{}/day", self.limit),
            s => format!("{} per {s} s", self.limit),
        }
    }
}

/// The state of one key under one rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// Start of the current window, ms since the epoch (aligned to the rule).
    pub start_ms: f64,
    pub current: u32,
    pub previous: u32,
}

/// The outcome of one request against one rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the current window ends (`RateLimit-Reset`).
    pub reset_secs: u32,
    /// When refused: seconds until a request would be allowed.
    pub retry_after_secs: u32,
    pub rule: Rule,
}

impl Window {
    /// Moves the window to the one containing `now_ms`.
    fn roll(&mut self, rule: Rule, now_ms: f64) {
        let w = rule.window_ms();
        let start = (now_ms / w).floor() * w;
        if start > self.start_ms {
            let steps = ((start - self.start_ms) / w).round();
            self.previous = if steps == 1.0 { self.current } else { 0 };
            self.current = 0;
            self.start_ms = start;
        }
    }

    fn estimate(&self, rule: Rule, now_ms: f64) -> f64 {
        let into = ((now_ms - self.start_ms) / rule.window_ms()).clamp(0.0, 1.0);
        f64::from(self.previous) * (1.0 - into) + f64::from(self.current)
    }

    /// Counts one request at `now_ms` if the rule allows it.
    pub fn hit(&mut self, rule: Rule, now_ms: f64) -> Decision {
        self.roll(rule, now_ms);
        let w = rule.window_ms();
        let reset_secs = ((self.start_ms + w - now_ms) / 1000.0).ceil().max(0.0) as u32;
        let allowed = self.estimate(rule, now_ms) + 1.0 <= f64::from(rule.limit);
        if allowed {
            self.current += 1;
        }
        let used = self.estimate(rule, now_ms).ceil() as u32;
        let retry_after_secs = if allowed {
            0
        } else {
            self.wait_secs(rule, now_ms)
        };
        Decision {
            allowed,
            limit: rule.limit,
            remaining: rule.limit.saturating_sub(used),
            reset_secs,
            retry_after_secs,
            rule,
        }
    }

    /// Seconds until one more request fits (at least 1).
    fn wait_secs(&self, rule: Rule, now_ms: f64) -> u32 {
        let w = rule.window_ms();
        let limit = f64::from(rule.limit);
        // Within this window the previous window's weight falls linearly;
        // find when `previous * (1 - t) + current + 1 <= limit`.
        let room = limit - 1.0 - f64::from(self.current);
        let at_ms = if room >= 0.0 && self.previous > 0 {
            let t = 1.0 - room / f64::from(self.previous);
            self.start_ms + t.clamp(0.0, 1.0) * w
        } else {
            // The current window alone is full: in the next one, the weight
            // of this window's count must fall far enough.
            let next = self.start_ms + w;
            let over = (f64::from(self.current) - (limit - 1.0)) / f64::from(self.current.max(1));
            next + over.clamp(0.0, 1.0) * w
        };
        (((at_ms - now_ms) / 1000.0).ceil() as u32).max(1)
    }
}

/// The decision that answers a request under several rules: the refusal with
/// the longest wait, else the rule closest to its limit.
pub fn strictest(decisions: &[Decision]) -> Option<Decision> {
    let refused = decisions
        .iter()
        .filter(|d| !d.allowed)
        .max_by_key(|d| d.retry_after_secs);
    refused
        .or_else(|| decisions.iter().min_by_key(|d| d.remaining))
        .copied()
}

/// The error body of a refused request.
pub fn refusal(what: &str, decision: &Decision) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::RateLimited,
        format!(
            "too many {what}: the limit is {}; try again in {} s",
            decision.rule.describe(),
            decision.retry_after_secs
        ),
    )
}

/// What one owner may hold at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quotas {
    /// Jobs not yet `completed` or `error`.
    pub active_jobs: u32,
    /// PDFs plus reports.
    pub stored_bytes: u64,
    /// Jobs kept (until deleted or expired).
    pub jobs: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            active_jobs: 20,
            stored_bytes: 5 * 1024 * 1024 * 1024,
            jobs: 1_000,
        }
    }
}

/// What an owner holds now (uploads in flight included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub active_jobs: u32,
    pub stored_bytes: u64,
    pub jobs: u32,
}

/// How long a client refused for its active jobs should wait: about as long
/// as a few analyses take.
pub const ACTIVE_RETRY_AFTER_SECS: u32 = 5;
/// The same for stored bytes and kept jobs, which only deleting (or the
/// retention period) frees.
pub const HOLDINGS_RETRY_AFTER_SECS: u32 = 3600;

/// Whether one more upload of `bytes` fits; the error (with its
/// `Retry-After`) says which quota is full and what frees it.
pub fn admit(quotas: &Quotas, usage: &Usage, bytes: u64) -> Result<(), (ErrorBody, u32)> {
    let refuse = |message: String, retry: u32| {
        Err((ErrorBody::new(ErrorCode::QuotaExceeded, message), retry))
    };
    if usage.active_jobs >= quotas.active_jobs {
        return refuse(
            format!(
                "{} of your jobs are still being analysed, the most one owner may have at once; \
                 submit more when some finish",
                usage.active_jobs
            ),
            ACTIVE_RETRY_AFTER_SECS,
        );
    }
    if usage.jobs >= quotas.jobs {
        return refuse(
            format!(
                "you keep {} jobs, the most allowed; delete some to submit more",
                usage.jobs
            ),
            HOLDINGS_RETRY_AFTER_SECS,
        );
    }
    if usage.stored_bytes.saturating_add(bytes) > quotas.stored_bytes {
        return refuse(
            format!(
                "this upload ({}) would take your storage past its quota of {} ({} used); \
                 delete jobs to free space",
                human_bytes(bytes),
                human_bytes(quotas.stored_bytes),
                human_bytes(usage.stored_bytes)
            ),
            HOLDINGS_RETRY_AFTER_SECS,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: f64 = 60_000.0;

    #[test]
    fn a_window_allows_its_limit_then_refuses_without_counting() {
        let rule = Rule::per_minute(3);
        let mut w = Window::default();
        let t0 = 10.0 * MIN; // the start of a window
        for i in 0..3 {
            let d = w.hit(rule, t0 + f64::from(i) * 1000.0);
            assert!(d.allowed, "{i}");
            assert_eq!(d.remaining, 2 - i);
        }
        let refused = w.hit(rule, t0 + 3000.0);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.reset_secs, 57);
        assert!(refused.retry_after_secs >= 57, "{refused:?}");
        assert_eq!(w.current, 3, "a refusal is not counted");
    }

    #[test]
    fn the_previous_window_fades_out() {
        let rule = Rule::per_minute(10);
        let mut w = Window::default();
        let t0 = 10.0 * MIN;
        for _ in 0..10 {
            assert!(w.hit(rule, t0 + 59_000.0).allowed);
        }
        // Just after the boundary the previous 10 still weigh almost fully.
        let early = w.hit(rule, t0 + MIN + 1_000.0);
        assert!(!early.allowed, "{early:?}");
        // It waits until enough of the previous window has slid out.
        assert!(
            early.retry_after_secs >= 5 && early.retry_after_secs <= 7,
            "{early:?}"
        );
        // Halfway through, half of them count: 5 more fit.
        let mut allowed = 0;
        for _ in 0..10 {
            if w.hit(rule, t0 + 1.5 * MIN).allowed {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 5);
        // Two windows later nothing of it is left.
        let later = w.hit(rule, t0 + 3.0 * MIN + 1.0);
        assert!(later.allowed);
        assert_eq!(later.remaining, 9);
    }

    #[test]
    fn retry_after_is_honest() {
        // Waiting exactly the advised time gets the request through.
        let rule = Rule::per_minute(4);
        let mut w = Window::default();
        let mut now = 7.0 * MIN + 12_345.0;
        for _ in 0..200 {
            let d = w.hit(rule, now);
            if d.allowed {
                now += 800.0;
            } else {
                let mut probe = w;
                assert!(
                    probe
                        .hit(rule, now + f64::from(d.retry_after_secs) * 1000.0)
                        .allowed,
                    "{d:?} at {now}"
                );
                now += f64::from(d.retry_after_secs) * 1000.0;
            }
        }
    }

    #[test]
    fn the_strictest_decision_answers() {
        let mut minute = Window::default();
        let mut day = Window::default();
        let now = 100.0 * MIN;
        let a = minute.hit(Rule::per_minute(60), now);
        let b = day.hit(Rule::per_day(2), now);
        assert_eq!(strictest(&[a, b]).map(|d| d.limit), Some(2));
        let b2 = day.hit(Rule::per_day(2), now);
        let b3 = day.hit(Rule::per_day(2), now);
        assert!(b2.allowed && !b3.allowed);
        let answer = strictest(&[a, b3]).unwrap();
        assert!(!answer.allowed);
        let error = refusal("uploads", &answer);
        assert_eq!(error.code, ErrorCode::RateLimited);
        assert!(error.message.contains("2/day"), "{}", error.message);
        assert_eq!(strictest(&[]), None);
    }

    #[test]
    fn quotas_say_which_one_is_full() {
        let q = Quotas {
            active_jobs: 2,
            stored_bytes: 1000,
            jobs: 5,
        };
        let ok = Usage {
            active_jobs: 1,
            stored_bytes: 500,
            jobs: 4,
        };
        assert!(admit(&q, &ok, 500).is_ok());
        let (e, retry) = admit(
            &q,
            &Usage {
                active_jobs: 2,
                ..ok
            },
            1,
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::QuotaExceeded);
        assert!(e.message.contains("still being analysed"));
        assert_eq!(retry, ACTIVE_RETRY_AFTER_SECS);
        let (e, _) = admit(&q, &Usage { jobs: 5, ..ok }, 1).unwrap_err();
        assert!(e.message.contains("delete some"));
        let (e, retry) = admit(&q, &ok, 501).unwrap_err();
        assert!(e.message.contains("storage"), "{}", e.message);
        assert_eq!(retry, HOLDINGS_RETRY_AFTER_SECS);
    }
}

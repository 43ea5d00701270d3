//! Pacing of job-record writes. Production KV accepts about one write per second
//! per key (the local simulator accepts more, so only this test guards it). The
//! consumer asks [`WritePacer`] before each write of a job's record: progress
//! updates that come too soon are skipped (the Durable Object still carries them
//! live), and a state change that must land waits out the rest of the second.

/// The minimum gap between two writes of one KV key, in milliseconds.
pub const MIN_WRITE_GAP_MS: f64 = 1000.0;

/// What to do with a write that is due now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// Write now.
    Now,
    /// Skip this write (only for writes that may be dropped).
    Skip,
    /// Wait this many milliseconds, then write.
    WaitMs(f64),
}

/// Remembers when one key was last written.
#[derive(Debug, Clone, Copy, Default)]
pub struct WritePacer {
    last_write_ms: Option<f64>,
}

impl WritePacer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Decides a write at `now_ms`; `must_land` is false for progress updates.
    pub fn decide(&self, now_ms: f64, must_land: bool) -> Pace {
        let Some(last) = self.last_write_ms else {
            return Pace::Now;
        };
        let since = now_ms - last;
        if since >= MIN_WRITE_GAP_MS {
            Pace::Now
        } else if must_land {
            Pace::WaitMs(MIN_WRITE_GAP_MS - since.max(0.0))
        } else {
            Pace::Skip
        }
    }

    /// Records that a write happened at `now_ms`.
    pub fn wrote(&mut self, now_ms: f64) {
        self.last_write_ms = Some(now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replays a sequence of (time, must_land) write requests the way the consumer
    /// does, and returns the times at which writes actually happened.
    fn simulate(requests: &[(f64, bool)]) -> Vec<f64> {
        let mut pacer = WritePacer::new();
        let mut clock = 0.0_f64;
        let mut writes = Vec::new();
        for &(at, must) in requests {
            clock = clock.max(at);
            match pacer.decide(clock, must) {
                Pace::Now => {}
                Pace::Skip => continue,
                Pace::WaitMs(ms) => clock += ms,
            }
            pacer.wrote(clock);
            writes.push(clock);
        }
        writes
    }

    #[test]
    fn no_two_writes_of_a_key_within_a_second() {
        // processing, a burst of progress, then completed straight away.
        let mut requests = vec![(0.0, true)];
        requests.extend((1..50).map(|i| (i as f64 * 30.0, false)));
        requests.push((1500.0, true));
        let writes = simulate(&requests);
        for pair in writes.windows(2) {
            assert!(pair[1] - pair[0] >= MIN_WRITE_GAP_MS, "{writes:?}");
        }
        // The first and the last (the state changes) always land.
        assert_eq!(writes.first(), Some(&0.0));
        assert!(writes.last().copied().unwrap() >= 1500.0);
        assert!(writes.len() >= 2);
    }

    #[test]
    fn a_state_change_right_after_a_write_waits_the_rest_of_the_second() {
        let mut pacer = WritePacer::new();
        pacer.wrote(100.0);
        assert_eq!(pacer.decide(350.0, true), Pace::WaitMs(750.0));
        assert_eq!(pacer.decide(350.0, false), Pace::Skip);
        assert_eq!(pacer.decide(1100.0, false), Pace::Now);
    }
}

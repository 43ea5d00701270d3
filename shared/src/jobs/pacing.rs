//! Pacing of job-record writes. Production KV accepts about one write per second
//! per key (the local simulator accepts more, so only this test guards it). The
//! consumer asks [`WritePacer`] before each write of a job's record: progress
//! updates that come too soon are skipped (the Durable Object still carries them
//! live), and a state change that must land waits out the rest of the second.
//! The consumer also holds back optional writes for the first second of an
//! analysis ([`WritePacer::quiet_until`]), so a document analysed within it
//! costs one write (its end), not a `processing` write and a second later the
//! end.

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
    quiet_until_ms: Option<f64>,
}

impl WritePacer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Skips writes that may be dropped until `ms`.
    pub fn quiet_until(&mut self, ms: f64) {
        self.quiet_until_ms = Some(ms);
    }

    /// Decides a write at `now_ms`; `must_land` is false for progress updates.
    pub fn decide(&self, now_ms: f64, must_land: bool) -> Pace {
        if !must_land && self.quiet_until_ms.is_some_and(|q| now_ms < q) {
            return Pace::Skip;
        }
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
    fn a_quiet_start_skips_optional_writes_but_never_the_end() {
        let mut pacer = WritePacer::new();
        pacer.wrote(-5_000.0); // the upload, long ago
        pacer.quiet_until(1_000.0);
        assert_eq!(pacer.decide(0.0, false), Pace::Skip);
        assert_eq!(pacer.decide(999.0, false), Pace::Skip);
        // A quick document's end lands at once: one write in all.
        assert_eq!(pacer.decide(40.0, true), Pace::Now);
        // A slow one's first progress after the quiet second lands.
        assert_eq!(pacer.decide(1_000.0, false), Pace::Now);
        // The quiet start does not excuse the gap after the upload.
        let mut fresh = WritePacer::new();
        fresh.wrote(0.0);
        fresh.quiet_until(1_000.0);
        assert_eq!(fresh.decide(100.0, true), Pace::WaitMs(900.0));
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

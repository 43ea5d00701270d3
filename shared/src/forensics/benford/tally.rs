//! Counting digits as numbers stream past: the [`Tally`] of every digit
//! test's bins (of each number's `reading::numbers::Digits`), which adds up
//! across parts of a document.

use serde::{Deserialize, Serialize};

use super::{Benford, Kind, MIN_COUNT, from_counts};
use crate::reading::numbers::Digits;

/// Counts digits as numbers stream past, so no list of numbers is kept.
/// Tallies of parts of a document add up ([`Tally::merge`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    first: Vec<u64>,
    second: Vec<u64>,
    first_two: Vec<u64>,
    first_three: Vec<u64>,
    last_two: Vec<u64>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            first: vec![0; 9],
            second: vec![0; 10],
            first_two: vec![0; 90],
            first_three: vec![0; 900],
            last_two: vec![0; 100],
        }
    }
}

impl Tally {
    /// Adds one significant-digit string (ignored unless it is ASCII
    /// digits starting with 1–9).
    pub fn add(&mut self, digits: &str) {
        if let Some(d) = Digits::of(digits.as_bytes()) {
            self.add_digits(&d);
        }
    }

    /// Adds one number's digits to every test it has enough digits for.
    pub fn add_digits(&mut self, digits: &Digits) {
        for (kind, counts) in [
            (Kind::First, &mut self.first),
            (Kind::Second, &mut self.second),
            (Kind::FirstTwo, &mut self.first_two),
            (Kind::FirstThree, &mut self.first_three),
            (Kind::LastTwo, &mut self.last_two),
        ] {
            if let Some(bin) = kind.bin(digits) {
                counts[bin] += 1;
            }
        }
    }

    /// The first-digit counts (digits 1–9).
    pub fn first_digits(&self) -> &[u64] {
        &self.first
    }

    /// Adds another tally's counts (of other numbers) to this one.
    pub fn merge(&mut self, other: &Tally) {
        for (mine, theirs) in [
            (&mut self.first, &other.first),
            (&mut self.second, &other.second),
            (&mut self.first_two, &other.first_two),
            (&mut self.first_three, &other.first_three),
            (&mut self.last_two, &other.last_two),
        ] {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
    }

    pub fn finish(self) -> Benford {
        Benford {
            first_digit: from_counts(Kind::First, self.first),
            second_digit: from_counts(Kind::Second, self.second),
            first_two_digits: from_counts(Kind::FirstTwo, self.first_two),
            first_three_digits: from_counts(Kind::FirstThree, self.first_three),
            last_two_digits: from_counts(Kind::LastTwo, self.last_two),
            min_count: MIN_COUNT,
        }
    }
}

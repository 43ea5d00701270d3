//! Simulated amounts for the calibration of the digit tests: samples drawn
//! exactly from Benford's law, and the fabrications an auditor looks for.
//! Used by `tests/calibration.rs` and `examples/calibration.rs`.

#![allow(dead_code)] // each binary uses its own part

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shared::forensics::benford::{Benford, Digits, Tally};

/// What a sample is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Log-uniform amounts over five decades (10 to 1,000,000), in cents:
    /// their digits follow Benford's law.
    Benford,
    /// Amounts spread evenly between 100 and 10,000.
    Uniform,
    /// Benford amounts, a fifth of them moved just under a 5,000 approval
    /// limit (4,500 to 4,999.99).
    UnderThreshold,
    /// Benford amounts rounded to whole hundreds.
    Rounded,
    /// Benford amounts with one in ten replaced by an invented one (evenly
    /// spread between 1,000 and 10,000).
    Admixture,
}

impl Source {
    pub const ALL: [Source; 5] = [
        Source::Benford,
        Source::Uniform,
        Source::UnderThreshold,
        Source::Rounded,
        Source::Admixture,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Source::Benford => "Benford",
            Source::Uniform => "uniform amounts",
            Source::UnderThreshold => "a fifth just under 5,000",
            Source::Rounded => "rounded to hundreds",
            Source::Admixture => "10 % invented",
        }
    }

    /// One amount, in cents.
    fn cents(self, rng: &mut StdRng) -> u64 {
        let benford = |rng: &mut StdRng| 10f64.powf(1.0 + 5.0 * rng.random::<f64>());
        let amount = match self {
            Source::Benford => benford(rng),
            Source::Uniform => rng.random_range(100.0..10_000.0),
            Source::UnderThreshold => {
                if rng.random_bool(0.2) {
                    rng.random_range(4_500.0..5_000.0)
                } else {
                    benford(rng)
                }
            }
            Source::Rounded => ((benford(rng) / 100.0).round() * 100.0).max(100.0),
            Source::Admixture => {
                if rng.random_bool(0.1) {
                    rng.random_range(1_000.0..10_000.0)
                } else {
                    benford(rng)
                }
            }
        };
        (amount * 100.0).round() as u64
    }
}

/// The digit tests of `n` amounts from `source`, drawn with `seed`.
pub fn sample(source: Source, n: usize, seed: u64) -> Benford {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tally = Tally::default();
    let mut buf = [0u8; 20];
    for _ in 0..n {
        let mut cents = source.cents(&mut rng);
        let mut at = buf.len();
        while cents > 0 {
            at -= 1;
            buf[at] = b'0' + (cents % 10) as u8;
            cents /= 10;
        }
        if let Some(digits) = Digits::of(&buf[at..]) {
            tally.add_digits(&digits);
        }
    }
    tally.finish()
}

/// The five digit tests of a report, with their names.
pub fn tests(b: &Benford) -> [(&'static str, &shared::forensics::benford::DigitTest); 5] {
    [
        ("first digit", &b.first_digit),
        ("second digit", &b.second_digit),
        ("first two digits", &b.first_two_digits),
        ("first three digits", &b.first_three_digits),
        ("last two digits", &b.last_two_digits),
    ]
}

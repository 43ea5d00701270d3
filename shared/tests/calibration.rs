//! The calibration of the digit tests' headline class (#29): samples drawn
//! exactly from Benford's law are called `nonconformity` by any test at most
//! 5 % of the time (plus sampling error), at every size from 50 to 50,000;
//! the MAD's p-value is checked against the same simulation; fabricated
//! samples are still caught. Fixed seeds: the figures are the same in every
//! run. `examples/calibration.rs` prints the full table (BENCHMARKS.md).

mod samples;

use samples::{Source, sample, tests};
use shared::forensics::benford::{Conformity, LEVEL};

/// Sizes and seeds per size: more seeds where the issue asks for a plain
/// 5 % (400 numbers), fewer where a sample is large.
const PLAN: [(usize, u64); 7] = [
    (50, 2_000),
    (100, 2_000),
    (200, 2_000),
    (400, 2_000),
    (1_000, 1_000),
    (5_000, 400),
    (50_000, 100),
];

/// The largest share of `seeds` trials a rate of `LEVEL` gives, allowing
/// three standard errors.
fn allowed(seeds: u64) -> f64 {
    LEVEL + 3.0 * (LEVEL * (1.0 - LEVEL) / seeds as f64).sqrt()
}

/// Per test: the share of samples called nonconforming, the share whose
/// MAD's p-value is below the level, and Nigrini's raw class's share.
fn rates(source: Source, n: usize, seeds: u64) -> [(f64, f64, f64); 5] {
    let mut out = [(0.0, 0.0, 0.0); 5];
    for seed in 0..seeds {
        let b = sample(source, n, 1_000_003 * seed + n as u64);
        for (i, (_, t)) in tests(&b).into_iter().enumerate() {
            out[i].0 += f64::from(u8::from(t.conformity == Conformity::Nonconformity));
            out[i].1 += f64::from(u8::from(t.mad_p_value < LEVEL));
            out[i].2 += f64::from(u8::from(t.nigrini_class == Some(Conformity::Nonconformity)));
        }
    }
    out.map(|(a, b, c)| (a / seeds as f64, b / seeds as f64, c / seeds as f64))
}

const NAMES: [&str; 5] = [
    "first digit",
    "second digit",
    "first two digits",
    "first three digits",
    "last two digits",
];

#[test]
fn benford_samples_are_called_nonconforming_at_most_five_percent_of_the_time() {
    for (n, seeds) in PLAN {
        let rates = rates(Source::Benford, n, seeds);
        for (name, (called, beyond, nigrini)) in NAMES.iter().zip(rates) {
            println!(
                "n {n:>6} {name:<18} called {called:.3}  p<5% {beyond:.3}  Nigrini {nigrini:.3}"
            );
            assert!(called <= allowed(seeds), "{name} at {n}: {called}");
            assert!(
                beyond <= allowed(seeds),
                "{name}'s MAD p-value at {n}: {beyond}"
            );
        }
        if n == 400 {
            // The measure: no test above 5 % of seeds at 400 numbers,
            // where Nigrini's raw bounds call most honest samples
            // nonconforming in the first-two and first-three-digit tests.
            for (name, (called, _, _)) in NAMES.iter().zip(rates) {
                assert!(called <= LEVEL, "{name} at 400: {called}");
            }
            assert!(rates[2].2 > 0.9 && rates[3].2 > 0.9, "{rates:?}");
        }
    }
}

#[test]
fn the_mad_p_value_follows_the_simulation_where_bins_are_well_filled() {
    // Where every bin expects a few numbers the p-value is close to exact:
    // about 5 % of honest samples fall below 0.05 (not just at most).
    for (n, test) in [(200, 0), (400, 1), (1_000, 2), (5_000, 3), (1_000, 4)] {
        let seeds = 2_000;
        let (_, beyond, _) = rates(Source::Benford, n, seeds)[test];
        assert!(
            (0.025..=allowed(seeds)).contains(&beyond),
            "{} at {n}: {beyond}",
            NAMES[test]
        );
    }
}

#[test]
fn fabricated_samples_are_still_caught() {
    let seeds = 100;
    let called = |source, n, test: usize| rates(source, n, seeds)[test].0;
    // Amounts spread evenly: the first digit from 100 numbers on.
    for n in [100, 400, 5_000] {
        assert!(called(Source::Uniform, n, 0) >= 0.95, "uniform at {n}");
    }
    // A fifth of the amounts just under an approval limit: the first digit
    // from 200 on, the first two digits once they have their numbers.
    assert!(called(Source::UnderThreshold, 200, 0) >= 0.9);
    assert!(called(Source::UnderThreshold, 5_000, 2) >= 0.95);
    // Rounded amounts: the last two digits at any size, the second digit.
    for n in [50, 400] {
        assert!(called(Source::Rounded, n, 4) >= 0.95, "rounded at {n}");
        assert!(called(Source::Rounded, n, 1) >= 0.95, "rounded at {n}");
    }
    // One in ten invented: beyond chance on the first digit once there are
    // 5,000 numbers (its excess stays within the close bound, so the class
    // does not change: that is Nigrini's bounds' judgement of its size).
    let mixed = rates(Source::Admixture, 5_000, seeds)[0];
    assert!(mixed.1 >= 0.8, "{mixed:?}");
}

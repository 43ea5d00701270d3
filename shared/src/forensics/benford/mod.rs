//! Benford's-law tests on significant-digit strings: first digit, second digit,
//! first two and first three digits, and last two digits — counts, observed and
//! expected proportions, χ² with its p-value (statrs' χ² distribution),
//! Kolmogorov–Smirnov with its 95% critical value (1.358/√n), and the mean
//! absolute deviation (MAD) beside what chance alone gives for the same number
//! of Benford numbers ([`chance`]).
//!
//! The headline class ([`DigitTest::conformity`]) is calibrated: honest data
//! of any size are called `nonconformity` at most [`LEVEL`] of the time. It is
//! Nigrini's class applied to the *excess* MAD (the MAD less the one chance
//! gives), `nonconformity` only when the MAD is also beyond chance at
//! [`LEVEL`]; below the numbers a test needs for honest data to meet its
//! bounds, no class but that one is given. Nigrini's own class on the raw MAD
//! stays beside it ([`DigitTest::nigrini_class`]). Below [`MIN_COUNT`]
//! numbers a test is still computed but its class is `insufficient_data`.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

pub mod chance;
mod reading;
mod tally;

pub use crate::reading::numbers::Digits;
pub use reading::{chance_words, class_name, needs_words, p_words, plain_reading, thousands};
pub use tally::Tally;

/// Fewest numbers a test needs before its conformity class means anything.
pub const MIN_COUNT: u64 = 50;

/// Nigrini's conformity classes (and too little data to say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conformity {
    Close,
    Acceptable,
    Marginal,
    Nonconformity,
    InsufficientData,
}

impl Conformity {
    /// A one-line explanation for people who are not statisticians.
    pub fn explain(self) -> &'static str {
        match self {
            Conformity::Close => "The digits follow Benford's law closely.",
            Conformity::Acceptable => "The digits follow Benford's law acceptably.",
            Conformity::Marginal => {
                "The digits follow Benford's law only marginally; worth a closer look."
            }
            Conformity::Nonconformity => {
                "The digits do not follow Benford's law; this can mean made-up or unusual numbers (or just data Benford does not fit)."
            }
            Conformity::InsufficientData => "Too few numbers to judge.",
        }
    }
}

/// Which digits a test looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    First,
    Second,
    FirstTwo,
    FirstThree,
    /// The last two digits of numbers of four or more significant digits,
    /// where Benford's law makes them nearly uniform (1 % each).
    LastTwo,
}

impl Kind {
    /// The digit values of the bins, in order.
    pub fn bins(self) -> std::ops::RangeInclusive<u32> {
        match self {
            Kind::First => 1..=9,
            Kind::Second => 0..=9,
            Kind::FirstTwo => 10..=99,
            Kind::FirstThree => 100..=999,
            Kind::LastTwo => 0..=99,
        }
    }

    /// Nigrini's MAD thresholds: close / acceptable / marginal (none
    /// published for the last two digits: that test is judged by χ²).
    pub fn mad_thresholds(self) -> Option<[f64; 3]> {
        match self {
            Kind::First => Some([0.006, 0.012, 0.015]),
            Kind::Second => Some([0.008, 0.010, 0.012]),
            Kind::FirstTwo => Some([0.0012, 0.0018, 0.0022]),
            Kind::FirstThree => Some([0.00036, 0.00044, 0.00050]),
            Kind::LastTwo => None,
        }
    }

    /// Fewest significant digits a number needs to enter the test.
    pub fn digits_needed(self) -> usize {
        match self {
            Kind::First => 1,
            Kind::Second | Kind::FirstTwo => 2,
            Kind::FirstThree => 3,
            Kind::LastTwo => 4,
        }
    }

    /// Benford's expected proportion of each bin.
    pub fn expected(self) -> Vec<f64> {
        match self {
            Kind::First | Kind::FirstTwo | Kind::FirstThree => self
                .bins()
                .map(|d| (1.0 + 1.0 / f64::from(d)).log10())
                .collect(),
            Kind::Second => self
                .bins()
                .map(|d| {
                    (1..=9)
                        .map(|k| (1.0 + 1.0 / f64::from(10 * k + d)).log10())
                        .sum()
                })
                .collect(),
            Kind::LastTwo => vec![0.01; 100],
        }
    }

    /// The bin of a number's digits, if it has enough of them.
    fn bin(self, digits: &Digits) -> Option<usize> {
        if digits.count < self.digits_needed() {
            return None;
        }
        let d = |i: usize| u32::from(digits.lead[i] - b'0');
        let value = match self {
            Kind::First => d(0),
            Kind::Second => d(1),
            Kind::FirstTwo => d(0) * 10 + d(1),
            Kind::FirstThree => d(0) * 100 + d(1) * 10 + d(2),
            Kind::LastTwo => {
                u32::from(digits.last_two[0] - b'0') * 10 + u32::from(digits.last_two[1] - b'0')
            }
        };
        Some((value - self.bins().start()) as usize)
    }
}

/// One test's figures, as the report carries them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigitTest {
    pub n: u64,
    pub counts: Vec<u64>,
    pub observed: Vec<f64>,
    pub expected: Vec<f64>,
    pub chi_square: f64,
    pub degrees_of_freedom: u32,
    pub p_value: f64,
    pub ks: f64,
    /// 95 % critical value, 1.358/√n; `None` without numbers.
    pub ks_critical: Option<f64>,
    pub mad: f64,
    /// The headline class (see the module's documentation): calibrated so
    /// that numbers which follow Benford's law are called `nonconformity`
    /// at most [`LEVEL`] of the time, whatever their count.
    pub conformity: Conformity,
    /// The MAD that `n` numbers drawn from Benford's law show on average
    /// (exact; [`chance::Null`]). Absent from reports made before it.
    #[serde(default)]
    pub expected_mad: f64,
    /// `mad − expected_mad`: the deviation beyond what chance alone gives.
    #[serde(default)]
    pub excess_mad: f64,
    /// The chance that `n` numbers following Benford's law show a MAD at
    /// least this large.
    #[serde(default = "one")]
    pub mad_p_value: f64,
    /// Nigrini's class of the raw MAD against his published bounds, which
    /// are calibrated on large data sets; `None` without bounds (the last
    /// two digits) or below [`MIN_COUNT`].
    #[serde(default)]
    pub nigrini_class: Option<Conformity>,
    /// How many numbers this test needs before honest data meet its
    /// nonconformity bound on average ([`chance::numbers_needed`]); `None`
    /// for a test without bounds.
    #[serde(default)]
    pub needed: Option<u64>,
    /// Each bin's Z statistic (Nigrini): `(|observed − expected| − 1/(2n)) /
    /// √(expected·(1 − expected)/n)`, the continuity correction `1/(2n)`
    /// subtracted only when it is smaller than the difference; 0 without
    /// numbers. Absent from reports made before it.
    #[serde(default)]
    pub z: Vec<f64>,
    /// The bins whose Z exceeds [`Z_CRITICAL`] (95 % confidence, two-sided),
    /// by their digit values, where the observed share is above the expected
    /// one (`excess`) or below it.
    #[serde(default)]
    pub flagged: Vec<Flag>,
    /// The test in words: what its figures mean, with the sample size's
    /// caveat when there are few numbers ([`plain_reading`]).
    #[serde(default)]
    pub reading: String,
}

/// The level of the headline class: the largest share of honest samples
/// it may call `nonconformity`, and the MAD's p-value below which a
/// deviation is beyond chance.
pub const LEVEL: f64 = 0.05;

fn one() -> f64 {
    1.0
}

/// Z beyond which a bin's deviation is significant: 1.96, the two-sided
/// 95 % point of the normal distribution.
pub const Z_CRITICAL: f64 = 1.96;

/// A bin whose deviation from Benford is significant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    /// The bin's digits (`7` in the first-digit test, `42` in the
    /// first-two-digits one).
    pub digits: u32,
    pub z: f64,
    /// More numbers than expected (a spike), or fewer.
    pub excess: bool,
}

/// Nigrini's Z statistic of one bin: `observed` and `expected` shares of `n`.
pub fn z_statistic(observed: f64, expected: f64, n: u64) -> f64 {
    if n == 0 || expected <= 0.0 || expected >= 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    let diff = (observed - expected).abs();
    let correction = 1.0 / (2.0 * nf);
    let numerator = if correction < diff {
        diff - correction
    } else {
        diff
    };
    numerator / (expected * (1.0 - expected) / nf).sqrt()
}

/// The digit tests of one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Benford {
    pub first_digit: DigitTest,
    pub second_digit: DigitTest,
    pub first_two_digits: DigitTest,
    /// Absent from reports made before it.
    #[serde(default = "empty_first_three")]
    pub first_three_digits: DigitTest,
    /// Absent from reports made before it.
    #[serde(default = "empty_last_two")]
    pub last_two_digits: DigitTest,
    pub min_count: u64,
}

fn empty_first_three() -> DigitTest {
    from_counts(Kind::FirstThree, vec![0; 900])
}

fn empty_last_two() -> DigitTest {
    from_counts(Kind::LastTwo, vec![0; 100])
}

/// Runs the digit tests on significant-digit strings (ASCII digits, no
/// leading zero; see `numbers`). Strings too short for a test are left out
/// of that test.
pub fn benford<'a>(digits: impl IntoIterator<Item = &'a str>) -> Benford {
    let mut tally = Tally::default();
    for d in digits {
        tally.add(d);
    }
    tally.finish()
}

/// The figures for given bin counts.
pub fn from_counts(kind: Kind, counts: Vec<u64>) -> DigitTest {
    let expected = kind.expected();
    let n: u64 = counts.iter().sum();
    let nf = n as f64;
    let observed: Vec<f64> = counts
        .iter()
        .map(|&c| if n == 0 { 0.0 } else { c as f64 / nf })
        .collect();
    let chi_square: f64 = counts
        .iter()
        .zip(&expected)
        .map(|(&c, &p)| {
            let e = nf * p;
            (c as f64 - e).powi(2) / e
        })
        .sum();
    let degrees_of_freedom = (counts.len() - 1) as u32;
    let p_value = if n == 0 {
        1.0
    } else {
        ChiSquared::new(f64::from(degrees_of_freedom))
            .map(|dist| dist.sf(chi_square))
            .unwrap_or(f64::NAN)
    };
    let (mut cum_o, mut cum_e, mut ks) = (0.0_f64, 0.0_f64, 0.0_f64);
    for (o, e) in observed.iter().zip(&expected) {
        cum_o += o;
        cum_e += e;
        ks = ks.max((cum_o - cum_e).abs());
    }
    let mad = observed
        .iter()
        .zip(&expected)
        .map(|(o, e)| (o - e).abs())
        .sum::<f64>()
        / expected.len() as f64;
    let null = (n > 0).then(|| chance::Null::of(kind, n));
    let expected_mad = null.map_or(0.0, |null| null.mean);
    let mad_p_value = null.map_or(1.0, |null| null.p_value(mad));
    let nigrini_class = kind
        .mad_thresholds()
        .filter(|_| n >= MIN_COUNT)
        .map(|bounds| class_of(mad, bounds));
    let needed = chance::numbers_needed(kind);
    let conformity = headline(kind, n, mad - expected_mad, mad_p_value, needed);
    let z: Vec<f64> = observed
        .iter()
        .zip(&expected)
        .map(|(&o, &e)| z_statistic(o, e, n))
        .collect();
    let flagged = kind
        .bins()
        .zip(&z)
        .zip(observed.iter().zip(&expected))
        .filter(|((_, z), _)| **z > Z_CRITICAL)
        .map(|((digits, &z), (o, e))| Flag {
            digits,
            z,
            excess: o > e,
        })
        .collect();
    let mut test = DigitTest {
        z,
        flagged,
        reading: String::new(),
        n,
        counts,
        observed,
        expected,
        chi_square: if n == 0 { 0.0 } else { chi_square },
        degrees_of_freedom,
        p_value,
        ks: if n == 0 { 0.0 } else { ks },
        ks_critical: (n > 0).then(|| 1.358 / nf.sqrt()),
        mad,
        conformity,
        expected_mad,
        excess_mad: if n == 0 { 0.0 } else { mad - expected_mad },
        mad_p_value,
        nigrini_class,
        needed,
    };
    test.reading = plain_reading(kind, &test);
    test
}

/// Nigrini's class of a MAD against a test's bounds (close, acceptable,
/// marginal).
fn class_of(mad: f64, [close, acceptable, marginal]: [f64; 3]) -> Conformity {
    if mad <= close {
        Conformity::Close
    } else if mad <= acceptable {
        Conformity::Acceptable
    } else if mad <= marginal {
        Conformity::Marginal
    } else {
        Conformity::Nonconformity
    }
}

/// The headline class: `nonconformity` only where the MAD is beyond chance
/// at [`LEVEL`] and, for a test with bounds, its excess is beyond the
/// nonconformity bound; no class below the numbers needed; otherwise
/// Nigrini's class of the excess MAD (marginal at worst, the MAD not being
/// beyond chance). The last two digits, without bounds, are judged by the
/// MAD's p-value alone.
fn headline(kind: Kind, n: u64, excess: f64, p_value: f64, needed: Option<u64>) -> Conformity {
    if n < MIN_COUNT {
        return Conformity::InsufficientData;
    }
    let beyond_chance = p_value < LEVEL;
    let Some(bounds) = kind.mad_thresholds() else {
        return if beyond_chance {
            Conformity::Nonconformity
        } else {
            Conformity::Acceptable
        };
    };
    if beyond_chance && excess > bounds[2] {
        return Conformity::Nonconformity;
    }
    if needed.is_some_and(|needed| n < needed) {
        return Conformity::InsufficientData;
    }
    match class_of(excess, bounds) {
        Conformity::Nonconformity => Conformity::Marginal,
        class => class,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_three_and_last_two_digits_need_enough_digits() {
        let b = benford(["1234", "120", "99999", "45", "1000"]);
        let t3 = &b.first_three_digits;
        assert_eq!(t3.n, 4);
        for (digits, count) in [(123, 1), (120, 1), (999, 1), (100, 1)] {
            assert_eq!(t3.counts[digits - 100], count, "{digits}");
        }
        let l2 = &b.last_two_digits;
        assert_eq!(l2.n, 3, "only numbers of four or more digits");
        assert_eq!((l2.counts[34], l2.counts[99], l2.counts[0]), (1, 1, 1));
        assert_eq!(l2.expected, vec![0.01; 100]);
        assert_eq!(b.first_two_digits.n, 5);
        assert_eq!(
            Kind::FirstThree.expected()[0],
            (1.0f64 + 1.0 / 100.0).log10()
        );
    }

    #[test]
    fn counts_and_p_values_in_words() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1_400), "1,400");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(p_words(0.0421), "p = 0.042");
        assert_eq!(p_words(0.0004), "p < 0.001");
    }

    #[test]
    fn digits_of_a_number() {
        let d = Digits::of(b"1234567").expect("digits");
        assert_eq!((d.lead, d.last_two, d.count), (*b"123", *b"67", 7));
        let d = Digits::of(b"7").expect("digits");
        assert_eq!((d.lead[0], d.count), (b'7', 1));
        assert_eq!(Digits::of(b"0123"), None);
        assert_eq!(Digits::of(b""), None);
        assert_eq!(Digits::of(b"12a"), None);
    }

    #[test]
    fn the_last_two_digits_are_judged_by_whether_the_mad_is_beyond_chance() {
        let even = from_counts(Kind::LastTwo, vec![10; 100]);
        assert_eq!(even.conformity, Conformity::Acceptable);
        assert_eq!((even.nigrini_class, even.needed), (None, None));
        assert!(
            even.reading.contains("as evenly as chance"),
            "{}",
            even.reading
        );
        let mut rounded = vec![5; 100];
        rounded[0] = 300;
        rounded[50] = 200;
        let rounded = from_counts(Kind::LastTwo, rounded);
        assert_eq!(rounded.conformity, Conformity::Nonconformity);
        assert!(rounded.flagged.iter().any(|f| f.digits == 0 && f.excess));
    }

    #[test]
    fn expected_proportions_sum_to_one() {
        for kind in [Kind::First, Kind::Second, Kind::FirstTwo] {
            let sum: f64 = kind.expected().iter().sum();
            assert!((sum - 1.0).abs() < 1e-12, "{kind:?}: {sum}");
        }
        let first = Kind::First.expected();
        assert!((first[0] - std::f64::consts::LOG10_2).abs() < 1e-12);
        assert!((first[8] - 0.045_76).abs() < 1e-5);
        let second = Kind::Second.expected();
        assert!((second[0] - 0.119_68).abs() < 1e-5);
        assert!((second[9] - 0.085_00).abs() < 1e-5);
    }

    #[test]
    fn z_follows_nigrini_with_the_continuity_correction_when_it_is_smaller() {
        // n = 1000, expected 0.301, observed 0.35: (0.049 − 0.0005) / √(0.301·0.699/1000).
        let z = z_statistic(0.35, 0.301, 1000);
        let by_hand = (0.049 - 0.0005) / (0.301_f64 * 0.699 / 1000.0).sqrt();
        assert!((z - by_hand).abs() < 1e-12, "{z} vs {by_hand}");
        // A difference smaller than 1/(2n) is not corrected into a negative Z.
        let tiny = z_statistic(0.3012, 0.301, 1000);
        assert!(tiny > 0.0 && (tiny - 0.0002 / (0.301_f64 * 0.699 / 1000.0).sqrt()).abs() < 1e-12);
        assert_eq!(z_statistic(0.5, 0.3, 0), 0.0);
    }

    #[test]
    fn the_reading_says_what_the_sample_size_allows() {
        let benford = |n: f64| -> Vec<u64> {
            Kind::First
                .expected()
                .iter()
                .map(|p| (p * n).round() as u64)
                .collect()
        };
        assert_eq!(
            from_counts(Kind::First, vec![0; 9]).reading,
            "No numbers to test."
        );
        let few = from_counts(Kind::First, vec![3, 2, 1, 1, 1, 1, 1, 0, 0]);
        assert!(
            few.reading.starts_with("Only 10 numbers: too few to judge"),
            "{}",
            few.reading
        );
        let small = from_counts(Kind::First, benford(200.0));
        assert_eq!(small.conformity, Conformity::InsufficientData);
        assert!(
            small
                .reading
                .starts_with("Too few numbers for this test: it needs about 250, here 199."),
            "{}",
            small.reading
        );
        assert!(
            small.reading.contains("within what chance gives"),
            "{}",
            small.reading
        );
        let large = from_counts(Kind::First, benford(10_000.0));
        assert!(!large.reading.contains("Too few"), "{}", large.reading);
        assert!(
            large
                .reading
                .starts_with("The digits follow Benford's law closely.")
        );
        let mut spiked = benford(1000.0);
        spiked[6] += 60;
        let spiked = from_counts(Kind::First, spiked);
        assert!(spiked.reading.contains("7 (more)"), "{}", spiked.reading);
    }

    #[test]
    fn a_spike_is_flagged_and_a_benford_bin_is_not() {
        // Benford counts for 1,000 numbers, then 60 more 7s.
        let mut counts: Vec<u64> = Kind::First
            .expected()
            .iter()
            .map(|p| (p * 1000.0).round() as u64)
            .collect();
        let calm = from_counts(Kind::First, counts.clone());
        assert!(calm.flagged.is_empty(), "{:?}", calm.flagged);
        counts[6] += 60;
        let test = from_counts(Kind::First, counts);
        assert_eq!(test.z.len(), 9);
        let seven = test
            .flagged
            .iter()
            .find(|f| f.digits == 7)
            .expect("7 flagged");
        assert!(seven.excess && seven.z > Z_CRITICAL);
        assert!(test.flagged.iter().all(|f| f.z > Z_CRITICAL));
    }

    /// Counts that follow Benford exactly (to rounding) conform closely.
    #[test]
    fn benford_counts_conform_closely() {
        let counts: Vec<u64> = Kind::First
            .expected()
            .iter()
            .map(|p| (p * 100_000.0).round() as u64)
            .collect();
        let t = from_counts(Kind::First, counts);
        assert_eq!(t.conformity, Conformity::Close);
        assert!(t.chi_square < 0.01, "{}", t.chi_square);
        assert!(t.p_value > 0.99);
        assert!(t.ks < t.ks_critical.unwrap());
    }

    #[test]
    fn uniform_first_digits_do_not_conform() {
        let t = from_counts(Kind::First, vec![100; 9]);
        assert_eq!(t.conformity, Conformity::Nonconformity);
        assert!(t.p_value < 1e-10);
        assert!(t.ks > t.ks_critical.unwrap());
    }

    /// Reference values computed with scipy.stats.chi2.sf for the same counts.
    #[test]
    fn chi_square_and_p_value_match_scipy() {
        // scipy.stats.chisquare(obs, n * p): (19.098622321411842, 0.014341020018966782)
        let t = from_counts(Kind::First, vec![120, 70, 60, 50, 45, 40, 35, 35, 30]);
        assert!(
            (t.chi_square - 19.098_622_321).abs() < 1e-6,
            "{}",
            t.chi_square
        );
        assert!(
            (t.p_value - 0.014_341_020_019).abs() < 1e-8,
            "{}",
            t.p_value
        );
        // (29.346985394366335, 0.0002755646627953445)
        let t = from_counts(Kind::First, vec![100, 70, 60, 50, 45, 40, 35, 35, 30]);
        assert!(
            (t.chi_square - 29.346_985_394).abs() < 1e-6,
            "{}",
            t.chi_square
        );
        assert!(
            (t.p_value - 0.000_275_564_663).abs() < 1e-9,
            "{}",
            t.p_value
        );
    }

    #[test]
    fn few_numbers_are_insufficient_data() {
        let t = benford(["12", "345", "9"]).first_digit;
        assert_eq!(t.n, 3);
        assert_eq!(t.conformity, Conformity::InsufficientData);
    }

    #[test]
    fn digit_strings_are_binned_by_the_right_digits() {
        let all = benford(["123", "45", "9", "10"]);
        assert_eq!(all.first_digit.counts, [2, 0, 0, 1, 0, 0, 0, 0, 1]);
        // "9" has no second digit.
        assert_eq!(all.second_digit.n, 3);
        assert_eq!(all.second_digit.counts[0], 1); // "10"
        assert_eq!(all.second_digit.counts[2], 1); // "123"
        assert_eq!(all.first_two_digits.counts[12 - 10], 1);
        assert_eq!(all.first_two_digits.counts[45 - 10], 1);
    }

    #[test]
    fn no_numbers_at_all_is_not_a_nan_party() {
        let t = benford([]).first_digit;
        assert_eq!(t.n, 0);
        assert_eq!(t.conformity, Conformity::InsufficientData);
        assert!(t.chi_square.is_finite() && t.p_value.is_finite() && t.mad.is_finite());
        assert_eq!(t.ks_critical, None);
        // The report survives a JSON round trip (no infinities turned into null).
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<DigitTest>(&json).unwrap(), t);
    }
}

//! The tests of Nigrini's suite that read the numbers' values, not only
//! their digits: the **summation test** (each first-two-digit bucket's share
//! of the total), the **mantissa arc test** (the mantissas of the logarithms
//! as points on a circle: Benford's law spreads them evenly, so their centre
//! of gravity sits at the origin), with the mantissas' moments, and the
//! **distortion factor** (by how much the numbers, collapsed into [10, 100),
//! run higher or lower than Benford's law expects).
//!
//! All three are folds over the amounts in ascending order (see
//! `amounts::Ordered`), so a document read in slices gets exactly the
//! figures of one pass.

use serde::{Deserialize, Serialize};

use crate::forensics::benford::Z_CRITICAL;

/// Significance level of the arc test and the distortion factor.
pub const ALPHA: f64 = 0.05;
/// The summation buckets a report lists by name: the largest shares.
pub const LARGEST_LISTED: usize = 5;
/// Fewest numbers before these tests are read (as the digit tests).
const MIN_COUNT: u64 = crate::forensics::benford::MIN_COUNT;

/// Nigrini's summation test: the amounts summed per first-two-digit bucket
/// (10–99); Benford's law expects every bucket to hold the same share,
/// 1/90. A bucket far above it is a few large amounts (or many equal ones).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summation {
    /// Each bucket's share of the sum of all amounts, buckets 10 to 99.
    pub shares: Vec<f64>,
    pub expected: f64,
    /// Mean absolute deviation of the shares from 1/90.
    pub mad: f64,
    /// The [`LARGEST_LISTED`] buckets with the largest shares, largest first.
    pub largest: Vec<Bucket>,
    pub reading: String,
}

/// One summation bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub digits: u32,
    pub share: f64,
    /// How many times the expected share.
    pub times_expected: f64,
}

/// The mantissas of the amounts' base-10 logarithms: moments and the arc
/// test. Benford's law makes them uniform on [0, 1): mean ½, variance 1/12,
/// skewness 0, excess kurtosis −1.2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mantissas {
    pub n: u64,
    pub mean: f64,
    /// Sample variance (n − 1 in the denominator).
    pub variance: f64,
    /// Adjusted Fisher–Pearson skewness (G1).
    pub skewness: f64,
    /// Adjusted excess kurtosis (G2).
    pub kurtosis: f64,
    /// The centre of gravity of the points (cos 2πm, sin 2πm).
    pub arc_x: f64,
    pub arc_y: f64,
    /// Its squared distance from the origin, L².
    pub arc_l2: f64,
    /// The chance of an L² this large from Benford data (Rayleigh):
    /// e^(−n·L²).
    pub arc_p_value: f64,
    /// `arc_p_value` below [`ALPHA`].
    pub flagged: bool,
    pub reading: String,
}

/// Nigrini's distortion factor: the amounts collapsed into [10, 100)
/// (`10^(1 + mantissa)`), their mean against the mean Benford's law
/// expects for n numbers, `90 / (n (10^(1/n) − 1))`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distortion {
    pub n: u64,
    pub actual_mean: f64,
    pub expected_mean: f64,
    /// `(actual − expected) / expected`, in per cent: positive when the
    /// numbers run high, negative when they run low.
    pub factor_percent: f64,
    /// The factor over its standard error under Benford's law.
    pub z: f64,
    /// `|z|` beyond [`Z_CRITICAL`].
    pub flagged: bool,
    pub reading: String,
}

/// Standard deviation of a collapsed value over its mean under Benford's
/// law (about 0.638): the collapsed value is `10^(1+U)`, U uniform on
/// [0, 1), with mean `90/ln 10` and mean square `9900/(2 ln 10)`.
pub fn distortion_sd_ratio() -> f64 {
    let ln10 = std::f64::consts::LN_10;
    let mean = 90.0 / ln10;
    let mean_square = 9900.0 / (2.0 * ln10);
    (mean_square - mean * mean).sqrt() / mean
}

/// The mantissa of a positive value's base-10 logarithm, in [0, 1).
pub fn mantissa(value: f64) -> f64 {
    let log = value.log10();
    let m = log - log.floor();
    if m >= 1.0 { 0.0 } else { m }
}

/// The sums the three tests need, as amounts go past.
#[derive(Debug, Clone, Default)]
pub struct Magnitudes {
    bucket_sums: Vec<u128>,
    total: u128,
    n: u64,
    /// Σm, Σm², Σm³, Σm⁴.
    powers: [f64; 4],
    cos: f64,
    sin: f64,
    collapsed: f64,
}

impl Magnitudes {
    /// One amount: `scaled` in units of `10^-scale_digits`, with its first
    /// two significant digits (10–99).
    pub fn push(&mut self, scaled: u128, first_two: u32) {
        if self.bucket_sums.is_empty() {
            self.bucket_sums = vec![0; 90];
        }
        if let Some(sum) = first_two
            .checked_sub(10)
            .and_then(|i| self.bucket_sums.get_mut(i as usize))
        {
            *sum = sum.saturating_add(scaled);
            self.total = self.total.saturating_add(scaled);
        }
        let m = mantissa(scaled as f64);
        self.n += 1;
        let mut p = 1.0;
        for slot in &mut self.powers {
            p *= m;
            *slot += p;
        }
        let angle = std::f64::consts::TAU * m;
        self.cos += angle.cos();
        self.sin += angle.sin();
        self.collapsed += 10f64.powf(1.0 + m);
    }

    pub fn finish(self) -> (Summation, Mantissas, Distortion) {
        (self.summation(), self.mantissas(), self.distortion())
    }

    fn summation(&self) -> Summation {
        let expected = 1.0 / 90.0;
        let total = self.total as f64;
        let shares: Vec<f64> = (0..90)
            .map(|i| {
                let sum = self.bucket_sums.get(i).copied().unwrap_or(0);
                if self.total == 0 {
                    0.0
                } else {
                    sum as f64 / total
                }
            })
            .collect();
        let mad = shares.iter().map(|s| (s - expected).abs()).sum::<f64>() / 90.0;
        let mut order: Vec<usize> = (0..90).filter(|&i| shares[i] > 0.0).collect();
        order.sort_by(|&a, &b| shares[b].total_cmp(&shares[a]).then(a.cmp(&b)));
        let largest: Vec<Bucket> = order
            .into_iter()
            .take(LARGEST_LISTED)
            .map(|i| Bucket {
                digits: i as u32 + 10,
                share: shares[i],
                times_expected: shares[i] / expected,
            })
            .collect();
        let reading = if self.n < MIN_COUNT {
            too_few(self.n)
        } else {
            match largest.first() {
                Some(top) if top.times_expected >= 2.0 => format!(
                    "The amounts starting {} hold {:.1} % of the total, {:.1} times the 1/90 \
                     Benford's law gives every bucket: a few large amounts, or many equal ones, \
                     start that way — worth looking at. Nigrini publishes no bound for this \
                     test; read the largest buckets, not a class.",
                    top.digits,
                    100.0 * top.share,
                    top.times_expected
                ),
                _ => "No first-two-digit bucket holds twice its 1/90 share of the total: no \
                      single group of large amounts dominates. Nigrini publishes no bound for \
                      this test."
                    .to_owned(),
            }
        };
        Summation {
            shares,
            expected,
            mad,
            largest,
            reading,
        }
    }

    fn mantissas(&self) -> Mantissas {
        let n = self.n as f64;
        let [s1, s2, s3, s4] = self.powers;
        let (mean, variance, skewness, kurtosis) = if self.n == 0 {
            (0.0, 0.0, 0.0, 0.0)
        } else {
            let mean = s1 / n;
            // Central moments from the raw ones.
            let m2 = s2 / n - mean * mean;
            let m3 = s3 / n - 3.0 * mean * s2 / n + 2.0 * mean.powi(3);
            let m4 = s4 / n - 4.0 * mean * s3 / n + 6.0 * mean * mean * s2 / n - 3.0 * mean.powi(4);
            let variance = if self.n > 1 { m2 * n / (n - 1.0) } else { 0.0 };
            let skewness = if self.n > 2 && m2 > 0.0 {
                (n * (n - 1.0)).sqrt() / (n - 2.0) * m3 / m2.powf(1.5)
            } else {
                0.0
            };
            let kurtosis = if self.n > 3 && m2 > 0.0 {
                let g2 = m4 / (m2 * m2) - 3.0;
                ((n + 1.0) * g2 + 6.0) * (n - 1.0) / ((n - 2.0) * (n - 3.0))
            } else {
                0.0
            };
            (mean, variance, skewness, kurtosis)
        };
        let (arc_x, arc_y) = if self.n == 0 {
            (0.0, 0.0)
        } else {
            (self.cos / n, self.sin / n)
        };
        let arc_l2 = arc_x * arc_x + arc_y * arc_y;
        let arc_p_value = (-n * arc_l2).exp();
        let flagged = self.n >= MIN_COUNT && arc_p_value < ALPHA;
        let reading = if self.n < MIN_COUNT {
            too_few(self.n)
        } else if flagged {
            format!(
                "The mantissas are not spread evenly round the circle (L² = {arc_l2:.5}, \
                 p = {arc_p_value:.3} below {ALPHA}): the numbers cluster at some magnitudes, \
                 which Benford data does not. Mean {mean:.3} (½ expected), variance \
                 {variance:.4} (1/12 = 0.0833 expected)."
            )
        } else {
            format!(
                "The mantissas are spread evenly round the circle, as Benford's law has them \
                 (L² = {arc_l2:.5}, p = {arc_p_value:.3}). Mean {mean:.3} (½ expected), \
                 variance {variance:.4} (1/12 = 0.0833 expected)."
            )
        };
        Mantissas {
            n: self.n,
            mean,
            variance,
            skewness,
            kurtosis,
            arc_x,
            arc_y,
            arc_l2,
            arc_p_value,
            flagged,
            reading,
        }
    }

    fn distortion(&self) -> Distortion {
        let n = self.n as f64;
        if self.n == 0 {
            return Distortion {
                n: 0,
                actual_mean: 0.0,
                expected_mean: 0.0,
                factor_percent: 0.0,
                z: 0.0,
                flagged: false,
                reading: too_few(0),
            };
        }
        let actual_mean = self.collapsed / n;
        // 10^(1/n) − 1 without the cancellation for large n.
        let expected_mean = 90.0 / (n * (std::f64::consts::LN_10 / n).exp_m1());
        let factor = (actual_mean - expected_mean) / expected_mean;
        let z = factor / (distortion_sd_ratio() / n.sqrt());
        let flagged = self.n >= MIN_COUNT && z.abs() > Z_CRITICAL;
        let factor_percent = 100.0 * factor;
        let reading = if self.n < MIN_COUNT {
            too_few(self.n)
        } else if flagged {
            format!(
                "The numbers run {} than Benford's law expects by {:.1} % (Z {z:.2}, beyond \
                 {Z_CRITICAL}): {}.",
                if factor > 0.0 { "higher" } else { "lower" },
                factor_percent.abs(),
                if factor > 0.0 {
                    "they lean to high leading digits, as inflated amounts do"
                } else {
                    "they lean to low leading digits, as understated amounts, or amounts kept \
                     just under a threshold, do"
                }
            )
        } else {
            format!(
                "The numbers run as high as Benford's law expects (distortion {factor_percent:+.1} %, \
                 Z {z:.2}, within {Z_CRITICAL})."
            )
        };
        Distortion {
            n: self.n,
            actual_mean,
            expected_mean,
            factor_percent,
            z,
            flagged,
            reading,
        }
    }
}

fn too_few(n: u64) -> String {
    if n == 0 {
        "No numbers to test.".to_owned()
    } else {
        format!(
            "Only {n} numbers: too few to judge (at least {MIN_COUNT} are needed; 500 or \
             more for the figures to mean much)."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` values spread as Benford's law spreads them: 10^(1 + k/n).
    fn benford_values(n: u64) -> Magnitudes {
        let mut m = Magnitudes::default();
        for k in 0..n {
            let v = 10f64.powf(1.0 + (k as f64 + 0.5) / n as f64);
            let scaled = (v * 1e9).round() as u128;
            m.push(scaled, v as u32);
        }
        m
    }

    #[test]
    fn the_sd_ratio_is_nigrinis_0_638() {
        assert!((distortion_sd_ratio() - 0.638).abs() < 0.001);
    }

    #[test]
    fn mantissas_of_exact_values() {
        assert_eq!(mantissa(100.0), 0.0);
        assert!((mantissa(20.0) - 2f64.log10()).abs() < 1e-15);
        assert!((mantissa(1e9 * 20.0) - 2f64.log10()).abs() < 1e-12);
    }

    #[test]
    fn benford_values_pass_every_test() {
        let (summation, mantissas, distortion) = benford_values(5_000).finish();
        assert!(summation.largest[0].times_expected < 2.0, "{summation:?}");
        assert!((mantissas.mean - 0.5).abs() < 1e-3);
        assert!((mantissas.variance - 1.0 / 12.0).abs() < 1e-3);
        assert!(mantissas.skewness.abs() < 1e-2);
        assert!((mantissas.kurtosis + 1.2).abs() < 1e-2);
        assert!(!mantissas.flagged, "{mantissas:?}");
        assert!(!distortion.flagged, "{distortion:?}");
        assert!(distortion.factor_percent.abs() < 0.1, "{distortion:?}");
    }

    #[test]
    fn clustered_values_are_flagged() {
        // Everything between 40 and 49: the mantissas bunch, the numbers
        // run high, one bucket range holds everything.
        let mut m = Magnitudes::default();
        for k in 0..1_000u128 {
            let v = 40_000_000_000 + k * 9_000_000;
            m.push(v, 40 + (k / 100) as u32);
        }
        let (summation, mantissas, distortion) = m.finish();
        assert_eq!(summation.largest.len(), LARGEST_LISTED);
        assert!(summation.largest[0].times_expected > 8.0);
        assert!(summation.reading.contains("worth looking at"));
        assert!(mantissas.flagged && mantissas.arc_p_value < 1e-10);
        assert!(distortion.flagged && distortion.factor_percent > 0.0);
        assert!(distortion.reading.contains("higher"));
    }

    #[test]
    fn nothing_and_too_little() {
        let (summation, mantissas, distortion) = Magnitudes::default().finish();
        assert_eq!(summation.shares, vec![0.0; 90]);
        assert!(summation.largest.is_empty());
        assert_eq!(mantissas.n, 0);
        assert!(!mantissas.flagged && !distortion.flagged);
        assert_eq!(distortion.reading, "No numbers to test.");
        let (_, mantissas, _) = benford_values(10).finish();
        assert!(mantissas.reading.starts_with("Only 10 numbers"));
    }
}

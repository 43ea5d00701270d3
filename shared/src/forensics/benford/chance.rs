//! What chance alone gives: the mean absolute deviation (MAD) that a sample
//! of `n` numbers drawn exactly from Benford's law shows, and how unusual an
//! observed MAD is under that law.
//!
//! Nigrini's MAD bounds were set on large data sets; a small honest sample
//! exceeds them by chance. Here, for a test's bins and `n`:
//! - the **expected MAD** is exact: each bin's count is binomial, and
//!   `E|X − np|` has de Moivre's closed form;
//! - its **variance** is exact per bin (`np(1−p) − E|X − np|²`) plus the
//!   bins' covariances in their large-sample form (the counts are
//!   multinomial, so `|X_i − np_i|` and `|X_j − np_j|` move together as
//!   folded normals of correlation `−√(p_i p_j / ((1−p_i)(1−p_j)))`);
//! - the **p-value** of an observed MAD is the upper tail of a gamma
//!   distribution with that mean and variance. `shared/tests/calibration.rs`
//!   checks it against simulated Benford samples;
//! - the **numbers needed**: the smallest `n` whose expected MAD is within
//!   the test's nonconformity bound (the bound is unreachable for honest
//!   data below it).

use std::sync::OnceLock;

use statrs::distribution::{ContinuousCDF, Gamma};
use statrs::function::gamma::ln_gamma;

use super::Kind;

/// `E|X − np|` for `X ~ Binomial(n, p)`: `2ν·C(n, ν)·p^ν·(1−p)^(n−ν+1)` with
/// `ν = ⌊np⌋ + 1` (de Moivre), computed through logarithms.
pub fn binomial_mean_deviation(n: u64, p: f64) -> f64 {
    if n == 0 || p <= 0.0 || p >= 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    let nu = (nf * p).floor() + 1.0;
    if nu > nf {
        return 0.0;
    }
    let log = ln_gamma(nf + 1.0) - ln_gamma(nu + 1.0) - ln_gamma(nf - nu + 1.0)
        + nu * p.ln()
        + (nf - nu + 1.0) * (-p).ln_1p();
    2.0 * nu * log.exp()
}

/// The MAD of `n` Benford numbers in a test: its mean and variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Null {
    pub mean: f64,
    pub variance: f64,
}

impl Null {
    /// For `kind`'s bins and `n` numbers (`n > 0`).
    pub fn of(kind: Kind, n: u64) -> Null {
        let expected = kind.expected();
        let k = expected.len() as f64;
        let nf = n as f64;
        let (mut deviation, mut own_variance) = (0.0, 0.0);
        for &p in &expected {
            let md = binomial_mean_deviation(n, p);
            deviation += md;
            own_variance += (nf * p * (1.0 - p) - md * md).max(0.0);
        }
        let scale = k * nf;
        Null {
            mean: deviation / scale,
            variance: ((own_variance + nf * covariance_sum(kind)) / (scale * scale)).max(0.0),
        }
    }

    /// The chance of a MAD at least `mad` (the upper tail of the gamma
    /// distribution with this mean and variance).
    pub fn p_value(self, mad: f64) -> f64 {
        if !(self.mean > 0.0 && self.variance > 0.0) {
            return 1.0;
        }
        let shape = self.mean * self.mean / self.variance;
        let rate = self.mean / self.variance;
        Gamma::new(shape, rate)
            .map(|g| g.sf(mad).clamp(0.0, 1.0))
            .unwrap_or(1.0)
    }
}

/// `Σ_{i≠j} σ_i σ_j c(ρ_ij)`: the bins' covariances of `|X − np|` per number
/// (large-sample form), the same for every `n`, so computed once per test.
fn covariance_sum(kind: Kind) -> f64 {
    static SUMS: [OnceLock<f64>; 5] = [const { OnceLock::new() }; 5];
    *SUMS[slot(kind)].get_or_init(|| {
        let p = kind.expected();
        let sigma: Vec<f64> = p.iter().map(|p| (p * (1.0 - p)).sqrt()).collect();
        let odds: Vec<f64> = p.iter().map(|p| (p / (1.0 - p)).sqrt()).collect();
        let mut sum = 0.0;
        for i in 0..p.len() {
            for j in i + 1..p.len() {
                let rho = -odds[i] * odds[j];
                sum += 2.0 * sigma[i] * sigma[j] * folded_covariance(rho);
            }
        }
        sum
    })
}

/// `Cov(|Z₁|, |Z₂|)` of two standard normals of correlation `rho`:
/// `(2/π)(ρ·asin ρ + √(1−ρ²) − 1)`.
fn folded_covariance(rho: f64) -> f64 {
    if rho.abs() < 1e-3 {
        // The series, where the closed form loses its digits to cancellation.
        let r2 = rho * rho;
        return r2 / std::f64::consts::PI * (1.0 + r2 / 12.0);
    }
    std::f64::consts::FRAC_2_PI * (rho * rho.asin() + (1.0 - rho * rho).sqrt() - 1.0)
}

/// The fewest numbers whose expected MAD is within the test's
/// nonconformity bound (below it, honest data usually exceed the bound);
/// `None` for a test without bounds.
pub fn numbers_needed(kind: Kind) -> Option<u64> {
    static NEEDED: [OnceLock<Option<u64>>; 5] = [const { OnceLock::new() }; 5];
    *NEEDED[slot(kind)].get_or_init(|| {
        let [_, _, bound] = kind.mad_thresholds()?;
        // The expected MAD falls (all but monotonically) with n: the first
        // n of a doubling search whose mean is within the bound, then
        // halving between it and the last one that was not.
        let within = |n: u64| Null::of(kind, n).mean <= bound;
        let mut high = 16;
        while !within(high) && high < 1 << 40 {
            high *= 2;
        }
        let mut low = high / 2;
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if within(mid) {
                high = mid;
            } else {
                low = mid;
            }
        }
        Some(high)
    })
}

fn slot(kind: Kind) -> usize {
    match kind {
        Kind::First => 0,
        Kind::Second => 1,
        Kind::FirstTwo => 2,
        Kind::FirstThree => 3,
        Kind::LastTwo => 4,
    }
}

/// `n` rounded to two significant digits, as "about M" reads.
pub fn about(n: u64) -> u64 {
    let mut scale = 1;
    while n / scale >= 100 {
        scale *= 10;
    }
    n.div_ceil(scale) * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct_mean_deviation(n: u64, p: f64) -> f64 {
        (0..=n)
            .map(|x| {
                let log = ln_gamma(n as f64 + 1.0)
                    - ln_gamma(x as f64 + 1.0)
                    - ln_gamma((n - x) as f64 + 1.0)
                    + x as f64 * p.ln()
                    + (n - x) as f64 * (1.0 - p).ln();
                log.exp() * (x as f64 - n as f64 * p).abs()
            })
            .sum()
    }

    #[test]
    fn de_moivre_equals_the_sum_over_outcomes() {
        for (n, p) in [
            (1, 0.3),
            (10, 0.301),
            (50, 0.046),
            (400, 0.0043),
            (2000, 0.5),
        ] {
            let closed = binomial_mean_deviation(n, p);
            let direct = direct_mean_deviation(n, p);
            assert!(
                (closed - direct).abs() < 1e-9 * direct.max(1.0),
                "n {n} p {p}: {closed} vs {direct}"
            );
        }
        assert_eq!(binomial_mean_deviation(0, 0.3), 0.0);
    }

    #[test]
    fn the_expected_mad_approaches_the_large_sample_formula() {
        // (1/K) Σ √(2p(1−p)/(πn)) once every bin's count is large.
        for kind in [Kind::First, Kind::Second, Kind::FirstTwo, Kind::LastTwo] {
            let n = 1_000_000;
            let p = kind.expected();
            let formula = p
                .iter()
                .map(|p| (2.0 * p * (1.0 - p) / (std::f64::consts::PI * n as f64)).sqrt())
                .sum::<f64>()
                / p.len() as f64;
            let exact = Null::of(kind, n).mean;
            assert!((exact / formula - 1.0).abs() < 1e-3, "{kind:?}");
        }
    }

    #[test]
    fn the_numbers_needed_are_where_the_issue_says() {
        // (1/K) Σ √(2p(1−p)/(πn)) = bound at n ≈ 245 for the first digit,
        // 1,301 for the first two and 2,550 for the first three.
        let need = |kind: Kind| numbers_needed(kind).expect("bounds");
        assert!(
            (200..320).contains(&need(Kind::First)),
            "{}",
            need(Kind::First)
        );
        assert!(
            (1_200..1_700).contains(&need(Kind::FirstTwo)),
            "{}",
            need(Kind::FirstTwo)
        );
        assert!(
            (2_300..2_800).contains(&need(Kind::FirstThree)),
            "{}",
            need(Kind::FirstThree)
        );
        assert!(Null::of(Kind::FirstTwo, need(Kind::FirstTwo)).mean <= 0.0022);
        assert!(Null::of(Kind::FirstTwo, need(Kind::FirstTwo) - 1).mean > 0.0022);
    }

    #[test]
    fn p_values_fall_as_the_mad_grows() {
        let null = Null::of(Kind::First, 400);
        assert!(null.p_value(0.0) > 0.999);
        assert!(null.p_value(null.mean) > 0.4 && null.p_value(null.mean) < 0.6);
        assert!(null.p_value(0.05) < 1e-6);
    }

    #[test]
    fn about_rounds_up_to_two_digits() {
        assert_eq!(about(7), 7);
        assert_eq!(about(1_371), 1_400);
        assert_eq!(about(250), 250);
        assert_eq!(about(30_001), 31_000);
    }
}

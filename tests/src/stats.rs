//! Percentiles of a sample (nearest rank) and the clocks the benchmarks
//! compare: this machine's wall clock and the worker's RFC 3339 stamps.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or_default()
}

/// Milliseconds since the Unix epoch of an RFC 3339 stamp (`updated_at`).
pub fn stamp_ms(rfc3339: &str) -> Option<f64> {
    humantime::parse_rfc3339(rfc3339)
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs_f64() * 1000.0)
}

/// The `p`-th percentile (0–100) of `values`, nearest rank; `None` when empty.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// "p50 / p95 / max" of `values`, formatted with one decimal.
pub fn summary(values: &[f64]) -> String {
    match (
        percentile(values, 50.0),
        percentile(values, 95.0),
        percentile(values, 100.0),
    ) {
        (Some(a), Some(b), Some(c)) => format!("{a:.1} / {b:.1} / {c:.1}"),
        _ => "–".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 95.0), Some(95.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&[3.0], 50.0), Some(3.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(summary(&[2.0, 1.0]), "1.0 / 2.0 / 2.0");
    }
}

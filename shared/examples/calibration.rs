//! The calibration and power of the digit tests' headline class, printed as
//! the table in BENCHMARKS.md: for each sample size and source of amounts,
//! the share of seeded samples each test calls `nonconformity` (and, for
//! comparison, the share Nigrini's raw-MAD class would, and the share whose
//! MAD p-value is below 5 %).
//!
//! `cargo run --release -p docket-shared --example calibration [SEEDS]`

#[path = "../tests/samples/mod.rs"]
mod samples;

use samples::{Source, sample, tests};
use shared::forensics::benford::{Conformity, LEVEL};

const SIZES: [usize; 7] = [50, 100, 200, 400, 1_000, 5_000, 50_000];

fn main() {
    let seeds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000);
    println!(
        "{seeds} seeds per cell; headline nonconformity % (Nigrini's raw class %, MAD p < 5 %)\n"
    );
    for source in Source::ALL {
        println!("### {}\n", source.name());
        println!(
            "| n | first digit | second digit | first two | first three | last two | any test |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|");
        for n in SIZES {
            let mut called = [0u64; 5];
            let mut nigrini = [0u64; 5];
            let mut beyond = [0u64; 5];
            let mut any = 0u64;
            for seed in 0..seeds {
                let b = sample(source, n, seed * 7_919 + n as u64);
                let mut some = false;
                for (i, (_, t)) in tests(&b).into_iter().enumerate() {
                    if t.conformity == Conformity::Nonconformity {
                        called[i] += 1;
                        some = true;
                    }
                    if t.nigrini_class == Some(Conformity::Nonconformity) {
                        nigrini[i] += 1;
                    }
                    if t.mad_p_value < LEVEL {
                        beyond[i] += 1;
                    }
                }
                any += u64::from(some);
            }
            let pct = |c: u64| 100.0 * c as f64 / seeds as f64;
            let cells: Vec<String> = (0..5)
                .map(|i| {
                    let raw = if i == 4 {
                        "–".to_string()
                    } else {
                        format!("{:.1}", pct(nigrini[i]))
                    };
                    format!("{:.1} ({raw}, {:.1})", pct(called[i]), pct(beyond[i]))
                })
                .collect();
            println!("| {n} | {} | {:.1} |", cells.join(" | "), pct(any));
        }
        println!();
    }
}

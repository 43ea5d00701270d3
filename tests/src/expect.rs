//! What a file should end as, computed by running the analysis engine natively
//! on it (the same code the worker runs compiled to wasm), and the check that a
//! job's final state and result agree with it.

use std::path::{Path, PathBuf};

use serde_json::Value;
use shared::analysis::{Limits, analyse};
use shared::contract::api::{Job, JobState};

/// The directory of the shared corpus (`DOCKET_CORPUS`, or `tests/corpus`).
pub fn corpus_dir() -> PathBuf {
    std::env::var_os("DOCKET_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus"))
}

/// The expected end of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `completed`, with figures the result must repeat.
    Completed {
        pages: u32,
        numbers_found: u64,
        first_digit: Vec<u64>,
    },
    /// `error` with this code.
    Error(String),
    /// Refused at the upload with 415 `not_a_pdf` (empty, or no `%PDF-`
    /// header): no job is made.
    Refused,
}

/// One file of a workload with its expected outcome.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub bytes: Vec<u8>,
    pub outcome: Outcome,
}

impl Sample {
    /// Reads a file and works out its outcome.
    pub fn load(path: &Path) -> Sample {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let outcome = outcome_of(&bytes);
        Sample {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            bytes,
            outcome,
        }
    }

    /// A generated file under a name of its own.
    pub fn generated(name: &str, bytes: Vec<u8>) -> Sample {
        let outcome = outcome_of(&bytes);
        Sample {
            name: name.to_owned(),
            bytes,
            outcome,
        }
    }
}

/// The outcome of uploading `bytes`: refused at the door, or what analysing
/// them with the default limits gives.
pub fn outcome_of(bytes: &[u8]) -> Outcome {
    if bytes.is_empty() || !shared::contract::validate::looks_like_pdf(bytes) {
        return Outcome::Refused;
    }
    let clock = || 0.0;
    match analyse(bytes, &Limits::default(), &clock, &mut |_, _| {}) {
        Ok(report) => Outcome::Completed {
            pages: report.pages,
            numbers_found: report.numbers.found,
            first_digit: report.benford.first_digit.counts,
        },
        Err(e) => Outcome::Error(e.code().as_str().to_owned()),
    }
}

/// The corpus files up to `max_bytes` each (sorted by name), with outcomes.
pub fn corpus_samples(max_bytes: u64) -> Vec<Sample> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("the corpus directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() <= max_bytes))
        .collect();
    paths.sort();
    paths.iter().map(|p| Sample::load(p)).collect()
}

/// Whether a terminal job (and its result, when completed) agrees with the
/// expected outcome; the reason when it does not.
pub fn check(job: &Job, result: Option<&Value>, expected: &Outcome) -> Result<(), String> {
    match (expected, job.state()) {
        (
            Outcome::Completed {
                pages,
                numbers_found,
                first_digit,
            },
            JobState::Completed,
        ) => {
            let Some(result) = result else {
                return Err(format!("job {} completed without a result", job.id));
            };
            let got_pages = result["pages"].as_u64();
            let got_found = result["numbers"]["found"].as_u64();
            let got_digits: Option<Vec<u64>> =
                serde_json::from_value(result["benford"]["first_digit"]["counts"].clone()).ok();
            if got_pages != Some(u64::from(*pages))
                || got_found != Some(*numbers_found)
                || got_digits.as_ref() != Some(first_digit)
            {
                return Err(format!(
                    "job {}: result pages {got_pages:?} numbers {got_found:?} digits {got_digits:?}, expected {pages} / {numbers_found} / {first_digit:?}",
                    job.id
                ));
            }
            Ok(())
        }
        (Outcome::Error(code), JobState::Error) => {
            let got = job.error.as_ref().map(|e| e.code.as_str());
            if got == Some(code.as_str()) {
                Ok(())
            } else {
                Err(format!(
                    "job {} ended in error {got:?}, expected {code}",
                    job.id
                ))
            }
        }
        (expected, state) => Err(format!(
            "job {} ({}) ended {state}, expected {expected:?}; error {:?}",
            job.id, job.filename, job.error
        )),
    }
}

/// The run diagnostics of a report: the one object in it that differs from
/// one analysis of the same bytes to the next (`Report::timings_ms`).
pub const RUN_DIAGNOSTICS: &str = "timings_ms";

/// The whole report the engine, run natively, gives for `bytes` (as JSON,
/// [`RUN_DIAGNOSTICS`] removed); `None` when it gives none.
pub fn native_report(bytes: &[u8]) -> Option<Value> {
    let clock = || 0.0;
    let report = analyse(bytes, &Limits::default(), &clock, &mut |_, _| {}).ok()?;
    let mut value = serde_json::to_value(report).ok()?;
    value.as_object_mut()?.remove(RUN_DIAGNOSTICS);
    Some(value)
}

/// Whether a stored report equals the native one, [`RUN_DIAGNOSTICS`] aside
/// and floating-point figures within a relative 1e-9 or an absolute 1e-12
/// (the worker's wasm and the native build may round a logarithm
/// differently in the last bit); the first difference when not.
pub fn same_report(got: &Value, native: &Value) -> Result<(), String> {
    let mut got = got.clone();
    if let Some(object) = got.as_object_mut() {
        object.remove(RUN_DIAGNOSTICS);
    }
    differ("", &got, native).map_or(Ok(()), Err)
}

/// [`same_report`] for a job analysed in slices: each slice opens the file
/// again, so the report's read counts (`reading.reads`, `bytes_read`) are
/// the slices' sum, not one pass's; the rest must be equal.
pub fn same_report_in_slices(got: &Value, native: &Value) -> Result<(), String> {
    let without_reads = |v: &Value| {
        let mut v = v.clone();
        if let Some(reading) = v.get_mut("reading").and_then(Value::as_object_mut) {
            reading.remove("reads");
            reading.remove("bytes_read");
        }
        v
    };
    same_report(&without_reads(got), &without_reads(native))
}

fn differ(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                let here = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => differ(&here, p, q),
                    _ => Some(format!("{here}: present on one side only")),
                }
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| differ(&format!("{path}[{i}]"), p, q)),
        (Value::Number(x), Value::Number(y)) if x != y => {
            let (p, q) = (x.as_f64()?, y.as_f64()?);
            // Relative, or absolute for a figure that is a difference of
            // near-equal ones (an `excess_mad` of 1e-17 is a cancellation's
            // residue, whose last bits wasm and native round differently).
            let close =
                (p - q).abs() <= 1e-9 * p.abs().max(q.abs()).max(1e-300) || (p - q).abs() <= 1e-12;
            (!close).then(|| format!("{path}: {p} here, {q} natively"))
        }
        _ if a == b => None,
        _ => Some(format!("{path}: {a} here, {b} natively")),
    }
}

//! The analysis engine as a wasm module for the benchmark: the same
//! `shared::analysis::analyse` the Worker runs, plus the module's memory size
//! (wasm memory only grows, so its size after a run is the run's peak).

use wasm_bindgen::prelude::*;

/// Analyses one PDF; returns the number of pages, or -1 for a typed error.
#[wasm_bindgen]
pub fn analyse_pdf(bytes: &[u8]) -> i32 {
    let clock = || js_sys::Date::now();
    match shared::analysis::analyse(bytes, &Default::default(), &clock, &mut |_, _| {}) {
        Ok(report) => report.pages as i32,
        Err(_) => -1,
    }
}

/// Bytes of wasm linear memory right now.
#[wasm_bindgen]
pub fn memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size(0) * 65536) as f64
}

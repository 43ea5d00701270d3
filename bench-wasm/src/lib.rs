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

/// A file read by ranges through a JS function `read(offset, len)` that
/// returns a `Uint8Array`: as the Worker reads R2, so the file is never held
/// in wasm memory.
struct JsRanges {
    len: u64,
    read: js_sys::Function,
}

impl shared::analysis::source::ByteSource for JsRanges {
    fn len(&self) -> u64 {
        self.len
    }

    async fn read(
        &mut self,
        offset: u64,
        len: u64,
    ) -> Result<Vec<u8>, shared::analysis::source::ReadError> {
        let bytes = self
            .read
            .call2(
                &JsValue::NULL,
                &JsValue::from_f64(offset as f64),
                &JsValue::from_f64(len as f64),
            )
            .map_err(|e| shared::analysis::source::ReadError(format!("{e:?}")))?;
        Ok(js_sys::Uint8Array::new(&bytes).to_vec())
    }
}

/// Analyses one PDF of `len` bytes read by ranges through `read`; returns
/// the number of pages, or -1 for a typed error.
#[wasm_bindgen]
pub fn analyse_pdf_by_ranges(len: f64, read: js_sys::Function) -> i32 {
    let clock = || js_sys::Date::now();
    let limits = shared::analysis::Limits::default();
    let source = JsRanges {
        len: len as u64,
        read,
    };
    let mut progress = |_, _| {};
    let analysis = shared::analysis::analyse_from(source, &limits, &clock, &mut progress);
    match shared::analysis::source::ready(analysis) {
        Some(Ok(report)) => report.pages as i32,
        _ => -1,
    }
}

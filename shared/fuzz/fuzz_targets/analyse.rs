//! Fuzzes the analysis entry point: any bytes must give a report or a typed
//! error, never a panic, a hang or unbounded memory.
#![no_main]

use shared::analysis::{Limits, analyse};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_bytes: 1 << 20,
        max_pages: 200,
        max_stream_bytes: 8 << 20,
    };
    let _ = analyse(data, &limits, &|| 0.0, &mut |_, _| {});
});

//! Memory held while a stream is inflated: a content stream that inflates
//! far past [`Limits::max_stream_bytes`] (a decompression bomb) is refused
//! with the engine holding little more than the limit, and one just under
//! the limit is read without its buffer being doubled. The Worker's isolate
//! has 128 MB for everything; a buffer that doubles on its last byte once
//! took it past that.
//!
//! Allocations are counted by a global allocator of this test binary (one
//! test, so nothing else allocates meanwhile).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use shared::analysis::{AnalysisError, Limits, analyse};

mod common;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call goes to the system allocator unchanged; only the
// counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(live, Ordering::SeqCst);
        // SAFETY: the caller's layout, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes allocated at the busiest moment of `work`, above what was live
/// before it.
fn peak_during<T>(work: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let out = work();
    (out, PEAK.load(Ordering::SeqCst) - before)
}

fn run(pdf: &[u8], limits: &Limits) -> Result<shared::contract::report::Report, AnalysisError> {
    analyse(pdf, limits, &|| 0.0, &mut |_, _| {})
}

const MIB: usize = 1024 * 1024;

#[test]
fn inflating_holds_little_more_than_the_limit() {
    let limits = Limits::default();
    let limit = limits.max_stream_bytes;

    // Four times the limit of blanks: a few kilobytes stored.
    let bomb = common::pdf(&[("/FlateDecode", common::zlib(&vec![b' '; 4 * limit]))]);
    let (outcome, peak) = peak_during(|| run(&bomb, &limits));
    assert!(
        matches!(outcome, Err(AnalysisError::DecompressionBomb { .. })),
        "{outcome:?}"
    );
    assert!(
        peak < limit + limit / 2 + 4 * MIB,
        "refusing a bomb held {:.1} MiB (limit {} MiB)",
        peak as f64 / MIB as f64,
        limit / MIB
    );

    // Just under the limit: comment lines and one number, read whole.
    let mut stream = b"BT /F1 11 Tf 72 720 Td (4321) Tj ET\n".to_vec();
    let line = b"% a long page of drawing operators stands in here\n";
    while stream.len() + line.len() < limit - 64 * 1024 {
        stream.extend_from_slice(line);
    }
    let size = stream.len();
    let big = common::pdf(&[("/FlateDecode", common::zlib(&stream))]);
    drop(stream);
    let (outcome, peak) = peak_during(|| run(&big, &limits));
    let report = outcome.expect("a stream under the limit is read");
    assert_eq!(report.numbers.found, 1);
    assert!(
        peak < size + size / 2 + 4 * MIB,
        "reading a {:.1} MiB stream held {:.1} MiB",
        size as f64 / MIB as f64,
        peak as f64 / MIB as f64
    );
}

//! Merging the sorted runs of amounts a fanned-out document's slices wrote
//! ([`crate::forensics::amounts::run_bytes`], delta-encoded): a k-way merge that reads
//! each run in chunks through a [`ByteSource`] (R2 range reads in the edge),
//! decodes it as it goes ([`RunReader`]) and hands
//! the amounts, in ascending order, to [`Ordered`] — so the merge holds one
//! chunk per run, never the document's amounts.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::source::{ByteSource, ReadError};
use crate::forensics::amounts::{Amount, Decoded, Ordered, RunReader};

/// Bytes read from a run at a time.
pub const CHUNK_BYTES: u64 = 64 * 1024;

/// One run being read.
struct Cursor<S> {
    source: S,
    /// Where the next chunk starts.
    offset: u64,
    /// Bytes read and not yet decoded.
    chunk: Vec<u8>,
    /// The next amount's place in `chunk`.
    at: usize,
    reader: RunReader,
    /// Bytes read at a time.
    chunk_bytes: u64,
}

impl<S: ByteSource> Cursor<S> {
    /// The run's next amount, reading its next chunk when this one runs out
    /// (an amount cut by the chunk's end is completed from the next).
    async fn next(&mut self) -> Result<Option<Amount>, ReadError> {
        loop {
            match self.reader.next(&self.chunk[self.at..]) {
                Decoded::Amount(amount, used) => {
                    self.at += used;
                    return Ok(Some(amount));
                }
                Decoded::Corrupt => {
                    return Err(ReadError(format!(
                        "a run of amounts is unreadable before byte {}",
                        self.offset
                    )));
                }
                Decoded::Incomplete => {}
            }
            let left = self.source.len().saturating_sub(self.offset);
            if left == 0 {
                return if self.at == self.chunk.len() {
                    Ok(None)
                } else {
                    Err(ReadError("a run of amounts ends inside an amount".into()))
                };
            }
            let want = left.min(self.chunk_bytes);
            let more = self.source.read(self.offset, want).await?;
            if (more.len() as u64) < want {
                return Err(ReadError(format!(
                    "a run of amounts ended early ({} of {want} bytes at {})",
                    more.len(),
                    self.offset
                )));
            }
            self.offset += want;
            self.chunk.drain(..self.at);
            self.chunk.extend_from_slice(&more);
            self.at = 0;
        }
    }
}

/// Amounts merged between two calls of the caller's `breathe`.
pub const BREATHE_EVERY: u64 = 4096;

/// Feeds every amount of `runs` (each sorted) to `ordered`, in ascending
/// order, awaiting `breathe()` every [`BREATHE_EVERY`] amounts (the edge
/// hands the event loop back there; natively it does nothing).
pub async fn merge<S, F, Fut>(
    runs: Vec<S>,
    ordered: &mut Ordered,
    breathe: F,
) -> Result<(), ReadError>
where
    S: ByteSource,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    merge_each(runs, |amount, _| ordered.push(amount), breathe).await
}

/// Hands every amount of `runs` (each sorted) to `each` with the index of
/// its run, in ascending order (equal amounts by run index), reading
/// [`chunk_bytes`] of each run at a time.
pub async fn merge_each<S, E, F, Fut>(
    runs: Vec<S>,
    mut each: E,
    mut breathe: F,
) -> Result<(), ReadError>
where
    S: ByteSource,
    E: FnMut(Amount, usize),
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let chunk = chunk_bytes(runs.len());
    let mut cursors: Vec<Cursor<S>> = runs
        .into_iter()
        .map(|source| Cursor {
            source,
            offset: 0,
            chunk: Vec::new(),
            at: 0,
            reader: RunReader::default(),
            chunk_bytes: chunk,
        })
        .collect();
    let mut heap = BinaryHeap::new();
    for (i, cursor) in cursors.iter_mut().enumerate() {
        if let Some(a) = cursor.next().await? {
            heap.push(Reverse((a, i)));
        }
    }
    let mut merged = 0u64;
    while let Some(Reverse((amount, i))) = heap.pop() {
        each(amount, i);
        merged += 1;
        if merged.is_multiple_of(BREATHE_EVERY) {
            breathe().await;
        }
        if let Some(next) = cursors[i].next().await? {
            heap.push(Reverse((next, i)));
        }
    }
    Ok(())
}

/// Bytes of a run read at a time when `runs` are merged: [`CHUNK_BYTES`],
/// less when there are many, so the chunks held together stay within
/// [`MERGE_BUDGET_BYTES`] (4 KiB at the least).
pub fn chunk_bytes(runs: usize) -> u64 {
    (MERGE_BUDGET_BYTES / runs.max(1) as u64).clamp(4 * 1024, CHUNK_BYTES)
}

/// The most bytes of runs a merge holds at once (a chunk of each).
pub const MERGE_BUDGET_BYTES: u64 = 16 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::source::ready;
    use crate::forensics::amounts::{run_bytes, tests_of};

    #[test]
    fn merged_runs_give_what_all_the_amounts_give() {
        // Three runs of pseudo-random amounts, one longer than a chunk.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            Amount(u128::from(seed % 5_000_000) * 1_000_000)
        };
        // Long enough for a run to span several chunks, so that amounts
        // are cut by a chunk's end.
        let mut runs: Vec<Vec<Amount>> = vec![
            (0..60_000).map(|_| next()).collect(),
            (0..37).map(|_| next()).collect(),
            Vec::new(),
            (0..5_000).map(|_| next()).collect(),
        ];
        let all: Vec<Amount> = runs.iter().flatten().copied().collect();
        let bytes: Vec<Vec<u8>> = runs.iter_mut().map(|r| run_bytes(r)).collect();
        let sources: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
        let mut ordered = Ordered::default();
        ready(merge(sources, &mut ordered, || async {}))
            .expect("reads from memory finish at once")
            .expect("merged");
        assert_eq!(ordered.finish(), tests_of(all));
    }

    #[test]
    fn a_cut_run_is_a_read_error() {
        let mut run: Vec<Amount> = (1..=10).map(|n| Amount(n * 1_000)).collect();
        let bytes = run_bytes(&mut run);
        // A source that claims more than it gives.
        struct Short<'a>(&'a [u8]);
        impl ByteSource for Short<'_> {
            fn len(&self) -> u64 {
                self.0.len() as u64 + 32
            }
            async fn read(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, ReadError> {
                self.0.read(offset, len).await
            }
        }
        let mut ordered = Ordered::default();
        let merged = ready(merge(vec![Short(&bytes)], &mut ordered, || async {})).expect("ready");
        assert!(merged.is_err());
    }
}

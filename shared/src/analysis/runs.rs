//! Merging the sorted runs of amounts a fanned-out document's slices wrote
//! ([`crate::forensics::amounts::run_bytes`], delta-encoded): a k-way merge that reads
//! each run in chunks through a [`ByteSource`] (R2 range reads in the edge),
//! decodes it as it goes ([`RunReader`]) and hands
//! the amounts, in ascending order, to [`Ordered`] — so the merge holds one
//! chunk per run, never the document's amounts.
//!
//! A pass over pages holds its own amounts the same way ([`AmountRuns`]):
//! sorted and encoded a run at a time, about 3 bytes an amount where each
//! was 16 (plus a growing vector's spare half).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::source::{ByteSource, ReadError, ready};
use crate::forensics::amounts::{
    Amount, AmountTests, Decoded, Ordered, RunReader, RunWriter, run_bytes,
};

/// Amounts a pass holds unsorted before it sorts them into a run (1 MiB).
pub const RUN_AMOUNTS: usize = 65_536;

/// The amounts of a pass (or of a document's slices, appended in turn),
/// held as sorted runs: the last [`RUN_AMOUNTS`] as they came, the others
/// delta-encoded ([`run_bytes`]). Their tests read them back merged, in
/// ascending order, as a fanned-out document's runs are read from storage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AmountRuns {
    pending: Vec<Amount>,
    runs: Vec<Vec<u8>>,
    count: u64,
}

impl AmountRuns {
    /// Amounts held.
    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn push(&mut self, amount: Amount) {
        self.pending.push(amount);
        self.count += 1;
        if self.pending.len() >= RUN_AMOUNTS {
            self.seal();
        }
    }

    /// The pending amounts become a run.
    fn seal(&mut self) {
        if !self.pending.is_empty() {
            let mut run = run_bytes(&mut self.pending);
            run.shrink_to_fit();
            self.runs.push(run);
            self.pending.clear();
        }
    }

    /// Adds `other`'s amounts.
    pub fn append(&mut self, mut other: AmountRuns) {
        other.seal();
        self.count += other.count;
        self.runs.append(&mut other.runs);
    }

    /// Every amount, in ascending order, to `ordered`.
    fn merge_into(mut self, ordered: &mut impl FnMut(Amount)) -> Result<(), ReadError> {
        self.seal();
        let sources: Vec<&[u8]> = self.runs.iter().map(Vec::as_slice).collect();
        ready(merge_each(sources, |a, _| ordered(a), || async {}))
            .unwrap_or_else(|| Err(ReadError("a merge in memory did not finish".into())))
    }

    /// The amounts' tests ([`Ordered`]).
    pub fn tests(self) -> Result<AmountTests, ReadError> {
        let mut ordered = Ordered::default();
        self.merge_into(&mut |a| ordered.push(a))?;
        Ok(ordered.finish())
    }

    /// All the amounts as one sorted run, as a fanned-out slice stores them.
    pub fn into_run(mut self) -> Result<Vec<u8>, ReadError> {
        self.seal();
        if self.runs.len() <= 1 {
            return Ok(self.runs.pop().unwrap_or_default());
        }
        let bytes = self.runs.iter().map(Vec::len).sum();
        let mut writer = RunWriter::with_capacity(bytes);
        self.merge_into(&mut |a| writer.push(a))?;
        Ok(writer.finish())
    }
}

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
    fn amounts_held_as_runs_give_what_all_the_amounts_give() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            Amount(u128::from(seed % 90_000) * 10_000_000)
        };
        // Past two runs' worth, in two passes appended.
        let first: Vec<Amount> = (0..RUN_AMOUNTS + 123).map(|_| next()).collect();
        let second: Vec<Amount> = (0..RUN_AMOUNTS / 2).map(|_| next()).collect();
        let (mut a, mut b) = (AmountRuns::default(), AmountRuns::default());
        first.iter().for_each(|&x| a.push(x));
        second.iter().for_each(|&x| b.push(x));
        a.append(b);
        let mut all: Vec<Amount> = first.into_iter().chain(second).collect();
        assert_eq!(a.len(), all.len() as u64);
        assert_eq!(a.clone().tests().expect("tests"), tests_of(all.clone()));
        assert_eq!(a.into_run().expect("run"), run_bytes(&mut all));
        assert_eq!(
            AmountRuns::default().into_run().expect("run"),
            Vec::<u8>::new()
        );
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

//! Where the analysis reads a PDF's bytes from: a [`ByteSource`] answers
//! range reads — a slice in memory natively, R2 range reads in the Worker —
//! and [`Cached`] keeps the last ranges read under a byte budget, so the
//! analysis never needs the whole file (`loader` reads the cross-reference
//! data, then only the objects each page needs).
//!
//! The reads are `async` (R2's are); a slice answers at once, and
//! [`ready`] runs such a future to its end without an executor.

use foldhash::HashMap;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// A failed read (storage unreachable, the object gone): not the
/// document's fault, so the analysis is tried again rather than failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reading the PDF failed: {0}")]
pub struct ReadError(pub String);

/// Range reads of one file.
#[allow(async_fn_in_trait)] // single-threaded (wasm): no `Send` bound wanted
pub trait ByteSource {
    /// The file's length in bytes.
    fn len(&self) -> u64;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `len` bytes from `offset` (fewer only at the end of the file).
    async fn read(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, ReadError>;
}

impl ByteSource for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    async fn read(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, ReadError> {
        let size = <[u8]>::len(self) as u64;
        let start = offset.min(size) as usize;
        let end = offset.saturating_add(len).min(size) as usize;
        Ok(self[start..end].to_vec())
    }
}

/// Runs a future whose every await is ready at once (reads from a slice).
/// `None` if it would have to wait.
pub fn ready<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

/// Reads and bytes read, for the report and the benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    pub reads: u64,
    pub bytes: u64,
}

/// A [`ByteSource`] read in blocks of `block` bytes, the most recently used
/// kept up to `budget` bytes: a read inside kept blocks costs nothing; a
/// miss reads the missing blocks in one range, and — when it starts where
/// the last read ended, the file being read in order (a text-only
/// document's pages) — twice as many blocks ahead as the last time, up to
/// [`MAX_READ_AHEAD`]; a jump (past an image) starts at one block again.
pub struct Cached<S> {
    inner: S,
    block: u64,
    /// Block index → (bytes, last use).
    blocks: HashMap<u64, (Vec<u8>, u64)>,
    held: u64,
    budget: u64,
    tick: u64,
    /// Blocks to read ahead when reads follow one another.
    ahead: u64,
    /// The block after the last one read from `inner`.
    next_block: u64,
    /// A range over several blocks, put together.
    joined: Vec<u8>,
    stats: ReadStats,
}

/// What the analysis keeps of a file by default, and its block size.
pub const DEFAULT_BUDGET: u64 = 8 << 20;
pub const DEFAULT_BLOCK: u64 = 64 << 10;
/// The largest read made to read ahead (a larger object is read whole).
pub const MAX_READ_AHEAD: u64 = 1 << 20;

impl<S: ByteSource> Cached<S> {
    pub fn new(inner: S) -> Self {
        Cached::with_budget(inner, DEFAULT_BUDGET, DEFAULT_BLOCK)
    }

    pub fn with_budget(inner: S, budget: u64, block: u64) -> Self {
        Cached {
            inner,
            block: block.max(1),
            blocks: HashMap::default(),
            held: 0,
            budget,
            tick: 0,
            ahead: 1,
            next_block: u64::MAX,
            joined: Vec::new(),
            stats: ReadStats::default(),
        }
    }

    pub fn len(&self) -> u64 {
        self.inner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    pub fn stats(&self) -> ReadStats {
        self.stats
    }

    /// Bytes `[offset, offset + len)`, clipped to the file.
    pub async fn read(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, ReadError> {
        Ok(self.slice(offset, len).await?.to_vec())
    }

    /// Bytes `[offset, offset + len)`, clipped to the file, without a copy
    /// when they lie in one block.
    pub async fn slice(&mut self, offset: u64, len: u64) -> Result<&[u8], ReadError> {
        let size = self.inner.len();
        let offset = offset.min(size);
        let end = offset.saturating_add(len).min(size);
        if end == offset {
            return Ok(&[]);
        }
        let first = offset / self.block;
        let last = (end - 1) / self.block;
        let blocks_in_file = size.div_ceil(self.block);
        let mut i = first;
        while i <= last {
            if self.blocks.contains_key(&i) {
                i += 1;
                continue;
            }
            // A run of missing blocks from `i`: to the end of the range, and
            // ahead when reading in order.
            let sequential = i == self.next_block;
            self.ahead = if sequential {
                (self.ahead * 2).min((MAX_READ_AHEAD / self.block).max(1))
            } else {
                1
            };
            let mut stop = i;
            while stop < blocks_in_file
                && !self.blocks.contains_key(&stop)
                && (stop <= last || stop < i + self.ahead)
            {
                stop += 1;
            }
            let from = i * self.block;
            let to = (stop * self.block).min(size);
            let bytes = self.inner.read(from, to - from).await?;
            self.stats.reads += 1;
            self.stats.bytes += bytes.len() as u64;
            for (k, chunk) in bytes.chunks(self.block as usize).enumerate() {
                self.held += chunk.len() as u64;
                // Read ahead counts as used now: kept until it is reached.
                self.blocks
                    .insert(i + k as u64, (chunk.to_vec(), self.tick + 1));
            }
            self.next_block = stop;
            i = stop;
        }
        self.tick += 1;
        for b in first..=last {
            if let Some(entry) = self.blocks.get_mut(&b) {
                entry.1 = self.tick;
            }
        }
        let from = (offset - first * self.block) as usize;
        if first == last {
            self.evict(first, last);
            let block = &self
                .blocks
                .get(&first)
                .ok_or_else(|| ReadError("a block went missing".into()))?
                .0;
            let to = from + (end - offset) as usize;
            return Ok(&block[from.min(block.len())..to.min(block.len())]);
        }
        self.joined.clear();
        for b in first..=last {
            let bytes = &self
                .blocks
                .get(&b)
                .ok_or_else(|| ReadError("a block went missing".into()))?
                .0;
            self.joined.extend_from_slice(bytes);
        }
        self.joined.truncate(from + (end - offset) as usize);
        self.evict(u64::MAX, 0);
        Ok(&self.joined[from..])
    }

    /// Lets the least recently used blocks go until the budget holds, but
    /// not blocks `keep_from..=keep_to` (the range being returned).
    fn evict(&mut self, keep_from: u64, keep_to: u64) {
        while self.held > self.budget {
            let oldest = self
                .blocks
                .iter()
                .filter(|(b, _)| !(keep_from..=keep_to).contains(*b))
                .min_by_key(|(_, (_, used))| *used)
                .map(|(b, _)| *b);
            let Some(b) = oldest else { break };
            if let Some((bytes, _)) = self.blocks.remove(&b) {
                self.held -= bytes.len() as u64;
            }
        }
    }

    /// Bytes `[offset, offset + len)` read past the blocks, kept nowhere:
    /// for a range bigger than a read-ahead (a large stream's data), which
    /// would otherwise be held twice.
    pub async fn read_direct(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, ReadError> {
        let size = self.inner.len();
        let offset = offset.min(size);
        let len = len.min(size - offset);
        let bytes = self.inner.read(offset, len).await?;
        self.stats.reads += 1;
        self.stats.bytes += bytes.len() as u64;
        Ok(bytes)
    }

    /// The whole file, read in one go past the blocks (which it lets go
    /// first): for the whole-file path, without a second copy.
    pub async fn read_whole(&mut self) -> Result<Vec<u8>, ReadError> {
        self.forget();
        let size = self.inner.len();
        self.read_direct(0, size).await
    }

    /// Lets go of every block kept.
    pub fn forget(&mut self) {
        self.blocks.clear();
        self.held = 0;
        self.joined = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A slice that counts the reads that reach it.
    struct Counting<'a> {
        data: &'a [u8],
        reads: Vec<(u64, u64)>,
    }

    impl ByteSource for Counting<'_> {
        fn len(&self) -> u64 {
            self.data.len() as u64
        }

        async fn read(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, ReadError> {
            self.reads.push((offset, len));
            let mut data = self.data;
            data.read(offset, len).await
        }
    }

    #[test]
    fn reads_inside_kept_blocks_cost_nothing() {
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let mut cached = Cached::with_budget(
            Counting {
                data: &data,
                reads: Vec::new(),
            },
            4_000,
            1_000,
        );
        let a = ready(cached.read(100, 10)).expect("ready").expect("read");
        assert_eq!(a, data[100..110]);
        let b = ready(cached.read(500, 50)).expect("ready").expect("read");
        assert_eq!(b, data[500..550]);
        assert_eq!(cached.inner.reads, vec![(0, 1_000)]);
        // Across blocks, put together; in order, reading ahead.
        let c = ready(cached.read(900, 300)).expect("ready").expect("read");
        assert_eq!(c, data[900..1_200]);
        assert_eq!(cached.inner.reads.last(), Some(&(1_000, 2_000)));
        // Past the end: clipped.
        let end = ready(cached.read(9_990, 100))
            .expect("ready")
            .expect("read");
        assert_eq!(end, data[9_990..]);
        assert_eq!(cached.inner.reads.last(), Some(&(9_000, 1_000)));
        // Over budget: the least recently used blocks go.
        for at in [4_000, 5_000, 6_000] {
            ready(cached.read(at, 10)).expect("ready").expect("read");
        }
        assert!(cached.held <= 4_000);
        ready(cached.read(100, 10)).expect("ready").expect("read");
        assert_eq!(cached.inner.reads.last(), Some(&(0, 1_000)));
        assert_eq!(cached.stats().reads, cached.inner.reads.len() as u64);
        // A range bigger than the budget is still read whole.
        let big = ready(cached.read(0, 6_000)).expect("ready").expect("read");
        assert_eq!(big, data[..6_000]);
        assert!(cached.held <= 4_000);
    }

    #[test]
    fn reads_in_order_grow_and_a_jump_starts_small() {
        let data: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
        let mut cached = Cached::with_budget(
            Counting {
                data: &data,
                reads: Vec::new(),
            },
            1 << 20,
            100,
        );
        let mut at = 0;
        for _ in 0..5 {
            let read = ready(cached.read(at, 10)).expect("ready").expect("read");
            assert_eq!(read, data[at as usize..at as usize + 10]);
            let (offset, len) = *cached.inner.reads.last().expect("a read");
            at = offset + len;
        }
        let sizes: Vec<u64> = cached.inner.reads.iter().map(|r| r.1).collect();
        assert_eq!(sizes, vec![100, 200, 400, 800, 1_600]);
        ready(cached.read(50_000, 10))
            .expect("ready")
            .expect("read");
        assert_eq!(cached.inner.reads.last(), Some(&(50_000, 100)));
    }
}

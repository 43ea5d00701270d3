//! The bounds of one analysis: outside the engine, so a build without it
//! (the API Worker) reads and checks the same settings.

/// Bounds that keep one analysis inside a Worker's 128 MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest document accepted, in bytes.
    pub max_bytes: u64,
    /// Most pages analysed.
    pub max_pages: u32,
    /// Most bytes any one stream may inflate to.
    pub max_stream_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 32 * 1024 * 1024,
            max_pages: 5_000,
            max_stream_bytes: 16 * 1024 * 1024,
        }
    }
}

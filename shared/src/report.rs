//! The analysis report: what `GET /api/v1/jobs/{id}/result` returns and what the
//! SPA displays. Plain serde types, no lopdf, so the SPA can use them.

use serde::{Deserialize, Serialize};

use crate::benford::Benford;

/// The result of analysing one PDF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub pages: u32,
    pub pdf_version: String,
    pub encrypted: bool,
    pub metadata: Metadata,
    pub text: TextStats,
    pub numbers: NumberStats,
    pub benford: Benford,
    pub per_page: Vec<PageStats>,
    pub timings_ms: Timings,
}

/// The document information dictionary, as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    pub title: Option<String>,
    pub author: Option<String>,
    pub producer: Option<String>,
    pub creator: Option<String>,
    pub created: Option<String>,
    pub modified: Option<String>,
}

/// Text statistics: `chars` counts non-whitespace characters; `words` counts
/// runs of them separated by whitespace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextStats {
    pub chars: u64,
    pub words: u64,
}

/// Numbers found in the text and used for the Benford tests, with the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberStats {
    pub found: u64,
    pub used: u64,
    pub rules: String,
}

/// One page's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageStats {
    pub page: u32,
    pub chars: u64,
    pub words: u64,
    pub numbers_found: u64,
    pub numbers_used: u64,
}

/// Where the analysis spent its time, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    pub parse: f64,
    pub extract: f64,
    pub analyse: f64,
}

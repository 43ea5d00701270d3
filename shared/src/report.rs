//! The analysis report: what `GET /api/v1/jobs/{id}/result` returns and what the
//! SPA displays. Plain serde types, no lopdf, so the SPA can use them.

use serde::{Deserialize, Serialize};

/// The result of analysing one PDF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub pages: u32,
    pub pdf_version: String,
    pub encrypted: bool,
    pub metadata: Metadata,
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

/// Where the analysis spent its time, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    pub parse: f64,
    pub extract: f64,
    pub analyse: f64,
}

//! Why a document could not be analysed ([`AnalysisError`]), each reason
//! with the error code its job carries.

use crate::contract::api::{ErrorBody, ErrorCode};
use crate::contract::validate::human_bytes;

/// Why a document could not be analysed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    #[error("the file is not a PDF (no %PDF- header)")]
    NotAPdf,
    #[error("the PDF is encrypted and cannot be read without its password")]
    Encrypted,
    #[error("the PDF is damaged beyond repair: {0}")]
    Damaged(String),
    #[error("the PDF is {size} bytes; the analysis limit is {limit} bytes ({})", human_bytes(*.limit))]
    TooLarge { size: u64, limit: u64 },
    #[error("the PDF has {pages} pages; the analysis limit is {limit} pages")]
    TooManyPages { pages: u32, limit: u32 },
    #[error(
        "a stream in the PDF inflates beyond {} (a decompression bomb?)", human_bytes(*.limit as u64)
    )]
    DecompressionBomb { limit: usize },
    #[error("the PDF has no extractable text (a scanned image without OCR?)")]
    NoText,
    /// A file the range reads cannot open (`why`), too big to be read whole
    /// for lopdf's repairs or decryption: damaged (or encrypted) as far as
    /// this service can tell, and not read whole to find out.
    #[error(
        "the PDF cannot be read part by part ({why}), and repairing or decrypting it means \
         reading it whole, which is done up to {}: it is {size} bytes",
        human_bytes(*.limit)
    )]
    TooLargeToRepair {
        size: u64,
        limit: u64,
        why: String,
        encrypted: bool,
    },
    /// The bytes could not be read: not the document's fault (the caller
    /// tries again).
    #[error("{0}")]
    Read(String),
}

impl AnalysisError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AnalysisError::NotAPdf => ErrorCode::NotAPdf,
            AnalysisError::Encrypted => ErrorCode::Encrypted,
            AnalysisError::Damaged(_) => ErrorCode::Damaged,
            AnalysisError::TooLarge { .. } | AnalysisError::DecompressionBomb { .. } => {
                ErrorCode::TooLarge
            }
            AnalysisError::TooLargeToRepair { encrypted, .. } => {
                if *encrypted {
                    ErrorCode::Encrypted
                } else {
                    ErrorCode::Damaged
                }
            }
            AnalysisError::Read(_) => ErrorCode::AnalysisFailed,
            AnalysisError::TooManyPages { .. } => ErrorCode::TooManyPages,
            AnalysisError::NoText => ErrorCode::NoText,
        }
    }

    /// The `error` recorded on the failed job.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody::new(self.code(), self.to_string())
    }
}

//! The PDF analysis engine (feature `analysis`): opens a PDF with lopdf and
//! produces a [`Report`], or a typed [`AnalysisError`] that maps to the job's
//! error code. It never panics on bad input and takes its clock from the caller
//! (`std::time::Instant` does not exist on wasm32-unknown-unknown).
//!
//! The engine so far reads the document structure (pages, version, encryption,
//! metadata); text extraction and the Benford tests are added on top of it.

use lopdf::{Document, Object};

use crate::api::{ErrorBody, ErrorCode};
use crate::report::{Metadata, Report, Timings};
use crate::validate::{human_bytes, looks_like_pdf};

/// Bounds that keep one analysis inside a Worker's 128 MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest document accepted, in bytes.
    pub max_bytes: u64,
    /// Most pages analysed.
    pub max_pages: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 20 * 1024 * 1024,
            max_pages: 5_000,
        }
    }
}

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
}

impl AnalysisError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AnalysisError::NotAPdf => ErrorCode::NotAPdf,
            AnalysisError::Encrypted => ErrorCode::Encrypted,
            AnalysisError::Damaged(_) => ErrorCode::Damaged,
            AnalysisError::TooLarge { .. } => ErrorCode::TooLarge,
            AnalysisError::TooManyPages { .. } => ErrorCode::TooManyPages,
        }
    }

    /// The `error` recorded on the failed job.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody::new(self.code(), self.to_string())
    }
}

/// Analyses one PDF held in memory.
///
/// `now_ms` is a millisecond clock; `on_progress(pages_done, pages_total)` is
/// called as pages are processed.
pub fn analyse(
    bytes: &[u8],
    limits: &Limits,
    now_ms: &dyn Fn() -> f64,
    on_progress: &mut dyn FnMut(u32, u32),
) -> Result<Report, AnalysisError> {
    let size = bytes.len() as u64;
    if size > limits.max_bytes {
        return Err(AnalysisError::TooLarge {
            size,
            limit: limits.max_bytes,
        });
    }
    if !looks_like_pdf(bytes) {
        return Err(AnalysisError::NotAPdf);
    }
    let t0 = now_ms();
    let doc = Document::load_mem(bytes).map_err(classify_load_error)?;
    let t1 = now_ms();

    let encrypted = doc.trailer.get(b"Encrypt").is_ok() || doc.was_encrypted();
    let page_ids = doc.get_pages();
    let pages = u32::try_from(page_ids.len()).unwrap_or(u32::MAX);
    if pages == 0 {
        // lopdf loads some encrypted files it cannot decrypt as 0 pages, no error.
        return Err(if encrypted {
            AnalysisError::Encrypted
        } else {
            AnalysisError::Damaged("the document has no pages".into())
        });
    }
    if doc.is_encrypted() {
        // Still encrypted after loading: lopdf could not decrypt it.
        return Err(AnalysisError::Encrypted);
    }
    if pages > limits.max_pages {
        return Err(AnalysisError::TooManyPages {
            pages,
            limit: limits.max_pages,
        });
    }
    for done in 1..=pages {
        on_progress(done, pages);
    }
    let t2 = now_ms();

    Ok(Report {
        pages,
        pdf_version: doc.version.clone(),
        encrypted,
        metadata: metadata(&doc),
        timings_ms: Timings {
            parse: t1 - t0,
            extract: t2 - t1,
            analyse: now_ms() - t2,
        },
    })
}

fn classify_load_error(e: lopdf::Error) -> AnalysisError {
    match e {
        lopdf::Error::Decryption(_)
        | lopdf::Error::InvalidPassword
        | lopdf::Error::AlreadyEncrypted => AnalysisError::Encrypted,
        other => AnalysisError::Damaged(other.to_string()),
    }
}

fn metadata(doc: &Document) -> Metadata {
    let info = doc.trailer.get(b"Info").ok().and_then(|o| match o {
        Object::Reference(id) => doc.get_dictionary(*id).ok(),
        Object::Dictionary(d) => Some(d),
        _ => None,
    });
    let Some(info) = info else {
        return Metadata::default();
    };
    let text = |key: &[u8]| {
        info.get(key)
            .ok()
            .and_then(|o| match o {
                Object::Reference(id) => doc.get_object(*id).ok(),
                other => Some(other),
            })
            .and_then(|o| lopdf::decode_text_string(o).ok())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    Metadata {
        title: text(b"Title"),
        author: text(b"Author"),
        producer: text(b"Producer"),
        creator: text(b"Creator"),
        created: text(b"CreationDate"),
        modified: text(b"ModDate"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn corpus(name: &str) -> Vec<u8> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/corpus")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn run(bytes: &[u8]) -> (Result<Report, AnalysisError>, Vec<(u32, u32)>) {
        let start = std::time::Instant::now();
        let clock = move || start.elapsed().as_secs_f64() * 1000.0;
        let mut seen = Vec::new();
        let result = analyse(bytes, &Limits::default(), &clock, &mut |d, t| {
            seen.push((d, t))
        });
        (result, seen)
    }

    #[test]
    fn counts_pages_and_reports_progress() {
        let (report, progress) = run(&corpus("pdfplumber-ca-warn-report.pdf"));
        let report = report.unwrap();
        assert_eq!(report.pages, 16);
        assert!(!report.encrypted);
        assert_eq!(progress.len(), 16);
        assert_eq!(progress.last(), Some(&(16, 16)));
    }

    #[test]
    fn nics_table_has_one_page() {
        let report = run(&corpus("pdfplumber-nics-background-checks-2015-11.pdf"))
            .0
            .unwrap();
        assert_eq!(report.pages, 1);
        assert!(report.pdf_version.starts_with("1."));
    }

    #[test]
    fn a_password_protected_file_is_an_encrypted_error() {
        let err = run(&corpus("pdfplumber-password-example.pdf"))
            .0
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::Encrypted, "{err}");
    }

    #[test]
    fn non_pdf_and_empty_input_are_refused() {
        assert_eq!(run(b"hello world").0.unwrap_err(), AnalysisError::NotAPdf);
        assert_eq!(run(b"").0.unwrap_err(), AnalysisError::NotAPdf);
    }

    #[test]
    fn a_truncated_pdf_is_damaged_not_a_panic() {
        let bytes = corpus("pdfplumber-nics-background-checks-2015-11.pdf");
        for cut in [10, 100, 1000, bytes.len() / 2] {
            let (result, _) = run(&bytes[..cut]);
            if let Err(e) = result {
                assert_eq!(e.code(), ErrorCode::Damaged, "cut at {cut}: {e}");
            }
        }
    }

    #[test]
    fn limits_are_enforced_with_the_limit_in_the_message() {
        let bytes = corpus("pdfplumber-ca-warn-report.pdf");
        let clock = || 0.0;
        let small = Limits {
            max_bytes: 1000,
            max_pages: 5,
        };
        let err = analyse(&bytes, &small, &clock, &mut |_, _| {}).unwrap_err();
        assert_eq!(err.code(), ErrorCode::TooLarge);
        assert!(err.to_string().contains("1000 bytes"));
        let few_pages = Limits {
            max_bytes: u64::MAX,
            max_pages: 5,
        };
        let err = analyse(&bytes, &few_pages, &clock, &mut |_, _| {}).unwrap_err();
        assert_eq!(
            err,
            AnalysisError::TooManyPages {
                pages: 16,
                limit: 5
            }
        );
    }
}

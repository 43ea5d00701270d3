//! Checks made at the door, before anything is stored: the upload's declared
//! size, its first bytes, the filename, and ids taken from URLs. Also the
//! storage key layout, so that every adapter builds keys the same way.

use crate::contract::api::{ErrorBody, ErrorCode};

/// How far into the file the `%PDF-` header may start (the PDF spec lets
/// readers accept leading garbage; 1024 bytes is what common readers allow).
pub const PDF_HEADER_WINDOW: usize = 1024;

/// Longest filename accepted, in bytes.
pub const MAX_FILENAME_BYTES: usize = 255;

/// The filename used when the client gives none.
pub const DEFAULT_FILENAME: &str = "document.pdf";

/// Whether these first bytes of an upload look like a PDF: `%PDF-` followed by a
/// digit, within the first [`PDF_HEADER_WINDOW`] bytes.
pub fn looks_like_pdf(head: &[u8]) -> bool {
    let window = &head[..head.len().min(PDF_HEADER_WINDOW)];
    window
        .windows(6)
        .any(|w| w.starts_with(b"%PDF-") && w[5].is_ascii_digit())
}

/// Checks the declared `Content-Length` against the limit.
pub fn check_length(content_length: Option<&str>, max_bytes: u64) -> Result<u64, ErrorBody> {
    let Some(raw) = content_length else {
        return Err(ErrorBody::new(
            ErrorCode::LengthRequired,
            "Content-Length is required: send the PDF as the raw request body with its length",
        ));
    };
    let len: u64 = raw.trim().parse().map_err(|_| {
        ErrorBody::new(
            ErrorCode::BadRequest,
            format!("Content-Length {raw:?} is not a number"),
        )
    })?;
    if len == 0 {
        return Err(ErrorBody::new(
            ErrorCode::NotAPdf,
            "the upload is empty (0 bytes); send a PDF file",
        ));
    }
    if len > max_bytes {
        return Err(ErrorBody::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "the upload is {len} bytes; the limit is {max_bytes} bytes ({})",
                human_bytes(max_bytes)
            ),
        ));
    }
    Ok(len)
}

/// Checks a client-given filename; `None` or empty gives [`DEFAULT_FILENAME`].
pub fn filename(raw: Option<&str>) -> Result<String, ErrorBody> {
    let name = match raw.map(str::trim) {
        None | Some("") => return Ok(DEFAULT_FILENAME.to_owned()),
        Some(n) => n,
    };
    let bad = |why: &str| {
        Err(ErrorBody::new(
            ErrorCode::InvalidFilename,
            format!("filename is not allowed: {why}"),
        ))
    };
    if name.len() > MAX_FILENAME_BYTES {
        return bad(&format!("longer than {MAX_FILENAME_BYTES} bytes"));
    }
    if name.chars().any(char::is_control) {
        return bad("it contains control characters");
    }
    if name.contains(['/', '\\']) {
        return bad("it contains a path separator");
    }
    if name == "." || name == ".." {
        return bad("it is a relative path");
    }
    Ok(name.to_owned())
}

/// Whether an id from a URL has the shape of the ids we mint (a hyphenated
/// lower-case UUID), so that no other text ever reaches a storage key.
pub fn is_job_id(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// `1.5 MiB`-style sizes for messages.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The storage layout (DESIGN.md): KV `job/{owner}/{job}`, R2
/// `pdf/{owner}/{job}`, `result/{owner}/{job}.json` and, while a fanned-out
/// job's slices come in, `partial/{owner}/{job}/{first page}.json` with the
/// slice's sorted run of amounts beside it (`….amounts`); the list of
/// numbers, `numbers/{owner}/{job}/{first page}.ndjson`, a part per slice.
/// A job in a collection keeps its partial results (one part when read in
/// one pass) for the population, `population/{owner}/{collection}.json`; a
/// resumable upload's bytes past its last whole part, `tail/{owner}/{id}/…`.
pub mod keys {
    pub fn job(owner: &str, job: &str) -> String {
        format!("job/{owner}/{job}")
    }
    pub fn pdf(owner: &str, job: &str) -> String {
        format!("pdf/{owner}/{job}")
    }
    pub fn result(owner: &str, job: &str) -> String {
        format!("result/{owner}/{job}.json")
    }
    /// Every partial result of a job starts with this.
    pub fn partials(owner: &str, job: &str) -> String {
        format!("partial/{owner}/{job}/")
    }
    pub fn partial(owner: &str, job: &str, first_page: u32) -> String {
        format!("{}{first_page:08}.json", partials(owner, job))
    }
    /// A slice's sorted run of amounts (beside its partial result).
    pub fn run(owner: &str, job: &str, first_page: u32) -> String {
        format!("{}{first_page:08}.amounts", partials(owner, job))
    }
    /// Every part of a job's list of numbers starts with this.
    pub fn number_lists(owner: &str, job: &str) -> String {
        format!("numbers/{owner}/{job}/")
    }
    /// The numbers of the pages from `first_page` on (one analysis or one
    /// slice), NDJSON; the parts sort in page order.
    pub fn numbers(owner: &str, job: &str, first_page: u32) -> String {
        format!("{}{first_page:08}.ndjson", number_lists(owner, job))
    }
    /// Every tail kept of resumable upload `id` starts with this.
    pub fn upload_tails(owner: &str, id: &str) -> String {
        format!("tail/{owner}/{id}/")
    }
    /// The bytes of upload `id` past its last whole part, up to offset
    /// `end` (named by its end: an append that lost a race writes another).
    pub fn upload_tail(owner: &str, id: &str, end: u64) -> String {
        format!("{}{end:012}", upload_tails(owner, id))
    }
    /// A collection's population report.
    pub fn population(owner: &str, collection: &str) -> String {
        format!("population/{owner}/{collection}.json")
    }
    /// The first page of the part a key of [`partials`] names (`None` for
    /// a run or another key).
    pub fn partial_first_page(key: &str) -> Option<u32> {
        key.rsplit('/').next()?.strip_suffix(".json")?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_header_is_recognised_with_leading_bytes() {
        assert!(looks_like_pdf(b"%PDF-1.7\n%\xe2\xe3"));
        assert!(looks_like_pdf(b"\xef\xbb\xbfjunk%PDF-1.4\n"));
        assert!(!looks_like_pdf(b"<html>%PDF"));
        assert!(!looks_like_pdf(b"%PDF-x"));
        assert!(!looks_like_pdf(b""));
        let mut late = vec![b' '; PDF_HEADER_WINDOW];
        late.extend_from_slice(b"%PDF-1.4");
        assert!(!looks_like_pdf(&late));
    }

    #[test]
    fn length_rules() {
        assert_eq!(check_length(Some("100"), 1000), Ok(100));
        assert_eq!(
            check_length(None, 1000).unwrap_err().code,
            ErrorCode::LengthRequired
        );
        assert_eq!(
            check_length(Some("abc"), 1000).unwrap_err().code,
            ErrorCode::BadRequest
        );
        assert_eq!(
            check_length(Some("0"), 1000).unwrap_err().code,
            ErrorCode::NotAPdf
        );
        let too_big = check_length(Some("2048"), 1024).unwrap_err();
        assert_eq!(too_big.code, ErrorCode::PayloadTooLarge);
        assert!(
            too_big.message.contains("1024 bytes"),
            "{}",
            too_big.message
        );
    }

    #[test]
    fn filenames() {
        assert_eq!(filename(None).unwrap(), DEFAULT_FILENAME);
        assert_eq!(filename(Some("  ")).unwrap(), DEFAULT_FILENAME);
        assert_eq!(filename(Some("Q3 report.pdf")).unwrap(), "Q3 report.pdf");
        assert_eq!(filename(Some("résumé.pdf")).unwrap(), "résumé.pdf");
        for bad in ["../etc/passwd", "a\\b.pdf", "a\nb", "..", &"x".repeat(300)] {
            assert_eq!(
                filename(Some(bad)).unwrap_err().code,
                ErrorCode::InvalidFilename,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn job_ids() {
        assert!(is_job_id("0f8e3c2a-1b4d-4e5f-9a8b-7c6d5e4f3a2b"));
        assert!(!is_job_id("0F8E3C2A-1B4D-4E5F-9A8B-7C6D5E4F3A2B"));
        assert!(!is_job_id("0f8e3c2a/1b4d-4e5f-9a8b-7c6d5e4f3a2b"));
        assert!(!is_job_id("../../x"));
        assert!(!is_job_id(""));
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(20 * 1024 * 1024), "20.0 MiB");
    }
}

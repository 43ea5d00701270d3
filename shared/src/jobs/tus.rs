//! tus 1.0 (<https://tus.io/protocols/resumable-upload>), spoken by the same
//! upload resource as the IETF draft (`crate::jobs::upload`), so that the
//! clients most resumable uploads on the web use (tus-js-client behind
//! Uppy, tusd's, the mobile ones) finish theirs: a request that carries
//! `Tus-Resumable: 1.0.0` is a tus request. Creation is `POST /jobs` with
//! `Upload-Length` and `Upload-Metadata` (the file name as `filename` or
//! `name`, base64); `PATCH` with `Content-Type: application/offset+octet-stream`
//! appends, and the append that reaches the length completes the upload;
//! `HEAD` says the offset; `DELETE` terminates; `OPTIONS` tells what the
//! server speaks. The rules are here; the edge's upload routes apply them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The tus version spoken (`Tus-Resumable`, `Tus-Version`).
pub const VERSION: &str = "1.0.0";
/// The tus extensions supported (`Tus-Extension`).
pub const EXTENSIONS: &str = "creation,creation-with-upload,termination,expiration";
/// The media type of a tus append's body.
pub const OFFSET_TYPE: &str = "application/offset+octet-stream";

/// What a request's `Tus-Resumable` header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaks {
    /// No header: not a tus request.
    No,
    /// tus 1.0.0.
    Tus,
    /// Another version (answered 412 with `Tus-Version`).
    Unsupported,
}

/// Reads `Tus-Resumable`.
pub fn speaks(header: Option<&str>) -> Speaks {
    match header.map(str::trim) {
        None => Speaks::No,
        Some(VERSION) => Speaks::Tus,
        Some(_) => Speaks::Unsupported,
    }
}

/// The file name `Upload-Metadata` carries (`filename`, else `name`): its
/// pairs are `key base64value`, comma-separated; `None` when neither key is
/// there or its value is not base64 of UTF-8.
pub fn metadata_filename(header: &str) -> Option<String> {
    let pairs: Vec<(&str, &str)> = header
        .split(',')
        .filter_map(|pair| {
            let mut parts = pair.trim().splitn(2, ' ');
            Some((parts.next()?, parts.next().unwrap_or("").trim()))
        })
        .collect();
    ["filename", "name"].iter().find_map(|key| {
        let (_, value) = pairs.iter().find(|(k, _)| k == key)?;
        let bytes = STANDARD.decode(value).ok()?;
        String::from_utf8(bytes).ok().filter(|s| !s.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tus_request_says_its_version() {
        assert_eq!(speaks(None), Speaks::No);
        assert_eq!(speaks(Some("1.0.0")), Speaks::Tus);
        assert_eq!(speaks(Some("0.2.2")), Speaks::Unsupported);
    }

    #[test]
    fn the_file_name_is_read_from_the_metadata() {
        // "q3 report.pdf" and "application/pdf", as tus-js-client sends them.
        let header = "filename cTMgcmVwb3J0LnBkZg==,filetype YXBwbGljYXRpb24vcGRm";
        assert_eq!(metadata_filename(header).as_deref(), Some("q3 report.pdf"));
        assert_eq!(
            metadata_filename("name YS5wZGY=, relativePath bnVsbA==").as_deref(),
            Some("a.pdf")
        );
        assert_eq!(metadata_filename("filetype YXBwbGljYXRpb24vcGRm"), None);
        assert_eq!(metadata_filename("filename !!!"), None);
        assert_eq!(metadata_filename("filename"), None);
        assert_eq!(metadata_filename(""), None);
    }
}

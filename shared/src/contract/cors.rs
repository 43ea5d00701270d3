//! CORS: which other origins may call the API from a browser. The SPA is served
//! from the API's own origin and needs none; `CORS_ORIGINS` (comma-separated,
//! exact `scheme://host[:port]`, empty by default) lists the others. A request
//! from any other origin gets no CORS headers, so browsers refuse it.

/// Headers a browser may send cross-origin.
pub const ALLOW_HEADERS: &str = "authorization, content-type, idempotency-key, if-none-match, upload-complete, upload-offset, upload-length, upload-metadata, tus-resumable";
/// Methods a browser may use cross-origin.
pub const ALLOW_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
/// Response headers a cross-origin script may read.
pub const EXPOSE_HEADERS: &str = "etag, location, retry-after, idempotent-replayed, ratelimit-limit, ratelimit-remaining, ratelimit-reset, upload-offset, upload-complete, upload-length, upload-limit, tus-resumable, tus-version, tus-extension, tus-max-size";
/// How long a browser may cache a preflight answer, seconds.
pub const MAX_AGE_SECS: u32 = 600;

/// Whether `origin` is one of the configured ones.
pub fn allowed(origin: &str, configured: &str) -> bool {
    let origin = origin.trim();
    !origin.is_empty()
        && origin != "null"
        && configured
            .split(',')
            .map(|o| o.trim().trim_end_matches('/'))
            .any(|o| o == origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_origins_exactly() {
        let list = "https://app.example, http://localhost:3000/";
        assert!(allowed("https://app.example", list));
        assert!(allowed("http://localhost:3000", list));
        assert!(!allowed("https://app.example.evil", list));
        assert!(!allowed("http://app.example", list));
        assert!(!allowed("null", "null"));
        assert!(!allowed("https://app.example", ""));
        assert!(!allowed("", list));
    }
}

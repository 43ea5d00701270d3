//! What every client of the API does the same way, whatever carries its
//! requests (the SPA through the browser, the CLI through ureq and
//! tungstenite): the API's paths ([`path`]), an error answer decoded into
//! its [`ErrorCode`] ([`ApiError`]), `Retry-After` ([`retry_after`]) and the
//! pause between reconnects ([`Backoff`]). No IO: the clients do that.

use std::time::Duration;

use crate::contract::api::{API_PREFIX, ErrorCode, ErrorResponse, JobState};

/// What an upload asks for besides its bytes: `POST /jobs`' query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadQuery {
    /// Webhooks to this URL (blank: none).
    pub callback_url: Option<String>,
    /// The roles of numbers that enter the tests (`None` or the default:
    /// the server's default).
    pub roles: Option<crate::reading::roles::Roles>,
    /// The table columns whose numbers alone enter the tests (`None`: every
    /// number of the roles).
    pub columns: Option<crate::reading::columns::Columns>,
    /// The collection the document joins.
    pub collection: Option<String>,
}

/// The API's paths, with their queries encoded.
pub mod path {
    use super::*;

    fn encode(pairs: &[(&str, &str)]) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
        query.finish()
    }

    pub fn health() -> String {
        format!("{API_PREFIX}/health")
    }

    pub fn tokens() -> String {
        format!("{API_PREFIX}/tokens")
    }

    /// `POST /jobs`: an upload named `filename`, with what `query` asks
    /// (webhooks, the roles of numbers and the table columns for the tests).
    pub fn upload(filename: &str, query: &super::UploadQuery) -> String {
        let mut pairs = vec![("filename", filename.to_owned())];
        if let Some(url) = query
            .callback_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        {
            pairs.push(("callback_url", url.trim().to_owned()));
        }
        if let Some(roles) = query.roles.filter(|r| !r.is_default()) {
            pairs.push(("roles", roles.to_query()));
        }
        if let Some(columns) = &query.columns {
            pairs.push(("columns", columns.names().join(",")));
        }
        if let Some(collection) = &query.collection {
            pairs.push(("collection", collection.clone()));
        }
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        format!("{API_PREFIX}/jobs?{}", encode(&pairs))
    }

    /// `GET /jobs`: one page of the owner's jobs.
    pub fn jobs(limit: u32, state: Option<JobState>, cursor: Option<&str>) -> String {
        let limit = limit.to_string();
        let mut pairs = vec![("limit", limit.as_str())];
        if let Some(state) = state {
            pairs.push(("state", state.as_str()));
        }
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor));
        }
        format!("{API_PREFIX}/jobs?{}", encode(&pairs))
    }

    /// `GET` / `DELETE /jobs/{id}`.
    pub fn job(id: &str) -> String {
        format!("{API_PREFIX}/jobs/{}", encode_segment(id))
    }

    /// `POST /jobs/{id}/cancel`.
    pub fn cancel(id: &str) -> String {
        format!("{}/cancel", job(id))
    }

    /// `GET /jobs/{id}?wait=N`: the long-poll.
    pub fn job_wait(id: &str, wait_secs: u32) -> String {
        format!("{}?wait={wait_secs}", job(id))
    }

    /// `GET /collections`, `POST /collections`.
    pub fn collections() -> String {
        format!("{API_PREFIX}/collections")
    }

    /// `GET /collections/{id}`, `DELETE /collections/{id}`.
    pub fn collection(id: &str) -> String {
        format!("{}/{}", collections(), encode_segment(id))
    }

    /// `GET /collections/{id}?wait=N`.
    pub fn collection_wait(id: &str, wait_secs: u32) -> String {
        format!("{}?wait={wait_secs}", collection(id))
    }

    /// `POST /collections/{id}/close` or `/cancel`.
    pub fn collection_act(id: &str, act: &str) -> String {
        format!("{}/{act}", collection(id))
    }

    /// `GET /collections/{id}/documents?limit=MAX[&cursor=]`: the largest
    /// pages, so that a collection of 10,000 documents is 20 requests.
    pub fn collection_documents(id: &str, cursor: Option<&str>) -> String {
        let limit = crate::contract::collection::MAX_PAGE.to_string();
        let mut pairs = vec![("limit", limit.as_str())];
        pairs.extend(cursor.map(|c| ("cursor", c)));
        format!("{}/documents?{}", collection(id), encode(&pairs))
    }

    /// `GET /collections[?cursor=]`: the owner's collections, newest first.
    pub fn collections_page(cursor: Option<&str>) -> String {
        match cursor {
            Some(c) => format!("{}?{}", collections(), encode(&[("cursor", c)])),
            None => collections(),
        }
    }

    /// `GET /collections/{id}/result`, or its documents ranked as CSV.
    pub fn collection_result(id: &str, csv: bool) -> String {
        let base = format!("{}/result", collection(id));
        if csv {
            format!("{base}?format=csv")
        } else {
            base
        }
    }

    /// `GET /jobs/{id}/result`, or its digit table as CSV.
    /// `GET /jobs/{id}/numbers`: the list of numbers (CSV or NDJSON).
    pub fn numbers(id: &str, csv: bool) -> String {
        let base = format!("{}/numbers", job(id));
        if csv {
            format!("{base}?format=csv")
        } else {
            base
        }
    }

    /// `GET /jobs/{id}/pages/{page}`: a page's lines, for drawing it.
    pub fn page_view(id: &str, page: u32) -> String {
        format!("{}/pages/{page}", job(id))
    }

    pub fn result(id: &str, csv: bool) -> String {
        let base = format!("{}/result", job(id));
        if csv {
            format!("{base}?format=csv")
        } else {
            base
        }
    }

    pub fn ticket() -> String {
        format!("{API_PREFIX}/events/ticket")
    }

    /// `GET /events`, with a browser's ticket and the last `seq` seen.
    pub fn events(ticket: Option<&str>, since: Option<u64>) -> String {
        let since = since.map(|s| s.to_string());
        let mut pairs = Vec::new();
        if let Some(ticket) = ticket {
            pairs.push(("ticket", ticket));
        }
        if let Some(since) = &since {
            pairs.push(("since", since.as_str()));
        }
        if pairs.is_empty() {
            format!("{API_PREFIX}/events")
        } else {
            format!("{API_PREFIX}/events?{}", encode(&pairs))
        }
    }

    pub fn webhook_secret() -> String {
        format!("{API_PREFIX}/webhook-secret")
    }

    pub fn rotate_webhook_secret() -> String {
        format!("{API_PREFIX}/webhook-secret/rotate")
    }

    /// A job id in a path: ids are UUIDs, but nothing a user types may
    /// change which route is called.
    fn encode_segment(id: &str) -> String {
        url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
    }
}

/// A call that failed: the HTTP status (0 when the server was not reached),
/// the server's error code when it sent one, and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: Option<ErrorCode>,
    pub message: String,
}

impl ApiError {
    /// The server could not be reached.
    pub fn network(e: impl std::fmt::Display) -> ApiError {
        ApiError {
            status: 0,
            code: None,
            message: format!("the server could not be reached ({e})"),
        }
    }

    /// A 2xx answer that is not what the API promises.
    pub fn unexpected(status: u16, e: impl std::fmt::Display) -> ApiError {
        ApiError {
            status,
            code: None,
            message: format!("unexpected answer from the server ({e})"),
        }
    }

    /// An error answer: `{"error": {"code", "message"}}`, or whatever else a
    /// proxy in between may have sent.
    pub fn from_answer(status: u16, body: &str) -> ApiError {
        match serde_json::from_str::<ErrorResponse>(body) {
            Ok(e) => ApiError {
                status,
                code: Some(e.error.code),
                message: e.error.message,
            },
            Err(_) => {
                let text = body.trim();
                let text: String = text.chars().take(200).collect();
                ApiError {
                    status,
                    code: None,
                    message: if text.is_empty() {
                        format!("the server answered HTTP {status}")
                    } else {
                        format!("the server answered HTTP {status}: {text}")
                    },
                }
            }
        }
    }

    /// Whether the server was never reached (worth trying again).
    pub fn is_network(&self) -> bool {
        self.status == 0
    }

    /// The code as a word: the server's, or `network` / `http`.
    pub fn code_str(&self) -> &'static str {
        match self.code {
            Some(code) => code.as_str(),
            None if self.is_network() => "network",
            None => "http",
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

/// The longest `Retry-After` a client honours.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// A `Retry-After` header: seconds or an HTTP date (given the time now, unix
/// seconds), capped at [`MAX_RETRY_AFTER`]; `None` when absent or unreadable.
pub fn retry_after(header: Option<&str>, now_secs: u64) -> Option<Duration> {
    let secs = crate::delivery::webhooks::parse_retry_after(header?, now_secs)?;
    Some(Duration::from_secs(u64::from(secs)).min(MAX_RETRY_AFTER))
}

/// The pause before each reconnect of a live connection: 0.5 s, doubling up
/// to 30 s, back to the start after a connection that worked.
#[derive(Debug, Clone, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    pub const FIRST: Duration = Duration::from_millis(500);
    pub const LONGEST: Duration = Duration::from_secs(30);

    /// The pause before the next try (and counts this failure).
    pub fn next_delay(&mut self) -> Duration {
        let delay = Self::FIRST
            .saturating_mul(1 << self.failures.min(16))
            .min(Self::LONGEST);
        self.failures = self.failures.saturating_add(1);
        delay
    }

    /// The connection works again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Failures since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

/// The browser app's own addresses: `/` for the list, `/jobs/{id}` for a
/// job's result, `/collections/{id}` for a collection, so a reload, the
/// back button and a shared link open it.
pub mod page {

    use crate::contract::validate::is_job_id;

    /// The job a page address shows (`/jobs/{id}`, a trailing slash
    /// allowed), if any.
    pub fn job_of(pathname: &str) -> Option<&str> {
        let id = pathname.strip_prefix("/jobs/")?.trim_end_matches('/');
        is_job_id(id).then_some(id)
    }

    /// The collection a page address shows (`/collections/{id}`), if any.
    pub fn collection_of(pathname: &str) -> Option<&str> {
        let id = pathname
            .strip_prefix("/collections/")?
            .trim_end_matches('/');
        is_job_id(id).then_some(id)
    }

    /// The address of a page showing `job` (or the list).
    pub fn address(job: Option<&str>) -> String {
        job.map_or_else(|| "/".to_owned(), |id| format!("/jobs/{id}"))
    }

    /// The address of a page showing `job`, else `collection`, else the
    /// list: a job opened from a collection is the page's subject.
    pub fn address_of(job: Option<&str>, collection: Option<&str>) -> String {
        match (job, collection) {
            (None, Some(c)) => format!("/collections/{c}"),
            (job, _) => address(job),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_has_its_own_page_address() {
        let id = "0f8e3c2a-1b4d-4e5f-9a8b-7c6d5e4f3a2b";
        assert_eq!(page::address(Some(id)), format!("/jobs/{id}"));
        assert_eq!(page::job_of(&page::address(Some(id))), Some(id));
        assert_eq!(page::job_of(&format!("/jobs/{id}/")), Some(id));
        assert_eq!(page::address(None), "/");
        assert_eq!(page::job_of("/"), None);
        assert_eq!(page::job_of("/jobs/"), None);
        assert_eq!(page::job_of("/jobs/not-an-id"), None);
        assert_eq!(page::job_of(&format!("/api/v1/jobs/{id}")), None);
        assert_eq!(
            page::address_of(None, Some(id)),
            format!("/collections/{id}")
        );
        assert_eq!(page::address_of(Some(id), Some(id)), format!("/jobs/{id}"));
        assert_eq!(page::address_of(None, None), "/");
        assert_eq!(
            page::collection_of(&format!("/collections/{id}/")),
            Some(id)
        );
        assert_eq!(page::collection_of(&format!("/jobs/{id}")), None);
        assert_eq!(page::collection_of("/collections/x"), None);
    }

    #[test]
    fn paths_are_the_apis_with_encoded_queries() {
        assert_eq!(path::health(), "/api/v1/health");
        assert_eq!(
            path::upload(
                "q3 report&.pdf",
                &UploadQuery {
                    callback_url: Some("https://x.test/h?a=1".into()),
                    roles: None,
                    columns: None,
                    collection: None,
                }
            ),
            "/api/v1/jobs?filename=q3+report%26.pdf&callback_url=https%3A%2F%2Fx.test%2Fh%3Fa%3D1"
        );
        assert_eq!(
            path::upload(
                "a.pdf",
                &UploadQuery {
                    callback_url: Some(" ".into()),
                    roles: Some(crate::reading::roles::Roles::default()),
                    columns: None,
                    collection: None,
                }
            ),
            "/api/v1/jobs?filename=a.pdf"
        );
        let amounts = crate::reading::roles::Roles::of(&[
            crate::reading::roles::Role::Amount,
            crate::reading::roles::Role::Year,
        ]);
        assert_eq!(
            path::upload(
                "a.pdf",
                &UploadQuery {
                    callback_url: None,
                    roles: Some(amounts),
                    columns: crate::reading::columns::Columns::parse("Amount, net  total").ok(),
                    collection: Some("c-1".into()),
                }
            ),
            "/api/v1/jobs?filename=a.pdf&roles=amount%2Cyear&columns=Amount%2Cnet+total&collection=c-1"
        );
        assert_eq!(
            path::jobs(20, Some(JobState::Error), Some("abc=")),
            "/api/v1/jobs?limit=20&state=error&cursor=abc%3D"
        );
        assert_eq!(path::job_wait("j1", 25), "/api/v1/jobs/j1?wait=25");
        assert_eq!(
            path::collection_wait("c1", 20),
            "/api/v1/collections/c1?wait=20"
        );
        assert_eq!(
            path::collection_act("c1", "close"),
            "/api/v1/collections/c1/close"
        );
        assert_eq!(
            path::collection_documents("c1", Some("2")),
            "/api/v1/collections/c1/documents?limit=500&cursor=2"
        );
        assert_eq!(
            path::collection_result("c1", true),
            "/api/v1/collections/c1/result?format=csv"
        );
        assert_eq!(
            path::numbers("j1", true),
            "/api/v1/jobs/j1/numbers?format=csv"
        );
        assert_eq!(path::page_view("j1", 3), "/api/v1/jobs/j1/pages/3");
        assert_eq!(
            path::result("j1", true),
            "/api/v1/jobs/j1/result?format=csv"
        );
        assert_eq!(path::job("../tokens"), "/api/v1/jobs/..%2Ftokens");
        assert_eq!(path::events(None, None), "/api/v1/events");
        assert_eq!(
            path::events(Some("wst_a.b"), Some(7)),
            "/api/v1/events?ticket=wst_a.b&since=7"
        );
    }

    #[test]
    fn error_answers_decode_into_their_code() {
        let e = ApiError::from_answer(
            415,
            r#"{"error":{"code":"not_a_pdf","message":"not a PDF"}}"#,
        );
        assert_eq!(
            (e.status, e.code, e.message.as_str(), e.code_str()),
            (415, Some(ErrorCode::NotAPdf), "not a PDF", "not_a_pdf")
        );
        let proxy = ApiError::from_answer(502, "<html>Bad gateway</html>");
        assert_eq!((proxy.code, proxy.code_str()), (None, "http"));
        assert!(proxy.message.contains("502"));
        let down = ApiError::network("connection refused");
        assert!(down.is_network());
        assert_eq!(down.code_str(), "network");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after(Some(" 7 "), 0), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after(Some("Thu, 01 Jan 1970 00:01:40 GMT"), 40),
            Some(Duration::from_secs(60))
        );
        assert_eq!(retry_after(Some("soon"), 0), None);
        assert_eq!(retry_after(None, 0), None);
        assert!(retry_after(Some("999999"), 0).unwrap() <= MAX_RETRY_AFTER);
    }

    #[test]
    fn backoff_doubles_to_a_cap_and_resets() {
        let mut b = Backoff::default();
        let delays: Vec<u64> = (0..9).map(|_| b.next_delay().as_millis() as u64).collect();
        assert_eq!(
            delays,
            [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
        assert_eq!(b.failures(), 9);
        b.reset();
        assert_eq!(b.next_delay(), Backoff::FIRST);
    }
}

//! The worker's one application error, and the one place that turns it into an
//! HTTP answer: client errors pass through with their code and message (429s
//! with `Retry-After` and the rate headers); platform failures are logged and
//! answered as an opaque 500.

use shared::contract::api::{ErrorBody, ErrorCode, ErrorResponse};
use shared::delivery::ratelimit::Decision;
use worker::{Response, console_error};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The client's fault: answered as is.
    #[error("{}: {}", .0.code, .0.message)]
    Client(ErrorBody),
    #[error("worker: {0}")]
    Worker(#[from] worker::Error),
    #[error("kv: {0}")]
    Kv(#[from] worker::kv::KvError),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("random: {0}")]
    Random(#[from] getrandom::Error),
    #[error("{0}")]
    Internal(String),
    /// The job was deleted while the consumer worked on it.
    #[error("the job was deleted")]
    JobDeleted,
    /// The consumer gave no answer for a message (test hook: as when the
    /// isolate dies), so the queue redelivers it.
    #[error("the delivery was abandoned without an answer")]
    Abandoned,
    /// The job has ended (its end is written): nothing more to do.
    #[error("the job has ended")]
    Ended,
    /// 429: a rate limit or a quota, with when to come back.
    #[error("{}: {}", .body.code, .body.message)]
    Limited {
        body: ErrorBody,
        retry_after: u32,
        rate: Option<Decision>,
    },
}

impl From<ErrorBody> for AppError {
    fn from(body: ErrorBody) -> Self {
        AppError::Client(body)
    }
}

impl AppError {
    pub fn client(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::Client(ErrorBody::new(code, message))
    }

    pub fn into_response(self) -> Response {
        let body = match self {
            AppError::Client(body) => body,
            AppError::Limited {
                body,
                retry_after,
                rate,
            } => {
                let mut resp = error_response(body);
                let headers = resp.headers_mut();
                let _ = headers.set("retry-after", &retry_after.to_string());
                if let Some(rate) = rate {
                    rate_headers(&mut resp, &rate);
                }
                return resp;
            }
            other => {
                console_error!("internal error: {other}");
                ErrorBody::new(ErrorCode::Internal, "internal error; please retry")
            }
        };
        error_response(body)
    }
}

/// `{"error": {"code", "message"}}` with the code's status.
pub fn error_response(body: ErrorBody) -> Response {
    let status = body.code.http_status();
    let json = serde_json::to_string(&ErrorResponse { error: body })
        .unwrap_or_else(|_| r#"{"error":{"code":"internal","message":"internal error"}}"#.into());
    let mut resp = Response::ok(json)
        .map(|r| r.with_status(status))
        .unwrap_or_else(|_| Response::empty().expect("an empty response can always be built"));
    let _ = resp.headers_mut().set("content-type", "application/json");
    resp
}

pub type AppResult<T> = Result<T, AppError>;

/// `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (IETF draft).
pub fn rate_headers(resp: &mut Response, rate: &Decision) {
    let headers = resp.headers_mut();
    let _ = headers.set("ratelimit-limit", &rate.limit.to_string());
    let _ = headers.set("ratelimit-remaining", &rate.remaining.to_string());
    let _ = headers.set("ratelimit-reset", &rate.reset_secs.to_string());
}

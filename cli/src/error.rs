//! The CLI's one error type and the exit code each kind of failure ends with:
//! 0 completed, 1 a job ended in error, 2 usage, 3 timeout, 4 the server
//! refused or failed, or could not be reached, 130 interrupted (Ctrl-C).

use std::time::Duration;

use shared::delivery::client::ApiError;

/// Exit codes, as documented in `docket --help`.
pub mod exit {
    pub const COMPLETED: i32 = 0;
    pub const JOB_ERROR: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const TIMEOUT: i32 = 3;
    pub const SERVER: i32 = 4;
    /// Ctrl-C while waiting (the shell's 128 + SIGINT).
    pub const INTERRUPTED: i32 = 130;
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Wrong arguments, a file that cannot be read, a bad config.
    #[error("{0}")]
    Usage(String),
    /// The server answered with an error (decoded by `shared::delivery::client`).
    #[error("the server refused: {} ({}, HTTP {})", .0.message, .0.code_str(), .0.status)]
    Api(ApiError),
    /// The server could not be reached or answered nonsense.
    #[error("could not talk to the server: {0}")]
    Network(String),
    #[error("gave up waiting after {0:?}")]
    Timeout(Duration),
    /// One or more jobs ended in `error` (already reported).
    #[error("{0}")]
    JobFailed(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => exit::USAGE,
            CliError::Api(_) | CliError::Network(_) => exit::SERVER,
            CliError::Timeout(_) => exit::TIMEOUT,
            CliError::JobFailed(_) => exit::JOB_ERROR,
        }
    }
}

pub type CliResult<T> = Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_has_its_exit_code() {
        assert_eq!(CliError::Usage("x".into()).exit_code(), 2);
        let api = CliError::Api(ApiError::from_answer(
            415,
            r#"{"error":{"code":"not_a_pdf","message":"not a PDF"}}"#,
        ));
        assert_eq!(api.exit_code(), 4);
        assert!(api.to_string().contains("not a PDF (not_a_pdf, HTTP 415)"));
        assert_eq!(CliError::Network("refused".into()).exit_code(), 4);
        assert_eq!(CliError::Timeout(Duration::from_secs(3)).exit_code(), 3);
        assert_eq!(CliError::JobFailed("1 job failed".into()).exit_code(), 1);
    }
}

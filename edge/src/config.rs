//! Settings read from `wrangler.toml` `[vars]`, with defaults that keep one
//! analysis inside a Worker's 128 MB.

use shared::analysis::Limits;
use shared::callback;
use shared::queue::DEFAULT_MAX_ATTEMPTS;
use worker::Env;

/// Binding names, as in `wrangler.toml`.
pub const JOBS_KV: &str = "JOBS";
pub const FILES_R2: &str = "FILES";
pub const ANALYSIS_QUEUE: &str = "ANALYSIS";
pub const JOB_HUB: &str = "JOB_HUB";

/// The dead-letter queue's name, which the consumer tells apart.
pub const ANALYSIS_DLQ_NAME: &str = "docket-analysis-dlq";

/// Largest upload accepted at the door.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 20 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Config {
    pub max_upload_bytes: u64,
    pub limits: Limits,
    /// Analysis attempts before the job ends in `error`.
    pub max_attempts: u32,
    /// First retry delay (doubling after that), seconds.
    pub retry_delay_secs: u32,
    /// Test-only hooks (failure injection, the sweep route): `DOCKET_TEST_HOOKS=1`.
    pub test_hooks: bool,
    /// What callback URLs may point at.
    pub callback_policy: callback::Policy,
}

impl Config {
    pub fn from_env(env: &Env) -> Self {
        let num = |name: &str| -> Option<u64> {
            env.var(name)
                .ok()
                .and_then(|v| v.to_string().trim().parse().ok())
        };
        let max_upload_bytes = num("MAX_UPLOAD_BYTES").unwrap_or(DEFAULT_MAX_UPLOAD_BYTES);
        let defaults = Limits::default();
        Config {
            max_upload_bytes,
            limits: Limits {
                max_bytes: max_upload_bytes,
                max_pages: num("MAX_PAGES")
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(defaults.max_pages),
                max_stream_bytes: defaults.max_stream_bytes,
            },
            max_attempts: num("MAX_ANALYSIS_ATTEMPTS")
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n >= 1)
                .unwrap_or(DEFAULT_MAX_ATTEMPTS),
            retry_delay_secs: num("ANALYSIS_RETRY_DELAY_SECONDS")
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(5),
            test_hooks: num("DOCKET_TEST_HOOKS") == Some(1),
            callback_policy: callback::Policy {
                allow_loopback: num("CALLBACK_ALLOW_LOOPBACK") == Some(1),
                extra_ports: env
                    .var("CALLBACK_EXTRA_PORTS")
                    .map(|v| v.to_string())
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|p| p.trim().parse().ok())
                    .collect(),
            },
        }
    }
}

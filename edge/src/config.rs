//! Settings read from `wrangler.toml` `[vars]`, with defaults that keep one
//! analysis inside a Worker's 128 MB.

use shared::contract::callback;
use shared::delivery::ratelimit::{Quotas, Rule};
use shared::delivery::webhooks::Schedule;
use shared::jobs::limits::Limits;
use shared::jobs::queue::DEFAULT_MAX_ATTEMPTS;
use shared::jobs::retention::{
    DEFAULT_ORPHAN_AFTER_SECS, DEFAULT_RETENTION_DAYS, DEFAULT_STUCK_AFTER_SECS,
};
use worker::Env;

/// Binding names, as in `wrangler.toml`.
pub const JOBS_KV: &str = "JOBS";
pub const FILES_R2: &str = "FILES";
pub const ANALYSIS_QUEUE: &str = "ANALYSIS";
pub const WEBHOOKS_QUEUE: &str = "WEBHOOKS";
pub const JOB_HUB: &str = "JOB_HUB";
pub const LIMITER: &str = "LIMITER";
pub const LINE: &str = "LINE";
/// The SPA's static files (and the OpenAPI document among them).
pub const ASSETS: &str = "ASSETS";
/// The analyser Worker, for a build without the engine (the page view).
#[cfg(not(feature = "analyser"))]
pub const ANALYSER: &str = "ANALYSER";

/// The queues' names, which the consumer tells apart.
pub const ANALYSIS_DLQ_NAME: &str = "docket-analysis-dlq";
pub const WEBHOOKS_QUEUE_NAME: &str = "docket-webhooks";
pub const WEBHOOKS_DLQ_NAME: &str = "docket-webhooks-dlq";

/// Largest upload accepted in one request (the platform's body limit on the
/// smaller plans is 100 MB); bigger files go up resumably.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 100_000_000;

#[derive(Debug, Clone)]
pub struct Config {
    pub max_upload_bytes: u64,
    /// Largest resumable upload (`MAX_RESUMABLE_BYTES`).
    pub max_resumable_bytes: u64,
    /// An unfinished resumable upload is abandoned this long after it was
    /// created, seconds (`UPLOAD_EXPIRY_SECONDS`).
    pub upload_expiry_secs: u64,
    pub limits: Limits,
    /// Analysis attempts before the job ends in `error`.
    pub max_attempts: u32,
    /// First retry delay (doubling after that), seconds.
    pub retry_delay_secs: u32,
    /// A document of more pages is analysed in slices of this many
    /// (`SLICE_PAGES`).
    pub slice_pages: u32,
    /// Test-only hooks (failure injection, the sweep route):
    /// `DOCKET_TEST_HOOKS=1` in a worker built with the `test-hooks` feature;
    /// always off without it.
    pub test_hooks: bool,
    /// What callback URLs may point at.
    pub callback_policy: callback::Policy,
    /// Delays between webhook attempts (`WEBHOOK_RETRY_SCHEDULE`).
    pub webhook_schedule: Schedule,
    /// How long a rotated-out webhook secret keeps signing, ms.
    pub secret_grace_ms: f64,
    pub rates: Rates,
    pub quotas: Quotas,
    /// Jobs are removed this many days after they were created.
    pub retention_days: u32,
    /// An unfinished job unchanged this long is unstuck by the sweep, seconds.
    pub stuck_after_secs: u32,
    /// An upload with no job this long after it was admitted has its PDF
    /// removed, seconds.
    pub orphan_after_secs: u32,
    /// Jobs a starting hub sends again per invocation (`BOOT_BATCH`).
    pub boot_batch: u32,
}

/// The rate limits (`RATE_*` vars).
#[derive(Debug, Clone, Copy)]
pub struct Rates {
    /// Token minting per client address.
    pub tokens: Rule,
    pub uploads_per_minute: Rule,
    pub uploads_per_day: Rule,
    /// Every other authenticated request (reads, deletes, WebSocket upgrades).
    pub requests: Rule,
    pub tickets: Rule,
}

impl Config {
    pub fn from_env(env: &Env) -> Self {
        let num = |name: &str| -> Option<u64> {
            env.var(name)
                .ok()
                .and_then(|v| v.to_string().trim().parse().ok())
        };
        let count = |name: &str, default: u32| -> u32 {
            num(name)
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n >= 1)
                .unwrap_or(default)
        };
        let quota_defaults = Quotas::default();
        let max_upload_bytes = num("MAX_UPLOAD_BYTES").unwrap_or(DEFAULT_MAX_UPLOAD_BYTES);
        let defaults = Limits::default();
        Config {
            max_upload_bytes,
            max_resumable_bytes: num("MAX_RESUMABLE_BYTES")
                .unwrap_or(shared::jobs::upload::DEFAULT_MAX_RESUMABLE_BYTES),
            upload_expiry_secs: num("UPLOAD_EXPIRY_SECONDS")
                .filter(|n| *n >= 1)
                .unwrap_or(shared::jobs::upload::EXPIRY_SECS),
            limits: Limits {
                // Read whole into the isolate's memory.
                max_bytes: num("MAX_ANALYSIS_BYTES").unwrap_or(defaults.max_bytes),
                max_pages: num("MAX_PAGES")
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(defaults.max_pages),
                max_stream_bytes: defaults.max_stream_bytes,
            },
            max_attempts: count("MAX_ANALYSIS_ATTEMPTS", DEFAULT_MAX_ATTEMPTS),
            retry_delay_secs: num("ANALYSIS_RETRY_DELAY_SECONDS")
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(5),
            slice_pages: count("SLICE_PAGES", shared::jobs::queue::DEFAULT_SLICE_PAGES),
            test_hooks: hooks_on(&num),
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
            webhook_schedule: env
                .var("WEBHOOK_RETRY_SCHEDULE")
                .ok()
                .and_then(|v| Schedule::parse(&v.to_string()).ok())
                .unwrap_or_else(|| {
                    Schedule::parse(Schedule::PRODUCTION).unwrap_or(Schedule(vec![5]))
                }),
            secret_grace_ms: num("WEBHOOK_SECRET_GRACE_SECONDS").unwrap_or(24 * 3600) as f64
                * 1000.0,
            rates: Rates {
                tokens: Rule::per_minute(count("RATE_TOKENS_PER_MINUTE_PER_IP", 10)),
                uploads_per_minute: Rule::per_minute(count("RATE_UPLOADS_PER_MINUTE", 60)),
                uploads_per_day: Rule::per_day(count("RATE_UPLOADS_PER_DAY", 2_000)),
                requests: Rule::per_minute(count("RATE_REQUESTS_PER_MINUTE", 1_200)),
                tickets: Rule::per_minute(count("RATE_TICKETS_PER_MINUTE", 30)),
            },
            quotas: Quotas {
                active_jobs: count("QUOTA_ACTIVE_JOBS", quota_defaults.active_jobs),
                stored_bytes: num("QUOTA_STORED_BYTES").unwrap_or(quota_defaults.stored_bytes),
                jobs: count("QUOTA_JOBS", quota_defaults.jobs),
            },
            retention_days: count("RETENTION_DAYS", DEFAULT_RETENTION_DAYS),
            stuck_after_secs: count("STUCK_AFTER_SECONDS", DEFAULT_STUCK_AFTER_SECS),
            orphan_after_secs: count("ORPHAN_AFTER_SECONDS", DEFAULT_ORPHAN_AFTER_SECS),
            boot_batch: count("BOOT_BATCH", shared::jobs::watchdog::BOOT_BATCH),
        }
    }
}

/// Whether the test hooks are on: `DOCKET_TEST_HOOKS=1`, read only where
/// the worker was built with them.
#[cfg(feature = "test-hooks")]
fn hooks_on(num: &impl Fn(&str) -> Option<u64>) -> bool {
    num("DOCKET_TEST_HOOKS") == Some(1)
}

#[cfg(not(feature = "test-hooks"))]
fn hooks_on(_: &impl Fn(&str) -> Option<u64>) -> bool {
    false
}

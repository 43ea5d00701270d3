//! Clock, randomness and the operator's log for the worker (the platform's,
//! through js-sys, getrandom's wasm_js backend and the console).

use shared::delivery::oplog::LogLine;

/// Writes one operator's log line (`shared::delivery::oplog`): the dev server's log
/// deployed `wrangler tail` show it.
pub fn log(line: LogLine) {
    worker::console_log!("{}", line.to_json());
}

/// Milliseconds since an RFC 3339 time (0 when it cannot be read).
pub fn ms_since(rfc3339: &str) -> f64 {
    let at = js_sys::Date::parse(rfc3339);
    if at.is_nan() { 0.0 } else { now_ms() - at }
}

/// Now, RFC 3339 in UTC with milliseconds.
pub fn now_rfc3339() -> String {
    String::from(js_sys::Date::new_0().to_iso_string())
}

/// A time in milliseconds since the epoch, RFC 3339 in UTC with milliseconds.
pub fn rfc3339_at(ms: f64) -> String {
    String::from(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms)).to_iso_string())
}

/// Milliseconds since the epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// `N` random bytes from the platform's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)?;
    Ok(buf)
}

/// When this isolate first ran (ms since the epoch): set by the first event
/// it handles.
static ISOLATE_STARTED_MS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();

/// How long this isolate has been up, ms.
pub fn isolate_age_ms() -> f64 {
    now_ms() - *ISOLATE_STARTED_MS.get_or_init(now_ms)
}

/// The wasm module's memory now, bytes (it only grows: the peak so far).
pub fn wasm_memory_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) as u64 * 65_536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

/// How long a platform call (a Durable Object's answer, an R2 object of
/// the analysis' own making) may take before it counts as lost. Far above
/// any answer's time (a long-poll is held 30 s at most), far below the
/// platform's 15-minute limit on a queue consumer: a consumer waiting on a
/// call that never answers would otherwise hold its queue until then (the
/// local queue, which delivers one batch at a time, for ever).
pub const CALL_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// `call`'s result, or an internal error naming `what` when it has not
/// answered within [`CALL_LIMIT`] (the caller's usual failure path then
/// retries it).
pub async fn within<T>(
    what: &str,
    call: impl std::future::Future<Output = crate::error::AppResult<T>>,
) -> crate::error::AppResult<T> {
    use futures_util::future::{Either, select};
    let call = std::pin::pin!(call);
    match select(call, worker::Delay::from(CALL_LIMIT)).await {
        Either::Left((answer, _)) => answer,
        Either::Right(_) => Err(crate::error::AppError::Internal(format!(
            "{what}: no answer within {} s",
            CALL_LIMIT.as_secs()
        ))),
    }
}

//! The scheduled sweep (cron): removes every job created before now minus the
//! retention period — record, PDF, result, and its place in the owner's index.
//! Which jobs go is `shared::retention`'s decision.

use shared::retention::{self, DEFAULT_RETENTION_DAYS, JobMeta};
use worker::{Env, console_error, console_log};

use crate::error::AppResult;
use crate::events::forget;
use crate::store::Store;

/// Runs the sweep for a cron firing at `now_ms`.
pub async fn sweep(env: &Env, now_ms: f64) {
    match try_sweep(env, now_ms).await {
        Ok(removed) => console_log!("retention sweep removed {removed} job(s)"),
        Err(e) => console_error!("retention sweep failed: {e}"),
    }
}

/// Runs the sweep as if at `now_ms` and returns how many jobs it removed.
pub async fn try_sweep(env: &Env, now_ms: f64) -> AppResult<u64> {
    let days = env
        .var("RETENTION_DAYS")
        .ok()
        .and_then(|v| v.to_string().trim().parse::<u32>().ok())
        .unwrap_or(DEFAULT_RETENTION_DAYS);
    let cutoff_ms = now_ms - f64::from(days) * 86_400_000.0;
    let cutoff = String::from(
        js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(cutoff_ms)).to_iso_string(),
    );
    let store = Store::new(env)?;
    let mut removed = 0;
    let mut cursor = None;
    loop {
        let page = store.list_job_keys(cursor.take()).await?;
        for key in &page.keys {
            let Some((owner, id)) = retention::parse_job_key(&key.name) else {
                continue;
            };
            let created_at = match key
                .metadata
                .clone()
                .and_then(|m| serde_json::from_value::<JobMeta>(m).ok())
            {
                Some(meta) => meta.created_at,
                None => match store.get_job(owner, id).await? {
                    Some(job) => job.created_at,
                    None => continue,
                },
            };
            if retention::expired(&created_at, &cutoff) {
                store.delete_job_record(owner, id).await?;
                store.delete_pdf(owner, id).await?;
                store.delete_result(owner, id).await?;
                forget(env, owner, id).await;
                removed += 1;
            }
        }
        if page.list_complete || page.cursor.is_none() {
            break;
        }
        cursor = page.cursor;
    }
    Ok(removed)
}

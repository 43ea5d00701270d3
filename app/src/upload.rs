//! Uploads from the browser: checks before sending (type, size against the
//! server's limit), `XMLHttpRequest` so each file reports its progress (fetch
//! has no upload progress), and a message for people for every refusal.

use std::cell::RefCell;
use std::rc::Rc;

use shared::api::{ErrorCode, Job};
use shared::client::{ApiError, path, retry_after};
use shared::validate::human_bytes;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{File, ProgressEvent, XmlHttpRequest};

/// Checks a file before it is sent: a PDF by name or type, not empty, not
/// over the server's limit (`max_bytes`, 0 when unknown).
pub fn check_file(name: &str, size: f64, mime: &str, max_bytes: u64) -> Result<(), String> {
    let pdf_name = name.to_ascii_lowercase().ends_with(".pdf");
    if !pdf_name && mime != "application/pdf" {
        return Err(format!("{name} is not a PDF: choose .pdf files"));
    }
    if size <= 0.0 {
        return Err(format!("{name} is empty"));
    }
    if max_bytes > 0 && size > max_bytes as f64 {
        return Err(format!(
            "{name} is {}, over the server's limit of {}",
            human_bytes(size as u64),
            human_bytes(max_bytes)
        ));
    }
    Ok(())
}

/// What to tell people about a refused upload.
pub fn explain(status: u16, body: &str) -> String {
    let error = ApiError::from_answer(status, body);
    if status == 0 {
        return "the upload did not reach the server (network); try again".into();
    }
    // A refusal without a Docket body (a proxy's) is read by its status.
    let code = error.code.or(match status {
        401 => Some(ErrorCode::Unauthorized),
        413 => Some(ErrorCode::PayloadTooLarge),
        415 => Some(ErrorCode::NotAPdf),
        429 => Some(ErrorCode::RateLimited),
        _ => None,
    });
    match code {
        Some(ErrorCode::Unauthorized) => {
            "this browser's token is not valid any more: open Settings and mint a new one".into()
        }
        Some(ErrorCode::PayloadTooLarge) => format!("too large: {}", error.message),
        Some(ErrorCode::NotAPdf) => format!("not a PDF: {}", error.message),
        Some(ErrorCode::RateLimited | ErrorCode::QuotaExceeded) => {
            format!("{} (the app waits and tries again)", error.message)
        }
        _ => error.message,
    }
}

/// How an upload ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Accepted(Box<Job>),
    /// The server said no (status, the explanation, seconds to wait on 429).
    Refused(u16, String, Option<u32>),
    /// The network failed: worth retrying.
    Failed(String),
}

/// Sends one file; `progress(sent, total)` as it goes, `done` at the end.
pub fn send(
    file: &File,
    token: &str,
    callback_url: Option<&str>,
    progress: impl Fn(f64, f64) + 'static,
    done: impl FnOnce(Outcome) + 'static,
) -> Result<(), String> {
    let xhr = XmlHttpRequest::new().map_err(|_| "this browser cannot upload".to_owned())?;
    let url = path::upload(&file.name(), callback_url);
    xhr.open_with_async("POST", &url, true)
        .map_err(|_| "could not start the upload".to_owned())?;
    let _ = xhr.set_request_header("authorization", &format!("Bearer {token}"));
    let _ = xhr.set_request_header("content-type", "application/pdf");

    let done = Rc::new(RefCell::new(Some(done)));
    let on_progress = Closure::<dyn Fn(ProgressEvent)>::new(move |e: ProgressEvent| {
        if e.length_computable() {
            progress(e.loaded(), e.total());
        }
    });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    let finished = Rc::clone(&done);
    let request = xhr.clone();
    let on_load = Closure::<dyn Fn()>::new(move || {
        let status = request.status().unwrap_or(0);
        let body = request.response_text().ok().flatten().unwrap_or_default();
        let outcome = if status == 202 {
            match serde_json::from_str::<Job>(&body) {
                Ok(job) => Outcome::Accepted(Box::new(job)),
                Err(e) => Outcome::Failed(format!("unexpected answer ({e})")),
            }
        } else {
            let header = request.get_response_header("retry-after").ok().flatten();
            let retry =
                retry_after(header.as_deref(), crate::api::now_secs()).map(|d| d.as_secs() as u32);
            Outcome::Refused(status, explain(status, &body), retry)
        };
        if let Some(done) = finished.borrow_mut().take() {
            done(outcome);
        }
    });
    let failed = Rc::clone(&done);
    let on_error = Closure::<dyn Fn()>::new(move || {
        if let Some(done) = failed.borrow_mut().take() {
            done(Outcome::Failed(
                "the upload did not reach the server".into(),
            ));
        }
    });
    xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
    xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    // The handlers live as long as the page: one small leak per upload.
    on_progress.forget();
    on_load.forget();
    on_error.forget();
    xhr.send_with_opt_blob(Some(file))
        .map_err(|_| "could not send the file".to_owned())
}

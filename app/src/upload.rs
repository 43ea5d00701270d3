//! Uploads from the browser: checks before sending (type, size against the
//! server's limit), `XMLHttpRequest` so each file reports its progress (fetch
//! has no upload progress), and a message for people for every refusal.

use std::cell::RefCell;
use std::rc::Rc;

use shared::contract::api::{ErrorCode, Job};
use shared::contract::validate::human_bytes;
use shared::delivery::client::{ApiError, UploadQuery, path, retry_after};
pub use shared::jobs::upload::goes_resumably;
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
    query: &UploadQuery,
    progress: impl Fn(f64, f64) + 'static,
    done: impl FnOnce(Outcome) + 'static,
) -> Result<(), String> {
    let xhr = XmlHttpRequest::new().map_err(|_| "this browser cannot upload".to_owned())?;
    let url = path::upload(&file.name(), query);
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

/// Bytes per append of a resumable upload (whole parts, so each one moves
/// the upload on).
const APPEND_BYTES: u64 = 2 * shared::jobs::upload::PART_SIZE;
/// Connection losses survived in a row before the row offers "Try again".
const RECONNECTS: u32 = 8;

/// An answer to one request of a resumable upload.
struct Answer {
    status: u16,
    body: String,
    xhr: XmlHttpRequest,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.xhr.get_response_header(name).ok().flatten()
    }

    fn refused(&self) -> Outcome {
        let retry = retry_after(
            self.header("retry-after").as_deref(),
            crate::api::now_secs(),
        )
        .map(|d| d.as_secs() as u32);
        Outcome::Refused(self.status, explain(self.status, &self.body), retry)
    }
}

/// One request by `XMLHttpRequest` (status 0: it never got an answer).
async fn request(
    method: &str,
    url: &str,
    token: &str,
    headers: &[(&str, String)],
    body: Option<&web_sys::Blob>,
    progress: Option<Rc<dyn Fn(f64)>>,
) -> Result<Answer, String> {
    let xhr = XmlHttpRequest::new().map_err(|_| "this browser cannot upload".to_owned())?;
    xhr.open_with_async(method, url, true)
        .map_err(|_| "could not start the upload".to_owned())?;
    let _ = xhr.set_request_header("authorization", &format!("Bearer {token}"));
    for (name, value) in headers {
        let _ = xhr.set_request_header(name, value);
    }
    let (tx, rx) = futures_channel::oneshot::channel::<()>();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let on_end = {
        let tx = Rc::clone(&tx);
        Closure::<dyn Fn()>::new(move || {
            if let Some(tx) = tx.borrow_mut().take() {
                let _ = tx.send(());
            }
        })
    };
    let on_progress = Closure::<dyn Fn(ProgressEvent)>::new(move |e: ProgressEvent| {
        if let Some(p) = &progress {
            p(e.loaded());
        }
    });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    xhr.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    let sent = match body {
        Some(blob) => xhr.send_with_opt_blob(Some(blob)),
        None => xhr.send(),
    };
    sent.map_err(|_| "could not send the file".to_owned())?;
    let _ = rx.await;
    drop((on_end, on_progress));
    Ok(Answer {
        status: xhr.status().unwrap_or(0),
        body: xhr.response_text().ok().flatten().unwrap_or_default(),
        xhr,
    })
}

/// Waits `ms` milliseconds.
pub(crate) async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// What a resumable upload tells its row besides its progress.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// The connection dropped: trying again.
    Reconnecting,
    /// Going on from this many bytes after a dropped connection.
    ResumedAt(u64),
}

impl Note {
    pub fn text(&self) -> String {
        match self {
            Note::Reconnecting => "reconnecting…".into(),
            Note::ResumedAt(offset) => format!("reconnecting… resumed at {}", human_bytes(*offset)),
        }
    }
}

/// Sends one file resumably (IETF resumable-upload draft, as the server
/// speaks it): created empty, then appended in [`APPEND_BYTES`] slices, each
/// answered with the offset the server kept; after a dropped connection or
/// a server error, the server is asked where the upload stands and the
/// upload goes on from there by itself.
pub async fn send_resumably(
    file: File,
    token: String,
    query: UploadQuery,
    progress: Rc<dyn Fn(f64, f64)>,
    note: Rc<dyn Fn(Note)>,
) -> Outcome {
    let size = file.size() as u64;
    let total = size as f64;
    let created = request(
        "POST",
        &path::upload(&file.name(), &query),
        &token,
        &[
            ("upload-complete", "?0".into()),
            ("upload-length", size.to_string()),
        ],
        None,
        None,
    )
    .await;
    let created = match created {
        Ok(a) if a.status == 201 => a,
        Ok(a) if a.status == 0 => {
            return Outcome::Failed("the upload did not reach the server".into());
        }
        Ok(a) => return a.refused(),
        Err(why) => return Outcome::Failed(why),
    };
    let Some(location) = created.header("location") else {
        return Outcome::Failed("the server gave the upload no address".into());
    };
    let mut offset = 0u64;
    let mut lost = 0u32;
    loop {
        let len = APPEND_BYTES.min(size - offset);
        let complete = offset + len == size;
        let Ok(slice) = file.slice_with_f64_and_f64(offset as f64, (offset + len) as f64) else {
            return Outcome::Failed("could not read the file".into());
        };
        let from = offset as f64;
        let shown = Rc::clone(&progress);
        let answer = request(
            "PATCH",
            &location,
            &token,
            &[
                ("upload-offset", offset.to_string()),
                ("upload-complete", if complete { "?1" } else { "?0" }.into()),
                (
                    "content-type",
                    shared::jobs::upload::PARTIAL_UPLOAD_TYPE.into(),
                ),
            ],
            Some(&slice),
            Some(Rc::new(move |sent| shown(from + sent, total))),
        )
        .await;
        match answer {
            Ok(a) if a.status == 204 => {
                lost = 0;
                match a.header("upload-offset").and_then(|v| v.parse().ok()) {
                    Some(kept) => offset = kept,
                    None => {
                        return Outcome::Failed("an append was answered without its offset".into());
                    }
                }
                progress(offset as f64, total);
            }
            Ok(a) if a.status == 202 => {
                return match serde_json::from_str::<Job>(&a.body) {
                    Ok(job) => Outcome::Accepted(Box::new(job)),
                    Err(e) => Outcome::Failed(format!("unexpected answer ({e})")),
                };
            }
            Ok(a) if a.status == 429 => {
                let wait = a.refused();
                let secs = match &wait {
                    Outcome::Refused(_, _, retry) => retry.unwrap_or(5).clamp(1, 600),
                    _ => 5,
                };
                sleep(secs as i32 * 1000).await;
            }
            // A dropped connection, a server error, another offset: ask
            // where the upload stands and go on from there.
            Ok(a) if a.status == 0 || a.status >= 500 || a.status == 409 => {
                lost += 1;
                if lost > RECONNECTS {
                    return Outcome::Failed("the connection keeps dropping".into());
                }
                note(Note::Reconnecting);
                sleep(500 * lost.min(10) as i32).await;
                let Ok(now) = request("GET", &location, &token, &[], None, None).await else {
                    continue;
                };
                match now.status {
                    200 => {
                        match serde_json::from_str::<shared::jobs::upload::UploadInfo>(&now.body) {
                            Ok(info) => {
                                offset = info.offset;
                                progress(offset as f64, total);
                                note(Note::ResumedAt(offset));
                            }
                            Err(e) => return Outcome::Failed(format!("unexpected answer ({e})")),
                        }
                    }
                    404 => return Outcome::Failed("the upload expired on the server".into()),
                    _ => {}
                }
            }
            Ok(a) => return a.refused(),
            Err(why) => return Outcome::Failed(why),
        }
    }
}

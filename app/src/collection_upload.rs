//! Many PDFs into one collection: dropped, chosen, or a whole folder; sent
//! [`IN_FLIGHT`] at a time (resumably when big, waiting as the server asks
//! on 429, again after a dropped connection), with one line of progress for
//! the lot and a row only for those that failed, each with "Try again".

use std::collections::VecDeque;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::contract::collection::CollectionDocument;
use shared::delivery::client::UploadQuery;
use web_sys::File;

use crate::collections::Collections;
use crate::drop::{DropArea, chosen};
use crate::upload::{self, Outcome};
use crate::uploader::{UploadList, UploadRow, UploadStatus};

/// Uploads running at once.
pub const IN_FLIGHT: usize = 4;
/// The longest `Retry-After` waited for by itself (seconds).
const LONGEST_WAIT: u32 = 120;
/// Times a file is sent again by itself after a network failure.
const AGAIN: u32 = 6;

/// Sends one file (resumably when `goes_resumably` says so) and waits for
/// its end; over a rate limit or quota (429) it waits as long as the server
/// asks (up to [`LONGEST_WAIT`]), as often as it asks (a thousand files meet
/// the per-minute limit);
/// a network failure is tried again up to [`AGAIN`] times, a little later
/// each time.
pub async fn deliver(
    file: File,
    token: String,
    query: UploadQuery,
    limits: (u64, u64),
    progress: Rc<dyn Fn(f64, f64)>,
    waiting: Rc<dyn Fn(bool)>,
) -> Outcome {
    let mut tries = 0;
    loop {
        let size = file.size() as u64;
        let outcome = if upload::goes_resumably(size, limits.0, limits.1) {
            let quiet = Rc::new(|_: upload::Note| {});
            upload::send_resumably(
                file.clone(),
                token.clone(),
                query.clone(),
                progress.clone(),
                quiet,
            )
            .await
        } else {
            let (tx, rx) = futures_channel::oneshot::channel::<Outcome>();
            let shown = progress.clone();
            let sent = upload::send(
                &file,
                &token,
                &query,
                move |a, b| shown(a, b),
                move |o| {
                    let _ = tx.send(o);
                },
            );
            match sent {
                Ok(()) => rx
                    .await
                    .unwrap_or_else(|_| Outcome::Failed("the upload was dropped".into())),
                Err(why) => Outcome::Failed(why),
            }
        };
        let pause = match &outcome {
            // A full store (delete jobs first) asks for an hour: said, not waited.
            Outcome::Refused(429, _, retry) if retry.unwrap_or(5) <= LONGEST_WAIT => {
                retry.unwrap_or(5).max(1)
            }
            Outcome::Failed(_) if tries < AGAIN => {
                tries += 1;
                2 * tries
            }
            _ => return outcome,
        };
        let limited = matches!(outcome, Outcome::Refused(429, ..));
        if limited {
            waiting(true);
        }
        upload::sleep(pause as i32 * 1000).await;
        if limited {
            waiting(false);
        }
    }
}

/// The uploads of one collection: a queue, the counts, the failed rows.
#[derive(Clone, Copy)]
struct Batch {
    waiting: StoredValue<VecDeque<(u32, File)>, LocalStorage>,
    /// Files kept for "Try again", by key.
    failed_files: StoredValue<Vec<(u32, File)>, LocalStorage>,
    failed: RwSignal<Vec<UploadRow>>,
    total: RwSignal<u32>,
    sent: RwSignal<u32>,
    running: RwSignal<usize>,
    /// Uploads waiting out the server's rate limit or quota (429).
    held: RwSignal<usize>,
    skipped: RwSignal<u32>,
    next_key: StoredValue<u32>,
}

/// The drop area for a collection that is open; `busy` counts the uploads
/// not yet ended (the collection's Close waits for them).
#[component]
pub fn CollectionUploader(
    id: String,
    max_bytes: Signal<u64>,
    max_resumable: Signal<u64>,
    busy: RwSignal<usize>,
) -> impl IntoView {
    let token = crate::session::use_token();
    let collections = use_context::<Collections>().unwrap_or_default();
    let batch = Batch {
        waiting: StoredValue::new_local(VecDeque::new()),
        failed_files: StoredValue::new_local(Vec::new()),
        failed: RwSignal::new(Vec::new()),
        total: RwSignal::new(0),
        sent: RwSignal::new(0),
        running: RwSignal::new(0),
        held: RwSignal::new(0),
        skipped: RwSignal::new(0),
        next_key: StoredValue::new(0),
    };
    // `pump` starts uploads while fewer than IN_FLIGHT run; each one that
    // ends calls it again through this.
    let again = StoredValue::new_local(None::<Rc<dyn Fn()>>);
    let run = move || {
        if let Some(pump) = again.get_value() {
            pump();
        }
    };
    let pump: Rc<dyn Fn()> = {
        let id = id.clone();
        Rc::new(move || {
            let Some(t) = token.get_untracked() else {
                return;
            };
            while batch.running.get_untracked() < IN_FLIGHT {
                let Some((key, file)) = batch.waiting.try_update_value(|w| w.pop_front()).flatten()
                else {
                    break;
                };
                batch.running.update(|n| *n += 1);
                let query = UploadQuery {
                    collection: Some(id.clone()),
                    ..UploadQuery::default()
                };
                let limits = (max_bytes.get_untracked(), max_resumable.get_untracked());
                let t = t.clone();
                spawn_local(async move {
                    let kept = file.clone();
                    let held = Rc::new(move |on: bool| {
                        batch
                            .held
                            .update(|n| *n = if on { *n + 1 } else { n.saturating_sub(1) })
                    });
                    let outcome = deliver(file, t, query, limits, Rc::new(|_, _| {}), held).await;
                    match outcome {
                        Outcome::Accepted(job) => {
                            batch.sent.update(|n| *n += 1);
                            collections.add_members(vec![CollectionDocument {
                                job_id: job.id.clone(),
                                filename: job.filename.clone(),
                                state: job.state(),
                                error: job.error.clone(),
                            }]);
                        }
                        Outcome::Refused(_, why, _) | Outcome::Failed(why) => {
                            batch
                                .failed_files
                                .update_value(|f| f.push((key, kept.clone())));
                            batch.failed.update(|rows| {
                                rows.push(UploadRow {
                                    key,
                                    name: kept.name(),
                                    progress: 0.0,
                                    status: UploadStatus::Failed(why, true),
                                })
                            });
                        }
                    }
                    batch.running.update(|n| *n -= 1);
                    busy.update(|n| *n = n.saturating_sub(1));
                    run();
                });
            }
        })
    };
    again.set_value(Some(pump));
    let queue = move |files: Vec<File>| {
        for file in files {
            let limit = max_resumable.get_untracked().max(max_bytes.get_untracked());
            if let Err(why) = upload::check_file(&file.name(), file.size(), &file.type_(), limit) {
                // A folder holds other files too: those are counted, not listed.
                if file.name().to_ascii_lowercase().ends_with(".pdf") {
                    let key = batch.next_key.get_value();
                    batch.next_key.set_value(key + 1);
                    batch.failed.update(|rows| {
                        rows.push(UploadRow {
                            key,
                            name: file.name(),
                            progress: 0.0,
                            status: UploadStatus::Failed(why, false),
                        })
                    });
                } else {
                    batch.skipped.update(|n| *n += 1);
                }
                continue;
            }
            let key = batch.next_key.get_value();
            batch.next_key.set_value(key + 1);
            batch.waiting.update_value(|w| w.push_back((key, file)));
            batch.total.update(|n| *n += 1);
            busy.update(|n| *n += 1);
        }
        run();
    };
    let retry = Callback::new(move |key: u32| {
        let file = batch
            .failed_files
            .try_update_value(|f| f.iter().position(|(k, _)| *k == key).map(|i| f.remove(i)))
            .flatten();
        if let Some((key, file)) = file {
            batch.failed.update(|rows| rows.retain(|r| r.key != key));
            batch.waiting.update_value(|w| w.push_back((key, file)));
            busy.update(|n| *n += 1);
            run();
        }
    });
    let line = move || {
        let (total, sent, running) = (batch.total.get(), batch.sent.get(), batch.running.get());
        let failed = batch.failed.with(Vec::len);
        let skipped = batch.skipped.get();
        let mut text = format!("Uploaded {sent} of {total}");
        if running > 0 {
            text.push_str(&format!(" · {running} sending"));
        }
        let held = batch.held.get();
        if held > 0 {
            text.push_str(&format!(
                " ({held} waiting for the server's upload limit, then going on by themselves)"
            ));
        }
        if failed > 0 {
            text.push_str(&format!(" · {failed} failed"));
        }
        if skipped > 0 {
            text.push_str(&format!(" · {skipped} files that are not PDFs skipped"));
        }
        text
    };
    // Chromium, Firefox and Safari choose a folder with this input.
    let folder = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = folder.get() {
            input.set_webkitdirectory(true);
        }
    });
    let started =
        move || batch.total.get() + batch.skipped.get() != 0 || !batch.failed.with(Vec::is_empty);
    view! {
        <div class="collection-upload">
            <DropArea text="Drop PDFs into this collection, or choose files" name="collection-files" on_files=Callback::new(queue) />
            <label class="folder">
                "…or a whole folder (its PDFs)"
                <input type="file" name="collection-folder" multiple node_ref=folder on:change=move |ev| queue(chosen(&ev)) />
            </label>
            <Show when=started>
                <p class="batch-progress" role="status">
                    <progress
                        max=move || batch.total.get().max(1)
                        value=move || batch.sent.get()
                        aria-label="documents uploaded"
                    ></progress>
                    " "
                    {line}
                </p>
            </Show>
            <UploadList rows=batch.failed on_retry=retry />
        </div>
    }
}

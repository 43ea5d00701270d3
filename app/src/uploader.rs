//! Uploading: the drop area and file picker with the callback URL and the
//! role picker, and the list of uploads in progress (retries after a 429,
//! resumable uploads for big files: `crate::upload`).

use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::delivery::client::UploadQuery;
use shared::reading::columns::Columns;
use shared::reading::roles::Roles;
use web_sys::File;

use crate::drop::{ColumnsField, DropArea};
use crate::live::Jobs;
use crate::roles::RolePicker;
use crate::upload;
use crate::upload::Outcome;

/// One file being uploaded.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadRow {
    pub key: u32,
    pub name: String,
    /// 0..=1.
    pub progress: f64,
    pub status: UploadStatus,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UploadStatus {
    Sending,
    /// Sending resumably, after a dropped connection: what happened.
    Resuming(String),
    Done,
    /// The message, and whether trying again can help.
    Failed(String, bool),
}

/// The upload list: one row per file with its own progress bar.
#[component]
pub fn UploadList(
    #[prop(into)] rows: Signal<Vec<UploadRow>>,
    on_retry: Callback<u32>,
) -> impl IntoView {
    view! {
        <ul class="uploads" aria-live="polite">
            <For
                each=move || rows.get()
                key=|r| (r.key, format!("{:?}{:.3}", r.status, r.progress))
                children=move |row| {
                    let key = row.key;
                    let status = match &row.status {
                        UploadStatus::Sending => format!("{:.0}%", row.progress * 100.0),
                        UploadStatus::Resuming(note) => {
                            format!("{:.0}% · {note}", row.progress * 100.0)
                        }
                        UploadStatus::Done => "sent".to_owned(),
                        UploadStatus::Failed(why, _) => why.clone(),
                    };
                    let failed = matches!(row.status, UploadStatus::Failed(..));
                    let retry = matches!(row.status, UploadStatus::Failed(_, true));
                    view! {
                        <li class:failed=failed>
                            <span class="upload-name">{row.name.clone()}</span>
                            <progress max="1" value=row.progress aria-label=format!("upload of {}", row.name)></progress>
                            <span class="upload-status">{status}</span>
                            <Show when=move || retry>
                                <button type="button" on:click=move |_| on_retry.run(key)>"Try again"</button>
                            </Show>
                        </li>
                    }
                }
            />
        </ul>
    }
}

/// Drag-and-drop area and file picker, with an optional callback URL. Big
/// files (`shared::jobs::upload::goes_resumably`) go up resumably.
#[component]
pub fn Uploader(max_bytes: Signal<u64>, max_resumable: Signal<u64>, jobs: Jobs) -> impl IntoView {
    let token = crate::session::use_token();
    let rows = RwSignal::new(Vec::<UploadRow>::new());
    let files = StoredValue::new_local(Vec::<(u32, File)>::new());
    let next_key = StoredValue::new(0u32);
    let callback_url = RwSignal::new(String::new());
    // The roles of numbers that enter the tests: the server's default
    // until the user changes them.
    let roles = RwSignal::new(Roles::default());
    // The table columns whose numbers alone enter the tests (blank: all).
    let columns = RwSignal::new(String::new());

    let set_row = move |key: u32, f: &dyn Fn(&mut UploadRow)| {
        rows.update(|rows| {
            if let Some(r) = rows.iter_mut().find(|r| r.key == key) {
                f(r);
            }
        });
    };
    // `start` retries itself after a 429; it reaches itself through this.
    let start_again = StoredValue::new_local(None::<Rc<dyn Fn(u32)>>);
    let start = move |key: u32| {
        let Some(file) =
            files.with_value(|f| f.iter().find(|(k, _)| *k == key).map(|(_, f)| f.clone()))
        else {
            return;
        };
        let Some(t) = token.get_untracked() else {
            set_row(key, &|r| {
                r.status = UploadStatus::Failed("no token yet; wait a moment".into(), true)
            });
            return;
        };
        set_row(key, &|r| {
            r.status = UploadStatus::Sending;
            r.progress = 0.0;
        });
        let chosen = columns.get_untracked();
        let columns = match chosen.trim() {
            "" => None,
            list => match Columns::parse(list) {
                Ok(columns) => Some(columns),
                Err(why) => {
                    set_row(key, &|r| r.status = UploadStatus::Failed(why.clone(), true));
                    return;
                }
            },
        };
        let query = UploadQuery {
            callback_url: Some(callback_url.get_untracked()),
            roles: Some(roles.get_untracked()),
            columns,
            collection: None,
        };
        let finish = move |outcome: Outcome| match outcome {
            Outcome::Accepted(job) => {
                set_row(key, &|r| {
                    r.status = UploadStatus::Done;
                    r.progress = 1.0;
                });
                jobs.upsert(*job);
            }
            Outcome::Refused(429, why, retry) => {
                // Over a limit: say so, wait as the server asks, try again.
                let secs = retry.unwrap_or(5).clamp(1, 3600);
                set_row(key, &|r| {
                    r.status = UploadStatus::Failed(format!("{why}; retrying in {secs} s"), false)
                });
                set_timeout(
                    move || {
                        if let Some(f) = start_again.get_value() {
                            f(key)
                        }
                    },
                    Duration::from_secs(u64::from(secs)),
                );
            }
            Outcome::Refused(_, why, _) => set_row(key, &|r| {
                r.status = UploadStatus::Failed(why.clone(), false)
            }),
            Outcome::Failed(why) => {
                set_row(key, &|r| r.status = UploadStatus::Failed(why.clone(), true))
            }
        };
        let progress = move |done: f64, total: f64| {
            set_row(key, &|r| {
                r.progress = if total > 0.0 { done / total } else { 0.0 }
            });
        };
        let size = file.size() as u64;
        if upload::goes_resumably(
            size,
            max_bytes.get_untracked(),
            max_resumable.get_untracked(),
        ) {
            let note = move |note: upload::Note| {
                set_row(key, &|r| r.status = UploadStatus::Resuming(note.text()));
            };
            spawn_local(async move {
                let outcome =
                    upload::send_resumably(file, t, query, Rc::new(progress), Rc::new(note)).await;
                finish(outcome);
            });
            return;
        }
        let sent = upload::send(&file, &t, &query, progress, finish);
        if let Err(why) = sent {
            set_row(key, &|r| r.status = UploadStatus::Failed(why.clone(), true));
        }
    };
    start_again.set_value(Some(Rc::new(start)));
    let add = move |list: Vec<File>| {
        for file in list {
            let key = next_key.get_value();
            next_key.set_value(key + 1);
            let single = max_bytes.get_untracked();
            let resumable = max_resumable.get_untracked();
            let limit = if upload::goes_resumably(file.size() as u64, single, resumable) {
                resumable
            } else {
                single
            };
            let checked = upload::check_file(&file.name(), file.size(), &file.type_(), limit);
            let status = match &checked {
                Ok(()) => UploadStatus::Sending,
                Err(why) => UploadStatus::Failed(why.clone(), false),
            };
            rows.update(|r| {
                r.push(UploadRow {
                    key,
                    name: file.name(),
                    progress: 0.0,
                    status,
                })
            });
            if checked.is_ok() {
                files.update_value(|f| f.push((key, file)));
                start(key);
            }
        }
    };

    view! {
        <section class="upload" aria-labelledby="upload-title">
            <h2 id="upload-title">"Analyse PDFs"</h2>
            <DropArea text="Drop PDFs here, or choose files" on_files=Callback::new(add) />
            <details class="advanced">
                <summary>"Advanced"</summary>
                <label>
                    "Callback URL (signed webhooks for each state change)"
                    <input
                        type="url"
                        placeholder="https://example.com/hooks/docket"
                        prop:value=move || callback_url.get()
                        on:input=move |ev| callback_url.set(event_target_value(&ev))
                    />
                </label>
                <RolePicker roles=roles />
                <ColumnsField name="columns" value=columns />
            </details>
            <UploadList rows=rows on_retry=Callback::new(start) />
        </section>
    }
}

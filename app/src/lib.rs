//! Docket's browser app (Leptos, client-side rendered). The components live
//! here so the browser tests can mount them; `main.rs` only mounts [`App`].
//!
//! [`api`] talks to the server, [`upload`] sends files with progress,
//! [`live`] keeps the job list current (WebSocket, or polling when it is
//! down), [`report`] draws a result, [`evidence`] its suspects and pages.

pub mod api;
pub mod evidence;
pub mod live;
pub mod report;
pub mod upload;

use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Health, Job, JobState};
use shared::client::UploadQuery;
use shared::report::Report;
use shared::roles::{Role, Roles};
use wasm_bindgen::JsCast;
use web_sys::{File, HtmlInputElement};

use crate::live::Jobs;
use crate::report::{
    BenfordChart, DigitTable, Duplicates, Facts, Magnitudes, NumberRoles, Pages, Verdict, Warnings,
};
use crate::upload::Outcome;

/// What the app knows about the API's health.
#[derive(Debug, Clone, PartialEq)]
pub enum HealthState {
    Checking,
    Up(Health),
    Down(String),
}

/// Asks the API whether it is up.
pub async fn fetch_health() -> HealthState {
    match api::health().await {
        Ok(h) => HealthState::Up(h),
        Err(e) => HealthState::Down(e.message),
    }
}

/// A small badge showing the API's health.
#[component]
pub fn HealthBadge(#[prop(into)] state: Signal<HealthState>) -> impl IntoView {
    let text = move || match state.get() {
        HealthState::Checking => "API: checking…".to_owned(),
        HealthState::Up(h) => format!("API: {} (v{})", h.status, h.version),
        HealthState::Down(why) => format!("API: down ({why})"),
    };
    let class = move || match state.get() {
        HealthState::Checking => "badge badge-checking",
        HealthState::Up(_) => "badge badge-up",
        HealthState::Down(_) => "badge badge-down",
    };
    view! { <p class=class role="status" aria-live="polite">{text}</p> }
}

/// A job's state as a coloured badge, with the page count while processing
/// and the reason of an error.
#[component]
pub fn StateBadge(#[prop(into)] job: Signal<Job>) -> impl IntoView {
    let text = move || {
        let job = job.get();
        match (job.state(), job.progress, job.error) {
            (JobState::Processing, Some(p), _) => match p.eta_seconds {
                Some(eta) => format!(
                    "processing · page {} of {} · about {} left",
                    p.pages_done,
                    p.pages_total,
                    seconds(eta)
                ),
                None => format!("processing · page {} of {}", p.pages_done, p.pages_total),
            },
            (JobState::Uploaded, _, _) if job.queue.is_some() => {
                let q = job.queue.unwrap_or(shared::line::QueueInfo {
                    position: 0,
                    eta_seconds: 0,
                });
                format!(
                    "queued · #{} in line · done in about {}",
                    q.position,
                    seconds(q.eta_seconds)
                )
            }
            (JobState::Error, _, Some(e)) => format!("error: {}", e.message),
            (JobState::Completed, _, _) if !job.warnings.is_empty() => {
                let pages: usize = job.warnings.iter().map(|w| w.pages.len()).sum();
                format!(
                    "completed · {pages} page{} with warnings",
                    if pages == 1 { "" } else { "s" }
                )
            }
            (state, _, _) => state.as_str().to_owned(),
        }
    };
    let class = move || format!("state state-{}", job.get().state().as_str());
    view! { <span class=class>{text}</span> }
}

/// A duration for people: "40 s", "3 min", "2 h".
pub fn seconds(secs: u32) -> String {
    match secs {
        0..=89 => format!("{} s", secs.max(1)),
        90..=5399 => format!("{} min", (secs + 30) / 60),
        _ => format!("{} h", (secs + 1800) / 3600),
    }
}

/// Pages analysed so far, as a progress bar (indeterminate before the count
/// is known).
#[component]
pub fn JobProgress(#[prop(into)] job: Signal<Job>) -> impl IntoView {
    move || {
        let job = job.get();
        match (job.state(), job.progress) {
            (JobState::Processing, Some(p)) => view! {
                <progress
                    class="job-progress"
                    max=p.pages_total.max(1)
                    value=p.pages_done
                    aria-label=format!("{} of {} pages analysed", p.pages_done, p.pages_total)
                ></progress>
            }
            .into_any(),
            (JobState::Uploaded | JobState::Processing, None) => {
                view! { <progress class="job-progress" aria-label="waiting for the analysis"></progress> }
                    .into_any()
            }
            _ => ().into_any(),
        }
    }
}

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

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let health = LocalResource::new(fetch_health);
    let health_state = Signal::derive(move || health.get().unwrap_or(HealthState::Checking));
    let max_bytes = Signal::derive(move || match health_state.get() {
        HealthState::Up(h) => h.max_upload_bytes,
        _ => 0,
    });
    let max_resumable = Signal::derive(move || match health_state.get() {
        HealthState::Up(h) => h.max_resumable_bytes,
        _ => 0,
    });
    let token = RwSignal::new(api::stored_token());
    let problem = RwSignal::new(None::<String>);
    let jobs = Jobs::default();
    // The job shown has its own address (`/jobs/{id}`): opened from it,
    // pushed to it when another is chosen, followed back and forward.
    let selected = RwSignal::new(page_job());
    Effect::new(move |_| {
        let want = shared::client::page::address(selected.get().as_deref());
        let Some(window) = web_sys::window() else {
            return;
        };
        if window.location().pathname().ok().as_deref() != Some(want.as_str())
            && let Ok(history) = window.history()
        {
            let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&want));
        }
    });
    let popped = window_event_listener(leptos::ev::popstate, move |_| selected.set(page_job()));
    on_cleanup(move || popped.remove());

    // First visit: mint a token; then follow the jobs.
    spawn_local(async move {
        match api::ensure_token().await {
            Ok(t) => {
                token.set(Some(t.clone()));
                live::start(t, jobs);
            }
            Err(e) => problem.set(Some(format!("could not get a token: {}", e.message))),
        }
    });

    view! {
        <header>
            <h1>"Docket"</h1>
            <p class="tagline">"Asynchronous PDF analysis: upload a PDF, get a Benford's-law screen of its numbers."</p>
            <HealthBadge state=health_state />
        </header>
        <main>
            <Show when=move || problem.get().is_some()>
                <p class="problem" role="alert">{move || problem.get().unwrap_or_default()}</p>
            </Show>
            <Uploader token=token max_bytes=max_bytes max_resumable=max_resumable jobs=jobs />
            <JobList jobs=jobs token=token selected=selected />
            <ResultPanel token=token selected=selected />
            <Settings token=token />
        </main>
    }
}

/// Drag-and-drop area and file picker, with an optional callback URL. Big
/// files (`shared::upload::goes_resumably`) go up resumably.
#[component]
fn Uploader(
    token: RwSignal<Option<String>>,
    max_bytes: Signal<u64>,
    max_resumable: Signal<u64>,
    jobs: Jobs,
) -> impl IntoView {
    let rows = RwSignal::new(Vec::<UploadRow>::new());
    let files = StoredValue::new_local(Vec::<(u32, File)>::new());
    let next_key = StoredValue::new(0u32);
    let callback_url = RwSignal::new(String::new());
    // The roles of numbers that enter the tests: the server's default
    // until the user changes them.
    let roles = RwSignal::new(Roles::default());
    let dragging = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();

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
        let query = UploadQuery {
            callback_url: Some(callback_url.get_untracked()),
            roles: Some(roles.get_untracked()),
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
    let from_list = move |list: Option<web_sys::FileList>| {
        let Some(list) = list else { return };
        add((0..list.length()).filter_map(|i| list.get(i)).collect());
    };

    view! {
        <section class="upload" aria-labelledby="upload-title">
            <h2 id="upload-title">"Analyse PDFs"</h2>
            <label
                class="drop"
                class:dragging=move || dragging.get()
                on:dragover=move |ev: web_sys::DragEvent| {
                    ev.prevent_default();
                    dragging.set(true);
                }
                on:dragleave=move |_| dragging.set(false)
                on:drop=move |ev: web_sys::DragEvent| {
                    ev.prevent_default();
                    dragging.set(false);
                    from_list(ev.data_transfer().and_then(|d| d.files()));
                }
            >
                <span>"Drop PDFs here, or choose files"</span>
                <input
                    type="file"
                    accept="application/pdf,.pdf"
                    multiple
                    node_ref=input
                    on:change=move |ev| {
                        let target: HtmlInputElement = ev.target().and_then(|t| t.dyn_into().ok()).expect("an input");
                        from_list(target.files());
                        target.set_value("");
                    }
                />
            </label>
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
            </details>
            <UploadList rows=rows on_retry=Callback::new(start) />
        </section>
    }
}

/// Which roles of numbers enter the Benford tests: a checkbox per role,
/// with its rule as the title; at least one stays checked.
#[component]
pub fn RolePicker(roles: RwSignal<Roles>) -> impl IntoView {
    let boxes = Role::ALL
        .into_iter()
        .map(|role| {
            let toggle = move |ev: leptos::ev::Event| {
                let on = event_target_checked(&ev);
                roles.update(|current| {
                    let mut list: Vec<Role> = Vec::from(*current);
                    list.retain(|r| *r != role);
                    if on {
                        list.push(role);
                    }
                    // Never none: the last box cannot be unchecked.
                    if !list.is_empty() {
                        *current = Roles::of(&list);
                    }
                });
            };
            view! {
                <label class="role" title=role.rule()>
                    <input
                        type="checkbox"
                        name="roles"
                        value=role.name()
                        prop:checked=move || roles.get().contains(role)
                        on:change=toggle
                    />
                    {role.name().replace('_', " ")}
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="roles">
            <legend>"Numbers that enter the Benford tests"</legend>
            {boxes}
        </fieldset>
    }
}

/// The owner's jobs, newest first, kept current live.
#[component]
fn JobList(
    jobs: Jobs,
    token: RwSignal<Option<String>>,
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let load_more = move |_| {
        let Some(t) = token.get_untracked() else {
            return;
        };
        let cursor = jobs.next_cursor.get_untracked();
        spawn_local(async move {
            if let Ok(page) = api::jobs(&t, cursor.as_deref()).await {
                jobs.next_cursor.set(page.next_cursor);
                for job in page.jobs {
                    jobs.upsert(job);
                }
            }
        });
    };
    view! {
        <section class="jobs" aria-labelledby="jobs-title">
            <h2 id="jobs-title">"Your jobs"</h2>
            <p class="mode" role="status">{move || jobs.mode.get().describe()}</p>
            <Show when=move || jobs.error.get().is_some()>
                <p class="problem" role="alert">{move || jobs.error.get().unwrap_or_default()}</p>
            </Show>
            <Show
                when=move || !jobs.list.get().is_empty()
                fallback=move || {
                    let text = if jobs.loaded.get() {
                        "No jobs yet: upload a PDF above."
                    } else {
                        "Loading your jobs…"
                    };
                    view! { <p class="empty">{text}</p> }
                }
            >
                <ul class="job-list">
                    <For
                        each=move || jobs.list.get()
                        key=|j| j.id.clone()
                        children=move |job| {
                            let id = job.id.clone();
                            let current = Signal::derive({
                                let id = id.clone();
                                move || {
                                    jobs.list.with(|l| l.iter().find(|j| j.id == id).cloned()).unwrap_or_else(|| job.clone())
                                }
                            });
                            let view_id = id.clone();
                            let delete_id = id.clone();
                            let cancel_id = id.clone();
                            let completed = move || current.get().state() == JobState::Completed;
                            let running = move || current.get().state().is_active();
                            view! {
                                <li class="job" data-job=id.clone()>
                                    <span class="job-name">{move || current.get().filename}</span>
                                    <StateBadge job=current />
                                    <JobProgress job=current />
                                    <span class="job-actions">
                                        <Show when=completed>
                                            {
                                                let view_id = view_id.clone();
                                                view! { <button type="button" on:click=move |_| selected.set(Some(view_id.clone()))>"View result"</button> }
                                            }
                                        </Show>
                                        <Show when=running>
                                            {
                                                let cancel_id = cancel_id.clone();
                                                view! {
                                                    <button
                                                        type="button"
                                                        class="cancel"
                                                        on:click=move |_| {
                                                            let Some(t) = token.get_untracked() else { return };
                                                            let id = cancel_id.clone();
                                                            spawn_local(async move {
                                                                match api::cancel(&t, &id).await {
                                                                    Ok(job) => jobs.upsert(job),
                                                                    Err(e) => jobs.error.set(Some(e.message)),
                                                                }
                                                            });
                                                        }
                                                    >
                                                        "Cancel"
                                                    </button>
                                                }
                                            }
                                        </Show>
                                        <button
                                            type="button"
                                            class="delete"
                                            on:click={
                                                let delete_id = delete_id.clone();
                                                move |_| {
                                                    let name = current.get_untracked().filename;
                                                    let sure = web_sys::window()
                                                        .and_then(|w| w.confirm_with_message(&format!("Delete {name}, its PDF and its result?")).ok())
                                                        .unwrap_or(false);
                                                    if !sure {
                                                        return;
                                                    }
                                                    let Some(t) = token.get_untracked() else { return };
                                                    let id = delete_id.clone();
                                                    spawn_local(async move {
                                                        match api::delete(&t, &id).await {
                                                            Ok(()) => {
                                                                jobs.remove(&id);
                                                                if selected.get_untracked().as_deref() == Some(id.as_str()) {
                                                                    selected.set(None);
                                                                }
                                                            }
                                                            Err(e) => jobs.error.set(Some(e.message)),
                                                        }
                                                    });
                                                }
                                            }
                                        >
                                            "Delete"
                                        </button>
                                    </span>
                                </li>
                            }
                        }
                    />
                </ul>
            </Show>
            <Show when=move || jobs.next_cursor.get().is_some()>
                <button type="button" on:click=load_more>"Show older jobs"</button>
            </Show>
        </section>
    }
}

/// Offers a text as a file download.
fn download(name: &str, text: &str, mime: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(document) = web_sys::window().and_then(|w| w.document())
        && let Ok(a) = document.create_element("a")
    {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// The job the page's address shows, if any.
fn page_job() -> Option<String> {
    let pathname = web_sys::window()?.location().pathname().ok()?;
    shared::client::page::job_of(&pathname).map(str::to_owned)
}

/// The selected job's report.
#[component]
fn ResultPanel(
    token: RwSignal<Option<String>>,
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let report = LocalResource::new(move || {
        let id = selected.get();
        let t = token.get();
        async move {
            let (Some(id), Some(t)) = (id, t) else {
                return None;
            };
            Some(api::result(&t, &id, false).await.map(|raw| (id, raw)))
        }
    });
    view! {
        <section class="result" aria-labelledby="result-title" aria-live="polite">
            {move || match report.get() {
                None if selected.get().is_some() => {
                    view! { <p class="loading" role="status">"Loading the result…"</p> }.into_any()
                }
                None | Some(None) => ().into_any(),
                Some(Some(Err(e))) => view! { <p class="problem" role="alert">{e.message}</p> }.into_any(),
                Some(Some(Ok((id, raw)))) => match serde_json::from_str::<Report>(&raw) {
                    Err(e) => view! { <p class="problem">{format!("unexpected report: {e}")}</p> }.into_any(),
                    Ok(r) => {
                        let csv_id = id.clone();
                        let numbers_id = id.clone();
                        let view_id = id.clone();
                        // The bucket a flagged row opened, and the page shown.
                        let open_bucket = RwSignal::new(None::<u32>);
                        let shown = RwSignal::new(None::<evidence::Shown>);
                        let flagged_buckets: Vec<u32> =
                            r.suspects.buckets.iter().map(|b| b.digits).collect();
                        let json_name = format!("docket-{id}.json");
                        let suspects_json = serde_json::to_string_pretty(&r.suspects).unwrap_or_default();
                        let suspects_csv = shared::evidence::suspects_csv(&r.suspects);
                        let suspects_json_name = format!("docket-{id}-suspects.json");
                        let suspects_csv_name = format!("docket-{id}-suspects.csv");
                        // Bring the result into view for keyboard and screen-reader users.
                        focus_heading("result-title");
                        view! {
                            <h2 id="result-title" tabindex="-1">"Result"</h2>
                            <Facts report=r.clone() />
                            <NumberRoles report=r.clone() />
                            <Warnings report=r.clone() />
                            <BenfordChart test=r.benford.first_digit.clone() />
                            <Verdict test=r.benford.first_digit.clone() />
                            <DigitTable test=r.benford.second_digit.clone() caption="Second digit" first=0 />
                            <DigitTable
                                test=r.benford.first_two_digits.clone()
                                caption="First two digits"
                                first=10
                                suspects=(flagged_buckets, open_bucket)
                            />
                            <DigitTable test=r.benford.first_three_digits.clone() caption="First three digits" first=100 />
                            <DigitTable test=r.benford.last_two_digits.clone() caption="Last two digits" first=0 />
                            <DigitTable test=r.amounts.second_order.clone() caption="Second order (differences of the sorted amounts)" first=10 />
                            <Duplicates tests=r.amounts.clone() />
                            <Magnitudes tests=r.amounts.clone() />
                            <evidence::SuspectList suspects=r.suspects.clone() open=open_bucket show=shown />
                            <PageViewPanel token=token id=view_id shown=shown />
                            <Pages report=r.clone() />
                            <p class="downloads">
                                <button type="button" on:click=move |_| download(&json_name, &raw, "application/json")>"Download JSON"</button>
                                <button
                                    type="button"
                                    on:click=move |_| {
                                        let Some(t) = token.get_untracked() else { return };
                                        let id = csv_id.clone();
                                        spawn_local(async move {
                                            if let Ok(csv) = api::result(&t, &id, true).await {
                                                download(&format!("docket-{id}.csv"), &csv, "text/csv");
                                            }
                                        });
                                    }
                                >
                                    "Download CSV"
                                </button>
                                <button
                                    type="button"
                                    on:click=move |_| {
                                        let Some(t) = token.get_untracked() else { return };
                                        let id = numbers_id.clone();
                                        spawn_local(async move {
                                            if let Ok(csv) = api::numbers_csv(&t, &id).await {
                                                download(&format!("docket-{id}-numbers.csv"), &csv, "text/csv");
                                            }
                                        });
                                    }
                                >
                                    "Download the numbers (CSV)"
                                </button>
                                <button
                                    type="button"
                                    on:click=move |_| {
                                        download(&suspects_json_name, &suspects_json, "application/json")
                                    }
                                >
                                    "Download the suspects (JSON)"
                                </button>
                                <button
                                    type="button"
                                    on:click=move |_| {
                                        download(&suspects_csv_name, &suspects_csv, "text/csv")
                                    }
                                >
                                    "Download the suspects (CSV)"
                                </button>
                                <button type="button" on:click=move |_| selected.set(None)>"Close"</button>
                            </p>
                        }
                        .into_any()
                    }
                },
            }}
        </section>
    }
}

/// Moves focus to the heading `id` and brings it into view once it is drawn
/// (for keyboard and screen-reader users).
fn focus_heading(id: &'static str) {
    request_animation_frame(move || {
        if let Some(h) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
        {
            let h: web_sys::HtmlElement = h.unchecked_into();
            let _ = h.focus();
            h.scroll_into_view();
        }
    });
}

/// The page a suspect is on, drawn from the engine's positions with the
/// suspects highlighted; fetched when one is asked for.
#[component]
fn PageViewPanel(
    token: RwSignal<Option<String>>,
    id: String,
    shown: RwSignal<Option<evidence::Shown>>,
) -> impl IntoView {
    let page = LocalResource::new(move || {
        let want = shown.get();
        let t = token.get();
        let id = id.clone();
        async move {
            let (Some(want), Some(t)) = (want, t) else {
                return None;
            };
            Some((api::page_view(&t, &id, want.page).await, want))
        }
    });
    move || match page.get() {
        None if shown.get().is_some() => {
            view! { <p class="loading" role="status">"Drawing the page…"</p> }.into_any()
        }
        None | Some(None) => ().into_any(),
        Some(Some((Err(e), _))) => {
            view! { <p class="problem" role="alert">{e.message}</p> }.into_any()
        }
        Some(Some((Ok(view), want))) => {
            let title = format!("Page {}", want.page);
            let listed = want
                .places
                .iter()
                .map(|p| view! { <li>{format!("{} — “{}”", p.text, p.line)}</li> })
                .collect_view();
            focus_heading("page-view-title");
            view! {
                <section class="page-panel" aria-labelledby="page-view-title">
                    <h3 id="page-view-title" tabindex="-1">{title}</h3>
                    <evidence::PageSvg view=view shown=want.clone() />
                    {(!want.places.is_empty()).then(|| view! {
                        <p>{format!("Highlighted: {}", want.what)}</p>
                        <ul class="highlighted">{listed}</ul>
                    })}
                    <button type="button" on:click=move |_| shown.set(None)>"Close the page"</button>
                </section>
            }
            .into_any()
        }
    }
}

/// The token (to copy for the CLI, or replace) and the webhook secret.
#[component]
fn Settings(token: RwSignal<Option<String>>) -> impl IntoView {
    let pasted = RwSignal::new(String::new());
    let secret = RwSignal::new(None::<String>);
    let note = RwSignal::new(None::<String>);
    let copy = move |_| {
        if let (Some(t), Some(w)) = (token.get_untracked(), web_sys::window()) {
            let _ = w.navigator().clipboard().write_text(&t);
            note.set(Some("Token copied.".into()));
        }
    };
    let use_pasted = move |_| {
        let t = pasted.get_untracked().trim().to_owned();
        if !t.starts_with("dkt_") {
            note.set(Some(
                "That is not a Docket token (they start with dkt_).".into(),
            ));
            return;
        }
        api::store_token(&t);
        // Start over with the other owner's jobs.
        let _ = web_sys::window().map(|w| w.location().reload());
    };
    let show_secret = move |_| {
        let Some(t) = token.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match api::webhook_secret(&t).await {
                Ok(s) => secret.set(Some(s.webhook_secret)),
                Err(e) => note.set(Some(e.message)),
            }
        });
    };
    view! {
        <details class="settings">
            <summary>"Settings"</summary>
            <label>
                "Your token (use it with the docket CLI: DOCKET_TOKEN=…)"
                <input type="text" readonly prop:value=move || token.get().unwrap_or_default() />
            </label>
            <button type="button" on:click=copy>"Copy token"</button>
            <label>
                "Use another token"
                <input type="text" placeholder="dkt_…" prop:value=move || pasted.get() on:input=move |ev| pasted.set(event_target_value(&ev)) />
            </label>
            <button type="button" on:click=use_pasted>"Use this token"</button>
            <button type="button" on:click=show_secret>"Show webhook secret"</button>
            <Show when=move || secret.get().is_some()>
                <p class="secret"><code>{move || secret.get().unwrap_or_default()}</code></p>
            </Show>
            <Show when=move || note.get().is_some()>
                <p class="note" role="status">{move || note.get().unwrap_or_default()}</p>
            </Show>
        </details>
    }
}

//! The live list of the owner's jobs (`crate::live` keeps it current),
//! with their states, progress, queue places and cancel and delete.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::contract::api::JobState;

use crate::api;
use crate::badges::{JobProgress, StateBadge};
use crate::live::Jobs;

/// The owner's jobs, newest first, kept current live.
#[component]
pub fn JobList(jobs: Jobs, selected: RwSignal<Option<String>>) -> impl IntoView {
    let token = crate::session::use_token();
    let load_more = move |_| {
        let Some(t) = token.get_untracked() else {
            return;
        };
        let cursor = jobs.next_cursor.get_untracked();
        spawn_local(async move {
            if let Ok(page) = api::own_jobs(&t, cursor.as_deref()).await {
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

//! Docket's browser app (Leptos, client-side rendered). The components live
//! here so the browser tests can mount them; `main.rs` only mounts [`App`].
//!
//! [`api`] talks to the server, [`upload`] sends files with progress,
//! [`live`] keeps the job list current (WebSocket, or polling when it is
//! down), [`report`] draws a result, [`evidence`] its suspects and pages;
//! [`collections`] keeps the owner's collections, whose opened one
//! `collection_view` shows with its documents and its population.

pub mod api;
pub mod collections;
pub mod evidence;
pub mod live;
pub mod report;
pub mod session;
pub mod upload;

mod badges;
mod chart;
mod collection_upload;
mod collection_view;
mod columns;
mod drop;
mod job_list;
mod newest;
mod population;
mod result;
mod roles;
mod settings;
mod uploader;

use leptos::prelude::*;
use leptos::task::spawn_local;

pub use badges::{HealthBadge, HealthState, JobProgress, StateBadge, fetch_health, seconds};
use collection_view::CollectionView;
use job_list::JobList;
use result::{ResultPanel, page_collection, page_job};
pub use roles::RolePicker;
use settings::Settings;
pub use uploader::{UploadList, UploadRow, UploadStatus, Uploader};

use crate::collections::{Collections, CollectionsPanel};
use crate::live::Jobs;

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
    session::provide_token(token);
    let problem = RwSignal::new(None::<String>);
    let jobs = Jobs::default();
    let collections = Collections::default();
    provide_context(collections);
    // The job or collection shown has its own address (`/jobs/{id}`,
    // `/collections/{id}`): opened from it, pushed to it when another is
    // chosen, followed back and forward.
    let selected = RwSignal::new(page_job());
    collections.shown.set(page_collection());
    Effect::new(move |_| {
        let want = shared::delivery::client::page::address_of(
            selected.get().as_deref(),
            collections.shown.get().as_deref(),
        );
        let Some(window) = web_sys::window() else {
            return;
        };
        if window.location().pathname().ok().as_deref() != Some(want.as_str())
            && let Ok(history) = window.history()
        {
            let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&want));
        }
    });
    let popped = window_event_listener(leptos::ev::popstate, move |_| {
        selected.set(page_job());
        // A job opened from a collection keeps the collection open.
        if let Some(c) = page_collection() {
            collections.shown.set(Some(c));
        } else if selected.get_untracked().is_none() {
            collections.shown.set(None);
        }
    });
    on_cleanup(move || popped.remove());

    // First visit: mint a token; then follow the jobs.
    spawn_local(async move {
        match api::ensure_token().await {
            Ok(t) => {
                token.set(Some(t.clone()));
                live::start(t, jobs, collections);
            }
            Err(e) => problem.set(Some(format!("could not get a token: {}", e.message))),
        }
    });

    view! {
        <header>
            <h1>"Docket"</h1>
            <p class="tagline">"Asynchronous PDF analysis: upload PDFs, get a Benford's-law screen of their numbers — one document, or many as one population."</p>
            <HealthBadge state=health_state />
        </header>
        <main>
            <Show when=move || problem.get().is_some()>
                <p class="problem" role="alert">{move || problem.get().unwrap_or_default()}</p>
            </Show>
            <Uploader max_bytes=max_bytes max_resumable=max_resumable jobs=jobs />
            <JobList jobs=jobs selected=selected />
            <CollectionsPanel selected_job=selected />
            <CollectionView selected_job=selected max_bytes=max_bytes max_resumable=max_resumable />
            <ResultPanel selected=selected />
            <Settings />
        </main>
    }
}

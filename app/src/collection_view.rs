//! The opened collection (`/collections/{id}`): its state, counts and
//! progress, live; the drop area while it is open; Close, Cancel and
//! Delete; a row per document (its state, its error, its result); and,
//! once its population is analysed, the population's report
//! (`crate::population`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::contract::api::JobState;
use shared::contract::collection::{Collection, CollectionState};

use crate::api;
use crate::collection_upload::CollectionUploader;
use crate::collections::{Collections, Member, summary};
use crate::population::PopulationPanel;
use crate::result::focus_heading;

/// The opened collection, if any.
#[component]
pub fn CollectionView(
    selected_job: RwSignal<Option<String>>,
    max_bytes: Signal<u64>,
    max_resumable: Signal<u64>,
) -> impl IntoView {
    let token = crate::session::use_token();
    let collections = use_context::<Collections>().unwrap_or_default();
    // A newly opened collection: its rows, and the collection itself when
    // the list does not have it (opened by its address).
    Effect::new(move |before: Option<(Option<String>, bool)>| {
        let shown = collections.shown.get();
        let t = token.get();
        let now = (shown.clone(), t.is_some());
        if before.as_ref() == Some(&now) {
            return now;
        }
        collections.clear_members();
        if let (Some(id), Some(t)) = (shown, t) {
            spawn_local(async move {
                if collections.get(&id).is_none() {
                    match api::collection(&t, &id).await {
                        Ok(c) => collections.upsert(c),
                        Err(e) => return collections.error.set(Some(e.message)),
                    }
                }
                collections.load_members(&t, &id).await;
            });
            focus_heading("collection-title");
        }
        now
    });
    // Drawn again only when another collection is opened: its parts follow
    // the collection's versions, so uploads in flight are kept.
    move || {
        collections.shown.get().map(|id| {
            view! { <Opened id=id selected_job=selected_job max_bytes=max_bytes max_resumable=max_resumable /> }
        })
    }
}

/// One collection, opened.
#[component]
fn Opened(
    id: String,
    selected_job: RwSignal<Option<String>>,
    max_bytes: Signal<u64>,
    max_resumable: Signal<u64>,
) -> impl IntoView {
    let token = crate::session::use_token();
    let collections = use_context::<Collections>().unwrap_or_default();
    let current = {
        let id = id.clone();
        Memo::new(move |_| collections.get(&id))
    };
    let state = Memo::new(move |_| current.with(|c| c.as_ref().map(Collection::state)));
    let is = move |s: CollectionState| state.get() == Some(s);
    let busy = RwSignal::new(0usize);
    let problem = RwSignal::new(None::<String>);
    let act = move |id: String, what: &'static str| {
        let Some(t) = token.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match api::collection_act(&t, &id, what).await {
                Ok(c) => {
                    problem.set(None);
                    collections.upsert(c);
                }
                Err(e) => problem.set(Some(e.message)),
            }
        });
    };
    let close_id = id.clone();
    let close = move |_: leptos::ev::MouseEvent| act(close_id.clone(), "close");
    let cancel_id = id.clone();
    let cancel = move |_: leptos::ev::MouseEvent| act(cancel_id.clone(), "cancel");
    let delete_id = id.clone();
    let delete = move |_| {
        let name =
            current.with_untracked(|c| c.as_ref().map(|c| c.name.clone()).unwrap_or_default());
        let sure = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message(&format!(
                    "Delete the collection {name}, its documents and its result?"
                ))
                .ok()
            })
            .unwrap_or(false);
        let Some(t) = token.get_untracked().filter(|_| sure) else {
            return;
        };
        let id = delete_id.clone();
        spawn_local(async move {
            match api::delete_collection(&t, &id).await {
                Ok(()) => collections.remove(&id),
                Err(e) => problem.set(Some(e.message)),
            }
        });
    };
    let counts = move || current.with(|c| c.as_ref().map(|c| c.counts).unwrap_or_default());
    let uploader_id = id.clone();
    let population_id = id.clone();
    view! {
        <section class="collection" aria-labelledby="collection-title">
            <h2 id="collection-title" tabindex="-1">
                {move || current.with(|c| format!("Collection: {}", c.as_ref().map(|c| c.name.as_str()).unwrap_or("…")))}
            </h2>
            <p
                class=move || format!("collection-state state state-{}", state.get().map_or("open", CollectionState::as_str))
                role="status"
            >
                {move || current.with(|c| c.as_ref().map(summary).unwrap_or_else(|| "loading…".into()))}
            </p>
            <p class="chosen">{move || current.with(|c| c.as_ref().map(choice_words).unwrap_or_default())}</p>
            <progress
                max=move || counts().documents.max(1)
                value=move || counts().ended()
                aria-label="documents ended"
            ></progress>
            <dl class="counts">
                <dt>"Documents"</dt><dd>{move || counts().documents}</dd>
                <dt>"Waiting"</dt><dd>{move || counts().waiting}</dd>
                <dt>"Processing"</dt><dd>{move || counts().processing}</dd>
                <dt>"Completed"</dt><dd>{move || counts().completed}</dd>
                <dt>"Failed"</dt><dd>{move || counts().error}</dd>
                <dt>"Cancelled"</dt><dd>{move || counts().cancelled}</dd>
            </dl>
            <Show when=move || is(CollectionState::Open)>
                <CollectionUploader id=uploader_id.clone() max_bytes=max_bytes max_resumable=max_resumable busy=busy />
            </Show>
            <p class="collection-actions">
                <Show when=move || is(CollectionState::Open)>
                    <button
                        type="button"
                        class="close-collection"
                        prop:disabled=move || busy.get() != 0
                        title="No more documents: the population is analysed once every document has ended"
                        on:click=close.clone()
                    >
                        {move || if busy.get() > 0 { "Close (after the uploads)" } else { "Close: no more documents" }}
                    </button>
                </Show>
                <Show when=move || state.get().is_some_and(|s| !s.is_terminal())>
                    <button type="button" class="cancel" on:click=cancel.clone()>"Cancel"</button>
                </Show>
                <button type="button" class="delete" on:click=delete>"Delete"</button>
                <button type="button" on:click=move |_| collections.shown.set(None)>"Hide"</button>
            </p>
            <Show when=move || problem.get().is_some()>
                <p class="problem" role="alert">{move || problem.get().unwrap_or_default()}</p>
            </Show>
            <Show when=move || state.get().is_some_and(CollectionState::has_result)>
                <PopulationPanel id=population_id.clone() selected_job=selected_job />
            </Show>
            <DocumentTable selected_job=selected_job />
        </section>
    }
}

/// What the collection's tests take, in words.
fn choice_words(c: &Collection) -> String {
    let roles = c
        .roles
        .map(|r| {
            Vec::from(r)
                .iter()
                .map(|r| r.name().replace('_', " "))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|| "the default roles".into());
    let columns = c
        .columns
        .as_ref()
        .map(|c| format!("; only the columns {}", c.names().join(", ")))
        .unwrap_or_default();
    format!("Numbers tested: {roles}{columns}.")
}

/// A row per document, in the order they joined; each row follows its own
/// job, so a change redraws one row.
#[component]
fn DocumentTable(selected_job: RwSignal<Option<String>>) -> impl IntoView {
    let collections = use_context::<Collections>().unwrap_or_default();
    let rows = move || collections.members.get();
    view! {
        <Show
            when=move || !collections.members.with(Vec::is_empty)
            fallback=|| view! { <p class="empty">"No documents yet."</p> }
        >
            <table class="documents">
                <caption>{move || format!("Documents ({})", collections.members.with(Vec::len))}</caption>
                <thead>
                    <tr><th scope="col">"#"</th><th scope="col">"document"</th><th scope="col">"state"</th><th scope="col">"result"</th></tr>
                </thead>
                <tbody>
                    <For
                        each=move || rows().into_iter().enumerate()
                        key=|(_, m)| m.doc.with_untracked(|d| d.job_id.clone())
                        children=move |(i, m): (usize, Member)| {
                            let doc = m.doc;
                            let state_text = move || {
                                doc.with(|d| match (&d.state, &d.error) {
                                    (JobState::Uploaded, _) => "waiting".to_owned(),
                                    (_, Some(e)) => format!("{} · {}", d.state.as_str(), e.message),
                                    (s, None) => s.as_str().to_owned(),
                                })
                            };
                            let open = move |_| selected_job.set(Some(doc.with_untracked(|d| d.job_id.clone())));
                            view! {
                                <tr data-job=move || doc.with(|d| d.job_id.clone())>
                                    <td>{i + 1}</td>
                                    <td class="document-name">{move || doc.with(|d| d.filename.clone())}</td>
                                    <td><span class=move || format!("state state-{}", doc.with(|d| d.state.as_str()))>{state_text}</span></td>
                                    <td>
                                        <Show when=move || doc.with(|d| d.state == JobState::Completed)>
                                            <button type="button" on:click=open>"View result"</button>
                                        </Show>
                                    </td>
                                </tr>
                            }
                        }
                    />
                </tbody>
            </table>
        </Show>
    }
}

//! The owner's collections (a job of jobs: many PDFs analysed as one
//! population), kept current by `crate::live` from `collection.updated`
//! events; the shown collection's documents, a row each, updated in place
//! by their own `job.updated` events so a table of 1,000 stays quick; and
//! the panel that lists the collections and starts a new one.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::contract::api::{Job, JobState};
use shared::contract::collection::{Collection, CollectionDocument, NewCollection};
use shared::reading::columns::Columns;
use shared::reading::roles::Roles;

use crate::api;
use crate::drop::ColumnsField;
use crate::newest::insert_newest_first;
use crate::roles::RolePicker;

/// One document of the shown collection; its row follows `doc`.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    pub doc: RwSignal<CollectionDocument>,
}

/// The collections shown, newest first, and the one opened.
#[derive(Debug, Clone, Copy)]
pub struct Collections {
    pub list: RwSignal<Vec<Collection>>,
    pub next_cursor: RwSignal<Option<String>>,
    pub error: RwSignal<Option<String>>,
    /// False until the first page has arrived.
    pub loaded: RwSignal<bool>,
    /// The collection opened (its address is `/collections/{id}`).
    pub shown: RwSignal<Option<String>>,
    /// The opened collection's documents in the order they joined.
    pub members: RwSignal<Vec<Member>>,
    /// The rows by job id.
    index: StoredValue<HashMap<String, Member>>,
    /// Columns picked from a result's tables for the next new collection.
    pub picked_columns: RwSignal<String>,
}

impl Default for Collections {
    fn default() -> Self {
        Collections {
            list: RwSignal::new(Vec::new()),
            next_cursor: RwSignal::new(None),
            error: RwSignal::new(None),
            loaded: RwSignal::new(false),
            shown: RwSignal::new(None),
            members: RwSignal::new(Vec::new()),
            index: StoredValue::new(HashMap::new()),
            picked_columns: RwSignal::new(String::new()),
        }
    }
}

/// How far along a job's life `state` is: a row never moves back.
fn stage(state: JobState) -> u8 {
    match state {
        JobState::Uploaded => 0,
        JobState::Processing => 1,
        JobState::Completed | JobState::Error | JobState::Cancelled => 2,
    }
}

/// Puts a version of a collection into a newest-first list: replaces an
/// older version, never a newer one.
pub fn upsert(list: &mut Vec<Collection>, c: Collection) {
    if let Some(existing) = list.iter_mut().find(|x| x.id == c.id) {
        if existing.version() <= c.version() {
            *existing = c;
        }
        return;
    }
    insert_newest_first(list, c, |x| (x.created_at.as_str(), x.id.as_str()));
}

impl Collections {
    pub fn upsert(&self, c: Collection) {
        self.list.update(|list| upsert(list, c));
    }

    pub fn remove(&self, id: &str) {
        self.list.update(|list| list.retain(|c| c.id != id));
        if self.shown.get_untracked().as_deref() == Some(id) {
            self.shown.set(None);
        }
    }

    /// The collection `id` as last seen.
    pub fn get(&self, id: &str) -> Option<Collection> {
        self.list.with(|l| l.iter().find(|c| c.id == id).cloned())
    }

    /// Forgets the rows (another collection is opened).
    pub fn clear_members(&self) {
        self.index.update_value(HashMap::clear);
        self.members.set(Vec::new());
    }

    /// Adds documents as rows, or moves rows already there on.
    pub fn add_members(&self, docs: Vec<CollectionDocument>) {
        let mut added = Vec::new();
        self.index.update_value(|index| {
            for doc in docs {
                match index.get(&doc.job_id) {
                    Some(row) => row.doc.update(|d| move_on(d, &doc)),
                    None => {
                        let row = Member {
                            doc: RwSignal::new(doc.clone()),
                        };
                        index.insert(doc.job_id, row);
                        added.push(row);
                    }
                }
            }
        });
        if !added.is_empty() {
            self.members.update(|rows| rows.extend(added));
        }
    }

    /// A document's job changed: its row follows, or joins when the job
    /// belongs to the opened collection.
    pub fn member_changed(&self, job: &Job) {
        if job.collection.is_none() || job.collection != self.shown.get_untracked() {
            return;
        }
        self.add_members(vec![CollectionDocument {
            job_id: job.id.clone(),
            filename: job.filename.clone(),
            state: job.state(),
            error: job.error.clone(),
        }]);
    }

    /// A document was deleted.
    pub fn member_removed(&self, job_id: &str) {
        let mut gone = false;
        self.index
            .update_value(|index| gone = index.remove(job_id).is_some());
        if gone {
            self.members
                .update(|rows| rows.retain(|r| r.doc.with_untracked(|d| d.job_id != job_id)));
        }
    }

    /// The first page of the owner's collections.
    pub async fn reload(&self, token: &str) {
        match api::collections(token, None).await {
            Ok(page) => {
                self.error.set(None);
                self.next_cursor.set(page.next_cursor);
                for c in page.collections {
                    self.upsert(c);
                }
            }
            Err(e) => self.error.set(Some(e.message)),
        }
        self.loaded.set(true);
    }

    /// Polling (no live connection): the unfinished collections again, and
    /// the opened one's documents when it changed.
    pub async fn poll(&self, token: &str) {
        let running: Vec<(String, u64)> = self.list.with_untracked(|l| {
            l.iter()
                .filter(|c| !c.state().is_terminal())
                .map(|c| (c.id.clone(), c.version()))
                .collect()
        });
        for (id, version) in running {
            match api::collection(token, &id).await {
                Ok(c) if c.version() != version => {
                    self.upsert(c);
                    if self.shown.get_untracked().as_deref() == Some(id.as_str()) {
                        self.load_members(token, &id).await;
                    }
                }
                Ok(_) => {}
                Err(e) if e.status == 404 => self.remove(&id),
                Err(_) => {}
            }
        }
    }

    /// Loads every page of the opened collection's documents.
    pub async fn load_members(&self, token: &str, id: &str) {
        let mut cursor = None::<String>;
        loop {
            if self.shown.get_untracked().as_deref() != Some(id) {
                return;
            }
            match api::collection_documents(token, id, cursor.as_deref()).await {
                Ok(page) => {
                    self.add_members(page.documents);
                    match page.next_cursor {
                        Some(next) => cursor = Some(next),
                        None => return,
                    }
                }
                Err(e) => {
                    self.error.set(Some(e.message));
                    return;
                }
            }
        }
    }
}

/// Moves a row to `new` unless that is an earlier stage of the job's life
/// (events and pages may cross).
fn move_on(row: &mut CollectionDocument, new: &CollectionDocument) {
    if stage(new.state) > stage(row.state) || (stage(row.state) < 2 && new.state == row.state) {
        *row = new.clone();
    }
}

/// The collections of this browser's owner and the form for a new one.
/// Opening one closes the job result shown (`selected_job`).
#[component]
pub fn CollectionsPanel(selected_job: RwSignal<Option<String>>) -> impl IntoView {
    let token = crate::session::use_token();
    let collections = use_context::<Collections>().unwrap_or_default();
    let name = RwSignal::new(String::new());
    let roles = RwSignal::new(Roles::default());
    let columns = collections.picked_columns;
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(t) = token.get_untracked() else {
            problem.set(Some("no token yet; wait a moment".into()));
            return;
        };
        let chosen = columns.get_untracked();
        let columns = match chosen.trim() {
            "" => None,
            list => match Columns::parse(list) {
                Ok(c) => Some(c),
                Err(why) => return problem.set(Some(why)),
            },
        };
        let asked = NewCollection {
            name: name.get_untracked().trim().to_owned(),
            roles: Some(roles.get_untracked()),
            columns,
            callback_url: None,
        };
        busy.set(true);
        spawn_local(async move {
            match api::create_collection(&t, &asked).await {
                Ok(c) => {
                    problem.set(None);
                    name.set(String::new());
                    let id = c.id.clone();
                    collections.upsert(c);
                    selected_job.set(None);
                    collections.shown.set(Some(id));
                }
                Err(e) => problem.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    let load_more = move |_| {
        let Some(t) = token.get_untracked() else {
            return;
        };
        let cursor = collections.next_cursor.get_untracked();
        spawn_local(async move {
            if let Ok(page) = api::collections(&t, cursor.as_deref()).await {
                collections.next_cursor.set(page.next_cursor);
                for c in page.collections {
                    collections.upsert(c);
                }
            }
        });
    };
    view! {
        <section class="collections" aria-labelledby="collections-title">
            <h2 id="collections-title">"Collections"</h2>
            <p class="hint">"A collection tests many PDFs as one population — a year of invoices, one column of a ledger — and ranks the documents that deviate."</p>
            <form class="new-collection" on:submit=create>
                <label>
                    "Name"
                    <input
                        type="text"
                        name="collection-name"
                        required
                        maxlength="200"
                        placeholder="Invoices 2026"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </label>
                <ColumnsField name="collection-columns" value=columns />
                <details class="advanced">
                    <summary>"Roles of numbers"</summary>
                    <RolePicker roles=roles />
                </details>
                <button type="submit" prop:disabled=move || busy.get()>"Create the collection"</button>
            </form>
            <Show when=move || problem.get().is_some()>
                <p class="problem" role="alert">{move || problem.get().unwrap_or_default()}</p>
            </Show>
            <Show when=move || collections.error.get().is_some()>
                <p class="problem" role="alert">{move || collections.error.get().unwrap_or_default()}</p>
            </Show>
            <ul class="collection-list">
                <For
                    each=move || collections.list.get()
                    key=|c| (c.id.clone(), c.version())
                    children=move |c| {
                        let id = c.id.clone();
                        let open = move |_| {
                            selected_job.set(None);
                            collections.shown.set(Some(id.clone()));
                        };
                        view! {
                            <li class="collection-row" data-collection=c.id.clone()>
                                <span class="collection-name">{c.name.clone()}</span>
                                <span class=format!("state state-{}", c.state())>{summary(&c)}</span>
                                <button type="button" on:click=open>"Open"</button>
                            </li>
                        }
                    }
                />
            </ul>
            <Show when=move || collections.next_cursor.get().is_some()>
                <button type="button" on:click=load_more>"Show older collections"</button>
            </Show>
        </section>
    }
}

/// A collection's state and counts in a line.
pub fn summary(c: &Collection) -> String {
    let n = c.counts;
    let documents = match n.documents {
        1 => "1 document".to_owned(),
        d => format!("{d} documents"),
    };
    match c.state() {
        shared::contract::collection::CollectionState::Open => format!("open · {documents}"),
        shared::contract::collection::CollectionState::Processing => {
            let eta = c
                .eta_seconds
                .map(|s| format!(" · about {} left", crate::seconds(s)))
                .unwrap_or_default();
            format!("processing · {} of {documents} done{eta}", n.ended())
        }
        state => {
            let failed = n.error + n.cancelled;
            let left_out = if failed > 0 {
                format!(" · {failed} left out")
            } else {
                String::new()
            };
            let why = c
                .error
                .as_ref()
                .map(|e| format!(" · {}", e.message))
                .unwrap_or_default();
            format!("{state} · {documents}{left_out}{why}")
        }
    }
}

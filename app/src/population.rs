//! A collection's population report (`GET /collections/{id}/result`): the
//! same panels as a job's result over every completed document's chosen
//! numbers, the documents that deviate most (a row opens that document's
//! result), the amounts found in several documents, where to look (each
//! place naming its document) and the table columns found.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::contract::population::{DocumentDeviation, PopulationReport, SharedAmount};
use shared::forensics::benford::p_words;
use shared::forensics::evidence::{Place, Suspects};

use crate::api;
use crate::columns::TableColumns;
use crate::report::{BenfordChart, DigitTable, Duplicates, Magnitudes, Verdict};
use crate::result::download;

/// Rows of the documents table shown before "Show all".
const FIRST_ROWS: usize = 50;

/// The population of collection `id`.
#[component]
pub fn PopulationPanel(id: String, selected_job: RwSignal<Option<String>>) -> impl IntoView {
    let token = crate::session::use_token();
    let asked = id.clone();
    let report = LocalResource::new(move || {
        let id = asked.clone();
        let t = token.get();
        async move {
            let t = t?;
            Some(api::collection_result(&t, &id, false).await)
        }
    });
    move || match report.get() {
        None => view! { <p class="loading" role="status">"Loading the population…"</p> }.into_any(),
        Some(None) => ().into_any(),
        Some(Some(Err(e))) => view! { <p class="problem" role="alert">{e.message}</p> }.into_any(),
        Some(Some(Ok(raw))) => match serde_json::from_str::<PopulationReport>(&raw) {
            Err(e) => {
                view! { <p class="problem">{format!("unexpected report: {e}")}</p> }.into_any()
            }
            Ok(r) => view! { <Population r=r raw=raw id=id.clone() selected_job=selected_job /> }
                .into_any(),
        },
    }
}

#[component]
fn Population(
    r: PopulationReport,
    raw: String,
    id: String,
    selected_job: RwSignal<Option<String>>,
) -> impl IntoView {
    let token = crate::session::use_token();
    let json_name = format!("docket-collection-{id}.json");
    let csv_id = id.clone();
    view! {
        <section class="population" aria-labelledby="population-title">
            <h3 id="population-title">"Population"</h3>
            <dl class="facts">
                <dt>"Documents analysed"</dt><dd>{r.documents_analysed}</dd>
                <dt>"Documents left out"</dt><dd>{r.documents_left_out}</dd>
                <dt>"Pages"</dt><dd>{r.pages}</dd>
                <dt>"Words"</dt><dd>{r.text.words}</dd>
                <dt>"Numbers found"</dt><dd>{r.numbers.found}</dd>
                <dt>"Numbers used"</dt><dd>{r.numbers.used}</dd>
            </dl>
            <BenfordChart test=r.benford.first_digit.clone() />
            <Verdict test=r.benford.first_digit.clone() />
            <Deviating documents=r.documents.clone() selected_job=selected_job />
            <SharedAmounts shared=r.shared_amounts.clone() selected_job=selected_job />
            <DigitTable test=r.benford.second_digit.clone() caption="Second digit" first=0 />
            <DigitTable test=r.benford.first_two_digits.clone() caption="First two digits" first=10 />
            <DigitTable test=r.benford.first_three_digits.clone() caption="First three digits" first=100 />
            <DigitTable test=r.benford.last_two_digits.clone() caption="Last two digits" first=0 />
            <DigitTable test=r.amounts.second_order.clone() caption="Second order (differences of the sorted amounts)" first=10 />
            <Duplicates tests=r.amounts.clone() />
            <Magnitudes tests=r.amounts.clone() />
            <PopulationSuspects suspects=r.suspects.clone() selected_job=selected_job />
            <TableColumns tables=r.tables.clone() />
            <p class="downloads">
                <button type="button" on:click=move |_| download(&json_name, &raw, "application/json")>"Download the population (JSON)"</button>
                <button
                    type="button"
                    on:click=move |_| {
                        let Some(t) = token.get_untracked() else { return };
                        let id = csv_id.clone();
                        spawn_local(async move {
                            if let Ok(csv) = api::collection_result(&t, &id, true).await {
                                download(&format!("docket-collection-{id}-documents.csv"), &csv, "text/csv");
                            }
                        });
                    }
                >
                    "Download the documents ranked (CSV)"
                </button>
            </p>
        </section>
    }
}

/// Every document with its own first-digit deviation, the least likely by
/// chance first; a row's button opens the document's result.
#[component]
fn Deviating(
    documents: Vec<DocumentDeviation>,
    selected_job: RwSignal<Option<String>>,
) -> impl IntoView {
    let all = RwSignal::new(false);
    let total = documents.len();
    let more = total > FIRST_ROWS;
    let rows = move || {
        let shown = if all.get() { total } else { FIRST_ROWS };
        documents
            .iter()
            .take(shown)
            .enumerate()
            .map(|(i, d)| {
                let job = d.job_id.clone();
                view! {
                    <tr data-job=d.job_id.clone()>
                        <td>{i + 1}</td>
                        <td>
                            <button type="button" class="link" on:click=move |_| selected_job.set(Some(job.clone()))>
                                {d.filename.clone()}
                            </button>
                        </td>
                        <td>{d.used}</td>
                        <td>{format!("{:.4}", d.mad)}</td>
                        <td>{format!("{:+.4}", d.excess_mad)}</td>
                        <td>{p_words(d.p_value)}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <table class="deviating">
            <caption>"Documents that deviate — the least likely by chance first"</caption>
            <thead>
                <tr>
                    <th scope="col">"rank"</th>
                    <th scope="col">"document"</th>
                    <th scope="col">"numbers used"</th>
                    <th scope="col">"first-digit MAD"</th>
                    <th scope="col">"beyond chance"</th>
                    <th scope="col">"p-value"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        <Show when=move || more && !all.get()>
            <button type="button" on:click=move |_| all.set(true)>{format!("Show all {total} documents")}</button>
        </Show>
    }
}

/// Amounts found in more than one document, with their places.
#[component]
fn SharedAmounts(
    shared: Vec<SharedAmount>,
    selected_job: RwSignal<Option<String>>,
) -> impl IntoView {
    if shared.is_empty() {
        return view! { <p class="shared-amounts">"No amount was found in more than one document."</p> }
            .into_any();
    }
    let items = shared
        .into_iter()
        .map(|s| {
            let places = s
                .places
                .into_iter()
                .map(|p| {
                    let pages = p.at.iter().map(|a| a.page.to_string()).collect::<Vec<_>>().join(", ");
                    let job = p.job_id.clone();
                    view! {
                        <li>
                            <button type="button" class="link" on:click=move |_| selected_job.set(Some(job.clone()))>{p.filename}</button>
                            {format!(" — page {pages}")}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <details class="shared">
                    <summary>{format!("{}: in {} documents, {} times", s.amount, s.documents, s.count)}</summary>
                    <ul>{places}</ul>
                </details>
            }
        })
        .collect_view();
    view! {
        <section class="shared-amounts" aria-labelledby="shared-title">
            <h4 id="shared-title">"Amounts in several documents (the duplicate-payment test)"</h4>
            {items}
        </section>
    }
    .into_any()
}

/// The population's suspects: each place with its document and page; the
/// document's result opens from it.
#[component]
fn PopulationSuspects(suspects: Suspects, selected_job: RwSignal<Option<String>>) -> impl IntoView {
    let places = move |places: Vec<Place>| {
        places
            .into_iter()
            .map(|p| {
                let job = p.job_id.clone();
                let name = p.filename.clone().unwrap_or_default();
                view! {
                    <li class="place">
                        {format!("{name}, page {}: ", p.page)}
                        <strong class="number">{p.text.clone()}</strong>
                        {format!(" — “{}” ", p.line)}
                        {job.map(|job| view! {
                            <button type="button" on:click=move |_| selected_job.set(Some(job.clone()))>"Open the document"</button>
                        })}
                    </li>
                }
            })
            .collect_view()
    };
    let buckets = suspects
        .buckets
        .into_iter()
        .map(|b| {
            view! {
                <details class="suspects bucket">
                    <summary>{format!("Numbers starting {}: {} of them, more than Benford's law expects (Z {:.1})", b.digits, b.count, b.z)}</summary>
                    <ul class="places">{places(b.places)}</ul>
                </details>
            }
        })
        .collect_view();
    let duplicates = suspects
        .duplicates
        .into_iter()
        .map(|d| {
            view! {
                <details class="suspects duplicate">
                    <summary>{format!("{} appears {} times", d.amount, d.count)}</summary>
                    <ul class="places">{places(d.places)}</ul>
                </details>
            }
        })
        .collect_view();
    view! {
        <section class="evidence" aria-labelledby="population-suspects-title">
            <h4 id="population-suspects-title">"Where to look"</h4>
            {buckets}
            {duplicates}
            <p class="bounds">{suspects.bounds}</p>
        </section>
    }
}

//! The table columns a result found (a job's or a population's), with
//! their numbers, and a picker: the numeric columns ticked here become the
//! columns of the next new collection (its form is filled and focused), so
//! a column found in one sample document is tested over many.

use leptos::prelude::*;
use shared::contract::tables::TableStats;
use wasm_bindgen::JsCast;

use crate::collections::Collections;

/// The columns found, and the picker.
#[component]
pub fn TableColumns(tables: TableStats) -> impl IntoView {
    let collections = use_context::<Collections>().unwrap_or_default();
    let picked = RwSignal::new(Vec::<String>::new());
    let summary = format!(
        "Table columns — {} tables, {} numbers in their columns, {} used{}",
        tables.found,
        tables.numbers,
        tables.used,
        tables
            .chosen
            .as_ref()
            .map(|c| format!("; chosen: {}", c.names().join(", ")))
            .unwrap_or_default()
    );
    let rows = tables
        .columns
        .iter()
        .map(|c| {
            let header = c.header.clone();
            // A header with a comma cannot be named in a list of columns.
            let pickable = c.numeric && !header.contains(',');
            let toggle = {
                let header = header.clone();
                move |ev: leptos::ev::Event| {
                    let on = event_target_checked(&ev);
                    picked.update(|p| {
                        p.retain(|h| *h != header);
                        if on {
                            p.push(header.clone());
                        }
                    });
                }
            };
            view! {
                <tr>
                    <td>
                        {pickable.then(|| view! {
                            <input type="checkbox" name="pick-column" aria-label=format!("pick the column {header}") on:change=toggle />
                        })}
                    </td>
                    <th scope="row">{c.header.clone()}</th>
                    <td>{c.tables}</td>
                    <td>{c.numbers}</td>
                    <td>{c.used}</td>
                    <td>{if c.numeric { "numbers" } else { "text" }}</td>
                </tr>
            }
        })
        .collect_view();
    let start = move |_| {
        collections
            .picked_columns
            .set(picked.get_untracked().join(", "));
        if let Some(input) = web_sys::window().and_then(|w| w.document()).and_then(|d| {
            d.query_selector("input[name=collection-name]")
                .ok()
                .flatten()
        }) {
            let input: web_sys::HtmlElement = input.unchecked_into();
            let _ = input.focus();
            input.scroll_into_view();
        }
    };
    (!tables.columns.is_empty()).then(|| {
        view! {
            <details class="digit-table table-columns">
                <summary>{summary}</summary>
                <table>
                    <thead>
                        <tr>
                            <th scope="col">"pick"</th>
                            <th scope="col">"header"</th>
                            <th scope="col">"tables"</th>
                            <th scope="col">"numbers"</th>
                            <th scope="col">"used"</th>
                            <th scope="col">"cells"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
                <button type="button" prop:disabled=move || picked.with(Vec::is_empty) on:click=start>
                    "New collection with the picked columns"
                </button>
            </details>
        }
    })
}

//! A finished job's result: the report's panels, the page view and the
//! downloads; the job shown has its own address (`/jobs/{id}`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::contract::report::Report;
use wasm_bindgen::JsCast;

use crate::report::{
    BenfordChart, DigitTable, Duplicates, Facts, Magnitudes, NumberRoles, Pages, Verdict, Warnings,
};
use crate::{api, evidence};

/// Fetches a CSV with the owner's token (`fetch`) and saves it as `name`;
/// nothing without a token or when the fetch fails.
fn save_csv<Fut>(
    token: RwSignal<Option<String>>,
    name: String,
    fetch: impl FnOnce(String) -> Fut + 'static,
) where
    Fut: std::future::Future<Output = Result<String, shared::delivery::client::ApiError>> + 'static,
{
    let Some(t) = token.get_untracked() else {
        return;
    };
    spawn_local(async move {
        if let Ok(csv) = fetch(t).await {
            download(&name, &csv, "text/csv");
        }
    });
}

/// Offers a text as a file download.
pub fn download(name: &str, text: &str, mime: &str) {
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
pub fn page_job() -> Option<String> {
    let pathname = web_sys::window()?.location().pathname().ok()?;
    shared::delivery::client::page::job_of(&pathname).map(str::to_owned)
}

/// The collection the page's address shows, if any.
pub fn page_collection() -> Option<String> {
    let pathname = web_sys::window()?.location().pathname().ok()?;
    shared::delivery::client::page::collection_of(&pathname).map(str::to_owned)
}

/// The selected job's report.
#[component]
pub fn ResultPanel(selected: RwSignal<Option<String>>) -> impl IntoView {
    let token = crate::session::use_token();
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
                        let suspects_csv = shared::forensics::evidence::suspects_csv(&r.suspects);
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
                            <PageViewPanel id=view_id shown=shown />
                            <crate::columns::TableColumns tables=r.tables.clone() />
                            <Pages report=r.clone() />
                            <p class="downloads">
                                <button type="button" on:click=move |_| download(&json_name, &raw, "application/json")>"Download JSON"</button>
                                <button
                                    type="button"
                                    on:click=move |_| {
                                        let id = csv_id.clone();
                                        let name = format!("docket-{id}.csv");
                                        save_csv(token, name, move |t| async move { api::result(&t, &id, true).await });
                                    }
                                >
                                    "Download CSV"
                                </button>
                                <button
                                    type="button"
                                    on:click=move |_| {
                                        let id = numbers_id.clone();
                                        let name = format!("docket-{id}-numbers.csv");
                                        save_csv(token, name, move |t| async move { api::numbers_csv(&t, &id).await });
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
pub fn focus_heading(id: &'static str) {
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
pub fn PageViewPanel(id: String, shown: RwSignal<Option<evidence::Shown>>) -> impl IntoView {
    let token = crate::session::use_token();
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

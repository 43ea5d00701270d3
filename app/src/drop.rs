//! Where files come in: the drop area (drag PDFs onto it, or choose them)
//! and the field naming the table columns whose numbers enter the tests;
//! the uploader and a collection use the same ones.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{File, HtmlInputElement};

/// The files of a drop or a choice.
pub fn files_of(list: Option<web_sys::FileList>) -> Vec<File> {
    list.map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect())
        .unwrap_or_default()
}

/// The files an input's change chose (the input is emptied, so choosing
/// the same file again is a change too).
pub fn chosen(ev: &leptos::ev::Event) -> Vec<File> {
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
    else {
        return Vec::new();
    };
    let files = files_of(input.files());
    input.set_value("");
    files
}

/// A dashed area that takes dropped PDFs, with a file picker (`name`).
#[component]
pub fn DropArea(
    text: &'static str,
    #[prop(optional)] name: &'static str,
    on_files: Callback<Vec<File>>,
) -> impl IntoView {
    let dragging = RwSignal::new(false);
    view! {
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
                on_files.run(files_of(ev.data_transfer().and_then(|d| d.files())));
            }
        >
            <span>{text}</span>
            <input
                type="file"
                name=(!name.is_empty()).then_some(name)
                accept="application/pdf,.pdf"
                multiple
                on:change=move |ev| on_files.run(chosen(&ev))
            />
        </label>
    }
}

/// The table columns chosen (a comma-separated list; blank: all numbers).
#[component]
pub fn ColumnsField(name: &'static str, value: RwSignal<String>) -> impl IntoView {
    view! {
        <label>
            "Table columns (only numbers under these headers enter the tests; blank: all)"
            <input
                type="text"
                name=name
                placeholder="Amount, Total"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}

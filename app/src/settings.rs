//! Settings: the token and the webhook secret, and how to use them.

use crate::api;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The token (to copy for the CLI, or replace) and the webhook secret.
#[component]
pub fn Settings() -> impl IntoView {
    let token = crate::session::use_token();
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

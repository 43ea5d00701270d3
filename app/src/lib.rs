//! Docket's browser app (Leptos, client-side rendered). Components live here so
//! browser tests can mount them; `main.rs` only mounts [`App`].
//!
//! So far: the service name and the API's health, fetched from
//! `GET /api/v1/health`.

use leptos::prelude::*;
use shared::api::{API_PREFIX, Health};

/// What the app knows about the API's health.
#[derive(Debug, Clone, PartialEq)]
pub enum HealthState {
    Checking,
    Up(Health),
    Down(String),
}

/// Asks the API whether it is up.
pub async fn fetch_health() -> HealthState {
    let url = format!("{API_PREFIX}/health");
    let response = match gloo_net::http::Request::get(&url).send().await {
        Ok(r) => r,
        Err(e) => return HealthState::Down(format!("unreachable: {e}")),
    };
    if !response.ok() {
        return HealthState::Down(format!("HTTP {}", response.status()));
    }
    match response.json::<Health>().await {
        Ok(h) => HealthState::Up(h),
        Err(e) => HealthState::Down(format!("unexpected answer: {e}")),
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

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let health = LocalResource::new(fetch_health);
    let state = Signal::derive(move || health.get().unwrap_or(HealthState::Checking));
    view! {
        <header>
            <h1>"Docket"</h1>
            <p class="tagline">"Asynchronous PDF analysis: upload a PDF, get a Benford's-law screen of its numbers."</p>
        </header>
        <main>
            <HealthBadge state=state />
        </main>
    }
}

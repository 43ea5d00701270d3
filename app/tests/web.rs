//! Headless-browser tests of the SPA's components (wasm-bindgen-test in Chromium).

use app::{HealthBadge, HealthState};
use leptos::prelude::*;
use shared::api::Health;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_node() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let node = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&node).unwrap();
    node.unchecked_into()
}

#[wasm_bindgen_test]
async fn health_badge_follows_the_api_state() {
    let node = fresh_node();
    let (state, set_state) = signal(HealthState::Checking);
    let _handle =
        leptos::mount::mount_to(node.clone(), move || view! { <HealthBadge state=state /> });
    leptos::task::tick().await;
    assert_eq!(node.text_content().unwrap(), "API: checking…");

    set_state.set(HealthState::Up(Health {
        status: "ok".into(),
        service: "docket".into(),
        version: "1.2.3".into(),
    }));
    leptos::task::tick().await;
    assert_eq!(node.text_content().unwrap(), "API: ok (v1.2.3)");
    let badge = node.first_element_child().unwrap();
    assert_eq!(badge.class_name(), "badge badge-up");

    set_state.set(HealthState::Down("HTTP 503".into()));
    leptos::task::tick().await;
    assert_eq!(node.text_content().unwrap(), "API: down (HTTP 503)");
}

#[wasm_bindgen_test]
async fn app_shows_the_service_name() {
    let node = fresh_node();
    let _handle = leptos::mount::mount_to(node.clone(), app::App);
    leptos::task::tick().await;
    let h1 = node.query_selector("h1").unwrap().unwrap();
    assert_eq!(h1.text_content().unwrap(), "Docket");
    assert!(node.query_selector("[role=status]").unwrap().is_some());
}

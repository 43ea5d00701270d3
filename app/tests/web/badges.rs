//! The API's health, a job's state and progress, and the app mounted whole.

use app::{HealthBadge, HealthState, JobProgress, StateBadge};

use leptos::prelude::*;
use shared::contract::api::{
    ErrorBody, ErrorCode, Health, JobState, Progress, Warning, WarningCode,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use super::{fresh_node, job};

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
        max_upload_bytes: 1000,
        max_resumable_bytes: 0,
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
async fn the_state_badge_names_each_state() {
    let node = fresh_node();
    let (current, set_current) = signal(job(JobState::Uploaded));
    let _handle =
        leptos::mount::mount_to(node.clone(), move || view! { <StateBadge job=current /> });
    leptos::task::tick().await;
    let badge = || node.first_element_child().unwrap();
    assert_eq!(badge().text_content().unwrap(), "uploaded");
    assert_eq!(badge().class_name(), "state state-uploaded");

    let mut processing = job(JobState::Processing);
    processing.progress = Some(Progress {
        pages_done: 3,
        pages_total: 12,
        eta_seconds: None,
    });
    set_current.set(processing);
    leptos::task::tick().await;
    assert_eq!(badge().text_content().unwrap(), "processing · page 3 of 12");
    assert_eq!(badge().class_name(), "state state-processing");

    let mut timed = job(JobState::Processing);
    timed.progress = Some(Progress {
        pages_done: 3,
        pages_total: 12,
        eta_seconds: Some(125),
    });
    set_current.set(timed);
    leptos::task::tick().await;
    assert_eq!(
        badge().text_content().unwrap(),
        "processing · page 3 of 12 · about 2 min left"
    );

    let mut waiting = job(JobState::Uploaded);
    waiting.queue = Some(shared::contract::api::QueueInfo {
        position: 4,
        eta_seconds: 12,
    });
    set_current.set(waiting);
    leptos::task::tick().await;
    assert_eq!(
        badge().text_content().unwrap(),
        "queued · #4 in line · done in about 12 s"
    );
    assert_eq!(badge().class_name(), "state state-uploaded");

    set_current.set(job(JobState::Completed));
    leptos::task::tick().await;
    assert_eq!(badge().text_content().unwrap(), "completed");

    let mut partly = job(JobState::Completed);
    partly.warnings = vec![Warning {
        code: WarningCode::UnreadableContent,
        message: "2 pages could not be read and were skipped".into(),
        pages: vec![2, 5],
    }];
    set_current.set(partly);
    leptos::task::tick().await;
    assert_eq!(
        badge().text_content().unwrap(),
        "completed · 2 pages with warnings"
    );

    set_current.set(job(JobState::Cancelled));
    leptos::task::tick().await;
    assert_eq!(badge().text_content().unwrap(), "cancelled");
    assert_eq!(badge().class_name(), "state state-cancelled");

    let mut failed = job(JobState::Error);
    failed.error = Some(ErrorBody::new(
        ErrorCode::Encrypted,
        "the PDF is encrypted <b>and</b> cannot be read",
    ));
    set_current.set(failed);
    leptos::task::tick().await;
    // Text from the server stays text: the markup is not interpreted.
    assert_eq!(
        badge().text_content().unwrap(),
        "error: the PDF is encrypted <b>and</b> cannot be read"
    );
    assert!(badge().query_selector("b").unwrap().is_none());
    assert_eq!(badge().class_name(), "state state-error");
}

#[wasm_bindgen_test]
async fn the_progress_bar_shows_pages_done() {
    let node = fresh_node();
    let mut processing = job(JobState::Processing);
    processing.progress = Some(Progress {
        pages_done: 4,
        pages_total: 10,
        eta_seconds: None,
    });
    let (current, set_current) = signal(processing);
    let _handle =
        leptos::mount::mount_to(node.clone(), move || view! { <JobProgress job=current /> });
    leptos::task::tick().await;
    let bar: web_sys::HtmlProgressElement = node
        .query_selector("progress")
        .unwrap()
        .expect("a progress bar")
        .unchecked_into();
    assert_eq!(bar.max(), 10.0);
    assert_eq!(bar.value(), 4.0);
    assert_eq!(
        bar.get_attribute("aria-label").as_deref(),
        Some("4 of 10 pages analysed")
    );
    set_current.set(job(JobState::Completed));
    leptos::task::tick().await;
    assert!(node.query_selector("progress").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn app_shows_the_service_name() {
    let node = fresh_node();
    let _handle = leptos::mount::mount_to(node.clone(), app::App);
    leptos::task::tick().await;
    let h1 = node.query_selector("h1").unwrap().unwrap();
    assert_eq!(h1.text_content().unwrap(), "Docket");
    assert!(node.query_selector("[role=status]").unwrap().is_some());
    assert!(node.query_selector("input[type=file]").unwrap().is_some());
}

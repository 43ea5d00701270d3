//! Small status views: the API's health, a job's state and its progress.

use crate::api;
use leptos::prelude::*;
use shared::contract::api::{Health, Job, JobState};

/// What the app knows about the API's health.
#[derive(Debug, Clone, PartialEq)]
pub enum HealthState {
    Checking,
    Up(Health),
    Down(String),
}

/// Asks the API whether it is up.
pub async fn fetch_health() -> HealthState {
    match api::health().await {
        Ok(h) => HealthState::Up(h),
        Err(e) => HealthState::Down(e.message),
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

/// A job's state as a coloured badge, with the page count while processing
/// and the reason of an error.
#[component]
pub fn StateBadge(#[prop(into)] job: Signal<Job>) -> impl IntoView {
    let text = move || {
        let job = job.get();
        match (job.state(), job.progress, job.error) {
            (JobState::Processing, Some(p), _) => match p.eta_seconds {
                Some(eta) => format!(
                    "processing · page {} of {} · about {} left",
                    p.pages_done,
                    p.pages_total,
                    seconds(eta)
                ),
                None => format!("processing · page {} of {}", p.pages_done, p.pages_total),
            },
            (JobState::Uploaded, _, _) if job.queue.is_some() => {
                let q = job.queue.unwrap_or(shared::contract::api::QueueInfo {
                    position: 0,
                    eta_seconds: 0,
                });
                format!(
                    "queued · #{} in line · done in about {}",
                    q.position,
                    seconds(q.eta_seconds)
                )
            }
            (JobState::Error, _, Some(e)) => format!("error: {}", e.message),
            (JobState::Completed, _, _) if !job.warnings.is_empty() => {
                let pages: usize = job.warnings.iter().map(|w| w.pages.len()).sum();
                format!(
                    "completed · {pages} page{} with warnings",
                    if pages == 1 { "" } else { "s" }
                )
            }
            (state, _, _) => state.as_str().to_owned(),
        }
    };
    let class = move || format!("state state-{}", job.get().state().as_str());
    view! { <span class=class>{text}</span> }
}

/// A duration for people: "40 s", "3 min", "2 h".
pub fn seconds(secs: u32) -> String {
    match secs {
        0..=89 => format!("{} s", secs.max(1)),
        90..=5399 => format!("{} min", (secs + 30) / 60),
        _ => format!("{} h", (secs + 1800) / 3600),
    }
}

/// Pages analysed so far, as a progress bar (indeterminate before the count
/// is known).
#[component]
pub fn JobProgress(#[prop(into)] job: Signal<Job>) -> impl IntoView {
    move || {
        let job = job.get();
        match (job.state(), job.progress) {
            (JobState::Processing, Some(p)) => view! {
                <progress
                    class="job-progress"
                    max=p.pages_total.max(1)
                    value=p.pages_done
                    aria-label=format!("{} of {} pages analysed", p.pages_done, p.pages_total)
                ></progress>
            }
            .into_any(),
            (JobState::Uploaded | JobState::Processing, None) => {
                view! { <progress class="job-progress" aria-label="waiting for the analysis"></progress> }
                    .into_any()
            }
            _ => ().into_any(),
        }
    }
}

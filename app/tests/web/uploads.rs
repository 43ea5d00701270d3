//! Checking files before they go up, the live list's order, the role picker.

use app::live::{Mode, upsert};
use app::upload::{check_file, explain};
use app::{RolePicker, UploadList, UploadRow, UploadStatus};

use leptos::prelude::*;
use shared::contract::api::JobState;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use super::{fresh_node, job};

#[wasm_bindgen_test]
async fn uploads_are_checked_and_refusals_explained() {
    assert!(check_file("a.pdf", 1000.0, "application/pdf", 2000).is_ok());
    assert!(check_file("A.PDF", 1000.0, "", 0).is_ok());
    assert!(
        check_file("notes.txt", 10.0, "text/plain", 0)
            .unwrap_err()
            .contains("not a PDF")
    );
    assert!(
        check_file("empty.pdf", 0.0, "application/pdf", 0)
            .unwrap_err()
            .contains("empty")
    );
    let big = check_file("big.pdf", 5_000_000.0, "application/pdf", 4_000_000).unwrap_err();
    assert!(big.contains("over the server's limit"), "{big}");

    let too_large = explain(
        413,
        r#"{"error":{"code":"payload_too_large","message":"the limit is 20 MiB"}}"#,
    );
    assert_eq!(too_large, "too large: the limit is 20 MiB");
    let not_pdf = explain(
        415,
        r#"{"error":{"code":"not_a_pdf","message":"the body is not a PDF"}}"#,
    );
    assert_eq!(not_pdf, "not a PDF: the body is not a PDF");
    assert!(explain(401, "").contains("Settings"));

    // A refusal shows its reason and no retry; a network failure offers one.
    let node = fresh_node();
    let rows = vec![
        UploadRow {
            key: 1,
            name: "big.pdf".into(),
            progress: 1.0,
            status: UploadStatus::Failed(too_large, false),
        },
        UploadRow {
            key: 2,
            name: "flaky.pdf".into(),
            progress: 0.3,
            status: UploadStatus::Failed("the upload did not reach the server".into(), true),
        },
        UploadRow {
            key: 3,
            name: "fine.pdf".into(),
            progress: 0.5,
            status: UploadStatus::Sending,
        },
    ];
    let (retried, set_retried) = signal(None::<u32>);
    let _handle = leptos::mount::mount_to(node.clone(), move || {
        view! { <UploadList rows=Signal::derive(move || rows.clone()) on_retry=Callback::new(move |k| set_retried.set(Some(k))) /> }
    });
    leptos::task::tick().await;
    let items = node.query_selector_all("li").unwrap();
    assert_eq!(items.length(), 3);
    let text = |i: u32| items.get(i).unwrap().text_content().unwrap();
    assert!(
        text(0).contains("too large: the limit is 20 MiB"),
        "{}",
        text(0)
    );
    assert!(text(2).contains("50%"), "{}", text(2));
    let buttons = node.query_selector_all("button").unwrap();
    assert_eq!(
        buttons.length(),
        1,
        "only the network failure can be retried"
    );
    let button: web_sys::HtmlElement = buttons.get(0).unwrap().unchecked_into();
    button.click();
    assert_eq!(retried.get_untracked(), Some(2));
}

#[wasm_bindgen_test]
fn the_list_stays_newest_first_and_never_goes_back_in_time() {
    let mut list = Vec::new();
    let mut older = job(JobState::Completed);
    older.id = "00000000-0000-4000-8000-000000000001".into();
    older.created_at = "2026-01-01T00:00:00.000Z".into();
    let mut newer = job(JobState::Uploaded);
    newer.id = "00000000-0000-4000-8000-000000000002".into();
    newer.created_at = "2026-01-02T00:00:00.000Z".into();
    upsert(&mut list, older.clone());
    upsert(&mut list, newer.clone());
    assert_eq!(list[0].id, newer.id);
    // A newer version replaces the one shown...
    let mut progressed = newer.clone();
    progressed
        .start_attempt(1, "2026-01-03T00:00:00.000Z")
        .unwrap();
    upsert(&mut list, progressed);
    assert_eq!(list[0].state(), JobState::Processing);
    // ...a late, older one does not, whatever its clock says.
    let mut stale = newer;
    stale.updated_at = "2026-01-09T00:00:00.000Z".into();
    upsert(&mut list, stale);
    assert_eq!(list[0].state(), JobState::Processing);
    assert_eq!(list.len(), 2);
    // The mode says how the list is kept current.
    assert_eq!(Mode::Live.describe(), "live updates");
    assert!(
        Mode::Polling("the live connection dropped".into())
            .describe()
            .starts_with("polling")
    );
}

#[wasm_bindgen_test]
async fn the_role_picker_chooses_roles_and_keeps_one() {
    use shared::reading::roles::{Role, Roles};
    let roles = RwSignal::new(Roles::default());
    let node = fresh_node();
    let _handle =
        leptos::mount::mount_to(node.clone(), move || view! { <RolePicker roles=roles /> });
    leptos::task::tick().await;
    let boxes = node.query_selector_all("input[name=roles]").unwrap();
    assert_eq!(boxes.length(), Role::ALL.len() as u32);
    let checkbox = |value: &str| -> web_sys::HtmlInputElement {
        node.query_selector(&format!("input[value={value}]"))
            .unwrap()
            .expect("a checkbox")
            .dyn_into()
            .unwrap()
    };
    assert!(checkbox("amount").checked() && !checkbox("year").checked());
    // Years in, counts and other numbers out.
    checkbox("year").click();
    checkbox("count").click();
    checkbox("other").click();
    leptos::task::tick().await;
    assert_eq!(
        roles.get_untracked(),
        Roles::of(&[Role::Amount, Role::Year])
    );
    // The last one cannot go.
    checkbox("year").click();
    checkbox("amount").click();
    leptos::task::tick().await;
    assert_eq!(roles.get_untracked(), Roles::of(&[Role::Amount]));
    assert!(checkbox("amount").checked());
    // Each role says its rule.
    let label = node.query_selector("label.role").unwrap().expect("a label");
    assert_eq!(
        label.get_attribute("title").as_deref(),
        Some(Role::Amount.rule())
    );
}

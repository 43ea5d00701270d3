//! The report's panels: dates, roles, suspects and the page view.

use app::report::Facts;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use super::{fresh_node, minimal_report, place};

#[wasm_bindgen_test]
async fn pdf_dates_show_as_dates_and_other_text_as_written() {
    use shared::contract::report::Metadata;
    let mut report = minimal_report();
    report.metadata = Metadata {
        title: Some("Q3".into()),
        created: Some("D:20150613123456+02'00'".into()),
        modified: Some("last Tuesday".into()),
        ..Metadata::default()
    };
    let node = fresh_node();
    let _handle = leptos::mount::mount_to(node.clone(), move || view! { <Facts report=report /> });
    leptos::task::tick().await;
    let text = node.text_content().unwrap();
    assert!(text.contains("Created2015-06-13 12:34:56 +02:00"), "{text}");
    assert!(text.contains("Modifiedlast Tuesday"), "{text}");
    assert!(!text.contains("D:2015"), "{text}");
}

#[wasm_bindgen_test]
async fn the_report_says_what_each_role_counted() {
    use app::report::NumberRoles;
    use shared::contract::report::{FormatStats, NumberStats, RoleStats};
    use shared::reading::roles::{Role, Roles};
    let mut roles = RoleStats::table(Roles::default());
    roles[Role::Amount as usize].found = 40;
    roles[Role::Amount as usize].used = 38;
    roles[Role::Year as usize].found = 7;
    let mut report = minimal_report();
    report.numbers = NumberStats {
        found: 47,
        used: 38,
        rules: String::new(),
        roles,
        format: FormatStats {
            detected: "1.234,56".into(),
            dot_decimal_pages: 0,
            comma_decimal_pages: 3,
        },
        listed: 47,
    };
    let node = fresh_node();
    let _handle = leptos::mount::mount_to(
        node.clone(),
        move || view! { <NumberRoles report=report /> },
    );
    leptos::task::tick().await;
    let text = node.text_content().unwrap();
    assert!(text.contains("47 found, 38 used"), "{text}");
    assert!(text.contains("Number format: 1.234,56"), "{text}");
    let rows = node.query_selector_all("tbody tr").unwrap();
    assert_eq!(rows.length(), Role::ALL.len() as u32);
    let amount = rows.get(0).unwrap().text_content().unwrap();
    assert!(amount.starts_with("amount4038yes"), "{amount}");
    let year = rows.get(3).unwrap().text_content().unwrap();
    assert!(year.starts_with("year70no"), "{year}");
}

#[wasm_bindgen_test]
async fn a_flagged_bucket_opens_its_numbers_and_a_number_its_page() {
    use app::evidence::{Shown, SuspectList};
    use shared::forensics::evidence::{BucketSuspects, DuplicateSuspects, PageSuspect, Suspects};
    let suspects = Suspects {
        buckets: vec![BucketSuspects {
            digits: 47,
            z: 12.5,
            count: 60,
            places: vec![
                place(3, "4700.10", Some([143.5, 717.8, 182.0, 728.8])),
                place(3, "4701.10", Some([143.5, 703.8, 182.0, 714.8])),
                place(4, "4790.00", None),
            ],
        }],
        duplicates: vec![DuplicateSuspects {
            amount: "1234.56".into(),
            count: 5,
            places: vec![place(2, "1,234.56", Some([1.0, 2.0, 3.0, 4.0]))],
        }],
        pages: vec![PageSuspect {
            page: 3,
            n: 65,
            mad: 0.18,
            excess_mad: 0.15,
            p_value: 0.0001,
        }],
        bounds: "At most 5".into(),
    };
    let open = RwSignal::new(None::<u32>);
    let shown = RwSignal::new(None::<Shown>);
    let node = fresh_node();
    let _handle = leptos::mount::mount_to(node.clone(), move || {
        view! { <SuspectList suspects=suspects open=open show=shown /> }
    });
    leptos::task::tick().await;
    let bucket: web_sys::HtmlDetailsElement = node
        .query_selector("#suspects-47")
        .unwrap()
        .expect("the bucket's suspects")
        .dyn_into()
        .unwrap();
    assert!(!bucket.open());
    // A flagged row's button sets `open`: the bucket opens.
    open.set(Some(47));
    leptos::task::tick().await;
    assert!(bucket.open());
    let text = bucket.text_content().unwrap();
    assert!(text.contains("Numbers starting 47: 60 of them"), "{text}");
    assert!(
        text.contains("page 3: 4700.10 — “Claim paid 4700.10”"),
        "{text}"
    );
    // A place's button shows its page with the bucket's places there.
    let button: web_sys::HtmlElement = bucket
        .query_selector("button.show-page")
        .unwrap()
        .expect("a button")
        .dyn_into()
        .unwrap();
    assert_eq!(button.text_content().unwrap(), "Show on page 3");
    button.click();
    let now = shown.get_untracked().expect("a page shown");
    assert_eq!(now.page, 3);
    assert_eq!(now.places.len(), 2, "the bucket's places on page 3");
    let all = node.text_content().unwrap();
    assert!(all.contains("1234.56 appears 5 times"), "{all}");
    assert!(all.contains("Page 3: 65 numbers"), "{all}");
    assert!(
        all.contains("first-digit MAD 0.1800 (0.1500 beyond chance, p < 0.001)"),
        "{all}"
    );
}

#[wasm_bindgen_test]
async fn the_page_view_draws_the_lines_and_marks_the_suspects() {
    use app::evidence::{PageSvg, Shown};
    use shared::forensics::evidence::{PageView, ViewLine};
    let view = PageView {
        page: 3,
        media_box: [0.0, 0.0, 612.0, 792.0],
        lines: vec![
            ViewLine {
                text: "Claim paid 4700.10".into(),
                bbox: [72.0, 717.8, 182.0, 728.8],
                size: 11.0,
            },
            ViewLine {
                text: "Claim paid 4701.10".into(),
                bbox: [72.0, 703.8, 182.0, 714.8],
                size: 11.0,
            },
        ],
    };
    let shown = Shown {
        page: 3,
        what: "numbers starting 47".into(),
        places: vec![
            place(3, "4700.10", Some([143.5, 717.8, 182.0, 728.8])),
            place(3, "4790.00", None),
        ],
    };
    let node = fresh_node();
    let _handle = leptos::mount::mount_to(
        node.clone(),
        move || view! { <PageSvg view=view shown=shown /> },
    );
    leptos::task::tick().await;
    let svg = node
        .query_selector("svg.page-view")
        .unwrap()
        .expect("an svg");
    assert_eq!(
        svg.get_attribute("aria-label").as_deref(),
        Some("Page 3 as the engine read it, 1 of numbers starting 47 highlighted")
    );
    assert_eq!(
        node.query_selector_all("text.page-line").unwrap().length(),
        2
    );
    let first = node.query_selector("text.page-line").unwrap().unwrap();
    // Baseline 720 in PDF space is 72 from the top of a 792-point page.
    assert_eq!(first.get_attribute("y").as_deref(), Some("72.0"));
    let marks = node.query_selector_all("rect.suspect-mark").unwrap();
    assert_eq!(marks.length(), 1);
    let mark: web_sys::Element = marks.get(0).unwrap().dyn_into().unwrap();
    assert_eq!(mark.get_attribute("x").as_deref(), Some("142.5"));
    assert_eq!(mark.get_attribute("y").as_deref(), Some("62.2"));
}

//! Headless-browser tests of the SPA's components (wasm-bindgen-test in Chromium).

use app::live::{Mode, upsert};
use app::report::{BenfordChart, DigitTable, Facts, Verdict, bars, verdict_text};
use app::upload::{check_file, explain};
use app::{
    HealthBadge, HealthState, JobProgress, RolePicker, StateBadge, UploadList, UploadRow,
    UploadStatus,
};
use leptos::prelude::*;
use shared::api::{ErrorBody, ErrorCode, Health, Job, JobState, Progress, Warning, WarningCode};
use shared::benford::{Conformity, DigitTest};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_node() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let node = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&node).unwrap();
    node.unchecked_into()
}

/// A job walked to `state` through the state machine.
fn job(state: JobState) -> Job {
    let new = shared::state::NewJob {
        id: "6f1c1f5e-4b0a-4c1e-9a55-2b1f0c3d4e5f".into(),
        filename: "q3.pdf".into(),
        ..Default::default()
    };
    Job::uploaded(new, "2026-01-01T00:00:00.000Z")
        .walked_to(state, "2026-01-01T00:00:01.000Z")
        .unwrap()
}

fn first_digit(counts: [u64; 9], conformity: Conformity) -> DigitTest {
    let n: u64 = counts.iter().sum();
    let expected: Vec<f64> = (1..=9)
        .map(|d| (1.0 + 1.0 / f64::from(d)).log10())
        .collect();
    DigitTest {
        n,
        counts: counts.to_vec(),
        observed: counts.iter().map(|c| *c as f64 / n as f64).collect(),
        expected,
        chi_square: 3.21,
        degrees_of_freedom: 8,
        p_value: 0.92,
        ks: 0.01,
        ks_critical: Some(0.05),
        mad: 0.0042,
        conformity,
        expected_mad: 0.0031,
        excess_mad: 0.0011,
        mad_p_value: 0.35,
        nigrini_class: Some(Conformity::Close),
        needed: Some(246),
        z: vec![0.0; 9],
        flagged: Vec::new(),
        reading: String::new(),
    }
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
    waiting.queue = Some(shared::line::QueueInfo {
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
async fn the_chart_has_nine_bars_proportional_to_the_counts_and_expected_markers() {
    let counts = [30, 18, 12, 10, 8, 7, 6, 5, 4];
    let test = first_digit(counts, Conformity::Close);
    let node = fresh_node();
    let chart = test.clone();
    let _handle = leptos::mount::mount_to(node.clone(), move || {
        view! { <BenfordChart test=chart.clone() /> }
    });
    leptos::task::tick().await;
    let rects = node.query_selector_all("rect.bar").unwrap();
    assert_eq!(rects.length(), 9);
    let heights: Vec<f64> = (0..9)
        .map(|i| {
            let rect: web_sys::Element = rects.get(i).unwrap().unchecked_into();
            rect.get_attribute("height").unwrap().parse().unwrap()
        })
        .collect();
    // Proportional: height / count is the same for every bar.
    let ratio = heights[0] / counts[0] as f64;
    for (h, c) in heights.iter().zip(counts) {
        assert!((h / c as f64 - ratio).abs() < 0.01, "{heights:?}");
    }
    assert_eq!(
        node.query_selector_all("circle.expected").unwrap().length(),
        9
    );
    assert!(
        node.query_selector("polyline.expected-line")
            .unwrap()
            .is_some()
    );
    // Values on hover.
    let title = node.query_selector("g.bar-group title").unwrap().unwrap();
    assert_eq!(
        title.text_content().unwrap(),
        "digit 1: 30 numbers, 30.0% observed, 30.1% expected"
    );
    // The layout function agrees with what is drawn.
    let laid = bars(&test);
    assert_eq!(laid.len(), 9);
    assert!((laid[0].height - heights[0]).abs() < 0.01);
}

#[wasm_bindgen_test]
async fn the_verdict_is_said_in_words_for_every_class() {
    for (class, words) in [
        (Conformity::Close, "Close conformity"),
        (Conformity::Acceptable, "Acceptable conformity"),
        (Conformity::Marginal, "Marginal conformity"),
        (Conformity::Nonconformity, "Nonconformity"),
        (Conformity::InsufficientData, "Insufficient data"),
    ] {
        let test = first_digit([3, 2, 1, 1, 1, 1, 1, 1, 1], class);
        let text = verdict_text(&test);
        assert!(text.starts_with(words), "{text}");
        assert!(text.contains(class.explain()), "{text}");
        if class != Conformity::InsufficientData {
            // N, the need, the MAD beside chance's and both p-values.
            for part in [
                "12 numbers, the test needs about 250",
                "MAD 0.00420, chance alone gives 0.00310, p = 0.350",
                "p = 0.920",
            ] {
                assert!(text.contains(part), "{part}: {text}");
            }
        }
        let node = fresh_node();
        let _handle = leptos::mount::mount_to(
            node.clone(),
            move || view! { <Verdict test=test.clone() /> },
        );
        leptos::task::tick().await;
        assert_eq!(node.text_content().unwrap(), text);
    }
}

#[wasm_bindgen_test]
fn a_test_short_of_its_numbers_says_how_many_it_needs() {
    let test = first_digit(
        [36, 21, 15, 12, 10, 8, 7, 6, 5],
        Conformity::InsufficientData,
    );
    let text = verdict_text(&test);
    assert!(
        text.starts_with("Too few numbers for this test: 120 usable, the test needs about 250."),
        "{text}"
    );
    assert!(text.contains("chance alone gives 0.00310"), "{text}");
    let few = first_digit([3, 2, 1, 1, 1, 1, 1, 1, 1], Conformity::InsufficientData);
    assert!(verdict_text(&few).starts_with("Insufficient data: 12 numbers"));
}

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
async fn app_shows_the_service_name() {
    let node = fresh_node();
    let _handle = leptos::mount::mount_to(node.clone(), app::App);
    leptos::task::tick().await;
    let h1 = node.query_selector("h1").unwrap().unwrap();
    assert_eq!(h1.text_content().unwrap(), "Docket");
    assert!(node.query_selector("[role=status]").unwrap().is_some());
    assert!(node.query_selector("input[type=file]").unwrap().is_some());
}

#[wasm_bindgen_test]
async fn pdf_dates_show_as_dates_and_other_text_as_written() {
    use shared::report::Metadata;
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
async fn a_significant_bin_is_marked_in_the_digit_table() {
    use shared::benford::{Kind, from_counts};
    // Benford counts for 1,000 numbers, then 60 more 7s.
    let mut counts: Vec<u64> = Kind::First
        .expected()
        .iter()
        .map(|p| (p * 1000.0).round() as u64)
        .collect();
    counts[6] += 60;
    let test = from_counts(Kind::First, counts);
    let node = fresh_node();
    let _handle = leptos::mount::mount_to(node.clone(), move || {
        view! { <DigitTable test=test caption="First digit" first=1 /> }
    });
    leptos::task::tick().await;
    let flagged = node.query_selector_all("tr.flagged").unwrap();
    assert!(flagged.length() >= 1);
    let text = node.text_content().unwrap();
    assert!(text.contains("more than expected"), "{text}");
}

#[wasm_bindgen_test]
async fn the_role_picker_chooses_roles_and_keeps_one() {
    use shared::roles::{Role, Roles};
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

#[wasm_bindgen_test]
async fn the_report_says_what_each_role_counted() {
    use app::report::NumberRoles;
    use shared::report::{FormatStats, NumberStats, RoleStats};
    use shared::roles::{Role, Roles};
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

fn minimal_report() -> shared::report::Report {
    use shared::report::{Metadata, NumberStats, Reading, Report, TextStats, Timings};
    Report {
        pages: 1,
        pdf_version: "1.7".into(),
        encrypted: false,
        metadata: Metadata::default(),
        text: TextStats::default(),
        numbers: NumberStats::default(),
        benford: shared::benford::benford(["123", "19", "45"]),
        amounts: shared::amounts::AmountTests::default(),
        per_page: Vec::new(),
        warnings: Vec::new(),
        pages_skipped: Vec::new(),
        reading: Reading::default(),
        timings_ms: Timings::default(),
        suspects: Default::default(),
    }
}

fn place(page: u32, text: &str, bbox: Option<[f64; 4]>) -> shared::evidence::Place {
    shared::evidence::Place {
        page,
        text: text.into(),
        role: shared::roles::Role::Amount,
        bbox,
        line: format!("Claim paid {text}"),
    }
}

#[wasm_bindgen_test]
async fn a_flagged_bucket_opens_its_numbers_and_a_number_its_page() {
    use app::evidence::{Shown, SuspectList};
    use shared::evidence::{BucketSuspects, DuplicateSuspects, PageSuspect, Suspects};
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
    use shared::evidence::{PageView, ViewLine};
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

#[wasm_bindgen_test]
async fn every_digit_test_can_be_charted_with_its_bounds() {
    use app::report::{BenfordChart, bars_from, share_bounds};
    use shared::benford::{Kind, from_counts};
    let counts: Vec<u64> = Kind::FirstTwo
        .expected()
        .iter()
        .map(|p| (p * 2000.0).round() as u64)
        .collect();
    let test = from_counts(Kind::FirstTwo, counts);
    let bars = bars_from(&test, 10);
    assert_eq!((bars.len(), bars[0].digit, bars[89].digit), (90, 10, 99));
    for b in &bars {
        assert!(b.lower_height <= b.expected_height && b.expected_height <= b.upper_height);
    }
    let (lo, hi) = share_bounds(0.5, 100);
    assert!(
        (hi - 0.5 - (1.96 * 0.05 + 0.005)).abs() < 1e-12 && (0.5 - lo - (hi - 0.5)).abs() < 1e-12
    );
    assert_eq!(share_bounds(0.3, 0), (0.3, 0.3));
    let node = fresh_node();
    let _handle = leptos::mount::mount_to(node.clone(), move || {
        view! { <BenfordChart test=test first=10 axis="first two digits" class="digit-chart" /> }
    });
    leptos::task::tick().await;
    assert_eq!(
        node.query_selector_all("svg.digit-chart rect.bar")
            .unwrap()
            .length(),
        90
    );
    // Ninety bins: labels every ten, and no ninety keyboard stops.
    assert_eq!(node.query_selector_all("text.digit").unwrap().length(), 9);
    assert_eq!(
        node.query_selector_all("g.bar-group[tabindex]")
            .unwrap()
            .length(),
        0
    );
    assert_eq!(
        node.query_selector_all("polyline.bound-line")
            .unwrap()
            .length(),
        2
    );
    let label = node
        .query_selector("svg")
        .unwrap()
        .unwrap()
        .get_attribute("aria-label")
        .unwrap();
    assert!(
        label.starts_with("First two digits distribution of 2001 numbers"),
        "{label}"
    );
}

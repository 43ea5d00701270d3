//! The evidence behind a result: the report's suspects — the numbers of
//! each flagged first-two-digit bucket, the places of the repeated amounts,
//! the pages that deviate — each place with its page and line, and a page
//! view that draws a page's text lines (from `GET /jobs/{id}/pages/{n}`:
//! the positions the engine has, no PDF renderer) with the suspects
//! highlighted.

use leptos::prelude::*;
use shared::forensics::evidence::{PageView, Place, Suspects};

/// What the page view shows: a page, and the places to highlight on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub page: u32,
    /// What the highlights are, in words ("numbers starting 47").
    pub what: String,
    pub places: Vec<Place>,
}

/// The id of a bucket's suspects (a flagged row of the first-two-digits
/// table links to it).
pub fn bucket_anchor(digits: u32) -> String {
    format!("suspects-{digits}")
}

/// The places of one list, each with a button that shows it on its page
/// with the list's other places there.
#[component]
fn PlaceList(places: Vec<Place>, what: String, show: RwSignal<Option<Shown>>) -> impl IntoView {
    let all = places.clone();
    let items = places
        .into_iter()
        .map(|place| {
            let page = place.page;
            let on_page: Vec<Place> = all.iter().filter(|p| p.page == page).cloned().collect();
            let what = what.clone();
            let open = move |_| {
                show.set(Some(Shown {
                    page,
                    what: what.clone(),
                    places: on_page.clone(),
                }))
            };
            view! {
                <li class="place">
                    <span class="where">{format!("page {page}: ")}</span>
                    <strong class="number">{place.text.clone()}</strong>
                    <span class="line">{format!(" — “{}”", place.line)}</span>
                    " "
                    <button type="button" class="show-page" on:click=open>
                        {format!("Show on page {page}")}
                    </button>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="places">{items}</ul> }
}

/// The report's suspects: flagged buckets, repeated amounts, deviating
/// pages. `open` is the bucket a flagged table row asked to open.
#[component]
pub fn SuspectList(
    suspects: Suspects,
    open: RwSignal<Option<u32>>,
    show: RwSignal<Option<Shown>>,
) -> impl IntoView {
    let nothing =
        suspects.buckets.is_empty() && suspects.duplicates.is_empty() && suspects.pages.is_empty();
    let buckets = suspects
        .buckets
        .iter()
        .map(|b| {
            let digits = b.digits;
            let summary = format!(
                "Numbers starting {digits}: {} of them, more than Benford's law expects (Z {:.1})",
                b.count, b.z
            );
            view! {
                <details
                    class="suspects bucket"
                    id=bucket_anchor(digits)
                    prop:open=move || open.get() == Some(digits)
                    on:toggle=move |ev| {
                        let now_open = event_target::<web_sys::HtmlDetailsElement>(&ev).open();
                        if now_open {
                            open.set(Some(digits));
                        } else if open.get_untracked() == Some(digits) {
                            open.set(None);
                        }
                    }
                >
                    <summary>{summary}</summary>
                    <PlaceList places=b.places.clone() what=format!("numbers starting {digits}") show=show />
                </details>
            }
        })
        .collect_view();
    let duplicates = suspects
        .duplicates
        .iter()
        .map(|d| {
            view! {
                <details class="suspects duplicate">
                    <summary>{format!("{} appears {} times", d.amount, d.count)}</summary>
                    <PlaceList places=d.places.clone() what=format!("the amount {}", d.amount) show=show />
                </details>
            }
        })
        .collect_view();
    let pages = suspects
        .pages
        .iter()
        .map(|p| {
            let page = p.page;
            let open_page = move |_| {
                show.set(Some(Shown {
                    page,
                    what: format!("page {page}"),
                    places: Vec::new(),
                }))
            };
            view! {
                <li>
                    {format!(
                        "Page {page}: {} numbers, first-digit MAD {:.4} ({:.4} beyond chance, {}) ",
                        p.n,
                        p.mad,
                        p.excess_mad,
                        shared::forensics::benford::p_words(p.p_value)
                    )}
                    <button type="button" class="show-page" on:click=open_page>
                        {format!("Show page {page}")}
                    </button>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="evidence" aria-labelledby="suspects-title">
            <h3 id="suspects-title">"Where to look"</h3>
            {nothing.then(|| view! { <p>"Nothing stands out: no flagged bucket, repeated amount or deviating page."</p> })}
            {buckets}
            {duplicates}
            {(!suspects.pages.is_empty()).then(|| view! {
                <h4>"Pages whose own first digits deviate most"</h4>
                <ul class="suspect-pages">{pages}</ul>
            })}
            <p class="bounds">{suspects.bounds.clone()}</p>
        </section>
    }
}

/// The SVG of a page: its text lines where the engine read them, the
/// highlighted places as marked boxes. PDF space has y up; SVG y down.
#[component]
pub fn PageSvg(view: PageView, shown: Shown) -> impl IntoView {
    let [x0, y0, x1, y1] = view.media_box;
    let (width, height) = ((x1 - x0).max(1.0), (y1 - y0).max(1.0));
    let flip = move |y: f64| y1 - y;
    let lines = view
        .lines
        .iter()
        .map(|l| {
            // The box runs from a fifth of the size below the baseline.
            let baseline = l.bbox[1] + 0.2 * l.size;
            view! {
                <text
                    class="page-line"
                    x=format!("{:.1}", l.bbox[0])
                    y=format!("{:.1}", flip(baseline))
                    font-size=format!("{:.1}", l.size.max(1.0))
                    textLength=format!("{:.1}", (l.bbox[2] - l.bbox[0]).max(1.0))
                    lengthAdjust="spacingAndGlyphs"
                >
                    {l.text.clone()}
                </text>
            }
        })
        .collect_view();
    let marks = shown
        .places
        .iter()
        .filter_map(|p| p.bbox.map(|b| (p, b)))
        .map(|(p, [bx0, by0, bx1, by1])| {
            view! {
                <rect
                    class="suspect-mark"
                    x=format!("{:.1}", bx0 - 1.0)
                    y=format!("{:.1}", flip(by1) - 1.0)
                    width=format!("{:.1}", bx1 - bx0 + 2.0)
                    height=format!("{:.1}", by1 - by0 + 2.0)
                >
                    <title>{format!("{} ({})", p.text, p.role.name().replace('_', " "))}</title>
                </rect>
            }
        })
        .collect_view();
    let count = shown.places.iter().filter(|p| p.bbox.is_some()).count();
    let label = if count == 0 {
        format!("Page {} as the engine read it", shown.page)
    } else {
        format!(
            "Page {} as the engine read it, {count} of {} highlighted",
            shown.page, shown.what
        )
    };
    view! {
        <svg
            class="page-view"
            role="img"
            aria-label=label
            viewBox=format!("{x0} 0 {width} {height}")
            preserveAspectRatio="xMidYMin meet"
        >
            <rect class="page-paper" x=x0 y="0" width=width height=height />
            {lines}
            {marks}
        </svg>
    }
}

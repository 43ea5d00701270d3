//! The result view's parts: the Benford first-digit chart (SVG), the verdict
//! in words, the digit tables and the document facts. Every text from the PDF
//! (title, author…) is rendered as text, never as HTML.

use leptos::prelude::*;
use shared::contract::report::Report;
use shared::forensics::benford::{
    Conformity, DigitTest, chance_words, class_name, needs_words, p_words, thousands,
};
use wasm_bindgen::JsCast;

use crate::chart::capitalised;
pub use crate::chart::{
    Bar, BenfordChart, CHART_HEIGHT, CHART_WIDTH, bars, bars_from, share_bounds, ticks,
};

/// The verdict sentence: the class and what it means, then the evidence —
/// how many numbers and how many the test needs, the MAD beside what chance
/// alone gives for that many, its p-value, and the χ² test.
pub fn verdict_text(test: &DigitTest) -> String {
    let numbers = thousands(test.n);
    let needs = needs_words(test);
    let chance = chance_words(test);
    if test.conformity == Conformity::InsufficientData {
        if test.n < shared::forensics::benford::MIN_COUNT || test.needed.is_none() {
            return format!(
                "Insufficient data: {numbers} numbers were usable. {}",
                test.conformity.explain()
            );
        }
        return format!(
            "Too few numbers for this test: {numbers} usable{needs}. Honest numbers this few \
             usually exceed Nigrini's bounds by chance, so no class is given ({chance})."
        );
    }
    format!(
        "{} — {} ({numbers} numbers{needs}; {chance}; χ² {:.2} with {} degrees of freedom, {})",
        capitalised(class_name(test.conformity)),
        test.conformity.explain(),
        test.chi_square,
        test.degrees_of_freedom,
        p_words(test.p_value)
    )
}

/// The verdict in words, for people who are not statisticians.
#[component]
pub fn Verdict(test: DigitTest) -> impl IntoView {
    let class = format!("verdict verdict-{:?}", test.conformity).to_lowercase();
    view! { <p class=class>{verdict_text(&test)}</p> }
}

/// A digit test as a table (second digit, first two digits). With
/// `suspects` (the buckets the report has suspects for, and the signal that
/// opens one), a flagged row with suspects has a button to them.
#[component]
pub fn DigitTable(
    test: DigitTest,
    caption: &'static str,
    first: usize,
    #[prop(optional)] suspects: Option<(Vec<u32>, RwSignal<Option<u32>>)>,
) -> impl IntoView {
    let rows = test
        .counts
        .iter()
        .enumerate()
        .map(|(i, count)| {
            let observed = test.observed.get(i).copied().unwrap_or(0.0) * 100.0;
            let expected = test.expected.get(i).copied().unwrap_or(0.0) * 100.0;
            let z = test.z.get(i).copied().unwrap_or(0.0);
            // A significant deviation (Z above 1.96) is marked in words too.
            let flag = test
                .flagged
                .iter()
                .find(|f| f.digits as usize == i + first)
                .map(|f| {
                    if f.excess {
                        " more than expected"
                    } else {
                        " fewer than expected"
                    }
                });
            let digits = (i + first) as u32;
            let to_suspects = suspects.as_ref().and_then(|(buckets, open)| {
                buckets.contains(&digits).then(|| {
                    let open = *open;
                    let go = move |_| {
                        open.set(Some(digits));
                        let anchor = crate::evidence::bucket_anchor(digits);
                        if let Some(el) = web_sys::window()
                            .and_then(|w| w.document())
                            .and_then(|d| d.get_element_by_id(&anchor))
                        {
                            el.scroll_into_view();
                            if let Some(summary) = el.first_element_child() {
                                let summary: web_sys::HtmlElement = summary.unchecked_into();
                                let _ = summary.focus();
                            }
                        }
                    };
                    view! {
                        " "
                        <button type="button" class="to-suspects" on:click=go>
                            {format!("Show the numbers starting {digits}")}
                        </button>
                    }
                })
            });
            view! {
                <tr class:flagged=flag.is_some()>
                    <td>{i + first}</td>
                    <td>{*count}</td>
                    <td>{format!("{observed:.1}%")}</td>
                    <td>{format!("{expected:.1}%")}</td>
                    <td>{format!("{z:.2}")}{flag.unwrap_or_default()}{to_suspects}</td>
                </tr>
            }
        })
        .collect_view();
    // A chart too where the bins are few enough to see (not the 900 of the
    // first three digits).
    let chart = (test.counts.len() <= 100).then(|| {
        view! { <BenfordChart test=test.clone() first=first axis=caption.to_lowercase() class="digit-chart" /> }
    });
    view! {
        <details class="digit-table">
            <summary>{caption} " — " {verdict_text(&test)}</summary>
            <p class="reading">{test.reading.clone()}</p>
            {chart}
            <table>
                <thead>
                    <tr><th scope="col">"digits"</th><th scope="col">"count"</th><th scope="col">"observed"</th><th scope="col">"expected"</th><th scope="col">"Z"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </details>
    }
}

/// The most repeated amounts (Nigrini's number duplication test): each with
/// how often it occurs.
#[component]
pub fn Duplicates(tests: shared::forensics::amounts::AmountTests) -> impl IntoView {
    let summary = format!(
        "Most repeated amounts — {} amounts, {} distinct",
        tests.count, tests.distinct
    );
    let body = if tests.duplicates.is_empty() {
        view! { <p>"No amount occurs more than once."</p> }.into_any()
    } else {
        let rows = tests
            .duplicates
            .iter()
            .map(|d| view! { <tr><td>{d.amount.clone()}</td><td>{d.count}</td></tr> })
            .collect_view();
        view! {
            <table>
                <thead><tr><th scope="col">"amount"</th><th scope="col">"times"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <details class="digit-table duplicates">
            <summary>{summary}</summary>
            {body}
        </details>
    }
}

/// The tests on the amounts' values: summation (largest buckets),
/// mantissa arc and distortion factor, each with its figures and reading.
#[component]
pub fn Magnitudes(tests: shared::forensics::amounts::AmountTests) -> impl IntoView {
    let s = tests.summation.clone();
    let m = tests.mantissas.clone();
    let d = tests.distortion.clone();
    let largest = s
        .largest
        .iter()
        .map(|b| {
            let spike = b.times_expected >= 2.0;
            view! {
                <tr class:flagged=spike>
                    <td>{b.digits}</td>
                    <td>{format!("{:.1}%", b.share * 100.0)}</td>
                    <td>{format!("{:.1}×", b.times_expected)}</td>
                </tr>
            }
        })
        .collect_view();
    let flag = |on: bool| if on { "flagged" } else { "not flagged" };
    view! {
        <details class="digit-table magnitudes">
            <summary>"Summation, mantissa arc and distortion factor"</summary>
            <h4>"Summation"</h4>
            <p class="reading">{s.reading.clone()}</p>
            <table>
                <thead><tr><th scope="col">"first two digits"</th><th scope="col">"share of the total"</th><th scope="col">"times expected"</th></tr></thead>
                <tbody>{largest}</tbody>
            </table>
            <h4>"Mantissa arc"</h4>
            <p class="reading">{m.reading.clone()}</p>
            <p>{format!(
                "n {}, L² {:.5}, p {:.3} ({}); skewness {:.3} (0 expected), excess kurtosis {:.3} (−1.2 expected)",
                m.n, m.arc_l2, m.arc_p_value, flag(m.flagged), m.skewness, m.kurtosis
            )}</p>
            <h4>"Distortion factor"</h4>
            <p class="reading">{d.reading.clone()}</p>
            <p>{format!(
                "mean of the collapsed amounts {:.3}, expected {:.3}: {:+.2} %, Z {:.2} ({})",
                d.actual_mean, d.expected_mean, d.factor_percent, d.z, flag(d.flagged)
            )}</p>
        </details>
    }
}

/// The audit trail: every role of number, how many were found and used,
/// whether it was chosen and the rule that gives it; the number format.
#[component]
pub fn NumberRoles(report: Report) -> impl IntoView {
    let numbers = report.numbers.clone();
    let rows = numbers
        .roles
        .iter()
        .map(|r| {
            view! {
                <tr>
                    <th scope="row">{r.role.name().replace('_', " ")}</th>
                    <td>{r.found}</td>
                    <td>{r.used}</td>
                    <td>{if r.selected { "yes" } else { "no" }}</td>
                    <td>{r.rule.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let format = &numbers.format;
    let format_words = format!(
        "Number format: {} ({} pages written 1,234.56, {} pages written 1.234,56).",
        if format.detected.is_empty() {
            "1,234.56"
        } else {
            format.detected.as_str()
        },
        format.dot_decimal_pages,
        format.comma_decimal_pages
    );
    view! {
        <details class="digit-table roles">
            <summary>{format!("What the numbers are — {} found, {} used", numbers.found, numbers.used)}</summary>
            <p>{format_words}</p>
            <table>
                <thead>
                    <tr><th scope="col">"role"</th><th scope="col">"found"</th><th scope="col">"used"</th><th scope="col">"chosen"</th><th scope="col">"rule"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </details>
    }
}

/// Pages, version, metadata, words and numbers.
#[component]
pub fn Facts(report: Report) -> impl IntoView {
    let m = report.metadata.clone();
    let meta = [
        ("Title", m.title),
        ("Author", m.author),
        ("Producer", m.producer),
        ("Creator", m.creator),
        // PDF dates (`D:2015…`) shown as dates; anything else as written.
        (
            "Created",
            m.created
                .map(|d| shared::contract::report::pdf_date(&d).unwrap_or(d)),
        ),
        (
            "Modified",
            m.modified
                .map(|d| shared::contract::report::pdf_date(&d).unwrap_or(d)),
        ),
    ]
    .into_iter()
    .filter_map(|(k, v)| {
        v.filter(|v| !v.is_empty())
            .map(|v| view! { <dt>{k}</dt><dd>{v}</dd> })
    })
    .collect_view();
    view! {
        <dl class="facts">
            <dt>"Pages"</dt><dd>{report.pages}</dd>
            <dt>"PDF version"</dt><dd>{report.pdf_version.clone()}</dd>
            <dt>"Words"</dt><dd>{report.text.words}</dd>
            <dt>"Characters"</dt><dd>{report.text.chars}</dd>
            <dt>"Numbers found"</dt><dd>{report.numbers.found}</dd>
            <dt>"Numbers used"</dt><dd>{report.numbers.used}</dd>
            {meta}
        </dl>
    }
}

/// What the analysis could not read, one line per kind of trouble (nothing
/// when every page was read whole).
#[component]
pub fn Warnings(report: Report) -> impl IntoView {
    (!report.warnings.is_empty()).then(|| {
        let items = report
            .warnings
            .iter()
            .map(|w| view! { <li data-code=w.code.as_str()>{w.message.clone()}</li> })
            .collect_view();
        view! {
            <div class="warnings" role="note">
                <p>"Not every page could be read:"</p>
                <ul>{items}</ul>
            </div>
        }
    })
}

/// Per-page counts (a skipped page says so).
#[component]
pub fn Pages(report: Report) -> impl IntoView {
    let rows = report
        .per_page
        .iter()
        .map(|p| {
            if p.skipped {
                view! {
                    <tr class="skipped"><td>{p.page}</td><td colspan="3">"could not be read: skipped"</td></tr>
                }
                .into_any()
            } else {
                view! {
                    <tr><td>{p.page}</td><td>{p.words}</td><td>{p.numbers_found}</td><td>{p.numbers_used}</td></tr>
                }
                .into_any()
            }
        })
        .collect_view();
    view! {
        <details class="pages">
            <summary>"Per page"</summary>
            <table>
                <thead><tr><th scope="col">"page"</th><th scope="col">"words"</th><th scope="col">"numbers"</th><th scope="col">"used"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </details>
    }
}

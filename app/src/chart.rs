//! A digit test's chart as SVG: observed bars, Benford's expected shares
//! joined by a line, and the 95 % bounds as dashed lines; the layout is
//! computed apart from the view so the tests can check it.

use leptos::prelude::*;
use shared::forensics::benford::DigitTest;

/// The chart's drawing area.
pub const CHART_WIDTH: f64 = 360.0;
pub const CHART_HEIGHT: f64 = 200.0;
const PLOT_TOP: f64 = 10.0;
const PLOT_BOTTOM: f64 = 170.0;
const PLOT_LEFT: f64 = 36.0;

/// One bar of the chart: its digit, share observed and expected, and where
/// it is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub digit: usize,
    pub count: u64,
    pub observed: f64,
    pub expected: f64,
    pub x: f64,
    pub width: f64,
    /// Height of the observed bar, in drawing units.
    pub height: f64,
    /// Height of the expected marker above the axis.
    pub expected_height: f64,
    /// Heights of the share's bounds at 95 % (expected ± 1.96 standard
    /// errors plus the continuity correction): outside them a bin is
    /// flagged.
    pub lower_height: f64,
    pub upper_height: f64,
}

/// A bin's 95 % bounds for its share: `p ± (1.96 √(p(1−p)/n) + 1/(2n))`,
/// clamped to [0, 1]; `(p, p)` without numbers.
pub fn share_bounds(expected: f64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (expected, expected);
    }
    let nf = n as f64;
    let half = shared::forensics::benford::Z_CRITICAL * (expected * (1.0 - expected) / nf).sqrt()
        + 1.0 / (2.0 * nf);
    ((expected - half).max(0.0), (expected + half).min(1.0))
}

/// The largest share, observed, expected or an upper bound: the top of the
/// plot.
fn top_share(test: &DigitTest) -> f64 {
    test.observed
        .iter()
        .chain(test.expected.iter())
        .copied()
        .chain(test.expected.iter().map(|e| share_bounds(*e, test.n).1))
        .fold(0.0_f64, f64::max)
        .max(f64::EPSILON)
}

/// Lays out the first-digit bars: heights proportional to the shares, the
/// tallest of observed, expected and the bounds filling the plot.
pub fn bars(test: &DigitTest) -> Vec<Bar> {
    bars_from(test, 1)
}

/// [`bars`] for any digit test, its first bin's digits being `first`.
pub fn bars_from(test: &DigitTest, first: usize) -> Vec<Bar> {
    let n = test.counts.len().max(1);
    let top = top_share(test);
    let plot_height = PLOT_BOTTOM - PLOT_TOP;
    let slot = (CHART_WIDTH - PLOT_LEFT) / n as f64;
    (0..n)
        .map(|i| {
            let observed = test.observed.get(i).copied().unwrap_or(0.0);
            let expected = test.expected.get(i).copied().unwrap_or(0.0);
            let (lower, upper) = share_bounds(expected, test.n);
            Bar {
                digit: i + first,
                count: test.counts.get(i).copied().unwrap_or(0),
                observed,
                expected,
                x: PLOT_LEFT + i as f64 * slot + slot * 0.15,
                width: slot * 0.7,
                height: observed / top * plot_height,
                expected_height: expected / top * plot_height,
                lower_height: lower / top * plot_height,
                upper_height: upper / top * plot_height,
            }
        })
        .collect()
}

/// Gridlines of the chart's share axis: every 5 or 10 points up to the top,
/// as (share, height in drawing units).
pub fn ticks(test: &DigitTest) -> Vec<(f64, f64)> {
    let top = top_share(test);
    let step = if top > 0.25 { 0.10 } else { 0.05 };
    let plot_height = PLOT_BOTTOM - PLOT_TOP;
    (1..)
        .map(|i| f64::from(i) * step)
        .take_while(|share| *share <= top + 1e-9)
        .map(|share| (share, share / top * plot_height))
        .collect()
}

pub(crate) fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A digit test's chart: observed bars, expected markers joined by a line,
/// and the 95 % bounds as dashed lines (a bar beyond them is flagged). The
/// first-digit chart by default; `first`, `axis` and `class` for the others.
#[component]
pub fn BenfordChart(
    test: DigitTest,
    #[prop(default = 1)] first: usize,
    #[prop(into, default = "first digit".into())] axis: String,
    #[prop(default = "benford-chart")] class: &'static str,
) -> impl IntoView {
    let bars = bars_from(&test, first);
    // Few bins: each bar is a stop for the keyboard, with its label.
    let few = bars.len() <= 10;
    let bound_line = |height: fn(&Bar) -> f64| -> String {
        bars.iter()
            .map(|b| format!("{:.1},{:.1}", b.x + b.width / 2.0, PLOT_BOTTOM - height(b)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (upper, lower) = (
        bound_line(|b| b.upper_height),
        bound_line(|b| b.lower_height),
    );
    let line: String = bars
        .iter()
        .map(|b| {
            format!(
                "{:.1},{:.1}",
                b.x + b.width / 2.0,
                PLOT_BOTTOM - b.expected_height
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    let label = format!(
        "{} distribution of {} numbers: bars observed, dots expected by Benford's law, dashed lines the 95 % bounds",
        capitalised(&axis),
        test.n
    );
    view! {
        <figure class="chart">
            <svg
                viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}")
                role="img"
                aria-label=label
                class=class
            >
                {ticks(&test)
                    .into_iter()
                    .map(|(share, h)| {
                        let y = PLOT_BOTTOM - h;
                        view! {
                            <line class="grid" x1=PLOT_LEFT y1=y x2=CHART_WIDTH y2=y />
                            <text class="tick" x=PLOT_LEFT - 4.0 y=y + 4.0 text-anchor="end">
                                {format!("{:.0}%", share * 100.0)}
                            </text>
                        }
                    })
                    .collect_view()}
                <line class="axis" x1=PLOT_LEFT y1=PLOT_BOTTOM x2=CHART_WIDTH y2=PLOT_BOTTOM />
                {bars
                    .iter()
                    .map(|b| {
                        let tip = format!(
                            "digit {}: {} numbers, {:.1}% observed, {:.1}% expected",
                            b.digit,
                            b.count,
                            b.observed * 100.0,
                            b.expected * 100.0
                        );
                        let labelled = few || b.digit % 10 == 0;
                        view! {
                            <g class="bar-group" tabindex=few.then_some("0")>
                                <title>{tip}</title>
                                <rect
                                    class="bar"
                                    data-digit=b.digit
                                    x=format!("{:.2}", b.x)
                                    y=format!("{:.2}", PLOT_BOTTOM - b.height)
                                    width=format!("{:.2}", b.width)
                                    height=format!("{:.2}", b.height)
                                />
                                <circle
                                    class="expected"
                                    cx=format!("{:.2}", b.x + b.width / 2.0)
                                    cy=format!("{:.2}", PLOT_BOTTOM - b.expected_height)
                                    r=format!("{:.2}", (b.width / 1.4).min(3.5))
                                />
                                {labelled.then(|| view! {
                                    <text
                                        class="digit"
                                        x=format!("{:.1}", b.x + b.width / 2.0)
                                        y=PLOT_BOTTOM + 16.0
                                        text-anchor="middle"
                                    >
                                        {b.digit}
                                    </text>
                                })}
                            </g>
                        }
                    })
                    .collect_view()}
                <polyline class="expected-line" points=line fill="none" />
                <polyline class="bound-line" points=upper fill="none" />
                <polyline class="bound-line" points=lower fill="none" />
                <text class="axis-label" x=CHART_WIDTH / 2.0 y=CHART_HEIGHT - 4.0 text-anchor="middle">
                    {axis}
                </text>
            </svg>
            <figcaption>"Bars: the observed share of each bin. Dots: what Benford's law expects. Dashed lines: the 95 % bounds; a bar beyond them is flagged."</figcaption>
        </figure>
    }
}

//! A document's partial results and their merge: each slice of a long
//! document (or the one pass over a short one) gives a [`Partial`] — every
//! count of the report is additive — and the [`Merger`] adds them up in page
//! order and computes the tests once.

use serde::{Deserialize, Serialize};

use super::extract::PageProblem;
use super::runs::AmountRuns;
use crate::contract::api::{Warning, WarningCode};
use crate::contract::report::{
    Metadata, NumberStats, PageStats, ReadPath, Reading, Report, TextStats, Timings,
};
use crate::contract::tables::TableStats;
use crate::forensics::amounts::AmountTests;
use crate::forensics::benford::Tally;
use crate::forensics::list::NumberList;

use super::AnalysisError;

/// The counts of some of a document's pages (`first..=last`, 1-based): a
/// slice of a fanned-out analysis, stored until the last slice is in and
/// [`Merger`] adds them up. Everything in it is additive; the document's own
/// facts (version, metadata) are the same in every slice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partial {
    /// The document's pages (all of them, not the slice's).
    pub pages: u32,
    pub first: u32,
    pub last: u32,
    pub pdf_version: String,
    pub encrypted: bool,
    pub metadata: Metadata,
    pub reading: Reading,
    pub text: TextStats,
    pub numbers: NumberStats,
    pub tally: Tally,
    /// The tables of its pages (absent from partials stored before them).
    #[serde(default)]
    pub tables: TableStats,
    /// How many amounts the slice read.
    pub amounts_count: u64,
    /// The length of its run of them ([`Partial::run`]), once made.
    #[serde(default)]
    pub run_bytes: u64,
    /// The amounts themselves, in page order: kept apart from the stored
    /// partial (its run goes to storage of its own).
    #[serde(skip)]
    pub amounts: AmountRuns,
    /// The numbers found, in page order: kept apart from the stored partial
    /// too (the list goes to storage of its own).
    #[serde(skip)]
    pub listed: NumberList,
    pub per_page: Vec<PageStats>,
    pub problems: Vec<(u32, PageProblem)>,
    pub timings_ms: Timings,
}

impl Partial {
    /// The slice's amounts as a sorted run ([`runs::merge`] reads them
    /// back); they leave the partial.
    pub fn run(&mut self) -> Result<Vec<u8>, super::source::ReadError> {
        let run = std::mem::take(&mut self.amounts).into_run()?;
        self.run_bytes = run.len() as u64;
        Ok(run)
    }
}

/// Adds up the [`Partial`]s of a document's slices, in page order, into its
/// report: the same report one pass over every page gives (timings and
/// reads aside). A single pass is a merge of one partial.
#[derive(Debug, Default)]
pub struct Merger {
    pub(crate) first: Option<Partial>,
}

impl Merger {
    /// Adds the next slice (slices come in page order).
    pub fn add(&mut self, part: Partial) {
        let Some(sum) = &mut self.first else {
            self.first = Some(part);
            return;
        };
        sum.last = part.last;
        sum.encrypted |= part.encrypted;
        sum.reading = Reading {
            path: if part.reading.path == ReadPath::Whole {
                ReadPath::Whole
            } else {
                sum.reading.path
            },
            reads: sum.reading.reads + part.reading.reads,
            bytes_read: sum.reading.bytes_read + part.reading.bytes_read,
        };
        sum.text.chars += part.text.chars;
        sum.text.words += part.text.words;
        sum.numbers.merge(&part.numbers);
        sum.tally.merge(&part.tally);
        sum.tables.merge(part.tables);
        sum.amounts_count += part.amounts_count;
        sum.amounts.append(part.amounts);
        sum.listed.append(part.listed);
        sum.per_page.extend(part.per_page);
        sum.problems.extend(part.problems);
        sum.timings_ms.parse += part.timings_ms.parse;
        sum.timings_ms.extract += part.timings_ms.extract;
        sum.timings_ms.analyse += part.timings_ms.analyse;
    }

    /// Pages added so far.
    pub fn pages_in(&self) -> u32 {
        self.first.as_ref().map_or(0, |p| p.per_page.len() as u32)
    }

    /// The report of every page added, the amounts' tests over the amounts
    /// the partials held; the tests are computed here, once.
    pub fn finish(mut self, now_ms: &dyn Fn() -> f64) -> Result<Report, AnalysisError> {
        let amounts = self
            .first
            .as_mut()
            .map(|p| std::mem::take(&mut p.amounts))
            .unwrap_or_default();
        let tests = amounts.tests().map_err(|e| AnalysisError::Read(e.0))?;
        self.finish_with(tests, now_ms)
    }

    /// [`Merger::finish`] with the amounts' tests made elsewhere: by merging
    /// the slices' sorted runs ([`runs::merge`]) into
    /// [`crate::forensics::amounts::Ordered`]. The suspects come from the numbers the
    /// partials held; slices read back from storage hold none, so their
    /// merge finds the suspects over the stored lists ([`crate::forensics::evidence::Finder`]).
    pub fn finish_with(
        self,
        amounts: AmountTests,
        now_ms: &dyn Fn() -> f64,
    ) -> Result<Report, AnalysisError> {
        let Some(sum) = self.first else {
            return Err(AnalysisError::Damaged("the document has no pages".into()));
        };
        let pages_skipped: Vec<u32> = sum
            .per_page
            .iter()
            .filter(|p| p.skipped)
            .map(|p| p.page)
            .collect();
        if pages_skipped.len() as u32 == sum.pages {
            let why = sum
                .problems
                .iter()
                .find(|(page, p)| *page > 0 && p.code.skips_the_page())
                .map_or_else(String::new, |(page, p)| {
                    format!(" (page {page}: {})", p.detail)
                });
            let cut_short = sum
                .problems
                .iter()
                .any(|(page, p)| *page == 0 && p.code == WarningCode::TruncatedFile);
            let what = if cut_short {
                "the file ends early (cut short?), and no page is whole in it"
            } else {
                "no page could be read"
            };
            return Err(AnalysisError::Damaged(format!("{what}{why}")));
        }
        if sum.text.chars == 0 {
            return Err(AnalysisError::NoText);
        }
        let t0 = now_ms();
        let benford = sum.tally.finish();
        let mut numbers = sum.numbers;
        numbers.format.detected = numbers.format.summary();
        let mut tables = sum.tables;
        tables.finish();
        let mut timings = sum.timings_ms;
        timings.analyse += now_ms() - t0;
        let mut report = Report {
            pages: sum.pages,
            pdf_version: sum.pdf_version,
            encrypted: sum.encrypted,
            metadata: sum.metadata,
            text: sum.text,
            numbers,
            benford,
            amounts,
            tables,
            per_page: sum.per_page,
            warnings: warnings_of(&sum.problems),
            pages_skipped,
            reading: sum.reading,
            timings_ms: timings,
            suspects: Default::default(),
        };
        let mut finder = report.finder();
        for number in sum.listed.rows() {
            finder.push(&number);
        }
        report.suspects = report.suspects(finder);
        Ok(report)
    }
}

/// The report's warnings: one per kind of trouble, naming its pages, with
/// the first page's details as the example. A problem of page 0 is the
/// document's (a file cut short): it names no page.
pub fn warnings_of(problems: &[(u32, PageProblem)]) -> Vec<Warning> {
    let mut by_code: std::collections::BTreeMap<WarningCode, (Vec<u32>, &str, bool)> =
        std::collections::BTreeMap::new();
    for (page, problem) in problems {
        let entry = by_code
            .entry(problem.code)
            .or_insert_with(|| (Vec::new(), "", false));
        if *page == 0 {
            entry.2 = true;
            continue;
        }
        if entry.1.is_empty() {
            entry.1 = problem.detail.as_str();
        }
        if entry.0.last() != Some(page) {
            entry.0.push(*page);
        }
    }
    by_code
        .into_iter()
        .map(|(code, (pages, example, whole_document))| {
            let one = pages.len() == 1;
            let (was, has, uses) = if one {
                ("was", "has", "uses")
            } else {
                ("were", "have", "use")
            };
            let what = match code {
                WarningCode::UnreadableContent => format!("could not be read and {was} skipped"),
                WarningCode::UnsupportedFilter => {
                    format!("{uses} a compression the engine cannot decode and {was} skipped")
                }
                WarningCode::TruncatedContent => {
                    format!("{was} read only up to where its data breaks off")
                }
                WarningCode::UnmappedGlyphs => {
                    format!("{has} characters no font maps to text; numbers among them are missed")
                }
                WarningCode::TruncatedFile => {
                    format!("{was} skipped: the file ends before their data")
                }
            };
            let first = pages.first().copied().unwrap_or_default();
            let pages_part = format!(
                "{} page{} {what} (page {first}: {example})",
                pages.len(),
                if one { "" } else { "s" }
            );
            let message = match (whole_document, pages.is_empty()) {
                (true, true) => "The file ends early (cut short?): its objects were found by \
                                 scanning it, and every page found was read"
                    .to_owned(),
                (true, false) => format!(
                    "The file ends early (cut short?): its objects were found by scanning it; \
                     {pages_part}"
                ),
                _ => pages_part,
            };
            Warning {
                code,
                message,
                pages,
            }
        })
        .collect()
}

pub(crate) fn pages_capacity(count: u32) -> usize {
    count.min(10_000) as usize
}

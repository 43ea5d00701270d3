//! The PDF analysis engine (feature `analysis`): opens a PDF with lopdf,
//! extracts each page's text ([`extract`]), finds its numbers
//! ([`crate::reading::numbers`]) and runs the Benford tests ([`crate::forensics::benford`]),
//! producing a [`Report`] — or a typed [`AnalysisError`] whose code the job
//! carries. It never panics on bad input and takes its clock from the caller
//! (`std::time::Instant` does not exist on wasm32-unknown-unknown).
//!
//! [`Analysis`] runs page by page so the caller can publish progress between
//! pages (the queue consumer awaits between steps); [`analyse`] runs it all.
//!
//! Loading: [`loader`] reads the cross-reference data and only the objects
//! text extraction reaches from the catalog (not the structure tree,
//! annotations, image data, font programs…); a file it cannot read that way
//! (encrypted, cross-reference offsets that miss their objects) is loaded by lopdf in full,
//! dropping the same unread data as objects are read ([`LoadOptions::filter`]).
//!
//! Memory: each page's decoded content is dropped after the page; every
//! stream is inflated under a limit ([`Limits::max_stream_bytes`], 16 MiB),
//! which is the decompression-bomb guard; the buffer grows to the limit
//! without doubling past it, so refusing a bomb holds at most 1.5 × the limit
//! (`tests/memory.rs` counts it).

pub mod cmap;
mod document;
mod error;
pub mod extract;
pub mod fonts;
pub mod inflate;
pub mod layout;
pub mod lexer;
pub mod loader;
mod merge;
mod open;
pub mod population;
pub mod runs;
pub mod source;
mod tabulate;
pub mod texfonts;
pub mod tokens;
mod view;

use std::collections::HashSet;

use lopdf::{Document, ObjectId};
use source::{ByteSource, ReadStats};

use crate::contract::api::WarningCode;
use crate::contract::report::{NumberStats, PageStats, Report, TextStats, Timings};
use crate::contract::tables::TableStats;
use crate::forensics::amounts::Amount;
use crate::forensics::benford::Tally;
pub use crate::forensics::evidence::Listed;
use crate::forensics::evidence::{MAX_LISTED_PER_PAGE, page_mad};
use crate::forensics::list::{Entry, NumberList};
use crate::reading::columns::Columns;
use crate::reading::formats::{DocumentFormat, Evidence};
use crate::reading::numbers::{is_page_number_line, scan_numbers_in};
use crate::reading::roles::{Roles, classify};
use document::{media_box, metadata};
pub use error::AnalysisError;
use extract::{Extractor, PageProblem};
use layout::LineBox;
pub use merge::{Merger, Partial, warnings_of};
use runs::AmountRuns;

pub use crate::jobs::limits::Limits;

/// Loaded objects (bytes of stream data) beyond which those a page read are
/// let go before the next page (the catalog and the page tree stay).
const PAGE_OBJECTS_BUDGET: u64 = 8 << 20;

/// What reading a page's objects came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Loaded {
    /// Its objects are in `doc`.
    Ready,
    /// The file is read whole from now on, from the first page.
    Restarted,
    /// Its objects are not all in the file (one rebuilt by scanning).
    Missing(String),
}

/// How the document is read.
enum Reader<S> {
    /// By range reads: each page's objects when it comes.
    Ranged {
        ranged: Box<loader::Ranged<S>>,
        /// The objects kept between pages (catalog, information, page tree).
        base: HashSet<ObjectId>,
        /// Stream bytes read for pages since the last letting go.
        loaded: u64,
    },
    /// Whole, by lopdf (`doc` has every object).
    Whole { reads: ReadStats },
}

/// One document being analysed, page by page.
pub struct Analysis<S> {
    doc: Document,
    reader: Reader<S>,
    size: u64,
    pages: Vec<ObjectId>,
    /// The pages analysed, as indices into `pages` (`start..end`): all of
    /// them, or one slice ([`Analysis::only_pages`]).
    range: (usize, usize),
    next: usize,
    extractor: Extractor,
    limits: Limits,
    encrypted: bool,
    text: TextStats,
    numbers: NumberStats,
    tally: Tally,
    /// The amounts of the numbers used, for the tests that read them all.
    amounts: AmountRuns,
    /// Every number found, up to [`MAX_LISTED_PER_PAGE`] a page and
    /// `max_listed` in all.
    listed: NumberList,
    max_listed: usize,
    /// The roles of numbers that enter the tests.
    roles: Roles,
    /// The tables found, with the columns chosen for the tests (if any).
    tables: TableStats,
    /// The number format of the document so far, and of each page.
    formats: DocumentFormat,
    per_page: Vec<PageStats>,
    /// Each page's troubles, by kind (see [`warnings_of`]).
    problems: Vec<(u32, PageProblem)>,
    timings: Timings,
}

impl<S: ByteSource> Analysis<S> {
    /// The document's pages.
    pub fn pages_total(&self) -> u32 {
        self.pages.len() as u32
    }

    /// Pages done of those analysed (the document's, or the slice's).
    pub fn pages_done(&self) -> u32 {
        (self.next - self.range.0) as u32
    }

    /// Pages analysed: the document's, or the slice's.
    pub fn pages_in_range(&self) -> u32 {
        (self.range.1 - self.range.0) as u32
    }

    /// True when the file is read by range reads (not whole).
    pub fn by_ranges(&self) -> bool {
        matches!(self.reader, Reader::Ranged { .. })
    }

    /// Analyses only pages `first..=last` (1-based; clamped to the
    /// document), before the first step: one slice of a fanned-out
    /// document, whose [`Analysis::partial`] is merged with the others'.
    pub fn only_pages(&mut self, first: u32, last: u32) {
        let n = self.pages.len();
        let start = (first.max(1) as usize - 1).min(n);
        let end = (last as usize).clamp(start, n);
        self.range = (start, end);
        self.next = start;
    }

    /// Analyses the next page; `Ok(false)` once every page is done.
    pub async fn step(&mut self, now_ms: &dyn Fn() -> f64) -> Result<bool, AnalysisError> {
        if self.next >= self.range.1 {
            return Ok(false);
        }
        let Some(&page_id) = self.pages.get(self.next) else {
            return Ok(false);
        };
        let t0 = now_ms();
        let loaded = self.load_page(page_id, now_ms).await?;
        self.timings.parse += now_ms() - t0;
        if loaded == Loaded::Restarted {
            // Read whole from now on, from the first page.
            return Ok(true);
        }
        self.next += 1;
        let page_no = self.next as u32;
        if let Loaded::Missing(why) = loaded {
            self.problems.push((
                page_no,
                PageProblem {
                    code: WarningCode::TruncatedFile,
                    detail: format!("its objects are not all in the file ({why})"),
                },
            ));
            self.per_page.push(PageStats {
                page: page_no,
                skipped: true,
                ..PageStats::default()
            });
            return Ok(true);
        }
        let t0 = now_ms();
        let layout = self.layout_of(page_id)?;
        let text = &layout.text;
        let t1 = now_ms();
        self.timings.extract += t1 - t0;
        let mut problems = self.extractor.take_problems();
        let unmapped = text
            .chars()
            .filter(|c| *c == char::REPLACEMENT_CHARACTER)
            .count();
        if unmapped > 0 {
            problems.push(PageProblem {
                code: WarningCode::UnmappedGlyphs,
                detail: if unmapped == 1 {
                    "1 character has no mapping to text".to_owned()
                } else {
                    format!("{unmapped} characters have no mapping to text")
                },
            });
        }
        let skipped = problems.iter().any(|p| p.code.skips_the_page());
        self.problems
            .extend(problems.into_iter().map(|p| (page_no, p)));
        if skipped {
            // Whatever else the page had is left out too: a page read in
            // part would bias the counts without a word.
            self.per_page.push(PageStats {
                page: page_no,
                skipped: true,
                ..PageStats::default()
            });
            return Ok(true);
        }

        let mut stats = PageStats {
            page: page_no,
            ..PageStats::default()
        };
        // Every line of the layout has text, and its place (`LineBox`).
        let lines: Vec<(&str, &LineBox)> = text.lines().zip(&layout.lines).collect();
        let line_texts: Vec<&str> = lines.iter().map(|(t, _)| *t).collect();
        let mut cells = tabulate::PageCells::find(
            &line_texts,
            &layout.lines,
            &mut self.listed,
            self.tables.chosen.as_ref(),
        );
        let chosen_only = self.tables.chosen.is_some();
        let evidence = Evidence::of(text);
        let format = self.formats.page(evidence);
        self.numbers.format.add_page(format, evidence.any());
        let last = lines.len().saturating_sub(1);
        let roles = self.roles;
        let mut first_digits = [0u64; 9];
        let mut listed_on_page = 0usize;
        for (i, (line, place)) in lines.iter().enumerate() {
            stats.chars += line.chars().filter(|c| !c.is_whitespace()).count() as u64;
            stats.words += line.split_whitespace().count() as u64;
            let page_number_line = (i == 0 || i == last) && is_page_number_line(line, page_no);
            let (tally, amounts, listed, table) = (
                &mut self.tally,
                &mut self.amounts,
                &mut self.listed,
                &mut self.numbers.roles,
            );
            let max_listed = self.max_listed;
            let ascii = line.is_ascii();
            // The line's text is kept once for all its numbers.
            let mut line_id: Option<u32> = None;
            let mut listed_now = 0u64;
            let cells = &mut cells;
            scan_numbers_in(line, format, &mut |number| {
                stats.numbers_found += 1;
                let (role, why) = classify(line, &number, page_number_line);
                // Character indices (byte offsets on an ASCII line).
                let span = || {
                    if ascii {
                        (number.start, number.start + number.text.len())
                    } else {
                        let from = line[..number.start].chars().count();
                        (from, from + number.text.chars().count())
                    }
                };
                let spot = if cells.any() {
                    let (from, to) = span();
                    cells.spot(i, from, to)
                } else {
                    None
                };
                let used =
                    roles.contains(role) && number.used() && (!chosen_only || cells.chosen(spot));
                cells.count(spot, used);
                if let Some(row) = table.get_mut(role as usize) {
                    row.found += 1;
                    row.used += u64::from(used);
                }
                if listed.len() < max_listed && listed_on_page < MAX_LISTED_PER_PAGE {
                    let (from, to) = span();
                    let line = *line_id.get_or_insert_with(|| listed.line(page_no, line));
                    listed.push(Entry {
                        line,
                        start: number.start as u32,
                        len: number.text.len().min(usize::from(u16::MAX)) as u16,
                        format,
                        role,
                        why,
                        used,
                        bbox: place.bbox(from, to),
                        cell: cells.cell(spot),
                    });
                    listed_now += 1;
                    listed_on_page += 1;
                }
                if used {
                    stats.numbers_used += 1;
                    if let Some(digits) = number.digits() {
                        tally.add_digits(&digits);
                        first_digits[usize::from(digits.lead[0] - b'1')] += 1;
                    }
                    if let Some(amount) = Amount::of(&number) {
                        amounts.push(amount);
                    }
                }
            });
            self.numbers.listed += listed_now;
        }
        self.tables.add_tables(cells.finish(page_no, &layout.lines));
        stats.first_digit_mad = page_mad(&first_digits);
        self.text.chars += stats.chars;
        self.text.words += stats.words;
        self.numbers.found += stats.numbers_found;
        self.numbers.used += stats.numbers_used;
        self.per_page.push(stats);
        self.timings.analyse += now_ms() - t1;
        Ok(true)
    }

    /// A loaded page's text and line places.
    fn layout_of(&mut self, page_id: ObjectId) -> Result<layout::Layout, AnalysisError> {
        self.extractor.page_layout(&self.doc, page_id).map_err(|_| {
            AnalysisError::DecompressionBomb {
                limit: self.limits.max_stream_bytes,
            }
        })
    }

    /// Keeps at most `max` numbers for the list (the worker's bound on
    /// memory, `evidence::MAX_LISTED`); unbounded otherwise but for
    /// [`MAX_LISTED_PER_PAGE`].
    pub fn cap_listing(&mut self, max: usize) {
        self.max_listed = max;
    }

    /// Which roles of numbers enter the tests (before the first page;
    /// [`Roles::default`] otherwise).
    pub fn select_roles(&mut self, roles: Roles) {
        self.roles = roles;
        for row in &mut self.numbers.roles {
            row.selected = roles.contains(row.role);
        }
    }

    /// Which table columns' numbers alone enter the tests (before the
    /// first page; by default every number of a chosen role does, in a
    /// table or not).
    pub fn select_columns(&mut self, columns: Option<Columns>) {
        self.tables.chosen = columns;
    }

    /// What the pages analysed gave, once every one of them is done: the
    /// counts of one slice of a document, or of all of it.
    pub async fn partial(mut self, now_ms: &dyn Fn() -> f64) -> Result<Partial, AnalysisError> {
        while self.step(now_ms).await? {}
        Ok(Partial {
            pages: self.pages.len() as u32,
            first: self.range.0 as u32 + 1,
            last: self.range.1 as u32,
            pdf_version: self.doc.version.clone(),
            encrypted: self.encrypted,
            metadata: metadata(&self.doc),
            reading: self.reading(),
            text: self.text,
            numbers: self.numbers,
            tally: self.tally,
            tables: self.tables,
            amounts_count: self.amounts.len(),
            run_bytes: 0,
            amounts: self.amounts,
            listed: self.listed,
            per_page: self.per_page,
            problems: self.problems,
            timings_ms: self.timings,
        })
    }

    /// The report, once every page is done.
    pub async fn finish(self, now_ms: &dyn Fn() -> f64) -> Result<Report, AnalysisError> {
        let partial = self.partial(now_ms).await?;
        let mut merger = Merger::default();
        merger.add(partial);
        merger.finish(now_ms)
    }
}

/// Analyses one PDF held in memory; `on_progress(pages_done, pages_total)` is
/// called after each page.
pub fn analyse(
    bytes: &[u8],
    limits: &Limits,
    now_ms: &dyn Fn() -> f64,
    on_progress: &mut dyn FnMut(u32, u32),
) -> Result<Report, AnalysisError> {
    source::ready(analyse_from(bytes, limits, now_ms, on_progress)).unwrap_or_else(|| {
        Err(AnalysisError::Read(
            "a read from memory did not finish".into(),
        ))
    })
}

/// Analyses one PDF read from `bytes`; `on_progress(pages_done,
/// pages_total)` after each page.
pub async fn analyse_from<S: ByteSource>(
    bytes: S,
    limits: &Limits,
    now_ms: &dyn Fn() -> f64,
    on_progress: &mut dyn FnMut(u32, u32),
) -> Result<Report, AnalysisError> {
    let mut analysis = Analysis::open(bytes, limits, now_ms).await?;
    while analysis.step(now_ms).await? {
        on_progress(analysis.pages_done(), analysis.pages_total());
    }
    analysis.finish(now_ms).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::api::ErrorCode;
    use crate::contract::report::ReadPath;
    use std::path::PathBuf;

    fn corpus(name: &str) -> Vec<u8> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/corpus")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn run(bytes: &[u8]) -> (Result<Report, AnalysisError>, Vec<(u32, u32)>) {
        let start = std::time::Instant::now();
        let clock = move || start.elapsed().as_secs_f64() * 1000.0;
        let mut seen = Vec::new();
        let result = analyse(bytes, &Limits::default(), &clock, &mut |d, t| {
            seen.push((d, t))
        });
        (result, seen)
    }

    #[test]
    fn counts_pages_and_reports_progress() {
        let (report, progress) = run(&corpus("pdfplumber-ca-warn-report.pdf"));
        let report = report.unwrap();
        assert_eq!(report.pages, 16);
        assert!(!report.encrypted);
        assert_eq!(progress.len(), 16);
        assert_eq!(progress.last(), Some(&(16, 16)));
    }

    #[test]
    fn nics_table_has_one_page() {
        let report = run(&corpus("pdfplumber-nics-background-checks-2015-11.pdf"))
            .0
            .unwrap();
        assert_eq!(report.pages, 1);
        assert!(report.pdf_version.starts_with("1."));
    }

    #[test]
    fn a_password_protected_file_is_an_encrypted_error() {
        let err = run(&corpus("pdfplumber-password-example.pdf"))
            .0
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::Encrypted, "{err}");
    }

    #[test]
    fn non_pdf_and_empty_input_are_refused() {
        assert_eq!(run(b"hello world").0.unwrap_err(), AnalysisError::NotAPdf);
        assert_eq!(run(b"").0.unwrap_err(), AnalysisError::NotAPdf);
    }

    #[test]
    fn a_truncated_pdf_is_damaged_not_a_panic() {
        let bytes = corpus("pdfplumber-nics-background-checks-2015-11.pdf");
        for cut in [10, 100, 1000, bytes.len() / 2] {
            let (result, _) = run(&bytes[..cut]);
            if let Err(e) = result {
                assert_eq!(e.code(), ErrorCode::Damaged, "cut at {cut}: {e}");
            }
        }
    }

    #[test]
    fn limits_are_enforced_with_the_limit_in_the_message() {
        let bytes = corpus("pdfplumber-ca-warn-report.pdf");
        let clock = || 0.0;
        let small = Limits {
            max_bytes: 1000,
            max_pages: 5,
            ..Limits::default()
        };
        // The byte limit is for files read whole: one read by ranges is not
        // held to it…
        let few = Limits {
            max_bytes: 1000,
            ..Limits::default()
        };
        let report = analyse(&bytes, &few, &clock, &mut |_, _| {}).expect("read by ranges");
        assert_eq!(report.reading.path, ReadPath::Ranges);
        assert!(report.reading.reads >= 1);
        // …one that only a whole read can open is: here, trailers that name
        // no catalog.
        let mut broken = bytes.clone();
        let mut at = 0;
        while let Some(i) = broken[at..].windows(5).position(|w| w == b"/Root") {
            broken[at + i + 4] = b'o';
            at += i + 5;
        }
        let err = analyse(&broken, &small, &clock, &mut |_, _| {}).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Damaged);
        assert!(err.to_string().contains("1000 bytes"), "{err}");
        assert!(err.to_string().contains("reading it whole"), "{err}");
        // Cross-reference data that cannot be read is rebuilt by scanning
        // the objects, by range reads (a whole file: no warning).
        let mut wrong = bytes.clone();
        let at = wrong
            .windows(9)
            .rposition(|w| w == b"startxref")
            .expect("startxref");
        wrong.truncate(at);
        wrong.extend_from_slice(b"startxref\n999999999\n%%EOF\n");
        let rebuilt = analyse(&wrong, &Limits::default(), &clock, &mut |_, _| {}).expect("rebuilt");
        assert_eq!(rebuilt.reading.path, ReadPath::Ranges);
        assert_eq!(rebuilt.pages, 16);
        assert!(rebuilt.warnings.is_empty(), "{:?}", rebuilt.warnings);
        let whole = analyse(&bytes, &Limits::default(), &clock, &mut |_, _| {}).expect("whole");
        assert_eq!(rebuilt.numbers.found, whole.numbers.found);
        let few_pages = Limits {
            max_bytes: u64::MAX,
            max_pages: 5,
            ..Limits::default()
        };
        let err = analyse(&bytes, &few_pages, &clock, &mut |_, _| {}).unwrap_err();
        assert_eq!(
            err,
            AnalysisError::TooManyPages {
                pages: 16,
                limit: 5
            }
        );
    }
}

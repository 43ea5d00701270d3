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
//! (encrypted, a broken cross-reference table) is loaded by lopdf in full,
//! dropping the same unread data as objects are read ([`LoadOptions::filter`]).
//!
//! Memory: each page's decoded content is dropped after the page; every
//! stream is inflated under a limit ([`Limits::max_stream_bytes`], 16 MiB),
//! which is the decompression-bomb guard; the buffer grows to the limit
//! without doubling past it, so refusing a bomb holds at most 1.5 × the limit
//! (`tests/memory.rs` counts it).

pub mod cmap;
pub mod extract;
pub mod fonts;
pub mod inflate;
pub mod layout;
pub mod lexer;
pub mod loader;
pub mod runs;
pub mod source;
pub mod texfonts;
pub mod tokens;

use std::collections::HashSet;

use lopdf::{Document, LoadOptions, Object, ObjectId};
use serde::{Deserialize, Serialize};
use source::{ByteSource, Cached, ReadStats};

use crate::contract::api::{ErrorBody, ErrorCode, Warning, WarningCode};
use crate::contract::report::RoleStats;
use crate::contract::report::{
    Metadata, NumberStats, PageStats, ReadPath, Reading, Report, TextStats, Timings,
};
use crate::contract::validate::{human_bytes, looks_like_pdf};
use crate::forensics::amounts::{Amount, AmountTests};
use crate::forensics::benford::Tally;
pub use crate::forensics::evidence::Listed;
use crate::forensics::evidence::{MAX_LISTED_PER_PAGE, page_mad};
use crate::reading::numbers::{Evidence, RULES, is_page_number_line, scan_numbers_in};
use crate::reading::roles::{Roles, classify};
use extract::{Extractor, PageProblem};
use layout::LineBox;

/// Bounds that keep one analysis inside a Worker's 128 MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest document accepted, in bytes.
    pub max_bytes: u64,
    /// Most pages analysed.
    pub max_pages: u32,
    /// Most bytes any one stream may inflate to.
    pub max_stream_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 32 * 1024 * 1024,
            max_pages: 5_000,
            max_stream_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Why a document could not be analysed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    #[error("the file is not a PDF (no %PDF- header)")]
    NotAPdf,
    #[error("the PDF is encrypted and cannot be read without its password")]
    Encrypted,
    #[error("the PDF is damaged beyond repair: {0}")]
    Damaged(String),
    #[error("the PDF is {size} bytes; the analysis limit is {limit} bytes ({})", human_bytes(*.limit))]
    TooLarge { size: u64, limit: u64 },
    #[error("the PDF has {pages} pages; the analysis limit is {limit} pages")]
    TooManyPages { pages: u32, limit: u32 },
    #[error(
        "a stream in the PDF inflates beyond {} (a decompression bomb?)", human_bytes(*.limit as u64)
    )]
    DecompressionBomb { limit: usize },
    #[error("the PDF has no extractable text (a scanned image without OCR?)")]
    NoText,
    /// A file the range reads cannot open (`why`), too big to be read whole
    /// for lopdf's repairs or decryption: damaged (or encrypted) as far as
    /// this service can tell, and not read whole to find out.
    #[error(
        "the PDF cannot be read part by part ({why}), and repairing or decrypting it means \
         reading it whole, which is done up to {}: it is {size} bytes",
        human_bytes(*.limit)
    )]
    TooLargeToRepair {
        size: u64,
        limit: u64,
        why: String,
        encrypted: bool,
    },
    /// The bytes could not be read: not the document's fault (the caller
    /// tries again).
    #[error("{0}")]
    Read(String),
}

impl AnalysisError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AnalysisError::NotAPdf => ErrorCode::NotAPdf,
            AnalysisError::Encrypted => ErrorCode::Encrypted,
            AnalysisError::Damaged(_) => ErrorCode::Damaged,
            AnalysisError::TooLarge { .. } | AnalysisError::DecompressionBomb { .. } => {
                ErrorCode::TooLarge
            }
            AnalysisError::TooLargeToRepair { encrypted, .. } => {
                if *encrypted {
                    ErrorCode::Encrypted
                } else {
                    ErrorCode::Damaged
                }
            }
            AnalysisError::Read(_) => ErrorCode::AnalysisFailed,
            AnalysisError::TooManyPages { .. } => ErrorCode::TooManyPages,
            AnalysisError::NoText => ErrorCode::NoText,
        }
    }

    /// The `error` recorded on the failed job.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody::new(self.code(), self.to_string())
    }
}

/// Loaded objects (bytes of stream data) beyond which those a page read are
/// let go before the next page (the catalog and the page tree stay).
const PAGE_OBJECTS_BUDGET: u64 = 8 << 20;

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
    amounts: Vec<Amount>,
    /// Every number found, up to [`MAX_LISTED_PER_PAGE`] a page and
    /// `max_listed` in all.
    listed: Vec<Listed>,
    max_listed: usize,
    /// The roles of numbers that enter the tests.
    roles: Roles,
    per_page: Vec<PageStats>,
    /// Each page's troubles, by kind (see [`warnings_of`]).
    problems: Vec<(u32, PageProblem)>,
    timings: Timings,
}

impl<S: ByteSource> Analysis<S> {
    /// Opens the document and checks it can be analysed at all: by range
    /// reads when its cross-reference data can be read that way, else whole
    /// (up to [`Limits::max_bytes`]).
    pub async fn open(
        bytes: S,
        limits: &Limits,
        now_ms: &dyn Fn() -> f64,
    ) -> Result<Analysis<S>, AnalysisError> {
        let size = bytes.len();
        let t0 = now_ms();
        let opened = loader::open(bytes, limits.max_stream_bytes).await;
        Analysis::opened(opened, size, limits, now_ms, t0).await
    }

    /// [`Analysis::open`] for one slice: pages `first..=last` (1-based)
    /// only, the page tree walked with fewer reads where no page of the
    /// slice is ([`loader::open_for`]).
    pub async fn open_pages(
        bytes: S,
        limits: &Limits,
        now_ms: &dyn Fn() -> f64,
        first: u32,
        last: u32,
    ) -> Result<Analysis<S>, AnalysisError> {
        let size = bytes.len();
        let t0 = now_ms();
        let wanted = (first.max(1) as usize - 1, last as usize);
        let opened = loader::open_for(bytes, limits.max_stream_bytes, wanted).await;
        let mut analysis = Analysis::opened(opened, size, limits, now_ms, t0).await?;
        analysis.only_pages(first, last);
        Ok(analysis)
    }

    /// The analysis of a file the range reads opened — or, when they could
    /// not, of the file read whole.
    async fn opened(
        opened: Result<(loader::Ranged<S>, Document), (loader::LoadError, Cached<S>)>,
        size: u64,
        limits: &Limits,
        now_ms: &dyn Fn() -> f64,
        t0: f64,
    ) -> Result<Analysis<S>, AnalysisError> {
        let (ranged, doc) = match opened {
            Ok(opened) => opened,
            Err((loader::LoadError::Read(e), _)) => return Err(AnalysisError::Read(e)),
            Err((loader::LoadError::NoHeader, _)) => return Err(AnalysisError::NotAPdf),
            Err((why, bytes)) => return Analysis::whole(bytes, size, limits, now_ms, why).await,
        };
        let base = doc.objects.keys().copied().collect();
        let pages = ranged.pages.clone();
        Analysis::begin(
            doc,
            Reader::Ranged {
                ranged: Box::new(ranged),
                base,
                loaded: 0,
            },
            size,
            pages,
            false,
            limits,
            now_ms() - t0,
        )
    }

    /// Reads the file whole and loads it with lopdf (repairs, decryption):
    /// a file the range reads could not open (`why`), or whose page could
    /// not be read that way.
    async fn whole(
        bytes: Cached<S>,
        size: u64,
        limits: &Limits,
        now_ms: &dyn Fn() -> f64,
        why: loader::LoadError,
    ) -> Result<Analysis<S>, AnalysisError> {
        if size > limits.max_bytes {
            return Err(AnalysisError::TooLargeToRepair {
                size,
                limit: limits.max_bytes,
                encrypted: why == loader::LoadError::Encrypted,
                why: why.to_string(),
            });
        }
        let t0 = now_ms();
        let mut bytes = bytes;
        let data = bytes
            .read_whole()
            .await
            .map_err(|e| AnalysisError::Read(e.0))?;
        if !looks_like_pdf(&data) {
            return Err(AnalysisError::NotAPdf);
        }
        let options = LoadOptions {
            filter: Some(drop_unread_data),
            max_decompressed_size: Some(limits.max_stream_bytes),
            ..LoadOptions::default()
        };
        let doc = Document::load_mem_with_options(&data, options)
            .map_err(|e| classify_load_error(e, limits))?;
        drop(data);
        let encrypted = doc.trailer.get(b"Encrypt").is_ok() || doc.was_encrypted();
        let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
        if pages.is_empty() {
            // lopdf loads some encrypted files it cannot decrypt as 0 pages, no error.
            return Err(if encrypted {
                AnalysisError::Encrypted
            } else {
                AnalysisError::Damaged("the document has no pages".into())
            });
        }
        if doc.is_encrypted() {
            // Still encrypted after loading: lopdf could not decrypt it.
            return Err(AnalysisError::Encrypted);
        }
        let reads = bytes.stats();
        Analysis::begin(
            doc,
            Reader::Whole { reads },
            size,
            pages,
            encrypted,
            limits,
            now_ms() - t0,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn begin(
        doc: Document,
        reader: Reader<S>,
        size: u64,
        pages: Vec<ObjectId>,
        encrypted: bool,
        limits: &Limits,
        parse_ms: f64,
    ) -> Result<Analysis<S>, AnalysisError> {
        let count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
        if count > limits.max_pages {
            return Err(AnalysisError::TooManyPages {
                pages: count,
                limit: limits.max_pages,
            });
        }
        Ok(Analysis {
            doc,
            reader,
            size,
            range: (0, pages.len()),
            pages,
            next: 0,
            extractor: Extractor::new(limits.max_stream_bytes),
            limits: *limits,
            encrypted,
            text: TextStats::default(),
            numbers: NumberStats {
                rules: RULES.to_owned(),
                roles: RoleStats::table(Roles::default()),
                ..NumberStats::default()
            },
            tally: Tally::default(),
            amounts: Vec::new(),
            listed: Vec::new(),
            max_listed: usize::MAX,
            roles: Roles::default(),
            per_page: Vec::with_capacity(pages_capacity(count)),
            problems: Vec::new(),
            timings: Timings {
                parse: parse_ms,
                ..Timings::default()
            },
        })
    }

    /// How the file is being read, and the reads so far.
    pub fn reading(&self) -> Reading {
        match &self.reader {
            Reader::Ranged { ranged, .. } => {
                let stats = ranged.stats();
                Reading {
                    path: ReadPath::Ranges,
                    reads: stats.reads,
                    bytes_read: stats.bytes,
                }
            }
            Reader::Whole { reads } => Reading {
                path: ReadPath::Whole,
                reads: reads.reads,
                bytes_read: reads.bytes,
            },
        }
    }

    /// Reads the objects of page `page_id` (range reads only). A page whose
    /// objects cannot be read that way sends the whole analysis to the
    /// whole-file path, from its first page (`Ok(false)`).
    async fn load_page(
        &mut self,
        page_id: ObjectId,
        now_ms: &dyn Fn() -> f64,
    ) -> Result<bool, AnalysisError> {
        let Reader::Ranged {
            ranged,
            base,
            loaded,
        } = &mut self.reader
        else {
            return Ok(true);
        };
        if *loaded > PAGE_OBJECTS_BUDGET {
            self.doc.objects.retain(|id, _| base.contains(id));
            *loaded = 0;
        }
        match ranged.load_page(&mut self.doc, page_id).await {
            Ok(added) => {
                *loaded += added;
                Ok(true)
            }
            Err(loader::LoadError::Read(e)) => Err(AnalysisError::Read(e)),
            Err(why) => {
                // A page tree not as its counts said: open again, reading every
                // kid; anything else: read the file whole. Either way, from the
                // first page.
                let careful = ranged.careful();
                let reader = std::mem::replace(
                    &mut self.reader,
                    Reader::Whole {
                        reads: ReadStats::default(),
                    },
                );
                let Reader::Ranged { ranged, .. } = reader else {
                    return Ok(true);
                };
                let limits = self.limits;
                let t0 = now_ms();
                let bytes = ranged.into_bytes();
                let reopened = match why {
                    loader::LoadError::PageTree if !careful => {
                        loader::reopen_carefully(bytes, limits.max_stream_bytes).await
                    }
                    why => Err((why, bytes)),
                };
                let range = self.range;
                *self = Analysis::opened(reopened, self.size, &limits, now_ms, t0).await?;
                self.range = (range.0.min(self.pages.len()), range.1.min(self.pages.len()));
                self.next = self.range.0;
                Ok(false)
            }
        }
    }

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
        if !self.load_page(page_id, now_ms).await? {
            // Read whole from now on, from the first page.
            return Ok(true);
        }
        self.timings.parse += now_ms() - t0;
        self.next += 1;
        let page_no = self.next as u32;
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
        let evidence = Evidence::of(text);
        let format = evidence.format();
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
            // One copy of the line for all its numbers.
            let mut line_rc: Option<std::rc::Rc<str>> = None;
            let mut listed_now = 0u64;
            scan_numbers_in(line, format, &mut |number| {
                stats.numbers_found += 1;
                let (role, why) = classify(line, &number, page_number_line);
                let used = roles.contains(role) && number.used();
                if let Some(row) = table.get_mut(role as usize) {
                    row.found += 1;
                    row.used += u64::from(used);
                }
                let amount = Amount::of(&number);
                if listed.len() < max_listed && listed_on_page < MAX_LISTED_PER_PAGE {
                    // Character indices (byte offsets on an ASCII line).
                    let (from, to) = if ascii {
                        (number.start, number.start + number.text.len())
                    } else {
                        let from = line[..number.start].chars().count();
                        (from, from + number.text.chars().count())
                    };
                    listed.push(Listed {
                        page: page_no,
                        text: number.text.to_owned(),
                        value: amount.map(Amount::to_text),
                        role,
                        why: std::borrow::Cow::Borrowed(why),
                        used,
                        bbox: place.bbox(from, to),
                        line: std::rc::Rc::clone(
                            line_rc.get_or_insert_with(|| std::rc::Rc::from(*line)),
                        ),
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
                    amounts.extend(amount);
                }
            });
            self.numbers.listed += listed_now;
        }
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

    /// The text lines of page `page` (1-based) with their boxes and the
    /// page's media box, for drawing it (`GET /jobs/{id}/pages/{n}`).
    pub async fn view_page(
        &mut self,
        page: u32,
        now_ms: &dyn Fn() -> f64,
    ) -> Result<crate::forensics::evidence::PageView, AnalysisError> {
        let index = page.checked_sub(1).map(|i| i as usize);
        let Some(index) = index.filter(|i| *i < self.pages.len()) else {
            return Err(AnalysisError::Damaged(format!(
                "the document has no page {page}"
            )));
        };
        // A page tree read again whole starts over: ask once more.
        let mut page_id = self.pages[index];
        if !self.load_page(page_id, now_ms).await? {
            page_id = *self.pages.get(index).ok_or_else(|| {
                AnalysisError::Damaged(format!("the document has no page {page}"))
            })?;
            self.load_page(page_id, now_ms).await?;
        }
        let layout = self.layout_of(page_id)?;
        let lines = layout
            .text
            .lines()
            .zip(&layout.lines)
            .filter_map(|(text, place)| {
                Some(crate::forensics::evidence::ViewLine {
                    text: text.to_owned(),
                    bbox: place.bbox(0, place.spans.len())?,
                    size: (place.em * 100.0).round() / 100.0,
                })
            })
            .collect();
        Ok(crate::forensics::evidence::PageView {
            page,
            media_box: media_box(&self.doc, page_id),
            lines,
        })
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
            amounts_count: self.amounts.len() as u64,
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
    /// How many amounts the slice read.
    pub amounts_count: u64,
    /// The length of its run of them ([`Partial::run`]), once made.
    #[serde(default)]
    pub run_bytes: u64,
    /// The amounts themselves, in page order: kept apart from the stored
    /// partial (its run goes to storage of its own).
    #[serde(skip)]
    pub amounts: Vec<Amount>,
    /// The numbers found, in page order: kept apart from the stored partial
    /// too (the list goes to storage of its own).
    #[serde(skip)]
    pub listed: Vec<Listed>,
    pub per_page: Vec<PageStats>,
    pub problems: Vec<(u32, PageProblem)>,
    pub timings_ms: Timings,
}

impl Partial {
    /// The slice's amounts as a sorted run ([`runs::merge`] reads them
    /// back); they leave the partial.
    pub fn run(&mut self) -> Vec<u8> {
        let mut amounts = std::mem::take(&mut self.amounts);
        let run = crate::forensics::amounts::run_bytes(&mut amounts);
        self.run_bytes = run.len() as u64;
        run
    }
}

/// Adds up the [`Partial`]s of a document's slices, in page order, into its
/// report: the same report one pass over every page gives (timings and
/// reads aside). A single pass is a merge of one partial.
#[derive(Debug, Default)]
pub struct Merger {
    first: Option<Partial>,
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
        sum.amounts_count += part.amounts_count;
        sum.amounts.extend(part.amounts);
        sum.listed.extend(part.listed);
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
        self.finish_with(crate::forensics::amounts::tests_of(amounts), now_ms)
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
                .find(|(_, p)| p.code.skips_the_page())
                .map_or_else(String::new, |(page, p)| {
                    format!(" (page {page}: {})", p.detail)
                });
            return Err(AnalysisError::Damaged(format!(
                "no page could be read{why}"
            )));
        }
        if sum.text.chars == 0 {
            return Err(AnalysisError::NoText);
        }
        let t0 = now_ms();
        let benford = sum.tally.finish();
        let mut numbers = sum.numbers;
        numbers.format.detected = numbers.format.summary();
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
            per_page: sum.per_page,
            warnings: warnings_of(&sum.problems),
            pages_skipped,
            reading: sum.reading,
            timings_ms: timings,
            suspects: Default::default(),
        };
        let mut finder = report.finder();
        for number in &sum.listed {
            finder.push(number);
        }
        report.suspects = report.suspects(finder);
        Ok(report)
    }
}

/// The report's warnings: one per kind of trouble, naming its pages, with
/// the first page's details as the example.
pub fn warnings_of(problems: &[(u32, PageProblem)]) -> Vec<Warning> {
    let mut by_code: std::collections::BTreeMap<WarningCode, (Vec<u32>, &str)> =
        std::collections::BTreeMap::new();
    for (page, problem) in problems {
        let entry = by_code
            .entry(problem.code)
            .or_insert_with(|| (Vec::new(), problem.detail.as_str()));
        if entry.0.last() != Some(page) {
            entry.0.push(*page);
        }
    }
    by_code
        .into_iter()
        .map(|(code, (pages, example))| {
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
            };
            let first = pages.first().copied().unwrap_or_default();
            Warning {
                code,
                message: format!(
                    "{} page{} {what} (page {first}: {example})",
                    pages.len(),
                    if one { "" } else { "s" }
                ),
                pages,
            }
        })
        .collect()
}

fn pages_capacity(count: u32) -> usize {
    count.min(10_000) as usize
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

/// A page's media box (inherited from the page tree when the page has
/// none), US Letter when neither says.
fn media_box(doc: &Document, page_id: ObjectId) -> [f64; 4] {
    let mut id = page_id;
    for _ in 0..32 {
        let Ok(dict) = doc.get_dictionary(id) else {
            break;
        };
        if let Ok(array) = dict
            .get(b"MediaBox")
            .and_then(|o| doc.dereference(o))
            .and_then(|(_, o)| o.as_array())
        {
            let v: Vec<f64> = array
                .iter()
                .filter_map(|o| match o {
                    Object::Integer(i) => Some(*i as f64),
                    Object::Real(r) => Some(f64::from(*r)),
                    _ => None,
                })
                .collect();
            if let [x0, y0, x1, y1] = v[..] {
                return [x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)];
            }
        }
        match dict.get(b"Parent").and_then(Object::as_reference) {
            Ok(parent) => id = parent,
            Err(_) => break,
        }
    }
    [0.0, 0.0, 612.0, 792.0]
}

/// Load filter: keeps every object, but empties the streams text extraction
/// never reads (images, embedded font programs, XMP metadata).
///
/// lopdf keeps a top-level object as the filter left it and uses the returned
/// copy only for objects inside object streams, which are never streams: so a
/// stream is emptied in place, and other objects are returned as copies.
fn drop_unread_data(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    if let Object::Stream(stream) = object {
        if loader::data_unread(&stream.dict) {
            stream.content = Vec::new();
        }
        return Some((id, Object::Null));
    }
    Some((id, object.clone()))
}

fn classify_load_error(e: lopdf::Error, limits: &Limits) -> AnalysisError {
    match e {
        lopdf::Error::Decryption(_)
        | lopdf::Error::InvalidPassword
        | lopdf::Error::AlreadyEncrypted => AnalysisError::Encrypted,
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => {
            AnalysisError::DecompressionBomb {
                limit: limits.max_stream_bytes,
            }
        }
        other => AnalysisError::Damaged(other.to_string()),
    }
}

fn metadata(doc: &Document) -> Metadata {
    let info = doc.trailer.get(b"Info").ok().and_then(|o| match o {
        Object::Reference(id) => doc.get_dictionary(*id).ok(),
        Object::Dictionary(d) => Some(d),
        _ => None,
    });
    let Some(info) = info else {
        return Metadata::default();
    };
    let text = |key: &[u8]| {
        info.get(key)
            .ok()
            .and_then(|o| match o {
                Object::Reference(id) => doc.get_object(*id).ok(),
                other => Some(other),
            })
            .and_then(|o| lopdf::decode_text_string(o).ok())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    Metadata {
        title: text(b"Title"),
        author: text(b"Author"),
        producer: text(b"Producer"),
        creator: text(b"Creator"),
        created: text(b"CreationDate"),
        modified: text(b"ModDate"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        // …one that only a whole read can repair is.
        let mut broken = bytes.clone();
        let at = broken
            .windows(9)
            .rposition(|w| w == b"startxref")
            .expect("startxref");
        broken.truncate(at);
        broken.extend_from_slice(b"startxref\n999999999\n%%EOF\n");
        let err = analyse(&broken, &small, &clock, &mut |_, _| {}).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Damaged);
        assert!(err.to_string().contains("1000 bytes"), "{err}");
        assert!(err.to_string().contains("reading it whole"), "{err}");
        let repaired =
            analyse(&broken, &Limits::default(), &clock, &mut |_, _| {}).expect("lopdf repairs it");
        assert_eq!(repaired.reading.path, ReadPath::Whole);
        assert_eq!(repaired.pages, 16);
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

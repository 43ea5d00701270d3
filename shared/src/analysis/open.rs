//! Opening a document for an analysis: by range reads when its
//! cross-reference data allows (only the objects text extraction needs),
//! else whole and repaired by lopdf up to the byte limit; and loading one
//! page's objects when its turn comes.

use super::runs::AmountRuns;
use super::source::{ByteSource, Cached, ReadStats};
use lopdf::{Document, LoadOptions, ObjectId};

use super::document::{classify_load_error, drop_unread_data};
use super::extract::Extractor;
use super::merge::pages_capacity;
use crate::contract::report::RoleStats;
use crate::contract::report::{NumberStats, ReadPath, Reading, TextStats, Timings};
use crate::contract::validate::looks_like_pdf;
use crate::forensics::benford::Tally;
use crate::forensics::list::NumberList;
use crate::reading::numbers::RULES;
use crate::reading::roles::Roles;

use super::extract::PageProblem;
use super::{Analysis, AnalysisError, Limits, Loaded, PAGE_OBJECTS_BUDGET, Reader, loader};
use crate::contract::api::WarningCode;

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
    pub(super) async fn opened(
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
        let cut_short = ranged.recovered.is_some_and(|r| !r.whole);
        let mut analysis = Analysis::begin(
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
        )?;
        if cut_short {
            // Said of the document (page 0), besides the pages it costs.
            analysis.problems.push((
                0,
                PageProblem {
                    code: WarningCode::TruncatedFile,
                    detail: "the file ends before its cross-reference data; its objects were \
                             found by scanning it"
                        .to_owned(),
                },
            ));
        }
        Ok(analysis)
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
        let doc = Document::load_mem_with_options(&data, options).map_err(|e| {
            if why == loader::LoadError::NoWholePage {
                // lopdf cannot either: say what the scan found.
                AnalysisError::Damaged(why.to_string())
            } else {
                classify_load_error(e, limits)
            }
        })?;
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
    pub(super) fn begin(
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
            amounts: AmountRuns::default(),
            listed: NumberList::default(),
            max_listed: usize::MAX,
            roles: Roles::default(),
            tables: Default::default(),
            formats: crate::reading::formats::DocumentFormat::default(),
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
    /// whole-file path, from its first page ([`Loaded::Restarted`]) — but in
    /// a file rebuilt by scanning, where it is left out ([`Loaded::Missing`]).
    pub(super) async fn load_page(
        &mut self,
        page_id: ObjectId,
        now_ms: &dyn Fn() -> f64,
    ) -> Result<Loaded, AnalysisError> {
        let Reader::Ranged {
            ranged,
            base,
            loaded,
        } = &mut self.reader
        else {
            return Ok(Loaded::Ready);
        };
        if *loaded > PAGE_OBJECTS_BUDGET {
            self.doc.objects.retain(|id, _| base.contains(id));
            *loaded = 0;
        }
        match ranged.load_page(&mut self.doc, page_id).await {
            Ok(added) => {
                *loaded += added;
                Ok(Loaded::Ready)
            }
            Err(loader::LoadError::Read(e)) => Err(AnalysisError::Read(e)),
            // A file rebuilt by scanning: a page whose objects are not all
            // there is left out (there is no better copy to read).
            Err(why) if ranged.recovered.is_some() => Ok(Loaded::Missing(why.to_string())),
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
                    return Ok(Loaded::Ready);
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
                let (range, roles, max_listed) = (self.range, self.roles, self.max_listed);
                let columns = self.tables.chosen.take();
                *self = Analysis::opened(reopened, self.size, &limits, now_ms, t0).await?;
                // What the caller chose survives the new start.
                self.select_roles(roles);
                self.select_columns(columns);
                self.cap_listing(max_listed);
                self.range = (range.0.min(self.pages.len()), range.1.min(self.pages.len()));
                self.next = self.range.0;
                Ok(Loaded::Restarted)
            }
        }
    }
}

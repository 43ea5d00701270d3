//! Loads only the part of a PDF that text extraction reads.
//!
//! lopdf's `Document::load` parses every object in the file before anything
//! can be read, and most of a typical file is never looked at for its text: a
//! tagged PDF from a word processor carries thousands of structure elements
//! (`ca-warn-report`: 9,855 objects for 16 pages), and images, embedded fonts,
//! annotations, outlines and colour profiles add more. [`load`] reads the
//! cross-reference data instead and then only the objects reachable from the
//! catalog and the document information dictionary, not following the keys
//! in [`UNREAD_KEYS`]; image data is not copied. What it builds is an ordinary
//! lopdf [`Document`] holding those objects, so the extractor works on it
//! unchanged.
//!
//! It reads what a well-formed file states. A file with no cross-reference
//! data to read (no `startxref`: most often a file cut short) has it rebuilt
//! by scanning the objects ([`recover`]), by range reads too. Anything else —
//! a cross-reference offset that does not lead to its object, a broken
//! trailer, an encrypted file, nesting deeper than lopdf accepts, no pages —
//! gives up with a [`LoadError`]; the caller then loads the file with lopdf,
//! whose repairs and decryption this module does not repeat. A reference to
//! an object that does not exist, or is free, is a null, as in lopdf — but
//! in a rebuilt file, where it was cut off ([`LoadError::Missing`]).

mod pages;
mod parse;
mod recover;
mod xref;

use pages::*;
use parse::*;

use std::collections::HashSet;

use foldhash::HashMap;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat};

use super::lexer::Lexer;
use super::source::{ByteSource, Cached, MAX_READ_AHEAD, ReadStats, ready};
use super::tokens::{is_delimiter, is_space, parse_number};
use crate::contract::validate::{PDF_HEADER_WINDOW, looks_like_pdf};

/// Deepest nesting of arrays and dictionaries read (lopdf's own limit: a
/// deeper file is left to lopdf, so both paths treat it alike).
const MAX_DEPTH: usize = 100;
/// Most cross-reference sections followed through `/Prev`.
const MAX_SECTIONS: usize = 256;
/// Decoded object streams kept while loading.
const MAX_CACHED_CONTAINERS: usize = 16;

/// Dictionary keys whose values text extraction never reads, so the objects
/// they lead to are not loaded: the structure tree, outlines, annotations,
/// forms, name trees, metadata streams, colour spaces and profiles,
/// patterns, shadings, graphics states, optional-content properties,
/// embedded font programs, thumbnails and article beads.
pub const UNREAD_KEYS: [&[u8]; 28] = [
    b"StructTreeRoot",
    b"ParentTree",
    b"Outlines",
    b"Annots",
    b"AcroForm",
    b"Names",
    b"Dests",
    b"Threads",
    b"B",
    b"OpenAction",
    b"AA",
    b"Metadata",
    b"PieceInfo",
    b"OCProperties",
    b"OutputIntents",
    b"PageLabels",
    b"ColorSpace",
    b"Pattern",
    b"Shading",
    b"ExtGState",
    b"Properties",
    b"FontFile",
    b"FontFile2",
    b"FontFile3",
    b"CIDSet",
    b"Thumb",
    b"SMask",
    b"Group",
];

/// Why the file was not loaded here (the caller loads it with lopdf).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("no %PDF- header")]
    NoHeader,
    #[error("no startxref")]
    NoStartXref,
    #[error("unreadable cross-reference data at byte {0}")]
    Xref(usize),
    #[error("the trailer names no catalog")]
    NoCatalog,
    #[error("the file is encrypted")]
    Encrypted,
    #[error("object {0} is not where the cross-reference data says")]
    Object(u32),
    #[error("object stream {0} is unreadable")]
    ObjectStream(u32),
    #[error("the page tree has no pages")]
    NoPages,
    /// The bytes could not be read (not the file's fault).
    #[error("{0}")]
    Read(String),
    /// A kid the quick page-tree walk took for a page is not one.
    #[error("the page tree is not as its counts say")]
    PageTree,
    /// In a file whose cross-reference data was rebuilt by scanning: an
    /// object it refers to is not in the file (cut off).
    #[error("object {0} is not in the file")]
    Missing(u32),
    /// A file cut short, rebuilt by scanning, that holds no page.
    #[error("the file ends early (cut short?), before any of its pages")]
    NoWholePage,
}

/// Where an object is, from the cross-reference data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Free,
    /// At this byte offset (from the `%PDF-` header).
    Normal(usize),
    /// Member `index` of the object stream `container`.
    Compressed {
        container: u32,
        index: usize,
    },
}

/// A decoded object stream: its data and each member's number and offset.
struct Container {
    data: Vec<u8>,
    members: Vec<(u32, usize)>,
}

/// How much of an object [`Source::parse_at`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// A stream with its data (unless [`data_unread`]).
    Everything,
    /// The value only: a stream's dictionary is returned as a dictionary,
    /// its `/Length` not looked up (which is what makes looking up a
    /// `/Length` itself never recurse).
    ValueOnly,
}

/// The first window read to parse an object or a cross-reference table;
/// it grows (×4) while what is parsed runs past its end.
const FIRST_WINDOW: u64 = 4 << 10;
/// The largest window (a table of 800,000 objects).
const MAX_WINDOW: u64 = 16 << 20;
/// How far past an `endstream` that is not where `/Length` says the next
/// one is looked for, per read.
const SCAN: u64 = 1 << 20;

/// The file (from its `%PDF-` header, where offsets count from) and its
/// cross-reference data.
struct Source<S> {
    bytes: Cached<S>,
    /// Where the header is in the file.
    base: u64,
    /// Bytes from the header to the end of the file.
    len: u64,
    xref: HashMap<u32, Entry>,
    trailer: Dictionary,
    max_stream_bytes: usize,
    containers: HashMap<u32, Container>,
    /// Object streams being decoded (one's `/Length` may be in another).
    decoding: usize,
    /// The cross-reference data was rebuilt by scanning ([`recover`]).
    recovered: bool,
}

/// A document opened by range reads: its cross-reference data, its pages in
/// order, and the means to read each page's objects when it comes.
pub struct Ranged<S> {
    source: Source<S>,
    pub pages: Vec<ObjectId>,
    /// Whether the page tree was walked reading every kid.
    careful: bool,
    /// What the scan found, when the cross-reference data was rebuilt.
    pub recovered: Option<Recovered>,
}

/// A file whose cross-reference data was rebuilt by scanning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    /// The file ends with `%%EOF`: whole, its cross-reference data wrong
    /// (otherwise cut short).
    pub whole: bool,
}

/// Opens a PDF by range reads: the cross-reference data, the catalog and
/// the document information (with what they refer to, not following
/// [`UNREAD_KEYS`]), and the page tree's nodes — not its pages, which
/// [`Ranged::load_page`] reads one at a time. On failure the source comes
/// back, for the caller to read the file whole.
pub async fn open<S: ByteSource>(
    bytes: S,
    max_stream_bytes: usize,
) -> Result<(Ranged<S>, Document), (LoadError, Cached<S>)> {
    open_cached(Cached::new(bytes), max_stream_bytes, false, None).await
}

/// [`open`] for a slice that reads only pages `wanted` (indices, `start..end`):
/// the quick walk takes a flat node none of whose pages is wanted without
/// reading its first kid (one read fewer for each node of the tree). The
/// pages' order and number are the same; a node it did not look into is
/// never read from.
pub async fn open_for<S: ByteSource>(
    bytes: S,
    max_stream_bytes: usize,
    wanted: (usize, usize),
) -> Result<(Ranged<S>, Document), (LoadError, Cached<S>)> {
    open_cached(Cached::new(bytes), max_stream_bytes, false, Some(wanted)).await
}

/// [`open`] again, reading every kid of the page tree to learn its type
/// (after a page the quick walk took for one turned out not to be).
pub async fn reopen_carefully<S: ByteSource>(
    bytes: Cached<S>,
    max_stream_bytes: usize,
) -> Result<(Ranged<S>, Document), (LoadError, Cached<S>)> {
    open_cached(bytes, max_stream_bytes, true, None).await
}

async fn open_cached<S: ByteSource>(
    mut bytes: Cached<S>,
    max_stream_bytes: usize,
    careful: bool,
    wanted: Option<(usize, usize)>,
) -> Result<(Ranged<S>, Document), (LoadError, Cached<S>)> {
    let head = match bytes.read(0, PDF_HEADER_WINDOW as u64).await {
        Ok(head) => head,
        Err(e) => return Err((LoadError::Read(e.0), bytes)),
    };
    let start = find(&head, b"%PDF-", 0).filter(|_| looks_like_pdf(&head));
    let Some(start) = start else {
        return Err((LoadError::NoHeader, bytes));
    };
    let version = version(&head[start..]);
    let len = bytes.len() - start as u64;
    let mut source = Source {
        bytes,
        base: start as u64,
        len,
        xref: HashMap::default(),
        trailer: Dictionary::new(),
        max_stream_bytes,
        containers: HashMap::default(),
        decoding: 0,
        recovered: false,
    };
    let mut recovered = None;
    let indexed = match source.open().await {
        Ok(()) => index(&mut source, version, careful, wanted, &[]).await,
        // No cross-reference data to read (a file cut short): rebuilt by
        // scanning the objects.
        Err(LoadError::NoStartXref | LoadError::Xref(_)) => match source.rebuild().await {
            Ok(scanned) => {
                source.recovered = true;
                recovered = Some(Recovered {
                    whole: scanned.whole,
                });
                match index(&mut source, version, true, None, &scanned.pages).await {
                    Err(LoadError::NoPages | LoadError::NoCatalog) if !scanned.whole => {
                        Err(LoadError::NoWholePage)
                    }
                    indexed => indexed,
                }
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match indexed {
        Ok((pages, doc)) => Ok((
            Ranged {
                source,
                pages,
                careful: careful || recovered.is_some(),
                recovered,
            },
            doc,
        )),
        Err(e) => Err((e, source.bytes)),
    }
}

/// The trailer's checks, the catalog and information closure, and the
/// pages: the page tree's, else (in a rebuilt file) `scanned`, the objects
/// typed `/Page`.
async fn index<S: ByteSource>(
    source: &mut Source<S>,
    version: String,
    careful: bool,
    wanted: Option<(usize, usize)>,
    scanned: &[u32],
) -> Result<(Vec<ObjectId>, Document), LoadError> {
    if source.trailer.has(b"Encrypt") {
        return Err(LoadError::Encrypted);
    }
    if !source.recovered && !matches!(source.trailer.get(b"Root"), Ok(Object::Reference(_))) {
        return Err(LoadError::NoCatalog);
    }
    let mut roots: Vec<u32> = Vec::new();
    for key in [&b"Root"[..], b"Info"] {
        if let Ok(value) = source.trailer.get(key) {
            references(value, &mut roots, 0, true);
        }
    }
    let mut doc = Document::new();
    doc.version = version;
    doc.trailer = source.trailer.clone();
    if source.recovered {
        // What is cut off is left out: the pages say what they miss.
        for number in roots {
            let _ = closure(source, &mut doc, vec![number], true).await;
        }
    } else {
        closure(source, &mut doc, roots, true).await?;
    }
    let mut pages = page_tree(source, &mut doc, careful, wanted)
        .await
        .or_else(|e| {
            if source.recovered {
                Ok(Vec::new())
            } else {
                Err(e)
            }
        })?;
    if pages.is_empty() {
        pages = scanned.iter().map(|&n| (n, 0)).collect();
    }
    if pages.is_empty() {
        return Err(LoadError::NoPages);
    }
    doc.max_id = source.xref.keys().copied().max().unwrap_or(0);
    Ok((pages, doc))
}

impl<S: ByteSource> Ranged<S> {
    /// Reads what a page needs into `doc` (its dictionary, contents,
    /// resources…); the bytes of stream data added.
    pub async fn load_page(
        &mut self,
        doc: &mut Document,
        page: ObjectId,
    ) -> Result<u64, LoadError> {
        let added = closure(&mut self.source, doc, vec![page.0], true).await?;
        if self.recovered.is_some()
            && let Some(Object::Dictionary(d)) = doc.objects.get(&page)
            && let Ok(parent) = d.get(b"Parent").and_then(Object::as_reference)
            && !doc.objects.contains_key(&parent)
            && let Some(Object::Dictionary(d)) = doc.objects.get_mut(&page)
        {
            // Its page-tree node was cut off: what it inherited is lost, the
            // page itself is not (lopdf's lookups stop at a missing parent).
            d.remove(b"Parent");
        }
        if !self.careful
            && let Some(Object::Dictionary(d)) = doc.objects.get(&page)
            && let Ok(kind) = d.get_type()
            && kind != b"Page"
        {
            // The quick walk took a node (or something else) for a page.
            return Err(LoadError::PageTree);
        }
        Ok(added)
    }

    /// Whether the page tree was walked reading every kid.
    pub fn careful(&self) -> bool {
        self.careful
    }

    /// Reads everything the catalog and the information dictionary reach
    /// into `doc`, pages and all.
    pub async fn load_all(&mut self, doc: &mut Document) -> Result<u64, LoadError> {
        let mut roots = Vec::new();
        for key in [&b"Root"[..], b"Info"] {
            if let Ok(value) = self.source.trailer.get(key) {
                references(value, &mut roots, 0, false);
            }
        }
        // What was read so far was read without the nodes' kids.
        for object in doc.objects.values() {
            references(object, &mut roots, 0, false);
        }
        closure(&mut self.source, doc, roots, false).await
    }

    /// The reads made so far.
    pub fn stats(&self) -> ReadStats {
        self.source.bytes.stats()
    }

    /// The source, to read the file whole after all.
    pub fn into_bytes(self) -> Cached<S> {
        self.source.bytes
    }
}

/// Loads everything text extraction reads from a file in memory (the
/// catalog's and the information dictionary's closure, every page); see the
/// module docs.
pub fn load(bytes: &[u8], max_stream_bytes: usize) -> Result<Document, LoadError> {
    let loaded = ready(async {
        let (mut ranged, mut doc) = open(bytes, max_stream_bytes).await.map_err(|(e, _)| e)?;
        ranged.load_all(&mut doc).await?;
        Ok(doc)
    });
    loaded.unwrap_or_else(|| Err(LoadError::Read("a read from memory did not finish".into())))
}

/// The version in the header (`1.7` from `%PDF-1.7`).
fn version(data: &[u8]) -> String {
    let rest = &data[5..];
    let end = rest
        .iter()
        .position(|&b| is_space(b) || is_delimiter(b))
        .unwrap_or(rest.len())
        .min(16);
    String::from_utf8_lossy(&rest[..end]).into_owned()
}

/// The first occurrence of `needle` in `data` at or after `from`.
fn find(data: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    data.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Collects the object numbers `object` refers to, except through
/// [`UNREAD_KEYS`].
fn references(object: &Object, out: &mut Vec<u32>, depth: usize, skip_kids: bool) {
    if depth > MAX_DEPTH {
        return;
    }
    let dict = match object {
        Object::Reference(id) => {
            out.push(id.0);
            return;
        }
        Object::Array(items) => {
            for item in items {
                references(item, out, depth + 1, skip_kids);
            }
            return;
        }
        Object::Dictionary(dict) => dict,
        Object::Stream(stream) => &stream.dict,
        _ => return,
    };
    // A page-tree node's kids are read one page at a time.
    let node = skip_kids && dict.has(b"Kids");
    for (key, value) in dict.iter() {
        let unread = UNREAD_KEYS.contains(&key.as_slice()) || (node && key.as_slice() == b"Kids");
        if !unread {
            references(value, out, depth + 1, skip_kids);
        }
    }
}

/// Whether text extraction never reads this stream's data (images, embedded
/// font programs, XMP metadata), so it is not copied (nor kept by lopdf's
/// full load, see `drop_unread_data`).
pub(crate) fn data_unread(dict: &Dictionary) -> bool {
    let name = |key: &[u8]| dict.get(key).and_then(Object::as_name).ok();
    name(b"Subtype") == Some(b"Image")
        || name(b"Type") == Some(b"Metadata")
        || dict.has(b"Length1")
        || dict.has(b"Length2")
        || matches!(
            name(b"Subtype"),
            Some(b"Type1C" | b"CIDFontType0C" | b"OpenType")
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file with the given objects and a classic cross-reference table;
    /// `extra_trailer` is added to the trailer dictionary.
    fn pdf(objects: &[(u32, &[u8])], extra_trailer: &str) -> Vec<u8> {
        let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let mut offsets = Vec::new();
        for (number, body) in objects {
            offsets.push((*number, out.len()));
            out.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        append_xref(&mut out, &offsets, extra_trailer);
        out
    }

    fn append_xref(out: &mut Vec<u8>, offsets: &[(u32, usize)], extra_trailer: &str) {
        let at = out.len();
        let size = offsets.iter().map(|(n, _)| n + 1).max().unwrap_or(1);
        out.extend_from_slice(b"xref\n");
        for (number, offset) in offsets {
            out.extend_from_slice(format!("{number} 1\n{offset:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {size} /Root 1 0 R {extra_trailer} >>\nstartxref\n{at}\n%%EOF\n"
            )
            .as_bytes(),
        );
    }

    const CATALOG: &[u8] = b"<< /Type /Catalog /Pages 2 0 R /StructTreeRoot 9 0 R >>";
    const PAGES: &[u8] = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
    const PAGE: &[u8] = b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Annots [8 0 R] \
        /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>";
    const FONT: &[u8] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";

    fn contents(text: &str) -> Vec<u8> {
        let data = format!("BT /F1 12 Tf 72 700 Td ({text}) Tj ET");
        format!("<< /Length {} >>\nstream\n{data}\nendstream", data.len()).into_bytes()
    }

    fn page_text(doc: &Document) -> String {
        let mut extractor = super::super::extract::Extractor::new(1 << 20);
        let page = doc.get_pages()[&1];
        extractor.page_text(doc, page).expect("text")
    }

    fn simple(text: &str) -> Vec<u8> {
        pdf(
            &[
                (1, CATALOG),
                (2, PAGES),
                (3, PAGE),
                (4, &contents(text)),
                (5, FONT),
                (
                    6,
                    b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /Length 3 >>\nstream\nabc\nendstream",
                ),
                (8, b"<< /Type /Annot /Subtype /Text /Contents (note) >>"),
                (9, b"<< /Type /StructTreeRoot >>"),
            ],
            "/Info 7 0 R",
        )
    }

    #[test]
    fn a_node_the_quick_walk_takes_for_a_page_sends_it_back_to_a_careful_walk() {
        // The root counts two kids and holds two, but the second is a node
        // (holding one page): lopdf finds pages 3 and 5.
        let text = |t: &str| contents(t);
        let bytes = pdf(
            &[
                (1, b"<< /Type /Catalog /Pages 2 0 R >>"),
                (2, b"<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>"),
                (
                    3,
                    b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R \
                      /Resources << /Font << /F1 5 0 R >> >> >>",
                ),
                (4, &text("first 1234")),
                (5, FONT),
                (
                    6,
                    b"<< /Type /Pages /Parent 2 0 R /Kids [7 0 R] /Count 1 >>",
                ),
                (
                    7,
                    b"<< /Type /Page /Parent 6 0 R /Contents 8 0 R \
                      /Resources << /Font << /F1 5 0 R >> >> >>",
                ),
                (8, &text("second 5678")),
            ],
            "",
        );
        let lopdf_pages = Document::load_mem(&bytes).expect("lopdf").get_pages().len();
        assert_eq!(lopdf_pages, 2);
        let clock = || 0.0;
        let report = crate::analysis::analyse(
            &bytes,
            &crate::analysis::Limits::default(),
            &clock,
            &mut |_, _| {},
        )
        .expect("a report");
        assert_eq!(report.pages, 2);
        assert_eq!(
            report.reading.path,
            crate::contract::report::ReadPath::Ranges
        );
        assert_eq!(report.numbers.found, 2);
    }

    #[test]
    fn loads_what_extraction_reads_and_nothing_else() {
        let doc = load(&simple("Total 1,234"), 1 << 20).expect("loads");
        assert_eq!(doc.version, "1.4");
        assert_eq!(page_text(&doc).trim(), "Total 1,234");
        let loaded: Vec<u32> = doc.objects.keys().map(|id| id.0).collect();
        // Not the annotation (8), nor the structure tree (9); the missing
        // Info (7) is a null.
        assert_eq!(loaded, [1, 2, 3, 4, 5, 6]);
        let image = doc
            .get_object((6, 0))
            .and_then(Object::as_stream)
            .expect("image");
        assert!(image.content.is_empty(), "image data is not copied");
        let full = Document::load_mem(&simple("Total 1,234")).expect("lopdf");
        assert_eq!(page_text(&full), page_text(&doc));
    }

    #[test]
    fn an_incremental_update_replaces_objects() {
        let mut file = simple("old 1");
        let prev = {
            let tail = String::from_utf8_lossy(&file[file.len() - 30..]).into_owned();
            tail.split_whitespace()
                .rev()
                .nth(1)
                .expect("offset")
                .to_owned()
        };
        let at = file.len();
        file.extend_from_slice(b"4 0 obj\n");
        file.extend_from_slice(&contents("new 2"));
        file.extend_from_slice(b"\nendobj\n");
        append_xref(&mut file, &[(4, at)], &format!("/Prev {prev}"));
        let doc = load(&file, 1 << 20).expect("loads");
        assert_eq!(page_text(&doc).trim(), "new 2");
        assert!(!doc.trailer.has(b"Prev"));
    }

    #[test]
    fn object_streams_and_cross_reference_streams() {
        // Objects 2, 3 and 5 in an uncompressed object stream (10); the
        // cross-reference data a stream (11) with one-byte types, two-byte
        // offsets and one-byte indexes.
        let members: [(u32, &[u8]); 3] = [(2, PAGES), (3, PAGE), (5, FONT)];
        let mut header = String::new();
        let mut body = Vec::new();
        for (number, bytes) in members {
            header.push_str(&format!("{number} {} ", body.len()));
            body.extend_from_slice(bytes);
            body.push(b' ');
        }
        let mut objstm = format!(
            "<< /Type /ObjStm /N 3 /First {} /Length {} >>\nstream\n",
            header.len(),
            header.len() + body.len()
        )
        .into_bytes();
        objstm.extend_from_slice(header.as_bytes());
        objstm.extend_from_slice(&body);
        objstm.extend_from_slice(b"\nendstream");

        let mut out = b"%PDF-1.5\n".to_vec();
        let mut offsets = Vec::new();
        for (number, bytes) in [
            (1, CATALOG.to_vec()),
            (4, contents("in a stream 42")),
            (10, objstm),
        ] {
            offsets.push((number, out.len()));
            out.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
            out.extend_from_slice(&bytes);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref_at = out.len();
        let offset_of = |n: u32| offsets.iter().find(|(m, _)| *m == n).map(|(_, o)| *o);
        let mut rows = Vec::new();
        for number in 0..12u32 {
            let row: [u8; 4] = match number {
                2 | 3 | 5 => {
                    let index = members.iter().position(|(n, _)| *n == number).unwrap_or(0);
                    [2, 0, 10, index as u8]
                }
                11 => [1, (xref_at >> 8) as u8, xref_at as u8, 0],
                n => match offset_of(n) {
                    Some(o) => [1, (o >> 8) as u8, o as u8, 0],
                    None => [0, 0, 0, 0],
                },
            };
            rows.extend_from_slice(&row);
        }
        out.extend_from_slice(
            format!(
                "11 0 obj\n<< /Type /XRef /Size 12 /W [1 2 1] /Root 1 0 R /Length {} >>\nstream\n",
                rows.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&rows);
        out.extend_from_slice(
            format!("\nendstream\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes(),
        );

        let doc = load(&out, 1 << 20).expect("loads");
        assert_eq!(page_text(&doc).trim(), "in a stream 42");
        let full = Document::load_mem(&out).expect("lopdf");
        assert_eq!(page_text(&full), page_text(&doc));
    }

    #[test]
    fn stream_lengths_indirect_or_wrong() {
        let data = b"BT /F1 12 Tf 72 700 Td (seven 7) Tj ET";
        let indirect = format!(
            "<< /Length 12 0 R >>\nstream\n{}\nendstream",
            String::from_utf8_lossy(data)
        );
        let length = data.len().to_string();
        let objects: [(u32, &[u8]); 6] = [
            (1, CATALOG),
            (2, PAGES),
            (3, b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"),
            (4, indirect.as_bytes()),
            (5, FONT),
            (12, length.as_bytes()),
        ];
        let doc = load(&pdf(&objects, ""), 1 << 20).expect("indirect length");
        assert_eq!(page_text(&doc).trim(), "seven 7");

        let wrong = format!(
            "<< /Length 5 >>\r\nstream\r\n{}\r\nendstream",
            String::from_utf8_lossy(data)
        );
        let objects: [(u32, &[u8]); 5] = [
            objects[0],
            objects[1],
            objects[2],
            (4, wrong.as_bytes()),
            objects[4],
        ];
        let doc = load(&pdf(&objects, ""), 1 << 20).expect("wrong length");
        assert_eq!(page_text(&doc).trim(), "seven 7");
    }

    #[test]
    fn what_it_does_not_read_is_left_to_lopdf() {
        let good = simple("x 1");
        // An offset that misses its object.
        let entry = find(&good, b"\n3 1\n", 0).expect("page entry") + 5;
        let mut shifted = good.clone();
        shifted[entry..entry + 10].copy_from_slice(b"0000000030");
        assert_eq!(load(&shifted, 1 << 20).unwrap_err(), LoadError::Object(3));
        // Encrypted.
        let encrypted = pdf(&[(1, CATALOG)], "/Encrypt << /Filter /Standard >>");
        assert_eq!(load(&encrypted, 1 << 20).unwrap_err(), LoadError::Encrypted);
        // No startxref (the end cut off): rebuilt by scanning (`recover`).
        let cut = load(&good[..good.len() - 40], 1 << 20).expect("rebuilt");
        assert_eq!(
            page_text(&cut),
            page_text(&load(&good, 1 << 20).expect("good"))
        );
        // No header, no pages.
        assert_eq!(load(b"hello", 1 << 20).unwrap_err(), LoadError::NoHeader);
        let no_pages = pdf(
            &[
                (1, b"<< /Type /Catalog /Pages 2 0 R >>"),
                (2, b"<< /Type /Pages /Kids [] /Count 0 >>"),
            ],
            "",
        );
        assert_eq!(load(&no_pages, 1 << 20).unwrap_err(), LoadError::NoPages);
        // Offsets past the end of the file.
        let past = find(&good, b"\n3 1\n", 0).expect("page entry") + 5;
        let mut beyond = good.clone();
        beyond[past..past + 10].copy_from_slice(b"9999999999");
        assert_eq!(load(&beyond, 1 << 20).unwrap_err(), LoadError::Object(3));
        let mut tail = good.clone();
        let n = tail.len();
        tail[n - 12..n - 6].copy_from_slice(b"999999");
        // A startxref past the end: rebuilt by scanning too.
        assert_eq!(
            page_text(&load(&tail, 1 << 20).expect("rebuilt")),
            page_text(&load(&good, 1 << 20).expect("good"))
        );
        // Nesting deeper than lopdf accepts.
        let deep = format!(
            "<< /Type /Catalog /Pages 2 0 R /X {}1{} >>",
            "[".repeat(150),
            "]".repeat(150)
        );
        let deep = pdf(&[(1, deep.as_bytes()), (2, PAGES)], "");
        assert!(load(&deep, 1 << 20).is_err());
    }

    #[test]
    fn cycles_end() {
        // A page tree that contains itself, a /Prev that points back to its
        // own section, an object stream whose /Length is inside itself.
        let looped = pdf(
            &[
                (1, CATALOG),
                (2, b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 1 >>"),
                (3, PAGE),
                (4, &contents("loop 5")),
                (5, FONT),
            ],
            "",
        );
        let _ = load(&looped, 1 << 20);
        let mut file = simple("x 1");
        let xref_at = find(&file, b"xref\n", 0).expect("xref");
        let trailer = find(&file, b"trailer\n<<", 0).expect("trailer") + 10;
        file.splice(trailer..trailer, format!(" /Prev {xref_at} ").bytes());
        // The looping cross-reference data is given up, and rebuilt by
        // scanning the objects.
        assert_eq!(
            page_text(&load(&file, 1 << 20).expect("rebuilt")),
            page_text(&load(&simple("x 1"), 1 << 20).expect("good"))
        );
    }
}

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
//! It reads what a well-formed file states and gives up on anything else — a
//! cross-reference offset that does not lead to its object, a broken trailer,
//! an encrypted file, nesting deeper than lopdf accepts, no pages — with a
//! [`LoadError`]; the caller then loads the file with lopdf, whose repairs
//! (rebuilding the cross-reference table by scanning, decryption) this module
//! does not repeat. A reference to an object that does not exist, or is free,
//! is a null, as in lopdf.

use std::collections::{HashMap, HashSet};

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
}

/// A document opened by range reads: its cross-reference data, its pages in
/// order, and the means to read each page's objects when it comes.
pub struct Ranged<S> {
    source: Source<S>,
    pub pages: Vec<ObjectId>,
    /// Whether the page tree was walked reading every kid.
    careful: bool,
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
        xref: HashMap::new(),
        trailer: Dictionary::new(),
        max_stream_bytes,
        containers: HashMap::new(),
        decoding: 0,
    };
    let indexed = match source.open().await {
        Ok(()) => index(&mut source, version, careful, wanted).await,
        Err(e) => Err(e),
    };
    match indexed {
        Ok((pages, doc)) => Ok((
            Ranged {
                source,
                pages,
                careful,
            },
            doc,
        )),
        Err(e) => Err((e, source.bytes)),
    }
}

/// The trailer's checks, the catalog and information closure, and the pages.
async fn index<S: ByteSource>(
    source: &mut Source<S>,
    version: String,
    careful: bool,
    wanted: Option<(usize, usize)>,
) -> Result<(Vec<ObjectId>, Document), LoadError> {
    if source.trailer.has(b"Encrypt") {
        return Err(LoadError::Encrypted);
    }
    if !matches!(source.trailer.get(b"Root"), Ok(Object::Reference(_))) {
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
    closure(source, &mut doc, roots, true).await?;
    let pages = page_tree(source, &mut doc, careful, wanted).await?;
    if pages.is_empty() {
        return Err(LoadError::NoPages);
    }
    doc.max_id = source.xref.keys().copied().max().unwrap_or(0);
    Ok((pages, doc))
}

/// The pages in order, as lopdf's page-tree walk finds them: a kid whose
/// `/Type` is `/Page` is a page, `/Pages` a node walked in turn (the nodes
/// are added to `doc`, for what pages inherit), another type nothing, and
/// a kid that is no dictionary with a type a page all the same (read as
/// blank). Pages themselves are not kept.
///
/// Unless `careful`, a node whose `/Count` is the number of its kids and
/// whose first kid is a page is taken to hold pages only, unread (the
/// usual flat node: reading every page's dictionary here would read most
/// of a text-only file twice); [`Ranged::load_page`] checks each page's
/// type when it reads it, and a wrong guess opens the file again carefully.
async fn page_tree<S: ByteSource>(
    source: &mut Source<S>,
    doc: &mut Document,
    careful: bool,
    wanted: Option<(usize, usize)>,
) -> Result<Vec<ObjectId>, LoadError> {
    const DEPTH_LIMIT: usize = 256;
    let root = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Pages").ok())
        .and_then(|o| o.as_reference().ok());
    let Some(root) = root else {
        return Ok(Vec::new());
    };
    let mut limit = source.xref.len().max(1);
    let mut pages = Vec::new();
    let mut stack: Vec<(Vec<Object>, usize)> = Vec::new();
    let mut current = (kids(source, doc, root).await?, 0);
    loop {
        // Whether any page this node may hold is wanted (by its kids' count).
        let from = pages.len();
        let look = wanted.is_none_or(|(start, end)| from < end && from + current.0.len() > start);
        if !careful
            && current.1 == 0
            && let Some(ids) = flat(source, doc, &current.0, look).await?
        {
            limit = limit.saturating_sub(ids.len());
            pages.extend(ids);
            current.1 = current.0.len();
        }
        let Some(kid) = current.0.get(current.1).cloned() else {
            match stack.pop() {
                Some(up) => {
                    current = up;
                    continue;
                }
                None => return Ok(pages),
            }
        };
        if limit == 0 {
            return Ok(pages);
        }
        limit -= 1;
        current.1 += 1;
        let Ok(kid_id) = kid.as_reference() else {
            continue;
        };
        let loaded = match doc.objects.get(&kid_id) {
            Some(o) => Some((kid_id, o.clone())),
            None => source.object(kid_id.0, Read::ValueOnly).await?,
        };
        let kind = match &loaded {
            Some((_, Object::Dictionary(d))) => d.get_type().ok().map(<[u8]>::to_vec),
            _ => None,
        };
        match kind.as_deref() {
            Some(b"Page") | None => pages.push(kid_id),
            Some(b"Pages") if stack.len() < DEPTH_LIMIT => {
                if let Some((id, node)) = loaded
                    && !doc.objects.contains_key(&id)
                {
                    let mut more = Vec::new();
                    references(&node, &mut more, 0, true);
                    doc.objects.insert(id, node);
                    closure(source, doc, more, true).await?;
                }
                let next = (kids(source, doc, kid_id).await?, 0);
                stack.push(std::mem::replace(&mut current, next));
            }
            Some(_) => {}
        }
    }
}

/// The kids of a node that holds pages only, by the quick rule (see
/// [`page_tree`]): every kid a reference, as many as the node's parent
/// counted for it — here, as its own `/Count` says — and the first a page
/// (read only when `look`).
async fn flat<S: ByteSource>(
    source: &mut Source<S>,
    doc: &Document,
    kids: &[Object],
    look: bool,
) -> Result<Option<Vec<ObjectId>>, LoadError> {
    let ids: Option<Vec<ObjectId>> = kids.iter().map(|k| k.as_reference().ok()).collect();
    let Some(ids) = ids.filter(|ids| ids.len() > 1) else {
        return Ok(None);
    };
    // The node these kids belong to says how many pages it holds.
    let counted = doc.objects.values().any(|o| match o {
        Object::Dictionary(d) => {
            matches!(d.get(b"Kids"), Ok(Object::Array(k)) if k.as_slice() == kids)
                && matches!(d.get(b"Count"), Ok(Object::Integer(n)) if *n == ids.len() as i64)
        }
        _ => false,
    });
    if !counted {
        return Ok(None);
    }
    if !look {
        return Ok(Some(ids));
    }
    let first = match source.object(ids[0].0, Read::ValueOnly).await? {
        Some((_, Object::Dictionary(d))) => d.get_type().ok() == Some(b"Page".as_slice()),
        _ => false,
    };
    Ok(first.then_some(ids))
}

/// A page-tree node's `/Kids` (through a reference), or none.
async fn kids<S: ByteSource>(
    source: &mut Source<S>,
    doc: &Document,
    node: ObjectId,
) -> Result<Vec<Object>, LoadError> {
    let Ok(dict) = doc.get_dictionary(node) else {
        return Ok(Vec::new());
    };
    Ok(match dict.get(b"Kids") {
        Ok(Object::Array(items)) => items.clone(),
        Ok(Object::Reference(id)) => match doc.objects.get(id) {
            Some(Object::Array(items)) => items.clone(),
            Some(_) => Vec::new(),
            None => match source.object(id.0, Read::Everything).await? {
                Some((_, Object::Array(items))) => items,
                _ => Vec::new(),
            },
        },
        _ => Vec::new(),
    })
}

/// Reads objects `todo` and what they refer to into `doc` (not following
/// [`UNREAD_KEYS`], nor a page-tree node's `/Kids` when `skip_kids`), skipping
/// what `doc` has; the bytes of stream data it added.
async fn closure<S: ByteSource>(
    source: &mut Source<S>,
    doc: &mut Document,
    mut todo: Vec<u32>,
    skip_kids: bool,
) -> Result<u64, LoadError> {
    let mut seen = HashSet::new();
    let mut added = 0;
    while let Some(number) = todo.pop() {
        if !seen.insert(number) || has(doc, number) {
            continue;
        }
        if let Some((id, object)) = source.object(number, Read::Everything).await? {
            references(&object, &mut todo, 0, skip_kids);
            if let Object::Stream(stream) = &object {
                added += stream.content.len() as u64;
            }
            doc.objects.insert(id, object);
        }
    }
    Ok(added)
}

/// Whether `doc` holds object `number` (of any generation).
fn has(doc: &Document, number: u32) -> bool {
    doc.objects
        .range((number, 0)..=(number, u16::MAX))
        .next()
        .is_some()
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

impl<S: ByteSource> Source<S> {
    /// Bytes `[offset, offset + len)` from the header, clipped to the file.
    async fn slice(&mut self, offset: usize, len: u64) -> Result<&[u8], LoadError> {
        self.bytes
            .slice(self.base + offset as u64, len)
            .await
            .map_err(|e| LoadError::Read(e.0))
    }

    /// Parses with `parse` over a window from `offset`, grown while what it
    /// parses does not end at least `margin` bytes before the window's end
    /// (unless the window reaches the end of the file). `None`: `parse`
    /// found nothing there.
    async fn windowed<T>(
        &mut self,
        offset: usize,
        margin: usize,
        parse: impl Fn(&[u8]) -> Option<(T, usize)>,
    ) -> Result<Option<T>, LoadError> {
        let len = self.len;
        let mut size = FIRST_WINDOW;
        loop {
            let window = self.slice(offset, size).await?;
            let whole = offset as u64 + window.len() as u64 >= len;
            match parse(window) {
                Some((value, used)) if whole || used + margin <= window.len() => {
                    return Ok(Some(value));
                }
                _ if whole || size >= MAX_WINDOW => return Ok(None),
                _ => size *= 4,
            }
        }
    }

    /// Reads the cross-reference sections, newest first, through `/Prev`
    /// and `/XRefStm`.
    async fn open(&mut self) -> Result<(), LoadError> {
        let mut next = Some(self.startxref().await?);
        let mut visited = HashSet::new();
        let mut newest = true;
        while let Some(offset) = next.take() {
            if !visited.insert(offset) || visited.len() > MAX_SECTIONS {
                return Err(LoadError::Xref(offset));
            }
            let (entries, trailer) = self.section(offset).await?;
            for (number, entry) in entries {
                self.xref.entry(number).or_insert(entry);
            }
            next = match trailer.get(b"Prev") {
                Ok(Object::Integer(prev)) => {
                    Some(usize::try_from(*prev).map_err(|_| LoadError::Xref(offset))?)
                }
                _ => None,
            };
            if newest {
                self.trailer = trailer;
                self.trailer.remove(b"Prev");
                newest = false;
            }
        }
        Ok(())
    }

    /// The offset after the last `startxref`.
    async fn startxref(&mut self) -> Result<usize, LoadError> {
        let tail = self.len.saturating_sub(4096) as usize;
        let data = self.slice(tail, 4096).await?;
        let at = data
            .windows(9)
            .rposition(|w| w == b"startxref")
            .ok_or(LoadError::NoStartXref)?;
        let mut lexer = Lexer::at(data, at + 9);
        lexer.skip_space();
        integer(lexer.regular_token())
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(LoadError::NoStartXref)
    }

    /// One cross-reference section (a table, with its `/XRefStm` for a
    /// hybrid file, or a stream) and its trailer.
    async fn section(
        &mut self,
        offset: usize,
    ) -> Result<(Vec<(u32, Entry)>, Dictionary), LoadError> {
        let head = self.slice(offset, 64).await?;
        let mut lexer = Lexer::at(head, 0);
        lexer.skip_space();
        if lexer.peek(0).is_some_and(|b| b.is_ascii_digit()) {
            return Box::pin(self.xref_stream(offset)).await;
        }
        let bad = LoadError::Xref(offset);
        let len = self.len as usize;
        let Some((mut entries, trailer)) = self.windowed(offset, 0, |w| table(w, len)).await?
        else {
            return Err(bad);
        };
        if let Ok(Object::Integer(stm)) = trailer.get(b"XRefStm") {
            // A hybrid file: the stream lists the objects the table marks free.
            let stm = usize::try_from(*stm).map_err(|_| bad.clone())?;
            let (streamed, _) = Box::pin(self.xref_stream(stm)).await?;
            let streamed: HashMap<u32, Entry> = streamed.into_iter().collect();
            for (number, entry) in &mut entries {
                if *entry == Entry::Free
                    && let Some(&other) = streamed.get(number)
                {
                    *entry = other;
                }
            }
            let listed: HashSet<u32> = entries.iter().map(|(n, _)| *n).collect();
            entries.extend(streamed.into_iter().filter(|(n, _)| !listed.contains(n)));
        }
        Ok((entries, trailer))
    }

    /// A cross-reference stream at `offset`: its entries and dictionary.
    async fn xref_stream(
        &mut self,
        offset: usize,
    ) -> Result<(Vec<(u32, Entry)>, Dictionary), LoadError> {
        let bad = LoadError::Xref(offset);
        let Some((_, Object::Stream(stream))) =
            Box::pin(self.parse_at(offset, None, Read::Everything)).await?
        else {
            return Err(bad);
        };
        let data =
            super::inflate::decode_data(&stream, self.max_stream_bytes).ok_or(bad.clone())?;
        let dict = stream.dict;
        let widths: Vec<usize> = match dict.get(b"W") {
            Ok(Object::Array(w)) if w.len() == 3 => w
                .iter()
                .map(|o| o.as_i64().ok().and_then(|n| usize::try_from(n).ok()))
                .collect::<Option<_>>()
                .ok_or(bad.clone())?,
            _ => return Err(bad),
        };
        if widths.iter().any(|&w| w > 8) || widths.iter().sum::<usize>() == 0 {
            return Err(bad);
        }
        let row = widths.iter().sum::<usize>();
        let size = dict.get(b"Size").and_then(Object::as_i64).unwrap_or(0);
        let index: Vec<i64> = match dict.get(b"Index") {
            Ok(Object::Array(items)) => items
                .iter()
                .map(|o| o.as_i64().ok())
                .collect::<Option<_>>()
                .ok_or(bad.clone())?,
            _ => vec![0, size],
        };
        let field = |bytes: &[u8]| bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let mut rows = data.chunks_exact(row);
        let mut entries = Vec::new();
        for pair in index.chunks(2) {
            let [first, count] = *pair else {
                return Err(bad);
            };
            let (Ok(first), Ok(count)) = (u32::try_from(first), u32::try_from(count)) else {
                return Err(bad);
            };
            for i in 0..count {
                let Some(bytes) = rows.next() else {
                    return Err(bad);
                };
                let (a, rest) = bytes.split_at(widths[0]);
                let (b, c) = rest.split_at(widths[1]);
                let kind = if widths[0] == 0 { 1 } else { field(a) };
                let (b, c) = (field(b), field(c));
                let entry = match kind {
                    1 if b > 0 => Entry::Normal(usize::try_from(b).map_err(|_| bad.clone())?),
                    2 => Entry::Compressed {
                        container: u32::try_from(b).map_err(|_| bad.clone())?,
                        index: usize::try_from(c).map_err(|_| bad.clone())?,
                    },
                    _ => Entry::Free,
                };
                entries.push((first.checked_add(i).ok_or(bad.clone())?, entry));
            }
        }
        Ok((entries, dict))
    }

    /// Object `number`: its id and value, `None` for a free or missing one.
    async fn object(
        &mut self,
        number: u32,
        read: Read,
    ) -> Result<Option<(ObjectId, Object)>, LoadError> {
        match self.xref.get(&number).copied() {
            None | Some(Entry::Free) => Ok(None),
            Some(Entry::Normal(offset)) => self.parse_at(offset, Some(number), read).await,
            Some(Entry::Compressed { container, index }) => {
                Box::pin(self.member(container, index, number))
                    .await
                    .map(|o| Some(((number, 0), o)))
            }
        }
    }

    /// The indirect object at `offset` (`N G obj … endobj`), checked to be
    /// object `expect` when given.
    async fn parse_at(
        &mut self,
        offset: usize,
        expect: Option<u32>,
        read: Read,
    ) -> Result<Option<(ObjectId, Object)>, LoadError> {
        let bad = LoadError::Object(expect.unwrap_or(0));
        let parsed = self
            .windowed(offset, 32, |w| {
                let mut lexer = Lexer::at(w, 0);
                lexer.skip_space();
                let number = integer(lexer.regular_token()).and_then(|n| u32::try_from(n).ok());
                lexer.skip_space();
                let generation = integer(lexer.regular_token()).and_then(|n| u16::try_from(n).ok());
                lexer.skip_space();
                let (Some(number), Some(generation), b"obj") =
                    (number, generation, lexer.regular_token())
                else {
                    return None;
                };
                let object = value(&mut lexer, 0)?;
                let used = lexer.position();
                // A dictionary may be a stream's: its data starts after the
                // end of line that follows `stream`.
                lexer.skip_space();
                let data = (matches!(object, Object::Dictionary(_))
                    && lexer.regular_token() == b"stream")
                    .then(|| {
                        let mut start = lexer.position();
                        if w.get(start) == Some(&b'\r') {
                            start += 1;
                        }
                        if w.get(start) == Some(&b'\n') {
                            start += 1;
                        }
                        start
                    });
                Some(((number, generation, object, data), used))
            })
            .await?;
        let Some((number, generation, object, data)) = parsed else {
            return Err(bad);
        };
        if expect.is_some_and(|e| e != number) {
            return Err(bad);
        }
        let Object::Dictionary(dict) = object else {
            return Ok(Some(((number, generation), object)));
        };
        let (Some(data), Read::Everything) = (data, read) else {
            return Ok(Some(((number, generation), Object::Dictionary(dict))));
        };
        let start = offset + data;
        let end = self.stream_end(&dict, start).await?.ok_or(bad)?;
        let len = (end - start) as u64;
        let content = if data_unread(&dict) {
            Vec::new()
        } else if len > MAX_READ_AHEAD {
            // A large stream is read once, not into the blocks as well.
            self.bytes
                .read_direct(self.base + start as u64, len)
                .await
                .map_err(|e| LoadError::Read(e.0))?
        } else {
            self.slice(start, len).await?.to_vec()
        };
        let stream = Stream {
            dict,
            content,
            allows_compression: true,
            start_position: Some(start),
        };
        Ok(Some(((number, generation), Object::Stream(stream))))
    }

    /// Where a stream's data ends: after `/Length` bytes when `endstream`
    /// follows there, else just before the next `endstream`.
    async fn stream_end(
        &mut self,
        dict: &Dictionary,
        start: usize,
    ) -> Result<Option<usize>, LoadError> {
        let length = match dict.get(b"Length") {
            Ok(Object::Integer(n)) => Some(*n),
            Ok(Object::Reference(id)) => match Box::pin(self.object(id.0, Read::ValueOnly)).await {
                Ok(Some((_, Object::Integer(n)))) => Some(n),
                Err(LoadError::Read(e)) => return Err(LoadError::Read(e)),
                _ => None,
            },
            _ => None,
        };
        if let Some(end) = length
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|n| start.checked_add(n))
            .filter(|&end| end as u64 <= self.len)
        {
            let after = self.slice(end, 256).await?;
            let mut lexer = Lexer::at(after, 0);
            lexer.skip_space();
            if after[lexer.position()..].starts_with(b"endstream") {
                return Ok(Some(end));
            }
        }
        // Look for the next `endstream`, a read at a time.
        let mut at = start;
        let found = loop {
            let chunk = self.slice(at, SCAN).await?;
            if let Some(p) = find(chunk, b"endstream", 0) {
                break at + p;
            }
            if (chunk.len() as u64) < SCAN {
                return Ok(None);
            }
            at += chunk.len() - 8;
        };
        let from = found.saturating_sub(2);
        let before = self.slice(from, (found - from) as u64).await?;
        let mut end = found;
        let mut i = before.len();
        if end > start && i > 0 && before[i - 1] == b'\n' {
            end -= 1;
            i -= 1;
        }
        if end > start && i > 0 && before[i - 1] == b'\r' {
            end -= 1;
        }
        Ok(Some(end))
    }

    /// Member `index` (object `number`) of the object stream `container`.
    async fn member(
        &mut self,
        container: u32,
        index: usize,
        number: u32,
    ) -> Result<Object, LoadError> {
        if !self.containers.contains_key(&container) {
            if self.decoding > 2 {
                return Err(LoadError::ObjectStream(container));
            }
            self.decoding += 1;
            let decoded = self.container(container).await;
            self.decoding -= 1;
            let decoded = decoded?;
            // Bounded in count and in bytes (at most one stream's limit).
            let held: usize = self.containers.values().map(|c| c.data.len()).sum();
            if self.containers.len() >= MAX_CACHED_CONTAINERS
                || held + decoded.data.len() > self.max_stream_bytes
            {
                self.containers.clear();
            }
            self.containers.insert(container, decoded);
        }
        let bad = LoadError::ObjectStream(container);
        let held = self.containers.get(&container).ok_or(bad.clone())?;
        let offset = match held.members.get(index) {
            Some(&(n, offset)) if n == number => offset,
            _ => {
                held.members
                    .iter()
                    .find(|(n, _)| *n == number)
                    .ok_or(bad.clone())?
                    .1
            }
        };
        let mut lexer = Lexer::at(&held.data, offset);
        value(&mut lexer, 0).ok_or(bad)
    }

    /// Decodes the object stream `container` and reads its member table.
    async fn container(&mut self, container: u32) -> Result<Container, LoadError> {
        let bad = LoadError::ObjectStream(container);
        let Some(Entry::Normal(offset)) = self.xref.get(&container).copied() else {
            return Err(bad);
        };
        let Some((_, Object::Stream(stream))) =
            Box::pin(self.parse_at(offset, Some(container), Read::Everything)).await?
        else {
            return Err(bad);
        };
        let data =
            super::inflate::decode_data(&stream, self.max_stream_bytes).ok_or(bad.clone())?;
        let count = stream.dict.get(b"N").and_then(Object::as_i64);
        let first = stream.dict.get(b"First").and_then(Object::as_i64);
        let (Some(count), Some(first)) = (
            count.ok().and_then(|n| usize::try_from(n).ok()),
            first.ok().and_then(|n| usize::try_from(n).ok()),
        ) else {
            return Err(bad);
        };
        if first > data.len() || count > data.len() {
            return Err(bad);
        }
        let mut lexer = Lexer::at(&data[..first], 0);
        let mut members = Vec::with_capacity(count);
        for _ in 0..count {
            lexer.skip_space();
            let number = integer(lexer.regular_token()).and_then(|n| u32::try_from(n).ok());
            lexer.skip_space();
            let offset = integer(lexer.regular_token()).and_then(|n| usize::try_from(n).ok());
            match (number, offset.and_then(|o| o.checked_add(first))) {
                (Some(number), Some(at)) if at <= data.len() => members.push((number, at)),
                _ => return Err(bad),
            }
        }
        Ok(Container { data, members })
    }
}

/// A cross-reference table at the start of `w` and its trailer; how far it
/// read. `len`: the file's length (a table cannot list more objects than
/// fit).
#[allow(clippy::type_complexity)]
fn table(w: &[u8], len: usize) -> Option<((Vec<(u32, Entry)>, Dictionary), usize)> {
    let mut lexer = Lexer::at(w, 0);
    lexer.skip_space();
    if lexer.regular_token() != b"xref" {
        return None;
    }
    let mut entries = Vec::new();
    loop {
        lexer.skip_space();
        let token = lexer.regular_token();
        if token == b"trailer" {
            break;
        }
        let first = integer(token).and_then(|n| u32::try_from(n).ok());
        lexer.skip_space();
        let count = integer(lexer.regular_token()).and_then(|n| usize::try_from(n).ok());
        let (Some(first), Some(count)) = (first, count) else {
            return None;
        };
        if count > len / 18 {
            return None;
        }
        for i in 0..count {
            lexer.skip_space();
            let offset = integer(lexer.regular_token());
            lexer.skip_space();
            let _generation = lexer.regular_token();
            lexer.skip_space();
            let kind = lexer.regular_token();
            let number = first.checked_add(i as u32)?;
            let entry = match (kind, offset.and_then(|o| usize::try_from(o).ok())) {
                (b"n", Some(0)) | (b"f", _) => Entry::Free,
                (b"n", Some(offset)) => Entry::Normal(offset),
                _ => return None,
            };
            entries.push((number, entry));
        }
    }
    let Some(Object::Dictionary(trailer)) = value(&mut lexer, 0) else {
        return None;
    };
    Some(((entries, trailer), lexer.position()))
}

/// A whole integer token (`12`, `-3`, `+4`).
fn integer(token: &[u8]) -> Option<i64> {
    std::str::from_utf8(token).ok()?.parse().ok()
}

/// One direct object at the lexer's position; `None` when there is none
/// (malformed, or nested deeper than [`MAX_DEPTH`]).
fn value(lexer: &mut Lexer<'_>, depth: usize) -> Option<Object> {
    if depth > MAX_DEPTH {
        return None;
    }
    lexer.skip_space();
    match lexer.peek(0)? {
        b'/' => {
            lexer.set_position(lexer.position() + 1);
            Some(Object::Name(lexer.name().into_owned()))
        }
        b'(' => {
            lexer.set_position(lexer.position() + 1);
            let bytes = lexer.literal_string().into_owned();
            Some(Object::String(bytes, StringFormat::Literal))
        }
        b'<' if lexer.peek(1) == Some(b'<') => {
            lexer.set_position(lexer.position() + 2);
            dictionary(lexer, depth).map(Object::Dictionary)
        }
        b'<' => {
            lexer.set_position(lexer.position() + 1);
            Some(Object::String(
                lexer.hex_string(),
                StringFormat::Hexadecimal,
            ))
        }
        b'[' => {
            lexer.set_position(lexer.position() + 1);
            let mut items = Vec::new();
            loop {
                lexer.skip_space();
                if lexer.peek(0)? == b']' {
                    lexer.set_position(lexer.position() + 1);
                    return Some(Object::Array(items));
                }
                items.push(value(lexer, depth + 1)?);
            }
        }
        b'0'..=b'9' | b'+' | b'-' | b'.' => number_or_reference(lexer),
        _ => match lexer.regular_token() {
            b"true" => Some(Object::Boolean(true)),
            b"false" => Some(Object::Boolean(false)),
            b"null" => Some(Object::Null),
            _ => None,
        },
    }
}

/// After `<<`: entries up to `>>`.
fn dictionary(lexer: &mut Lexer<'_>, depth: usize) -> Option<Dictionary> {
    let mut dict = Dictionary::new();
    loop {
        lexer.skip_space();
        match (lexer.peek(0)?, lexer.peek(1)) {
            (b'>', Some(b'>')) => {
                lexer.set_position(lexer.position() + 2);
                return Some(dict);
            }
            (b'/', _) => {
                lexer.set_position(lexer.position() + 1);
                let key = lexer.name();
                let item = value(lexer, depth + 1)?;
                dict.set(key.into_owned(), item);
            }
            _ => return None,
        }
    }
}

/// A number, or a reference (`12 0 R`) when two unsigned integers and `R`
/// follow one another.
fn number_or_reference(lexer: &mut Lexer<'_>) -> Option<Object> {
    let token = lexer.regular_token();
    let Some(n) = integer(token) else {
        let real = parse_number(token)?;
        return Some(Object::Real(real as f32));
    };
    let unsigned = token[0].is_ascii_digit();
    if unsigned && let Ok(number) = u32::try_from(n) {
        let back = lexer.position();
        lexer.skip_space();
        let second = lexer.regular_token();
        let generation = (!second.is_empty() && second.iter().all(u8::is_ascii_digit))
            .then(|| integer(second).and_then(|g| u16::try_from(g).ok()))
            .flatten();
        if let Some(generation) = generation {
            lexer.skip_space();
            if lexer.regular_token() == b"R" {
                return Some(Object::Reference((number, generation)));
            }
        }
        lexer.set_position(back);
    }
    Some(Object::Integer(n))
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
        // No startxref, no header, no pages.
        assert_eq!(
            load(&good[..good.len() - 40], 1 << 20).unwrap_err(),
            LoadError::NoStartXref
        );
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
        assert!(load(&tail, 1 << 20).is_err());
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
        assert!(matches!(load(&file, 1 << 20), Err(LoadError::Xref(_))));
    }
}

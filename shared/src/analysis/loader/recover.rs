//! Rebuilding the cross-reference data of a file whose own is missing or
//! unreadable — most often a file cut short, whose table, trailer and last
//! objects never arrived — by scanning it for `N G obj` headers, as MuPDF
//! and pdf.js do. The scan reads the file by windows of range reads
//! ([`SCAN_WINDOW`], not kept), so memory stays bounded; it keeps each
//! object's offset (the last definition wins, as an incremental update's
//! would) and what its dictionary's `/Type` says.
//!
//! The trailer is the last `trailer` dictionary, or cross-reference
//! stream, that names a catalog the scan found; without one, the last
//! catalog found, or none. When the page tree cannot be walked (its nodes were cut
//! off), the pages are the objects typed `/Page`, in file order. Objects
//! the file refers to but no longer holds are missing, not null: a page
//! that needs one is not read ([`LoadError::Missing`]).

use super::*;

/// Bytes read per scanning window.
const SCAN_WINDOW: u64 = 1 << 20;
/// Bytes after an object's header looked at for its `/Type`.
const PEEK: usize = 512;
/// Bytes each window shares with the next, so that a header and its peek
/// are always whole in one of them.
const OVERLAP: usize = 1024;

/// What an object's dictionary says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Page,
    Catalog,
    ObjectStream,
    XrefStream,
    Other,
}

/// One object header found: its number, its offset from the header and
/// its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hit {
    number: u32,
    offset: usize,
    kind: Kind,
}

/// What a scan found besides the offsets.
#[derive(Debug, Default)]
pub(crate) struct Scanned {
    /// The objects typed `/Page`, in file order (each once, at its last
    /// definition).
    pub pages: Vec<u32>,
    /// Whether the file ends with `%%EOF` (a whole file whose
    /// cross-reference data was wrong, rather than one cut short).
    pub whole: bool,
}

impl<S: ByteSource> Source<S> {
    /// Scans the file for its objects and sets the cross-reference data and
    /// the trailer from what it finds (naming no catalog when none is left).
    pub(crate) async fn rebuild(&mut self) -> Result<Scanned, LoadError> {
        let mut hits: Vec<Hit> = Vec::new();
        let mut trailers: Vec<usize> = Vec::new();
        let mut offset = 0usize;
        let tail = loop {
            let window = self
                .bytes
                .read_direct(self.base + offset as u64, SCAN_WINDOW)
                .await
                .map_err(|e| LoadError::Read(e.0))?;
            let last = offset as u64 + window.len() as u64 >= self.len;
            let limit = if last {
                window.len()
            } else {
                window.len().saturating_sub(OVERLAP)
            };
            scan_window(&window, offset, limit, &mut hits, &mut trailers);
            if last || limit == 0 {
                let from = window.len().saturating_sub(1024);
                break window[from..].to_vec();
            }
            offset += limit;
        };
        self.xref.clear();
        // Each object once, at its last definition (in file order of those).
        let mut last: HashMap<u32, usize> = HashMap::default();
        for hit in &hits {
            self.xref.insert(hit.number, Entry::Normal(hit.offset));
            last.insert(hit.number, hit.offset);
        }
        let mut pages = Vec::new();
        let (mut catalogs, mut containers, mut xref_streams) = (Vec::new(), Vec::new(), Vec::new());
        for hit in hits
            .iter()
            .filter(|h| last.get(&h.number) == Some(&h.offset))
        {
            match hit.kind {
                Kind::Page => pages.push(hit.number),
                Kind::Catalog => catalogs.push(hit.number),
                Kind::ObjectStream => containers.push(hit.number),
                Kind::XrefStream => xref_streams.push(hit.number),
                Kind::Other => {}
            }
        }
        // Members of the object streams that survived, unless defined
        // outside one.
        for container in containers {
            let Ok(decoded) = self.container(container).await else {
                continue;
            };
            for (index, &(number, _)) in decoded.members.iter().enumerate() {
                self.xref
                    .entry(number)
                    .or_insert(Entry::Compressed { container, index });
            }
        }
        self.trailer = self
            .found_trailer(&trailers, &xref_streams, &catalogs)
            .await?;
        Ok(Scanned {
            pages,
            whole: find(&tail, b"%%EOF", 0).is_some(),
        })
    }

    /// The trailer: the last `trailer` dictionary or cross-reference stream
    /// whose `/Root` the scan found, else one naming the last catalog.
    async fn found_trailer(
        &mut self,
        trailers: &[usize],
        xref_streams: &[u32],
        catalogs: &[u32],
    ) -> Result<Dictionary, LoadError> {
        let names_a_catalog = |dict: &Dictionary, xref: &HashMap<u32, Entry>| matches!(dict.get(b"Root"), Ok(Object::Reference(id)) if xref.contains_key(&id.0));
        for &at in trailers.iter().rev() {
            let parsed = self
                .windowed(at, 0, |w| {
                    let mut lexer = Lexer::at(w, 0);
                    lexer.skip_space();
                    if lexer.peek(0) != Some(b'<') {
                        return None;
                    }
                    let dict = dictionary(&mut lexer, 0)?;
                    Some((dict, lexer.position()))
                })
                .await?;
            if let Some(mut dict) = parsed
                && names_a_catalog(&dict, &self.xref)
            {
                for key in [&b"Prev"[..], b"XRefStm"] {
                    dict.remove(key);
                }
                return Ok(dict);
            }
        }
        for &number in xref_streams.iter().rev() {
            if let Ok(Some((_, Object::Dictionary(dict)))) =
                self.object(number, Read::ValueOnly).await
                && names_a_catalog(&dict, &self.xref)
            {
                let mut trailer = Dictionary::new();
                for key in [&b"Root"[..], b"Info", b"Encrypt", b"ID"] {
                    if let Ok(value) = dict.get(key) {
                        trailer.set(key.to_vec(), value.clone());
                    }
                }
                return Ok(trailer);
            }
        }
        // The last catalog found, or none (cut off with the end of the
        // file): the pages are then the scan's.
        let mut trailer = Dictionary::new();
        if let Some(catalog) = catalogs.last() {
            trailer.set("Root", Object::Reference((*catalog, 0)));
        }
        Ok(trailer)
    }
}

/// Finds the object headers (`N G obj`) and `trailer` keywords starting
/// before `limit` in `window`, which starts at `base` in the file.
fn scan_window(
    window: &[u8],
    base: usize,
    limit: usize,
    hits: &mut Vec<Hit>,
    trailers: &mut Vec<usize>,
) {
    let mut at = 0;
    while let Some(i) = find_either(window, at) {
        at = i + 1;
        if window[i..].starts_with(b"trailer") {
            if i < limit && boundary_before(window, i) {
                trailers.push(base + i + 7);
            }
            continue;
        }
        // `obj` ends a header when followed by a delimiter or space.
        if window
            .get(i + 3)
            .is_some_and(|&b| !(is_space(b) || is_delimiter(b)))
        {
            continue;
        }
        let Some((start, number)) = header_before(window, i) else {
            continue;
        };
        if start >= limit {
            continue;
        }
        let peek_end = (i + 3 + PEEK).min(window.len());
        let body = &window[i + 3..peek_end];
        // Up to the object's end or its stream data, whichever comes first.
        let body = ["endobj".as_bytes(), b"stream"]
            .iter()
            .filter_map(|k| find(body, k, 0))
            .min()
            .map_or(body, |end| &body[..end]);
        hits.push(Hit {
            number,
            offset: base + start,
            kind: kind_of(body),
        });
    }
}

/// The next `obj` or `trailer` from `from`.
fn find_either(window: &[u8], from: usize) -> Option<usize> {
    let rest = window.get(from..)?;
    rest.windows(3)
        .position(|w| w == b"obj" || w == b"tra")
        .map(|p| from + p)
        .and_then(|p| {
            if window[p..].starts_with(b"tra") && !window[p..].starts_with(b"trailer") {
                find_either(window, p + 1)
            } else {
                Some(p)
            }
        })
}

fn boundary_before(window: &[u8], i: usize) -> bool {
    i == 0
        || window
            .get(i - 1)
            .is_some_and(|&b| is_space(b) || is_delimiter(b))
}

/// `N G ` before `obj` at `i`: where `N` starts, and `N`.
fn header_before(window: &[u8], i: usize) -> Option<(usize, u32)> {
    let digits_before = |end: usize| {
        let mut start = end;
        while start > 0 && window[start - 1].is_ascii_digit() {
            start -= 1;
        }
        (start < end).then_some(start)
    };
    let spaces_before = |end: usize| {
        let mut start = end;
        while start > 0 && is_space(window[start - 1]) {
            start -= 1;
        }
        (start < end).then_some(start)
    };
    let gen_end = spaces_before(i)?;
    let gen_start = digits_before(gen_end)?;
    let num_end = spaces_before(gen_start)?;
    let num_start = digits_before(num_end)?;
    if !boundary_before(window, num_start) || gen_end - gen_start > 5 {
        return None;
    }
    let number = std::str::from_utf8(&window[num_start..num_end])
        .ok()?
        .parse()
        .ok()?;
    Some((num_start, number))
}

/// What `/Type` in an object's first bytes says.
fn kind_of(body: &[u8]) -> Kind {
    let mut from = 0;
    while let Some(at) = find(body, b"/Type", from) {
        from = at + 5;
        let mut lexer = Lexer::at(body, from);
        lexer.skip_space();
        if lexer.peek(0) != Some(b'/') {
            continue;
        }
        lexer.set_position(lexer.position() + 1);
        return match lexer.regular_token() {
            b"Page" => Kind::Page,
            b"Catalog" => Kind::Catalog,
            b"ObjStm" => Kind::ObjectStream,
            b"XRef" => Kind::XrefStream,
            _ => Kind::Other,
        };
    }
    Kind::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_kinds_are_found_across_windows() {
        let text = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n\
                     2 0 obj<</Type/Pages/Kids[3 0 R]>>endobj\n3 0 obj <</Type /Page>> endobj\n\
                     4 0 obj\n<< /Length 5 >>\nstream\n/Type /Page\nendstream endobj\n\
                     trailer << /Root 1 0 R >>\nendobj 12 0 objx";
        let mut hits = Vec::new();
        let mut trailers = Vec::new();
        scan_window(text, 100, text.len(), &mut hits, &mut trailers);
        let found: Vec<(u32, Kind)> = hits.iter().map(|h| (h.number, h.kind)).collect();
        assert_eq!(
            found,
            vec![
                (1, Kind::Catalog),
                (2, Kind::Other),
                (3, Kind::Page),
                (4, Kind::Other)
            ]
        );
        assert_eq!(hits[0].offset, 109);
        assert_eq!(trailers.len(), 1);
        // A header past the limit is the next window's.
        let mut hits = Vec::new();
        scan_window(text, 0, 20, &mut hits, &mut Vec::new());
        assert_eq!(hits.len(), 1);
    }
}

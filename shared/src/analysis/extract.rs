//! Text extraction: a content-stream walker on lopdf that keeps track of where
//! each glyph lands, so that the text it returns has a space where the page has
//! a gap and a line break where the page has a new line. It reads operators
//! with [`super::lexer`], in place.
//!
//! It follows the text state (`Tf Tc Tw Tz TL Ts`), text positioning (`Td TD Tm
//! T*`, `'`, `"`), `TJ` arrays, the graphics state (`q Q cm`) and Form XObjects
//! (`Do`, bounded depth, no cycles). Glyphs are decoded with the font's
//! `/ToUnicode` CMap when it has one, else with its `/Encoding` (lopdf's tables
//! and glyph names); advances use `/Widths` (simple fonts; a Type 3 font's
//! through its own `/FontMatrix`) or `/W` and `/DW` (CID fonts). Decoded fonts are cached per object id, and the cache is bounded.
//!
//! Layout: every glyph is recorded with its device-space position, advance and
//! font size; at the end of the page glyphs are grouped into lines (baselines
//! within half a font size of each other, so super- and subscripts stay on
//! their line), each line is sorted left to right, and a space goes where the
//! gap to the previous glyph is wider than [`SPACE_GAP_EM`] of the font size.
//! So a `TJ` kerning inside a number glues, a gap between table cells
//! separates, and cells drawn out of order (or glyphs interleaved with
//! character spacing tricks) come out in reading order. A glyph drawn twice at
//! the same place (fake bold) is kept once.

use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::contract::api::WarningCode;

use super::cmap::ToUnicode;
use super::lexer::{Lexer, Operand};
use super::texfonts::TexFont;

/// Gap, in ems, above which two glyphs are separate words.
pub const SPACE_GAP_EM: f64 = 0.15;
/// Baselines closer than this many ems are one line.
pub const SAME_LINE_EM: f64 = 0.5;
/// Most glyphs recorded on one page (the rest of the page is ignored).
pub const MAX_GLYPHS_PER_PAGE: usize = 400_000;
/// Deepest Form XObject nesting followed.
pub const MAX_FORM_DEPTH: usize = 8;
/// Fonts kept decoded at once.
pub const FONT_CACHE_LIMIT: usize = 64;

/// Why a page's text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("a content stream inflates beyond {limit} bytes")]
    TooLarge { limit: usize },
}

/// Trouble on one page that does not stop the document: what
/// [`Extractor::page_text`] met, for the report's warnings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PageProblem {
    pub code: WarningCode,
    pub detail: String,
}

/// A content stream, decoded strictly: lopdf falls back to the raw bytes (or
/// to what inflated before the damage) without a word, which would feed
/// compressed garbage to the text walker and leave a broken page silently
/// empty.
enum Decoded {
    Whole(Vec<u8>),
    /// What decoded before the data broke off, and why it stopped.
    Partial(Vec<u8>, String),
    Unreadable(WarningCode, String),
}

/// Inflates `input` (zlib, or raw deflate when `raw`) into at most `limit`
/// bytes (one more tells the caller it was over); the output so far and the
/// error when the data is bad.
///
/// The buffer grows by doubling but never past `limit + 1`: `read_to_end`
/// would double a 32 MiB output into a 64 MiB allocation (and hold both
/// while it copies), which is how a decompression bomb used to take a
/// Worker's isolate past its 128 MB.
pub(crate) fn inflate(input: &[u8], raw: bool, limit: usize) -> (Vec<u8>, Option<String>) {
    if raw {
        bounded(flate2::read::DeflateDecoder::new(input), input.len(), limit)
    } else {
        bounded(flate2::read::ZlibDecoder::new(input), input.len(), limit)
    }
}

/// Reads `reader` to its end or to `limit + 1` bytes, whichever is first.
fn bounded(mut reader: impl std::io::Read, hint: usize, limit: usize) -> (Vec<u8>, Option<String>) {
    const CHUNK: usize = 64 * 1024;
    let cap = limit.saturating_add(1);
    let mut out: Vec<u8> =
        Vec::with_capacity(hint.saturating_mul(4).clamp(CHUNK, CHUNK.max(cap)).min(cap));
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let want = CHUNK.min(cap - out.len());
        if want == 0 {
            return (out, None);
        }
        match reader.read(&mut chunk[..want]) {
            Ok(0) => return (out, None),
            Ok(n) => {
                if out.capacity() - out.len() < n {
                    // Double, but once past half the limit go straight to
                    // it: a grown buffer is allocated while the old one is
                    // still held, so the peak stays under 1.5 × the limit.
                    let doubled = out.capacity().max(CHUNK) * 2;
                    let target = if doubled > cap / 2 { cap } else { doubled };
                    out.reserve_exact(target.max(out.len() + n) - out.len());
                }
                out.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (out, Some(e.to_string())),
        }
    }
}

/// A stream's data decoded under `limit` bytes, for the loader's object and
/// cross-reference streams: plain Flate through [`inflate`] (bounded
/// growth), anything else (predictors, other filters) through lopdf. `None`
/// when it cannot be decoded or is over the limit.
pub(crate) fn decode_data(stream: &lopdf::Stream, limit: usize) -> Option<Vec<u8>> {
    let filters = stream.filters().unwrap_or_default();
    let plain_flate =
        filters == [b"FlateDecode".as_slice()] && stream.dict.get(b"DecodeParms").is_err();
    if !plain_flate {
        return stream.decompressed_content_with_limit(limit).ok();
    }
    let (mut out, error) = inflate(&stream.content, false, limit);
    if error.is_some() && out.is_empty() && stream.content.len() > 2 {
        // As lopdf does: a bad zlib header or checksum, raw deflate inside.
        out = inflate(&stream.content[2..], true, limit).0;
    }
    (out.len() <= limit).then_some(out)
}

fn decode_content(stream: &lopdf::Stream, limit: usize) -> Result<Decoded, ExtractError> {
    let too_large = || ExtractError::TooLarge { limit };
    let filters = stream.filters().unwrap_or_default();
    let plain_flate =
        filters == [b"FlateDecode".as_slice()] && stream.dict.get(b"DecodeParms").is_err();
    if plain_flate {
        let (out, error) = inflate(&stream.content, false, limit);
        if out.len() > limit {
            return Err(too_large());
        }
        let Some(error) = error else {
            return Ok(Decoded::Whole(out));
        };
        // A bad checksum after good data (some encrypted files): the deflate
        // data itself may be whole.
        if stream.content.len() > 2 {
            let (raw, raw_error) = inflate(&stream.content[2..], true, limit);
            if raw.len() > limit {
                return Err(too_large());
            }
            if raw_error.is_none() {
                return Ok(Decoded::Whole(raw));
            }
        }
        return Ok(if out.is_empty() {
            Decoded::Unreadable(
                WarningCode::UnreadableContent,
                format!("its Flate data is corrupt ({error})"),
            )
        } else {
            Decoded::Partial(out, format!("its Flate data breaks off ({error})"))
        });
    }
    match stream.decompressed_content_with_limit(limit) {
        Ok(data) => Ok(Decoded::Whole(data)),
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
            Err(too_large())
        }
        Err(lopdf::Error::Unimplemented(_)) => {
            let names: Vec<String> = filters
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            Ok(Decoded::Unreadable(
                WarningCode::UnsupportedFilter,
                format!(
                    "it uses a filter the engine cannot decode ({})",
                    names.join(", ")
                ),
            ))
        }
        Err(e) => Ok(Decoded::Unreadable(
            WarningCode::UnreadableContent,
            format!("it cannot be decoded ({e})"),
        )),
    }
}

type Matrix = [f64; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `a × b` for PDF's row-vector matrices.
fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

/// The operands as numbers when there are exactly `N` of them (one that is
/// not a number counts as 0).
fn exactly<const N: usize>(args: &[Operand<'_>]) -> Option<[f64; N]> {
    if args.len() != N {
        return None;
    }
    let mut out = [0.0; N];
    for (o, a) in out.iter_mut().zip(args) {
        *o = a.number().unwrap_or(0.0);
    }
    Some(out)
}

fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

/// How a font turns codes into text and advances.
struct Font {
    two_byte: bool,
    to_unicode: Option<ToUnicode>,
    /// Simple fonts: the text of each one-byte code.
    table: Option<Vec<String>>,
    widths: Widths,
}

enum Widths {
    Simple {
        first: u32,
        widths: Vec<f64>,
        missing: f64,
    },
    Cid {
        default: f64,
        map: HashMap<u32, f64>,
    },
}

impl Font {
    fn load(doc: &Document, dict: &Dictionary) -> Font {
        let subtype = dict
            .get(b"Subtype")
            .and_then(Object::as_name)
            .unwrap_or(b"");
        let two_byte = subtype == b"Type0";
        let to_unicode = dict
            .get(b"ToUnicode")
            .ok()
            .and_then(|o| deref(doc, o).as_stream().ok())
            .and_then(|s| {
                s.decompressed_content()
                    .ok()
                    .or_else(|| Some(s.content.clone()))
            })
            .map(|data| ToUnicode::parse(&data))
            .filter(|c| !c.is_empty());
        let tex = (!two_byte && matches!(subtype, b"Type1" | b"MMType1") && !dict.has(b"Encoding"))
            .then(|| {
                let base = dict.get(b"BaseFont").and_then(Object::as_name).ok()?;
                TexFont::from_base_font(base)
            })
            .flatten();
        let table = if let Some(tex) = tex {
            Some(tex.table())
        } else if two_byte || builtin_symbol_encoding(doc, dict) {
            None
        } else {
            dict.get_font_encoding(doc).ok().map(|enc| {
                let mut table: Vec<String> = (0u8..=255)
                    .map(|b| enc.bytes_to_string(&[b]).unwrap_or_default())
                    .collect();
                if tex_math_italic(dict) {
                    // CMMI's built-in encoding puts punctuation where
                    // StandardEncoding has `:` `;` `<` `=` `>`.
                    for (code, text) in [
                        (0x3A, "."),
                        (0x3B, ","),
                        (0x3C, "<"),
                        (0x3D, "/"),
                        (0x3E, ">"),
                    ] {
                        table[code] = text.to_owned();
                    }
                }
                table
            })
        };
        let widths = if two_byte {
            cid_widths(doc, dict)
        } else {
            let first = dict
                .get(b"FirstChar")
                .ok()
                .and_then(|o| number(deref(doc, o)))
                .unwrap_or(0.0) as u32;
            // A Type 3 font's widths are in its own glyph space, which its
            // `/FontMatrix` maps to text space (pdfTeX's bitmap fonts: about
            // 1/100); every other simple font's are thousandths of an em.
            let per_thousandth = if subtype == b"Type3" {
                type3_scale(doc, dict) * 1000.0
            } else {
                1.0
            };
            let widths = dict
                .get(b"Widths")
                .ok()
                .and_then(|o| deref(doc, o).as_array().ok())
                .map(|a| {
                    a.iter()
                        .map(|w| number(deref(doc, w)).unwrap_or(0.0) * per_thousandth)
                        .collect()
                })
                .unwrap_or_default();
            let missing = dict
                .get(b"FontDescriptor")
                .ok()
                .and_then(|o| deref(doc, o).as_dict().ok())
                .and_then(|d| d.get(b"MissingWidth").ok())
                .and_then(|o| number(deref(doc, o)))
                .filter(|w| *w > 0.0)
                .map_or(500.0, |w| w * per_thousandth);
            Widths::Simple {
                first,
                widths,
                missing,
            }
        };
        Font {
            two_byte,
            to_unicode,
            table,
            widths,
        }
    }

    /// Splits a shown string into (code, byte length) pairs: one byte per code
    /// in simple fonts (whatever code space their ToUnicode declares), two in
    /// composite (Type0) fonts, which covers Identity-H/V and the UCS-2 CMaps.
    fn codes<'b>(&self, bytes: &'b [u8]) -> impl Iterator<Item = (u32, usize)> + 'b {
        let len = if self.two_byte { 2 } else { 1 };
        bytes.chunks(len).map(|c| {
            (
                c.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)),
                c.len(),
            )
        })
    }

    fn text(&self, code: u32) -> Cow<'_, str> {
        if let Some(s) = self.to_unicode.as_ref().and_then(|c| c.get(code)) {
            return s;
        }
        if let Some(table) = &self.table
            && let Some(s) = table.get(code as usize)
        {
            return Cow::Borrowed(s);
        }
        // Unknown: still a glyph (it occupies space), but never a digit.
        Cow::Borrowed("\u{fffd}")
    }

    /// Advance of a code, in thousandths of an em.
    fn width(&self, code: u32) -> f64 {
        match &self.widths {
            Widths::Simple {
                first,
                widths,
                missing,
            } => code
                .checked_sub(*first)
                .and_then(|i| widths.get(i as usize))
                .copied()
                .filter(|w| *w > 0.0)
                .unwrap_or(*missing),
            Widths::Cid { default, map } => map.get(&code).copied().unwrap_or(*default),
        }
    }
}

/// How much one unit of a Type 3 font's glyph space is in text space: the
/// horizontal scale of its `/FontMatrix` (the length of its first row, so a
/// rotated or skewed matrix counts too); 1/1000 when it has none usable.
fn type3_scale(doc: &Document, dict: &Dictionary) -> f64 {
    let matrix: Option<Vec<f64>> = dict
        .get(b"FontMatrix")
        .ok()
        .and_then(|o| deref(doc, o).as_array().ok())
        .map(|a| {
            a.iter()
                .map(|v| number(deref(doc, v)).unwrap_or(0.0))
                .collect()
        });
    match matrix.as_deref() {
        Some([a, b, ..]) if a.hypot(*b).is_finite() && a.hypot(*b) > 0.0 => a.hypot(*b),
        _ => 0.001,
    }
}

/// A Type 1 symbol font (TeX's math fonts, Symbol, Dingbats) with neither
/// `/Encoding` nor `/ToUnicode` uses the encoding built into its font program,
/// which is not read: decoding its codes as StandardEncoding would turn `∈`
/// into `2`. TeX's CMSY and MSBM are decoded by their fixed layout
/// ([`TexFont`], checked first); the glyphs of the others are left
/// undecoded. (The symbolic flag cannot decide this: TeX's text fonts carry
/// it too.)
fn builtin_symbol_encoding(_doc: &Document, dict: &Dictionary) -> bool {
    // TeX's math italic (CMMI) keeps letters at their ASCII codes: not listed.
    const SYMBOL_FONTS: [&[u8]; 6] = [b"CMSY", b"CMEX", b"MSAM", b"MSBM", b"Symbol", b"Dingbats"];
    let subtype = dict
        .get(b"Subtype")
        .and_then(Object::as_name)
        .unwrap_or(b"");
    if !matches!(subtype, b"Type1" | b"MMType1") || dict.has(b"Encoding") {
        return false;
    }
    let base = dict
        .get(b"BaseFont")
        .and_then(Object::as_name)
        .unwrap_or(b"");
    let base = super::texfonts::without_subset_prefix(base);
    SYMBOL_FONTS
        .iter()
        .any(|name| base.windows(name.len()).any(|w| w == *name))
}

/// TeX's math italic (CMMI). Its glyph set has no `:` `;` `<` `=` `>`, so
/// those codes are its punctuation whatever `/Differences` leaves them as.
fn tex_math_italic(dict: &Dictionary) -> bool {
    dict.get(b"BaseFont")
        .and_then(Object::as_name)
        .is_ok_and(|base| base.windows(4).any(|w| w == b"CMMI"))
}

fn cid_widths(doc: &Document, dict: &Dictionary) -> Widths {
    let descendant = dict
        .get(b"DescendantFonts")
        .ok()
        .and_then(|o| deref(doc, o).as_array().ok())
        .and_then(|a| a.first())
        .and_then(|o| deref(doc, o).as_dict().ok());
    let mut map = HashMap::new();
    let mut default = 1000.0;
    if let Some(d) = descendant {
        if let Some(dw) = d.get(b"DW").ok().and_then(|o| number(deref(doc, o))) {
            default = dw;
        }
        if let Some(w) = d.get(b"W").ok().and_then(|o| deref(doc, o).as_array().ok()) {
            let mut i = 0;
            while i < w.len() && map.len() < 65_536 {
                let Some(first) = number(deref(doc, &w[i])) else {
                    break;
                };
                match w.get(i + 1).map(|o| deref(doc, o)) {
                    Some(Object::Array(list)) => {
                        for (k, v) in list.iter().enumerate() {
                            if let Some(v) = number(deref(doc, v)) {
                                map.insert(first as u32 + k as u32, v);
                            }
                        }
                        i += 2;
                    }
                    Some(last) => {
                        let (Some(last), Some(v)) = (
                            number(last),
                            w.get(i + 2).and_then(|o| number(deref(doc, o))),
                        ) else {
                            break;
                        };
                        let (first, last) = (first as u32, last as u32);
                        for c in first..=last.min(first.saturating_add(65_535)) {
                            map.insert(c, v);
                        }
                        i += 3;
                    }
                    None => break,
                }
            }
        }
    }
    Widths::Cid { default, map }
}

fn deref<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
    match o {
        Object::Reference(id) => doc.get_object(*id).unwrap_or(o),
        _ => o,
    }
}

fn number(o: &Object) -> Option<f64> {
    match o {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

#[derive(Clone)]
struct GraphicsState {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    font_size: f64,
    char_spacing: f64,
    word_spacing: f64,
    h_scale: f64,
    leading: f64,
    rise: f64,
}

/// Extracts the text of pages; keeps the font cache between pages.
pub struct Extractor {
    fonts: HashMap<ObjectId, Rc<Font>>,
    max_stream_bytes: usize,
    /// What the current page's content streams and forms ran into.
    problems: Vec<PageProblem>,
}

/// One glyph placed on the page, in its own baseline's frame (rotated text is
/// turned level, so `x` runs along the baseline).
#[derive(Debug, Clone, Copy)]
struct Glyph {
    /// Baseline direction, whole degrees: glyphs of one direction are laid out together.
    dir: i16,
    x: f64,
    y: f64,
    /// Advance along the baseline, device units.
    width: f64,
    /// Font size, device units.
    em: f64,
    /// Its text: `Sink::chars[start..start + len]`.
    start: u32,
    len: u8,
}

/// The glyphs of one page, being collected.
#[derive(Default)]
struct Sink {
    glyphs: Vec<Glyph>,
    chars: Vec<char>,
}

impl Sink {
    fn push(&mut self, dir: i16, x: f64, y: f64, width: f64, em: f64, text: &str) {
        if self.glyphs.len() >= MAX_GLYPHS_PER_PAGE {
            return;
        }
        let start = self.chars.len() as u32;
        let mut len = 0u8;
        // Spaces are not recorded: the layout puts a space wherever the page has
        // a gap, and a drawn space that overlaps the next column must not split it.
        for c in text.chars().take(8) {
            if !c.is_whitespace() && !c.is_control() && c != '\u{a0}' {
                self.chars.push(c);
                len += 1;
            }
        }
        if len > 0 {
            self.glyphs.push(Glyph {
                dir,
                x,
                y,
                width,
                em,
                start,
                len,
            });
        }
    }

    /// Lays the glyphs out into lines of words.
    ///
    /// Sorted by direction, then from the top, then from the left, each
    /// line's glyphs are a run of the sorted glyphs: it is sorted from the
    /// left in place and written out, a space wherever the gap between two
    /// glyphs is wider than [`SPACE_GAP_EM`]. Each line's place on the page
    /// comes with it ([`Layout::lines`]).
    fn layout(mut self) -> Layout {
        let glyphs = &mut self.glyphs;
        glyphs.sort_by(|a, b| {
            a.dir
                .cmp(&b.dir)
                .then(b.y.total_cmp(&a.y))
                .then(a.x.total_cmp(&b.x))
        });
        let mut out = String::with_capacity(self.chars.len() + self.chars.len() / 4);
        let mut lines = Vec::new();
        let mut start = 0;
        while start < glyphs.len() {
            let first = glyphs[start];
            let end = start
                + glyphs[start..]
                    .iter()
                    .position(|g| {
                        g.dir != first.dir
                            || (first.y - g.y).abs() >= SAME_LINE_EM * first.em.max(g.em)
                    })
                    .unwrap_or(glyphs.len() - start);
            let line = &mut glyphs[start..end];
            start = end;
            line.sort_by(|a, b| a.x.total_cmp(&b.x));
            let line_start = out.len();
            let mut spans: Vec<(f32, f32)> = Vec::with_capacity(line.len() + line.len() / 4);
            let mut em = 0.0f64;
            let mut prev: Option<&Glyph> = None;
            for g in line.iter() {
                let chars = &self.chars[g.start as usize..g.start as usize + g.len as usize];
                if let Some(p) = prev {
                    let duplicate = (g.x - p.x).abs() < 0.1 * g.em
                        && self.chars[p.start as usize..p.start as usize + p.len as usize]
                            == *chars;
                    if duplicate {
                        continue;
                    }
                    let gap = g.x - (p.x + p.width);
                    if gap > SPACE_GAP_EM * p.em.max(g.em) && !out.ends_with(' ') {
                        out.push(' ');
                        spans.push(((p.x + p.width) as f32, g.x as f32));
                    }
                }
                out.extend(chars);
                let span = (g.x as f32, (g.x + g.width.max(0.0)) as f32);
                spans.extend(std::iter::repeat_n(span, chars.len()));
                em = em.max(g.em);
                prev = Some(g);
            }
            let kept = out[line_start..].trim_end().len();
            let kept_chars = out[line_start..line_start + kept].chars().count();
            out.truncate(line_start + kept);
            spans.truncate(kept_chars);
            if kept > 0 {
                out.push('\n');
                lines.push(LineBox {
                    dir: first.dir,
                    baseline: first.y,
                    em,
                    spans,
                });
            }
        }
        Layout { text: out, lines }
    }
}

/// A page's text and where its lines are: `lines[i]` is the `i`-th line
/// of `text`.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub text: String,
    pub lines: Vec<LineBox>,
}

/// Where one line of text sits: its baseline in the frame turned level by
/// `dir` degrees, its largest font size, and each character's span along
/// the baseline (spaces span the gap they stand for).
#[derive(Debug, Clone, Default)]
pub struct LineBox {
    pub dir: i16,
    pub baseline: f64,
    pub em: f64,
    pub spans: Vec<(f32, f32)>,
}

impl LineBox {
    /// The box of characters `from..to` of the line in PDF user space,
    /// `[x0, y0, x1, y1]` (lower left, upper right): from a fifth of the
    /// font size below the baseline to four fifths above, turned back by
    /// the line's direction. `None` when the characters are not all there.
    pub fn bbox(&self, from: usize, to: usize) -> Option<[f64; 4]> {
        if from >= to {
            return None;
        }
        let x0 = f64::from(self.spans.get(from)?.0);
        let x1 = f64::from(self.spans.get(to - 1)?.1);
        let (y0, y1) = (self.baseline - 0.2 * self.em, self.baseline + 0.8 * self.em);
        let (sin, cos) = f64::from(self.dir).to_radians().sin_cos();
        let turn = |x: f64, y: f64| (x * cos - y * sin, x * sin + y * cos);
        let corners = [turn(x0, y0), turn(x1, y0), turn(x0, y1), turn(x1, y1)];
        let (mut lo, mut hi) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
        for (x, y) in corners {
            lo = (lo.0.min(x), lo.1.min(y));
            hi = (hi.0.max(x), hi.1.max(y));
        }
        let round = |v: f64| (v * 100.0).round() / 100.0;
        Some([round(lo.0), round(lo.1), round(hi.0), round(hi.1)])
    }
}

impl Extractor {
    pub fn new(max_stream_bytes: usize) -> Self {
        Extractor {
            fonts: HashMap::new(),
            max_stream_bytes,
            problems: Vec::new(),
        }
    }

    /// The text of one page: words separated by spaces, lines by `\n`.
    /// Content streams that cannot be decoded are left out and recorded with
    /// the page's other troubles ([`Extractor::take_problems`]).
    pub fn page_text(&mut self, doc: &Document, page_id: ObjectId) -> Result<String, ExtractError> {
        self.page_layout(doc, page_id).map(|layout| layout.text)
    }

    /// [`Extractor::page_text`] with where each line sits on the page.
    pub fn page_layout(
        &mut self,
        doc: &Document,
        page_id: ObjectId,
    ) -> Result<Layout, ExtractError> {
        self.problems.clear();
        let mut content = Vec::new();
        for id in doc.get_page_contents(page_id) {
            let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
                continue;
            };
            let remaining = self.max_stream_bytes.saturating_sub(content.len());
            let what = format!("content stream {} {} R", id.0, id.1);
            let (data, problem) = match decode_content(stream, remaining).map_err(|_| {
                ExtractError::TooLarge {
                    limit: self.max_stream_bytes,
                }
            })? {
                Decoded::Whole(data) => (data, None),
                Decoded::Partial(data, why) => (data, Some((WarningCode::TruncatedContent, why))),
                Decoded::Unreadable(code, why) => (Vec::new(), Some((code, why))),
            };
            if let Some((code, why)) = problem {
                self.problems.push(PageProblem {
                    code,
                    detail: format!("{what}: {why}"),
                });
            }
            if content.is_empty() {
                // One stream (most pages): its buffer becomes the page's.
                content = data;
            } else if !data.is_empty() {
                // Streams are joined with a line break between them.
                content.reserve_exact(data.len() + 1);
                content.push(b'\n');
                content.extend_from_slice(&data);
            }
        }
        let resources = page_resources(doc, page_id);
        let mut sink = Sink::default();
        let state = GraphicsState {
            ctm: IDENTITY,
            font: None,
            font_size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            h_scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        };
        let mut stack = Vec::new();
        self.run(doc, &content, &resources, state, &mut sink, &mut stack)?;
        drop(content);
        Ok(sink.layout())
    }

    /// What the last page read ran into (emptied by the next page).
    pub fn take_problems(&mut self) -> Vec<PageProblem> {
        std::mem::take(&mut self.problems)
    }

    fn font<'d>(
        &mut self,
        doc: &'d Document,
        resources: &[&'d Dictionary],
        name: &[u8],
    ) -> Option<Rc<Font>> {
        let (id, dict) = lookup(doc, resources, b"Font", name)?;
        let dict = dict.as_dict().ok()?;
        if let Some(id) = id
            && let Some(f) = self.fonts.get(&id)
        {
            return Some(Rc::clone(f));
        }
        let font = Rc::new(Font::load(doc, dict));
        if let Some(id) = id {
            if self.fonts.len() >= FONT_CACHE_LIMIT {
                self.fonts.clear();
            }
            self.fonts.insert(id, Rc::clone(&font));
        }
        Some(font)
    }

    fn run<'d>(
        &mut self,
        doc: &'d Document,
        content: &[u8],
        resources: &[&'d Dictionary],
        mut gs: GraphicsState,
        sink: &mut Sink,
        forms: &mut Vec<ObjectId>,
    ) -> Result<(), ExtractError> {
        let mut lexer = Lexer::new(content);
        let mut saved: Vec<GraphicsState> = Vec::new();
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        while let Some((operator, args)) = lexer.next_op() {
            let num = |i: usize| args.get(i).and_then(Operand::number);
            match operator {
                b"q" => saved.push(gs.clone()),
                b"Q" => {
                    if let Some(prev) = saved.pop() {
                        gs = prev;
                    }
                }
                b"cm" => {
                    if let Some(n) = exactly::<6>(args) {
                        gs.ctm = mul(&[n[0], n[1], n[2], n[3], n[4], n[5]], &gs.ctm);
                    }
                }
                b"BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                b"Tf" => {
                    if let (Some(Operand::Name(name)), Some(size)) = (args.first(), num(1)) {
                        gs.font = self.font(doc, resources, name);
                        gs.font_size = size;
                    }
                }
                b"Tc" => gs.char_spacing = num(0).unwrap_or(0.0),
                b"Tw" => gs.word_spacing = num(0).unwrap_or(0.0),
                b"Tz" => gs.h_scale = num(0).unwrap_or(100.0) / 100.0,
                b"TL" => gs.leading = num(0).unwrap_or(0.0),
                b"Ts" => gs.rise = num(0).unwrap_or(0.0),
                b"Td" | b"TD" => {
                    if let Some(n) = exactly::<2>(args) {
                        if operator == b"TD" {
                            gs.leading = -n[1];
                        }
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, n[0], n[1]], &tlm);
                        tm = tlm;
                    }
                }
                b"Tm" => {
                    if let Some(n) = exactly::<6>(args) {
                        tlm = [n[0], n[1], n[2], n[3], n[4], n[5]];
                        tm = tlm;
                    }
                }
                b"T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                    tm = tlm;
                }
                b"Tj" | b"'" | b"\"" => {
                    if operator != b"Tj" {
                        if operator == b"\"" && args.len() >= 2 {
                            gs.word_spacing = num(0).unwrap_or(0.0);
                            gs.char_spacing = num(1).unwrap_or(0.0);
                        }
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                        tm = tlm;
                    }
                    if let Some(Operand::String(bytes)) = args.last() {
                        show(&gs, &mut tm, bytes, sink);
                    }
                }
                b"TJ" => {
                    if let Some(Operand::Array(items)) = args.first() {
                        for item in items {
                            match item {
                                Operand::String(bytes) => show(&gs, &mut tm, bytes, sink),
                                other => {
                                    if let Some(adj) = other.number() {
                                        let tx = -adj / 1000.0 * gs.font_size * gs.h_scale;
                                        tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &tm);
                                    }
                                }
                            }
                        }
                    }
                }
                b"Do" => {
                    if let Some(Operand::Name(name)) = args.first() {
                        self.form(doc, resources, name, &gs, sink, forms)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn form<'d>(
        &mut self,
        doc: &'d Document,
        resources: &[&'d Dictionary],
        name: &[u8],
        gs: &GraphicsState,
        sink: &mut Sink,
        forms: &mut Vec<ObjectId>,
    ) -> Result<(), ExtractError> {
        let Some((Some(id), object)) = lookup(doc, resources, b"XObject", name) else {
            return Ok(());
        };
        if forms.len() >= MAX_FORM_DEPTH || forms.contains(&id) {
            return Ok(());
        }
        let Ok(stream) = object.as_stream() else {
            return Ok(());
        };
        if stream.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form") {
            return Ok(());
        }
        let what = format!("form {} {} R", id.0, id.1);
        let data = match decode_content(stream, self.max_stream_bytes)? {
            Decoded::Whole(data) => data,
            Decoded::Partial(data, why) => {
                self.problems.push(PageProblem {
                    code: WarningCode::TruncatedContent,
                    detail: format!("{what}: {why}"),
                });
                data
            }
            Decoded::Unreadable(code, why) => {
                self.problems.push(PageProblem {
                    code,
                    detail: format!("{what}: {why}"),
                });
                return Ok(());
            }
        };
        let mut inner = gs.clone();
        if let Ok(m) = stream.dict.get(b"Matrix").and_then(Object::as_array) {
            let n: Vec<f64> = m.iter().map(|o| number(o).unwrap_or(0.0)).collect();
            if n.len() == 6 {
                inner.ctm = mul(&[n[0], n[1], n[2], n[3], n[4], n[5]], &gs.ctm);
            }
        }
        let own = stream
            .dict
            .get(b"Resources")
            .ok()
            .and_then(|o| deref(doc, o).as_dict().ok());
        let mut res: Vec<&'d Dictionary> = Vec::with_capacity(resources.len() + 1);
        if let Some(own) = own {
            res.push(own);
        }
        res.extend_from_slice(resources);
        forms.push(id);
        let result = self.run(doc, &data, &res, inner, sink, forms);
        forms.pop();
        result
    }
}

/// Shows a string: records its glyphs in the sink and advances the text matrix.
///
/// Within one string the text matrix only moves along its baseline: glyph
/// `i` is drawn with `T(advance_i) × Tm × CTM`, so every glyph's position is
/// the string's first rendering matrix applied to its advance, and the
/// baseline's angle and the font's size in device space are worked out once.
fn show(gs: &GraphicsState, tm: &mut Matrix, bytes: &[u8], sink: &mut Sink) {
    let Some(font) = gs.font.as_deref() else {
        return;
    };
    let first = mul(tm, &gs.ctm);
    // Turn the baseline level: rotate device space by minus its angle.
    let angle = first[1].atan2(first[0]);
    let (sin, cos) = angle.sin_cos();
    let level = |(px, py): (f64, f64)| (px * cos + py * sin, py * cos - px * sin);
    // Font size in device space: the text rendering matrix's vertical scale.
    let em = (gs.font_size * (first[2] * first[2] + first[3] * first[3]).sqrt()).abs();
    let dir = angle.to_degrees().round() as i16;
    let mut advance = 0.0;
    for (code, len) in font.codes(bytes) {
        let (x, y) = level(apply(&first, advance, gs.rise));
        let w0 = font.width(code) / 1000.0;
        let word = if len == 1 && code == 32 {
            gs.word_spacing
        } else {
            0.0
        };
        let glyph_tx = w0 * gs.font_size * gs.h_scale;
        let (gx, _) = level(apply(&first, advance + glyph_tx, gs.rise));
        sink.push(dir, x, y, gx - x, em.max(1e-6), &font.text(code));
        advance += (w0 * gs.font_size + gs.char_spacing + word) * gs.h_scale;
    }
    *tm = mul(&[1.0, 0.0, 0.0, 1.0, advance, 0.0], tm);
}

/// The page's resource dictionaries, nearest first (inherited ones after).
fn page_resources(doc: &Document, page_id: ObjectId) -> Vec<&Dictionary> {
    let mut out = Vec::new();
    if let Ok((direct, ids)) = doc.get_page_resources(page_id) {
        if let Some(d) = direct {
            out.push(d);
        }
        for id in ids {
            if let Ok(d) = doc.get_dictionary(id) {
                out.push(d);
            }
        }
    }
    out
}

/// Finds `/category /name` in the resource dictionaries.
fn lookup<'a>(
    doc: &'a Document,
    resources: &[&'a Dictionary],
    category: &[u8],
    name: &[u8],
) -> Option<(Option<ObjectId>, &'a Object)> {
    for res in resources {
        let Some(dict) = res
            .get(category)
            .ok()
            .and_then(|o| deref(doc, o).as_dict().ok())
        else {
            continue;
        };
        if let Ok(entry) = dict.get(name) {
            return match entry {
                Object::Reference(id) => doc.get_object(*id).ok().map(|o| (Some(*id), o)),
                other => Some((None, other)),
            };
        }
    }
    None
}

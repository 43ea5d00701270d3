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

use foldhash::HashMap;
use std::rc::Rc;

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::contract::api::WarningCode;

use super::fonts::{Font, deref, number};
pub use super::inflate::ExtractError;
use super::inflate::{Decoded, decode_content};
use super::layout::{Layout, Sink};
pub use super::layout::{MAX_GLYPHS_PER_PAGE, SAME_LINE_EM, SPACE_GAP_EM};
use super::lexer::{Lexer, Operand};

/// Deepest Form XObject nesting followed.
pub const MAX_FORM_DEPTH: usize = 8;
/// Fonts kept decoded at once.
pub const FONT_CACHE_LIMIT: usize = 64;

/// Trouble on one page that does not stop the document: what
/// [`Extractor::page_text`] met, for the report's warnings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PageProblem {
    pub code: WarningCode,
    pub detail: String,
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

impl Extractor {
    pub fn new(max_stream_bytes: usize) -> Self {
        Extractor {
            fonts: HashMap::default(),
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
        let mut by_name: Vec<(Vec<u8>, Option<Rc<Font>>)> = Vec::new();
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
                        // The resources are fixed for this stream: each name
                        // is looked up once (TeX pages switch fonts thousands
                        // of times).
                        let known = by_name.iter().find(|(n, _)| n[..] == name[..]);
                        gs.font = match known {
                            Some((_, font)) => font.clone(),
                            None => {
                                let font = self.font(doc, resources, name);
                                by_name.push((name.to_vec(), font.clone()));
                                font
                            }
                        };
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
    // Upright text, as most is, needs no trigonometry.
    let angle = if first[1] == 0.0 && first[0] > 0.0 {
        0.0
    } else {
        first[1].atan2(first[0])
    };
    let (sin, cos) = if angle == 0.0 {
        (0.0, 1.0)
    } else {
        angle.sin_cos()
    };
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

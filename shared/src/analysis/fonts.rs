//! Fonts as the text walker needs them: each code's text (a `/ToUnicode`
//! CMap, the `/Encoding`, or a TeX math font's fixed layout) and advance
//! (`/Widths`, a Type 3 font's `/FontMatrix`, or a CID font's `/W` and `/DW`).

use foldhash::HashMap;
use std::borrow::Cow;

use lopdf::{Dictionary, Document, Object};

use super::cmap::ToUnicode;
use super::texfonts::TexFont;

/// How a font turns codes into text and advances.
pub(crate) struct Font {
    pub(crate) two_byte: bool,
    pub(crate) to_unicode: Option<ToUnicode>,
    /// Simple fonts: the text of each one-byte code.
    pub(crate) table: Option<Vec<String>>,
    pub(crate) widths: Widths,
}

pub(crate) enum Widths {
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
    pub(crate) fn load(doc: &Document, dict: &Dictionary) -> Font {
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
    pub(crate) fn codes<'b>(&self, bytes: &'b [u8]) -> impl Iterator<Item = (u32, usize)> + 'b {
        let len = if self.two_byte { 2 } else { 1 };
        bytes.chunks(len).map(|c| {
            (
                c.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)),
                c.len(),
            )
        })
    }

    pub(crate) fn text(&self, code: u32) -> Cow<'_, str> {
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
    pub(crate) fn width(&self, code: u32) -> f64 {
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
pub(crate) fn type3_scale(doc: &Document, dict: &Dictionary) -> f64 {
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
pub(crate) fn builtin_symbol_encoding(_doc: &Document, dict: &Dictionary) -> bool {
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
pub(crate) fn tex_math_italic(dict: &Dictionary) -> bool {
    dict.get(b"BaseFont")
        .and_then(Object::as_name)
        .is_ok_and(|base| base.windows(4).any(|w| w == b"CMMI"))
}

pub(crate) fn cid_widths(doc: &Document, dict: &Dictionary) -> Widths {
    let descendant = dict
        .get(b"DescendantFonts")
        .ok()
        .and_then(|o| deref(doc, o).as_array().ok())
        .and_then(|a| a.first())
        .and_then(|o| deref(doc, o).as_dict().ok());
    let mut map = HashMap::default();
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

pub(crate) fn deref<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
    match o {
        Object::Reference(id) => doc.get_object(*id).unwrap_or(o),
        _ => o,
    }
}

pub(crate) fn number(o: &Object) -> Option<f64> {
    match o {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

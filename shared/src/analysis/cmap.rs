//! A small parser for `/ToUnicode` CMaps (`bfchar` and `bfrange` sections and
//! the code-space ranges that say how many bytes a code has). lopdf has one, but
//! not public, and its font encoding prefers `/Encoding` over `/ToUnicode`,
//! which is the wrong way round for text extraction.

use foldhash::HashMap;
use std::borrow::Cow;

/// Code → text, from one ToUnicode CMap.
#[derive(Debug, Default, Clone)]
pub struct ToUnicode {
    chars: HashMap<u32, String>,
    /// (first code, last code, first target as UTF-16) sorted by first code.
    ranges: Vec<(u32, u32, Vec<u16>)>,
    /// Byte lengths of codes declared in `begincodespacerange` (1 to 4).
    pub code_lengths: Vec<u8>,
}

/// A `bfrange` of fewer codes than this has each code's text made when the
/// CMap is read (the larger ones are looked up at each glyph).
const EXPANDED_RANGE: u32 = 256;

/// Most entries read from one CMap (a crafted file cannot make us allocate more).
const MAX_ENTRIES: usize = 200_000;

impl ToUnicode {
    pub fn parse(data: &[u8]) -> ToUnicode {
        let tokens = tokenize(data);
        let mut cmap = ToUnicode::default();
        let mut i = 0;
        let mut entries = 0usize;
        while i < tokens.len() && entries < MAX_ENTRIES {
            match &tokens[i] {
                Token::Word(w) if w == "begincodespacerange" => {
                    i += 1;
                    while let (Some(Token::Hex(lo)), Some(Token::Hex(_))) =
                        (tokens.get(i), tokens.get(i + 1))
                    {
                        let len = lo.len().clamp(1, 4) as u8;
                        if !cmap.code_lengths.contains(&len) {
                            cmap.code_lengths.push(len);
                        }
                        i += 2;
                    }
                }
                Token::Word(w) if w == "beginbfchar" => {
                    i += 1;
                    while let (Some(Token::Hex(src)), Some(Token::Hex(dst))) =
                        (tokens.get(i), tokens.get(i + 1))
                    {
                        cmap.chars.insert(code(src), utf16_text(&to_u16(dst)));
                        entries += 1;
                        i += 2;
                    }
                }
                Token::Word(w) if w == "beginbfrange" => {
                    i += 1;
                    while let (Some(Token::Hex(lo)), Some(Token::Hex(hi))) =
                        (tokens.get(i), tokens.get(i + 1))
                    {
                        let (lo, hi) = (code(lo), code(hi));
                        match tokens.get(i + 2) {
                            Some(Token::Hex(dst)) => {
                                if hi >= lo {
                                    let base = to_u16(dst);
                                    if hi - lo < EXPANDED_RANGE {
                                        // Each code's text made once here, not
                                        // at every glyph.
                                        for c in lo..=hi {
                                            cmap.chars
                                                .entry(c)
                                                .or_insert_with(|| range_text(&base, c - lo));
                                        }
                                    }
                                    cmap.ranges.push((lo, hi, base));
                                }
                                entries += 1;
                                i += 3;
                            }
                            Some(Token::ArrayStart) => {
                                i += 3;
                                let mut c = lo;
                                while let Some(Token::Hex(dst)) = tokens.get(i) {
                                    if c <= hi {
                                        cmap.chars.insert(c, utf16_text(&to_u16(dst)));
                                        entries += 1;
                                    }
                                    c = c.saturating_add(1);
                                    i += 1;
                                }
                                if matches!(tokens.get(i), Some(Token::ArrayEnd)) {
                                    i += 1;
                                }
                            }
                            _ => break,
                        }
                    }
                }
                _ => i += 1,
            }
        }
        cmap.ranges.sort_by_key(|r| r.0);
        cmap
    }

    /// The text of one code, if the CMap maps it.
    pub fn get(&self, code: u32) -> Option<Cow<'_, str>> {
        if let Some(s) = self.chars.get(&code) {
            return Some(Cow::Borrowed(s));
        }
        let idx = self.ranges.partition_point(|r| r.0 <= code);
        // Ranges may overlap in broken files: look back a little.
        for (lo, hi, base) in self.ranges[..idx].iter().rev().take(4) {
            if (*lo..=*hi).contains(&code) {
                return Some(Cow::Owned(range_text(base, code - lo)));
            }
        }
        None
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty() && self.ranges.is_empty()
    }
}

/// The text of the code `offset` past a `bfrange`'s first, whose first
/// target is `base`: its last UTF-16 unit moved on by `offset`.
fn range_text(base: &[u16], offset: u32) -> String {
    let mut units = base.to_vec();
    if let Some(last) = units.last_mut() {
        *last = last.wrapping_add(offset as u16);
    }
    utf16_text(&units)
}

#[derive(Debug, PartialEq)]
enum Token {
    Hex(Vec<u8>),
    Word(String),
    ArrayStart,
    ArrayEnd,
}

fn tokenize(data: &[u8]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'%' => {
                while i < data.len() && data[i] != b'\n' && data[i] != b'\r' {
                    i += 1;
                }
            }
            b'<' if data.get(i + 1) == Some(&b'<') => i += 2,
            b'>' if data.get(i + 1) == Some(&b'>') => i += 2,
            b'<' => {
                i += 1;
                let mut nibbles = Vec::new();
                while i < data.len() && data[i] != b'>' {
                    if let Some(v) = (data[i] as char).to_digit(16) {
                        nibbles.push(v as u8);
                    }
                    i += 1;
                }
                i += 1;
                if nibbles.len() % 2 == 1 {
                    nibbles.push(0);
                }
                tokens.push(Token::Hex(
                    nibbles.chunks(2).map(|p| (p[0] << 4) | p[1]).collect(),
                ));
            }
            b'[' => {
                tokens.push(Token::ArrayStart);
                i += 1;
            }
            b']' => {
                tokens.push(Token::ArrayEnd);
                i += 1;
            }
            b'(' => {
                // Literal strings do not occur in the sections we read; skip them.
                let mut depth = 0;
                while i < data.len() {
                    match data[i] {
                        b'\\' => i += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            c if c.is_ascii_alphanumeric() || c == b'/' || c == b'.' => {
                let start = i;
                while i < data.len()
                    && !data[i].is_ascii_whitespace()
                    && !matches!(data[i], b'<' | b'>' | b'[' | b']' | b'(' | b')' | b'%')
                {
                    i += 1;
                }
                tokens.push(Token::Word(
                    String::from_utf8_lossy(&data[start..i]).into_owned(),
                ));
            }
            _ => i += 1,
        }
    }
    tokens
}

fn code(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .take(4)
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
}

fn to_u16(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks(2)
        .map(|p| (u16::from(p[0]) << 8) | u16::from(*p.get(1).unwrap_or(&0)))
        .collect()
}

fn utf16_text(units: &[u16]) -> String {
    char::decode_utf16(units.iter().copied())
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &[u8] = b"/CIDInit /ProcSet findresource begin
12 dict begin begincmap
1 begincodespacerange <0000> <FFFF> endcodespacerange
2 beginbfchar
<0003> <0020>
<0011> <0030>
endbfchar
2 beginbfrange
<0012> <001A> <0031>
<0024> <0026> [<0041> <0042> <00660069>]
endbfrange
endcmap";

    #[test]
    fn reads_chars_ranges_and_arrays() {
        let cmap = ToUnicode::parse(SAMPLE);
        assert_eq!(cmap.code_lengths, [2]);
        assert_eq!(cmap.get(0x0003).as_deref(), Some(" "));
        assert_eq!(cmap.get(0x0011).as_deref(), Some("0"));
        assert_eq!(cmap.get(0x0012).as_deref(), Some("1"));
        assert_eq!(cmap.get(0x001A).as_deref(), Some("9"));
        assert_eq!(cmap.get(0x0024).as_deref(), Some("A"));
        assert_eq!(cmap.get(0x0026).as_deref(), Some("fi"));
        assert_eq!(cmap.get(0x0027), None);
    }

    #[test]
    fn small_ranges_are_made_once_large_ones_at_each_glyph() {
        let cmap = ToUnicode::parse(
            b"2 beginbfrange <0010> <0019> <0030> <1000> <2000> <4E00> endbfrange \
              1 beginbfchar <0012> <0058> endbfchar",
        );
        // A bfchar read after a range wins over it, as before.
        assert_eq!(cmap.get(0x0012).as_deref(), Some("X"));
        assert!(matches!(cmap.get(0x0015), Some(Cow::Borrowed("5"))));
        assert!(matches!(cmap.get(0x1001), Some(Cow::Owned(s)) if s == "\u{4e01}"));
    }

    #[test]
    fn garbage_does_not_panic() {
        for data in [
            &b""[..],
            b"<",
            b"beginbfrange <00",
            b"beginbfchar <01> [",
            b"((((",
            b"<zz>",
        ] {
            let _ = ToUnicode::parse(data);
        }
    }
}

//! A content-stream lexer for text extraction: walks a page's operators and
//! their operands in place, without building lopdf's `Content` (a `Vec` of
//! operations whose operands are owned `Object`s, most of them path
//! coordinates the text walker never reads).
//!
//! Operands are numbers, names, strings (literal with escapes, or hex) and
//! arrays of them; booleans, `null` and dictionaries (marked-content
//! properties) are read and kept as [`Operand::Other`]. Inline images
//! (`BI … ID <bytes> EI`) are skipped whole, so their bytes are never taken
//! for operators. Malformed input never panics: a stray delimiter is skipped,
//! an unterminated string or array ends at the end of the stream, nesting is
//! bounded by [`MAX_NESTING`] and the operands waiting for one operator by
//! [`MAX_OPERANDS`].

use std::borrow::Cow;

use super::tokens::{hex_value, is_delimiter, is_regular, is_space, parse_number};

/// Deepest array or dictionary nesting read; deeper content is skipped
/// without recursion.
pub const MAX_NESTING: usize = 32;
/// Most operands kept for one operator; beyond it the oldest are dropped
/// (no text operator takes more than a few).
pub const MAX_OPERANDS: usize = 64;

/// One operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand<'a> {
    /// A number token as written, read by [`Operand::number`] only when an
    /// operator wants it (most are path coordinates nobody reads).
    Number(&'a [u8]),
    /// A name without its `/`, `#xx` escapes decoded.
    Name(Cow<'a, [u8]>),
    /// A string's bytes, escapes decoded.
    String(Cow<'a, [u8]>),
    Array(Vec<Operand<'a>>),
    /// A boolean, `null` or a dictionary.
    Other,
}

impl Operand<'_> {
    pub fn number(&self) -> Option<f64> {
        match self {
            Operand::Number(token) => parse_number(token),
            _ => None,
        }
    }
}

/// Reads operators one at a time; see [`Lexer::next_op`].
pub struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
    operands: Vec<Operand<'a>>,
}

impl<'a> Lexer<'a> {
    pub fn new(data: &'a [u8]) -> Lexer<'a> {
        Lexer {
            data,
            pos: 0,
            operands: Vec::new(),
        }
    }

    /// A lexer at byte `pos` of `data`, for the object parser
    /// ([`super::loader`]), which shares the tokens' syntax.
    pub(crate) fn at(data: &'a [u8], pos: usize) -> Lexer<'a> {
        Lexer {
            data,
            pos: pos.min(data.len()),
            operands: Vec::new(),
        }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn set_position(&mut self, pos: usize) {
        self.pos = pos.min(self.data.len());
    }

    /// The byte `ahead` positions after the current one.
    pub(crate) fn peek(&self, ahead: usize) -> Option<u8> {
        self.data.get(self.pos + ahead).copied()
    }

    /// The next operator and the operands before it, or `None` at the end.
    pub fn next_op(&mut self) -> Option<(&'a [u8], &[Operand<'a>])> {
        self.operands.clear();
        loop {
            self.skip_space();
            let &b = self.data.get(self.pos)?;
            if is_regular(b) && !matches!(b, b'0'..=b'9' | b'+' | b'-' | b'.') {
                let word = self.regular_token();
                match word {
                    b"true" | b"false" | b"null" => self.push(Operand::Other),
                    b"BI" => {
                        self.skip_inline_image();
                        return Some((word, &self.operands));
                    }
                    _ => return Some((word, &self.operands)),
                }
            } else if let Some(operand) = self.operand(0) {
                self.push(operand);
            }
        }
    }

    fn push(&mut self, operand: Operand<'a>) {
        if self.operands.len() >= MAX_OPERANDS {
            self.operands.remove(0);
        }
        self.operands.push(operand);
    }

    /// Advances over the bytes for which `keep` holds and returns them.
    fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a [u8] {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let len = rest.iter().position(|&b| !keep(b)).unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    pub(crate) fn skip_space(&mut self) {
        loop {
            self.take_while(is_space);
            if self.peek(0) != Some(b'%') {
                return;
            }
            // A comment, to the end of its line.
            self.take_while(|c| c != b'\n' && c != b'\r');
        }
    }

    pub(crate) fn regular_token(&mut self) -> &'a [u8] {
        self.take_while(is_regular)
    }

    /// One operand at the current position (not an operator), or `None` for
    /// something that is none (a stray delimiter, skipped).
    fn operand(&mut self, depth: usize) -> Option<Operand<'a>> {
        let &b = self.data.get(self.pos)?;
        match b {
            b'/' => {
                self.pos += 1;
                Some(Operand::Name(self.name()))
            }
            b'(' => {
                self.pos += 1;
                Some(Operand::String(self.literal_string()))
            }
            b'<' if self.data.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                if depth < MAX_NESTING {
                    self.skip_dictionary(depth + 1);
                } else {
                    self.skip_balanced();
                }
                Some(Operand::Other)
            }
            b'<' => {
                self.pos += 1;
                Some(Operand::String(Cow::Owned(self.hex_string())))
            }
            b'[' => {
                self.pos += 1;
                if depth < MAX_NESTING {
                    Some(self.array(depth + 1))
                } else {
                    self.skip_balanced();
                    Some(Operand::Other)
                }
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => Some(Operand::Number(self.regular_token())),
            _ if is_regular(b) => {
                // A keyword inside an array or dictionary (true, false, null).
                self.regular_token();
                Some(Operand::Other)
            }
            _ => {
                // `)`, `>`, `]`, `{`, `}` out of place.
                self.pos += 1;
                None
            }
        }
    }

    pub(crate) fn name(&mut self) -> Cow<'a, [u8]> {
        let raw = self.regular_token();
        if !raw.contains(&b'#') {
            return Cow::Borrowed(raw);
        }
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        while let Some(&c) = raw.get(i) {
            let escaped = (c == b'#')
                .then(|| Some(hex_value(*raw.get(i + 1)?)? * 16 + hex_value(*raw.get(i + 2)?)?))
                .flatten();
            match escaped {
                Some(v) => {
                    out.push(v);
                    i += 3;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        Cow::Owned(out)
    }

    /// After `(`: up to the matching `)`, escapes decoded.
    pub(crate) fn literal_string(&mut self) -> Cow<'a, [u8]> {
        let start = self.pos;
        let mut depth = 1usize;
        // Fast path: no backslash before the end.
        while let Some(&c) = self.data.get(self.pos) {
            match c {
                b'\\' => break,
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        let s = &self.data[start..self.pos];
                        self.pos += 1;
                        return Cow::Borrowed(s);
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        let mut out = self.data[start..self.pos].to_vec();
        while let Some(&c) = self.data.get(self.pos) {
            self.pos += 1;
            match c {
                b'(' => {
                    depth += 1;
                    out.push(c);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(c);
                }
                b'\\' => self.escape(&mut out),
                _ => out.push(c),
            }
        }
        Cow::Owned(out)
    }

    /// After a backslash in a literal string.
    fn escape(&mut self, out: &mut Vec<u8>) {
        let Some(&c) = self.data.get(self.pos) else {
            return;
        };
        self.pos += 1;
        match c {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'0'..=b'7' => {
                let mut value = u32::from(c - b'0');
                for _ in 0..2 {
                    match self.data.get(self.pos) {
                        Some(&d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                out.push((value & 0xff) as u8);
            }
            // A line continuation: backslash, end of line.
            b'\r' => {
                if self.data.get(self.pos) == Some(&b'\n') {
                    self.pos += 1;
                }
            }
            b'\n' => {}
            other => out.push(other),
        }
    }

    /// After `<`: hex digits up to `>`, whitespace ignored, an odd last digit
    /// padded with 0.
    pub(crate) fn hex_string(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        while let Some(&c) = self.data.get(self.pos) {
            self.pos += 1;
            if c == b'>' {
                break;
            }
            if let Some(v) = hex_value(c) {
                match high.take() {
                    Some(h) => out.push(h * 16 + v),
                    None => high = Some(v),
                }
            }
        }
        if let Some(h) = high {
            out.push(h * 16);
        }
        out
    }

    /// After `[`: operands up to `]`.
    fn array(&mut self, depth: usize) -> Operand<'a> {
        let mut items = Vec::new();
        loop {
            self.skip_space();
            let Some(&b) = self.data.get(self.pos) else {
                break;
            };
            if b == b']' {
                self.pos += 1;
                break;
            }
            if let Some(item) = self.operand(depth) {
                items.push(item);
            }
        }
        Operand::Array(items)
    }

    /// After `<<`: up to the matching `>>`, nothing kept.
    fn skip_dictionary(&mut self, depth: usize) {
        loop {
            self.skip_space();
            let Some(&b) = self.data.get(self.pos) else {
                return;
            };
            if b == b'>' {
                self.pos += if self.data.get(self.pos + 1) == Some(&b'>') {
                    2
                } else {
                    1
                };
                return;
            }
            self.operand(depth);
        }
    }

    /// After an opening `[` or `<<` nested too deep: skips to its match
    /// without recursing (strings inside are read, so their brackets do not
    /// count).
    fn skip_balanced(&mut self) {
        let mut depth = 1usize;
        while let Some(&b) = self.data.get(self.pos) {
            let next = self.data.get(self.pos + 1).copied();
            match (b, next) {
                (b'(', _) => {
                    self.pos += 1;
                    self.literal_string();
                    continue;
                }
                (b'<', Some(b'<')) | (b'>', Some(b'>')) => {
                    depth = if b == b'<' { depth + 1 } else { depth - 1 };
                    self.pos += 2;
                }
                (b'<', _) => {
                    self.pos += 1;
                    self.hex_string();
                    continue;
                }
                (b'[', _) | (b']', _) => {
                    depth = if b == b'[' { depth + 1 } else { depth - 1 };
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
            if depth == 0 {
                return;
            }
        }
    }

    /// After `BI`: the image dictionary, `ID`, one whitespace byte, the data,
    /// and `EI` standing alone.
    fn skip_inline_image(&mut self) {
        // The dictionary's keys and values, up to the `ID` keyword.
        loop {
            self.skip_space();
            let Some(&b) = self.data.get(self.pos) else {
                return;
            };
            if is_regular(b) && !matches!(b, b'0'..=b'9' | b'+' | b'-' | b'.') {
                if self.regular_token() == b"ID" {
                    break;
                }
            } else {
                self.operand(1);
            }
        }
        self.pos += 1; // the single whitespace after ID
        // The data ends at `EI` between whitespace (or the stream's end).
        while self.pos < self.data.len() {
            let at = self.pos;
            if self.data[at..].starts_with(b"EI")
                && at > 0
                && is_space(self.data[at - 1])
                && self
                    .data
                    .get(at + 2)
                    .is_none_or(|&c| is_space(c) || is_delimiter(c))
            {
                self.pos = at + 2;
                return;
            }
            self.pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(data: &[u8]) -> Vec<(String, Vec<Operand<'static>>)> {
        let owned: &'static [u8] = Box::leak(data.to_vec().into_boxed_slice());
        let mut lexer = Lexer::new(owned);
        let mut out = Vec::new();
        while let Some((op, args)) = lexer.next_op() {
            out.push((String::from_utf8_lossy(op).into_owned(), args.to_vec()));
        }
        out
    }

    fn s(b: &[u8]) -> Operand<'static> {
        Operand::String(Cow::Owned(b.to_vec()))
    }

    #[test]
    fn text_operators_and_their_operands() {
        let got = ops(b"BT /F1 12 Tf 1 0 0 1 72.5 -.5 Tm (Total: 1,234) Tj ET");
        assert_eq!(got.len(), 5);
        assert_eq!(got[0].0, "BT");
        assert_eq!(
            got[1],
            (
                "Tf".into(),
                vec![Operand::Name(Cow::Borrowed(b"F1")), Operand::Number(b"12")]
            )
        );
        assert_eq!(got[2].1.len(), 6);
        assert_eq!(got[2].1[4].number(), Some(72.5));
        assert_eq!(got[2].1[5].number(), Some(-0.5));
        assert_eq!(got[3].1, vec![s(b"Total: 1,234")]);
    }

    #[test]
    fn strings_escapes_hex_and_nesting() {
        let got = ops(b"(a\\(b\\)c \\101\\n\\\\ (nested) x\\\ny) Tj <48 65 6c6C 6f7> Tj");
        assert_eq!(got[0].1, vec![s(b"a(b)c A\n\\ (nested) xy")]);
        assert_eq!(got[1].1, vec![s(b"Hello\x70")]);
    }

    #[test]
    fn arrays_names_and_dictionaries() {
        let got =
            ops(b"[(1) -250 (234) 12.5] TJ /Span <</MCID 3 /Alt (x>y) /D <<>> >> BDC /A#20B Do");
        assert_eq!(
            got[0].1,
            vec![Operand::Array(vec![
                s(b"1"),
                Operand::Number(b"-250"),
                s(b"234"),
                Operand::Number(b"12.5")
            ])]
        );
        assert_eq!(
            got[1],
            (
                "BDC".into(),
                vec![Operand::Name(Cow::Borrowed(b"Span")), Operand::Other]
            )
        );
        assert_eq!(got[2].1, vec![Operand::Name(Cow::Owned(b"A B".to_vec()))]);
    }

    #[test]
    fn comments_inline_images_and_keywords() {
        let data =
            b"% a comment (not a string\nq BI /W 2 /H 1 /BPC 8 ID \x01]) EIx EI Q true null 5 d0";
        let got = ops(data);
        let names: Vec<&str> = got.iter().map(|(o, _)| o.as_str()).collect();
        assert_eq!(names, ["q", "BI", "Q", "d0"]);
        assert_eq!(
            got[3].1,
            vec![Operand::Other, Operand::Other, Operand::Number(b"5")]
        );
    }

    #[test]
    fn numbers_leniently() {
        assert_eq!(parse_number(b"4."), Some(4.0));
        assert_eq!(parse_number(b"+7"), Some(7.0));
        assert_eq!(parse_number(b"--5"), Some(-5.0));
        assert_eq!(parse_number(b"1.2.3"), Some(1.2));
        assert_eq!(parse_number(b"-"), None);
        assert_eq!(parse_number(b"-0.001"), Some(-0.001));
        assert_eq!(parse_number(b"612.0000"), Some(612.0));
        assert_eq!(parse_number(b"0.1"), Some(0.1));
        assert_eq!(
            parse_number(b"123456789012345678901"),
            Some(1.2345678901234568e20)
        );
        assert_eq!(parse_number(b"000000000000000000000001.5"), Some(1.5));
        assert_eq!(parse_number(b"."), None);
    }

    #[test]
    fn malformed_input_ends_without_panicking() {
        for data in [
            &b"(unterminated"[..],
            b"[1 2 (x",
            b"<<< /A",
            b"<4",
            b")]>}{ Tj",
            b"BI /W 1 ID",
            b"BI",
            b"\\",
            &[b'['; 10_000],
            &[b'<'; 10_000],
        ] {
            let _ = ops(data);
        }
        // Too many operands: the last ones are kept.
        let many: Vec<u8> = (0..200)
            .flat_map(|i| format!("{i} ").into_bytes())
            .collect();
        let mut data = many;
        data.extend_from_slice(b"Tj");
        let got = ops(&data);
        assert_eq!(got[0].1.len(), MAX_OPERANDS);
        assert_eq!(got[0].1.last(), Some(&Operand::Number(b"199")));
    }
}

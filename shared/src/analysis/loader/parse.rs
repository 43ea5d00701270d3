//! Parsing PDF objects from bytes with the content-stream lexer's tokens: a
//! classic cross-reference table, and values, dictionaries and references
//! (bounded depth).

use super::*;

/// A cross-reference table at the start of `w` and its trailer; how far it
/// read. `len`: the file's length (a table cannot list more objects than
/// fit).
#[allow(clippy::type_complexity)]
pub(crate) fn table(w: &[u8], len: usize) -> Option<((Vec<(u32, Entry)>, Dictionary), usize)> {
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
pub(crate) fn integer(token: &[u8]) -> Option<i64> {
    std::str::from_utf8(token).ok()?.parse().ok()
}

/// One direct object at the lexer's position; `None` when there is none
/// (malformed, or nested deeper than [`MAX_DEPTH`]).
pub(crate) fn value(lexer: &mut Lexer<'_>, depth: usize) -> Option<Object> {
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
pub(crate) fn dictionary(lexer: &mut Lexer<'_>, depth: usize) -> Option<Dictionary> {
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
pub(crate) fn number_or_reference(lexer: &mut Lexer<'_>) -> Option<Object> {
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

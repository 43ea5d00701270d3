//! A line of a page as the table finder reads it ([`Row`]: its text and
//! each character's span along its baseline) and its cells ([`cells_of`]):
//! runs of words with gaps under [`CELL_GAP_EM`], two numbers side by side
//! always apart. [`crate::reading::tables`] builds tables from them.

/// Gap between two words, in ems, from which they are separate cells.
pub const CELL_GAP_EM: f64 = 0.8;

/// One line of a page as the table finder reads it.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub text: &'a str,
    /// Baseline direction in whole degrees: the rows of a table share it
    /// (a page turned sideways has its tables in its own frame).
    pub dir: i16,
    pub baseline: f64,
    /// The line's largest font size.
    pub em: f64,
    /// Each character's span along the baseline (spaces span their gap).
    pub spans: &'a [(f32, f32)],
}

/// A run of words of one row: its characters `from..to` and its extent.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub from: usize,
    pub to: usize,
    pub x0: f64,
    pub x1: f64,
    pub text: String,
    pub numeric: bool,
}

/// A row's cells: its words, joined while the gap is under [`CELL_GAP_EM`].
pub fn cells_of(row: &Row<'_>) -> Vec<Cell> {
    let mut cells: Vec<Cell> = Vec::new();
    let gap = CELL_GAP_EM * row.em.max(1.0);
    // The last word of the last cell (its bytes), and whether it is a number.
    let mut last_word: (usize, usize, bool) = (0, 0, false);
    for (from, to, at, end) in words(row.text) {
        let (Some(first), Some(last)) = (row.spans.get(from), row.spans.get(to - 1)) else {
            break;
        };
        let (x0, x1) = (
            f64::from(first.0.min(last.1)),
            f64::from(first.0.max(last.1)),
        );
        let word = &row.text[at..end];
        let numeric = is_numeric(word);
        // Two numbers side by side are two values however close, unless
        // the second is a group of three digits of the first (`1 234,56`).
        let apart =
            last_word.2 && numeric && !space_grouped(&row.text[last_word.0..last_word.1], word);
        match cells.last_mut() {
            Some(cell) if x0 - cell.x1 < gap && !apart => {
                cell.text.push(' ');
                cell.text.push_str(word);
                cell.to = to;
                cell.x1 = cell.x1.max(x1);
            }
            _ => cells.push(Cell {
                from,
                to,
                x0,
                x1,
                text: {
                    let mut text = String::with_capacity(word.len() + 16);
                    text.push_str(word);
                    text
                },
                numeric,
            }),
        }
        last_word = (at, end, numeric);
    }
    for cell in &mut cells {
        // A cell of one word was judged with it.
        if cell.text.len() > 1 && cell.text.contains(' ') {
            cell.numeric = is_numeric(&cell.text);
        }
    }
    cells
}

/// A line's words: characters `from..to` and bytes `at..end` of each (on
/// an ASCII line the two are the same, and read byte by byte).
fn words(text: &str) -> Box<dyn Iterator<Item = (usize, usize, usize, usize)> + '_> {
    if text.is_ascii() {
        let bytes = text.as_bytes();
        let mut i = 0;
        return Box::new(std::iter::from_fn(move || {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i == bytes.len() {
                return None;
            }
            let from = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            Some((from, i, from, i))
        }));
    }
    let mut chars = text.char_indices().enumerate().peekable();
    Box::new(std::iter::from_fn(move || {
        let (i, at, c) = loop {
            let (i, (at, c)) = chars.next()?;
            if !c.is_whitespace() {
                break (i, at, c);
            }
        };
        let (mut to, mut end) = (i + 1, at + c.len_utf8());
        while let Some(&(j, (b, c))) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            (to, end) = (j + 1, b + c.len_utf8());
            chars.next();
        }
        Some((i, to, at, end))
    }))
}

/// Whether a cell's text is a number (an amount, a count, a date), with at
/// most a currency code or a short unit beside it.
pub(crate) fn is_numeric(text: &str) -> bool {
    let (mut digits, mut letters) = (false, 0);
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits = true;
        } else if c.is_ascii_alphabetic() || (!c.is_ascii() && c.is_alphabetic()) {
            letters += 1;
            if letters > 3 {
                return false;
            }
        } else if !matches!(
            c,
            '.' | ','
                | '\''
                | '’'
                | '('
                | ')'
                | '-'
                | '+'
                | '−'
                | '%'
                | '/'
                | '$'
                | '€'
                | '£'
                | '¥'
                | ':'
        ) && !c.is_whitespace()
        {
            return false;
        }
    }
    digits
}

/// Whether `right` continues `left` as a group of three digits of one
/// number written with spaces between its groups (`1 234 567,89`).
fn space_grouped(left: &str, right: &str) -> bool {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let group = right.split(['.', ',']).next().unwrap_or_default();
    let left_group = left.rsplit(' ').next().unwrap_or_default();
    all_digits(left_group) && left_group.len() <= 3 && group.len() == 3 && all_digits(group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_found_by_characters_and_bytes() {
        let ascii: Vec<_> = words("  ab 1,2\tc ").collect();
        assert_eq!(ascii, [(2, 4, 2, 4), (5, 8, 5, 8), (9, 10, 9, 10)]);
        let text = "€ 12,50\u{a0} Größe ";
        let found: Vec<&str> = words(text).map(|(_, _, at, end)| &text[at..end]).collect();
        assert_eq!(found, ["€", "12,50", "Größe"]);
        let chars: Vec<(usize, usize)> = words(text).map(|(f, t, _, _)| (f, t)).collect();
        assert_eq!(chars, [(0, 1), (2, 7), (9, 14)]);
    }
}

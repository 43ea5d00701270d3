//! The list of every number an analysis found, held compactly until it is
//! written out ([`NumberList`]): each line's text once, and per number a
//! fixed-size entry that points into it — no allocation per number. A
//! number's text is a slice of its line, and its value is read again from
//! that text in its page's format when the row is written
//! ([`NumberList::rows`] gives the [`Listed`] rows one at a time).
//!
//! A number in a table points to its table and column (its page's table
//! number and the column's header), kept once for every number under it.
//!
//! Memory: 32 bytes a number plus its line's text and 16 bytes once, in
//! chunks that never move (no doubling copy of the whole list); 800,000
//! numbers in 100,000 lines hold about 33 MB, where owned rows held 200.

use std::rc::Rc;

use crate::forensics::amounts::Amount;
use crate::forensics::evidence::Listed;
use crate::reading::formats::Format;
use crate::reading::numbers::scan_numbers_in;
use crate::reading::roles::Role;

/// Entries a chunk holds.
const CHUNK: usize = 16_384;

/// One number for the list, as the analysis pushes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    /// Its line ([`NumberList::line`]).
    pub line: u32,
    /// Where its text starts in the line, in bytes, and its length.
    pub start: u32,
    pub len: u16,
    /// The format its page is read in (its value is read so again).
    pub format: Format,
    pub role: Role,
    /// The rule that gave it its role.
    pub why: &'static str,
    pub used: bool,
    pub bbox: Option<[f64; 4]>,
    /// Its table and column ([`NumberList::cell`]); 0: in no table.
    pub cell: u16,
}

/// A stored entry (32 bytes): its page is its line's, its rule an index
/// into the list's rules, its table and column one into the list's cells,
/// its box in `f32` (written to two decimals; NaN for none).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stored {
    line: u32,
    start: u32,
    len: u16,
    format: Format,
    role: Role,
    used: bool,
    why: u8,
    cell: u16,
    bbox: [f32; 4],
}

const _: () = assert!(std::mem::size_of::<Stored>() == 32);

/// A kept line: which chunk of text, where in it, and its page.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Line {
    chunk: u32,
    start: u32,
    end: u32,
    page: u32,
}

/// Lines a chunk of them holds (they are kept in chunks that never move).
const LINE_CHUNK: usize = 8_192;

/// Bytes a chunk of line text holds (a longer line gets a chunk of its own).
const TEXT_CHUNK: usize = 1 << 20;

/// Every number found, in page order (see the module's notes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NumberList {
    chunks: Vec<Vec<Stored>>,
    text: Vec<String>,
    /// In chunks of [`LINE_CHUNK`]: line `i` is `lines[i / LINE_CHUNK][i % LINE_CHUNK]`.
    lines: Vec<Vec<Line>>,
    line_count: usize,
    /// The rules numbers were classified by (few, and `'static`).
    whys: Vec<&'static str>,
    /// The tables and columns numbers stand in: a page's table number and
    /// the column's header (`None`: in a table, under no column); a
    /// number's `cell` is an index into it plus one.
    cells: Vec<(u32, Option<Rc<str>>)>,
    /// Each cell's index by its table and header ([`cell_key`]).
    cell_index: std::collections::HashMap<String, u16>,
    count: usize,
}

impl NumberList {
    /// Numbers held.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Keeps a line's text, on `page`; its numbers point to the index
    /// returned.
    pub fn line(&mut self, page: u32, text: &str) -> u32 {
        if self
            .text
            .last()
            .is_none_or(|t| t.len() + text.len() > t.capacity())
        {
            self.text
                .push(String::with_capacity(TEXT_CHUNK.max(text.len())));
        }
        let chunk = self.text.len() - 1;
        let (start, end) = match self.text.last_mut() {
            Some(t) => {
                let start = t.len();
                t.push_str(text);
                (start, t.len())
            }
            None => (0, 0),
        };
        self.keep_line(Line {
            chunk: chunk as u32,
            start: start as u32,
            end: end as u32,
            page,
        })
    }

    /// Keeps a line's place; its index.
    fn keep_line(&mut self, line: Line) -> u32 {
        if self.lines.last().is_none_or(|c| c.len() == LINE_CHUNK) {
            self.lines.push(Vec::with_capacity(LINE_CHUNK));
        }
        if let Some(chunk) = self.lines.last_mut() {
            chunk.push(line);
            self.line_count += 1;
        }
        (self.line_count - 1) as u32
    }

    /// The index of a rule, added when new.
    fn why(&mut self, why: &'static str) -> u8 {
        if let Some(i) = self
            .whys
            .iter()
            .position(|w| std::ptr::eq(*w, why) || *w == why)
        {
            return i as u8;
        }
        if self.whys.len() > usize::from(u8::MAX) {
            return u8::MAX; // past 256 rules (there are a few dozen): the last
        }
        self.whys.push(why);
        (self.whys.len() - 1) as u8
    }

    /// The `cell` of numbers in table `table` (of its page, from 1), under
    /// `column`'s header (or under none); 0 (in no table) once the list
    /// holds 65,535 of them.
    pub fn cell(&mut self, table: u32, column: Option<&str>) -> u16 {
        let key = cell_key(table, column);
        if let Some(&cell) = self.cell_index.get(&key) {
            return cell;
        }
        if self.cells.len() >= usize::from(u16::MAX) {
            return 0;
        }
        self.cells.push((table, column.map(Rc::from)));
        let cell = self.cells.len() as u16;
        self.cell_index.insert(key, cell);
        cell
    }

    /// Adds a number of a line kept before.
    pub fn push(&mut self, entry: Entry) {
        let bbox = entry.bbox.map_or([f32::NAN; 4], |b| b.map(|v| v as f32));
        let stored = Stored {
            line: entry.line,
            start: entry.start,
            len: entry.len,
            format: entry.format,
            role: entry.role,
            used: entry.used,
            why: self.why(entry.why),
            cell: entry.cell,
            bbox,
        };
        self.keep(stored);
    }

    fn keep(&mut self, stored: Stored) {
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        if let Some(chunk) = self.chunks.last_mut() {
            chunk.push(stored);
            self.count += 1;
        }
    }

    /// Appends `other`'s numbers (the next slice's, in page order).
    pub fn append(&mut self, other: NumberList) {
        let shift = self.line_count as u32;
        let text_shift = self.text.len() as u32;
        let whys: Vec<u8> = other.whys.iter().map(|w| self.why(w)).collect();
        let cells: Vec<u16> = other
            .cells
            .iter()
            .map(|(t, c)| self.cell(*t, c.as_deref()))
            .collect();
        self.text.extend(other.text);
        for l in other.lines.iter().flatten() {
            self.keep_line(Line {
                chunk: l.chunk + text_shift,
                ..*l
            });
        }
        for chunk in other.chunks {
            for mut stored in chunk {
                stored.line += shift;
                stored.why = whys
                    .get(usize::from(stored.why))
                    .copied()
                    .unwrap_or(u8::MAX);
                stored.cell = match stored.cell.checked_sub(1) {
                    Some(i) => cells.get(usize::from(i)).copied().unwrap_or(0),
                    None => 0,
                };
                self.keep(stored);
            }
        }
    }

    /// A line's text and page.
    fn line_of(&self, line: u32) -> (&str, u32) {
        let line = line as usize;
        self.lines
            .get(line / LINE_CHUNK)
            .and_then(|c| c.get(line % LINE_CHUNK))
            .and_then(|l| {
                let text = self.text.get(l.chunk as usize)?;
                Some((text.get(l.start as usize..l.end as usize)?, l.page))
            })
            .unwrap_or_default()
    }

    /// The rows, one at a time, in order (a line's text shared by its
    /// numbers).
    pub fn rows(&self) -> impl Iterator<Item = Listed> + '_ {
        let mut shared: Option<(u32, Rc<str>)> = None;
        self.chunks.iter().flatten().map(move |s| {
            let (line_text, page) = self.line_of(s.line);
            let line = match &shared {
                Some((at, rc)) if *at == s.line => Rc::clone(rc),
                _ => {
                    let rc: Rc<str> = Rc::from(line_text);
                    shared = Some((s.line, Rc::clone(&rc)));
                    rc
                }
            };
            let from = s.start as usize;
            let text = line_text
                .get(from..from + usize::from(s.len))
                .unwrap_or_default();
            let cell = s
                .cell
                .checked_sub(1)
                .and_then(|i| self.cells.get(usize::from(i)));
            Listed {
                page,
                text: text.to_owned(),
                value: value_of(text, s.format),
                role: s.role,
                why: std::borrow::Cow::Borrowed(
                    self.whys
                        .get(usize::from(s.why))
                        .copied()
                        .unwrap_or_default(),
                ),
                used: s.used,
                bbox: (!s.bbox[0].is_nan()).then(|| s.bbox.map(round)),
                line,
                table: cell.map(|(t, _)| *t),
                column: cell.and_then(|(_, c)| c.clone()),
            }
        })
    }

    /// The list as stored and served: one JSON object a line.
    pub fn to_ndjson(&self) -> String {
        crate::forensics::evidence::to_ndjson(self.rows())
    }
}

/// A cell's key in the list's index: its table, and its header or none.
fn cell_key(table: u32, column: Option<&str>) -> String {
    match column {
        Some(header) => format!("{table}:{header}"),
        None => format!("{table}"),
    }
}

/// A stored coordinate back to the two decimals it was written with.
fn round(v: f32) -> f64 {
    (f64::from(v) * 100.0).round() / 100.0
}

/// The value of a number's text read in `format`, as the list writes it.
fn value_of(text: &str, format: Format) -> Option<String> {
    let mut value = None;
    scan_numbers_in(text, format, &mut |found| {
        if value.is_none() {
            value = Some(Amount::of(&found).map(Amount::to_text));
        }
    });
    value.flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::roles::classify;

    /// The rows a list gives for `lines`, and the rows as the owned form
    /// made them straight from the scan.
    fn both(lines: &[&str], format: Format) -> (Vec<Listed>, Vec<Listed>) {
        let mut list = NumberList::default();
        let mut direct = Vec::new();
        for (i, text) in lines.iter().enumerate() {
            let line = list.line(1 + i as u32 / 2, text);
            scan_numbers_in(text, format, &mut |found| {
                let (role, why) = classify(text, &found, false);
                let bbox = Some([i as f64 * 1.25, 700.13, 12345.67, -3.5]);
                list.push(Entry {
                    line,
                    start: found.start as u32,
                    len: found.text.len() as u16,
                    format,
                    role,
                    why,
                    used: found.used(),
                    bbox,
                    cell: 0,
                });
                direct.push(Listed {
                    page: 1 + i as u32 / 2,
                    text: found.text.to_owned(),
                    value: Amount::of(&found).map(Amount::to_text),
                    role,
                    why: std::borrow::Cow::Borrowed(why),
                    used: found.used(),
                    bbox,
                    line: Rc::from(*text),
                    table: None,
                    column: None,
                });
            });
        }
        (list.rows().collect(), direct)
    }

    #[test]
    fn rows_read_back_as_the_scan_made_them() {
        let lines = [
            "Total $1,234.56 and 12% of 7,890 on 12/03/2019",
            "points 10,5,16.5 and .05 then 0.0 and 123456789012345678901234567890123",
            "Line(0,0,100,0) x[1,5] -42 +7",
        ];
        let (rows, direct) = both(&lines, Format::DotDecimal);
        assert!(rows.len() > 10);
        assert_eq!(rows, direct);
        let (rows, direct) = both(
            &["Summe 1.234.567,89 EUR und 12,5 sowie 0,05"],
            Format::CommaDecimal,
        );
        assert_eq!(rows.len(), 3);
        assert_eq!(rows, direct);
    }

    #[test]
    fn appended_lists_keep_their_lines_and_cells() {
        let mut a = NumberList::default();
        let mut b = NumberList::default();
        // b's cells in another order than a's: the append maps them.
        let _ = b.cell(1, None);
        let cells = [
            (a.cell(1, Some("Amount")), a.cell(2, Some("Qty"))),
            (b.cell(2, Some("Qty")), b.cell(1, Some("Amount"))),
        ];
        for ((list, text, page), (first, second)) in
            [(&mut a, "a 12 b 7", 1), (&mut b, "c 345 d 8", 2)]
                .into_iter()
                .zip(cells)
        {
            let line = list.line(page, text);
            for (word, cell) in [(1, first), (3, second)] {
                let number = text.split(' ').nth(word).unwrap_or_default();
                list.push(Entry {
                    line,
                    start: text.find(number).unwrap_or(0) as u32,
                    len: number.len() as u16,
                    format: Format::DotDecimal,
                    role: Role::Other,
                    why: "r",
                    used: true,
                    bbox: None,
                    cell,
                });
            }
        }
        let _ = a.cell(7, Some("unused"));
        a.append(b);
        let rows: Vec<Listed> = a.rows().collect();
        assert_eq!(a.len(), 4);
        assert_eq!(
            (rows[2].text.as_str(), &*rows[2].line),
            ("345", "c 345 d 8")
        );
        assert_eq!(rows[2].page, 2);
        let places: Vec<(Option<u32>, Option<&str>)> = rows
            .iter()
            .map(|r| (r.table, r.column.as_deref()))
            .collect();
        assert_eq!(
            places,
            [
                (Some(1), Some("Amount")),
                (Some(2), Some("Qty")),
                (Some(2), Some("Qty")),
                (Some(1), Some("Amount")),
            ]
        );
        assert!(a.to_ndjson().lines().count() == 4);
        let back: Vec<Listed> = crate::forensics::evidence::rows_of(&a.to_ndjson())
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        assert_eq!(back, rows);
    }

    #[test]
    fn a_number_in_no_table_has_no_cell() {
        let mut list = NumberList::default();
        let line = list.line(1, "x 5");
        list.push(Entry {
            line,
            start: 2,
            len: 1,
            format: Format::DotDecimal,
            role: Role::Other,
            why: "r",
            used: false,
            bbox: None,
            cell: 0,
        });
        let row = list.rows().next();
        assert_eq!(row.map(|r| (r.table, r.column)), Some((None, None)));
    }
}

//! Tables found in a page's positioned text, as tabula's stream mode and
//! pdfplumber's text strategy find them (no ruling lines needed): rows are
//! the layout's lines (one baseline each), cells are a row's runs of words
//! with gaps under [`CELL_GAP_EM`] ([`crate::reading::cells`]), a table is
//! a run of rows with a numeric cell and at least two cells (lines of one cell between them are the
//! wrapped parts of a description), its columns are the numeric cells that
//! overlap from row to row (then the text cells that overlap no numeric
//! column), and each column's header is the text above it on the row before
//! the first numeric row.
//!
//! Input is [`Row`] (a line's text and each character's span along its
//! baseline), so this module knows nothing of PDF; `analysis` builds the
//! rows from its layout. A table's rows share one baseline direction.
//! The analysis places every number it lists ([`PageTables::place`]):
//! its `table` and `column`, and whether `?columns=` lets it in.

#[cfg(test)]
use super::cells::is_numeric;
pub use super::cells::{CELL_GAP_EM, Cell, Row, cells_of};

/// Largest distance between the baselines of two rows of one table, in ems.
pub const MAX_ROW_GAP_EM: f64 = 3.0;

/// Largest distance between the baselines of a two-line header's lines,
/// in ems.
pub const HEADER_LINE_GAP_EM: f64 = 1.5;

/// Most one-cell lines (a wrapped description) between two rows of a table.
pub const MAX_WRAPPED_LINES: usize = 2;

/// One column of a table, left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub x0: f64,
    pub x1: f64,
    /// The header text above it, or `column N` when there is none.
    pub header: String,
    /// Whether it was formed by numeric cells.
    pub numeric: bool,
}

/// One table of a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The rows (line indices) of its body: numeric rows and wrapped lines.
    pub rows: Vec<usize>,
    /// The header's line, when there is one.
    pub header: Option<usize>,
    pub columns: Vec<Column>,
}

/// The tables of one page, and where each line's cells fall.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageTables {
    pub tables: Vec<Table>,
    /// Per line of a table's body: its table and cells.
    placed: Vec<Option<Placed>>,
}

/// A line of a table's body: the table's index, each cell with its column.
#[derive(Debug, Clone, PartialEq)]
struct Placed {
    table: usize,
    cells: Vec<(Cell, Option<usize>)>,
}

impl PageTables {
    /// Finds the tables among `rows` (a page's lines, top to bottom).
    pub fn find(rows: &[Row<'_>]) -> PageTables {
        // Only rows with a digit can be a table's rows, and only lines up
        // to four above one can be its header (two lines past two wrapped
        // ones) or wrapped lines in it: the other lines' cells are never
        // looked at, and are not made.
        let digits: Vec<bool> = rows
            .iter()
            .map(|r| r.text.bytes().any(|b| b.is_ascii_digit()))
            .collect();
        let cells: Vec<Vec<Cell>> = rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let needed = digits[i..digits.len().min(i + 5)].iter().any(|&d| d);
                if needed { cells_of(row) } else { Vec::new() }
            })
            .collect();
        let mut out = PageTables {
            tables: Vec::new(),
            placed: vec![None; rows.len()],
        };
        for body in bodies(rows, &cells) {
            let index = out.tables.len();
            let numeric_rows = body
                .iter()
                .filter(|&&i| cells[i].iter().any(|c| c.numeric))
                .count();
            let mut columns = columns_of(body.iter().flat_map(|&i| cells[i].iter()));
            // Numbers only in the leftmost column are a numbered list's
            // labels (`1.`, `5.1`), not a table's figures.
            let figures = columns.iter().skip(1).any(|c| c.numeric)
                || columns.iter().filter(|c| c.numeric).count() >= 2;
            if !figures || numeric_rows < 2 || columns.len() < 2 {
                continue;
            }
            let (header, wrapped) = header_of(rows, &cells, body[0]);
            // One-cell lines between the header and the first row are that
            // row's wrapped description.
            let body: Vec<usize> = wrapped.into_iter().chain(body).collect();
            if let Some(h) = header {
                // A header of two lines (`No. of` over `employees`): the line
                // right above, as close as lines of one paragraph, with two
                // cells or more and no number, names the columns first.
                let upper = h.checked_sub(1).filter(|&u| {
                    rows[u].dir == rows[h].dir
                        && (rows[u].baseline - rows[h].baseline).abs()
                            <= HEADER_LINE_GAP_EM * rows[u].em.max(rows[h].em)
                        && cells[u].len() >= 2
                        && !cells[u].iter().any(|c| c.numeric)
                });
                if let Some(u) = upper {
                    name_columns(&mut columns, &cells[u]);
                }
                name_columns(&mut columns, &cells[h]);
            }
            for (n, column) in columns.iter_mut().enumerate() {
                if column.header.is_empty() {
                    column.header = format!("column {}", n + 1);
                }
            }
            for &i in &body {
                let placed = cells[i]
                    .iter()
                    .map(|c| (c.clone(), column_of(&columns, c)))
                    .collect();
                out.placed[i] = Some(Placed {
                    table: index,
                    cells: placed,
                });
            }
            out.tables.push(Table {
                rows: body,
                header,
                columns,
            });
        }
        out
    }

    /// The table and column of characters `from..to` of line `line`: the
    /// column of the cell they lie in (`None` for a cell under no column).
    pub fn place(&self, line: usize, from: usize, to: usize) -> Option<(usize, Option<usize>)> {
        let placed = self.placed.get(line)?.as_ref()?;
        let column = placed
            .cells
            .iter()
            .find(|(c, _)| c.from <= from && to <= c.to)
            .and_then(|(_, column)| *column);
        Some((placed.table, column))
    }
}

/// The header of a table whose first numeric row is `first`: going up
/// past at most [`MAX_WRAPPED_LINES`] one-cell lines, the first close line
/// of two cells or more without a number — or else the line right above,
/// if it has no number. With it, the one-cell lines passed over.
fn header_of(rows: &[Row<'_>], cells: &[Vec<Cell>], first: usize) -> (Option<usize>, Vec<usize>) {
    let usable = |h: usize, below: usize| {
        rows[h].dir == rows[below].dir
            && near(&rows[h], &rows[below])
            && !cells[h].is_empty()
            && !cells[h].iter().any(|c| c.numeric)
    };
    let mut below = first;
    let mut passed = Vec::new();
    while let Some(h) = below.checked_sub(1) {
        if !usable(h, below) {
            break;
        }
        if cells[h].len() >= 2 {
            passed.reverse();
            return (Some(h), passed);
        }
        if passed.len() == MAX_WRAPPED_LINES {
            break;
        }
        passed.push(h);
        below = h;
    }
    let above = first.checked_sub(1).filter(|&h| usable(h, first));
    (above, Vec::new())
}

/// Whether two rows are close enough to be neighbours in a table.
fn near(upper: &Row<'_>, lower: &Row<'_>) -> bool {
    (upper.baseline - lower.baseline).abs() <= MAX_ROW_GAP_EM * upper.em.max(lower.em)
}

/// The bodies of the tables: runs of rows with a numeric cell and at least
/// two cells, with up to [`MAX_WRAPPED_LINES`] one-cell lines between two
/// of them; each body's rows in order.
fn bodies(rows: &[Row<'_>], cells: &[Vec<Cell>]) -> Vec<Vec<usize>> {
    let is_body = |i: usize| cells[i].len() >= 2 && cells[i].iter().any(|c| c.numeric);
    let mut out = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut wrapped: Vec<usize> = Vec::new();
    for i in 0..rows.len() {
        let last = wrapped.last().or(current.last()).copied();
        let close = last.is_some_and(|l| rows[i].dir == rows[l].dir && near(&rows[l], &rows[i]));
        if is_body(i) {
            if close {
                current.append(&mut wrapped);
            } else {
                out.push(std::mem::take(&mut current));
                wrapped.clear();
            }
            current.push(i);
        } else if close && cells[i].len() == 1 && wrapped.len() < MAX_WRAPPED_LINES {
            wrapped.push(i);
        } else {
            out.push(std::mem::take(&mut current));
            wrapped.clear();
        }
    }
    out.push(current);
    out.retain(|body| !body.is_empty());
    out
}

/// Columns from a table's cells: numeric cells that overlap are one column;
/// then text cells that overlap no numeric column, clustered the same way.
fn columns_of<'c>(cells: impl Iterator<Item = &'c Cell> + Clone) -> Vec<Column> {
    let mut columns = cluster(cells.clone().filter(|c| c.numeric), true, &[]);
    let numeric = columns.clone();
    columns.extend(cluster(cells.filter(|c| !c.numeric), false, &numeric));
    columns.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    columns
}

/// Whether two extents overlap.
fn overlaps(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Extents of the overlapping `cells` merged (cells overlapping any of
/// `avoid` left out).
fn cluster<'c>(
    cells: impl Iterator<Item = &'c Cell>,
    numeric: bool,
    avoid: &[Column],
) -> Vec<Column> {
    let mut spans: Vec<(f64, f64)> = cells
        .map(|c| (c.x0, c.x1))
        .filter(|&s| !avoid.iter().any(|a| overlaps(s, (a.x0, a.x1))))
        .collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(f64, f64)> = Vec::new();
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.0 < last.1 => last.1 = last.1.max(span.1),
            _ => merged.push(span),
        }
    }
    merged
        .into_iter()
        .map(|(x0, x1)| Column {
            x0,
            x1,
            header: String::new(),
            numeric,
        })
        .collect()
}

/// The column a cell lies under: the one it overlaps most.
fn column_of(columns: &[Column], cell: &Cell) -> Option<usize> {
    columns
        .iter()
        .enumerate()
        .map(|(n, c)| (n, cell.x1.min(c.x1) - cell.x0.max(c.x0)))
        .filter(|&(_, overlap)| overlap > 0.0)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(n, _)| n)
}

/// Names the columns from the header row's cells: a cell over one column
/// names it; a cell over several gives each of its words to the column it
/// overlaps most (a word over none goes with the next word's column).
fn name_columns(columns: &mut [Column], header: &[Cell]) {
    for cell in header {
        let over: Vec<usize> = (0..columns.len())
            .filter(|&n| overlaps((cell.x0, cell.x1), (columns[n].x0, columns[n].x1)))
            .collect();
        match over.as_slice() {
            [] => {
                // A header beside its column (a narrow right-aligned one):
                // the nearest column within an em-ish of it, if unnamed.
                let width = (cell.x1 - cell.x0).max(1.0);
                let nearest = (0..columns.len())
                    .map(|n| {
                        (
                            n,
                            distance((cell.x0, cell.x1), (columns[n].x0, columns[n].x1)),
                        )
                    })
                    .filter(|&(n, d)| d < width && columns[n].header.is_empty())
                    .min_by(|a, b| a.1.total_cmp(&b.1));
                if let Some((n, _)) = nearest {
                    columns[n].header = cell.text.clone();
                }
            }
            [n] => append(&mut columns[*n].header, &cell.text),
            _ => {
                // Several columns under one run of words: split it by word.
                let words: Vec<&str> = cell.text.split(' ').collect();
                let step = (cell.x1 - cell.x0) / words.len().max(1) as f64;
                let mut pending: Vec<&str> = Vec::new();
                for (k, word) in words.iter().enumerate() {
                    let span = (cell.x0 + step * k as f64, cell.x0 + step * (k + 1) as f64);
                    pending.push(word);
                    let best = over
                        .iter()
                        .map(|&n| (n, span.1.min(columns[n].x1) - span.0.max(columns[n].x0)))
                        .filter(|&(_, o)| o > 0.0)
                        .max_by(|a, b| a.1.total_cmp(&b.1));
                    if let Some((n, _)) = best {
                        append(&mut columns[n].header, &pending.join(" "));
                        pending.clear();
                    }
                }
            }
        }
    }
}

fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    (b.0 - a.1).max(a.0 - b.1).max(0.0)
}

fn append(header: &mut String, text: &str) {
    if !header.is_empty() {
        header.push(' ');
    }
    header.push_str(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line built from `(x, text)` pieces in a 10-point font where every
    /// character is 5 units wide; the spaces between pieces span their gap.
    struct Line {
        text: String,
        spans: Vec<(f32, f32)>,
        baseline: f64,
    }

    fn line(baseline: f64, pieces: &[(f64, &str)]) -> Line {
        let mut text = String::new();
        let mut spans = Vec::new();
        let mut end = 0.0f32;
        for (x, piece) in pieces {
            if !text.is_empty() {
                text.push(' ');
                spans.push((end, *x as f32));
            }
            for (k, c) in piece.chars().enumerate() {
                text.push(c);
                let x0 = *x as f32 + 5.0 * k as f32;
                spans.push((x0, x0 + 5.0));
                end = x0 + 5.0;
            }
        }
        Line {
            text,
            spans,
            baseline,
        }
    }

    /// Right-aligned text ending at `right`.
    fn right(right: f64, text: &str) -> (f64, &str) {
        (right - 5.0 * text.chars().count() as f64, text)
    }

    /// `line` as the finder reads it, its baseline in direction `dir`.
    fn row_of(line: &Line, dir: i16) -> Row<'_> {
        Row {
            text: &line.text,
            dir,
            baseline: line.baseline,
            em: 10.0,
            spans: &line.spans,
        }
    }

    fn find(lines: &[Line]) -> PageTables {
        let rows: Vec<Row<'_>> = lines.iter().map(|l| row_of(l, 0)).collect();
        PageTables::find(&rows)
    }

    /// The header of the column of the number `text` on line `i`.
    fn column(tables: &PageTables, lines: &[Line], i: usize, text: &str) -> Option<String> {
        let start = lines[i].text.find(text)?;
        let from = lines[i].text[..start].chars().count();
        let (table, column) = tables.place(i, from, from + text.chars().count())?;
        Some(tables.tables[table].columns[column?].header.clone())
    }

    #[test]
    fn an_invoice_with_right_aligned_amounts_and_a_wrapped_description() {
        let lines = vec![
            line(700.0, &[(50.0, "Invoice 2024-117")]),
            line(682.0, &[right(420.0, "Net"), right(520.0, "Total")]),
            line(
                670.0,
                &[
                    (50.0, "Description"),
                    (300.0, "Qty"),
                    right(420.0, "Unit price"),
                    right(520.0, "Amount"),
                ],
            ),
            line(
                655.0,
                &[
                    (50.0, "Widget, blue"),
                    right(320.0, "12"),
                    right(420.0, "4.50"),
                    right(520.0, "54.00"),
                ],
            ),
            line(640.0, &[(50.0, "Gadget with a very long name")]),
            line(
                628.0,
                &[
                    (50.0, "that wraps"),
                    right(320.0, "3"),
                    right(420.0, "1,250.00"),
                    right(520.0, "3,750.00"),
                ],
            ),
            line(
                613.0,
                &[
                    (50.0, "Service"),
                    right(320.0, "140"),
                    right(420.0, "15.25"),
                    right(520.0, "2,135.00"),
                ],
            ),
            line(590.0, &[(50.0, "Thank you for your business.")]),
        ];
        let tables = find(&lines);
        assert_eq!(tables.tables.len(), 1, "{tables:?}");
        let table = &tables.tables[0];
        assert_eq!(table.header, Some(2));
        assert_eq!(table.rows, vec![3, 4, 5, 6]);
        let headers: Vec<&str> = table.columns.iter().map(|c| c.header.as_str()).collect();
        assert_eq!(
            headers,
            ["Description", "Qty", "Net Unit price", "Total Amount"]
        );
        assert_eq!(
            column(&tables, &lines, 3, "54.00").as_deref(),
            Some("Total Amount")
        );
        assert_eq!(
            column(&tables, &lines, 5, "1,250.00").as_deref(),
            Some("Net Unit price")
        );
        assert_eq!(column(&tables, &lines, 6, "140").as_deref(), Some("Qty"));
        // Outside the table: no place.
        assert_eq!(tables.place(0, 8, 16), None);
    }

    #[test]
    fn two_tables_on_a_page_and_a_total_label_across_columns() {
        let lines = vec![
            line(
                700.0,
                &[(50.0, "Date"), (150.0, "Reference"), right(500.0, "Debit")],
            ),
            line(
                686.0,
                &[
                    (50.0, "2024-01-03"),
                    (150.0, "Rent"),
                    right(500.0, "1,200.00"),
                ],
            ),
            line(
                672.0,
                &[
                    (50.0, "2024-01-09"),
                    (150.0, "Power"),
                    right(500.0, "87.31"),
                ],
            ),
            line(
                650.0,
                &[
                    (50.0, "Total amount due this month"),
                    right(500.0, "1,287.31"),
                ],
            ),
            line(600.0, &[(50.0, "Payments received")]),
            line(580.0, &[(50.0, "Payer"), right(400.0, "Paid")]),
            line(566.0, &[(50.0, "Acme"), right(400.0, "500.00")]),
            line(552.0, &[(50.0, "Globex"), right(400.0, "75.10")]),
        ];
        let tables = find(&lines);
        assert_eq!(tables.tables.len(), 2, "{tables:?}");
        assert_eq!(
            column(&tables, &lines, 2, "87.31").as_deref(),
            Some("Debit")
        );
        assert_eq!(
            column(&tables, &lines, 3, "1,287.31").as_deref(),
            Some("Debit")
        );
        assert_eq!(
            column(&tables, &lines, 1, "2024-01-03").as_deref(),
            Some("Date")
        );
        assert_eq!(column(&tables, &lines, 7, "75.10").as_deref(), Some("Paid"));
        assert_eq!(tables.tables[1].header, Some(5));
    }

    #[test]
    fn prose_with_numbers_is_no_table() {
        let lines = vec![
            line(
                700.0,
                &[(
                    50.0,
                    "In 2019 the fund paid 1,234 claims worth 5.6 million.",
                )],
            ),
            line(
                686.0,
                &[(
                    50.0,
                    "Of these, 312 were late and 45 were refused outright.",
                )],
            ),
            line(672.0, &[(50.0, "See table 4 on page 12 for the details.")]),
        ];
        assert!(find(&lines).tables.is_empty());
    }

    #[test]
    fn a_numbered_list_is_no_table_and_a_turned_page_has_tables() {
        let lines = vec![
            line(700.0, &[(50.0, "1."), (80.0, "Call to order")]),
            line(686.0, &[(50.0, "2."), (80.0, "Public comment on items")]),
            line(672.0, &[(50.0, "5.1"), (80.0, "Board governance")]),
        ];
        assert!(find(&lines).tables.is_empty());
        // The same rows on a page turned sideways: one table in its frame.
        let turned = vec![
            line(-100.0, &[(50.0, "Name"), right(400.0, "Paid")]),
            line(-114.0, &[(50.0, "Acme"), right(400.0, "500.00")]),
            line(-128.0, &[(50.0, "Globex"), right(400.0, "75.10")]),
        ];
        let rows: Vec<Row<'_>> = turned.iter().map(|l| row_of(l, 90)).collect();
        let tables = PageTables::find(&rows);
        assert_eq!(tables.tables.len(), 1);
        assert_eq!(
            column(&tables, &turned, 2, "75.10").as_deref(),
            Some("Paid")
        );
    }

    #[test]
    fn a_table_without_a_header_names_its_columns_by_place() {
        let lines = vec![
            line(
                700.0,
                &[(50.0, "alpha"), right(300.0, "10.00"), right(400.0, "7")],
            ),
            line(
                686.0,
                &[(50.0, "beta"), right(300.0, "220.50"), right(400.0, "12")],
            ),
        ];
        let tables = find(&lines);
        assert_eq!(tables.tables.len(), 1);
        let headers: Vec<&str> = tables.tables[0]
            .columns
            .iter()
            .map(|c| c.header.as_str())
            .collect();
        assert_eq!(headers, ["column 1", "column 2", "column 3"]);
    }

    #[test]
    fn cells_split_at_wide_gaps_only() {
        let l = line(700.0, &[(50.0, "Unit"), (75.0, "price"), (300.0, "4.50")]);
        let row = row_of(&l, 0);
        let cells = cells_of(&row);
        assert_eq!(cells.len(), 2);
        assert_eq!(cells[0].text, "Unit price");
        assert!(!cells[0].numeric && cells[1].numeric);
        assert!(is_numeric("$ 1,234.56") && is_numeric("(12.5%)") && is_numeric("EUR 9,90"));
        // Numbers side by side are apart; a number grouped by spaces is one.
        let l = line(
            700.0,
            &[
                (50.0, "12.50"),
                (80.0, "3.10"),
                (200.0, "1"),
                (210.0, "234,56"),
            ],
        );
        let row = row_of(&l, 0);
        let texts: Vec<String> = cells_of(&row).into_iter().map(|c| c.text).collect();
        assert_eq!(texts, ["12.50", "3.10", "1 234,56"]);
        assert!(!is_numeric("Widget 2") && !is_numeric("Total"));
    }
}
